// RefreshSchedule: when a credential refresh re-authenticates live
// connections next. I/O-free and clock-free (the caller passes "now"), so
// the blocking refresher thread and the async client's loop timer share it
// and a unit test pins every case.
//
//   valkey::CredentialRefreshOptions options;           // 10 %, >= 1 s
//   valkey::RefreshSchedule schedule(options);
//   absl::Time next = schedule.AfterSuccess(now, creds.expires_at);
//   ...  // at `next`: ReauthenticateAll(); on failure:
//   next = schedule.AfterFailure(now, expires_at);       // backoff
//
// The rule: credentials obtained at `now` that expire at `e` are refreshed
// at e - margin, margin = max(lifetime_fraction * (e - now), min_margin);
// never earlier than now + min_interval, so a token that is already (or
// nearly) expired cannot make the refresh spin. Credentials without an
// expiry are looked at again after recheck_interval (the provider may start
// issuing expiring tokens). A failed round (the provider failed, or an AUTH
// was refused) is retried after the backoff for the number of consecutive
// failures (backoff.h), at least min_interval; a success resets the count.
//
// Thread-safety: a RefreshSchedule is used by one thread (or under a lock):
// AfterFailure advances the backoff state.

#ifndef VALKEY_COMMON_REFRESH_SCHEDULE_H_
#define VALKEY_COMMON_REFRESH_SCHEDULE_H_

#include <cstdint>
#include <optional>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "valkey/common/backoff.h"

namespace valkey {

// How EnableCredentialRefresh (blocking and async clients) schedules.
struct CredentialRefreshOptions {
  // Share of the credentials' remaining lifetime to refresh ahead of their
  // expiry. Default: 10 %. Values outside [0, 1] are clamped.
  double lifetime_fraction = 0.1;
  // Refresh at least this long before expiry. Default: 1 s.
  absl::Duration min_margin = absl::Seconds(1);
  // Never refresh sooner than this after the previous round. Default: 100 ms.
  absl::Duration min_interval = absl::Milliseconds(100);
  // Credentials without expires_at: ask the provider again after this.
  // Default: 60 s.
  absl::Duration recheck_interval = absl::Seconds(60);
  // Delay before retrying a failed round, by consecutive failures.
  // Default: exponential with equal jitter, 100 ms doubling up to 5 s.
  Backoff retry_backoff =
      Backoff::EqualJitter(absl::Milliseconds(100), absl::Seconds(5));
};

// What a credential refresh has done so far (blocking and async alike).
struct CredentialRefreshStats {
  int64_t rounds = 0;         // Re-authentication rounds run.
  int64_t failed_rounds = 0;  // Rounds (or expiry look-ups) that failed.
  absl::Status last_error;    // The latest failure (OK: none yet).
};

class RefreshSchedule {
 public:
  explicit RefreshSchedule(CredentialRefreshOptions options);

  // The next round after credentials expiring at `expires_at` (nullopt: no
  // expiry) were obtained and sent at `now`. Resets the failure count.
  absl::Time AfterSuccess(absl::Time now,
                          std::optional<absl::Time> expires_at);

  // The next attempt after a failed round at `now`. `uniform` supplies the
  // backoff's jitter (numbers in [0, 1)).
  absl::Time AfterFailure(absl::Time now, absl::FunctionRef<double()> uniform);

  int consecutive_failures() const { return failures_; }
  const CredentialRefreshOptions& options() const { return options_; }

 private:
  CredentialRefreshOptions options_;
  int failures_ = 0;
};

}  // namespace valkey

#endif  // VALKEY_COMMON_REFRESH_SCHEDULE_H_
