#include "valkey/common/refresh_schedule.h"

#include <optional>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/common/backoff.h"

namespace valkey {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

double Half() { return 0.5; }

TEST(RefreshScheduleTest, TenPercentOfALongLifetime) {
  RefreshSchedule schedule{CredentialRefreshOptions()};
  // 1 h token: refresh 6 min before expiry.
  EXPECT_EQ(schedule.AfterSuccess(kNow, kNow + absl::Hours(1)),
            kNow + absl::Minutes(54));
}

TEST(RefreshScheduleTest, AtLeastTheMinimumMargin) {
  RefreshSchedule schedule{CredentialRefreshOptions()};
  // 2 s token: 10 % is 200 ms, below the 1 s floor.
  EXPECT_EQ(schedule.AfterSuccess(kNow, kNow + absl::Seconds(2)),
            kNow + absl::Seconds(1));
}

TEST(RefreshScheduleTest, ConfigurableMargin) {
  CredentialRefreshOptions options;
  options.lifetime_fraction = 0.5;
  options.min_margin = absl::ZeroDuration();
  RefreshSchedule schedule(options);
  EXPECT_EQ(schedule.AfterSuccess(kNow, kNow + absl::Seconds(10)),
            kNow + absl::Seconds(5));
}

TEST(RefreshScheduleTest, ExpiredTokenDoesNotSpin) {
  RefreshSchedule schedule{CredentialRefreshOptions()};
  EXPECT_EQ(schedule.AfterSuccess(kNow, kNow - absl::Seconds(5)),
            kNow + absl::Milliseconds(100));
  EXPECT_EQ(schedule.AfterSuccess(kNow, kNow + absl::Milliseconds(500)),
            kNow + absl::Milliseconds(100));

  CredentialRefreshOptions negative;
  negative.min_interval = absl::Seconds(-1);
  RefreshSchedule clamped(negative);
  EXPECT_GE(clamped.AfterSuccess(kNow, kNow - absl::Seconds(5)), kNow);
}

TEST(RefreshScheduleTest, NoExpiryRechecksLater) {
  RefreshSchedule schedule{CredentialRefreshOptions()};
  EXPECT_EQ(schedule.AfterSuccess(kNow, std::nullopt),
            kNow + absl::Seconds(60));
}

TEST(RefreshScheduleTest, FailuresBackOffAndSuccessResets) {
  CredentialRefreshOptions options;
  options.retry_backoff =
      Backoff::Exponential(absl::Milliseconds(100), absl::Seconds(1));
  options.min_interval = absl::Milliseconds(50);
  RefreshSchedule schedule(options);
  EXPECT_EQ(schedule.AfterFailure(kNow, Half), kNow + absl::Milliseconds(200));
  EXPECT_EQ(schedule.AfterFailure(kNow, Half), kNow + absl::Milliseconds(400));
  EXPECT_EQ(schedule.AfterFailure(kNow, Half), kNow + absl::Milliseconds(800));
  EXPECT_EQ(schedule.AfterFailure(kNow, Half), kNow + absl::Seconds(1));
  EXPECT_EQ(schedule.consecutive_failures(), 4);
  schedule.AfterSuccess(kNow, std::nullopt);
  EXPECT_EQ(schedule.consecutive_failures(), 0);
  EXPECT_EQ(schedule.AfterFailure(kNow, Half), kNow + absl::Milliseconds(200));
}

TEST(RefreshScheduleTest, FailureWaitsAtLeastTheMinimumInterval) {
  CredentialRefreshOptions options;
  options.retry_backoff = Backoff::None();
  RefreshSchedule schedule(options);
  EXPECT_EQ(schedule.AfterFailure(kNow, Half), kNow + absl::Milliseconds(100));
}

}  // namespace
}  // namespace valkey
