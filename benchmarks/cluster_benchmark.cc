// The cluster clients against valkey-benchmark --cluster, on a cluster this
// binary starts (//testing:valkey_cluster: 3 primaries, no replicas), in
// one run.
//
// Cases (each measured for GET and for SET of a 16-byte value, keys
// "key:<12 digits>" over 10,000 keys, which spread over every slot range):
//   sync/1        one thread, one blocking ClusterClient; peer -c 1.
//   sync/T        T threads (--threads=, default 4) sharing one
//                 ClusterClient (a pool per node); peer -c T.
//   async/50      50 coroutines looping `co_await client.Get(key)` on one
//                 AsyncClusterClient (one multiplexed connection per node);
//                 peer -c 50.
//   pipeline/16   one thread per primary (3), each sending batches of 16
//                 commands: a Pipeline on ClusterClient::ClientFor(key) of
//                 its primary, keys grouped by owner; peer -c 3 -P 16
//                 (valkey-benchmark --cluster aborts with -c 1 -P 16).
// The peer is `valkey-benchmark --cluster -h 127.0.0.1 -p <seed> -t get,set
// -d 16 -r 10000 --csv -n <n> -c <clients> [-P <depth>]`, run right after
// our case, with n sized from our rate so both run about --seconds.
//
// Why no replicas: a replica makes every SET cost the primary a
// replication write on the same two cores; the benchmark measures the
// client's routing, not replication. Both sides use RESP2 without CLIENT
// SETINFO. ops/s for ours is counted over a fixed window (--seconds=,
// default 1) after a 0.2 s warm-up; ratios are ours / peer. --rounds=
// (default 1) repeats every case; the table shows each round.
//
// valkey-benchmark is $VALKEY_BENCHMARK_BIN, else /usr/bin/valkey-benchmark;
// when missing the benchmark fails (exit 2). Loopback only. Run:
//   bazel run -c opt //benchmarks:cluster_benchmark [-- --seconds=3 --rounds=3 --threads=8]

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "testing/valkey_cluster.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/client/client.h"
#include "valkey/client/pipeline.h"
#include "valkey/cluster/async_cluster_client.h"
#include "valkey/cluster/cluster_client.h"
#include "valkey/cluster/cluster_options.h"
#include "valkey/cluster/key_slot.h"

namespace valkey::bench {
namespace {

constexpr int kKeys = 10000;
constexpr int kAsyncCallers = 50;
constexpr int kPipelineDepth = 16;
constexpr char kValue[] = "0123456789abcdef";  // 16 bytes

struct Flags {
  absl::Duration seconds = absl::Seconds(1);
  int rounds = 1;
  int threads = 4;
};

std::vector<std::string> MakeKeys() {
  std::vector<std::string> keys;
  keys.reserve(kKeys);
  for (int i = 0; i < kKeys; ++i) keys.push_back(absl::StrFormat("key:%012d", i));
  return keys;
}

// The first error any worker saw; the run stops on it.
struct FirstError {
  absl::Mutex mu;
  absl::Status status ABSL_GUARDED_BY(mu);
  void Note(const absl::Status& s) {
    absl::MutexLock lock(&mu);
    if (status.ok()) status = s;
  }
  absl::Status Get() {
    absl::MutexLock lock(&mu);
    return status;
  }
};

// Runs `threads` threads calling `step(thread, i)` (i counting up) until
// the window ends; returns operations per second over the window (each
// step counts `per_step` operations).
absl::StatusOr<double> MeasureThreads(
    int threads, absl::Duration window, int per_step,
    const std::function<absl::Status(int, int64_t)>& step) {
  std::atomic<bool> counting{false}, stop{false};
  std::atomic<int64_t> total{0};
  FirstError error;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      int64_t done = 0;
      for (int64_t i = t * 997; !stop.load(std::memory_order_relaxed); ++i) {
        absl::Status s = step(t, i);
        if (!s.ok()) {
          error.Note(s);
          stop = true;
          break;
        }
        if (counting.load(std::memory_order_relaxed)) done += per_step;
      }
      total += done;
    });
  }
  absl::SleepFor(absl::Milliseconds(200));
  counting = true;
  const absl::Time start = absl::Now();
  absl::SleepFor(window);
  stop = true;
  const absl::Duration elapsed = absl::Now() - start;
  for (std::thread& w : workers) w.join();
  if (absl::Status s = error.Get(); !s.ok()) return s;
  return static_cast<double>(total.load()) / absl::ToDoubleSeconds(elapsed);
}

struct AsyncShared {
  cluster::AsyncClusterClient* client;
  const std::vector<std::string>* keys;
  bool set;
  std::atomic<bool> counting{false};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> total{0};
};

async::Task<void> AsyncCaller(AsyncShared& shared, int64_t first) {
  int64_t done = 0;
  for (int64_t i = first; !shared.stop.load(std::memory_order_relaxed); ++i) {
    const std::string& key = (*shared.keys)[i % kKeys];
    if (shared.set) {
      absl::StatusOr<bool> r = co_await shared.client->Set(key, kValue);
      if (!r.ok()) co_return r.status();
    } else {
      absl::StatusOr<std::optional<std::string>> r =
          co_await shared.client->Get(key);
      if (!r.ok()) co_return r.status();
    }
    if (shared.counting.load(std::memory_order_relaxed)) ++done;
  }
  shared.total += done;
  co_return absl::OkStatus();
}

absl::StatusOr<double> MeasureAsync(cluster::AsyncClusterClient& client,
                                    const std::vector<std::string>& keys,
                                    bool set, absl::Duration window) {
  AsyncShared shared{&client, &keys, set};
  std::vector<async::Task<void>> tasks;
  for (int c = 0; c < kAsyncCallers; ++c) {
    tasks.push_back(AsyncCaller(shared, c * 199));
  }
  absl::SleepFor(absl::Milliseconds(200));
  shared.counting = true;
  const absl::Time start = absl::Now();
  absl::SleepFor(window);
  shared.stop = true;
  const absl::Duration elapsed = absl::Now() - start;
  absl::Status first;
  for (async::Task<void>& task : tasks) {
    absl::Status s = task.Get(absl::Seconds(30));
    if (first.ok()) first = s;
  }
  if (!first.ok()) return first;
  return static_cast<double>(shared.total.load()) /
         absl::ToDoubleSeconds(elapsed);
}

// ------------------------------------------------------- valkey-benchmark

struct PeerRates {
  double get = 0;
  double set = 0;
};

// Runs valkey-benchmark with `args`, output captured, at most `timeout`
// (then SIGKILL to its PID), and parses the GET and SET lines of --csv.
absl::StatusOr<PeerRates> RunPeer(const std::string& binary,
                                  const std::vector<std::string>& args,
                                  absl::Duration timeout) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  // A watchdog kills the child (by PID) if it outlives the time-out.
  std::atomic<bool> finished{false};
  std::thread watchdog([&] {
    const absl::Time deadline = absl::Now() + timeout;
    while (!finished.load() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    if (!finished.load()) kill(pid, SIGKILL);
  });
  std::string output;
  char buf[4096];
  for (;;) {
    const ssize_t got = read(fds[0], buf, sizeof(buf));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    output.append(buf, static_cast<size_t>(got));
  }
  close(fds[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  finished = true;
  watchdog.join();
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return absl::InternalError(absl::StrCat(binary, " failed (wait status ",
                                            wstatus, "); output:\n", output));
  }
  PeerRates rates;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    double* into = nullptr;
    if (absl::ConsumePrefix(&line, "\"GET\",\"")) into = &rates.get;
    if (absl::ConsumePrefix(&line, "\"SET\",\"")) into = &rates.set;
    if (into == nullptr) continue;
    const size_t quote = line.find('"');
    if (quote != absl::string_view::npos) {
      (void)absl::SimpleAtod(line.substr(0, quote), into);
    }
  }
  if (rates.get <= 0 || rates.set <= 0) {
    return absl::InternalError(absl::StrCat(
        "no GET and SET rates in the output of ", binary, ":\n", output));
  }
  return rates;
}

struct Row {
  std::string name;
  std::string peer_args;
  double ours_get = 0, ours_set = 0, peer_get = 0, peer_set = 0;
};

int Run(const Flags& flags) {
  const char* env = std::getenv("VALKEY_BENCHMARK_BIN");
  const std::string peer_binary =
      env != nullptr && *env != '\0' ? env : "/usr/bin/valkey-benchmark";
  if (access(peer_binary.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "valkey-benchmark not found at %s\n",
                 peer_binary.c_str());
    return 2;
  }
  testing::ValkeyCluster::Options cluster_options;
  cluster_options.num_primaries = 3;
  cluster_options.replicas_per_primary = 0;
  absl::StatusOr<std::unique_ptr<testing::ValkeyCluster>> cluster =
      testing::ValkeyCluster::Start(cluster_options);
  if (!cluster.ok()) {
    std::fprintf(stderr, "cluster: %s\n", cluster.status().ToString().c_str());
    return 1;
  }
  const int seed_port = (*cluster)->node(0).port();

  cluster::ClusterOptions options;
  options.seeds = (*cluster)->seed_addresses();
  options.connection.protocol = 2;
  options.connection.send_lib_info = false;
  options.pool.max_connections = std::max(flags.threads, 1);
  absl::StatusOr<std::unique_ptr<cluster::ClusterClient>> client =
      cluster::ClusterClient::Create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "client: %s\n", client.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<async::EventLoopThread>> loop =
      async::EventLoopThread::Start();
  if (!loop.ok()) return 1;
  absl::StatusOr<std::unique_ptr<cluster::AsyncClusterClient>> async_client =
      cluster::AsyncClusterClient::Create((*loop)->loop(), options);
  if (!async_client.ok()) {
    std::fprintf(stderr, "async client: %s\n",
                 async_client.status().ToString().c_str());
    return 1;
  }

  const std::vector<std::string> keys = MakeKeys();
  for (const std::string& key : keys) {
    if (absl::StatusOr<bool> s = (*client)->Set(key, kValue); !s.ok()) {
      std::fprintf(stderr, "preload: %s\n", s.status().ToString().c_str());
      return 1;
    }
  }
  // Keys grouped by owner, one plain Client per primary, for pipelines.
  std::map<int, std::vector<const std::string*>> by_port;
  std::map<int, std::unique_ptr<Client>> node_clients;
  {
    std::shared_ptr<const cluster::SlotMap> map = (*client)->slot_map();
    for (const std::string& key : keys) {
      const int port = map->ShardForSlot(cluster::KeySlot(key))->primary.port;
      by_port[port].push_back(&key);
      if (node_clients.count(port) == 0) {
        absl::StatusOr<std::unique_ptr<Client>> c = (*client)->ClientFor(key);
        if (!c.ok()) {
          std::fprintf(stderr, "ClientFor: %s\n", c.status().ToString().c_str());
          return 1;
        }
        node_clients[port] = *std::move(c);
      }
    }
  }
  std::vector<std::pair<Client*, const std::vector<const std::string*>*>> nodes;
  for (auto& [port, c] : node_clients) nodes.push_back({c.get(), &by_port[port]});

  auto sync_step = [&](bool set) {
    return [&, set](int, int64_t i) -> absl::Status {
      const std::string& key = keys[i % kKeys];
      if (set) return (*client)->Set(key, kValue).status();
      return (*client)->Get(key).status();
    };
  };
  auto pipeline_step = [&](bool set) {
    return [&, set](int t, int64_t i) -> absl::Status {
      auto& [node, node_keys] = nodes[t % nodes.size()];
      Pipeline pipe(*node);
      const size_t base = static_cast<size_t>(i) * kPipelineDepth;
      for (int j = 0; j < kPipelineDepth; ++j) {
        const std::string& key = *(*node_keys)[(base + j) % node_keys->size()];
        if (set) {
          pipe.Set(key, kValue);
        } else {
          pipe.Get(key);
        }
      }
      return pipe.Execute().status();
    };
  };

  struct Case {
    std::string name;
    int clients;
    int depth;
    std::function<absl::StatusOr<double>(bool set)> ours;
  };
  const std::vector<Case> cases = {
      {"sync/1", 1, 1,
       [&](bool set) { return MeasureThreads(1, flags.seconds, 1, sync_step(set)); }},
      {absl::StrCat("sync/", flags.threads), flags.threads, 1,
       [&](bool set) {
         return MeasureThreads(flags.threads, flags.seconds, 1, sync_step(set));
       }},
      {absl::StrCat("async/", kAsyncCallers), kAsyncCallers, 1,
       [&](bool set) {
         return MeasureAsync(**async_client, keys, set, flags.seconds);
       }},
      {absl::StrCat("pipeline/", kPipelineDepth), static_cast<int>(nodes.size()),
       kPipelineDepth,
       [&](bool set) {
         return MeasureThreads(static_cast<int>(nodes.size()), flags.seconds,
                               kPipelineDepth,
                               pipeline_step(set));
       }},
  };

  std::vector<Row> rows;
  for (int round = 0; round < flags.rounds; ++round) {
    for (const Case& c : cases) {
      Row row;
      row.name = c.name;
      absl::StatusOr<double> get = c.ours(false);
      absl::StatusOr<double> set = get.ok() ? c.ours(true) : get;
      if (!set.ok()) {
        std::fprintf(stderr, "%s: %s\n", c.name.c_str(),
                     set.status().ToString().c_str());
        return 1;
      }
      row.ours_get = *get;
      row.ours_set = *set;
      const int64_t n = std::max<int64_t>(
          2000, static_cast<int64_t>(std::max(*get, *set) *
                                     absl::ToDoubleSeconds(flags.seconds)));
      std::vector<std::string> args = {
          "--cluster", "-h", "127.0.0.1", "-p", absl::StrCat(seed_port),
          "-t", "get,set", "-d", "16", "-r", absl::StrCat(kKeys), "--csv",
          "-n", absl::StrCat(n), "-c", absl::StrCat(c.clients),
          "-P", absl::StrCat(c.depth)};
      row.peer_args = absl::StrCat("-c ", c.clients, " -P ", c.depth);
      absl::StatusOr<PeerRates> peer =
          RunPeer(peer_binary, args, absl::Seconds(120));
      if (!peer.ok()) {
        std::fprintf(stderr, "%s peer: %s\n", c.name.c_str(),
                     peer.status().ToString().c_str());
        return 1;
      }
      row.peer_get = peer->get;
      row.peer_set = peer->set;
      std::printf("round %d %-12s GET %9.0f/s peer %9.0f/s   SET %9.0f/s peer %9.0f/s\n",
                  round + 1, c.name.c_str(), row.ours_get, row.peer_get,
                  row.ours_set, row.peer_set);
      std::fflush(stdout);
      rows.push_back(row);
    }
  }

  std::printf("\n%-6s %-12s %-12s %12s %12s %7s %12s %12s %7s\n", "round",
              "case", "peer", "ours GET/s", "peer GET/s", "ratio",
              "ours SET/s", "peer SET/s", "ratio");
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    std::printf("%-6zu %-12s %-12s %12.0f %12.0f %7.2f %12.0f %12.0f %7.2f\n",
                i / cases.size() + 1, r.name.c_str(), r.peer_args.c_str(),
                r.ours_get, r.peer_get, r.ours_get / r.peer_get, r.ours_set,
                r.peer_set, r.ours_set / r.peer_set);
  }
  return 0;
}

}  // namespace
}  // namespace valkey::bench

int main(int argc, char** argv) {
  valkey::bench::Flags flags;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    double seconds = 0;
    if (absl::ConsumePrefix(&arg, "--seconds=") &&
        absl::SimpleAtod(arg, &seconds) && seconds > 0) {
      flags.seconds = absl::Seconds(seconds);
    } else if (absl::ConsumePrefix(&arg, "--rounds=") &&
               absl::SimpleAtoi(arg, &flags.rounds) && flags.rounds > 0) {
    } else if (absl::ConsumePrefix(&arg, "--threads=") &&
               absl::SimpleAtoi(arg, &flags.threads) && flags.threads > 0) {
    } else {
      std::fprintf(stderr,
                   "usage: %s [--seconds=1] [--rounds=1] [--threads=4]\n",
                   argv[0]);
      return 2;
    }
  }
  return valkey::bench::Run(flags);
}
