// LocalCache without a server: keys, each eviction policy, TTL with a fake
// clock, invalidation by key, the fill protocol, counters, concurrency.

#include "valkey/cache/local_cache.h"

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/common/resp_reader.h"

namespace valkey {
namespace {

Reply Bulk(absl::string_view s) {
  RespReader reader;
  reader.Feed(absl::StrCat("$", s.size(), "\r\n", s, "\r\n"));
  absl::StatusOr<std::optional<Reply>> r = reader.Next();
  EXPECT_TRUE(r.ok() && r->has_value());
  return std::move(**r);
}

std::string Key(absl::string_view name, absl::string_view arg) {
  return LocalCache::MakeKey({CommandArg(name), CommandArg(arg)});
}

void PutGet(LocalCache& cache, absl::string_view k, absl::string_view v) {
  cache.Put(Key("GET", k), Bulk(v), {std::string(k)});
}

class FakeClock {
 public:
  absl::Time Now() {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  LocalCache::Clock AsClock() {
    return [this] { return Now(); };
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ = absl::FromUnixSeconds(1000);
};

TEST(LocalCacheKeyTest, NameIsCaseInsensitiveAndArgumentsAreFramed) {
  EXPECT_EQ(Key("get", "k"), Key("GET", "k"));
  EXPECT_NE(Key("GET", "k"), Key("GET", "K"));
  // "a\0b" + "c" and "a" + "b\0c" must not collide.
  const std::string ab("a\0b", 3), bc("b\0c", 3);
  EXPECT_NE(LocalCache::MakeKey({CommandArg("X"), CommandArg(ab),
                                 CommandArg("c")}),
            LocalCache::MakeKey({CommandArg("X"), CommandArg("a"),
                                 CommandArg(bc)}));
  EXPECT_NE(LocalCache::MakeKey({CommandArg("LRANGE"), CommandArg("l"),
                                 CommandArg(0), CommandArg(-1)}),
            LocalCache::MakeKey({CommandArg("LRANGE"), CommandArg("l"),
                                 CommandArg(0), CommandArg(1)}));
}

TEST(LocalCacheKeyTest, KeyBuiltInABufferIsTheSameKey) {
  // Arguments of every size class the builder treats apart: empty, short,
  // 8 to 16 bytes, longer; and a key too long for the stack buffer.
  const std::string long_arg(LocalCache::KeyBuffer::kInline, 'x');
  const std::vector<std::vector<std::string>> commands = {
      {"get", "k"},
      {"GET", ""},
      {"hGet", "12345678", "1234567890123456"},
      {"GET", "123456789012345"},
      {"MGET", "a", "12345678901234567", long_arg},
      {"get", long_arg},
  };
  for (const std::vector<std::string>& argv : commands) {
    const std::vector<CommandArg> args(argv.begin(), argv.end());
    LocalCache::KeyBuffer buffer;
    EXPECT_EQ(LocalCache::MakeKey(args, buffer), LocalCache::MakeKey(args))
        << argv[0] << " " << argv.size();
  }
  LocalCache::KeyBuffer buffer;
  EXPECT_EQ(LocalCache::MakeKey({CommandArg("get"), CommandArg("k")}, buffer),
            Key("GET", "k"));
}

// Pin(args) hashes and compares the arguments in place; it must find
// exactly the entry stored under MakeKey(args): the name in any case, every
// other argument byte for byte, across the sizes the word-wise hash and
// compare treat apart (0 to 40 bytes: below 4, 4 to 7, 8, 9 to 16, more).
TEST(LocalCacheKeyTest, PinByArgumentsFindsExactlyTheKeyMakeKeyMakes) {
  LocalCache cache({.max_entries = 100000});
  std::vector<std::vector<std::string>> stored;
  for (size_t n = 0; n <= 40; ++n) {
    std::string arg;
    for (size_t i = 0; i < n; ++i) arg.push_back(static_cast<char>('a' + i % 26));
    stored.push_back({"GET", arg});
    stored.push_back({"HGET", arg, "f"});
    stored.push_back({std::string(n + 1, 'Z'), arg});  // Names of any size.
  }
  stored.push_back({"GET"});  // One argument.
  for (const std::vector<std::string>& argv : stored) {
    const std::vector<CommandArg> args(argv.begin(), argv.end());
    cache.Put(LocalCache::MakeKey(args), Bulk(absl::StrCat(argv.size(), argv.back())),
              {});
  }
  // A plain key that is not MakeKey's work does not disturb the others.
  cache.Put("not a cache key", Bulk("x"), {});
  for (const std::vector<std::string>& argv : stored) {
    std::vector<std::string> lower = argv;
    for (char& c : lower[0]) c = absl::ascii_tolower(c);
    for (const std::vector<std::string>& spelled : {argv, lower}) {
      const std::vector<CommandArg> args(spelled.begin(), spelled.end());
      LocalCache::Pinned hit = cache.Pin(args);
      ASSERT_TRUE(hit) << absl::StrJoin(spelled, " ");
      EXPECT_EQ(hit->str(), absl::StrCat(argv.size(), argv.back()));
    }
    // One byte more, one byte less, one byte changed (in the name: not a
    // case change; elsewhere: a case change), an argument more: all misses.
    std::vector<std::vector<std::string>> others;
    for (size_t i = 0; i < argv.size(); ++i) {
      std::vector<std::string> longer = argv, changed = argv;
      longer[i].push_back('a');
      others.push_back(longer);
      if (!argv[i].empty()) {
        std::vector<std::string> shorter = argv;
        shorter[i].pop_back();
        others.push_back(shorter);
        changed[i].back() ^= (i == 0 ? 0x40 : 0x20);
        others.push_back(changed);
      }
    }
    std::vector<std::string> more = argv;
    more.push_back("");
    others.push_back(more);
    for (const std::vector<std::string>& other : others) {
      bool is_stored = false;
      for (const std::vector<std::string>& s : stored) {
        if (absl::AsciiStrToUpper(s[0]) == absl::AsciiStrToUpper(other[0]) &&
            std::vector<std::string>(s.begin() + 1, s.end()) ==
                std::vector<std::string>(other.begin() + 1, other.end())) {
          is_stored = true;
        }
      }
      if (is_stored) continue;
      const std::vector<CommandArg> args(other.begin(), other.end());
      EXPECT_FALSE(cache.Pin(args)) << absl::CEscape(absl::StrJoin(other, " "));
    }
  }
  EXPECT_TRUE(cache.Pin("not a cache key"));
}

// The stored key's hash and equality agree with the arguments' form for
// names in mixed case and keys of every length 0..40 made of binary bytes
// (NUL, bytes >= 0x80, pairs that differ only in bit 5, which the name's
// hash folds together but only letters may match across): each stored
// command is found from its arguments, and no near miss finds anything.
TEST(LocalCacheKeyTest, ArgumentsHashAndCompareLikeTheStoredKey) {
  LocalCache cache({.max_entries = 100000});
  auto binary = [](size_t n, int salt) {
    std::string s;
    for (size_t i = 0; i < n; ++i) {
      s.push_back(static_cast<char>((i * 37 + salt * 101 + n) & 0xFF));
    }
    return s;
  };
  const std::vector<std::string> names = {"GET",
                                          "HGET",
                                          "X",
                                          "A@[1_",
                                          "LRANGEX",
                                          "ZRANGEBYSCORE",
                                          "HGETALL_LONGER_THAN_16"};
  struct Case {
    std::vector<std::string> stored;  // Name upper case.
    std::string value;
  };
  std::vector<Case> cases;
  for (const std::string& name : names) {
    for (size_t n = 0; n <= 40; ++n) {
      cases.push_back({{name, binary(n, 1)}, ""});
      cases.push_back({{name, binary(n, 2), binary(40 - n, 3)}, ""});
    }
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    cases[i].value = absl::StrCat("v", i);
    const std::vector<CommandArg> args(cases[i].stored.begin(),
                                       cases[i].stored.end());
    cache.Put(LocalCache::MakeKey(args), Bulk(cases[i].value), {});
  }
  std::map<std::vector<std::string>, std::string> by_args;
  for (const Case& c : cases) by_args[c.stored] = c.value;
  // A short plain key (not MakeKey's work) hashes as plain bytes.
  cache.Put("1234567", Bulk("plain"), {});
  auto mixed = [](std::string name, size_t phase) {
    for (size_t i = 0; i < name.size(); ++i) {
      if ((i + phase) % 2 == 0) name[i] = absl::ascii_tolower(name[i]);
    }
    return name;
  };
  for (const Case& c : cases) {
    for (size_t phase = 0; phase < 3; ++phase) {
      std::vector<std::string> spelled = c.stored;
      if (phase < 2) spelled[0] = mixed(spelled[0], phase);
      const std::vector<CommandArg> args(spelled.begin(), spelled.end());
      LocalCache::Pinned hit = cache.Pin(args);
      ASSERT_TRUE(hit) << absl::CEscape(absl::StrJoin(spelled, " "));
      EXPECT_EQ(hit->str(), c.value);
    }
    // Near misses: a key byte with bit 5 flipped, a non-letter of the name
    // with bit 5 flipped ('@' <-> '`', '[' <-> '{', '1' <-> 0x11, '_' <->
    // DEL), a byte dropped or added at either end of the last argument.
    std::vector<std::vector<std::string>> misses;
    for (size_t i = 1; i < c.stored.size(); ++i) {
      const std::string& arg = c.stored[i];
      for (size_t j = 0; j < arg.size(); ++j) {
        std::vector<std::string> other = c.stored;
        other[i][j] ^= 0x20;
        misses.push_back(other);
      }
    }
    for (size_t j = 0; j < c.stored[0].size(); ++j) {
      if (absl::ascii_isalpha(c.stored[0][j])) continue;
      std::vector<std::string> other = c.stored;
      other[0][j] ^= 0x20;
      misses.push_back(other);
    }
    std::vector<std::string> longer = c.stored, front = c.stored;
    longer.back().push_back('\0');
    front.back().insert(0, 1, '\0');
    misses.push_back(longer);
    misses.push_back(front);
    if (!c.stored.back().empty()) {
      std::vector<std::string> shorter = c.stored;
      shorter.back().pop_back();
      misses.push_back(shorter);
    }
    for (const std::vector<std::string>& other : misses) {
      const std::vector<CommandArg> args(other.begin(), other.end());
      LocalCache::Pinned hit = cache.Pin(args);
      // A near miss may be another stored case (a 0..40 pair shifted by
      // one byte); then it must find that case's value.
      std::vector<std::string> upper = other;
      upper[0] = absl::AsciiStrToUpper(upper[0]);
      auto it = by_args.find(upper);
      if (it == by_args.end()) {
        EXPECT_FALSE(hit) << absl::CEscape(absl::StrJoin(other, " "));
      } else {
        ASSERT_TRUE(hit) << absl::CEscape(absl::StrJoin(other, " "));
        EXPECT_EQ(hit->str(), it->second);
      }
    }
  }
  EXPECT_TRUE(cache.Pin("1234567"));
}

TEST(LocalCacheTest, PinHoldsTheLockAndCountsLikeGet) {
  LocalCache cache({.max_entries = 10});
  PutGet(cache, "a", "1");
  const std::vector<CommandArg> a = {"GET", "a"}, b = {"GET", "b"};
  {
    LocalCache::Pinned hit = cache.Pin(a);
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->str(), "1");
    // Another thread waits for the pin to go.
    std::atomic<bool> done{false};
    std::thread other([&] {
      cache.InvalidateKey("a");
      done = true;
    });
    absl::SleepFor(absl::Milliseconds(50));
    EXPECT_FALSE(done.load());
    LocalCache::Pinned moved = std::move(hit);  // Still held, once.
    EXPECT_FALSE(hit);
    moved = LocalCache::Pinned();  // Released here.
    other.join();
    EXPECT_TRUE(done.load());
  }
  EXPECT_FALSE(cache.Pin(a));
  EXPECT_FALSE(cache.Pin(b, /*count=*/false));
  PutGet(cache, "b", "2");
  LocalCache::Pinned uncounted = cache.Pin(b, /*count=*/false);
  ASSERT_TRUE(uncounted);
  uncounted.CountHit();
  uncounted = LocalCache::Pinned();
  const CacheStats s = cache.stats();
  EXPECT_EQ(s.hits, 2);    // The first pin, and the counted uncounted one.
  EXPECT_EQ(s.misses, 1);  // Pin(a) after the invalidation.
}

TEST(LocalCacheTest, HitMissAndIndependentCopies) {
  LocalCache cache({.max_entries = 10});
  EXPECT_FALSE(cache.Get(Key("GET", "a")).has_value());
  PutGet(cache, "a", "1");
  std::optional<Reply> hit = cache.Get(Key("get", "a"));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->str(), "1");
  hit.reset();  // The cache keeps its own copy.
  EXPECT_EQ(cache.Get(Key("GET", "a"))->str(), "1");
  const CacheStats s = cache.stats();
  EXPECT_EQ(s.hits, 2);
  EXPECT_EQ(s.misses, 1);
  EXPECT_EQ(s.entries, 1);
}

TEST(LocalCacheTest, LruEvictsLeastRecentlyRead) {
  LocalCache cache({.max_entries = 3, .eviction = LocalCache::Eviction::kLru});
  PutGet(cache, "a", "1");
  PutGet(cache, "b", "2");
  PutGet(cache, "c", "3");
  ASSERT_TRUE(cache.Get(Key("GET", "a")).has_value());
  PutGet(cache, "d", "4");  // b is the least recently read.
  EXPECT_TRUE(cache.Contains(Key("GET", "a")));
  EXPECT_FALSE(cache.Contains(Key("GET", "b")));
  EXPECT_TRUE(cache.Contains(Key("GET", "c")));
  EXPECT_TRUE(cache.Contains(Key("GET", "d")));
  PutGet(cache, "e", "5");  // Now c.
  EXPECT_FALSE(cache.Contains(Key("GET", "c")));
  EXPECT_EQ(cache.stats().evictions, 2);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.indexed_keys(), 3u);
}

TEST(LocalCacheTest, LfuEvictsLeastFrequentlyReadOldestAmongTies) {
  LocalCache cache({.max_entries = 3, .eviction = LocalCache::Eviction::kLfu});
  PutGet(cache, "a", "1");
  PutGet(cache, "b", "2");
  PutGet(cache, "c", "3");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(cache.Get(Key("GET", "a")));
  ASSERT_TRUE(cache.Get(Key("GET", "c")));
  ASSERT_TRUE(cache.Get(Key("GET", "b")));
  // b and c were read once each; c was read first, so it goes.
  PutGet(cache, "d", "4");
  EXPECT_FALSE(cache.Contains(Key("GET", "c")));
  // d (never read) is now the least frequently read.
  PutGet(cache, "e", "5");
  EXPECT_FALSE(cache.Contains(Key("GET", "d")));
  EXPECT_TRUE(cache.Contains(Key("GET", "a")));
  EXPECT_TRUE(cache.Contains(Key("GET", "b")));
  EXPECT_TRUE(cache.Contains(Key("GET", "e")));
  EXPECT_EQ(cache.stats().evictions, 2);
  EXPECT_EQ(cache.indexed_keys(), 3u);
}

TEST(LocalCacheTest, RandomEvictionKeepsEveryIndexConsistent) {
  FakeClock clock;
  LocalCache cache({.max_entries = 10,
                    .ttl = absl::Seconds(5),
                    .eviction = LocalCache::Eviction::kRandom,
                    .clock = clock.AsClock(),
                    .random_seed = 42});
  for (int i = 0; i < 200; ++i) {
    PutGet(cache, absl::StrCat("k", i), "v");
    if (i % 3 == 0) cache.Get(Key("GET", absl::StrCat("k", i / 2)));
    if (i % 50 == 49) clock.Advance(absl::Seconds(6));  // All expire.
  }
  EXPECT_EQ(cache.size(), 10u);
  EXPECT_EQ(cache.indexed_keys(), 10u);
  const CacheStats s = cache.stats();
  EXPECT_EQ(s.evictions + s.expirations, 190);
  EXPECT_GT(s.evictions, 0);
  EXPECT_GT(s.expirations, 0);
}

TEST(LocalCacheTest, EvictionWithTtlLeavesNoStaleIndexEntries) {
  // The reference's LRU/LFU eviction left the expiry list stale; with a TTL
  // the next eviction then failed. Here every policy keeps going.
  for (auto policy :
       {LocalCache::Eviction::kLru, LocalCache::Eviction::kLfu,
        LocalCache::Eviction::kRandom}) {
    FakeClock clock;
    LocalCache cache({.max_entries = 3,
                      .ttl = absl::Seconds(60),
                      .eviction = policy,
                      .clock = clock.AsClock(),
                      .random_seed = 7});
    for (int i = 0; i < 50; ++i) {
      PutGet(cache, absl::StrCat("k", i), "v");
      clock.Advance(absl::Seconds(1));
    }
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(cache.indexed_keys(), 3u);
    EXPECT_EQ(cache.stats().evictions, 47);
    clock.Advance(absl::Seconds(120));
    PutGet(cache, "fresh", "v");  // All three expired: no eviction.
    EXPECT_EQ(cache.stats().evictions, 47);
    EXPECT_EQ(cache.stats().expirations, 3);
    EXPECT_EQ(cache.size(), 1u);
  }
}

TEST(LocalCacheTest, TtlExpiresWithFakeClock) {
  FakeClock clock;
  LocalCache cache({.max_entries = 10,
                    .ttl = absl::Seconds(10),
                    .clock = clock.AsClock()});
  PutGet(cache, "a", "1");
  clock.Advance(absl::Seconds(9));
  EXPECT_TRUE(cache.Get(Key("GET", "a")).has_value());
  PutGet(cache, "b", "2");
  clock.Advance(absl::Seconds(1));  // a is 10 s old: expired. b is 1 s.
  EXPECT_FALSE(cache.Contains(Key("GET", "a")));
  EXPECT_FALSE(cache.Get(Key("GET", "a")).has_value());
  EXPECT_TRUE(cache.Get(Key("GET", "b")).has_value());
  // Re-storing restarts the clock.
  PutGet(cache, "b", "3");
  clock.Advance(absl::Seconds(9));
  EXPECT_EQ(cache.Get(Key("GET", "b"))->str(), "3");
  const CacheStats s = cache.stats();
  EXPECT_EQ(s.expirations, 1);
  EXPECT_EQ(s.misses, 1);
  EXPECT_EQ(s.hits, 3);
  EXPECT_EQ(cache.indexed_keys(), 1u);
}

TEST(LocalCacheTest, InvalidateKeyRemovesEveryDependentEntry) {
  LocalCache cache({.max_entries = 10});
  PutGet(cache, "a", "1");
  PutGet(cache, "b", "2");
  const std::string mget =
      LocalCache::MakeKey({CommandArg("MGET"), CommandArg("a"),
                           CommandArg("b")});
  cache.Put(mget, Bulk("x"), {"a", "b"});
  cache.Put(Key("STRLEN", "a"), Bulk("1"), {"a"});
  cache.InvalidateKey("a");
  EXPECT_FALSE(cache.Contains(Key("GET", "a")));
  EXPECT_FALSE(cache.Contains(Key("STRLEN", "a")));
  EXPECT_FALSE(cache.Contains(mget));
  EXPECT_TRUE(cache.Contains(Key("GET", "b")));
  EXPECT_EQ(cache.indexed_keys(), 1u);  // Only b, read by GET b.
  cache.InvalidateKey("unknown");       // No-op.
  EXPECT_EQ(cache.stats().invalidations, 3);
  cache.Flush();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.indexed_keys(), 0u);
  EXPECT_EQ(cache.stats().flushes, 1);
}

TEST(LocalCacheTest, OverwriteAtCapacityEvictsNothing) {
  for (auto policy :
       {LocalCache::Eviction::kLru, LocalCache::Eviction::kLfu,
        LocalCache::Eviction::kRandom}) {
    LocalCache cache({.max_entries = 2, .eviction = policy});
    PutGet(cache, "a", "1");
    PutGet(cache, "b", "2");
    PutGet(cache, "a", "3");
    EXPECT_EQ(cache.stats().evictions, 0);
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_EQ(cache.Get(Key("GET", "a"))->str(), "3");
    EXPECT_TRUE(cache.Contains(Key("GET", "b")));
    // New dependencies replace the old ones in the index.
    cache.Put(Key("GET", "a"), Bulk("4"), {"z"});
    cache.InvalidateKey("a");
    EXPECT_TRUE(cache.Contains(Key("GET", "a")));
    cache.InvalidateKey("z");
    EXPECT_FALSE(cache.Contains(Key("GET", "a")));
    EXPECT_EQ(cache.indexed_keys(), 1u);
  }
}

// What an entry "GET k" -> `value` is charged (cache key + reply storage).
size_t EntryBytes(absl::string_view k, absl::string_view value) {
  return Key("GET", k).size() + Bulk(value).storage_bytes();
}

TEST(LocalCacheTest, MaxBytesEvictsToStayUnderTheLimit) {
  // Before max_bytes, only max_entries bounded the cache: 10,000 large
  // replies (an HGETALL of a big hash, say) could take any amount of memory.
  const std::string big(1000, 'x');
  const size_t entry = EntryBytes("k00", big);
  for (auto policy :
       {LocalCache::Eviction::kLru, LocalCache::Eviction::kLfu,
        LocalCache::Eviction::kRandom}) {
    SCOPED_TRACE(static_cast<int>(policy));
    LocalCache cache({.max_entries = 1000,
                      .max_bytes = 3 * entry + entry / 2,
                      .eviction = policy,
                      .random_seed = 3});
    for (int i = 0; i < 20; ++i) {
      PutGet(cache, absl::StrCat("k", 10 + i), big);
      const CacheStats s = cache.stats();
      ASSERT_LE(static_cast<size_t>(s.bytes), cache.options().max_bytes);
      ASSERT_EQ(static_cast<size_t>(s.bytes), s.entries * entry);
    }
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(cache.indexed_keys(), 3u);
    EXPECT_EQ(cache.stats().evictions, 17);
    EXPECT_TRUE(cache.Contains(Key("GET", "k29")));  // The newest stays.
    cache.InvalidateKey("k29");
    EXPECT_EQ(static_cast<size_t>(cache.stats().bytes), 2 * entry);
    cache.Flush();
    EXPECT_EQ(cache.stats().bytes, 0);
  }
}

TEST(LocalCacheTest, MaxBytesEvictsByPolicyAndCountsReplacements) {
  const std::string big(1000, 'x');
  const size_t entry = EntryBytes("a", big);
  LocalCache cache({.max_entries = 1000,
                    .max_bytes = 3 * entry,
                    .eviction = LocalCache::Eviction::kLru});
  PutGet(cache, "a", big);
  PutGet(cache, "b", big);
  PutGet(cache, "c", big);
  ASSERT_TRUE(cache.Get(Key("GET", "a")).has_value());
  PutGet(cache, "d", big);  // b is the least recently read.
  EXPECT_TRUE(cache.Contains(Key("GET", "a")));
  EXPECT_FALSE(cache.Contains(Key("GET", "b")));
  // Replacing an entry with a reply twice as large makes room for it too
  // (and never evicts the entry being stored).
  PutGet(cache, "a", big + big);
  EXPECT_EQ(cache.Get(Key("GET", "a"))->str(), big + big);
  EXPECT_LE(static_cast<size_t>(cache.stats().bytes), 3 * entry);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.indexed_keys(), 2u);
}

TEST(LocalCacheTest, ReplyLargerThanMaxBytesIsNotStored) {
  LocalCache cache({.max_entries = 10, .max_bytes = 512});
  PutGet(cache, "small", "v");
  PutGet(cache, "a", "old");
  // Too large on its own: not stored, and the older reply under the same
  // cache key goes too (it is older than the one just read).
  PutGet(cache, "a", std::string(600, 'x'));
  EXPECT_FALSE(cache.Contains(Key("GET", "a")));
  EXPECT_TRUE(cache.Contains(Key("GET", "small")));
  LocalCache::Ticket t = cache.BeginFill(Key("GET", "b"), {"b"});
  EXPECT_FALSE(cache.EndFill(t, Bulk(std::string(600, 'y'))));
  const CacheStats s = cache.stats();
  EXPECT_EQ(s.too_large, 2);
  EXPECT_EQ(s.evictions, 0);
  EXPECT_EQ(s.entries, 1);
  EXPECT_EQ(static_cast<size_t>(s.bytes), EntryBytes("small", "v"));
  EXPECT_EQ(cache.indexed_keys(), 1u);
}

TEST(LocalCacheTest, FillIsDroppedWhenItsKeyIsInvalidatedMeanwhile) {
  LocalCache cache({.max_entries = 10});
  LocalCache::Ticket t = cache.BeginFill(Key("GET", "a"), {"a"});
  cache.InvalidateKey("a");  // A write raced with the read.
  EXPECT_FALSE(cache.EndFill(t, Bulk("stale")));
  EXPECT_FALSE(cache.Contains(Key("GET", "a")));

  t = cache.BeginFill(Key("GET", "a"), {"a"});
  cache.InvalidateKey("other");
  EXPECT_TRUE(cache.EndFill(t, Bulk("fresh")));
  EXPECT_EQ(cache.Get(Key("GET", "a"))->str(), "fresh");

  t = cache.BeginFill(Key("GET", "b"), {"b"});
  cache.Flush();
  EXPECT_FALSE(cache.EndFill(t, Bulk("x")));

  t = cache.BeginFill(Key("GET", "c"), {"c"});
  cache.CancelFill(t);
  EXPECT_FALSE(cache.EndFill(t, Bulk("x")));  // Ticket already ended.
  EXPECT_EQ(cache.stats().fills_dropped, 2);
}

TEST(LocalCacheTest, ConcurrentUse) {
  LocalCache cache({.max_entries = 64, .eviction = LocalCache::Eviction::kLfu});
  std::vector<std::thread> threads;
  std::atomic<int> hits{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string k = absl::StrCat("k", (i * 7 + t) % 100);
        switch (i % 4) {
          case 0:
            PutGet(cache, k, "v");
            break;
          case 1:
            if (cache.Get(Key("GET", k))) hits.fetch_add(1);
            break;
          case 2: {
            LocalCache::Ticket ticket = cache.BeginFill(Key("GET", k), {k});
            cache.EndFill(ticket, Bulk("w"));
            break;
          }
          case 3:
            if (i % 400 == 3) {
              cache.Flush();
            } else {
              cache.InvalidateKey(k);
            }
            break;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(cache.size(), 64u);
  EXPECT_LE(cache.indexed_keys(), cache.size());
  EXPECT_EQ(cache.stats().hits, hits.load());
}

}  // namespace
}  // namespace valkey
