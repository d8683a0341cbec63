// Scanner: walks every page of a cursor scan (SCAN, HSCAN, SSCAN, ZSCAN) on
// the blocking client, one element at a time, fetching the next page only
// when the current one is used up.
//
//   // Range-for: each element is an absl::StatusOr; a failed page request
//   // is yielded once as an error, and then the loop ends.
//   for (absl::StatusOr<std::string> key :
//        valkey::ScanAll(client, {.match = "user:*"})) {
//     if (!key.ok()) return key.status();
//     Use(*key);
//   }
//
//   // Callback form: stops at (and returns) the first error.
//   absl::Status s = valkey::HScanAll(client, "user:1").ForEach(
//       [](std::pair<std::string, std::string> field) { ... });
//
//   // Pull form: nullopt once the scan is complete.
//   auto scanner = valkey::ZScanAll(client, "board");
//   absl::StatusOr<std::optional<ScoredMember>> next = scanner.Next();
//
// Guarantees are the server's: every element present for the whole walk is
// returned at least once; elements added or removed meanwhile may or may not
// be; an element may be returned more than once (SCAN during a rehash, for
// instance). A Scanner does not remove duplicates — that would need memory
// in proportion to the keyspace; callers that care collect into a set.
//
// Errors never end a walk silently: Next() returns the failed page's status
// and keeps its cursor, so calling Next() again retries that page; ForEach()
// and Collect() return the status; the range-for yields it as an element.
// INVALID_ARGUMENT for bad options comes from the first page request.
//
// Thread-safety: a Scanner is thread-compatible (one thread at a time); the
// client it was made from must outlive it. Each page is one command on the
// client, which may use any pooled connection (SCAN cursors are not tied to
// a connection).

#ifndef VALKEY_CLIENT_SCAN_H_
#define VALKEY_CLIENT_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "valkey/commands/scan_page.h"
#include "valkey/commands/sorted_set_commands.h"

namespace valkey {

template <typename T>
class Scanner {
 public:
  // Fetches the page at `cursor` (the first call gets 0).
  using FetchPage = std::function<absl::StatusOr<ScanPage<T>>(uint64_t)>;

  explicit Scanner(FetchPage fetch) : fetch_(std::move(fetch)) {}

  Scanner(Scanner&&) = default;
  Scanner& operator=(Scanner&&) = default;

  // The next element; nullopt once the server reported the scan complete;
  // or the status of the page request that failed (the cursor is kept, so
  // the next call retries that page). Blocks while a page is fetched.
  absl::StatusOr<std::optional<T>> Next() {
    while (pos_ >= page_.size()) {
      if (complete_) return std::optional<T>();
      absl::StatusOr<ScanPage<T>> page = fetch_(cursor_);
      if (!page.ok()) return page.status();
      cursor_ = page->next_cursor;
      complete_ = cursor_ == 0;
      page_ = std::move(page->items);
      pos_ = 0;
    }
    return std::optional<T>(std::move(page_[pos_++]));
  }

  // Calls `fn` on each remaining element, in order. Returns OK once the
  // scan is complete, or the first page request's error (elements before
  // it were delivered).
  absl::Status ForEach(absl::FunctionRef<void(T)> fn) {
    while (true) {
      absl::StatusOr<std::optional<T>> next = Next();
      if (!next.ok()) return next.status();
      if (!next->has_value()) return absl::OkStatus();
      fn(**std::move(next));
    }
  }

  // Every remaining element (duplicates included), or the first error.
  absl::StatusOr<std::vector<T>> Collect() {
    std::vector<T> out;
    absl::Status s = ForEach([&out](T item) { out.push_back(std::move(item)); });
    if (!s.ok()) return s;
    return out;
  }

  // True once the last page has been fetched and handed out.
  bool done() const { return complete_ && pos_ >= page_.size(); }

  // An input iterator over absl::StatusOr<T>: a failed page request is
  // yielded once, as an error element, and the iteration then ends. The
  // scanner must outlive its iterators; one walk per scanner.
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = absl::StatusOr<T>;
    using difference_type = std::ptrdiff_t;
    using pointer = value_type*;
    using reference = value_type&;

    Iterator() = default;

    reference operator*() { return current_; }
    pointer operator->() { return &current_; }
    Iterator& operator++() {
      Advance();
      return *this;
    }
    void operator++(int) { Advance(); }

    // Only "is at end" is compared (the usual input-iterator contract).
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.scanner_ == nullptr && b.scanner_ == nullptr;
    }
    friend bool operator!=(const Iterator& a, const Iterator& b) {
      return !(a == b);
    }

   private:
    friend class Scanner;
    explicit Iterator(Scanner* scanner) : scanner_(scanner) { Advance(); }

    void Advance() {
      if (scanner_ == nullptr) return;
      if (!current_.ok()) {  // the error was yielded: stop
        scanner_ = nullptr;
        return;
      }
      absl::StatusOr<std::optional<T>> next = scanner_->Next();
      if (!next.ok()) {
        current_ = next.status();
      } else if (!next->has_value()) {
        scanner_ = nullptr;
      } else {
        current_ = **std::move(next);
      }
    }

    Scanner* scanner_ = nullptr;  // nullptr: at end
    absl::StatusOr<T> current_ = T();
  };

  Iterator begin() { return Iterator(this); }
  Iterator end() { return Iterator(); }

 private:
  FetchPage fetch_;
  uint64_t cursor_ = 0;
  bool complete_ = false;
  std::vector<T> page_;
  size_t pos_ = 0;
};

// SCAN over the whole keyspace of the client's database. `client` is any
// blocking executor of the command table (Client); it must outlive the
// scanner.
template <typename C>
Scanner<std::string> ScanAll(C& client, ScanOptions options = {}) {
  return Scanner<std::string>(
      [&client, options = std::move(options)](uint64_t cursor) {
        return client.Scan(cursor, options);
      });
}

// HSCAN over every field/value pair of the hash at `key`.
template <typename C>
Scanner<std::pair<std::string, std::string>> HScanAll(
    C& client, absl::string_view key, ScanOptions options = {}) {
  return Scanner<std::pair<std::string, std::string>>(
      [&client, key = std::string(key),
       options = std::move(options)](uint64_t cursor) {
        return client.HScan(key, cursor, options);
      });
}

// SSCAN over every member of the set at `key`.
template <typename C>
Scanner<std::string> SScanAll(C& client, absl::string_view key,
                              ScanOptions options = {}) {
  return Scanner<std::string>([&client, key = std::string(key),
                               options = std::move(options)](uint64_t cursor) {
    return client.SScan(key, cursor, options);
  });
}

// ZSCAN over every member (with its score) of the sorted set at `key`.
template <typename C>
Scanner<ScoredMember> ZScanAll(C& client, absl::string_view key,
                               ScanOptions options = {}) {
  return Scanner<ScoredMember>([&client, key = std::string(key),
                                options = std::move(options)](uint64_t cursor) {
    return client.ZScan(key, cursor, options);
  });
}

}  // namespace valkey

#endif  // VALKEY_CLIENT_SCAN_H_
