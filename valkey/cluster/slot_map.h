// SlotMap: a Valkey cluster's topology as a client routes by it — which shard
// (one primary and its replicas) serves each of the 16384 hash slots — and
// the parsers that build one from CLUSTER SLOTS or CLUSTER SHARDS replies.
//
//   absl::StatusOr<SlotMap> map =
//       ParseClusterSlots(reply.view(), /*queried_host=*/"10.0.0.5");
//   if (!map.ok()) return map.status();
//   const Shard* shard = map->ShardForSlot(KeySlot("user:1"));
//   if (shard == nullptr) { /* slot not served: refresh, or CLUSTERDOWN */ }
//
// Storage is compact: one uint16_t shard index per slot (32 KiB) plus the
// shards themselves. Only shards that serve at least one slot are kept, so
// Primaries() is exactly the set of nodes a broadcast must reach.
//
// Thread-safety: a SlotMap is a value. Const methods may run concurrently;
// mutation (SetSlotPrimary, AssignSlots) needs exclusive access. Clients are
// expected to share one immutable map (e.g. behind a shared_ptr<const
// SlotMap>) and replace it whole on refresh, or copy it to apply a MOVED.

#ifndef VALKEY_CLUSTER_SLOT_MAP_H_
#define VALKEY_CLUSTER_SLOT_MAP_H_

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/common/reply.h"

namespace valkey {
namespace cluster {

// Where a cluster node can be reached, and what the cluster says about it.
struct NodeAddress {
  // What to connect to: the node's preferred endpoint (an IP address or a
  // hostname, per the server's cluster-preferred-endpoint-type). Never
  // empty in a parsed SlotMap; may be empty in a Redirect (see redirect.h).
  std::string host;
  // TCP port (the TLS port when the topology was fetched over TLS, see the
  // parsers). 1..65535 in a parsed SlotMap.
  int port = 0;
  // The 40-character node id; empty when unknown (e.g. learned from MOVED).
  std::string id;
  // The node's announced hostname when the server reported one (useful as
  // the TLS SNI / verification name even when `host` is an IP); else empty.
  std::string hostname;
  // The node's availability zone when reported ("availability-zone"
  // metadata), else empty. A client may also fill it from INFO/HELLO.
  std::string availability_zone;

  // All fields equal.
  bool operator==(const NodeAddress& other) const = default;

  // Same host and port, whatever the other fields say: the identity of a
  // connection endpoint.
  bool SameEndpoint(const NodeAddress& other) const {
    return port == other.port && host == other.host;
  }

  // "host:port", with an IPv6 literal bracketed ("[::1]:6379").
  std::string HostPort() const;
};

// One primary and the replicas that copy it. In a parsed SlotMap the
// replicas are only those the server reported as usable (CLUSTER SLOTS lists
// no failed replicas; from CLUSTER SHARDS only health "online" ones are
// kept), in the server's order.
struct Shard {
  NodeAddress primary;
  std::vector<NodeAddress> replicas;

  bool operator==(const Shard& other) const = default;
};

class SlotMap {
 public:
  // An empty map: no slot is covered.
  SlotMap();

  // The shard serving `slot`, or nullptr when no shard does or `slot` is out
  // of [0, kNumSlots). The pointer is valid until this map is mutated or
  // destroyed.
  const Shard* ShardForSlot(int slot) const;

  // Every shard serving at least one slot, in order of their lowest slot.
  const std::vector<Shard>& shards() const { return shards_; }

  // Primaries of all shards (the targets of a broadcast to all primaries).
  std::vector<NodeAddress> Primaries() const;
  // Primaries and replicas of all shards.
  std::vector<NodeAddress> AllNodes() const;

  // True when every slot has a shard.
  bool CoversAllSlots() const;
  // The maximal runs [first, last] of slots without a shard, ascending.
  std::vector<std::pair<int, int>> UncoveredRanges() const;

  // Assigns slots [first, last] to `shard`. A shard whose primary has the
  // same endpoint as a known shard's primary is that shard (its replicas are
  // replaced by `shard`'s when it has any). Slots already assigned are
  // reassigned. INVALID_ARGUMENT (naming the range) if the range is not
  // within [0, kNumSlots) or first > last; the map is then unchanged.
  absl::Status AssignSlots(int first, int last, const Shard& shard);

  // Applies a MOVED redirect: `slot` is now served by the primary `to`. If a
  // shard's primary has `to`'s endpoint the slot joins that shard; otherwise
  // a new shard is created with `to` as primary and no replicas — the map
  // then knows less than the cluster does, so the caller should schedule a
  // full topology refresh (as libvalkey and redis-plus-plus do). A shard
  // left without slots is dropped. INVALID_ARGUMENT if `slot` is out of
  // range, or `to` has an empty host or a port outside 1..65535 (the
  // caller substitutes the host for MOVED's empty-host form first).
  absl::Status SetSlotPrimary(int slot, const NodeAddress& to);

  // Same shard contents for every slot (shard indices and order of shards
  // do not matter; replica order does).
  bool operator==(const SlotMap& other) const;

  // One line per shard, e.g.
  //   "0-5460,6000-6001 127.0.0.1:7000 replicas [127.0.0.1:7003]"
  // then "uncovered 5461-5999" when some slots have no shard. For logs and
  // tests; not a stable format.
  std::string DebugString() const;

 private:
  static constexpr uint16_t kNoShard = 0xFFFF;

  friend class SlotMapBuilder;

  // Index of the shard whose primary has `primary`'s endpoint, or -1.
  int FindShard(const NodeAddress& primary) const;
  // Drops shards that serve no slot and renumbers; sorts shards by their
  // lowest slot so equal topologies print the same.
  void Compact();

  std::array<uint16_t, kNumSlots> slot_to_shard_;
  std::vector<Shard> shards_;
};

// Parses a CLUSTER SLOTS reply (RESP2 or RESP3):
//
//   [[start, end, [host, port, id, metadata], [replica...]...], ...]
//
// where metadata is a map (RESP3) or a flat key/value array (RESP2) with
// optional "hostname", "ip" and "availability-zone"; pre-7.0 servers omit
// the id and metadata. The endpoint (`host`) is what to connect to, except:
//   - "" or a null endpoint means "the node you asked" (the server does not
//     know its own address, e.g. behind a load balancer): `queried_host` is
//     used;
//   - "?" means the preferred endpoint type is hostname but the node has
//     none: its "ip" metadata is used when present, else `queried_host`.
// The port is whatever the server put there: over a TLS connection with
// tls-cluster enabled, servers report the TLS port, so no TLS flag is needed.
//
// Errors (the map is never partially returned):
//   - the reply is an error reply: that error's status (ServerError, e.g.
//     "ERR This instance has cluster support disabled"), annotated;
//   - a malformed reply — wrong types, missing fields, a slot outside
//     [0, 16383], start > end, a port outside 1..65535, the same slot in two
//     entries: DATA_LOSS (kind kProtocol) naming the entry and the field,
//     e.g. "CLUSTER SLOTS entry 2: node 0: port is not an integer".
// A reply covering no slots, or only some, is not an error: see
// CoversAllSlots().
absl::StatusOr<SlotMap> ParseClusterSlots(const ReplyView& reply,
                                          absl::string_view queried_host);

// Options for ParseClusterShards.
struct ShardsParseOptions {
  // Use each node's "tls-port" (when reported) instead of "port". CLUSTER
  // SHARDS reports both regardless of the connection. Default: false.
  bool use_tls_port = false;
};

// Parses a CLUSTER SHARDS reply (Valkey/Redis 7.0+), RESP3 maps or RESP2
// flat key/value arrays:
//
//   [{"slots": [start, end, start, end, ...],
//     "nodes": [{"id", "port", "tls-port", "ip", "endpoint", "hostname",
//                "role", "replication-offset", "health",
//                "availability-zone"...}, ...]}, ...]
//
// Unknown fields are ignored. The host is "endpoint"; if that is empty, null
// or "?", "ip"; if that is empty too, `queried_host`. The primary is the
// node with role "master" (or "primary") whose health is "online"; failing
// that the first node with that role whatever its health (routing to it
// fails with a connection error, which triggers a refresh — better than
// leaving its slots unserved). Replicas are the nodes with another role and
// health "online". A shard with no slots is skipped (it serves no key); a
// shard with slots but no primary leaves its slots uncovered.
//
// Errors: as ParseClusterSlots, with "CLUSTER SHARDS shard <i>: ..." in the
// message.
absl::StatusOr<SlotMap> ParseClusterShards(
    const ReplyView& reply, absl::string_view queried_host,
    const ShardsParseOptions& options = {});

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_SLOT_MAP_H_
