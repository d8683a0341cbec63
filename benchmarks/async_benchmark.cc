// The async Client under concurrency, against the server-bound limit that
// valkey-benchmark reaches, on one valkey-server, in one run.
//
// Cases:
//   async/N      N concurrent callers (coroutines on the client's event loop,
//                each looping `co_await client.Get(key)`) share one
//                async::Client, i.e. one multiplexed, auto-pipelined
//                connection; N = 1, 16, 64, 256. GET of a 16-byte value.
//   peer         `valkey-benchmark -c 1 -P 64 -t get --csv -n <n>`: one
//                connection, 64 commands in flight — what the server can
//                answer on one connection; run by this binary against the
//                same server right after each of our cases, whose ratios
//                are taken against that run (the machine drifts).
//   sync/1       the blocking Client, one caller: one round trip per GET
//                (context: its ratio to the peer only shows what
//                pipelining buys).
//
// Rounds (--rounds=, default 3) go through every case in turn, each case
// followed by a peer run; the final table shows medians over the rounds, the
// ratios being medians of per-round ratios.
//
// For each case: ops/s over a fixed window (--seconds=, default 1, after a
// 0.3 s warm-up) and client CPU per operation: getrusage(RUSAGE_SELF) user +
// system over the window for ours (the server is another process and is
// not counted), getrusage of the reaped child for valkey-benchmark (its
// whole run). "cmds/write" is the async connection's commands per write
// system call (how much auto-pipelining happened). Ratios are ours / peer.
//
// Both sides use RESP2 without CLIENT SETINFO, and read the key
// "key:__rand_int__" (the one `valkey-benchmark -t get` reads without -r),
// set to a 16-byte value first.
//
// The benchmark starts its own valkey-server on loopback (//testing), or
// uses --url=valkey://host:port (plain TCP or Unix socket, no password: the
// peer is given only -h/-p or -s). valkey-benchmark is $VALKEY_BENCHMARK_BIN,
// else found on PATH, else /usr/bin/valkey-benchmark; when missing the
// benchmark fails (exit 2), it never skips the peer. Run:
//   bazel run -c opt //benchmarks:async_benchmark [-- --seconds=2 --rounds=5]

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmarks/bench_target.h"
#include "valkey/async/client.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/client/client.h"
#include "valkey/common/config.h"

namespace {

using valkey::ConnectionOptions;
namespace async = valkey::async;

ConnectionOptions g_options;  // RESP2, no CLIENT SETINFO.
// The key `valkey-benchmark -t get` reads (no -r: the placeholder stays).
const std::string kKey = "key:__rand_int__";
const std::string kValue(16, 'v');
constexpr int kCallers[] = {1, 16, 64, 256};
const absl::Duration kWarmUp = absl::Milliseconds(300);

double CpuSeconds(const struct rusage& ru) {
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double ProcessCpuSeconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return CpuSeconds(ru);
}

struct Result {
  std::string name;
  double ops_per_second = 0;
  double cpu_us_per_op = 0;
  double cmds_per_write = 0;  // 0 when not applicable.
};

// ---------------------------------------------------------------- async/N

struct Shared {
  std::atomic<bool> stop{false};
  // Written only on the loop's thread (the callers run there), read by the
  // main thread at the window's edges.
  std::atomic<uint64_t> ops{0};
};

// One caller: GET until told to stop. Runs on the loop's thread (started
// there, resumed there by every reply).
async::Task<void> Caller(async::Client& client, Shared& shared) {
  while (!shared.stop.load(std::memory_order_relaxed)) {
    absl::StatusOr<std::optional<std::string>> v = co_await client.Get(kKey);
    if (!v.ok()) co_return v.status();
    if (!v->has_value() || (*v)->size() != kValue.size()) {
      co_return absl::InternalError("GET returned the wrong value");
    }
    shared.ops.store(shared.ops.load(std::memory_order_relaxed) + 1,
                     std::memory_order_relaxed);
  }
  co_return absl::OkStatus();
}

absl::StatusOr<Result> RunAsync(async::EventLoop& loop, async::Client& client,
                                int callers, absl::Duration window) {
  Shared shared;
  std::vector<async::Task<void>> tasks;
  tasks.reserve(callers);
  absl::Notification started;
  loop.Post([&] {
    for (int i = 0; i < callers; ++i) tasks.push_back(Caller(client, shared));
    started.Notify();
  });
  started.WaitForNotification();

  absl::SleepFor(kWarmUp);
  const async::Connection::Stats stats0 = client.connection().stats();
  const uint64_t ops0 = shared.ops.load(std::memory_order_relaxed);
  const double cpu0 = ProcessCpuSeconds();
  const absl::Time t0 = absl::Now();
  absl::SleepFor(window);
  const uint64_t ops1 = shared.ops.load(std::memory_order_relaxed);
  const double cpu1 = ProcessCpuSeconds();
  const absl::Time t1 = absl::Now();
  const async::Connection::Stats stats1 = client.connection().stats();
  shared.stop.store(true, std::memory_order_relaxed);

  absl::Status status;
  for (async::Task<void>& task : tasks) {
    absl::Status s = task.Get(absl::Seconds(30));
    if (!s.ok() && status.ok()) status = s;
  }
  if (!status.ok()) return status;

  const double ops = static_cast<double>(ops1 - ops0);
  if (ops <= 0) return absl::InternalError("no GET completed in the window");
  Result r;
  r.name = absl::StrCat("async/", callers);
  r.ops_per_second = ops / absl::ToDoubleSeconds(t1 - t0);
  r.cpu_us_per_op = (cpu1 - cpu0) * 1e6 / ops;
  const uint64_t writes = stats1.writes - stats0.writes;
  if (writes > 0) {
    r.cmds_per_write =
        static_cast<double>(stats1.commands - stats0.commands) / writes;
  }
  return r;
}

// ----------------------------------------------------------------- sync/1

absl::StatusOr<Result> RunSync(absl::Duration window) {
  valkey::ClientOptions options;
  options.connection = g_options;
  absl::StatusOr<std::unique_ptr<valkey::Client>> client =
      valkey::Client::Create(std::move(options));
  if (!client.ok()) return client.status();
  auto get = [&]() -> absl::Status {
    absl::StatusOr<std::optional<std::string>> v = (*client)->Get(kKey);
    if (!v.ok()) return v.status();
    if (!v->has_value()) return absl::InternalError("GET: no value");
    return absl::OkStatus();
  };
  for (absl::Time end = absl::Now() + kWarmUp; absl::Now() < end;) {
    if (absl::Status s = get(); !s.ok()) return s;
  }
  uint64_t ops = 0;
  const double cpu0 = ProcessCpuSeconds();
  const absl::Time t0 = absl::Now();
  const absl::Time end = t0 + window;
  absl::Time now = t0;
  while (now < end) {
    for (int i = 0; i < 64; ++i) {
      if (absl::Status s = get(); !s.ok()) return s;
    }
    ops += 64;
    now = absl::Now();
  }
  const double cpu1 = ProcessCpuSeconds();
  Result r;
  r.name = "sync/1";
  r.ops_per_second = static_cast<double>(ops) / absl::ToDoubleSeconds(now - t0);
  r.cpu_us_per_op = (cpu1 - cpu0) * 1e6 / static_cast<double>(ops);
  return r;
}

// ------------------------------------------------------- valkey-benchmark

// $VALKEY_BENCHMARK_BIN, else the first valkey-benchmark on PATH, else
// /usr/bin/valkey-benchmark; empty when none is executable.
std::string FindValkeyBenchmark() {
  if (const char* env = std::getenv("VALKEY_BENCHMARK_BIN");
      env != nullptr && *env != '\0') {
    return access(env, X_OK) == 0 ? env : "";
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    for (absl::string_view dir : absl::StrSplit(path, ':')) {
      if (dir.empty()) continue;
      std::string candidate = absl::StrCat(dir, "/valkey-benchmark");
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  const char* fallback = "/usr/bin/valkey-benchmark";
  return access(fallback, X_OK) == 0 ? fallback : "";
}

struct PeerRun {
  double rps = 0;
  double cpu_seconds = 0;  // The child's user + system time.
  std::string output;
};

// Runs `binary args...` with stdout (and stderr) captured, waits for it (at
// most `timeout`, then SIGKILL to its PID) and parses the GET line of
// --csv output.
absl::StatusOr<PeerRun> RunPeerOnce(const std::string& binary,
                                    const std::vector<std::string>& args,
                                    absl::Duration timeout) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
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
    // Only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);

  PeerRun run;
  const absl::Time deadline = absl::Now() + timeout;
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      timed_out = true;
      break;
    }
    struct pollfd p = {fds[0], POLLIN, 0};
    const int n =
        poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;  // Re-checks the deadline.
    const ssize_t got = read(fds[0], buf, sizeof(buf));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // EOF: the child closed its output.
    run.output.append(buf, static_cast<size_t>(got));
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);  // By PID: only the process we started.

  int wstatus = 0;
  struct rusage ru;
  while (wait4(pid, &wstatus, 0, &ru) < 0) {
    if (errno != EINTR) {
      return absl::InternalError(absl::StrCat("wait4: ", std::strerror(errno)));
    }
  }
  if (timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat(binary, " did not finish within ",
                     absl::FormatDuration(timeout), "; output:\n", run.output));
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return absl::InternalError(absl::StrCat(
        binary, " failed (wait status ", wstatus, "); output:\n", run.output));
  }
  run.cpu_seconds = CpuSeconds(ru);

  // --csv: a header line, then "GET","<rps>",...
  for (absl::string_view line : absl::StrSplit(run.output, '\n')) {
    if (!absl::ConsumePrefix(&line, "\"GET\",\"")) continue;
    const size_t quote = line.find('"');
    if (quote != absl::string_view::npos &&
        absl::SimpleAtod(line.substr(0, quote), &run.rps) && run.rps > 0) {
      return run;
    }
  }
  return absl::InternalError(
      absl::StrCat("no \"GET\" line with a rate in the output of ", binary,
                   ":\n", run.output));
}

// Runs the peer for about `window`: `n` is sized from `*rps_estimate` (the
// last measured rate; a 200 000-GET probe first when it is 0), which is then
// updated.
absl::StatusOr<Result> RunPeer(const std::string& binary, absl::Duration window,
                               double* rps_estimate) {
  std::vector<std::string> args;
  if (g_options.is_unix()) {
    args = {"-s", g_options.unix_path};
  } else {
    args = {"-h", g_options.host, "-p", absl::StrCat(g_options.port)};
  }
  for (const char* a :
       {"-c", "1", "-P", "64", "-t", "get", "-d", "16", "--csv", "-n"}) {
    args.push_back(a);
  }
  args.push_back("200000");
  const absl::Duration timeout = window * 10 + absl::Seconds(60);
  if (*rps_estimate <= 0) {
    absl::StatusOr<PeerRun> probe = RunPeerOnce(binary, args, timeout);
    if (!probe.ok()) return probe.status();
    *rps_estimate = probe->rps;
  }
  const double want = *rps_estimate * absl::ToDoubleSeconds(window);
  const int64_t n =
      std::max<int64_t>(100000, static_cast<int64_t>(want) / 64 * 64);
  args.back() = absl::StrCat(n);
  absl::StatusOr<PeerRun> run = RunPeerOnce(binary, args, timeout);
  if (!run.ok()) return run.status();
  *rps_estimate = run->rps;
  Result r;
  r.name = "valkey-benchmark -c 1 -P 64";
  r.ops_per_second = run->rps;
  r.cpu_us_per_op = run->cpu_seconds * 1e6 / static_cast<double>(n);
  return r;
}

// ------------------------------------------------------------------ main

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// One case's rounds: ours, and the peer run right after it.
struct Rounds {
  std::string name;
  std::vector<Result> ours;
  std::vector<Result> peer;
};

// Medians over the rounds; the ratios are medians of per-round ratios.
void PrintRow(const Rounds& c) {
  std::vector<double> ops, cpu, writes, peer_ops, peer_cpu, ops_ratio,
      cpu_ratio;
  for (size_t i = 0; i < c.ours.size(); ++i) {
    const Result& o = c.ours[i];
    const Result& p = c.peer[i];
    ops.push_back(o.ops_per_second);
    cpu.push_back(o.cpu_us_per_op);
    writes.push_back(o.cmds_per_write);
    peer_ops.push_back(p.ops_per_second);
    peer_cpu.push_back(p.cpu_us_per_op);
    ops_ratio.push_back(o.ops_per_second / p.ops_per_second);
    cpu_ratio.push_back(o.cpu_us_per_op / p.cpu_us_per_op);
  }
  std::printf("%-10s %11.0f %9.2f", c.name.c_str(), Median(ops), Median(cpu));
  if (Median(writes) > 0) {
    std::printf(" %10.1f", Median(writes));
  } else {
    std::printf(" %10s", "-");
  }
  std::printf(" %11.0f %9.2f %9.2f %9.2f\n", Median(peer_ops), Median(peer_cpu),
              Median(ops_ratio), Median(cpu_ratio));
}

int Fail(absl::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(what.size()), what.data(),
               status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const valkey::bench::BenchFlags flags =
      valkey::bench::TakeBenchFlags(argc, argv);
  double seconds = 1;
  int rounds = 3;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--seconds=") &&
        absl::SimpleAtod(arg, &seconds) && seconds > 0) {
      continue;
    }
    arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--rounds=") &&
        absl::SimpleAtoi(arg, &rounds) && rounds > 0) {
      continue;
    }
    std::fprintf(stderr,
                 "unknown or bad argument: %s\n"
                 "usage: async_benchmark [--url=valkey://host:port] "
                 "[--seconds=1] [--rounds=3]\n",
                 argv[i]);
    return 2;
  }
  if (!flags.count.empty()) {
    std::fprintf(stderr, "--count is not supported by async_benchmark\n");
    return 2;
  }
  const absl::Duration window = absl::Seconds(seconds);

  // Fail before starting anything if the peer cannot be run.
  const std::string peer_binary = FindValkeyBenchmark();
  if (peer_binary.empty()) {
    std::fprintf(stderr,
                 "valkey-benchmark not found ($VALKEY_BENCHMARK_BIN, PATH, "
                 "/usr/bin/valkey-benchmark); install valkey-tools (see "
                 "tools/setup.sh). The peer is required, not optional.\n");
    return 2;
  }

  std::unique_ptr<valkey::bench::BenchTarget> target =
      valkey::bench::BenchTarget::Open(flags.url);
  if (target == nullptr) return 2;
  g_options = target->options();
  if (g_options.tls.enabled || g_options.credentials != nullptr) {
    std::fprintf(stderr,
                 "--url: the valkey-benchmark peer is run with -h/-p or -s "
                 "only; use a server without TLS or a password\n");
    return 2;
  }
  // Same work as valkey-benchmark: RESP2, no CLIENT SETINFO.
  g_options.protocol = 2;
  g_options.send_lib_info = false;
  std::printf(
      "server: %s, valkey-benchmark: %s, %d rounds, %.1f s per case and "
      "round\n",
      g_options.Address().c_str(), peer_binary.c_str(), rounds, seconds);

  std::vector<Rounds> cases;
  for (int callers : kCallers) {
    cases.push_back(Rounds{absl::StrCat("async/", callers), {}, {}});
  }
  cases.push_back(Rounds{"sync/1", {}, {}});

  absl::StatusOr<std::unique_ptr<async::EventLoopThread>> thread =
      async::EventLoopThread::Start();
  if (!thread.ok()) return Fail("EventLoopThread::Start", thread.status());
  valkey::ClientOptions options;
  options.connection = g_options;
  absl::StatusOr<std::unique_ptr<async::Client>> client =
      async::Client::Create((*thread)->loop(), std::move(options));
  if (!client.ok()) return Fail("async::Client::Create", client.status());
  absl::StatusOr<bool> set =
      (*client)->Set(kKey, kValue).Get(absl::Seconds(10));
  if (!set.ok()) return Fail("SET", set.status());

  // Each case is followed at once by a valkey-benchmark run, and its ratio
  // is taken against that run: on a shared machine the rate drifts by tens
  // of percent within a minute (and jumps between regimes), less within a
  // second or two. Rounds go through every case in turn; the table shows
  // medians over the rounds.
  double peer_rps = 0;
  for (int round = 1; round <= rounds; ++round) {
    for (size_t c = 0; c < cases.size(); ++c) {
      absl::StatusOr<Result> r =
          c < std::size(kCallers)
              ? RunAsync((*thread)->loop(), **client, kCallers[c], window)
              : RunSync(window);  // The async client idles meanwhile.
      if (!r.ok()) return Fail(cases[c].name, r.status());
      absl::StatusOr<Result> peer = RunPeer(peer_binary, window, &peer_rps);
      if (!peer.ok()) return Fail("valkey-benchmark", peer.status());
      std::printf(
          "round %d %-10s %10.0f ops/s %7.2f us CPU/op | peer %10.0f ops/s "
          "%5.2f us CPU/op\n",
          round, r->name.c_str(), r->ops_per_second, r->cpu_us_per_op,
          peer->ops_per_second, peer->cpu_us_per_op);
      std::fflush(stdout);
      cases[c].ours.push_back(*std::move(r));
      cases[c].peer.push_back(*std::move(peer));
    }
  }
  client->reset();  // Closes the connection before the loop's thread stops.

  std::printf(
      "\nmedians of %d rounds; peer: valkey-benchmark -c 1 -P 64 -t "
      "get, run right after each case\n",
      rounds);
  std::printf("%-10s %11s %9s %10s %11s %9s %9s %9s\n", "case", "ops/s",
              "CPU us/op", "cmds/write", "peer ops/s", "peer CPU", "ops ratio",
              "CPU ratio");
  for (const Rounds& c : cases) PrintRow(c);
  std::printf(
      "ratios: ours / peer, per round (ops ratio > 1: more GET/s; CPU ratio "
      "< 1: less client CPU per GET)\n");
  return 0;
}
