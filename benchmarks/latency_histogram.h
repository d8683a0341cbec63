// LatencyHistogram: counts of latencies in log-linear buckets, cheap enough
// to record every command of a benchmark running at millions per second.
//
//   LatencyHistogram h;
//   h.Record(1234);                      // nanoseconds
//   uint64_t p99 = h.Percentile(99);     // ns, within 1/32 of the true value
//
// Buckets: values below 32 each have their own; above, every power of two
// is split into 32 equal buckets, so a bucket is at most 1/32 (~3 %) of its
// values wide. Recording is a bit scan, a shift and an increment: no
// allocation, no branch on the value's size beyond one compare. The table
// is 1 920 counters (15 KiB), enough for any uint64_t.
//
// Thread-safety: none; give each recording thread its own histogram and
// Merge() them.

#ifndef VALKEY_BENCHMARKS_LATENCY_HISTOGRAM_H_
#define VALKEY_BENCHMARKS_LATENCY_HISTOGRAM_H_

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace valkey::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 5;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;  // 32
  static constexpr size_t kBuckets = kSub * (64 - kSubBits + 1);

  // The bucket a value falls in.
  static constexpr size_t BucketOf(uint64_t v) {
    if (v < kSub) return static_cast<size_t>(v);
    const int shift = std::bit_width(v) - 1 - kSubBits;  // >= 0
    return static_cast<size_t>(kSub * (shift + 1) + ((v >> shift) - kSub));
  }
  // The smallest value of bucket `b`.
  static constexpr uint64_t LowerBound(size_t b) {
    if (b < kSub) return b;
    const int shift = static_cast<int>(b / kSub) - 1;
    return (kSub + b % kSub) << shift;
  }
  // One past the largest value of bucket `b` (saturating at the top).
  static constexpr uint64_t UpperBound(size_t b) {
    if (b < kSub) return b + 1;
    const int shift = static_cast<int>(b / kSub) - 1;
    const uint64_t lower = LowerBound(b);
    const uint64_t width = uint64_t{1} << shift;
    return lower > UINT64_MAX - width ? UINT64_MAX : lower + width;
  }

  void Record(uint64_t value) {
    ++counts_[BucketOf(value)];
    ++total_;
  }

  void Merge(const LatencyHistogram& other) {
    for (size_t b = 0; b < kBuckets; ++b) counts_[b] += other.counts_[b];
    total_ += other.total_;
  }

  void Clear() {
    counts_.fill(0);
    total_ = 0;
  }

  uint64_t count() const { return total_; }

  // The value below which `percent` % of the recorded values lie: the
  // middle of the bucket that holds that rank (so within half a bucket,
  // ~1.6 %, of a value recorded there). 0 when nothing was recorded.
  uint64_t Percentile(double percent) const {
    if (total_ == 0) return 0;
    // The rank (1-based) of the value asked for: ceil(percent/100 * total).
    double want = percent / 100.0 * static_cast<double>(total_);
    uint64_t rank = static_cast<uint64_t>(want);
    if (static_cast<double>(rank) < want) ++rank;
    if (rank < 1) rank = 1;
    if (rank > total_) rank = total_;
    uint64_t seen = 0;
    for (size_t b = 0; b < kBuckets; ++b) {
      seen += counts_[b];
      if (seen >= rank) {
        const uint64_t lo = LowerBound(b);
        return lo + (UpperBound(b) - lo) / 2;
      }
    }
    return LowerBound(kBuckets - 1);
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
};

}  // namespace valkey::bench

#endif  // VALKEY_BENCHMARKS_LATENCY_HISTOGRAM_H_
