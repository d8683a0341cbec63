#include "testing/fork/forked_child.h"

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace valkey::testing {

absl::StatusOr<int> RunInForkedChild(absl::FunctionRef<int()> body,
                                     absl::Duration timeout) {
  const pid_t child = ::fork();
  if (child < 0) {
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (child == 0) ::_exit(body() & 0xff);
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (done < 0 && errno != EINTR) {
      return absl::InternalError(
          absl::StrCat("waitpid: ", std::strerror(errno)));
    }
    if (absl::Now() >= deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      return absl::DeadlineExceededError(
          absl::StrCat("the forked child did not exit within ",
                       absl::FormatDuration(timeout), " (killed)"));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return absl::InternalError(
      absl::StrCat("the forked child died of signal ",
                   WIFSIGNALED(status) ? WTERMSIG(status) : -1));
}

}  // namespace valkey::testing
