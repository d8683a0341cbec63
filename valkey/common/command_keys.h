// Which keys a command names, and whether it reads or writes them: one
// table of Valkey's commands, I/O-free, shared by everything that must know
// a command's keys without asking the server (the client-side cache, which
// invalidates the keys of the client's own writes; key-based routing).
//
//   CommandKeys k = FindCommandKeys(args);   // {"MSET", "a", "1", "b", "2"}
//   k.known == true, k.writes == true, k.keys == {"a", "b"}
//
// A command outside the table, or one whose arguments do not fit its key
// layout (a wrong numkeys, a missing key), is `known == false`: callers must
// then assume the worst (any key may be written). Module commands are
// unknown except the JSON.* and TS.* readers the cache allows.
//
// Thread-safety: pure functions over an immutable table.

#ifndef VALKEY_COMMON_COMMAND_KEYS_H_
#define VALKEY_COMMON_COMMAND_KEYS_H_

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/common/resp_writer.h"

namespace valkey {

struct CommandKeys {
  // In the table, with well-formed key arguments.
  bool known = false;
  // May modify the keys it names (SET, DEL, EVAL, XREADGROUP, SORT ...
  // STORE, ...). False for reads and for commands without keys.
  bool writes = false;
  // Changes every key of the database (FLUSHALL, FLUSHDB, SWAPDB).
  bool all_keys = false;
  // The keys, in argument order (views into the arguments). A channel of
  // SPUBLISH/SSUBSCRIBE counts as a key: it is hashed like one.
  absl::InlinedVector<absl::string_view, 4> keys;
};

// Looks `args` up (the name in any case). No allocation for up to 4 keys.
CommandKeys FindCommandKeys(absl::Span<const CommandArg> args);

}  // namespace valkey

#endif  // VALKEY_COMMON_COMMAND_KEYS_H_
