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
      // Valkey 8.0 commands the typed families send.
      {{"LMOVE", "a", "b", "LEFT", "RIGHT"}, true, {"a", "b"}},
      {{"BLMOVE", "a", "b", "LEFT", "RIGHT", "0"}, true, {"a", "b"}},
      {{"LMPOP", "2", "a", "b", "LEFT", "COUNT", "2"}, true, {"a", "b"}},
      {{"BZMPOP", "0", "1", "z", "MIN"}, true, {"z"}},
      {{"BZPOPMIN", "a", "b", "0"}, true, {"a", "b"}},
      {{"ZRANGESTORE", "d", "s", "0", "-1"}, true, {"d", "s"}},
      {{"ZINTERCARD", "2", "a", "b", "LIMIT", "3"}, false, {"a", "b"}},
      {{"SINTERCARD", "1", "a"}, false, {"a"}},
      {{"SINTERSTORE", "d", "a", "b"}, true, {"d", "a", "b"}},
      {{"SMOVE", "a", "b", "m"}, true, {"a", "b"}},
      {{"COPY", "a", "b", "REPLACE"}, true, {"a", "b"}},
      {{"GEOSEARCHSTORE", "d", "s", "FROMMEMBER", "m", "BYRADIUS", "1", "m"},
       true,
       {"d", "s"}},
      {{"GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYBOX", "1", "1", "km"},
       false,
       {"g"}},
      {{"PFMERGE", "d", "a", "b"}, true, {"d", "a", "b"}},
      {{"PFCOUNT", "a", "b"}, false, {"a", "b"}},
      {{"BITFIELD_RO", "b", "GET", "u8", "0"}, false, {"b"}},
      {{"FCALL", "f", "1", "a", "x"}, true, {"a"}},
      {{"FCALL_RO", "f", "0"}, false, {}},
      {{"FUNCTION", "LIST"}, false, {}},
      {{"XINFO", "STREAM", "s"}, false, {"s"}},
      {{"XPENDING", "s", "g", "-", "+", "10"}, false, {"s"}},
      {{"XAUTOCLAIM", "s", "g", "c", "0", "0-0"}, true, {"s"}},
      {{"SORT_RO", "a", "ALPHA"}, false, {"a"}},
      {{"TOUCH", "a", "b"}, false, {"a", "b"}},
      {{"LCS", "a", "b", "IDX"}, false, {"a", "b"}},
      {{"WAITAOF", "0", "0", "100"}, false, {}},
      // Valkey 9.
      {{"DELIFEQ", "a", "v"}, true, {"a"}},
      {{"HSETEX", "h", "EX", "5", "FIELDS", "1", "f", "v"}, true, {"h"}},
      {{"HGETEX", "h", "PERSIST", "FIELDS", "1", "f"}, true, {"h"}},
      {{"HGETDEL", "h", "FIELDS", "1", "f"}, true, {"h"}},
      {{"HEXPIRE", "h", "5", "FIELDS", "1", "f"}, true, {"h"}},
      {{"HPERSIST", "h", "FIELDS", "1", "f"}, true, {"h"}},
      {{"HTTL", "h", "FIELDS", "1", "f"}, false, {"h"}},
      {{"HPEXPIRETIME", "h", "FIELDS", "1", "f"}, false, {"h"}},
      {{"MSETEX", "2", "a", "1", "b", "2", "EX", "5"}, true, {"a", "b"}},
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
           {"MSETEX", "2", "a", "1"},
           {"MSETEX", "0"},
           {"MSETEX", "x", "a", "1"},
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
