// async::Connection: one multiplexed, non-blocking connection to a Valkey
// server, driven by an EventLoop.
//
//   auto loop = *EventLoopThread::Start();
//   absl::StatusOr<Connection> conn = Connection::Create(loop->loop(),
//   options); Future<Reply> pong = conn->Execute("PING");          // from any
//   thread absl::StatusOr<Reply> r = pong.Get();                 // or co_await
//
// Multiplexing: any number of callers, on any threads, share the socket.
// Replies are matched to commands in FIFO order. Commands issued during one
// loop turn (or between two flushes, from other threads) are written with one
// syscall: auto-pipelining, no batching API needed.
//
// Connecting: TCP (every resolved address in turn), Unix or TLS over TCP,
// non-blocking, bounded by connect_timeout; then the same handshake as the
// blocking connection (HandshakePlan: HELLO/AUTH/SETNAME/SETINFO/SELECT in
// one round trip), then `setup_commands`. Commands submitted meanwhile wait
// and go out once the handshake succeeds; if the attempt fails, they fail
// with its error.
//
// Deadlines: each command must be answered within options.socket_timeout
// (infinite: no deadline) of being written, plus, for blocking commands,
// their own server-side time-out. A late command fails with
// DEADLINE_EXCEEDED when its deadline passes (a loop timer; no thread
// waits). Its reply, should it still come, is consumed and dropped, so later
// replies still match. If the *oldest* unanswered command is late, the
// server is deemed dead or stuck: the connection is dropped and reconnects.
// A command waiting for the connection is bounded by the connect attempt
// instead (connect_timeout): it fails with the attempt's error, or goes out
// once the connection is up — as with the blocking client, which connects
// first and then waits socket_timeout for the reply.
//
// Failures: on connection loss (EOF, reset, malformed reply, late oldest
// reply) every command already written fails with UNAVAILABLE (kConnection)
// — after a malformed reply, or one over options.reader_limits, with that
// DATA_LOSS (kProtocol) status naming the limit instead. Whether the server
// ran them is unknown, so nothing is resent. The connection reconnects at
// once, then with options.retry.backoff between failed attempts (at least
// 10 ms). Commands not yet written are kept for the next connection.
//
// Limits: at most `max_in_flight` commands queued or awaiting replies, and
// at most `max_queued_bytes` bytes of commands not yet written to the
// socket; a command beyond either fails at once with RESOURCE_EXHAUSTED
// (kPoolExhausted) without being sent.
//
// Pushes: RESP3 push messages (invalidations, pub/sub) go to the push
// handler on the loop's thread, never to a command's caller.
//
// Thread-safety: every method may be called from any thread. Reply sinks,
// push handlers and the on-connected hook run on the loop's thread (a sink
// runs on the caller's thread when the command fails before being queued).
// Destroying the Connection closes it: unanswered commands fail with
// CANCELLED. The EventLoop must outlive it.
//
// Fork: in a fork()ed child, Submit and SubmitPacked (and so Execute) fail
// every command at once with FAILED_PRECONDITION, on the caller's thread;
// see event_loop.h.

#ifndef VALKEY_ASYNC_CONNECTION_H_
#define VALKEY_ASYNC_CONNECTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/common/options.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"

namespace valkey::async {

// A TCP address to connect to (see AsyncOptions::resolve). `note` follows
// "host:port" where the endpoint is named in errors (" (master)").
struct Endpoint {
  std::string host;
  int port = 0;
  std::string note;
};

// Where a connect attempt may go (AsyncOptions::resolve): the endpoints
// are tried in order, each within its own connect_timeout, until one is
// ready (connected, TLS, handshake and setup_commands done). When every one
// fails, the attempt fails with none_reachable(errors), one
// "<host:port><note> - <error>" per endpoint in order, or, when that is
// unset, with the last endpoint's error. No endpoints: none_reachable({})
// (or UNAVAILABLE).
struct Route {
  std::vector<Endpoint> endpoints;
  std::function<absl::Status(const std::vector<std::string>& errors)>
      none_reachable;
};

// Where a command's outcome goes: fn(ctx, aux, outcome), called exactly
// once. An error reply arrives as its status, annotated
// "<COMMAND> on <address>: ...". `aux` is free for the sink's own use (the
// async client passes the reply converter).
struct ReplySink {
  using Fn = void (*)(void* ctx, void* aux, absl::StatusOr<Reply> outcome);
  Fn fn = nullptr;
  void* ctx = nullptr;
  void* aux = nullptr;
};

// Sees every command a connection queues (Submit and SubmitPacked alike)
// before it is queued, on the submitting thread and under no lock of the
// connection, and may replace each command's sink (to act when its reply
// arrives). One call per Submit (one command) or SubmitPacked (the whole
// unit, so that a MULTI ... EXEC block is seen whole). The async client's
// cache uses it to invalidate the keys of its own writes.
class SubmitObserver {
 public:
  virtual ~SubmitObserver() = default;
  virtual void OnSubmit(absl::Span<const absl::Span<const CommandArg>> commands,
                        absl::Span<ReplySink> sinks) = 0;
};

struct AsyncOptions {
  // Commands queued or awaiting a reply on one connection, at most.
  int max_in_flight = 1 << 16;
  // Bytes of packed commands accepted but not yet written to the socket
  // (waiting for the connection, or for a server that reads slowly), at
  // most; >= 1. A command that would take them past this fails at once
  // with RESOURCE_EXHAUSTED (kPoolExhausted) without being sent — so a
  // single command larger than this can never be sent. Default: 256 MiB,
  // i.e. max_in_flight commands of 4 KiB each: ordinary traffic meets the
  // command count first, single values up to ~256 MiB still go through
  // (raise it for larger ones; the server accepts up to its
  // proto-max-bulk-len, 512 MiB by default).
  size_t max_queued_bytes = size_t{256} << 20;
  // Sent after the handshake on every (re)connect, each as one command
  // (e.g. {"CLIENT", "TRACKING", "ON"}); an error reply fails the attempt.
  std::vector<std::vector<std::string>> setup_commands;
  // On connection loss, commands not yet written wait for the next
  // connection (true) or fail with the loss (false: for exclusive
  // connections, whose commands depend on state the loss destroyed, such
  // as WATCH).
  bool keep_unwritten_on_loss = true;

  // Where to connect, asked at the start of every attempt instead of using
  // options.host/port (Sentinel discovery; see Route). An error fails the
  // attempt. Then `address_label` names the connection in command error
  // messages ("GET on <label>"); connect errors name the endpoint too.
  std::function<Future<Route>()> resolve;
  std::string address_label;
  // Judges the reply to setup_commands[i], error replies included; an error
  // fails the attempt (e.g. ROLE is not "master"), OK accepts the reply
  // (a setup step that may be refused). Unset: an error reply fails.
  std::function<absl::Status(size_t i, const Reply& reply)> check_setup_reply;
  // A READONLY error reply means the master was demoted: the command fails
  // with UNAVAILABLE (kConnection, so a retry policy re-runs it) and the
  // connection reconnects, resolving again.
  bool drop_on_readonly = false;
  // When a read brings the replies of a deep queue (>= 32 commands in
  // flight), the commands their callers issue as they resume are written
  // in two sends: the first as soon as half of those replies have been
  // handed out, so the server executes it while the loop resumes the other
  // half; the rest at the end of the loop's turn. Callers that issue their
  // next command on resumption (coroutines, continuations on the loop)
  // then keep both the server and the loop busy: at 50 in flight ~1.3x the
  // GET/s of one write per turn, at a lower p50, for ~0.1-0.3 us more
  // client CPU per command (docs/benchmarks.md). false: everything issued
  // in a turn goes out in one send() at its end (least CPU per command).
  // Replies match commands in order either way.
  bool write_during_dispatch = true;
  // Read by async::Client only: how many multiplexed connections its
  // commands are spread over (round-robin). >= 1.
  int shared_connections = 1;

  // Hooks, run on the loop's thread:
  // Receives RESP3 pushes (invalidations, pub/sub messages) — and, with
  // push_unmatched_replies, any reply that arrives while no command awaits
  // one (RESP2 pub/sub messages).
  std::function<void(Reply)> on_push;
  bool push_unmatched_replies = false;
  // After every successful handshake (and the setup commands), before
  // queued commands are written.
  std::function<void()> on_connected;
  // When an established connection is lost (not when it is closed).
  std::function<void(const absl::Status&)> on_disconnected;
  // See SubmitObserver (null: none, no cost).
  std::shared_ptr<SubmitObserver> observer;
};

// A sink that resolves `*future` with the reply itself (no conversion).
ReplySink MakeReplySink(const EventLoop& loop, Future<Reply>* future);

namespace internal {
class ConnectionCore;
}  // namespace internal

class Connection {
 public:
  struct Stats {
    uint64_t connects = 0;  // Successful handshakes.
    uint64_t failed_attempts = 0;
    uint64_t writes = 0;    // write/send system calls for commands.
    uint64_t commands = 0;  // Commands written.
    int64_t in_flight = 0;  // Queued or awaiting a reply now.
  };

  // Validates `options` (as the blocking Connector does) and starts
  // connecting on `loop`.
  // Errors: INVALID_ARGUMENT for bad options or unreadable TLS files.
  static absl::StatusOr<Connection> Create(EventLoop& loop,
                                           ConnectionOptions options,
                                           AsyncOptions async = {});

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  // Sends one command; the future resolves with its reply (an error reply
  // as its status).
  template <typename... Args>
  Future<Reply> Execute(const Args&... args) {
    const CommandArg argv[] = {CommandArg(args)...};
    return ExecuteArgs(absl::Span<const CommandArg>(argv, sizeof...(args)));
  }
  Future<Reply> ExecuteArgs(absl::Span<const CommandArg> args);

  // Low-level submission. `extra_wait` lengthens the deadline of a command
  // the server may hold (BLPOP ...): zero for ordinary commands; infinite
  // for no deadline.
  void Submit(absl::Span<const CommandArg> args, ReplySink sink,
              absl::Duration extra_wait = absl::ZeroDuration());
  // Submits `sinks.size()` commands packed in `packed` (well-formed RESP
  // arrays, as AppendCommand writes them) as one unit: nothing from other
  // callers comes between them (MULTI ... EXEC). With `required_connects`,
  // the commands fail with ABORTED instead of being sent unless
  // stats().connects still equals it (no reconnect since, e.g., WATCH).
  // `extra_wait` as for Submit.
  void SubmitPacked(absl::string_view packed, absl::Span<const ReplySink> sinks,
                    std::optional<uint64_t> required_connects = std::nullopt,
                    absl::Duration extra_wait = absl::ZeroDuration());
  // Sends a command whose replies are not matched to callers (pub/sub
  // SUBSCRIBE and friends, whose confirmations are pushes). Dropped while
  // disconnected: use the on-connected hook to redo such state.
  void SendUnanswered(absl::Span<const CommandArg> args);

  // True while the handshake has completed and the connection is up.
  bool connected() const;
  // The protocol the last handshake settled (2 or 3; 0 before).
  int protocol() const;
  const std::string& address() const;
  const ConnectionOptions& options() const;
  EventLoop& loop() const;
  Stats stats() const;

  // Drops the connection if it is up (written commands fail UNAVAILABLE
  // with `reason`) and reconnects — resolving again, with a resolver. The
  // drop happens on the loop at the end of its current turn (never inside
  // this call), so it may be called from any callback of this connection
  // and under any lock; calls while a reconnect is already under way add
  // nothing (one reconnect at a time).
  void Reconnect(std::string reason);

  // Closes the connection: unanswered commands fail with CANCELLED, later
  // ones with UNAVAILABLE. Idempotent; safe from this connection's own
  // callbacks (no reconnect follows).
  void Close();

 private:
  explicit Connection(std::shared_ptr<internal::ConnectionCore> core);
  std::shared_ptr<internal::ConnectionCore> core_;
};

}  // namespace valkey::async

#endif  // VALKEY_ASYNC_CONNECTION_H_
