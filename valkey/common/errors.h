// Error model of valkey-cpp: every fallible call returns absl::Status or
// absl::StatusOr<T>; no exception crosses the API.
//
// The status code says what a caller can do about a failure; an ErrorKind
// attached to the status (as a payload) says precisely what went wrong,
// mirroring the reference client's exception classes. Messages are for people:
// what failed, where (host:port or socket path) and why. Secrets never appear
// in them.
//
//   absl::StatusOr<std::string> v = client.Get("k");
//   if (valkey::IsTimeout(v.status())) { ... }
//   if (valkey::ServerErrorPrefix(v.status()) == "WRONGTYPE") { ... }
//
// Server error replies map by their first word (the prefix):
//
//   prefix       code                  kind
//   ERR          UNKNOWN               kResponse (exceptions below)
//   WRONGTYPE    UNKNOWN               kWrongType
//   NOSCRIPT     UNKNOWN               kNoScript
//   EXECABORT    UNKNOWN               kExecAbort
//   REDIRECT     UNKNOWN               kRedirect
//   MOVED        UNKNOWN               kMoved
//   ASK          UNKNOWN               kAsk
//   READONLY     FAILED_PRECONDITION   kReadOnly
//   MISCONF      FAILED_PRECONDITION   kMisconf
//   LOADING      UNAVAILABLE           kBusyLoading
//   BUSY         UNAVAILABLE           kBusy
//   TRYAGAIN     UNAVAILABLE           kTryAgain
//   CLUSTERDOWN  UNAVAILABLE           kClusterDown
//   MASTERDOWN   UNAVAILABLE           kMasterDown
//   NOREPLICAS   UNAVAILABLE           kNoReplicas
//   NOAUTH       UNAUTHENTICATED       kAuthentication
//   WRONGPASS    UNAUTHENTICATED       kAuthentication
//   NOPERM       PERMISSION_DENIED     kNoPermission
//   OOM          RESOURCE_EXHAUSTED    kOutOfMemory
//   CROSSSLOT    INVALID_ARGUMENT      kCrossSlot
//   NOGROUP      NOT_FOUND             kNoGroup
//   (other)      UNKNOWN               kResponse
//
// and these exact ERR texts:
//
//   ERR max number of clients reached                    UNAVAILABLE      kConnection
//   ERR invalid password                                 UNAUTHENTICATED  kAuthentication
//   ERR Client sent AUTH, but no password is set         UNAUTHENTICATED  kAuthentication
//   ERR AUTH <password> called without any password
//       configured for the default user. ...             UNAUTHENTICATED  kAuthentication
//   ERR wrong number of arguments for 'auth' command     UNKNOWN          kAuthWrongArgs
//       (also 'AUTH'; a pre-6.0 server refusing AUTH user pass)
//   ERR Error loading the extension. ... / Error
//       unloading module: ...                            UNKNOWN          kModule
//
// The server's message is kept whole (prefix included) in the status message.
//
// Thread-safety: all functions are pure.

#ifndef VALKEY_COMMON_ERRORS_H_
#define VALKEY_COMMON_ERRORS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace valkey {

enum class ErrorKind : uint8_t {
  kNone = 0,  // The status carries no valkey kind (or is OK).
  // Client-side conditions.
  kConnection,       // UNAVAILABLE: refused, reset, EOF, unreachable.
  kTimeout,          // DEADLINE_EXCEEDED: connect, read, write, pool wait.
  kProtocol,         // DATA_LOSS: malformed bytes; the connection is dropped.
  kInvalidArgument,  // INVALID_ARGUMENT: bad argument, URL or config field.
  kPoolExhausted,    // RESOURCE_EXHAUSTED: non-blocking pool at its limit.
  kMasterNotFound,   // NOT_FOUND: Sentinel found no usable master.
  kReplicaNotFound,  // NOT_FOUND: Sentinel found no usable replica.
  kWatch,            // ABORTED: a WATCHed key changed; EXEC returned nil.
  kPubSub,           // FAILED_PRECONDITION: pub/sub misuse.
  kTls,              // UNAVAILABLE: TLS handshake or certificate failure.
  // Server error replies (ServerErrorPrefix() is set for these).
  kResponse,
  kWrongType,
  kNoScript,
  kExecAbort,
  kRedirect,
  kMoved,
  kAsk,
  kReadOnly,
  kMisconf,
  kBusyLoading,
  kBusy,
  kTryAgain,
  kClusterDown,
  kMasterDown,
  kNoReplicas,
  kAuthentication,  // Also raised client-side for a failed credential check.
  kNoPermission,
  kOutOfMemory,
  kCrossSlot,
  kNoGroup,
  kAuthWrongArgs,
  kModule,
};

// The kind's name without the leading 'k' ("Connection", "WrongType").
absl::string_view ErrorKindName(ErrorKind kind);

// Builds a status with `code`, `message` and `kind` attached.
absl::Status MakeError(absl::StatusCode code, ErrorKind kind,
                       absl::string_view message);

// Constructors for the client-side kinds, with their codes from the table.
absl::Status ConnectionError(absl::string_view message);
absl::Status TimeoutError(absl::string_view message);
absl::Status ProtocolError(absl::string_view message);
absl::Status InvalidArgumentError(absl::string_view message);
absl::Status PoolExhaustedError(absl::string_view message);
absl::Status MasterNotFoundError(absl::string_view message);
absl::Status ReplicaNotFoundError(absl::string_view message);
absl::Status WatchError(absl::string_view message);
absl::Status PubSubError(absl::string_view message);
absl::Status TlsError(absl::string_view message);
absl::Status AuthenticationError(absl::string_view message);

// Maps a server error reply (the text after '-' or a blob error's payload,
// e.g. "WRONGTYPE Operation against a key ...") to a status per the table.
// The prefix is recorded so ServerErrorPrefix() can return it.
absl::Status ServerError(absl::string_view error_line);

// Maps an errno value from a failed system call to a status. `context` says
// what was attempted and where ("connect to 127.0.0.1:6379"); the message is
// "<context>: <strerror>". ETIMEDOUT/EAGAIN → kTimeout; ECONNREFUSED,
// ECONNRESET, EPIPE, ENETUNREACH, EHOSTUNREACH, ENOENT, ... → kConnection;
// EINVAL/ENAMETOOLONG → kInvalidArgument; everything else → kConnection.
absl::Status ErrnoError(int err, absl::string_view context);

// Prepends context to a status's message, keeping code, kind and prefix
// ("GET user:1: WRONGTYPE ..."). OK stays OK.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

// `status` with `message` in place of its message, keeping the code and
// every payload (kind, prefix). For the rare caller that must rewrite a
// message rather than add to it (secret scrubbing, command_secrets.h).
// OK stays OK.
absl::Status WithMessage(const absl::Status& status, absl::string_view message);

// The kind attached to `status`, or kNone.
ErrorKind GetErrorKind(const absl::Status& status);

// The server error prefix ("WRONGTYPE", "ERR", ...) when `status` came from
// a server error reply; empty otherwise.
std::string ServerErrorPrefix(const absl::Status& status);

// Predicates, named for what a caller asks.
bool IsConnectionError(const absl::Status& status);  // kConnection or kTls
bool IsTimeout(const absl::Status& status);          // kTimeout
bool IsProtocolError(const absl::Status& status);    // kProtocol
bool IsAuthenticationError(const absl::Status& status);
bool IsServerError(const absl::Status& status);  // any server error reply
bool IsReadOnlyError(const absl::Status& status);
bool IsBusyLoading(const absl::Status& status);
bool IsNoScript(const absl::Status& status);
bool IsWatchError(const absl::Status& status);

// Parsed MOVED / ASK / REDIRECT target ("MOVED 3999 127.0.0.1:6381",
// "REDIRECT 2001:db8::10:6380"; the port follows the last colon).
struct Redirect {
  int64_t slot = -1;  // -1 for REDIRECT, which names no slot.
  std::string host;
  int port = 0;
};
std::optional<Redirect> ParseRedirect(const absl::Status& status);

}  // namespace valkey

#endif  // VALKEY_COMMON_ERRORS_H_
