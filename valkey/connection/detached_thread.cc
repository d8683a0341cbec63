#include "valkey/connection/detached_thread.h"

#include <pthread.h>

#include <cstddef>
#include <memory>
#include <utility>

#include "absl/functional/any_invocable.h"

namespace valkey::internal {

bool RunDetached(absl::AnyInvocable<void() &&> task, size_t stack_bytes) {
  using Task = absl::AnyInvocable<void() &&>;
  auto* owned = new Task(std::move(task));
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) {
    delete owned;
    return false;
  }
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, stack_bytes);
  pthread_t thread;
  const int rc = pthread_create(
      &thread, &attr,
      [](void* arg) -> void* {
        std::unique_ptr<Task> t(static_cast<Task*>(arg));
        std::move (*t)();
        return nullptr;
      },
      owned);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    delete owned;
    return false;
  }
  return true;
}

}  // namespace valkey::internal
