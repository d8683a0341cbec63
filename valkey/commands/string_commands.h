// String commands: GET/SET and friends. Part of the command table (see
// command_table.h): each method is the command's arguments plus its reply
// conversion, run by the executor `E` (Client, Pipeline, async client).
//
//   client.Set("user:1", "alice", {.ttl = absl::Seconds(30)});
//   absl::StatusOr<std::optional<std::string>> v = client.Get("user:1");

#ifndef VALKEY_COMMANDS_STRING_COMMANDS_H_
#define VALKEY_COMMANDS_STRING_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/commands/command_args.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/commands/reply_fields.h"
#include "valkey/common/errors.h"

namespace valkey {

struct SetOptions {
  enum class Condition { kAlways, kIfNotExists, kIfExists };  // -, NX, XX
  // Relative expiry: whole seconds use EX, anything finer PX. Must be > 0.
  std::optional<absl::Duration> ttl;
  // Absolute expiry (PXAT). Excludes ttl.
  std::optional<absl::Time> expire_at;
  // KEEPTTL: keep the key's current expiry. Excludes ttl and expire_at.
  bool keep_ttl = false;
  Condition condition = Condition::kAlways;
  // IFEQ value: set only if the key holds exactly this string (Valkey
  // 8.1+). Excludes kIfNotExists / kIfExists.
  std::optional<std::string> if_equal;
};

// MSETEX's condition and shared expiry (Valkey 9.1+).
struct MSetExOptions {
  enum class Condition { kAlways, kNoneExist, kAllExist };  // -, NX, XX
  Condition condition = Condition::kAlways;
  // EX / PX (whole seconds use EX). Must be > 0.
  std::optional<absl::Duration> ttl;
  // PXAT. Excludes ttl.
  std::optional<absl::Time> expire_at;
  // KEEPTTL. Excludes ttl and expire_at.
  bool keep_ttl = false;
};

// LCS IDX's options.
struct LcsIdxOptions {
  // MINMATCHLEN: leave out matches shorter than this.
  std::optional<int64_t> min_match_len;
};

// One matching run of LCS IDX: its [start, end] ranges (inclusive) in the
// first and the second string, and its length.
struct LcsMatch {
  std::pair<int64_t, int64_t> first;
  std::pair<int64_t, int64_t> second;
  int64_t length = 0;

  friend bool operator==(const LcsMatch&, const LcsMatch&) = default;
};

// LCS IDX: the matches (last in the strings first, as the server sends
// them) and the length of the longest common subsequence.
struct LcsIndex {
  std::vector<LcsMatch> matches;
  int64_t length = 0;
};

// GETEX expiry change: at most one of these.
struct GetExOptions {
  std::optional<absl::Duration> ttl;    // EX / PX
  std::optional<absl::Time> expire_at;  // PXAT
  bool persist = false;                 // PERSIST
};

namespace internal {

// Appends the expiry arguments shared by SET and GETEX. `text` keeps the
// formatted numbers alive (CommandArg formats integers inline, so only the
// keywords are views).
inline absl::Status AppendExpiry(absl::string_view command,
                                 const std::optional<absl::Duration>& ttl,
                                 const std::optional<absl::Time>& expire_at,
                                 CommandArgs& args) {
  if (ttl.has_value() && expire_at.has_value()) {
    return InvalidArgumentError(
        absl::StrCat(command, ": give ttl or expire_at, not both"));
  }
  if (ttl.has_value()) {
    if (*ttl <= absl::ZeroDuration() || *ttl == absl::InfiniteDuration()) {
      return InvalidArgumentError(
          absl::StrCat(command, ": ttl must be positive and finite, got ",
                       absl::FormatDuration(*ttl)));
    }
    if (*ttl % absl::Seconds(1) == absl::ZeroDuration()) {
      args.push_back("EX");
      args.push_back(absl::ToInt64Seconds(*ttl));
    } else {
      args.push_back("PX");
      args.push_back(std::max<int64_t>(1, absl::ToInt64Milliseconds(*ttl)));
    }
  }
  if (expire_at.has_value()) {
    const int64_t ms = absl::ToUnixMillis(*expire_at);
    if (ms <= 0) {
      return InvalidArgumentError(
          absl::StrCat(command, ": expire_at must be after the Unix epoch"));
    }
    args.push_back("PXAT");
    args.push_back(ms);
  }
  return absl::OkStatus();
}

}  // namespace internal

namespace convert {

// Whether a conditional write happened, however the server says it: :1/:0,
// RESP3 #t/#f, +OK / nil.
inline absl::StatusOr<bool> Applied(const ReplyView& reply) {
  if (reply.is_null()) return false;
  if (reply.type() == ReplyType::kSimpleString) return true;
  return Bool(reply);
}

inline absl::StatusOr<std::pair<int64_t, int64_t>> IntegerPair(
    const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray || reply.size() != 2 ||
      reply[0].type() != ReplyType::kInteger ||
      reply[1].type() != ReplyType::kInteger) {
    return WrongShape("[start, end]", reply);
  }
  return std::make_pair(reply[0].integer(), reply[1].integer());
}

// LCS ... IDX WITHMATCHLEN: {matches: [[[s1, e1], [s2, e2], len], ...],
// len: n} (a map in RESP3, name/value pairs in RESP2).
inline absl::StatusOr<LcsIndex> LcsIndexFrom(const ReplyView& reply) {
  absl::StatusOr<ReplyFields> fields = ReplyFields::Of(reply, "LCS IDX");
  if (!fields.ok()) return fields.status();
  LcsIndex out;
  out.length = fields->Integer("len");
  std::optional<ReplyView> matches = fields->Find("matches");
  if (!matches.has_value() || matches->type() != ReplyType::kArray) {
    return WrongShape("LCS IDX with an array of matches", reply);
  }
  out.matches.reserve(matches->size());
  for (ReplyView m : *matches) {
    if (m.type() != ReplyType::kArray || m.size() != 3 ||
        m[2].type() != ReplyType::kInteger) {
      return WrongShape("an LCS match [[s1, e1], [s2, e2], len]", m);
    }
    absl::StatusOr<std::pair<int64_t, int64_t>> a = IntegerPair(m[0]);
    absl::StatusOr<std::pair<int64_t, int64_t>> b = IntegerPair(m[1]);
    if (!a.ok()) return a.status();
    if (!b.ok()) return b.status();
    out.matches.push_back(LcsMatch{*a, *b, m[2].integer()});
  }
  return out;
}

}  // namespace convert

template <typename E, template <typename> class Result>
class StringCommands {
 public:
  // GET key → value, or nullopt when the key does not exist.
  Result<std::optional<std::string>> Get(absl::string_view key) {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "GET", key);
  }

  // SET key value [NX|XX|IFEQ v] [EX|PX|PXAT|KEEPTTL] → whether the key
  // was set (false only when an NX/XX/IFEQ condition was not met).
  Result<bool> Set(absl::string_view key, absl::string_view value,
                   const SetOptions& options = {}) {
    CommandArgs args{"SET", key, value};
    absl::Status s = SetArgs(options, args);
    if (!s.ok()) return self().template Fail<bool>(std::move(s));
    return self().template RunArgs<bool>(&convert::SetResult, args.span());
  }

  // SET ... GET → the previous value (nullopt if there was none).
  Result<std::optional<std::string>> SetGet(absl::string_view key,
                                            absl::string_view value,
                                            const SetOptions& options = {}) {
    CommandArgs args{"SET", key, value};
    absl::Status s = SetArgs(options, args);
    if (!s.ok()) {
      return self().template Fail<std::optional<std::string>>(std::move(s));
    }
    args.push_back("GET");
    return self().template RunArgs<std::optional<std::string>>(
        &convert::OptionalString, args.span());
  }

  // MGET key... → one value (or nullopt) per key, in order.
  Result<std::vector<std::optional<std::string>>> MGet(
      absl::Span<const std::string> keys) {
    using Value = std::vector<std::optional<std::string>>;
    if (keys.empty()) {
      return self().template Fail<Value>(
          InvalidArgumentError("MGET: needs at least one key"));
    }
    CommandArgs args{"MGET"};
    args.reserve(keys.size() + 1);
    for (const std::string& key : keys) args.push_back(key);
    return self().template RunArgs<Value>(&convert::OptionalStringList,
                                          args.span());
  }

  // MSET key value [key value ...].
  Result<bool> MSet(
      absl::Span<const std::pair<std::string, std::string>> pairs) {
    if (pairs.empty()) {
      return self().template Fail<bool>(
          InvalidArgumentError("MSET: needs at least one key/value pair"));
    }
    CommandArgs args{"MSET"};
    args.reserve(2 * pairs.size() + 1);
    for (const auto& [key, value] : pairs) {
      args.push_back(key);
      args.push_back(value);
    }
    return self().template RunArgs<bool>(&convert::Ok, args.span());
  }

  // MSETNX: sets all or none → whether they were set.
  Result<bool> MSetNx(
      absl::Span<const std::pair<std::string, std::string>> pairs) {
    if (pairs.empty()) {
      return self().template Fail<bool>(
          InvalidArgumentError("MSETNX: needs at least one key/value pair"));
    }
    CommandArgs args{"MSETNX"};
    args.reserve(2 * pairs.size() + 1);
    for (const auto& [key, value] : pairs) {
      args.push_back(key);
      args.push_back(value);
    }
    return self().template RunArgs<bool>(&convert::Bool, args.span());
  }

  // INCR / DECR / INCRBY / DECRBY → the new value.
  Result<int64_t> Incr(absl::string_view key) {
    return self().template Run<int64_t>(&convert::Integer, "INCR", key);
  }
  Result<int64_t> Decr(absl::string_view key) {
    return self().template Run<int64_t>(&convert::Integer, "DECR", key);
  }
  Result<int64_t> IncrBy(absl::string_view key, int64_t by) {
    return self().template Run<int64_t>(&convert::Integer, "INCRBY", key, by);
  }
  Result<int64_t> DecrBy(absl::string_view key, int64_t by) {
    return self().template Run<int64_t>(&convert::Integer, "DECRBY", key, by);
  }
  // INCRBYFLOAT → the new value.
  Result<double> IncrByFloat(absl::string_view key, double by) {
    return self().template Run<double>(&convert::Double, "INCRBYFLOAT", key,
                                       by);
  }

  // APPEND → the new length.
  Result<int64_t> Append(absl::string_view key, absl::string_view value) {
    return self().template Run<int64_t>(&convert::Integer, "APPEND", key,
                                        value);
  }
  // GETDEL → the value it deleted, or nullopt.
  Result<std::optional<std::string>> GetDel(absl::string_view key) {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "GETDEL", key);
  }
  // GETEX key [EX|PX|PXAT|PERSIST] → the value, or nullopt.
  Result<std::optional<std::string>> GetEx(absl::string_view key,
                                           const GetExOptions& options = {}) {
    using Value = std::optional<std::string>;
    CommandArgs args{"GETEX", key};
    absl::Status s =
        internal::AppendExpiry("GETEX", options.ttl, options.expire_at, args);
    if (s.ok() && options.persist) {
      if (options.ttl || options.expire_at) {
        s = InvalidArgumentError("GETEX: persist excludes ttl and expire_at");
      }
      args.push_back("PERSIST");
    }
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    return self().template RunArgs<Value>(&convert::OptionalString,
                                          args.span());
  }
  // STRLEN → the length (0 for a missing key).
  Result<int64_t> StrLen(absl::string_view key) {
    return self().template Run<int64_t>(&convert::Integer, "STRLEN", key);
  }

  // GETRANGE key start end → the substring between the byte offsets, both
  // inclusive (negative offsets count from the end); "" for a missing key.
  Result<std::string> GetRange(absl::string_view key, int64_t start,
                               int64_t end) {
    return self().template Run<std::string>(&convert::String, "GETRANGE", key,
                                            start, end);
  }
  // SETRANGE key offset value → the string's new length; overwrites from
  // `offset`, padding with zero bytes.
  Result<int64_t> SetRange(absl::string_view key, int64_t offset,
                           absl::string_view value) {
    if (offset < 0) {
      return self().template Fail<int64_t>(InvalidArgumentError(
          absl::StrCat("SETRANGE: offset must be >= 0, got ", offset)));
    }
    return self().template Run<int64_t>(&convert::Integer, "SETRANGE", key,
                                        offset, value);
  }
  // LCS key1 key2 → the longest common subsequence of the two strings.
  Result<std::string> Lcs(absl::string_view key1, absl::string_view key2) {
    return self().template Run<std::string>(&convert::String, "LCS", key1,
                                            key2);
  }
  // LCS key1 key2 LEN → its length.
  Result<int64_t> LcsLen(absl::string_view key1, absl::string_view key2) {
    return self().template Run<int64_t>(&convert::Integer, "LCS", key1, key2,
                                        "LEN");
  }
  // LCS key1 key2 IDX [MINMATCHLEN n] WITHMATCHLEN → where the matching
  // runs are in both strings.
  Result<LcsIndex> LcsIdx(absl::string_view key1, absl::string_view key2,
                          const LcsIdxOptions& options = {}) {
    CommandArgs args{"LCS", key1, key2, "IDX"};
    if (options.min_match_len.has_value()) {
      args.push_back("MINMATCHLEN");
      args.push_back(*options.min_match_len);
    }
    args.push_back("WITHMATCHLEN");
    return self().template RunArgs<LcsIndex>(&convert::LcsIndexFrom,
                                             args.span());
  }

  // DELIFEQ key value → whether the key held exactly `value` and was
  // deleted (Valkey 9.0+; older servers answer "unknown command").
  Result<bool> DelIfEq(absl::string_view key, absl::string_view value) {
    return self().template Run<bool>(&convert::Bool, "DELIFEQ", key, value);
  }
  // MSETEX numkeys key value ... [NX|XX] [EX|PX|PXAT|KEEPTTL] → whether
  // the keys were set (all or none; false when the condition failed).
  // Valkey 9.1+.
  Result<bool> MSetEx(
      absl::Span<const std::pair<std::string, std::string>> pairs,
      const MSetExOptions& options = {}) {
    if (pairs.empty()) {
      return self().template Fail<bool>(
          InvalidArgumentError("MSETEX: needs at least one key/value pair"));
    }
    CommandArgs args{"MSETEX", static_cast<int64_t>(pairs.size())};
    args.reserve(2 * pairs.size() + 6);
    for (const auto& [key, value] : pairs) {
      args.push_back(key);
      args.push_back(value);
    }
    if (options.condition == MSetExOptions::Condition::kNoneExist) {
      args.push_back("NX");
    } else if (options.condition == MSetExOptions::Condition::kAllExist) {
      args.push_back("XX");
    }
    absl::Status s = absl::OkStatus();
    if (options.keep_ttl && (options.ttl || options.expire_at)) {
      s = InvalidArgumentError("MSETEX: keep_ttl excludes ttl and expire_at");
    }
    if (s.ok()) {
      s = internal::AppendExpiry("MSETEX", options.ttl, options.expire_at,
                                 args);
    }
    if (!s.ok()) return self().template Fail<bool>(std::move(s));
    if (options.keep_ttl) args.push_back("KEEPTTL");
    return self().template RunArgs<bool>(&convert::Applied, args.span());
  }

 private:
  E& self() { return static_cast<E&>(*this); }

  static absl::Status SetArgs(const SetOptions& options, CommandArgs& args) {
    if (options.keep_ttl && (options.ttl || options.expire_at)) {
      return InvalidArgumentError("SET: keep_ttl excludes ttl and expire_at");
    }
    absl::Status s =
        internal::AppendExpiry("SET", options.ttl, options.expire_at, args);
    if (!s.ok()) return s;
    if (options.keep_ttl) args.push_back("KEEPTTL");
    if (options.if_equal.has_value()) {
      if (options.condition != SetOptions::Condition::kAlways) {
        return InvalidArgumentError("SET: if_equal excludes NX and XX");
      }
      args.push_back("IFEQ");
      args.push_back(*options.if_equal);
    }
    switch (options.condition) {
      case SetOptions::Condition::kAlways:
        break;
      case SetOptions::Condition::kIfNotExists:
        args.push_back("NX");
        break;
      case SetOptions::Condition::kIfExists:
        args.push_back("XX");
        break;
    }
    return absl::OkStatus();
  }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_STRING_COMMANDS_H_
