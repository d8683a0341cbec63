// CredentialRefreshTimer: the async client's re-authentication ahead of
// credential expiry (async::Client::EnableCredentialRefresh), driven by an
// event-loop timer instead of a thread.
//
//   auto timer = CredentialRefreshTimer::Start(
//       loop, provider, [shared] { return ReauthenticateAll(shared); }, {});
//   ...
//   (*timer)->Stop();  // no round starts after this returns
//
// On the loop's thread it asks the provider for the current credentials'
// expiry, arms a timer for the time RefreshSchedule gives
// (refresh_schedule.h, shared with the blocking refresher), runs
// `reauthenticate` when it fires and, when that future resolves, arms the
// next one from the expiry of what was sent; a failed round is retried
// after the schedule's backoff. The provider is called on the loop's
// thread, so a provider that blocks stalls the loop for that long.
//
// Thread-safety: Start, Stop and stats() may be called from any thread.
// Pending timers hold only a weak reference: dropping the last
// shared_ptr (after Stop) ends the refresh; a round already under way
// completes on its own.

#ifndef VALKEY_ASYNC_CREDENTIAL_REFRESH_TIMER_H_
#define VALKEY_ASYNC_CREDENTIAL_REFRESH_TIMER_H_

#include <functional>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/common/credentials.h"
#include "valkey/common/reauth_result.h"
#include "valkey/common/refresh_schedule.h"

namespace valkey::async {

class CredentialRefreshTimer
    : public std::enable_shared_from_this<CredentialRefreshTimer> {
 public:
  using Reauthenticate = std::function<Future<ReauthResult>()>;

  // Starts refreshing on `loop` (which must outlive the timer's pending
  // callbacks, as for everything registered with it). Errors:
  // FAILED_PRECONDITION when `provider` is null; INVALID_ARGUMENT for an
  // empty `reauthenticate`.
  static absl::StatusOr<std::shared_ptr<CredentialRefreshTimer>> Start(
      EventLoop& loop, std::shared_ptr<CredentialProvider> provider,
      Reauthenticate reauthenticate, CredentialRefreshOptions options);

  CredentialRefreshTimer(const CredentialRefreshTimer&) = delete;
  CredentialRefreshTimer& operator=(const CredentialRefreshTimer&) = delete;

  // No timer is armed and no round starts after this returns (one under way
  // finishes). Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  CredentialRefreshStats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  CredentialRefreshTimer(EventLoop& loop,
                         std::shared_ptr<CredentialProvider> provider,
                         Reauthenticate reauthenticate,
                         CredentialRefreshOptions options);

  // Loop-thread steps.
  void Begin();
  void Arm(absl::Time when);
  void Round();
  void Finish(const absl::StatusOr<ReauthResult>& outcome);
  bool stopped() const ABSL_LOCKS_EXCLUDED(mu_);

  EventLoop& loop_;
  const std::shared_ptr<CredentialProvider> provider_;
  const Reauthenticate reauthenticate_;
  // Loop thread only.
  RefreshSchedule schedule_;
  absl::BitGen gen_;

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  CredentialRefreshStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace valkey::async

#endif  // VALKEY_ASYNC_CREDENTIAL_REFRESH_TIMER_H_
