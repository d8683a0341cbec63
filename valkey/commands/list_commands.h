// List commands: pushes, pops, ranges, and the blocking pops BLPOP/BRPOP.
// Part of the command table (see command_table.h): each method is the
// command's arguments plus its reply conversion, run by the executor `E`
// (Client, Pipeline, async client).
//
//   client.RPush("jobs", {"a", "b"});
//   absl::StatusOr<std::optional<ListPop>> job =
//       client.BLPop({"jobs"}, absl::Seconds(5));
//   // nullopt (not an error) when nothing arrived within five seconds.
//
// Indexes are the server's: 0 is the head, -1 the tail. A missing key
// reads as an empty list.
//
// Errors: INVALID_ARGUMENT (naming the command) for bad arguments, before
// anything is sent; server error replies (WRONGTYPE, "ERR no such key",
// "ERR index out of range", ...) as their status; DATA_LOSS for a reply of
// an unexpected shape.
//
// Thread-safety: as the executor's. BLPop/BRPop hold their connection for
// up to the time-out.

#ifndef VALKEY_COMMANDS_LIST_COMMANDS_H_
#define VALKEY_COMMANDS_LIST_COMMANDS_H_

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
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"

namespace valkey {

// What BLPOP / BRPOP popped: the list it came from and the element.
struct ListPop {
  std::string key;
  std::string value;

  friend bool operator==(const ListPop&, const ListPop&) = default;
};

namespace convert {

// [key, value] → a ListPop; nil (the time-out passed) → nullopt.
inline absl::StatusOr<std::optional<ListPop>> OptionalListPop(
    const ReplyView& reply) {
  if (reply.is_null()) return std::optional<ListPop>();
  if (reply.type() != ReplyType::kArray || reply.size() != 2 ||
      !reply[0].is_string() || reply[0].is_error() || !reply[1].is_string() ||
      reply[1].is_error()) {
    return WrongShape("[key, element] or nil", reply);
  }
  return std::optional<ListPop>(
      ListPop{std::string(reply[0].str()), std::string(reply[1].str())});
}

// An array of strings, or nil (LPOP key count on a missing key) → empty.
inline absl::StatusOr<std::vector<std::string>> StringListOrNil(
    const ReplyView& reply) {
  if (reply.is_null()) return std::vector<std::string>();
  return StringList(reply);
}

}  // namespace convert

namespace internal {

// A blocking command's server time-out in seconds (decimals allowed),
// rounded up to a millisecond: zero and InfiniteDuration() → 0, which the
// server reads as "forever". INVALID_ARGUMENT when negative.
inline absl::StatusOr<double> BlockingTimeoutSeconds(absl::string_view command,
                                                     absl::Duration timeout) {
  if (timeout < absl::ZeroDuration()) {
    return InvalidArgumentError(
        absl::StrCat(command, ": time-out must not be negative, got ",
                     absl::FormatDuration(timeout)));
  }
  if (timeout == absl::InfiniteDuration()) return 0.0;
  const int64_t ms =
      absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1)));
  return static_cast<double>(ms) / 1000;
}

// How long the server may hold a blocking command whose time-out is
// `seconds` (BlockingTimeoutSeconds): the caller's deadline grows by it;
// zero means "forever", which adds nothing here (the executor then waits
// without a deadline of its own).
inline absl::Duration BlockingServerWait(double seconds) {
  return seconds == 0 ? absl::ZeroDuration() : absl::Seconds(seconds);
}

// LMPOP / ZMPOP (without `timeout`) and BLMPOP / BZMPOP (with it), shared
// by the list and sorted-set families, which differ only in the end token
// (`end`: LEFT|RIGHT, MIN|MAX) and the reply's conversion:
//   <command> [timeout] numkeys key... <end> [COUNT n]
// run on `executor` (a command-table executor), the reply converted by
// `convert`. INVALID_ARGUMENT naming `command`, with nothing sent, for no
// keys, a count <= 0 or a negative time-out. `end` must outlive the call
// (a literal).
template <typename Value, typename E>
auto RunMPop(E& executor, absl::string_view command,
             std::optional<absl::Duration> timeout,
             absl::Span<const std::string> keys, absl::string_view end,
             std::optional<int64_t> count, Converter<Value> convert) {
  absl::Status s = absl::OkStatus();
  double seconds = 0;
  if (timeout.has_value()) {
    absl::StatusOr<double> parsed = BlockingTimeoutSeconds(command, *timeout);
    if (parsed.ok()) {
      seconds = *parsed;
    } else {
      s = parsed.status();
    }
  }
  if (s.ok() && keys.empty()) {
    s = InvalidArgumentError(absl::StrCat(command, ": needs at least one key"));
  }
  if (s.ok() && count.has_value() && *count <= 0) {
    s = InvalidArgumentError(
        absl::StrCat(command, ": count must be > 0, got ", *count));
  }
  if (!s.ok()) return executor.template Fail<Value>(std::move(s));
  CommandArgs args{command};
  args.reserve(keys.size() + 6);
  if (timeout.has_value()) args.push_back(seconds);
  args.push_back(static_cast<int64_t>(keys.size()));
  for (const std::string& key : keys) args.push_back(key);
  args.push_back(end);
  if (count.has_value()) {
    args.push_back("COUNT");
    args.push_back(*count);
  }
  if (!timeout.has_value()) {
    return executor.template RunArgs<Value>(convert, args.span());
  }
  return executor.template RunBlockingArgs<Value>(
      convert, BlockingServerWait(seconds), args.span());
}

// BLPOP / BRPOP and BZPOPMIN / BZPOPMAX, shared by the list and sorted-set
// families, which differ only in the reply's conversion:
//   <command> key... timeout
// run on `executor` (a command-table executor) as a blocking command, the
// reply converted by `convert`. INVALID_ARGUMENT naming `command`, with
// nothing sent, for a negative time-out or no keys.
template <typename Value, typename E>
auto RunBlockingKeysPop(E& executor, absl::string_view command,
                        absl::Span<const std::string> keys,
                        absl::Duration timeout, Converter<Value> convert) {
  absl::StatusOr<double> seconds = BlockingTimeoutSeconds(command, timeout);
  if (seconds.ok() && keys.empty()) {
    seconds =
        InvalidArgumentError(absl::StrCat(command, ": needs at least one key"));
  }
  if (!seconds.ok()) return executor.template Fail<Value>(seconds.status());
  CommandArgs args{command};
  args.reserve(keys.size() + 2);
  for (const std::string& key : keys) args.push_back(key);
  args.push_back(*seconds);
  return executor.template RunBlockingArgs<Value>(
      convert, BlockingServerWait(*seconds), args.span());
}

}  // namespace internal

// A list end: LMOVE / LMPOP's LEFT (head) or RIGHT (tail).
enum class ListEnd { kLeft, kRight };

// What LMPOP / BLMPOP popped: the list it came from and the elements.
struct ListMultiPop {
  std::string key;
  std::vector<std::string> elements;

  friend bool operator==(const ListMultiPop&, const ListMultiPop&) = default;
};

// LPOS's options.
struct LPosOptions {
  // RANK r: skip to the r-th match (negative: from the tail). Not 0.
  std::optional<int64_t> rank;
  // MAXLEN n: compare at most n elements (> 0).
  std::optional<int64_t> max_len;
};

namespace convert {

// [key, [element, ...]] → a ListMultiPop; nil → nullopt.
inline absl::StatusOr<std::optional<ListMultiPop>> OptionalListMultiPop(
    const ReplyView& reply) {
  if (reply.is_null()) return std::optional<ListMultiPop>();
  if (reply.type() != ReplyType::kArray || reply.size() != 2 ||
      !reply[0].is_string() || reply[0].is_error()) {
    return WrongShape("[key, elements] or nil", reply);
  }
  absl::StatusOr<std::vector<std::string>> elements = StringList(reply[1]);
  if (!elements.ok()) return elements.status();
  return std::optional<ListMultiPop>(
      ListMultiPop{std::string(reply[0].str()), *std::move(elements)});
}

}  // namespace convert

template <typename E, template <typename> class Result>
class ListCommands {
 public:
  // LPUSH key element... → the list's length after the push. Elements are
  // pushed one by one onto the head, so the last one ends up first.
  Result<int64_t> LPush(absl::string_view key,
                        absl::Span<const std::string> elements) {
    return PushCommand("LPUSH", key, elements);
  }
  // RPUSH key element... → the list's length after the push.
  Result<int64_t> RPush(absl::string_view key,
                        absl::Span<const std::string> elements) {
    return PushCommand("RPUSH", key, elements);
  }
  // LPUSHX key element... → the new length; 0 (nothing pushed) when the
  // list does not exist.
  Result<int64_t> LPushX(absl::string_view key,
                         absl::Span<const std::string> elements) {
    return PushCommand("LPUSHX", key, elements);
  }
  // RPUSHX key element... → as LPushX, at the tail.
  Result<int64_t> RPushX(absl::string_view key,
                         absl::Span<const std::string> elements) {
    return PushCommand("RPUSHX", key, elements);
  }

  // LPOP key → the head element, or nullopt when the list is empty.
  Result<std::optional<std::string>> LPop(absl::string_view key) {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "LPOP", key);
  }
  // LPOP key count → up to `count` elements from the head (empty when the
  // list is). INVALID_ARGUMENT for a negative count.
  Result<std::vector<std::string>> LPop(absl::string_view key, int64_t count) {
    return PopCountCommand("LPOP", key, count);
  }
  // RPOP key → the tail element, or nullopt when the list is empty.
  Result<std::optional<std::string>> RPop(absl::string_view key) {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "RPOP", key);
  }
  // RPOP key count → up to `count` elements from the tail, tail first.
  Result<std::vector<std::string>> RPop(absl::string_view key, int64_t count) {
    return PopCountCommand("RPOP", key, count);
  }

  // LRANGE key start stop → the elements from index start to stop, both
  // inclusive (negative indexes count from the tail).
  Result<std::vector<std::string>> LRange(absl::string_view key, int64_t start,
                                          int64_t stop) {
    return self().template Run<std::vector<std::string>>(
        &convert::StringList, "LRANGE", key, start, stop);
  }
  // LLEN key → the length (0 for a missing key).
  Result<int64_t> LLen(absl::string_view key) {
    return self().template Run<int64_t>(&convert::Integer, "LLEN", key);
  }
  // LINDEX key index → the element, or nullopt when out of range.
  Result<std::optional<std::string>> LIndex(absl::string_view key,
                                            int64_t index) {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "LINDEX", key, index);
  }
  // LSET key index element → true. An index out of range or a missing key
  // is a server error.
  Result<bool> LSet(absl::string_view key, int64_t index,
                    absl::string_view element) {
    return self().template Run<bool>(&convert::Ok, "LSET", key, index, element);
  }
  // LREM key count element → how many were removed: count > 0 removes the
  // first `count` equal elements from the head, < 0 from the tail, 0 all.
  Result<int64_t> LRem(absl::string_view key, int64_t count,
                       absl::string_view element) {
    return self().template Run<int64_t>(&convert::Integer, "LREM", key, count,
                                        element);
  }
  // LTRIM key start stop → true; keeps only the elements from start to
  // stop, both inclusive.
  Result<bool> LTrim(absl::string_view key, int64_t start, int64_t stop) {
    return self().template Run<bool>(&convert::Ok, "LTRIM", key, start, stop);
  }

  // BLPOP key... timeout → the first element of the first non-empty list,
  // waiting up to `timeout` for one (zero or InfiniteDuration(): forever);
  // nullopt (not an error) when the time-out passed. The time-out is sent
  // in seconds rounded up to a millisecond. INVALID_ARGUMENT for no keys or
  // a negative time-out.
  Result<std::optional<ListPop>> BLPop(absl::Span<const std::string> keys,
                                       absl::Duration timeout) {
    return internal::RunBlockingKeysPop<std::optional<ListPop>>(
        self(), "BLPOP", keys, timeout, &convert::OptionalListPop);
  }
  // BRPOP key... timeout → as BLPop, from the tail.
  Result<std::optional<ListPop>> BRPop(absl::Span<const std::string> keys,
                                       absl::Duration timeout) {
    return internal::RunBlockingKeysPop<std::optional<ListPop>>(
        self(), "BRPOP", keys, timeout, &convert::OptionalListPop);
  }

  // LINSERT key BEFORE|AFTER pivot element → the new length; -1 when the
  // pivot is not found, 0 for a missing key.
  Result<int64_t> LInsert(absl::string_view key, bool before,
                          absl::string_view pivot, absl::string_view element) {
    return self().template Run<int64_t>(&convert::Integer, "LINSERT", key,
                                        before ? "BEFORE" : "AFTER", pivot,
                                        element);
  }
  // LPOS key element [RANK r] [MAXLEN n] → the index of the first (or
  // rank-th) match, or nullopt.
  Result<std::optional<int64_t>> LPos(absl::string_view key,
                                      absl::string_view element,
                                      const LPosOptions& options = {}) {
    using Value = std::optional<int64_t>;
    CommandArgs args{"LPOS", key, element};
    absl::Status s = AppendLPosOptions(options, args);
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    return self().template RunArgs<Value>(&convert::OptionalInteger,
                                          args.span());
  }
  // LPOS key element COUNT n [RANK r] [MAXLEN n] → the indexes of up to
  // `count` matches (0: all).
  Result<std::vector<int64_t>> LPosAll(absl::string_view key,
                                       absl::string_view element,
                                       int64_t count,
                                       const LPosOptions& options = {}) {
    using Value = std::vector<int64_t>;
    CommandArgs args{"LPOS", key, element};
    absl::Status s = AppendLPosOptions(options, args);
    if (s.ok() && count < 0) {
      s = InvalidArgumentError(
          absl::StrCat("LPOS: count must be >= 0, got ", count));
    }
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    args.push_back("COUNT");
    args.push_back(count);
    return self().template RunArgs<Value>(&convert::IntegerList, args.span());
  }
  // LMOVE source destination LEFT|RIGHT LEFT|RIGHT → the element moved, or
  // nullopt when source is empty.
  Result<std::optional<std::string>> LMove(absl::string_view source,
                                           absl::string_view destination,
                                           ListEnd from, ListEnd to) {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "LMOVE", source, destination, EndName(from),
        EndName(to));
  }
  // BLMOVE ... timeout: as LMove, waiting up to `timeout` (zero or
  // infinite: forever) for an element; nullopt when none came.
  Result<std::optional<std::string>> BLMove(absl::string_view source,
                                            absl::string_view destination,
                                            ListEnd from, ListEnd to,
                                            absl::Duration timeout) {
    using Value = std::optional<std::string>;
    absl::StatusOr<double> seconds =
        internal::BlockingTimeoutSeconds("BLMOVE", timeout);
    if (!seconds.ok()) return self().template Fail<Value>(seconds.status());
    CommandArgs args{"BLMOVE", source, destination, EndName(from), EndName(to),
                     *seconds};
    return self().template RunBlockingArgs<Value>(
        &convert::OptionalString, internal::BlockingServerWait(*seconds),
        args.span());
  }
  // LMPOP numkeys key... LEFT|RIGHT [COUNT n] → up to `count` elements of
  // the first non-empty list, or nullopt when all are empty.
  Result<std::optional<ListMultiPop>> LMPop(
      absl::Span<const std::string> keys, ListEnd end,
      std::optional<int64_t> count = std::nullopt) {
    return internal::RunMPop<std::optional<ListMultiPop>>(
        self(), "LMPOP", std::nullopt, keys, EndName(end), count,
        &convert::OptionalListMultiPop);
  }
  // BLMPOP timeout numkeys key... LEFT|RIGHT [COUNT n]: as LMPop, waiting
  // up to `timeout` (zero or infinite: forever).
  Result<std::optional<ListMultiPop>> BLMPop(
      absl::Duration timeout, absl::Span<const std::string> keys, ListEnd end,
      std::optional<int64_t> count = std::nullopt) {
    return internal::RunMPop<std::optional<ListMultiPop>>(
        self(), "BLMPOP", timeout, keys, EndName(end), count,
        &convert::OptionalListMultiPop);
  }

 private:
  E& self() { return static_cast<E&>(*this); }

  static const char* EndName(ListEnd end) {
    return end == ListEnd::kLeft ? "LEFT" : "RIGHT";
  }
  static absl::Status AppendLPosOptions(const LPosOptions& options,
                                        CommandArgs& args) {
    if (options.rank.has_value()) {
      if (*options.rank == 0) {
        return InvalidArgumentError("LPOS: rank must not be 0");
      }
      args.push_back("RANK");
      args.push_back(*options.rank);
    }
    if (options.max_len.has_value()) {
      if (*options.max_len < 0) {
        return InvalidArgumentError(absl::StrCat(
            "LPOS: max_len must be >= 0, got ", *options.max_len));
      }
      args.push_back("MAXLEN");
      args.push_back(*options.max_len);
    }
    return absl::OkStatus();
  }

  Result<int64_t> PushCommand(absl::string_view command, absl::string_view key,
                              absl::Span<const std::string> elements) {
    if (elements.empty()) {
      return self().template Fail<int64_t>(InvalidArgumentError(
          absl::StrCat(command, ": needs at least one element")));
    }
    CommandArgs args{command, key};
    args.reserve(elements.size() + 2);
    for (const std::string& element : elements) args.push_back(element);
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }

  Result<std::vector<std::string>> PopCountCommand(absl::string_view command,
                                                   absl::string_view key,
                                                   int64_t count) {
    using Value = std::vector<std::string>;
    if (count < 0) {
      return self().template Fail<Value>(InvalidArgumentError(
          absl::StrCat(command, ": count must not be negative, got ", count)));
    }
    CommandArgs args{command, key, count};
    return self().template RunArgs<Value>(&convert::StringListOrNil,
                                          args.span());
  }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_LIST_COMMANDS_H_
