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
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/commands/command_args.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/commands/reply_fields.h"
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
  std::optional<int64_t> count;         // COUNT, as in XReadOptions
  std::optional<absl::Duration> block;  // BLOCK, as in XReadOptions
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
    absl::StatusOr<std::vector<StreamEntry>> converted = StreamEntries(entries);
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
      return InvalidArgumentError(
          absl::StrCat(command, ": trim limit needs approximate trimming"));
    }
    if (*trim.limit <= 0) {
      return InvalidArgumentError(
          absl::StrCat(command, ": trim limit must be > 0, got ", *trim.limit));
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
  return block == absl::InfiniteDuration()
             ? absl::ZeroDuration()
             : absl::Ceil(block, absl::Milliseconds(1));
}

}  // namespace internal

// XPENDING's summary: how many entries are pending, the id range, and
// how many each consumer holds.
struct StreamPendingSummary {
  int64_t count = 0;
  // Empty when nothing is pending.
  std::string min_id;
  std::string max_id;
  std::vector<std::pair<std::string, int64_t>> consumers;
};

// One entry of XPENDING's extended form.
struct StreamPendingEntry {
  std::string id;
  std::string consumer;
  absl::Duration idle;
  int64_t deliveries = 0;

  friend bool operator==(const StreamPendingEntry&,
                         const StreamPendingEntry&) = default;
};

// XPENDING's extended form: which pending entries to list.
struct StreamPendingQuery {
  std::string start = "-";
  std::string end = "+";
  int64_t count = 10;  // > 0
  // IDLE ms: only entries idle at least this long.
  std::optional<absl::Duration> min_idle;
  // Only this consumer's entries. Empty: all.
  std::string consumer;
};

// XCLAIM's options.
struct StreamClaimOptions {
  // IDLE ms / TIME unix-ms: the claimed entries' new idle time.
  std::optional<absl::Duration> idle;
  std::optional<absl::Time> time;
  // RETRYCOUNT n: their new delivery count.
  std::optional<int64_t> retry_count;
  // FORCE: create pending entries for ids not pending yet.
  bool force = false;
  // LASTID id: advance the group's last-delivered id.
  std::string last_id;
};

// XAUTOCLAIM's answer.
struct StreamAutoClaim {
  // Where the next call starts ("0-0": the scan is complete).
  std::string next_start;
  std::vector<StreamEntry> entries;
  // Ids that were pending but no longer exist (removed from the PEL).
  std::vector<std::string> deleted_ids;
};

// XINFO STREAM.
struct StreamInfo {
  int64_t length = 0;
  int64_t radix_tree_keys = 0;
  int64_t radix_tree_nodes = 0;
  int64_t groups = 0;
  std::string last_generated_id;
  std::string max_deleted_entry_id;
  int64_t entries_added = 0;
  std::string recorded_first_entry_id;
  std::optional<StreamEntry> first_entry;
  std::optional<StreamEntry> last_entry;
};

// One group of XINFO GROUPS.
struct StreamGroupInfo {
  std::string name;
  int64_t consumers = 0;
  int64_t pending = 0;
  std::string last_delivered_id;
  // nullopt when the server cannot tell (nil).
  std::optional<int64_t> entries_read;
  std::optional<int64_t> lag;
};

// One consumer of XINFO CONSUMERS.
struct StreamConsumerInfo {
  std::string name;
  int64_t pending = 0;
  // Since its last attempted / successful interaction.
  absl::Duration idle;
  absl::Duration inactive;
};

namespace convert {

inline absl::StatusOr<StreamPendingSummary> StreamPendingSummaryFrom(
    const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray || reply.size() != 4 ||
      reply[0].type() != ReplyType::kInteger) {
    return WrongShape("[count, min-id, max-id, consumers]", reply);
  }
  StreamPendingSummary out;
  out.count = reply[0].integer();
  out.min_id = std::string(reply[1].str());
  out.max_id = std::string(reply[2].str());
  if (!reply[3].is_null()) {
    if (reply[3].type() != ReplyType::kArray) {
      return WrongShape("an array of [consumer, count]", reply);
    }
    for (ReplyView c : reply[3]) {
      if (c.type() != ReplyType::kArray || c.size() != 2) {
        return WrongShape("[consumer, count]", c);
      }
      int64_t n = 0;
      if (c[1].type() == ReplyType::kInteger) {
        n = c[1].integer();
      } else if (!absl::SimpleAtoi(c[1].str(), &n)) {
        return WrongShape("a pending count", c);
      }
      out.consumers.emplace_back(std::string(c[0].str()), n);
    }
  }
  return out;
}

inline absl::StatusOr<std::vector<StreamPendingEntry>> StreamPendingEntries(
    const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray) {
    return WrongShape("an array of pending entries", reply);
  }
  std::vector<StreamPendingEntry> out;
  out.reserve(reply.size());
  for (ReplyView e : reply) {
    if (e.type() != ReplyType::kArray || e.size() != 4 ||
        e[2].type() != ReplyType::kInteger ||
        e[3].type() != ReplyType::kInteger) {
      return WrongShape("[id, consumer, idle-ms, deliveries]", e);
    }
    out.push_back(StreamPendingEntry{std::string(e[0].str()),
                                     std::string(e[1].str()),
                                     absl::Milliseconds(e[2].integer()),
                                     e[3].integer()});
  }
  return out;
}

inline absl::StatusOr<StreamAutoClaim> StreamAutoClaimFrom(
    const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray || reply.size() < 2 ||
      !reply[0].is_string()) {
    return WrongShape("[next-start, entries, deleted-ids]", reply);
  }
  StreamAutoClaim out;
  out.next_start = std::string(reply[0].str());
  absl::StatusOr<std::vector<StreamEntry>> entries = StreamEntries(reply[1]);
  if (!entries.ok()) return entries.status();
  out.entries = *std::move(entries);
  if (reply.size() > 2) {
    absl::StatusOr<std::vector<std::string>> deleted = StringList(reply[2]);
    if (!deleted.ok()) return deleted.status();
    out.deleted_ids = *std::move(deleted);
  }
  return out;
}

// XAUTOCLAIM ... JUSTID: the entries are bare ids.
inline absl::StatusOr<std::vector<std::string>> StreamAutoClaimIds(
    const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray || reply.size() < 2) {
    return WrongShape("[next-start, ids, deleted-ids]", reply);
  }
  return StringList(reply[1]);
}

inline absl::StatusOr<std::optional<StreamEntry>> OptionalStreamEntry(
    const std::optional<ReplyView>& reply) {
  if (!reply.has_value() || reply->is_null()) {
    return std::optional<StreamEntry>();
  }
  absl::StatusOr<StreamEntry> entry = StreamEntryFrom(*reply);
  if (!entry.ok()) return entry.status();
  return std::optional<StreamEntry>(*std::move(entry));
}

inline absl::StatusOr<StreamInfo> StreamInfoFrom(const ReplyView& reply) {
  absl::StatusOr<ReplyFields> f = ReplyFields::Of(reply, "XINFO STREAM");
  if (!f.ok()) return f.status();
  StreamInfo out;
  out.length = f->Integer("length");
  out.radix_tree_keys = f->Integer("radix-tree-keys");
  out.radix_tree_nodes = f->Integer("radix-tree-nodes");
  out.groups = f->Integer("groups");
  out.last_generated_id = f->String("last-generated-id");
  out.max_deleted_entry_id = f->String("max-deleted-entry-id");
  out.entries_added = f->Integer("entries-added");
  out.recorded_first_entry_id = f->String("recorded-first-entry-id");
  absl::StatusOr<std::optional<StreamEntry>> first =
      OptionalStreamEntry(f->Find("first-entry"));
  if (!first.ok()) return first.status();
  out.first_entry = *std::move(first);
  absl::StatusOr<std::optional<StreamEntry>> last =
      OptionalStreamEntry(f->Find("last-entry"));
  if (!last.ok()) return last.status();
  out.last_entry = *std::move(last);
  return out;
}

inline std::optional<int64_t> OptionalIntegerField(const ReplyFields& f,
                                                   absl::string_view name) {
  std::optional<ReplyView> v = f.Find(name);
  if (!v.has_value() || v->type() != ReplyType::kInteger) return std::nullopt;
  return v->integer();
}

inline absl::StatusOr<StreamGroupInfo> StreamGroupInfoFrom(
    const ReplyView& reply) {
  absl::StatusOr<ReplyFields> f = ReplyFields::Of(reply, "XINFO GROUPS");
  if (!f.ok()) return f.status();
  StreamGroupInfo out;
  out.name = f->String("name");
  out.consumers = f->Integer("consumers");
  out.pending = f->Integer("pending");
  out.last_delivered_id = f->String("last-delivered-id");
  out.entries_read = OptionalIntegerField(*f, "entries-read");
  out.lag = OptionalIntegerField(*f, "lag");
  return out;
}

inline absl::StatusOr<StreamConsumerInfo> StreamConsumerInfoFrom(
    const ReplyView& reply) {
  absl::StatusOr<ReplyFields> f = ReplyFields::Of(reply, "XINFO CONSUMERS");
  if (!f.ok()) return f.status();
  StreamConsumerInfo out;
  out.name = f->String("name");
  out.pending = f->Integer("pending");
  out.idle = absl::Milliseconds(f->Integer("idle"));
  out.inactive = absl::Milliseconds(f->Integer("inactive"));
  return out;
}

}  // namespace convert

template <typename E, template <typename> class Result>
class StreamCommands {
 public:
  // XADD key [NOMKSTREAM] [MAXLEN|MINID ...] id field value [field value
  // ...] → the new entry's id; nullopt only with no_mkstream when the stream
  // does not exist. INVALID_ARGUMENT: no fields, an empty id, a bad trim.
  Result<std::optional<std::string>> XAdd(
      absl::string_view key,
      absl::Span<const std::pair<std::string, std::string>> fields,
      const XAddOptions& options = {}) {
    using Value = std::optional<std::string>;
    if (fields.empty()) {
      return self().template Fail<Value>(
          InvalidArgumentError("XADD: needs at least one field/value pair"));
    }
    if (options.id.empty()) {
      return self().template Fail<Value>(
          InvalidArgumentError("XADD: id must not be empty (use \"*\")"));
    }
    CommandArgs args{"XADD", key};
    if (options.no_mkstream) args.push_back("NOMKSTREAM");
    if (options.trim.has_value()) {
      absl::Status s = internal::AppendStreamTrim("XADD", *options.trim, args);
      if (!s.ok()) return self().template Fail<Value>(std::move(s));
    }
    args.push_back(options.id);
    args.reserve(args.size() + 2 * fields.size());
    for (const auto& [field, value] : fields) {
      args.push_back(field);
      args.push_back(value);
    }
    return self().template RunArgs<Value>(&convert::OptionalString,
                                          args.span());
  }

  // XLEN key → the number of entries (0 for a missing key).
  Result<int64_t> XLen(absl::string_view key) {
    return self().template Run<int64_t>(&convert::Integer, "XLEN", key);
  }

  // XRANGE key start end [COUNT n] → entries with start <= id <= end, oldest
  // first. "-" and "+" are the smallest and largest ids; "(" before an id
  // excludes it. INVALID_ARGUMENT: count <= 0.
  Result<std::vector<StreamEntry>> XRange(
      absl::string_view key, absl::string_view start = "-",
      absl::string_view end = "+",
      std::optional<int64_t> count = std::nullopt) {
    return Range("XRANGE", key, start, end, count);
  }

  // XREVRANGE key end start [COUNT n] → the same, newest first (note the
  // order of the bounds, as on the wire).
  Result<std::vector<StreamEntry>> XRevRange(
      absl::string_view key, absl::string_view end = "+",
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
  Result<std::vector<StreamMessages>> XRead(
      absl::Span<const std::pair<std::string, std::string>> streams,
      const XReadOptions& options = {}) {
    using Value = std::vector<StreamMessages>;
    CommandArgs args{"XREAD"};
    absl::Status s = internal::AppendCount("XREAD", options.count, args);
    if (s.ok()) s = internal::AppendBlock("XREAD", options.block, args);
    if (s.ok()) s = internal::AppendStreams("XREAD", streams, args);
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    if (options.block.has_value()) {
      return self().template RunBlockingArgs<Value>(
          &convert::StreamRead, internal::ServerWait(*options.block),
          args.span());
    }
    return self().template RunArgs<Value>(&convert::StreamRead, args.span());
  }

  // XGROUP CREATE key group id [MKSTREAM] [ENTRIESREAD n]: creates a
  // consumer group that will deliver entries after `id` ("$": only new
  // ones, "0": the whole stream). Errors: BUSYGROUP if it exists; ERR if
  // the stream does not exist and mkstream is not set.
  Result<bool> XGroupCreate(absl::string_view key, absl::string_view group,
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
  Result<bool> XGroupDestroy(absl::string_view key, absl::string_view group) {
    return self().template Run<bool>(&convert::Bool, "XGROUP", "DESTROY", key,
                                     group);
  }

  // XGROUP SETID key group id: moves the group's last-delivered id.
  Result<bool> XGroupSetId(absl::string_view key, absl::string_view group,
                           absl::string_view id) {
    return self().template Run<bool>(&convert::Ok, "XGROUP", "SETID", key,
                                     group, id);
  }

  // XGROUP CREATECONSUMER key group consumer → whether it was created.
  Result<bool> XGroupCreateConsumer(absl::string_view key,
                                    absl::string_view group,
                                    absl::string_view consumer) {
    return self().template Run<bool>(&convert::Bool, "XGROUP", "CREATECONSUMER",
                                     key, group, consumer);
  }

  // XGROUP DELCONSUMER key group consumer → how many entries it had pending
  // (they are dropped from the pending list).
  Result<int64_t> XGroupDelConsumer(absl::string_view key,
                                    absl::string_view group,
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
  Result<std::vector<StreamMessages>> XReadGroup(
      absl::string_view group, absl::string_view consumer,
      absl::Span<const std::pair<std::string, std::string>> streams,
      const XReadGroupOptions& options = {}) {
    using Value = std::vector<StreamMessages>;
    if (group.empty() || consumer.empty()) {
      return self().template Fail<Value>(InvalidArgumentError(
          "XREADGROUP: group and consumer must not be empty"));
    }
    CommandArgs args{"XREADGROUP", "GROUP", group, consumer};
    absl::Status s = internal::AppendCount("XREADGROUP", options.count, args);
    if (s.ok()) s = internal::AppendBlock("XREADGROUP", options.block, args);
    if (s.ok() && options.no_ack) args.push_back("NOACK");
    if (s.ok()) s = internal::AppendStreams("XREADGROUP", streams, args);
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    if (options.block.has_value()) {
      return self().template RunBlockingArgs<Value>(
          &convert::StreamRead, internal::ServerWait(*options.block),
          args.span());
    }
    return self().template RunArgs<Value>(&convert::StreamRead, args.span());
  }

  // XACK key group id... → how many of the ids were pending and are now
  // acknowledged. INVALID_ARGUMENT: no ids.
  Result<int64_t> XAck(absl::string_view key, absl::string_view group,
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
  Result<int64_t> XDel(absl::string_view key,
                       absl::Span<const std::string> ids) {
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
  Result<int64_t> XTrim(absl::string_view key, const StreamTrim& trim) {
    CommandArgs args{"XTRIM", key};
    absl::Status s = internal::AppendStreamTrim("XTRIM", trim, args);
    if (!s.ok()) return self().template Fail<int64_t>(std::move(s));
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }

  // XPENDING key group → the group's pending summary.
  Result<StreamPendingSummary> XPending(absl::string_view key,
                                        absl::string_view group) {
    return self().template Run<StreamPendingSummary>(
        &convert::StreamPendingSummaryFrom, "XPENDING", key, group);
  }
  // XPENDING key group [IDLE ms] start end count [consumer] → the pending
  // entries in the range. INVALID_ARGUMENT for count <= 0.
  Result<std::vector<StreamPendingEntry>> XPending(
      absl::string_view key, absl::string_view group,
      const StreamPendingQuery& query) {
    using Value = std::vector<StreamPendingEntry>;
    if (query.count <= 0) {
      return self().template Fail<Value>(InvalidArgumentError(
          absl::StrCat("XPENDING: count must be > 0, got ", query.count)));
    }
    CommandArgs args{"XPENDING", key, group};
    if (query.min_idle.has_value()) {
      args.push_back("IDLE");
      args.push_back(absl::ToInt64Milliseconds(*query.min_idle));
    }
    args.push_back(query.start);
    args.push_back(query.end);
    args.push_back(query.count);
    if (!query.consumer.empty()) args.push_back(query.consumer);
    return self().template RunArgs<Value>(&convert::StreamPendingEntries,
                                          args.span());
  }
  // XCLAIM key group consumer min-idle id... [options] → the entries now
  // owned by `consumer` (ids not pending, or idle less than min_idle, are
  // left out).
  Result<std::vector<StreamEntry>> XClaim(
      absl::string_view key, absl::string_view group,
      absl::string_view consumer, absl::Duration min_idle,
      absl::Span<const std::string> ids,
      const StreamClaimOptions& options = {}) {
    return Claim<std::vector<StreamEntry>>(key, group, consumer, min_idle,
                                           ids, options, false,
                                           &convert::StreamEntries);
  }
  // XCLAIM ... JUSTID → only the ids of the claimed entries (their
  // delivery counts are not incremented).
  Result<std::vector<std::string>> XClaimJustId(
      absl::string_view key, absl::string_view group,
      absl::string_view consumer, absl::Duration min_idle,
      absl::Span<const std::string> ids,
      const StreamClaimOptions& options = {}) {
    return Claim<std::vector<std::string>>(key, group, consumer, min_idle,
                                           ids, options, true,
                                           &convert::StringList);
  }
  // XAUTOCLAIM key group consumer min-idle start [COUNT n] → entries idle at
  // least min_idle, from `start`, now owned by `consumer`.
  Result<StreamAutoClaim> XAutoClaim(
      absl::string_view key, absl::string_view group,
      absl::string_view consumer, absl::Duration min_idle,
      absl::string_view start, std::optional<int64_t> count = std::nullopt) {
    CommandArgs args{"XAUTOCLAIM", key, group, consumer,
                     absl::ToInt64Milliseconds(min_idle), start};
    absl::Status s = internal::AppendCount("XAUTOCLAIM", count, args);
    if (!s.ok()) return self().template Fail<StreamAutoClaim>(std::move(s));
    return self().template RunArgs<StreamAutoClaim>(
        &convert::StreamAutoClaimFrom, args.span());
  }
  // XAUTOCLAIM ... JUSTID → only the claimed ids.
  Result<std::vector<std::string>> XAutoClaimJustId(
      absl::string_view key, absl::string_view group,
      absl::string_view consumer, absl::Duration min_idle,
      absl::string_view start, std::optional<int64_t> count = std::nullopt) {
    using Value = std::vector<std::string>;
    CommandArgs args{"XAUTOCLAIM", key, group, consumer,
                     absl::ToInt64Milliseconds(min_idle), start};
    absl::Status s = internal::AppendCount("XAUTOCLAIM", count, args);
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    args.push_back("JUSTID");
    return self().template RunArgs<Value>(&convert::StreamAutoClaimIds,
                                          args.span());
  }
  // XINFO STREAM key → the stream's length, ids and first/last entries.
  Result<StreamInfo> XInfoStream(absl::string_view key) {
    return self().template Run<StreamInfo>(&convert::StreamInfoFrom, "XINFO",
                                           "STREAM", key);
  }
  // XINFO GROUPS key → the stream's consumer groups.
  Result<std::vector<StreamGroupInfo>> XInfoGroups(absl::string_view key) {
    return self().template Run<std::vector<StreamGroupInfo>>(
        &convert::ArrayOf<StreamGroupInfo, &convert::StreamGroupInfoFrom>,
        "XINFO", "GROUPS", key);
  }
  // XINFO CONSUMERS key group → the group's consumers.
  Result<std::vector<StreamConsumerInfo>> XInfoConsumers(
      absl::string_view key, absl::string_view group) {
    return self().template Run<std::vector<StreamConsumerInfo>>(
        &convert::ArrayOf<StreamConsumerInfo, &convert::StreamConsumerInfoFrom>,
        "XINFO", "CONSUMERS", key, group);
  }
  // XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id] → true.
  Result<bool> XSetId(absl::string_view key, absl::string_view last_id,
                      std::optional<int64_t> entries_added = std::nullopt,
                      absl::string_view max_deleted_id = "") {
    CommandArgs args{"XSETID", key, last_id};
    if (entries_added.has_value()) {
      args.push_back("ENTRIESADDED");
      args.push_back(*entries_added);
    }
    if (!max_deleted_id.empty()) {
      args.push_back("MAXDELETEDID");
      args.push_back(max_deleted_id);
    }
    return self().template RunArgs<bool>(&convert::Ok, args.span());
  }

 private:
  E& self() { return static_cast<E&>(*this); }

  template <typename T>
  Result<T> Claim(absl::string_view key, absl::string_view group,
                  absl::string_view consumer, absl::Duration min_idle,
                  absl::Span<const std::string> ids,
                  const StreamClaimOptions& options, bool just_id,
                  Converter<T> converter) {
    if (ids.empty() || min_idle < absl::ZeroDuration()) {
      return self().template Fail<T>(InvalidArgumentError(
          "XCLAIM: needs at least one id and min_idle >= 0"));
    }
    CommandArgs args{"XCLAIM", key, group, consumer,
                     absl::ToInt64Milliseconds(min_idle)};
    args.reserve(ids.size() + 14);
    for (const std::string& id : ids) args.push_back(id);
    if (options.idle.has_value()) {
      args.push_back("IDLE");
      args.push_back(absl::ToInt64Milliseconds(*options.idle));
    }
    if (options.time.has_value()) {
      args.push_back("TIME");
      args.push_back(absl::ToUnixMillis(*options.time));
    }
    if (options.retry_count.has_value()) {
      args.push_back("RETRYCOUNT");
      args.push_back(*options.retry_count);
    }
    if (options.force) args.push_back("FORCE");
    if (just_id) args.push_back("JUSTID");
    if (!options.last_id.empty()) {
      args.push_back("LASTID");
      args.push_back(options.last_id);
    }
    return self().template RunArgs<T>(converter, args.span());
  }

  Result<std::vector<StreamEntry>> Range(absl::string_view command,
                                         absl::string_view key,
                                         absl::string_view from,
                                         absl::string_view to,
                                         const std::optional<int64_t>& count) {
    using Value = std::vector<StreamEntry>;
    if (from.empty() || to.empty()) {
      return self().template Fail<Value>(InvalidArgumentError(
          absl::StrCat(command, ": range bounds must not be empty")));
    }
    CommandArgs args{command, key, from, to};
    absl::Status s = internal::AppendCount(command, count, args);
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    return self().template RunArgs<Value>(&convert::StreamEntries, args.span());
  }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_STREAM_COMMANDS_H_
