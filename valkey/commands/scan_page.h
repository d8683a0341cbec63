// One page of a cursor-based scan (SCAN, HSCAN, SSCAN, ZSCAN) and the
// options those commands share. Part of the command table: the family
// headers use these for their single-page Scan methods; scan.h walks all
// pages for the sync client.
//
//   absl::StatusOr<ScanPage<std::string>> page =
//       client.Scan(0, {.match = "user:*", .count = 100});
//   // page->items: some keys; page->next_cursor: 0 once the scan is done.
//
// Guarantees are the server's: every element present for the whole scan is
// returned at least once; an element may be returned more than once; a page
// may be empty while the cursor is not yet 0.
//
// Thread-safety: plain values; the helpers are pure functions.

#ifndef VALKEY_COMMANDS_SCAN_PAGE_H_
#define VALKEY_COMMANDS_SCAN_PAGE_H_

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
#include "valkey/commands/command_args.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"

namespace valkey {

// Options of SCAN / HSCAN / SSCAN / ZSCAN. The strings are owned so that a
// scanner (scan.h) can keep its options for the whole walk.
struct ScanOptions {
  // MATCH: a glob pattern the returned elements must match ("user:*").
  // Filtering happens after the server picked a page, so pages with a
  // pattern may be small or empty. Empty: no filter.
  std::string match;
  // COUNT: a hint of how much work the server does per page (> 0). Not a
  // page size; the server may return more or fewer. Default: the server's
  // (10).
  std::optional<int64_t> count;
  // TYPE: only keys of this type ("string", "hash", "zset", ...). SCAN
  // only; INVALID_ARGUMENT for HSCAN/SSCAN/ZSCAN. Empty: any type.
  std::string type;
};

// One page of a scan: the elements the server returned and the cursor to
// pass next; 0 means the scan is complete.
template <typename T>
struct ScanPage {
  uint64_t next_cursor = 0;
  std::vector<T> items;
};

namespace internal {

// Appends MATCH / COUNT / TYPE for `command` ("SCAN", "HSCAN", ...).
// INVALID_ARGUMENT for a non-positive count, or a type on anything but SCAN.
inline absl::Status AppendScanOptions(absl::string_view command,
                                      const ScanOptions& options,
                                      CommandArgs& args) {
  if (!options.match.empty()) {
    args.push_back("MATCH");
    args.push_back(options.match);
  }
  if (options.count.has_value()) {
    if (*options.count <= 0) {
      return InvalidArgumentError(absl::StrCat(
          command, ": count must be positive, got ", *options.count));
    }
    args.push_back("COUNT");
    args.push_back(*options.count);
  }
  if (!options.type.empty()) {
    if (command != "SCAN") {
      return InvalidArgumentError(
          absl::StrCat(command, ": type is a SCAN-only option"));
    }
    args.push_back("TYPE");
    args.push_back(options.type);
  }
  return absl::OkStatus();
}

// Splits a scan reply, [cursor, [elements...]], into the cursor and the
// element array (which may be a RESP3 map or set in principle; callers
// accept what they can read).
inline absl::Status SplitScanReply(const ReplyView& reply, uint64_t* cursor,
                                   ReplyView* elements) {
  if (reply.type() != ReplyType::kArray || reply.size() != 2 ||
      !reply[0].is_string() || reply[0].is_error() ||
      !absl::SimpleAtoi(reply[0].str(), cursor)) {
    return convert::WrongShape("a scan reply [cursor, elements]", reply);
  }
  *elements = reply[1];
  if (elements->type() != ReplyType::kArray &&
      elements->type() != ReplyType::kSet &&
      elements->type() != ReplyType::kMap) {
    return convert::WrongShape("a scan reply [cursor, elements]", reply);
  }
  return absl::OkStatus();
}

}  // namespace internal

namespace convert {

// SCAN / SSCAN: [cursor, [element...]] → a page of strings.
inline absl::StatusOr<ScanPage<std::string>> StringScanPage(
    const ReplyView& reply) {
  ScanPage<std::string> page;
  ReplyView elements;
  absl::Status s =
      internal::SplitScanReply(reply, &page.next_cursor, &elements);
  if (!s.ok()) return s;
  page.items.reserve(elements.num_children());
  for (ReplyView element : elements) {
    if (!element.is_string() || element.is_error()) {
      return WrongShape("scan elements of strings", reply);
    }
    page.items.emplace_back(element.str());
  }
  return page;
}

// HSCAN: [cursor, [field, value, ...]] (a RESP3 map accepted too) → a page
// of field/value pairs.
inline absl::StatusOr<ScanPage<std::pair<std::string, std::string>>>
StringPairScanPage(const ReplyView& reply) {
  ScanPage<std::pair<std::string, std::string>> page;
  ReplyView elements;
  absl::Status s =
      internal::SplitScanReply(reply, &page.next_cursor, &elements);
  if (!s.ok()) return s;
  if (elements.num_children() % 2 != 0) {
    return WrongShape("scan elements in field/value pairs", reply);
  }
  page.items.reserve(elements.num_children() / 2);
  for (auto [field, value] : elements.pairs()) {
    if (!field.is_string() || field.is_error() || !value.is_string() ||
        value.is_error()) {
      return WrongShape("scan elements in field/value pairs", reply);
    }
    page.items.emplace_back(std::string(field.str()),
                            std::string(value.str()));
  }
  return page;
}

}  // namespace convert
}  // namespace valkey

#endif  // VALKEY_COMMANDS_SCAN_PAGE_H_
