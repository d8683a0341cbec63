// The sync Client (typed commands, pipelines, the client-side cache) against
// hiredis, on one valkey-server, in one run.
//
// Scenarios (each "ours/<case>" beside "<peer>/<case>", ratio printed):
//   client/get16        Client::Get of a 16-byte value (typed: the reply
//                       becomes std::optional<std::string>), one round trip;
//                       peer: hiredis redisCommandArgv
//   client/set16        Client::Set of a 16-byte value; peer as above
//   client/pipeline100  Pipeline with 100 Get, Execute, then each slot read
//                       with PipelineResults::Get; peer: hiredis
//                       redisAppendCommandArgv x100 + redisGetReply x100
//   cache/get16         Client::Get of one key with the client-side cache
//                       enabled (every read after the first is a hit); peer
//                       "uncached": the same Client (RESP3) without the cache
//
// The single-command cases (get16, set16, both sides) also report the
// client thread's CPU time per operation, user + system, from getrusage
// ("cpu_us/op", thread_cpu.h); the ratio table prints it beside the times.
//
// The client/* cases use RESP2 without CLIENT SETINFO, as hiredis does; the
// cache/* cases use RESP3 on both sides (the cache needs it).
//
// The benchmark starts its own valkey-server on loopback (//testing), or uses
// --url=valkey://host:port. Run:
//   bazel run -c opt //benchmarks:client_benchmark
// --count=<who>/<case>:<n> runs one case n times outside Google Benchmark,
// for callgrind (see docs/benchmarks.md). One case exists only there:
// ours/cache/exec16, the cache/get16 hit through Execute("GET", key)
// (the reply itself, no typed conversion).

#include <hiredis/hiredis.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "benchmarks/bench_target.h"
#include "benchmarks/ratio_reporter.h"
#include "benchmarks/thread_cpu.h"
#include "testing/valkey_server.h"
#include "valkey/client/client.h"
#include "valkey/client/pipeline.h"
#include "valkey/common/config.h"
#include "valkey/common/url.h"

namespace {

using valkey::Client;
using valkey::ClientOptions;
using valkey::ConnectionOptions;

ConnectionOptions g_options;  // RESP2, no CLIENT SETINFO.
const std::string kKey = "bench:key";
const std::string kValue(16, 'v');
constexpr int kPipeline = 100;

enum class Kind { kResp2, kUncached, kCached };

std::unique_ptr<Client> MakeClient(Kind kind) {
  ClientOptions options;
  options.connection = g_options;
  if (kind != Kind::kResp2) options.connection.protocol = 3;
  options.cache.enabled = kind == Kind::kCached;
  auto client = Client::Create(std::move(options));
  if (!client.ok()) {
    std::fprintf(stderr, "Client::Create: %s\n",
                 client.status().ToString().c_str());
    return nullptr;
  }
  return *std::move(client);
}

redisContext* OpenHiredis() {
  redisContext* c = g_options.is_unix()
                        ? redisConnectUnix(g_options.unix_path.c_str())
                        : redisConnect(g_options.host.c_str(), g_options.port);
  if (c == nullptr || c->err) {
    if (c) redisFree(c);
    return nullptr;
  }
  return c;
}

// One typed GET; false on any failure or a missing key.
bool OursGetOnce(Client& client) {
  absl::StatusOr<std::optional<std::string>> v = client.Get(kKey);
  if (!v.ok() || !v->has_value()) return false;
  benchmark::DoNotOptimize((*v)->data());
  return true;
}

// One Execute("GET"); false on any failure or a reply that is not a string.
bool OursExecuteGetOnce(Client& client) {
  absl::StatusOr<valkey::Reply> r = client.Execute("GET", kKey);
  if (!r.ok() || !r->is_string()) return false;
  benchmark::DoNotOptimize(r->str().data());
  return true;
}

bool OursSetOnce(Client& client) {
  absl::StatusOr<bool> done = client.Set(kKey, kValue);
  return done.ok() && *done;
}

// 100 typed GETs in one pipeline; each result read back as a value.
bool OursPipelineOnce(valkey::Pipeline& pipe) {
  std::array<valkey::Slot<std::optional<std::string>>, kPipeline> slots;
  for (int i = 0; i < kPipeline; ++i) slots[i] = pipe.Get(kKey);
  absl::StatusOr<valkey::PipelineResults> results = pipe.Execute();
  if (!results.ok()) return false;
  for (const auto& slot : slots) {
    absl::StatusOr<std::optional<std::string>> v = results->Get(slot);
    if (!v.ok() || !v->has_value()) return false;
    benchmark::DoNotOptimize((*v)->data());
  }
  return true;
}

bool HiredisOnce(redisContext* c, bool set) {
  const char* argv[] = {set ? "SET" : "GET", kKey.c_str(), kValue.c_str()};
  const size_t lens[] = {3, kKey.size(), kValue.size()};
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, set ? 3 : 2, argv, lens));
  if (reply == nullptr) return false;
  const bool ok = reply->type == (set ? REDIS_REPLY_STATUS : REDIS_REPLY_STRING);
  benchmark::DoNotOptimize(reply->str);
  freeReplyObject(reply);
  return ok;
}

bool HiredisPipelineOnce(redisContext* c) {
  const char* argv[] = {"GET", kKey.c_str()};
  const size_t lens[] = {3, kKey.size()};
  for (int i = 0; i < kPipeline; ++i) redisAppendCommandArgv(c, 2, argv, lens);
  for (int i = 0; i < kPipeline; ++i) {
    void* reply = nullptr;
    if (redisGetReply(c, &reply) != REDIS_OK) return false;
    benchmark::DoNotOptimize(static_cast<redisReply*>(reply)->str);
    freeReplyObject(reply);
  }
  return true;
}

void OursGet(benchmark::State& state, Kind kind) {
  auto client = MakeClient(kind);
  if (!client) return state.SkipWithError("client failed");
  valkey::bench::ThreadCpuPerOp cpu(state);
  for (auto _ : state) {
    if (!OursGetOnce(*client)) return state.SkipWithError("GET failed");
  }
  state.SetItemsProcessed(state.iterations());
  if (kind == Kind::kCached) {
    const valkey::CacheStats stats = client->cache_stats();
    state.counters["hits"] = static_cast<double>(stats.hits);
    state.counters["misses"] = static_cast<double>(stats.misses);
  }
}

void OursSet(benchmark::State& state) {
  auto client = MakeClient(Kind::kResp2);
  if (!client) return state.SkipWithError("client failed");
  valkey::bench::ThreadCpuPerOp cpu(state);
  for (auto _ : state) {
    if (!OursSetOnce(*client)) return state.SkipWithError("SET failed");
  }
  state.SetItemsProcessed(state.iterations());
}

void OursPipeline(benchmark::State& state) {
  auto client = MakeClient(Kind::kResp2);
  if (!client) return state.SkipWithError("client failed");
  valkey::Pipeline pipe(*client);
  for (auto _ : state) {
    if (!OursPipelineOnce(pipe)) return state.SkipWithError("pipeline failed");
  }
  state.SetItemsProcessed(state.iterations() * kPipeline);
}

void HiredisCommand(benchmark::State& state, bool set) {
  redisContext* c = OpenHiredis();
  if (!c) return state.SkipWithError("connect failed");
  std::optional<valkey::bench::ThreadCpuPerOp> cpu(std::in_place, state);
  for (auto _ : state) {
    if (!HiredisOnce(c, set)) {
      redisFree(c);
      return state.SkipWithError("command failed");
    }
  }
  cpu.reset();  // Before redisFree: only the loop is counted.
  redisFree(c);
  state.SetItemsProcessed(state.iterations());
}

void HiredisPipeline(benchmark::State& state) {
  redisContext* c = OpenHiredis();
  if (!c) return state.SkipWithError("connect failed");
  for (auto _ : state) {
    if (!HiredisPipelineOnce(c)) {
      redisFree(c);
      return state.SkipWithError("read failed");
    }
  }
  redisFree(c);
  state.SetItemsProcessed(state.iterations() * kPipeline);
}

// --count=<who>/<case>:<n>, e.g. ours/client/get16:1000,
// hiredis/client/pipeline100:100, ours/cache/get16:1000,
// uncached/cache/get16:1000. Runs n iterations outside Google Benchmark (a
// pipeline100 iteration is 100 commands); run twice with different n under
// callgrind: the difference in instructions over the difference in n is the
// client-side cost per iteration, setup excluded.
//
// Before the loop it lets absl's clock calibrate (two absl::Now() calls
// 0.6 s apart): until then every absl::Now() (the connection computes a
// deadline per send and per reply) takes a ~110-instruction slow path that
// reads the kernel clock, which a long-running process never sees but a short
// run under valgrind would count on every command.
int RunCount(const std::string& spec) {
  benchmark::DoNotOptimize(absl::Now());
  absl::SleepFor(absl::Milliseconds(600));
  benchmark::DoNotOptimize(absl::Now());
  const size_t colon = spec.rfind(':');
  const size_t slash = spec.find('/');
  if (colon == std::string::npos || slash == std::string::npos ||
      slash > colon) {
    return 2;
  }
  const std::string who = spec.substr(0, slash);
  const std::string what = spec.substr(slash + 1, colon - slash - 1);
  const long n = std::strtol(spec.c_str() + colon + 1, nullptr, 10);
  if (n < 0) return 2;
  if (who == "hiredis") {
    if (what != "client/get16" && what != "client/set16" &&
        what != "client/pipeline100") {
      return 2;
    }
    redisContext* c = OpenHiredis();
    if (!c) return 1;
    bool ok = true;
    for (long i = 0; i < n && ok; ++i) {
      ok = what == "client/pipeline100" ? HiredisPipelineOnce(c)
                                        : HiredisOnce(c, what == "client/set16");
    }
    redisFree(c);
    return ok ? 0 : 1;
  }
  Kind kind;
  if (who == "ours" && what.rfind("client/", 0) == 0) {
    kind = Kind::kResp2;
  } else if (who == "ours" &&
             (what == "cache/get16" || what == "cache/exec16")) {
    kind = Kind::kCached;
  } else if (who == "uncached" && what == "cache/get16") {
    kind = Kind::kUncached;
  } else {
    return 2;
  }
  auto client = MakeClient(kind);
  if (!client) return 1;
  if (what == "client/pipeline100") {
    valkey::Pipeline pipe(*client);
    for (long i = 0; i < n; ++i) {
      if (!OursPipelineOnce(pipe)) return 1;
    }
    return 0;
  }
  if (what == "client/set16") {
    for (long i = 0; i < n; ++i) {
      if (!OursSetOnce(*client)) return 1;
    }
    return 0;
  }
  if (what == "cache/exec16") {
    for (long i = 0; i < n; ++i) {
      if (!OursExecuteGetOnce(*client)) return 1;
    }
    return 0;
  }
  if (what != "client/get16" && what != "cache/get16") return 2;
  for (long i = 0; i < n; ++i) {
    if (!OursGetOnce(*client)) return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const valkey::bench::BenchFlags flags =
      valkey::bench::TakeBenchFlags(argc, argv);
  const std::string& count = flags.count;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  std::unique_ptr<valkey::bench::BenchTarget> target =
      valkey::bench::BenchTarget::Open(flags.url);
  if (target == nullptr) return 2;
  g_options = target->options();
  // hiredis speaks RESP2 and sends no handshake; match it (the cache cases
  // switch to RESP3 in MakeClient).
  g_options.protocol = 2;
  g_options.send_lib_info = false;
  std::printf("server: %s\n", g_options.Address().c_str());

  {
    auto client = MakeClient(Kind::kResp2);
    if (!client || !OursSetOnce(*client)) {
      std::fprintf(stderr, "cannot reach the server at %s\n",
                   g_options.Address().c_str());
      return 2;
    }
  }
  if (!count.empty()) {
    const int rc = RunCount(count);
    if (rc == 2) std::fprintf(stderr, "bad --count spec: %s\n", count.c_str());
    return rc;
  }

  benchmark::RegisterBenchmark("ours/client/get16", OursGet, Kind::kResp2)
      ->UseRealTime();
  benchmark::RegisterBenchmark("hiredis/client/get16", HiredisCommand, false)
      ->UseRealTime();
  benchmark::RegisterBenchmark("ours/client/set16", OursSet)->UseRealTime();
  benchmark::RegisterBenchmark("hiredis/client/set16", HiredisCommand, true)
      ->UseRealTime();
  benchmark::RegisterBenchmark("ours/client/pipeline100", OursPipeline)
      ->UseRealTime();
  benchmark::RegisterBenchmark("hiredis/client/pipeline100", HiredisPipeline)
      ->UseRealTime();
  benchmark::RegisterBenchmark("ours/cache/get16", OursGet, Kind::kCached)
      ->UseRealTime();
  benchmark::RegisterBenchmark("uncached/cache/get16", OursGet,
                               Kind::kUncached)
      ->UseRealTime();

  valkey::bench::RatioReporter reporter("hiredis");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintTable({"client/get16", "client/set16", "client/pipeline100"});
  reporter.PrintTable({"cache/get16"}, "uncached");
  benchmark::Shutdown();
  return 0;
}
