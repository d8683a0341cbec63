// PubSub: a subscription to channels, patterns and shard channels on one
// exclusive connection taken from a Client's pool, read with GetMessage (or
// dispatched to handlers by Run), and kept alive across reconnects.
//
//   absl::StatusOr<std::unique_ptr<valkey::PubSub>> ps =
//       valkey::PubSub::Create(*client);
//   if (!ps.ok()) return ps.status();
//   absl::Status s = (*ps)->Subscribe("news", "sport");
//   s.Update((*ps)->PSubscribe({"alerts.*"}, [](const valkey::PubSub::Message& m) {
//     Log(m.channel, m.payload);  // handled here, never returned
//   }));
//   for (;;) {
//     absl::StatusOr<std::optional<valkey::PubSub::Message>> m =
//         (*ps)->GetMessage(absl::Seconds(1));
//     if (!m.ok()) return m.status();     // reconnect failed
//     if (!m->has_value()) continue;      // nothing within 1 s
//     if ((*m)->kind == valkey::PubSub::Kind::kMessage) Use((*m)->payload);
//   }
//
// Subscribing. Subscribe / PSubscribe / SSubscribe send the command and
// wait (up to the connection's socket time-out) until the server confirmed
// every name; their confirmations, and any message that arrived meanwhile,
// are queued for GetMessage. A server error reply (say SSUBSCRIBE on a
// server that lacks it) is returned by the call itself and leaves the
// subscription set as it was. The unsubscribe calls work the same way;
// called with no names they drop every name of their kind.
// A `sunsubscribe` the server sends on its own for a shard channel still
// subscribed (in a cluster: the channel's slot left the node) is queued
// like any confirmation and the channel forgotten: it is not resubscribed
// on reconnect (the async PubSub does the same; both keep their names in
// valkey/commands/subscriptions.h).
//
// Messages. RESP2 delivers messages as arrays, RESP3 as push frames; both
// become a Message. A handler registered for a channel (pattern, shard
// channel) receives its messages inside GetMessage / Run, which then do not
// return them. Subscribe confirmations are returned like messages unless
// Options::ignore_subscribe_messages is set. Pub/sub delivery is at most
// once: messages published while the connection is down are lost.
//
// Health checks. When the client's connections have a health_check_interval
// and the subscription has been silent that long, GetMessage sends PING.
// The answer — ["pong", ""] in RESP2 subscribed mode, +PONG in RESP3 or once
// nothing is subscribed — is consumed and never returned. A dead peer then
// shows up as a read error, which triggers the reconnect below.
//
// Reconnect contract. When a read or write on the connection fails (EOF,
// reset, a reply time-out inside a frame, a protocol error; for example
// after CLIENT KILL), the connection is discarded and, in the same call, a
// new one is acquired from the client's pool and SUBSCRIBE / PSUBSCRIBE /
// SSUBSCRIBE are re-sent for every remembered name (handlers are kept). This
// follows the client's retry policy (Client::retry(): one attempt unless
// retries are configured; backoff sleeps in between). Then:
//   - GetMessage carries on waiting for the rest of its time-out; the
//     resubscription's confirmations are queued like any others. The
//     failure itself is never returned.
//   - If reconnecting fails, GetMessage returns that error — UNAVAILABLE
//     (kConnection) for a refused or reset connection, DEADLINE_EXCEEDED for
//     a time-out, RESOURCE_EXHAUSTED for an exhausted non-blocking pool, a
//     server error if a resubscription was refused — and the PubSub stays
//     usable: the next GetMessage (or subscribe call) tries again.
//   - A subscribe / unsubscribe call whose connection fails applies its
//     change to the remembered set, reconnects as above and returns OK, or
//     the reconnect error (the change is still remembered and is applied by
//     the next successful reconnect).
// reconnects() counts the successful reconnects.
//
// Connection ownership. The connection is never returned to the pool: a
// subscribed connection would be useless to other callers, so Close() (and
// the destructor) discard it. The Client must outlive the PubSub.
//
// Thread-safety: not thread-safe; use one PubSub from one thread at a time
// (handlers run on that thread, inside GetMessage / Run). Run's `stop` flag
// may be set from any thread.

#ifndef VALKEY_CLIENT_PUBSUB_H_
#define VALKEY_CLIENT_PUBSUB_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/client/client.h"
#include "valkey/commands/pubsub_frame.h"
#include "valkey/commands/subscriptions.h"
#include "valkey/common/reply.h"
#include "valkey/connection/connection_pool.h"

namespace valkey {

class PubSub {
 public:
  // What a Message is, and the message itself: see pubsub_frame.h (shared
  // with the async PubSub).
  using Kind = PubSubKind;
  using Message = PubSubMessage;
  // The server's name for a kind: "message", "pmessage", "psubscribe", ...
  static absl::string_view KindName(Kind kind) { return PubSubKindName(kind); }

  // Receives the messages of one channel, pattern or shard channel. Runs on
  // the thread calling GetMessage / Run; may not call this PubSub's methods
  // other than the read-only accessors.
  using Handler = std::function<void(const Message&)>;

  struct Options {
    // Drop subscribe / unsubscribe confirmations (including those of a
    // resubscription after reconnect) instead of returning them.
    // Default: false.
    bool ignore_subscribe_messages = false;
  };

  // Takes one connection from `client`'s pool for the subscription. Sends
  // nothing yet.
  // Errors: those of Client::AcquireConnection (UNAVAILABLE for a closed
  // client or a refused connection, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED,
  // FAILED_PRECONDITION for a single-connection client).
  // `client` must outlive the PubSub.
  static absl::StatusOr<std::unique_ptr<PubSub>> Create(Client& client,
                                                        Options options);
  static absl::StatusOr<std::unique_ptr<PubSub>> Create(Client& client);

  // Close()s.
  ~PubSub();
  PubSub(const PubSub&) = delete;
  PubSub& operator=(const PubSub&) = delete;

  // Subscribing. Each call blocks until the server confirmed every name (up
  // to the socket time-out per reply), queuing the confirmations and any
  // message read meanwhile for GetMessage. `handler`, when set, receives
  // the messages of these names from then on instead of GetMessage; a later
  // subscribe of the same name replaces (or, with no handler, removes) it.
  // Errors: INVALID_ARGUMENT for no names; FAILED_PRECONDITION (kPubSub)
  // after Close(); the server's error reply (nothing changes); a reconnect
  // error (see the reconnect contract above).
  absl::Status Subscribe(absl::Span<const absl::string_view> channels,
                         Handler handler = nullptr);
  absl::Status PSubscribe(absl::Span<const absl::string_view> patterns,
                          Handler handler = nullptr);
  // Sharded pub/sub (SSUBSCRIBE, Valkey 7+); works on a standalone server
  // too. In a cluster all names must hash to one slot.
  absl::Status SSubscribe(absl::Span<const absl::string_view> channels,
                          Handler handler = nullptr);

  // Variadic forms without handler: Subscribe("a", "b", name_string).
  template <typename... Names>
    requires(std::is_convertible_v<const Names&, absl::string_view> && ...)
  absl::Status Subscribe(const Names&... channels) {
    return Subscribe(Views(channels...), nullptr);
  }
  template <typename... Names>
    requires(std::is_convertible_v<const Names&, absl::string_view> && ...)
  absl::Status PSubscribe(const Names&... patterns) {
    return PSubscribe(Views(patterns...), nullptr);
  }
  template <typename... Names>
    requires(std::is_convertible_v<const Names&, absl::string_view> && ...)
  absl::Status SSubscribe(const Names&... channels) {
    return SSubscribe(Views(channels...), nullptr);
  }

  // Unsubscribing: the given names, or with none every name of the kind.
  // Blocks until confirmed, like Subscribe; their handlers are dropped.
  // Unsubscribing a name not subscribed is not an error (the server
  // confirms it anyway, with a null name for an unsubscribe-all of a kind
  // with no names); with nothing subscribed at all these return OK at once
  // and send nothing (Valkey 8 would answer NOSUB). Errors as Subscribe,
  // except INVALID_ARGUMENT.
  absl::Status Unsubscribe(absl::Span<const absl::string_view> channels);
  absl::Status PUnsubscribe(absl::Span<const absl::string_view> patterns);
  absl::Status SUnsubscribe(absl::Span<const absl::string_view> channels);
  template <typename... Names>
    requires(std::is_convertible_v<const Names&, absl::string_view> && ...)
  absl::Status Unsubscribe(const Names&... channels) {
    return Unsubscribe(Views(channels...));
  }
  template <typename... Names>
    requires(std::is_convertible_v<const Names&, absl::string_view> && ...)
  absl::Status PUnsubscribe(const Names&... patterns) {
    return PUnsubscribe(Views(patterns...));
  }
  template <typename... Names>
    requires(std::is_convertible_v<const Names&, absl::string_view> && ...)
  absl::Status SUnsubscribe(const Names&... channels) {
    return SUnsubscribe(Views(channels...));
  }

  // Returns the next message that no handler took (and that is not an
  // ignored confirmation), waiting up to `timeout` (zero: only what has
  // already arrived; absl::InfiniteDuration(): no limit). std::nullopt when
  // the time-out expired first — also when handlers consumed messages
  // meanwhile, so a stream of handled messages cannot hold the caller
  // longer than `timeout` (plus the handlers' own time). Sends health-check
  // PINGs and reconnects as described above. Waiting with nothing
  // subscribed simply times out.
  // Errors: FAILED_PRECONDITION (kPubSub) after Close(); a reconnect error;
  // a server error reply that no command of ours was waiting for.
  absl::StatusOr<std::optional<Message>> GetMessage(absl::Duration timeout);

  // Calls GetMessage until `until` passes or `*stop` becomes true (checked
  // at least every 100 ms; `stop` may be null), handing each message no
  // handler took to `fallback` (dropped when `fallback` is null). Returns OK
  // when time is up or stopped, else GetMessage's first error.
  absl::Status Run(absl::Time until, const std::atomic<bool>* stop = nullptr,
                   Handler fallback = nullptr);

  // Discards the connection (never returned to the pool in subscribed
  // state) and forgets every subscription and queued message. Later calls
  // fail with FAILED_PRECONDITION. Idempotent; never blocks on the network.
  void Close();

  // Subscribed names (sorted), as remembered for resubscription.
  std::vector<std::string> channels() const;
  std::vector<std::string> patterns() const;
  std::vector<std::string> shard_channels() const;
  // True while any channel, pattern or shard channel is subscribed.
  bool subscribed() const { return !subscriptions_.empty(); }
  bool closed() const { return closed_; }
  // Successful reconnects (each followed by a resubscription) so far.
  int64_t reconnects() const { return reconnects_; }
  // The current connection (null after Close() or a failed reconnect); for
  // diagnostics. Do not send commands on it.
  Connection* connection() const { return conn_.get(); }

 private:
  PubSub(Client& client, Options options, PooledConnection conn);

  template <typename... Names>
  static std::array<absl::string_view, sizeof...(Names)> Views(
      const Names&... names) {
    return {absl::string_view(names)...};
  }

  absl::Status Change(SubscriptionFamily family, bool subscribe,
                      absl::Span<const absl::string_view> names,
                      Handler handler);
  // Reads until `expected` confirmations of `kind` arrived, queuing them
  // and everything else. Errors: the server's error reply (the connection
  // stays usable), or a connection failure (the connection is broken).
  absl::Status AwaitConfirmations(Kind kind, int expected);
  absl::Status AwaitConfirmations(
      std::array<int, kSubscriptionFamilies> expected);
  // Discards the connection, acquires a new one and resubscribes.
  absl::Status Reconnect();
  absl::Status ReconnectOnce();
  void DropConnection();
  absl::Status MaybeSendHealthCheck();
  absl::Time ReplyDeadline() const;
  // Handles one frame read from the connection: queues a message, consumes
  // a pong. A server error reply is returned as its status.
  absl::Status Absorb(const Reply& reply);
  // Keeps a message read for GetMessage.
  void Queue(Message message);
  // Runs the handler of `message` or applies the ignore option. True if
  // the message is to be returned to the caller.
  bool Deliver(const Message& message);

  Client* client_;
  Options options_;
  PooledConnection conn_;  // Empty after Close() or a failed reconnect.
  bool closed_ = false;
  int64_t reconnects_ = 0;
  // Each name with its handler (null: returned by GetMessage).
  Subscriptions<Handler> subscriptions_;
  std::deque<Message> queue_;  // Read, not yet delivered.
};

}  // namespace valkey

#endif  // VALKEY_CLIENT_PUBSUB_H_
