// CachePolicy without a server: the case-insensitive table of cacheable
// commands (allow and deny lists applied once, at construction), key
// prefixes, and the rule the Client's hit path relies on to skip its
// read-your-writes bracket: whatever the policy accepts, FindCommandKeys
// (command_keys.h) knows as a read.

#include "valkey/cache/cache_policy.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "valkey/common/command_keys.h"
#include "valkey/common/options.h"

namespace valkey {
namespace {

bool Cacheable(const CachePolicy& policy, std::vector<std::string> argv) {
  std::vector<CommandArg> args(argv.begin(), argv.end());
  std::vector<std::string> keys;
  const bool with_keys = policy.Cacheable(args, &keys);
  EXPECT_EQ(policy.Cacheable(args), with_keys);
  if (with_keys) {
    EXPECT_EQ(keys, policy.KeysOfCacheable(args));
  }
  return with_keys;
}

TEST(CachePolicyTest, NamesMatchInAnyCase) {
  const CachePolicy policy{CacheOptions{}};
  EXPECT_TRUE(Cacheable(policy, {"GET", "k"}));
  EXPECT_TRUE(Cacheable(policy, {"get", "k"}));
  EXPECT_TRUE(Cacheable(policy, {"gEt", "k"}));
  EXPECT_TRUE(Cacheable(policy, {"json.get", "k"}));
  EXPECT_TRUE(Cacheable(policy, {"georadius_ro", "k", "1", "2", "3", "m"}));
  // Same letters folded, other bytes: not names of the table.
  EXPECT_FALSE(Cacheable(policy, {"GET\x01", "k"}));
  EXPECT_FALSE(Cacheable(policy, {"GE", "k"}));
  EXPECT_FALSE(Cacheable(policy, {"GETT", "k"}));
  EXPECT_FALSE(Cacheable(policy, {"json_get", "k"}));
  EXPECT_FALSE(Cacheable(policy, {"", "k"}));
  EXPECT_FALSE(Cacheable(policy, {"SET", "k", "v"}));
  EXPECT_FALSE(Cacheable(policy, {"GET"}));  // No key.
  std::vector<CommandArg> none;
  EXPECT_FALSE(policy.Cacheable(none));
}

// The name check upper-cases 16 bytes at a time (two words): every name of
// the table, in lower case, is found; changing any one byte of it to a
// neighbour of 'a'..'z' / 'A'..'Z' in ASCII, or to a non-ASCII byte, or
// dropping or adding a byte at either end, is not (unless that spells
// another name of the table). The table's names are 3 to 20 bytes long, so
// this crosses each word boundary.
TEST(CachePolicyTest, NameWordsMatchOnlyTheNameInAnyCase) {
  const CachePolicy policy{CacheOptions{}};
  const std::vector<std::string> table = DefaultCacheAllowCommands();
  auto in_table = [&](const std::string& upper) {
    for (const std::string& name : table) {
      if (name == upper) return true;
    }
    return false;
  };
  // Enough arguments for any key layout of the table (XREAD needs STREAMS).
  auto cacheable = [&](const std::string& name) {
    std::vector<std::string> argv = {name};
    if (name.size() >= 5 && (name[0] == 'X' || name[0] == 'x')) {
      argv.insert(argv.end(), {"STREAMS", "s", "0"});
    } else {
      argv.insert(argv.end(), {"1", "k", "0", "-1", "m"});
    }
    std::vector<CommandArg> args(argv.begin(), argv.end());
    return policy.Cacheable(args);
  };
  for (const std::string& name : table) {
    if (!cacheable(name)) continue;  // SORT_RO: on the list, never cached.
    std::string lower = name;
    for (char& c : lower) c = absl::ascii_tolower(c);
    EXPECT_TRUE(cacheable(lower)) << lower;
    for (size_t i = 0; i < name.size(); ++i) {
      for (const char other : {'`', '{', '@', '[', '\x80', '\xC1', '\xE1'}) {
        std::string changed = name;
        changed[i] = other;
        EXPECT_FALSE(cacheable(changed)) << absl::CEscape(changed);
      }
    }
    for (const std::string& near :
         {name.substr(1), name.substr(0, name.size() - 1), name + "A",
          "A" + name, name + std::string(1, '\0')}) {
      if (in_table(near)) continue;
      EXPECT_FALSE(cacheable(near)) << absl::CEscape(near);
    }
  }
}

TEST(CachePolicyTest, AllowAndDenyListsAnyCaseDenyWins) {
  CacheOptions options;
  options.allow_commands = {"get", "HGET", "SET", "NOSUCH"};
  options.deny_commands = {"hget"};
  const CachePolicy policy(options);
  EXPECT_TRUE(Cacheable(policy, {"GET", "k"}));
  EXPECT_FALSE(Cacheable(policy, {"HGET", "h", "f"}));    // Denied.
  EXPECT_FALSE(Cacheable(policy, {"SET", "k", "v"}));     // Not a read.
  EXPECT_FALSE(Cacheable(policy, {"STRLEN", "k"}));       // Not allowed.
  EXPECT_FALSE(Cacheable(policy, {"NOSUCH", "k"}));       // Keys unknown.
}

TEST(CachePolicyTest, KeyPrefixesApplyToEveryKey) {
  CacheOptions options;
  options.allow_key_prefixes = {"user:"};
  options.deny_key_prefixes = {"user:secret"};
  const CachePolicy policy(options);
  EXPECT_TRUE(Cacheable(policy, {"MGET", "user:1", "user:2"}));
  EXPECT_FALSE(Cacheable(policy, {"MGET", "user:1", "other"}));
  EXPECT_FALSE(Cacheable(policy, {"GET", "user:secret:1"}));
  std::vector<std::string> keys;
  std::vector<CommandArg> args = {"ZUNION", "2", "user:a", "user:b", "AGG"};
  ASSERT_TRUE(policy.Cacheable(args, &keys));
  EXPECT_EQ(keys, (std::vector<std::string>{"user:a", "user:b"}));
}

// The Client skips BeforeOwnWrite/AfterOwnWrite for commands the policy
// accepts; that is only right if none of them can write. Every name of the
// default allow list (all of the built-in table), under argument shapes
// that fit each key layout, in two cases.
TEST(CachePolicyTest, EverythingCacheableIsAKnownRead) {
  const CachePolicy policy{CacheOptions{}};
  const std::vector<std::vector<std::string>> shapes = {
      {"k"},
      {"k", "x"},
      {"k1", "k2", "x"},
      {"1", "k"},
      {"2", "k1", "k2"},
      {"2", "k1", "k2", "WITHSCORES"},
      {"k", "0", "-1"},
      {"STREAMS", "s", "0"},
      {"COUNT", "2", "STREAMS", "s1", "s2", "0", "0"},
      {"k", "$"},
      {"k1", "k2", "$"},
  };
  int accepted = 0;
  for (const std::string& name : DefaultCacheAllowCommands()) {
    for (const std::string& spelled :
         {name, std::string(1, static_cast<char>(name[0] + 32)) +
                    name.substr(1)}) {
      for (const std::vector<std::string>& rest : shapes) {
        std::vector<std::string> argv = {spelled};
        argv.insert(argv.end(), rest.begin(), rest.end());
        std::vector<CommandArg> args(argv.begin(), argv.end());
        if (!policy.Cacheable(args)) continue;
        ++accepted;
        const CommandKeys k = FindCommandKeys(args);
        EXPECT_TRUE(k.known && !k.writes && !k.all_keys)
            << spelled << " with " << rest.size() << " arguments";
      }
    }
  }
  EXPECT_GT(accepted, 2 * static_cast<int>(DefaultCacheAllowCommands().size()));
}

}  // namespace
}  // namespace valkey
