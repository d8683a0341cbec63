// ConnectionCore: the state behind an async::Connection handle; connection.h
// states the contract. Internal to //valkey/async:connection.
//
// One class, its methods in four files by concern:
//   connection_queue.cc      admission (max_in_flight, max_queued_bytes) and
//                            the submit queue, on any thread under mu_; and
//                            Flush, which moves that queue into the write
//                            buffer and the in-flight queue on the loop
//   connection_connect.cc    the connect state machine: resolve (Sentinel,
//                            DNS off the loop), connect each address, TLS
//                            (OCSP responder asked off the loop), handshake,
//                            ready; loss, reconnect with backoff, close
//   connection_stream.cc     socket traffic: writes, reads, TLS records, and
//                            reply dispatch to the oldest in-flight command
//   connection_deadlines.cc  reply deadlines (one loop timer for the
//                            earliest) and failing commands wholesale
//
// The per-command helpers (AdmitLocked, EnqueueLocked, ... ; ReadIn,
// Dispatch, ...) are defined `inline` in the one file that calls them, so
// splitting the class costs the hot path no calls: instructions per GET at
// depth 50 stay as they were (docs/benchmarks.md).
//
// Threading: members under mu_ are shared with submitters on any thread;
// the atomics are read by any thread for admission and stats; everything
// else belongs to the loop thread. Handlers and timers hold a reference
// while they run: a reply sink may destroy the last Connection handle.

#ifndef VALKEY_ASYNC_CONNECTION_CORE_H_
#define VALKEY_ASYNC_CONNECTION_CORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/async/connection.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/pending_command.h"
#include "valkey/async/ring_queue.h"
#include "valkey/common/backoff.h"
#include "valkey/common/handshake.h"
#include "valkey/common/options.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_reader.h"
#include "valkey/connection/name_lookup.h"
#include "valkey/connection/socket_transport.h"
#include "valkey/connection/tls_context.h"
#include "valkey/connection/tls_session.h"

namespace valkey::async::internal {

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

  // --- Any thread (submission: connection_queue.cc; Start, Reconnect,
  // Close: connection_connect.cc) --------------------------------------

  // Begins the first connect attempt (on the loop).
  void Start();

  // Connection::Submit / SubmitPacked / SendUnanswered / Reconnect / Close
  // (connection.h), minus the fork check the handle does first.
  void Submit(absl::Span<const CommandArg> args, ReplySink sink,
              absl::Duration extra_wait);

  void SubmitPacked(absl::string_view packed, absl::Span<const ReplySink> sinks,
                    std::optional<uint64_t> required_connects,
                    absl::Duration extra_wait);

  // Shows the observer the commands of `packed` (as AppendCommand writes
  // them), one span of arguments per command.
  void ObservePacked(absl::string_view packed, absl::Span<ReplySink> sinks);

  void SendUnanswered(absl::Span<const CommandArg> args);

  void Reconnect(std::string reason);

  void Close();

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
  // --- Submission helpers, mu_ held (connection_queue.cc) ---------------

  absl::Duration ReplyTimeout(absl::Duration extra_wait) const;

  // Admits `n` commands of `bytes` packed bytes, or says why not.
  absl::Status AdmitLocked(size_t n, size_t bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  void EnqueueLocked(const Pending& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  void ScheduleFlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  void RunOnLoop(EventLoop::Callback fn) {
    if (loop_.InLoopThread()) {
      fn();
    } else {
      loop_.Post(std::move(fn));
    }
  }

  // --- Loop thread: connecting (connection_connect.cc) -------------------

  void BeginAttempt();

  // The route's next endpoint (the attempt has a route, and one is left).
  void ConnectToNextEndpoint();

  // An attempt on one endpoint of the route failed with `error`: moves on
  // to the next endpoint and returns true, or, after the last one, returns
  // false with `error` replaced by route_.none_reachable(errors) if set.
  bool TryNextEndpoint(absl::Status& error);

  void ConnectToHost(const std::string& host, int port);

  void OnAddresses(valkey::internal::LookupResult found);

  void ConnectFirstAddress();

  void ConnectNextAddress();

  void OnConnectFinished();

  // Fails the attempt at `when` unless it is ready by then.
  void ArmConnectTimer(absl::Time when);

  void AdvanceTls();

  // The OCSP responder must be asked (responder mode, nothing stapled):
  // on a helper thread, which takes the session along, so the loop goes on
  // serving other connections for the up to ocsp_responder_timeout that
  // takes. The socket is left alone meanwhile; the connect deadline moves
  // out by that time-out (it adds to connect_timeout, as for the blocking
  // client). A late answer finds another attempt (or a closed connection)
  // and is dropped, the session with it.
  void QueryResponder();

  void StartHandshake();

  // A handshake-phase reply. Returns false once the attempt has failed.
  bool OnHandshakeReply(const Reply& reply);

  void BecomeReady();

  // A connect attempt failed: commands waiting for it fail with its error.
  void AttemptFailed(absl::Status error);

  // An established connection broke: written commands fail, unwritten ones
  // wait for the next connection.
  void Lost(absl::Status error);

  void ScheduleReconnect();

  // --- Loop thread: traffic (connection_stream.cc; Flush in
  // connection_queue.cc) ---------------------------------------------------

  void OnSocketEvent(uint32_t events);

  // Moves queued commands into the write buffer and writes.
  void Flush();

  // Writes as much of writing_ as the socket takes; asks for writability
  // while something is left.
  absl::Status WriteOut();

  // Sends the ciphertext the TLS session has queued (as much as fits).
  absl::Status SendCiphertext();

  // Reads ciphertext into the TLS session. EOF is an error.
  absl::Status ReceiveCiphertext();

  // Reads what the socket has and dispatches every complete reply.
  void ReadIn();

  absl::Status ReadPlain();

  absl::Status ReadTls();

  // Delivers parsed replies. Returns false if the connection broke.
  bool Dispatch();

  void Broke(absl::Status error);

  // --- Loop thread: deadlines (connection_deadlines.cc) ------------------

  // Runs ExpireDue at `when` unless a timer for an earlier time is armed.
  void ArmDeadline(absl::Time when);

  // Fails every command whose deadline has passed with DEADLINE_EXCEEDED;
  // drops the connection if the oldest one written is among them.
  void ExpireDue();

  // Fails the in-flight commands (and with `include_queued` the unwritten
  // ones too) with `error`; re-arms the deadline of those left queued.
  void FailAll(const absl::Status& error, bool include_queued);

  // --- Loop thread: plumbing (connection_stream.cc, connection_connect.cc)

  // Publishes how much of writing_ the socket has not taken, for
  // AdmitLocked. Only command bytes count: the handshake's are not the
  // callers'. It grows only in Flush, under mu_; elsewhere it shrinks, so a
  // submitter reading a stale value refuses early, never late.
  void NoteUnsent() {
    unsent_bytes_.store(
        phase_on_loop_ == Phase::kReady ? writing_.size() - write_offset_ : 0,
        std::memory_order_relaxed);
  }

  void SetInterest(uint32_t events) {
    if (fd_ < 0 || events == interest_) return;
    interest_ = events;
    (void)loop_.Modify(fd_, events);
  }

  void SetPhase(Phase phase);

  void CloseSocket();

  void CloseOnLoop();

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
  // With AsyncOptions::resolve: the current attempt's route, the index of
  // the endpoint after the one being tried (0: none under way), and the
  // errors of those tried so far.
  Route route_;
  size_t next_endpoint_ = 0;
  std::vector<std::string> route_errors_;
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

}  // namespace valkey::async::internal

#endif  // VALKEY_ASYNC_CONNECTION_CORE_H_
