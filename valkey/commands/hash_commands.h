// Hash commands: HSET, HGET, HGETALL, HINCRBY, HSCAN and friends. Part of
// the command table (see command_table.h): each method is the command's
// arguments plus its reply conversion, run by the executor `E` (Client,
// Pipeline, async client).
//
//   client.HSet("user:1", {{"name", "alice"}, {"age", "30"}});
//   absl::StatusOr<std::optional<std::string>> name =
//       client.HGet("user:1", "name");
//   absl::StatusOr<absl::flat_hash_map<std::string, std::string>> all =
//       client.HGetAll("user:1");
//
// RESP2 and RESP3 replies convert to the same types (HGETALL's RESP3 map
// and RESP2 flat array both become a map). A missing key reads as an empty
// hash.
//
// Errors: INVALID_ARGUMENT (naming the command) for bad arguments, before
// anything is sent; server error replies (WRONGTYPE, "ERR hash value is not
// an integer", ...) as their status; DATA_LOSS for a reply of an unexpected
// shape.
//
// Thread-safety: as the executor's.

#ifndef VALKEY_COMMANDS_HASH_COMMANDS_H_
#define VALKEY_COMMANDS_HASH_COMMANDS_H_

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/commands/command_args.h"
#include "valkey/commands/key_commands.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/commands/scan_page.h"
#include "valkey/commands/string_commands.h"
#include "valkey/common/errors.h"

namespace valkey {

namespace convert {

// HRANDFIELD ... WITHVALUES: RESP3 [[field, value], ...] or RESP2 [field,
// value, ...].
inline absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
FieldValuePairs(const ReplyView& reply) {
  if (reply.type() == ReplyType::kArray && !reply.empty() &&
      reply[0].type() == ReplyType::kArray) {
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(reply.size());
    for (ReplyView pair : reply) {
      if (pair.type() != ReplyType::kArray || pair.size() != 2 ||
          !pair[0].is_string() || !pair[1].is_string()) {
        return WrongShape("[field, value] pairs", reply);
      }
      out.emplace_back(std::string(pair[0].str()), std::string(pair[1].str()));
    }
    return out;
  }
  return StringPairs(reply);
}

}  // namespace convert

// HSETEX's options (Valkey 9.0+).
struct HSetExOptions {
  // Whether the hash itself must exist: NX only creates a new hash, XX only
  // updates an existing one. Default: kAlways (no condition sent).
  enum class KeyCondition { kAlways, kNotExists, kExists };  // -, NX, XX
  KeyCondition key_condition = KeyCondition::kAlways;
  // Whether the fields must exist: FNX when none does, FXX when all do.
  // Default: kAlways. Both conditions may be given; both must hold.
  enum class FieldCondition { kAlways, kNoneExist, kAllExist };  // -, FNX, FXX
  FieldCondition field_condition = FieldCondition::kAlways;
  // EX / PX (whole seconds use EX). Must be > 0.
  std::optional<absl::Duration> ttl;
  // PXAT. Excludes ttl.
  std::optional<absl::Time> expire_at;
  // KEEPTTL: keep each field's expiry. Excludes ttl and expire_at.
  bool keep_ttl = false;
};

// HGETEX's expiry change (Valkey 9.0+): at most one of these.
struct HGetExOptions {
  std::optional<absl::Duration> ttl;    // EX / PX
  std::optional<absl::Time> expire_at;  // PXAT
  bool persist = false;                 // PERSIST
};

// What HEXPIRE & co. did to each field.
enum HashFieldExpiryResult : int64_t {
  kHashFieldMissing = -2,       // no such field (or key)
  kHashFieldConditionNotMet = 0,  // NX/XX/GT/LT refused
  kHashFieldExpirySet = 1,
  kHashFieldDeleted = 2,        // the time was now or past: field deleted
};

template <typename E, template <typename> class Result>
class HashCommands {
 public:
  // HSET key field value [field value ...] → how many fields were added
  // (fields that already existed are overwritten but not counted).
  Result<int64_t> HSet(
      absl::string_view key,
      absl::Span<const std::pair<std::string, std::string>> fields) {
    if (fields.empty()) {
      return self().template Fail<int64_t>(
          InvalidArgumentError("HSET: needs at least one field/value pair"));
    }
    CommandArgs args{"HSET", key};
    args.reserve(2 * fields.size() + 2);
    for (const auto& [field, value] : fields) {
      args.push_back(field);
      args.push_back(value);
    }
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }
  // HSETNX key field value → whether the field was set (false: it existed).
  Result<bool> HSetNx(absl::string_view key, absl::string_view field,
                      absl::string_view value) {
    return self().template Run<bool>(&convert::Bool, "HSETNX", key, field,
                                     value);
  }
  // HGET key field → the value, or nullopt when the field or key is absent.
  Result<std::optional<std::string>> HGet(absl::string_view key,
                                          absl::string_view field) {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "HGET", key, field);
  }
  // HMGET key field... → one value (or nullopt) per field, in order.
  Result<std::vector<std::optional<std::string>>> HMGet(
      absl::string_view key, absl::Span<const std::string> fields) {
    using Value = std::vector<std::optional<std::string>>;
    if (fields.empty()) {
      return self().template Fail<Value>(
          InvalidArgumentError("HMGET: needs at least one field"));
    }
    CommandArgs args{"HMGET", key};
    args.reserve(fields.size() + 2);
    for (const std::string& field : fields) args.push_back(field);
    return self().template RunArgs<Value>(&convert::OptionalStringList,
                                          args.span());
  }
  // HGETALL key → field → value (empty for a missing key).
  Result<absl::flat_hash_map<std::string, std::string>> HGetAll(
      absl::string_view key) {
    return self().template Run<absl::flat_hash_map<std::string, std::string>>(
        &convert::StringMap, "HGETALL", key);
  }
  // HDEL key field... → how many fields were removed.
  Result<int64_t> HDel(absl::string_view key,
                       absl::Span<const std::string> fields) {
    if (fields.empty()) {
      return self().template Fail<int64_t>(
          InvalidArgumentError("HDEL: needs at least one field"));
    }
    CommandArgs args{"HDEL", key};
    args.reserve(fields.size() + 2);
    for (const std::string& field : fields) args.push_back(field);
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }
  // HINCRBY key field by → the new value (a missing field counts as 0).
  Result<int64_t> HIncrBy(absl::string_view key, absl::string_view field,
                          int64_t by) {
    return self().template Run<int64_t>(&convert::Integer, "HINCRBY", key,
                                        field, by);
  }
  // HINCRBYFLOAT key field by → the new value. INVALID_ARGUMENT for a NaN
  // or infinite increment.
  Result<double> HIncrByFloat(absl::string_view key, absl::string_view field,
                              double by) {
    if (!std::isfinite(by)) {
      return self().template Fail<double>(
          InvalidArgumentError("HINCRBYFLOAT: increment must be finite"));
    }
    return self().template Run<double>(&convert::Double, "HINCRBYFLOAT", key,
                                       field, by);
  }
  // HEXISTS key field → whether the field exists.
  Result<bool> HExists(absl::string_view key, absl::string_view field) {
    return self().template Run<bool>(&convert::Bool, "HEXISTS", key, field);
  }
  // HLEN key → the number of fields (0 for a missing key).
  Result<int64_t> HLen(absl::string_view key) {
    return self().template Run<int64_t>(&convert::Integer, "HLEN", key);
  }
  // HKEYS key → the field names, in no particular order.
  Result<std::vector<std::string>> HKeys(absl::string_view key) {
    return self().template Run<std::vector<std::string>>(&convert::StringList,
                                                         "HKEYS", key);
  }
  // HVALS key → the values, in no particular order.
  Result<std::vector<std::string>> HVals(absl::string_view key) {
    return self().template Run<std::vector<std::string>>(&convert::StringList,
                                                         "HVALS", key);
  }
  // HSCAN key cursor [MATCH p] [COUNT n] → one page of field/value pairs
  // and the next cursor (0: done). Start with cursor 0; pairs may repeat
  // across pages. INVALID_ARGUMENT for a non-positive count or a type.
  Result<ScanPage<std::pair<std::string, std::string>>> HScan(
      absl::string_view key, uint64_t cursor, const ScanOptions& options = {}) {
    using Value = ScanPage<std::pair<std::string, std::string>>;
    CommandArgs args{"HSCAN", key, cursor};
    absl::Status s = internal::AppendScanOptions("HSCAN", options, args);
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    return self().template RunArgs<Value>(&convert::StringPairScanPage,
                                          args.span());
  }

  // HSTRLEN key field → the value's length (0 when absent).
  Result<int64_t> HStrLen(absl::string_view key, absl::string_view field) {
    return self().template Run<int64_t>(&convert::Integer, "HSTRLEN", key,
                                        field);
  }
  // HRANDFIELD key → a random field, or nullopt for a missing key.
  Result<std::optional<std::string>> HRandField(absl::string_view key) {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "HRANDFIELD", key);
  }
  // HRANDFIELD key count → count > 0: up to count distinct fields; count <
  // 0: |count| fields, possibly repeated.
  Result<std::vector<std::string>> HRandField(absl::string_view key,
                                              int64_t count) {
    return self().template Run<std::vector<std::string>>(
        &convert::StringList, "HRANDFIELD", key, count);
  }
  // HRANDFIELD key count WITHVALUES → as HRandField, with values.
  Result<std::vector<std::pair<std::string, std::string>>>
  HRandFieldWithValues(absl::string_view key, int64_t count) {
    return self()
        .template Run<std::vector<std::pair<std::string, std::string>>>(
            &convert::FieldValuePairs, "HRANDFIELD", key, count, "WITHVALUES");
  }

  // Hash field expiry (Valkey 9.0+; older servers answer "unknown
  // command"). INVALID_ARGUMENT when `fields` is empty.

  // HSETEX key [NX|XX] [FNX|FXX] [EX|PX|PXAT|KEEPTTL] FIELDS n field
  // value... → whether the fields were set (false: the key or the field
  // condition failed; nothing was set).
  Result<bool> HSetEx(
      absl::string_view key,
      absl::Span<const std::pair<std::string, std::string>> fields,
      const HSetExOptions& options = {}) {
    if (fields.empty()) {
      return self().template Fail<bool>(
          InvalidArgumentError("HSETEX: needs at least one field/value pair"));
    }
    CommandArgs args{"HSETEX", key};
    args.reserve(2 * fields.size() + 9);
    if (options.key_condition == HSetExOptions::KeyCondition::kNotExists) {
      args.push_back("NX");
    } else if (options.key_condition == HSetExOptions::KeyCondition::kExists) {
      args.push_back("XX");
    }
    if (options.field_condition == HSetExOptions::FieldCondition::kNoneExist) {
      args.push_back("FNX");
    } else if (options.field_condition ==
               HSetExOptions::FieldCondition::kAllExist) {
      args.push_back("FXX");
    }
    absl::Status s = absl::OkStatus();
    if (options.keep_ttl && (options.ttl || options.expire_at)) {
      s = InvalidArgumentError("HSETEX: keep_ttl excludes ttl and expire_at");
    }
    if (s.ok()) {
      s = internal::AppendExpiry("HSETEX", options.ttl, options.expire_at,
                                 args);
    }
    if (!s.ok()) return self().template Fail<bool>(std::move(s));
    if (options.keep_ttl) args.push_back("KEEPTTL");
    args.push_back("FIELDS");
    args.push_back(static_cast<int64_t>(fields.size()));
    for (const auto& [field, value] : fields) {
      args.push_back(field);
      args.push_back(value);
    }
    return self().template RunArgs<bool>(&convert::Applied, args.span());
  }
  // HGETEX key [EX|PX|PXAT|PERSIST] FIELDS n field... → each field's value
  // (nullopt when absent), changing their expiry.
  Result<std::vector<std::optional<std::string>>> HGetEx(
      absl::string_view key, absl::Span<const std::string> fields,
      const HGetExOptions& options = {}) {
    using Value = std::vector<std::optional<std::string>>;
    CommandArgs args{"HGETEX", key};
    absl::Status s =
        internal::AppendExpiry("HGETEX", options.ttl, options.expire_at, args);
    if (s.ok() && options.persist) {
      if (options.ttl || options.expire_at) {
        s = InvalidArgumentError("HGETEX: persist excludes ttl and expire_at");
      }
      args.push_back("PERSIST");
    }
    if (s.ok()) s = AppendFields("HGETEX", fields, args);
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    return self().template RunArgs<Value>(&convert::OptionalStringList,
                                          args.span());
  }
  // HGETDEL key FIELDS n field... → each field's value (nullopt when
  // absent); the fields are deleted.
  Result<std::vector<std::optional<std::string>>> HGetDel(
      absl::string_view key, absl::Span<const std::string> fields) {
    return FieldsCommand<std::vector<std::optional<std::string>>>(
        "HGETDEL", key, fields, &convert::OptionalStringList);
  }
  // HEXPIRE key seconds [NX|XX|GT|LT] FIELDS n field... → per field, a
  // HashFieldExpiryResult. `ttl` rounds up to a whole second.
  Result<std::vector<int64_t>> HExpire(
      absl::string_view key, absl::Duration ttl,
      absl::Span<const std::string> fields,
      ExpireCondition condition = ExpireCondition::kAlways) {
    return FieldExpire("HEXPIRE", key, ttl, absl::Seconds(1), fields,
                       condition);
  }
  // HPEXPIRE: as HExpire, in milliseconds.
  Result<std::vector<int64_t>> HPExpire(
      absl::string_view key, absl::Duration ttl,
      absl::Span<const std::string> fields,
      ExpireCondition condition = ExpireCondition::kAlways) {
    return FieldExpire("HPEXPIRE", key, ttl, absl::Milliseconds(1), fields,
                       condition);
  }
  // HEXPIREAT key unix-seconds ...: as HExpire, at an absolute time.
  Result<std::vector<int64_t>> HExpireAt(
      absl::string_view key, absl::Time when,
      absl::Span<const std::string> fields,
      ExpireCondition condition = ExpireCondition::kAlways) {
    return FieldExpire("HEXPIREAT", key, when, absl::Seconds(1), fields,
                       condition);
  }
  // HPEXPIREAT key unix-ms ...: as HExpireAt, in milliseconds.
  Result<std::vector<int64_t>> HPExpireAt(
      absl::string_view key, absl::Time when,
      absl::Span<const std::string> fields,
      ExpireCondition condition = ExpireCondition::kAlways) {
    return FieldExpire("HPEXPIREAT", key, when, absl::Milliseconds(1), fields,
                       condition);
  }
  // HTTL key FIELDS n field... → per field its time to live in seconds:
  // nullopt for a missing field, absl::InfiniteDuration() for none.
  Result<std::vector<std::optional<absl::Duration>>> HTtl(
      absl::string_view key, absl::Span<const std::string> fields) {
    return FieldQuery<std::optional<absl::Duration>,
                      &convert::KeyTtl<1000>>("HTTL", key, fields);
  }
  // HPTTL: as HTtl, in milliseconds.
  Result<std::vector<std::optional<absl::Duration>>> HPTtl(
      absl::string_view key, absl::Span<const std::string> fields) {
    return FieldQuery<std::optional<absl::Duration>, &convert::KeyTtl<1>>(
        "HPTTL", key, fields);
  }
  // HEXPIRETIME key FIELDS n field... → per field when it expires: nullopt
  // for a missing field, absl::InfiniteFuture() for no expiry.
  Result<std::vector<std::optional<absl::Time>>> HExpireTime(
      absl::string_view key, absl::Span<const std::string> fields) {
    return FieldQuery<std::optional<absl::Time>,
                      &convert::KeyExpireTime<1000>>("HEXPIRETIME", key,
                                                     fields);
  }
  // HPEXPIRETIME: as HExpireTime, in milliseconds.
  Result<std::vector<std::optional<absl::Time>>> HPExpireTime(
      absl::string_view key, absl::Span<const std::string> fields) {
    return FieldQuery<std::optional<absl::Time>, &convert::KeyExpireTime<1>>(
        "HPEXPIRETIME", key, fields);
  }
  // HPERSIST key FIELDS n field... → per field: 1 expiry removed, -1 it had
  // none, -2 no such field.
  Result<std::vector<int64_t>> HPersist(absl::string_view key,
                                        absl::Span<const std::string> fields) {
    return FieldsCommand<std::vector<int64_t>>("HPERSIST", key, fields,
                                               &convert::IntegerList);
  }

 private:
  E& self() { return static_cast<E&>(*this); }

  static absl::Status AppendFields(absl::string_view command,
                                   absl::Span<const std::string> fields,
                                   CommandArgs& args) {
    if (fields.empty()) {
      return InvalidArgumentError(
          absl::StrCat(command, ": needs at least one field"));
    }
    args.reserve(args.size() + fields.size() + 2);
    args.push_back("FIELDS");
    args.push_back(static_cast<int64_t>(fields.size()));
    for (const std::string& field : fields) args.push_back(field);
    return absl::OkStatus();
  }

  // The field-expiry family's two shapes. HEXPIRE, HPEXPIRE (`amount` an
  // absl::Duration: a TTL) and HEXPIREAT, HPEXPIREAT (an absl::Time):
  //   <command> key <amount in `unit`s> [NX|XX|GT|LT] FIELDS n field...
  template <typename TtlOrTime>
  Result<std::vector<int64_t>> FieldExpire(absl::string_view command,
                                           absl::string_view key,
                                           TtlOrTime amount,
                                           absl::Duration unit,
                                           absl::Span<const std::string> fields,
                                           ExpireCondition condition) {
    using Value = std::vector<int64_t>;
    absl::StatusOr<int64_t> n;
    if constexpr (std::is_same_v<TtlOrTime, absl::Time>) {
      n = internal::UnixTimeIn(command, amount, unit);
    } else {
      n = internal::TtlIn(command, amount, unit);
    }
    if (!n.ok()) return self().template Fail<Value>(n.status());
    CommandArgs args{command, key, *n};
    internal::AppendExpireCondition(condition, args);
    absl::Status s = AppendFields(command, fields, args);
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    return self().template RunArgs<Value>(&convert::IntegerList, args.span());
  }

  // HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME: <command> key FIELDS n
  // field..., each reply element read by F.
  template <typename T, absl::StatusOr<T> (*F)(const ReplyView&)>
  Result<std::vector<T>> FieldQuery(absl::string_view command,
                                    absl::string_view key,
                                    absl::Span<const std::string> fields) {
    return FieldsCommand<std::vector<T>>(command, key, fields,
                                         &convert::ArrayOf<T, F>);
  }

  // <command> key FIELDS n field..., the reply converted by `convert`
  // (HGETDEL, HPERSIST, FieldQuery).
  template <typename Value>
  Result<Value> FieldsCommand(absl::string_view command, absl::string_view key,
                              absl::Span<const std::string> fields,
                              Converter<Value> convert) {
    CommandArgs args{command, key};
    absl::Status s = AppendFields(command, fields, args);
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    return self().template RunArgs<Value>(convert, args.span());
  }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_HASH_COMMANDS_H_
