// Geospatial commands (geo_commands.h) against a real valkey-server, on
// every executor (executor_test_fixture.h).

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "valkey/client/executor_test_fixture.h"

namespace valkey::executor_tests {
namespace {

class GeoCommandsTest : public ExecutorTest {
 protected:
  void AddSicily() {
    ASSERT_THAT(client().GeoAdd("sicily",
                                {{13.361389, 38.115556, "palermo"},
                                 {15.087269, 37.502669, "catania"}}),
                IsOkAndHolds(2));
  }
};
VALKEY_INSTANTIATE_EXECUTOR_TESTS(GeoCommandsTest);

TEST_P(GeoCommandsTest, AddWithConditions) {
  EXPECT_THAT(Run([](auto& c) {
                return c.GeoAdd("g", {{13.361389, 38.115556, "palermo"}});
              }),
              IsOkAndHolds(1));
  // XX CH: moves the existing member, counts it as changed.
  EXPECT_THAT(Run([](auto& c) {
                return c.GeoAdd(
                    "g", {{13.5, 38.1, "palermo"}, {15, 37, "new"}},
                    {.condition = GeoAddOptions::Condition::kIfExists,
                     .changed = true});
              }),
              IsOkAndHolds(1));
  EXPECT_THAT(client().ZCard("g"), IsOkAndHolds(1));
  EXPECT_THAT(Run([](auto& c) { return c.GeoAdd("g", {}); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(GeoCommandsTest, DistHashPos) {
  AddSicily();
  EXPECT_THAT(Run([](auto& c) {
                return c.GeoDist("sicily", "palermo", "catania",
                                 GeoUnit::kKilometers);
              }),
              IsOkAndHolds(Optional(DoubleNear(166.2742, 0.001))));
  EXPECT_THAT(Run([](auto& c) {
                return c.GeoDist("sicily", "palermo", "nowhere");
              }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) {
                return c.GeoHash("sicily", {"palermo", "nowhere"});
              }),
              IsOkAndHolds(ElementsAre(Optional(std::string("sqc8b49rny0")),
                                       std::nullopt)));
  auto pos = Run([](auto& c) { return c.GeoPos("sicily", {"palermo", "x"}); });
  ASSERT_THAT(pos, IsOkAndHolds(::testing::SizeIs(2)));
  ASSERT_TRUE((*pos)[0].has_value());
  EXPECT_NEAR((*pos)[0]->longitude, 13.361389, 1e-5);
  EXPECT_NEAR((*pos)[0]->latitude, 38.115556, 1e-5);
  EXPECT_FALSE((*pos)[1].has_value());
}

TEST_P(GeoCommandsTest, SearchAndStore) {
  AddSicily();
  const GeoSearchQuery near{.from_position = GeoPosition{15, 37},
                            .radius = 200,
                            .unit = GeoUnit::kKilometers,
                            .order = GeoSearchQuery::Order::kNearestFirst};
  EXPECT_THAT(Run([&](auto& c) { return c.GeoSearch("sicily", near); }),
              IsOkAndHolds(ElementsAre("catania", "palermo")));
  auto details =
      Run([&](auto& c) { return c.GeoSearchWithDetails("sicily", near); });
  ASSERT_THAT(details, IsOkAndHolds(::testing::SizeIs(2)));
  EXPECT_EQ((*details)[0].member, "catania");
  EXPECT_NEAR((*details)[0].distance, 56.4413, 0.001);
  EXPECT_NEAR((*details)[0].position.longitude, 15.087269, 1e-5);
  EXPECT_EQ((*details)[0].hash, 3479447370796909);
  EXPECT_EQ((*details)[1].member, "palermo");

  const GeoSearchQuery box{.from_member = "palermo",
                           .box_width = 400,
                           .box_height = 400,
                           .unit = GeoUnit::kKilometers,
                           .count = 1};
  EXPECT_THAT(Run([&](auto& c) { return c.GeoSearch("sicily", box); }),
              IsOkAndHolds(ElementsAre("palermo")));
  EXPECT_THAT(Run([&](auto& c) {
                return c.GeoSearchStore("near", "sicily", near, true);
              }),
              IsOkAndHolds(2));
  // STOREDIST: scores are the distances.
  EXPECT_THAT(client().ZScore("near", "catania"),
              IsOkAndHolds(Optional(DoubleNear(56.4413, 0.001))));
  EXPECT_THAT(Run([](auto& c) { return c.GeoSearch("sicily", {}); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace valkey::executor_tests
