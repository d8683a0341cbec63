#include "valkey/cluster/split_by_slot.h"

#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace cluster {

bool IsSplittable(absl::string_view upper) {
  return upper == "MGET" || upper == "MSET" || upper == "DEL" ||
         upper == "EXISTS" || upper == "UNLINK" || upper == "TOUCH";
}

absl::StatusOr<SplitPlan> PlanSplit(absl::Span<const CommandArg> args) {
  if (args.empty()) return InvalidArgumentError("cluster split: empty command");
  SplitPlan plan;
  plan.name = absl::AsciiStrToUpper(args[0].view());
  if (!IsSplittable(plan.name)) {
    return InvalidArgumentError(
        absl::StrCat(plan.name, ": not a command the cluster can split"));
  }
  const size_t step = plan.name == "MSET" ? 2 : 1;
  if (args.size() < 2 || (args.size() - 1) % step != 0) {
    return InvalidArgumentError(
        absl::StrCat(plan.name, ": wrong number of arguments"));
  }
  plan.merge = plan.name == "MGET"   ? SplitPlan::Merge::kValues
               : plan.name == "MSET" ? SplitPlan::Merge::kAllOk
                                     : SplitPlan::Merge::kSum;
  plan.read_only = plan.name == "MGET" || plan.name == "EXISTS";
  plan.keys = (args.size() - 1) / step;
  absl::flat_hash_map<int, size_t> part_of_slot;
  for (size_t i = 1, key = 0; i < args.size(); i += step, ++key) {
    const int slot = KeySlot(args[i].view());
    auto [it, added] = part_of_slot.try_emplace(slot, plan.parts.size());
    if (added) {
      plan.parts.push_back({slot, {args[0]}, {}});
    }
    SlotPart& part = plan.parts[it->second];
    for (size_t j = 0; j < step; ++j) part.args.push_back(args[i + j]);
    part.positions.push_back(key);
  }
  return plan;
}

absl::StatusOr<Reply> MergeSplit(const SplitPlan& plan,
                                 std::vector<NodeReply>& replies) {
  if (replies.size() != plan.parts.size()) {
    return absl::InternalError(absl::StrCat(
        plan.name, " split: ", plan.parts.size(), " parts but ",
        replies.size(), " replies"));
  }
  auto where = [&](size_t i) {
    return absl::StrCat(plan.name, " part for slot ", plan.parts[i].slot,
                        " on ", replies[i].node);
  };
  for (size_t i = 0; i < replies.size(); ++i) {
    if (!replies[i].reply.ok()) {
      return Annotate(replies[i].reply.status(), where(i));
    }
    if (replies[i].reply->is_error()) {
      return Annotate(replies[i].reply->ToStatus(), where(i));
    }
  }
  switch (plan.merge) {
    case SplitPlan::Merge::kAllOk:
      for (size_t i = 0; i < replies.size(); ++i) {
        if (replies[i].reply->str() != "OK") {
          return ProtocolError(absl::StrCat(where(i), ": expected OK, got ",
                                            ReplyTypeName(
                                                replies[i].reply->type())));
        }
      }
      return std::move(replies.front().reply);

    case SplitPlan::Merge::kSum: {
      int64_t sum = 0;
      for (size_t i = 0; i < replies.size(); ++i) {
        if (replies[i].reply->type() != ReplyType::kInteger) {
          return ProtocolError(absl::StrCat(
              where(i), ": expected an integer, got ",
              ReplyTypeName(replies[i].reply->type())));
        }
        sum += replies[i].reply->integer();
      }
      return ReplyFromResp(absl::StrCat(":", sum, "\r\n"));
    }

    case SplitPlan::Merge::kValues: {
      // Each value's place in the answer: (part, index within the part).
      std::vector<ReplyView> values(plan.keys);
      for (size_t i = 0; i < replies.size(); ++i) {
        const SlotPart& part = plan.parts[i];
        const Reply& reply = *replies[i].reply;
        if (reply.type() != ReplyType::kArray ||
            reply.size() != part.positions.size()) {
          return ProtocolError(absl::StrCat(
              where(i), ": expected ", part.positions.size(),
              " values, got ", ReplyTypeName(reply.type()), " of ",
              reply.size()));
        }
        size_t j = 0;
        for (ReplyView v : reply.view()) values[part.positions[j++]] = v;
      }
      std::string resp = absl::StrCat("*", plan.keys, "\r\n");
      for (const ReplyView& v : values) {
        if (v.is_null()) {
          resp.append("_\r\n");
        } else {
          absl::StrAppend(&resp, "$", v.str().size(), "\r\n", v.str(),
                          "\r\n");
        }
      }
      return ReplyFromResp(resp);
    }
  }
  return absl::InternalError("cluster split: unknown merge");
}

}  // namespace cluster
}  // namespace valkey
