// ShardedSubscriber: sharded pub/sub (SSUBSCRIBE) over a Valkey Cluster
// for the blocking ClusterClient. Each shard channel is subscribed on the
// primary that serves its slot, one subscriber connection per node (a
// PubSub on that node's pool, opened on demand), and follows the slot when
// it moves.
//
//   valkey::cluster::ShardedSubscriber::Options o;
//   o.handler = [](const valkey::PubSub::Message& m) { Use(m.channel, m.payload); };
//   auto sub = valkey::cluster::ShardedSubscriber::Create(*cluster, o);
//   if (!sub.ok()) return sub.status();
//   absl::Status s = (*sub)->SSubscribe("orders", "{user:1}.events");
//   while (running) (*sub)->Poll(absl::Milliseconds(100));  // Runs handler.
//
// Subscribing. SSubscribe groups the channels by slot and by the slot's
// primary (shard_channel_groups.h), sends one SSUBSCRIBE per slot group —
// so channels of different slots in one call are fine, never CROSSSLOT —
// and blocks until every group is confirmed. A group answered MOVED (or
// CLUSTERDOWN, TRYAGAIN, a connection error, ...) is retried after a
// topology refresh with backoff, up to Options::subscribe_timeout.
// Replicas are never used, whatever ClusterOptions::read_from says:
// SPUBLISH runs on the primary and a replica only sees it by replication.
//
// Following the cluster. Poll notices that a subscription must move when
//   - the server pushes `sunsubscribe` for a channel we did not unsubscribe
//     (it does so when the slot leaves the node: a finished migration, or
//     the node demoted to replica by a failover),
//   - a node's connection is lost and its PubSub cannot reconnect and
//     resubscribe there (a killed node; PubSub first retries per the
//     cluster's connection retry policy), or a resubscription is refused,
//   - a resubscription attempt's topology refresh shows that the slot's
//     primary is another node (checked only when something is pending).
// Should a demoted primary not push `sunsubscribe`, its subscribers keep
// receiving: the server propagates SPUBLISH to every node of the shard.
// Such channels become pending: Poll refreshes the topology and subscribes
// them at the slot's current primary, retrying with backoff
// (resubscribe_initial_backoff doubling up to resubscribe_max_backoff)
// until it works or they are unsubscribed. Subscriptions on other nodes
// are untouched. Each failed attempt is reported to Options::on_status
// with the channels still pending; there is no limit on attempts.
//
// Delivery is at most once. Messages published while a channel's
// subscription is moving (between the old node dropping it and the new
// node confirming it) are lost, as are messages published while a node is
// unreachable. After resubscriptions() grew and pending() no longer holds a
// channel, messages published to it are delivered.
//
// Handler contract. Options::handler receives every SMESSAGE of a
// subscribed channel (not confirmations), on the thread calling Poll /
// Run, inside that call; per node in arrival order (no order across
// nodes). It may not call this subscriber's methods other than the
// read-only accessors; it should return quickly (other nodes' messages
// wait meanwhile).
//
// Thread-safety: not thread-safe; use it from one thread at a time (the
// ClusterClient itself stays usable from any thread, e.g. to SPUBLISH).
// Run's `stop` flag may be set from any thread. The ClusterClient must
// outlive the subscriber.

#ifndef VALKEY_CLUSTER_SHARDED_SUBSCRIBER_H_
#define VALKEY_CLUSTER_SHARDED_SUBSCRIBER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/client/client.h"
#include "valkey/client/pubsub.h"
#include "valkey/cluster/cluster_client.h"
#include "valkey/cluster/shard_channel_groups.h"

namespace valkey {
namespace cluster {

class ShardedSubscriber {
 public:
  using Handler = std::function<void(const PubSub::Message&)>;
  // A resubscription attempt failed: `status` says why (the last node's
  // error), `pending` lists the channels still waiting. Runs inside Poll.
  using StatusCallback = std::function<void(
      const absl::Status& status, absl::Span<const std::string> pending)>;

  struct Options {
    // Receives the messages (see the handler contract). Required.
    Handler handler;
    // Failed resubscription attempts. Default: none (see pending()).
    StatusCallback on_status;
    // How long SSubscribe keeps retrying a group that was refused with a
    // retryable error (MOVED, CLUSTERDOWN, connection errors). Default 10 s.
    absl::Duration subscribe_timeout = absl::Seconds(10);
    // Delay before the first retry of a failed resubscription; doubles up to
    // resubscribe_max_backoff. Defaults 50 ms and 1 s.
    absl::Duration resubscribe_initial_backoff = absl::Milliseconds(50);
    absl::Duration resubscribe_max_backoff = absl::Seconds(1);
  };

  // Opens nothing yet. INVALID_ARGUMENT without a handler or with a
  // non-positive duration. `cluster` must outlive the subscriber.
  static absl::StatusOr<std::unique_ptr<ShardedSubscriber>> Create(
      ClusterClient& cluster, Options options);

  // Close()s.
  ~ShardedSubscriber();
  ShardedSubscriber(const ShardedSubscriber&) = delete;
  ShardedSubscriber& operator=(const ShardedSubscriber&) = delete;

  // Subscribes `channels` (any slots) and blocks until the server confirmed
  // each on its slot's primary (see "Subscribing"). Returns OK when all are
  // subscribed. Channels already confirmed are left alone (a channel
  // listed twice is subscribed once). Errors: INVALID_ARGUMENT for no channels;
  // FAILED_PRECONDITION after Close(); the first group's error that is not
  // retryable (NOPERM, ...) or, after subscribe_timeout, the last retryable
  // one. On error, the channels of this call that were not confirmed are
  // not subscribed (channels() tells); confirmed ones stay.
  absl::Status SSubscribe(absl::Span<const absl::string_view> channels);
  template <typename... Names>
    requires(std::is_convertible_v<const Names&, absl::string_view> && ...)
  absl::Status SSubscribe(const Names&... channels) {
    const std::array<absl::string_view, sizeof...(Names)> names = {
        absl::string_view(channels)...};
    return SSubscribe(absl::Span<const absl::string_view>(names));
  }

  // Unsubscribes `channels` (all with none), pending ones included, and
  // blocks until their nodes confirmed. A node left without channels has
  // its connection closed. Unknown names are ignored. No message of these
  // channels reaches the handler afterwards. Errors: FAILED_PRECONDITION
  // after Close(); a node's connection error (its remaining channels then
  // become pending and are resubscribed by Poll; the named ones are
  // forgotten anyway).
  absl::Status SUnsubscribe(absl::Span<const absl::string_view> channels);
  template <typename... Names>
    requires(std::is_convertible_v<const Names&, absl::string_view> && ...)
  absl::Status SUnsubscribe(const Names&... channels) {
    const std::array<absl::string_view, sizeof...(Names)> names = {
        absl::string_view(channels)...};
    return SUnsubscribe(absl::Span<const absl::string_view>(names));
  }

  // Reads every node's connection for up to `timeout`, hands messages to
  // the handler and moves subscriptions as described above. Returns OK
  // when the time is up (also with nothing subscribed: it just waits).
  // Node failures are not returned: they make channels pending.
  // Errors: FAILED_PRECONDITION after Close().
  absl::Status Poll(absl::Duration timeout);
  // Poll until `until` or until `*stop` is true (checked every 100 ms or
  // less; `stop` may be null).
  absl::Status Run(absl::Time until, const std::atomic<bool>* stop = nullptr);

  // Closes every node connection and forgets every channel. Idempotent.
  void Close();

  // Subscribed channels, confirmed or pending, sorted.
  std::vector<std::string> channels() const;
  // Channels waiting for (re)subscription, sorted.
  std::vector<std::string> pending() const;
  // "host:port" of each node a channel is confirmed on, by channel.
  const absl::flat_hash_map<std::string, std::string>& placement() const {
    return placed_;
  }
  // Node connections open now.
  int nodes() const { return static_cast<int>(nodes_.size()); }
  // Channels resubscribed at a new owner after a move, in total.
  int64_t resubscriptions() const { return resubscriptions_; }
  bool closed() const { return closed_; }

 private:
  struct Node {
    std::unique_ptr<Client> client;   // On the node's pool in the cluster.
    std::unique_ptr<PubSub> pubsub;   // Destroyed before `client`.
    absl::flat_hash_set<std::string> channels;
  };

  ShardedSubscriber(ClusterClient& cluster, Options options);

  // One SSUBSCRIBE per slot group of `channels` at the current map, every
  // group tried. Confirmed channels leave pending_ and enter placed_.
  // Returns the first non-retryable error, else the last retryable one,
  // else OK.
  absl::Status SubscribeOnce(const std::vector<std::string>& channels);
  absl::StatusOr<Node*> NodeFor(const NodeAddress& address,
                                absl::string_view any_channel);
  // Moves every channel of node `key` to pending_ and closes the node.
  void DropNode(const std::string& key);
  // Moves `channels` (placed on node `key`) to pending_: the node forgets
  // them (or, if it cannot, is dropped whole).
  void Unplace(const std::string& key, const std::vector<std::string>& moved);
  void Handle(const std::string& key, const PubSub::Message& message);
  // A resubscription attempt for everything pending (and whatever the
  // refreshed map says has moved).
  void Resubscribe();

  ClusterClient* cluster_;
  Options options_;
  bool closed_ = false;
  // Node "host:port" → its connection. Ordered, so Poll visits nodes in a
  // stable order.
  absl::btree_map<std::string, Node> nodes_;
  absl::flat_hash_map<std::string, std::string> placed_;  // Channel → node.
  absl::flat_hash_set<std::string> pending_;
  ResubscribeBackoff backoff_;
  absl::Time next_attempt_ = absl::InfinitePast();
  int64_t resubscriptions_ = 0;
};

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_SHARDED_SUBSCRIBER_H_
