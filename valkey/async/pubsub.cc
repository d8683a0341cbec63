#include "valkey/async/pubsub.h"

#include <atomic>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "valkey/commands/command_args.h"
#include "valkey/commands/pubsub_frame.h"
#include "valkey/commands/subscriptions.h"
#include "valkey/common/errors.h"
#include "valkey/common/resp_writer.h"

namespace valkey::async {

// What the loop's hooks and the callers share.
struct PubSub::Shared {
  // One (un)subscribe command awaiting its answer: one confirmation per
  // name, or a single error reply for the whole command (NOPERM, ERR, ...).
  struct Waiting {
    // What the command changed in `subscriptions`: an error reverts it, so
    // a refused name is never resubscribed.
    Subscriptions<std::monostate>::Change change;
    int remaining;                        // Confirmations still due.
    std::vector<Promise<void>> promises;  // Resolved when answered.
  };

  PubSubHandlers handlers;
  std::atomic<uint64_t> messages{0};

  // A command asked for while disconnected: sent, as its own command,
  // after the next resubscription.
  struct Deferred {
    SubscriptionFamily family;
    bool subscribe;
    std::vector<std::string> names;
    Promise<void> promise;
  };

  absl::Mutex mu;
  // What the server was asked to subscribe to (and did not refuse).
  Subscriptions<std::monostate> subscriptions ABSL_GUARDED_BY(mu);
  std::deque<Waiting> waiting ABSL_GUARDED_BY(mu);
  std::vector<Deferred> deferred ABSL_GUARDED_BY(mu);
  // Set once OnConnected() has resubscribed and sent the deferred commands;
  // cleared on loss. Commands are sent directly only while it is set: the
  // connection reports itself connected a moment before its on_connected
  // hook runs, and a command sent in that gap would be resubscribed again
  // together with refused names (one NOPERM for the lot) and answered out
  // of order.
  bool ready ABSL_GUARDED_BY(mu) = false;
  // Set by ~PubSub: hooks that run afterwards do nothing. (Not `connection
  // == nullptr`: the first connect may finish on the loop before Create()
  // has set `connection`, and must still mark the subscriber ready, or
  // every later Subscribe waits in `deferred` forever.)
  bool closing ABSL_GUARDED_BY(mu) = false;
  Connection* connection = nullptr;  // Set once, before traffic.

  // Updates the remembered names, sends the command and waits for its
  // answer.
  void SendLocked(SubscriptionFamily family, bool subscribe,
                  absl::Span<const std::string> list, Promise<void> promise)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    const std::vector<absl::string_view> views(list.begin(), list.end());
    SendChangeLocked(subscriptions.Apply(family, subscribe, views, {}), list,
                     std::move(promise));
  }

  // Sends the command of `change` naming `list`. `promise` may be empty (a
  // resubscription nobody awaits).
  void SendChangeLocked(Subscriptions<std::monostate>::Change change,
                        absl::Span<const std::string> list,
                        std::optional<Promise<void>> promise)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    CommandArgs args{SubscriptionCommand(change.family, change.subscribe)};
    for (const std::string& n : list) args.push_back(n);
    Waiting w{std::move(change), 0, {}};
    w.remaining = w.change.expected_confirmations;
    if (promise.has_value()) w.promises.push_back(*std::move(promise));
    waiting.push_back(std::move(w));
    connection->SendUnanswered(args.span());
  }

  // Frames are classified by the blocking PubSub's parser (one reading of
  // RESP2 arrays and RESP3 pushes for both). Error replies reach this hook
  // too: (un)subscribe commands are sent unanswered, so their error replies
  // arrive as unmatched replies.
  void OnMessage(const Reply& reply) {
    const pubsub_internal::Frame frame =
        pubsub_internal::ParseFrame(reply.view());
    if (frame.type == pubsub_internal::Frame::Type::kError) {
      return OnError(frame.error);
    }
    if (frame.type != pubsub_internal::Frame::Type::kMessage) return;
    const valkey::PubSubMessage& m = frame.message;
    switch (m.kind) {
      case valkey::PubSubKind::kMessage:
      case valkey::PubSubKind::kSMessage:
        messages.fetch_add(1, std::memory_order_relaxed);
        if (handlers.on_message) handlers.on_message(m.channel, m.payload);
        return;
      case valkey::PubSubKind::kPMessage:
        messages.fetch_add(1, std::memory_order_relaxed);
        if (handlers.on_pmessage) {
          handlers.on_pmessage(m.pattern, m.channel, m.payload);
        }
        return;
      default:  // A confirmation: one per name of a (un)subscribe command.
        break;
    }
    std::vector<Promise<void>> done;
    bool server_dropped = false;
    {
      absl::MutexLock lock(&mu);
      // Our own unsubscriptions took their names out when sent; a
      // `sunsubscribe` for a name still in it is the server's own doing.
      server_dropped = subscriptions.ForgetDroppedByServer(m);
    }
    if (server_dropped) {
      if (handlers.on_sunsubscribed) handlers.on_sunsubscribed(m.channel);
      return;
    }
    {
      absl::MutexLock lock(&mu);
      // A confirmation of another kind than the oldest command expects is
      // not an answer to it (e.g. the extras of an unsubscribe-all, or an
      // unsubscription the server made on its own).
      if (waiting.empty()) return;
      Waiting& front = waiting.front();
      if (m.kind != ConfirmationKind(front.change.family,
                                     front.change.subscribe)) {
        return;
      }
      if (--front.remaining == 0) {
        done = std::move(front.promises);
        waiting.pop_front();
      }
    }
    for (Promise<void>& p : done) p.Set(absl::OkStatus());
  }

  // One error reply answers the oldest command as a whole: nothing of it
  // took effect.
  void OnError(const absl::Status& error) {
    std::vector<Promise<void>> failed;
    absl::Status annotated = error;
    {
      absl::MutexLock lock(&mu);
      if (waiting.empty()) return;
      Waiting& front = waiting.front();
      annotated = Annotate(
          error, absl::StrCat(SubscriptionCommand(front.change.family,
                                                  front.change.subscribe),
                              " on ", connection != nullptr
                                          ? connection->address()
                                          : std::string("a closed connection")));
      failed = std::move(front.promises);
      subscriptions.Revert(std::move(front.change));
      waiting.pop_front();
    }
    for (Promise<void>& p : failed) p.Set(annotated);
  }

  // After every (re)connect: subscribe again to everything remembered (a
  // name refused now, after an ACL change, is forgotten like a refused new
  // one), then send what was asked for while disconnected, in order.
  void OnConnected() {
    absl::MutexLock lock(&mu);
    if (closing) return;
    // Before Create() set `connection` nothing was asked for yet: both
    // loops below are empty then, and only `ready` matters.
    for (int f = 0; f < kSubscriptionFamilies; ++f) {
      const auto family = static_cast<SubscriptionFamily>(f);
      if (subscriptions.size(family) == 0) continue;
      const std::vector<std::string> list = subscriptions.Names(family);
      SendChangeLocked(subscriptions.Resubscription(family), list,
                       std::nullopt);
    }
    std::vector<Deferred> asked = std::move(deferred);
    deferred.clear();
    for (Deferred& d : asked) {
      SendLocked(d.family, d.subscribe, d.names, std::move(d.promise));
    }
    ready = true;
  }

  void OnDisconnected(const absl::Status& error) {
    std::deque<Waiting> failed;
    {
      absl::MutexLock lock(&mu);
      ready = false;
      failed.swap(waiting);
    }
    for (Waiting& w : failed) {
      for (Promise<void>& p : w.promises) p.Set(error);
    }
    if (handlers.on_disconnected) handlers.on_disconnected(error);
  }
};

absl::StatusOr<std::unique_ptr<PubSub>> PubSub::Create(
    EventLoop& loop, const ConnectionOptions& options,
    PubSubHandlers handlers) {
  auto shared = std::make_shared<Shared>();
  shared->handlers = std::move(handlers);
  AsyncOptions async;
  async.keep_unwritten_on_loss = false;
  async.push_unmatched_replies = true;  // RESP2 messages are plain arrays.
  async.on_push = [shared](Reply reply) { shared->OnMessage(reply); };
  async.on_connected = [shared] { shared->OnConnected(); };
  async.on_disconnected = [shared](const absl::Status& s) {
    shared->OnDisconnected(s);
  };
  absl::StatusOr<Connection> connection =
      Connection::Create(loop, options, std::move(async));
  if (!connection.ok()) return connection.status();
  auto owned = std::make_unique<Connection>(*std::move(connection));
  // The hooks read `connection` only on the loop after the handshake; set
  // it under the mutex they take.
  {
    absl::MutexLock lock(&shared->mu);
    shared->connection = owned.get();
  }
  return std::unique_ptr<PubSub>(new PubSub(shared, std::move(owned)));
}

PubSub::PubSub(std::shared_ptr<Shared> shared,
               std::unique_ptr<Connection> connection)
    : shared_(std::move(shared)), connection_(std::move(connection)) {}

PubSub::~PubSub() {
  {
    absl::MutexLock lock(&shared_->mu);
    shared_->closing = true;
    shared_->connection = nullptr;
  }
  connection_->Close();
}

Future<void> PubSub::Change(SubscriptionFamily family, bool subscribe,
                            absl::Span<const std::string> names) {
  const absl::string_view command = SubscriptionCommand(family, subscribe);
  if (names.empty()) {
    return Future<void>::Resolved(InvalidArgumentError(
        absl::StrCat(command, ": needs at least one name")));
  }
  Promise<void> promise(&connection_->loop());
  Future<void> future = promise.GetFuture();
  absl::MutexLock lock(&shared_->mu);
  if (!shared_->ready) {
    // Sent as its own command once connected (and resubscribed).
    shared_->deferred.push_back(Shared::Deferred{
        family, subscribe,
        std::vector<std::string>(names.begin(), names.end()),
        std::move(promise)});
    return future;
  }
  shared_->SendLocked(family, subscribe, names, std::move(promise));
  return future;
}

Future<void> PubSub::Subscribe(absl::Span<const std::string> channels) {
  return Change(SubscriptionFamily::kChannel, /*subscribe=*/true, channels);
}
Future<void> PubSub::PSubscribe(absl::Span<const std::string> patterns) {
  return Change(SubscriptionFamily::kPattern, /*subscribe=*/true, patterns);
}
Future<void> PubSub::SSubscribe(absl::Span<const std::string> channels) {
  return Change(SubscriptionFamily::kShard, /*subscribe=*/true, channels);
}
Future<void> PubSub::Unsubscribe(absl::Span<const std::string> channels) {
  return Change(SubscriptionFamily::kChannel, /*subscribe=*/false, channels);
}
Future<void> PubSub::PUnsubscribe(absl::Span<const std::string> patterns) {
  return Change(SubscriptionFamily::kPattern, /*subscribe=*/false, patterns);
}
Future<void> PubSub::SUnsubscribe(absl::Span<const std::string> channels) {
  return Change(SubscriptionFamily::kShard, /*subscribe=*/false, channels);
}

uint64_t PubSub::messages() const {
  return shared_->messages.load(std::memory_order_relaxed);
}

}  // namespace valkey::async
