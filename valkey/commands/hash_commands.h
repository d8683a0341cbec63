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
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/commands/command_args.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/commands/scan_page.h"
#include "valkey/common/errors.h"

namespace valkey {

template <typename E>
class HashCommands {
 public:
  // HSET key field value [field value ...] → how many fields were added
  // (fields that already existed are overwritten but not counted).
  auto HSet(absl::string_view key,
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
  auto HSetNx(absl::string_view key, absl::string_view field,
              absl::string_view value) {
    return self().template Run<bool>(&convert::Bool, "HSETNX", key, field,
                                     value);
  }
  // HGET key field → the value, or nullopt when the field or key is absent.
  auto HGet(absl::string_view key, absl::string_view field) {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "HGET", key, field);
  }
  // HMGET key field... → one value (or nullopt) per field, in order.
  auto HMGet(absl::string_view key, absl::Span<const std::string> fields) {
    using Result = std::vector<std::optional<std::string>>;
    if (fields.empty()) {
      return self().template Fail<Result>(
          InvalidArgumentError("HMGET: needs at least one field"));
    }
    CommandArgs args{"HMGET", key};
    args.reserve(fields.size() + 2);
    for (const std::string& field : fields) args.push_back(field);
    return self().template RunArgs<Result>(&convert::OptionalStringList,
                                           args.span());
  }
  // HGETALL key → field → value (empty for a missing key).
  auto HGetAll(absl::string_view key) {
    return self().template Run<absl::flat_hash_map<std::string, std::string>>(
        &convert::StringMap, "HGETALL", key);
  }
  // HDEL key field... → how many fields were removed.
  auto HDel(absl::string_view key, absl::Span<const std::string> fields) {
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
  auto HIncrBy(absl::string_view key, absl::string_view field, int64_t by) {
    return self().template Run<int64_t>(&convert::Integer, "HINCRBY", key,
                                        field, by);
  }
  // HINCRBYFLOAT key field by → the new value. INVALID_ARGUMENT for a NaN
  // or infinite increment.
  auto HIncrByFloat(absl::string_view key, absl::string_view field,
                    double by) {
    if (!std::isfinite(by)) {
      return self().template Fail<double>(
          InvalidArgumentError("HINCRBYFLOAT: increment must be finite"));
    }
    return self().template Run<double>(&convert::Double, "HINCRBYFLOAT", key,
                                       field, by);
  }
  // HEXISTS key field → whether the field exists.
  auto HExists(absl::string_view key, absl::string_view field) {
    return self().template Run<bool>(&convert::Bool, "HEXISTS", key, field);
  }
  // HLEN key → the number of fields (0 for a missing key).
  auto HLen(absl::string_view key) {
    return self().template Run<int64_t>(&convert::Integer, "HLEN", key);
  }
  // HKEYS key → the field names, in no particular order.
  auto HKeys(absl::string_view key) {
    return self().template Run<std::vector<std::string>>(&convert::StringList,
                                                         "HKEYS", key);
  }
  // HVALS key → the values, in no particular order.
  auto HVals(absl::string_view key) {
    return self().template Run<std::vector<std::string>>(&convert::StringList,
                                                         "HVALS", key);
  }
  // HSCAN key cursor [MATCH p] [COUNT n] → one page of field/value pairs
  // and the next cursor (0: done). Start with cursor 0; pairs may repeat
  // across pages. INVALID_ARGUMENT for a non-positive count or a type.
  auto HScan(absl::string_view key, uint64_t cursor,
             const ScanOptions& options = {}) {
    using Result = ScanPage<std::pair<std::string, std::string>>;
    CommandArgs args{"HSCAN", key, cursor};
    absl::Status s = internal::AppendScanOptions("HSCAN", options, args);
    if (!s.ok()) return self().template Fail<Result>(std::move(s));
    return self().template RunArgs<Result>(&convert::StringPairScanPage,
                                           args.span());
  }

 private:
  E& self() { return static_cast<E&>(*this); }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_HASH_COMMANDS_H_
