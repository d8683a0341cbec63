// ConnectionCore, the connect state machine: from resolving an address to
// ready, loss and reconnect (see connection_core.h).

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "valkey/async/connection_core.h"
#include "valkey/common/command_secrets.h"
#include "valkey/common/credentials.h"
#include "valkey/common/errors.h"
#include "valkey/connection/connection.h"
#include "valkey/connection/detached_thread.h"

namespace valkey::async::internal {
namespace {

constexpr absl::Duration kMinReconnectDelay = absl::Milliseconds(10);

}  // namespace

void ConnectionCore::Start() {
  auto self = shared_from_this();
  RunOnLoop([self] { self->BeginAttempt(); });
}

void ConnectionCore::Reconnect(std::string reason) {
  auto self = shared_from_this();
  // Never inline, even on the loop's thread: Reconnect() may be called
  // from inside this connection's own callbacks (a completion, the
  // on_disconnected hook) or under a caller's lock, and the drop runs
  // callbacks of its own. At the end of the turn nothing is on the stack.
  // Only the connection this call saw: when an earlier call's reconnect
  // has already completed by the time this one runs (a fast loopback
  // handshake between two deferred drops), dropping again would make
  // two reconnects of one.
  const uint64_t seen = connects_.load(std::memory_order_relaxed);
  auto drop = [self, seen, reason = std::move(reason)] {
    if (self->phase_on_loop_ == Phase::kReady &&
        self->connects_.load(std::memory_order_relaxed) == seen) {
      self->Lost(ConnectionError(
          absl::StrCat("connection to ", self->target_, " dropped: ", reason)));
    }
  };
  if (loop_.InLoopThread()) {
    loop_.Defer(std::move(drop));
  } else {
    loop_.Post(std::move(drop));
  }
}

void ConnectionCore::Close() {
  {
    absl::MutexLock lock(&mu_);
    if (closing_) return;
    closing_ = true;
  }
  auto self = shared_from_this();
  RunOnLoop([self] { self->CloseOnLoop(); });
}

void ConnectionCore::BeginAttempt() {
  if (closed_on_loop_) return;
  SetPhase(Phase::kConnecting);
  reader_ = RespReader(options_.reader_limits);
  writing_.clear();
  write_offset_ = 0;
  const uint64_t attempt = ++attempt_id_;
  target_ = address_;
  connect_deadline_ = absl::Now() + options_.connect_timeout;
  ArmConnectTimer(connect_deadline_);
  if (options_.is_unix()) {
    absl::StatusOr<valkey::internal::SocketAddress> a =
        valkey::internal::UnixSocketAddress(options_.unix_path);
    if (!a.ok()) return AttemptFailed(a.status());
    addresses_.assign(1, *a);
    return ConnectFirstAddress();
  }
  if (!async_.resolve) return ConnectToHost(options_.host, options_.port);
  // Ask where to go (Sentinel); the answer may come on any thread, or at
  // once, and may be stale if the attempt has been given up meanwhile.
  std::weak_ptr<ConnectionCore> weak = weak_from_this();
  async_.resolve().Then([weak, attempt](absl::StatusOr<Route> route) {
    std::shared_ptr<ConnectionCore> self = weak.lock();
    if (self == nullptr) return;
    self->RunOnLoop([self, attempt, route = std::move(route)]() mutable {
      if (self->attempt_id_ != attempt || self->closed_on_loop_ ||
          self->phase_on_loop_ != Phase::kConnecting) {
        return;
      }
      if (!route.ok()) return self->AttemptFailed(route.status());
      self->route_ = *std::move(route);
      self->route_errors_.clear();
      self->next_endpoint_ = 0;
      if (self->route_.endpoints.empty()) {
        return self->AttemptFailed(
            self->route_.none_reachable
                ? self->route_.none_reachable({})
                : ConnectionError(absl::StrCat("connect to ", self->address_,
                                               ": no endpoint to try")));
      }
      self->ConnectToNextEndpoint();
    });
  });
}

void ConnectionCore::ConnectToNextEndpoint() {
  const Endpoint& e = route_.endpoints[next_endpoint_++];
  ConnectToHost(e.host, e.port);
}

bool ConnectionCore::TryNextEndpoint(absl::Status& error) {
  if (!async_.resolve || next_endpoint_ == 0) return false;
  const Endpoint& failed = route_.endpoints[next_endpoint_ - 1];
  route_errors_.push_back(
      absl::StrCat(valkey::internal::FormatHostPort(failed.host, failed.port),
                   failed.note, " - ", error.message()));
  if (next_endpoint_ < route_.endpoints.size()) {
    // The same attempt, on the next endpoint, with a fresh connect time-out
    // (as the blocking pools try each address with their own). A new
    // attempt id: a late DNS or OCSP answer for this endpoint is dropped.
    plan_.reset();
    CloseSocket();
    reader_ = RespReader(options_.reader_limits);
    writing_.clear();
    write_offset_ = 0;
    ++attempt_id_;
    SetPhase(Phase::kConnecting);
    connect_deadline_ = absl::Now() + options_.connect_timeout;
    ArmConnectTimer(connect_deadline_);
    ConnectToNextEndpoint();
    return true;
  }
  if (route_.none_reachable) error = route_.none_reachable(route_errors_);
  next_endpoint_ = 0;
  return false;
}

void ConnectionCore::ConnectToHost(const std::string& host, int port) {
  host_ = host;
  port_ = port;
  if (async_.resolve) {
    target_ = absl::StrCat(valkey::internal::FormatHostPort(host, port), " (",
                           address_, ")");
  }
  if (valkey::internal::IsNumericHost(host)) {
    return OnAddresses(valkey::internal::ResolveTcp(host, port));
  }
  // A name: looked up on a helper thread, so the loop never blocks in
  // getaddrinfo. The connect timer bounds the wait; a late answer finds
  // another attempt (or a closed connection) and is dropped.
  const uint64_t attempt = attempt_id_;
  std::weak_ptr<ConnectionCore> weak = weak_from_this();
  valkey::internal::LookUpTcpInBackground(
      host, port, [weak, attempt](valkey::internal::LookupResult found) {
        std::shared_ptr<ConnectionCore> self = weak.lock();
        if (self == nullptr) return;
        // Close() sets closing_ under mu_ before the loop may go away:
        // after it, nothing is posted.
        absl::MutexLock lock(&self->mu_);
        if (self->closing_) return;
        self->loop_.Post([self, attempt, found = std::move(found)]() mutable {
          if (self->attempt_id_ != attempt || self->closed_on_loop_ ||
              self->phase_on_loop_ != Phase::kConnecting) {
            return;
          }
          self->OnAddresses(std::move(found));
        });
      });
}

void ConnectionCore::OnAddresses(valkey::internal::LookupResult found) {
  if (!found.ok()) return AttemptFailed(found.status());
  addresses_ = *std::move(found);
  ConnectFirstAddress();
}

void ConnectionCore::ConnectFirstAddress() {
  next_address_ = 0;
  last_connect_error_ =
      ConnectionError(absl::StrCat("connect to ", target_, ": no address"));
  ConnectNextAddress();
}

void ConnectionCore::ConnectNextAddress() {
  CloseSocket();
  if (next_address_ >= addresses_.size()) {
    return AttemptFailed(last_connect_error_);
  }
  const valkey::internal::SocketAddress& a = addresses_[next_address_++];
  fd_ = ::socket(a.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    last_connect_error_ =
        ErrnoError(errno, absl::StrCat("connect to ", target_, ": socket"));
    return ConnectNextAddress();
  }
  int rc;
  do {
    rc = ::connect(fd_, a.sockaddr_ptr(), a.length);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 && errno != EINPROGRESS && errno != EAGAIN) {
    last_connect_error_ =
        ErrnoError(errno, absl::StrCat("connect to ", target_));
    return ConnectNextAddress();
  }
  // Handlers and timers hold a reference while they run: a reply sink may
  // destroy the last Connection handle.
  absl::Status watched =
      loop_.Watch(fd_, EventLoop::kWritable, [this](uint32_t events) {
        auto keep_alive = shared_from_this();
        OnSocketEvent(events);
      });
  if (!watched.ok()) return AttemptFailed(watched);
  interest_ = EventLoop::kWritable;
}

void ConnectionCore::OnConnectFinished() {
  absl::Status s = valkey::internal::ConnectResult(fd_, target_);
  if (!s.ok()) {
    last_connect_error_ = s;
    return ConnectNextAddress();
  }
  if (!options_.is_unix()) {
    const TcpEndpoint endpoint = MakeTcpEndpoint(options_, host_, port_);
    if (absl::Status t =
            valkey::internal::SetTcpOptions(fd_, endpoint, target_);
        !t.ok()) {
      return AttemptFailed(t);
    }
  }
  if (tls_ != nullptr) {
    absl::StatusOr<std::unique_ptr<TlsSession>> session =
        TlsSession::Create(tls_, host_, target_);
    if (!session.ok()) return AttemptFailed(session.status());
    tls_session_ = *std::move(session);
    tls_session_->DeferResponderQuery();
    SetPhase(Phase::kTls);
    return AdvanceTls();
  }
  StartHandshake();
}

void ConnectionCore::ArmConnectTimer(absl::Time when) {
  if (connect_timer_ != 0) loop_.Cancel(connect_timer_);
  connect_timer_ = loop_.RunAt(when, [this, weak = weak_from_this()] {
    auto keep_alive = weak.lock();
    if (keep_alive == nullptr) return;
    connect_timer_ = 0;
    AttemptFailed(TimeoutError(
        absl::StrCat("connect to ", target_, ": no answer within ",
                     absl::FormatDuration(options_.connect_timeout))));
  });
}

void ConnectionCore::AdvanceTls() {
  absl::StatusOr<TlsSession::Progress> p = tls_session_->Handshake();
  if (!p.ok()) return AttemptFailed(p.status());
  if (absl::Status s = SendCiphertext(); !s.ok()) return AttemptFailed(s);
  if (*p == TlsSession::Progress::kDone) {
    if (tls_session_->responder_query_pending()) return QueryResponder();
    StartHandshake();
    return;
  }
  SetInterest(
      EventLoop::kReadable |
      (tls_session_->PendingOutput().empty() ? 0 : EventLoop::kWritable));
}

void ConnectionCore::QueryResponder() {
  SetInterest(0);
  responder_query_running_ = true;
  ArmConnectTimer(connect_deadline_ + options_.tls.ocsp_responder_timeout);
  const uint64_t attempt = attempt_id_;
  std::weak_ptr<ConnectionCore> weak = weak_from_this();
  auto session =
      std::make_shared<std::unique_ptr<TlsSession>>(std::move(tls_session_));
  auto query = [weak, attempt, session]() mutable {
    absl::Status checked = (*session)->QueryResponder();
    std::shared_ptr<ConnectionCore> self = weak.lock();
    if (self == nullptr) return;
    // Close() sets closing_ under mu_ before the loop may go away: after
    // it, nothing is posted.
    absl::MutexLock lock(&self->mu_);
    if (self->closing_) return;
    self->loop_.Post([self, attempt, session, checked]() mutable {
      if (self->attempt_id_ != attempt || self->closed_on_loop_ ||
          self->phase_on_loop_ != Phase::kTls) {
        return;
      }
      self->responder_query_running_ = false;
      self->tls_session_ = std::move(*session);
      if (!checked.ok()) return self->AttemptFailed(checked);
      self->StartHandshake();
    });
  };
  if (!valkey::internal::RunDetached(std::move(query), 512 * 1024)) {
    // No thread to spare: ask from here, as the blocking client does.
    responder_query_running_ = false;
    tls_session_ = std::move(*session);
    if (absl::Status s = tls_session_->QueryResponder(); !s.ok()) {
      return AttemptFailed(s);
    }
    StartHandshake();
  }
}

void ConnectionCore::StartHandshake() {
  SetPhase(Phase::kHandshake);
  std::optional<Credentials> credentials;
  if (options_.credentials != nullptr) {
    absl::StatusOr<Credentials> got = options_.credentials->GetCredentials();
    if (!got.ok()) {
      return AttemptFailed(Annotate(
          got.status(), absl::StrCat("get credentials for ", target_)));
    }
    credentials = *std::move(got);
  }
  absl::StatusOr<HandshakePlan> plan =
      HandshakePlan::Create(options_, credentials);
  if (!plan.ok()) return AttemptFailed(plan.status());
  plan_.emplace(*std::move(plan));
  handshake_index_ = 0;
  handshake_error_ = absl::OkStatus();
  setup_remaining_ = async_.setup_commands.size();
  protocol_seen_ = 2;
  writing_.assign(plan_->bytes());
  for (const std::vector<std::string>& cmd : async_.setup_commands) {
    AppendCommandArgv(writing_, cmd);
  }
  write_offset_ = 0;
  SetInterest(EventLoop::kReadable);
  if (plan_->size() == 0 && setup_remaining_ == 0) return BecomeReady();
  if (absl::Status s = WriteOut(); !s.ok()) return AttemptFailed(s);
}

bool ConnectionCore::OnHandshakeReply(const Reply& reply) {
  if (handshake_index_ < plan_->size()) {
    const size_t i = handshake_index_++;
    absl::Status checked = plan_->Check(i, reply.view(), target_);
    if (!checked.ok() && handshake_error_.ok()) handshake_error_ = checked;
    if (plan_->step(i) == HandshakePlan::Step::kHello && checked.ok()) {
      protocol_seen_ = 3;
    }
  } else {
    const size_t i = async_.setup_commands.size() - setup_remaining_;
    --setup_remaining_;
    if (handshake_error_.ok()) {
      const absl::Status checked = async_.check_setup_reply
                                       ? async_.check_setup_reply(i, reply)
                                       : reply.ToStatus();
      if (!checked.ok()) {
        // The command is quoted in the message: scrub it and whatever
        // the server (or the caller's check) said about it.
        const std::vector<std::string>& cmd = async_.setup_commands[i];
        const CommandSecrets secrets = CommandSecrets::Find(
            std::vector<absl::string_view>(cmd.begin(), cmd.end()));
        handshake_error_ = ScrubStatus(
            Annotate(checked, absl::StrCat("set up ", target_, " with ",
                                           absl::StrJoin(cmd, " "))),
            secrets);
      }
    }
  }
  if (handshake_index_ < plan_->size() || setup_remaining_ > 0) return true;
  plan_.reset();  // Holds the password.
  if (!handshake_error_.ok()) {
    AttemptFailed(handshake_error_);
    return false;
  }
  BecomeReady();
  return true;
}

void ConnectionCore::BecomeReady() {
  next_endpoint_ = 0;
  if (connect_timer_ != 0) {
    loop_.Cancel(connect_timer_);
    connect_timer_ = 0;
  }
  failures_ = 0;
  protocol_.store(protocol_seen_, std::memory_order_relaxed);
  connects_.fetch_add(1, std::memory_order_relaxed);
  SetPhase(Phase::kReady);
  if (async_.on_connected) async_.on_connected();
  Flush();
}

void ConnectionCore::AttemptFailed(absl::Status error) {
  // Only an attempt under way can fail (not a ready connection, nor one
  // already waiting to reconnect).
  if (closed_on_loop_ || phase_on_loop_ == Phase::kReady ||
      phase_on_loop_ == Phase::kBackoff) {
    return;
  }
  if (TryNextEndpoint(error)) return;
  if (connect_timer_ != 0) {
    loop_.Cancel(connect_timer_);
    connect_timer_ = 0;
  }
  plan_.reset();
  CloseSocket();
  failed_attempts_.fetch_add(1, std::memory_order_relaxed);
  ++failures_;
  FailAll(error, /*include_queued=*/true);
  // A sink may have closed the connection (and dropped the last handle).
  if (closed_on_loop_) return;
  ScheduleReconnect();
}

void ConnectionCore::Lost(absl::Status error) {
  if (closed_on_loop_) return;
  CloseSocket();
  // Out of kReady before any callback runs: a sink or hook that calls
  // Reconnect() (or hits an error) while the loss is being handled must
  // not start a second loss, a second hook call or a second timer.
  SetPhase(Phase::kBackoff);
  FailAll(error, /*include_queued=*/!async_.keep_unwritten_on_loss);
  if (closed_on_loop_) return;  // Closed by a sink.
  if (async_.on_disconnected) async_.on_disconnected(error);
  if (closed_on_loop_) return;
  ScheduleReconnect();
}

void ConnectionCore::ScheduleReconnect() {
  SetPhase(Phase::kBackoff);
  // One reconnect under way at a time, whoever asks.
  if (reconnect_timer_ != 0) return;
  absl::Duration delay = absl::ZeroDuration();
  if (failures_ > 0) {
    delay = std::max(kMinReconnectDelay, backoff_.Compute(failures_, [this] {
      return absl::Uniform(gen_, 0.0, 1.0);
    }));
  }
  reconnect_timer_ = loop_.RunAfter(delay, [this, weak = weak_from_this()] {
    auto keep_alive = weak.lock();
    if (keep_alive == nullptr) return;
    reconnect_timer_ = 0;
    BeginAttempt();
  });
}

void ConnectionCore::SetPhase(Phase phase) {
  phase_on_loop_ = phase;
  absl::MutexLock lock(&mu_);
  phase_ = phase;
}

void ConnectionCore::CloseOnLoop() {
  if (closed_on_loop_) return;
  for (EventLoop::TimerId* t :
       {&connect_timer_, &reconnect_timer_, &deadline_timer_}) {
    if (*t != 0) loop_.Cancel(*t);
    *t = 0;
  }
  CloseSocket();
  SetPhase(Phase::kClosed);
  closed_on_loop_ = true;
  FailAll(absl::CancelledError(
              absl::StrCat("connection to ", address_, " was closed")),
          /*include_queued=*/true);
}

}  // namespace valkey::async::internal
