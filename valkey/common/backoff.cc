#include "valkey/common/backoff.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace valkey {
namespace {

absl::Duration NonNegative(absl::Duration d) {
  return std::max(d, absl::ZeroDuration());
}

// A random draw forced into [0, 1]; NaN becomes 0.
double Clamp01(double r) {
  if (!(r > 0.0)) return 0.0;  // Also catches NaN.
  return r < 1.0 ? r : 1.0;
}

}  // namespace

Backoff::Backoff(Kind kind, absl::Duration base, absl::Duration cap)
    : kind_(kind), base_(NonNegative(base)), cap_(NonNegative(cap)) {}

Backoff Backoff::None() { return Backoff(); }

Backoff Backoff::Constant(absl::Duration delay) {
  return Backoff(Kind::kConstant, delay, delay);
}

Backoff Backoff::Exponential(absl::Duration base, absl::Duration cap) {
  return Backoff(Kind::kExponential, base, cap);
}

Backoff Backoff::FullJitter(absl::Duration base, absl::Duration cap) {
  return Backoff(Kind::kFullJitter, base, cap);
}

Backoff Backoff::EqualJitter(absl::Duration base, absl::Duration cap) {
  return Backoff(Kind::kEqualJitter, base, cap);
}

Backoff Backoff::DecorrelatedJitter(absl::Duration base, absl::Duration cap) {
  return Backoff(Kind::kDecorrelatedJitter, base, cap);
}

bool Backoff::UsesRandom() const {
  return kind_ == Kind::kFullJitter || kind_ == Kind::kEqualJitter ||
         kind_ == Kind::kDecorrelatedJitter;
}

absl::Duration Backoff::Exponent(int failures) const {
  // Doubling at most 64 times reaches the cap (or saturates at infinity)
  // from any non-zero base, so the loop is bounded however many attempts
  // have failed.
  const int doublings = std::clamp(failures, 1, 64);
  absl::Duration d = base_;
  for (int i = 0; i < doublings && d < cap_; ++i) d *= 2;
  return std::min(d, cap_);
}

absl::Duration Backoff::Compute(int failures,
                                absl::FunctionRef<double()> uniform) {
  switch (kind_) {
    case Kind::kNone:
      return absl::ZeroDuration();
    case Kind::kConstant:
      return base_;
    case Kind::kExponential:
      return Exponent(failures);
    case Kind::kFullJitter:
      return Exponent(failures) * Clamp01(uniform());
    case Kind::kEqualJitter: {
      const absl::Duration half = Exponent(failures) / 2;
      return half + half * Clamp01(uniform());
    }
    case Kind::kDecorrelatedJitter: {
      const absl::Duration hi = std::max(base_, previous_ * 3);
      const absl::Duration x = base_ + (hi - base_) * Clamp01(uniform());
      previous_ = std::min(cap_, x);
      return previous_;
    }
  }
  return absl::ZeroDuration();
}

absl::Duration Backoff::Compute(int failures) {
  return Compute(failures, [] { return 0.0; });
}

std::string Backoff::DebugString() const {
  auto with_base_cap = [this](absl::string_view name) {
    return absl::StrCat(name, "(base=", absl::FormatDuration(base_),
                        ", cap=", absl::FormatDuration(cap_), ")");
  };
  switch (kind_) {
    case Kind::kNone:
      return "none";
    case Kind::kConstant:
      return absl::StrCat("constant(", absl::FormatDuration(base_), ")");
    case Kind::kExponential:
      return with_base_cap("exponential");
    case Kind::kFullJitter:
      return with_base_cap("full_jitter");
    case Kind::kEqualJitter:
      return with_base_cap("equal_jitter");
    case Kind::kDecorrelatedJitter:
      return with_base_cap("decorrelated_jitter");
  }
  return "unknown";
}

}  // namespace valkey
