#include "valkey/cluster/redirect.h"

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace cluster {
namespace {

// A non-negative decimal of at most `max_digits` digits and no sign, or -1.
// Stricter than SimpleAtoi (which takes '+', spaces): a redirect with odd
// bytes is not one we understand.
int ParseDecimal(absl::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return -1;
  int value = 0;
  for (const char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::optional<Redirect> ParseRedirect(absl::string_view error_text) {
  absl::string_view rest = absl::StripTrailingAsciiWhitespace(error_text);
  Redirect redirect;
  if (absl::ConsumePrefix(&rest, "MOVED ")) {
    redirect.kind = Redirect::kMoved;
  } else if (absl::ConsumePrefix(&rest, "ASK ")) {
    redirect.kind = Redirect::kAsk;
  } else {
    return std::nullopt;
  }
  const size_t space = rest.find(' ');
  if (space == absl::string_view::npos) return std::nullopt;
  redirect.slot = ParseDecimal(rest.substr(0, space), 5);
  if (redirect.slot < 0 || redirect.slot >= kNumSlots) return std::nullopt;
  absl::string_view address = rest.substr(space + 1);
  if (address.find_first_of(" \t\r\n") != absl::string_view::npos) {
    return std::nullopt;
  }
  // The port follows the last colon, so an unbracketed IPv6 host keeps its
  // own colons.
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return std::nullopt;
  redirect.to.port = ParseDecimal(address.substr(colon + 1), 5);
  if (redirect.to.port < 1 || redirect.to.port > 65535) return std::nullopt;
  absl::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  redirect.to.host = std::string(host);
  return redirect;
}

absl::StatusOr<Redirect> RedirectFromStatus(const absl::Status& status) {
  const ErrorKind kind = GetErrorKind(status);
  if (kind != ErrorKind::kMoved && kind != ErrorKind::kAsk) {
    return absl::NotFoundError(absl::StrCat(
        "not a MOVED/ASK redirect: ", status.ok() ? "OK" : status.message()));
  }
  // The server's text is the tail of the message: Annotate() prepends
  // "<context>: ". So it starts at an occurrence of the prefix that begins
  // the message or follows ": "; the last one that parses wins (the context
  // itself may mention MOVED).
  const absl::string_view word = kind == ErrorKind::kMoved ? "MOVED " : "ASK ";
  const absl::string_view message = status.message();
  std::optional<Redirect> redirect;
  for (size_t at = message.rfind(word); at != absl::string_view::npos;
       at = at == 0 ? absl::string_view::npos : message.rfind(word, at - 1)) {
    if (at == 0 || (at >= 2 && message.substr(at - 2, 2) == ": ")) {
      redirect = ParseRedirect(message.substr(at));
      if (redirect.has_value()) break;
    }
  }
  if (!redirect.has_value()) {
    return ProtocolError(
        absl::StrCat("malformed cluster redirect: \"", message, "\""));
  }
  return *std::move(redirect);
}

absl::string_view ClusterErrorActionName(ClusterErrorAction action) {
  switch (action) {
    case ClusterErrorAction::kNone:
      return "None";
    case ClusterErrorAction::kFollowMoved:
      return "FollowMoved";
    case ClusterErrorAction::kFollowAsk:
      return "FollowAsk";
    case ClusterErrorAction::kRetryAfterDelay:
      return "RetryAfterDelay";
    case ClusterErrorAction::kRefreshAndRetry:
      return "RefreshAndRetry";
    case ClusterErrorAction::kFail:
      return "Fail";
  }
  return "Unknown";
}

ClusterErrorAction ActionFor(const absl::Status& status) {
  if (status.ok()) return ClusterErrorAction::kNone;
  switch (GetErrorKind(status)) {
    case ErrorKind::kMoved:
      return RedirectFromStatus(status).ok()
                 ? ClusterErrorAction::kFollowMoved
                 : ClusterErrorAction::kRefreshAndRetry;
    case ErrorKind::kAsk:
      return RedirectFromStatus(status).ok()
                 ? ClusterErrorAction::kFollowAsk
                 : ClusterErrorAction::kRefreshAndRetry;
    case ErrorKind::kTryAgain:
    case ErrorKind::kBusyLoading:
      return ClusterErrorAction::kRetryAfterDelay;
    case ErrorKind::kClusterDown:
    case ErrorKind::kReadOnly:
    case ErrorKind::kMasterDown:
    case ErrorKind::kConnection:
      return ClusterErrorAction::kRefreshAndRetry;
    default:
      break;
  }
  return IsServerError(status) ? ClusterErrorAction::kNone
                               : ClusterErrorAction::kFail;
}

}  // namespace cluster
}  // namespace valkey
