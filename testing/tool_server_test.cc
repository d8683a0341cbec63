// ToolServer: starts a tool listening on a port and stops it by PID; a
// port another process (here, this test) already listens on is not taken
// for the tool's own.

#include "testing/tool_server.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "testing/subprocess.h"

namespace valkey::testing {
namespace {

using ::testing::HasSubstr;

std::string Openssl() {
  const std::string path = FindExecutable("openssl");
  EXPECT_FALSE(path.empty()) << "the openssl tool is needed";
  return path;
}

std::string LogPath(const std::string& name) {
  const char* dir = getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

TEST(ToolServerTest, StartsListeningAndStopsByPid) {
  ASSERT_OK_AND_ASSIGN(int port, FreeLoopbackPort());
  // `openssl s_server -nocert` needs no certificate for a listening test.
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ToolServer> server,
      ToolServer::Start({Openssl(), "s_server", "-quiet", "-nocert", "-accept",
                         absl::StrCat("127.0.0.1:", port)},
                        port, LogPath("s_server.log")));
  const pid_t pid = server->pid();
  EXPECT_EQ(kill(pid, 0), 0);
  server.reset();
  EXPECT_NE(kill(pid, 0), 0);  // Reaped: no such process.
}

TEST(ToolServerTest, PortTakenByAnotherProcessIsNotMistakenForTheTool) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const int port = ntohs(a.sin_port);
  EXPECT_THAT(ToolServer::Start({Openssl(), "s_server", "-quiet", "-nocert",
                                 "-accept", absl::StrCat("127.0.0.1:", port)},
                                port, LogPath("s_server_clash.log")),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("exited")));
  close(fd);
}

}  // namespace
}  // namespace valkey::testing
