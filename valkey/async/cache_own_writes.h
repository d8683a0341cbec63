// CacheOwnWrites: read-your-writes for the async client's cache. Installed
// as the SubmitObserver of every connection of a client with a cache (the
// shared one and the exclusive pool's), it invalidates the keys of each
// write the client itself sends (CachePolicy::InvalidateOwnWrite) twice:
//   - when the write is queued, so no read issued after it can be served an
//     entry (or store a fill) from before it;
//   - when its reply arrives, before the caller sees it, so a read that
//     raced the write on another connection (a lease, a retry) and filled
//     the cache with the old value cannot serve it afterwards.
// The server's own invalidation for the write comes later still, and then
// finds nothing left to remove. Inside MULTI ... EXEC the second pass
// waits for EXEC's reply (QUEUED means nothing ran yet).
//
// Cost: one hash lookup per command, and one small allocation per write
// (to carry its keys to the reply); reads and keyless commands allocate
// nothing. Only clients with a cache pay it.
//
// Thread-safety: thread-safe (LocalCache locks itself).

#ifndef VALKEY_ASYNC_CACHE_OWN_WRITES_H_
#define VALKEY_ASYNC_CACHE_OWN_WRITES_H_

#include <memory>

#include "absl/types/span.h"
#include "valkey/async/connection.h"
#include "valkey/cache/local_cache.h"
#include "valkey/common/resp_writer.h"

namespace valkey::async {

class CacheOwnWrites final : public SubmitObserver {
 public:
  explicit CacheOwnWrites(std::shared_ptr<LocalCache> cache)
      : cache_(std::move(cache)) {}

  void OnSubmit(absl::Span<const absl::Span<const CommandArg>> commands,
                absl::Span<ReplySink> sinks) override;

 private:
  const std::shared_ptr<LocalCache> cache_;
};

}  // namespace valkey::async

#endif  // VALKEY_ASYNC_CACHE_OWN_WRITES_H_
