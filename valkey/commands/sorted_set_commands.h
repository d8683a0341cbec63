// Sorted-set commands: ZADD, the ZRANGE family, scores, ranks, pops and
// ZSCAN. Part of the command table (see command_table.h): each method is
// the command's arguments plus its reply conversion, run by the executor
// `E` (Client, Pipeline, async client).
//
//   client.ZAdd("board", {{"alice", 10}, {"bob", 7.5}});
//   absl::StatusOr<std::vector<ScoredMember>> top =
//       client.ZRangeWithScores("board", 0, 2, {.rev = true});
//   absl::StatusOr<std::vector<std::string>> passing = client.ZRangeByScore(
//       "board", ScoreBound::Exclusive(5), ScoreBound::PosInf());
//
// RESP2 and RESP3 replies convert to the same types: WITHSCORES' RESP3
// array of [member, double] pairs and its RESP2 flat array of member, score
// text both become a vector of ScoredMember; ZSCORE's RESP3 double and
// RESP2 bulk both become a double. Score and lex ranges always take the
// low end first, even with `rev` (the arguments are swapped on the wire).
//
// Errors: INVALID_ARGUMENT (naming the command) for bad arguments (NaN
// scores, NX with GT/LT, LIMIT on an index range, ...), before anything is
// sent; server error replies (WRONGTYPE, ...) as their status; DATA_LOSS
// for a reply of an unexpected shape.
//
// Thread-safety: as the executor's.

#ifndef VALKEY_COMMANDS_SORTED_SET_COMMANDS_H_
#define VALKEY_COMMANDS_SORTED_SET_COMMANDS_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/commands/command_args.h"
#include "valkey/commands/list_commands.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/commands/scan_page.h"
#include "valkey/commands/set_commands.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"

namespace valkey {

// A sorted-set member with its score.
struct ScoredMember {
  std::string member;
  double score = 0;

  friend bool operator==(const ScoredMember&, const ScoredMember&) = default;
};

struct ZAddOptions {
  enum class Condition { kAlways, kIfNotExists, kIfExists };  // -, NX, XX
  enum class Comparison { kAny, kGreater, kLess };            // -, GT, LT
  // NX: only add new members; XX: only update existing ones.
  Condition condition = Condition::kAlways;
  // GT / LT: only update when the new score is greater / less (new members
  // are still added). Excludes kIfNotExists.
  Comparison comparison = Comparison::kAny;
  // CH: count changed members (added or score updated), not only added.
  bool changed = false;
};

// One end of a score range (ZRANGE BYSCORE, ZCOUNT): a score, included
// unless `exclusive`. Infinite values are the open ends.
struct ScoreBound {
  double value = 0;
  bool exclusive = false;

  static ScoreBound Inclusive(double v) { return {v, false}; }
  static ScoreBound Exclusive(double v) { return {v, true}; }
  static ScoreBound NegInf() {
    return {-std::numeric_limits<double>::infinity(), false};
  }
  static ScoreBound PosInf() {
    return {std::numeric_limits<double>::infinity(), false};
  }
};

// One end of a lexicographic range (ZRANGE BYLEX): "[value", "(value", or
// the open ends "-" and "+". Only meaningful when all members have the
// same score.
struct LexBound {
  enum class Kind { kInclusive, kExclusive, kMin, kMax };
  Kind kind = Kind::kMin;
  std::string value;

  static LexBound Inclusive(absl::string_view v) {
    return {Kind::kInclusive, std::string(v)};
  }
  static LexBound Exclusive(absl::string_view v) {
    return {Kind::kExclusive, std::string(v)};
  }
  static LexBound Min() { return {Kind::kMin, ""}; }
  static LexBound Max() { return {Kind::kMax, ""}; }
};

// LIMIT offset count of a score or lex range. count < 0: all from offset.
struct ZRangeLimit {
  int64_t offset = 0;
  int64_t count = -1;
};

struct ZRangeOptions {
  // REV: highest score (or last in lex order) first.
  bool rev = false;
  // LIMIT: score and lex ranges only (INVALID_ARGUMENT on index ranges).
  std::optional<ZRangeLimit> limit;
};

namespace convert {

// Member/score pairs in either shape: RESP3 [[member, score], ...] or a
// flat [member, score, ...] (RESP2, and RESP3 ZPOPMIN without a count).
// Scores may be doubles or bulk text.
inline absl::StatusOr<std::vector<ScoredMember>> ScoredMembers(
    const ReplyView& reply) {
  std::vector<ScoredMember> out;
  if (reply.is_null()) return out;
  if (reply.type() != ReplyType::kArray) {
    return WrongShape("an array of member/score pairs", reply);
  }
  auto add = [&out](const ReplyView& member,
                    const ReplyView& score) -> absl::Status {
    if (!member.is_string() || member.is_error()) {
      return WrongShape("a member", member);
    }
    absl::StatusOr<double> d = Double(score);
    if (!d.ok()) return d.status();
    out.push_back({std::string(member.str()), *d});
    return absl::OkStatus();
  };
  if (!reply.empty() && reply[0].type() == ReplyType::kArray) {
    out.reserve(reply.size());
    for (ReplyView pair : reply) {
      if (pair.type() != ReplyType::kArray || pair.size() != 2) {
        return WrongShape("[member, score] pairs", reply);
      }
      if (absl::Status s = add(pair[0], pair[1]); !s.ok()) return s;
    }
    return out;
  }
  if (reply.size() % 2 != 0) {
    return WrongShape("member, score pairs", reply);
  }
  out.reserve(reply.size() / 2);
  for (auto [member, score] : reply.pairs()) {
    if (absl::Status s = add(member, score); !s.ok()) return s;
  }
  return out;
}

// ZPOPMIN / ZPOPMAX without a count: one pair, or none → nullopt.
inline absl::StatusOr<std::optional<ScoredMember>> OptionalScoredMember(
    const ReplyView& reply) {
  absl::StatusOr<std::vector<ScoredMember>> all = ScoredMembers(reply);
  if (!all.ok()) return all.status();
  if (all->size() > 1) return WrongShape("at most one member", reply);
  if (all->empty()) return std::optional<ScoredMember>();
  return std::optional<ScoredMember>(std::move(all->front()));
}

// ZMSCORE: one score or nil per member.
inline absl::StatusOr<std::vector<std::optional<double>>> OptionalDoubleList(
    const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray) {
    return WrongShape("an array of scores", reply);
  }
  std::vector<std::optional<double>> out;
  out.reserve(reply.size());
  for (ReplyView element : reply) {
    absl::StatusOr<std::optional<double>> d = OptionalDouble(element);
    if (!d.ok()) return d.status();
    out.push_back(*d);
  }
  return out;
}

// ZSCAN: [cursor, [member, score, ...]] → a page of ScoredMember.
inline absl::StatusOr<ScanPage<ScoredMember>> ScoredMemberScanPage(
    const ReplyView& reply) {
  ScanPage<ScoredMember> page;
  ReplyView elements;
  absl::Status s =
      internal::SplitScanReply(reply, &page.next_cursor, &elements);
  if (!s.ok()) return s;
  if (elements.num_children() % 2 != 0) {
    return WrongShape("scan elements in member/score pairs", reply);
  }
  page.items.reserve(elements.num_children() / 2);
  for (auto [member, score] : elements.pairs()) {
    absl::StatusOr<double> d = Double(score);
    if (!member.is_string() || member.is_error() || !d.ok()) {
      return WrongShape("scan elements in member/score pairs", reply);
    }
    page.items.push_back({std::string(member.str()), *d});
  }
  return page;
}

}  // namespace convert

namespace internal {

// "1.5", "(1.5", "-inf", "+inf"; INVALID_ARGUMENT for NaN.
inline absl::StatusOr<std::string> FormatScoreBound(absl::string_view command,
                                                    const ScoreBound& bound) {
  if (std::isnan(bound.value)) {
    return InvalidArgumentError(
        absl::StrCat(command, ": a score bound must not be NaN"));
  }
  if (std::isinf(bound.value)) {
    // Open ends; "(+inf" would mean the same thing.
    return std::string(bound.value > 0 ? "+inf" : "-inf");
  }
  const CommandArg number(bound.value);
  return absl::StrCat(bound.exclusive ? "(" : "", number.view());
}

inline std::string FormatLexBound(const LexBound& bound) {
  switch (bound.kind) {
    case LexBound::Kind::kInclusive:
      return absl::StrCat("[", bound.value);
    case LexBound::Kind::kExclusive:
      return absl::StrCat("(", bound.value);
    case LexBound::Kind::kMin:
      return "-";
    case LexBound::Kind::kMax:
      return "+";
  }
  return "-";
}

}  // namespace internal

// What BZPOPMIN / BZPOPMAX popped: the sorted set it came from, the member
// and its score.
struct KeyedScoredMember {
  std::string key;
  std::string member;
  double score = 0;

  friend bool operator==(const KeyedScoredMember&,
                         const KeyedScoredMember&) = default;
};

// What ZMPOP / BZMPOP popped: the sorted set and its members with scores.
struct SortedSetMultiPop {
  std::string key;
  std::vector<ScoredMember> members;

  friend bool operator==(const SortedSetMultiPop&,
                         const SortedSetMultiPop&) = default;
};

// Which end ZMPOP / BZMPOP pops from.
enum class ZEnd { kMin, kMax };

// ZUNION / ZINTER (and their STORE forms): WEIGHTS and AGGREGATE.
struct ZCombineOptions {
  // WEIGHTS: one multiplier per key (empty: all 1).
  std::vector<double> weights;
  enum class Aggregate { kSum, kMin, kMax };
  Aggregate aggregate = Aggregate::kSum;
};

namespace convert {

// [key, member, score] or nil.
inline absl::StatusOr<std::optional<KeyedScoredMember>>
OptionalKeyedScoredMember(const ReplyView& reply) {
  if (reply.is_null()) return std::optional<KeyedScoredMember>();
  if (reply.type() != ReplyType::kArray || reply.size() != 3 ||
      !reply[0].is_string() || !reply[1].is_string()) {
    return WrongShape("[key, member, score] or nil", reply);
  }
  absl::StatusOr<double> score = Double(reply[2]);
  if (!score.ok()) return score.status();
  return std::optional<KeyedScoredMember>(KeyedScoredMember{
      std::string(reply[0].str()), std::string(reply[1].str()), *score});
}

// [key, [[member, score], ...]] or nil.
inline absl::StatusOr<std::optional<SortedSetMultiPop>>
OptionalSortedSetMultiPop(const ReplyView& reply) {
  if (reply.is_null()) return std::optional<SortedSetMultiPop>();
  if (reply.type() != ReplyType::kArray || reply.size() != 2 ||
      !reply[0].is_string()) {
    return WrongShape("[key, members] or nil", reply);
  }
  absl::StatusOr<std::vector<ScoredMember>> members = ScoredMembers(reply[1]);
  if (!members.ok()) return members.status();
  return std::optional<SortedSetMultiPop>(
      SortedSetMultiPop{std::string(reply[0].str()), *std::move(members)});
}

}  // namespace convert

template <typename E, template <typename> class Result>
class SortedSetCommands {
 public:
  // ZADD key [NX|XX] [GT|LT] [CH] score member ... → how many members were
  // added (with `changed`: added or updated). INVALID_ARGUMENT for no
  // members, a NaN score, or NX with GT/LT.
  Result<int64_t> ZAdd(absl::string_view key,
                       absl::Span<const ScoredMember> members,
                       const ZAddOptions& options = {}) {
    absl::Status s =
        members.empty()
            ? InvalidArgumentError("ZADD: needs at least one member/score pair")
            : CheckZAddOptions(options);
    for (const ScoredMember& m : members) {
      if (s.ok() && std::isnan(m.score)) {
        s = InvalidArgumentError(
            absl::StrCat("ZADD: score of '", m.member, "' is NaN"));
      }
    }
    if (!s.ok()) return self().template Fail<int64_t>(std::move(s));
    CommandArgs args{"ZADD", key};
    args.reserve(2 * members.size() + 6);
    AppendZAddOptions(options, args);
    for (const ScoredMember& m : members) {
      args.push_back(m.score);
      args.push_back(m.member);
    }
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }
  // ZADD key [NX|XX] [GT|LT] INCR increment member → the member's new
  // score, or nullopt when a condition stopped the update.
  Result<std::optional<double>> ZAddIncr(absl::string_view key,
                                         double increment,
                                         absl::string_view member,
                                         const ZAddOptions& options = {}) {
    using Value = std::optional<double>;
    absl::Status s = CheckZAddOptions(options);
    if (s.ok() && std::isnan(increment)) {
      s = InvalidArgumentError("ZADD: increment is NaN");
    }
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    CommandArgs args{"ZADD", key};
    AppendZAddOptions(options, args);
    args.push_back("INCR");
    args.push_back(increment);
    args.push_back(member);
    return self().template RunArgs<Value>(&convert::OptionalDouble,
                                          args.span());
  }
  // ZINCRBY key increment member → the new score.
  Result<double> ZIncrBy(absl::string_view key, double increment,
                         absl::string_view member) {
    if (std::isnan(increment)) {
      return self().template Fail<double>(
          InvalidArgumentError("ZINCRBY: increment is NaN"));
    }
    return self().template Run<double>(&convert::Double, "ZINCRBY", key,
                                       increment, member);
  }
  // ZREM key member... → how many members were removed.
  Result<int64_t> ZRem(absl::string_view key,
                       absl::Span<const std::string> members) {
    if (members.empty()) {
      return self().template Fail<int64_t>(
          InvalidArgumentError("ZREM: needs at least one member"));
    }
    CommandArgs args{"ZREM", key};
    args.reserve(members.size() + 2);
    for (const std::string& member : members) args.push_back(member);
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }

  // ZRANGE key start stop [REV] → members from rank start to stop, both
  // inclusive (negative ranks count from the end). INVALID_ARGUMENT when
  // options.limit is set.
  Result<std::vector<std::string>> ZRange(absl::string_view key, int64_t start,
                                          int64_t stop,
                                          const ZRangeOptions& options = {}) {
    return RangeByIndex<std::vector<std::string>>(key, start, stop, options,
                                                  &convert::StringList);
  }
  // ZRANGE key start stop [REV] WITHSCORES → as ZRange, with scores.
  Result<std::vector<ScoredMember>> ZRangeWithScores(
      absl::string_view key, int64_t start, int64_t stop,
      const ZRangeOptions& options = {}) {
    return RangeByIndex<std::vector<ScoredMember>>(key, start, stop, options,
                                                   &convert::ScoredMembers);
  }
  // ZRANGE key min max BYSCORE [REV] [LIMIT o c] → members with scores in
  // [min, max] (ends as the bounds say), lowest first, or highest first
  // with rev. INVALID_ARGUMENT for a NaN bound.
  Result<std::vector<std::string>> ZRangeByScore(
      absl::string_view key, const ScoreBound& min, const ScoreBound& max,
      const ZRangeOptions& options = {}) {
    return RangeByScore<std::vector<std::string>>(key, min, max, options,
                                                  &convert::StringList);
  }
  // ZRANGE key min max BYSCORE [REV] [LIMIT o c] WITHSCORES → as
  // ZRangeByScore, with scores.
  Result<std::vector<ScoredMember>> ZRangeByScoreWithScores(
      absl::string_view key, const ScoreBound& min, const ScoreBound& max,
      const ZRangeOptions& options = {}) {
    return RangeByScore<std::vector<ScoredMember>>(key, min, max, options,
                                                   &convert::ScoredMembers);
  }
  // ZRANGE key min max BYLEX [REV] [LIMIT o c] → members between the lex
  // bounds, in lex order (reversed with rev).
  Result<std::vector<std::string>> ZRangeByLex(
      absl::string_view key, const LexBound& min, const LexBound& max,
      const ZRangeOptions& options = {}) {
    using Value = std::vector<std::string>;
    const std::string low = internal::FormatLexBound(min);
    const std::string high = internal::FormatLexBound(max);
    return Range<Value>(key, low, high, "BYLEX", options, false,
                        &convert::StringList);
  }

  // ZSCORE key member → the score, or nullopt when the member (or key) is
  // absent.
  Result<std::optional<double>> ZScore(absl::string_view key,
                                       absl::string_view member) {
    return self().template Run<std::optional<double>>(&convert::OptionalDouble,
                                                      "ZSCORE", key, member);
  }
  // ZMSCORE key member... → one score (or nullopt) per member, in order.
  Result<std::vector<std::optional<double>>> ZMScore(
      absl::string_view key, absl::Span<const std::string> members) {
    using Value = std::vector<std::optional<double>>;
    if (members.empty()) {
      return self().template Fail<Value>(
          InvalidArgumentError("ZMSCORE: needs at least one member"));
    }
    CommandArgs args{"ZMSCORE", key};
    args.reserve(members.size() + 2);
    for (const std::string& member : members) args.push_back(member);
    return self().template RunArgs<Value>(&convert::OptionalDoubleList,
                                          args.span());
  }
  // ZCARD key → the number of members (0 for a missing key).
  Result<int64_t> ZCard(absl::string_view key) {
    return self().template Run<int64_t>(&convert::Integer, "ZCARD", key);
  }
  // ZCOUNT key min max → how many members have scores within the bounds.
  // INVALID_ARGUMENT for a NaN bound.
  Result<int64_t> ZCount(absl::string_view key, const ScoreBound& min,
                         const ScoreBound& max) {
    absl::StatusOr<std::string> low = internal::FormatScoreBound("ZCOUNT", min);
    absl::StatusOr<std::string> high =
        internal::FormatScoreBound("ZCOUNT", max);
    if (!low.ok()) return self().template Fail<int64_t>(low.status());
    if (!high.ok()) return self().template Fail<int64_t>(high.status());
    return self().template Run<int64_t>(&convert::Integer, "ZCOUNT", key, *low,
                                        *high);
  }
  // ZRANK key member → the member's rank by ascending score (0-based), or
  // nullopt when absent.
  Result<std::optional<int64_t>> ZRank(absl::string_view key,
                                       absl::string_view member) {
    return self().template Run<std::optional<int64_t>>(
        &convert::OptionalInteger, "ZRANK", key, member);
  }
  // ZREVRANK key member → the rank by descending score, or nullopt.
  Result<std::optional<int64_t>> ZRevRank(absl::string_view key,
                                          absl::string_view member) {
    return self().template Run<std::optional<int64_t>>(
        &convert::OptionalInteger, "ZREVRANK", key, member);
  }

  // ZPOPMIN key → the lowest-scored member, removed; nullopt when empty.
  Result<std::optional<ScoredMember>> ZPopMin(absl::string_view key) {
    return self().template Run<std::optional<ScoredMember>>(
        &convert::OptionalScoredMember, "ZPOPMIN", key);
  }
  // ZPOPMIN key count → up to `count` lowest-scored members, removed,
  // lowest first. INVALID_ARGUMENT for a negative count.
  Result<std::vector<ScoredMember>> ZPopMin(absl::string_view key,
                                            int64_t count) {
    return PopCount("ZPOPMIN", key, count);
  }
  // ZPOPMAX key → the highest-scored member, removed; nullopt when empty.
  Result<std::optional<ScoredMember>> ZPopMax(absl::string_view key) {
    return self().template Run<std::optional<ScoredMember>>(
        &convert::OptionalScoredMember, "ZPOPMAX", key);
  }
  // ZPOPMAX key count → up to `count` highest-scored members, highest
  // first.
  Result<std::vector<ScoredMember>> ZPopMax(absl::string_view key,
                                            int64_t count) {
    return PopCount("ZPOPMAX", key, count);
  }

  // ZSCAN key cursor [MATCH p] [COUNT n] → one page of members with scores
  // and the next cursor (0: done). Start with cursor 0; members may repeat
  // across pages. INVALID_ARGUMENT for a non-positive count or a type.
  Result<ScanPage<ScoredMember>> ZScan(absl::string_view key, uint64_t cursor,
                                       const ScanOptions& options = {}) {
    using Value = ScanPage<ScoredMember>;
    CommandArgs args{"ZSCAN", key, cursor};
    absl::Status s = internal::AppendScanOptions("ZSCAN", options, args);
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    return self().template RunArgs<Value>(&convert::ScoredMemberScanPage,
                                          args.span());
  }

  // BZPOPMIN key... timeout → the lowest-scored member of the first
  // non-empty set, waiting up to `timeout` (zero or infinite: forever);
  // nullopt when none came.
  Result<std::optional<KeyedScoredMember>> BZPopMin(
      absl::Span<const std::string> keys, absl::Duration timeout) {
    return internal::RunBlockingKeysPop<std::optional<KeyedScoredMember>>(
        self(), "BZPOPMIN", keys, timeout, &convert::OptionalKeyedScoredMember);
  }
  // BZPOPMAX: as BZPopMin, the highest-scored member.
  Result<std::optional<KeyedScoredMember>> BZPopMax(
      absl::Span<const std::string> keys, absl::Duration timeout) {
    return internal::RunBlockingKeysPop<std::optional<KeyedScoredMember>>(
        self(), "BZPOPMAX", keys, timeout, &convert::OptionalKeyedScoredMember);
  }
  // ZMPOP numkeys key... MIN|MAX [COUNT n] → up to `count` members of the
  // first non-empty set, or nullopt when all are empty.
  Result<std::optional<SortedSetMultiPop>> ZMPop(
      absl::Span<const std::string> keys, ZEnd end,
      std::optional<int64_t> count = std::nullopt) {
    return internal::RunMPop<std::optional<SortedSetMultiPop>>(
        self(), "ZMPOP", std::nullopt, keys, EndName(end), count,
        &convert::OptionalSortedSetMultiPop);
  }
  // BZMPOP timeout numkeys key... MIN|MAX [COUNT n]: as ZMPop, waiting up
  // to `timeout` (zero or infinite: forever).
  Result<std::optional<SortedSetMultiPop>> BZMPop(
      absl::Duration timeout, absl::Span<const std::string> keys, ZEnd end,
      std::optional<int64_t> count = std::nullopt) {
    return internal::RunMPop<std::optional<SortedSetMultiPop>>(
        self(), "BZMPOP", timeout, keys, EndName(end), count,
        &convert::OptionalSortedSetMultiPop);
  }

  // ZUNION / ZINTER numkeys key... [WEIGHTS w...] [AGGREGATE SUM|MIN|MAX]
  // → the members of the union / intersection.
  Result<std::vector<std::string>> ZUnion(absl::Span<const std::string> keys,
                                          const ZCombineOptions& options = {}) {
    return Combine<std::vector<std::string>>("ZUNION", keys, options, false,
                                             &convert::StringList);
  }
  Result<std::vector<ScoredMember>> ZUnionWithScores(
      absl::Span<const std::string> keys, const ZCombineOptions& options = {}) {
    return Combine<std::vector<ScoredMember>>("ZUNION", keys, options, true,
                                              &convert::ScoredMembers);
  }
  Result<std::vector<std::string>> ZInter(absl::Span<const std::string> keys,
                                          const ZCombineOptions& options = {}) {
    return Combine<std::vector<std::string>>("ZINTER", keys, options, false,
                                             &convert::StringList);
  }
  Result<std::vector<ScoredMember>> ZInterWithScores(
      absl::Span<const std::string> keys, const ZCombineOptions& options = {}) {
    return Combine<std::vector<ScoredMember>>("ZINTER", keys, options, true,
                                              &convert::ScoredMembers);
  }
  // ZDIFF numkeys key... → the members of the first set in none of the
  // others.
  Result<std::vector<std::string>> ZDiff(absl::Span<const std::string> keys) {
    return Combine<std::vector<std::string>>("ZDIFF", keys, {}, false,
                                             &convert::StringList);
  }
  Result<std::vector<ScoredMember>> ZDiffWithScores(
      absl::Span<const std::string> keys) {
    return Combine<std::vector<ScoredMember>>("ZDIFF", keys, {}, true,
                                              &convert::ScoredMembers);
  }
  // ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE destination numkeys key... →
  // the size of the stored result.
  Result<int64_t> ZUnionStore(absl::string_view destination,
                              absl::Span<const std::string> keys,
                              const ZCombineOptions& options = {}) {
    return CombineStore("ZUNIONSTORE", destination, keys, options);
  }
  Result<int64_t> ZInterStore(absl::string_view destination,
                              absl::Span<const std::string> keys,
                              const ZCombineOptions& options = {}) {
    return CombineStore("ZINTERSTORE", destination, keys, options);
  }
  Result<int64_t> ZDiffStore(absl::string_view destination,
                             absl::Span<const std::string> keys) {
    return CombineStore("ZDIFFSTORE", destination, keys, {});
  }
  // ZINTERCARD numkeys key... [LIMIT n] → the size of the intersection
  // (counting stops at `limit` when > 0).
  Result<int64_t> ZInterCard(absl::Span<const std::string> keys,
                             std::optional<int64_t> limit = std::nullopt) {
    return internal::RunInterCard(self(), "ZINTERCARD", keys, limit);
  }
  // ZRANGESTORE destination source start stop [REV] → how many members
  // (by rank) were stored in destination.
  Result<int64_t> ZRangeStore(absl::string_view destination,
                              absl::string_view source, int64_t start,
                              int64_t stop, const ZRangeOptions& options = {}) {
    if (options.limit.has_value()) {
      return self().template Fail<int64_t>(InvalidArgumentError(
          "ZRANGESTORE: limit applies to score and lex ranges only"));
    }
    CommandArgs args{"ZRANGESTORE", destination, source, start, stop};
    if (options.rev) args.push_back("REV");
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }
  // ZRANGESTORE destination source min max BYSCORE [REV] [LIMIT o c] → how
  // many members (by score) were stored.
  Result<int64_t> ZRangeStoreByScore(absl::string_view destination,
                                     absl::string_view source,
                                     const ScoreBound& min,
                                     const ScoreBound& max,
                                     const ZRangeOptions& options = {}) {
    absl::StatusOr<std::string> low =
        internal::FormatScoreBound("ZRANGESTORE", min);
    absl::StatusOr<std::string> high =
        internal::FormatScoreBound("ZRANGESTORE", max);
    if (!low.ok()) return self().template Fail<int64_t>(low.status());
    if (!high.ok()) return self().template Fail<int64_t>(high.status());
    CommandArgs args{"ZRANGESTORE", destination, source,
                     options.rev ? *high : *low, options.rev ? *low : *high,
                     "BYSCORE"};
    if (options.rev) args.push_back("REV");
    if (options.limit.has_value()) {
      args.push_back("LIMIT");
      args.push_back(options.limit->offset);
      args.push_back(options.limit->count);
    }
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }
  // ZLEXCOUNT key min max → how many members lie between the lex bounds.
  Result<int64_t> ZLexCount(absl::string_view key, const LexBound& min,
                            const LexBound& max) {
    const std::string low = internal::FormatLexBound(min);
    const std::string high = internal::FormatLexBound(max);
    return self().template Run<int64_t>(&convert::Integer, "ZLEXCOUNT", key,
                                        low, high);
  }
  // ZREMRANGEBYRANK key start stop → how many members were removed.
  Result<int64_t> ZRemRangeByRank(absl::string_view key, int64_t start,
                                  int64_t stop) {
    return self().template Run<int64_t>(&convert::Integer, "ZREMRANGEBYRANK",
                                        key, start, stop);
  }
  // ZREMRANGEBYSCORE key min max → how many members were removed.
  Result<int64_t> ZRemRangeByScore(absl::string_view key,
                                   const ScoreBound& min,
                                   const ScoreBound& max) {
    absl::StatusOr<std::string> low =
        internal::FormatScoreBound("ZREMRANGEBYSCORE", min);
    absl::StatusOr<std::string> high =
        internal::FormatScoreBound("ZREMRANGEBYSCORE", max);
    if (!low.ok()) return self().template Fail<int64_t>(low.status());
    if (!high.ok()) return self().template Fail<int64_t>(high.status());
    return self().template Run<int64_t>(&convert::Integer, "ZREMRANGEBYSCORE",
                                        key, *low, *high);
  }
  // ZREMRANGEBYLEX key min max → how many members were removed.
  Result<int64_t> ZRemRangeByLex(absl::string_view key, const LexBound& min,
                                 const LexBound& max) {
    const std::string low = internal::FormatLexBound(min);
    const std::string high = internal::FormatLexBound(max);
    return self().template Run<int64_t>(&convert::Integer, "ZREMRANGEBYLEX",
                                        key, low, high);
  }
  // ZRANDMEMBER key → a random member, or nullopt for a missing key.
  Result<std::optional<std::string>> ZRandMember(absl::string_view key) {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "ZRANDMEMBER", key);
  }
  // ZRANDMEMBER key count → count > 0: up to count distinct members; < 0:
  // |count| members, possibly repeated.
  Result<std::vector<std::string>> ZRandMember(absl::string_view key,
                                               int64_t count) {
    return self().template Run<std::vector<std::string>>(
        &convert::StringList, "ZRANDMEMBER", key, count);
  }
  // ZRANDMEMBER key count WITHSCORES → as ZRandMember, with scores.
  Result<std::vector<ScoredMember>> ZRandMemberWithScores(absl::string_view key,
                                                          int64_t count) {
    return self().template Run<std::vector<ScoredMember>>(
        &convert::ScoredMembers, "ZRANDMEMBER", key, count, "WITHSCORES");
  }

 private:
  E& self() { return static_cast<E&>(*this); }

  static const char* EndName(ZEnd end) {
    return end == ZEnd::kMin ? "MIN" : "MAX";
  }

  static absl::Status AppendCombine(absl::string_view command,
                                    absl::Span<const std::string> keys,
                                    const ZCombineOptions& options,
                                    CommandArgs& args) {
    if (keys.empty()) {
      return InvalidArgumentError(
          absl::StrCat(command, ": needs at least one key"));
    }
    if (!options.weights.empty() && options.weights.size() != keys.size()) {
      return InvalidArgumentError(absl::StrCat(
          command, ": ", options.weights.size(), " weights for ", keys.size(),
          " keys"));
    }
    args.reserve(args.size() + 2 * keys.size() + 5);
    args.push_back(static_cast<int64_t>(keys.size()));
    for (const std::string& key : keys) args.push_back(key);
    if (!options.weights.empty()) {
      args.push_back("WEIGHTS");
      for (double w : options.weights) {
        if (std::isnan(w)) {
          return InvalidArgumentError(
              absl::StrCat(command, ": a weight must not be NaN"));
        }
        args.push_back(w);
      }
    }
    if (options.aggregate != ZCombineOptions::Aggregate::kSum) {
      args.push_back("AGGREGATE");
      args.push_back(options.aggregate == ZCombineOptions::Aggregate::kMin
                         ? "MIN"
                         : "MAX");
    }
    return absl::OkStatus();
  }

  template <typename T>
  Result<T> Combine(absl::string_view command,
                    absl::Span<const std::string> keys,
                    const ZCombineOptions& options, bool with_scores,
                    Converter<T> converter) {
    CommandArgs args{command};
    absl::Status s = AppendCombine(command, keys, options, args);
    if (!s.ok()) return self().template Fail<T>(std::move(s));
    if (with_scores) args.push_back("WITHSCORES");
    return self().template RunArgs<T>(converter, args.span());
  }

  Result<int64_t> CombineStore(absl::string_view command,
                               absl::string_view destination,
                               absl::Span<const std::string> keys,
                               const ZCombineOptions& options) {
    CommandArgs args{command, destination};
    absl::Status s = AppendCombine(command, keys, options, args);
    if (!s.ok()) return self().template Fail<int64_t>(std::move(s));
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }

  static absl::Status CheckZAddOptions(const ZAddOptions& options) {
    if (options.condition == ZAddOptions::Condition::kIfNotExists &&
        options.comparison != ZAddOptions::Comparison::kAny) {
      return InvalidArgumentError("ZADD: NX excludes GT and LT");
    }
    return absl::OkStatus();
  }

  static void AppendZAddOptions(const ZAddOptions& options, CommandArgs& args) {
    switch (options.condition) {
      case ZAddOptions::Condition::kAlways:
        break;
      case ZAddOptions::Condition::kIfNotExists:
        args.push_back("NX");
        break;
      case ZAddOptions::Condition::kIfExists:
        args.push_back("XX");
        break;
    }
    switch (options.comparison) {
      case ZAddOptions::Comparison::kAny:
        break;
      case ZAddOptions::Comparison::kGreater:
        args.push_back("GT");
        break;
      case ZAddOptions::Comparison::kLess:
        args.push_back("LT");
        break;
    }
    if (options.changed) args.push_back("CH");
  }

  template <typename T>
  Result<T> RangeByIndex(absl::string_view key, int64_t start, int64_t stop,
                         const ZRangeOptions& options, Converter<T> converter) {
    if (options.limit.has_value()) {
      return self().template Fail<T>(InvalidArgumentError(
          "ZRANGE: limit applies to score and lex ranges only"));
    }
    const CommandArg from(start), to(stop);
    return Range<T>(key, from.view(), to.view(), "", options,
                    std::is_same_v<T, std::vector<ScoredMember>>, converter);
  }

  template <typename T>
  Result<T> RangeByScore(absl::string_view key, const ScoreBound& min,
                         const ScoreBound& max, const ZRangeOptions& options,
                         Converter<T> converter) {
    absl::StatusOr<std::string> low = internal::FormatScoreBound("ZRANGE", min);
    absl::StatusOr<std::string> high =
        internal::FormatScoreBound("ZRANGE", max);
    if (!low.ok()) return self().template Fail<T>(low.status());
    if (!high.ok()) return self().template Fail<T>(high.status());
    return Range<T>(key, *low, *high, "BYSCORE", options,
                    std::is_same_v<T, std::vector<ScoredMember>>, converter);
  }

  // ZRANGE key low high [BYSCORE|BYLEX] [REV] [LIMIT o c] [WITHSCORES]. For
  // score and lex ranges with rev, high goes first on the wire.
  template <typename T>
  Result<T> Range(absl::string_view key, absl::string_view low,
                  absl::string_view high, absl::string_view by,
                  const ZRangeOptions& options, bool with_scores,
                  Converter<T> converter) {
    const bool swap = options.rev && !by.empty();
    CommandArgs args{"ZRANGE", key, swap ? high : low, swap ? low : high};
    if (!by.empty()) args.push_back(by);
    if (options.rev) args.push_back("REV");
    if (options.limit.has_value()) {
      args.push_back("LIMIT");
      args.push_back(options.limit->offset);
      args.push_back(options.limit->count);
    }
    if (with_scores) args.push_back("WITHSCORES");
    return self().template RunArgs<T>(converter, args.span());
  }

  Result<std::vector<ScoredMember>> PopCount(absl::string_view command,
                                             absl::string_view key,
                                             int64_t count) {
    using Value = std::vector<ScoredMember>;
    if (count < 0) {
      return self().template Fail<Value>(InvalidArgumentError(
          absl::StrCat(command, ": count must not be negative, got ", count)));
    }
    return self().template Run<Value>(&convert::ScoredMembers, command, key,
                                      count);
  }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_SORTED_SET_COMMANDS_H_
