#include "valkey/common/retry.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace valkey {
namespace {

constexpr ErrorKind kDefaultRetryable[] = {
    ErrorKind::kConnection,
    ErrorKind::kTimeout,
    ErrorKind::kTls,
};

// ErrorKind values fit in the 64-bit mask; kNone (0) is never set.
uint64_t Bit(ErrorKind kind) {
  const auto i = static_cast<unsigned>(kind);
  if (kind == ErrorKind::kNone || i >= 64) return 0;
  return uint64_t{1} << i;
}

uint64_t MaskOf(absl::Span<const ErrorKind> kinds) {
  uint64_t mask = 0;
  for (ErrorKind k : kinds) mask |= Bit(k);
  return mask;
}

}  // namespace

Retry::Retry() : Retry(Backoff::None(), 0) {}

Retry::Retry(Backoff backoff, int retries)
    : Retry(backoff, retries, DefaultRetryableKinds()) {}

Retry::Retry(Backoff backoff, int retries, absl::Span<const ErrorKind> kinds)
    : backoff_(backoff), retries_(retries), retryable_mask_(MaskOf(kinds)) {}

absl::Span<const ErrorKind> Retry::DefaultRetryableKinds() {
  return kDefaultRetryable;
}

bool Retry::IsRetryableKind(ErrorKind kind) const {
  return (retryable_mask_ & Bit(kind)) != 0;
}

bool Retry::IsRetryable(const absl::Status& status) const {
  if (status.ok()) return false;
  return IsRetryableKind(GetErrorKind(status));
}

std::optional<int64_t> Retry::max_attempts() const {
  if (unlimited()) return std::nullopt;
  return int64_t{retries_} + 1;
}

void Retry::AddRetryable(absl::Span<const ErrorKind> kinds) {
  retryable_mask_ |= MaskOf(kinds);
}

void Retry::RemoveRetryable(absl::Span<const ErrorKind> kinds) {
  retryable_mask_ &= ~MaskOf(kinds);
}

void Retry::SetRetryable(absl::Span<const ErrorKind> kinds) {
  retryable_mask_ = MaskOf(kinds);
}

void Retry::Sleep(absl::Duration d) const {
  if (d <= absl::ZeroDuration()) return;
  if (sleeper_) {
    sleeper_(d);
  } else {
    absl::SleepFor(d);
  }
}

std::string Retry::DebugString() const {
  std::vector<std::string> names;
  for (unsigned i = 1; i < 64; ++i) {
    if ((retryable_mask_ >> i) & 1) {
      names.push_back(absl::StrCat(ErrorKindName(static_cast<ErrorKind>(i))));
    }
  }
  return absl::StrCat(
      "Retry(retries=",
      unlimited() ? std::string("unlimited") : absl::StrCat(retries_),
      ", backoff=", backoff_.DebugString(), ", on={",
      absl::StrJoin(names, ", "), "})");
}

RetryState::RetryState(const Retry& retry)
    : retry_(retry), backoff_(retry.backoff_) {
  backoff_.Reset();
}

double RetryState::Uniform() {
  if (retry_.random_) return retry_.random_();
  if (!gen_.has_value()) gen_.emplace();
  return absl::Uniform<double>(*gen_, 0.0, 1.0);
}

std::optional<absl::Duration> RetryState::OnFailure() {
  if (failures_ < std::numeric_limits<int64_t>::max()) ++failures_;
  if (!retry_.unlimited() && failures_ > retry_.retries_) return std::nullopt;
  // Backoff counts in int; past that the exponential family is long capped.
  const int n = failures_ > std::numeric_limits<int>::max()
                    ? std::numeric_limits<int>::max()
                    : static_cast<int>(failures_);
  if (!backoff_.UsesRandom()) return backoff_.Compute(n);
  return backoff_.Compute(n, [this] { return Uniform(); });
}

}  // namespace valkey
