// CurrentProcessId: getpid() without a system call, for the fork checks on
// hot paths.
//
//   const pid_t owner = valkey::CurrentProcessId();   // at construction
//   ...
//   if (valkey::CurrentProcessId() != owner) {        // per command
//     // fork()ed child: the sockets, threads and epoll instance belong
//     // to the parent; refuse or start over.
//   }
//
// Objects that own sockets, threads or an epoll instance record the process
// that made them and refuse to use them (or start over) in a child. Calling
// getpid() for every command would be correct but is a system call each
// time (glibc stopped caching the pid in 2.25; about 1.7 us on the project's
// machines — more than a client-side cache hit). CurrentProcessId() reads a
// value that a pthread_atfork() child handler refreshes in every child
// fork() creates.
//
// Limits: only fork() (and whatever else runs the atfork handlers) is seen.
// A child made with a raw clone() system call that goes on using library
// objects is not detected; vfork() or posix_spawn() followed by exec never
// uses them.
//
// Process-wide state: the one cached pid. A fork is a process-wide event,
// so this is the one place where the library keeps global state; it is
// written once by the first call and then only by the child handler.
//
// Thread-safety: thread-safe and lock-free.

#ifndef VALKEY_COMMON_PROCESS_ID_H_
#define VALKEY_COMMON_PROCESS_ID_H_

#include <sys/types.h>

#include <atomic>

#include "absl/base/optimization.h"

namespace valkey {
namespace process_id_internal {

// 0 until the first call of CurrentProcessId. Relaxed ordering is enough:
// the child handler runs in the child before it has any thread but the
// forking one.
inline std::atomic<pid_t> cached_pid{0};

// Installs the fork handler once; returns the pid.
pid_t Install();

}  // namespace process_id_internal

// The calling process's ID, as getpid() would return it. The first call
// installs the fork handler (constructors of fork-checked objects call it,
// so it is in place before the fork that matters). Inline: the hot paths'
// check is a load and a compare, not a call.
inline pid_t CurrentProcessId() {
  const pid_t pid =
      process_id_internal::cached_pid.load(std::memory_order_relaxed);
  if (ABSL_PREDICT_TRUE(pid != 0)) return pid;
  return process_id_internal::Install();
}

}  // namespace valkey

#endif  // VALKEY_COMMON_PROCESS_ID_H_
