// Set commands (set_commands.h) against a real valkey-server, on every
// executor (executor_test_fixture.h), and the blocking SScanAll walker
// (scan.h).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "valkey/client/client.h"
#include "valkey/client/client_test_fixture.h"
#include "valkey/client/executor_test_fixture.h"
#include "valkey/client/scan.h"
#include "valkey/common/errors.h"

namespace valkey::executor_tests {
namespace {

using Strings = std::vector<std::string>;

VALKEY_EXECUTOR_TEST_SUITE(SetCommandsTest);

TEST_P(SetCommandsTest, MembersAndMembership) {
  EXPECT_THAT(Run([](auto& c) { return c.SAdd("s", {"a", "b", "c", "a"}); }),
              IsOkAndHolds(3));
  EXPECT_THAT(Run([](auto& c) { return c.SAdd("s", {"c", "d"}); }),
              IsOkAndHolds(1));
  EXPECT_THAT(Run([](auto& c) { return c.SMembers("s"); }),
              IsOkAndHolds(UnorderedElementsAre("a", "b", "c", "d")));
  EXPECT_THAT(Run([](auto& c) { return c.SMembers("missing"); }),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Run([](auto& c) { return c.SCard("s"); }), IsOkAndHolds(4));
  EXPECT_THAT(Run([](auto& c) { return c.SCard("missing"); }),
              IsOkAndHolds(0));

  EXPECT_THAT(Run([](auto& c) { return c.SIsMember("s", "a"); }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) { return c.SIsMember("s", "z"); }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) { return c.SIsMember("missing", "a"); }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) { return c.SMIsMember("s", {"a", "z", "d"}); }),
              IsOkAndHolds(ElementsAre(true, false, true)));

  EXPECT_THAT(Run([](auto& c) { return c.SRem("s", {"a", "z"}); }),
              IsOkAndHolds(1));
  EXPECT_THAT(client().SMembers("s"),
              IsOkAndHolds(UnorderedElementsAre("b", "c", "d")));
}

TEST_P(SetCommandsTest, RandomAndPop) {
  ASSERT_OK(client().SAdd("s", {"a", "b", "c"}));
  const auto any_member = ::testing::AnyOf("a", "b", "c");
  EXPECT_THAT(Run([](auto& c) { return c.SRandMember("s"); }),
              IsOkAndHolds(Optional(any_member)));
  auto two = Run([](auto& c) { return c.SRandMember("s", 2); });
  ASSERT_THAT(two, IsOkAndHolds(SizeIs(2)));
  EXPECT_NE((*two)[0], (*two)[1]);
  // A negative count may repeat members.
  EXPECT_THAT(Run([](auto& c) { return c.SRandMember("s", -7); }),
              IsOkAndHolds(SizeIs(7)));
  // Nothing removed.
  EXPECT_THAT(client().SCard("s"), IsOkAndHolds(3));

  EXPECT_THAT(Run([](auto& c) { return c.SPop("s"); }),
              IsOkAndHolds(Optional(any_member)));
  EXPECT_THAT(Run([](auto& c) { return c.SPop("s", 5); }),
              IsOkAndHolds(SizeIs(2)));
  EXPECT_THAT(client().SCard("s"), IsOkAndHolds(0));

  // Nil cases.
  EXPECT_THAT(Run([](auto& c) { return c.SPop("s"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.SRandMember("s"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.SPop("s", 2); }),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Run([](auto& c) { return c.SRandMember("s", 2); }),
              IsOkAndHolds(IsEmpty()));
}

TEST_P(SetCommandsTest, Algebra) {
  ASSERT_OK(client().SAdd("x", {"1", "2", "3"}));
  ASSERT_OK(client().SAdd("y", {"2", "3", "4"}));
  EXPECT_THAT(Run([](auto& c) { return c.SInter({"x", "y"}); }),
              IsOkAndHolds(UnorderedElementsAre("2", "3")));
  EXPECT_THAT(Run([](auto& c) { return c.SUnion({"x", "y"}); }),
              IsOkAndHolds(UnorderedElementsAre("1", "2", "3", "4")));
  EXPECT_THAT(Run([](auto& c) { return c.SDiff({"x", "y"}); }),
              IsOkAndHolds(ElementsAre("1")));
  EXPECT_THAT(Run([](auto& c) { return c.SInter({"x", "missing"}); }),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Run([](auto& c) { return c.SDiff({"x"}); }),
              IsOkAndHolds(UnorderedElementsAre("1", "2", "3")));
}

TEST_P(SetCommandsTest, ScanPage) {
  Strings members;
  for (int i = 0; i < 1200; ++i) members.push_back(absl::StrCat("m", i));
  ASSERT_OK(client().SAdd("big", members));
  auto page = Run([](auto& c) { return c.SScan("big", 0, {.count = 10}); });
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_NE(page->next_cursor, 0u);
  EXPECT_FALSE(page->items.empty());
}

TEST_P(SetCommandsTest, Errors) {
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(Run([](auto& c) { return c.SAdd("s", {}); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.SRem("s", {}); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.SMIsMember("s", {}); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.SPop("s", -1); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.SInter({}); }), StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.SUnion({}); }), StatusIs(kInvalid));
  auto diff = Run([](auto& c) { return c.SDiff({}); });
  EXPECT_EQ(diff.status().code(), kInvalid);
  EXPECT_NE(diff.status().message().find("SDIFF"), absl::string_view::npos);
  EXPECT_THAT(Run([](auto& c) { return c.SScan("s", 0, {.count = -5}); }),
              StatusIs(kInvalid));
  ASSERT_OK(client().Set("str", "x"));
  EXPECT_EQ(
      GetErrorKind(Run([](auto& c) { return c.SAdd("str", {"a"}); }).status()),
      ErrorKind::kWrongType);
}

TEST_P(SetCommandsTest, StoreCardMove) {
  ASSERT_OK(client().SAdd("a", {"1", "2", "3"}));
  ASSERT_OK(client().SAdd("b", {"2", "3", "4"}));
  EXPECT_THAT(Run([](auto& c) { return c.SInterStore("i", {"a", "b"}); }),
              IsOkAndHolds(2));
  EXPECT_THAT(Run([](auto& c) { return c.SUnionStore("u", {"a", "b"}); }),
              IsOkAndHolds(4));
  EXPECT_THAT(Run([](auto& c) { return c.SDiffStore("d", {"a", "b"}); }),
              IsOkAndHolds(1));
  EXPECT_THAT(client().SMembers("d"), IsOkAndHolds(ElementsAre("1")));
  EXPECT_THAT(Run([](auto& c) { return c.SInterCard({"a", "b"}); }),
              IsOkAndHolds(2));
  EXPECT_THAT(Run([](auto& c) { return c.SInterCard({"a", "b"}, 1); }),
              IsOkAndHolds(1));
  EXPECT_THAT(Run([](auto& c) { return c.SMove("a", "b", "1"); }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) { return c.SMove("a", "b", "1"); }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) { return c.SInterStore("x", {}); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// SScanAll (scan.h) walks with a blocking Client only; it runs over RESP2
// and RESP3.
using SetScanAllTest = ::valkey::testing::RespClientTest;
INSTANTIATE_TEST_SUITE_P(Resp, SetScanAllTest,
                         ::valkey::testing::RespProtocols(),
                         ::valkey::testing::RespName);

TEST_P(SetScanAllTest, WalksEveryMember) {
  Strings members;
  absl::flat_hash_set<std::string> want;
  for (int i = 0; i < 1200; ++i) {
    members.push_back(absl::StrCat("m", i));
    want.insert(members.back());
  }
  ASSERT_OK(client().SAdd("big", members));

  absl::flat_hash_set<std::string> got;
  for (absl::StatusOr<std::string> member : SScanAll(client(), "big")) {
    ASSERT_TRUE(member.ok()) << member.status();
    got.insert(*member);
  }
  EXPECT_EQ(got, want);

  auto matched = SScanAll(client(), "big", {.match = "m11*"}).Collect();
  ASSERT_TRUE(matched.ok()) << matched.status();
  EXPECT_EQ(absl::flat_hash_set<std::string>(matched->begin(), matched->end())
                .size(),
            111u);  // m11, m110..m119, m1100..m1199
}

}  // namespace
}  // namespace valkey::executor_tests
