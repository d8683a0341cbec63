// SplitBySlot: how a cluster client runs a multi-key command whose keys hash
// to several slots (ClusterOptions::split_multi_key), without doing any I/O.
//
// PlanSplit turns MGET/MSET/DEL/EXISTS/UNLINK/TOUCH into one sub-command per
// slot. Per slot, not per node: the server checks CROSSSLOT for each command,
// so keys of two slots cannot share a sub-command even when one node serves
// both. Keys keep their first-seen order inside each part; a repeated key
// stays repeated (EXISTS k k counts 2, as on one server).
//
// MergeSplit puts the parts' replies back together as one server would have
// answered, in the caller's key order:
//   MGET                          the values, in the order of the keys
//   DEL, EXISTS, UNLINK, TOUCH    the sum of the parts' integers
//   MSET                          OK once every part said OK
// Any part's failure (a status, or an error reply) is the answer, annotated
// with the command, the slot and the node that failed. The split is not
// atomic: parts that ran before a failing one have taken effect.
//
// Both cluster clients drive it: the blocking one runs the parts one after
// another, the async one sends them all at once.
//
// Thread-safety: pure functions; a SplitPlan is a value. Its CommandArgs
// view the caller's argument bytes, which must outlive the plan.

#ifndef VALKEY_CLUSTER_SPLIT_BY_SLOT_H_
#define VALKEY_CLUSTER_SPLIT_BY_SLOT_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/cluster/combine_replies.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace cluster {

// True for the commands PlanSplit knows; `upper` is the command name in
// upper case.
bool IsSplittable(absl::string_view upper);

struct SlotPart {
  int slot = 0;
  std::vector<CommandArg> args;  // The sub-command: name, then its keys.
  std::vector<size_t> positions;  // Each key's index among the caller's keys.
};

struct SplitPlan {
  enum class Merge { kValues, kSum, kAllOk };
  std::string name;  // Upper case.
  Merge merge = Merge::kSum;
  size_t keys = 0;  // Keys in the caller's command.
  bool read_only = false;  // May go to a replica (MGET, EXISTS).
  std::vector<SlotPart> parts;  // In order of each slot's first key.
};

// Returns the plan for `args` (even if every key is in one slot: then it has
// one part). INVALID_ARGUMENT if the command is not splittable or has the
// wrong number of arguments (MSET: an odd count of keys and values).
absl::StatusOr<SplitPlan> PlanSplit(absl::Span<const CommandArg> args);

// `replies[i]` is the outcome of `plan.parts[i]` and the node that gave it;
// the function moves out of them. Returns the merged reply; a part's failure
// as described above; DATA_LOSS (kProtocol) if a part's reply has the wrong
// shape (e.g. MGET values not matching its key count).
absl::StatusOr<Reply> MergeSplit(const SplitPlan& plan,
                                 std::vector<NodeReply>& replies);

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_SPLIT_BY_SLOT_H_
