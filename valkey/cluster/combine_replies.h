// CombineReplies: one answer for a command a cluster client sent to several
// nodes (RouteCommand's kAllPrimaries / kAllNodes), as if one server had
// answered. Shared by the blocking and the async cluster clients.
//
//   DBSIZE, PUBSUB NUMPAT            the sum of the integers
//   KEYS                             every node's keys, concatenated
//   PUBSUB CHANNELS|SHARDCHANNELS    the union of the names
//   PUBSUB NUMSUB|SHARDNUMSUB        per channel, the sum of the counts
//   RANDOMKEY                        the first non-nil key (nil if none)
//   WAIT                             the smallest count: "at least this
//                                    many replicas acknowledged, everywhere"
//   SCRIPT EXISTS                    per SHA1, 1 only if every node has it
//   anything else (FLUSHALL, SCRIPT LOAD, CONFIG SET, FUNCTION LOAD, ...)
//                                    the first node's reply, once every
//                                    node succeeded
// Any node's error (a status, or an error reply) is the answer, annotated
// with that node's address: a broadcast that failed somewhere failed. A
// reply of an unexpected shape is DATA_LOSS (kProtocol) naming the node.
//
// Thread-safety: a pure function.

#ifndef VALKEY_CLUSTER_COMBINE_REPLIES_H_
#define VALKEY_CLUSTER_COMBINE_REPLIES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace cluster {

// One node's outcome: its "host:port" and its reply (or failure).
struct NodeReply {
  std::string node;
  absl::StatusOr<Reply> reply;
};

// `args` is the command that was broadcast; `replies` holds at least one
// entry (the function moves replies out of it).
absl::StatusOr<Reply> CombineReplies(absl::Span<const CommandArg> args,
                                     std::vector<NodeReply>& replies);

// The one place the cluster clients build a synthesized reply: `resp` holds
// exactly one complete RESP value (e.g. ":3\r\n"). Reply has no builder, so
// this reads it back; the cost is one parse of a reply the client made up,
// off the single-slot path. INTERNAL if `resp` is incomplete.
absl::StatusOr<Reply> ReplyFromResp(absl::string_view resp);

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_COMBINE_REPLIES_H_
