#include "valkey/cluster/topology.h"

#include <utility>

namespace valkey {
namespace cluster {

Topology::Topology(std::vector<NodeAddress> seeds, Options options)
    : seeds_(std::move(seeds)),
      options_(options),
      map_(std::make_shared<const SlotMap>()) {}

std::shared_ptr<const SlotMap> Topology::map() const {
  absl::MutexLock lock(&mu_);
  return map_;
}

bool Topology::has_map() const {
  absl::MutexLock lock(&mu_);
  return has_map_;
}

void Topology::ApplyMoved(const Redirect& redirect) {
  absl::MutexLock lock(&mu_);
  wanted_ = true;
  const Shard* shard = map_->ShardForSlot(redirect.slot);
  if (shard != nullptr && shard->primary.SameEndpoint(redirect.to)) {
    return;  // Another caller applied the same MOVED already.
  }
  auto moved = std::make_shared<SlotMap>(*map_);
  if (moved->SetSlotPrimary(redirect.slot, redirect.to).ok()) {
    map_ = std::move(moved);
  }
}

void Topology::MarkStale(const NodeAddress* failed_node) {
  absl::MutexLock lock(&mu_);
  wanted_ = true;
  if (failed_node != nullptr) failed_.insert(failed_node->HostPort());
}

bool Topology::BeginRefresh(absl::Time now, bool force) {
  absl::MutexLock lock(&mu_);
  if (refreshing_) return false;
  const bool due = force || wanted_ || !has_map_ ||
                   now - last_success_ >= options_.refresh_interval;
  if (!due) return false;
  if (now - last_begin_ < options_.min_refresh_interval) return false;
  refreshing_ = true;
  last_begin_ = now;
  ++attempts_;
  return true;
}

void Topology::EndRefresh(absl::Time now, absl::StatusOr<SlotMap> map) {
  absl::MutexLock lock(&mu_);
  refreshing_ = false;
  if (!map.ok()) return;
  map_ = std::make_shared<const SlotMap>(*std::move(map));
  has_map_ = true;
  wanted_ = false;
  last_success_ = now;
  failed_.clear();
  ++refreshes_;
}

std::vector<NodeAddress> Topology::RefreshCandidates() const {
  std::shared_ptr<const SlotMap> map;
  absl::flat_hash_set<std::string> failed;
  {
    absl::MutexLock lock(&mu_);
    map = map_;
    failed = failed_;
  }
  std::vector<NodeAddress> first;
  std::vector<NodeAddress> last;
  absl::flat_hash_set<std::string> seen;
  auto add = [&](const NodeAddress& node) {
    std::string key = node.HostPort();
    if (!seen.insert(key).second) return;
    (failed.contains(key) ? last : first).push_back(node);
  };
  for (const Shard& shard : map->shards()) add(shard.primary);
  for (const Shard& shard : map->shards()) {
    for (const NodeAddress& replica : shard.replicas) add(replica);
  }
  for (const NodeAddress& seed : seeds_) add(seed);
  first.insert(first.end(), last.begin(), last.end());
  return first;
}

int64_t Topology::refreshes() const {
  absl::MutexLock lock(&mu_);
  return refreshes_;
}

int64_t Topology::refresh_attempts() const {
  absl::MutexLock lock(&mu_);
  return attempts_;
}

}  // namespace cluster
}  // namespace valkey
