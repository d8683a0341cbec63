// async::Sentinel: the blocking Sentinel's discovery (valkey/sentinel/
// sentinel.h) on the event loop — same rules (sentinel_rules), same order
// handling, same errors — plus a +switch-master subscription so a failover
// is noticed before the next error. MasterFor / ReplicaFor build async
// Clients that follow a service.
//
//   auto sentinel = *async::Sentinel::Create(loop, sentinel_options);
//   absl::StatusOr<NodeAddress> master = co_await sentinel->DiscoverMaster();
//
//   ClientOptions options;                       // data-node template
//   options.sentinel = sentinel_options;
//   auto client = *async::MasterFor(loop, "mymaster", options);
//   co_await client->Set("k", "v");              // on the current master
//
// Discovery asks each sentinel in the current order (one multiplexed async
// connection per sentinel, opened at once and kept) and accepts the first
// usable answer; that sentinel moves to the front. Nothing blocks the loop:
// each question is a command future. Sentinel connections are opened with
// sentinel_rules::ConnectionFor (valkey/sentinel/sentinel_rules.h): never an
// infinite socket time-out, so a sentinel that accepts and never answers
// costs a question kDefaultSentinelSocketTimeout (by default) and the next
// sentinel is asked.
//
// Master client: its connections resolve the master through DiscoverMaster
// at every (re)connect, check ROLE = master as a setup command, and treat a
// READONLY reply as demotion (UNAVAILABLE, then reconnect — which
// re-discovers). Every sentinel's +switch-master for the service makes the
// client's connections reconnect at once. Errors "no master found" and
// connection errors are retried per options.connection.retry.
//
// Replica client: each connection asks DiscoverReplicas at connect time and
// takes the next healthy replica (round-robin); with none, the master;
// with no master either, NOT_FOUND (kReplicaNotFound). Commands are spread
// round-robin over AsyncOptions::shared_connections multiplexed connections
// (kDefaultReplicaConnections when left at 1), each on the next replica, so
// reads rotate over the replicas; use the number of replicas (or a
// multiple) for an even spread.
//
// Thread-safety: thread-safe; callbacks and continuations on the loop.

#ifndef VALKEY_SENTINEL_ASYNC_SENTINEL_H_
#define VALKEY_SENTINEL_ASYNC_SENTINEL_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "valkey/async/client.h"
#include "valkey/async/connection.h"
#include "valkey/async/future.h"
#include "valkey/async/pubsub.h"
#include "valkey/common/config.h"
#include "valkey/common/reply.h"
#include "valkey/sentinel/sentinel_rules.h"

namespace valkey::async {

class Sentinel : public std::enable_shared_from_this<Sentinel> {
 public:
  // Errors: INVALID_ARGUMENT as valkey::Sentinel::Create
  // (sentinel_rules::ValidateOptions, then the connection template).
  static absl::StatusOr<std::shared_ptr<Sentinel>> Create(
      EventLoop& loop, SentinelOptions options);
  ~Sentinel();

  // The current master of `service` (default: options.service_name).
  // Errors: NOT_FOUND (kMasterNotFound) listing what each sentinel said.
  Future<NodeAddress> DiscoverMaster(std::string service = "");
  // The healthy replicas (possibly none).
  Future<std::vector<NodeAddress>> DiscoverReplicas(std::string service = "");

  // Any command on the first sentinel that answers (a server error reply is
  // an answer). Errors: UNAVAILABLE listing every sentinel's failure.
  Future<Reply> ExecuteArgs(std::vector<std::string> args);

  // Calls `fn(service, new_master)` on the loop's thread for every
  // +switch-master any sentinel announces (the first call subscribes on
  // every sentinel).
  void OnSwitchMaster(
      std::function<void(const std::string& service, const NodeAddress&)> fn);

  // The sentinels in the order they are asked.
  std::vector<SentinelAddress> sentinels() const;
  const SentinelOptions& options() const { return options_; }
  EventLoop& loop() { return loop_; }

 private:
  struct Node {
    SentinelAddress address;
    std::shared_ptr<Connection> connection;
  };

  Sentinel(EventLoop& loop, SentinelOptions options, std::vector<Node> nodes);
  std::vector<Node> Snapshot() const;
  void MoveToFront(const SentinelAddress& address);

  static Task<NodeAddress> DiscoverMasterTask(std::shared_ptr<Sentinel> self,
                                              std::string service);
  static Task<std::vector<NodeAddress>> DiscoverReplicasTask(
      std::shared_ptr<Sentinel> self, std::string service);
  static Task<Reply> ExecuteTask(std::shared_ptr<Sentinel> self,
                                 std::vector<std::string> args);

  EventLoop& loop_;
  const SentinelOptions options_;
  mutable absl::Mutex mu_;
  std::vector<Node> nodes_ ABSL_GUARDED_BY(mu_);  // Front: asked first.
  std::vector<std::unique_ptr<PubSub>> watchers_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void(const std::string&, const NodeAddress&)>>
      switch_handlers_ ABSL_GUARDED_BY(mu_);
};

inline constexpr int kDefaultReplicaConnections = 2;

// Clients that follow `service` through options.sentinel (required); see
// the file comment. options.connection is the data-node template (its
// host/port are ignored). Errors: INVALID_ARGUMENT for a missing or bad
// sentinel block, an empty service, bad options, or cache.enabled (the
// cache does not follow failovers yet), as the blocking MasterFor
// (follow_options.h).
absl::StatusOr<std::unique_ptr<Client>> MasterFor(EventLoop& loop,
                                                  absl::string_view service,
                                                  ClientOptions options,
                                                  AsyncOptions async = {});
absl::StatusOr<std::unique_ptr<Client>> ReplicaFor(EventLoop& loop,
                                                   absl::string_view service,
                                                   ClientOptions options,
                                                   AsyncOptions async = {});

}  // namespace valkey::async

#endif  // VALKEY_SENTINEL_ASYNC_SENTINEL_H_
