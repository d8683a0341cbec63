// ClusterOptions: how a cluster client (blocking or async) finds and talks
// to a Valkey Cluster. One struct for both clients; CheckClusterOptions
// validates it the same way for both.
//
//   valkey::cluster::ClusterOptions o;
//   o.seeds = {"127.0.0.1:7000", "127.0.0.1:7001"};
//   o.connection.socket_timeout = absl::Seconds(2);   // Every node.
//   o.read_from = valkey::cluster::ReadPolicy::kPreferReplica;
//
// Thread-safety: a plain value.

#ifndef VALKEY_CLUSTER_CLUSTER_OPTIONS_H_
#define VALKEY_CLUSTER_CLUSTER_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "valkey/cluster/redirects.h"
#include "valkey/cluster/routing.h"
#include "valkey/cluster/slot_map.h"
#include "valkey/common/config.h"

namespace valkey {
namespace cluster {

struct ClusterOptions {
  // Nodes to ask for the topology first: "host:port" (IPv6 as "[::1]:7000").
  // Any live node of the cluster will do; give several. Non-empty.
  std::vector<std::string> seeds;
  // Options of every node connection: credentials, TLS, time-outs,
  // protocol, client name, db (Valkey 9 numbered databases: SELECT on every
  // connection; none for db 0; a server without cluster databases refuses
  // it and Create / the first command fails with FAILED_PRECONDITION naming
  // the db and the answer), retry (connection errors, as for a single
  // server). Its
  // host/port/unix_path are ignored (nodes come from the topology).
  ConnectionOptions connection;
  // One pool per node (the blocking client); the async client keeps one
  // multiplexed connection per node instead and uses only wait_timeout.
  PoolOptions pool;
  // Which node of a shard serves read-only commands. kPrimary by default:
  // replicas lag, so reads from them may miss the latest writes.
  ReadPolicy read_from = ReadPolicy::kPrimary;
  // The client's availability zone, for kAzAffinity.
  std::string client_az;
  // MOVED/ASK/TRYAGAIN/CLUSTERDOWN resends per command, at most.
  int max_redirects = CommandRedirects::kDefaultMaxRedirects;
  // Topology refreshes: at most one per min_refresh_interval; one at least
  // every refresh_interval while commands run.
  absl::Duration min_refresh_interval = absl::Milliseconds(100);
  absl::Duration refresh_interval = absl::Seconds(60);
  // MGET/MSET/DEL/EXISTS/UNLINK/TOUCH whose keys span slots: split by slot
  // and combined (not atomic: each part runs on its own) when true;
  // refused with INVALID_ARGUMENT (kind kCrossSlot) when false.
  bool split_multi_key = false;
};

// The seeds as node addresses. INVALID_ARGUMENT naming the field for no
// seed, a malformed "host:port", max_redirects < 0, a non-positive refresh
// interval, a connection with unix_path set (cluster nodes are TCP), or an
// invalid pool or connection option.
absl::StatusOr<std::vector<NodeAddress>> CheckClusterOptions(
    const ClusterOptions& options);

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_CLUSTER_OPTIONS_H_
