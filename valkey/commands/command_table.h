// The command table: every typed command written once — its arguments and
// its reply conversion — and executed unchanged by every executor: the sync
// Client, Pipeline and Transaction, and (later) the async client.
//
// Each command family is a small class template in its own header
// (string_commands.h, hash_commands.h, ...); Commands<Executor> gathers
// them. An executor derives from Commands<Itself> and provides:
//
//   // Runs a command whose arguments are known at compile time.
//   template <typename T, typename... Args>
//   Result<T> Run(Converter<T> convert, const Args&... args);
//   // Runs a command whose arguments were assembled at run time.
//   template <typename T>
//   Result<T> RunArgs(Converter<T> convert, absl::Span<const CommandArg> args);
//   // Runs a command the server may hold for up to `server_timeout`
//   // (BLPOP, XREAD BLOCK, ...; zero = forever): the executor waits that
//   // long on top of its usual reply time-out.
//   template <typename T>
//   Result<T> RunBlockingArgs(Converter<T> convert,
//                             absl::Duration server_timeout,
//                             absl::Span<const CommandArg> args);
//   // Reports a bad argument without running anything.
//   template <typename T>
//   Result<T> Fail(absl::Status status);
//
// where Result<T> is whatever the executor hands back: absl::StatusOr<T> for
// the blocking Client, a queued slot for a Pipeline, a Future<T> for the
// async client. A new command therefore touches one place: its family
// header.
//
// Arguments: strings, bytes, integers and doubles, as CommandArg accepts.
// Bad arguments (a non-positive TTL, say) give INVALID_ARGUMENT naming the
// command and the argument, before anything is sent.

#ifndef VALKEY_COMMANDS_COMMAND_TABLE_H_
#define VALKEY_COMMANDS_COMMAND_TABLE_H_

#include "valkey/commands/hash_commands.h"
#include "valkey/commands/key_commands.h"
#include "valkey/commands/list_commands.h"
#include "valkey/commands/script_commands.h"
#include "valkey/commands/server_commands.h"
#include "valkey/commands/set_commands.h"
#include "valkey/commands/sorted_set_commands.h"
#include "valkey/commands/stream_commands.h"
#include "valkey/commands/string_commands.h"

namespace valkey {

template <typename Executor>
class Commands : public StringCommands<Executor>,
                 public KeyCommands<Executor>,
                 public HashCommands<Executor>,
                 public ListCommands<Executor>,
                 public SetCommands<Executor>,
                 public SortedSetCommands<Executor>,
                 public StreamCommands<Executor>,
                 public ScriptCommands<Executor>,
                 public ServerCommands<Executor> {};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_COMMAND_TABLE_H_
