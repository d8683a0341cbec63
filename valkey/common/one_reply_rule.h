// The one-reply rule: a connection that matches replies to commands in
// order (the async client's shared connection, a pooled blocking
// connection, a pipeline or a MULTI/EXEC batch) must only carry commands
// that answer with exactly one reply and leave the connection as they found
// it. A few commands break that rule:
//
//   SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBE forms: under
//     RESP3 they answer with push messages only (no reply to match), and
//     under RESP2 they switch the connection into subscriber mode, where
//     every later command is refused;
//   MONITOR: the connection then streams every command the server runs;
//   CLIENT REPLY OFF | SKIP: the server stops answering;
//   RESET: undoes the handshake (user, protocol, database, tracking) under
//     every other caller of the connection.
//
// Sent through a generic Execute, any of them would hand later callers the
// wrong replies (or none). CheckOneReplyPerCommand refuses them before
// anything is written; pub/sub and MONITOR have their own APIs, which own
// a connection of their own.
//
// Thread-safety: a pure function.

#ifndef VALKEY_COMMON_ONE_REPLY_RULE_H_
#define VALKEY_COMMON_ONE_REPLY_RULE_H_

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "valkey/common/resp_writer.h"

namespace valkey {

// OK for every command that answers with one reply and keeps the
// connection's mode; INVALID_ARGUMENT (kInvalidArgument) naming the command
// and what to use instead otherwise. An empty command is OK here (callers
// reject it themselves). Costs a few comparisons: no allocation unless it
// refuses.
absl::Status CheckOneReplyPerCommand(absl::Span<const CommandArg> args);

// What a connection that matches replies in order checks before it queues
// a command: INVALID_ARGUMENT (kInvalidArgument) "empty command" for no
// arguments, else CheckOneReplyPerCommand's refusal; OK when the command
// may be sent. Used by the async connection's Submit and the async
// pipeline / transaction alike.
absl::Status CheckSendable(absl::Span<const CommandArg> args);

}  // namespace valkey

#endif  // VALKEY_COMMON_ONE_REPLY_RULE_H_
