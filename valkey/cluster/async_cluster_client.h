// AsyncClusterClient: the typed commands of async::Client (every command of
// the command table, returning Future<T>) against a Valkey Cluster. Each
// command goes to the node serving its keys' hash slot; MOVED, ASK,
// TRYAGAIN and CLUSTERDOWN are followed transparently.
//
//   auto thread = *valkey::async::EventLoopThread::Start();
//   valkey::cluster::ClusterOptions options;
//   options.seeds = {"127.0.0.1:7000", "127.0.0.1:7001"};
//   auto client = *AsyncClusterClient::Create(thread->loop(), options);
//   Future<bool> set = client->Set("user:1", "alice");      // any thread
//   absl::StatusOr<std::optional<std::string>> v = client->Get("user:1").Get();
//
// The rules are those of the blocking ClusterClient, written once in the
// I/O-free pieces of this package: RouteCommand / ChooseNode (routing.h)
// pick the node, CommandRedirects (redirects.h) decides what each answer
// leads to, Topology (topology.h) holds the slot map and rate-limits
// refreshes, CombineReplies (combine_replies.h) answers broadcasts. This
// class only sends, waits and resends.
//
// Topology: Create() starts fetching it at once (CLUSTER SLOTS on the seeds,
// in Topology::RefreshCandidates() order, one after the other). Commands
// issued before the first map arrives wait for it, each for at most
// options.connection.connect_timeout; if every candidate fails first, they
// fail with UNAVAILABLE naming each node asked and its error (or, when a
// node answered with an error reply such as "ERR This instance has cluster
// support disabled", with that error). Later refreshes run in the
// background, one at a time, whenever Topology::BeginRefresh() allows
// (after MOVED, CLUSTERDOWN, READONLY, a connection error, or every
// refresh_interval); commands keep routing by the map they have meanwhile.
//
// Connections: one multiplexed, auto-pipelined async::Connection per node
// ("host:port"), created lazily on first use with options.connection
// (host/port replaced by the node's). With read_from other than kPrimary,
// every node connection runs READONLY as a setup command: roles change on
// failover, and READONLY is harmless on a primary, so any connection can
// serve replica reads. Connections to nodes that left the map are closed
// after a refresh once idle.
//
// Where commands go (RouteCommand):
//   - keyed commands: the slot's shard; its primary, or for read-only
//     commands the node options.read_from picks (ChooseNode, round robin);
//   - keyless commands (PING, INFO, ...): a primary, round robin;
//   - broadcasts (DBSIZE, KEYS, FLUSHALL, SCRIPT LOAD, ...): every primary
//     (or every node), combined by CombineReplies; not redirected;
//   - refused commands (cross-slot keys: INVALID_ARGUMENT kind kCrossSlot;
//     connection-state commands such as SELECT, MULTI, SUBSCRIBE): the
//     future fails at once, nothing is sent;
//   - with options.split_multi_key, cross-slot MGET/MSET/DEL/EXISTS/UNLINK/
//     TOUCH: one part per slot (split_by_slot.h), all sent at once, each
//     redirected on its own within the command's deadline; merged in the
//     caller's key order; not atomic;
//   - blocking commands (BLPOP, XREAD BLOCK, ...): as async::Client does, on
//     an exclusive connection leased from a per-node async::ConnectionPool
//     (options.pool), so they never stall the node's shared connection.
//     Redirects are followed the same way (a new lease on the new node).
//
// Redirects: MOVED updates the map (and wants a refresh) and resends to
// the new owner; ASK sends "ASKING" and the command back to back on the
// target's connection (ASKING's reply is dropped); TRYAGAIN/LOADING resend
// to the same node after a delay; CLUSTERDOWN/READONLY/MASTERDOWN route
// again by the (refreshed) map after a delay. At most
// options.max_redirects of these per command.
//
// Connection errors: delivered (the command may have run), unless
// options.connection.retry allows retries: then the command is routed
// again by the current map after the retry backoff (as async::Client
// retries on its reconnected connection).
//
// Deadlines: each attempt is bounded by options.connection.socket_timeout
// (by the connection, as for a single server; blocking commands get their
// server-side time-out on top). Across redirects and retries the command
// is bounded too: with a finite socket_timeout, no attempt starts later
// than socket_timeout * (max_redirects + 1) after the command was issued —
// a resend due after that fails with DEADLINE_EXCEEDED (kTimeout) naming
// the last error instead. So a command's outcome arrives within
// socket_timeout * (max_redirects + 2) plus the time spent connecting.
//
// Closing: Close() (and the destructor, which calls it) fails every
// command not yet answered — waiting for the map, waiting to be resent,
// or sent — with UNAVAILABLE (kConnection) "cluster client closed", and
// later commands the same way at once. It never waits for the network.
//
// Thread-safety: thread-safe; commands may be issued from any thread.
// Futures resolve (and continuations run) on the loop's thread, except a
// command refused before anything is sent, which fails on the caller's
// thread (as with async::Client), and commands failed by Close(), which
// may fail on the thread calling it. No sink is ever called under the
// client's lock, so continuations may issue commands. The EventLoop must
// outlive the client; the client may be destroyed on any thread, the loop's
// included.
//
// Credentials: every node connection asks options.connection.credentials
// when it connects; ReauthenticateAll moves the connections already open
// to the provider's current identity, and EnableCredentialRefresh does so
// ahead of each token's expiry (docs/credentials.md).
//
// Fork: in a fork()ed child every command fails at once with
// FAILED_PRECONDITION (see event_loop.h).

#ifndef VALKEY_CLUSTER_ASYNC_CLUSTER_CLIENT_H_
#define VALKEY_CLUSTER_ASYNC_CLUSTER_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/async/async_executor.h"
#include "valkey/async/connection.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/cluster/cluster_options.h"
#include "valkey/cluster/slot_map.h"
#include "valkey/common/reauth_result.h"
#include "valkey/common/refresh_schedule.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace async {
class CredentialRefreshTimer;
}  // namespace async

namespace cluster {

namespace async_cluster_internal {
struct Shared;
}  // namespace async_cluster_internal

class AsyncClusterClient
    : public valkey::async::AsyncExecutor<AsyncClusterClient> {
 public:
  // Checks `options` (CheckClusterOptions) and starts fetching the
  // topology; returns at once (no I/O is waited for).
  // Errors: INVALID_ARGUMENT naming the bad option.
  static absl::StatusOr<std::unique_ptr<AsyncClusterClient>> Create(
      valkey::async::EventLoop& loop, ClusterOptions options);

  // Close()s.
  ~AsyncClusterClient();
  AsyncClusterClient(const AsyncClusterClient&) = delete;
  AsyncClusterClient& operator=(const AsyncClusterClient&) = delete;

  // Typed commands (Get, Set, MGet, DbSize, ...) and Execute / ExecuteArgs
  // come from AsyncExecutor.

  valkey::async::EventLoop& loop() { return loop_; }

  // The current slot map (empty before the first refresh). Never null.
  std::shared_ptr<const SlotMap> slot_map() const;

  // The options the client was created with (after CheckClusterOptions);
  // options().connection is what each node connection starts from (host
  // and port replaced by the node's). Used by AsyncShardedSubscriber to
  // open its own per-node connections.
  const ClusterOptions& options() const;

  // Fetches the topology (a refresh already under way is joined; within
  // options().min_refresh_interval of the last one, it starts when that
  // interval has passed) and resolves once it is over: OK with slot_map()
  // updated, or the refresh's error (UNAVAILABLE naming every node asked).
  // UNAVAILABLE once closed (also for a wait under way when Close() runs).
  // Any thread; resolves on the loop's thread (or the caller's, at once).
  valkey::async::Future<void> RefreshTopology();

  // Counters, for tests and monitoring: MOVED/ASK/TRYAGAIN/CLUSTERDOWN
  // resends so far (all commands), and successful topology refreshes.
  int64_t redirects() const;
  int64_t topology_refreshes() const;

  // Credential rotation of live connections (docs/credentials.md), as
  // async::Client::ReauthenticateAll for every node opened so far: asks
  // the credential provider once (on the calling thread) and switches each
  // node's shared connection (AUTH goes into its command stream in order
  // with every other caller's commands: those queued before it run as the
  // old user, those after it as the new one) and each node's pool of
  // exclusive connections (idle ones now, leased ones when their lease
  // ends; async::ConnectionPool::ReauthenticateAll). A shared connection
  // whose AUTH is refused reconnects (with the provider's secret of that
  // moment; its commands in flight fail with UNAVAILABLE); a refused pool
  // connection is closed. Nodes connected later authenticate with the
  // provider's secret when they connect. The future resolves on the loop's
  // thread with the tally of all nodes (reauth_result.h; never an error
  // status: failures are in first_error: the first refusal, naming its node
  // — UNAUTHENTICATED for a wrong password —, FAILED_PRECONDITION
  // without a provider, the provider's error with nothing sent, UNAVAILABLE
  // once closed). Each AUTH is bounded by options.connection.socket_timeout
  // like any command. Any thread.
  valkey::async::Future<ReauthResult> ReauthenticateAll();

  // As async::Client::EnableCredentialRefresh: a timer on the client's
  // event loop (no thread; the provider is called on the loop's thread)
  // runs ReauthenticateAll a margin before the credentials expire (see
  // credential_refresh_timer.h and refresh_schedule.h). Close() and the
  // destructor stop it. Errors: FAILED_PRECONDITION without a provider or
  // when already enabled; UNAVAILABLE once closed.
  absl::Status EnableCredentialRefresh(CredentialRefreshOptions options = {});
  // Rounds run and failed so far (zeros when refresh is not enabled).
  CredentialRefreshStats credential_refresh_stats() const;

  // Fails every unanswered command with UNAVAILABLE, closes every node
  // connection and pool, and stops the credential refresh. Idempotent; any
  // thread; never blocks on I/O.
  void Close();

  // A cross-slot MGET/MSET/DEL/EXISTS/UNLINK/TOUCH (split_multi_key).
  void DispatchSplit(absl::Span<const CommandArg> args,
                     valkey::async::ReplySink sink);
  // Command-table hook (AsyncExecutor): routes and sends `args`, whose
  // outcome goes to `sink` exactly once. `server_timeout` marks a blocking
  // command (see above). Any thread.
  void Dispatch(absl::Span<const CommandArg> args,
                valkey::async::ReplySink sink,
                std::optional<absl::Duration> server_timeout);

 private:
  AsyncClusterClient(valkey::async::EventLoop& loop,
                     std::shared_ptr<async_cluster_internal::Shared> shared);

  valkey::async::EventLoop& loop_;
  std::shared_ptr<async_cluster_internal::Shared> shared_;
  mutable absl::Mutex refresh_mu_;
  // Null until EnableCredentialRefresh (and again after Close).
  std::shared_ptr<valkey::async::CredentialRefreshTimer> refresh_
      ABSL_GUARDED_BY(refresh_mu_);
};

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_ASYNC_CLUSTER_CLIENT_H_
