#include "valkey/common/options.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "valkey/common/errors.h"

namespace valkey {

std::string ConnectionOptions::Address() const {
  if (is_unix()) return unix_path;
  if (absl::StrContains(host, ':')) {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

const std::vector<std::string>& DefaultCacheAllowCommands() {
  static const auto* const kList = new std::vector<std::string>{
      "BITCOUNT",
      "BITFIELD_RO",
      "BITPOS",
      "EXISTS",
      "GEODIST",
      "GEOHASH",
      "GEOPOS",
      "GEORADIUSBYMEMBER_RO",
      "GEORADIUS_RO",
      "GEOSEARCH",
      "GET",
      "GETBIT",
      "GETRANGE",
      "HEXISTS",
      "HGET",
      "HGETALL",
      "HKEYS",
      "HLEN",
      "HMGET",
      "HSTRLEN",
      "HVALS",
      "JSON.ARRINDEX",
      "JSON.ARRLEN",
      "JSON.GET",
      "JSON.MGET",
      "JSON.OBJKEYS",
      "JSON.OBJLEN",
      "JSON.RESP",
      "JSON.STRLEN",
      "JSON.TYPE",
      "LCS",
      "LINDEX",
      "LLEN",
      "LPOS",
      "LRANGE",
      "MGET",
      "SCARD",
      "SDIFF",
      "SINTER",
      "SINTERCARD",
      "SISMEMBER",
      "SMEMBERS",
      "SMISMEMBER",
      "SORT_RO",
      "STRLEN",
      "SUBSTR",
      "SUNION",
      "TS.GET",
      "TS.INFO",
      "TS.RANGE",
      "TS.REVRANGE",
      "TYPE",
      "XLEN",
      "XPENDING",
      "XRANGE",
      "XREAD",
      "XREVRANGE",
      "ZCARD",
      "ZCOUNT",
      "ZDIFF",
      "ZINTER",
      "ZINTERCARD",
      "ZLEXCOUNT",
      "ZMSCORE",
      "ZRANGE",
      "ZRANGEBYLEX",
      "ZRANGEBYSCORE",
      "ZRANK",
      "ZREVRANGE",
      "ZREVRANGEBYLEX",
      "ZREVRANGEBYSCORE",
      "ZREVRANK",
      "ZSCORE",
      "ZUNION",
  };
  return *kList;
}

const std::vector<std::string>& DefaultCacheDenyCommands() {
  static const auto* const kList = new std::vector<std::string>{
      "BF.CARD",
      "BF.DEBUG",
      "BF.EXISTS",
      "BF.INFO",
      "BF.MEXISTS",
      "BF.SCANDUMP",
      "CF.COMPACT",
      "CF.COUNT",
      "CF.DEBUG",
      "CF.EXISTS",
      "CF.INFO",
      "CF.MEXISTS",
      "CF.SCANDUMP",
      "CMS.INFO",
      "CMS.QUERY",
      "DUMP",
      "EXPIRETIME",
      "FT.AGGREGATE",
      "FT.ALIASADD",
      "FT.ALIASDEL",
      "FT.ALIASUPDATE",
      "FT.CURSOR",
      "FT.EXPLAIN",
      "FT.EXPLAINCLI",
      "FT.GET",
      "FT.INFO",
      "FT.MGET",
      "FT.PROFILE",
      "FT.SEARCH",
      "FT.SPELLCHECK",
      "FT.SUGGET",
      "FT.SUGLEN",
      "FT.SYNDUMP",
      "FT.TAGVALS",
      "FT._ALIASADDIFNX",
      "FT._ALIASDELIFX",
      "HRANDFIELD",
      "JSON.DEBUG",
      "PEXPIRETIME",
      "PFCOUNT",
      "PTTL",
      "SRANDMEMBER",
      "TDIGEST.BYRANK",
      "TDIGEST.BYREVRANK",
      "TDIGEST.CDF",
      "TDIGEST.INFO",
      "TDIGEST.MAX",
      "TDIGEST.MIN",
      "TDIGEST.QUANTILE",
      "TDIGEST.RANK",
      "TDIGEST.REVRANK",
      "TDIGEST.TRIMMED_MEAN",
      "TOPK.INFO",
      "TOPK.LIST",
      "TOPK.QUERY",
      "TOUCH",
      "TTL",
  };
  return *kList;
}

absl::Status ValidateReaderLimits(const ReaderLimits& limits,
                                  absl::string_view field) {
  const std::pair<absl::string_view, uint64_t> bounds[] = {
      {"max_bulk_length", limits.max_bulk_length},
      {"max_elements", limits.max_elements},
      {"max_depth", limits.max_depth},
      {"max_reply_bytes", limits.max_reply_bytes},
      {"max_reply_elements", limits.max_reply_elements},
  };
  for (const auto& [name, value] : bounds) {
    if (value < 1) {
      return InvalidArgumentError(absl::StrCat(
          field, ".", name, ": ", value, " is not valid (must be >= 1)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace valkey
