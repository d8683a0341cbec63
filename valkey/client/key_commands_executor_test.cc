// Generic key commands added for Valkey 8 (key_commands.h: COPY, MOVE,
// DUMP/RESTORE, TOUCH, KEYS, RANDOMKEY, OBJECT, SORT, WAIT, WAITAOF,
// EXPIRETIME) against a real valkey-server, on every executor
// (executor_test_fixture.h).

#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "valkey/client/executor_test_fixture.h"

namespace valkey {
namespace {

using ::testing::ElementsAre;
using ::testing::Not;
using ::testing::Optional;
using ::testing::UnorderedElementsAre;
using ::valkey::testing::AllExecutors;
using ::valkey::testing::ExecutorName;
using ::valkey::testing::ExecutorTest;
using ::valkey::testing::IsOk;
using ::valkey::testing::IsOkAndHolds;
using ::valkey::testing::StatusIs;

using KeyCommandsExecutorTest = ExecutorTest;
INSTANTIATE_TEST_SUITE_P(Executors, KeyCommandsExecutorTest, AllExecutors(),
                         ExecutorName);

TEST_P(KeyCommandsExecutorTest, CopyMoveTouchKeys) {
  ASSERT_OK(client().Set("a", "1"));
  EXPECT_THAT(Run([](auto& c) { return c.Copy("a", "b"); }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) { return c.Copy("a", "b"); }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) { return c.Copy("a", "b", {.replace = true}); }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) {
                return c.Copy("a", "a", {.destination_db = 1});
              }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) { return c.Move("b", 2); }), IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) { return c.Move("b", 2); }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) { return c.Touch({"a", "b", "zz"}); }),
              IsOkAndHolds(1));
  EXPECT_THAT(Run([](auto& c) { return c.Keys("*"); }),
              IsOkAndHolds(ElementsAre("a")));
  EXPECT_THAT(Run([](auto& c) { return c.RandomKey(); }),
              IsOkAndHolds(Optional(std::string("a"))));
}

TEST_P(KeyCommandsExecutorTest, DumpRestoreObject) {
  ASSERT_OK(client().RPush("l", {"x", "y"}));
  auto payload = Run([](auto& c) { return c.Dump("l"); });
  ASSERT_THAT(payload, IsOkAndHolds(Optional(::testing::_)));
  EXPECT_THAT(Run([](auto& c) { return c.Dump("missing"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([&](auto& c) {
                return c.Restore("copy", absl::ZeroDuration(), **payload);
              }),
              IsOkAndHolds(true));
  EXPECT_THAT(client().LRange("copy", 0, -1),
              IsOkAndHolds(ElementsAre("x", "y")));
  // Existing key without REPLACE: BUSYKEY.
  EXPECT_THAT(Run([&](auto& c) {
                return c.Restore("copy", absl::ZeroDuration(), **payload);
              }),
              Not(IsOk()));
  EXPECT_THAT(Run([&](auto& c) {
                return c.Restore("copy", absl::Seconds(100), **payload,
                                 {.replace = true, .idle_seconds = 5});
              }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) { return c.ObjectEncoding("l"); }),
              IsOkAndHolds(Optional(std::string("listpack"))));
  EXPECT_THAT(Run([](auto& c) { return c.ObjectEncoding("missing"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.ObjectRefCount("l"); }),
              IsOkAndHolds(Optional(1)));
  auto idle = Run([](auto& c) { return c.ObjectIdleTime("copy"); });
  ASSERT_THAT(idle, IsOkAndHolds(Optional(::testing::Ge(5))));
  // FREQ needs an LFU policy.
  EXPECT_THAT(Run([](auto& c) { return c.ObjectFreq("l"); }), Not(IsOk()));
  ASSERT_OK(client().ConfigSet({{"maxmemory-policy", "allkeys-lfu"}}));
  EXPECT_THAT(Run([](auto& c) { return c.ObjectFreq("l"); }),
              IsOkAndHolds(Optional(::testing::Ge(0))));
  EXPECT_THAT(Run([](auto& c) {
                return c.Restore("x", -absl::Seconds(1), "p");
              }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(KeyCommandsExecutorTest, ExpireTime) {
  ASSERT_OK(client().Set("k", "v"));
  EXPECT_THAT(Run([](auto& c) { return c.ExpireTime("k"); }),
              IsOkAndHolds(Optional(absl::InfiniteFuture())));
  EXPECT_THAT(Run([](auto& c) { return c.PExpireTime("missing"); }),
              IsOkAndHolds(std::nullopt));
  const absl::Time at = absl::FromUnixSeconds(4000000000);
  ASSERT_OK(client().ExpireAt("k", at));
  EXPECT_THAT(Run([](auto& c) { return c.ExpireTime("k"); }),
              IsOkAndHolds(Optional(at)));
  EXPECT_THAT(Run([](auto& c) { return c.PExpireTime("k"); }),
              IsOkAndHolds(Optional(at)));
}

TEST_P(KeyCommandsExecutorTest, Sort) {
  ASSERT_OK(client().RPush("n", {"3", "1", "2"}));
  ASSERT_OK(client().MSet({{"w_1", "c"}, {"w_2", "b"}, {"w_3", "a"}}));
  EXPECT_THAT(Run([](auto& c) { return c.Sort("n"); }),
              IsOkAndHolds(ElementsAre(Optional(std::string("1")),
                                       Optional(std::string("2")),
                                       Optional(std::string("3")))));
  EXPECT_THAT(Run([](auto& c) {
                return c.SortRo("n", {.limit = std::make_pair(0, 2),
                                      .descending = true});
              }),
              IsOkAndHolds(ElementsAre(Optional(std::string("3")),
                                       Optional(std::string("2")))));
  EXPECT_THAT(Run([](auto& c) {
                return c.Sort("n", {.by = "w_*",
                                    .get = {"#", "nokey_*"},
                                    .alpha = true});
              }),
              IsOkAndHolds(ElementsAre(
                  Optional(std::string("3")), std::nullopt,
                  Optional(std::string("2")), std::nullopt,
                  Optional(std::string("1")), std::nullopt)));
  EXPECT_THAT(Run([](auto& c) { return c.SortStore("n", "sorted"); }),
              IsOkAndHolds(3));
  EXPECT_THAT(client().LRange("sorted", 0, -1),
              IsOkAndHolds(ElementsAre("1", "2", "3")));
}

TEST_P(KeyCommandsExecutorTest, WaitWithoutReplicas) {
  ASSERT_OK(client().Set("k", "v"));
  // No replicas: WAIT 0 answers at once with 0.
  EXPECT_THAT(Run([](auto& c) { return c.Wait(0, absl::Milliseconds(10)); }),
              IsOkAndHolds(0));
  // appendonly is off: WAITAOF with numlocal > 0 is a server error; with
  // numlocal 0 it answers [0, 0].
  EXPECT_THAT(Run([](auto& c) {
                return c.WaitAof(1, 0, absl::Milliseconds(10));
              }),
              Not(IsOk()));
  EXPECT_THAT(Run([](auto& c) {
                return c.WaitAof(0, 0, absl::Milliseconds(10));
              }),
              IsOkAndHolds(WaitAofResult{0, 0}));
  EXPECT_THAT(Run([](auto& c) { return c.Wait(0, -absl::Seconds(1)); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace valkey
