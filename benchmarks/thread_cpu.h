// ThreadCpuPerOp: reports the CPU time (user + system, from
// getrusage(RUSAGE_THREAD)) that the calling thread spent per benchmark
// iteration as the counter "cpu_us/op".
//
//   void BM_Get(benchmark::State& state) {
//     ... set-up, not counted ...
//     ThreadCpuPerOp cpu(state);  // Just before the loop.
//     for (auto _ : state) { ... }
//   }                             // Reported when `cpu` goes out of scope.
//
// Wall-clock round trips on a shared machine move with its load; the
// client's own CPU per operation, kernel time included, is what a client
// library controls. The server is another process, so its CPU is never
// counted. Single-threaded benchmarks only: the time is the thread's.

#ifndef VALKEY_BENCHMARKS_THREAD_CPU_H_
#define VALKEY_BENCHMARKS_THREAD_CPU_H_

#include <sys/resource.h>
#include <sys/time.h>

#include "benchmark/benchmark.h"

namespace valkey::bench {

// User + system CPU time of the calling thread, in microseconds.
inline double ThreadCpuMicros() {
  rusage usage{};
  if (getrusage(RUSAGE_THREAD, &usage) != 0) return 0;
  auto micros = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) * 1e6 +
           static_cast<double>(tv.tv_usec);
  };
  return micros(usage.ru_utime) + micros(usage.ru_stime);
}

class ThreadCpuPerOp {
 public:
  explicit ThreadCpuPerOp(benchmark::State& state)
      : state_(state), start_(ThreadCpuMicros()) {}
  ~ThreadCpuPerOp() {
    if (state_.iterations() == 0) return;
    state_.counters["cpu_us/op"] =
        (ThreadCpuMicros() - start_) / static_cast<double>(state_.iterations());
  }
  ThreadCpuPerOp(const ThreadCpuPerOp&) = delete;
  ThreadCpuPerOp& operator=(const ThreadCpuPerOp&) = delete;

 private:
  benchmark::State& state_;
  const double start_;
};

}  // namespace valkey::bench

#endif  // VALKEY_BENCHMARKS_THREAD_CPU_H_
