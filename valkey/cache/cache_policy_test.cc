// CachePolicy without a server: the case-insensitive table of cacheable
// commands (allow and deny lists applied once, at construction), key
// prefixes, and the rule the Client's hit path relies on to skip its
// read-your-writes bracket: whatever the policy accepts, FindCommandKeys
// (command_keys.h) knows as a read.

#include "valkey/cache/cache_policy.h"

#include <string>
#include <vector>

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
