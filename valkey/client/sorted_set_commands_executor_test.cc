// Set and sorted-set commands added for Valkey 8 (set_commands.h:
// S*STORE, SINTERCARD, SMOVE; sorted_set_commands.h: BZPOPMIN/MAX,
// ZMPOP/BZMPOP, ZUNION/ZINTER/ZDIFF and their STORE forms, ZINTERCARD,
// ZRANGESTORE, ZLEXCOUNT, ZREMRANGEBY*, ZRANDMEMBER) against a real
// valkey-server, on every executor (executor_test_fixture.h).

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
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;
using ::valkey::testing::AllExecutors;
using ::valkey::testing::ExecutorName;
using ::valkey::testing::ExecutorTest;
using ::valkey::testing::IsOkAndHolds;
using ::valkey::testing::StatusIs;

using SetCommandsExecutorTest = ExecutorTest;
INSTANTIATE_TEST_SUITE_P(Executors, SetCommandsExecutorTest, AllExecutors(),
                         ExecutorName);

TEST_P(SetCommandsExecutorTest, StoreCardMove) {
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

class SortedSetCommandsExecutorTest : public ExecutorTest {
 protected:
  void Fill() {
    ASSERT_OK(client().ZAdd("z1", {{"a", 1}, {"b", 2}, {"c", 3}}));
    ASSERT_OK(client().ZAdd("z2", {{"b", 10}, {"c", 20}, {"d", 30}}));
  }
};
INSTANTIATE_TEST_SUITE_P(Executors, SortedSetCommandsExecutorTest,
                         AllExecutors(), ExecutorName);

TEST_P(SortedSetCommandsExecutorTest, Combine) {
  Fill();
  EXPECT_THAT(Run([](auto& c) { return c.ZUnion({"z1", "z2"}); }),
              IsOkAndHolds(ElementsAre("a", "b", "c", "d")));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZInterWithScores(
                    {"z1", "z2"},
                    {.weights = {2, 1},
                     .aggregate = ZCombineOptions::Aggregate::kMin});
              }),
              IsOkAndHolds(ElementsAre(ScoredMember{"b", 4},
                                       ScoredMember{"c", 6})));
  EXPECT_THAT(Run([](auto& c) { return c.ZInter({"z1", "z2"}); }),
              IsOkAndHolds(ElementsAre("b", "c")));
  EXPECT_THAT(Run([](auto& c) { return c.ZUnionWithScores({"z1", "z2"}); }),
              IsOkAndHolds(SizeIs(4)));
  EXPECT_THAT(Run([](auto& c) { return c.ZDiff({"z1", "z2"}); }),
              IsOkAndHolds(ElementsAre("a")));
  EXPECT_THAT(Run([](auto& c) { return c.ZDiffWithScores({"z2", "z1"}); }),
              IsOkAndHolds(ElementsAre(ScoredMember{"d", 30})));
  EXPECT_THAT(Run([](auto& c) { return c.ZUnionStore("u", {"z1", "z2"}); }),
              IsOkAndHolds(4));
  EXPECT_THAT(client().ZScore("u", "c"), IsOkAndHolds(Optional(23.0)));
  EXPECT_THAT(Run([](auto& c) { return c.ZInterStore("i", {"z1", "z2"}); }),
              IsOkAndHolds(2));
  EXPECT_THAT(Run([](auto& c) { return c.ZDiffStore("d", {"z1", "z2"}); }),
              IsOkAndHolds(1));
  EXPECT_THAT(Run([](auto& c) { return c.ZInterCard({"z1", "z2"}); }),
              IsOkAndHolds(2));
  EXPECT_THAT(Run([](auto& c) { return c.ZInterCard({"z1", "z2"}, 1); }),
              IsOkAndHolds(1));
}

TEST_P(SortedSetCommandsExecutorTest, RangeStoreCountRemove) {
  Fill();
  EXPECT_THAT(Run([](auto& c) { return c.ZRangeStore("r", "z1", 0, 1); }),
              IsOkAndHolds(2));
  EXPECT_THAT(client().ZRange("r", 0, -1), IsOkAndHolds(ElementsAre("a", "b")));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRangeStoreByScore("r2", "z2",
                                            ScoreBound::Exclusive(10),
                                            ScoreBound::PosInf());
              }),
              IsOkAndHolds(2));
  ASSERT_OK(client().ZAdd("lex", {{"a", 0}, {"b", 0}, {"c", 0}, {"d", 0}}));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZLexCount("lex", LexBound::Inclusive("b"),
                                   LexBound::Max());
              }),
              IsOkAndHolds(3));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRemRangeByLex("lex", LexBound::Min(),
                                        LexBound::Exclusive("c"));
              }),
              IsOkAndHolds(2));
  EXPECT_THAT(Run([](auto& c) { return c.ZRemRangeByRank("z2", 0, 0); }),
              IsOkAndHolds(1));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRemRangeByScore("z1", ScoreBound::NegInf(),
                                          ScoreBound::Inclusive(2));
              }),
              IsOkAndHolds(2));
  EXPECT_THAT(Run([](auto& c) { return c.ZRandMember("z1"); }),
              IsOkAndHolds(Optional(std::string("c"))));
  EXPECT_THAT(Run([](auto& c) { return c.ZRandMember("missing"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.ZRandMember("z2", -3); }),
              IsOkAndHolds(SizeIs(3)));
  EXPECT_THAT(Run([](auto& c) { return c.ZRandMemberWithScores("z1", 1); }),
              IsOkAndHolds(ElementsAre(ScoredMember{"c", 3})));
}

TEST_P(SortedSetCommandsExecutorTest, Pops) {
  Fill();
  EXPECT_THAT(Run([](auto& c) {
                return c.BZPopMin({"empty", "z1"}, absl::Milliseconds(100));
              }),
              IsOkAndHolds(Optional(KeyedScoredMember{"z1", "a", 1})));
  EXPECT_THAT(Run([](auto& c) {
                return c.BZPopMax({"z2"}, absl::Milliseconds(100));
              }),
              IsOkAndHolds(Optional(KeyedScoredMember{"z2", "d", 30})));
  EXPECT_THAT(Run([](auto& c) {
                return c.BZPopMin({"empty"}, absl::Milliseconds(50));
              }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(
      Run([](auto& c) { return c.ZMPop({"empty", "z1"}, ZEnd::kMax, 5); }),
      IsOkAndHolds(Optional(SortedSetMultiPop{
          "z1", {ScoredMember{"c", 3}, ScoredMember{"b", 2}}})));
  EXPECT_THAT(Run([](auto& c) {
                return c.BZMPop(absl::Milliseconds(100), {"z2"}, ZEnd::kMin);
              }),
              IsOkAndHolds(Optional(
                  SortedSetMultiPop{"z2", {ScoredMember{"b", 10}}})));
  EXPECT_THAT(Run([](auto& c) { return c.ZMPop({"z1"}, ZEnd::kMin); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.ZMPop({"z1"}, ZEnd::kMin, 0); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace valkey
