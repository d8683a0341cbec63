// Script commands and Script (EVALSHA with EVAL fall-back) against a real
// valkey-server over RESP2 and RESP3.

#include "valkey/commands/script_commands.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "valkey/client/client.h"
#include "valkey/client/client_test_fixture.h"
#include "valkey/client/script.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

using ::valkey::testing::RespClientTest;
using ::valkey::testing::RespName;
using ::valkey::testing::RespProtocols;
using Strings = std::vector<std::string>;

TEST(ScriptSha1Test, MatchesKnownDigests) {
  EXPECT_EQ(ScriptSha1(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(ScriptSha1("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  const Script script("return 1");
  EXPECT_EQ(script.source(), "return 1");
  EXPECT_EQ(script.sha1(), ScriptSha1("return 1"));
}

class ScriptCommandsTest : public RespClientTest {
 protected:
  // "calls" of `command` in INFO commandstats (0 if it never ran).
  int64_t Calls(absl::string_view command) {
    auto stats = client_->Execute("INFO", "commandstats");
    EXPECT_THAT(stats, ::valkey::testing::IsOk());
    if (!stats.ok()) return -1;  // No count: the caller's check fails.
    const std::string prefix = absl::StrCat("cmdstat_", command, ":calls=");
    for (absl::string_view line : absl::StrSplit(stats->str(), "\r\n")) {
      if (!absl::StartsWith(line, prefix)) continue;
      line.remove_prefix(prefix.size());
      int64_t calls = 0;
      EXPECT_TRUE(absl::SimpleAtoi(line.substr(0, line.find(',')), &calls));
      return calls;
    }
    return 0;
  }
};

INSTANTIATE_TEST_SUITE_P(Resp, ScriptCommandsTest, RespProtocols(), RespName);

TEST_P(ScriptCommandsTest, EvalPassesKeysAndArgs) {
  auto reply = client_->Eval("return {KEYS[1], ARGV[1], ARGV[2], 7}",
                             Strings{"key"}, Strings{"a", "b"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(reply->type(), ReplyType::kArray);
  ASSERT_EQ(reply->size(), 4u);
  EXPECT_EQ((*reply)[0].str(), "key");
  EXPECT_EQ((*reply)[1].str(), "a");
  EXPECT_EQ((*reply)[2].str(), "b");
  EXPECT_EQ((*reply)[3].integer(), 7);

  ASSERT_TRUE(client_->Execute("SET", "counter", 10).ok());
  auto n = client_->EvalAs(&convert::Integer,
                           "return redis.call('INCRBY', KEYS[1], ARGV[1])",
                           Strings{"counter"}, Strings{"5"});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 15);
  auto nil = client_->Eval("return nil", {}, {});
  ASSERT_TRUE(nil.ok()) << nil.status();
  EXPECT_TRUE(nil->is_null());
  auto ro = client_->EvalRo("return redis.call('GET', KEYS[1])",
                            Strings{"counter"}, {});
  ASSERT_TRUE(ro.ok()) << ro.status();
  EXPECT_EQ(ro->str(), "15");

  auto custom = client_->Eval("return redis.error_reply('MYERR boom')", {}, {});
  EXPECT_EQ(custom.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(ServerErrorPrefix(custom.status()), "MYERR");
  auto syntax = client_->Eval("this is not lua", {}, {});
  EXPECT_EQ(ServerErrorPrefix(syntax.status()), "ERR");
  auto wrong_type =
      client_->EvalAs(&convert::Integer, "return 'text'", {}, {});
  EXPECT_EQ(wrong_type.status().code(), absl::StatusCode::kDataLoss);
}

TEST_P(ScriptCommandsTest, LoadExistsEvalShaFlush) {
  const std::string source = "return ARGV[1] .. ARGV[1]";
  auto sha = client_->ScriptLoad(source);
  ASSERT_TRUE(sha.ok()) << sha.status();
  EXPECT_EQ(*sha, ScriptSha1(source));
  const std::string unknown(40, '0');
  auto exists = client_->ScriptExists(Strings{*sha, unknown});
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_EQ(*exists, (std::vector<bool>{true, false}));

  auto doubled = client_->EvalShaAs(&convert::String, *sha, {}, Strings{"ab"});
  ASSERT_TRUE(doubled.ok()) << doubled.status();
  EXPECT_EQ(*doubled, "abab");
  auto raw = client_->EvalSha(*sha, {}, Strings{"x"});
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->str(), "xx");
  auto ro = client_->EvalShaRo(*sha, {}, Strings{"y"});
  ASSERT_TRUE(ro.ok()) << ro.status();
  EXPECT_EQ(ro->str(), "yy");

  ASSERT_TRUE(client_->ScriptFlush(FlushMode::kSync).ok());
  EXPECT_EQ(*client_->ScriptExists(Strings{*sha}), std::vector<bool>{false});
  auto missing = client_->EvalSha(*sha, {}, Strings{"x"});
  EXPECT_TRUE(IsNoScript(missing.status())) << missing.status();
  EXPECT_EQ(ServerErrorPrefix(missing.status()), "NOSCRIPT");
  ASSERT_TRUE(client_->ScriptFlush().ok());
  ASSERT_TRUE(client_->ScriptFlush(FlushMode::kAsync).ok());

  EXPECT_EQ(ServerErrorPrefix(client_->ScriptKill().status()), "NOTBUSY");
}

TEST_P(ScriptCommandsTest, ScriptFallsBackToEvalThenUsesEvalSha) {
  const Script script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  ASSERT_TRUE(client_->ScriptFlush().ok());
  ASSERT_TRUE(client_->ConfigResetStat().ok());

  // Unknown to the server: EVALSHA (NOSCRIPT), then EVAL.
  auto first = script.RunAs(*client_, &convert::Integer, Strings{"n"},
                            Strings{"2"});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 2);
  EXPECT_EQ(Calls("evalsha"), 1);
  EXPECT_EQ(Calls("eval"), 1);

  // EVAL cached it: EVALSHA alone.
  auto second = script.Run(*client_, Strings{"n"}, Strings{"3"});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->integer(), 5);
  EXPECT_EQ(Calls("evalsha"), 2);
  EXPECT_EQ(Calls("eval"), 1);
  EXPECT_EQ(*client_->ScriptExists(Strings{script.sha1()}),
            std::vector<bool>{true});

  // After a flush it recovers the same way.
  ASSERT_TRUE(client_->ScriptFlush().ok());
  auto third = script.RunAs(*client_, &convert::Integer, Strings{"n"},
                            Strings{"1"});
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(*third, 6);
  EXPECT_EQ(Calls("evalsha"), 3);
  EXPECT_EQ(Calls("eval"), 2);

  // Load() caches it up front (for pipelines).
  ASSERT_TRUE(client_->ScriptFlush().ok());
  ASSERT_TRUE(script.Load(*client_).ok());
  EXPECT_EQ(*client_->ScriptExists(Strings{script.sha1()}),
            std::vector<bool>{true});

  // Errors other than NOSCRIPT are returned as they are, with no EVAL.
  ASSERT_TRUE(client_->Execute("SET", "n", "text").ok());
  auto failed = script.Run(*client_, Strings{"n"}, Strings{"1"});
  EXPECT_EQ(ServerErrorPrefix(failed.status()), "ERR") << failed.status();
  EXPECT_EQ(Calls("eval"), 2);

  const Script broken("this is not lua");
  EXPECT_EQ(ServerErrorPrefix(broken.Run(*client_).status()), "ERR");
  EXPECT_EQ(ServerErrorPrefix(broken.Load(*client_)), "ERR");
}

TEST_P(ScriptCommandsTest, BadArgumentsAreInvalidArgumentAndSendNothing) {
  ASSERT_TRUE(client_->ConfigResetStat().ok());
  EXPECT_EQ(client_->Eval("", {}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->EvalSha("", {}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->EvalAs(&convert::Integer, "", {}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->ScriptLoad("").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->ScriptExists({}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Calls("eval"), 0);
  EXPECT_EQ(Calls("evalsha"), 0);
  EXPECT_EQ(Calls("script|load"), 0);
  EXPECT_EQ(Calls("script|exists"), 0);
}

}  // namespace
}  // namespace valkey
