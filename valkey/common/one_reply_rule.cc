#include "valkey/common/one_reply_rule.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

bool Is(absl::string_view arg, absl::string_view upper) {
  return absl::EqualsIgnoreCase(arg, upper);
}

absl::Status Refuse(absl::string_view name, absl::string_view why) {
  return InvalidArgumentError(
      absl::StrCat(absl::AsciiStrToUpper(name), " is refused here: ", why));
}

}  // namespace

absl::Status CheckOneReplyPerCommand(absl::Span<const CommandArg> args) {
  if (args.empty()) return absl::OkStatus();
  const absl::string_view name = args[0].view();
  // Every refused name is 5 to 12 letters long; most commands are cut off
  // by the first comparison.
  switch (name.size()) {
    case 5:  // RESET
      if (Is(name, "RESET")) {
        return Refuse(name,
                      "it would undo the connection's handshake (user, "
                      "protocol, database, tracking) under its other "
                      "callers; reconnect instead");
      }
      break;
    case 6:  // CLIENT REPLY OFF|SKIP
      if (Is(name, "CLIENT") && args.size() >= 3 &&
          Is(args[1].view(), "REPLY") &&
          (Is(args[2].view(), "OFF") || Is(args[2].view(), "SKIP"))) {
        return Refuse(absl::StrCat(name, " REPLY ", args[2].view()),
                      "the server would stop answering, so later replies "
                      "would reach the wrong callers");
      }
      break;
    case 7:  // MONITOR
      if (Is(name, "MONITOR")) {
        return Refuse(name,
                      "it turns the connection into a feed of every command "
                      "the server runs; use the client's Monitor()");
      }
      break;
    case 9:   // SUBSCRIBE
    case 10:  // PSUBSCRIBE, SSUBSCRIBE
    case 11:  // UNSUBSCRIBE
    case 12:  // PUNSUBSCRIBE, SUNSUBSCRIBE
      if (Is(name, "SUBSCRIBE") || Is(name, "PSUBSCRIBE") ||
          Is(name, "SSUBSCRIBE") || Is(name, "UNSUBSCRIBE") ||
          Is(name, "PUNSUBSCRIBE") || Is(name, "SUNSUBSCRIBE")) {
        return Refuse(name,
                      "its confirmations are pub/sub messages, not a reply, "
                      "and the connection would leave normal mode; use the "
                      "client's Subscribe() (pub/sub has a connection of its "
                      "own)");
      }
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

absl::Status CheckSendable(absl::Span<const CommandArg> args) {
  if (args.empty()) return InvalidArgumentError("empty command");
  return CheckOneReplyPerCommand(args);
}

}  // namespace valkey
