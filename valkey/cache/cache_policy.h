// CachePolicy: which commands the client-side cache may serve, which keys
// each one reads, and how an invalidation push changes the cache. The
// blocking client's ClientCache and the async client apply the same policy
// (see client_cache.h for the rule itself: allow/deny command lists, a
// built-in table of key positions, allow/deny key prefixes).
//
// Thread-safety: immutable after construction; the static helpers are
// thread-safe (ApplyInvalidation relies on LocalCache's own locking).

#ifndef VALKEY_CACHE_CACHE_POLICY_H_
#define VALKEY_CACHE_CACHE_POLICY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/cache/local_cache.h"
#include "valkey/common/config.h"
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

  // True if `args` may be served from and stored in the cache; then
  // `*keys` holds the keys it reads.
  bool Cacheable(absl::Span<const CommandArg> args,
                 std::vector<std::string>* keys) const;

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

 private:
  bool KeyAllowed(absl::string_view key) const;

  const CacheOptions options_;
  absl::flat_hash_set<std::string> allow_;
  absl::flat_hash_set<std::string> deny_;
  std::vector<std::string> bcast_prefixes_;
};

}  // namespace valkey

#endif  // VALKEY_CACHE_CACHE_POLICY_H_
