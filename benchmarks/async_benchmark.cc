// The async Client's throughput and latency against queue depth, next to
// valkey-benchmark at the same depth, on one valkey-server, in one run.
//
// Cases (depth N = 1, 16, 50, 256 by default; --depths=1,16,50,256):
//   async/N      N concurrent callers (coroutines on the client's event loop,
//                each looping `co_await client.Get(key)`) share one
//                async::Client, i.e. one multiplexed, auto-pipelined
//                connection: N GETs in flight. 16-byte value.
//   sync/1       the blocking Client, one caller: one round trip per GET.
//   peer         after each of our cases, at once, `valkey-benchmark -c 1
//                -P N -t get -d 16 --csv -n <n>` against the same server:
//                one connection, N commands in flight (N = 1 for sync/1),
//                `n` sized so it runs about as long as our window. Ratios
//                are taken against that run (the machine drifts).
//
// Rounds (--rounds=, default 3) go through every case in turn, ours then
// the peer, so the two alternate; the final table shows medians over the
// rounds, ratios being medians of per-round ratios.
//
// For each case: GET/s over a fixed window (--seconds=, default 1, after a
// 0.3 s warm-up); client CPU per GET: getrusage(RUSAGE_SELF) user + system
// over the window for ours (the server is another process and is not
// counted), getrusage of the reaped child for valkey-benchmark (its whole
// run); p50 and p99 latency per GET: ours from the call that issues a GET to
// the caller resuming with its value (a LatencyHistogram, one clock read
// per GET: a caller issues its next GET as soon as it resumes), the peer's
// from its --csv columns (it times each reply from the write of its batch).
// "cmds/write" is the async connection's commands per write system call.
//
// --csv_out=<path> writes one line per round, case and side (ours, peer) —
// the input of tools/plot_depth_curve.py.
//
// --write_during_dispatch=false turns AsyncOptions::write_during_dispatch
// off (one write per loop turn); =both runs every async/N case a second
// time with it off, as async1w/N (on a second client, same loop), each
// followed by its own peer run.
//
// --count=ours/async/<N>:<n> issues n GETs at depth N and exits, for
// callgrind (run it with two values of n; the difference cancels start-up).
// --count=ours/asynccache/get16:<n> makes n typed Get cache hits instead
// (RESP3, the client-side cache on).
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
//   bazel run -c opt //benchmarks:async_benchmark -- --csv_out=/tmp/depth.csv

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
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmarks/bench_target.h"
#include "benchmarks/latency_histogram.h"
#include "valkey/async/client.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/client/client.h"
#include "valkey/common/config.h"

namespace {

using valkey::ConnectionOptions;
using valkey::bench::LatencyHistogram;
namespace async = valkey::async;

ConnectionOptions g_options;  // RESP2, no CLIENT SETINFO.
// The key `valkey-benchmark -t get` reads (no -r: the placeholder stays).
const std::string kKey = "key:__rand_int__";
const std::string kValue(16, 'v');
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

// Monotonic nanoseconds (clock_gettime through the vDSO: no system call).
uint64_t NowNanos() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

struct Result {
  std::string name;
  int depth = 0;
  double ops_per_second = 0;
  double cpu_us_per_op = 0;
  double p50_us = 0;
  double p99_us = 0;
  double cmds_per_write = 0;  // 0 when not applicable.
};

// ---------------------------------------------------------------- async/N

struct Shared {
  std::atomic<bool> stop{false};
  // Set by the main thread for the measured window only.
  std::atomic<bool> recording{false};
  // Written only on the loop's thread (the callers run there), read by the
  // main thread at the window's edges.
  std::atomic<uint64_t> ops{0};
  // GETs left to issue (--count mode), or unlimited.
  uint64_t budget = UINT64_MAX;
  // Loop thread only; read after every caller has finished.
  LatencyHistogram latency;
};

// One caller: GET until told to stop. Runs on the loop's thread (started
// there, resumed there by every reply). It issues its next GET as soon as
// it resumes, so the time between two resumptions is one GET's latency.
async::Task<void> Caller(async::Client& client, Shared& shared) {
  uint64_t issued_at = NowNanos();
  while (!shared.stop.load(std::memory_order_relaxed) && shared.budget > 0) {
    --shared.budget;
    absl::StatusOr<std::optional<std::string>> v = co_await client.Get(kKey);
    if (!v.ok()) co_return v.status();
    if (!v->has_value() || (*v)->size() != kValue.size()) {
      co_return absl::InternalError("GET returned the wrong value");
    }
    if (shared.recording.load(std::memory_order_relaxed)) {
      const uint64_t now = NowNanos();
      shared.latency.Record(now - issued_at);
      issued_at = now;
    } else {
      issued_at = NowNanos();
    }
    shared.ops.store(shared.ops.load(std::memory_order_relaxed) + 1,
                     std::memory_order_relaxed);
  }
  co_return absl::OkStatus();
}

// Starts `callers` callers on the loop; returns their tasks.
std::vector<async::Task<void>> StartCallers(async::EventLoop& loop,
                                            async::Client& client, int callers,
                                            Shared& shared) {
  std::vector<async::Task<void>> tasks;
  tasks.reserve(callers);
  absl::Notification started;
  loop.Post([&] {
    for (int i = 0; i < callers; ++i) tasks.push_back(Caller(client, shared));
    started.Notify();
  });
  started.WaitForNotification();
  return tasks;
}

absl::Status JoinCallers(std::vector<async::Task<void>>& tasks) {
  absl::Status status;
  for (async::Task<void>& task : tasks) {
    absl::Status s = task.Get(absl::Seconds(30));
    if (!s.ok() && status.ok()) status = s;
  }
  return status;
}

absl::StatusOr<Result> RunAsync(async::EventLoop& loop, async::Client& client,
                                int callers, absl::Duration window) {
  Shared shared;
  std::vector<async::Task<void>> tasks =
      StartCallers(loop, client, callers, shared);

  absl::SleepFor(kWarmUp);
  const async::Connection::Stats stats0 = client.connection().stats();
  shared.recording.store(true, std::memory_order_relaxed);
  const uint64_t ops0 = shared.ops.load(std::memory_order_relaxed);
  const double cpu0 = ProcessCpuSeconds();
  const absl::Time t0 = absl::Now();
  absl::SleepFor(window);
  const uint64_t ops1 = shared.ops.load(std::memory_order_relaxed);
  const double cpu1 = ProcessCpuSeconds();
  const absl::Time t1 = absl::Now();
  shared.recording.store(false, std::memory_order_relaxed);
  const async::Connection::Stats stats1 = client.connection().stats();
  shared.stop.store(true, std::memory_order_relaxed);
  if (absl::Status s = JoinCallers(tasks); !s.ok()) return s;

  const double ops = static_cast<double>(ops1 - ops0);
  if (ops <= 0) return absl::InternalError("no GET completed in the window");
  Result r;
  r.name = absl::StrCat("async/", callers);
  r.depth = callers;
  r.ops_per_second = ops / absl::ToDoubleSeconds(t1 - t0);
  r.cpu_us_per_op = (cpu1 - cpu0) * 1e6 / ops;
  r.p50_us = static_cast<double>(shared.latency.Percentile(50)) / 1e3;
  r.p99_us = static_cast<double>(shared.latency.Percentile(99)) / 1e3;
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
  LatencyHistogram latency;
  uint64_t ops = 0;
  const double cpu0 = ProcessCpuSeconds();
  const absl::Time t0 = absl::Now();
  const absl::Time end = t0 + window;
  absl::Time now = t0;
  uint64_t issued_at = NowNanos();
  while (now < end) {
    for (int i = 0; i < 64; ++i) {
      if (absl::Status s = get(); !s.ok()) return s;
      const uint64_t done = NowNanos();
      latency.Record(done - issued_at);
      issued_at = done;
    }
    ops += 64;
    now = absl::Now();
    issued_at = NowNanos();
  }
  const double cpu1 = ProcessCpuSeconds();
  Result r;
  r.name = "sync/1";
  r.depth = 1;
  r.ops_per_second = static_cast<double>(ops) / absl::ToDoubleSeconds(now - t0);
  r.cpu_us_per_op = (cpu1 - cpu0) * 1e6 / static_cast<double>(ops);
  r.p50_us = static_cast<double>(latency.Percentile(50)) / 1e3;
  r.p99_us = static_cast<double>(latency.Percentile(99)) / 1e3;
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
  double p50_ms = 0;
  double p99_ms = 0;
  double cpu_seconds = 0;  // The child's user + system time.
  std::string output;
};

// Parses the "GET" line of valkey-benchmark 8's --csv output:
//   "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",
//   "p95_latency_ms","p99_latency_ms","max_latency_ms"
//   "GET","143472.02","0.099","0.024","0.039","0.087","2.535","12.895"
// The header is read to find the columns, so an added column does not
// shift them.
bool ParsePeerCsv(absl::string_view output, PeerRun& run) {
  std::vector<std::string> header;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    line = absl::StripTrailingAsciiWhitespace(line);
    std::vector<std::string> fields;
    for (absl::string_view f : absl::StrSplit(line, ',')) {
      absl::ConsumePrefix(&f, "\"");
      absl::ConsumeSuffix(&f, "\"");
      fields.emplace_back(f);
    }
    if (fields.empty()) continue;
    if (fields[0] == "test") {
      header = std::move(fields);
      continue;
    }
    if (fields[0] != "GET" || header.size() != fields.size()) continue;
    bool have_rps = false, have_p50 = false, have_p99 = false;
    for (size_t i = 1; i < fields.size(); ++i) {
      double v = 0;
      if (!absl::SimpleAtod(fields[i], &v)) continue;
      if (header[i] == "rps") have_rps = (run.rps = v) > 0;
      if (header[i] == "p50_latency_ms") {
        run.p50_ms = v;
        have_p50 = true;
      }
      if (header[i] == "p99_latency_ms") {
        run.p99_ms = v;
        have_p99 = true;
      }
    }
    return have_rps && have_p50 && have_p99;
  }
  return false;
}

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
  if (!ParsePeerCsv(run.output, run)) {
    return absl::InternalError(absl::StrCat(
        "no \"GET\" line with rps, p50_latency_ms and p99_latency_ms in the "
        "--csv output of ",
        binary, ":\n", run.output));
  }
  return run;
}

// Runs the peer at `depth` (-P) for about `window`: `n` is sized from
// `*rps_estimate` (the last measured rate at this depth; a short probe
// first when it is 0), which is then updated.
absl::StatusOr<Result> RunPeer(const std::string& binary, int depth,
                               absl::Duration window, double* rps_estimate) {
  std::vector<std::string> args;
  if (g_options.is_unix()) {
    args = {"-s", g_options.unix_path};
  } else {
    args = {"-h", g_options.host, "-p", absl::StrCat(g_options.port)};
  }
  for (const char* a : {"-c", "1", "-t", "get", "-d", "16", "--csv"}) {
    args.push_back(a);
  }
  args.push_back("-P");
  args.push_back(absl::StrCat(depth));
  args.push_back("-n");
  const int64_t probe = std::max<int64_t>(10000, int64_t{2000} * depth);
  args.push_back(absl::StrCat(probe));
  const absl::Duration timeout = window * 10 + absl::Seconds(60);
  if (*rps_estimate <= 0) {
    absl::StatusOr<PeerRun> first = RunPeerOnce(binary, args, timeout);
    if (!first.ok()) return first.status();
    *rps_estimate = first->rps;
  }
  const double want = *rps_estimate * absl::ToDoubleSeconds(window);
  const int64_t n = std::max<int64_t>(
      10000 / depth * depth, static_cast<int64_t>(want) / depth * depth);
  args.back() = absl::StrCat(n);
  absl::StatusOr<PeerRun> run = RunPeerOnce(binary, args, timeout);
  if (!run.ok()) return run.status();
  *rps_estimate = run->rps;
  Result r;
  r.name = absl::StrCat("valkey-benchmark -c 1 -P ", depth);
  r.depth = depth;
  r.ops_per_second = run->rps;
  r.cpu_us_per_op = run->cpu_seconds * 1e6 / static_cast<double>(n);
  r.p50_us = run->p50_ms * 1e3;
  r.p99_us = run->p99_ms * 1e3;
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
  int depth = 0;
  bool sync = false;
  bool one_write = false;  // The client with write_during_dispatch off.
  std::vector<Result> ours;
  std::vector<Result> peer;
};

// Medians over the rounds; the ratios are medians of per-round ratios.
void PrintRow(const Rounds& c) {
  std::vector<double> ops, cpu, p50, p99, writes, peer_ops, peer_cpu, peer_p50,
      peer_p99, ops_ratio, cpu_ratio;
  for (size_t i = 0; i < c.ours.size(); ++i) {
    const Result& o = c.ours[i];
    const Result& p = c.peer[i];
    ops.push_back(o.ops_per_second);
    cpu.push_back(o.cpu_us_per_op);
    p50.push_back(o.p50_us);
    p99.push_back(o.p99_us);
    writes.push_back(o.cmds_per_write);
    peer_ops.push_back(p.ops_per_second);
    peer_cpu.push_back(p.cpu_us_per_op);
    peer_p50.push_back(p.p50_us);
    peer_p99.push_back(p.p99_us);
    ops_ratio.push_back(o.ops_per_second / p.ops_per_second);
    cpu_ratio.push_back(o.cpu_us_per_op / p.cpu_us_per_op);
  }
  std::printf("%-10s %10.0f %7.2f %7.1f %7.1f", c.name.c_str(), Median(ops),
              Median(cpu), Median(p50), Median(p99));
  if (Median(writes) > 0) {
    std::printf(" %6.1f", Median(writes));
  } else {
    std::printf(" %6s", "-");
  }
  std::printf(" | %10.0f %7.2f %7.1f %7.1f | %5.2f %5.2f\n", Median(peer_ops),
              Median(peer_cpu), Median(peer_p50), Median(peer_p99),
              Median(ops_ratio), Median(cpu_ratio));
}

void WriteCsvLine(std::FILE* f, int round, const Rounds& c, const char* who,
                  const Result& r) {
  std::fprintf(f, "%d,%s,%d,%s,%.0f,%.3f,%.2f,%.2f,%.2f\n", round,
               c.name.c_str(), c.depth, who, r.ops_per_second, r.cpu_us_per_op,
               r.p50_us, r.p99_us, r.cmds_per_write);
}

int Fail(absl::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(what.size()), what.data(),
               status.ToString().c_str());
  return 1;
}

// --count=ours/async/<N>:<n>. Before the GETs it lets absl's clock
// calibrate (two absl::Now() calls 0.6 s apart), as client_benchmark does:
// until then each absl::Now() (one per flush) takes a slow path that a
// long-running process never sees.
int RunCount(const std::string& spec, async::EventLoop& loop,
             async::Client& client) {
  absl::string_view rest = spec;
  int depth = 0;
  int64_t n = 0;
  const bool prefixed = absl::ConsumePrefix(&rest, "ours/async/");
  const size_t colon = rest.rfind(':');
  if (!prefixed || colon == absl::string_view::npos ||
      !absl::SimpleAtoi(rest.substr(0, colon), &depth) ||
      !absl::SimpleAtoi(rest.substr(colon + 1), &n) || depth < 1 || n < 0) {
    std::fprintf(stderr, "bad --count spec: %s (want ours/async/<depth>:<n>)\n",
                 spec.c_str());
    return 2;
  }
  (void)absl::Now();
  absl::SleepFor(absl::Milliseconds(600));
  (void)absl::Now();
  Shared shared;
  shared.budget = static_cast<uint64_t>(n);
  std::vector<async::Task<void>> tasks =
      StartCallers(loop, client, depth, shared);
  if (absl::Status s = JoinCallers(tasks); !s.ok()) return Fail("GET", s);
  std::printf("%llu GETs at depth %d\n",
              static_cast<unsigned long long>(shared.ops.load()), depth);
  return 0;
}

// --count=ours/asynccache/get16:<n>: n typed Get cache hits of one key
// from this thread (each future is resolved when Get returns: no I/O, no
// loop turn), for callgrind. RESP3 with the cache, unlike the other cases.
int RunCacheCount(const std::string& spec, async::EventLoop& loop,
                  valkey::ClientOptions options) {
  absl::string_view rest = spec;
  int64_t n = 0;
  if (!absl::ConsumePrefix(&rest, "ours/asynccache/get16:") ||
      !absl::SimpleAtoi(rest, &n) || n < 0) {
    std::fprintf(stderr,
                 "bad --count spec: %s (want ours/asynccache/get16:<n>)\n",
                 spec.c_str());
    return 2;
  }
  options.connection.protocol = 3;
  options.cache.enabled = true;
  absl::StatusOr<std::unique_ptr<async::Client>> client =
      async::Client::Create(loop, options, async::AsyncOptions());
  if (!client.ok()) return Fail("async::Client::Create", client.status());
  // The first GET fills the entry (once tracking is on); from then on
  // every GET is a hit.
  for (int i = 0; i < 5000 && (*client)->cache_stats().hits == 0; ++i) {
    absl::StatusOr<std::optional<std::string>> v =
        (*client)->Get(kKey).Get(absl::Seconds(10));
    if (!v.ok()) return Fail("GET", v.status());
    absl::SleepFor(absl::Milliseconds(1));
  }
  const int64_t before = (*client)->cache_stats().hits;
  for (int64_t i = 0; i < n; ++i) {
    absl::StatusOr<std::optional<std::string>> v =
        (*client)->Get(kKey).Get(absl::Seconds(10));
    if (!v.ok()) return Fail("GET", v.status());
    if (!v->has_value() || (*v)->size() != kValue.size()) {
      return Fail("GET", absl::InternalError("the wrong value"));
    }
  }
  const int64_t hits = (*client)->cache_stats().hits - before;
  std::printf("%lld of %lld GETs were cache hits\n",
              static_cast<long long>(hits), static_cast<long long>(n));
  return hits == n ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const valkey::bench::BenchFlags flags =
      valkey::bench::TakeBenchFlags(argc, argv);
  double seconds = 1;
  int rounds = 3;
  std::vector<int> depths = {1, 16, 50, 256};
  std::string csv_out;
  // AsyncOptions::write_during_dispatch: "true" (the default), "false", or
  // "both" (every async/N case is also run with it off, as async1w/N).
  std::string write_during_dispatch = "true";
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
    arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--csv_out=") && !arg.empty()) {
      csv_out = std::string(arg);
      continue;
    }
    arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--write_during_dispatch=") &&
        (arg == "true" || arg == "false" || arg == "both")) {
      write_during_dispatch = std::string(arg);
      continue;
    }
    arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--depths=")) {
      depths.clear();
      bool ok = true;
      for (absl::string_view d : absl::StrSplit(arg, ',')) {
        int v = 0;
        ok = ok && absl::SimpleAtoi(d, &v) && v >= 1 && v <= 100000;
        depths.push_back(v);
      }
      if (ok && !depths.empty()) continue;
    }
    std::fprintf(stderr,
                 "unknown or bad argument: %s\n"
                 "usage: async_benchmark [--url=valkey://host:port] "
                 "[--seconds=1] [--rounds=3] [--depths=1,16,50,256] "
                 "[--csv_out=path] [--write_during_dispatch=true|false|both] "
                 "[--count=ours/async/<depth>:<n>|ours/asynccache/get16:<n>]\n",
                 argv[i]);
    return 2;
  }
  const absl::Duration window = absl::Seconds(seconds);

  // Fail before starting anything if the peer cannot be run.
  const std::string peer_binary = FindValkeyBenchmark();
  if (peer_binary.empty() && flags.count.empty()) {
    std::fprintf(stderr,
                 "valkey-benchmark not found ($VALKEY_BENCHMARK_BIN, PATH, "
                 "/usr/bin/valkey-benchmark); install valkey-tools (see "
                 "tools/setup.sh). The peer is required, not optional.\n");
    return 2;
  }
  std::FILE* csv = nullptr;
  if (!csv_out.empty()) {
    csv = std::fopen(csv_out.c_str(), "w");
    if (csv == nullptr) {
      std::fprintf(stderr, "--csv_out=%s: %s\n", csv_out.c_str(),
                   std::strerror(errno));
      return 2;
    }
    std::fprintf(csv,
                 "round,case,depth,who,ops_per_s,cpu_us_per_op,p50_us,p99_us,"
                 "cmds_per_write\n");
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

  absl::StatusOr<std::unique_ptr<async::EventLoopThread>> thread =
      async::EventLoopThread::Start();
  if (!thread.ok()) return Fail("EventLoopThread::Start", thread.status());
  valkey::ClientOptions options;
  options.connection = g_options;
  async::AsyncOptions async_options;
  async_options.write_during_dispatch = write_during_dispatch != "false";
  absl::StatusOr<std::unique_ptr<async::Client>> client =
      async::Client::Create((*thread)->loop(), options, async_options);
  if (!client.ok()) return Fail("async::Client::Create", client.status());
  // With "both": a second client, one write per loop turn.
  std::unique_ptr<async::Client> one_write;
  if (write_during_dispatch == "both") {
    async_options.write_during_dispatch = false;
    absl::StatusOr<std::unique_ptr<async::Client>> c =
        async::Client::Create((*thread)->loop(), options, async_options);
    if (!c.ok()) return Fail("async::Client::Create", c.status());
    one_write = *std::move(c);
  }
  absl::StatusOr<bool> set =
      (*client)->Set(kKey, kValue).Get(absl::Seconds(10));
  if (!set.ok()) return Fail("SET", set.status());

  if (absl::StartsWith(flags.count, "ours/asynccache/")) {
    const int rc = RunCacheCount(flags.count, (*thread)->loop(), options);
    client->reset();
    return rc;
  }
  if (!flags.count.empty()) {
    const int rc = RunCount(flags.count, (*thread)->loop(), **client);
    client->reset();
    return rc;
  }

  std::printf(
      "server: %s, valkey-benchmark: %s, %d rounds, %.1f s per case and "
      "round\n",
      g_options.Address().c_str(), peer_binary.c_str(), rounds, seconds);

  std::vector<Rounds> cases;
  for (int depth : depths) {
    cases.push_back(
        Rounds{.name = absl::StrCat("async/", depth), .depth = depth});
    if (one_write != nullptr) {
      cases.push_back(Rounds{.name = absl::StrCat("async1w/", depth),
                             .depth = depth,
                             .one_write = true});
    }
  }
  cases.push_back(Rounds{.name = "sync/1", .depth = 1, .sync = true});

  // Each case is followed at once by a valkey-benchmark run at the same
  // depth, and its ratio is taken against that run: on a shared machine the
  // rate drifts by tens of percent within a minute (and jumps between
  // regimes), less within a second or two. Rounds go through every case in
  // turn; the table shows medians over the rounds.
  std::map<int, double> peer_rps;  // By depth.
  for (int round = 1; round <= rounds; ++round) {
    for (Rounds& c : cases) {
      absl::StatusOr<Result> r =
          c.sync
              ? RunSync(window)  // The async client idles meanwhile.
              : RunAsync((*thread)->loop(), c.one_write ? *one_write : **client,
                         c.depth, window);
      if (!r.ok()) return Fail(c.name, r.status());
      absl::StatusOr<Result> peer =
          RunPeer(peer_binary, c.depth, window, &peer_rps[c.depth]);
      if (!peer.ok()) return Fail("valkey-benchmark", peer.status());
      std::printf(
          "round %d %-10s %10.0f GET/s %6.2f us CPU p50 %7.1f p99 %7.1f us | "
          "-P %-3d %10.0f GET/s %6.2f us CPU p50 %7.1f p99 %7.1f us\n",
          round, c.name.c_str(), r->ops_per_second, r->cpu_us_per_op, r->p50_us,
          r->p99_us, c.depth, peer->ops_per_second, peer->cpu_us_per_op,
          peer->p50_us, peer->p99_us);
      std::fflush(stdout);
      if (csv != nullptr) {
        WriteCsvLine(csv, round, c, "ours", *r);
        WriteCsvLine(csv, round, c, "valkey-benchmark", *peer);
        std::fflush(csv);
      }
      c.ours.push_back(*std::move(r));
      c.peer.push_back(*std::move(peer));
    }
  }
  // Closes the connections before the loop's thread stops.
  client->reset();
  one_write.reset();
  if (csv != nullptr) std::fclose(csv);

  std::printf(
      "\nmedians of %d rounds; peer: valkey-benchmark -c 1 -P <depth> -t get, "
      "run right after each case (latencies in us)\n",
      rounds);
  std::printf("%-10s %10s %7s %7s %7s %6s | %10s %7s %7s %7s | %5s %5s\n",
              "case", "GET/s", "CPU/op", "p50", "p99", "c/wr", "peer GET/s",
              "CPU/op", "p50", "p99", "ops", "CPU");
  for (const Rounds& c : cases) PrintRow(c);
  std::printf(
      "ratios: ours / peer, per round (ops > 1: more GET/s; CPU < 1: less "
      "client CPU per GET); c/wr: commands per write system call\n");
  return 0;
}
