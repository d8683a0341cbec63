// Set commands: SADD, SREM, membership, random members, SINTER/SUNION/SDIFF
// and SSCAN. Part of the command table (see command_table.h): each method
// is the command's arguments plus its reply conversion, run by the executor
// `E` (Client, Pipeline, async client).
//
//   client.SAdd("tags", {"red", "blue"});
//   absl::StatusOr<bool> red = client.SIsMember("tags", "red");
//   absl::StatusOr<std::vector<std::string>> both =
//       client.SInter({"tags", "other"});
//
// Members come back in no particular order. RESP3 sets and RESP2 arrays
// convert to the same std::vector. A missing key reads as an empty set.
//
// Errors: INVALID_ARGUMENT (naming the command) for bad arguments, before
// anything is sent; server error replies (WRONGTYPE, ...) as their status;
// DATA_LOSS for a reply of an unexpected shape.
//
// Thread-safety: as the executor's.

#ifndef VALKEY_COMMANDS_SET_COMMANDS_H_
#define VALKEY_COMMANDS_SET_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/commands/command_args.h"
#include "valkey/commands/key_members.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/commands/scan_page.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"

namespace valkey {

namespace internal {

// SINTERCARD / ZINTERCARD, shared by the set and sorted-set families, which
// differ only in the command's name:
//   <command> numkeys key... [LIMIT n]
// run on `executor` (a command-table executor) → the intersection's size
// (counting stops at `limit`; 0 means no limit). INVALID_ARGUMENT
// ("<command>: needs at least one key and a limit >= 0"), with nothing
// sent, for no keys or a negative limit.
template <typename E>
auto RunInterCard(E& executor, absl::string_view command,
                  absl::Span<const std::string> keys,
                  std::optional<int64_t> limit) {
  if (keys.empty() || (limit.has_value() && *limit < 0)) {
    return executor.template Fail<int64_t>(InvalidArgumentError(
        absl::StrCat(command, ": needs at least one key and a limit >= 0")));
  }
  CommandArgs args{command, static_cast<int64_t>(keys.size())};
  args.reserve(keys.size() + 4);
  for (const std::string& key : keys) args.push_back(key);
  if (limit.has_value()) {
    args.push_back("LIMIT");
    args.push_back(*limit);
  }
  return executor.template RunArgs<int64_t>(&convert::Integer, args.span());
}

}  // namespace internal

template <typename E, template <typename> class Result>
class SetCommands {
 public:
  // SADD key member... → how many members were added (not already there).
  Result<int64_t> SAdd(absl::string_view key,
                       absl::Span<const std::string> members) {
    return internal::RunKeyMembers<int64_t>(self(), "SADD", key, members,
                                            &convert::Integer);
  }
  // SREM key member... → how many members were removed.
  Result<int64_t> SRem(absl::string_view key,
                       absl::Span<const std::string> members) {
    return internal::RunKeyMembers<int64_t>(self(), "SREM", key, members,
                                            &convert::Integer);
  }
  // SMEMBERS key → all members.
  Result<std::vector<std::string>> SMembers(absl::string_view key) {
    return self().template Run<std::vector<std::string>>(&convert::StringList,
                                                         "SMEMBERS", key);
  }
  // SISMEMBER key member → whether `member` is in the set.
  Result<bool> SIsMember(absl::string_view key, absl::string_view member) {
    return self().template Run<bool>(&convert::Bool, "SISMEMBER", key, member);
  }
  // SMISMEMBER key member... → for each member, in order, whether it is in
  // the set.
  Result<std::vector<bool>> SMIsMember(absl::string_view key,
                                       absl::Span<const std::string> members) {
    return internal::RunKeyMembers<std::vector<bool>>(
        self(), "SMISMEMBER", key, members, &convert::BoolList);
  }
  // SCARD key → the number of members (0 for a missing key).
  Result<int64_t> SCard(absl::string_view key) {
    return self().template Run<int64_t>(&convert::Integer, "SCARD", key);
  }
  // SPOP key → a random member, removed; nullopt when the set is empty.
  Result<std::optional<std::string>> SPop(absl::string_view key) {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "SPOP", key);
  }
  // SPOP key count → up to `count` distinct random members, removed.
  // INVALID_ARGUMENT for a negative count.
  Result<std::vector<std::string>> SPop(absl::string_view key, int64_t count) {
    using Value = std::vector<std::string>;
    if (count < 0) {
      return self().template Fail<Value>(InvalidArgumentError(
          absl::StrCat("SPOP: count must not be negative, got ", count)));
    }
    CommandArgs args{"SPOP", key, count};
    return self().template RunArgs<Value>(&convert::StringList, args.span());
  }
  // SRANDMEMBER key → a random member (kept), or nullopt when empty.
  Result<std::optional<std::string>> SRandMember(absl::string_view key) {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "SRANDMEMBER", key);
  }
  // SRANDMEMBER key count → random members (kept): count > 0 gives up to
  // `count` distinct ones, count < 0 exactly -count, possibly repeated.
  Result<std::vector<std::string>> SRandMember(absl::string_view key,
                                               int64_t count) {
    return self().template Run<std::vector<std::string>>(
        &convert::StringList, "SRANDMEMBER", key, count);
  }
  // SINTER key... → the members in every set.
  Result<std::vector<std::string>> SInter(absl::Span<const std::string> keys) {
    return SetAlgebraCommand("SINTER", keys);
  }
  // SUNION key... → the members in any set.
  Result<std::vector<std::string>> SUnion(absl::Span<const std::string> keys) {
    return SetAlgebraCommand("SUNION", keys);
  }
  // SDIFF key... → the members of the first set in none of the others.
  Result<std::vector<std::string>> SDiff(absl::Span<const std::string> keys) {
    return SetAlgebraCommand("SDIFF", keys);
  }
  // SINTERSTORE / SUNIONSTORE / SDIFFSTORE destination key... → the size
  // of the resulting set, stored in destination (replacing it).
  Result<int64_t> SInterStore(absl::string_view destination,
                              absl::Span<const std::string> keys) {
    return StoreCommand("SINTERSTORE", destination, keys);
  }
  Result<int64_t> SUnionStore(absl::string_view destination,
                              absl::Span<const std::string> keys) {
    return StoreCommand("SUNIONSTORE", destination, keys);
  }
  Result<int64_t> SDiffStore(absl::string_view destination,
                             absl::Span<const std::string> keys) {
    return StoreCommand("SDIFFSTORE", destination, keys);
  }
  // SINTERCARD numkeys key... [LIMIT n] → the size of the intersection,
  // counting stops at `limit` when given (> 0; 0 means no limit).
  Result<int64_t> SInterCard(absl::Span<const std::string> keys,
                             std::optional<int64_t> limit = std::nullopt) {
    return internal::RunInterCard(self(), "SINTERCARD", keys, limit);
  }
  // SMOVE source destination member → whether it was moved (false: not a
  // member of source).
  Result<bool> SMove(absl::string_view source, absl::string_view destination,
                     absl::string_view member) {
    return self().template Run<bool>(&convert::Bool, "SMOVE", source,
                                     destination, member);
  }
  // SSCAN key cursor [MATCH p] [COUNT n] → one page of members and the next
  // cursor (0: done). Start with cursor 0; members may repeat across pages.
  // INVALID_ARGUMENT for a non-positive count or a type.
  Result<ScanPage<std::string>> SScan(absl::string_view key, uint64_t cursor,
                                      const ScanOptions& options = {}) {
    using Value = ScanPage<std::string>;
    CommandArgs args{"SSCAN", key, cursor};
    absl::Status s = internal::AppendScanOptions("SSCAN", options, args);
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    return self().template RunArgs<Value>(&convert::StringScanPage,
                                          args.span());
  }

 private:
  E& self() { return static_cast<E&>(*this); }

  Result<std::vector<std::string>> SetAlgebraCommand(
      absl::string_view command, absl::Span<const std::string> keys) {
    using Value = std::vector<std::string>;
    if (keys.empty()) {
      return self().template Fail<Value>(InvalidArgumentError(
          absl::StrCat(command, ": needs at least one key")));
    }
    CommandArgs args{command};
    args.reserve(keys.size() + 1);
    for (const std::string& key : keys) args.push_back(key);
    return self().template RunArgs<Value>(&convert::StringList, args.span());
  }

  Result<int64_t> StoreCommand(absl::string_view command,
                               absl::string_view destination,
                               absl::Span<const std::string> keys) {
    if (keys.empty()) {
      return self().template Fail<int64_t>(InvalidArgumentError(
          absl::StrCat(command, ": needs at least one key")));
    }
    CommandArgs args{command, destination};
    args.reserve(keys.size() + 2);
    for (const std::string& key : keys) args.push_back(key);
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_SET_COMMANDS_H_
