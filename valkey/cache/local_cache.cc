#include "valkey/cache/local_cache.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/numeric/int128.h"
#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "valkey/cache/ascii_words.h"
#include "valkey/cache/local_cache_inline.h"

namespace valkey {
namespace {

// Writes `n` as 8 little-endian bytes at `out`; returns the end.
char* PutLength(char* out, size_t n) {
  uint64_t v = n;
  if constexpr (std::endian::native == std::endian::big) {
    v = __builtin_bswap64(v);
  }
  std::memcpy(out, &v, sizeof v);
  return out + sizeof v;
}

using ascii_words::Load64;
using local_cache_internal::ArgHasher;
using local_cache_internal::kHashSeed;
using local_cache_internal::kMul2;

size_t KeySize(absl::Span<const CommandArg> args) {
  size_t size = 0;
  for (const CommandArg& a : args) size += 8 + a.view().size();
  return size;
}

// Writes the cache key of `args` (see MakeKey) to `out`, which has room for
// KeySize(args) bytes.
void WriteKey(absl::Span<const CommandArg> args, char* out) {
  for (size_t i = 0; i < args.size(); ++i) {
    const absl::string_view v = args[i].view();
    out = PutLength(out, v.size());
    if (i == 0) {
      for (const char c : v) *out++ = absl::ascii_toupper(c);
    } else if (v.size() >= 8 && v.size() <= 16) {
      // Most keys: two overlapping 8-byte moves instead of a memcpy call.
      const uint64_t head = Load64(v.data());
      const uint64_t tail = Load64(v.data() + v.size() - 8);
      std::memcpy(out, &head, 8);
      std::memcpy(out + v.size() - 8, &tail, 8);
      out += v.size();
    } else if (!v.empty()) {
      std::memcpy(out, v.data(), v.size());
      out += v.size();
    }
  }
}

uint64_t SeedFor(uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

}  // namespace

LocalCache::LocalCache(Options options)
    : options_([&] {
        options.max_entries = std::max(options.max_entries, 1);
        options.max_bytes = std::max<size_t>(options.max_bytes, 1);
        return std::move(options);
      }()),
      has_ttl_(options_.ttl != absl::InfiniteDuration()),
      rng_(SeedFor(options_.random_seed)) {}

LocalCache::~LocalCache() = default;

std::string LocalCache::MakeKey(absl::Span<const CommandArg> args) {
  std::string key(KeySize(args), '\0');
  WriteKey(args, key.data());
  return key;
}

namespace {

// Reads the 8-byte little-endian length PutLength wrote.
uint64_t GetLength(const char* p) {
  uint64_t v = Load64(p);
  if constexpr (std::endian::native == std::endian::big) {
    v = __builtin_bswap64(v);
  }
  return v;
}

// Whether the `n` bytes at `held` equal those at `p` (with kUpper, their
// ASCII upper case; `held` is upper case then). Word compares for the
// short arguments a cache key is mostly made of.
template <bool kUpper>
inline bool SameBytes(const char* held, const char* p,
                                            size_t n) {
  auto word = [](const char* q) {
    const uint64_t w = Load64(q);
    return kUpper ? ascii_words::Upper(w) : w;
  };
  if (n < 8) {
    return ascii_words::LoadShort(held, n, false) ==
           ascii_words::LoadShort(p, n, kUpper);
  }
  if (n <= 16) {
    return Load64(held) == word(p) &&
           Load64(held + n - 8) == word(p + n - 8);
  }
  if constexpr (!kUpper) {
    return std::memcmp(held, p, n) == 0;
  } else {
    for (; n > 8; held += 8, p += 8, n -= 8) {
      if (Load64(held) != word(p)) return false;
    }
    return Load64(held + n - 8) == word(p + n - 8);
  }
}

}  // namespace

size_t LocalCache::KeyHash::operator()(absl::string_view key) const {
  const uint64_t seed = reinterpret_cast<uintptr_t>(&kHashSeed);
  ArgHasher hasher(seed);
  const char* p = key.data();
  size_t left = key.size();
  while (left > 0) {
    const uint64_t n = left >= 8 ? GetLength(p) : 0;
    if (left < 8 || n > left - 8) {
      // Not a key of MakeKey's making: plain bytes, in one argument.
      ArgHasher raw(seed ^ kMul2);
      raw.Add<false>(key.data(), key.size());
      return raw.Finish();
    }
    if (p == key.data()) {
      hasher.Add<true>(p + 8, n);  // The name: see ArgHasher::Add.
    } else {
      hasher.Add<false>(p + 8, n);
    }
    p += 8 + n;
    left -= 8 + n;
  }
  return hasher.Finish();
}

namespace {

// KeyHash and KeyEq of arguments of another shape than ShortArgsKey. Out
// of line: Pin, flattened, stays small.
ABSL_ATTRIBUTE_NOINLINE size_t HashArgs(absl::Span<const CommandArg> args) {
  ArgHasher hasher(reinterpret_cast<uintptr_t>(&kHashSeed));
  if (args.empty()) return hasher.Finish();
  const absl::string_view name = args[0].view();
  hasher.Add<true>(name.data(), name.size());
  for (size_t i = 1; i < args.size(); ++i) {
    const absl::string_view v = args[i].view();
    hasher.Add<false>(v.data(), v.size());
  }
  return hasher.Finish();
}

ABSL_ATTRIBUTE_NOINLINE bool SameArgs(absl::string_view stored,
                                      absl::Span<const CommandArg> args) {
  const char* p = stored.data();
  size_t left = stored.size();
  for (size_t i = 0; i < args.size(); ++i) {
    const absl::string_view v = args[i].view();
    const size_t n = v.size();
    if (left < 8 || GetLength(p) != n || n > left - 8) return false;
    const char* held = p + 8;
    p = held + n;
    left -= 8 + n;
    if (std::endian::native == std::endian::little && n < 8 && left >= 8 - n) {
      // A short argument with 8 bytes of the key from its start (the next
      // argument's length follows it): one load of the held bytes, masked.
      const uint64_t mask = (uint64_t{1} << (8 * n)) - 1;
      const uint64_t held_word = Load64(held) & mask;
      if (held_word == ascii_words::LoadShort(v.data(), n, false)) continue;
      // The name (held upper case) in another case.
      if (i == 0 && held_word == ascii_words::LoadShort(v.data(), n, true)) {
        continue;
      }
      return false;
    }
    // The name (held upper case) as spelled first: the typed commands
    // spell it upper case too.
    const bool same = SameBytes<false>(held, v.data(), n) ||
                      (i == 0 && SameBytes<true>(held, v.data(), n));
    if (!same) return false;
  }
  return left == 0;
}

}  // namespace

// Inlined into Pin (the only caller of the look-up forms below).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline size_t LocalCache::KeyHash::operator()(
    const ArgsKey& key) const {
  return HashArgs(key.args);
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool LocalCache::KeyEq::operator()(
    absl::string_view stored, const ArgsKey& key) const {
  return SameArgs(stored, key.args);
}

char* LocalCache::KeyBuffer::Get(size_t size) {
  if (size <= kInline) return inline_;
  heap_ = std::make_unique_for_overwrite<char[]>(size);
  return heap_.get();
}

absl::string_view LocalCache::MakeKey(absl::Span<const CommandArg> args,
                                      KeyBuffer& buffer) {
  const size_t size = KeySize(args);
  char* out = buffer.Get(size);
  WriteKey(args, out);
  return absl::string_view(out, size);
}

absl::Time LocalCache::Now() const {
  return options_.clock ? options_.clock() : absl::Now();
}

std::optional<Reply> LocalCache::Get(absl::string_view key) {
  const Pinned hit = Pin(key);
  if (!hit) return std::nullopt;
  return hit->Clone();
}

LocalCache::Pinned LocalCache::Pin(absl::string_view key)
    ABSL_NO_THREAD_SAFETY_ANALYSIS {  // A hit returns holding mu_.
  mu_.Lock();
  auto it = entries_.find(key);
  return PinLocked(it == entries_.end() ? nullptr : it->second.get(),
                   /*count=*/true);
}

// Flattened: the probe of entries_ (an Abseil template too large for the
// compiler to inline on its own) is most of a hit.
__attribute__((flatten)) LocalCache::Pinned LocalCache::Pin(
    absl::Span<const CommandArg> args, bool count) {
  return PinInline(args, count);
}

// Arguments of another shape than ShortArgsKey (see PinInline).
__attribute__((flatten)) ABSL_ATTRIBUTE_NOINLINE LocalCache::Pinned
LocalCache::PinOther(absl::Span<const CommandArg> args,
                     bool count) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  mu_.Lock();
  auto it = entries_.find(ArgsKey{args});
  return PinLocked(it == entries_.end() ? nullptr : it->second.get(), count);
}

bool LocalCache::Contains(absl::string_view key) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  return it != entries_.end() && !(has_ttl_ && Expired(*it->second, Now()));
}

void LocalCache::Put(absl::string_view key, Reply reply,
                     std::vector<std::string> keys) {
  absl::MutexLock lock(&mu_);
  StoreLocked(key, std::move(reply), std::move(keys));
}

LocalCache::Ticket LocalCache::BeginFill(absl::string_view key,
                                         std::vector<std::string> keys) {
  absl::MutexLock lock(&mu_);
  const Ticket t = next_ticket_++;
  fills_.emplace(t, Fill{std::string(key), std::move(keys), false});
  return t;
}

bool LocalCache::EndFill(Ticket ticket, Reply reply) {
  absl::MutexLock lock(&mu_);
  auto it = fills_.find(ticket);
  if (it == fills_.end()) return false;
  Fill fill = std::move(it->second);
  fills_.erase(it);
  if (fill.poisoned) {
    ++stats_.fills_dropped;
    return false;
  }
  return StoreLocked(fill.key, std::move(reply), std::move(fill.keys));
}

void LocalCache::CancelFill(Ticket ticket) {
  absl::MutexLock lock(&mu_);
  fills_.erase(ticket);
}

void LocalCache::InvalidateKey(absl::string_view key) {
  absl::MutexLock lock(&mu_);
  for (auto& [ticket, fill] : fills_) {
    if (fill.poisoned) continue;
    for (const std::string& k : fill.keys) {
      if (k == key) {
        fill.poisoned = true;
        break;
      }
    }
  }
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return;
  // RemoveLocked edits by_key_ (this very set included): detach the set
  // first.
  absl::flat_hash_set<Entry*> victims = std::move(it->second);
  by_key_.erase(it);
  for (Entry* e : victims) {
    RemoveLocked(e);
    ++stats_.invalidations;
  }
}

void LocalCache::Erase(absl::string_view key) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) RemoveLocked(it->second.get());
}

void LocalCache::Flush() {
  absl::MutexLock lock(&mu_);
  for (auto& [ticket, fill] : fills_) fill.poisoned = true;
  by_key_.clear();
  by_age_.clear();
  lru_.clear();
  buckets_.clear();
  slots_.clear();
  entries_.clear();
  bytes_ = 0;
  ++stats_.flushes;
}

CacheStats LocalCache::stats() const {
  absl::MutexLock lock(&mu_);
  CacheStats s = stats_;
  s.entries = static_cast<int64_t>(entries_.size());
  s.bytes = static_cast<int64_t>(bytes_);
  return s;
}

size_t LocalCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

size_t LocalCache::indexed_keys() const {
  absl::MutexLock lock(&mu_);
  return by_key_.size();
}

bool LocalCache::StoreLocked(absl::string_view key, Reply reply,
                             std::vector<std::string> keys) {
  const absl::Time now = Now();
  std::string owned_key(key);  // `key` may view the entry removed below.
  const size_t bytes = owned_key.size() + reply.storage_bytes();
  // A replacement is stored as a new entry: the old reply under this cache
  // key is older than `reply` and goes whether or not `reply` fits. Removing
  // it first also keeps the policy from evicting it "to make room" for its
  // own successor, and at max_entries frees the slot it takes (so an
  // overwrite evicts nothing unless it needs more bytes).
  auto it = entries_.find(owned_key);
  if (it != entries_.end()) RemoveLocked(it->second.get());
  if (bytes > options_.max_bytes) {
    ++stats_.too_large;
    return false;
  }
  MakeRoomLocked(bytes, now);
  auto entry = std::make_unique<Entry>();
  Entry* e = entry.get();
  e->key = std::move(owned_key);
  e->reply = std::move(reply);
  e->keys = std::move(keys);
  e->stored_at = now;
  e->bytes = bytes;
  entries_.emplace(absl::string_view(e->key), std::move(entry));
  bytes_ += bytes;
  IndexKeysLocked(e);
  if (has_ttl_) e->age_pos = by_age_.insert(by_age_.end(), e);
  LinkLocked(e);
  return true;
}

void LocalCache::LinkLocked(Entry* e) {
  switch (options_.eviction) {
    case Eviction::kLru:
      e->order_pos = lru_.insert(lru_.end(), e);
      break;
    case Eviction::kLfu:
      if (buckets_.empty() || buckets_.front().count != 1) {
        buckets_.push_front(FreqBucket{1, {}});
      }
      e->bucket = buckets_.begin();
      e->order_pos = e->bucket->entries.insert(e->bucket->entries.end(), e);
      break;
    case Eviction::kRandom:
      e->slot = slots_.size();
      slots_.push_back(e);
      break;
  }
}

// Out of line (as is RemoveLocked): not flattened into Pin.
ABSL_ATTRIBUTE_NOINLINE void LocalCache::TouchLocked(Entry* e) {
  switch (options_.eviction) {
    case Eviction::kLru:
      // The most recent entry already (a hot key read again): nothing to
      // move.
      if (std::next(e->order_pos) != lru_.end()) {
        lru_.splice(lru_.end(), lru_, e->order_pos);
      }
      break;
    case Eviction::kLfu: {
      auto current = e->bucket;
      auto next = std::next(current);
      if (next == buckets_.end() || next->count != current->count + 1) {
        next = buckets_.insert(next, FreqBucket{current->count + 1, {}});
      }
      next->entries.splice(next->entries.end(), current->entries,
                           e->order_pos);
      e->bucket = next;
      if (current->entries.empty()) buckets_.erase(current);
      break;
    }
    case Eviction::kRandom:
      break;
  }
}

void LocalCache::IndexKeysLocked(Entry* e) {
  for (const std::string& k : e->keys) by_key_[k].insert(e);
}

void LocalCache::UnindexKeysLocked(Entry* e) {
  for (const std::string& k : e->keys) {
    auto it = by_key_.find(k);
    if (it == by_key_.end()) continue;  // Detached by InvalidateKey.
    it->second.erase(e);
    if (it->second.empty()) by_key_.erase(it);
  }
}

ABSL_ATTRIBUTE_NOINLINE void LocalCache::RemoveLocked(Entry* e) {
  UnindexKeysLocked(e);
  if (has_ttl_) by_age_.erase(e->age_pos);
  switch (options_.eviction) {
    case Eviction::kLru:
      lru_.erase(e->order_pos);
      break;
    case Eviction::kLfu: {
      auto bucket = e->bucket;
      bucket->entries.erase(e->order_pos);
      if (bucket->entries.empty()) buckets_.erase(bucket);
      break;
    }
    case Eviction::kRandom: {
      Entry* last = slots_.back();
      slots_[e->slot] = last;
      last->slot = e->slot;
      slots_.pop_back();
      break;
    }
  }
  bytes_ -= e->bytes;
  // Last: the map's key views e->key, and erasing frees `e`.
  auto it = entries_.find(absl::string_view(e->key));
  entries_.erase(it);
}

void LocalCache::MakeRoomLocked(size_t incoming, absl::Time now) {
  auto full = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return entries_.size() >= static_cast<size_t>(options_.max_entries) ||
           bytes_ + incoming > options_.max_bytes;
  };
  if (!full()) return;
  // Expired entries go first, all of them: they are dead weight anyway.
  while (has_ttl_ && !by_age_.empty() && Expired(*by_age_.front(), now)) {
    RemoveLocked(by_age_.front());
    ++stats_.expirations;
  }
  while (full()) {
    Entry* victim = VictimLocked();
    if (victim == nullptr) return;
    RemoveLocked(victim);
    ++stats_.evictions;
  }
}

LocalCache::Entry* LocalCache::VictimLocked() {
  switch (options_.eviction) {
    case Eviction::kLru:
      return lru_.empty() ? nullptr : lru_.front();
    case Eviction::kLfu:
      return buckets_.empty() ? nullptr : buckets_.front().entries.front();
    case Eviction::kRandom: {
      if (slots_.empty()) return nullptr;
      std::uniform_int_distribution<size_t> pick(0, slots_.size() - 1);
      return slots_[pick(rng_)];
    }
  }
  return nullptr;
}

}  // namespace valkey
