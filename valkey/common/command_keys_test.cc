#include "valkey/common/command_keys.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace {

struct Found {
  bool known;
  bool writes;
  bool all_keys;
  std::vector<std::string> keys;
};

Found Find(std::vector<std::string> words) {
  std::vector<CommandArg> args(words.begin(), words.end());
  CommandKeys k = FindCommandKeys(args);
  return Found{k.known, k.writes, k.all_keys,
               std::vector<std::string>(k.keys.begin(), k.keys.end())};
}

using Keys = std::vector<std::string>;

TEST(CommandKeysTest, EveryLayout) {
  struct Case {
    std::vector<std::string> args;
    bool writes;
    Keys keys;
  };
  const std::vector<Case> cases = {
      {{"get", "a"}, false, {"a"}},
      {{"SET", "a", "1", "EX", "5"}, true, {"a"}},
      {{"MGET", "a", "b", "c"}, false, {"a", "b", "c"}},
      {{"DEL", "a", "b"}, true, {"a", "b"}},
      {{"MSET", "a", "1", "b", "2"}, true, {"a", "b"}},
      {{"RENAME", "a", "b"}, true, {"a", "b"}},
      {{"BLPOP", "a", "b", "0"}, true, {"a", "b"}},
      {{"ZUNION", "2", "a", "b", "WITHSCORES"}, false, {"a", "b"}},
      {{"EVAL", "return 1", "2", "a", "b", "x"}, true, {"a", "b"}},
      {{"EVAL_RO", "return 1", "0"}, false, {}},
      {{"BLMPOP", "0", "1", "a", "LEFT"}, true, {"a"}},
      {{"ZUNIONSTORE", "d", "2", "a", "b"}, true, {"d", "a", "b"}},
      {{"BITOP", "AND", "d", "a", "b"}, true, {"d", "a", "b"}},
      {{"OBJECT", "ENCODING", "a"}, false, {"a"}},
      {{"XGROUP", "CREATE", "s", "g", "$"}, true, {"s"}},
      {{"XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"},
       false,
       {"s1", "s2"}},
      {{"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}, true, {"s"}},
      {{"SORT", "a", "LIMIT", "0", "5"}, false, {"a"}},
      {{"SORT", "a", "STORE", "d"}, true, {"a", "d"}},
      {{"GEORADIUS", "g", "0", "0", "1", "km", "STORE", "d"},
       true,
       {"g", "d"}},
      {{"MIGRATE", "h", "1", "", "0", "100", "KEYS", "a", "b"},
       true,
       {"a", "b"}},
      {{"MIGRATE", "h", "1", "a", "0", "100"}, true, {"a"}},
      {{"PING"}, false, {}},
      {{"SPUBLISH", "ch", "m"}, false, {"ch"}},
  };
  for (const Case& c : cases) {
    const Found f = Find(c.args);
    EXPECT_TRUE(f.known) << c.args[0];
    EXPECT_EQ(f.writes, c.writes) << c.args[0];
    EXPECT_EQ(f.keys, c.keys) << c.args[0];
    EXPECT_FALSE(f.all_keys) << c.args[0];
  }
}

TEST(CommandKeysTest, FlushesTouchEveryKey) {
  for (const char* name : {"FLUSHALL", "flushdb"}) {
    const Found f = Find({name});
    EXPECT_TRUE(f.known);
    EXPECT_TRUE(f.writes);
    EXPECT_TRUE(f.all_keys);
  }
  EXPECT_TRUE(Find({"SWAPDB", "0", "1"}).all_keys);
}

TEST(CommandKeysTest, UnknownOrMalformedIsNotKnown) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {},
           {"NOSUCHCOMMAND", "a"},
           {"MODULE.WRITE", "a"},
           {"GET"},
           {"MSET", "a"},
           {"MSET", "a", "1", "b"},
           {"EVAL", "s", "3", "a"},
           {"EVAL", "s", "x", "a"},
           {"ZUNION", "-1", "a"},
           {"XREAD", "STREAMS", "s"},
           {"XREAD", "COUNT", "1"},
           {std::string(40, 'A'), "a"}}) {
    const Found f = Find(args);
    EXPECT_FALSE(f.known) << (args.empty() ? "<empty>" : args[0]);
    EXPECT_FALSE(f.writes);
    EXPECT_TRUE(f.keys.empty());
  }
}

}  // namespace
}  // namespace valkey
