// LatencyHistogram: bucket bounds hold their values, buckets are at most
// 1/32 of their values wide, percentiles land within half a bucket of the
// exact rank statistic, Merge adds counts.

#include "benchmarks/latency_histogram.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace valkey::bench {
namespace {

TEST(LatencyHistogramTest, EveryValueLiesInItsBucketsBounds) {
  std::vector<uint64_t> values;
  for (uint64_t v = 0; v < 5000; ++v) values.push_back(v);
  for (int bit = 12; bit < 64; ++bit) {
    const uint64_t p = uint64_t{1} << bit;
    for (uint64_t v : {p - 1, p, p + 1, p + p / 3}) values.push_back(v);
  }
  values.push_back(UINT64_MAX);
  for (uint64_t v : values) {
    const size_t b = LatencyHistogram::BucketOf(v);
    ASSERT_LT(b, LatencyHistogram::kBuckets) << v;
    EXPECT_LE(LatencyHistogram::LowerBound(b), v) << v;
    if (v != UINT64_MAX) {
      EXPECT_LT(v, LatencyHistogram::UpperBound(b)) << v;
    }
  }
}

TEST(LatencyHistogramTest, BucketsAreContiguousAndAtMostOneThirtySecondWide) {
  for (size_t b = 0; b + 1 < LatencyHistogram::kBuckets; ++b) {
    const uint64_t lo = LatencyHistogram::LowerBound(b);
    const uint64_t hi = LatencyHistogram::UpperBound(b);
    ASSERT_EQ(hi, LatencyHistogram::LowerBound(b + 1)) << b;
    if (lo >= LatencyHistogram::kSub) {
      EXPECT_LE((hi - lo) * 32, lo) << b;
    }
  }
}

TEST(LatencyHistogramTest, PercentilesAreWithinHalfABucketOfTheExactRank) {
  std::mt19937_64 gen(7);
  std::lognormal_distribution<double> dist(10.0, 1.0);  // ~22 us median
  std::vector<uint64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 100000; ++i) {
    const uint64_t v = static_cast<uint64_t>(dist(gen));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  EXPECT_EQ(h.count(), values.size());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    const size_t rank = static_cast<size_t>(p / 100.0 * values.size());
    const uint64_t exact = values[std::min(rank, values.size()) - 1];
    const uint64_t got = h.Percentile(p);
    // Half a bucket either way: 1/64 of the value, at least 1.
    const double tolerance = std::max(1.0, static_cast<double>(exact) / 64);
    EXPECT_NEAR(static_cast<double>(got), static_cast<double>(exact),
                tolerance)
        << "p" << p;
  }
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v : {3, 3, 3, 7}) h.Record(v);
  EXPECT_EQ(h.Percentile(50), 3u);
  EXPECT_EQ(h.Percentile(75), 3u);
  EXPECT_EQ(h.Percentile(100), 7u);
}

TEST(LatencyHistogramTest, EmptyGivesZeroAndMergeAddsCounts) {
  LatencyHistogram a, b;
  EXPECT_EQ(a.Percentile(50), 0u);
  for (int i = 0; i < 10; ++i) a.Record(1000);
  for (int i = 0; i < 30; ++i) b.Record(9000);
  a.Merge(b);
  EXPECT_EQ(a.count(), 40u);
  EXPECT_NEAR(static_cast<double>(a.Percentile(25)), 1000, 1000 / 64.0);
  EXPECT_NEAR(static_cast<double>(a.Percentile(26)), 9000, 9000 / 64.0);
  a.Clear();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.Percentile(99), 0u);
}

}  // namespace
}  // namespace valkey::bench
