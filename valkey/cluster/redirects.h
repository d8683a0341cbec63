// CommandRedirects: what a cluster client does next with one command after
// each node's answer — deliver it, follow MOVED or ASK, wait and resend, or
// route again by a refreshed map — with a bounded number of redirects. The
// blocking and the async cluster clients drive the same rules; only how
// they send and wait differs.
//
//   CommandRedirects redirects(options.max_redirects);
//   NodeAddress node = ...chosen by RouteCommand + ChooseNode...;
//   bool asking = false;
//   for (;;) {
//     absl::StatusOr<Reply> reply = Send(node, asking, args);
//     NextStep step = redirects.Next(StatusOf(reply), node, topology);
//     if (step.kind == NextStep::kDone) return step.status.ok() ? reply
//                                                               : step.status;
//     Sleep(step.delay);
//     if (step.kind == NextStep::kReroute) node = ...route again...;
//     else { node = step.node; asking = step.asking; }
//   }
//
// Rules (redirect.h's ActionFor decides the class of each outcome):
//   - OK, or an error reply that is the command's answer: done.
//   - MOVED: the map learns the slot's new primary (Topology::ApplyMoved,
//     which also wants a refresh), resend there.
//   - ASK: resend to the target, preceded by ASKING; the map is unchanged.
//   - TRYAGAIN, LOADING: resend to the same node after a delay.
//   - CLUSTERDOWN, READONLY, MASTERDOWN (the node did not run the command,
//     and the map is stale): the node is marked, a refresh is wanted, and
//     the command is routed again after a delay.
//   - A connection error: the node is marked and a refresh wanted, and the
//     error is delivered. Whether to send again is the client's retry
//     policy's decision (the command may have run), as for a single server.
//   - Time-outs, TLS, protocol and argument errors: delivered.
// Each MOVED/ASK/delayed resend counts as one redirect; past
// `max_redirects` the last error is delivered, annotated with the count.
// Delays grow 50, 100, 200, 400 ms, then stay at 500 ms: five redirects
// ride out about 1.25 s of CLUSTERDOWN, the time a cluster with a 1 s
// node time-out takes to elect a new primary after a failure is noticed.
//
// Thread-safety: one CommandRedirects per command, used by one thread (or
// the loop) at a time.

#ifndef VALKEY_CLUSTER_REDIRECTS_H_
#define VALKEY_CLUSTER_REDIRECTS_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "valkey/cluster/slot_map.h"
#include "valkey/cluster/topology.h"

namespace valkey {
namespace cluster {

struct NextStep {
  enum Kind {
    kDone,     // Deliver: `status` (OK: the node's reply is the answer).
    kSendTo,   // After `delay`, send to `node` (preceded by ASKING if asking).
    kReroute,  // After `delay`, route the command again by the current map.
  };
  Kind kind = kDone;
  absl::Status status;
  NodeAddress node;
  bool asking = false;
  absl::Duration delay = absl::ZeroDuration();
};

class CommandRedirects {
 public:
  // Default redirect budget: as redis-plus-plus and libvalkey (5).
  static constexpr int kDefaultMaxRedirects = 5;

  explicit CommandRedirects(int max_redirects = kDefaultMaxRedirects)
      : max_redirects_(max_redirects) {}

  // `outcome`: OK, or the status the attempt on `node` ended with (a server
  // error reply turned into a status, or a client-side error).
  NextStep Next(const absl::Status& outcome, const NodeAddress& node,
                Topology& topology);

  // Redirects used so far.
  int redirects() const { return used_; }

  // The delay before the n-th delayed resend (n from 0).
  static absl::Duration DelayFor(int n);

 private:
  NextStep GiveUp(const absl::Status& outcome) const;

  const int max_redirects_;
  int used_ = 0;
  int delayed_ = 0;
};

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_REDIRECTS_H_
