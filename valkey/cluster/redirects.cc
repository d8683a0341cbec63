#include "valkey/cluster/redirects.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "valkey/cluster/redirect.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace cluster {

absl::Duration CommandRedirects::DelayFor(int n) {
  const int shift = std::min(n, 4);
  return std::min(absl::Milliseconds(50) * (1 << shift),
                  absl::Milliseconds(500));
}

NextStep CommandRedirects::GiveUp(const absl::Status& outcome) const {
  NextStep step;
  step.kind = NextStep::kDone;
  step.status = Annotate(
      outcome, absl::StrCat("cluster: gave up after ", used_,
                            used_ == 1 ? " redirect" : " redirects"));
  return step;
}

NextStep CommandRedirects::Next(const absl::Status& outcome,
                                const NodeAddress& node, Topology& topology) {
  NextStep step;
  switch (ActionFor(outcome)) {
    case ClusterErrorAction::kNone:
    case ClusterErrorAction::kFail:
      step.status = outcome;
      return step;

    case ClusterErrorAction::kFollowMoved:
    case ClusterErrorAction::kFollowAsk: {
      absl::StatusOr<Redirect> redirect = RedirectFromStatus(outcome);
      if (!redirect.ok()) {  // ActionFor only says so when it parses.
        step.status = outcome;
        return step;
      }
      if (redirect->to.host.empty()) redirect->to.host = node.host;
      const bool moved = redirect->kind == Redirect::kMoved;
      if (moved) topology.ApplyMoved(*redirect);
      if (used_ >= max_redirects_) return GiveUp(outcome);
      ++used_;
      step.kind = NextStep::kSendTo;
      step.node = redirect->to;
      step.asking = !moved;
      return step;
    }

    case ClusterErrorAction::kRetryAfterDelay:
      if (used_ >= max_redirects_) return GiveUp(outcome);
      ++used_;
      step.kind = NextStep::kSendTo;
      step.node = node;
      step.delay = DelayFor(delayed_++);
      return step;

    case ClusterErrorAction::kRefreshAndRetry:
      topology.MarkStale(&node);
      if (GetErrorKind(outcome) == ErrorKind::kConnection) {
        step.status = outcome;  // The client's retry policy decides.
        return step;
      }
      if (used_ >= max_redirects_) return GiveUp(outcome);
      ++used_;
      step.kind = NextStep::kReroute;
      step.delay = DelayFor(delayed_++);
      return step;
  }
  step.status = outcome;
  return step;
}

}  // namespace cluster
}  // namespace valkey
