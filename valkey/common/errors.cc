#include "valkey/common/errors.h"

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace valkey {
namespace {

// Payload type URLs. The kind is stored by name so that Status::ToString()
// stays readable in logs.
constexpr absl::string_view kKindUrl = "type.valkey.io/valkey.ErrorKind";
constexpr absl::string_view kPrefixUrl = "type.valkey.io/valkey.ServerErrorPrefix";

struct KindInfo {
  ErrorKind kind;
  absl::string_view name;
};

constexpr KindInfo kKinds[] = {
    {ErrorKind::kNone, "None"},
    {ErrorKind::kConnection, "Connection"},
    {ErrorKind::kTimeout, "Timeout"},
    {ErrorKind::kProtocol, "Protocol"},
    {ErrorKind::kInvalidArgument, "InvalidArgument"},
    {ErrorKind::kPoolExhausted, "PoolExhausted"},
    {ErrorKind::kMasterNotFound, "MasterNotFound"},
    {ErrorKind::kReplicaNotFound, "ReplicaNotFound"},
    {ErrorKind::kWatch, "Watch"},
    {ErrorKind::kPubSub, "PubSub"},
    {ErrorKind::kTls, "Tls"},
    {ErrorKind::kResponse, "Response"},
    {ErrorKind::kWrongType, "WrongType"},
    {ErrorKind::kNoScript, "NoScript"},
    {ErrorKind::kExecAbort, "ExecAbort"},
    {ErrorKind::kRedirect, "Redirect"},
    {ErrorKind::kMoved, "Moved"},
    {ErrorKind::kAsk, "Ask"},
    {ErrorKind::kReadOnly, "ReadOnly"},
    {ErrorKind::kMisconf, "Misconf"},
    {ErrorKind::kBusyLoading, "BusyLoading"},
    {ErrorKind::kBusy, "Busy"},
    {ErrorKind::kTryAgain, "TryAgain"},
    {ErrorKind::kClusterDown, "ClusterDown"},
    {ErrorKind::kMasterDown, "MasterDown"},
    {ErrorKind::kNoReplicas, "NoReplicas"},
    {ErrorKind::kAuthentication, "Authentication"},
    {ErrorKind::kNoPermission, "NoPermission"},
    {ErrorKind::kOutOfMemory, "OutOfMemory"},
    {ErrorKind::kCrossSlot, "CrossSlot"},
    {ErrorKind::kNoGroup, "NoGroup"},
    {ErrorKind::kAuthWrongArgs, "AuthWrongArgs"},
    {ErrorKind::kModule, "Module"},
};

struct PrefixRule {
  absl::string_view prefix;
  absl::StatusCode code;
  ErrorKind kind;
};

// DESIGN §3 and the table in errors.h.
constexpr PrefixRule kPrefixRules[] = {
    {"WRONGTYPE", absl::StatusCode::kUnknown, ErrorKind::kWrongType},
    {"NOSCRIPT", absl::StatusCode::kUnknown, ErrorKind::kNoScript},
    {"EXECABORT", absl::StatusCode::kUnknown, ErrorKind::kExecAbort},
    {"REDIRECT", absl::StatusCode::kUnknown, ErrorKind::kRedirect},
    {"MOVED", absl::StatusCode::kUnknown, ErrorKind::kMoved},
    {"ASK", absl::StatusCode::kUnknown, ErrorKind::kAsk},
    {"READONLY", absl::StatusCode::kFailedPrecondition, ErrorKind::kReadOnly},
    {"MISCONF", absl::StatusCode::kFailedPrecondition, ErrorKind::kMisconf},
    {"LOADING", absl::StatusCode::kUnavailable, ErrorKind::kBusyLoading},
    {"BUSY", absl::StatusCode::kUnavailable, ErrorKind::kBusy},
    {"TRYAGAIN", absl::StatusCode::kUnavailable, ErrorKind::kTryAgain},
    {"CLUSTERDOWN", absl::StatusCode::kUnavailable, ErrorKind::kClusterDown},
    {"MASTERDOWN", absl::StatusCode::kUnavailable, ErrorKind::kMasterDown},
    {"NOREPLICAS", absl::StatusCode::kUnavailable, ErrorKind::kNoReplicas},
    {"NOAUTH", absl::StatusCode::kUnauthenticated, ErrorKind::kAuthentication},
    {"WRONGPASS", absl::StatusCode::kUnauthenticated,
     ErrorKind::kAuthentication},
    {"NOPERM", absl::StatusCode::kPermissionDenied, ErrorKind::kNoPermission},
    {"OOM", absl::StatusCode::kResourceExhausted, ErrorKind::kOutOfMemory},
    {"CROSSSLOT", absl::StatusCode::kInvalidArgument, ErrorKind::kCrossSlot},
    {"NOGROUP", absl::StatusCode::kNotFound, ErrorKind::kNoGroup},
};

struct ErrTextRule {
  absl::string_view text;  // The whole message after "ERR ".
  bool prefix_match;       // Match the start of the message only.
  absl::StatusCode code;
  ErrorKind kind;
};

constexpr ErrTextRule kErrTextRules[] = {
    {"max number of clients reached", false, absl::StatusCode::kUnavailable,
     ErrorKind::kConnection},
    {"invalid password", false, absl::StatusCode::kUnauthenticated,
     ErrorKind::kAuthentication},
    {"Client sent AUTH, but no password is set", false,
     absl::StatusCode::kUnauthenticated, ErrorKind::kAuthentication},
    {"AUTH <password> called without any password configured for the "
     "default user.",
     true, absl::StatusCode::kUnauthenticated, ErrorKind::kAuthentication},
    {"wrong number of arguments for 'auth' command", false,
     absl::StatusCode::kUnknown, ErrorKind::kAuthWrongArgs},
    {"wrong number of arguments for 'AUTH' command", false,
     absl::StatusCode::kUnknown, ErrorKind::kAuthWrongArgs},
    {"Error loading the extension.", true, absl::StatusCode::kUnknown,
     ErrorKind::kModule},
    {"Error unloading module:", true, absl::StatusCode::kUnknown,
     ErrorKind::kModule},
};

absl::Status WithPrefix(absl::Status status, absl::string_view prefix) {
  status.SetPayload(kPrefixUrl, absl::Cord(prefix));
  return status;
}

bool IsKind(const absl::Status& status, ErrorKind kind) {
  return !status.ok() && GetErrorKind(status) == kind;
}

}  // namespace

absl::string_view ErrorKindName(ErrorKind kind) {
  for (const KindInfo& info : kKinds) {
    if (info.kind == kind) return info.name;
  }
  return "Unknown";
}

absl::Status MakeError(absl::StatusCode code, ErrorKind kind,
                       absl::string_view message) {
  absl::Status status(code, message);
  if (!status.ok() && kind != ErrorKind::kNone) {
    status.SetPayload(kKindUrl, absl::Cord(ErrorKindName(kind)));
  }
  return status;
}

absl::Status ConnectionError(absl::string_view message) {
  return MakeError(absl::StatusCode::kUnavailable, ErrorKind::kConnection,
                   message);
}
absl::Status TimeoutError(absl::string_view message) {
  return MakeError(absl::StatusCode::kDeadlineExceeded, ErrorKind::kTimeout,
                   message);
}
absl::Status ProtocolError(absl::string_view message) {
  return MakeError(absl::StatusCode::kDataLoss, ErrorKind::kProtocol, message);
}
absl::Status InvalidArgumentError(absl::string_view message) {
  return MakeError(absl::StatusCode::kInvalidArgument,
                   ErrorKind::kInvalidArgument, message);
}
absl::Status PoolExhaustedError(absl::string_view message) {
  return MakeError(absl::StatusCode::kResourceExhausted,
                   ErrorKind::kPoolExhausted, message);
}
absl::Status MasterNotFoundError(absl::string_view message) {
  return MakeError(absl::StatusCode::kNotFound, ErrorKind::kMasterNotFound,
                   message);
}
absl::Status ReplicaNotFoundError(absl::string_view message) {
  return MakeError(absl::StatusCode::kNotFound, ErrorKind::kReplicaNotFound,
                   message);
}
absl::Status WatchError(absl::string_view message) {
  return MakeError(absl::StatusCode::kAborted, ErrorKind::kWatch, message);
}
absl::Status PubSubError(absl::string_view message) {
  return MakeError(absl::StatusCode::kFailedPrecondition, ErrorKind::kPubSub,
                   message);
}
absl::Status TlsError(absl::string_view message) {
  return MakeError(absl::StatusCode::kUnavailable, ErrorKind::kTls, message);
}
absl::Status AuthenticationError(absl::string_view message) {
  return MakeError(absl::StatusCode::kUnauthenticated,
                   ErrorKind::kAuthentication, message);
}

absl::Status ServerError(absl::string_view error_line) {
  // Servers end error lines with CRLF on the wire; callers pass the text, but
  // be lenient about trailing whitespace.
  error_line = absl::StripTrailingAsciiWhitespace(error_line);
  if (error_line.empty()) {
    return WithPrefix(MakeError(absl::StatusCode::kUnknown,
                                ErrorKind::kResponse,
                                "server returned an empty error reply"),
                      "");
  }
  const size_t space = error_line.find(' ');
  const absl::string_view prefix = error_line.substr(0, space);
  const absl::string_view rest =
      space == absl::string_view::npos ? absl::string_view()
                                       : error_line.substr(space + 1);
  absl::StatusCode code = absl::StatusCode::kUnknown;
  ErrorKind kind = ErrorKind::kResponse;
  if (prefix == "ERR") {
    for (const ErrTextRule& rule : kErrTextRules) {
      if (rule.prefix_match ? absl::StartsWith(rest, rule.text)
                            : rest == rule.text) {
        code = rule.code;
        kind = rule.kind;
        break;
      }
    }
  } else {
    for (const PrefixRule& rule : kPrefixRules) {
      if (prefix == rule.prefix) {
        code = rule.code;
        kind = rule.kind;
        break;
      }
    }
  }
  return WithPrefix(MakeError(code, kind, error_line), prefix);
}

absl::Status ErrnoError(int err, absl::string_view context) {
  const std::string message = absl::StrCat(context, ": ", std::strerror(err));
  switch (err) {
    case ETIMEDOUT:
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
      return TimeoutError(message);
    case EINVAL:
    case ENAMETOOLONG:
    case EAFNOSUPPORT:
      return InvalidArgumentError(message);
    default:
      return ConnectionError(message);
  }
}

absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok() || context.empty()) return status;
  absl::Status annotated(status.code(),
                         absl::StrCat(context, ": ", status.message()));
  status.ForEachPayload(
      [&annotated](absl::string_view url, const absl::Cord& payload) {
        annotated.SetPayload(url, payload);
      });
  return annotated;
}

absl::Status WithMessage(const absl::Status& status,
                         absl::string_view message) {
  if (status.ok()) return status;
  absl::Status rewritten(status.code(), message);
  status.ForEachPayload(
      [&rewritten](absl::string_view url, const absl::Cord& payload) {
        rewritten.SetPayload(url, payload);
      });
  return rewritten;
}

ErrorKind GetErrorKind(const absl::Status& status) {
  if (status.ok()) return ErrorKind::kNone;
  std::optional<absl::Cord> payload = status.GetPayload(kKindUrl);
  if (!payload.has_value()) return ErrorKind::kNone;
  for (const KindInfo& info : kKinds) {
    if (*payload == info.name) return info.kind;
  }
  return ErrorKind::kNone;
}

std::string ServerErrorPrefix(const absl::Status& status) {
  if (status.ok()) return "";
  std::optional<absl::Cord> payload = status.GetPayload(kPrefixUrl);
  return payload.has_value() ? std::string(*payload) : std::string();
}

bool IsConnectionError(const absl::Status& status) {
  return IsKind(status, ErrorKind::kConnection) ||
         IsKind(status, ErrorKind::kTls);
}
bool IsTimeout(const absl::Status& status) {
  return IsKind(status, ErrorKind::kTimeout);
}
bool IsProtocolError(const absl::Status& status) {
  return IsKind(status, ErrorKind::kProtocol);
}
bool IsAuthenticationError(const absl::Status& status) {
  return IsKind(status, ErrorKind::kAuthentication);
}
bool IsServerError(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kPrefixUrl).has_value();
}
bool IsReadOnlyError(const absl::Status& status) {
  return IsKind(status, ErrorKind::kReadOnly);
}
bool IsBusyLoading(const absl::Status& status) {
  return IsKind(status, ErrorKind::kBusyLoading);
}
bool IsNoScript(const absl::Status& status) {
  return IsKind(status, ErrorKind::kNoScript);
}
bool IsWatchError(const absl::Status& status) {
  return IsKind(status, ErrorKind::kWatch);
}

std::optional<Redirect> ParseRedirect(const absl::Status& status) {
  const ErrorKind kind = GetErrorKind(status);
  if (kind != ErrorKind::kMoved && kind != ErrorKind::kAsk &&
      kind != ErrorKind::kRedirect) {
    return std::nullopt;
  }
  // The server text is the tail of the message (Annotate may prepend).
  const std::string prefix = ServerErrorPrefix(status);
  absl::string_view message = status.message();
  const size_t at = message.rfind(absl::StrCat(prefix, " "));
  if (at == absl::string_view::npos) return std::nullopt;
  absl::string_view rest = message.substr(at + prefix.size() + 1);
  Redirect redirect;
  if (kind != ErrorKind::kRedirect) {
    const size_t space = rest.find(' ');
    if (space == absl::string_view::npos ||
        !absl::SimpleAtoi(rest.substr(0, space), &redirect.slot)) {
      return std::nullopt;
    }
    rest = rest.substr(space + 1);
  }
  const size_t colon = rest.rfind(':');
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(rest.substr(colon + 1), &redirect.port) ||
      redirect.port <= 0 || redirect.port > 65535) {
    return std::nullopt;
  }
  redirect.host = std::string(rest.substr(0, colon));
  return redirect;
}

}  // namespace valkey
