#include "valkey/async/pubsub.h"

#include <atomic>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "valkey/client/command_args.h"
#include "valkey/client/pubsub.h"
#include "valkey/common/errors.h"
#include "valkey/common/resp_writer.h"

namespace valkey::async {

// What the loop's hooks and the callers share.
struct PubSub::Shared {
  // One SUBSCRIBE-like command awaiting its confirmations (one per name).
  struct Waiting {
    size_t remaining;
    std::vector<Promise<void>> promises;  // Resolved when remaining == 0.
  };

  PubSubHandlers handlers;
  std::atomic<uint64_t> messages{0};

  absl::Mutex mu;
  absl::btree_set<std::string> channels ABSL_GUARDED_BY(mu);
  absl::btree_set<std::string> patterns ABSL_GUARDED_BY(mu);
  std::deque<Waiting> waiting ABSL_GUARDED_BY(mu);
  // Asked for while disconnected: resolved by the next resubscription.
  std::vector<Promise<void>> after_connect ABSL_GUARDED_BY(mu);
  Connection* connection = nullptr;  // Set once, before traffic.

  // Frames are classified by the blocking PubSub's parser (one reading of
  // RESP2 arrays and RESP3 pushes for both).
  void OnMessage(const Reply& reply) {
    const pubsub_internal::Frame frame =
        pubsub_internal::ParseFrame(reply.view());
    if (frame.type != pubsub_internal::Frame::Type::kMessage) return;
    const valkey::PubSub::Message& m = frame.message;
    switch (m.kind) {
      case valkey::PubSub::Kind::kMessage:
      case valkey::PubSub::Kind::kSMessage:
        messages.fetch_add(1, std::memory_order_relaxed);
        if (handlers.on_message) handlers.on_message(m.channel, m.payload);
        return;
      case valkey::PubSub::Kind::kPMessage:
        messages.fetch_add(1, std::memory_order_relaxed);
        if (handlers.on_pmessage) {
          handlers.on_pmessage(m.pattern, m.channel, m.payload);
        }
        return;
      default:  // A confirmation: one per name of a (un)subscribe command.
        break;
    }
    std::vector<Promise<void>> done;
    {
      absl::MutexLock lock(&mu);
      if (waiting.empty()) return;  // E.g. an unsubscribe-all's extras.
      if (--waiting.front().remaining == 0) {
        done = std::move(waiting.front().promises);
        waiting.pop_front();
      }
    }
    for (Promise<void>& p : done) p.Set(absl::OkStatus());
  }

  // After every (re)connect: subscribe again to everything remembered.
  void OnConnected() {
    absl::MutexLock lock(&mu);
    if (connection == nullptr) return;  // Closing.
    std::vector<Promise<void>> promises = std::move(after_connect);
    after_connect.clear();
    size_t confirmations = 0;
    if (!channels.empty()) {
      CommandArgs args{"SUBSCRIBE"};
      for (const std::string& c : channels) args.push_back(c);
      connection->SendUnanswered(args.span());
      confirmations += channels.size();
    }
    if (!patterns.empty()) {
      CommandArgs args{"PSUBSCRIBE"};
      for (const std::string& p : patterns) args.push_back(p);
      connection->SendUnanswered(args.span());
      confirmations += patterns.size();
    }
    if (confirmations == 0) {
      for (Promise<void>& p : promises) p.Set(absl::OkStatus());
      return;
    }
    waiting.push_back(Waiting{confirmations, std::move(promises)});
  }

  void OnDisconnected(const absl::Status& error) {
    std::deque<Waiting> failed;
    {
      absl::MutexLock lock(&mu);
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
    shared_->connection = nullptr;
  }
  connection_->Close();
}

Future<void> PubSub::Change(absl::string_view command,
                            absl::Span<const std::string> names) {
  if (names.empty()) {
    return Future<void>::Resolved(InvalidArgumentError(
        absl::StrCat(command, ": needs at least one name")));
  }
  Promise<void> promise(&connection_->loop());
  Future<void> future = promise.GetFuture();
  const bool subscribe = command == "SUBSCRIBE" || command == "PSUBSCRIBE";
  const bool pattern = command[0] == 'P';
  absl::MutexLock lock(&shared_->mu);
  absl::btree_set<std::string>& set =
      pattern ? shared_->patterns : shared_->channels;
  for (const std::string& n : names) {
    if (subscribe) {
      set.insert(n);
    } else {
      set.erase(n);
    }
  }
  if (!connection_->connected()) {
    // The next connect resubscribes to the set as it is now.
    shared_->after_connect.push_back(std::move(promise));
    return future;
  }
  CommandArgs args{command};
  for (const std::string& n : names) args.push_back(n);
  std::vector<Promise<void>> promises;
  promises.push_back(std::move(promise));
  shared_->waiting.push_back(
      Shared::Waiting{names.size(), std::move(promises)});
  connection_->SendUnanswered(args.span());
  return future;
}

Future<void> PubSub::Subscribe(absl::Span<const std::string> channels) {
  return Change("SUBSCRIBE", channels);
}
Future<void> PubSub::PSubscribe(absl::Span<const std::string> patterns) {
  return Change("PSUBSCRIBE", patterns);
}
Future<void> PubSub::Unsubscribe(absl::Span<const std::string> channels) {
  return Change("UNSUBSCRIBE", channels);
}
Future<void> PubSub::PUnsubscribe(absl::Span<const std::string> patterns) {
  return Change("PUNSUBSCRIBE", patterns);
}

uint64_t PubSub::messages() const {
  return shared_->messages.load(std::memory_order_relaxed);
}

}  // namespace valkey::async
