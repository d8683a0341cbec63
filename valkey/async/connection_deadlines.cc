// ConnectionCore, reply deadlines and failing commands wholesale (see
// connection_core.h).

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "valkey/async/connection_core.h"
#include "valkey/common/errors.h"

namespace valkey::async::internal {

void ConnectionCore::FailAll(const absl::Status& error, bool include_queued) {
  if (deadline_timer_ != 0) {
    loop_.Cancel(deadline_timer_);
    deadline_timer_ = 0;
    armed_deadline_ = absl::InfiniteFuture();
  }
  RingQueue<Pending> failed;
  failed.swap(inflight_);
  if (include_queued) {
    absl::MutexLock lock(&mu_);
    for (Pending& p : queued_) failed.push_back(p);
    queued_.clear();
    out_.clear();
    queued_min_deadline_ = absl::InfiniteFuture();
  }
  writing_.clear();
  write_offset_ = 0;
  NoteUnsent();
  for (Pending& p : failed) {
    if (p.no_reply) continue;
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    if (!p.expired) p.Complete(error);
  }
  if (!include_queued) {
    // Unwritten commands stay queued; their deadlines still count.
    absl::Time min;
    {
      absl::MutexLock lock(&mu_);
      min = queued_min_deadline_;
    }
    ArmDeadline(min);
  }
}

void ConnectionCore::ArmDeadline(absl::Time when) {
  if (closed_on_loop_ || when >= armed_deadline_) return;
  if (deadline_timer_ != 0) loop_.Cancel(deadline_timer_);
  armed_deadline_ = when;
  deadline_timer_ = loop_.RunAt(when, [this, weak = weak_from_this()] {
    auto keep_alive = weak.lock();
    if (keep_alive == nullptr) return;
    deadline_timer_ = 0;
    armed_deadline_ = absl::InfiniteFuture();
    ExpireDue();
  });
}

void ConnectionCore::ExpireDue() {
  const absl::Time now = absl::Now();
  const absl::Status late =
      TimeoutError(absl::StrCat("no reply from ", address_, " within ",
                                absl::FormatDuration(options_.socket_timeout)));
  absl::Time next = absl::InfiniteFuture();
  std::vector<ReplySink> expired;
  for (Pending& p : inflight_) {
    if (p.expired) continue;
    if (p.deadline <= now) {
      p.expired = true;
      expired.push_back(p.sink);
    } else {
      next = std::min(next, p.deadline);
    }
  }
  {
    absl::MutexLock lock(&mu_);
    queued_min_deadline_ = absl::InfiniteFuture();
    for (Pending& p : queued_) {
      if (p.expired || p.no_reply) continue;
      if (p.deadline <= now) {
        p.expired = true;
        expired.push_back(p.sink);
      } else {
        next = std::min(next, p.deadline);
        queued_min_deadline_ = std::min(queued_min_deadline_, p.deadline);
      }
    }
  }
  const bool oldest_late = !inflight_.empty() &&
                           inflight_.front().deadline <= now &&
                           phase_on_loop_ == Phase::kReady;
  for (const ReplySink& sink : expired) sink.fn(sink.ctx, sink.aux, late);
  if (oldest_late) {
    Lost(ConnectionError(
        absl::StrCat("connection to ", address_, " dropped: no reply within ",
                     absl::FormatDuration(options_.socket_timeout))));
    return;
  }
  ArmDeadline(next);
}

}  // namespace valkey::async::internal
