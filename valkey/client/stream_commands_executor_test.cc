// Stream commands added for Valkey 8 (stream_commands.h: XPENDING in both
// forms, XCLAIM, XAUTOCLAIM, XINFO STREAM/GROUPS/CONSUMERS, XSETID) against
// a real valkey-server, on every executor (executor_test_fixture.h).

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
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::SizeIs;
using ::valkey::testing::AllExecutors;
using ::valkey::testing::ExecutorName;
using ::valkey::testing::ExecutorTest;
using ::valkey::testing::IsOk;
using ::valkey::testing::IsOkAndHolds;
using ::valkey::testing::StatusIs;

class StreamCommandsExecutorTest : public ExecutorTest {
 protected:
  // Stream "s" with entries 1-0, 2-0, 3-0; group "g" from the start;
  // consumer "alice" has read all three (pending).
  void Fill() {
    for (const char* id : {"1-0", "2-0", "3-0"}) {
      ASSERT_OK(client().XAdd("s", {{"f", id}}, {.id = id}));
    }
    ASSERT_OK(client().XGroupCreate("s", "g", "0"));
    ASSERT_THAT(client().XReadGroup("g", "alice", {{"s", ">"}}),
                IsOkAndHolds(SizeIs(1)));
  }
};
INSTANTIATE_TEST_SUITE_P(Executors, StreamCommandsExecutorTest,
                         AllExecutors(), ExecutorName);

TEST_P(StreamCommandsExecutorTest, Pending) {
  Fill();
  auto summary = Run([](auto& c) { return c.XPending("s", "g"); });
  ASSERT_THAT(summary, IsOk());
  EXPECT_EQ(summary->count, 3);
  EXPECT_EQ(summary->min_id, "1-0");
  EXPECT_EQ(summary->max_id, "3-0");
  EXPECT_THAT(summary->consumers,
              ElementsAre(std::pair<std::string, int64_t>("alice", 3)));
  auto entries = Run([](auto& c) {
    return c.XPending("s", "g",
                      StreamPendingQuery{.start = "2-0", .count = 10,
                                         .consumer = "alice"});
  });
  ASSERT_THAT(entries, IsOkAndHolds(SizeIs(2)));
  EXPECT_EQ((*entries)[0].id, "2-0");
  EXPECT_EQ((*entries)[0].consumer, "alice");
  EXPECT_EQ((*entries)[0].deliveries, 1);
  ASSERT_OK(client().XGroupCreate("s", "empty", "$"));
  auto none = Run([](auto& c) { return c.XPending("s", "empty"); });
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->count, 0);
  EXPECT_THAT(none->consumers, IsEmpty());
  EXPECT_THAT(Run([](auto& c) {
                return c.XPending("s", "g", StreamPendingQuery{.count = 0});
              }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StreamCommandsExecutorTest, ClaimAndAutoClaim) {
  Fill();
  auto claimed = Run([](auto& c) {
    return c.XClaim("s", "g", "bob", absl::ZeroDuration(), {"1-0", "9-0"},
                    {.retry_count = 5});
  });
  ASSERT_THAT(claimed, IsOkAndHolds(SizeIs(1)));
  EXPECT_EQ((*claimed)[0].id, "1-0");
  EXPECT_THAT(Run([](auto& c) {
                return c.XClaimJustId("s", "g", "carol", absl::ZeroDuration(),
                                      {"2-0"});
              }),
              IsOkAndHolds(ElementsAre("2-0")));
  auto autoclaim = Run([](auto& c) {
    return c.XAutoClaim("s", "g", "dave", absl::ZeroDuration(), "0-0", 2);
  });
  ASSERT_THAT(autoclaim, IsOk());
  EXPECT_EQ(autoclaim->next_start, "3-0");
  ASSERT_THAT(autoclaim->entries, SizeIs(2));
  EXPECT_EQ(autoclaim->entries[0].id, "1-0");
  EXPECT_THAT(autoclaim->deleted_ids, IsEmpty());
  EXPECT_THAT(Run([](auto& c) {
                return c.XAutoClaimJustId("s", "g", "erin",
                                          absl::ZeroDuration(), "3-0");
              }),
              IsOkAndHolds(ElementsAre("3-0")));
  auto consumers = Run([](auto& c) { return c.XInfoConsumers("s", "g"); });
  ASSERT_THAT(consumers, IsOk());
  std::vector<std::string> names;
  for (const StreamConsumerInfo& ci : *consumers) names.push_back(ci.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("alice", "bob", "carol",
                                                     "dave", "erin"));
}

TEST_P(StreamCommandsExecutorTest, InfoAndSetId) {
  Fill();
  auto info = Run([](auto& c) { return c.XInfoStream("s"); });
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->length, 3);
  EXPECT_EQ(info->groups, 1);
  EXPECT_EQ(info->last_generated_id, "3-0");
  EXPECT_EQ(info->entries_added, 3);
  ASSERT_TRUE(info->first_entry.has_value());
  EXPECT_EQ(info->first_entry->id, "1-0");
  ASSERT_TRUE(info->last_entry.has_value());
  EXPECT_EQ(info->last_entry->id, "3-0");

  auto groups = Run([](auto& c) { return c.XInfoGroups("s"); });
  ASSERT_THAT(groups, IsOkAndHolds(SizeIs(1)));
  EXPECT_EQ((*groups)[0].name, "g");
  EXPECT_EQ((*groups)[0].consumers, 1);
  EXPECT_EQ((*groups)[0].pending, 3);
  EXPECT_EQ((*groups)[0].last_delivered_id, "3-0");
  EXPECT_THAT((*groups)[0].entries_read, Optional(3));
  EXPECT_THAT((*groups)[0].lag, Optional(0));

  auto consumers = Run([](auto& c) { return c.XInfoConsumers("s", "g"); });
  ASSERT_THAT(consumers, IsOkAndHolds(SizeIs(1)));
  EXPECT_EQ((*consumers)[0].name, "alice");
  EXPECT_EQ((*consumers)[0].pending, 3);

  EXPECT_THAT(Run([](auto& c) { return c.XSetId("s", "5-0", 10); }),
              IsOkAndHolds(true));
  auto after = client().XInfoStream("s");
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->last_generated_id, "5-0");
  EXPECT_EQ(after->entries_added, 10);
  // An id below the last entry is refused by the server.
  EXPECT_THAT(Run([](auto& c) { return c.XSetId("s", "1-0"); }),
              ::testing::Not(IsOk()));
}

}  // namespace
}  // namespace valkey
