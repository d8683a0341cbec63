#include "valkey/cluster/shard_channel_groups.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/cluster/slot_map.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace cluster {
namespace {

Shard MakeShard(int port) {
  Shard shard;
  shard.primary.host = "127.0.0.1";
  shard.primary.port = port;
  return shard;
}

// Three shards splitting the slots evenly, like a fresh 3-node cluster.
SlotMap ThreeShards() {
  SlotMap map;
  EXPECT_TRUE(map.AssignSlots(0, 5460, MakeShard(7000)).ok());
  EXPECT_TRUE(map.AssignSlots(5461, 10922, MakeShard(7001)).ok());
  EXPECT_TRUE(map.AssignSlots(10923, 16383, MakeShard(7002)).ok());
  return map;
}

TEST(GroupShardChannelsTest, GroupsBySlotThenByPrimary) {
  const SlotMap map = ThreeShards();
  // {a}x and {a}y share a slot; "b" and "c" hash elsewhere.
  const std::vector<std::string> channels = {"{a}x", "b", "{a}y", "c", "b"};
  absl::StatusOr<std::vector<NodeChannels>> plan =
      GroupShardChannels(map, channels);
  ASSERT_TRUE(plan.ok()) << plan.status();
  int total = 0;
  for (const NodeChannels& node : *plan) {
    for (const std::vector<std::string>& group : node.slot_groups) {
      ASSERT_FALSE(group.empty());
      const int slot = KeySlot(group.front());
      EXPECT_EQ(map.ShardForSlot(slot)->primary, node.node);
      for (const std::string& channel : group) {
        EXPECT_EQ(KeySlot(channel), slot) << channel;
        ++total;
      }
    }
  }
  EXPECT_EQ(total, 4);  // The duplicate "b" is kept once.
  // The two {a} channels form one group.
  bool found = false;
  for (const NodeChannels& node : *plan) {
    for (const std::vector<std::string>& group : node.slot_groups) {
      if (group.front() == "{a}x") {
        EXPECT_EQ(group, (std::vector<std::string>{"{a}x", "{a}y"}));
        found = true;
      }
    }
  }
  EXPECT_TRUE(found);
}

TEST(GroupShardChannelsTest, RefusesEmptyListAndUncoveredSlots) {
  SlotMap map;
  EXPECT_EQ(GroupShardChannels(map, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::vector<NodeChannels>> plan =
      GroupShardChannels(map, {std::string("news")});
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(plan.status().message().find("news"), std::string::npos);
  EXPECT_TRUE(IsResubscribeRetryable(plan.status()));
}

TEST(ChannelsToMoveTest, NamesChannelsWhoseSlotHasAnotherPrimary) {
  SlotMap map = ThreeShards();
  absl::flat_hash_map<std::string, std::string> placed;
  for (const std::string channel : {"a", "b", "c", "d"}) {
    placed[channel] = map.ShardForSlot(KeySlot(channel))->primary.HostPort();
  }
  EXPECT_TRUE(ChannelsToMove(map, placed).empty());
  // Move "c"'s slot to another primary.
  const int slot = KeySlot("c");
  const int to = map.ShardForSlot(slot)->primary.port == 7000 ? 7001 : 7000;
  ASSERT_TRUE(map.SetSlotPrimary(slot, MakeShard(to).primary).ok());
  std::vector<std::string> moved = ChannelsToMove(map, placed);
  // Others hashing to the same slot move too; here only "c" does.
  EXPECT_EQ(moved, std::vector<std::string>{"c"});
  // A channel placed on a node that no longer serves anything moves.
  placed["a"] = "127.0.0.1:9999";
  moved = ChannelsToMove(map, placed);
  EXPECT_EQ(moved, (std::vector<std::string>{"a", "c"}));
}

TEST(IsResubscribeRetryableTest, ClusterStateErrorsRetryOthersDoNot) {
  EXPECT_TRUE(IsResubscribeRetryable(
      ServerError("MOVED 3999 127.0.0.1:6381")));
  EXPECT_TRUE(IsResubscribeRetryable(ServerError("CLUSTERDOWN The cluster is down")));
  EXPECT_TRUE(IsResubscribeRetryable(ConnectionError("connection refused")));
  EXPECT_FALSE(IsResubscribeRetryable(ServerError("NOPERM no permissions")));
  EXPECT_FALSE(IsResubscribeRetryable(absl::InvalidArgumentError("bad")));
  EXPECT_FALSE(IsResubscribeRetryable(absl::OkStatus()));
}

TEST(ResubscribeBackoffTest, DoublesUpToTheCapAndResets) {
  ResubscribeBackoff backoff(absl::Milliseconds(50), absl::Milliseconds(150));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(50));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(100));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(150));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(150));
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(50));
}

}  // namespace
}  // namespace cluster
}  // namespace valkey
