// ClusterClient: the blocking client for a Valkey Cluster. It keeps the
// cluster's slot map, sends each command to the node that serves its keys
// through a connection pool per node, and follows the cluster when slots
// move or primaries fail over. It has the blocking Client's typed command
// table (Get, Set, HSet, ...); each command returns absl::StatusOr<T>.
//
//   valkey::cluster::ClusterOptions options;
//   options.seeds = {"10.0.0.1:7000", "10.0.0.2:7000"};
//   auto cluster = valkey::cluster::ClusterClient::Create(options);
//   if (!cluster.ok()) return cluster.status();
//   absl::StatusOr<bool> set = (*cluster)->Set("user:1", "alice");
//   absl::StatusOr<std::optional<std::string>> v = (*cluster)->Get("user:1");
//
// Routing (routing.h). A command's keys pick its slot; all of them must
// hash to one slot (use hash tags, "{user:1}.name", to keep related keys
// together), otherwise the command is refused before anything is sent with
// INVALID_ARGUMENT, kind kCrossSlot — unless ClusterOptions::split_multi_key
// lets MGET, MSET, DEL, EXISTS, UNLINK and TOUCH be split by slot (each part
// runs on its own node: not atomic). Keyless commands go to one primary
// (round robin), or to every primary / every node with the replies combined
// (combine_replies.h: DBSIZE sums, KEYS concatenates, FLUSHALL needs every
// node's OK). Commands that set per-connection state (SELECT, MULTI, AUTH,
// SUBSCRIBE, ...) are refused: the client runs them itself. SCAN is
// refused too: use ForEachKey(), which scans every primary.
// Read-only commands go to replicas when ClusterOptions::read_from says so
// (the node connections then send READONLY).
//
// Following the cluster (redirects.h, topology.h). MOVED updates the map
// and resends; ASK sends ASKING and the command to the importing node;
// TRYAGAIN and LOADING are resent after a delay; CLUSTERDOWN, READONLY and
// MASTERDOWN (the node did not run the command) make the command route
// again on a refreshed map after a delay. A connection error to a node
// makes the map stale and is retried per ClusterOptions::connection.retry,
// as with the single-server Client: with retries, the next attempt routes
// by a refreshed map. While a command backs off, the map is re-fetched every
// min_refresh_interval and the back-off ends as soon as it changes, so after
// a failover writes reach the new primary within about
// min_refresh_interval of the cluster reporting it, whatever the back-off. The topology is fetched with CLUSTER
// SLOTS from the known primaries, then replicas, then the seeds; refreshes
// run in the calling thread of the command that found the map stale, one at
// a time and at most one per min_refresh_interval (other threads go on with
// the map they have); and at least every refresh_interval.
//
// Transactions and pipelines need one node: ClientFor(key) returns a Client
// on the pool of the primary serving `key`'s slot, to use with Pipeline and
// Transaction (keys of one slot only; the server refuses others with
// CROSSSLOT, and a slot that moves meanwhile fails with MOVED).
//
// Thread-safety: thread-safe; any number of threads may run commands at
// once (each command holds one pooled connection while it runs).

#ifndef VALKEY_CLUSTER_CLUSTER_CLIENT_H_
#define VALKEY_CLUSTER_CLUSTER_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/client/client.h"
#include "valkey/commands/immediate_executor.h"
#include "valkey/cluster/cluster_options.h"
#include "valkey/cluster/routing.h"
#include "valkey/cluster/slot_map.h"
#include "valkey/cluster/topology.h"
#include "valkey/common/reauth_result.h"
#include "valkey/common/refresh_schedule.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"
#include "valkey/common/retry.h"
#include "valkey/connection/connection.h"
#include "valkey/connection/connection_pool.h"
#include "valkey/connection/credential_refresher.h"

namespace valkey {
namespace cluster {

class ClusterClient : public ImmediateExecutor<ClusterClient> {
 public:
  // Checks the options and fetches the topology from the seeds (then
  // returns; node connections open on first use). Errors: INVALID_ARGUMENT
  // naming the bad field (CheckClusterOptions, bad connection options);
  // UNAVAILABLE naming every seed and why when none answered CLUSTER SLOTS
  // (unreachable, wrong password, "cluster support disabled", ...).
  static absl::StatusOr<std::unique_ptr<ClusterClient>> Create(
      ClusterOptions options);

  ~ClusterClient();
  ClusterClient(const ClusterClient&) = delete;
  ClusterClient& operator=(const ClusterClient&) = delete;

  // Sends any command (routed as above) and returns its reply. Errors: a
  // server error reply as its status; routing refusals (INVALID_ARGUMENT);
  // connection errors after retries; the last redirect error when the
  // redirect budget ran out ("cluster: gave up after 5 redirects").
  template <typename... Args>
  absl::StatusOr<Reply> Execute(const Args&... args) {
    const CommandArg argv[] = {CommandArg(args)...};
    return ExecuteArgs(absl::Span<const CommandArg>(argv, sizeof...(args)));
  }
  absl::StatusOr<Reply> ExecuteArgs(absl::Span<const CommandArg> args);

  // Run / RunArgs / RunBlockingArgs / Fail: the command-table hooks, from
  // ImmediateExecutor.

  // Calls `fn` with every key matching `pattern` ("*" for all) on every
  // primary, SCANning each with COUNT `count`. On a cluster whose slots do
  // not move meanwhile, each key is seen exactly once; keys of a slot that
  // moves during the scan may be missed or seen twice (as SCAN on one
  // server under rehashing). Stops at the first error, or at `fn`'s first
  // non-OK status, and returns it.
  absl::Status ForEachKey(
      absl::string_view pattern, int64_t count,
      absl::FunctionRef<absl::Status(absl::string_view key)> fn);

  // A Client running on the pool of the primary that serves `key`'s slot
  // now, for pipelines and transactions on keys of that slot. It shares
  // the pool (closing it does not close the pool) and does not follow
  // redirects.
  absl::StatusOr<std::unique_ptr<Client>> ClientFor(absl::string_view key);

  // Fetches the topology now, after any refresh under way and the
  // min_refresh_interval since the last one. Errors: as Create's fetch.
  absl::Status RefreshTopology();
  // The current slot map.
  std::shared_ptr<const SlotMap> slot_map() const { return topology_.map(); }

  struct Stats {
    int64_t redirects = 0;           // MOVED/ASK/TRYAGAIN/... resends.
    int64_t topology_refreshes = 0;  // Successful refreshes.
    int nodes = 0;                   // Node pools opened.
  };
  Stats stats() const;

  const Retry& retry() const { return retry_; }

  // Credential rotation of live connections (docs/credentials.md): asks
  // the credential provider once and re-authenticates every node pool
  // opened so far with it (ConnectionPool::ReauthenticateAll: idle
  // connections now, checked-out ones before their next checkout, refused
  // ones closed and replaced later). The tallies of all nodes are added up;
  // first_error is the first node's failure (or FAILED_PRECONDITION without
  // a provider, the provider's error, UNAVAILABLE once closed). Topology
  // fetches open short-lived connections with the provider's current
  // secret. Thread-safe; blocks for one round trip per idle connection.
  ReauthResult ReauthenticateAll();

  // As Client::EnableCredentialRefresh: one background thread runs
  // ReauthenticateAll a margin before the credentials expire; Close() and
  // the destructor stop and join it. Errors: FAILED_PRECONDITION without a
  // provider or when already enabled; UNAVAILABLE once closed.
  absl::Status EnableCredentialRefresh(CredentialRefreshOptions options = {});
  CredentialRefresher::Stats credential_refresh_stats() const;

  // Closes every node pool and stops the credential refresh. Later commands
  // fail with UNAVAILABLE. Idempotent.
  void Close();

 private:
  friend class ImmediateExecutor<ClusterClient>;
  friend class ClusterPipeline;  // Groups by node, resends via RoundTrip.

  ClusterClient(ClusterOptions options, std::vector<NodeAddress> seeds,
                std::shared_ptr<const Connector> connector);

  // One command, with the client's retry policy around it.
  absl::StatusOr<Reply> RoundTrip(absl::Span<const CommandArg> args,
                                  std::optional<absl::Duration> server_timeout);
  absl::StatusOr<Reply> RoundTripOnce(
      absl::Span<const CommandArg> args,
      std::optional<absl::Duration> server_timeout);

  // Sends `args` to the node chosen for `slot` (-1: any shard, round
  // robin) and follows redirects until an answer.
  absl::StatusOr<Reply> RunRouted(absl::Span<const CommandArg> args, int slot,
                                  bool read_only,
                                  std::optional<absl::Duration> server_timeout);
  // Every primary (or node), replies combined.
  absl::StatusOr<Reply> Broadcast(absl::Span<const CommandArg> args,
                                  bool all_nodes);
  // MGET/MSET/DEL/EXISTS/UNLINK/TOUCH across slots (split_multi_key).
  absl::StatusOr<Reply> SplitBySlot(absl::Span<const CommandArg> args);

  // The node for `slot` under the read policy; NOT_FOUND-ish UNAVAILABLE
  // when no shard serves it even after a refresh.
  absl::StatusOr<NodeAddress> ChooseFor(int slot, bool read_only);
  // One exchange on `node`'s pool (ASKING first when `asking`).
  absl::StatusOr<Reply> SendTo(const NodeAddress& node,
                               absl::Span<const CommandArg> args, bool asking,
                               std::optional<absl::Duration> server_timeout);
  absl::StatusOr<std::shared_ptr<ConnectionPool>> PoolFor(
      const NodeAddress& node);

  // The retry policy's back-off between attempts that failed with a
  // connection error: sleeps `delay` in steps of min_refresh_interval,
  // refreshing the map at each, and ends early once the map changed (a
  // failover elected a new primary, slots moved), so the next attempt
  // routes by it at once instead of sleeping out a back-off meant for a
  // server that is down.
  void BackOffWatchingTopology(absl::Duration delay);

  // Refreshes when the topology says so (or `force`); returns the fetch's
  // error when one ran and failed, else OK.
  absl::Status MaybeRefresh(bool force = false);
  absl::StatusOr<SlotMap> FetchTopology();

  const ClusterOptions options_;
  const std::shared_ptr<const Connector> connector_;
  const Retry retry_;
  Topology topology_;
  std::atomic<uint64_t> counter_{0};
  std::atomic<int64_t> redirects_{0};
  std::atomic<bool> closed_{false};

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<ConnectionPool>> pools_
      ABSL_GUARDED_BY(mu_);

  // Null until EnableCredentialRefresh.
  mutable absl::Mutex refresh_mu_;
  std::unique_ptr<CredentialRefresher> refresher_ ABSL_GUARDED_BY(refresh_mu_);
};

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_CLUSTER_CLIENT_H_
