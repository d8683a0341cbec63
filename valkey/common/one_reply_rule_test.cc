#include "valkey/common/one_reply_rule.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "valkey/common/errors.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace {

absl::Status Check(std::vector<std::string> words) {
  std::vector<CommandArg> args(words.begin(), words.end());
  return CheckOneReplyPerCommand(args);
}

TEST(OneReplyRuleTest, RefusesModeChangingCommandsInAnyCase) {
  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{
           {"SUBSCRIBE", "a"},
           {"subscribe", "a", "b"},
           {"PSubscribe", "a*"},
           {"SSUBSCRIBE", "s"},
           {"UNSUBSCRIBE"},
           {"punsubscribe"},
           {"SUNSUBSCRIBE", "s"},
           {"MONITOR"},
           {"CLIENT", "REPLY", "OFF"},
           {"client", "reply", "skip"},
           {"reset"}}) {
    const absl::Status s = Check(cmd);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << cmd[0];
    EXPECT_EQ(GetErrorKind(s), ErrorKind::kInvalidArgument) << cmd[0];
    EXPECT_TRUE(absl::StrContains(s.message(), absl::AsciiStrToUpper(cmd[0])))
        << s;
  }
}

TEST(OneReplyRuleTest, AllowsEverythingElse) {
  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{},
                                             {"GET", "k"},
                                             {"PUBLISH", "ch", "m"},
                                             {"SPUBLISH", "ch", "m"},
                                             {"CLIENT", "REPLY", "ON"},
                                             {"CLIENT", "REPLY"},
                                             {"CLIENT", "SETNAME", "x"},
                                             {"PUBSUB", "CHANNELS"},
                                             {"SUBSCRIBED"},
                                             {"RESETSTAT"},
                                             {"MONITORS"}}) {
    EXPECT_TRUE(Check(cmd).ok()) << (cmd.empty() ? "<empty>" : cmd[0]);
  }
}

TEST(OneReplyRuleTest, CheckSendableRefusesEmptyAndModeChangingCommands) {
  const absl::Status empty = CheckSendable({});
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorKind(empty), ErrorKind::kInvalidArgument);
  EXPECT_EQ(empty.message(), "empty command");

  std::vector<CommandArg> monitor{"MONITOR"};
  EXPECT_EQ(CheckSendable(monitor), CheckOneReplyPerCommand(monitor));
  std::vector<CommandArg> get{"GET", "k"};
  EXPECT_TRUE(CheckSendable(get).ok());
}

}  // namespace
}  // namespace valkey
