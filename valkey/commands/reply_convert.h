// Reply conversions: turn a parsed Reply into the natural C++ type of a
// command's result. Every typed command names one of these (or its own)
// next to its arguments, so the sync client, pipelines and the async client
// convert identically. RESP2 and RESP3 shapes of the same answer convert to
// the same type (a RESP3 map and a RESP2 flat array both become a map; a
// RESP3 double and a RESP2 bulk string both become a double).
//
// A converter receives a reply that is not an error reply (errors become a
// status before conversion). A reply of the wrong shape is DATA_LOSS
// (kProtocol) naming what was expected and what came.
//
// Thread-safety: pure functions.

#ifndef VALKEY_COMMANDS_REPLY_CONVERT_H_
#define VALKEY_COMMANDS_REPLY_CONVERT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "valkey/common/reply.h"

namespace valkey {

// The conversion a typed command applies to its reply.
template <typename T>
using Converter = absl::StatusOr<T> (*)(const ReplyView&);

namespace convert {

// The reply itself, copied out (for commands without a natural type).
absl::StatusOr<Reply> Raw(const ReplyView& reply);
// +OK (or any simple string): OK status.
absl::StatusOr<bool> Ok(const ReplyView& reply);
// :n
absl::StatusOr<int64_t> Integer(const ReplyView& reply);
// :n or nil (e.g. LPOS, ZRANK).
absl::StatusOr<std::optional<int64_t>> OptionalInteger(const ReplyView& reply);
// :1/:0 or RESP3 #t/#f.
absl::StatusOr<bool> Bool(const ReplyView& reply);
// Simple or bulk string.
absl::StatusOr<std::string> String(const ReplyView& reply);
// Bulk string or nil.
absl::StatusOr<std::optional<std::string>> OptionalString(
    const ReplyView& reply);
// SET ... (NX/XX/GET): +OK or a bulk (the old value with GET) → true/value;
// nil → not set. Returns whether the key was set.
absl::StatusOr<bool> SetResult(const ReplyView& reply);
// RESP3 double or a RESP2 bulk holding one ("inf", "-inf", "nan" too).
absl::StatusOr<double> Double(const ReplyView& reply);
absl::StatusOr<std::optional<double>> OptionalDouble(const ReplyView& reply);
// Array (or set) of strings; nil elements are an error.
absl::StatusOr<std::vector<std::string>> StringList(const ReplyView& reply);
// Array with nil elements kept (MGET, HMGET).
absl::StatusOr<std::vector<std::optional<std::string>>> OptionalStringList(
    const ReplyView& reply);
// RESP3 map or RESP2 flat array of pairs → map (HGETALL, CONFIG GET).
absl::StatusOr<absl::flat_hash_map<std::string, std::string>> StringMap(
    const ReplyView& reply);
// The same, in reply order (ZRANGE WITHSCORES becomes pairs of
// member/score text; see sorted-set commands for typed forms).
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> StringPairs(
    const ReplyView& reply);
// Array of :1/:0 or RESP3 booleans → bools (SMISMEMBER, SCRIPT EXISTS).
absl::StatusOr<std::vector<bool>> BoolList(const ReplyView& reply);
// Array of integers.
absl::StatusOr<std::vector<int64_t>> IntegerList(const ReplyView& reply);

// Helpers for writing converters.
absl::Status WrongShape(absl::string_view expected, const ReplyView& got);
// Parses a double as the server writes it ("3.5", "inf", "-inf", "nan").
std::optional<double> ParseDouble(absl::string_view text);

// An array whose every element converts with `F` (nil elements included:
// F decides what they mean).
template <typename T, absl::StatusOr<T> (*F)(const ReplyView&)>
absl::StatusOr<std::vector<T>> ArrayOf(const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray) {
    return WrongShape("an array", reply);
  }
  std::vector<T> out;
  out.reserve(reply.size());
  for (ReplyView element : reply) {
    absl::StatusOr<T> v = F(element);
    if (!v.ok()) return v.status();
    out.push_back(*std::move(v));
  }
  return out;
}

}  // namespace convert
}  // namespace valkey

#endif  // VALKEY_COMMANDS_REPLY_CONVERT_H_
