// RatioReporter: Google Benchmark's console output, then a table that sets
// each "ours/<case>" run beside "<peer>/<case>" from the same process and
// prints ours/peer. Absolute times on shared machines drift by tens of
// percent between runs; a ratio measured in one run does not.

#ifndef VALKEY_BENCHMARKS_RATIO_REPORTER_H_
#define VALKEY_BENCHMARKS_RATIO_REPORTER_H_

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"

namespace valkey::bench {

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  explicit RatioReporter(std::string peer) : peer_(std::move(peer)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      Entry& e = entries_[run.benchmark_name()];
      e.ns = run.GetAdjustedRealTime();
      auto items = run.counters.find("items_per_second");
      e.items_per_second = items == run.counters.end() ? 0.0 : items->second.value;
      auto cpu = run.counters.find("cpu_us/op");
      e.cpu_us = cpu == run.counters.end() ? -1.0 : cpu->second.value;
    }
  }

  // Prints one row per case that ran for both sides, in `cases` order.
  void PrintTable(const std::vector<std::string>& cases) const {
    PrintTable(cases, peer_);
  }
  // Same, against "<peer>/<case>" instead of the constructor's peer (for a
  // binary whose cases have different peers).
  void PrintTable(const std::vector<std::string>& cases,
                  const std::string& peer_name) const {
    std::printf("\n%-28s %12s %12s %8s %14s\n", "case", "ours ns",
                (peer_name + " ns").c_str(), "ratio", "ours ops/s");
    for (const std::string& c : cases) {
      auto ours = Find("ours/" + c);
      auto peer = Find(peer_name + "/" + c);
      if (ours == nullptr || peer == nullptr) continue;
      std::printf("%-28s %12.1f %12.1f %8.2f %14.0f\n", c.c_str(), ours->ns,
                  peer->ns, ours->ns / peer->ns, ours->items_per_second);
    }
    // Client CPU per operation, for the cases that report it (thread_cpu.h).
    bool header = false;
    for (const std::string& c : cases) {
      auto ours = Find("ours/" + c);
      auto peer = Find(peer_name + "/" + c);
      if (ours == nullptr || peer == nullptr || ours->cpu_us < 0 ||
          peer->cpu_us <= 0) {
        continue;
      }
      if (!header) {
        std::printf("\n%-28s %14s %14s %8s\n", "case", "ours cpu us/op",
                    (peer_name + " cpu us/op").c_str(), "ratio");
        header = true;
      }
      std::printf("%-28s %14.2f %14.2f %8.2f\n", c.c_str(), ours->cpu_us,
                  peer->cpu_us, ours->cpu_us / peer->cpu_us);
    }
  }

 private:
  struct Entry {
    double ns = 0;
    double items_per_second = 0;
    double cpu_us = -1;  // "cpu_us/op" counter; negative when absent.
  };
  const Entry* Find(const std::string& prefix) const {
    // Names may carry suffixes such as "/real_time" or "/threads:8".
    auto it = entries_.lower_bound(prefix);
    if (it == entries_.end() || it->first.compare(0, prefix.size(), prefix) != 0)
      return nullptr;
    return &it->second;
  }

  const std::string peer_;
  std::map<std::string, Entry> entries_;
};

}  // namespace valkey::bench

#endif  // VALKEY_BENCHMARKS_RATIO_REPORTER_H_
