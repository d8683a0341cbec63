// Hash commands (hash_commands.h) against a real valkey-server, on every
// executor (executor_test_fixture.h), and the blocking HScanAll walker
// (scan.h). The Valkey 9 field-expiry commands (HSETEX, HGETEX, HGETDEL,
// HEXPIRE, ...) are skipped with a message naming them and the server's
// version when the installed server lacks them; their argument building is
// covered without a server by //valkey/commands:command_building_test.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
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

VALKEY_EXECUTOR_TEST_SUITE(HashCommandsTest);

TEST_P(HashCommandsTest, SetGetAndFriends) {
  EXPECT_THAT(Run([](auto& c) {
                return c.HSet("h", {{"name", "alice"}, {"age", "30"}});
              }),
              IsOkAndHolds(2));
  // Overwrites are not counted.
  EXPECT_THAT(Run([](auto& c) {
                return c.HSet("h", {{"name", "bob"}, {"city", "paris"}});
              }),
              IsOkAndHolds(1));

  EXPECT_THAT(Run([](auto& c) { return c.HGet("h", "name"); }),
              IsOkAndHolds(Optional(std::string("bob"))));
  EXPECT_THAT(Run([](auto& c) { return c.HGet("h", "nope"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.HGet("missing", "name"); }),
              IsOkAndHolds(std::nullopt));

  EXPECT_THAT(Run([](auto& c) { return c.HMGet("h", {"age", "nope", "city"}); }),
              IsOkAndHolds(ElementsAre(Optional(std::string("30")),
                                       std::nullopt,
                                       Optional(std::string("paris")))));

  EXPECT_THAT(Run([](auto& c) { return c.HGetAll("h"); }),
              IsOkAndHolds(UnorderedElementsAre(Pair("name", "bob"),
                                                Pair("age", "30"),
                                                Pair("city", "paris"))));
  EXPECT_THAT(Run([](auto& c) { return c.HGetAll("missing"); }),
              IsOkAndHolds(IsEmpty()));

  EXPECT_THAT(Run([](auto& c) { return c.HLen("h"); }), IsOkAndHolds(3));
  EXPECT_THAT(Run([](auto& c) { return c.HLen("missing"); }),
              IsOkAndHolds(0));
  EXPECT_THAT(Run([](auto& c) { return c.HKeys("h"); }),
              IsOkAndHolds(UnorderedElementsAre("age", "city", "name")));
  EXPECT_THAT(Run([](auto& c) { return c.HVals("h"); }),
              IsOkAndHolds(UnorderedElementsAre("30", "bob", "paris")));
  EXPECT_THAT(Run([](auto& c) { return c.HKeys("missing"); }),
              IsOkAndHolds(IsEmpty()));

  EXPECT_THAT(Run([](auto& c) { return c.HExists("h", "age"); }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) { return c.HExists("h", "nope"); }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) { return c.HSetNx("h", "age", "99"); }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) { return c.HSetNx("h", "zip", "75001"); }),
              IsOkAndHolds(true));
  EXPECT_THAT(client().HGet("h", "age"),
              IsOkAndHolds(Optional(std::string("30"))));

  EXPECT_THAT(Run([](auto& c) { return c.HDel("h", {"zip", "nope", "city"}); }),
              IsOkAndHolds(2));
  EXPECT_THAT(client().HLen("h"), IsOkAndHolds(2));
}

TEST_P(HashCommandsTest, Increments) {
  EXPECT_THAT(Run([](auto& c) { return c.HIncrBy("h", "n", 5); }),
              IsOkAndHolds(5));
  EXPECT_THAT(Run([](auto& c) { return c.HIncrBy("h", "n", -7); }),
              IsOkAndHolds(-2));
  EXPECT_THAT(Run([](auto& c) { return c.HIncrByFloat("h", "f", 0.5); }),
              IsOkAndHolds(DoubleEq(0.5)));
  EXPECT_THAT(Run([](auto& c) { return c.HIncrByFloat("h", "f", 1.25); }),
              IsOkAndHolds(DoubleEq(1.75)));
  ASSERT_OK(client().HSet("h", {{"s", "text"}}));
  auto not_int = Run([](auto& c) { return c.HIncrBy("h", "s", 1); });
  EXPECT_FALSE(not_int.ok());
  EXPECT_EQ(ServerErrorPrefix(not_int.status()), "ERR");
  ASSERT_OK(client().Set("str", "x"));
  EXPECT_EQ(GetErrorKind(Run([](auto& c) { return c.HGet("str", "f"); })
                             .status()),
            ErrorKind::kWrongType);
}

TEST_P(HashCommandsTest, ScanPages) {
  std::vector<std::pair<std::string, std::string>> fields;
  absl::flat_hash_map<std::string, std::string> want;
  for (int i = 0; i < 300; ++i) {
    fields.emplace_back(absl::StrCat("f", i), absl::StrCat("v", i));
    want[absl::StrCat("f", i)] = absl::StrCat("v", i);
  }
  ASSERT_OK(client().HSet("big", fields));

  // One page at a time.
  absl::flat_hash_map<std::string, std::string> paged;
  uint64_t cursor = 0;
  int pages = 0;
  do {
    auto page =
        Run([&](auto& c) { return c.HScan("big", cursor, {.count = 20}); });
    ASSERT_TRUE(page.ok()) << page.status();
    for (auto& [f, v] : page->items) paged[f] = v;
    cursor = page->next_cursor;
    ++pages;
  } while (cursor != 0 && pages < 1000);
  EXPECT_EQ(paged, want);

  // A small hash comes back whole in one page (listpack encoding).
  ASSERT_OK(client().HSet("small", {{"a", "1"}, {"b", "2"}}));
  auto page = Run([](auto& c) { return c.HScan("small", 0); });
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->next_cursor, 0u);
  EXPECT_EQ(page->items.size(), 2u);
  auto none = Run([](auto& c) { return c.HScan("missing", 0); });
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->items.empty());
}

TEST_P(HashCommandsTest, BadArguments) {
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(Run([](auto& c) { return c.HSet("h", {}); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.HMGet("h", {}); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.HDel("h", {}); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) {
                return c.HIncrByFloat("h", "f",
                                      std::numeric_limits<double>::infinity());
              }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.HScan("h", 0, {.count = 0}); }),
              StatusIs(kInvalid));
  auto typed = Run([](auto& c) { return c.HScan("h", 0, {.type = "string"}); });
  EXPECT_EQ(typed.status().code(), kInvalid);
  EXPECT_NE(typed.status().message().find("HSCAN"), absl::string_view::npos);
}

TEST_P(HashCommandsTest, StrLenAndRandField) {
  ASSERT_OK(client().HSet("h", {{"a", "123"}, {"b", "x"}}));
  EXPECT_THAT(Run([](auto& c) { return c.HStrLen("h", "a"); }),
              IsOkAndHolds(3));
  EXPECT_THAT(Run([](auto& c) { return c.HStrLen("h", "none"); }),
              IsOkAndHolds(0));
  auto one = Run([](auto& c) { return c.HRandField("h"); });
  ASSERT_THAT(one, IsOkAndHolds(Optional(::testing::AnyOf("a", "b"))));
  EXPECT_THAT(Run([](auto& c) { return c.HRandField("missing"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.HRandField("h", 5); }),
              IsOkAndHolds(UnorderedElementsAre("a", "b")));
  EXPECT_THAT(Run([](auto& c) { return c.HRandField("h", -3); }),
              IsOkAndHolds(SizeIs(3)));
  using Pair = std::pair<std::string, std::string>;
  EXPECT_THAT(Run([](auto& c) { return c.HRandFieldWithValues("h", 2); }),
              IsOkAndHolds(UnorderedElementsAre(Pair("a", "123"),
                                                Pair("b", "x"))));
}

TEST_P(HashCommandsTest, HSetExAndHGetEx) {
  if (!RequireCommand("HSETEX")) GTEST_SKIP() << skip_reason();
  EXPECT_THAT(Run([](auto& c) {
                return c.HSetEx("h", {{"a", "1"}, {"b", "2"}},
                                {.ttl = absl::Seconds(100)});
              }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) {
                return c.HSetEx(
                    "h", {{"a", "9"}},
                    {.field_condition =
                         HSetExOptions::FieldCondition::kNoneExist});
              }),
              IsOkAndHolds(false));
  auto ttl = Run([](auto& c) { return c.HTtl("h", {"a", "none"}); });
  ASSERT_THAT(ttl, IsOkAndHolds(SizeIs(2)));
  ASSERT_TRUE((*ttl)[0].has_value());
  EXPECT_GT(*(*ttl)[0], absl::ZeroDuration());
  EXPECT_LE(*(*ttl)[0], absl::Seconds(100));
  EXPECT_FALSE((*ttl)[1].has_value());
  EXPECT_THAT(Run([](auto& c) {
                return c.HGetEx("h", {"a", "none"}, {.persist = true});
              }),
              IsOkAndHolds(ElementsAre(Optional(std::string("1")),
                                       std::nullopt)));
  EXPECT_THAT(Run([](auto& c) { return c.HPTtl("h", {"a"}); }),
              IsOkAndHolds(ElementsAre(Optional(absl::InfiniteDuration()))));
}

TEST_P(HashCommandsTest, HGetDel) {
  if (!RequireCommand("HGETDEL")) GTEST_SKIP() << skip_reason();
  ASSERT_OK(client().HSet("h", {{"a", "1"}, {"b", "2"}}));
  EXPECT_THAT(Run([](auto& c) { return c.HGetDel("h", {"a", "none"}); }),
              IsOkAndHolds(ElementsAre(Optional(std::string("1")),
                                       std::nullopt)));
  EXPECT_THAT(client().HKeys("h"), IsOkAndHolds(ElementsAre("b")));
}

TEST_P(HashCommandsTest, FieldExpiry) {
  if (!RequireCommand("HEXPIRE")) GTEST_SKIP() << skip_reason();
  ASSERT_OK(client().HSet("h", {{"a", "1"}, {"b", "2"}}));
  EXPECT_THAT(Run([](auto& c) {
                return c.HExpire("h", absl::Seconds(100), {"a", "none"});
              }),
              IsOkAndHolds(ElementsAre(kHashFieldExpirySet,
                                       kHashFieldMissing)));
  EXPECT_THAT(Run([](auto& c) {
                return c.HPExpire("h", absl::Seconds(200), {"a"},
                                  ExpireCondition::kNoExpiry);
              }),
              IsOkAndHolds(ElementsAre(kHashFieldConditionNotMet)));
  const absl::Time at = absl::FromUnixSeconds(4000000000);
  EXPECT_THAT(Run([&](auto& c) { return c.HExpireAt("h", at, {"b"}); }),
              IsOkAndHolds(ElementsAre(kHashFieldExpirySet)));
  EXPECT_THAT(Run([](auto& c) { return c.HExpireTime("h", {"b"}); }),
              IsOkAndHolds(ElementsAre(Optional(at))));
  EXPECT_THAT(Run([&](auto& c) { return c.HPExpireAt("h", at, {"b"}); }),
              IsOkAndHolds(ElementsAre(kHashFieldExpirySet)));
  EXPECT_THAT(Run([](auto& c) { return c.HPExpireTime("h", {"b"}); }),
              IsOkAndHolds(ElementsAre(Optional(at))));
  EXPECT_THAT(Run([](auto& c) { return c.HPersist("h", {"a", "none"}); }),
              IsOkAndHolds(ElementsAre(1, -2)));
  EXPECT_THAT(Run([](auto& c) { return c.HTtl("h", {"a"}); }),
              IsOkAndHolds(ElementsAre(Optional(absl::InfiniteDuration()))));
}

// HScanAll (scan.h) walks with a blocking Client only; it runs over RESP2
// and RESP3.
using HashScanAllTest = ::valkey::testing::RespClientTest;
INSTANTIATE_TEST_SUITE_P(Resp, HashScanAllTest,
                         ::valkey::testing::RespProtocols(),
                         ::valkey::testing::RespName);

TEST_P(HashScanAllTest, WalksWithAPattern) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (int i = 0; i < 300; ++i) {
    fields.emplace_back(absl::StrCat("f", i), absl::StrCat("v", i));
  }
  ASSERT_OK(client().HSet("big", fields));
  absl::flat_hash_map<std::string, std::string> matched;
  absl::Status s = HScanAll(client(), "big", {.match = "f1*"})
                       .ForEach([&](std::pair<std::string, std::string> fv) {
                         matched.insert(std::move(fv));
                       });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(matched.size(), 111u);  // f1, f10..f19, f100..f199
  EXPECT_EQ(matched["f150"], "v150");
}

}  // namespace
}  // namespace valkey::executor_tests
