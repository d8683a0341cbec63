// Topology: a cluster client's current view of the cluster — the slot map
// every command routes by — and the rules for when to fetch it again. Shared
// by the blocking and the async cluster clients; they differ only in how
// they fetch (cluster_slots fetch over a blocking or an async connection).
//
//   Topology topology(seeds, {});
//   std::shared_ptr<const SlotMap> map = topology.map();  // Route by it.
//   ...MOVED... topology.ApplyMoved(redirect);             // One slot moved.
//   ...connection refused... topology.MarkStale();
//   if (topology.BeginRefresh(absl::Now())) {
//     for (const NodeAddress& node : topology.RefreshCandidates()) {
//       ... CLUSTER SLOTS on `node`, ParseClusterSlots ...
//     }
//     topology.EndRefresh(absl::Now(), std::move(new_map));  // or an error
//   }
//
// Why these rules:
//   - The map is immutable and replaced whole (copy-on-write for a MOVED),
//     so a router holds a shared_ptr for the length of one routing decision
//     and never takes a lock while it sends.
//   - One refresh at a time, and at most one per `min_refresh_interval`: a
//     failover makes every in-flight command fail at once; without the
//     limit each would fetch the topology (a refresh storm against the
//     survivors). Callers that find a refresh under way or too recent go on
//     with the map they have.
//   - A refresh is wanted after a MOVED (a move rarely comes alone: a
//     failover or a resharding moves many slots), a connection error to a
//     node, CLUSTERDOWN/READONLY/MASTERDOWN, and every `refresh_interval`
//     (to notice added replicas and nodes nobody was redirected to).
//   - Candidates to ask: the primaries first (they know the freshest
//     topology), then replicas, then the seeds (a cluster that changed
//     every node since the last refresh can still be found), each once.
//     Nodes that just failed are asked last.
//
// Thread-safety: thread-safe; every method takes one internal mutex
// briefly (no I/O under it).

#ifndef VALKEY_CLUSTER_TOPOLOGY_H_
#define VALKEY_CLUSTER_TOPOLOGY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "valkey/cluster/redirect.h"
#include "valkey/cluster/slot_map.h"

namespace valkey {
namespace cluster {

class Topology {
 public:
  struct Options {
    // Least time between two refreshes (a wanted refresh waits for it).
    absl::Duration min_refresh_interval = absl::Milliseconds(100);
    // A refresh is wanted when the map is older than this even if nothing
    // went wrong. InfiniteDuration() = never.
    absl::Duration refresh_interval = absl::Seconds(60);
  };

  // `seeds` must not be empty (the client checks its options first).
  Topology(std::vector<NodeAddress> seeds, Options options);

  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  // The current map; never null (empty before the first refresh).
  std::shared_ptr<const SlotMap> map() const;
  // True once a refresh has succeeded.
  bool has_map() const;

  // A MOVED redirect: the slot now belongs to `redirect.to` (host already
  // substituted for the empty-host form). Applied to a copy of the map,
  // which replaces it; a refresh is wanted. An invalid redirect changes
  // nothing but still makes a refresh wanted.
  void ApplyMoved(const Redirect& redirect);

  // Something showed the map is wrong (a connection error to `node`,
  // CLUSTERDOWN, READONLY): a refresh is wanted, and `node` (if given) is
  // asked last by the next refresh.
  void MarkStale(const NodeAddress* failed_node = nullptr);

  // Whether the caller should refresh now: a refresh is wanted (or the map
  // is older than refresh_interval, or there is none yet), none is under
  // way, and the last one started at least min_refresh_interval ago. True
  // means the caller has started one and must call EndRefresh().
  // `force` ignores "wanted" (but not the other two conditions).
  bool BeginRefresh(absl::Time now, bool force = false);

  // Ends the refresh BeginRefresh() allowed: `map` replaces the current map
  // (and clears "wanted"), or an error leaves everything as it was (the
  // next BeginRefresh after min_refresh_interval may try again).
  void EndRefresh(absl::Time now, absl::StatusOr<SlotMap> map);

  // The nodes to ask for the topology, in order (see the file comment).
  std::vector<NodeAddress> RefreshCandidates() const;

  // Successful refreshes so far, and refreshes begun (for tests and stats).
  int64_t refreshes() const;
  int64_t refresh_attempts() const;

 private:
  const std::vector<NodeAddress> seeds_;
  const Options options_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const SlotMap> map_ ABSL_GUARDED_BY(mu_);
  bool has_map_ ABSL_GUARDED_BY(mu_) = false;
  bool wanted_ ABSL_GUARDED_BY(mu_) = true;
  bool refreshing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_begin_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time last_success_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // "host:port" of nodes that failed since the last refresh.
  absl::flat_hash_set<std::string> failed_ ABSL_GUARDED_BY(mu_);
  int64_t refreshes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t attempts_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_TOPOLOGY_H_
