// Hash commands added for Valkey 8/9 (hash_commands.h: HSTRLEN,
// HRANDFIELD, and the Valkey 9 field-expiry commands HSETEX, HGETEX,
// HGETDEL, HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT, HTTL, HPTTL,
// HEXPIRETIME, HPEXPIRETIME, HPERSIST) against a real valkey-server, on
// every executor (executor_test_fixture.h). Commands the installed server
// lacks are skipped with a message naming them and the server's version;
// their argument building is covered without a server by
// //valkey/commands:command_building_test.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "valkey/client/executor_test_fixture.h"

namespace valkey {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;
using ::valkey::testing::AllExecutors;
using ::valkey::testing::ExecutorName;
using ::valkey::testing::ExecutorTest;
using ::valkey::testing::IsOk;
using ::valkey::testing::IsOkAndHolds;

using HashCommandsExecutorTest = ExecutorTest;
INSTANTIATE_TEST_SUITE_P(Executors, HashCommandsExecutorTest, AllExecutors(),
                         ExecutorName);

TEST_P(HashCommandsExecutorTest, StrLenAndRandField) {
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

TEST_P(HashCommandsExecutorTest, HSetExAndHGetEx) {
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

TEST_P(HashCommandsExecutorTest, HGetDel) {
  if (!RequireCommand("HGETDEL")) GTEST_SKIP() << skip_reason();
  ASSERT_OK(client().HSet("h", {{"a", "1"}, {"b", "2"}}));
  EXPECT_THAT(Run([](auto& c) { return c.HGetDel("h", {"a", "none"}); }),
              IsOkAndHolds(ElementsAre(Optional(std::string("1")),
                                       std::nullopt)));
  EXPECT_THAT(client().HKeys("h"), IsOkAndHolds(ElementsAre("b")));
}

TEST_P(HashCommandsExecutorTest, FieldExpiry) {
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

}  // namespace
}  // namespace valkey
