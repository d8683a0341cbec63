#include "valkey/common/handshake.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "valkey/common/errors.h"
#include "valkey/common/resp_reader.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace {

std::string Packed(std::initializer_list<CommandArg> args) {
  std::string out;
  AppendCommand(out, args);
  return out;
}

Reply Parse(absl::string_view bytes) {
  RespReader reader;
  reader.Feed(bytes);
  Reply reply;
  EXPECT_EQ(reader.Read(&reply), RespReader::Result::kReply);
  return reply;
}

ConnectionOptions Bare() {
  ConnectionOptions options;
  options.send_lib_info = false;
  return options;
}

TEST(HandshakeTest, Resp3FoldsAuthAndNameIntoHello) {
  ConnectionOptions options = Bare();
  options.client_name = "app";
  auto plan = HandshakePlan::Create(options, Credentials{"alice", "pw"});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->bytes(),
            Packed({"HELLO", "3", "AUTH", "alice", "pw", "SETNAME", "app"}));
  ASSERT_EQ(plan->size(), 1u);
  EXPECT_EQ(plan->step(0), HandshakePlan::Step::kHello);
}

TEST(HandshakeTest, Resp3PasswordOnlyIsDefaultUser) {
  auto plan = HandshakePlan::Create(Bare(), Credentials{"", "pw"});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->bytes(), Packed({"HELLO", "3", "AUTH", "default", "pw"}));
}

TEST(HandshakeTest, Resp2StepsInOrder) {
  ConnectionOptions options;
  options.protocol = 2;
  options.client_name = "app";
  options.db = 5;
  options.client_capa_redirect = true;
  auto plan = HandshakePlan::Create(options, Credentials{"", "pw"});
  ASSERT_TRUE(plan.ok());
  std::string expected = Packed({"AUTH", "pw"});
  expected += Packed({"CLIENT", "SETNAME", "app"});
  expected += Packed({"CLIENT", "SETINFO", "LIB-NAME", "valkey-cpp"});
  expected += Packed({"CLIENT", "SETINFO", "LIB-VER", kLibraryVersion});
  expected += Packed({"CLIENT", "CAPA", "redirect"});
  expected += Packed({"SELECT", "5"});
  EXPECT_EQ(plan->bytes(), expected);
  EXPECT_EQ(plan->size(), 6u);
}

TEST(HandshakeTest, UserWithoutPasswordAuthenticatesNopassUser) {
  ConnectionOptions options = Bare();
  options.protocol = 2;
  auto plan = HandshakePlan::Create(options, Credentials{"svc", ""});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->bytes(), Packed({"AUTH", "svc", ""}));
}

TEST(HandshakeTest, NoCredentialsNoSteps) {
  ConnectionOptions options = Bare();
  options.protocol = 2;
  auto plan = HandshakePlan::Create(options, std::nullopt);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->size(), 0u);
  auto empty = HandshakePlan::Create(options, Credentials{"", ""});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size(), 0u);
}

TEST(HandshakeTest, ReauthIsOneAuthStep) {
  HandshakePlan plan = HandshakePlan::CreateReauth(Credentials{"bob", "pw2"});
  EXPECT_EQ(plan.bytes(), Packed({"AUTH", "bob", "pw2"}));
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan.step(0), HandshakePlan::Step::kAuth);

  EXPECT_EQ(HandshakePlan::CreateReauth(Credentials{"", "pw"}).bytes(),
            Packed({"AUTH", "pw"}));
  // Nothing given: back to the default user (accepted when it is nopass).
  EXPECT_EQ(HandshakePlan::CreateReauth(Credentials{}).bytes(),
            Packed({"AUTH", "default", ""}));
}

TEST(HandshakeTest, ReauthCheckNamesUserNotPassword) {
  HandshakePlan plan =
      HandshakePlan::CreateReauth(Credentials{"bob", "hunter2"});
  EXPECT_TRUE(plan.Check(0, Parse("+OK\r\n").view(), "127.0.0.1:1").ok());
  absl::Status refused = plan.Check(
      0,
      Parse("-WRONGPASS invalid username-password pair hunter2\r\n").view(),
      "127.0.0.1:1");
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "as 'bob'")) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "127.0.0.1:1")) << refused;
  EXPECT_FALSE(absl::StrContains(refused.message(), "hunter2")) << refused;
}

TEST(HandshakeTest, BadProtocol) {
  ConnectionOptions options = Bare();
  options.protocol = 1;
  EXPECT_EQ(HandshakePlan::Create(options, std::nullopt).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HandshakeTest, CheckJudgesReplies) {
  ConnectionOptions options;
  options.protocol = 3;
  options.db = 2;
  auto plan = HandshakePlan::Create(options, Credentials{"bob", "secret-pw"});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->size(), 4u);  // HELLO, SETINFO x2, SELECT.
  const std::string addr = "127.0.0.1:6379";

  EXPECT_TRUE(plan->Check(0, Parse("%1\r\n+server\r\n+valkey\r\n").view(), addr)
                  .ok());
  absl::Status wrongpass = plan->Check(
      0, Parse("-WRONGPASS invalid username-password pair\r\n").view(), addr);
  EXPECT_EQ(wrongpass.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(wrongpass.message(), "127.0.0.1:6379"));
  EXPECT_TRUE(absl::StrContains(wrongpass.message(), "'bob'"));
  EXPECT_FALSE(absl::StrContains(wrongpass.message(), "secret-pw"));

  absl::Status noproto =
      plan->Check(0, Parse("-NOPROTO unsupported protocol version\r\n").view(),
                  addr);
  EXPECT_EQ(noproto.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(noproto.message(), "protocol to 2"));

  absl::Status unexpected = plan->Check(0, Parse("+OK\r\n").view(), addr);
  EXPECT_EQ(unexpected.code(), absl::StatusCode::kDataLoss);

  // CLIENT SETINFO failures are tolerated.
  EXPECT_TRUE(
      plan->Check(1, Parse("-ERR unknown subcommand 'SETINFO'\r\n").view(),
                  addr)
          .ok());
  absl::Status select =
      plan->Check(3, Parse("-ERR DB index is out of range\r\n").view(), addr);
  EXPECT_FALSE(select.ok());
  EXPECT_TRUE(absl::StrContains(select.message(), "SELECT 2 on 127.0.0.1:6379"))
      << select;
}

// A server without HELLO (or one that echoes arguments) quotes the whole
// command back, password included: the status must not carry it, in its
// message nor in a payload, yet still say what failed and where.
TEST(HandshakeTest, CheckScrubsEchoedPassword) {
  const std::string addr = "127.0.0.1:6379";
  {
    auto plan =
        HandshakePlan::Create(Bare(), Credentials{"bob", "Echoed-Pw-1"});
    ASSERT_TRUE(plan.ok());
    const absl::Status s = plan->Check(
        0,
        Parse("-ERR unknown command 'HELLO', with args beginning with: '3' "
              "'AUTH' 'bob' 'Echoed-Pw-1' \r\n")
            .view(),
        addr);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_FALSE(absl::StrContains(s.ToString(), "Echoed-Pw-1")) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "HELLO")) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), addr)) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "protocol to 2")) << s;

    // A non-error answer that echoes the command is no better.
    const absl::Status odd =
        plan->Check(0, Parse("+3 AUTH bob Echoed-Pw-1\r\n").view(), addr);
    EXPECT_EQ(odd.code(), absl::StatusCode::kDataLoss) << odd;
    EXPECT_FALSE(absl::StrContains(odd.ToString(), "Echoed-Pw-1")) << odd;
  }
  {
    ConnectionOptions options = Bare();
    options.protocol = 2;
    auto plan =
        HandshakePlan::Create(options, Credentials{"bob", "Echoed-Pw-2"});
    ASSERT_TRUE(plan.ok());
    const absl::Status s = plan->Check(
        0,
        Parse("-ERR unknown command 'AUTH', with args beginning with: 'bob' "
              "'Echoed-Pw-2' \r\n")
            .view(),
        addr);
    EXPECT_FALSE(absl::StrContains(s.ToString(), "Echoed-Pw-2")) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "authenticate to " + addr))
        << s;
    EXPECT_EQ(ServerErrorPrefix(s), "ERR") << s;
  }
}

}  // namespace
}  // namespace valkey
