#include "valkey/sentinel/sentinel_rules.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "valkey/common/config.h"
#include "valkey/common/errors.h"
#include "valkey/common/resp_reader.h"

namespace valkey {
namespace {

using ::valkey::testing::IsOk;
using ::valkey::testing::StatusIs;

Reply ParseResp(absl::string_view bytes) {
  RespReader reader;
  reader.Feed(bytes);
  absl::StatusOr<std::optional<Reply>> reply = reader.Next();
  EXPECT_TRUE(reply.ok() && reply->has_value()) << bytes;
  return reply.ok() && reply->has_value() ? **std::move(reply) : Reply();
}

void ExpectParsedState(const Reply& reply) {
  absl::StatusOr<SentinelNodeState> state =
      ParseSentinelNodeState(reply.view());
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->name(), "mymaster");
  EXPECT_EQ(state->address(), (NodeAddress{"10.0.0.1", 6380}));
  EXPECT_TRUE(state->is_master());
  EXPECT_TRUE(state->is_sdown());
  EXPECT_FALSE(state->is_odown());
  EXPECT_EQ(state->num_other_sentinels(), 2);
}

TEST(SentinelStateTest, ParsesResp2FlatArray) {
  ExpectParsedState(
      ParseResp("*10\r\n$4\r\nname\r\n$8\r\nmymaster\r\n$2\r\nip\r\n"
                "$8\r\n10.0.0.1\r\n$4\r\nport\r\n$4\r\n6380\r\n"
                "$5\r\nflags\r\n$13\r\nmaster,s_down\r\n"
                "$19\r\nnum-other-sentinels\r\n$1\r\n2\r\n"));
}

TEST(SentinelStateTest, ParsesResp3MapWithIntegers) {
  const Reply reply = ParseResp(
      "%5\r\n$4\r\nname\r\n$8\r\nmymaster\r\n$2\r\nip\r\n"
      "$8\r\n10.0.0.1\r\n$4\r\nport\r\n:6380\r\n"
      "$5\r\nflags\r\n$13\r\nmaster,s_down\r\n"
      "$19\r\nnum-other-sentinels\r\n:2\r\n");
  ExpectParsedState(reply);
}

TEST(SentinelStateTest, RejectsOtherShapes) {
  EXPECT_FALSE(ParseSentinelNodeState(ParseResp(":1\r\n").view()).ok());
  EXPECT_FALSE(
      ParseSentinelNodeState(ParseResp("*1\r\n$1\r\na\r\n").view()).ok());
  EXPECT_FALSE(ParseSentinelNodeStates(ParseResp(":1\r\n").view()).ok());
}

// A RESP2 SENTINEL MASTER entry with the given flags and address.
std::string MasterEntry(absl::string_view flags, absl::string_view ip,
                        absl::string_view port, int others) {
  const std::string n = std::to_string(others);
  return "*8\r\n$2\r\nip\r\n$" + std::to_string(ip.size()) + "\r\n" +
         std::string(ip) + "\r\n$4\r\nport\r\n$" + std::to_string(port.size()) +
         "\r\n" + std::string(port) + "\r\n$5\r\nflags\r\n$" +
         std::to_string(flags.size()) + "\r\n" + std::string(flags) +
         "\r\n$19\r\nnum-other-sentinels\r\n$" + std::to_string(n.size()) +
         "\r\n" + n + "\r\n";
}

TEST(SentinelRulesTest, MasterFromReplyAcceptsAUsableMaster) {
  absl::StatusOr<NodeAddress> master = sentinel_rules::MasterFromReply(
      ParseResp(MasterEntry("master", "10.0.0.1", "6380", 2)).view(), 2);
  ASSERT_THAT(master.status(), IsOk());
  EXPECT_EQ(*master, (NodeAddress{"10.0.0.1", 6380}));
}

TEST(SentinelRulesTest, MasterFromReplyRefusesUnusableMasters) {
  for (const std::string& entry :
       {MasterEntry("master,s_down", "10.0.0.1", "6380", 2),
        MasterEntry("master,o_down", "10.0.0.1", "6380", 2),
        MasterEntry("slave", "10.0.0.1", "6380", 2),
        MasterEntry("master", "10.0.0.1", "6380", 1),  // Too few others.
        MasterEntry("master", "", "6380", 2),
        MasterEntry("master", "10.0.0.1", "0", 2)}) {
    EXPECT_THAT(
        sentinel_rules::MasterFromReply(ParseResp(entry).view(), 2).status(),
        StatusIs(absl::StatusCode::kNotFound))
        << entry;
  }
}

TEST(SentinelRulesTest, ReplicasFromReplySkipsDownAndDisconnected) {
  const std::string reply =
      "*4\r\n" + MasterEntry("slave", "10.0.0.2", "6379", 0) +
      MasterEntry("slave,s_down", "10.0.0.3", "6379", 0) +
      MasterEntry("slave,disconnected", "10.0.0.4", "6379", 0) +
      MasterEntry("slave", "10.0.0.5", "6379", 0);
  absl::StatusOr<std::vector<NodeAddress>> replicas =
      sentinel_rules::ReplicasFromReply(ParseResp(reply).view());
  ASSERT_THAT(replicas.status(), IsOk());
  EXPECT_EQ(*replicas,
            (std::vector<NodeAddress>{{"10.0.0.2", 6379}, {"10.0.0.5", 6379}}));
}

// Both clients try replicas in this order; the blocking one goes down the
// whole list in one connect, the async one takes one entry per attempt.
TEST(SentinelRulesTest, ReplicaOrderStartsAtTheCursorAndWraps) {
  const std::vector<NodeAddress> replicas = {{"a", 1}, {"b", 2}, {"c", 3}};
  EXPECT_EQ(sentinel_rules::ReplicaOrder(replicas, 0), replicas);
  EXPECT_EQ(sentinel_rules::ReplicaOrder(replicas, 4),
            (std::vector<NodeAddress>{{"b", 2}, {"c", 3}, {"a", 1}}));
  EXPECT_TRUE(sentinel_rules::ReplicaOrder({}, 7).empty());
}

TEST(SentinelRulesTest, ValidateOptionsNamesTheField) {
  SentinelOptions options;
  EXPECT_THAT(sentinel_rules::ValidateOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("sentinel.sentinels")));
  options.sentinels = {{"127.0.0.1", 26379}, {"127.0.0.1", 0}};
  EXPECT_THAT(sentinel_rules::ValidateOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("sentinel.sentinels[1].port")));
  options.sentinels = {{"", 26379}};
  EXPECT_THAT(sentinel_rules::ValidateOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("sentinel.sentinels[0].host")));
  options.sentinels = {{"127.0.0.1", 26379}};
  options.max_connections_per_sentinel = 0;
  EXPECT_THAT(
      sentinel_rules::ValidateOptions(options),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::HasSubstr("sentinel.max_connections_per_sentinel")));
  options.max_connections_per_sentinel = 1;
  options.min_other_sentinels = -1;
  EXPECT_THAT(sentinel_rules::ValidateOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("sentinel.min_other_sentinels")));
  options.min_other_sentinels = 0;
  EXPECT_THAT(sentinel_rules::ValidateOptions(options), IsOk());
}

TEST(SentinelRulesTest, ConnectionForUsesTheSentinelAddressAndABoundedWait) {
  SentinelOptions options;
  options.connection.unix_path = "/tmp/x.sock";
  options.connection.db = 3;
  options.connection.socket_timeout = absl::InfiniteDuration();
  const ConnectionOptions c =
      sentinel_rules::ConnectionFor(options, {"127.0.0.1", 26380});
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 26380);
  EXPECT_TRUE(c.unix_path.empty());
  EXPECT_EQ(c.db, 0);
  EXPECT_EQ(c.socket_timeout, kDefaultSentinelSocketTimeout);
}

}  // namespace
}  // namespace valkey
