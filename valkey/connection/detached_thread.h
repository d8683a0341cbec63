// RunDetached: runs a task on a new detached thread of its own, for the
// blocking work an event loop must never do itself (a name lookup, an OCSP
// responder query). The task owns everything it touches: nobody joins it,
// so whatever it reports back must go through something that outlives it
// (a weak pointer checked under a lock, then EventLoop::Post).
//
// Thread-safety: callable from any thread.

#ifndef VALKEY_CONNECTION_DETACHED_THREAD_H_
#define VALKEY_CONNECTION_DETACHED_THREAD_H_

#include <cstddef>

#include "absl/functional/any_invocable.h"

namespace valkey::internal {

// Starts `task` on a new detached thread with a stack of `stack_bytes`.
// False (and `task` not run) when no thread could be started.
bool RunDetached(absl::AnyInvocable<void() &&> task,
                 size_t stack_bytes = 256 * 1024);

}  // namespace valkey::internal

#endif  // VALKEY_CONNECTION_DETACHED_THREAD_H_
