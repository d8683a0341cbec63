// Sorted-set commands (sorted_set_commands.h) against a real
// valkey-server, on every executor (executor_test_fixture.h), and the
// blocking ZScanAll walker (scan.h).

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
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

constexpr double kInf = std::numeric_limits<double>::infinity();

class SortedSetCommandsTest : public ExecutorTest {
 protected:
  // board: a=1, b=2, c=2.5, d=10.
  void FillBoard() {
    ASSERT_THAT(client().ZAdd("board",
                              {{"a", 1}, {"b", 2}, {"c", 2.5}, {"d", 10}}),
                IsOkAndHolds(4));
  }
  // z1: a=1, b=2, c=3; z2: b=10, c=20, d=30.
  void Fill() {
    ASSERT_OK(client().ZAdd("z1", {{"a", 1}, {"b", 2}, {"c", 3}}));
    ASSERT_OK(client().ZAdd("z2", {{"b", 10}, {"c", 20}, {"d", 30}}));
  }
};
VALKEY_INSTANTIATE_EXECUTOR_TESTS(SortedSetCommandsTest);

TEST_P(SortedSetCommandsTest, AddOptions) {
  FillBoard();
  using Cond = ZAddOptions::Condition;
  using Cmp = ZAddOptions::Comparison;
  // NX: only new members.
  EXPECT_THAT(Run([](auto& c) {
                return c.ZAdd("board", {{"a", 100}, {"e", 5}},
                              {.condition = Cond::kIfNotExists});
              }),
              IsOkAndHolds(1));
  EXPECT_THAT(client().ZScore("board", "a"), IsOkAndHolds(Optional(1.0)));
  // XX: only existing ones (CH counts the update).
  EXPECT_THAT(Run([](auto& c) {
                return c.ZAdd("board", {{"a", 1.5}, {"f", 5}},
                              {.condition = Cond::kIfExists, .changed = true});
              }),
              IsOkAndHolds(1));
  EXPECT_THAT(client().ZScore("board", "a"), IsOkAndHolds(Optional(1.5)));
  EXPECT_THAT(client().ZScore("board", "f"), IsOkAndHolds(std::nullopt));
  // GT / LT.
  EXPECT_THAT(Run([](auto& c) {
                return c.ZAdd("board", {{"b", 1}},
                              {.comparison = Cmp::kGreater, .changed = true});
              }),
              IsOkAndHolds(0));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZAdd("board", {{"b", 3}},
                              {.comparison = Cmp::kGreater, .changed = true});
              }),
              IsOkAndHolds(1));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZAdd("board", {{"b", 0.5}},
                              {.comparison = Cmp::kLess, .changed = true});
              }),
              IsOkAndHolds(1));
  EXPECT_THAT(client().ZScore("board", "b"), IsOkAndHolds(Optional(0.5)));

  // INCR: the new score, or nullopt when a condition blocks it.
  EXPECT_THAT(Run([](auto& c) { return c.ZAddIncr("board", 2, "a"); }),
              IsOkAndHolds(Optional(3.5)));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZAddIncr("board", 1, "a",
                                  {.condition = Cond::kIfNotExists});
              }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZAddIncr("board", 1, "a", {.comparison = Cmp::kLess});
              }),
              IsOkAndHolds(std::nullopt));

  EXPECT_THAT(Run([](auto& c) { return c.ZIncrBy("board", -0.5, "a"); }),
              IsOkAndHolds(3.0));
  EXPECT_THAT(Run([](auto& c) { return c.ZIncrBy("new", 4, "x"); }),
              IsOkAndHolds(4.0));
}

TEST_P(SortedSetCommandsTest, RangeByIndex) {
  FillBoard();
  EXPECT_THAT(Run([](auto& c) { return c.ZRange("board", 0, -1); }),
              IsOkAndHolds(ElementsAre("a", "b", "c", "d")));
  EXPECT_THAT(Run([](auto& c) { return c.ZRange("board", 0, 1, {.rev = true}); }),
              IsOkAndHolds(ElementsAre("d", "c")));
  EXPECT_THAT(Run([](auto& c) { return c.ZRange("missing", 0, -1); }),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Run([](auto& c) { return c.ZRangeWithScores("board", 1, 2); }),
              IsOkAndHolds(ElementsAre(ScoredMember{"b", 2},
                                       ScoredMember{"c", 2.5})));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRangeWithScores("board", 0, 0, {.rev = true});
              }),
              IsOkAndHolds(ElementsAre(ScoredMember{"d", 10})));
  EXPECT_THAT(Run([](auto& c) { return c.ZRangeWithScores("missing", 0, -1); }),
              IsOkAndHolds(IsEmpty()));
}

TEST_P(SortedSetCommandsTest, RangeByScore) {
  FillBoard();
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRangeByScore("board", ScoreBound::Inclusive(2),
                                       ScoreBound::Inclusive(10));
              }),
              IsOkAndHolds(ElementsAre("b", "c", "d")));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRangeByScore("board", ScoreBound::Exclusive(2),
                                       ScoreBound::Exclusive(10));
              }),
              IsOkAndHolds(ElementsAre("c")));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRangeByScore("board", ScoreBound::NegInf(),
                                       ScoreBound::Inclusive(2));
              }),
              IsOkAndHolds(ElementsAre("a", "b")));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRangeByScore("board", ScoreBound::Inclusive(2.5),
                                       ScoreBound::PosInf());
              }),
              IsOkAndHolds(ElementsAre("c", "d")));
  // rev keeps the low bound first in the call.
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRangeByScore("board", ScoreBound::NegInf(),
                                       ScoreBound::PosInf(), {.rev = true});
              }),
              IsOkAndHolds(ElementsAre("d", "c", "b", "a")));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRangeByScore(
                    "board", ScoreBound::NegInf(), ScoreBound::PosInf(),
                    {.limit = ZRangeLimit{.offset = 1, .count = 2}});
              }),
              IsOkAndHolds(ElementsAre("b", "c")));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRangeByScore(
                    "board", ScoreBound::Inclusive(1), ScoreBound::Inclusive(3),
                    {.rev = true,
                     .limit = ZRangeLimit{.offset = 0, .count = 1}});
              }),
              IsOkAndHolds(ElementsAre("c")));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRangeByScoreWithScores("board",
                                                 ScoreBound::Exclusive(1),
                                                 ScoreBound::PosInf(),
                                                 {.rev = true});
              }),
              IsOkAndHolds(ElementsAre(ScoredMember{"d", 10},
                                       ScoredMember{"c", 2.5},
                                       ScoredMember{"b", 2})));

  EXPECT_THAT(Run([](auto& c) {
                return c.ZCount("board", ScoreBound::NegInf(),
                                ScoreBound::PosInf());
              }),
              IsOkAndHolds(4));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZCount("board", ScoreBound::Exclusive(1),
                                ScoreBound::Inclusive(2.5));
              }),
              IsOkAndHolds(2));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZCount("missing", ScoreBound::NegInf(),
                                ScoreBound::PosInf());
              }),
              IsOkAndHolds(0));

  // Infinite scores round-trip.
  EXPECT_THAT(
      Run([](auto& c) { return c.ZAdd("inf", {{"lo", -kInf}, {"hi", kInf}}); }),
      IsOkAndHolds(2));
  EXPECT_THAT(Run([](auto& c) { return c.ZScore("inf", "hi"); }),
              IsOkAndHolds(Optional(kInf)));
  EXPECT_THAT(Run([](auto& c) { return c.ZRangeWithScores("inf", 0, 0); }),
              IsOkAndHolds(ElementsAre(ScoredMember{"lo", -kInf})));
}

TEST_P(SortedSetCommandsTest, RangeByLex) {
  ASSERT_OK(client().ZAdd("lex", {{"a", 0}, {"b", 0}, {"c", 0}, {"d", 0}}));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRangeByLex("lex", LexBound::Min(), LexBound::Max());
              }),
              IsOkAndHolds(ElementsAre("a", "b", "c", "d")));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRangeByLex("lex", LexBound::Inclusive("b"),
                                     LexBound::Exclusive("d"));
              }),
              IsOkAndHolds(ElementsAre("b", "c")));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRangeByLex("lex", LexBound::Exclusive("a"),
                                     LexBound::Max(), {.rev = true});
              }),
              IsOkAndHolds(ElementsAre("d", "c", "b")));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRangeByLex(
                    "lex", LexBound::Min(), LexBound::Max(),
                    {.limit = ZRangeLimit{.offset = 2, .count = -1}});
              }),
              IsOkAndHolds(ElementsAre("c", "d")));
}

TEST_P(SortedSetCommandsTest, ScoresRanksAndRemoval) {
  FillBoard();
  EXPECT_THAT(Run([](auto& c) { return c.ZScore("board", "c"); }),
              IsOkAndHolds(Optional(2.5)));
  EXPECT_THAT(Run([](auto& c) { return c.ZScore("board", "nope"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.ZScore("missing", "a"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.ZMScore("board", {"a", "nope", "d"}); }),
              IsOkAndHolds(ElementsAre(Optional(1.0), std::nullopt,
                                       Optional(10.0))));

  EXPECT_THAT(Run([](auto& c) { return c.ZRank("board", "c"); }),
              IsOkAndHolds(Optional(2)));
  EXPECT_THAT(Run([](auto& c) { return c.ZRevRank("board", "c"); }),
              IsOkAndHolds(Optional(1)));
  EXPECT_THAT(Run([](auto& c) { return c.ZRank("board", "nope"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.ZRevRank("missing", "a"); }),
              IsOkAndHolds(std::nullopt));

  EXPECT_THAT(Run([](auto& c) { return c.ZCard("board"); }), IsOkAndHolds(4));
  EXPECT_THAT(Run([](auto& c) { return c.ZCard("missing"); }),
              IsOkAndHolds(0));
  EXPECT_THAT(Run([](auto& c) { return c.ZRem("board", {"a", "nope"}); }),
              IsOkAndHolds(1));
  EXPECT_THAT(client().ZCard("board"), IsOkAndHolds(3));
}

TEST_P(SortedSetCommandsTest, Pops) {
  FillBoard();
  EXPECT_THAT(Run([](auto& c) { return c.ZPopMin("board"); }),
              IsOkAndHolds(Optional(ScoredMember{"a", 1})));
  EXPECT_THAT(Run([](auto& c) { return c.ZPopMax("board"); }),
              IsOkAndHolds(Optional(ScoredMember{"d", 10})));
  ASSERT_OK(client().ZAdd("board", {{"x", 7}, {"y", 8}}));
  EXPECT_THAT(Run([](auto& c) { return c.ZPopMax("board", 2); }),
              IsOkAndHolds(ElementsAre(ScoredMember{"y", 8},
                                       ScoredMember{"x", 7})));
  EXPECT_THAT(Run([](auto& c) { return c.ZPopMin("board", 10); }),
              IsOkAndHolds(ElementsAre(ScoredMember{"b", 2},
                                       ScoredMember{"c", 2.5})));
  EXPECT_THAT(Run([](auto& c) { return c.ZPopMin("board", 1); }),
              IsOkAndHolds(IsEmpty()));

  // Nil cases.
  EXPECT_THAT(Run([](auto& c) { return c.ZPopMin("board"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.ZPopMax("missing"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.ZPopMax("missing", 3); }),
              IsOkAndHolds(IsEmpty()));
}

TEST_P(SortedSetCommandsTest, ScanPages) {
  std::vector<ScoredMember> members;
  absl::flat_hash_map<std::string, double> want;
  for (int i = 0; i < 500; ++i) {
    members.push_back({absl::StrCat("m", i), i + 0.25});
    want[members.back().member] = members.back().score;
  }
  ASSERT_OK(client().ZAdd("big", members));
  auto page = Run([](auto& c) { return c.ZScan("big", 0, {.count = 10}); });
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_NE(page->next_cursor, 0u);
  for (const ScoredMember& m : page->items) EXPECT_EQ(want[m.member], m.score);

  // Small sets come back whole.
  ASSERT_OK(client().ZAdd("small", {{"a", 1.5}}));
  auto small = Run([](auto& c) { return c.ZScan("small", 0); });
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->next_cursor, 0u);
  EXPECT_THAT(small->items, ElementsAre(ScoredMember{"a", 1.5}));
}

TEST_P(SortedSetCommandsTest, Errors) {
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(Run([](auto& c) { return c.ZAdd("z", {}); }), StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.ZAdd("z", {{"a", kNan}}); }),
              StatusIs(kInvalid));
  auto nx_gt = Run([](auto& c) {
    return c.ZAdd("z", {{"a", 1}},
                  {.condition = ZAddOptions::Condition::kIfNotExists,
                   .comparison = ZAddOptions::Comparison::kGreater});
  });
  EXPECT_EQ(nx_gt.status().code(), kInvalid);
  EXPECT_NE(nx_gt.status().message().find("ZADD"), absl::string_view::npos);
  EXPECT_THAT(Run([](auto& c) { return c.ZAddIncr("z", kNan, "a"); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.ZIncrBy("z", kNan, "a"); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.ZRem("z", {}); }), StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.ZMScore("z", {}); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRange("z", 0, -1, {.limit = ZRangeLimit{0, 1}});
              }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZRangeByScore("z", ScoreBound::Inclusive(kNan),
                                       ScoreBound::PosInf());
              }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) {
                return c.ZCount("z", ScoreBound::NegInf(),
                                ScoreBound::Inclusive(kNan));
              }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.ZPopMin("z", -1); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.ZScan("z", 0, {.type = "zset"}); }),
              StatusIs(kInvalid));
  ASSERT_OK(client().Set("str", "x"));
  EXPECT_EQ(GetErrorKind(
                Run([](auto& c) { return c.ZAdd("str", {{"a", 1}}); }).status()),
            ErrorKind::kWrongType);
}

TEST_P(SortedSetCommandsTest, Combine) {
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

TEST_P(SortedSetCommandsTest, RangeStoreCountRemove) {
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

TEST_P(SortedSetCommandsTest, BlockingAndMultiPops) {
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

// ZScanAll (scan.h) walks with a blocking Client only; it runs over RESP2
// and RESP3.
using SortedSetScanAllTest = ::valkey::testing::RespClientTest;
INSTANTIATE_TEST_SUITE_P(Resp, SortedSetScanAllTest,
                         ::valkey::testing::RespProtocols(),
                         ::valkey::testing::RespName);

TEST_P(SortedSetScanAllTest, WalksEveryMemberWithItsScore) {
  std::vector<ScoredMember> members;
  absl::flat_hash_map<std::string, double> want;
  for (int i = 0; i < 500; ++i) {
    members.push_back({absl::StrCat("m", i), i + 0.25});
    want[members.back().member] = members.back().score;
  }
  ASSERT_OK(client().ZAdd("big", members));
  absl::flat_hash_map<std::string, double> got;
  for (absl::StatusOr<ScoredMember> m : ZScanAll(client(), "big")) {
    ASSERT_TRUE(m.ok()) << m.status();
    got[m->member] = m->score;
  }
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace valkey::executor_tests
