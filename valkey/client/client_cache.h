// ClientCache: server-assisted client-side caching for the sync Client —
// which commands may be served from memory, and keeping LocalCache
// (local_cache.h) consistent with the server through RESP3 invalidation
// pushes. The Client drives it; applications use Client::cache_stats() and
// Client::FlushCache().
//
//   ClientCache::Lookup found = cache->Find(args);   // Before any I/O.
//   if (found.hit) return found.hit->Clone();        // No round trip.
//   absl::StatusOr<Reply> reply = ...round trip on a pooled connection...;
//   if (reply.ok()) cache->Store(std::move(found.fill), *reply);
//
// What is cached. A command is cacheable when its name is in the allow
// list (CacheOptions::allow_commands; empty = DefaultCacheAllowCommands(),
// for lookups and stores alike), not in the deny list (deny wins), its key
// positions are known (a built-in table covering the default allow list;
// an allow-listed command outside it is never cached, since without its
// keys it could not be invalidated), and every key passes the prefix lists
// (each key starts with an allow prefix when that list is non-empty, and
// with no deny prefix). The cache key is every argument (LocalCache::MakeKey),
// so "LRANGE l 0 -1" and "LRANGE l 0 1" are separate entries. Error replies,
// blocking commands and SORT_RO (its BY/GET patterns read keys that cannot
// be named up front) are never cached. XREAD is cached only without BLOCK.
// At most max_entries entries and max_bytes bytes are held.
//
// Design: one tracking connection, in broadcast mode.
// ClientCache owns one extra connection of its own (the "sink"), opened
// with the client's ConnectionOptions, which sends
//   CLIENT TRACKING ON BCAST [PREFIX p ...]
// (PREFIX per allow_key_prefixes, when set) and afterwards only PINGs. The
// server then pushes ["invalidate", [keys]] to the sink for every key
// modified by anyone (or ["invalidate", nil] on FLUSHALL/FLUSHDB), and the
// pooled connections that run commands do not track at all.
// Why not per-connection tracking (the reference's way: CLIENT TRACKING ON
// on every pooled connection)? Server-side, default-mode tracking belongs to
// the connection that READ the key: when that connection closes, its keys
// silently stop producing invalidations. Our pool closes connections on its
// own (idle ones with unexpected bytes pending — which an invalidation push
// to an idle connection is — failed health checks, Disconnect(), fork), so
// per-connection tracking would leave entries that are never invalidated,
// and REDIRECT does not help (tracking still dies with the reader). Broadcast
// tracking on a connection we own makes the cache's validity depend on one
// connection whose death we always see. The cost is invalidation traffic
// for every write to a matching key, cached or not; narrow it with
// allow_key_prefixes.
//
// The reader thread. Broadcast invalidations arrive whether or not this
// client runs commands. Read only by lookups, they would pile up while the
// client is idle or runs only uncacheable commands: first in the kernel's
// socket buffers, then in the server's output buffer for the sink, which
// has no limit for a normal client (and a pub/sub class limit would instead
// disconnect it and lose invalidations). So a small thread, started with
// the first tracking connection and owned by the cache, waits in poll() on
// the sink and applies each push as it arrives, under the same mutex that
// lookups take. Nothing a server limit could offer instead would bound the
// buffer without dropping invalidations, which a cache cannot afford.
//
// Health check. A tracking connection whose peer vanished without a FIN
// (host down, partition) looks idle, not broken, and silently stops
// delivering invalidations. The reader thread sends PING on the sink every
// health-check interval (ConnectionOptions::health_check_interval, or 1 s
// when that is unset) and expects +PONG within the reply deadline:
// max(interval, 100 ms), at most connect_timeout. A missing PONG counts as
// a lost sink (below). A value can thus be served stale for at most about
// interval + reply deadline after a silent failure (2 s by default). A
// server too busy to answer PING in time runs no writes meanwhile either,
// so a tight deadline costs at most a needless flush and reconnect.
//
// Ordering (no stale reads across connections):
// 1. Before a lookup is answered, and before a miss is registered, every
//    push already received on the sink is applied: Find() checks the sink
//    with a zero-wait poll and drains it (a push cut in two is read to its
//    end) under one mutex, or proves it idle without that mutex ("The hit
//    path" below); the reader thread drains whenever the socket is
//    readable. A write whose invalidation reached
//    this process before the lookup is therefore applied before the lookup:
//    "another client wrote k, then this client reads k" sees the new value
//    as soon as the invalidation has arrived. Valkey queues the push for the
//    sink in the same event-loop iteration as the writer's reply, so a write
//    acknowledged to anyone is, in practice, already on its way to the sink;
//    no client-side cache can close that last network-sized window without a
//    round trip per hit.
// 2. A miss is registered with LocalCache::BeginFill() (under the same
//    mutex, after the drain) before the command is sent. A write made after
//    the server answered the read produces an invalidation; if it is drained
//    before the reply is stored, the fill is poisoned and not stored; if
//    after, it removes the stored entry. A stale value can never be stored
//    and then outlive its invalidation.
// 3. Losing the sink (EOF, error, a malformed push, a missed PONG) flushes
//    the whole cache and poisons every open fill: invalidations may have
//    been lost. While no sink is up, every command bypasses the cache.
// 4. Reopening: the next lookup after a loss reopens the sink, so after a
//    server restart or a cut connection the cache starts empty. One attempt
//    at a time, made outside the mutex: lookups that find an attempt under
//    way bypass the cache at once instead of queueing behind its connect.
//    After a failed attempt the next one waits 1 s from the failure.
// 5. The client's own writes. The server's invalidation for a write this
//    client sent reaches the sink no earlier than the write's reply reaches
//    the writing connection, and often later (the sink may be busy with
//    other invalidations, or slower): "SET k v; GET k" could read the old
//    value from the cache. So every command the Client sends that may write
//    (typed, Execute, blocking, pipelined, in a transaction) removes its
//    keys before it is sent and again when its reply is in (BeforeOwnWrite /
//    AfterOwnWrite); the second pass covers a read by another thread that
//    cached the old value meanwhile. Writes sent on a connection from
//    Client::AcquireConnection() bypass this: the cache sees them when the
//    server's invalidation arrives.
//
// The hit path (what "Ordering" 1 costs). A lookup first looks the
// arguments up in the store (LocalCache::Pin: no cache key is built, the
// arguments are hashed and compared in place) and, on a hit, keeps the
// store's mutex while it checks the sink, then hands the entry to the
// caller, which converts it in place and lets the mutex go:
//   - No policy check: an entry exists only for a command the policy
//     accepted, and the policy (immutable) decides by the command name, in
//     any case, and its arguments — exactly what the cache key is made of.
//     Only a lookup that does not hit asks the policy (and a non-cacheable
//     command, a write say, costs one probe of the store more than before).
//   - No sink mutex. The sink mutex holder publishes sink_state_ (seq_cst):
//     the sink's descriptor while it is up and idle, 0 before anything
//     that reads it (a drain), sends on it (a PING: hits take the locked
//     path, which checks the PONG deadline, until the PONG is in), or
//     closes it. A hit loads the state, polls that descriptor with a zero
//     time-out (one system call, no cancellation-point overhead) and loads
//     the state again; any change, a readable (or closed, or failed)
//     descriptor, or 0, sends it to the locked path of "Ordering" 1.
//   Why that keeps "Ordering" 1: an invalidation that reached this process
//   before the lookup is either still in the socket, and the poll sees it,
//   or was read by a drain; a drain sets the state to 0 before its first
//   read and publishes a new value only after applying what it read, and
//   the kernel orders its read before our poll that found the socket
//   empty, so our second load sees 0 or a newer value. Applying an
//   invalidation needs the store's mutex, which the hit holds: there is no
//   window between "read" and "applied" that the hit could fall into
//   unseen. Losing the sink flushes the store (under its mutex) before the
//   descriptor is closed, so a hit never polls a descriptor number already
//   reused for another file while its entries are still there. Bytes in
//   user space (a partial push, TLS plaintext) exist only while a drain
//   holds the sink mutex: a drain runs until HasPendingData() is false,
//   and the state is published only then.
//   What is left on a hit: the store's mutex, the probe, one poll(); the
//   typed client converts the entry straight into its result (no copy of
//   the reply). The poll cannot go without weakening "Ordering" 1: only
//   the kernel knows whether an invalidation is waiting in the socket, and
//   the reader thread may not have run since it arrived.
//
// Fork. The cache belongs to the process that made it. In a fork()ed child
// the first call starts over with an empty cache, its own sink and reader
// thread (the child's copies of the parent's sink and wake-up descriptors
// are closed; the parent's cache memory is left untouched, never freed, so
// its pages stay shared). fork() itself briefly pauses every cache's reader
// thread (a pthread_atfork handler) so that the child never inherits a lock
// the thread held — in debug builds Abseil's mutexes share one process-wide
// deadlock-detection lock.
//
// Thread-safety: thread-safe. Find() on a hit takes only the cache mutex
// (and makes one zero-wait poll under it, see "The hit path"); otherwise
// it takes the sink mutex for a zero-wait poll (and, when the sink must be
// reopened, releases it around one connect + handshake), then the cache
// mutex. Store() takes only the cache mutex. The cache mutex is never held
// while the sink mutex is taken.

#ifndef VALKEY_CLIENT_CLIENT_CACHE_H_
#define VALKEY_CLIENT_CLIENT_CACHE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/cache/cache_policy.h"
#include "valkey/cache/local_cache.h"
#include "valkey/common/config.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"
#include "valkey/connection/connection.h"

namespace valkey {

class ClientCache {
 public:
  // A registered miss: pass it to Store() with the reply, or drop it (its
  // destructor cancels the fill). Move-only; empty when the command is not
  // to be stored.
  class Fill {
   public:
    Fill() = default;
    Fill(Fill&& other) noexcept { *this = std::move(other); }
    Fill& operator=(Fill&& other) noexcept;
    Fill(const Fill&) = delete;
    Fill& operator=(const Fill&) = delete;
    ~Fill() { Cancel(); }

    explicit operator bool() const { return cache_ != nullptr; }

   private:
    friend class ClientCache;
    Fill(LocalCache* cache, LocalCache::Ticket ticket)
        : cache_(cache), ticket_(ticket) {}
    void Cancel() {
      if (cache_ != nullptr) CancelFill();
    }
    void CancelFill();

    LocalCache* cache_ = nullptr;
    LocalCache::Ticket ticket_ = 0;
  };

  struct Lookup {
    // Set: the cached reply; send nothing. It holds the cache's mutex (see
    // LocalCache::Pinned): copy or convert it and let it go at once.
    LocalCache::Pinned hit;
    Fill fill;  // Set on a miss of a cacheable command.
    // The command is cacheable (whether or not it was looked up): it only
    // reads, so BeforeOwnWrite() would do nothing for it.
    bool cacheable = false;
  };

  // Checks `options` (the caller has seen options.enabled) and `connection`
  // (used for the sink). Opens nothing and starts no thread yet.
  // Errors: INVALID_ARGUMENT when connection.protocol is not 3, when
  // max_entries < 1, max_bytes < 1 or ttl <= 0, or for bad connection
  // options.
  // `clock` drives entry ages (null = absl::Now); tests inject a fake.
  static absl::StatusOr<std::unique_ptr<ClientCache>> Create(
      const CacheOptions& options, const ConnectionOptions& connection,
      LocalCache::Clock clock = nullptr);

  // Close()s, which joins the reader thread.
  ~ClientCache();
  ClientCache(const ClientCache&) = delete;
  ClientCache& operator=(const ClientCache&) = delete;

  // Decides how to run `args`: a hit, a miss to fill, or neither (not
  // cacheable, no tracking connection, or one being opened by another
  // thread). Never fails. Blocks at most for a partial push to complete
  // (bounded by min(socket_timeout, connect_timeout)) or, for the one
  // thread that reopens the sink, for a connect + handshake
  // (connect_timeout) without holding the mutex.
  // A hit allocates nothing and copies nothing: the arguments are looked
  // up in place (LocalCache::Pin) and the reply is read in place; the
  // cache key is built (on the stack) and the keys the command reads are
  // listed only for a miss.
  Lookup Find(absl::Span<const CommandArg> args);
  // Find() in two steps, for a caller that wants a hit's path short:
  // FindHit() returns Find()'s hit, or nothing; then FindMissed() decides
  // the rest (it does not look for a hit again).
  LocalCache::Pinned FindHit(absl::Span<const CommandArg> args);
  Lookup FindMissed(absl::Span<const CommandArg> args);

  // Stores a copy of `reply` for `fill` unless the fill was poisoned
  // meanwhile. An error or push reply, or an empty fill, is ignored.
  void Store(Fill fill, const Reply& reply);

  // Read-your-writes (see "Ordering" 5). Call before sending a command that
  // may write: removes the entries of the keys it names and poisons their
  // open fills (every entry for FLUSHALL/FLUSHDB/SWAPDB and for commands the
  // key table does not know, such as module commands). Returns what it
  // removed, to be passed to AfterOwnWrite() once the command's reply, or
  // its failure, is in; nothing for reads and keyless commands (no
  // allocation then).
  std::optional<CachePolicy::OwnWrite> BeforeOwnWrite(
      absl::Span<const CommandArg> args);
  // Removes the same entries again: a read by another thread may have
  // cached the old value while the write was in flight.
  void AfterOwnWrite(const CachePolicy::OwnWrite& write);

  // Removes every entry (and poisons open fills). Tracking continues.
  void Flush();

  // Closes the sink and stops the reader thread (waiting for it); later
  // Find() calls bypass the cache. Idempotent.
  void Close();

  // LocalCache counters (hits and misses count only cacheable commands
  // looked up while tracking was up) plus tracking_connects and
  // tracking_losses. In a fork()ed child they start from zero.
  CacheStats stats() const;

  // True while the tracking connection is up.
  bool tracking() const;
  // The last failure to set tracking up, or why it was lost (OK if none):
  // e.g. an ACL that denies CLIENT TRACKING, or a missed health check.
  // Such failures make commands bypass the cache.
  absl::Status last_tracking_error() const;

  // The keys `args` reads, if the command name (upper case) is in the
  // built-in table and the arguments are well-formed; std::nullopt
  // otherwise. Exposed for tests.
  static std::optional<std::vector<std::string>> KeysOf(
      absl::string_view upper_name, absl::Span<const CommandArg> args);

 private:
  // Everything that belongs to one process: the store, the sink, the
  // reader thread (client_cache.cc).
  class Core;

  ClientCache(const CacheOptions& options,
              std::shared_ptr<const Connector> connector,
              LocalCache::Clock clock);

  // The core of the calling process; in a fork()ed child, a fresh one
  // replaces the parent's (which is abandoned, see "Fork").
  Core* CurrentCore();
  // CurrentCore() in a fork()ed child whose core is still `core`, the
  // parent's (kept apart: the common case stays small).
  ABSL_ATTRIBUTE_NOINLINE Core* CoreForChild(Core* core);
  // The current core if it belongs to this process, else null.
  const Core* OwnCore() const;

  const CacheOptions options_;
  const std::shared_ptr<const Connector> connector_;
  const CachePolicy policy_;
  const LocalCache::Clock clock_;
  std::atomic<Core*> core_;  // Owned (the parent's is abandoned in a child).
};

// One command's read-your-writes bracket: BeforeOwnWrite() on construction,
// AfterOwnWrite() on destruction (after the reply, or the failure, is in).
// A null cache does nothing.
class OwnWriteScope {
 public:
  OwnWriteScope(ClientCache* cache, absl::Span<const CommandArg> args)
      : cache_(cache),
        write_(cache != nullptr ? cache->BeforeOwnWrite(args) : std::nullopt) {}
  ~OwnWriteScope() {
    if (write_.has_value()) cache_->AfterOwnWrite(*write_);
  }
  OwnWriteScope(const OwnWriteScope&) = delete;
  OwnWriteScope& operator=(const OwnWriteScope&) = delete;

 private:
  ClientCache* const cache_;
  const std::optional<CachePolicy::OwnWrite> write_;
};

}  // namespace valkey

#endif  // VALKEY_CLIENT_CLIENT_CACHE_H_
