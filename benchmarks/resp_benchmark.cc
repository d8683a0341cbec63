// RESP codec micro-benchmarks: valkey-cpp's writer and reader against
// hiredis (Debian's libhiredis 0.14) in the same binary, with the ratio
// ours/hiredis printed at the end (below 1.0 means we are faster).
//
// Scenarios (each runs once for us and once for hiredis):
//   write/get          pack GET key (argv form on both sides)
//   write/set16        pack SET key <16-byte value>
//   write/set1k        pack SET key <1 KiB value>
//   write/mset100      pack MSET with 100 key/16-byte-value pairs
//   read/ok            feed "+OK\r\n", parse it into a reply, free it
//   read/int           feed ":1234567\r\n", parse, free
//   read/bulk16        feed a 16-byte bulk string, parse, free
//   read/array100      feed an array of 100 16-byte bulk strings, parse, free
//   read/map10         RESP3 map of 10 bulk key/value pairs; hiredis 0.14
//                      has no RESP3, so its side parses the same strings as a
//                      RESP2 flat array of 20 bulks (the HGETALL shape)
// Ours writes into a reused std::string (no allocation per command); hiredis
// mallocs each packed command. Both readers are fed and drained every
// iteration, and every reply is freed.
//
//   bazel run -c opt //benchmarks:resp_benchmark
//   bazel run -c opt //benchmarks:resp_benchmark -- --benchmark_filter=read/
//
// Instruction counts (exact, for callgrind): run with
//   --count=<ours|hiredis>/<case>:<iterations>
// to execute just that case's loop body n times and exit; the difference of
// two counts divided by the difference of iterations is the cost per call.

#include <hiredis/hiredis.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "benchmark/benchmark.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_reader.h"
#include "valkey/common/resp_writer.h"

namespace {

// ---------------------------------------------------------------- inputs --

struct Command {
  std::vector<std::string> storage;
  std::vector<absl::string_view> views;
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;

  explicit Command(std::vector<std::string> args) : storage(std::move(args)) {
    for (const std::string& s : storage) {
      views.emplace_back(s);
      argv.push_back(s.data());
      argvlen.push_back(s.size());
    }
  }
};

Command MakeWriteCase(absl::string_view name) {
  const std::string v16(16, 'v');
  if (name == "get") return Command({"GET", "key:000001"});
  if (name == "set16") return Command({"SET", "key:000001", v16});
  if (name == "set1k") return Command({"SET", "key:000001", std::string(1024, 'v')});
  std::vector<std::string> args = {"MSET"};
  for (int i = 0; i < 100; ++i) {
    args.push_back("key:" + std::to_string(100000 + i));
    args.push_back(v16);
  }
  return Command(std::move(args));
}

// Reply bytes for a read case; `resp2` asks for the hiredis-compatible form.
std::string MakeReadCase(absl::string_view name, bool resp2) {
  std::string out;
  const std::string v16 = "0123456789abcdef";
  if (name == "ok") {
    valkey::resp::AppendSimpleString(out, "OK");
  } else if (name == "int") {
    valkey::resp::AppendInteger(out, 1234567);
  } else if (name == "bulk16") {
    valkey::resp::AppendBulkString(out, v16);
  } else if (name == "array100") {
    valkey::resp::AppendArrayHeader(out, 100);
    for (int i = 0; i < 100; ++i) valkey::resp::AppendBulkString(out, v16);
  } else {  // map10
    if (resp2) {
      valkey::resp::AppendArrayHeader(out, 20);
    } else {
      valkey::resp::AppendMapHeader(out, 10);
    }
    for (int i = 0; i < 10; ++i) {
      valkey::resp::AppendBulkString(out, "field:" + std::to_string(i));
      valkey::resp::AppendBulkString(out, v16);
    }
  }
  return out;
}

const char* const kWriteCases[] = {"get", "set16", "set1k", "mset100"};
const char* const kReadCases[] = {"ok", "int", "bulk16", "array100", "map10"};

// ------------------------------------------------------------ loop bodies --

struct OursWriter {
  explicit OursWriter(absl::string_view name) : cmd(MakeWriteCase(name)) {
    out.reserve(8192);
  }
  void Run() {
    out.clear();
    valkey::AppendCommandArgv(out, cmd.views);
    benchmark::DoNotOptimize(out.data());
  }
  Command cmd;
  std::string out;
};

struct HiredisWriter {
  explicit HiredisWriter(absl::string_view name) : cmd(MakeWriteCase(name)) {}
  void Run() {
    char* packed = nullptr;
    const int len = redisFormatCommandArgv(&packed, static_cast<int>(cmd.argv.size()),
                                           cmd.argv.data(), cmd.argvlen.data());
    benchmark::DoNotOptimize(len);
    benchmark::DoNotOptimize(packed);
    redisFreeCommand(packed);
  }
  Command cmd;
};

struct OursReader {
  explicit OursReader(absl::string_view name) : bytes(MakeReadCase(name, false)) {}
  void Run() {
    reader.Feed(bytes);
    absl::StatusOr<std::optional<valkey::Reply>> r = reader.Next();
    if (!r.ok() || !r->has_value()) std::abort();
    benchmark::DoNotOptimize(r->value().type());
  }
  std::string bytes;
  valkey::RespReader reader;
};

struct HiredisReader {
  explicit HiredisReader(absl::string_view name) : bytes(MakeReadCase(name, true)) {
    reader = redisReaderCreate();
  }
  ~HiredisReader() { redisReaderFree(reader); }
  HiredisReader(const HiredisReader&) = delete;
  HiredisReader& operator=(const HiredisReader&) = delete;
  void Run() {
    redisReaderFeed(reader, bytes.data(), bytes.size());
    void* reply = nullptr;
    if (redisReaderGetReply(reader, &reply) != REDIS_OK || reply == nullptr) {
      std::abort();
    }
    benchmark::DoNotOptimize(static_cast<redisReply*>(reply)->type);
    freeReplyObject(reply);
  }
  std::string bytes;
  redisReader* reader;
};

template <typename Body>
void RunBenchmark(benchmark::State& state, const std::string& name,
                  int64_t items) {
  Body body(name);
  for (auto _ : state) body.Run();
  state.SetItemsProcessed(state.iterations() * items);
}

// -------------------------------------------------------------- reporting --

// Prints the usual console output and remembers each run's time, so the
// ours/hiredis table can be printed after all runs.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      times_[run.benchmark_name()] = run.GetAdjustedRealTime();
    }
  }

  void PrintTable() const {
    std::printf("\n%-16s %12s %12s %8s\n", "case", "ours ns", "hiredis ns",
                "ratio");
    auto row = [&](const std::string& c) {
      auto ours = times_.find("ours/" + c);
      auto peer = times_.find("hiredis/" + c);
      if (ours == times_.end() || peer == times_.end()) return;
      std::printf("%-16s %12.1f %12.1f %8.2f\n", c.c_str(), ours->second,
                  peer->second, ours->second / peer->second);
    };
    for (const char* c : kWriteCases) row(std::string("write/") + c);
    for (const char* c : kReadCases) row(std::string("read/") + c);
    auto ours = times_.find("ours/read/array100");
    auto peer = times_.find("hiredis/read/array100");
    if (ours != times_.end() && peer != times_.end()) {
      std::printf("read/array100 per element: ours %.1f ns, hiredis %.1f ns\n",
                  ours->second / 100, peer->second / 100);
    }
    std::printf(
        "read/map10: hiredis %d.%d has no RESP3; its column parses the same "
        "strings as a RESP2 array of 20 bulks.\n",
        HIREDIS_MAJOR, HIREDIS_MINOR);
  }

 private:
  std::map<std::string, double> times_;
};

void RegisterAll() {
  for (const char* c : kWriteCases) {
    const std::string name = c;
    benchmark::RegisterBenchmark(("ours/write/" + name).c_str(),
                                 [name](benchmark::State& s) {
                                   RunBenchmark<OursWriter>(s, name, 1);
                                 });
    benchmark::RegisterBenchmark(("hiredis/write/" + name).c_str(),
                                 [name](benchmark::State& s) {
                                   RunBenchmark<HiredisWriter>(s, name, 1);
                                 });
  }
  for (const char* c : kReadCases) {
    const std::string name = c;
    benchmark::RegisterBenchmark(("ours/read/" + name).c_str(),
                                 [name](benchmark::State& s) {
                                   RunBenchmark<OursReader>(s, name, 1);
                                 });
    benchmark::RegisterBenchmark(("hiredis/read/" + name).c_str(),
                                 [name](benchmark::State& s) {
                                   RunBenchmark<HiredisReader>(s, name, 1);
                                 });
  }
}

// --count=<ours|hiredis>/<write|read>/<case>:<n>: runs one body n times.
template <typename Body>
int CountLoop(const std::string& name, long n) {
  Body body(name);
  for (long i = 0; i < n; ++i) body.Run();
  return 0;
}

int RunCount(const std::string& spec) {
  const size_t colon = spec.rfind(':');
  if (colon == std::string::npos) return 2;
  const std::string what = spec.substr(0, colon);
  const long n = std::strtol(spec.c_str() + colon + 1, nullptr, 10);
  const size_t s1 = what.find('/');
  const size_t s2 = what.find('/', s1 + 1);
  if (s1 == std::string::npos || s2 == std::string::npos) return 2;
  const std::string who = what.substr(0, s1);
  const std::string kind = what.substr(s1 + 1, s2 - s1 - 1);
  const std::string name = what.substr(s2 + 1);
  if (who == "ours" && kind == "write") return CountLoop<OursWriter>(name, n);
  if (who == "ours" && kind == "read") return CountLoop<OursReader>(name, n);
  if (who == "hiredis" && kind == "write") {
    return CountLoop<HiredisWriter>(name, n);
  }
  if (who == "hiredis" && kind == "read") {
    return CountLoop<HiredisReader>(name, n);
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--count=", 8) == 0) {
      const int rc = RunCount(argv[i] + 8);
      if (rc != 0) std::fprintf(stderr, "bad --count spec: %s\n", argv[i] + 8);
      return rc;
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RegisterAll();
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintTable();
  benchmark::Shutdown();
  return 0;
}
