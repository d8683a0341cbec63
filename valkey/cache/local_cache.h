// LocalCache: the in-process store behind the client-side cache — replies
// keyed by their command, each remembering the keys it was read from, with
// an entry limit, a byte limit, an optional time-to-live and an eviction
// policy. No I/O: the
// client (client_cache.h) decides what to cache and feeds it the server's
// invalidations.
//
//   valkey::LocalCache cache({.max_entries = 1000});
//   std::string key = valkey::LocalCache::MakeKey({"GET", "user:1"});
//   if (std::optional<valkey::Reply> hit = cache.Get(key)) return *hit;
//   // Miss: announce the read before sending it, store the reply after.
//   valkey::LocalCache::Ticket t = cache.BeginFill(key, {"user:1"});
//   ... send GET user:1, read `reply` ...
//   cache.EndFill(t, reply.Clone());  // Dropped if user:1 was invalidated.
//   cache.InvalidateKey("user:1");    // Removes every entry reading user:1.
//
// Fills. A reply read from the server may already be stale when it
// arrives: the invalidation of a write made after the read can be processed
// before the reply is stored, and storing it then would keep the stale value
// forever. BeginFill() registers the read (its cache key and keys) before
// the command is sent; InvalidateKey() and Flush() mark every registered
// fill on those keys as poisoned, and EndFill() stores only unpoisoned ones.
// Every BeginFill() must be matched by exactly one EndFill() or
// CancelFill() (the client does it with an RAII holder).
//
// Size. An entry is charged its cache key's length plus the storage its
// reply owns (Reply::storage_bytes(): the reply's strings, and 16 bytes per
// value of an aggregate); the held entries' charges never add up to more
// than max_bytes, nor their number to more than max_entries. Bookkeeping
// (index nodes, the list of keys an entry reads: roughly 100-200 bytes an
// entry) is not charged; max_entries bounds it. A reply charged more than
// max_bytes on its own is not stored (stats().too_large).
//
// Eviction. When a Put/EndFill would exceed either limit, expired entries
// are dropped first (all of them, oldest first); then, while it still
// would, entries are evicted by the policy:
//   kLru     the entry read least recently (a store counts as a read);
//   kLfu     the entry read the fewest times, least recently among ties;
//   kRandom  a uniformly random entry.
// Storing under a cache key that is already held replaces that entry: the
// old reply is removed first (it is older than the new one, whether or not
// the new one fits), so the replacement never evicts its predecessor "to
// make room", and at max_entries an overwrite evicts nothing unless it
// needs more bytes. The replacement counts as a new entry (kLfu: its read
// count restarts).
// Every operation is O(1) (amortized for expiry), apart from invalidation
// and removal, which are O(keys of the entries removed), and a store, which
// evicts as many entries as its bytes need.
//
// Differences from the reference (valkey-py _LocalCache, quirks §15.11):
// - Evicting removes the entry from every index (key index, expiry order);
//   the reference left stale index entries and then failed with KeyError
//   once a TTL was set.
// - Replacing an existing cache key at capacity evicts nothing (unless the
//   new reply needs more bytes); the reference evicted another entry first.
// - A byte limit (max_bytes): the reference bounded only the number of
//   entries, so a few thousand large replies could take any amount of
//   memory.
// - Concurrent fills cannot resurrect an invalidated value (tickets above);
//   the reference stored whatever it read.
// - Get() returns an independent copy (Reply::Clone), as the reference's
//   deep copy: callers may keep or move it freely.
//
// Time. Entry ages come from Options::clock (absl::Now by default), so
// tests drive expiry with a fake clock. An entry expires when
// clock() - stored_at >= ttl.
//
// Thread-safety: thread-safe; every method takes one internal mutex
// briefly and never blocks on I/O. Pin() returns a hit still holding that
// mutex (see Pinned). The clock is called under that mutex
// and must not call back into the cache.

#ifndef VALKEY_CACHE_LOCAL_CACHE_H_
#define VALKEY_CACHE_LOCAL_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/common/options.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"

namespace valkey {

// Counters since the cache was made (never reset). `entries` is the
// current size.
struct CacheStats {
  int64_t hits = 0;           // Get() found a live entry.
  int64_t misses = 0;         // Get() found nothing (or an expired entry).
  int64_t evictions = 0;      // Entries removed to make room (policy).
  int64_t expirations = 0;    // Entries removed because their TTL passed.
  int64_t invalidations = 0;  // Entries removed by InvalidateKey().
  int64_t flushes = 0;        // Flush() calls (server flush, lost tracking).
  int64_t fills_dropped = 0;  // EndFill() calls refused (poisoned ticket).
  int64_t too_large = 0;      // Replies not stored: larger than max_bytes.
  int64_t entries = 0;        // Entries held now.
  int64_t bytes = 0;          // Bytes charged for them now (see max_bytes).
  // Filled by the blocking client's ClientCache only (client_cache.h):
  // attempts to open its tracking connection (successful or not), and
  // established tracking connections lost (EOF, error, failed health
  // check). Each loss also counts a flush.
  int64_t tracking_connects = 0;
  int64_t tracking_losses = 0;
};

class LocalCache {
 public:
  using Clock = std::function<absl::Time()>;
  using Eviction = CacheOptions::Eviction;

  struct Options {
    // Most entries held, >= 1 (smaller values are taken as 1).
    int max_entries = 10000;
    // Most bytes held, >= 1 (smaller values are taken as 1); see "Size"
    // above for what an entry is charged.
    size_t max_bytes = size_t{64} << 20;
    // Age at which an entry expires; InfiniteDuration() = never.
    absl::Duration ttl = absl::InfiniteDuration();
    Eviction eviction = Eviction::kLru;
    // Time source for ttl; null = absl::Now.
    Clock clock;
    // Seed for kRandom; 0 = seeded from std::random_device.
    uint64_t random_seed = 0;
  };

  // Identifies one BeginFill(); 0 is never issued.
  using Ticket = uint64_t;

  explicit LocalCache(Options options);
  ~LocalCache();
  LocalCache(const LocalCache&) = delete;
  LocalCache& operator=(const LocalCache&) = delete;

  // The cache key of a command: every argument, length-prefixed (so no two
  // argument lists share a key), with the command name upper-cased ("get"
  // and "GET" share entries). Allocates once.
  static std::string MakeKey(absl::Span<const CommandArg> args);

  // Room for one cache key, on the stack for keys of up to kInline bytes
  // (a command with a key of up to ~200 bytes), so that a look-up
  // allocates nothing; a longer key goes to the heap.
  class KeyBuffer {
   public:
    static constexpr size_t kInline = 232;
    KeyBuffer() = default;
    KeyBuffer(const KeyBuffer&) = delete;
    KeyBuffer& operator=(const KeyBuffer&) = delete;

   private:
    friend class LocalCache;
    char* Get(size_t size);

    char inline_[kInline];
    std::unique_ptr<char[]> heap_;
  };
  // MakeKey(args), built in `buffer`; the view is valid while `buffer` is.
  static absl::string_view MakeKey(absl::Span<const CommandArg> args,
                                   KeyBuffer& buffer);

  // A copy of the live entry under `key`, counting a hit; std::nullopt and
  // a miss when there is none or it has expired (it is then removed).
  std::optional<Reply> Get(absl::string_view key);

  // A live entry's reply read in place, for as long as this object lives:
  // it holds the cache's mutex, so every other call on the cache waits
  // until it is destroyed. Keep it for a few instructions (the client
  // converts a hit into its typed result through it: no copy of the
  // reply), never call into the cache while holding it, and never hand it
  // to another thread. Empty (holding nothing) for a miss.
  class Pinned {
   public:
    Pinned() = default;
    Pinned(Pinned&& other) noexcept
        : cache_(std::exchange(other.cache_, nullptr)),
          reply_(std::exchange(other.reply_, nullptr)) {}
    Pinned& operator=(Pinned&& other) noexcept {
      if (this != &other) {
        Release();
        cache_ = std::exchange(other.cache_, nullptr);
        reply_ = std::exchange(other.reply_, nullptr);
      }
      return *this;
    }
    ~Pinned() { Release(); }

    explicit operator bool() const { return reply_ != nullptr; }
    const Reply& operator*() const { return *reply_; }
    const Reply* operator->() const { return reply_; }

    // Counts the hit of a Pin(args, /*count=*/false) that was served.
    void CountHit() ABSL_NO_THREAD_SAFETY_ANALYSIS { ++cache_->stats_.hits; }

   private:
    friend class LocalCache;
    Pinned(LocalCache* cache, const Reply* reply)
        : cache_(cache), reply_(reply) {}
    void Release() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      if (cache_ != nullptr) cache_->mu_.Unlock();
    }

    LocalCache* cache_ = nullptr;  // Its mutex is held while set.
    const Reply* reply_ = nullptr;
  };
  // As Get(), counting the same way, without the copy.
  Pinned Pin(absl::string_view key);
  // Pin(MakeKey(args)), without building the key: the look-up hashes and
  // compares `args` in place (see KeyHash). With `count` false it counts
  // neither a hit nor a miss (an expired entry is still removed and
  // counted): for a caller that may yet decline the hit (CountHit() counts
  // it when served) and that counts its misses through a later look-up.
  Pinned Pin(absl::Span<const CommandArg> args, bool count = true);
  // Pin(args, count), defined in local_cache_inline.h: for a hit path that
  // flattens the look-up into its own function (ClientCache's), saving a
  // call layer. Everyone else calls Pin.
  inline Pinned PinInline(absl::Span<const CommandArg> args, bool count);

  // True if a live entry is held under `key`. Counts nothing, changes
  // nothing (an expired entry is reported absent but left in place).
  bool Contains(absl::string_view key) const;

  // Stores `reply` under `key`, read from `keys` (the server keys whose
  // change must drop it), replacing any entry under `key`. May evict. A
  // reply larger than max_bytes is not stored (any entry under `key` is
  // still removed).
  void Put(absl::string_view key, Reply reply, std::vector<std::string> keys);

  // Fill protocol (see the file comment).
  Ticket BeginFill(absl::string_view key, std::vector<std::string> keys);
  // Stores `reply` as Put() would, unless the ticket was poisoned; returns
  // whether it was stored (false too for a reply larger than max_bytes).
  // Ends the ticket.
  bool EndFill(Ticket ticket, Reply reply);
  // Ends the ticket without storing.
  void CancelFill(Ticket ticket);

  // Removes every entry read from `key` and poisons the fills reading it.
  // A key no entry reads is a no-op (apart from poisoning).
  void InvalidateKey(absl::string_view key);
  // Removes the entry under cache key `key`, if any. Counts nothing.
  void Erase(absl::string_view key);
  // Removes everything and poisons every open fill.
  void Flush();

  CacheStats stats() const;
  size_t size() const;
  // Server keys in the key index (for tests: equals the number of distinct
  // keys read by the held entries, i.e. no stale index entries).
  size_t indexed_keys() const;
  const Options& options() const { return options_; }

 private:
  struct Entry;
  struct FreqBucket {
    uint64_t count;
    std::list<Entry*> entries;  // Least recently read first.
  };
  struct Entry {
    std::string key;
    Reply reply;
    std::vector<std::string> keys;
    absl::Time stored_at;
    size_t bytes = 0;                        // Charged against max_bytes.
    std::list<Entry*>::iterator age_pos;    // In by_age_ (when ttl set).
    std::list<Entry*>::iterator order_pos;  // In lru_ or bucket->entries.
    std::list<FreqBucket>::iterator bucket;  // kLfu.
    size_t slot = 0;                         // In slots_ (kRandom).
  };
  struct Fill {
    std::string key;
    std::vector<std::string> keys;
    bool poisoned = false;
  };

  // A command's arguments standing for their cache key (MakeKey), so that
  // a look-up neither builds nor copies the key.
  struct ArgsKey {
    absl::Span<const CommandArg> args;
  };
  // The same for the common shape (a name of under 8 bytes and one argument
  // of at most 16, on a little-endian machine), read once: its hash and
  // the words KeyEq compares the stored key with.
  struct ShortArgsKey {
    // False (and `key` unusable) when `args` does not have that shape.
    static inline bool Make(absl::Span<const CommandArg> args,
                            ShortArgsKey& key);
    size_t hash;
    uint64_t name;      // The name's bytes as spelled, zero-padded.
    uint64_t key_head;  // key_size >= 8: the key's first 8 bytes.
    uint64_t key_tail;  // The stored key's last 8 bytes.
    uint32_t name_size;
    uint32_t key_size;
  };
  // The hash of entries_, over the arguments a cache key is made of: each
  // argument (the name case-folded) is mixed in 16 bytes at a time, one
  // multiply per 16 bytes (absl::Hash's per-call set-up would be most of a
  // hit's look-up for keys this short). A stored key is hashed by reading
  // its length-prefixed arguments back, so an ArgsKey and the key MakeKey
  // makes of the same arguments hash alike. (A key that is not MakeKey's
  // work, which only tests store, is hashed as plain bytes.)
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(absl::string_view key) const;
    size_t operator()(const ArgsKey& key) const;
    size_t operator()(const ShortArgsKey& key) const { return key.hash; }
  };
  struct KeyEq {
    using is_transparent = void;
    bool operator()(absl::string_view a, absl::string_view b) const {
      return a == b;
    }
    bool operator()(absl::string_view stored, const ArgsKey& key) const;
    bool operator()(const ArgsKey& key, absl::string_view stored) const {
      return (*this)(stored, key);
    }
    // Defined in local_cache_inline.h.
    bool operator()(absl::string_view stored, const ShortArgsKey& key) const;
    bool operator()(const ShortArgsKey& key, absl::string_view stored) const {
      return (*this)(stored, key);
    }
  };
  // PinInline for arguments not of ShortArgsKey's shape.
  Pinned PinOther(absl::Span<const CommandArg> args, bool count);
  // Pin's end, for entry `e` (null: none): unlocks mu_ unless it returns
  // a hit.
  inline Pinned PinLocked(Entry* e, bool count)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Time Now() const;
  inline bool Expired(const Entry& e, absl::Time now) const;
  // Returns false (storing nothing) for a reply larger than max_bytes.
  bool StoreLocked(absl::string_view key, Reply reply,
                   std::vector<std::string> keys)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TouchLocked(Entry* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LinkLocked(Entry* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void IndexKeysLocked(Entry* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UnindexKeysLocked(Entry* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Unlinks `e` from every structure and frees it.
  void RemoveLocked(Entry* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes room for one new entry of `incoming` bytes.
  void MakeRoomLocked(size_t incoming, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Entry* VictimLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const bool has_ttl_;

  mutable absl::Mutex mu_;
  // Owns the entries; keyed by views of Entry::key.
  absl::flat_hash_map<absl::string_view, std::unique_ptr<Entry>, KeyHash,
                      KeyEq>
      entries_ ABSL_GUARDED_BY(mu_);
  // Server key -> entries read from it.
  absl::flat_hash_map<std::string, absl::flat_hash_set<Entry*>> by_key_
      ABSL_GUARDED_BY(mu_);
  std::list<Entry*> by_age_ ABSL_GUARDED_BY(mu_);  // Oldest first.
  std::list<Entry*> lru_ ABSL_GUARDED_BY(mu_);     // Least recent first.
  std::list<FreqBucket> buckets_ ABSL_GUARDED_BY(mu_);  // Ascending count.
  std::vector<Entry*> slots_ ABSL_GUARDED_BY(mu_);      // kRandom.
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Ticket, Fill> fills_ ABSL_GUARDED_BY(mu_);
  Ticket next_ticket_ ABSL_GUARDED_BY(mu_) = 1;
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;  // Sum of Entry::bytes.
  CacheStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace valkey

#endif  // VALKEY_CACHE_LOCAL_CACHE_H_
