#include "testing/echo_server.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/raw_client.h"

namespace valkey::testing {
namespace {

TEST(EchoServerTest, EchoesEveryArgumentLikeOldServers) {
  absl::StatusOr<std::unique_ptr<EchoServer>> server = EchoServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<RawConnection> conn =
      RawConnection::Tcp((*server)->host(), (*server)->port());
  ASSERT_TRUE(conn.ok()) << conn.status();
  absl::StatusOr<std::string> line =
      conn->Command({"HELLO", "3", "AUTH", "u", "sekret"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line,
            "-ERR unknown command 'HELLO', with args beginning with: '3' "
            "'AUTH' 'u' 'sekret' ");
  // Two commands in one write get two replies, in order.
  ASSERT_TRUE(conn->Send(absl::StrCat(EncodeRespCommand({"PING"}),
                                      EncodeRespCommand({"GET", "k"})))
                  .ok());
  EXPECT_EQ(*conn->ReadLine(),
            "-ERR unknown command 'PING', with args beginning with: ");
  EXPECT_EQ(*conn->ReadLine(),
            "-ERR unknown command 'GET', with args beginning with: 'k' ");
  EXPECT_EQ((*server)->commands_seen(), 3);
}

TEST(EchoServerTest, CustomResponder) {
  absl::StatusOr<std::unique_ptr<EchoServer>> server =
      EchoServer::Start([](const std::vector<std::string>& argv) {
        return absl::StrCat("+", argv.size(), "\r\n");
      });
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<RawConnection> conn =
      RawConnection::Tcp((*server)->host(), (*server)->port());
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_EQ(*conn->Command({"A", "B", "C"}), "+3");
}

}  // namespace
}  // namespace valkey::testing
