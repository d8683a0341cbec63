// ToolServer: a command line tool serving on a TCP port for a test (an
// `openssl ocsp` responder, an `openssl s_server`), stopped by its PID.
//
//   int port = *FreeLoopbackPort();
//   absl::StatusOr<std::unique_ptr<ToolServer>> s = ToolServer::Start(
//       {"/usr/bin/openssl", "s_server", "-accept",
//        absl::StrCat("127.0.0.1:", port), ...}, port, dir + "/s_server.log");
//
// Start() returns once the tool itself listens on the port (its socket
// found in /proc/net/tcp and tcp6 by inode, so no probe connection disturbs
// the tool and another process on the port is not mistaken for it). The
// destructor sends SIGTERM, then SIGKILL after two seconds, and reaps the
// process; the spawned child also dies with the spawning thread (subprocess.h).
//
// Thread-safety: one thread per ToolServer.

#ifndef VALKEY_TESTING_TOOL_SERVER_H_
#define VALKEY_TESTING_TOOL_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace valkey::testing {

// A loopback TCP port nothing listens on right now (bind port 0, read it
// back, close). Another process may take it before it is used.
absl::StatusOr<int> FreeLoopbackPort();

class ToolServer {
 public:
  // Spawns argv (stdin /dev/null, output appended to `log_path`) and waits
  // up to `timeout` until something listens on `port`.
  // Errors: UNAVAILABLE when the tool exits first, DEADLINE_EXCEEDED when it
  // does not listen in time (both with the log's end).
  static absl::StatusOr<std::unique_ptr<ToolServer>> Start(
      const std::vector<std::string>& argv, int port,
      const std::string& log_path, absl::Duration timeout = absl::Seconds(10));

  ~ToolServer();
  ToolServer(const ToolServer&) = delete;
  ToolServer& operator=(const ToolServer&) = delete;

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  // The end of the tool's output, for failure messages.
  std::string LogTail() const;

 private:
  ToolServer(pid_t pid, int port, std::string log_path)
      : pid_(pid), port_(port), log_path_(std::move(log_path)) {}

  pid_t pid_;
  int port_;
  std::string log_path_;
};

}  // namespace valkey::testing

#endif  // VALKEY_TESTING_TOOL_SERVER_H_
