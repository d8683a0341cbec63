// Retry: runs an operation again, after a backoff delay, while it fails with
// a retryable error, up to a number of retries.
//
// A Retry is a copyable value: a retry count, a Backoff and the set of
// ErrorKinds worth retrying, plus two seams for tests (how to sleep, where
// random numbers come from). Call() runs an attempt function that returns
// absl::Status or absl::StatusOr<T>:
//
//   valkey::Retry retry(valkey::Backoff::Exponential(), /*retries=*/3);
//   absl::StatusOr<Reply> reply = retry.Call(
//       [&] { return conn.RoundTrip(request); },
//       [&](const absl::Status& error) { conn.Disconnect(); });
//
// The algorithm (as valkey-py's Retry.call_with_retry):
//   1. the backoff starts afresh (Reset()) for every Call();
//   2. run the attempt; return its result if it succeeded;
//   3. if its error is not retryable, return it at once (on_failure is NOT
//      called);
//   4. failures += 1; call on_failure(error) — when it returns a non-OK
//      status, return that status at once (an abort);
//   5. if retries are limited and failures > retries, return the error;
//   6. sleep backoff.Compute(failures) when positive, and go to 2.
// So with `retries` = N and an attempt that always fails retryably there
// are N + 1 attempts, N + 1 on_failure calls and N sleeps. The error
// returned is the attempt's own status, unchanged.
//
// A status is retryable when GetErrorKind(status) is in the set; statuses
// without a valkey ErrorKind (kNone, including OK) never are. The default
// set is {kConnection, kTimeout, kTls}: the reference retries its
// ConnectionError and TimeoutError, and there a TLS failure is a
// ConnectionError (ssl.SSLError is an OSError). Servers' transient replies
// (LOADING, TRYAGAIN, READONLY, ...) are opt-in via AddRetryable().
//
// For event-loop code that must not block, RetryState exposes steps 3-6
// without sleeping: it says how long to wait, the caller schedules a timer.
//
// Thread-safety: Call() is const and keeps its state (failure count, the
// backoff copy) on the stack, so one Retry may serve concurrent calls as long
// as the sleeper and random source it was given are thread-safe (the
// defaults are). The setters are not synchronized.

#ifndef VALKEY_COMMON_RETRY_H_
#define VALKEY_COMMON_RETRY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/common/backoff.h"
#include "valkey/common/errors.h"

namespace valkey {

class Retry {
 public:
  // `retries` value meaning "retry until success or a non-retryable error"
  // (any negative value means the same, as in the reference).
  static constexpr int kUnlimited = -1;

  // Blocks the calling thread for the given (positive) duration.
  using Sleeper = std::function<void(absl::Duration)>;
  // Returns numbers uniformly distributed in [0, 1).
  using RandomSource = std::function<double()>;

  // No retries, no backoff, default retryable kinds.
  Retry();
  // `retries`: 0 = no retries (one attempt), N = up to N more attempts,
  // negative (kUnlimited) = no limit. Default retryable kinds.
  Retry(Backoff backoff, int retries);
  // Same, with an explicit set of retryable kinds (replacing the default).
  Retry(Backoff backoff, int retries, absl::Span<const ErrorKind> kinds);

  // {kConnection, kTimeout, kTls}.
  static absl::Span<const ErrorKind> DefaultRetryableKinds();

  // Runs `attempt` (a callable returning absl::Status or absl::StatusOr<T>)
  // per the algorithm above and returns its last result, or the status an
  // `on_failure` returned to abort. `on_failure` is called with each
  // retryable error and returns void or absl::Status (non-OK aborts).
  // Blocks (in the sleeper) between attempts.
  template <typename Attempt, typename OnFailure>
  auto Call(Attempt&& attempt, OnFailure&& on_failure) const
      -> std::invoke_result_t<Attempt&>;
  template <typename Attempt>
  auto Call(Attempt&& attempt) const -> std::invoke_result_t<Attempt&> {
    return Call(std::forward<Attempt>(attempt), [](const absl::Status&) {});
  }

  // Whether `status` carries a retryable ErrorKind.
  bool IsRetryable(const absl::Status& status) const;
  bool IsRetryableKind(ErrorKind kind) const;

  int retries() const { return retries_; }
  bool unlimited() const { return retries_ < 0; }
  // Attempts a Call() makes at most when every attempt fails retryably;
  // nullopt when unlimited.
  std::optional<int64_t> max_attempts() const;
  const Backoff& backoff() const { return backoff_; }

  void set_retries(int retries) { retries_ = retries; }
  void set_backoff(Backoff backoff) { backoff_ = backoff; }
  // Adds kinds to the retryable set (the union, like the reference's
  // update_supported_errors). kNone is ignored.
  void AddRetryable(absl::Span<const ErrorKind> kinds);
  void RemoveRetryable(absl::Span<const ErrorKind> kinds);
  // Replaces the retryable set.
  void SetRetryable(absl::Span<const ErrorKind> kinds);

  // Test seams. An empty function restores the default (absl::SleepFor; a
  // fresh absl::BitGen per Call()).
  void set_sleeper(Sleeper sleeper) { sleeper_ = std::move(sleeper); }
  void set_random_source(RandomSource random) { random_ = std::move(random); }
  const Sleeper& sleeper() const { return sleeper_; }
  const RandomSource& random_source() const { return random_; }

  // "Retry(retries=3, backoff=exponential(base=8ms, cap=512ms),
  //  on={Connection, Timeout, Tls})".
  std::string DebugString() const;

 private:
  friend class RetryState;

  // Sleeps through the sleeper (or absl::SleepFor); zero or less: no-op.
  void Sleep(absl::Duration d) const;

  Backoff backoff_;
  int retries_ = 0;
  uint64_t retryable_mask_ = 0;  // Bit i set: ErrorKind(i) is retryable.
  Sleeper sleeper_;
  RandomSource random_;
};

// The per-call state of a Retry, for callers that schedule the waits
// themselves (an event loop) or need to interleave their own work:
//
//   valkey::RetryState state(retry);
//   while (true) {
//     absl::Status s = TryOnce();
//     if (s.ok()) break;
//     if (!state.IsRetryable(s)) return s;
//     Cleanup(s);                          // on_failure
//     std::optional<absl::Duration> wait = state.OnFailure();
//     if (!wait.has_value()) return s;     // out of retries
//     loop.RunAfter(*wait, ...);
//   }
//
// Not thread-safe; one per sequence of attempts. Keeps a reference to the
// Retry's random source, so the Retry must outlive it.
class RetryState {
 public:
  // Starts a fresh sequence: failures() == 0, the backoff copied and reset.
  explicit RetryState(const Retry& retry);

  RetryState(const RetryState&) = delete;
  RetryState& operator=(const RetryState&) = delete;

  bool IsRetryable(const absl::Status& status) const {
    return retry_.IsRetryable(status);
  }

  // Records one failed (retryable) attempt. Returns the delay to wait before
  // the next attempt (zero or more), or nullopt when the retries are used up.
  std::optional<absl::Duration> OnFailure();

  // Failed attempts recorded so far.
  int64_t failures() const { return failures_; }

 private:
  double Uniform();

  const Retry& retry_;
  Backoff backoff_;
  int64_t failures_ = 0;
  std::optional<absl::BitGen> gen_;  // Only when no random source is set.
};

// Implementation details below.

namespace retry_internal {

inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

}  // namespace retry_internal

template <typename Attempt, typename OnFailure>
auto Retry::Call(Attempt&& attempt, OnFailure&& on_failure) const
    -> std::invoke_result_t<Attempt&> {
  using Result = std::invoke_result_t<Attempt&>;
  using FailureResult = std::invoke_result_t<OnFailure&, const absl::Status&>;
  static_assert(std::is_same_v<Result, absl::Status> ||
                    std::is_constructible_v<Result, absl::Status>,
                "the attempt must return absl::Status or absl::StatusOr<T>");
  static_assert(std::is_void_v<FailureResult> ||
                    std::is_same_v<FailureResult, absl::Status>,
                "on_failure must return void or absl::Status");
  RetryState state(*this);
  while (true) {
    Result result = attempt();
    const absl::Status& status = retry_internal::StatusOf(result);
    if (status.ok() || !state.IsRetryable(status)) return result;
    if constexpr (std::is_void_v<FailureResult>) {
      on_failure(status);
    } else {
      absl::Status abort = on_failure(status);
      if (!abort.ok()) return Result(std::move(abort));
    }
    std::optional<absl::Duration> wait = state.OnFailure();
    if (!wait.has_value()) return result;
    Sleep(*wait);
  }
}

}  // namespace valkey

#endif  // VALKEY_COMMON_RETRY_H_
