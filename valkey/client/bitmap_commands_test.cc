// Bitmap and HyperLogLog commands (bitmap_commands.h,
// hyperloglog_commands.h) against a real valkey-server, on every executor
// (executor_test_fixture.h).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "valkey/client/executor_test_fixture.h"

namespace valkey::executor_tests {
namespace {

VALKEY_EXECUTOR_TEST_SUITE(BitmapCommandsTest);

TEST_P(BitmapCommandsTest, SetGetCountAndPosition) {
  EXPECT_THAT(Run([](auto& c) { return c.SetBit("b", 7, true); }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) { return c.SetBit("b", 7, true); }),
              IsOkAndHolds(true));
  ASSERT_OK(client().SetBit("b", 9, true));
  EXPECT_THAT(Run([](auto& c) { return c.GetBit("b", 7); }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) { return c.GetBit("b", 1000); }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) { return c.BitCount("b"); }), IsOkAndHolds(2));
  // Second byte only, in bytes; then bits 8..15.
  EXPECT_THAT(Run([](auto& c) { return c.BitCount("b", BitRange{1, 1}); }),
              IsOkAndHolds(1));
  EXPECT_THAT(
      Run([](auto& c) { return c.BitCount("b", BitRange{0, 7, true}); }),
      IsOkAndHolds(1));
  EXPECT_THAT(Run([](auto& c) { return c.BitPos("b", true); }),
              IsOkAndHolds(7));
  EXPECT_THAT(
      Run([](auto& c) { return c.BitPos("b", true, BitRange{8, -1, true}); }),
      IsOkAndHolds(9));
  EXPECT_THAT(Run([](auto& c) { return c.SetBit("b", -1, true); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(BitmapCommandsTest, BitOp) {
  ASSERT_OK(client().Set("x", "\xf0"));
  ASSERT_OK(client().Set("y", "\x3c"));
  EXPECT_THAT(Run([](auto& c) {
                return c.BitOp(BitOperation::kAnd, "d", {"x", "y"});
              }),
              IsOkAndHolds(1));
  EXPECT_THAT(client().Get("d"), IsOkAndHolds(Optional(std::string("\x30"))));
  EXPECT_THAT(Run([](auto& c) {
                return c.BitOp(BitOperation::kNot, "n", {"x"});
              }),
              IsOkAndHolds(1));
  EXPECT_THAT(client().Get("n"), IsOkAndHolds(Optional(std::string("\x0f"))));
  EXPECT_THAT(Run([](auto& c) {
                return c.BitOp(BitOperation::kNot, "n", {"x", "y"});
              }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(BitmapCommandsTest, BitFieldWithOverflowFail) {
  EXPECT_THAT(
      Run([](auto& c) {
        return c.BitField("f", {BitFieldOp::Set("u8", "#0", 250),
                                BitFieldOp::IncrBy("u8", "#0", 3),
                                BitFieldOp::OverflowMode(
                                    BitFieldOp::Overflow::kFail),
                                BitFieldOp::IncrBy("u8", "#0", 10),
                                BitFieldOp::Get("u8", "#0")});
      }),
      IsOkAndHolds(ElementsAre(Optional(0), Optional(253), std::nullopt,
                               Optional(253))));
  EXPECT_THAT(Run([](auto& c) {
                return c.BitFieldRo("f", {BitFieldOp::Get("u4", "0"),
                                          BitFieldOp::Get("i8", "#0")});
              }),
              IsOkAndHolds(ElementsAre(0xf, -3)));
}

VALKEY_EXECUTOR_TEST_SUITE(HyperLogLogCommandsTest);

TEST_P(HyperLogLogCommandsTest, AddCountMerge) {
  EXPECT_THAT(Run([](auto& c) { return c.PfAdd("h1", {"a", "b", "c"}); }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) { return c.PfAdd("h1", {"a"}); }),
              IsOkAndHolds(false));
  ASSERT_OK(client().PfAdd("h2", {"c", "d"}));
  EXPECT_THAT(Run([](auto& c) { return c.PfCount({"h1"}); }),
              IsOkAndHolds(3));
  EXPECT_THAT(Run([](auto& c) { return c.PfCount({"h1", "h2"}); }),
              IsOkAndHolds(4));
  EXPECT_THAT(Run([](auto& c) { return c.PfMerge("m", {"h1", "h2"}); }),
              IsOkAndHolds(true));
  EXPECT_THAT(client().PfCount({"m"}), IsOkAndHolds(4));
  EXPECT_THAT(Run([](auto& c) { return c.PfCount({}); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(client().Set("s", "not a hll"));
  EXPECT_THAT(Run([](auto& c) { return c.PfCount({"s"}); }), ::testing::Not(IsOk()));
}

}  // namespace
}  // namespace valkey::executor_tests
