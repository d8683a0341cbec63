#include "valkey/common/refresh_schedule.h"

#include <algorithm>
#include <utility>

namespace valkey {

RefreshSchedule::RefreshSchedule(CredentialRefreshOptions options)
    : options_(std::move(options)) {
  options_.lifetime_fraction =
      std::clamp(options_.lifetime_fraction, 0.0, 1.0);
  // A negative floor would allow a busy loop; zero is the least we accept.
  options_.min_interval = std::max(options_.min_interval, absl::ZeroDuration());
  options_.min_margin = std::max(options_.min_margin, absl::ZeroDuration());
  options_.recheck_interval =
      std::max(options_.recheck_interval, options_.min_interval);
}

absl::Time RefreshSchedule::AfterSuccess(absl::Time now,
                                         std::optional<absl::Time> expires_at) {
  failures_ = 0;
  options_.retry_backoff.Reset();
  const absl::Time earliest = now + options_.min_interval;
  if (!expires_at.has_value()) return now + options_.recheck_interval;
  const absl::Duration lifetime =
      std::max(*expires_at - now, absl::ZeroDuration());
  const absl::Duration margin =
      std::max(lifetime * options_.lifetime_fraction, options_.min_margin);
  return std::max(*expires_at - margin, earliest);
}

absl::Time RefreshSchedule::AfterFailure(absl::Time now,
                                         absl::FunctionRef<double()> uniform) {
  ++failures_;
  const absl::Duration delay =
      options_.retry_backoff.Compute(failures_, uniform);
  return now + std::max(delay, options_.min_interval);
}

}  // namespace valkey
