#include "valkey/common/process_id.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>

#include "absl/base/optimization.h"

namespace valkey {
namespace {

// 0 until the first call. Relaxed ordering is enough: the child handler
// runs in the child before it has any thread but the forking one.
std::atomic<pid_t> cached_pid{0};

void RefreshInChild() {
  cached_pid.store(::getpid(), std::memory_order_relaxed);
}

pid_t Install() {
  // A function-local static: installed once per process image (children
  // inherit both the handler and the flag).
  static const bool installed = [] {
    cached_pid.store(::getpid(), std::memory_order_relaxed);
    ::pthread_atfork(nullptr, nullptr, &RefreshInChild);
    return true;
  }();
  (void)installed;
  return cached_pid.load(std::memory_order_relaxed);
}

}  // namespace

pid_t CurrentProcessId() {
  const pid_t pid = cached_pid.load(std::memory_order_relaxed);
  if (ABSL_PREDICT_TRUE(pid != 0)) return pid;
  return Install();
}

}  // namespace valkey
