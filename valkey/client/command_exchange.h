// ExchangeCommand: one command on one connection — send it, read its reply,
// turn an error reply into its status. The Client, the Transaction context
// and anything else that runs a single command on a connection it holds
// share this, so they wait and annotate errors identically.

#ifndef VALKEY_CLIENT_COMMAND_EXCHANGE_H_
#define VALKEY_CLIENT_COMMAND_EXCHANGE_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"
#include "valkey/connection/connection.h"

namespace valkey {

// Sends `args` (non-empty) on `conn` and reads the reply within the socket
// time-out; a blocking command passes `server_timeout`, which is added to
// that wait (zero, or an unlimited socket time-out: wait forever). A server
// error reply comes back as its status annotated "<COMMAND> on <address>",
// scrubbed of the command's secrets (CommandErrorStatus, command_secrets.h);
// I/O errors as Connection reports them (the connection is then broken).
absl::StatusOr<Reply> ExchangeCommand(
    Connection& conn, absl::Span<const CommandArg> args,
    std::optional<absl::Duration> server_timeout = std::nullopt);

}  // namespace valkey

#endif  // VALKEY_CLIENT_COMMAND_EXCHANGE_H_
