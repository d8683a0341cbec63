// List commands added for Valkey 8 (list_commands.h: LINSERT, LPOS, LMOVE,
// BLMOVE, LMPOP, BLMPOP) against a real valkey-server, on every executor
// (executor_test_fixture.h).

#include <optional>
#include <string>
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
using ::valkey::testing::AllExecutors;
using ::valkey::testing::ExecutorName;
using ::valkey::testing::ExecutorTest;
using ::valkey::testing::IsOkAndHolds;
using ::valkey::testing::StatusIs;

using ListCommandsExecutorTest = ExecutorTest;
INSTANTIATE_TEST_SUITE_P(Executors, ListCommandsExecutorTest, AllExecutors(),
                         ExecutorName);

TEST_P(ListCommandsExecutorTest, InsertAndPos) {
  ASSERT_OK(client().RPush("l", {"a", "b", "c", "b"}));
  EXPECT_THAT(Run([](auto& c) { return c.LInsert("l", true, "c", "x"); }),
              IsOkAndHolds(5));
  EXPECT_THAT(Run([](auto& c) { return c.LInsert("l", false, "zz", "x"); }),
              IsOkAndHolds(-1));
  EXPECT_THAT(client().LRange("l", 0, -1),
              IsOkAndHolds(ElementsAre("a", "b", "x", "c", "b")));
  EXPECT_THAT(Run([](auto& c) { return c.LPos("l", "b"); }),
              IsOkAndHolds(Optional(1)));
  EXPECT_THAT(Run([](auto& c) { return c.LPos("l", "b", {.rank = -1}); }),
              IsOkAndHolds(Optional(4)));
  EXPECT_THAT(Run([](auto& c) { return c.LPos("l", "none"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.LPosAll("l", "b", 0); }),
              IsOkAndHolds(ElementsAre(1, 4)));
  EXPECT_THAT(Run([](auto& c) {
                return c.LPosAll("l", "b", 0, {.max_len = 2});
              }),
              IsOkAndHolds(ElementsAre(1)));
  EXPECT_THAT(Run([](auto& c) { return c.LPos("l", "b", {.rank = 0}); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(ListCommandsExecutorTest, MoveAndMultiPop) {
  ASSERT_OK(client().RPush("src", {"1", "2", "3"}));
  EXPECT_THAT(Run([](auto& c) {
                return c.LMove("src", "dst", ListEnd::kLeft, ListEnd::kRight);
              }),
              IsOkAndHolds(Optional(std::string("1"))));
  EXPECT_THAT(Run([](auto& c) {
                return c.BLMove("src", "dst", ListEnd::kRight, ListEnd::kLeft,
                                absl::Milliseconds(100));
              }),
              IsOkAndHolds(Optional(std::string("3"))));
  EXPECT_THAT(client().LRange("dst", 0, -1),
              IsOkAndHolds(ElementsAre("3", "1")));
  EXPECT_THAT(Run([](auto& c) {
                return c.LMove("empty", "dst", ListEnd::kLeft, ListEnd::kLeft);
              }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) {
                return c.LMPop({"empty", "dst"}, ListEnd::kLeft, 5);
              }),
              IsOkAndHolds(Optional(ListMultiPop{"dst", {"3", "1"}})));
  EXPECT_THAT(Run([](auto& c) {
                return c.BLMPop(absl::Milliseconds(100), {"src"},
                                ListEnd::kRight);
              }),
              IsOkAndHolds(Optional(ListMultiPop{"src", {"2"}})));
  // Nothing left: LMPOP answers nil at once, BLMPOP after its time-out.
  EXPECT_THAT(Run([](auto& c) { return c.LMPop({"src"}, ListEnd::kLeft); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) {
                return c.BLMPop(absl::Milliseconds(50), {"src"},
                                ListEnd::kLeft);
              }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.LMPop({}, ListEnd::kLeft); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace valkey
