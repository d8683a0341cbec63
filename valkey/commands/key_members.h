// The "<command> key member..." shape that several families share (SADD,
// SREM, SMISMEMBER, GEOHASH, GEOPOS): one key, then at least one member.
// Part of the command table (see command_table.h); the family headers call
// internal::RunKeyMembers from their methods.
//
//   return internal::RunKeyMembers<int64_t>(self(), "SADD", key, members,
//                                           &convert::Integer);
//
// Thread-safety: a pure function of its arguments; the run is as the
// executor's.

#ifndef VALKEY_COMMANDS_KEY_MEMBERS_H_
#define VALKEY_COMMANDS_KEY_MEMBERS_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/commands/command_args.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace internal {

// <command> key member... run on `executor` (a command-table executor), the
// reply converted by `convert`. INVALID_ARGUMENT ("<command>: needs at
// least one member"), with nothing sent, for no members.
template <typename Value, typename E>
auto RunKeyMembers(E& executor, absl::string_view command,
                   absl::string_view key, absl::Span<const std::string> members,
                   Converter<Value> convert) {
  if (members.empty()) {
    return executor.template Fail<Value>(InvalidArgumentError(
        absl::StrCat(command, ": needs at least one member")));
  }
  CommandArgs args{command, key};
  args.reserve(members.size() + 2);
  for (const std::string& member : members) args.push_back(member);
  return executor.template RunArgs<Value>(convert, args.span());
}

}  // namespace internal
}  // namespace valkey

#endif  // VALKEY_COMMANDS_KEY_MEMBERS_H_
