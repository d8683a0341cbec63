// String commands added for Valkey 8/9 (string_commands.h: GETRANGE,
// SETRANGE, LCS, SET IFEQ, DELIFEQ, MSETEX) against a real valkey-server,
// on every executor (executor_test_fixture.h). Commands newer than the
// installed server are skipped with a message naming them and the version.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "valkey/client/executor_test_fixture.h"

namespace valkey::executor_tests {
namespace {

VALKEY_EXECUTOR_TEST_SUITE(StringCommandsTest);

TEST_P(StringCommandsTest, GetRangeSetRange) {
  ASSERT_OK(client().Set("s", "Hello World"));
  EXPECT_THAT(Run([](auto& c) { return c.GetRange("s", 0, 4); }),
              IsOkAndHolds("Hello"));
  EXPECT_THAT(Run([](auto& c) { return c.GetRange("s", -5, -1); }),
              IsOkAndHolds("World"));
  EXPECT_THAT(Run([](auto& c) { return c.GetRange("missing", 0, 4); }),
              IsOkAndHolds(""));
  EXPECT_THAT(Run([](auto& c) { return c.SetRange("s", 6, "Valkey"); }),
              IsOkAndHolds(12));
  EXPECT_THAT(client().Get("s"),
              IsOkAndHolds(Optional(std::string("Hello Valkey"))));
  EXPECT_THAT(Run([](auto& c) { return c.SetRange("p", 2, "x"); }),
              IsOkAndHolds(3));
  EXPECT_THAT(client().Get("p"),
              IsOkAndHolds(Optional(std::string("\0\0x", 3))));
  EXPECT_THAT(Run([](auto& c) { return c.SetRange("s", -1, "x"); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StringCommandsTest, Lcs) {
  ASSERT_OK(client().MSet({{"k1", "ohmytext"}, {"k2", "mynewtext"}}));
  EXPECT_THAT(Run([](auto& c) { return c.Lcs("k1", "k2"); }),
              IsOkAndHolds("mytext"));
  EXPECT_THAT(Run([](auto& c) { return c.LcsLen("k1", "k2"); }),
              IsOkAndHolds(6));
  auto idx = Run([](auto& c) {
    return c.LcsIdx("k1", "k2", {.min_match_len = 4});
  });
  ASSERT_THAT(idx, IsOk());
  EXPECT_EQ(idx->length, 6);
  EXPECT_THAT(idx->matches,
              ElementsAre(LcsMatch{{4, 7}, {5, 8}, 4}));
  auto all = Run([](auto& c) { return c.LcsIdx("k1", "k2"); });
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(all->matches, ElementsAre(LcsMatch{{4, 7}, {5, 8}, 4},
                                        LcsMatch{{2, 3}, {0, 1}, 2}));
}

TEST_P(StringCommandsTest, SetIfEqual) {
  if (!RequireArgument("SET", "IFEQ")) GTEST_SKIP() << skip_reason();
  ASSERT_OK(client().Set("k", "old"));
  EXPECT_THAT(Run([](auto& c) { return c.Set("k", "new", {.if_equal = "x"}); }),
              IsOkAndHolds(false));
  EXPECT_THAT(
      Run([](auto& c) { return c.Set("k", "new", {.if_equal = "old"}); }),
      IsOkAndHolds(true));
  EXPECT_THAT(client().Get("k"), IsOkAndHolds(Optional(std::string("new"))));
}

TEST_P(StringCommandsTest, DelIfEq) {
  if (!RequireCommand("DELIFEQ")) GTEST_SKIP() << skip_reason();
  ASSERT_OK(client().Set("k", "v"));
  EXPECT_THAT(Run([](auto& c) { return c.DelIfEq("k", "other"); }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) { return c.DelIfEq("k", "v"); }),
              IsOkAndHolds(true));
  EXPECT_THAT(client().Get("k"), IsOkAndHolds(std::nullopt));
}

TEST_P(StringCommandsTest, MSetEx) {
  if (!RequireCommand("MSETEX")) GTEST_SKIP() << skip_reason();
  EXPECT_THAT(Run([](auto& c) {
                return c.MSetEx({{"a", "1"}, {"b", "2"}},
                                {.ttl = absl::Seconds(100)});
              }),
              IsOkAndHolds(true));
  EXPECT_THAT(client().MGet({"a", "b"}),
              IsOkAndHolds(ElementsAre(Optional(std::string("1")),
                                       Optional(std::string("2")))));
  auto ttl = client().Ttl("a");
  ASSERT_THAT(ttl, IsOk());
  ASSERT_TRUE(ttl->has_value());
  EXPECT_GT(**ttl, absl::ZeroDuration());
  EXPECT_LE(**ttl, absl::Seconds(100));
  EXPECT_THAT(Run([](auto& c) {
                return c.MSetEx(
                    {{"a", "x"}, {"c", "3"}},
                    {.condition = MSetExOptions::Condition::kNoneExist});
              }),
              IsOkAndHolds(false));
}

}  // namespace
}  // namespace valkey::executor_tests
