// Backoff: how long to wait before the next retry, given how many attempts
// have failed so far.
//
// A Backoff is a small copyable value: one of six strategies plus its
// parameters (and, for decorrelated jitter, the previous delay). The random
// strategies take their randomness from a caller-supplied source returning
// numbers uniformly distributed in [0, 1), so tests can pin exact delays.
//
//   valkey::Backoff backoff = valkey::Backoff::EqualJitter(
//       /*base=*/absl::Milliseconds(8), /*cap=*/absl::Milliseconds(512));
//   absl::BitGen gen;
//   auto uniform = [&gen] { return absl::Uniform<double>(gen, 0.0, 1.0); };
//   backoff.Reset();
//   absl::Duration wait = backoff.Compute(/*failures=*/1, uniform);
//
// `failures` counts failed attempts and is 1 for the first failure. With
// e(n) = min(cap, base * 2^n) and r drawn from the random source:
//
//   None()                      0
//   Constant(d)                 d
//   Exponential(base, cap)      e(n)               defaults: 16, 32, ... 512 ms
//   FullJitter(base, cap)       r * e(n)           in [0, e(n)]
//   EqualJitter(base, cap)      e(n)/2 + r*e(n)/2  in [e(n)/2, e(n)]
//   DecorrelatedJitter(base, cap)
//                               hi = max(base, 3 * previous)
//                               previous = min(cap, base + r * (hi - base))
//                               returns previous; Reset() sets previous = 0.
//
// Like the reference client (valkey-py), the exponential family starts at
// base * 2 on the first failure, and the defaults are base = 8 ms,
// cap = 512 ms. Differences from the reference, on purpose:
//   - The exponent saturates: the reference computes base * 2^failures with
//     an unbounded integer, which overflows a double after ~1000 failures
//     and throws; here a long run simply stays at `cap`.
//   - Negative durations (and a cap below zero) are treated as zero, and a
//     random source value outside [0, 1] (or NaN) is clamped into it, so a
//     delay is never negative and never exceeds its documented bound.
//   - An infinite cap is allowed; the exponential then grows to about
//     base * 2^64 (absl::Duration saturates), so set a cap in practice.
//
// Thread-safety: Compute() on DecorrelatedJitter mutates the value (it
// remembers the previous delay), so a Backoff must not be shared between
// threads without synchronization; copy it instead (copies are independent).
// The other strategies are stateless, but the same rule keeps code simple.

#ifndef VALKEY_COMMON_BACKOFF_H_
#define VALKEY_COMMON_BACKOFF_H_

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"

namespace valkey {

class Backoff {
 public:
  enum class Kind : uint8_t {
    kNone,
    kConstant,
    kExponential,
    kFullJitter,
    kEqualJitter,
    kDecorrelatedJitter,
  };

  // Defaults shared with the reference client.
  static constexpr absl::Duration kDefaultBase = absl::Milliseconds(8);
  static constexpr absl::Duration kDefaultCap = absl::Milliseconds(512);

  // Same as None().
  Backoff() = default;

  // Never waits.
  static Backoff None();
  // Always waits `delay`.
  static Backoff Constant(absl::Duration delay);
  // min(cap, base * 2^failures).
  static Backoff Exponential(absl::Duration base = kDefaultBase,
                             absl::Duration cap = kDefaultCap);
  // Uniform in [0, min(cap, base * 2^failures)].
  static Backoff FullJitter(absl::Duration base = kDefaultBase,
                            absl::Duration cap = kDefaultCap);
  // Half the exponential delay plus up to as much again at random.
  static Backoff EqualJitter(absl::Duration base = kDefaultBase,
                             absl::Duration cap = kDefaultCap);
  // Uniform between base and three times the previous delay, capped.
  // Stateful: call Reset() before a new series of attempts.
  static Backoff DecorrelatedJitter(absl::Duration base = kDefaultBase,
                                    absl::Duration cap = kDefaultCap);

  // The reference client's default_backoff(): EqualJitter(8 ms, 512 ms).
  static Backoff Default() { return EqualJitter(); }

  // The delay before the next attempt after `failures` failed attempts
  // (1 for the first failure; values below 1 are treated as 1). `uniform`
  // returns numbers in [0, 1] and is called at most once, and only by the
  // jitter strategies. Never negative; never above cap (for the strategies
  // that have one). Updates the state of DecorrelatedJitter.
  absl::Duration Compute(int failures, absl::FunctionRef<double()> uniform);

  // Compute() for the strategies that draw no random number. For a jitter
  // strategy it behaves as if the source returned 0.
  absl::Duration Compute(int failures);

  // Forgets the previous delay (DecorrelatedJitter); no-op for the others.
  void Reset() { previous_ = absl::ZeroDuration(); }

  Kind kind() const { return kind_; }
  // The base delay; the constant delay for Constant(); zero for None().
  absl::Duration base() const { return base_; }
  // The cap; equals base() for Constant(), zero for None().
  absl::Duration cap() const { return cap_; }
  // True for the strategies that call the random source.
  bool UsesRandom() const;

  // "none", "constant(10ms)", "exponential(base=8ms, cap=512ms)", ...
  std::string DebugString() const;

  friend bool operator==(const Backoff& a, const Backoff& b) {
    return a.kind_ == b.kind_ && a.base_ == b.base_ && a.cap_ == b.cap_;
  }
  friend bool operator!=(const Backoff& a, const Backoff& b) {
    return !(a == b);
  }

 private:
  Backoff(Kind kind, absl::Duration base, absl::Duration cap);

  // min(cap, base * 2^failures), saturating.
  absl::Duration Exponent(int failures) const;

  Kind kind_ = Kind::kNone;
  absl::Duration base_ = absl::ZeroDuration();
  absl::Duration cap_ = absl::ZeroDuration();
  absl::Duration previous_ = absl::ZeroDuration();  // DecorrelatedJitter.
};

}  // namespace valkey

#endif  // VALKEY_COMMON_BACKOFF_H_
