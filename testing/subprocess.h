// Child processes for the test fixtures: run a tool to completion (openssl),
// or spawn a long-lived server and later stop it by PID.
//
// Spawned children get PR_SET_PDEATHSIG(SIGKILL): if the thread that spawned
// them dies (the test crashed), the kernel kills them too, so a failed test
// never leaves a server behind. Consequence: spawn from a thread that
// outlives the child (the test's main thread, normally).
//
// Thread-safety: the functions are thread-safe; a PID must be waited for by
// one thread only.

#ifndef VALKEY_TESTING_SUBPROCESS_H_
#define VALKEY_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace valkey::testing {

// Runs argv (argv[0] is a path) with stdin from /dev/null and returns its
// stdout+stderr. INTERNAL when it exits non-zero or by a signal (the message
// holds the command and its output), DEADLINE_EXCEEDED after `timeout` (the
// child is killed), UNAVAILABLE when it cannot be started.
absl::StatusOr<std::string> RunCommand(
    const std::vector<std::string>& argv,
    absl::Duration timeout = absl::Seconds(30));

// Starts argv in the background with stdout and stderr appended to
// `output_path`. Returns its PID. The caller must reap it (WaitForExit /
// TryReap). INTERNAL when fork fails; a failing exec shows as exit code 127.
absl::StatusOr<pid_t> SpawnProcess(const std::vector<std::string>& argv,
                                   const std::string& output_path);

// Reaps `pid` if it has exited: returns its wait status, or nullopt while it
// still runs (or is not our child).
std::optional<int> TryReap(pid_t pid);

// Waits up to `timeout` for `pid` to exit; returns its wait status, or
// DEADLINE_EXCEEDED.
absl::StatusOr<int> WaitForExit(pid_t pid, absl::Duration timeout);

// "exit code 1", "killed by signal 9 (Killed)".
std::string DescribeWaitStatus(int wait_status);

// Searches PATH (and /usr/bin, /usr/local/bin) for an executable; empty when
// none is found.
std::string FindExecutable(const std::string& name);

}  // namespace valkey::testing

#endif  // VALKEY_TESTING_SUBPROCESS_H_
