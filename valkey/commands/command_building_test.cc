// Argument building of typed commands, without a server (see
// recording_executor.h): above all the Valkey 9 commands the installed
// server may lack (HSETEX, HGETEX, HGETDEL, HEXPIRE & co., DELIFEQ, SET
// IFEQ, MSETEX), plus options structs whose wire form is easy to get wrong.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "valkey/commands/recording_executor.h"

namespace valkey {
namespace {

using ::testing::ElementsAre;
using ::valkey::testing::IsOk;
using ::valkey::testing::StatusIs;
using Args = std::vector<std::string>;

TEST(CommandBuildingTest, HSetEx) {
  RecordingExecutor x;
  Recorded<bool> r = x.HSetEx("h", {{"f", "v"}, {"g", "w"}},
                              {.field_condition =
                                   HSetExOptions::FieldCondition::kNoneExist,
                               .ttl = absl::Seconds(5)});
  ASSERT_THAT(r.status, IsOk());
  EXPECT_EQ(r.args, (Args{"HSETEX", "h", "FNX", "EX", "5", "FIELDS", "2", "f",
                          "v", "g", "w"}));
  EXPECT_EQ(x.HSetEx("h", {{"f", "v"}}, {.keep_ttl = true}).args,
            (Args{"HSETEX", "h", "KEEPTTL", "FIELDS", "1", "f", "v"}));
  EXPECT_EQ(x.HSetEx("h", {{"f", "v"}}, {.ttl = absl::Milliseconds(1500)})
                .args,
            (Args{"HSETEX", "h", "PX", "1500", "FIELDS", "1", "f", "v"}));
  EXPECT_THAT(x.HSetEx("h", {}).status,
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      x.HSetEx("h", {{"f", "v"}}, {.ttl = absl::Seconds(1), .keep_ttl = true})
          .status,
      StatusIs(absl::StatusCode::kInvalidArgument));
}

// Valkey 9.0's key condition (NX: only a new hash, XX: only an existing
// one) comes right after the key, before the field condition.
TEST(CommandBuildingTest, HSetExKeyCondition) {
  RecordingExecutor x;
  EXPECT_EQ(
      x.HSetEx("h", {{"f", "v"}},
               {.key_condition = HSetExOptions::KeyCondition::kNotExists})
          .args,
      (Args{"HSETEX", "h", "NX", "FIELDS", "1", "f", "v"}));
  EXPECT_EQ(x.HSetEx("h", {{"f", "v"}},
                     {.key_condition = HSetExOptions::KeyCondition::kExists,
                      .field_condition =
                          HSetExOptions::FieldCondition::kAllExist,
                      .expire_at = absl::FromUnixMillis(1700000000123)})
                .args,
            (Args{"HSETEX", "h", "XX", "FXX", "PXAT", "1700000000123",
                  "FIELDS", "1", "f", "v"}));
  EXPECT_EQ(x.HSetEx("h", {{"f", "v"}},
                     {.key_condition = HSetExOptions::KeyCondition::kNotExists,
                      .field_condition =
                          HSetExOptions::FieldCondition::kNoneExist,
                      .keep_ttl = true})
                .args,
            (Args{"HSETEX", "h", "NX", "FNX", "KEEPTTL", "FIELDS", "1", "f",
                  "v"}));
  // The default sends no key condition.
  EXPECT_EQ(x.HSetEx("h", {{"f", "v"}}).args,
            (Args{"HSETEX", "h", "FIELDS", "1", "f", "v"}));
}

TEST(CommandBuildingTest, HGetExAndHGetDel) {
  RecordingExecutor x;
  EXPECT_EQ(x.HGetEx("h", {"a", "b"}, {.persist = true}).args,
            (Args{"HGETEX", "h", "PERSIST", "FIELDS", "2", "a", "b"}));
  EXPECT_EQ(x.HGetEx("h", {"a"}, {.ttl = absl::Seconds(3)}).args,
            (Args{"HGETEX", "h", "EX", "3", "FIELDS", "1", "a"}));
  EXPECT_EQ(
      x.HGetEx("h", {"a"}, {.expire_at = absl::FromUnixMillis(1700000000123)})
          .args,
      (Args{"HGETEX", "h", "PXAT", "1700000000123", "FIELDS", "1", "a"}));
  EXPECT_THAT(x.HGetEx("h", {"a"}, {.ttl = absl::Seconds(1), .persist = true})
                  .status,
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(x.HGetEx("h", {}).status,
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(x.HGetDel("h", {"a"}).args,
            (Args{"HGETDEL", "h", "FIELDS", "1", "a"}));
}

TEST(CommandBuildingTest, HashFieldExpiry) {
  RecordingExecutor x;
  EXPECT_EQ(x.HExpire("h", absl::Milliseconds(1500), {"a"},
                      ExpireCondition::kNoExpiry)
                .args,
            (Args{"HEXPIRE", "h", "2", "NX", "FIELDS", "1", "a"}));
  EXPECT_EQ(x.HPExpire("h", absl::Milliseconds(1500), {"a", "b"}).args,
            (Args{"HPEXPIRE", "h", "1500", "FIELDS", "2", "a", "b"}));
  EXPECT_EQ(x.HExpireAt("h", absl::FromUnixSeconds(1700000000), {"a"},
                        ExpireCondition::kGreater)
                .args,
            (Args{"HEXPIREAT", "h", "1700000000", "GT", "FIELDS", "1", "a"}));
  EXPECT_EQ(x.HPExpireAt("h", absl::FromUnixMillis(1700000000001), {"a"})
                .args,
            (Args{"HPEXPIREAT", "h", "1700000000001", "FIELDS", "1", "a"}));
  EXPECT_EQ(x.HTtl("h", {"a"}).args, (Args{"HTTL", "h", "FIELDS", "1", "a"}));
  EXPECT_EQ(x.HPTtl("h", {"a"}).args,
            (Args{"HPTTL", "h", "FIELDS", "1", "a"}));
  EXPECT_EQ(x.HExpireTime("h", {"a"}).args,
            (Args{"HEXPIRETIME", "h", "FIELDS", "1", "a"}));
  EXPECT_EQ(x.HPExpireTime("h", {"a"}).args,
            (Args{"HPEXPIRETIME", "h", "FIELDS", "1", "a"}));
  EXPECT_EQ(x.HPersist("h", {"a"}).args,
            (Args{"HPERSIST", "h", "FIELDS", "1", "a"}));
  EXPECT_THAT(x.HExpire("h", absl::ZeroDuration(), {"a"}).status,
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(x.HPersist("h", {}).status,
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CommandBuildingTest, ConditionalStringWrites) {
  RecordingExecutor x;
  EXPECT_EQ(x.DelIfEq("k", "v").args, (Args{"DELIFEQ", "k", "v"}));
  EXPECT_EQ(x.Set("k", "new", {.ttl = absl::Seconds(10), .if_equal = "old"})
                .args,
            (Args{"SET", "k", "new", "EX", "10", "IFEQ", "old"}));
  EXPECT_THAT(x.Set("k", "v",
                    {.condition = SetOptions::Condition::kIfNotExists,
                     .if_equal = "old"})
                  .status,
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(x.MSetEx({{"a", "1"}, {"b", "2"}},
                     {.condition = MSetExOptions::Condition::kNoneExist,
                      .ttl = absl::Seconds(5)})
                .args,
            (Args{"MSETEX", "2", "a", "1", "b", "2", "NX", "EX", "5"}));
  EXPECT_EQ(x.MSetEx({{"a", "1"}}, {.keep_ttl = true}).args,
            (Args{"MSETEX", "1", "a", "1", "KEEPTTL"}));
  EXPECT_THAT(x.MSetEx({}).status,
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CommandBuildingTest, GeoSearchQuery) {
  RecordingExecutor x;
  EXPECT_EQ(x.GeoSearch("g", {.from_member = "a",
                              .box_width = 2,
                              .box_height = 3,
                              .unit = GeoUnit::kKilometers,
                              .order = GeoSearchQuery::Order::kNearestFirst,
                              .count = 5,
                              .any = true})
                .args,
            (Args{"GEOSEARCH", "g", "FROMMEMBER", "a", "BYBOX", "2", "3", "km",
                  "ASC", "COUNT", "5", "ANY"}));
  EXPECT_EQ(x.GeoSearchWithDetails("g", {.from_position = GeoPosition{1.5, 2},
                                         .radius = 10})
                .args,
            (Args{"GEOSEARCH", "g", "FROMLONLAT", "1.5", "2", "BYRADIUS", "10",
                  "m", "WITHDIST", "WITHHASH", "WITHCOORD"}));
  EXPECT_THAT(x.GeoSearch("g", {.radius = 1}).status,
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(x.GeoSearch("g", {.from_member = "a", .box_width = 1}).status,
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      x.GeoSearch("g", {.from_member = "a", .radius = 1, .any = true}).status,
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CommandBuildingTest, BitField) {
  RecordingExecutor x;
  EXPECT_EQ(
      x.BitField("b", {BitFieldOp::OverflowMode(BitFieldOp::Overflow::kFail),
                       BitFieldOp::IncrBy("u8", "#1", 3),
                       BitFieldOp::Set("i5", "100", -2),
                       BitFieldOp::Get("u4", "0")})
          .args,
      (Args{"BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8", "#1", "3",
            "SET", "i5", "100", "-2", "GET", "u4", "0"}));
  EXPECT_THAT(x.BitFieldRo("b", {BitFieldOp::Set("u8", "0", 1)}).status,
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(x.BitField("b", {BitFieldOp::Get("x8", "0")}).status,
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(x.BitCount("b", BitRange{1, -2, true}).args,
            (Args{"BITCOUNT", "b", "1", "-2", "BIT"}));
}

TEST(CommandBuildingTest, BlockingCommandsCarryTheirServerWait) {
  RecordingExecutor x;
  Recorded<std::optional<ListMultiPop>> r =
      x.BLMPop(absl::Milliseconds(1500), {"a", "b"}, ListEnd::kRight, 2);
  EXPECT_TRUE(r.blocking);
  EXPECT_EQ(r.server_timeout, absl::Milliseconds(1500));
  EXPECT_EQ(r.args,
            (Args{"BLMPOP", "1.5", "2", "a", "b", "RIGHT", "COUNT", "2"}));
  Recorded<std::optional<KeyedScoredMember>> z =
      x.BZPopMin({"z"}, absl::ZeroDuration());
  EXPECT_TRUE(z.blocking);
  EXPECT_EQ(z.server_timeout, absl::ZeroDuration());
  EXPECT_EQ(z.args, (Args{"BZPOPMIN", "z", "0"}));
  Recorded<int64_t> w = x.Wait(1, absl::Milliseconds(20));
  EXPECT_TRUE(w.blocking);
  EXPECT_EQ(w.args, (Args{"WAIT", "1", "20"}));
}

TEST(CommandBuildingTest, SortedSetCombine) {
  RecordingExecutor x;
  EXPECT_EQ(x.ZUnionWithScores({"a", "b"},
                               {.weights = {1, 2.5},
                                .aggregate = ZCombineOptions::Aggregate::kMax})
                .args,
            (Args{"ZUNION", "2", "a", "b", "WEIGHTS", "1", "2.5", "AGGREGATE",
                  "MAX", "WITHSCORES"}));
  EXPECT_THAT(x.ZInterStore("d", {"a", "b"}, {.weights = {1}}).status,
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(x.ZRangeStoreByScore("d", "s", ScoreBound::Inclusive(1),
                                 ScoreBound::PosInf(),
                                 {.rev = true, .limit = ZRangeLimit{0, 2}})
                .args,
            (Args{"ZRANGESTORE", "d", "s", "+inf", "1", "BYSCORE", "REV",
                  "LIMIT", "0", "2"}));
}

TEST(CommandBuildingTest, StreamExtendedPendingAndClaim) {
  RecordingExecutor x;
  EXPECT_EQ(x.XPending("s", "g",
                       StreamPendingQuery{.count = 5,
                                          .min_idle = absl::Seconds(1),
                                          .consumer = "c"})
                .args,
            (Args{"XPENDING", "s", "g", "IDLE", "1000", "-", "+", "5", "c"}));
  EXPECT_EQ(x.XClaimJustId("s", "g", "c", absl::Seconds(2), {"1-0"},
                           {.retry_count = 3, .force = true})
                .args,
            (Args{"XCLAIM", "s", "g", "c", "2000", "1-0", "RETRYCOUNT", "3",
                  "FORCE", "JUSTID"}));
}

}  // namespace
}  // namespace valkey
