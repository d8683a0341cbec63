// Set commands (set_commands.h) and SScanAll (scan.h) against a real
// valkey-server, over RESP2 and RESP3.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/client/client.h"
#include "valkey/client/client_test_fixture.h"
#include "valkey/client/scan.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

using ::valkey::testing::RespClientTest;
using ::valkey::testing::RespName;
using ::valkey::testing::RespProtocols;
using Strings = std::vector<std::string>;

using SetCommandsTest = RespClientTest;

INSTANTIATE_TEST_SUITE_P(Resp, SetCommandsTest, RespProtocols(), RespName);

Strings Sorted(Strings v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_P(SetCommandsTest, MembersAndMembership) {
  auto added = client_->SAdd("s", {"a", "b", "c", "a"});
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(*added, 3);
  EXPECT_EQ(*client_->SAdd("s", {"c", "d"}), 1);
  auto members = client_->SMembers("s");
  ASSERT_TRUE(members.ok()) << members.status();
  EXPECT_EQ(Sorted(*members), (Strings{"a", "b", "c", "d"}));
  EXPECT_TRUE(client_->SMembers("missing")->empty());
  EXPECT_EQ(*client_->SCard("s"), 4);
  EXPECT_EQ(*client_->SCard("missing"), 0);

  EXPECT_TRUE(*client_->SIsMember("s", "a"));
  EXPECT_FALSE(*client_->SIsMember("s", "z"));
  EXPECT_FALSE(*client_->SIsMember("missing", "a"));
  auto many = client_->SMIsMember("s", {"a", "z", "d"});
  ASSERT_TRUE(many.ok()) << many.status();
  EXPECT_EQ(*many, (std::vector<bool>{true, false, true}));

  EXPECT_EQ(*client_->SRem("s", {"a", "z"}), 1);
  EXPECT_EQ(Sorted(*client_->SMembers("s")), (Strings{"b", "c", "d"}));
}

TEST_P(SetCommandsTest, RandomAndPop) {
  ASSERT_TRUE(client_->SAdd("s", {"a", "b", "c"}).ok());
  const absl::flat_hash_set<std::string> all = {"a", "b", "c"};
  auto one = client_->SRandMember("s");
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_TRUE(one->has_value());
  EXPECT_TRUE(all.contains(**one));
  auto two = client_->SRandMember("s", 2);
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(two->size(), 2u);
  EXPECT_NE((*two)[0], (*two)[1]);
  auto repeated = client_->SRandMember("s", -7);  // may repeat
  ASSERT_TRUE(repeated.ok()) << repeated.status();
  EXPECT_EQ(repeated->size(), 7u);
  EXPECT_EQ(*client_->SCard("s"), 3);  // nothing removed

  auto popped = client_->SPop("s");
  ASSERT_TRUE(popped.ok()) << popped.status();
  ASSERT_TRUE(popped->has_value());
  EXPECT_TRUE(all.contains(**popped));
  auto rest = client_->SPop("s", 5);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->size(), 2u);
  EXPECT_EQ(*client_->SCard("s"), 0);

  // Nil cases.
  EXPECT_FALSE(client_->SPop("s")->has_value());
  EXPECT_FALSE(client_->SRandMember("s")->has_value());
  EXPECT_TRUE(client_->SPop("s", 2)->empty());
  EXPECT_TRUE(client_->SRandMember("s", 2)->empty());
}

TEST_P(SetCommandsTest, Algebra) {
  ASSERT_TRUE(client_->SAdd("x", {"1", "2", "3"}).ok());
  ASSERT_TRUE(client_->SAdd("y", {"2", "3", "4"}).ok());
  EXPECT_EQ(Sorted(*client_->SInter({"x", "y"})), (Strings{"2", "3"}));
  EXPECT_EQ(Sorted(*client_->SUnion({"x", "y"})),
            (Strings{"1", "2", "3", "4"}));
  EXPECT_EQ(Sorted(*client_->SDiff({"x", "y"})), (Strings{"1"}));
  EXPECT_TRUE(client_->SInter({"x", "missing"})->empty());
  EXPECT_EQ(Sorted(*client_->SDiff({"x"})), (Strings{"1", "2", "3"}));
}

TEST_P(SetCommandsTest, Scan) {
  Strings members;
  absl::flat_hash_set<std::string> want;
  for (int i = 0; i < 1200; ++i) {
    members.push_back(absl::StrCat("m", i));
    want.insert(members.back());
  }
  ASSERT_TRUE(client_->SAdd("big", members).ok());
  auto page = client_->SScan("big", 0, {.count = 10});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_NE(page->next_cursor, 0u);
  EXPECT_FALSE(page->items.empty());

  absl::flat_hash_set<std::string> got;
  for (absl::StatusOr<std::string> member : SScanAll(*client_, "big")) {
    ASSERT_TRUE(member.ok()) << member.status();
    got.insert(*member);
  }
  EXPECT_EQ(got, want);

  auto matched = SScanAll(*client_, "big", {.match = "m11*"}).Collect();
  ASSERT_TRUE(matched.ok()) << matched.status();
  EXPECT_EQ(absl::flat_hash_set<std::string>(matched->begin(), matched->end())
                .size(),
            111u);  // m11, m110..m119, m1100..m1199
}

TEST_P(SetCommandsTest, Errors) {
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(client_->SAdd("s", {}).status().code(), kInvalid);
  EXPECT_EQ(client_->SRem("s", {}).status().code(), kInvalid);
  EXPECT_EQ(client_->SMIsMember("s", {}).status().code(), kInvalid);
  EXPECT_EQ(client_->SPop("s", -1).status().code(), kInvalid);
  EXPECT_EQ(client_->SInter({}).status().code(), kInvalid);
  EXPECT_EQ(client_->SUnion({}).status().code(), kInvalid);
  auto diff = client_->SDiff({});
  EXPECT_EQ(diff.status().code(), kInvalid);
  EXPECT_NE(diff.status().message().find("SDIFF"), absl::string_view::npos);
  EXPECT_EQ(client_->SScan("s", 0, {.count = -5}).status().code(), kInvalid);
  ASSERT_TRUE(client_->Set("str", "x").ok());
  EXPECT_EQ(GetErrorKind(client_->SAdd("str", {"a"}).status()),
            ErrorKind::kWrongType);
}

}  // namespace
}  // namespace valkey
