// The cache-hit look-up of LocalCache (local_cache.h), inline: the key
// hash, the probe of the common key shape and the end of a look-up, for a
// hit path that flattens them into itself (LocalCache::Pin and
// ClientCache's hit path). Out of line, every call layer of a hit costs
// its own frame: a function's set-up and tear-down is a tenth of a hit.
// Include it only from .cc files; nothing here is part of the API.

#ifndef VALKEY_CACHE_LOCAL_CACHE_INLINE_H_
#define VALKEY_CACHE_LOCAL_CACHE_INLINE_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>

#include "absl/base/attributes.h"
#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/cache/ascii_words.h"
#include "valkey/cache/local_cache.h"

namespace valkey {
namespace local_cache_internal {

// 64 x 64 -> 128-bit multiply, folded: what absl's own hash mixes with.
inline uint64_t Mix(uint64_t a, uint64_t b) {
  const absl::uint128 m = absl::uint128(a) * b;
  return absl::Uint128Low64(m) ^ absl::Uint128High64(m);
}

// Varies the hash from run to run (with ASLR), as absl::Hash does.
inline const char kHashSeed = 0;

inline constexpr uint64_t kMul1 = 0x9E3779B97F4A7C15;  // Golden ratio.
inline constexpr uint64_t kMul2 = 0xC2B2AE3D27D4EB4F;  // From xxHash.

// KeyHash's state: arguments are mixed in one at a time.
class ArgHasher {
 public:
  explicit ArgHasher(uint64_t seed) : h_(seed), s_(seed ^ kMul1) {}

  // One argument of `n` bytes at `p`; with kFold, with bit 5 of every
  // byte cleared, which maps both cases of an ASCII letter to one value
  // (and may map other bytes together: a hash needs only to agree with the
  // case-insensitive equality of names, not to decide it). Its length goes
  // into its first word, so ("ab", "c") and ("a", "bc") differ. One
  // multiply per 16 bytes: an argument of up to 16 bytes (a name, most
  // keys) is one. The second word of each multiply is mixed with the
  // seed, so that no chosen bytes can zero the product for every run.
  template <bool kFold>
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Add(const char* p, size_t n) {
    if (n <= 16) {
      uint64_t a, b;
      if (n >= 8) {
        a = ascii_words::Load64(p);
        b = ascii_words::Load64(p + n - 8);  // Overlaps `a` when n < 16.
      } else {
        a = ascii_words::LoadShort(p, n, false);
        b = 0;
      }
      AddWords(n, Fold<kFold>(a), Fold<kFold>(b));
      return;
    }
    h_ ^= n * kMul2;
    for (; n > 16; p += 16, n -= 16) {
      h_ = Mix(h_ ^ Fold<kFold>(ascii_words::Load64(p)),
               Fold<kFold>(ascii_words::Load64(p + 8)) ^ s_);
    }
    // The last 16 bytes (overlapping bytes already mixed when n < 16 here).
    h_ = Mix(h_ ^ Fold<kFold>(ascii_words::Load64(p + n - 16)),
             Fold<kFold>(ascii_words::Load64(p + n - 8)) ^ s_);
  }

  // Add() of an argument of `n` <= 16 bytes, read (and folded) as `a` and
  // `b`.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void AddWords(size_t n, uint64_t a, uint64_t b) {
    h_ = Mix(h_ ^ (n * kMul2) ^ a, b ^ s_);
  }

  template <bool kFold>
  static uint64_t Fold(uint64_t w) {
    return kFold ? w & 0xDFDFDFDFDFDFDFDF : w;
  }

  // The last multiply leaves every bit of the state mixed: no final round.
  size_t Finish() const { return static_cast<size_t>(h_); }

 private:
  uint64_t h_;
  const uint64_t s_;
};

}  // namespace local_cache_internal

// The hash is the one KeyHash computes for the stored key.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool LocalCache::ShortArgsKey::Make(
    absl::Span<const CommandArg> args, ShortArgsKey& key) {
  if constexpr (std::endian::native != std::endian::little) {
    return false;
  } else {
    if (args.size() != 2) return false;
    const absl::string_view name = args[0].view();
    const absl::string_view arg = args[1].view();
    const size_t n0 = name.size(), n1 = arg.size();
    if (n0 >= 8 || n1 > 16) return false;
    key.name_size = static_cast<uint32_t>(n0);
    key.key_size = static_cast<uint32_t>(n1);
    key.name = ascii_words::LoadShort(name.data(), n0, false);
    local_cache_internal::ArgHasher hasher(
        reinterpret_cast<uintptr_t>(&local_cache_internal::kHashSeed));
    hasher.AddWords(n0, local_cache_internal::ArgHasher::Fold<true>(key.name),
                    0);
    if (n1 >= 8) {
      key.key_head = ascii_words::Load64(arg.data());
      key.key_tail = ascii_words::Load64(arg.data() + n1 - 8);
      hasher.AddWords(n1, key.key_head, key.key_tail);
    } else {
      const uint64_t w = ascii_words::LoadShort(arg.data(), n1, false);
      hasher.AddWords(n1, w, 0);
      key.key_head = 0;
      // The stored key ends in the argument's length (8 bytes, all but
      // the first zero) and then its n1 bytes.
      key.key_tail = n1 == 0 ? 0 : w << (8 * (8 - n1));
    }
    key.hash = hasher.Finish();
    return true;
  }
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool LocalCache::KeyEq::operator()(
    absl::string_view stored, const ShortArgsKey& key) const {
  // The stored key is [n0][name][n1][key], lengths in 8 bytes each; the
  // name is followed by 8 bytes, so one load reads it.
  const size_t n0 = key.name_size, n1 = key.key_size;
  const char* p = stored.data();
  if (stored.size() != 16 + n0 + n1 || ascii_words::Load64(p) != n0 ||
      ascii_words::Load64(p + 8 + n0) != n1) {
    return false;
  }
  const uint64_t name =
      ascii_words::Load64(p + 8) & ((uint64_t{1} << (8 * n0)) - 1);
  // The name (held upper case) as spelled first: the typed commands spell
  // it upper case too.
  if (name != key.name && name != ascii_words::Upper(key.name)) return false;
  if (n1 >= 8 && ascii_words::Load64(p + 16 + n0) != key.key_head) return false;
  return ascii_words::Load64(p + 8 + n0 + n1) == key.key_tail;
}

inline bool LocalCache::Expired(const Entry& e, absl::Time now) const {
  return has_ttl_ && now - e.stored_at >= options_.ttl;
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline LocalCache::Pinned LocalCache::PinLocked(
    Entry* e, bool count)
    ABSL_NO_THREAD_SAFETY_ANALYSIS {  // Unlocks mu_ unless it returns a hit.
  if (e == nullptr) {
    if (count) ++stats_.misses;
    mu_.Unlock();
    return Pinned();
  }
  if (has_ttl_ && Expired(*e, Now())) {
    RemoveLocked(e);
    ++stats_.expirations;
    if (count) ++stats_.misses;
    mu_.Unlock();
    return Pinned();
  }
  if (options_.eviction == Eviction::kLru) {
    // TouchLocked's LRU case, inline: a hit of the most recent entry (a hot
    // key read again) moves nothing and should cost next to nothing.
    if (std::next(e->order_pos) != lru_.end()) {
      lru_.splice(lru_.end(), lru_, e->order_pos);
    }
  } else {
    TouchLocked(e);
  }
  if (count) ++stats_.hits;
  return Pinned(this, &e->reply);
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline LocalCache::Pinned LocalCache::PinInline(
    absl::Span<const CommandArg> args,
    bool count) ABSL_NO_THREAD_SAFETY_ANALYSIS {  // A hit returns holding mu_.
  ShortArgsKey key;
  if (!ShortArgsKey::Make(args, key)) return PinOther(args, count);
  mu_.Lock();
  auto it = entries_.find(key);
  return PinLocked(it == entries_.end() ? nullptr : it->second.get(), count);
}

}  // namespace valkey

#endif  // VALKEY_CACHE_LOCAL_CACHE_INLINE_H_
