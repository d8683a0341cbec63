// Word-at-a-time ASCII helpers for the cache's hot path: the command name
// check (cache_policy.cc) and the cache-key hash (local_cache.cc) read a
// name 8 bytes at a time instead of looping over its characters.
//
// Thread-safety: pure functions.

#ifndef VALKEY_CACHE_ASCII_WORDS_H_
#define VALKEY_CACHE_ASCII_WORDS_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace valkey {
namespace ascii_words {

inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// ASCII upper case of the 8 bytes in `w` at once: 'a'..'z' lose 0x20,
// every other byte (non-ASCII included) is left as it is. Byte-wise, so
// independent of the machine's byte order.
inline uint64_t Upper(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101;
  constexpr uint64_t kHigh = kOnes * 0x80;
  const uint64_t low7 = w & ~kHigh;  // Sums below cannot carry out of a byte.
  const uint64_t at_least_a = low7 + kOnes * (0x80 - 'a');
  const uint64_t above_z = low7 + kOnes * (0x80 - 'z' - 1);
  const uint64_t lower = at_least_a & ~above_z & ~w & kHigh;
  return w - (lower >> 2);  // 0x80 >> 2 == 0x20.
}

// The `n` < 8 bytes at `p` in one word, without reading past them: a
// function of the bytes and `n` only (zero-padded on little-endian
// machines). With `upper`, of their ASCII upper case.
inline uint64_t LoadShort(const char* p, size_t n, bool upper) {
  if (n >= 4) {
    uint64_t a = Load32(p);
    uint64_t b = Load32(p + n - 4);
    if (upper) {
      a = Upper(a);
      b = Upper(b);
    }
    return a | (b << (8 * (n - 4)));
  }
  if (n == 0) return 0;
  const uint64_t w =
      uint64_t{static_cast<unsigned char>(p[0])} |
      uint64_t{static_cast<unsigned char>(p[n / 2])} << (8 * (n / 2)) |
      uint64_t{static_cast<unsigned char>(p[n - 1])} << (8 * (n - 1));
  return upper ? Upper(w) : w;
}

}  // namespace ascii_words
}  // namespace valkey

#endif  // VALKEY_CACHE_ASCII_WORDS_H_
