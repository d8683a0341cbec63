#include "valkey/client/command_exchange.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "valkey/common/command_secrets.h"
#include "valkey/common/errors.h"
#include "valkey/common/one_reply_rule.h"

namespace valkey {

absl::StatusOr<Reply> ExchangeCommand(
    Connection& conn, absl::Span<const CommandArg> args,
    std::optional<absl::Duration> server_timeout) {
  if (absl::Status refused = CheckSendable(args); !refused.ok()) {
    return refused;
  }
  // One command, one reply (checked above): the connection can tell the
  // pool it is in step without asking the kernel.
  absl::Status sent = conn.SendEncoded(
      [&](std::string& out) { AppendCommandArgs(out, args); }, /*replies=*/1);
  if (!sent.ok()) return sent;
  absl::StatusOr<Reply> reply;
  if (server_timeout.has_value()) {
    const absl::Duration socket = conn.connector().options().socket_timeout;
    const bool forever = *server_timeout <= absl::ZeroDuration() ||
                         socket == absl::InfiniteDuration();
    reply = conn.ReadReply(forever ? absl::InfiniteFuture()
                                   : absl::Now() + socket + *server_timeout);
  } else {
    reply = conn.ReadReply();
  }
  if (reply.ok() && reply->is_error()) {
    return CommandErrorStatus(
        reply->view(), CommandSecrets::Find(args),
        absl::StrCat(absl::AsciiStrToUpper(args[0].view()), " on ",
                     conn.address()));
  }
  return reply;
}

}  // namespace valkey
