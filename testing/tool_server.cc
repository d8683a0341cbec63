#include "testing/tool_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "testing/subprocess.h"

namespace valkey::testing {
namespace {

// The inodes of the sockets process `pid` has open.
std::set<std::string> SocketInodes(pid_t pid) {
  std::set<std::string> out;
  const std::string dir = absl::StrCat("/proc/", pid, "/fd");
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    char target[128];
    const std::string link = absl::StrCat(dir, "/", e->d_name);
    const ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
    if (n <= 0) continue;
    absl::string_view t(target, n);
    if (absl::ConsumePrefix(&t, "socket:[") && absl::ConsumeSuffix(&t, "]")) {
      out.insert(std::string(t));
    }
  }
  closedir(d);
  return out;
}

// True if /proc/net/tcp or tcp6 has a socket of process `pid` in LISTEN
// (state 0A) on `port` (another process on the port does not count).
bool Listening(int port, pid_t pid) {
  // Sockets this process also holds do not count: between fork and exec
  // (and through inherited descriptors) the child shares ours.
  std::set<std::string> mine = SocketInodes(pid);
  for (const std::string& inode : SocketInodes(getpid())) mine.erase(inode);
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // Header.
    while (std::getline(in, line)) {
      std::vector<std::string> fields =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (fields.size() < 10 || fields[3] != "0A" || !mine.count(fields[9])) {
        continue;
      }
      const size_t colon = fields[1].rfind(':');
      int local_port = 0;
      if (colon != std::string::npos &&
          absl::SimpleHexAtoi(fields[1].substr(colon + 1), &local_port) &&
          local_port == port) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<int> FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError(strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string why = strerror(errno);
    close(fd);
    return absl::InternalError(absl::StrCat("free port: ", why));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

absl::StatusOr<std::unique_ptr<ToolServer>> ToolServer::Start(
    const std::vector<std::string>& argv, int port, const std::string& log_path,
    absl::Duration timeout) {
  absl::StatusOr<pid_t> pid = SpawnProcess(argv, log_path);
  if (!pid.ok()) return pid.status();
  std::unique_ptr<ToolServer> server(new ToolServer(*pid, port, log_path));
  const absl::Time deadline = absl::Now() + timeout;
  while (!Listening(port, *pid)) {
    if (std::optional<int> status = TryReap(*pid); status.has_value()) {
      server->pid_ = 0;
      return absl::UnavailableError(absl::StrCat(
          argv[0], " ", argv.size() > 1 ? argv[1] : "", " exited (",
          DescribeWaitStatus(*status), ") before listening on port ", port,
          ": ", server->LogTail()));
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(argv[0], " did not listen on port ", port, " within ",
                       absl::FormatDuration(timeout), ": ", server->LogTail()));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return server;
}

ToolServer::~ToolServer() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  if (!WaitForExit(pid_, absl::Seconds(2)).ok()) {
    kill(pid_, SIGKILL);
    WaitForExit(pid_, absl::Seconds(5)).IgnoreError();
  }
}

std::string ToolServer::LogTail() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  if (text.size() > 2000) text = text.substr(text.size() - 2000);
  return text;
}

}  // namespace valkey::testing
