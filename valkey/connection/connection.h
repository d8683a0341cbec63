// Connection: one blocking connection to a Valkey server — connect, TLS,
// handshake, then commands and replies.
//
//   absl::StatusOr<std::shared_ptr<const Connector>> connector =
//       Connector::Create(options);
//   absl::StatusOr<std::unique_ptr<Connection>> conn = (*connector)->Connect();
//   absl::StatusOr<Reply> pong = (*conn)->Execute("PING");
//
// A Connector holds what every connection to one server shares (options,
// TLS context, credential provider); pools keep one and call Connect() for
// each new connection.
//
// Failure rule: any I/O, time-out or protocol error marks the connection
// broken(); a broken connection fails every later call with UNAVAILABLE and
// is never reused (a reply half-read cannot be matched to its command any
// more). A server error reply does not break it.
//
// Thread-safety: a Connector is immutable and thread-safe. A Connection is
// used by one thread at a time (pools hand it to one caller at a time).

#ifndef VALKEY_CONNECTION_CONNECTION_H_
#define VALKEY_CONNECTION_CONNECTION_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/common/handshake.h"
#include "valkey/common/options.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_reader.h"
#include "valkey/common/resp_writer.h"
#include "valkey/connection/socket_transport.h"
#include "valkey/connection/tls_context.h"
#include "valkey/connection/transport.h"

namespace valkey {

class Connection;

// The socket settings of `options` for a TCP connection to host:port
// (shared with the async connection).
TcpEndpoint MakeTcpEndpoint(const ConnectionOptions& options,
                            absl::string_view host, int port);

class Connector : public std::enable_shared_from_this<Connector> {
 public:
  // Validates `options` and loads the TLS context once.
  // Errors: INVALID_ARGUMENT for bad options (protocol, port, non-positive
  // time-outs, TLS over a Unix socket, a reader limit of 0) or unreadable
  // TLS files.
  static absl::StatusOr<std::shared_ptr<const Connector>> Create(
      ConnectionOptions options);

  // Opens a connection to options().host:port (or the Unix socket) and runs
  // the handshake, all within options().connect_timeout.
  // Errors: UNAVAILABLE (refused, reset, TLS failure), DEADLINE_EXCEEDED,
  // UNAUTHENTICATED (wrong credentials; the message never holds the
  // password), PERMISSION_DENIED, and whatever the credential provider
  // returns.
  absl::StatusOr<std::unique_ptr<Connection>> Connect() const;

  // Same, to another TCP address with these options (Sentinel resolves the
  // current master's address this way).
  absl::StatusOr<std::unique_ptr<Connection>> ConnectTo(absl::string_view host,
                                                        int port) const;

  const ConnectionOptions& options() const { return options_; }
  // The loaded TLS context; null without TLS. (The async connection shares
  // validation and TLS set-up with this class through it.)
  const std::shared_ptr<const TlsContext>& tls_context() const { return tls_; }

 private:
  Connector(ConnectionOptions options,
            std::shared_ptr<const TlsContext> tls)
      : options_(std::move(options)), tls_(std::move(tls)) {}

  absl::StatusOr<std::unique_ptr<Connection>> Open(
      const std::string& host, int port, const std::string& unix_path) const;

  const ConnectionOptions options_;
  const std::shared_ptr<const TlsContext> tls_;  // Null without TLS.
};

class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends packed RESP bytes (one or many commands) within the socket time-out.
  // With `replies`, the number of replies they will bring (each command
  // answers with one reply, see one_reply_rule.h), the connection knows when
  // all of them have been read; without it, it no longer knows (see
  // HasPendingDataAtCheckout).
  absl::Status Send(absl::string_view packed);
  absl::Status Send(absl::string_view packed, int replies);

  // Packs and sends one command. Arguments: strings, bytes, integers,
  // doubles (see CommandArg). Reuses an internal buffer: no allocation once
  // it has grown to the command's size.
  template <typename... Args>
  absl::Status SendCommand(const Args&... args) {
    out_.clear();
    AppendCommand(out_, args...);
    return Send(out_);
  }
  absl::Status SendCommandArgv(absl::Span<const absl::string_view> argv);

  // Lets `encode(std::string&)` append one or more packed commands to the
  // connection's reusable buffer, then sends them.
  // `replies` as for Send.
  template <typename Encode>
  absl::Status SendEncoded(Encode&& encode) {
    out_.clear();
    encode(out_);
    return Send(out_);
  }
  template <typename Encode>
  absl::Status SendEncoded(Encode&& encode, int replies) {
    out_.clear();
    encode(out_);
    return Send(out_, replies);
  }

  // Reads the next reply that is not a RESP3 push (pushes go to the push
  // handler, or are dropped without one), waiting up to the socket time-out
  // or until `deadline`. A server error reply is returned as a Reply of an
  // error type, not as a failed status.
  // Errors: DEADLINE_EXCEEDED, UNAVAILABLE (EOF, reset), DATA_LOSS
  // (malformed reply, or one over options().reader_limits, naming the
  // limit) — each marks the connection broken.
  absl::StatusOr<Reply> ReadReply();
  absl::StatusOr<Reply> ReadReply(absl::Time deadline);

  // Like ReadReply, but returns pushes too (pub/sub reads them).
  absl::StatusOr<Reply> ReadAny(absl::Time deadline);

  // Sends one command and reads its reply; an error reply becomes its
  // status (see errors.h), annotated with the command name and the server
  // ("GET on 127.0.0.1:6379: WRONGTYPE ..."). For a command that carries a
  // secret (AUTH, CONFIG SET requirepass, ...) the server's text is
  // scrubbed of it first (command_secrets.h).
  template <typename... Args>
  absl::StatusOr<Reply> Execute(const Args&... args) {
    out_.clear();
    AppendCommand(out_, args...);
    return ExecutePacked(out_, CommandArg(FirstOf(args...)).view());
  }
  absl::StatusOr<Reply> ExecuteArgv(absl::Span<const absl::string_view> argv);

  // True if reply bytes are waiting that no command asked for (or the peer
  // closed): such a connection is out of step and must not be reused. Asks
  // the kernel (one system call) unless bytes are buffered already.
  bool HasPendingData();

  // HasPendingData for a connection about to be reused (pools call it at
  // checkout), without the system call when it cannot find anything that
  // matters. True at once when a reply that was sent for is still unread;
  // false without asking the kernel when every reply to what was sent has
  // been read (all sends counted their replies: Send with `replies`) and
  // the connection was last used less than kPendingCheckIdle ago. Then no
  // reply is on its way, and what the server could have sent on its own
  // since (EOF after a CLIENT KILL or restart, a RESP3 push) was caused by
  // something a caller could learn of only through another round trip,
  // which takes longer than that. (Such an event can land just after any
  // check; a check narrows that race, it never closed it: the command then
  // fails with UNAVAILABLE.) Otherwise as HasPendingData.
  bool HasPendingDataAtCheckout();
  static constexpr absl::Duration kPendingCheckIdle = absl::Microseconds(5);

  // Waits until a read would not block — reply bytes, EOF or a socket error
  // are waiting, or the connection is broken (the read then says why) — or
  // `deadline` passes (returns false). Never reads a reply and never marks
  // the connection broken: for readers of unsolicited messages (pub/sub,
  // MONITOR) whose silence is not a failure.
  bool WaitReadable(absl::Time deadline);

  // PINGs the server when the connection has been idle longer than the
  // health-check interval (never during the handshake), waiting at most
  // min(socket_timeout, connect_timeout) for the answer. Errors as
  // ReadReply; an unexpected answer is DATA_LOSS.
  absl::Status CheckHealth();

  // Sends `plan` (HandshakePlan::CreateReauth: one AUTH) and judges the
  // reply, switching the connection to the plan's identity. Blocks up to
  // the socket time-out. A refused AUTH closes the connection (it would
  // otherwise keep its old identity) and returns the server's error as
  // UNAUTHENTICATED/PERMISSION_DENIED naming the user and the server, never
  // the password; I/O errors as ReadReply (the connection is then broken).
  // Pools call it; a caller holding a checked-out connection may too.
  absl::Status Reauthenticate(const HandshakePlan& plan);

  // Marks the connection broken and closes it. Idempotent.
  void Disconnect();

  bool broken() const { return broken_; }
  // The socket descriptor, or -1 once closed: for waiting on it with poll()
  // alongside other descriptors (the client-side cache's reader thread),
  // never for reading or writing. Data may be buffered already (TLS,
  // the RESP reader): check HasPendingData() before waiting.
  int fd() const { return transport_ != nullptr ? transport_->fd() : -1; }
  // False in a child process after fork(): the socket belongs to the parent
  // and must be neither used nor shut down.
  bool OwnedByThisProcess() const;
  // The process that opened the connection (pools compare it with their own
  // fork-checked pid instead of asking the kernel on every checkout).
  pid_t owner_pid() const { return pid_; }
  // The protocol the handshake settled (2 or 3).
  int protocol() const { return protocol_; }
  const std::string& address() const { return address_; }
  absl::Time last_used() const { return last_used_; }
  // The Connector that opened this connection.
  const Connector& connector() const { return *connector_; }

  // Receives RESP3 pushes (invalidations, pub/sub messages) that arrive
  // while ReadReply waits for a command's reply. Runs on the reading thread.
  void set_push_handler(std::function<void(Reply)> handler) {
    push_handler_ = std::move(handler);
  }

 private:
  friend class Connector;
  Connection(std::shared_ptr<const Connector> connector,
             std::unique_ptr<Transport> transport, std::string address);

  absl::Status Handshake(absl::Time deadline);
  absl::StatusOr<Reply> ReadRaw(absl::Time deadline);
  absl::StatusOr<Reply> ExecutePacked(absl::string_view packed,
                                      absl::string_view command);
  absl::Time ReplyDeadline() const;
  absl::Status Broken(absl::Status status);

  template <typename First, typename... Rest>
  static const First& FirstOf(const First& first, const Rest&...) {
    return first;
  }

  std::shared_ptr<const Connector> connector_;
  std::unique_ptr<Transport> transport_;
  const std::string address_;
  RespReader reader_;
  std::string out_;  // Reused command buffer.
  std::function<void(Reply)> push_handler_;
  absl::Time last_used_;
  pid_t pid_;
  // Replies sent for and not read yet; kUnknownReplies after a send that did
  // not count them, a reply nobody sent for, or ReadAny (pub/sub, MONITOR):
  // from then on every checkout asks the kernel.
  static constexpr int64_t kUnknownReplies = -1;
  int64_t replies_owed_ = 0;
  int protocol_ = 2;
  bool broken_ = false;
};

namespace internal {

// Replaces Connection::kPendingCheckIdle while alive, for tests that count
// the system calls of a steady state and must not depend on when the
// scheduler runs them. One at a time; not for production code.
class ScopedPendingCheckIdleForTesting {
 public:
  explicit ScopedPendingCheckIdleForTesting(absl::Duration idle);
  ~ScopedPendingCheckIdleForTesting();
  ScopedPendingCheckIdleForTesting(const ScopedPendingCheckIdleForTesting&) =
      delete;
  ScopedPendingCheckIdleForTesting& operator=(
      const ScopedPendingCheckIdleForTesting&) = delete;
};

}  // namespace internal
}  // namespace valkey

#endif  // VALKEY_CONNECTION_CONNECTION_H_
