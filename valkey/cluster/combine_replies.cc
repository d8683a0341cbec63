#include "valkey/cluster/combine_replies.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "valkey/common/errors.h"
#include "valkey/common/resp_reader.h"

namespace valkey {
namespace cluster {
namespace {

enum class Rule {
  kSum,
  kConcat,
  kUnion,
  kNumSub,
  kFirstNonNull,
  kMin,
  kAllHave,
  kFirst,
};

Rule RuleFor(absl::Span<const CommandArg> args) {
  const std::string name = absl::AsciiStrToUpper(args[0].view());
  const std::string sub =
      args.size() > 1 ? absl::AsciiStrToUpper(args[1].view()) : "";
  if (name == "DBSIZE") return Rule::kSum;
  if (name == "KEYS") return Rule::kConcat;
  if (name == "RANDOMKEY") return Rule::kFirstNonNull;
  if (name == "WAIT") return Rule::kMin;
  if (name == "SCRIPT" && sub == "EXISTS") return Rule::kAllHave;
  if (name == "PUBSUB") {
    if (sub == "NUMPAT") return Rule::kSum;
    if (sub == "CHANNELS" || sub == "SHARDCHANNELS") return Rule::kUnion;
    if (sub == "NUMSUB" || sub == "SHARDNUMSUB") return Rule::kNumSub;
  }
  return Rule::kFirst;
}

void AppendBulk(absl::string_view s, std::string& out) {
  absl::StrAppend(&out, "$", s.size(), "\r\n", s, "\r\n");
}

absl::Status Unexpected(const NodeReply& r, absl::string_view what) {
  return ProtocolError(absl::StrCat("cluster: reply from ", r.node,
                                    " is not ", what, ", got ",
                                    ReplyTypeName(r.reply->type())));
}

bool IsList(const Reply& reply) {
  return reply.type() == ReplyType::kArray || reply.type() == ReplyType::kSet;
}

}  // namespace

absl::StatusOr<Reply> ReplyFromResp(absl::string_view resp) {
  RespReader reader;
  reader.Feed(resp);
  absl::StatusOr<std::optional<Reply>> reply = reader.Next();
  if (!reply.ok()) return reply.status();
  if (!reply->has_value()) {
    return absl::InternalError("cluster: combined reply is incomplete");
  }
  return **std::move(reply);
}

absl::StatusOr<Reply> CombineReplies(absl::Span<const CommandArg> args,
                                     std::vector<NodeReply>& replies) {
  if (args.empty() || replies.empty()) {
    return InvalidArgumentError("cluster: nothing to combine");
  }
  for (NodeReply& r : replies) {
    if (!r.reply.ok()) return Annotate(r.reply.status(), r.node);
    if (r.reply->is_error()) return Annotate(r.reply->ToStatus(), r.node);
  }
  std::string out;
  switch (RuleFor(args)) {
    case Rule::kFirst:
      return std::move(replies.front().reply);

    case Rule::kSum:
    case Rule::kMin: {
      const bool sum = RuleFor(args) == Rule::kSum;
      int64_t total = sum ? 0 : INT64_MAX;
      for (const NodeReply& r : replies) {
        if (r.reply->type() != ReplyType::kInteger) {
          return Unexpected(r, "an integer");
        }
        total = sum ? total + r.reply->integer()
                    : std::min(total, r.reply->integer());
      }
      return ReplyFromResp(absl::StrCat(":", total, "\r\n"));
    }

    case Rule::kFirstNonNull:
      for (NodeReply& r : replies) {
        if (!r.reply->is_null()) return std::move(r.reply);
      }
      return std::move(replies.front().reply);

    case Rule::kConcat:
    case Rule::kUnion: {
      const bool unique = RuleFor(args) == Rule::kUnion;
      absl::flat_hash_set<absl::string_view> seen;
      std::string items;
      size_t n = 0;
      for (const NodeReply& r : replies) {
        if (!IsList(*r.reply)) return Unexpected(r, "an array");
        for (ReplyView e : r.reply->view()) {
          if (unique && !seen.insert(e.str()).second) continue;
          AppendBulk(e.str(), items);
          ++n;
        }
      }
      return ReplyFromResp(absl::StrCat("*", n, "\r\n", items));
    }

    case Rule::kNumSub: {
      // [channel, count, channel, count, ...] (a map under RESP3).
      std::vector<absl::string_view> order;
      absl::flat_hash_map<absl::string_view, int64_t> counts;
      for (const NodeReply& r : replies) {
        const ReplyView v = r.reply->view();
        if (!v.is_aggregate()) return Unexpected(r, "an array or map");
        for (size_t i = 0; i + 1 < v.num_children(); i += 2) {
          const absl::string_view channel = v.child(i).str();
          auto [it, added] = counts.try_emplace(channel, 0);
          if (added) order.push_back(channel);
          it->second += v.child(i + 1).integer();
        }
      }
      absl::StrAppend(&out, "*", 2 * order.size(), "\r\n");
      for (absl::string_view channel : order) {
        AppendBulk(channel, out);
        absl::StrAppend(&out, ":", counts[channel], "\r\n");
      }
      return ReplyFromResp(out);
    }

    case Rule::kAllHave: {
      const NodeReply& first = replies.front();
      if (!IsList(*first.reply)) return Unexpected(first, "an array");
      const size_t n = first.reply->size();
      std::vector<bool> all(n, true);
      for (const NodeReply& r : replies) {
        if (!IsList(*r.reply) || r.reply->size() != n) {
          return Unexpected(r, absl::StrCat("an array of ", n));
        }
        size_t i = 0;
        for (ReplyView e : r.reply->view()) {
          if (e.integer() == 0) all[i] = false;
          ++i;
        }
      }
      absl::StrAppend(&out, "*", n, "\r\n");
      for (bool b : all) absl::StrAppend(&out, ":", b ? 1 : 0, "\r\n");
      return ReplyFromResp(out);
    }
  }
  return std::move(replies.front().reply);
}

}  // namespace cluster
}  // namespace valkey
