// CachePolicy: which commands the client-side cache may serve, which keys
// each one reads, and how an invalidation push changes the cache. The
// blocking client's ClientCache and the async client apply the same policy
// (see client_cache.h for the rule itself: allow/deny command lists, a
// built-in table of key positions, allow/deny key prefixes).
//
// Cost: Cacheable(args) runs on every command of a caching client, hits
// included, so it allocates nothing: the command name is looked up
// case-insensitively in a table built once per policy (the built-in table
// narrowed by the allow and deny lists), and the keys are checked in place.
//
// Thread-safety: immutable after construction; the static helpers are
// thread-safe (ApplyInvalidation relies on LocalCache's own locking).

#ifndef VALKEY_CACHE_CACHE_POLICY_H_
#define VALKEY_CACHE_CACHE_POLICY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/cache/local_cache.h"
#include "valkey/common/options.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"

namespace valkey {

class CachePolicy {
 public:
  // Checks options for an enabled cache on connections with `connection`.
  // Errors: INVALID_ARGUMENT when connection.protocol is not 3, when
  // max_entries < 1, max_bytes < 1 or ttl <= 0.
  static absl::Status Validate(const CacheOptions& options,
                               const ConnectionOptions& connection);

  explicit CachePolicy(const CacheOptions& options);

  // True if `args` may be served from and stored in the cache. Allocates
  // nothing. A cacheable command only reads: FindCommandKeys()
  // (command_keys.h) knows it as a read, so it needs no InvalidateOwnWrite.
  bool Cacheable(absl::Span<const CommandArg> args) const;
  // As above; when true, `*keys` holds the keys it reads.
  bool Cacheable(absl::Span<const CommandArg> args,
                 std::vector<std::string>* keys) const;
  // The keys of a command Cacheable() accepted (anything else: empty).
  std::vector<std::string> KeysOfCacheable(
      absl::Span<const CommandArg> args) const;

  // The keys `args` reads, if the command name (upper case) is in the
  // built-in table and the arguments are well-formed.
  static std::optional<std::vector<std::string>> KeysOf(
      absl::string_view upper_name, absl::Span<const CommandArg> args);

  // Read-your-writes: the server's invalidation for the client's own write
  // arrives after the write's reply (and, on another connection, after any
  // read the client sends next), so the client invalidates locally. For a
  // command that may write (command_keys.h), removes the entries of the
  // keys it names and poisons their fills; for one that touches every key
  // (FLUSHALL, ...) or that the table does not know (a module command:
  // assume the worst), flushes the cache.
  // Returns what it invalidated, for the caller to invalidate again when the
  // reply arrives; nothing for reads and keyless commands, which change
  // nothing (and cost no allocation).
  struct OwnWrite {
    bool all = false;               // Flushed (every key).
    std::vector<std::string> keys;  // Otherwise: these keys.
    void InvalidateIn(LocalCache& cache) const;
  };
  static std::optional<OwnWrite> InvalidateOwnWrite(
      absl::Span<const CommandArg> args, LocalCache& cache);

  // Applies an ["invalidate", keys | nil] push to `cache` (nil: flush).
  // Returns false, changing nothing, for any other push.
  static bool ApplyInvalidation(ReplyView push, LocalCache& cache);

  // allow_key_prefixes with overlaps removed (CLIENT TRACKING BCAST refuses
  // overlapping prefixes); empty = every key.
  const std::vector<std::string>& bcast_prefixes() const {
    return bcast_prefixes_;
  }

  // Where a cacheable command's keys are (defined in cache_policy.cc).
  enum class KeySpec : uint8_t;

 private:
  // One slot of the table of cacheable names (open addressing, linear
  // probing; an empty name marks a free slot).
  // A command name's first 16 bytes, upper-cased, as two words (zero
  // padding): a hit's name check is two compares, not a loop over bytes.
  struct NameWords {
    uint64_t lo = 0;
    uint64_t hi = 0;
  };
  static NameWords WordsOf(absl::string_view name);

  struct Slot {
    NameWords words;         // WordsOf(name).
    absl::string_view name;  // Upper case; a literal of the built-in table.
    KeySpec spec;
  };

  // Where the search for a name of `size` bytes and `words` starts in
  // slots_.
  size_t SlotOf(const NameWords& words, size_t size) const;
  // The slot of `name` (any case), or null if the command is not
  // cacheable under these options.
  const Slot* FindName(absl::string_view name) const;
  // The arguments [*from, *to) that are `spec`'s keys in `args`; false if
  // `args` do not fit it.
  static bool KeyRange(KeySpec spec, absl::Span<const CommandArg> args,
                       size_t* from, size_t* to);
  bool KeyAllowed(absl::string_view key) const;

  const CacheOptions options_;
  // No key prefix lists: every key passes (the common case, checked once).
  const bool all_keys_allowed_;
  std::vector<Slot> slots_;  // Size 2^(64 - shift_), at most half full.
  int shift_ = 61;
  size_t mask_ = 7;  // slots_.size() - 1
  std::vector<std::string> bcast_prefixes_;
};

}  // namespace valkey

#endif  // VALKEY_CACHE_CACHE_POLICY_H_
