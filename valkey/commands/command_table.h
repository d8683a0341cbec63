// The command table: every typed command written once — its arguments and
// its reply conversion — and executed unchanged by every executor: the sync
// Client, Pipeline and Transaction, and (later) the async client.
//
// Each command family is a small class template in its own header
// (string_commands.h, hash_commands.h, ...); Commands<Executor, Result>
// gathers them. Every method spells its return type as Result<T> — T is the
// command's natural C++ type, Result the executor's wrapper of it
// (absl::StatusOr for the blocking executors, Slot / CommandRef for
// pipelines, Future for the async ones). An executor derives from
// Commands<Itself, Result> and provides:
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

#include "valkey/commands/bitmap_commands.h"
#include "valkey/commands/function_commands.h"
#include "valkey/commands/geo_commands.h"
#include "valkey/commands/hash_commands.h"
#include "valkey/commands/hyperloglog_commands.h"
#include "valkey/commands/key_commands.h"
#include "valkey/commands/list_commands.h"
#include "valkey/commands/script_commands.h"
#include "valkey/commands/server_commands.h"
#include "valkey/commands/set_commands.h"
#include "valkey/commands/sorted_set_commands.h"
#include "valkey/commands/stream_commands.h"
#include "valkey/commands/string_commands.h"

namespace valkey {

template <typename Executor, template <typename> class Result>
class Commands : public StringCommands<Executor, Result>,
                 public KeyCommands<Executor, Result>,
                 public HashCommands<Executor, Result>,
                 public ListCommands<Executor, Result>,
                 public SetCommands<Executor, Result>,
                 public SortedSetCommands<Executor, Result>,
                 public StreamCommands<Executor, Result>,
                 public ScriptCommands<Executor, Result>,
                 public ServerCommands<Executor, Result>,
                 public BitmapCommands<Executor, Result>,
                 public HyperLogLogCommands<Executor, Result>,
                 public GeoCommands<Executor, Result>,
                 public FunctionCommands<Executor, Result> {};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_COMMAND_TABLE_H_
