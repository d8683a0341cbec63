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

namespace valkey {

// The calling process's ID, as getpid() would return it. The first call
// installs the fork handler (constructors of fork-checked objects call it,
// so it is in place before the fork that matters).
pid_t CurrentProcessId();

}  // namespace valkey

#endif  // VALKEY_COMMON_PROCESS_ID_H_
