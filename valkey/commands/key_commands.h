// Key commands: DEL, EXISTS, expiry (EXPIRE, TTL, PERSIST, ...), TYPE,
// RENAME and SCAN. Part of the command table (see command_table.h): each
// method is the command's arguments plus its reply conversion, run by the
// executor `E` (Client, Pipeline, async client).
//
//   client.Expire("session:1", absl::Minutes(30));
//   absl::StatusOr<std::optional<absl::Duration>> ttl =
//   client.Ttl("session:1");
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
#include <vector>

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
  kAlways,     // (no option)
  kNoExpiry,   // NX: only if the key has no expiry
  kHasExpiry,  // XX: only if the key has an expiry
  kGreater,    // GT: only if the new expiry is later (no expiry = infinite)
  kLess,       // LT: only if the new expiry is sooner (no expiry = infinite)
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

// COPY's options.
struct CopyOptions {
  // DB n: copy into another database of the server. Default: the same.
  std::optional<int64_t> destination_db;
  // REPLACE: overwrite an existing destination key.
  bool replace = false;
};

// RESTORE's options.
struct RestoreOptions {
  // REPLACE: overwrite an existing key.
  bool replace = false;
  // ABSTTL: the ttl argument is an absolute Unix time (see Restore).
  bool absolute_ttl = false;
  // IDLETIME seconds / FREQ n: the key's eviction metadata.
  std::optional<int64_t> idle_seconds;
  std::optional<int64_t> frequency;
};

// SORT / SORT_RO's options. Strings are owned (patterns are short).
struct SortOptions {
  // BY pattern: sort by the values of other keys ("weight_*", "nosort").
  std::string by;
  // LIMIT offset count.
  std::optional<std::pair<int64_t, int64_t>> limit;
  // GET pattern...: return these instead of the elements ("#" is the
  // element itself).
  std::vector<std::string> get;
  // DESC instead of ASC.
  bool descending = false;
  // ALPHA: compare as strings instead of numbers.
  bool alpha = false;
};

// WAITAOF's answer: how many of the local server and its replicas have
// fsynced the connection's writes.
struct WaitAofResult {
  int64_t local = 0;
  int64_t replicas = 0;

  friend bool operator==(const WaitAofResult&, const WaitAofResult&) = default;
};

namespace convert {

// EXPIRETIME / PEXPIRETIME: -2 → nullopt (no key), -1 →
// absl::InfiniteFuture() (no expiry), n → that many `unit`s after the
// epoch.
template <int64_t kUnitMillis>
absl::StatusOr<std::optional<absl::Time>> KeyExpireTime(
    const ReplyView& reply) {
  if (reply.type() != ReplyType::kInteger || reply.integer() < -2) {
    return WrongShape("an expiry time integer (>= -2)", reply);
  }
  if (reply.integer() == -2) return std::optional<absl::Time>();
  if (reply.integer() == -1) {
    return std::optional<absl::Time>(absl::InfiniteFuture());
  }
  return std::optional<absl::Time>(
      absl::FromUnixMillis(reply.integer() * kUnitMillis));
}

// WAITAOF: [numlocal, numreplicas].
inline absl::StatusOr<WaitAofResult> WaitAofFrom(const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray || reply.size() != 2 ||
      reply[0].type() != ReplyType::kInteger ||
      reply[1].type() != ReplyType::kInteger) {
    return WrongShape("[numlocal, numreplicas]", reply);
  }
  return WaitAofResult{reply[0].integer(), reply[1].integer()};
}

}  // namespace convert

template <typename E, template <typename> class Result>
class KeyCommands {
 public:
  // DEL key... → how many of the keys existed (and were removed).
  Result<int64_t> Del(absl::Span<const std::string> keys) {
    return KeysCommand("DEL", keys);
  }
  // UNLINK key... → how many existed; memory is reclaimed in the
  // background.
  Result<int64_t> Unlink(absl::Span<const std::string> keys) {
    return KeysCommand("UNLINK", keys);
  }
  // EXISTS key... → how many of the keys exist (a key named twice counts
  // twice).
  Result<int64_t> Exists(absl::Span<const std::string> keys) {
    return KeysCommand("EXISTS", keys);
  }

  // EXPIRE key seconds [NX|XX|GT|LT] → whether the expiry was set (false:
  // no such key, or the condition was not met). `ttl` is rounded up to a
  // whole second; it must be positive and finite (to delete, use Del).
  Result<bool> Expire(absl::string_view key, absl::Duration ttl,
                      ExpireCondition condition = ExpireCondition::kAlways) {
    return ExpireCommand("EXPIRE", key,
                         internal::TtlIn("EXPIRE", ttl, absl::Seconds(1)),
                         condition);
  }
  // PEXPIRE key ms [NX|XX|GT|LT] → as Expire, with `ttl` rounded up to a
  // whole millisecond.
  Result<bool> PExpire(absl::string_view key, absl::Duration ttl,
                       ExpireCondition condition = ExpireCondition::kAlways) {
    return ExpireCommand("PEXPIRE", key,
                         internal::TtlIn("PEXPIRE", ttl, absl::Milliseconds(1)),
                         condition);
  }
  // EXPIREAT key unix-seconds [NX|XX|GT|LT] → whether the expiry was set.
  // `when` is rounded up to a whole second; a time in the past deletes the
  // key (and returns true). INVALID_ARGUMENT for an infinite time or one not
  // after the Unix epoch.
  Result<bool> ExpireAt(absl::string_view key, absl::Time when,
                        ExpireCondition condition = ExpireCondition::kAlways) {
    return ExpireCommand(
        "EXPIREAT", key,
        internal::UnixTimeIn("EXPIREAT", when, absl::Seconds(1)), condition);
  }
  // PEXPIREAT key unix-ms [NX|XX|GT|LT] → as ExpireAt, rounded up to a
  // whole millisecond.
  Result<bool> PExpireAt(absl::string_view key, absl::Time when,
                         ExpireCondition condition = ExpireCondition::kAlways) {
    return ExpireCommand(
        "PEXPIREAT", key,
        internal::UnixTimeIn("PEXPIREAT", when, absl::Milliseconds(1)),
        condition);
  }

  // TTL key → the time to live in whole seconds; nullopt when the key does
  // not exist; absl::InfiniteDuration() when it exists without an expiry.
  Result<std::optional<absl::Duration>> Ttl(absl::string_view key) {
    return self().template Run<std::optional<absl::Duration>>(
        &convert::KeyTtl<1000>, "TTL", key);
  }
  // PTTL key → as Ttl, in milliseconds.
  Result<std::optional<absl::Duration>> PTtl(absl::string_view key) {
    return self().template Run<std::optional<absl::Duration>>(
        &convert::KeyTtl<1>, "PTTL", key);
  }
  // PERSIST key → whether an expiry was removed (false: no key or no
  // expiry).
  Result<bool> Persist(absl::string_view key) {
    return self().template Run<bool>(&convert::Bool, "PERSIST", key);
  }

  // TYPE key → "string", "list", "set", "zset", "hash", "stream", or
  // "none" when the key does not exist.
  Result<std::string> Type(absl::string_view key) {
    return self().template Run<std::string>(&convert::String, "TYPE", key);
  }

  // RENAME key newkey → true; overwrites newkey. A missing key is a server
  // error (UNKNOWN, "ERR no such key").
  Result<bool> Rename(absl::string_view key, absl::string_view new_key) {
    return self().template Run<bool>(&convert::Ok, "RENAME", key, new_key);
  }
  // RENAMENX key newkey → whether it was renamed (false: newkey exists).
  // A missing key is a server error.
  Result<bool> RenameNx(absl::string_view key, absl::string_view new_key) {
    return self().template Run<bool>(&convert::Bool, "RENAMENX", key, new_key);
  }

  // SCAN cursor [MATCH p] [COUNT n] [TYPE t] → one page of keys and the
  // next cursor (0: done). Start with cursor 0. Keys may repeat across
  // pages. INVALID_ARGUMENT for a non-positive count.
  Result<ScanPage<std::string>> Scan(uint64_t cursor,
                                     const ScanOptions& options = {}) {
    using Value = ScanPage<std::string>;
    CommandArgs args{"SCAN", cursor};
    absl::Status s = internal::AppendScanOptions("SCAN", options, args);
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    return self().template RunArgs<Value>(&convert::StringScanPage,
                                          args.span());
  }

  // EXPIRETIME key → when the key expires (whole seconds); nullopt when it
  // does not exist; absl::InfiniteFuture() when it has no expiry.
  Result<std::optional<absl::Time>> ExpireTime(absl::string_view key) {
    return self().template Run<std::optional<absl::Time>>(
        &convert::KeyExpireTime<1000>, "EXPIRETIME", key);
  }
  // PEXPIRETIME key → as ExpireTime, in milliseconds.
  Result<std::optional<absl::Time>> PExpireTime(absl::string_view key) {
    return self().template Run<std::optional<absl::Time>>(
        &convert::KeyExpireTime<1>, "PEXPIRETIME", key);
  }

  // COPY source destination [DB n] [REPLACE] → whether it was copied
  // (false: destination exists and no replace, or no source).
  Result<bool> Copy(absl::string_view source, absl::string_view destination,
                    const CopyOptions& options = {}) {
    CommandArgs args{"COPY", source, destination};
    if (options.destination_db.has_value()) {
      args.push_back("DB");
      args.push_back(*options.destination_db);
    }
    if (options.replace) args.push_back("REPLACE");
    return self().template RunArgs<bool>(&convert::Bool, args.span());
  }
  // MOVE key db → whether it was moved (false: no key, or db has it).
  Result<bool> Move(absl::string_view key, int64_t db) {
    return self().template Run<bool>(&convert::Bool, "MOVE", key, db);
  }
  // DUMP key → the value serialized in the server's opaque format (for
  // Restore), or nullopt when the key does not exist.
  Result<std::optional<std::string>> Dump(absl::string_view key) {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "DUMP", key);
  }
  // RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ n] →
  // true. `ttl`: zero for no expiry; otherwise relative (rounded up to a
  // millisecond), or with absolute_ttl the time since the epoch. A payload
  // of another server version or a bad checksum is a server error.
  Result<bool> Restore(absl::string_view key, absl::Duration ttl,
                       absl::string_view payload,
                       const RestoreOptions& options = {}) {
    if (ttl < absl::ZeroDuration() || ttl == absl::InfiniteDuration()) {
      return self().template Fail<bool>(InvalidArgumentError(
          absl::StrCat("RESTORE: ttl must be >= 0 and finite, got ",
                       absl::FormatDuration(ttl))));
    }
    const int64_t ms =
        absl::ToInt64Milliseconds(absl::Ceil(ttl, absl::Milliseconds(1)));
    CommandArgs args{"RESTORE", key, ms, payload};
    if (options.replace) args.push_back("REPLACE");
    if (options.absolute_ttl) args.push_back("ABSTTL");
    if (options.idle_seconds.has_value()) {
      args.push_back("IDLETIME");
      args.push_back(*options.idle_seconds);
    }
    if (options.frequency.has_value()) {
      args.push_back("FREQ");
      args.push_back(*options.frequency);
    }
    return self().template RunArgs<bool>(&convert::Ok, args.span());
  }
  // TOUCH key... → how many of the keys exist (their access time is
  // updated).
  Result<int64_t> Touch(absl::Span<const std::string> keys) {
    return KeysCommand("TOUCH", keys);
  }
  // KEYS pattern → every key matching the glob. Walks the whole database
  // in one call; prefer Scan outside tests and small databases.
  Result<std::vector<std::string>> Keys(absl::string_view pattern) {
    return self().template Run<std::vector<std::string>>(&convert::StringList,
                                                         "KEYS", pattern);
  }
  // RANDOMKEY → a random key, or nullopt when the database is empty.
  Result<std::optional<std::string>> RandomKey() {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "RANDOMKEY");
  }

  // OBJECT ENCODING key → the internal encoding ("listpack", "hashtable",
  // "int", ...), or nullopt when the key does not exist.
  Result<std::optional<std::string>> ObjectEncoding(absl::string_view key) {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "OBJECT", "ENCODING", key);
  }
  // OBJECT FREQ key → the LFU access counter, or nullopt when the key does
  // not exist. A server error unless maxmemory-policy is an LFU policy.
  Result<std::optional<int64_t>> ObjectFreq(absl::string_view key) {
    return self().template Run<std::optional<int64_t>>(
        &convert::OptionalInteger, "OBJECT", "FREQ", key);
  }
  // OBJECT IDLETIME key → seconds since the key was last accessed, or
  // nullopt when it does not exist. A server error under an LFU policy.
  Result<std::optional<int64_t>> ObjectIdleTime(absl::string_view key) {
    return self().template Run<std::optional<int64_t>>(
        &convert::OptionalInteger, "OBJECT", "IDLETIME", key);
  }
  // OBJECT REFCOUNT key → the value's reference count, or nullopt when the
  // key does not exist.
  Result<std::optional<int64_t>> ObjectRefCount(absl::string_view key) {
    return self().template Run<std::optional<int64_t>>(
        &convert::OptionalInteger, "OBJECT", "REFCOUNT", key);
  }

  // SORT key [BY p] [LIMIT o c] [GET p...] [ASC|DESC] [ALPHA] → the sorted
  // elements (or the GET values; nullopt where a GET key is missing).
  Result<std::vector<std::optional<std::string>>> Sort(
      absl::string_view key, const SortOptions& options = {}) {
    return SortCommand("SORT", key, options);
  }
  // SORT_RO: the same, read-only (may run on replicas).
  Result<std::vector<std::optional<std::string>>> SortRo(
      absl::string_view key, const SortOptions& options = {}) {
    return SortCommand("SORT_RO", key, options);
  }
  // SORT key ... STORE destination → how many elements were stored (as a
  // list) in destination.
  Result<int64_t> SortStore(absl::string_view key,
                            absl::string_view destination,
                            const SortOptions& options = {}) {
    CommandArgs args{"SORT", key};
    AppendSortOptions(options, args);
    args.push_back("STORE");
    args.push_back(destination);
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }

  // WAIT numreplicas timeout → how many replicas acknowledged the
  // connection's writes so far; blocks up to `timeout` (zero: until
  // numreplicas acknowledged). Meaningful on a connection that wrote: with
  // a pool, run it in a Transaction or an exclusive connection.
  Result<int64_t> Wait(int64_t num_replicas, absl::Duration timeout) {
    absl::StatusOr<int64_t> ms = BlockingMillis("WAIT", timeout);
    if (!ms.ok()) return self().template Fail<int64_t>(ms.status());
    CommandArgs args{"WAIT", num_replicas, *ms};
    return self().template RunBlockingArgs<int64_t>(
        &convert::Integer, absl::Milliseconds(*ms), args.span());
  }
  // WAITAOF numlocal numreplicas timeout → how many of the local server
  // (0 or 1) and its replicas fsynced the connection's writes. A server
  // error when numlocal > 0 and appendonly is off.
  Result<WaitAofResult> WaitAof(int64_t num_local, int64_t num_replicas,
                                absl::Duration timeout) {
    absl::StatusOr<int64_t> ms = BlockingMillis("WAITAOF", timeout);
    if (!ms.ok()) return self().template Fail<WaitAofResult>(ms.status());
    CommandArgs args{"WAITAOF", num_local, num_replicas, *ms};
    return self().template RunBlockingArgs<WaitAofResult>(
        &convert::WaitAofFrom, absl::Milliseconds(*ms), args.span());
  }

 private:
  E& self() { return static_cast<E&>(*this); }

  static absl::StatusOr<int64_t> BlockingMillis(absl::string_view command,
                                                absl::Duration timeout) {
    if (timeout < absl::ZeroDuration()) {
      return InvalidArgumentError(
          absl::StrCat(command, ": timeout must not be negative, got ",
                       absl::FormatDuration(timeout)));
    }
    if (timeout == absl::InfiniteDuration()) return 0;
    return absl::ToInt64Milliseconds(
        absl::Ceil(timeout, absl::Milliseconds(1)));
  }

  static void AppendSortOptions(const SortOptions& options,
                                CommandArgs& args) {
    if (!options.by.empty()) {
      args.push_back("BY");
      args.push_back(options.by);
    }
    if (options.limit.has_value()) {
      args.push_back("LIMIT");
      args.push_back(options.limit->first);
      args.push_back(options.limit->second);
    }
    for (const std::string& pattern : options.get) {
      args.push_back("GET");
      args.push_back(pattern);
    }
    if (options.descending) args.push_back("DESC");
    if (options.alpha) args.push_back("ALPHA");
  }

  Result<std::vector<std::optional<std::string>>> SortCommand(
      absl::string_view command, absl::string_view key,
      const SortOptions& options) {
    CommandArgs args{command, key};
    AppendSortOptions(options, args);
    return self().template RunArgs<std::vector<std::optional<std::string>>>(
        &convert::OptionalStringList, args.span());
  }

  Result<int64_t> KeysCommand(absl::string_view command,
                              absl::Span<const std::string> keys) {
    if (keys.empty()) {
      return self().template Fail<int64_t>(InvalidArgumentError(
          absl::StrCat(command, ": needs at least one key")));
    }
    CommandArgs args{command};
    args.reserve(keys.size() + 1);
    for (const std::string& key : keys) args.push_back(key);
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }

  Result<bool> ExpireCommand(absl::string_view command, absl::string_view key,
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
