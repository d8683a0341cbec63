#include "valkey/common/retry.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/common/backoff.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

using absl::Milliseconds;

// A Retry whose sleeps are recorded instead of slept.
struct Harness {
  explicit Harness(Retry r) : retry(std::move(r)) {
    retry.set_sleeper([this](absl::Duration d) { sleeps.push_back(d); });
    retry.set_random_source([] { return 0.5; });
  }
  Retry retry;
  std::vector<absl::Duration> sleeps;
};

TEST(RetryTest, DefaultsAreNoRetriesAndConnectionKinds) {
  Retry r;
  EXPECT_EQ(r.retries(), 0);
  EXPECT_FALSE(r.unlimited());
  EXPECT_EQ(r.max_attempts(), 1);
  EXPECT_EQ(r.backoff(), Backoff::None());
  EXPECT_TRUE(r.IsRetryable(ConnectionError("x")));
  EXPECT_TRUE(r.IsRetryable(TimeoutError("x")));
  EXPECT_TRUE(r.IsRetryable(TlsError("x")));
  EXPECT_FALSE(r.IsRetryable(absl::OkStatus()));
  EXPECT_FALSE(r.IsRetryable(absl::UnavailableError("no valkey kind")));
  EXPECT_FALSE(r.IsRetryable(ServerError("READONLY You can't write")));
  EXPECT_FALSE(r.IsRetryable(ServerError("LOADING loading the dataset")));
  EXPECT_FALSE(r.IsRetryable(ProtocolError("bad bytes")));
  EXPECT_EQ(r.DebugString(),
            "Retry(retries=0, backoff=none, on={Connection, Timeout, Tls})");
}

TEST(RetryTest, AlwaysFailingMakesRetriesPlusOneAttempts) {
  // Reference pin: retries = N → N + 1 attempts, N + 1 fail calls, N
  // backoff computations (here: sleeps).
  for (int n : {0, 1, 3, 5}) {
    Harness h(Retry(Backoff::Constant(Milliseconds(7)), n));
    int attempts = 0, failures = 0;
    absl::Status s = h.retry.Call(
        [&] {
          ++attempts;
          return ConnectionError(absl::StrCat("attempt ", attempts));
        },
        [&](const absl::Status& e) {
          ++failures;
          EXPECT_TRUE(IsConnectionError(e));
        });
    EXPECT_EQ(attempts, n + 1);
    EXPECT_EQ(failures, n + 1);
    EXPECT_EQ(h.sleeps.size(), static_cast<size_t>(n));
    for (absl::Duration d : h.sleeps) EXPECT_EQ(d, Milliseconds(7));
    // The last error, unchanged.
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(s.message(), absl::StrCat("attempt ", n + 1));
    EXPECT_EQ(GetErrorKind(s), ErrorKind::kConnection);
  }
}

TEST(RetryTest, SucceedsAfterTransientFailures) {
  Harness h(Retry(Backoff::Exponential(), 5));
  int attempts = 0;
  absl::StatusOr<std::string> v =
      h.retry.Call([&]() -> absl::StatusOr<std::string> {
        if (++attempts < 3) return TimeoutError("slow");
        return std::string("value");
      });
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, "value");
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(h.sleeps,
            (std::vector<absl::Duration>{Milliseconds(16), Milliseconds(32)}));
}

TEST(RetryTest, NonRetryableStopsImmediatelyWithoutOnFailure) {
  Harness h(Retry(Backoff::Constant(Milliseconds(1)), Retry::kUnlimited));
  int attempts = 0, failures = 0;
  absl::Status s = h.retry.Call(
      [&] {
        ++attempts;
        return ServerError("WRONGTYPE Operation against a key");
      },
      [&](const absl::Status&) { ++failures; });
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(failures, 0);
  EXPECT_TRUE(h.sleeps.empty());
  EXPECT_EQ(ServerErrorPrefix(s), "WRONGTYPE");
}

TEST(RetryTest, NonRetryableAfterRetryableFailures) {
  Harness h(Retry(Backoff::None(), 10));
  int attempts = 0, failures = 0;
  absl::Status s = h.retry.Call(
      [&] {
        ++attempts;
        if (attempts < 3) return ConnectionError("reset");
        return AuthenticationError("WRONGPASS");
      },
      [&](const absl::Status&) { ++failures; });
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(failures, 2);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  // NoBackoff: zero delays are not slept.
  EXPECT_TRUE(h.sleeps.empty());
}

TEST(RetryTest, UnlimitedRetriesStopOnSuccess) {
  Harness h(Retry(Backoff::Constant(Milliseconds(2)), Retry::kUnlimited));
  EXPECT_TRUE(h.retry.unlimited());
  EXPECT_EQ(h.retry.max_attempts(), std::nullopt);
  int attempts = 0;
  absl::Status s = h.retry.Call([&] {
    return ++attempts < 1000 ? ConnectionError("down") : absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(attempts, 1000);
  EXPECT_EQ(h.sleeps.size(), 999u);
}

TEST(RetryTest, AnyNegativeRetriesIsUnlimited) {
  Retry r(Backoff::None(), -42);
  EXPECT_TRUE(r.unlimited());
}

TEST(RetryTest, OnFailureCanAbort) {
  // Reference pin: retries = -1 and a fail() that raises on its 5th call →
  // exactly 5 attempts.
  Harness h(Retry(Backoff::None(), Retry::kUnlimited));
  int attempts = 0, failures = 0;
  absl::Status s = h.retry.Call(
      [&] {
        ++attempts;
        return ConnectionError("down");
      },
      [&](const absl::Status& e) -> absl::Status {
        if (++failures == 5) return absl::CancelledError("gave up");
        return absl::OkStatus();
      });
  EXPECT_EQ(attempts, 5);
  EXPECT_EQ(failures, 5);
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(s.message(), "gave up");
}

TEST(RetryTest, OnFailureAbortWithStatusOrAttempt) {
  Harness h(Retry(Backoff::None(), 3));
  absl::StatusOr<int> v = h.retry.Call(
      []() -> absl::StatusOr<int> { return TimeoutError("t"); },
      [](const absl::Status& e) { return absl::AbortedError("stop"); });
  EXPECT_EQ(v.status().code(), absl::StatusCode::kAborted);
}

TEST(RetryTest, BackoffResetsAtTheStartOfEachCall) {
  Harness h(Retry(
      Backoff::DecorrelatedJitter(Milliseconds(10), Milliseconds(1000)), 2));
  auto fail = [] { return ConnectionError("x"); };
  h.retry.Call(fail).IgnoreError();
  h.retry.Call(fail).IgnoreError();
  // Random 0.5: 10 (hi = 10), then 20 (hi = 30); the second Call starts
  // from previous = 0 again.
  EXPECT_EQ(h.sleeps,
            (std::vector<absl::Duration>{Milliseconds(10), Milliseconds(20),
                                         Milliseconds(10), Milliseconds(20)}));
  // The Retry's own backoff is untouched (Call is const).
  Backoff copy = h.retry.backoff();
  EXPECT_EQ(copy.Compute(1, [] { return 0.0; }), Milliseconds(10));
}

TEST(RetryTest, JitterDrawsFromTheRandomSource) {
  Harness h(Retry(Backoff::FullJitter(), 3));
  std::vector<double> draws = {0.25, 0.5, 0.75};
  size_t next = 0;
  h.retry.set_random_source([&] { return draws[next++]; });
  h.retry.Call([] { return TimeoutError("t"); }).IgnoreError();
  EXPECT_EQ(next, 3u);
  EXPECT_EQ(h.sleeps,
            (std::vector<absl::Duration>{Milliseconds(4), Milliseconds(16),
                                         Milliseconds(48)}));
}

TEST(RetryTest, DefaultRandomSourceStaysInBounds) {
  Harness h(Retry(Backoff::EqualJitter(), 20));
  h.retry.set_random_source(nullptr);  // Back to absl::BitGen.
  h.retry.Call([] { return TimeoutError("t"); }).IgnoreError();
  ASSERT_EQ(h.sleeps.size(), 20u);
  EXPECT_GE(h.sleeps[0], Milliseconds(8));
  EXPECT_LT(h.sleeps[0], Milliseconds(16));
  for (absl::Duration d : h.sleeps) EXPECT_LE(d, Milliseconds(512));
}

TEST(RetryTest, RetryableSetCanBeChanged) {
  Retry r(Backoff::None(), 1, {ErrorKind::kBusyLoading});
  EXPECT_FALSE(r.IsRetryable(ConnectionError("x")));
  EXPECT_TRUE(r.IsRetryable(ServerError("LOADING Valkey is loading")));
  r.AddRetryable(
      {ErrorKind::kReadOnly, ErrorKind::kReadOnly, ErrorKind::kNone});
  EXPECT_TRUE(r.IsRetryable(ServerError("READONLY replica")));
  EXPECT_EQ(r.DebugString(),
            "Retry(retries=1, backoff=none, on={ReadOnly, BusyLoading})");
  r.RemoveRetryable({ErrorKind::kBusyLoading});
  EXPECT_FALSE(r.IsRetryable(ServerError("LOADING Valkey is loading")));
  r.SetRetryable(Retry::DefaultRetryableKinds());
  EXPECT_TRUE(r.IsRetryable(ConnectionError("x")));
  EXPECT_FALSE(r.IsRetryable(ServerError("READONLY replica")));
}

TEST(RetryTest, ServerKindRetriedWhenOptedIn) {
  // Reference pin: retry_on_error=[ReadOnly, BusyLoading], Retry(NoBackoff, 3),
  // always BusyLoading → 4 calls.
  Harness h(Retry(Backoff::None(), 3,
                  {ErrorKind::kReadOnly, ErrorKind::kBusyLoading}));
  int calls = 0;
  h.retry
      .Call([&] {
        ++calls;
        return ServerError("LOADING Valkey is loading the dataset in memory");
      })
      .IgnoreError();
  EXPECT_EQ(calls, 4);
}

TEST(RetryStateTest, DrivesAnExternalLoop) {
  Retry retry(Backoff::Exponential(Milliseconds(1), Milliseconds(4)), 3);
  RetryState state(retry);
  EXPECT_EQ(state.failures(), 0);
  EXPECT_TRUE(state.IsRetryable(TimeoutError("t")));
  EXPECT_EQ(state.OnFailure(), Milliseconds(2));
  EXPECT_EQ(state.OnFailure(), Milliseconds(4));
  EXPECT_EQ(state.OnFailure(), Milliseconds(4));
  EXPECT_EQ(state.OnFailure(), std::nullopt);
  EXPECT_EQ(state.failures(), 4);
}

TEST(RetryTest, CopiesShareNothing) {
  Retry a(Backoff::Constant(Milliseconds(5)), 2);
  Retry b = a;
  b.set_retries(7);
  b.set_backoff(Backoff::None());
  EXPECT_EQ(a.retries(), 2);
  EXPECT_EQ(a.backoff(), Backoff::Constant(Milliseconds(5)));
}

}  // namespace
}  // namespace valkey
