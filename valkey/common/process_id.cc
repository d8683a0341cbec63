#include "valkey/common/process_id.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>

namespace valkey {
namespace process_id_internal {
namespace {

void RefreshInChild() {
  cached_pid.store(::getpid(), std::memory_order_relaxed);
}

}  // namespace

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

}  // namespace process_id_internal
}  // namespace valkey
