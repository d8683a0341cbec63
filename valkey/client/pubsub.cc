#include "valkey/client/pubsub.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "valkey/common/errors.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace {

absl::Status ClosedError() { return PubSubError("PubSub is closed"); }

}  // namespace

absl::StatusOr<std::unique_ptr<PubSub>> PubSub::Create(Client& client,
                                                       Options options) {
  absl::StatusOr<PooledConnection> conn = client.AcquireConnection();
  if (!conn.ok()) return conn.status();
  return std::unique_ptr<PubSub>(
      new PubSub(client, std::move(options), *std::move(conn)));
}

absl::StatusOr<std::unique_ptr<PubSub>> PubSub::Create(Client& client) {
  return Create(client, Options());
}

PubSub::PubSub(Client& client, Options options, PooledConnection conn)
    : client_(&client), options_(std::move(options)), conn_(std::move(conn)) {}

PubSub::~PubSub() { Close(); }

void PubSub::Close() {
  closed_ = true;
  DropConnection();
  subscriptions_.Clear();
  queue_.clear();
}

void PubSub::DropConnection() {
  // Never back to the pool: it may still be subscribed.
  if (conn_) conn_.Discard();
}

std::vector<std::string> PubSub::channels() const {
  return subscriptions_.Names(SubscriptionFamily::kChannel);
}
std::vector<std::string> PubSub::patterns() const {
  return subscriptions_.Names(SubscriptionFamily::kPattern);
}
std::vector<std::string> PubSub::shard_channels() const {
  return subscriptions_.Names(SubscriptionFamily::kShard);
}

absl::Time PubSub::ReplyDeadline() const {
  const absl::Duration t = client_->pool().connector().options().socket_timeout;
  return t == absl::InfiniteDuration() ? absl::InfiniteFuture()
                                       : absl::Now() + t;
}

absl::Status PubSub::Subscribe(absl::Span<const absl::string_view> channels,
                               Handler handler) {
  return Change(SubscriptionFamily::kChannel, true, channels, std::move(handler));
}
absl::Status PubSub::PSubscribe(absl::Span<const absl::string_view> patterns,
                                Handler handler) {
  return Change(SubscriptionFamily::kPattern, true, patterns, std::move(handler));
}
absl::Status PubSub::SSubscribe(absl::Span<const absl::string_view> channels,
                                Handler handler) {
  return Change(SubscriptionFamily::kShard, true, channels, std::move(handler));
}
absl::Status PubSub::Unsubscribe(absl::Span<const absl::string_view> channels) {
  return Change(SubscriptionFamily::kChannel, false, channels, nullptr);
}
absl::Status PubSub::PUnsubscribe(
    absl::Span<const absl::string_view> patterns) {
  return Change(SubscriptionFamily::kPattern, false, patterns, nullptr);
}
absl::Status PubSub::SUnsubscribe(
    absl::Span<const absl::string_view> channels) {
  return Change(SubscriptionFamily::kShard, false, channels, nullptr);
}

absl::Status PubSub::Change(SubscriptionFamily family, bool subscribe,
                            absl::Span<const absl::string_view> names,
                            Handler handler) {
  if (closed_) return ClosedError();
  const absl::string_view command = SubscriptionCommand(family, subscribe);
  if (subscribe && names.empty()) {
    return InvalidArgumentError(
        absl::StrCat(command, " needs at least one name"));
  }
  // Valkey 8 refuses unsubscribing outside subscribed mode (NOSUB), older
  // servers confirm it with a null name: either way there is nothing to do.
  if (!subscribe && !subscribed()) return absl::OkStatus();

  // Remember the change first: if the connection fails, the reconnect
  // applies it.
  Subscriptions<Handler>::Change change =
      subscriptions_.Apply(family, subscribe, names, handler);

  if (!conn_) return Reconnect();  // A previous reconnect failed.
  absl::Status status = conn_->SendEncoded([&](std::string& out) {
    std::vector<absl::string_view> argv;
    argv.reserve(names.size() + 1);
    argv.push_back(command);
    argv.insert(argv.end(), names.begin(), names.end());
    AppendCommandArgv(out, argv);
  });
  if (status.ok()) {
    status = AwaitConfirmations(ConfirmationKind(family, subscribe),
                                change.expected_confirmations);
  }
  if (status.ok()) return status;
  if (conn_ && !conn_->broken()) {
    // The server refused the command: nothing changed on its side.
    subscriptions_.Revert(std::move(change));
    return status;
  }
  return Reconnect();
}

absl::Status PubSub::AwaitConfirmations(Kind kind, int expected) {
  int seen = 0;
  while (seen < expected) {
    absl::StatusOr<Reply> reply = conn_->ReadAny(ReplyDeadline());
    if (!reply.ok()) return reply.status();
    pubsub_internal::Frame frame = pubsub_internal::ParseFrame(reply->view());
    if (frame.type == pubsub_internal::Frame::Type::kError) {
      // One error reply answers the whole command.
      return Annotate(frame.error,
                      absl::StrCat(KindName(kind), " on ", conn_->address()));
    }
    if (frame.type != pubsub_internal::Frame::Type::kMessage) continue;
    if (frame.message.kind == kind) ++seen;
    Queue(std::move(frame.message));
  }
  return absl::OkStatus();
}

absl::Status PubSub::AwaitConfirmations(
    std::array<int, kSubscriptionFamilies> left) {
  while (left[0] + left[1] + left[2] > 0) {
    absl::StatusOr<Reply> reply = conn_->ReadAny(ReplyDeadline());
    if (!reply.ok()) return reply.status();
    pubsub_internal::Frame frame = pubsub_internal::ParseFrame(reply->view());
    if (frame.type == pubsub_internal::Frame::Type::kError) {
      return Annotate(frame.error,
                      absl::StrCat("resubscribing on ", conn_->address()));
    }
    if (frame.type != pubsub_internal::Frame::Type::kMessage) continue;
    if (const auto of = ConfirmationOf(frame.message.kind);
        of.has_value() && of->second) {
      int& f = left[static_cast<int>(of->first)];
      if (f > 0) --f;
    }
    Queue(std::move(frame.message));
  }
  return absl::OkStatus();
}

absl::Status PubSub::ReconnectOnce() {
  DropConnection();
  absl::StatusOr<PooledConnection> conn = client_->AcquireConnection();
  if (!conn.ok()) return conn.status();
  conn_ = *std::move(conn);
  if (!subscribed()) return absl::OkStatus();
  std::array<int, kSubscriptionFamilies> expected{};
  absl::Status status = conn_->SendEncoded([&](std::string& out) {
    expected = subscriptions_.AppendResubscribe(out);
  });
  if (status.ok()) status = AwaitConfirmations(expected);
  // Whatever failed, the connection is out of step: never reuse it.
  if (!status.ok()) DropConnection();
  return status;
}

absl::Status PubSub::Reconnect() {
  absl::Status status =
      client_->retry().Call([this] { return ReconnectOnce(); });
  if (status.ok()) ++reconnects_;
  return status;
}

absl::Status PubSub::MaybeSendHealthCheck() {
  const absl::Duration interval =
      client_->pool().connector().options().health_check_interval;
  if (interval <= absl::ZeroDuration() ||
      absl::Now() - conn_->last_used() < interval) {
    return absl::OkStatus();
  }
  // The answer is consumed by Absorb whenever it comes; sending refreshes
  // last_used(), so at most one PING goes out per silent interval.
  return conn_->SendCommand("PING");
}

absl::Status PubSub::Absorb(const Reply& reply) {
  pubsub_internal::Frame frame = pubsub_internal::ParseFrame(reply.view());
  switch (frame.type) {
    case pubsub_internal::Frame::Type::kMessage:
      Queue(std::move(frame.message));
      break;
    case pubsub_internal::Frame::Type::kError:
      return Annotate(frame.error,
                      absl::StrCat("pub/sub on ", conn_->address()));
    case pubsub_internal::Frame::Type::kPong:
    case pubsub_internal::Frame::Type::kOther:
      break;
  }
  return absl::OkStatus();
}

void PubSub::Queue(Message message) {
  // An unsubscription the server made on its own (a shard channel whose
  // slot moved away) is not resubscribed on reconnect.
  subscriptions_.ForgetDroppedByServer(message);
  queue_.push_back(std::move(message));
}

bool PubSub::Deliver(const Message& message) {
  const std::optional<SubscriptionFamily> family = MessageFamily(message.kind);
  if (!family.has_value()) return !options_.ignore_subscribe_messages;
  const absl::string_view name =
      message.kind == Kind::kPMessage ? message.pattern : message.channel;
  const Handler* found = subscriptions_.Find(*family, name);
  if (found == nullptr || *found == nullptr) return true;
  // Copy: the handler may not outlive a rehash of the subscriptions, and
  // must not be destroyed while it runs.
  Handler handler = *found;
  handler(message);
  return false;
}

absl::StatusOr<std::optional<PubSub::Message>> PubSub::GetMessage(
    absl::Duration timeout) {
  if (closed_) return ClosedError();
  const absl::Time deadline =
      timeout == absl::InfiniteDuration()
          ? absl::InfiniteFuture()
          : absl::Now() + std::max(timeout, absl::ZeroDuration());
  const absl::Duration interval =
      client_->pool().connector().options().health_check_interval;
  bool waited = false;  // Checked the socket at least once.
  for (;;) {
    while (!queue_.empty()) {
      Message message = std::move(queue_.front());
      queue_.pop_front();
      if (Deliver(message)) return message;
      if (closed_) return ClosedError();
    }
    // Handled messages may keep arriving: stop at the deadline anyway.
    if (waited && absl::Now() >= deadline) return std::nullopt;
    if (!conn_ || conn_->broken()) {
      if (absl::Status s = Reconnect(); !s.ok()) return s;
      continue;
    }
    if (!MaybeSendHealthCheck().ok()) {
      DropConnection();  // Reconnect on the next turn.
      continue;
    }
    absl::Time wake = deadline;
    if (interval > absl::ZeroDuration()) {
      wake = std::min(wake, conn_->last_used() + interval);
    }
    waited = true;
    if (!conn_->WaitReadable(wake)) continue;
    absl::StatusOr<Reply> reply = conn_->ReadAny(ReplyDeadline());
    if (!reply.ok()) {
      DropConnection();  // Reconnect on the next turn.
      continue;
    }
    if (absl::Status s = Absorb(*reply); !s.ok()) return s;
  }
}

absl::Status PubSub::Run(absl::Time until, const std::atomic<bool>* stop,
                         Handler fallback) {
  for (;;) {
    if (stop != nullptr && stop->load(std::memory_order_acquire)) {
      return absl::OkStatus();
    }
    const absl::Time now = absl::Now();
    if (now >= until) return absl::OkStatus();
    absl::StatusOr<std::optional<Message>> m =
        GetMessage(std::min(until - now, absl::Milliseconds(100)));
    if (!m.ok()) return m.status();
    if (m->has_value() && fallback != nullptr) fallback(**m);
  }
}

}  // namespace valkey
