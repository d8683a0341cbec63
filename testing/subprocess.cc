#include "testing/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace valkey::testing {
namespace {

std::vector<char*> ArgvPointers(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  out.reserve(argv.size() + 1);
  for (const std::string& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

// In the child after fork(): only async-signal-safe calls from here on.
[[noreturn]] void ExecChild(char* const* argv, int out_fd, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(126);  // The parent died before prctl.
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, 0);
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  execv(argv[0], argv);
  _exit(127);
}

}  // namespace

std::string DescribeWaitStatus(int ws) {
  if (WIFEXITED(ws)) return absl::StrCat("exit code ", WEXITSTATUS(ws));
  if (WIFSIGNALED(ws)) {
    return absl::StrCat("killed by signal ", WTERMSIG(ws), " (",
                        strsignal(WTERMSIG(ws)), ")");
  }
  return absl::StrCat("wait status ", ws);
}

std::optional<int> TryReap(pid_t pid) {
  int ws = 0;
  pid_t r;
  do {
    r = waitpid(pid, &ws, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid) return ws;
  return std::nullopt;
}

absl::StatusOr<int> WaitForExit(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (std::optional<int> ws = TryReap(pid)) return *ws;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("process ", pid, " still running after ",
                       absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
}

absl::StatusOr<pid_t> SpawnProcess(const std::vector<std::string>& argv,
                                   const std::string& output_path) {
  int out_fd = open(output_path.c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out_fd < 0) {
    return absl::InternalError(
        absl::StrCat("open ", output_path, ": ", strerror(errno)));
  }
  std::vector<char*> args = ArgvPointers(argv);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(out_fd);
    return absl::InternalError(absl::StrCat("fork: ", strerror(err)));
  }
  if (pid == 0) ExecChild(args.data(), out_fd, parent);
  close(out_fd);
  return pid;
}

absl::StatusOr<std::string> RunCommand(const std::vector<std::string>& argv,
                                       absl::Duration timeout) {
  const std::string command = absl::StrJoin(argv, " ");
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::UnavailableError(absl::StrCat("pipe: ", strerror(errno)));
  }
  std::vector<char*> args = ArgvPointers(argv);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(fds[0]);
    close(fds[1]);
    return absl::UnavailableError(absl::StrCat("fork: ", strerror(err)));
  }
  if (pid == 0) ExecChild(args.data(), fds[1], parent);
  close(fds[1]);

  std::string output;
  const absl::Time deadline = absl::Now() + timeout;
  bool timed_out = false;
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[4096];
    ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (timed_out) {
    kill(pid, SIGKILL);
    WaitForExit(pid, absl::Seconds(5)).IgnoreError();
    return absl::DeadlineExceededError(
        absl::StrCat("`", command, "` did not finish within ",
                     absl::FormatDuration(timeout), "; output:\n", output));
  }
  absl::StatusOr<int> ws = WaitForExit(pid, absl::Seconds(10));
  if (!ws.ok()) {
    kill(pid, SIGKILL);
    WaitForExit(pid, absl::Seconds(5)).IgnoreError();
    return ws.status();
  }
  if (WIFEXITED(*ws) && WEXITSTATUS(*ws) == 127) {
    return absl::UnavailableError(
        absl::StrCat("could not execute `", command, "`: ", output));
  }
  if (!WIFEXITED(*ws) || WEXITSTATUS(*ws) != 0) {
    return absl::InternalError(absl::StrCat("`", command, "` failed (",
                                            DescribeWaitStatus(*ws),
                                            "); output:\n", output));
  }
  return output;
}

std::string FindExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return access(name.c_str(), X_OK) == 0 ? name : "";
  }
  std::vector<std::string> dirs;
  if (const char* path = getenv("PATH")) {
    dirs = absl::StrSplit(path, ':', absl::SkipEmpty());
  }
  dirs.push_back("/usr/bin");
  dirs.push_back("/usr/local/bin");
  for (const std::string& dir : dirs) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace valkey::testing
