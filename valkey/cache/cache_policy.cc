#include "valkey/cache/cache_policy.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "valkey/cache/ascii_words.h"
#include "valkey/common/command_keys.h"
#include "valkey/common/errors.h"

namespace valkey {

enum class CachePolicy::KeySpec : uint8_t {
  kFirst,       // CMD key ...
  kAll,         // CMD key [key ...]
  kFirstTwo,    // CMD key1 key2 ...
  kNumKeys,     // CMD numkeys key [key ...] ...
  kAllButLast,  // CMD key [key ...] path
  kStreams,     // XREAD [COUNT n] STREAMS key [key ...] id [id ...]
};

namespace {

using KeySpec = CachePolicy::KeySpec;

const absl::flat_hash_map<absl::string_view, KeySpec>& KeySpecs() {
  static const auto* specs =
      new absl::flat_hash_map<absl::string_view, KeySpec>{
          {"BITCOUNT", KeySpec::kFirst},
          {"BITFIELD_RO", KeySpec::kFirst},
          {"BITPOS", KeySpec::kFirst},
          {"EXISTS", KeySpec::kAll},
          {"GEODIST", KeySpec::kFirst},
          {"GEOHASH", KeySpec::kFirst},
          {"GEOPOS", KeySpec::kFirst},
          {"GEORADIUSBYMEMBER_RO", KeySpec::kFirst},
          {"GEORADIUS_RO", KeySpec::kFirst},
          {"GEOSEARCH", KeySpec::kFirst},
          {"GET", KeySpec::kFirst},
          {"GETBIT", KeySpec::kFirst},
          {"GETRANGE", KeySpec::kFirst},
          {"HEXISTS", KeySpec::kFirst},
          {"HGET", KeySpec::kFirst},
          {"HGETALL", KeySpec::kFirst},
          {"HKEYS", KeySpec::kFirst},
          {"HLEN", KeySpec::kFirst},
          {"HMGET", KeySpec::kFirst},
          {"HSTRLEN", KeySpec::kFirst},
          {"HVALS", KeySpec::kFirst},
          {"JSON.ARRINDEX", KeySpec::kFirst},
          {"JSON.ARRLEN", KeySpec::kFirst},
          {"JSON.GET", KeySpec::kFirst},
          {"JSON.MGET", KeySpec::kAllButLast},
          {"JSON.OBJKEYS", KeySpec::kFirst},
          {"JSON.OBJLEN", KeySpec::kFirst},
          {"JSON.RESP", KeySpec::kFirst},
          {"JSON.STRLEN", KeySpec::kFirst},
          {"JSON.TYPE", KeySpec::kFirst},
          {"LCS", KeySpec::kFirstTwo},
          {"LINDEX", KeySpec::kFirst},
          {"LLEN", KeySpec::kFirst},
          {"LPOS", KeySpec::kFirst},
          {"LRANGE", KeySpec::kFirst},
          {"MGET", KeySpec::kAll},
          {"SCARD", KeySpec::kFirst},
          {"SDIFF", KeySpec::kAll},
          {"SINTER", KeySpec::kAll},
          {"SINTERCARD", KeySpec::kNumKeys},
          {"SISMEMBER", KeySpec::kFirst},
          {"SMEMBERS", KeySpec::kFirst},
          {"SMISMEMBER", KeySpec::kFirst},
          {"STRLEN", KeySpec::kFirst},
          {"SUBSTR", KeySpec::kFirst},
          {"SUNION", KeySpec::kAll},
          {"TS.GET", KeySpec::kFirst},
          {"TS.INFO", KeySpec::kFirst},
          {"TS.RANGE", KeySpec::kFirst},
          {"TS.REVRANGE", KeySpec::kFirst},
          {"TYPE", KeySpec::kFirst},
          {"XLEN", KeySpec::kFirst},
          {"XPENDING", KeySpec::kFirst},
          {"XRANGE", KeySpec::kFirst},
          {"XREAD", KeySpec::kStreams},
          {"XREVRANGE", KeySpec::kFirst},
          {"ZCARD", KeySpec::kFirst},
          {"ZCOUNT", KeySpec::kFirst},
          {"ZDIFF", KeySpec::kNumKeys},
          {"ZINTER", KeySpec::kNumKeys},
          {"ZINTERCARD", KeySpec::kNumKeys},
          {"ZLEXCOUNT", KeySpec::kFirst},
          {"ZMSCORE", KeySpec::kFirst},
          {"ZRANGE", KeySpec::kFirst},
          {"ZRANGEBYLEX", KeySpec::kFirst},
          {"ZRANGEBYSCORE", KeySpec::kFirst},
          {"ZRANK", KeySpec::kFirst},
          {"ZREVRANGE", KeySpec::kFirst},
          {"ZREVRANGEBYLEX", KeySpec::kFirst},
          {"ZREVRANGEBYSCORE", KeySpec::kFirst},
          {"ZREVRANK", KeySpec::kFirst},
          {"ZSCORE", KeySpec::kFirst},
          {"ZUNION", KeySpec::kNumKeys},
      };
  return *specs;
}

void AddKeys(absl::Span<const CommandArg> args, size_t from, size_t to,
             std::vector<std::string>& keys) {
  for (size_t i = from; i < to; ++i) keys.emplace_back(args[i].view());
}

// Prefixes for CLIENT TRACKING BCAST: the server refuses overlapping ones,
// so keep only those no other prefix covers. Empty result: track all keys.
std::vector<std::string> MinimalPrefixes(std::vector<std::string> prefixes) {
  std::sort(prefixes.begin(), prefixes.end());
  std::vector<std::string> kept;
  for (std::string& p : prefixes) {
    if (p.empty()) return {};
    if (!kept.empty() && absl::StartsWith(p, kept.back())) continue;
    kept.push_back(std::move(p));
  }
  return kept;
}

absl::flat_hash_set<std::string> UpperSet(
    const std::vector<std::string>& names) {
  absl::flat_hash_set<std::string> set;
  for (const std::string& n : names) set.insert(absl::AsciiStrToUpper(n));
  return set;
}

// Whether `name` is `upper` in any case (same size, `upper` upper case).
bool EqualsUpper(absl::string_view upper, absl::string_view name) {
  for (size_t i = 0; i < name.size(); ++i) {
    if (absl::ascii_toupper(static_cast<unsigned char>(name[i])) != upper[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

CachePolicy::NameWords CachePolicy::WordsOf(absl::string_view name) {
  // The first 16 bytes as two words, loaded without reading past the name
  // (overlapping loads for short names), upper-cased. (Upper() of an
  // upper-cased word changes nothing.)
  using ascii_words::Load64;
  const char* p = name.data();
  const size_t n = name.size();
  NameWords w;
  if (n >= 16) {
    w.lo = Load64(p);
    w.hi = Load64(p + 8);
  } else if (n > 8) {
    w.lo = Load64(p);
    w.hi = ascii_words::LoadShort(p + 8, n - 8, /*upper=*/true);
  } else if (n == 8) {
    w.lo = Load64(p);
  } else {
    w.lo = ascii_words::LoadShort(p, n, /*upper=*/true);
  }
  w.lo = ascii_words::Upper(w.lo);
  w.hi = ascii_words::Upper(w.hi);
  return w;
}

absl::Status CachePolicy::Validate(const CacheOptions& options,
                                   const ConnectionOptions& connection) {
  if (connection.protocol != 3) {
    return InvalidArgumentError(absl::StrCat(
        "cache.enabled: the client-side cache needs connection.protocol 3 "
        "(RESP3, for invalidation pushes); it is ",
        connection.protocol));
  }
  if (options.max_entries < 1) {
    return InvalidArgumentError(
        absl::StrCat("cache.max_entries: ", options.max_entries,
                     " is not valid (must be >= 1)"));
  }
  if (options.max_bytes < 1) {
    return InvalidArgumentError(
        absl::StrCat("cache.max_bytes: ", options.max_bytes,
                     " is not valid (must be >= 1)"));
  }
  if (options.ttl <= absl::ZeroDuration()) {
    return InvalidArgumentError("cache.ttl: must be > 0");
  }
  return absl::OkStatus();
}

CachePolicy::CachePolicy(const CacheOptions& options)
    : options_(options),
      all_keys_allowed_(options.allow_key_prefixes.empty() &&
                        options.deny_key_prefixes.empty()),
      bcast_prefixes_(MinimalPrefixes(options.allow_key_prefixes)) {
  // Only commands of the built-in table can be cached (their keys must be
  // known to be invalidated): keep those the allow list names and the deny
  // list does not (deny wins).
  const absl::flat_hash_set<std::string> allow =
      UpperSet(options.allow_commands.empty() ? DefaultCacheAllowCommands()
                                              : options.allow_commands);
  const absl::flat_hash_set<std::string> deny =
      UpperSet(options.deny_commands);
  std::vector<Slot> named;
  for (const auto& [name, spec] : KeySpecs()) {
    if (allow.contains(name) && !deny.contains(name)) {
      named.push_back(Slot{WordsOf(name), name, spec});
    }
  }
  size_t size = 8;
  int bits = 3;
  while (size < 2 * named.size()) {
    size *= 2;
    ++bits;
  }
  shift_ = 64 - bits;
  mask_ = size - 1;
  slots_.resize(size);
  for (const Slot& slot : named) {
    size_t i = SlotOf(slot.words, slot.name.size());
    while (!slots_[i].name.empty()) i = (i + 1) & (size - 1);
    slots_[i] = slot;
  }
}

size_t CachePolicy::SlotOf(const NameWords& words, size_t size) const {
  // Fibonacci hashing: the multiply spreads the words over the top bits,
  // which pick the slot.
  const uint64_t h = words.lo ^ (words.hi * 0xC2B2AE3D27D4EB4F) ^ size;
  return static_cast<size_t>((h * 0x9E3779B97F4A7C15) >> shift_);
}

const CachePolicy::Slot* CachePolicy::FindName(absl::string_view name) const {
  // Upper-cased and compared 16 bytes at a time: every cacheable name but
  // GEORADIUSBYMEMBER_RO and GEORADIUS_RO fits in the two words.
  const NameWords words = WordsOf(name);
  for (size_t i = SlotOf(words, name.size());; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.name.empty()) return nullptr;  // The table has free slots.
    if (slot.words.lo == words.lo && slot.words.hi == words.hi &&
        slot.name.size() == name.size() &&
        (name.size() <= 16 ||
         EqualsUpper(slot.name.substr(16), name.substr(16)))) {
      return &slot;
    }
  }
}

bool CachePolicy::KeyRange(KeySpec spec, absl::Span<const CommandArg> args,
                           size_t* from, size_t* to) {
  const size_t n = args.size();
  switch (spec) {
    case KeySpec::kFirst:
      if (n < 2) return false;
      *from = 1;
      *to = 2;
      return true;
    case KeySpec::kAll:
      if (n < 2) return false;
      *from = 1;
      *to = n;
      return true;
    case KeySpec::kFirstTwo:
      if (n < 3) return false;
      *from = 1;
      *to = 3;
      return true;
    case KeySpec::kNumKeys: {
      uint64_t count = 0;
      if (n < 3 || !absl::SimpleAtoi(args[1].view(), &count) || count == 0 ||
          count > n - 2) {
        return false;
      }
      *from = 2;
      *to = 2 + count;
      return true;
    }
    case KeySpec::kAllButLast:
      if (n < 3) return false;
      *from = 1;
      *to = n - 1;
      return true;
    case KeySpec::kStreams: {
      size_t i = 1;
      for (; i < n; ++i) {
        const absl::string_view a = args[i].view();
        if (absl::EqualsIgnoreCase(a, "STREAMS")) break;
        if (absl::EqualsIgnoreCase(a, "BLOCK")) return false;
      }
      const size_t rest = n - std::min(n, i + 1);
      if (i >= n || rest == 0 || rest % 2 != 0) return false;
      *from = i + 1;
      *to = i + 1 + rest / 2;
      return true;
    }
  }
  return false;
}

std::optional<std::vector<std::string>> CachePolicy::KeysOf(
    absl::string_view upper_name, absl::Span<const CommandArg> args) {
  auto spec = KeySpecs().find(upper_name);
  if (spec == KeySpecs().end()) return std::nullopt;
  size_t from = 0, to = 0;
  if (!KeyRange(spec->second, args, &from, &to)) return std::nullopt;
  std::vector<std::string> keys;
  AddKeys(args, from, to, keys);
  return keys;
}

bool CachePolicy::KeyAllowed(absl::string_view key) const {
  for (const std::string& p : options_.deny_key_prefixes) {
    if (absl::StartsWith(key, p)) return false;
  }
  if (options_.allow_key_prefixes.empty()) return true;
  for (const std::string& p : options_.allow_key_prefixes) {
    if (absl::StartsWith(key, p)) return true;
  }
  return false;
}

bool CachePolicy::Cacheable(absl::Span<const CommandArg> args) const {
  if (args.empty()) return false;
  const Slot* slot = FindName(args[0].view());
  if (slot == nullptr) return false;
  size_t from = 0, to = 0;
  if (!KeyRange(slot->spec, args, &from, &to)) return false;
  if (all_keys_allowed_) return true;
  for (size_t i = from; i < to; ++i) {
    if (!KeyAllowed(args[i].view())) return false;
  }
  return true;
}

bool CachePolicy::Cacheable(absl::Span<const CommandArg> args,
                            std::vector<std::string>* keys) const {
  if (!Cacheable(args)) return false;
  *keys = KeysOfCacheable(args);
  return true;
}

std::vector<std::string> CachePolicy::KeysOfCacheable(
    absl::Span<const CommandArg> args) const {
  std::vector<std::string> keys;
  const Slot* slot = args.empty() ? nullptr : FindName(args[0].view());
  size_t from = 0, to = 0;
  if (slot == nullptr || !KeyRange(slot->spec, args, &from, &to)) return keys;
  keys.reserve(to - from);
  AddKeys(args, from, to, keys);
  return keys;
}

void CachePolicy::OwnWrite::InvalidateIn(LocalCache& cache) const {
  if (all) {
    cache.Flush();
    return;
  }
  for (const std::string& key : keys) cache.InvalidateKey(key);
}

std::optional<CachePolicy::OwnWrite> CachePolicy::InvalidateOwnWrite(
    absl::Span<const CommandArg> args, LocalCache& cache) {
  const CommandKeys k = FindCommandKeys(args);
  if (k.known && !k.writes) return std::nullopt;
  OwnWrite w;
  w.all = !k.known || k.all_keys;
  if (!w.all) w.keys.assign(k.keys.begin(), k.keys.end());
  w.InvalidateIn(cache);
  return w;
}

bool CachePolicy::ApplyInvalidation(ReplyView push, LocalCache& cache) {
  if (push.size() < 2 || push.child(0).str() != "invalidate") return false;
  const ReplyView keys = push.child(1);
  if (keys.is_null()) {
    cache.Flush();
    return true;
  }
  for (ReplyView k : keys) cache.InvalidateKey(k.str());
  return true;
}

}  // namespace valkey
