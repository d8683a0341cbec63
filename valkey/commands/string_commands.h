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
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/commands/command_args.h"
#include "valkey/commands/reply_convert.h"
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
};

// GETEX expiry change: at most one of these.
struct GetExOptions {
  std::optional<absl::Duration> ttl;     // EX / PX
  std::optional<absl::Time> expire_at;   // PXAT
  bool persist = false;                  // PERSIST
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
      return InvalidArgumentError(absl::StrCat(
          command, ": ttl must be positive and finite, got ",
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

template <typename E>
class StringCommands {
 public:
  // GET key → value, or nullopt when the key does not exist.
  auto Get(absl::string_view key) {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "GET", key);
  }

  // SET key value [NX|XX] [EX|PX|PXAT|KEEPTTL] → whether the key was set
  // (false only when an NX/XX condition was not met).
  auto Set(absl::string_view key, absl::string_view value,
           const SetOptions& options = {}) {
    CommandArgs args{"SET", key, value};
    absl::Status s = SetArgs(options, args);
    if (!s.ok()) return self().template Fail<bool>(std::move(s));
    return self().template RunArgs<bool>(&convert::SetResult, args.span());
  }

  // SET ... GET → the previous value (nullopt if there was none).
  auto SetGet(absl::string_view key, absl::string_view value,
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
  auto MGet(absl::Span<const std::string> keys) {
    using Result = std::vector<std::optional<std::string>>;
    if (keys.empty()) {
      return self().template Fail<Result>(
          InvalidArgumentError("MGET: needs at least one key"));
    }
    CommandArgs args{"MGET"};
    args.reserve(keys.size() + 1);
    for (const std::string& key : keys) args.push_back(key);
    return self().template RunArgs<Result>(&convert::OptionalStringList,
                                           args.span());
  }

  // MSET key value [key value ...].
  auto MSet(absl::Span<const std::pair<std::string, std::string>> pairs) {
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
  auto MSetNx(absl::Span<const std::pair<std::string, std::string>> pairs) {
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
  auto Incr(absl::string_view key) {
    return self().template Run<int64_t>(&convert::Integer, "INCR", key);
  }
  auto Decr(absl::string_view key) {
    return self().template Run<int64_t>(&convert::Integer, "DECR", key);
  }
  auto IncrBy(absl::string_view key, int64_t by) {
    return self().template Run<int64_t>(&convert::Integer, "INCRBY", key, by);
  }
  auto DecrBy(absl::string_view key, int64_t by) {
    return self().template Run<int64_t>(&convert::Integer, "DECRBY", key, by);
  }
  // INCRBYFLOAT → the new value.
  auto IncrByFloat(absl::string_view key, double by) {
    return self().template Run<double>(&convert::Double, "INCRBYFLOAT", key,
                                       by);
  }

  // APPEND → the new length.
  auto Append(absl::string_view key, absl::string_view value) {
    return self().template Run<int64_t>(&convert::Integer, "APPEND", key,
                                        value);
  }
  // GETDEL → the value it deleted, or nullopt.
  auto GetDel(absl::string_view key) {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "GETDEL", key);
  }
  // GETEX key [EX|PX|PXAT|PERSIST] → the value, or nullopt.
  auto GetEx(absl::string_view key, const GetExOptions& options = {}) {
    using Result = std::optional<std::string>;
    CommandArgs args{"GETEX", key};
    absl::Status s =
        internal::AppendExpiry("GETEX", options.ttl, options.expire_at, args);
    if (s.ok() && options.persist) {
      if (options.ttl || options.expire_at) {
        s = InvalidArgumentError("GETEX: persist excludes ttl and expire_at");
      }
      args.push_back("PERSIST");
    }
    if (!s.ok()) return self().template Fail<Result>(std::move(s));
    return self().template RunArgs<Result>(&convert::OptionalString,
                                           args.span());
  }
  // STRLEN → the length (0 for a missing key).
  auto StrLen(absl::string_view key) {
    return self().template Run<int64_t>(&convert::Integer, "STRLEN", key);
  }

 private:
  E& self() { return static_cast<E&>(*this); }

  static absl::Status SetArgs(const SetOptions& options, CommandArgs& args) {
    if (options.keep_ttl && (options.ttl || options.expire_at)) {
      return InvalidArgumentError(
          "SET: keep_ttl excludes ttl and expire_at");
    }
    absl::Status s =
        internal::AppendExpiry("SET", options.ttl, options.expire_at, args);
    if (!s.ok()) return s;
    if (options.keep_ttl) args.push_back("KEEPTTL");
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
