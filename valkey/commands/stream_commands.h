// Stream commands: XADD, XRANGE, XREAD, consumer groups and trimming. Part
// of the command table (see command_table.h): each method is the command's
// arguments plus its reply conversion, run by the executor `E` (Client,
// Pipeline, async client).
//
//   client.XAdd("events", {{"kind", "login"}, {"user", "alice"}},
//               {.trim = StreamTrim{.max_len = 1000, .approximate = true}});
//   absl::StatusOr<std::vector<StreamMessages>> got = client.XRead(
//       {{"events", "$"}}, {.count = 10, .block = absl::Seconds(5)});
//   // Empty when nothing arrived within five seconds.
//
// Entries keep the server's order, and so do their fields (a stream entry
// may repeat a field name). RESP2 and RESP3 replies convert to the same
// types: XREAD's RESP3 map of stream → entries and its RESP2 array of
// [stream, entries] both become a vector of StreamMessages.
//
// Errors: INVALID_ARGUMENT (naming the command and the argument) for bad
// arguments, before anything is sent; server error replies (WRONGTYPE,
// NOGROUP, BUSYGROUP, ...) as their status; DATA_LOSS for a reply of an
// unexpected shape.
//
// Thread-safety: as the executor's.

#ifndef VALKEY_COMMANDS_STREAM_COMMANDS_H_
#define VALKEY_COMMANDS_STREAM_COMMANDS_H_

#include <algorithm>
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

// One stream entry: its id ("1700000000000-0") and its field/value pairs in
// the order they were added. `fields` is empty for an entry that was deleted
// while still pending in a consumer group (XREADGROUP on history: the
// server then sends the id with a nil body).
struct StreamEntry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;

  friend bool operator==(const StreamEntry&, const StreamEntry&) = default;
};

// What XREAD / XREADGROUP returned for one stream.
struct StreamMessages {
  std::string stream;
  std::vector<StreamEntry> entries;

  friend bool operator==(const StreamMessages&,
                         const StreamMessages&) = default;
};

// A trimming rule (XADD's and XTRIM's MAXLEN / MINID clause). Set exactly
// one of max_len and min_id.
struct StreamTrim {
  // MAXLEN: keep at most this many entries (>= 0).
  std::optional<int64_t> max_len;
  // MINID: evict entries with ids below this one.
  std::optional<std::string> min_id;
  // "~" (the server may keep a few more, trimming whole nodes, which is much
  // cheaper) instead of "=" (exact). Default: exact.
  bool approximate = false;
  // LIMIT: evict at most this many entries per call (> 0); only with
  // approximate trimming.
  std::optional<int64_t> limit;
};

struct XAddOptions {
  // The new entry's id: "*" lets the server choose (the usual case), or an
  // explicit "<ms>-<seq>" (or "<ms>-*") greater than the stream's last id.
  std::string id = "*";
  // NOMKSTREAM: do not create a missing stream (XAdd then returns nullopt).
  bool no_mkstream = false;
  // Trim the stream in the same command.
  std::optional<StreamTrim> trim;
};

struct XReadOptions {
  // COUNT: at most this many entries per stream (> 0). Default: all.
  std::optional<int64_t> count;
  // BLOCK: wait up to this long for an entry when none is available;
  // zero or InfiniteDuration() waits forever. Rounded up to whole
  // milliseconds. Default: do not block.
  std::optional<absl::Duration> block;
};

struct XReadGroupOptions {
  std::optional<int64_t> count;          // COUNT, as in XReadOptions
  std::optional<absl::Duration> block;   // BLOCK, as in XReadOptions
  // NOACK: do not add the delivered entries to the pending list.
  bool no_ack = false;
};

struct XGroupCreateOptions {
  // MKSTREAM: create the stream (empty) if it does not exist.
  bool mkstream = false;
  // ENTRIESREAD: the group's entries-read counter (for lag reporting).
  std::optional<int64_t> entries_read;
};

namespace convert {

// [id, [field, value, ...]] (a nil body becomes no fields).
inline absl::StatusOr<StreamEntry> StreamEntryFrom(const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray || reply.size() != 2 ||
      !reply[0].is_string() || reply[0].is_error()) {
    return WrongShape("a stream entry [id, fields]", reply);
  }
  StreamEntry entry;
  entry.id = std::string(reply[0].str());
  const ReplyView body = reply[1];
  if (body.is_null()) return entry;
  if (body.type() == ReplyType::kMap) {
    // Not sent by today's servers; accepted so that a RESP3 server that
    // ever sends fields as a map converts the same.
    for (auto [k, v] : body.pairs()) {
      if (!k.is_string() || !v.is_string()) {
        return WrongShape("stream fields of strings", reply);
      }
      entry.fields.emplace_back(std::string(k.str()), std::string(v.str()));
    }
    return entry;
  }
  if (body.type() != ReplyType::kArray || body.size() % 2 != 0) {
    return WrongShape("stream fields [field, value, ...]", reply);
  }
  entry.fields.reserve(body.size() / 2);
  for (auto [k, v] : body.pairs()) {
    if (!k.is_string() || !v.is_string() || k.is_error() || v.is_error()) {
      return WrongShape("stream fields of strings", reply);
    }
    entry.fields.emplace_back(std::string(k.str()), std::string(v.str()));
  }
  return entry;
}

// XRANGE / XREVRANGE / XCLAIM: an array of entries.
inline absl::StatusOr<std::vector<StreamEntry>> StreamEntries(
    const ReplyView& reply) {
  std::vector<StreamEntry> out;
  if (reply.is_null()) return out;
  if (reply.type() != ReplyType::kArray) {
    return WrongShape("an array of stream entries", reply);
  }
  out.reserve(reply.size());
  for (ReplyView element : reply) {
    absl::StatusOr<StreamEntry> entry = StreamEntryFrom(element);
    if (!entry.ok()) return entry.status();
    out.push_back(*std::move(entry));
  }
  return out;
}

// XREAD / XREADGROUP: RESP3 map {stream: entries}, RESP2 array of
// [stream, entries], or nil when a BLOCK timed out (→ empty).
inline absl::StatusOr<std::vector<StreamMessages>> StreamRead(
    const ReplyView& reply) {
  std::vector<StreamMessages> out;
  if (reply.is_null()) return out;
  auto add = [&out](const ReplyView& name,
                    const ReplyView& entries) -> absl::Status {
    if (!name.is_string() || name.is_error()) {
      return WrongShape("a stream name", name);
    }
    absl::StatusOr<std::vector<StreamEntry>> converted =
        StreamEntries(entries);
    if (!converted.ok()) return converted.status();
    out.push_back({std::string(name.str()), *std::move(converted)});
    return absl::OkStatus();
  };
  if (reply.type() == ReplyType::kMap) {
    out.reserve(reply.size());
    for (auto [name, entries] : reply.pairs()) {
      if (absl::Status s = add(name, entries); !s.ok()) return s;
    }
    return out;
  }
  if (reply.type() != ReplyType::kArray) {
    return WrongShape("a map or array of streams", reply);
  }
  out.reserve(reply.size());
  for (ReplyView element : reply) {
    if (element.type() != ReplyType::kArray || element.size() != 2) {
      return WrongShape("[stream, entries]", element);
    }
    if (absl::Status s = add(element[0], element[1]); !s.ok()) return s;
  }
  return out;
}

}  // namespace convert

namespace internal {

// Appends "MAXLEN|MINID =|~ threshold [LIMIT n]".
inline absl::Status AppendStreamTrim(absl::string_view command,
                                     const StreamTrim& trim,
                                     CommandArgs& args) {
  if (trim.max_len.has_value() == trim.min_id.has_value()) {
    return InvalidArgumentError(
        absl::StrCat(command, ": trim needs exactly one of max_len, min_id"));
  }
  if (trim.max_len.has_value() && *trim.max_len < 0) {
    return InvalidArgumentError(absl::StrCat(
        command, ": trim max_len must be >= 0, got ", *trim.max_len));
  }
  if (trim.min_id.has_value() && trim.min_id->empty()) {
    return InvalidArgumentError(
        absl::StrCat(command, ": trim min_id must not be empty"));
  }
  if (trim.limit.has_value()) {
    if (!trim.approximate) {
      return InvalidArgumentError(absl::StrCat(
          command, ": trim limit needs approximate trimming"));
    }
    if (*trim.limit <= 0) {
      return InvalidArgumentError(absl::StrCat(
          command, ": trim limit must be > 0, got ", *trim.limit));
    }
  }
  if (trim.max_len.has_value()) {
    args.push_back("MAXLEN");
    args.push_back(trim.approximate ? "~" : "=");
    args.push_back(*trim.max_len);
  } else {
    args.push_back("MINID");
    args.push_back(trim.approximate ? "~" : "=");
    args.push_back(*trim.min_id);
  }
  if (trim.limit.has_value()) {
    args.push_back("LIMIT");
    args.push_back(*trim.limit);
  }
  return absl::OkStatus();
}

inline absl::Status AppendCount(absl::string_view command,
                                const std::optional<int64_t>& count,
                                CommandArgs& args) {
  if (!count.has_value()) return absl::OkStatus();
  if (*count <= 0) {
    return InvalidArgumentError(
        absl::StrCat(command, ": count must be > 0, got ", *count));
  }
  args.push_back("COUNT");
  args.push_back(*count);
  return absl::OkStatus();
}

// BLOCK in milliseconds (0 = forever); sub-millisecond waits round up so a
// short time-out never turns into "forever".
inline absl::Status AppendBlock(absl::string_view command,
                                const std::optional<absl::Duration>& block,
                                CommandArgs& args) {
  if (!block.has_value()) return absl::OkStatus();
  if (*block < absl::ZeroDuration()) {
    return InvalidArgumentError(absl::StrCat(
        command, ": block must be >= 0, got ", absl::FormatDuration(*block)));
  }
  int64_t ms = 0;
  if (*block != absl::InfiniteDuration()) {
    ms = absl::ToInt64Milliseconds(absl::Ceil(*block, absl::Milliseconds(1)));
  }
  args.push_back("BLOCK");
  args.push_back(ms);
  return absl::OkStatus();
}

// "STREAMS key... id..."
inline absl::Status AppendStreams(
    absl::string_view command,
    absl::Span<const std::pair<std::string, std::string>> streams,
    CommandArgs& args) {
  if (streams.empty()) {
    return InvalidArgumentError(
        absl::StrCat(command, ": needs at least one stream"));
  }
  args.reserve(args.size() + 1 + 2 * streams.size());
  args.push_back("STREAMS");
  for (const auto& stream : streams) args.push_back(stream.first);
  for (const auto& stream : streams) {
    if (stream.second.empty()) {
      return InvalidArgumentError(absl::StrCat(
          command, ": empty id for stream \"", stream.first, "\""));
    }
    args.push_back(stream.second);
  }
  return absl::OkStatus();
}

// The server wait of a BLOCK option (zero: forever), for RunBlockingArgs.
inline absl::Duration ServerWait(const absl::Duration& block) {
  return block == absl::InfiniteDuration() ? absl::ZeroDuration()
                                           : absl::Ceil(block,
                                                        absl::Milliseconds(1));
}

}  // namespace internal

template <typename E>
class StreamCommands {
 public:
  // XADD key [NOMKSTREAM] [MAXLEN|MINID ...] id field value [field value
  // ...] → the new entry's id; nullopt only with no_mkstream when the stream
  // does not exist. INVALID_ARGUMENT: no fields, an empty id, a bad trim.
  auto XAdd(absl::string_view key,
            absl::Span<const std::pair<std::string, std::string>> fields,
            const XAddOptions& options = {}) {
    using Result = std::optional<std::string>;
    if (fields.empty()) {
      return self().template Fail<Result>(
          InvalidArgumentError("XADD: needs at least one field/value pair"));
    }
    if (options.id.empty()) {
      return self().template Fail<Result>(
          InvalidArgumentError("XADD: id must not be empty (use \"*\")"));
    }
    CommandArgs args{"XADD", key};
    if (options.no_mkstream) args.push_back("NOMKSTREAM");
    if (options.trim.has_value()) {
      absl::Status s = internal::AppendStreamTrim("XADD", *options.trim, args);
      if (!s.ok()) return self().template Fail<Result>(std::move(s));
    }
    args.push_back(options.id);
    args.reserve(args.size() + 2 * fields.size());
    for (const auto& [field, value] : fields) {
      args.push_back(field);
      args.push_back(value);
    }
    return self().template RunArgs<Result>(&convert::OptionalString,
                                           args.span());
  }

  // XLEN key → the number of entries (0 for a missing key).
  auto XLen(absl::string_view key) {
    return self().template Run<int64_t>(&convert::Integer, "XLEN", key);
  }

  // XRANGE key start end [COUNT n] → entries with start <= id <= end, oldest
  // first. "-" and "+" are the smallest and largest ids; "(" before an id
  // excludes it. INVALID_ARGUMENT: count <= 0.
  auto XRange(absl::string_view key, absl::string_view start = "-",
              absl::string_view end = "+",
              std::optional<int64_t> count = std::nullopt) {
    return Range("XRANGE", key, start, end, count);
  }

  // XREVRANGE key end start [COUNT n] → the same, newest first (note the
  // order of the bounds, as on the wire).
  auto XRevRange(absl::string_view key, absl::string_view end = "+",
                 absl::string_view start = "-",
                 std::optional<int64_t> count = std::nullopt) {
    return Range("XREVRANGE", key, end, start, count);
  }

  // XREAD [COUNT n] [BLOCK ms] STREAMS key... id... → for each stream with
  // entries after the given id ("$": only entries added from now on, with
  // block), those entries. Empty when a BLOCK timed out, which is not an
  // error. With block the call waits up to that long (or forever) on top of
  // the client's reply time-out. INVALID_ARGUMENT: no streams, an empty id,
  // count <= 0, a negative block.
  auto XRead(absl::Span<const std::pair<std::string, std::string>> streams,
             const XReadOptions& options = {}) {
    using Result = std::vector<StreamMessages>;
    CommandArgs args{"XREAD"};
    absl::Status s = internal::AppendCount("XREAD", options.count, args);
    if (s.ok()) s = internal::AppendBlock("XREAD", options.block, args);
    if (s.ok()) s = internal::AppendStreams("XREAD", streams, args);
    if (!s.ok()) return self().template Fail<Result>(std::move(s));
    if (options.block.has_value()) {
      return self().template RunBlockingArgs<Result>(
          &convert::StreamRead, internal::ServerWait(*options.block),
          args.span());
    }
    return self().template RunArgs<Result>(&convert::StreamRead, args.span());
  }

  // XGROUP CREATE key group id [MKSTREAM] [ENTRIESREAD n]: creates a
  // consumer group that will deliver entries after `id` ("$": only new
  // ones, "0": the whole stream). Errors: BUSYGROUP if it exists; ERR if
  // the stream does not exist and mkstream is not set.
  auto XGroupCreate(absl::string_view key, absl::string_view group,
                    absl::string_view id = "$",
                    const XGroupCreateOptions& options = {}) {
    if (id.empty()) {
      return self().template Fail<bool>(
          InvalidArgumentError("XGROUP CREATE: id must not be empty"));
    }
    CommandArgs args{"XGROUP", "CREATE", key, group, id};
    if (options.mkstream) args.push_back("MKSTREAM");
    if (options.entries_read.has_value()) {
      args.push_back("ENTRIESREAD");
      args.push_back(*options.entries_read);
    }
    return self().template RunArgs<bool>(&convert::Ok, args.span());
  }

  // XGROUP DESTROY key group → whether the group existed.
  auto XGroupDestroy(absl::string_view key, absl::string_view group) {
    return self().template Run<bool>(&convert::Bool, "XGROUP", "DESTROY", key,
                                     group);
  }

  // XGROUP SETID key group id: moves the group's last-delivered id.
  auto XGroupSetId(absl::string_view key, absl::string_view group,
                   absl::string_view id) {
    return self().template Run<bool>(&convert::Ok, "XGROUP", "SETID", key,
                                     group, id);
  }

  // XGROUP CREATECONSUMER key group consumer → whether it was created.
  auto XGroupCreateConsumer(absl::string_view key, absl::string_view group,
                            absl::string_view consumer) {
    return self().template Run<bool>(&convert::Bool, "XGROUP",
                                     "CREATECONSUMER", key, group, consumer);
  }

  // XGROUP DELCONSUMER key group consumer → how many entries it had pending
  // (they are dropped from the pending list).
  auto XGroupDelConsumer(absl::string_view key, absl::string_view group,
                         absl::string_view consumer) {
    return self().template Run<int64_t>(&convert::Integer, "XGROUP",
                                        "DELCONSUMER", key, group, consumer);
  }

  // XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS
  // key... id... → entries delivered to `consumer`. Id ">" asks for entries
  // never delivered to the group (they become pending for this consumer
  // unless no_ack); any other id re-reads this consumer's pending entries
  // after it (deleted ones come with no fields). Empty when a BLOCK timed
  // out. Errors: NOGROUP if the group or stream does not exist; the
  // INVALID_ARGUMENT cases of XRead, plus an empty group or consumer.
  auto XReadGroup(
      absl::string_view group, absl::string_view consumer,
      absl::Span<const std::pair<std::string, std::string>> streams,
      const XReadGroupOptions& options = {}) {
    using Result = std::vector<StreamMessages>;
    if (group.empty() || consumer.empty()) {
      return self().template Fail<Result>(InvalidArgumentError(
          "XREADGROUP: group and consumer must not be empty"));
    }
    CommandArgs args{"XREADGROUP", "GROUP", group, consumer};
    absl::Status s = internal::AppendCount("XREADGROUP", options.count, args);
    if (s.ok()) s = internal::AppendBlock("XREADGROUP", options.block, args);
    if (s.ok() && options.no_ack) args.push_back("NOACK");
    if (s.ok()) s = internal::AppendStreams("XREADGROUP", streams, args);
    if (!s.ok()) return self().template Fail<Result>(std::move(s));
    if (options.block.has_value()) {
      return self().template RunBlockingArgs<Result>(
          &convert::StreamRead, internal::ServerWait(*options.block),
          args.span());
    }
    return self().template RunArgs<Result>(&convert::StreamRead, args.span());
  }

  // XACK key group id... → how many of the ids were pending and are now
  // acknowledged. INVALID_ARGUMENT: no ids.
  auto XAck(absl::string_view key, absl::string_view group,
            absl::Span<const std::string> ids) {
    if (ids.empty()) {
      return self().template Fail<int64_t>(
          InvalidArgumentError("XACK: needs at least one id"));
    }
    CommandArgs args{"XACK", key, group};
    args.reserve(args.size() + ids.size());
    for (const std::string& id : ids) args.push_back(id);
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }

  // XDEL key id... → how many entries were deleted. INVALID_ARGUMENT: no
  // ids.
  auto XDel(absl::string_view key, absl::Span<const std::string> ids) {
    if (ids.empty()) {
      return self().template Fail<int64_t>(
          InvalidArgumentError("XDEL: needs at least one id"));
    }
    CommandArgs args{"XDEL", key};
    args.reserve(args.size() + ids.size());
    for (const std::string& id : ids) args.push_back(id);
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }

  // XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT n] → how many entries
  // were evicted. INVALID_ARGUMENT: see StreamTrim.
  auto XTrim(absl::string_view key, const StreamTrim& trim) {
    CommandArgs args{"XTRIM", key};
    absl::Status s = internal::AppendStreamTrim("XTRIM", trim, args);
    if (!s.ok()) return self().template Fail<int64_t>(std::move(s));
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }

 private:
  E& self() { return static_cast<E&>(*this); }

  auto Range(absl::string_view command, absl::string_view key,
             absl::string_view from, absl::string_view to,
             const std::optional<int64_t>& count) {
    using Result = std::vector<StreamEntry>;
    if (from.empty() || to.empty()) {
      return self().template Fail<Result>(InvalidArgumentError(
          absl::StrCat(command, ": range bounds must not be empty")));
    }
    CommandArgs args{command, key, from, to};
    absl::Status s = internal::AppendCount(command, count, args);
    if (!s.ok()) return self().template Fail<Result>(std::move(s));
    return self().template RunArgs<Result>(&convert::StreamEntries,
                                           args.span());
  }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_STREAM_COMMANDS_H_
