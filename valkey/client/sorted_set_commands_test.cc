// Sorted-set commands (sorted_set_commands.h) and ZScanAll (scan.h) against
// a real valkey-server, over RESP2 and RESP3.

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
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
using Scored = std::vector<ScoredMember>;

class SortedSetCommandsTest : public RespClientTest {
 protected:
  // board: a=1, b=2, c=2.5, d=10.
  void FillBoard() {
    auto added = client_->ZAdd(
        "board", {{"a", 1}, {"b", 2}, {"c", 2.5}, {"d", 10}});
    ASSERT_TRUE(added.ok()) << added.status();
    ASSERT_EQ(*added, 4);
  }
};

INSTANTIATE_TEST_SUITE_P(Resp, SortedSetCommandsTest, RespProtocols(),
                         RespName);

TEST_P(SortedSetCommandsTest, AddOptions) {
  FillBoard();
  using Cond = ZAddOptions::Condition;
  using Cmp = ZAddOptions::Comparison;
  // NX: only new members.
  EXPECT_EQ(*client_->ZAdd("board", {{"a", 100}, {"e", 5}},
                           {.condition = Cond::kIfNotExists}),
            1);
  EXPECT_EQ(**client_->ZScore("board", "a"), 1);
  // XX: only existing ones (CH counts the update).
  EXPECT_EQ(*client_->ZAdd("board", {{"a", 1.5}, {"f", 5}},
                           {.condition = Cond::kIfExists, .changed = true}),
            1);
  EXPECT_EQ(**client_->ZScore("board", "a"), 1.5);
  EXPECT_FALSE(client_->ZScore("board", "f")->has_value());
  // GT / LT.
  EXPECT_EQ(*client_->ZAdd("board", {{"b", 1}},
                           {.comparison = Cmp::kGreater, .changed = true}),
            0);
  EXPECT_EQ(*client_->ZAdd("board", {{"b", 3}},
                           {.comparison = Cmp::kGreater, .changed = true}),
            1);
  EXPECT_EQ(*client_->ZAdd("board", {{"b", 0.5}},
                           {.comparison = Cmp::kLess, .changed = true}),
            1);
  EXPECT_EQ(**client_->ZScore("board", "b"), 0.5);

  // INCR: the new score, or nullopt when a condition blocks it.
  auto incr = client_->ZAddIncr("board", 2, "a");
  ASSERT_TRUE(incr.ok()) << incr.status();
  EXPECT_EQ(incr->value_or(-1), 3.5);
  auto blocked =
      client_->ZAddIncr("board", 1, "a", {.condition = Cond::kIfNotExists});
  ASSERT_TRUE(blocked.ok()) << blocked.status();
  EXPECT_FALSE(blocked->has_value());
  auto lt_blocked =
      client_->ZAddIncr("board", 1, "a", {.comparison = Cmp::kLess});
  ASSERT_TRUE(lt_blocked.ok()) << lt_blocked.status();
  EXPECT_FALSE(lt_blocked->has_value());

  auto by = client_->ZIncrBy("board", -0.5, "a");
  ASSERT_TRUE(by.ok()) << by.status();
  EXPECT_EQ(*by, 3.0);
  EXPECT_EQ(*client_->ZIncrBy("new", 4, "x"), 4.0);
}

TEST_P(SortedSetCommandsTest, RangeByIndex) {
  FillBoard();
  EXPECT_EQ(*client_->ZRange("board", 0, -1), (Strings{"a", "b", "c", "d"}));
  EXPECT_EQ(*client_->ZRange("board", 0, 1, {.rev = true}),
            (Strings{"d", "c"}));
  EXPECT_TRUE(client_->ZRange("missing", 0, -1)->empty());
  auto scored = client_->ZRangeWithScores("board", 1, 2);
  ASSERT_TRUE(scored.ok()) << scored.status();
  EXPECT_EQ(*scored, (Scored{{"b", 2}, {"c", 2.5}}));
  EXPECT_EQ(*client_->ZRangeWithScores("board", 0, 0, {.rev = true}),
            (Scored{{"d", 10}}));
  EXPECT_TRUE(client_->ZRangeWithScores("missing", 0, -1)->empty());
}

TEST_P(SortedSetCommandsTest, RangeByScore) {
  FillBoard();
  EXPECT_EQ(*client_->ZRangeByScore("board", ScoreBound::Inclusive(2),
                                    ScoreBound::Inclusive(10)),
            (Strings{"b", "c", "d"}));
  EXPECT_EQ(*client_->ZRangeByScore("board", ScoreBound::Exclusive(2),
                                    ScoreBound::Exclusive(10)),
            (Strings{"c"}));
  EXPECT_EQ(*client_->ZRangeByScore("board", ScoreBound::NegInf(),
                                    ScoreBound::Inclusive(2)),
            (Strings{"a", "b"}));
  EXPECT_EQ(*client_->ZRangeByScore("board", ScoreBound::Inclusive(2.5),
                                    ScoreBound::PosInf()),
            (Strings{"c", "d"}));
  // rev keeps the low bound first in the call.
  EXPECT_EQ(*client_->ZRangeByScore("board", ScoreBound::NegInf(),
                                    ScoreBound::PosInf(), {.rev = true}),
            (Strings{"d", "c", "b", "a"}));
  EXPECT_EQ(
      *client_->ZRangeByScore("board", ScoreBound::NegInf(),
                              ScoreBound::PosInf(),
                              {.limit = ZRangeLimit{.offset = 1, .count = 2}}),
      (Strings{"b", "c"}));
  EXPECT_EQ(*client_->ZRangeByScore(
                "board", ScoreBound::Inclusive(1), ScoreBound::Inclusive(3),
                {.rev = true, .limit = ZRangeLimit{.offset = 0, .count = 1}}),
            (Strings{"c"}));
  auto scored = client_->ZRangeByScoreWithScores(
      "board", ScoreBound::Exclusive(1), ScoreBound::PosInf(), {.rev = true});
  ASSERT_TRUE(scored.ok()) << scored.status();
  EXPECT_EQ(*scored, (Scored{{"d", 10}, {"c", 2.5}, {"b", 2}}));

  EXPECT_EQ(*client_->ZCount("board", ScoreBound::NegInf(),
                             ScoreBound::PosInf()),
            4);
  EXPECT_EQ(*client_->ZCount("board", ScoreBound::Exclusive(1),
                             ScoreBound::Inclusive(2.5)),
            2);
  EXPECT_EQ(*client_->ZCount("missing", ScoreBound::NegInf(),
                             ScoreBound::PosInf()),
            0);

  // Infinite scores round-trip.
  ASSERT_TRUE(client_
                  ->ZAdd("inf", {{"lo", -std::numeric_limits<double>::infinity()},
                                 {"hi", std::numeric_limits<double>::infinity()}})
                  .ok());
  EXPECT_EQ(**client_->ZScore("inf", "hi"),
            std::numeric_limits<double>::infinity());
  EXPECT_EQ(*client_->ZRangeWithScores("inf", 0, 0),
            (Scored{{"lo", -std::numeric_limits<double>::infinity()}}));
}

TEST_P(SortedSetCommandsTest, RangeByLex) {
  ASSERT_TRUE(
      client_->ZAdd("lex", {{"a", 0}, {"b", 0}, {"c", 0}, {"d", 0}}).ok());
  EXPECT_EQ(*client_->ZRangeByLex("lex", LexBound::Min(), LexBound::Max()),
            (Strings{"a", "b", "c", "d"}));
  EXPECT_EQ(*client_->ZRangeByLex("lex", LexBound::Inclusive("b"),
                                  LexBound::Exclusive("d")),
            (Strings{"b", "c"}));
  EXPECT_EQ(*client_->ZRangeByLex("lex", LexBound::Exclusive("a"),
                                  LexBound::Max(), {.rev = true}),
            (Strings{"d", "c", "b"}));
  EXPECT_EQ(*client_->ZRangeByLex("lex", LexBound::Min(), LexBound::Max(),
                                  {.limit = ZRangeLimit{.offset = 2,
                                                        .count = -1}}),
            (Strings{"c", "d"}));
}

TEST_P(SortedSetCommandsTest, ScoresRanksAndRemoval) {
  FillBoard();
  auto score = client_->ZScore("board", "c");
  ASSERT_TRUE(score.ok()) << score.status();
  EXPECT_EQ(score->value_or(-1), 2.5);
  EXPECT_FALSE(client_->ZScore("board", "nope")->has_value());
  EXPECT_FALSE(client_->ZScore("missing", "a")->has_value());
  auto scores = client_->ZMScore("board", {"a", "nope", "d"});
  ASSERT_TRUE(scores.ok()) << scores.status();
  EXPECT_EQ(*scores, (std::vector<std::optional<double>>{1, std::nullopt, 10}));

  EXPECT_EQ(client_->ZRank("board", "c")->value_or(-1), 2);
  EXPECT_EQ(client_->ZRevRank("board", "c")->value_or(-1), 1);
  EXPECT_FALSE(client_->ZRank("board", "nope")->has_value());
  EXPECT_FALSE(client_->ZRevRank("missing", "a")->has_value());

  EXPECT_EQ(*client_->ZCard("board"), 4);
  EXPECT_EQ(*client_->ZCard("missing"), 0);
  EXPECT_EQ(*client_->ZRem("board", {"a", "nope"}), 1);
  EXPECT_EQ(*client_->ZCard("board"), 3);
}

TEST_P(SortedSetCommandsTest, Pops) {
  FillBoard();
  auto min = client_->ZPopMin("board");
  ASSERT_TRUE(min.ok()) << min.status();
  ASSERT_TRUE(min->has_value());
  EXPECT_EQ(**min, (ScoredMember{"a", 1}));
  auto max = client_->ZPopMax("board");
  ASSERT_TRUE(max.ok()) << max.status();
  EXPECT_EQ(**max, (ScoredMember{"d", 10}));
  ASSERT_TRUE(client_->ZAdd("board", {{"x", 7}, {"y", 8}}).ok());
  auto two_max = client_->ZPopMax("board", 2);
  ASSERT_TRUE(two_max.ok()) << two_max.status();
  EXPECT_EQ(*two_max, (Scored{{"y", 8}, {"x", 7}}));
  auto rest = client_->ZPopMin("board", 10);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(*rest, (Scored{{"b", 2}, {"c", 2.5}}));
  auto one = client_->ZPopMin("board", 1);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_TRUE(one->empty());

  // Nil cases.
  EXPECT_FALSE(client_->ZPopMin("board")->has_value());
  EXPECT_FALSE(client_->ZPopMax("missing")->has_value());
  EXPECT_TRUE(client_->ZPopMax("missing", 3)->empty());
}

TEST_P(SortedSetCommandsTest, Scan) {
  std::vector<ScoredMember> members;
  absl::flat_hash_map<std::string, double> want;
  for (int i = 0; i < 500; ++i) {
    members.push_back({absl::StrCat("m", i), i + 0.25});
    want[members.back().member] = members.back().score;
  }
  ASSERT_TRUE(client_->ZAdd("big", members).ok());
  auto page = client_->ZScan("big", 0, {.count = 10});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_NE(page->next_cursor, 0u);
  for (const ScoredMember& m : page->items) EXPECT_EQ(want[m.member], m.score);

  absl::flat_hash_map<std::string, double> got;
  for (absl::StatusOr<ScoredMember> m : ZScanAll(*client_, "big")) {
    ASSERT_TRUE(m.ok()) << m.status();
    got[m->member] = m->score;
  }
  EXPECT_EQ(got, want);

  // Small sets come back whole.
  ASSERT_TRUE(client_->ZAdd("small", {{"a", 1.5}}).ok());
  auto small = client_->ZScan("small", 0);
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->next_cursor, 0u);
  EXPECT_EQ(small->items, (Scored{{"a", 1.5}}));
}

TEST_P(SortedSetCommandsTest, Errors) {
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(client_->ZAdd("z", {}).status().code(), kInvalid);
  EXPECT_EQ(client_->ZAdd("z", {{"a", nan}}).status().code(), kInvalid);
  auto nx_gt = client_->ZAdd(
      "z", {{"a", 1}},
      {.condition = ZAddOptions::Condition::kIfNotExists,
       .comparison = ZAddOptions::Comparison::kGreater});
  EXPECT_EQ(nx_gt.status().code(), kInvalid);
  EXPECT_NE(nx_gt.status().message().find("ZADD"), absl::string_view::npos);
  EXPECT_EQ(client_->ZAddIncr("z", nan, "a").status().code(), kInvalid);
  EXPECT_EQ(client_->ZIncrBy("z", nan, "a").status().code(), kInvalid);
  EXPECT_EQ(client_->ZRem("z", {}).status().code(), kInvalid);
  EXPECT_EQ(client_->ZMScore("z", {}).status().code(), kInvalid);
  EXPECT_EQ(client_->ZRange("z", 0, -1, {.limit = ZRangeLimit{0, 1}})
                .status()
                .code(),
            kInvalid);
  EXPECT_EQ(client_
                ->ZRangeByScore("z", ScoreBound::Inclusive(nan),
                                ScoreBound::PosInf())
                .status()
                .code(),
            kInvalid);
  EXPECT_EQ(client_->ZCount("z", ScoreBound::NegInf(), ScoreBound::Inclusive(nan))
                .status()
                .code(),
            kInvalid);
  EXPECT_EQ(client_->ZPopMin("z", -1).status().code(), kInvalid);
  EXPECT_EQ(client_->ZScan("z", 0, {.type = "zset"}).status().code(), kInvalid);
  ASSERT_TRUE(client_->Set("str", "x").ok());
  EXPECT_EQ(GetErrorKind(client_->ZAdd("str", {{"a", 1}}).status()),
            ErrorKind::kWrongType);
}

}  // namespace
}  // namespace valkey
