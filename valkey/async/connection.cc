#include "valkey/async/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "valkey/async/ring_queue.h"
#include "valkey/common/backoff.h"
#include "valkey/common/command_secrets.h"
#include "valkey/common/credentials.h"
#include "valkey/common/errors.h"
#include "valkey/common/handshake.h"
#include "valkey/common/one_reply_rule.h"
#include "valkey/common/resp_reader.h"
#include "valkey/connection/connection.h"
#include "valkey/connection/name_lookup.h"
#include "valkey/connection/socket_transport.h"
#include "valkey/connection/detached_thread.h"
#include "valkey/connection/tls_session.h"

namespace valkey::async {
namespace internal {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr absl::Duration kMinReconnectDelay = absl::Milliseconds(10);

// One command awaiting its reply.
struct Pending {
  ReplySink sink;
  // How long the reply may take once the command is written, and the
  // resulting deadline (set when it is written: a command waiting for the
  // connection is bounded by the connect attempt instead).
  absl::Duration timeout = absl::InfiniteDuration();
  absl::Time deadline = absl::InfiniteFuture();
  // Already answered with DEADLINE_EXCEEDED: its reply is dropped (or, if
  // not written yet, the command is never sent).
  bool expired = false;
  // Bytes sent without a reply to match (pub/sub SUBSCRIBE and friends).
  bool no_reply = false;
  uint32_t bytes = 0;  // Length of the packed command in the out buffer.
  uint8_t name_len = 0;
  char name[14] = {};  // The command name, for messages (truncated).
  // Set only for commands that carry a secret (AUTH, CONFIG SET
  // requirepass, ...): what to scrub from the server's error text. Null,
  // and never touched, for everything else.
  std::shared_ptr<const CommandSecrets> secrets;

  void SetName(absl::string_view n) {
    name_len = static_cast<uint8_t>(std::min(n.size(), sizeof(name)));
    std::memcpy(name, n.data(), name_len);
  }
  absl::string_view Name() const { return absl::string_view(name, name_len); }
  const CommandSecrets& Secrets() const {
    static const CommandSecrets* const kNone = new CommandSecrets();
    return secrets != nullptr ? *secrets : *kNone;
  }
  void Complete(absl::StatusOr<Reply> outcome) {
    sink.fn(sink.ctx, sink.aux, std::move(outcome));
  }
};

// Reads the "<c><digits>\r\n" header at `*offset` of a packed command and
// advances past it.
int64_t ReadHeader(absl::string_view packed, size_t& offset) {
  int64_t v = 0;
  size_t i = offset + 1;
  while (i < packed.size() && packed[i] != '\r') {
    v = v * 10 + (packed[i++] - '0');
  }
  offset = i + 2;
  return v;
}

// Walks the packed command at `*offset` of `packed` (a RESP array of bulk
// strings, as AppendCommand writes it), calling arg(view) for each
// argument; advances *offset past it.
template <typename F>
void ForEachArgAt(absl::string_view packed, size_t& offset, F arg) {
  if (offset >= packed.size() || packed[offset] != '*') return;
  const int64_t argc = ReadHeader(packed, offset);
  for (int64_t a = 0; a < argc && offset < packed.size(); ++a) {
    const int64_t len = ReadHeader(packed, offset);
    arg(packed.substr(offset, len));
    offset += len + 2;
  }
}

// The name of the packed command at `*offset`; advances past it.
absl::string_view CommandNameAt(absl::string_view packed, size_t& offset) {
  absl::string_view name;
  bool first = true;
  ForEachArgAt(packed, offset, [&](absl::string_view a) {
    if (first) name = a;
    first = false;
  });
  return name;
}

// Appends the arguments of the packed command at `*offset` to `out` (views
// into `packed`); advances past it.
void ArgsAt(absl::string_view packed, size_t& offset,
            std::vector<CommandArg>& out) {
  ForEachArgAt(packed, offset,
               [&](absl::string_view a) { out.emplace_back(a); });
}

void ResolveFuture(void* ctx, void*, absl::StatusOr<Reply> outcome) {
  auto* state = static_cast<future_internal::State<Reply>*>(ctx);
  state->Set(std::move(outcome));
  state->Unref();
}

}  // namespace

class ConnectionCore : public std::enable_shared_from_this<ConnectionCore> {
 public:
  enum class Phase {
    kIdle,
    kConnecting,
    kTls,
    kHandshake,
    kReady,
    kBackoff,
    kClosed
  };

  ConnectionCore(EventLoop& loop, ConnectionOptions options, AsyncOptions async,
                 std::shared_ptr<const TlsContext> tls)
      : loop_(loop),
        options_(std::move(options)),
        async_(std::move(async)),
        tls_(std::move(tls)),
        address_(async_.resolve ? async_.address_label : options_.Address()) {}

  ~ConnectionCore() { CloseSocket(); }

  // --- Any thread -------------------------------------------------------

  void Start() {
    auto self = shared_from_this();
    RunOnLoop([self] { self->BeginAttempt(); });
  }

  void Submit(absl::Span<const CommandArg> args, ReplySink sink,
              absl::Duration extra_wait) {
    if (args.empty()) {
      sink.fn(sink.ctx, sink.aux, InvalidArgumentError("empty command"));
      return;
    }
    if (absl::Status refused = CheckOneReplyPerCommand(args); !refused.ok()) {
      sink.fn(sink.ctx, sink.aux, std::move(refused));
      return;
    }
    if (async_.observer != nullptr) {
      async_.observer->OnSubmit(absl::MakeConstSpan(&args, 1),
                                absl::MakeSpan(&sink, 1));
    }
    Pending p;
    p.sink = sink;
    p.SetName(args[0].view());
    if (CommandSecrets::MayCarrySecrets(args[0].view())) {
      p.secrets =
          std::make_shared<const CommandSecrets>(CommandSecrets::Find(args));
    }
    p.timeout = ReplyTimeout(extra_wait);
    const size_t bytes = EncodedCommandSize(args);
    absl::Status refused;
    {
      absl::MutexLock lock(&mu_);
      refused = AdmitLocked(1, bytes);
      if (refused.ok()) {
        const size_t before = out_.size();
        AppendCommandArgs(out_, args);
        p.bytes = static_cast<uint32_t>(out_.size() - before);
        EnqueueLocked(p);
      }
    }
    if (!refused.ok()) p.Complete(std::move(refused));
  }

  void SubmitPacked(absl::string_view packed, absl::Span<const ReplySink> sinks,
                    std::optional<uint64_t> required_connects,
                    absl::Duration extra_wait) {
    const absl::Duration timeout = ReplyTimeout(extra_wait);
    std::vector<ReplySink> observed;
    if (async_.observer != nullptr) {
      observed.assign(sinks.begin(), sinks.end());
      ObservePacked(packed, absl::MakeSpan(observed));
      sinks = observed;
    }
    absl::Status refused;
    {
      absl::MutexLock lock(&mu_);
      refused = AdmitLocked(sinks.size(), packed.size());
      if (refused.ok() && required_connects.has_value() &&
          (*required_connects != connects_.load(std::memory_order_relaxed) ||
           phase_ != Phase::kReady)) {
        refused = MakeError(absl::StatusCode::kAborted, ErrorKind::kWatch,
                            absl::StrCat("connection to ", address_,
                                         " was re-established since WATCH; the "
                                         "transaction was not sent"));
      }
      if (refused.ok()) {
        size_t offset = out_.size();
        out_.append(packed);
        for (const ReplySink& sink : sinks) {
          Pending p;
          p.sink = sink;
          const size_t start = offset;
          const absl::string_view name = CommandNameAt(out_, offset);
          p.SetName(name);
          p.bytes = static_cast<uint32_t>(offset - start);
          if (CommandSecrets::MayCarrySecrets(name)) {
            p.secrets = std::make_shared<const CommandSecrets>(
                CommandSecrets::FromPacked(
                    absl::string_view(out_).substr(start, p.bytes)));
          }
          p.timeout = timeout;
          EnqueueLocked(p);
        }
      }
    }
    if (!refused.ok()) {
      for (const ReplySink& sink : sinks) sink.fn(sink.ctx, sink.aux, refused);
    }
  }

  // Shows the observer the commands of `packed` (as AppendCommand writes
  // them), one span of arguments per command.
  void ObservePacked(absl::string_view packed, absl::Span<ReplySink> sinks) {
    std::vector<CommandArg> all;
    std::vector<size_t> starts;
    size_t offset = 0;
    for (size_t c = 0; c < sinks.size(); ++c) {
      starts.push_back(all.size());
      ArgsAt(packed, offset, all);
    }
    std::vector<absl::Span<const CommandArg>> commands;
    for (size_t c = 0; c < sinks.size(); ++c) {
      const size_t end = c + 1 < starts.size() ? starts[c + 1] : all.size();
      commands.push_back(
          absl::MakeConstSpan(all.data() + starts[c], end - starts[c]));
    }
    async_.observer->OnSubmit(commands, sinks);
  }

  void SendUnanswered(absl::Span<const CommandArg> args) {
    if (args.empty()) return;
    absl::MutexLock lock(&mu_);
    if (phase_ != Phase::kReady) return;
    Pending p;
    p.no_reply = true;
    const size_t before = out_.size();
    AppendCommandArgs(out_, args);
    p.bytes = static_cast<uint32_t>(out_.size() - before);
    queued_.push_back(p);
    ScheduleFlushLocked();
  }

  void Reconnect(std::string reason) {
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
        self->Lost(ConnectionError(absl::StrCat("connection to ", self->target_,
                                                " dropped: ", reason)));
      }
    };
    if (loop_.InLoopThread()) {
      loop_.Defer(std::move(drop));
    } else {
      loop_.Post(std::move(drop));
    }
  }

  void Close() {
    {
      absl::MutexLock lock(&mu_);
      if (closing_) return;
      closing_ = true;
    }
    auto self = shared_from_this();
    RunOnLoop([self] { self->CloseOnLoop(); });
  }

  bool connected() const {
    absl::MutexLock lock(&mu_);
    return phase_ == Phase::kReady;
  }
  int protocol() const { return protocol_.load(std::memory_order_relaxed); }
  Connection::Stats stats() const {
    Connection::Stats s;
    s.connects = connects_.load(std::memory_order_relaxed);
    s.failed_attempts = failed_attempts_.load(std::memory_order_relaxed);
    s.writes = writes_.load(std::memory_order_relaxed);
    s.commands = commands_.load(std::memory_order_relaxed);
    s.in_flight = in_flight_.load(std::memory_order_relaxed);
    return s;
  }

  EventLoop& loop() const { return loop_; }
  const ConnectionOptions& options() const { return options_; }
  const std::string& address() const { return address_; }

 private:
  // --- Submission helpers (mu_ held) -------------------------------------

  absl::Duration ReplyTimeout(absl::Duration extra_wait) const {
    if (options_.socket_timeout == absl::InfiniteDuration() ||
        extra_wait == absl::InfiniteDuration()) {
      return absl::InfiniteDuration();
    }
    return options_.socket_timeout + extra_wait;
  }

  // Admits `n` commands of `bytes` packed bytes, or says why not.
  absl::Status AdmitLocked(size_t n, size_t bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (closing_) {
      return ConnectionError(
          absl::StrCat("connection to ", address_, " is closed"));
    }
    if (in_flight_.load(std::memory_order_relaxed) + static_cast<int64_t>(n) >
        async_.max_in_flight) {
      return MakeError(
          absl::StatusCode::kResourceExhausted, ErrorKind::kPoolExhausted,
          absl::StrCat("connection to ", address_, ": ", async_.max_in_flight,
                       " commands in flight already "
                       "(max_in_flight)"));
    }
    // Unsent bytes: those not yet handed to the loop, plus those the loop
    // holds because the socket has not taken them (a slow or stopped
    // server would otherwise let them grow without bound).
    const size_t queued =
        out_.size() + unsent_bytes_.load(std::memory_order_relaxed);
    if (bytes > async_.max_queued_bytes ||
        queued > async_.max_queued_bytes - bytes) {
      return MakeError(
          absl::StatusCode::kResourceExhausted, ErrorKind::kPoolExhausted,
          absl::StrCat("connection to ", address_, ": a command of ", bytes,
                       " bytes would take the ", queued,
                       " bytes not yet written past max_queued_bytes (",
                       async_.max_queued_bytes, ")"));
    }
    return absl::OkStatus();
  }

  void EnqueueLocked(const Pending& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    in_flight_.fetch_add(1, std::memory_order_relaxed);
    queued_.push_back(p);
    if (p.deadline < queued_min_deadline_) queued_min_deadline_ = p.deadline;
    ScheduleFlushLocked();
  }

  void ScheduleFlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (flush_scheduled_) return;
    flush_scheduled_ = true;
    if (loop_.InLoopThread()) {
      loop_.Defer([self = shared_from_this()] { self->Flush(); });
    } else {
      loop_.Post([self = shared_from_this()] { self->Flush(); });
    }
  }

  void RunOnLoop(EventLoop::Callback fn) {
    if (loop_.InLoopThread()) {
      fn();
    } else {
      loop_.Post(std::move(fn));
    }
  }

  // --- Loop thread: connecting ------------------------------------------

  void BeginAttempt() {
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
    async_.resolve().Then([weak, attempt](absl::StatusOr<Endpoint> endpoint) {
      std::shared_ptr<ConnectionCore> self = weak.lock();
      if (self == nullptr) return;
      self->RunOnLoop([self, attempt, endpoint = std::move(endpoint)] {
        if (self->attempt_id_ != attempt || self->closed_on_loop_ ||
            self->phase_on_loop_ != Phase::kConnecting) {
          return;
        }
        if (!endpoint.ok()) return self->AttemptFailed(endpoint.status());
        self->ConnectToHost(endpoint->host, endpoint->port);
      });
    });
  }

  void ConnectToHost(const std::string& host, int port) {
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

  void OnAddresses(valkey::internal::LookupResult found) {
    if (!found.ok()) return AttemptFailed(found.status());
    addresses_ = *std::move(found);
    ConnectFirstAddress();
  }

  void ConnectFirstAddress() {
    next_address_ = 0;
    last_connect_error_ =
        ConnectionError(absl::StrCat("connect to ", target_, ": no address"));
    ConnectNextAddress();
  }

  void ConnectNextAddress() {
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

  void OnConnectFinished() {
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

  // Fails the attempt at `when` unless it is ready by then.
  void ArmConnectTimer(absl::Time when) {
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

  void AdvanceTls() {
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

  // The OCSP responder must be asked (responder mode, nothing stapled):
  // on a helper thread, which takes the session along, so the loop goes on
  // serving other connections for the up to ocsp_responder_timeout that
  // takes. The socket is left alone meanwhile; the connect deadline moves
  // out by that time-out (it adds to connect_timeout, as for the blocking
  // client). A late answer finds another attempt (or a closed connection)
  // and is dropped, the session with it.
  void QueryResponder() {
    SetInterest(0);
    responder_query_running_ = true;
    ArmConnectTimer(connect_deadline_ +
                    options_.tls.ocsp_responder_timeout);
    const uint64_t attempt = attempt_id_;
    std::weak_ptr<ConnectionCore> weak = weak_from_this();
    auto session = std::make_shared<std::unique_ptr<TlsSession>>(
        std::move(tls_session_));
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

  void StartHandshake() {
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

  // A handshake-phase reply. Returns false once the attempt has failed.
  bool OnHandshakeReply(const Reply& reply) {
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

  void BecomeReady() {
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

  // A connect attempt failed: commands waiting for it fail with its error.
  void AttemptFailed(absl::Status error) {
    // Only an attempt under way can fail (not a ready connection, nor one
    // already waiting to reconnect).
    if (closed_on_loop_ || phase_on_loop_ == Phase::kReady ||
        phase_on_loop_ == Phase::kBackoff) {
      return;
    }
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

  // An established connection broke: written commands fail, unwritten ones
  // wait for the next connection.
  void Lost(absl::Status error) {
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

  void ScheduleReconnect() {
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

  void FailAll(const absl::Status& error, bool include_queued) {
    if (deadline_timer_ != 0) {
      loop_.Cancel(deadline_timer_);
      deadline_timer_ = 0;
      armed_deadline_ = absl::InfiniteFuture();
    }
    RingQueue<Pending> failed;
    failed.swap(inflight_);
    if (include_queued) {
      absl::MutexLock lock(&mu_);
      for (Pending& p : queued_) failed.push_back(p);
      queued_.clear();
      out_.clear();
      queued_min_deadline_ = absl::InfiniteFuture();
    }
    writing_.clear();
    write_offset_ = 0;
    NoteUnsent();
    for (Pending& p : failed) {
      if (p.no_reply) continue;
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
      if (!p.expired) p.Complete(error);
    }
    if (!include_queued) {
      // Unwritten commands stay queued; their deadlines still count.
      absl::Time min;
      {
        absl::MutexLock lock(&mu_);
        min = queued_min_deadline_;
      }
      ArmDeadline(min);
    }
  }

  // --- Loop thread: traffic ---------------------------------------------

  void OnSocketEvent(uint32_t events) {
    switch (phase_on_loop_) {
      case Phase::kConnecting:
        return OnConnectFinished();
      case Phase::kTls:
        if (responder_query_running_) {
          // Only a hang-up or an error can arrive (no interest is set):
          // the server is gone, whatever the responder says.
          return AttemptFailed(ConnectionError(absl::StrCat(
              "connect to ", target_,
              ": connection closed while the OCSP responder was asked")));
        }
        if (events & (EventLoop::kReadable | EventLoop::kError)) {
          if (absl::Status s = ReceiveCiphertext(); !s.ok()) {
            return AttemptFailed(s);
          }
        }
        if (events & EventLoop::kWritable) {
          if (absl::Status s = SendCiphertext(); !s.ok()) {
            return AttemptFailed(s);
          }
        }
        return AdvanceTls();
      case Phase::kHandshake:
      case Phase::kReady:
        if (events & EventLoop::kWritable) {
          if (absl::Status s = WriteOut(); !s.ok()) return Broke(s);
        }
        if (events & (EventLoop::kReadable | EventLoop::kError)) ReadIn();
        return;
      default:
        return;
    }
  }

  // Moves queued commands into the write buffer and writes.
  void Flush() {
    absl::Time min;
    bool have_data;
    {
      absl::MutexLock lock(&mu_);
      flush_scheduled_ = false;
      if (phase_ != Phase::kReady) {
        min = queued_min_deadline_;
        have_data = false;
      } else {
        if (write_offset_ == writing_.size()) {
          writing_.clear();
          write_offset_ = 0;
        }
        bool any_expired = false;
        bool any_no_reply = false;
        for (const Pending& p : queued_) {
          any_expired |= p.expired;
          any_no_reply |= p.no_reply;
        }
        if (any_expired) {
          // Commands whose callers were already told DEADLINE_EXCEEDED are
          // not sent at all.
          size_t offset = 0;
          for (const Pending& p : queued_) {
            if (!p.expired) writing_.append(out_, offset, p.bytes);
            offset += p.bytes;
          }
          out_.clear();
        } else if (writing_.empty()) {
          writing_.swap(out_);
        } else {
          writing_.append(out_);
          out_.clear();
        }
        min = absl::InfiniteFuture();
        uint64_t moved = 0;
        const absl::Time now = absl::Now();
        if (inflight_.empty() && !any_expired && !any_no_reply) {
          // The common case when callers run in step (a batch of replies
          // resumes them all, and their next commands form the next
          // batch): the queue becomes the in-flight queue as it is, the
          // emptied in-flight ring becomes the queue. No element moves.
          for (Pending& p : queued_) {
            if (p.timeout != absl::InfiniteDuration()) {
              p.deadline = now + p.timeout;
            }
            min = std::min(min, p.deadline);
          }
          moved = queued_.size();
          inflight_.swap(queued_);
        } else {
          while (!queued_.empty()) {
            Pending p = queued_.take_front();
            if (p.no_reply) continue;
            if (p.expired) {
              in_flight_.fetch_sub(1, std::memory_order_relaxed);
              continue;
            }
            ++moved;
            if (p.timeout != absl::InfiniteDuration()) {
              p.deadline = now + p.timeout;
            }
            min = std::min(min, p.deadline);
            inflight_.push_back(std::move(p));
          }
        }
        commands_.fetch_add(moved, std::memory_order_relaxed);
        queued_min_deadline_ = absl::InfiniteFuture();
        have_data = write_offset_ < writing_.size();
        // Under mu_, so that no submitter sees out_ emptied without the
        // bytes showing up here.
        NoteUnsent();
      }
    }
    ArmDeadline(min);
    if (have_data) {
      if (absl::Status s = WriteOut(); !s.ok()) Broke(s);
    }
  }

  // Writes as much of writing_ as the socket takes; asks for writability
  // while something is left.
  absl::Status WriteOut() {
    if (tls_session_ != nullptr) {
      while (write_offset_ < writing_.size()) {
        size_t taken = 0;
        absl::StatusOr<TlsSession::Progress> p = tls_session_->Write(
            absl::string_view(writing_).substr(write_offset_), &taken);
        if (!p.ok()) return p.status();
        write_offset_ += taken;
        if (absl::Status s = SendCiphertext(); !s.ok()) return s;
        if (taken == 0) break;  // Session full until ciphertext drains.
      }
      const bool more = write_offset_ < writing_.size() ||
                        !tls_session_->PendingOutput().empty();
      SetInterest(EventLoop::kReadable | (more ? EventLoop::kWritable : 0));
      NoteUnsent();
      return absl::OkStatus();
    }
    while (write_offset_ < writing_.size()) {
      const ssize_t n = ::send(fd_, writing_.data() + write_offset_,
                               writing_.size() - write_offset_, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return ErrnoError(errno, absl::StrCat("write to ", address_));
      }
      writes_.fetch_add(1, std::memory_order_relaxed);
      write_offset_ += static_cast<size_t>(n);
    }
    const bool more = write_offset_ < writing_.size();
    if (!more) {
      writing_.clear();
      write_offset_ = 0;
    }
    SetInterest(EventLoop::kReadable | (more ? EventLoop::kWritable : 0));
    NoteUnsent();
    return absl::OkStatus();
  }

  // Sends the ciphertext the TLS session has queued (as much as fits).
  absl::Status SendCiphertext() {
    for (;;) {
      absl::string_view out = tls_session_->PendingOutput();
      if (out.empty()) return absl::OkStatus();
      const ssize_t n = ::send(fd_, out.data(), out.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return absl::OkStatus();
        return ErrnoError(errno, absl::StrCat("write to ", address_));
      }
      writes_.fetch_add(1, std::memory_order_relaxed);
      tls_session_->ConsumeOutput(static_cast<size_t>(n));
    }
  }

  // Reads ciphertext into the TLS session. EOF is an error.
  absl::Status ReceiveCiphertext() {
    char buf[16 * 1024];
    for (;;) {
      const size_t room = std::min(sizeof(buf), tls_session_->InputCapacity());
      if (room == 0) return absl::OkStatus();
      const ssize_t n = ::recv(fd_, buf, room, 0);
      if (n > 0) {
        tls_session_->FeedInput(absl::string_view(buf, n));
        if (static_cast<size_t>(n) < room) return absl::OkStatus();
        continue;
      }
      if (n == 0) {
        return ConnectionError(absl::StrCat("read from ", address_,
                                            ": connection closed by "
                                            "server"));
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return absl::OkStatus();
      return ErrnoError(errno, absl::StrCat("read from ", address_));
    }
  }

  // Reads what the socket has and dispatches every complete reply.
  void ReadIn() {
    absl::Status s = tls_session_ != nullptr ? ReadTls() : ReadPlain();
    // Replies that arrived before an error are still delivered.
    if (!Dispatch()) return;
    if (!s.ok()) Broke(s);
  }

  absl::Status ReadPlain() {
    for (int rounds = 0; rounds < 4; ++rounds) {
      absl::Span<char> space = reader_.PrepareFeed(kReadChunk);
      const ssize_t n = ::recv(fd_, space.data(), space.size(), 0);
      if (n > 0) {
        reader_.CommitFeed(static_cast<size_t>(n));
        if (static_cast<size_t>(n) < space.size()) return absl::OkStatus();
        continue;
      }
      reader_.CommitFeed(0);
      if (n == 0) {
        return ConnectionError(absl::StrCat("read from ", address_,
                                            ": connection closed by server"));
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return absl::OkStatus();
      return ErrnoError(errno, absl::StrCat("read from ", address_));
    }
    return absl::OkStatus();
  }

  absl::Status ReadTls() {
    absl::Status received = ReceiveCiphertext();
    for (;;) {
      absl::Span<char> space = reader_.PrepareFeed(kReadChunk);
      size_t got = 0;
      absl::StatusOr<TlsSession::Progress> p =
          tls_session_->Read(space.data(), space.size(), &got);
      reader_.CommitFeed(got);
      if (!p.ok()) return p.status();
      if (got == 0) break;
    }
    // The session may have produced output (key updates).
    if (absl::Status s = SendCiphertext(); !s.ok()) return s;
    return received;
  }

  // Delivers parsed replies. Returns false if the connection broke.
  bool Dispatch() {
    Reply reply;
    for (;;) {
      const RespReader::Result r = reader_.Read(&reply);
      if (r == RespReader::Result::kNeedMore) return true;
      if (r == RespReader::Result::kError) {
        Broke(reader_.status());
        return false;
      }
      if (phase_on_loop_ == Phase::kHandshake) {
        if (!OnHandshakeReply(reply)) return false;
        continue;
      }
      if (reply.type() == ReplyType::kPush) {
        if (async_.on_push) async_.on_push(std::move(reply));
        continue;
      }
      if (inflight_.empty()) {
        if (async_.push_unmatched_replies && async_.on_push) {
          async_.on_push(std::move(reply));
          continue;
        }
        Broke(ProtocolError(absl::StrCat("read from ", address_,
                                         ": a reply arrived that no command "
                                         "awaits")));
        return false;
      }
      Pending p = inflight_.take_front();
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
      if (p.expired) continue;
      if (reply.is_error() && async_.drop_on_readonly &&
          absl::StartsWith(reply.view().str(), "READONLY")) {
        // The master was demoted: fail as a connection error (retryable)
        // and reconnect, which asks where the master is now.
        const absl::Status demoted = ConnectionError(absl::StrCat(
            absl::AsciiStrToUpper(p.Name()), " on ", target_,
            ": the server is no longer a master (",
            p.Secrets().Scrub(reply.view().str()), ")"));
        p.Complete(demoted);
        if (phase_on_loop_ == Phase::kReady) Lost(demoted);
        return false;
      }
      if (reply.is_error()) {
        p.Complete(CommandErrorStatus(
            reply.view(), p.Secrets(),
            absl::StrCat(absl::AsciiStrToUpper(p.Name()), " on ", address_)));
      } else {
        p.Complete(std::move(reply));
      }
      if (phase_on_loop_ != Phase::kReady) return false;  // Closed by a sink.
    }
  }

  void Broke(absl::Status error) {
    if (phase_on_loop_ == Phase::kReady) {
      Lost(Annotate(error, absl::StrCat("connection to ", address_, " lost")));
    } else if (phase_on_loop_ != Phase::kBackoff &&
               phase_on_loop_ != Phase::kClosed) {
      AttemptFailed(error);
    }
  }

  // --- Loop thread: deadlines -------------------------------------------

  void ArmDeadline(absl::Time when) {
    if (closed_on_loop_ || when >= armed_deadline_) return;
    if (deadline_timer_ != 0) loop_.Cancel(deadline_timer_);
    armed_deadline_ = when;
    deadline_timer_ = loop_.RunAt(when, [this, weak = weak_from_this()] {
      auto keep_alive = weak.lock();
      if (keep_alive == nullptr) return;
      deadline_timer_ = 0;
      armed_deadline_ = absl::InfiniteFuture();
      ExpireDue();
    });
  }

  void ExpireDue() {
    const absl::Time now = absl::Now();
    const absl::Status late = TimeoutError(
        absl::StrCat("no reply from ", address_, " within ",
                     absl::FormatDuration(options_.socket_timeout)));
    absl::Time next = absl::InfiniteFuture();
    std::vector<ReplySink> expired;
    for (Pending& p : inflight_) {
      if (p.expired) continue;
      if (p.deadline <= now) {
        p.expired = true;
        expired.push_back(p.sink);
      } else {
        next = std::min(next, p.deadline);
      }
    }
    {
      absl::MutexLock lock(&mu_);
      queued_min_deadline_ = absl::InfiniteFuture();
      for (Pending& p : queued_) {
        if (p.expired || p.no_reply) continue;
        if (p.deadline <= now) {
          p.expired = true;
          expired.push_back(p.sink);
        } else {
          next = std::min(next, p.deadline);
          queued_min_deadline_ = std::min(queued_min_deadline_, p.deadline);
        }
      }
    }
    const bool oldest_late = !inflight_.empty() &&
                             inflight_.front().deadline <= now &&
                             phase_on_loop_ == Phase::kReady;
    for (const ReplySink& sink : expired) sink.fn(sink.ctx, sink.aux, late);
    if (oldest_late) {
      Lost(ConnectionError(
          absl::StrCat("connection to ", address_, " dropped: no reply within ",
                       absl::FormatDuration(options_.socket_timeout))));
      return;
    }
    ArmDeadline(next);
  }

  // --- Loop thread: plumbing --------------------------------------------

  // Publishes how much of writing_ the socket has not taken, for
  // AdmitLocked. Only command bytes count: the handshake's are not the
  // callers'. It grows only in Flush, under mu_; elsewhere it shrinks, so a
  // submitter reading a stale value refuses early, never late.
  void NoteUnsent() {
    unsent_bytes_.store(phase_on_loop_ == Phase::kReady
                            ? writing_.size() - write_offset_
                            : 0,
                        std::memory_order_relaxed);
  }

  void SetInterest(uint32_t events) {
    if (fd_ < 0 || events == interest_) return;
    interest_ = events;
    (void)loop_.Modify(fd_, events);
  }

  void SetPhase(Phase phase) {
    phase_on_loop_ = phase;
    absl::MutexLock lock(&mu_);
    phase_ = phase;
  }

  void CloseSocket() {
    if (fd_ >= 0) {
      loop_.Unwatch(fd_);
      ::close(fd_);
      fd_ = -1;
    }
    interest_ = 0;
    tls_session_.reset();
    responder_query_running_ = false;
  }

  void CloseOnLoop() {
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

  EventLoop& loop_;
  const ConnectionOptions options_;
  const AsyncOptions async_;
  const std::shared_ptr<const TlsContext> tls_;
  const std::string address_;

  // Shared with submitters.
  mutable absl::Mutex mu_;
  std::string out_ ABSL_GUARDED_BY(mu_);
  // Rings, not deques: no allocation per command in steady state.
  RingQueue<Pending> queued_ ABSL_GUARDED_BY(mu_);
  absl::Time queued_min_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool flush_scheduled_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  Phase phase_ ABSL_GUARDED_BY(mu_) = Phase::kIdle;

  std::atomic<int64_t> in_flight_{0};
  std::atomic<size_t> unsent_bytes_{0};  // See NoteUnsent().
  std::atomic<int> protocol_{0};
  std::atomic<uint64_t> connects_{0};
  std::atomic<uint64_t> failed_attempts_{0};
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> commands_{0};

  // Loop thread only.
  Phase phase_on_loop_ = Phase::kIdle;
  bool closed_on_loop_ = false;
  int fd_ = -1;
  uint32_t interest_ = 0;
  uint64_t attempt_id_ = 0;
  std::string host_;  // Of the current attempt (TCP).
  int port_ = 0;
  std::string target_;  // The current attempt's peer, for messages.
  std::unique_ptr<TlsSession> tls_session_;
  // The session is away on a helper thread asking the OCSP responder
  // (QueryResponder); socket events are not for it meanwhile.
  bool responder_query_running_ = false;
  absl::Time connect_deadline_;  // Of the current attempt.
  std::vector<valkey::internal::SocketAddress> addresses_;
  size_t next_address_ = 0;
  absl::Status last_connect_error_;
  std::optional<HandshakePlan> plan_;
  size_t handshake_index_ = 0;
  size_t setup_remaining_ = 0;
  absl::Status handshake_error_;
  int protocol_seen_ = 2;
  std::string writing_;
  size_t write_offset_ = 0;
  RingQueue<Pending> inflight_;
  RespReader reader_;
  EventLoop::TimerId connect_timer_ = 0;
  EventLoop::TimerId reconnect_timer_ = 0;
  EventLoop::TimerId deadline_timer_ = 0;
  absl::Time armed_deadline_ = absl::InfiniteFuture();
  int failures_ = 0;
  Backoff backoff_ = options_.retry.backoff;
  absl::BitGen gen_;
};

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
