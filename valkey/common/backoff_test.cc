#include "valkey/common/backoff.h"

#include <functional>
#include <limits>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace valkey {
namespace {

using absl::Milliseconds;

// Returns the given values in turn, then repeats the last one, counting calls.
class FixedRandom {
 public:
  explicit FixedRandom(std::vector<double> values) : values_(values) {}
  double operator()() {
    const double v = values_[std::min(calls_, values_.size() - 1)];
    ++calls_;
    return v;
  }
  size_t calls() const { return calls_; }

 private:
  std::vector<double> values_;
  size_t calls_ = 0;
};

TEST(BackoffTest, NoneIsZeroAndDrawsNothing) {
  Backoff b = Backoff::None();
  FixedRandom r({0.5});
  for (int n = 1; n < 5; ++n)
    EXPECT_EQ(b.Compute(n, std::ref(r)), absl::ZeroDuration());
  EXPECT_EQ(r.calls(), 0u);
  EXPECT_EQ(Backoff(), Backoff::None());
  EXPECT_FALSE(b.UsesRandom());
}

TEST(BackoffTest, ConstantIsConstant) {
  Backoff b = Backoff::Constant(Milliseconds(250));
  for (int n : {1, 2, 10, 1000}) EXPECT_EQ(b.Compute(n), Milliseconds(250));
  EXPECT_EQ(b.DebugString(), "constant(250ms)");
}

TEST(BackoffTest, ExponentialMatchesReferenceDefaults) {
  // The reference pins 0.016, 0.032, ... capped at 0.512 s.
  Backoff b = Backoff::Exponential();
  const std::vector<int> expected_ms = {16, 32, 64, 128, 256, 512, 512, 512};
  for (size_t i = 0; i < expected_ms.size(); ++i) {
    EXPECT_EQ(b.Compute(static_cast<int>(i) + 1), Milliseconds(expected_ms[i]))
        << "failures=" << i + 1;
  }
  EXPECT_EQ(b.DebugString(), "exponential(base=8ms, cap=512ms)");
}

TEST(BackoffTest, ExponentialSaturatesForHugeFailureCounts) {
  // The reference overflows here; we stay at the cap.
  Backoff b = Backoff::Exponential(Milliseconds(1), absl::Seconds(10));
  EXPECT_EQ(b.Compute(1000), absl::Seconds(10));
  EXPECT_EQ(b.Compute(std::numeric_limits<int>::max()), absl::Seconds(10));
  Backoff uncapped =
      Backoff::Exponential(Milliseconds(1), absl::InfiniteDuration());
  EXPECT_GT(uncapped.Compute(std::numeric_limits<int>::max()),
            absl::Hours(1e12));
  EXPECT_EQ(uncapped.Compute(10), Milliseconds(1024));
}

TEST(BackoffTest, ZeroFailuresTreatedAsOne) {
  Backoff b = Backoff::Exponential();
  EXPECT_EQ(b.Compute(0), Milliseconds(16));
  EXPECT_EQ(b.Compute(-5), Milliseconds(16));
}

TEST(BackoffTest, NegativeDurationsAreZero) {
  EXPECT_EQ(Backoff::Constant(Milliseconds(-5)).Compute(1),
            absl::ZeroDuration());
  Backoff b = Backoff::Exponential(Milliseconds(-1), Milliseconds(-1));
  EXPECT_EQ(b.Compute(3), absl::ZeroDuration());
  EXPECT_EQ(b.base(), absl::ZeroDuration());
}

TEST(BackoffTest, FullJitterScalesTheExponential) {
  Backoff b = Backoff::FullJitter();
  FixedRandom r({0.5, 0.25, 0.0, 0.75});
  EXPECT_EQ(b.Compute(1, std::ref(r)), Milliseconds(8));     // 16 * 0.5
  EXPECT_EQ(b.Compute(2, std::ref(r)), Milliseconds(8));     // 32 * 0.25
  EXPECT_EQ(b.Compute(3, std::ref(r)), Milliseconds(0));     // 64 * 0
  EXPECT_EQ(b.Compute(10, std::ref(r)), Milliseconds(384));  // 512 * 0.75
  EXPECT_EQ(r.calls(), 4u);
}

TEST(BackoffTest, EqualJitterIsHalfPlusRandomHalf) {
  Backoff b = Backoff::EqualJitter();
  FixedRandom r({0.0, 0.5, 0.75});
  EXPECT_EQ(b.Compute(1, std::ref(r)), Milliseconds(8));    // 8 + 8 * 0
  EXPECT_EQ(b.Compute(2, std::ref(r)), Milliseconds(24));   // 16 + 16 * 0.5
  EXPECT_EQ(b.Compute(7, std::ref(r)), Milliseconds(448));  // 256 + 256 * .75
  EXPECT_EQ(Backoff::Default(), Backoff::EqualJitter());
}

TEST(BackoffTest, DecorrelatedJitterFollowsPreviousDelay) {
  Backoff b = Backoff::DecorrelatedJitter(Milliseconds(10), Milliseconds(100));
  FixedRandom r({0.5, 0.5, 0.5, 1.0 - 1e-12, 0.5});
  // previous = 0: hi = max(10, 0) = 10 → x = 10.
  EXPECT_EQ(b.Compute(1, std::ref(r)), Milliseconds(10));
  // hi = 30 → 10 + 0.5 * 20 = 20.
  EXPECT_EQ(b.Compute(2, std::ref(r)), Milliseconds(20));
  // hi = 60 → 10 + 0.5 * 50 = 35.
  EXPECT_EQ(b.Compute(3, std::ref(r)), Milliseconds(35));
  // hi = 105 → just under 105, capped at 100.
  EXPECT_EQ(b.Compute(4, std::ref(r)), Milliseconds(100));
  // hi = 300 → 10 + 0.5 * 290 = 155, capped.
  EXPECT_EQ(b.Compute(5, std::ref(r)), Milliseconds(100));
  b.Reset();
  EXPECT_EQ(b.Compute(1, std::ref(r)), Milliseconds(10));
}

TEST(BackoffTest, CopiesAreIndependent) {
  Backoff a = Backoff::DecorrelatedJitter(Milliseconds(10), Milliseconds(100));
  FixedRandom r({0.5});
  a.Compute(1, std::ref(r));
  a.Compute(2, std::ref(r));  // previous = 20.
  Backoff b = a;
  b.Reset();
  EXPECT_EQ(b.Compute(1, std::ref(r)), Milliseconds(10));
  EXPECT_EQ(a.Compute(3, std::ref(r)), Milliseconds(35));
}

TEST(BackoffTest, OutOfRangeRandomIsClamped) {
  Backoff b = Backoff::FullJitter(Milliseconds(8), Milliseconds(512));
  FixedRandom r({-3.0, 7.0, std::numeric_limits<double>::quiet_NaN()});
  EXPECT_EQ(b.Compute(1, std::ref(r)), absl::ZeroDuration());
  EXPECT_EQ(b.Compute(1, std::ref(r)), Milliseconds(16));
  EXPECT_EQ(b.Compute(1, std::ref(r)), absl::ZeroDuration());
}

TEST(BackoffTest, BoundsHoldForManyDraws) {
  // A crude sweep over the random range: every strategy stays in bounds.
  for (Backoff b : {Backoff::FullJitter(), Backoff::EqualJitter(),
                    Backoff::DecorrelatedJitter()}) {
    for (int i = 0; i < 100; ++i) {
      const double u = i / 100.0;
      const absl::Duration d = b.Compute(i % 12 + 1, [u] { return u; });
      EXPECT_GE(d, absl::ZeroDuration()) << b.DebugString();
      EXPECT_LE(d, Backoff::kDefaultCap) << b.DebugString();
    }
  }
}

TEST(BackoffTest, DebugStrings) {
  EXPECT_EQ(Backoff::None().DebugString(), "none");
  EXPECT_EQ(Backoff::FullJitter().DebugString(),
            "full_jitter(base=8ms, cap=512ms)");
  EXPECT_EQ(Backoff::EqualJitter().DebugString(),
            "equal_jitter(base=8ms, cap=512ms)");
  EXPECT_EQ(Backoff::DecorrelatedJitter().DebugString(),
            "decorrelated_jitter(base=8ms, cap=512ms)");
}

}  // namespace
}  // namespace valkey
