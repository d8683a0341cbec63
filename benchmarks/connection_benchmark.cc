// Sync connection layer against hiredis, on one valkey-server, in one run.
//
// Scenarios (each "ours/<case>" beside "hiredis/<case>", ratio printed):
//   get16          GET of a 16-byte value, one round trip per iteration
//   set16          SET of a 16-byte value, one round trip per iteration
//   pipeline100    100 GETs written at once, then 100 replies read
// Ours only (no peer has a pool):
//   pool/checkout  Acquire + release of an idle pooled connection
//                  (uncontended, and 8 threads on a pool of 8)
//
// The benchmark starts its own valkey-server on loopback (//testing), or uses
// --url=valkey://host:port. Run:
//   bazel run -c opt //benchmarks:connection_benchmark
// Client-side cost per round trip is best compared with callgrind
// (instruction counts are exact; see docs/benchmarks.md).

#include <hiredis/hiredis.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "benchmark/benchmark.h"
#include "benchmarks/bench_target.h"
#include "benchmarks/ratio_reporter.h"
#include "testing/valkey_server.h"
#include "valkey/common/config.h"
#include "valkey/common/resp_writer.h"
#include "valkey/common/url.h"
#include "valkey/connection/connection.h"
#include "valkey/connection/connection_pool.h"

namespace {

using valkey::Connection;
using valkey::ConnectionOptions;

ConnectionOptions g_options;
const std::string kKey = "bench:key";
const std::string kValue(16, 'v');

std::unique_ptr<Connection> OpenOurs() {
  auto connector = valkey::Connector::Create(g_options);
  if (!connector.ok()) return nullptr;
  auto conn = (*connector)->Connect();
  return conn.ok() ? *std::move(conn) : nullptr;
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

void OursGet(benchmark::State& state) {
  auto conn = OpenOurs();
  if (!conn) return state.SkipWithError("connect failed");
  for (auto _ : state) {
    auto reply = conn->Execute("GET", kKey);
    if (!reply.ok()) return state.SkipWithError("GET failed");
    benchmark::DoNotOptimize(reply->str().data());
  }
  state.SetItemsProcessed(state.iterations());
}

void HiredisGet(benchmark::State& state) {
  redisContext* c = OpenHiredis();
  if (!c) return state.SkipWithError("connect failed");
  const char* argv[] = {"GET", kKey.c_str()};
  const size_t lens[] = {3, kKey.size()};
  for (auto _ : state) {
    auto* reply = static_cast<redisReply*>(redisCommandArgv(c, 2, argv, lens));
    if (reply == nullptr) return state.SkipWithError("GET failed");
    benchmark::DoNotOptimize(reply->str);
    freeReplyObject(reply);
  }
  redisFree(c);
  state.SetItemsProcessed(state.iterations());
}

void OursSet(benchmark::State& state) {
  auto conn = OpenOurs();
  if (!conn) return state.SkipWithError("connect failed");
  for (auto _ : state) {
    auto reply = conn->Execute("SET", kKey, kValue);
    if (!reply.ok()) return state.SkipWithError("SET failed");
  }
  state.SetItemsProcessed(state.iterations());
}

void HiredisSet(benchmark::State& state) {
  redisContext* c = OpenHiredis();
  if (!c) return state.SkipWithError("connect failed");
  const char* argv[] = {"SET", kKey.c_str(), kValue.c_str()};
  const size_t lens[] = {3, kKey.size(), kValue.size()};
  for (auto _ : state) {
    auto* reply = static_cast<redisReply*>(redisCommandArgv(c, 3, argv, lens));
    if (reply == nullptr) return state.SkipWithError("SET failed");
    freeReplyObject(reply);
  }
  redisFree(c);
  state.SetItemsProcessed(state.iterations());
}

constexpr int kPipeline = 100;

void OursPipeline(benchmark::State& state) {
  auto conn = OpenOurs();
  if (!conn) return state.SkipWithError("connect failed");
  std::string batch;
  for (auto _ : state) {
    batch.clear();
    for (int i = 0; i < kPipeline; ++i) valkey::AppendCommand(batch, "GET", kKey);
    if (!conn->Send(batch).ok()) return state.SkipWithError("send failed");
    for (int i = 0; i < kPipeline; ++i) {
      auto reply = conn->ReadReply();
      if (!reply.ok()) return state.SkipWithError("read failed");
      benchmark::DoNotOptimize(reply->str().data());
    }
  }
  state.SetItemsProcessed(state.iterations() * kPipeline);
}

void HiredisPipeline(benchmark::State& state) {
  redisContext* c = OpenHiredis();
  if (!c) return state.SkipWithError("connect failed");
  const char* argv[] = {"GET", kKey.c_str()};
  const size_t lens[] = {3, kKey.size()};
  for (auto _ : state) {
    for (int i = 0; i < kPipeline; ++i) redisAppendCommandArgv(c, 2, argv, lens);
    for (int i = 0; i < kPipeline; ++i) {
      void* reply = nullptr;
      if (redisGetReply(c, &reply) != REDIS_OK) {
        return state.SkipWithError("read failed");
      }
      benchmark::DoNotOptimize(static_cast<redisReply*>(reply)->str);
      freeReplyObject(reply);
    }
  }
  redisFree(c);
  state.SetItemsProcessed(state.iterations() * kPipeline);
}

// --count=<ours|hiredis>/<get16|set16|pipeline100>:<n> runs n iterations
// outside Google Benchmark, for instruction counts with callgrind (run twice
// with different n; the difference divided by the difference in n is the
// client-side cost per iteration, setup excluded).
int RunCount(const std::string& spec) {
  const size_t colon = spec.rfind(':');
  const size_t slash = spec.find('/');
  if (colon == std::string::npos || slash == std::string::npos) return 2;
  const std::string who = spec.substr(0, slash);
  const std::string what = spec.substr(slash + 1, colon - slash - 1);
  const long n = std::strtol(spec.c_str() + colon + 1, nullptr, 10);
  const int batch = what == "pipeline100" ? kPipeline : 1;
  const bool set = what == "set16";
  if (who == "ours") {
    auto conn = OpenOurs();
    if (!conn) return 2;
    std::string out;
    for (long i = 0; i < n; ++i) {
      out.clear();
      for (int j = 0; j < batch; ++j) {
        if (set) {
          valkey::AppendCommand(out, "SET", kKey, kValue);
        } else {
          valkey::AppendCommand(out, "GET", kKey);
        }
      }
      if (!conn->Send(out).ok()) return 1;
      for (int j = 0; j < batch; ++j) {
        auto reply = conn->ReadReply();
        if (!reply.ok()) return 1;
        benchmark::DoNotOptimize(reply->str().data());
      }
    }
    return 0;
  }
  if (who == "hiredis") {
    redisContext* c = OpenHiredis();
    if (!c) return 2;
    const char* argv[] = {set ? "SET" : "GET", kKey.c_str(), kValue.c_str()};
    const size_t lens[] = {3, kKey.size(), kValue.size()};
    const int argc = set ? 3 : 2;
    for (long i = 0; i < n; ++i) {
      for (int j = 0; j < batch; ++j) redisAppendCommandArgv(c, argc, argv, lens);
      for (int j = 0; j < batch; ++j) {
        void* reply = nullptr;
        if (redisGetReply(c, &reply) != REDIS_OK) return 1;
        freeReplyObject(reply);
      }
    }
    redisFree(c);
    return 0;
  }
  return 2;
}

std::unique_ptr<valkey::ConnectionPool> g_pool;

void PoolCheckout(benchmark::State& state) {
  for (auto _ : state) {
    auto conn = g_pool->Acquire();
    if (!conn.ok()) return state.SkipWithError("acquire failed");
    benchmark::DoNotOptimize(conn->get());
  }
  state.SetItemsProcessed(state.iterations());
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
  // hiredis speaks RESP2 and sends no handshake; match it.
  g_options.protocol = 2;
  g_options.send_lib_info = false;
  std::printf("server: %s\n", g_options.Address().c_str());

  {
    auto conn = OpenOurs();
    if (!conn || !conn->Execute("SET", kKey, kValue).ok()) {
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
  valkey::PoolOptions pool_options;
  pool_options.max_connections = 8;
  auto pool = valkey::ConnectionPool::Create(g_options, pool_options);
  if (!pool.ok()) return 2;
  g_pool = *std::move(pool);

  benchmark::RegisterBenchmark("ours/get16", OursGet)->UseRealTime();
  benchmark::RegisterBenchmark("hiredis/get16", HiredisGet)->UseRealTime();
  benchmark::RegisterBenchmark("ours/set16", OursSet)->UseRealTime();
  benchmark::RegisterBenchmark("hiredis/set16", HiredisSet)->UseRealTime();
  benchmark::RegisterBenchmark("ours/pipeline100", OursPipeline)->UseRealTime();
  benchmark::RegisterBenchmark("hiredis/pipeline100", HiredisPipeline)
      ->UseRealTime();
  benchmark::RegisterBenchmark("pool/checkout", PoolCheckout)->UseRealTime();
  benchmark::RegisterBenchmark("pool/checkout", PoolCheckout)
      ->Threads(8)
      ->UseRealTime();

  valkey::bench::RatioReporter reporter("hiredis");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintTable({"get16", "set16", "pipeline100"});
  benchmark::Shutdown();
  g_pool.reset();
  return 0;
}
