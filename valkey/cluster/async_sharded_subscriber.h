// AsyncShardedSubscriber: sharded pub/sub (SSUBSCRIBE) over a Valkey
// Cluster for the AsyncClusterClient — the event-loop counterpart of the
// blocking ShardedSubscriber (sharded_subscriber.h), with the same
// placement rules (shard_channel_groups.h). Each shard channel is
// subscribed on the primary serving its slot, over one async::PubSub per
// node (a connection of its own, made from the cluster's
// options().connection with the node's host and port), and follows the
// slot when it moves.
//
//   AsyncShardedSubscriber::Options o;
//   o.handler = [](absl::string_view channel, absl::string_view payload) {
//     Use(channel, payload);                        // On the loop's thread.
//   };
//   auto sub = *AsyncShardedSubscriber::Create(*cluster, o);
//   absl::Status s = sub->SSubscribe({"orders", "{user:1}.events"}).Get();
//
// Subscribing. SSubscribe groups the channels by slot and by the slot's
// primary (GroupShardChannels), sends one SSUBSCRIBE per slot group — so
// channels of different slots in one call are fine, never CROSSSLOT — and
// resolves once every group is confirmed. A group refused with a retryable
// error (IsResubscribeRetryable: MOVED, CLUSTERDOWN, TRYAGAIN, connection
// errors, no answer within attempt_timeout) is retried after an awaited
// topology refresh (AsyncClusterClient::RefreshTopology) and a backoff,
// until Options::subscribe_timeout. Replicas are never used.
//
// Following the cluster. A subscription moves when
//   - the node pushes `sunsubscribe` for a channel we did not unsubscribe
//     (the slot left it: a finished migration, or a failover demoted it),
//   - a node's connection drops and the refreshed map names another primary
//     for its slots (a failover, or a node lost for good: its PubSub keeps
//     reconnecting, and the subscriber keeps re-checking the map with
//     backoff while that node stays disconnected),
//   - a resubscription's refreshed map shows another primary
//     (ChannelsToMove; checked whenever a resubscription runs).
// Such channels become pending and are subscribed at the slot's current
// primary, retried with backoff (resubscribe_initial_backoff doubling up to
// resubscribe_max_backoff) until it works or they are unsubscribed; each
// failed attempt goes to Options::on_status with the channels still
// pending. Subscriptions on other nodes are untouched. A node's PubSub
// resubscribes its channels by itself after a transient reconnect.
//
// Delivery is at most once: messages published while a subscription moves
// (between the old node dropping it and the new one confirming it) or while
// a node is unreachable are lost. Once pending() no longer holds a channel
// and placement() names its current primary, messages published to it are
// delivered.
//
// Handler contract. Options::handler receives every message of a
// subscribed channel (not confirmations), on the loop's thread, per node in
// arrival order (no order across nodes), and never for a channel after the
// SUnsubscribe that named it was issued on the loop. It must not block; it
// may call SSubscribe / SUnsubscribe (they only queue work) but not Close()
// or the destructor. on_status runs on the loop's thread too.
//
// Thread-safety: thread-safe. Methods may be called from any thread; the
// work runs on the cluster client's loop, whose futures resolve there.
// Close() (and the destructor) called off the loop thread waits for the
// loop to run it, so the loop must be running then; after it returns no
// callback runs. The AsyncClusterClient (and its loop) must outlive the
// subscriber.

#ifndef VALKEY_CLUSTER_ASYNC_SHARDED_SUBSCRIBER_H_
#define VALKEY_CLUSTER_ASYNC_SHARDED_SUBSCRIBER_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/async/future.h"
#include "valkey/cluster/async_cluster_client.h"

namespace valkey {
namespace cluster {

namespace async_sharded_internal {
struct Impl;
}  // namespace async_sharded_internal

class AsyncShardedSubscriber {
 public:
  using Handler =
      std::function<void(absl::string_view channel, absl::string_view payload)>;
  // A resubscription attempt failed: `status` says why, `pending` lists the
  // channels still waiting (sorted).
  using StatusCallback = std::function<void(
      const absl::Status& status, absl::Span<const std::string> pending)>;

  struct Options {
    Handler handler;            // Required.
    StatusCallback on_status;   // Default: none (see pending()).
    // How long SSubscribe keeps retrying retryable refusals. Default 10 s.
    absl::Duration subscribe_timeout = absl::Seconds(10);
    // How long one attempt waits for a node's confirmation before counting
    // it as a (retryable) time-out: a dead node's PubSub would hold the
    // command until it reconnects. Default 2 s.
    absl::Duration attempt_timeout = absl::Seconds(2);
    // Resubscription backoff. Defaults 50 ms doubling up to 1 s.
    absl::Duration resubscribe_initial_backoff = absl::Milliseconds(50);
    absl::Duration resubscribe_max_backoff = absl::Seconds(1);
  };

  // Opens nothing yet. INVALID_ARGUMENT without a handler or with a
  // non-positive duration. `cluster` must outlive the subscriber.
  static absl::StatusOr<std::unique_ptr<AsyncShardedSubscriber>> Create(
      AsyncClusterClient& cluster, Options options);

  // Close()s.
  ~AsyncShardedSubscriber();
  AsyncShardedSubscriber(const AsyncShardedSubscriber&) = delete;
  AsyncShardedSubscriber& operator=(const AsyncShardedSubscriber&) = delete;

  // Subscribes `channels` (any slots); resolves OK once the server confirmed
  // each on its slot's primary. A channel listed twice, or already
  // subscribed, is subscribed once. Errors: INVALID_ARGUMENT for no channels
  // or an empty name (at once); FAILED_PRECONDITION once closed (also for
  // a call under way when Close() runs); the first non-retryable group
  // error (PERMISSION_DENIED, ...) once every group has answered; after
  // subscribe_timeout, DEADLINE_EXCEEDED naming the last retryable error.
  // On error, the channels this call added and that were not confirmed are
  // not subscribed (channels() tells); confirmed ones stay.
  valkey::async::Future<void> SSubscribe(absl::Span<const std::string> channels);
  valkey::async::Future<void> SSubscribe(
      std::initializer_list<std::string> channels) {
    return SSubscribe(absl::MakeConstSpan(channels.begin(), channels.size()));
  }

  // Unsubscribes `channels` (every channel when empty), pending ones
  // included; resolves once their nodes confirmed. A node left without
  // channels has its connection closed. Unknown names are ignored. Errors:
  // FAILED_PRECONDITION once closed; a node's error (the channels are
  // forgotten anyway).
  valkey::async::Future<void> SUnsubscribe(
      absl::Span<const std::string> channels);
  valkey::async::Future<void> SUnsubscribe(
      std::initializer_list<std::string> channels) {
    return SUnsubscribe(absl::MakeConstSpan(channels.begin(), channels.size()));
  }

  // Closes every node connection and forgets every channel; SSubscribe calls
  // under way fail with FAILED_PRECONDITION. Idempotent. See thread-safety.
  void Close();

  // Snapshots, for tests and monitoring (any thread).
  // Subscribed channels (confirmed, pending or being subscribed), sorted.
  std::vector<std::string> channels() const;
  // Channels waiting for resubscription, sorted.
  std::vector<std::string> pending() const;
  // Channel → "host:port" it is confirmed on.
  absl::flat_hash_map<std::string, std::string> placement() const;
  // Node connections open now.
  int nodes() const;
  // Channels resubscribed at a new owner after a move, in total.
  int64_t resubscriptions() const;
  bool closed() const;

 private:
  explicit AsyncShardedSubscriber(
      std::shared_ptr<async_sharded_internal::Impl> impl);

  std::shared_ptr<async_sharded_internal::Impl> impl_;
};

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_ASYNC_SHARDED_SUBSCRIBER_H_
