#include "valkey/async/connection.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "valkey/async/connection_core.h"
#include "valkey/common/errors.h"
#include "valkey/connection/connection.h"

namespace valkey::async {
namespace internal {
namespace {

void ResolveFuture(void* ctx, void*, absl::StatusOr<Reply> outcome) {
  auto* state = static_cast<future_internal::State<Reply>*>(ctx);
  state->Set(std::move(outcome));
  state->Unref();
}

}  // namespace
}  // namespace internal

absl::StatusOr<Connection> Connection::Create(EventLoop& loop,
                                              ConnectionOptions options,
                                              AsyncOptions async) {
  if (async.max_in_flight < 1) {
    return InvalidArgumentError("max_in_flight must be at least 1");
  }
  if (async.max_queued_bytes < 1) {
    return InvalidArgumentError("max_queued_bytes must be at least 1");
  }
  // The blocking Connector validates options and loads TLS files; share it.
  absl::StatusOr<std::shared_ptr<const Connector>> connector =
      Connector::Create(options);
  if (!connector.ok()) return connector.status();
  auto core = std::make_shared<internal::ConnectionCore>(
      loop, std::move(options), std::move(async), (*connector)->tls_context());
  core->Start();
  return Connection(std::move(core));
}

Connection::Connection(std::shared_ptr<internal::ConnectionCore> core)
    : core_(std::move(core)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&& o) noexcept {
  if (this != &o) {
    if (core_ != nullptr) core_->Close();
    core_ = std::move(o.core_);
  }
  return *this;
}
Connection::~Connection() {
  if (core_ != nullptr) core_->Close();
}

ReplySink MakeReplySink(const EventLoop& loop, Future<Reply>* future) {
  auto* state = new future_internal::State<Reply>(&loop);
  state->Ref();  // One for the sink, one for the future.
  *future = AdoptFuture(state);
  return ReplySink{&internal::ResolveFuture, state, nullptr};
}

Future<Reply> Connection::ExecuteArgs(absl::Span<const CommandArg> args) {
  Future<Reply> future;
  Submit(args, MakeReplySink(core_->loop(), &future));
  return future;
}

void Connection::Submit(absl::Span<const CommandArg> args, ReplySink sink,
                        absl::Duration extra_wait) {
  if (!core_->loop().InOwnerProcess()) {  // fork()ed child: see event_loop.h.
    sink.fn(sink.ctx, sink.aux, core_->loop().CheckOwnerProcess());
    return;
  }
  core_->Submit(args, sink, extra_wait);
}

void Connection::SubmitPacked(absl::string_view packed,
                              absl::Span<const ReplySink> sinks,
                              std::optional<uint64_t> required_connects,
                              absl::Duration extra_wait) {
  if (!core_->loop().InOwnerProcess()) {  // fork()ed child: see event_loop.h.
    const absl::Status refused = core_->loop().CheckOwnerProcess();
    for (const ReplySink& sink : sinks) sink.fn(sink.ctx, sink.aux, refused);
    return;
  }
  core_->SubmitPacked(packed, sinks, required_connects, extra_wait);
}

void Connection::SendUnanswered(absl::Span<const CommandArg> args) {
  core_->SendUnanswered(args);
}

bool Connection::connected() const { return core_->connected(); }
int Connection::protocol() const { return core_->protocol(); }
const std::string& Connection::address() const { return core_->address(); }
const ConnectionOptions& Connection::options() const {
  return core_->options();
}
EventLoop& Connection::loop() const { return core_->loop(); }
Connection::Stats Connection::stats() const { return core_->stats(); }
void Connection::Close() { core_->Close(); }
void Connection::Reconnect(std::string reason) {
  core_->Reconnect(std::move(reason));
}

}  // namespace valkey::async
