// Script commands (script_commands.h) against a real valkey-server, on
// every executor (executor_test_fixture.h), and Script (EVALSHA with EVAL
// fall-back, script.h) on the blocking Client.

#include "valkey/commands/script_commands.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "valkey/client/client.h"
#include "valkey/client/client_test_fixture.h"
#include "valkey/client/executor_test_fixture.h"
#include "valkey/client/script.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"

namespace valkey::executor_tests {
namespace {

using Strings = std::vector<std::string>;

// "calls" of `command` in INFO commandstats of `client`'s server (0 if it
// never ran).
int64_t Calls(Client& client, absl::string_view command) {
  auto stats = client.Execute("INFO", "commandstats");
  EXPECT_THAT(stats, IsOk());
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

TEST(ScriptSha1Test, MatchesKnownDigests) {
  EXPECT_EQ(ScriptSha1(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(ScriptSha1("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  const Script script("return 1");
  EXPECT_EQ(script.source(), "return 1");
  EXPECT_EQ(script.sha1(), ScriptSha1("return 1"));
}

class ScriptCommandsTest : public ExecutorTest {
 protected:
  int64_t Calls(absl::string_view command) {
    return executor_tests::Calls(client(), command);
  }
};
VALKEY_INSTANTIATE_EXECUTOR_TESTS(ScriptCommandsTest);

TEST_P(ScriptCommandsTest, EvalPassesKeysAndArgs) {
  auto reply = Run([](auto& c) {
    return c.Eval("return {KEYS[1], ARGV[1], ARGV[2], 7}", Strings{"key"},
                  Strings{"a", "b"});
  });
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(reply->type(), ReplyType::kArray);
  ASSERT_EQ(reply->size(), 4u);
  EXPECT_EQ((*reply)[0].str(), "key");
  EXPECT_EQ((*reply)[1].str(), "a");
  EXPECT_EQ((*reply)[2].str(), "b");
  EXPECT_EQ((*reply)[3].integer(), 7);

  ASSERT_OK(client().Execute("SET", "counter", 10));
  EXPECT_THAT(Run([](auto& c) {
                return c.EvalAs(&convert::Integer,
                                "return redis.call('INCRBY', KEYS[1], ARGV[1])",
                                Strings{"counter"}, Strings{"5"});
              }),
              IsOkAndHolds(15));
  auto nil = Run([](auto& c) { return c.Eval("return nil", {}, {}); });
  ASSERT_TRUE(nil.ok()) << nil.status();
  EXPECT_TRUE(nil->is_null());
  auto ro = Run([](auto& c) {
    return c.EvalRo("return redis.call('GET', KEYS[1])", Strings{"counter"},
                    {});
  });
  ASSERT_TRUE(ro.ok()) << ro.status();
  EXPECT_EQ(ro->str(), "15");

  auto custom = Run([](auto& c) {
    return c.Eval("return redis.error_reply('MYERR boom')", {}, {});
  });
  EXPECT_EQ(custom.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(ServerErrorPrefix(custom.status()), "MYERR");
  auto syntax = Run([](auto& c) { return c.Eval("this is not lua", {}, {}); });
  EXPECT_EQ(ServerErrorPrefix(syntax.status()), "ERR");
  EXPECT_THAT(Run([](auto& c) {
                return c.EvalAs(&convert::Integer, "return 'text'", {}, {});
              }),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_P(ScriptCommandsTest, LoadExistsEvalShaFlush) {
  const std::string source = "return ARGV[1] .. ARGV[1]";
  auto sha = Run([&](auto& c) { return c.ScriptLoad(source); });
  ASSERT_THAT(sha, IsOkAndHolds(ScriptSha1(source)));
  const std::string unknown(40, '0');
  EXPECT_THAT(
      Run([&](auto& c) { return c.ScriptExists(Strings{*sha, unknown}); }),
      IsOkAndHolds(ElementsAre(true, false)));

  EXPECT_THAT(Run([&](auto& c) {
                return c.EvalShaAs(&convert::String, *sha, {}, Strings{"ab"});
              }),
              IsOkAndHolds("abab"));
  auto raw = Run([&](auto& c) { return c.EvalSha(*sha, {}, Strings{"x"}); });
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(raw->str(), "xx");
  auto ro = Run([&](auto& c) { return c.EvalShaRo(*sha, {}, Strings{"y"}); });
  ASSERT_TRUE(ro.ok()) << ro.status();
  EXPECT_EQ(ro->str(), "yy");

  EXPECT_OK(Run([](auto& c) { return c.ScriptFlush(FlushMode::kSync); }));
  EXPECT_THAT(client().ScriptExists(Strings{*sha}),
              IsOkAndHolds(ElementsAre(false)));
  auto missing =
      Run([&](auto& c) { return c.EvalSha(*sha, {}, Strings{"x"}); });
  EXPECT_TRUE(IsNoScript(missing.status())) << missing.status();
  EXPECT_EQ(ServerErrorPrefix(missing.status()), "NOSCRIPT");
  EXPECT_OK(Run([](auto& c) { return c.ScriptFlush(); }));
  EXPECT_OK(Run([](auto& c) { return c.ScriptFlush(FlushMode::kAsync); }));

  EXPECT_EQ(
      ServerErrorPrefix(Run([](auto& c) { return c.ScriptKill(); }).status()),
      "NOTBUSY");
}

TEST_P(ScriptCommandsTest, BadArgumentsAreInvalidArgumentAndSendNothing) {
  ASSERT_OK(client().ConfigResetStat());
  const auto invalid = StatusIs(absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Run([](auto& c) { return c.Eval("", {}, {}); }), invalid);
  EXPECT_THAT(Run([](auto& c) { return c.EvalSha("", {}, {}); }), invalid);
  EXPECT_THAT(
      Run([](auto& c) { return c.EvalAs(&convert::Integer, "", {}, {}); }),
      invalid);
  EXPECT_THAT(Run([](auto& c) { return c.ScriptLoad(""); }), invalid);
  EXPECT_THAT(Run([](auto& c) { return c.ScriptExists({}); }), invalid);
  EXPECT_EQ(Calls("eval"), 0);
  EXPECT_EQ(Calls("evalsha"), 0);
  EXPECT_EQ(Calls("script|load"), 0);
  EXPECT_EQ(Calls("script|exists"), 0);
}

// Script::Run / RunAs / Load need an executor that answers at once (the
// blocking Client, script.h); they run over RESP2 and RESP3.
class ScriptObjectTest : public ::valkey::testing::RespClientTest {
 protected:
  int64_t Calls(absl::string_view command) {
    return executor_tests::Calls(client(), command);
  }
};
INSTANTIATE_TEST_SUITE_P(Resp, ScriptObjectTest,
                         ::valkey::testing::RespProtocols(),
                         ::valkey::testing::RespName);

TEST_P(ScriptObjectTest, ScriptFallsBackToEvalThenUsesEvalSha) {
  const Script script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  ASSERT_TRUE(client().ScriptFlush().ok());
  ASSERT_TRUE(client().ConfigResetStat().ok());

  // Unknown to the server: EVALSHA (NOSCRIPT), then EVAL.
  auto first = script.RunAs(client(), &convert::Integer, Strings{"n"},
                            Strings{"2"});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 2);
  EXPECT_EQ(Calls("evalsha"), 1);
  EXPECT_EQ(Calls("eval"), 1);

  // EVAL cached it: EVALSHA alone.
  auto second = script.Run(client(), Strings{"n"}, Strings{"3"});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->integer(), 5);
  EXPECT_EQ(Calls("evalsha"), 2);
  EXPECT_EQ(Calls("eval"), 1);
  EXPECT_EQ(*client().ScriptExists(Strings{script.sha1()}),
            std::vector<bool>{true});

  // After a flush it recovers the same way.
  ASSERT_TRUE(client().ScriptFlush().ok());
  auto third = script.RunAs(client(), &convert::Integer, Strings{"n"},
                            Strings{"1"});
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(*third, 6);
  EXPECT_EQ(Calls("evalsha"), 3);
  EXPECT_EQ(Calls("eval"), 2);

  // Load() caches it up front (for pipelines).
  ASSERT_TRUE(client().ScriptFlush().ok());
  ASSERT_TRUE(script.Load(client()).ok());
  EXPECT_EQ(*client().ScriptExists(Strings{script.sha1()}),
            std::vector<bool>{true});

  // Errors other than NOSCRIPT are returned as they are, with no EVAL.
  ASSERT_TRUE(client().Execute("SET", "n", "text").ok());
  auto failed = script.Run(client(), Strings{"n"}, Strings{"1"});
  EXPECT_EQ(ServerErrorPrefix(failed.status()), "ERR") << failed.status();
  EXPECT_EQ(Calls("eval"), 2);

  const Script broken("this is not lua");
  EXPECT_EQ(ServerErrorPrefix(broken.Run(client()).status()), "ERR");
  EXPECT_EQ(ServerErrorPrefix(broken.Load(client())), "ERR");
}

}  // namespace
}  // namespace valkey::executor_tests
