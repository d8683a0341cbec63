// The names of the commands the command table types (command_table.h), in
// the form COMMAND DOCS uses ("get", "xinfo|stream" for a subcommand), and
// the data-plane commands it deliberately leaves untyped, each with its
// reason. The list is kept by hand next to the families and checked against
// a real server by //valkey/client:command_coverage_test, which fails on a
// data-plane command that is neither typed nor excluded and on a listed
// name the server does not know (unless it is newer than the server).
//
// Data plane, for this purpose: the COMMAND DOCS groups string, list, set,
// sorted-set, hash, stream, bitmap, hyperloglog, geo, scripting and
// generic. Left out as whole groups: transactions (MULTI/EXEC/DISCARD/
// WATCH/UNWATCH belong to Pipeline/Transaction, not to typed methods),
// pubsub (subscriptions belong to the Subscriber objects; PUBLISH and
// SPUBLISH are typed anyway), and the connection, server, cluster and
// sentinel groups (administration). Commands the server marks deprecated
// are left out too: each has a typed replacement (GETSET → SetGet, SETEX →
// Set with ttl, ZRANGEBYSCORE → ZRangeByScore, GEORADIUS → GeoSearch, ...).
//
// Thread-safety: immutable data.

#ifndef VALKEY_COMMANDS_TYPED_COMMANDS_H_
#define VALKEY_COMMANDS_TYPED_COMMANDS_H_

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace valkey {

// A typed command and the first server version that has it ("" for any
// Valkey 8.0 server).
struct TypedCommand {
  absl::string_view name;
  absl::string_view since;
};

// A data-plane command left untyped on purpose.
struct UntypedCommand {
  absl::string_view name;
  absl::string_view reason;
};

// The COMMAND DOCS groups counted as data plane.
absl::Span<const absl::string_view> DataPlaneGroups();

// Every command the families type, lowercase.
absl::Span<const TypedCommand> TypedCommands();

// The data-plane commands excluded from typing, with the reason.
absl::Span<const UntypedCommand> UntypedDataPlaneCommands();

}  // namespace valkey

#endif  // VALKEY_COMMANDS_TYPED_COMMANDS_H_
