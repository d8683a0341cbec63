#include "valkey/connection/connection.h"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "valkey/common/command_secrets.h"
#include "valkey/common/errors.h"
#include "valkey/common/handshake.h"
#include "valkey/common/process_id.h"
#include "valkey/connection/socket_transport.h"
#include "valkey/connection/tls_transport.h"

namespace valkey {
namespace {

absl::Time DeadlineAfter(absl::Duration d) {
  return d == absl::InfiniteDuration() ? absl::InfiniteFuture()
                                       : absl::Now() + d;
}

// Nanoseconds of Connection::kPendingCheckIdle, or the test override.
std::atomic<int64_t> g_pending_check_idle_ns{
    absl::ToInt64Nanoseconds(Connection::kPendingCheckIdle)};


}  // namespace

TcpEndpoint MakeTcpEndpoint(const ConnectionOptions& options,
                         absl::string_view host, int port) {
  TcpEndpoint endpoint;
  endpoint.host = std::string(host);
  endpoint.port = port;
  endpoint.tcp_nodelay = options.tcp_nodelay;
  endpoint.keepalive.enabled = options.keepalive.enabled;
  endpoint.keepalive.idle =
      options.keepalive.idle.value_or(absl::ZeroDuration());
  endpoint.keepalive.interval =
      options.keepalive.interval.value_or(absl::ZeroDuration());
  endpoint.keepalive.count = options.keepalive.count.value_or(0);
  return endpoint;
}

// ---------------------------------------------------------------- Connector

absl::StatusOr<std::shared_ptr<const Connector>> Connector::Create(
    ConnectionOptions options) {
  if (options.protocol != 2 && options.protocol != 3) {
    return InvalidArgumentError(absl::StrCat(
        "connection.protocol: ", options.protocol, " is not 2 or 3"));
  }
  if (!options.is_unix() && (options.port < 1 || options.port > 65535)) {
    return InvalidArgumentError(absl::StrCat(
        "connection.port: ", options.port, " is not in 1-65535"));
  }
  if (options.tls.enabled && options.is_unix()) {
    return InvalidArgumentError(
        "connection.tls: TLS is not available over a Unix socket");
  }
  if (options.connect_timeout <= absl::ZeroDuration()) {
    return InvalidArgumentError("connection.connect_timeout: must be positive");
  }
  if (options.socket_timeout <= absl::ZeroDuration()) {
    return InvalidArgumentError("connection.socket_timeout: must be positive");
  }
  if (absl::Status s = ValidateReaderLimits(options.reader_limits,
                                            "connection.reader_limits");
      !s.ok()) {
    return s;
  }
  std::shared_ptr<const TlsContext> tls;
  if (options.tls.enabled) {
    absl::StatusOr<std::shared_ptr<const TlsContext>> context =
        TlsContext::Create(options.tls);
    if (!context.ok()) return context.status();
    tls = *std::move(context);
  }
  return std::shared_ptr<const Connector>(
      new Connector(std::move(options), std::move(tls)));
}

absl::StatusOr<std::unique_ptr<Connection>> Connector::Connect() const {
  return Open(options_.host, options_.port, options_.unix_path);
}

absl::StatusOr<std::unique_ptr<Connection>> Connector::ConnectTo(
    absl::string_view host, int port) const {
  return Open(std::string(host), port, std::string());
}

absl::StatusOr<std::unique_ptr<Connection>> Connector::Open(
    const std::string& host, int port, const std::string& unix_path) const {
  const absl::Time deadline = DeadlineAfter(options_.connect_timeout);
  absl::StatusOr<std::unique_ptr<Transport>> transport =
      unix_path.empty()
          ? ConnectTcp(MakeTcpEndpoint(options_, host, port), deadline)
          : ConnectUnix(unix_path, deadline);
  if (!transport.ok()) return transport.status();
  if (tls_ != nullptr) {
    transport = ConnectTls(*std::move(transport), tls_, host, deadline);
    if (!transport.ok()) return transport.status();
  }
  std::string address = (*transport)->peer();
  std::unique_ptr<Connection> connection(new Connection(
      shared_from_this(), *std::move(transport), std::move(address)));
  if (absl::Status s = connection->Handshake(deadline); !s.ok()) return s;
  return connection;
}

// --------------------------------------------------------------- Connection

Connection::Connection(std::shared_ptr<const Connector> connector,
                       std::unique_ptr<Transport> transport,
                       std::string address)
    : connector_(std::move(connector)),
      transport_(std::move(transport)),
      address_(std::move(address)),
      reader_(connector_->options().reader_limits),
      last_used_(absl::Now()),
      pid_(CurrentProcessId()) {}

Connection::~Connection() = default;

bool Connection::OwnedByThisProcess() const {
  return CurrentProcessId() == pid_;
}

absl::Status Connection::Handshake(absl::Time deadline) {
  const ConnectionOptions& options = connector_->options();
  std::optional<Credentials> credentials;
  if (options.credentials != nullptr) {
    absl::StatusOr<Credentials> got = options.credentials->GetCredentials();
    if (!got.ok()) {
      return Annotate(got.status(),
                      absl::StrCat("get credentials for ", address_));
    }
    credentials = *std::move(got);
  }
  absl::StatusOr<HandshakePlan> plan =
      HandshakePlan::Create(options, credentials);
  if (!plan.ok()) return plan.status();
  if (plan->size() == 0) {
    protocol_ = 2;
    return absl::OkStatus();
  }
  if (absl::Status s = transport_->Write(plan->bytes(), deadline); !s.ok()) {
    return Broken(s);
  }
  absl::Status first_error;
  for (size_t i = 0; i < plan->size(); ++i) {
    absl::StatusOr<Reply> reply = ReadRaw(deadline);
    if (!reply.ok()) return reply.status();
    absl::Status checked = plan->Check(i, reply->view(), address_);
    if (!checked.ok() && first_error.ok()) first_error = checked;
    if (plan->step(i) == HandshakePlan::Step::kHello && checked.ok()) {
      protocol_ = 3;
    }
  }
  if (!first_error.ok()) {
    Disconnect();
    return first_error;
  }
  last_used_ = absl::Now();
  return absl::OkStatus();
}

absl::Status Connection::Broken(absl::Status status) {
  Disconnect();
  return status;
}

void Connection::Disconnect() {
  broken_ = true;
  if (transport_ != nullptr) transport_->Close();
}

absl::Time Connection::ReplyDeadline() const {
  return DeadlineAfter(connector_->options().socket_timeout);
}

absl::Status Connection::Send(absl::string_view packed) {
  return Send(packed, static_cast<int>(kUnknownReplies));
}

absl::Status Connection::Send(absl::string_view packed, int replies) {
  if (replies < 0 || replies_owed_ < 0) {
    replies_owed_ = kUnknownReplies;
  } else {
    replies_owed_ += replies;
  }
  if (broken_) {
    return ConnectionError(
        absl::StrCat("connection to ", address_, " is closed"));
  }
  absl::Status s = transport_->Write(packed, ReplyDeadline());
  if (!s.ok()) return Broken(s);
  last_used_ = absl::Now();
  return absl::OkStatus();
}

absl::Status Connection::SendCommandArgv(
    absl::Span<const absl::string_view> argv) {
  out_.clear();
  AppendCommandArgv(out_, argv);
  return Send(out_);
}

absl::StatusOr<Reply> Connection::ReadRaw(absl::Time deadline) {
  if (broken_) {
    return ConnectionError(
        absl::StrCat("connection to ", address_, " is closed"));
  }
  Reply reply;
  for (;;) {
    switch (reader_.Read(&reply)) {
      case RespReader::Result::kReply:
        last_used_ = absl::Now();
        return reply;
      case RespReader::Result::kError:
        return Broken(Annotate(reader_.status(),
                               absl::StrCat("reply from ", address_)));
      case RespReader::Result::kNeedMore:
        break;
    }
    absl::Span<char> room = reader_.PrepareFeed(16 * 1024);
    absl::StatusOr<size_t> n =
        transport_->Read(room.data(), room.size(), deadline);
    if (!n.ok()) return Broken(n.status());
    reader_.CommitFeed(*n);
  }
}

absl::StatusOr<Reply> Connection::ReadAny(absl::Time deadline) {
  // Which of these answer a command is the caller's business now.
  replies_owed_ = kUnknownReplies;
  return ReadRaw(deadline);
}

absl::StatusOr<Reply> Connection::ReadReply(absl::Time deadline) {
  for (;;) {
    absl::StatusOr<Reply> reply = ReadRaw(deadline);
    if (!reply.ok()) return reply;
    if (!reply->is_push()) {
      // A reply nobody counted makes the count meaningless.
      replies_owed_ = replies_owed_ > 0 ? replies_owed_ - 1 : kUnknownReplies;
      return reply;
    }
    if (push_handler_) push_handler_(*std::move(reply));
  }
}

absl::StatusOr<Reply> Connection::ReadReply() {
  return ReadReply(ReplyDeadline());
}

absl::StatusOr<Reply> Connection::ExecutePacked(absl::string_view packed,
                                                absl::string_view command) {
  // Looked for before sending: `packed` is out_, which a push handler may
  // reuse while the reply is awaited. Ordinary commands skip it by name.
  CommandSecrets secrets;
  if (CommandSecrets::MayCarrySecrets(command)) {
    secrets = CommandSecrets::FromPacked(packed);
  }
  if (absl::Status s = Send(packed); !s.ok()) return s;
  absl::StatusOr<Reply> reply = ReadReply();
  if (reply.ok() && reply->is_error()) {
    return CommandErrorStatus(
        reply->view(), secrets,
        absl::StrCat(absl::AsciiStrToUpper(command), " on ", address_));
  }
  return reply;
}

absl::StatusOr<Reply> Connection::ExecuteArgv(
    absl::Span<const absl::string_view> argv) {
  if (argv.empty()) return InvalidArgumentError("empty command");
  out_.clear();
  AppendCommandArgv(out_, argv);
  return ExecutePacked(out_, argv[0]);
}

bool Connection::HasPendingData() {
  if (broken_) return false;
  return reader_.buffered_bytes() > 0 || transport_->Readable();
}

bool Connection::HasPendingDataAtCheckout() {
  if (broken_) return false;
  if (replies_owed_ > 0 || reader_.buffered_bytes() > 0) return true;
  if (replies_owed_ == 0 &&
      absl::Now() - last_used_ <
          absl::Nanoseconds(
              g_pending_check_idle_ns.load(std::memory_order_relaxed))) {
    return false;
  }
  return transport_->Readable();
}

bool Connection::WaitReadable(absl::Time deadline) {
  for (;;) {
    if (broken_ || HasPendingData()) return true;
    // A TLS transport may wake for a record with no application data (a
    // session ticket); HasPendingData() then says no and we wait again.
    if (!internal::WaitFd(transport_->fd(), POLLIN, deadline, "wait for",
                          address_)
             .ok()) {
      return HasPendingData();
    }
  }
}

absl::Status Connection::CheckHealth() {
  const absl::Duration interval = connector_->options().health_check_interval;
  if (interval <= absl::ZeroDuration() ||
      absl::Now() - last_used_ < interval) {
    return absl::OkStatus();
  }
  // Bounded even when commands may wait forever (no socket time-out): a
  // health check must not hang on a silent peer.
  const absl::Duration bound = std::min(connector_->options().socket_timeout,
                                        connector_->options().connect_timeout);
  out_.clear();
  AppendCommand(out_, "PING");
  if (absl::Status s = Send(out_, /*replies=*/1); !s.ok()) return s;
  absl::StatusOr<Reply> pong = ReadReply(absl::Now() + bound);
  if (!pong.ok()) return pong.status();
  if (pong->str() != "PONG") {
    return Broken(ProtocolError(absl::StrCat(
        "health check of ", address_, ": PING answered ", pong->DebugString())));
  }
  return absl::OkStatus();
}

namespace internal {

ScopedPendingCheckIdleForTesting::ScopedPendingCheckIdleForTesting(
    absl::Duration idle) {
  g_pending_check_idle_ns.store(absl::ToInt64Nanoseconds(idle),
                                std::memory_order_relaxed);
}

ScopedPendingCheckIdleForTesting::~ScopedPendingCheckIdleForTesting() {
  g_pending_check_idle_ns.store(
      absl::ToInt64Nanoseconds(Connection::kPendingCheckIdle),
      std::memory_order_relaxed);
}

}  // namespace internal
absl::Status Connection::Reauthenticate(const HandshakePlan& plan) {
  const absl::Time deadline = ReplyDeadline();
  if (broken_) {
    return ConnectionError(
        absl::StrCat("re-authenticate on ", address_, ": connection is closed"));
  }
  if (absl::Status s = Send(plan.bytes(), static_cast<int>(plan.size()));
      !s.ok()) {
    return s;
  }
  absl::Status first_error;
  for (size_t i = 0; i < plan.size(); ++i) {
    absl::StatusOr<Reply> reply = ReadReply(deadline);
    if (!reply.ok()) return reply.status();
    absl::Status checked = plan.Check(i, reply->view(), address_);
    if (!checked.ok() && first_error.ok()) first_error = checked;
  }
  if (!first_error.ok()) Disconnect();
  return first_error;
}

}  // namespace valkey
