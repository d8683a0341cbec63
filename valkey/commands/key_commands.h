// Key commands: DEL, EXISTS, expiry (EXPIRE, TTL, PERSIST, ...), TYPE,
// RENAME and SCAN. Part of the command table (see command_table.h): each
// method is the command's arguments plus its reply conversion, run by the
// executor `E` (Client, Pipeline, async client).
//
//   client.Expire("session:1", absl::Minutes(30));
//   absl::StatusOr<std::optional<absl::Duration>> ttl = client.Ttl("session:1");
//   // nullopt: no such key; InfiniteDuration(): the key never expires.
//   absl::StatusOr<ScanPage<std::string>> page =
//       client.Scan(0, {.match = "session:*"});
//
// To walk the whole keyspace with the sync client, see scan.h.
//
// Errors: INVALID_ARGUMENT (naming the command) for bad arguments, before
// anything is sent; server error replies as their status (errors.h);
// DATA_LOSS for a reply of an unexpected shape.
//
// Thread-safety: as the executor's.

#ifndef VALKEY_COMMANDS_KEY_COMMANDS_H_
#define VALKEY_COMMANDS_KEY_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/commands/command_args.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/commands/scan_page.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"

namespace valkey {

// When EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT may set the expiry.
enum class ExpireCondition {
  kAlways,       // (no option)
  kNoExpiry,     // NX: only if the key has no expiry
  kHasExpiry,    // XX: only if the key has an expiry
  kGreater,      // GT: only if the new expiry is later (no expiry = infinite)
  kLess,         // LT: only if the new expiry is sooner (no expiry = infinite)
};

namespace internal {

inline void AppendExpireCondition(ExpireCondition condition,
                                  CommandArgs& args) {
  switch (condition) {
    case ExpireCondition::kAlways:
      break;
    case ExpireCondition::kNoExpiry:
      args.push_back("NX");
      break;
    case ExpireCondition::kHasExpiry:
      args.push_back("XX");
      break;
    case ExpireCondition::kGreater:
      args.push_back("GT");
      break;
    case ExpireCondition::kLess:
      args.push_back("LT");
      break;
  }
}

// `ttl` in whole `unit`s, rounded up (so a key never expires sooner than
// asked). INVALID_ARGUMENT unless 0 < ttl < infinity.
inline absl::StatusOr<int64_t> TtlIn(absl::string_view command,
                                     absl::Duration ttl, absl::Duration unit) {
  if (ttl <= absl::ZeroDuration() || ttl == absl::InfiniteDuration()) {
    return InvalidArgumentError(
        absl::StrCat(command, ": ttl must be positive and finite, got ",
                     absl::FormatDuration(ttl)));
  }
  absl::Duration rest;
  return absl::IDivDuration(absl::Ceil(ttl, unit), unit, &rest);
}

// `when` as whole `unit`s since the Unix epoch, rounded up. INVALID_ARGUMENT
// for an infinite time or one not after the epoch.
inline absl::StatusOr<int64_t> UnixTimeIn(absl::string_view command,
                                          absl::Time when,
                                          absl::Duration unit) {
  if (when <= absl::UnixEpoch() || when == absl::InfiniteFuture()) {
    return InvalidArgumentError(absl::StrCat(
        command, ": time must be finite and after the Unix epoch, got ",
        absl::FormatTime(when)));
  }
  absl::Duration rest;
  return absl::IDivDuration(absl::Ceil(when - absl::UnixEpoch(), unit), unit,
                            &rest);
}

}  // namespace internal

namespace convert {

// TTL / PTTL: -2 → nullopt (no key), -1 → InfiniteDuration() (no expiry),
// n ≥ 0 → n `unit`s.
template <int64_t kUnitMillis>
absl::StatusOr<std::optional<absl::Duration>> KeyTtl(const ReplyView& reply) {
  if (reply.type() != ReplyType::kInteger || reply.integer() < -2) {
    return WrongShape("a TTL integer (>= -2)", reply);
  }
  if (reply.integer() == -2) return std::optional<absl::Duration>();
  if (reply.integer() == -1) {
    return std::optional<absl::Duration>(absl::InfiniteDuration());
  }
  return std::optional<absl::Duration>(absl::Milliseconds(kUnitMillis) *
                                       reply.integer());
}

}  // namespace convert

template <typename E>
class KeyCommands {
 public:
  // DEL key... → how many of the keys existed (and were removed).
  auto Del(absl::Span<const std::string> keys) {
    return KeysCommand("DEL", keys);
  }
  // UNLINK key... → how many existed; memory is reclaimed in the
  // background.
  auto Unlink(absl::Span<const std::string> keys) {
    return KeysCommand("UNLINK", keys);
  }
  // EXISTS key... → how many of the keys exist (a key named twice counts
  // twice).
  auto Exists(absl::Span<const std::string> keys) {
    return KeysCommand("EXISTS", keys);
  }

  // EXPIRE key seconds [NX|XX|GT|LT] → whether the expiry was set (false:
  // no such key, or the condition was not met). `ttl` is rounded up to a
  // whole second; it must be positive and finite (to delete, use Del).
  auto Expire(absl::string_view key, absl::Duration ttl,
              ExpireCondition condition = ExpireCondition::kAlways) {
    return ExpireCommand("EXPIRE", key,
                         internal::TtlIn("EXPIRE", ttl, absl::Seconds(1)),
                         condition);
  }
  // PEXPIRE key ms [NX|XX|GT|LT] → as Expire, with `ttl` rounded up to a
  // whole millisecond.
  auto PExpire(absl::string_view key, absl::Duration ttl,
               ExpireCondition condition = ExpireCondition::kAlways) {
    return ExpireCommand("PEXPIRE", key,
                         internal::TtlIn("PEXPIRE", ttl, absl::Milliseconds(1)),
                         condition);
  }
  // EXPIREAT key unix-seconds [NX|XX|GT|LT] → whether the expiry was set.
  // `when` is rounded up to a whole second; a time in the past deletes the
  // key (and returns true). INVALID_ARGUMENT for an infinite time or one not
  // after the Unix epoch.
  auto ExpireAt(absl::string_view key, absl::Time when,
                ExpireCondition condition = ExpireCondition::kAlways) {
    return ExpireCommand(
        "EXPIREAT", key,
        internal::UnixTimeIn("EXPIREAT", when, absl::Seconds(1)), condition);
  }
  // PEXPIREAT key unix-ms [NX|XX|GT|LT] → as ExpireAt, rounded up to a
  // whole millisecond.
  auto PExpireAt(absl::string_view key, absl::Time when,
                 ExpireCondition condition = ExpireCondition::kAlways) {
    return ExpireCommand(
        "PEXPIREAT", key,
        internal::UnixTimeIn("PEXPIREAT", when, absl::Milliseconds(1)),
        condition);
  }

  // TTL key → the time to live in whole seconds; nullopt when the key does
  // not exist; absl::InfiniteDuration() when it exists without an expiry.
  auto Ttl(absl::string_view key) {
    return self().template Run<std::optional<absl::Duration>>(
        &convert::KeyTtl<1000>, "TTL", key);
  }
  // PTTL key → as Ttl, in milliseconds.
  auto PTtl(absl::string_view key) {
    return self().template Run<std::optional<absl::Duration>>(
        &convert::KeyTtl<1>, "PTTL", key);
  }
  // PERSIST key → whether an expiry was removed (false: no key or no
  // expiry).
  auto Persist(absl::string_view key) {
    return self().template Run<bool>(&convert::Bool, "PERSIST", key);
  }

  // TYPE key → "string", "list", "set", "zset", "hash", "stream", or
  // "none" when the key does not exist.
  auto Type(absl::string_view key) {
    return self().template Run<std::string>(&convert::String, "TYPE", key);
  }

  // RENAME key newkey → true; overwrites newkey. A missing key is a server
  // error (UNKNOWN, "ERR no such key").
  auto Rename(absl::string_view key, absl::string_view new_key) {
    return self().template Run<bool>(&convert::Ok, "RENAME", key, new_key);
  }
  // RENAMENX key newkey → whether it was renamed (false: newkey exists).
  // A missing key is a server error.
  auto RenameNx(absl::string_view key, absl::string_view new_key) {
    return self().template Run<bool>(&convert::Bool, "RENAMENX", key,
                                     new_key);
  }

  // SCAN cursor [MATCH p] [COUNT n] [TYPE t] → one page of keys and the
  // next cursor (0: done). Start with cursor 0. Keys may repeat across
  // pages. INVALID_ARGUMENT for a non-positive count.
  auto Scan(uint64_t cursor, const ScanOptions& options = {}) {
    using Result = ScanPage<std::string>;
    CommandArgs args{"SCAN", cursor};
    absl::Status s = internal::AppendScanOptions("SCAN", options, args);
    if (!s.ok()) return self().template Fail<Result>(std::move(s));
    return self().template RunArgs<Result>(&convert::StringScanPage,
                                           args.span());
  }

 private:
  E& self() { return static_cast<E&>(*this); }

  auto KeysCommand(absl::string_view command,
                   absl::Span<const std::string> keys) {
    if (keys.empty()) {
      return self().template Fail<int64_t>(
          InvalidArgumentError(absl::StrCat(command, ": needs at least one key")));
    }
    CommandArgs args{command};
    args.reserve(keys.size() + 1);
    for (const std::string& key : keys) args.push_back(key);
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }

  auto ExpireCommand(absl::string_view command, absl::string_view key,
                     const absl::StatusOr<int64_t>& amount,
                     ExpireCondition condition) {
    if (!amount.ok()) return self().template Fail<bool>(amount.status());
    CommandArgs args{command, key, *amount};
    internal::AppendExpireCondition(condition, args);
    return self().template RunArgs<bool>(&convert::Bool, args.span());
  }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_KEY_COMMANDS_H_
