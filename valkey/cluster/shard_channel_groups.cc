#include "valkey/cluster/shard_channel_groups.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/cluster/redirect.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace cluster {

absl::StatusOr<std::vector<NodeChannels>> GroupShardChannels(
    const SlotMap& map, absl::Span<const std::string> channels) {
  if (channels.empty()) {
    return absl::InvalidArgumentError("SSUBSCRIBE needs at least one channel");
  }
  std::vector<NodeChannels> plan;
  // Node "host:port" → index in plan; slot → (node index, group index).
  absl::flat_hash_map<std::string, size_t> node_index;
  absl::flat_hash_map<int, std::pair<size_t, size_t>> slot_index;
  absl::flat_hash_set<absl::string_view> seen;
  for (const std::string& channel : channels) {
    if (!seen.insert(channel).second) continue;
    const int slot = KeySlot(channel);
    auto found = slot_index.find(slot);
    if (found != slot_index.end()) {
      plan[found->second.first].slot_groups[found->second.second].push_back(
          channel);
      continue;
    }
    const Shard* shard = map.ShardForSlot(slot);
    if (shard == nullptr) {
      return absl::UnavailableError(absl::StrCat(
          "sharded pub/sub: no node serves slot ", slot, " of channel \"",
          channel, "\""));
    }
    auto [it, added] =
        node_index.try_emplace(shard->primary.HostPort(), plan.size());
    if (added) plan.push_back(NodeChannels{shard->primary, {}});
    NodeChannels& node = plan[it->second];
    slot_index[slot] = {it->second, node.slot_groups.size()};
    node.slot_groups.push_back({channel});
  }
  return plan;
}

std::vector<std::string> ChannelsToMove(
    const SlotMap& map,
    const absl::flat_hash_map<std::string, std::string>& placed) {
  std::vector<std::string> moved;
  for (const auto& [channel, node] : placed) {
    const Shard* shard = map.ShardForSlot(KeySlot(channel));
    if (shard == nullptr || shard->primary.HostPort() != node) {
      moved.push_back(channel);
    }
  }
  std::sort(moved.begin(), moved.end());
  return moved;
}

bool IsResubscribeRetryable(const absl::Status& status) {
  if (status.ok()) return false;
  switch (ActionFor(status)) {
    case ClusterErrorAction::kFollowMoved:
    case ClusterErrorAction::kFollowAsk:
    case ClusterErrorAction::kRetryAfterDelay:
    case ClusterErrorAction::kRefreshAndRetry:
      return true;
    case ClusterErrorAction::kNone:
      return false;
    case ClusterErrorAction::kFail:
      break;
  }
  if (IsTimeout(status)) return true;
  return status.code() == absl::StatusCode::kUnavailable &&
         GetErrorKind(status) == ErrorKind::kNone;
}

absl::Duration ResubscribeBackoff::Next() {
  const absl::Duration delay = next_;
  next_ = std::min(next_ * 2, max_);
  return delay;
}

}  // namespace cluster
}  // namespace valkey
