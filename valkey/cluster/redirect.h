// Cluster redirects (MOVED / ASK) and what a cluster client should do about
// each error a node returns.
//
// A node that does not serve a key's slot answers with an error reply:
//
//   -MOVED 3999 127.0.0.1:6381   the slot now lives there: update the slot
//                                map and resend there
//   -ASK 3999 127.0.0.1:6381     the slot is migrating and this key is
//                                already there: send ASKING then the command
//                                to that node, once; do not update the map
//
// This library turns an error reply into an absl::Status with
// valkey::ServerError (errors.h), which keeps the server's text whole as the
// message — "MOVED 3999 127.0.0.1:6381", prefix included — with code
// UNKNOWN and ErrorKind kMoved / kAsk. Annotate() may later prepend context
// ("GET: MOVED 3999 ..."); RedirectFromStatus copes with that.
//
//   absl::Status s = reply.ToStatus();
//   switch (ActionFor(s)) {
//     case ClusterErrorAction::kFollowMoved: {
//       Redirect r = *RedirectFromStatus(s);
//       if (r.to.host.empty()) r.to.host = answering_node.host;
//       map.SetSlotPrimary(r.slot, r.to);  // and schedule a refresh
//       ...
//     }
//     ...
//   }
//
// Thread-safety: pure functions.

#ifndef VALKEY_CLUSTER_REDIRECT_H_
#define VALKEY_CLUSTER_REDIRECT_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "valkey/cluster/slot_map.h"

namespace valkey {
namespace cluster {

struct Redirect {
  enum Kind { kMoved, kAsk };
  Kind kind = kMoved;
  // The slot the command's keys hash to, in [0, kNumSlots).
  int slot = 0;
  // The node to go to; only host and port are set. `to.host` is EMPTY for
  // the form "MOVED 3999 :6380", which servers send when the target does not
  // know its own address (cluster-announce-ip unset behind NAT, or
  // endpoint type "unknown-endpoint"): it means "the host of the node that
  // sent this redirect", which only the caller knows — substitute it before
  // using the address (SlotMap::SetSlotPrimary rejects an empty host).
  // IPv6 hosts are bare ("::1"), never bracketed.
  NodeAddress to;

  bool operator==(const Redirect& other) const = default;
};

// Parses the text of a MOVED or ASK error reply (without the leading '-'):
// "MOVED <slot> <host>:<port>" or "ASK <slot> <host>:<port>". The host is
// everything before the LAST colon, so IPv6 literals work unbracketed
// ("MOVED 1 ::1:6380" is host "::1", port 6380); a bracketed "[::1]:6380"
// is also accepted and unbracketed. Trailing whitespace (CRLF) is ignored.
// nullopt for anything else: another error, a slot outside [0, 16383], a
// port outside 1..65535, missing or extra fields.
[[nodiscard]] std::optional<Redirect> ParseRedirect(
    absl::string_view error_text);

// The redirect a status carries: one built by valkey::ServerError from a
// MOVED/ASK reply (ErrorKind kMoved / kAsk), possibly Annotate()d.
//   - NOT_FOUND if the status's kind is not kMoved/kAsk (including OK);
//   - DATA_LOSS (kind kProtocol) if it is, but its text does not parse.
absl::StatusOr<Redirect> RedirectFromStatus(const absl::Status& status);

// What a cluster client should do with the outcome of one command sent to
// one node.
enum class ClusterErrorAction {
  // OK, or an error reply that is the command's answer (WRONGTYPE, NOSCRIPT,
  // a plain ERR, ...): deliver it.
  kNone,
  // MOVED: apply SetSlotPrimary(slot, to) to the map, resend to `to`, and
  // schedule a topology refresh (the move is rarely alone: a failover or a
  // resharding moved many slots). libvalkey, redis-plus-plus and glide all
  // follow MOVED and refresh.
  kFollowMoved,
  // ASK: resend once to `to` preceded by ASKING on the same connection;
  // leave the map alone (the slot is still the source's until migration
  // ends). Same in all three clients.
  kFollowAsk,
  // TRYAGAIN (a multi-key command during a slot migration whose keys are
  // split between source and target), or LOADING (a node restarting loads
  // its data): resend to the same node after a short delay; the topology is
  // fine. redis-plus-plus and glide retry TRYAGAIN after a delay.
  kRetryAfterDelay,
  // CLUSTERDOWN (the cluster lost a slot's owner, or the node is not yet
  // part of a healthy cluster), READONLY (a write reached a node that a
  // failover demoted to replica), MASTERDOWN, or a connection error to the
  // node (refused, reset, EOF: typically a node that died or failed over):
  // the map is stale. Refresh the topology, then resend, with backoff and a
  // bounded number of attempts. Resending after a connection error is only
  // safe if the command may run twice: the client's retry policy decides.
  kRefreshAndRetry,
  // A client-side failure: time-outs (the command may have run; the
  // client's retry policy decides, not the cluster layer), TLS failures
  // (a certificate problem does not heal by retrying), protocol errors,
  // invalid arguments (including RouteCommand's CROSSSLOT refusal): return
  // the status to the user.
  kFail,
};

// "None", "FollowMoved", "FollowAsk", "RetryAfterDelay", "RefreshAndRetry",
// "Fail".
absl::string_view ClusterErrorActionName(ClusterErrorAction action);

// Classifies `status` (OK → kNone) by its ErrorKind, per the comments on
// ClusterErrorAction:
//   kMoved → kFollowMoved, kAsk → kFollowAsk (each only if
//     RedirectFromStatus parses it; an unparsable one → kRefreshAndRetry,
//     since the server did say the map is wrong);
//   kTryAgain, kBusyLoading → kRetryAfterDelay;
//   kClusterDown, kReadOnly, kMasterDown, kConnection → kRefreshAndRetry;
//   any other server error reply (IsServerError: WRONGTYPE, NOSCRIPT, a
//     server's CROSSSLOT, BUSY, ...) → kNone: it is the command's answer,
//     and another node would answer the same;
//   everything else (kTimeout, kTls, kProtocol, kInvalidArgument, a status
//     without a kind, ...) → kFail.
[[nodiscard]] ClusterErrorAction ActionFor(const absl::Status& status);

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_REDIRECT_H_
