// Shard channel placement for sharded pub/sub (SSUBSCRIBE) in a cluster:
// which node each shard channel must be subscribed on, grouped so that
// each SSUBSCRIBE names channels of one slot (the server refuses others
// with CROSSSLOT), and which subscriptions must move after the topology
// changed. I/O-free; shared by the blocking ShardedSubscriber and any
// async counterpart.
//
//   absl::StatusOr<std::vector<NodeChannels>> plan =
//       GroupShardChannels(*map, {"orders", "{user:1}.events"});
//   for (const NodeChannels& node : *plan)
//     for (const std::vector<std::string>& slot_group : node.slot_groups)
//       Subscribe(node.node, slot_group);  // One SSUBSCRIBE per group.
//
// Shard channels are placed on the slot's primary, never on a replica:
// SPUBLISH runs on the primary (replicas receive it only by replication,
// later and not at all while their link is down), and a primary is where
// the server checks slot ownership and pushes `sunsubscribe` when the
// slot leaves.
//
// Thread-safety: plain functions over values.

#ifndef VALKEY_CLUSTER_SHARD_CHANNEL_GROUPS_H_
#define VALKEY_CLUSTER_SHARD_CHANNEL_GROUPS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/cluster/slot_map.h"

namespace valkey {
namespace cluster {

// The shard channels one node must subscribe, one group per slot.
struct NodeChannels {
  NodeAddress node;  // The slot's primary.
  // Channels of one slot each, in the order first seen; no duplicates
  // across the whole plan.
  std::vector<std::vector<std::string>> slot_groups;
};

// Groups `channels` by slot, then by the primary serving the slot in
// `map`, in the order of first appearance. Duplicate names are kept once.
// Errors: INVALID_ARGUMENT for an empty list; UNAVAILABLE naming the
// channel and slot when `map` has no shard for a channel's slot (refresh
// the topology and try again).
absl::StatusOr<std::vector<NodeChannels>> GroupShardChannels(
    const SlotMap& map, absl::Span<const std::string> channels);

// The channels of `placed` (channel → "host:port" it is subscribed on)
// whose slot is served by another primary in `map` (or by none): those
// subscriptions must move. Sorted.
std::vector<std::string> ChannelsToMove(
    const SlotMap& map,
    const absl::flat_hash_map<std::string, std::string>& placed);

// True when a failed (re)subscription may succeed later at the slot's
// current owner, after a topology refresh and a delay: MOVED/ASK,
// TRYAGAIN/LOADING, CLUSTERDOWN/READONLY/MASTERDOWN, connection errors,
// time-outs and UNAVAILABLE (no node serves the slot yet). False for the
// rest (NOPERM, wrong password, a closed subscriber, bad arguments).
bool IsResubscribeRetryable(const absl::Status& status);

// Delays between resubscription attempts: `initial`, doubling up to `max`.
class ResubscribeBackoff {
 public:
  ResubscribeBackoff(absl::Duration initial, absl::Duration max)
      : initial_(initial), max_(max), next_(initial) {}
  // The delay before the next attempt; doubles the one after.
  absl::Duration Next();
  void Reset() { next_ = initial_; }

 private:
  absl::Duration initial_;
  absl::Duration max_;
  absl::Duration next_;
};

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_SHARD_CHANNEL_GROUPS_H_
