#include "valkey/common/command_keys.h"

#include <cstddef>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace valkey {
namespace {

// Where a command's keys sit among its arguments (args[0] is the name).
enum class Layout : uint8_t {
  kNone,         // No keys.
  kFirst,        // CMD key ...
  kAll,          // CMD key [key ...]
  kPairs,        // CMD key value [key value ...]
  kFirstTwo,     // CMD key1 key2 ...
  kAllButLast,   // CMD key [key ...] timeout|path
  kNumKeys1,     // CMD numkeys key [key ...] ...
  kNumKeysPairs, // CMD numkeys key value [key value ...] ...  (MSETEX)
  kNumKeys2,     // CMD x numkeys key [key ...] ...  (EVAL, BLMPOP)
  kDestNumKeys,  // CMD dest numkeys key [key ...] ...
  kFromSecond,   // CMD op dest key [key ...]  (BITOP)
  kSecond,       // CMD subcommand key ...  (OBJECT, XINFO, XGROUP, MEMORY)
  kStreams,      // ... STREAMS key [key ...] id [id ...]
  kStore,        // CMD key ... [STORE dest] [STOREDIST dest]  (SORT, GEORADIUS)
  kMigrate,      // MIGRATE host port key|"" db timeout ... [KEYS key ...]
  kFlushAll,     // Every key (FLUSHALL, FLUSHDB, SWAPDB).
};

enum Access : uint8_t { kRead = 0, kWrite = 1 };

struct Spec {
  Layout layout;
  Access access;
};

using Table = absl::flat_hash_map<absl::string_view, Spec>;

const Table& Commands() {
  static const Table* const table = [] {
    auto* t = new Table;
    auto add = [t](Layout layout, Access access,
                   std::initializer_list<absl::string_view> names) {
      for (absl::string_view n : names) (*t)[n] = Spec{layout, access};
    };
    // Reads of one key.
    add(Layout::kFirst, kRead,
        {"BITCOUNT",  "BITFIELD_RO", "BITPOS",        "DUMP",
         "EXPIRETIME", "GEODIST",    "GEOHASH",       "GEOPOS",
         "GEORADIUSBYMEMBER_RO", "GEORADIUS_RO", "GEOSEARCH", "GET",
         "GETBIT",    "GETRANGE",    "HEXISTS",       "HGET",
         "HGETALL",   "HKEYS",       "HLEN",          "HMGET",
         "HRANDFIELD", "HSCAN",      "HSTRLEN",       "HVALS",
         "LINDEX",    "LLEN",        "LPOS",          "LRANGE",
         "PEXPIRETIME", "PTTL",      "SCARD",         "SISMEMBER",
         "SMEMBERS",  "SMISMEMBER",  "SORT_RO",       "SRANDMEMBER",
         "SSCAN",     "STRLEN",      "SUBSTR",        "TTL",
         "TYPE",      "XLEN",        "XPENDING",      "XRANGE",
         "XREVRANGE", "ZCARD",       "ZCOUNT",        "ZLEXCOUNT",
         "ZMSCORE",   "ZRANDMEMBER", "ZRANGE",        "ZRANGEBYLEX",
         "ZRANGEBYSCORE", "ZRANK",   "ZREVRANGE",     "ZREVRANGEBYLEX",
         "ZREVRANGEBYSCORE", "ZREVRANK", "ZSCAN",     "ZSCORE",
         "JSON.ARRINDEX", "JSON.ARRLEN", "JSON.GET",  "JSON.OBJKEYS",
         "JSON.OBJLEN", "JSON.RESP", "JSON.STRLEN",   "JSON.TYPE",
         "TS.GET",    "TS.INFO",     "TS.RANGE",      "TS.REVRANGE",
         // Sharded pub/sub channels route like keys.
         "SPUBLISH"});
    // Writes of one key.
    add(Layout::kFirst, kWrite,
        {"APPEND",   "BITFIELD", "DECR",      "DECRBY",    "EXPIRE",
         "EXPIREAT", "GEOADD",   "GETDEL",    "GETEX",     "GETSET",
         "HDEL",     "HINCRBY",  "HINCRBYFLOAT", "HMSET",  "HSET",
         "HSETNX",   "INCR",     "INCRBY",    "INCRBYFLOAT", "LINSERT",
         "LPOP",     "LPUSH",    "LPUSHX",    "LREM",      "LSET",
         "LTRIM",    "MOVE",     "PERSIST",   "PEXPIRE",   "PEXPIREAT",
         "PFADD",    "PSETEX",   "RESTORE",   "RPOP",      "RPUSH",
         "RPUSHX",   "SADD",     "SET",       "SETBIT",    "SETEX",
         "SETNX",    "SETRANGE", "SPOP",      "SREM",      "XACK",
         "XADD",     "XAUTOCLAIM", "XCLAIM",  "XDEL",      "XSETID",
         "XTRIM",    "ZADD",     "ZINCRBY",   "ZPOPMAX",   "ZPOPMIN",
         "ZREM",     "ZREMRANGEBYLEX", "ZREMRANGEBYRANK",
         "ZREMRANGEBYSCORE",
         // Valkey 9: conditional delete and hash field expiry.
         "DELIFEQ",  "HSETEX",   "HGETEX",    "HGETDEL",   "HEXPIRE",
         "HPEXPIRE", "HEXPIREAT", "HPEXPIREAT", "HPERSIST"});
    add(Layout::kFirst, kRead,
        {"HTTL", "HPTTL", "HEXPIRETIME", "HPEXPIRETIME"});
    add(Layout::kAll, kRead,
        {"EXISTS", "MGET", "PFCOUNT", "SDIFF", "SINTER", "SUNION", "TOUCH",
         "WATCH"});
    add(Layout::kAll, kWrite,
        {"DEL", "UNLINK", "PFMERGE", "SDIFFSTORE", "SINTERSTORE",
         "SUNIONSTORE"});
    add(Layout::kPairs, kWrite, {"MSET", "MSETNX"});
    add(Layout::kFirstTwo, kRead, {"LCS"});
    add(Layout::kFirstTwo, kWrite,
        {"BLMOVE", "BRPOPLPUSH", "COPY", "GEOSEARCHSTORE", "LMOVE", "RENAME",
         "RENAMENX", "RPOPLPUSH", "SMOVE", "ZRANGESTORE"});
    add(Layout::kAllButLast, kRead, {"JSON.MGET"});
    add(Layout::kAllButLast, kWrite,
        {"BLPOP", "BRPOP", "BZPOPMAX", "BZPOPMIN"});
    add(Layout::kNumKeys1, kRead,
        {"SINTERCARD", "ZDIFF", "ZINTER", "ZINTERCARD", "ZUNION"});
    add(Layout::kNumKeys1, kWrite, {"LMPOP", "ZMPOP"});
    add(Layout::kNumKeysPairs, kWrite, {"MSETEX"});
    add(Layout::kNumKeys2, kRead, {"EVAL_RO", "EVALSHA_RO", "FCALL_RO"});
    add(Layout::kNumKeys2, kWrite,
        {"EVAL", "EVALSHA", "FCALL", "BLMPOP", "BZMPOP"});
    add(Layout::kDestNumKeys, kWrite,
        {"ZDIFFSTORE", "ZINTERSTORE", "ZUNIONSTORE"});
    add(Layout::kFromSecond, kWrite, {"BITOP"});
    add(Layout::kSecond, kRead, {"OBJECT", "XINFO", "MEMORY"});
    add(Layout::kSecond, kWrite, {"XGROUP"});
    add(Layout::kStreams, kRead, {"XREAD"});
    add(Layout::kStreams, kWrite, {"XREADGROUP"});
    add(Layout::kStore, kRead, {"SORT", "GEORADIUS", "GEORADIUSBYMEMBER"});
    add(Layout::kMigrate, kWrite, {"MIGRATE"});
    add(Layout::kFlushAll, kWrite, {"FLUSHALL", "FLUSHDB", "SWAPDB"});
    add(Layout::kNone, kRead,
        {"ACL",      "ASKING",   "AUTH",      "BGREWRITEAOF", "BGSAVE",
         "CLIENT",   "CLUSTER",  "COMMAND",   "CONFIG",   "DBSIZE",
         "DEBUG",    "DISCARD",  "ECHO",      "EXEC",     "FUNCTION",
         "HELLO",    "INFO",     "KEYS",      "LASTSAVE", "LATENCY",
         "LOLWUT",   "MULTI",    "PING",      "PUBLISH",  "PUBSUB",
         "QUIT",     "RANDOMKEY", "READONLY", "READWRITE", "ROLE",
         "SAVE",     "SCAN",     "SCRIPT",    "SELECT",   "SLOWLOG",
         "TIME",     "UNWATCH",  "WAIT",      "WAITAOF"});
    return t;
  }();
  return *table;
}

void AddRange(absl::Span<const CommandArg> args, size_t from, size_t to,
              size_t step, CommandKeys& out) {
  for (size_t i = from; i < to; i += step) out.keys.push_back(args[i].view());
}

// `count` keys after the numkeys argument at `at`; false if malformed.
bool AddNumKeys(absl::Span<const CommandArg> args, size_t at,
                CommandKeys& out) {
  uint64_t count = 0;
  if (at >= args.size() || !absl::SimpleAtoi(args[at].view(), &count) ||
      count > args.size() - at - 1) {
    return false;
  }
  AddRange(args, at + 1, at + 1 + count, 1, out);
  return true;
}

bool Fill(Layout layout, absl::Span<const CommandArg> args,
          CommandKeys& out) {
  const size_t n = args.size();
  switch (layout) {
    case Layout::kNone:
    case Layout::kFlushAll:
      return true;
    case Layout::kFirst:
      if (n < 2) return false;
      AddRange(args, 1, 2, 1, out);
      return true;
    case Layout::kAll:
      if (n < 2) return false;
      AddRange(args, 1, n, 1, out);
      return true;
    case Layout::kPairs:
      if (n < 3 || n % 2 == 0) return false;
      AddRange(args, 1, n, 2, out);
      return true;
    case Layout::kFirstTwo:
      if (n < 3) return false;
      AddRange(args, 1, 3, 1, out);
      return true;
    case Layout::kAllButLast:
      if (n < 3) return false;
      AddRange(args, 1, n - 1, 1, out);
      return true;
    case Layout::kNumKeys1:
      return AddNumKeys(args, 1, out);
    case Layout::kNumKeysPairs: {
      uint64_t count = 0;
      if (n < 2 || !absl::SimpleAtoi(args[1].view(), &count) || count == 0 ||
          count > (n - 2) / 2) {
        return false;
      }
      AddRange(args, 2, 2 + 2 * count, 2, out);
      return true;
    }
    case Layout::kNumKeys2:
      return AddNumKeys(args, 2, out);
    case Layout::kDestNumKeys:
      if (n < 3) return false;
      AddRange(args, 1, 2, 1, out);
      return AddNumKeys(args, 2, out);
    case Layout::kFromSecond:
      if (n < 4) return false;
      AddRange(args, 2, n, 1, out);
      return true;
    case Layout::kSecond:
      // Subcommands without a key (XINFO HELP, MEMORY STATS, OBJECT HELP)
      // have no third argument.
      if (n >= 3) AddRange(args, 2, 3, 1, out);
      return true;
    case Layout::kStreams: {
      size_t i = 1;
      while (i < n && !absl::EqualsIgnoreCase(args[i].view(), "STREAMS")) ++i;
      const size_t rest = i < n ? n - i - 1 : 0;
      if (rest == 0 || rest % 2 != 0) return false;
      AddRange(args, i + 1, i + 1 + rest / 2, 1, out);
      return true;
    }
    case Layout::kStore:
      if (n < 2) return false;
      AddRange(args, 1, 2, 1, out);
      for (size_t i = 2; i + 1 < n; ++i) {
        const absl::string_view a = args[i].view();
        if (absl::EqualsIgnoreCase(a, "STORE") ||
            absl::EqualsIgnoreCase(a, "STOREDIST")) {
          out.writes = true;
          out.keys.push_back(args[++i].view());
        }
      }
      return true;
    case Layout::kMigrate: {
      if (n < 6) return false;
      if (!args[3].view().empty()) AddRange(args, 3, 4, 1, out);
      for (size_t i = 6; i < n; ++i) {
        if (absl::EqualsIgnoreCase(args[i].view(), "KEYS")) {
          AddRange(args, i + 1, n, 1, out);
          break;
        }
      }
      return true;
    }
  }
  return false;
}

}  // namespace

CommandKeys FindCommandKeys(absl::Span<const CommandArg> args) {
  CommandKeys out;
  if (args.empty()) return out;
  // Command names are short: upper-case on the stack.
  const absl::string_view name = args[0].view();
  char upper[32];
  if (name.size() > sizeof(upper)) return out;
  for (size_t i = 0; i < name.size(); ++i) {
    upper[i] = absl::ascii_toupper(static_cast<unsigned char>(name[i]));
  }
  const auto it = Commands().find(absl::string_view(upper, name.size()));
  if (it == Commands().end()) return out;
  const Spec spec = it->second;
  out.writes = spec.access == kWrite;
  out.all_keys = spec.layout == Layout::kFlushAll;
  if (!Fill(spec.layout, args, out)) {
    out.keys.clear();
    out.writes = false;
    return out;
  }
  out.known = true;
  return out;
}

}  // namespace valkey
