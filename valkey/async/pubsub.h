// async::PubSub: a subscriber on a connection of its own. Messages are
// delivered to callbacks on the loop's thread as they arrive, while the
// client's other commands carry on over the shared connection.
//
//   PubSubHandlers h;
//   h.on_message = [](std::string_view channel, std::string_view payload) {
//     ...
//   };
//   auto sub = *client.Subscribe(std::move(h));
//   absl::Status ok = sub->Subscribe({"news"}).Get();   // confirmed
//
// Subscribe / PSubscribe / SSubscribe and their Unsubscribe forms resolve
// once the server has confirmed every channel or pattern named, or with the
// error the server answered the command with (then nothing of it took
// effect, and none of its names is resubscribed later). The subscriber
// remembers its channels, patterns and shard channels and subscribes again
// after a reconnect (messages published while it was disconnected are lost:
// pub/sub is at-most-once).
// A `sunsubscribe` the server sends for a shard channel still subscribed
// (not one this subscriber unsubscribed) is reported through
// on_sunsubscribed and the channel forgotten.
// Futures pending when the connection drops fail with UNAVAILABLE.
// Works over RESP3 (push messages) and RESP2 (message arrays).
//
// Thread-safety: thread-safe. Callbacks run on the loop's thread; they must
// not block. Destroying the subscriber closes its connection.

#ifndef VALKEY_ASYNC_PUBSUB_H_
#define VALKEY_ASYNC_PUBSUB_H_

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "valkey/async/connection.h"
#include "valkey/async/future.h"
#include "valkey/commands/subscriptions.h"
#include "valkey/common/options.h"

namespace valkey::async {

struct PubSubHandlers {
  // A message on a subscribed channel (also sharded SMESSAGE).
  std::function<void(absl::string_view channel, absl::string_view payload)>
      on_message;
  // A message matched by a subscribed pattern.
  std::function<void(absl::string_view pattern, absl::string_view channel,
                     absl::string_view payload)>
      on_pmessage;
  // The connection dropped (it reconnects and resubscribes by itself).
  std::function<void(const absl::Status&)> on_disconnected;
  // The server dropped a shard channel on its own (a `sunsubscribe` push
  // this subscriber did not ask for: in a cluster, the channel's slot left
  // the node — a finished migration, or the node demoted by a failover).
  // The channel is forgotten (not resubscribed on reconnect); subscribing
  // it again, where it now lives, is the caller's business.
  std::function<void(absl::string_view channel)> on_sunsubscribed;
};

class PubSub {
 public:
  static absl::StatusOr<std::unique_ptr<PubSub>> Create(
      EventLoop& loop, const ConnectionOptions& options,
      PubSubHandlers handlers);
  ~PubSub();

  // Each resolves once the server has confirmed every name, or with the
  // server's error reply for the command (PERMISSION_DENIED for an ACL that
  // refuses a channel, ...), in which case none of its names is subscribed
  // or remembered.
  Future<void> Subscribe(absl::Span<const std::string> channels);
  Future<void> PSubscribe(absl::Span<const std::string> patterns);
  // Shard channels (SSUBSCRIBE; messages sent with SPUBLISH arrive through
  // on_message).
  Future<void> SSubscribe(absl::Span<const std::string> channels);
  Future<void> Unsubscribe(absl::Span<const std::string> channels);
  Future<void> PUnsubscribe(absl::Span<const std::string> patterns);
  Future<void> SUnsubscribe(absl::Span<const std::string> channels);

  // Messages delivered so far (for monitoring and tests).
  uint64_t messages() const;
  const Connection& connection() const { return *connection_; }

 private:
  struct Shared;
  PubSub(std::shared_ptr<Shared> shared, std::unique_ptr<Connection> conn);
  Future<void> Change(SubscriptionFamily family, bool subscribe,
                      absl::Span<const std::string> names);

  std::shared_ptr<Shared> shared_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace valkey::async

#endif  // VALKEY_ASYNC_PUBSUB_H_
