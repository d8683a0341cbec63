#include "valkey/async/credential_refresh_timer.h"

#include <utility>

#include "absl/random/distributions.h"
#include "absl/time/clock.h"
#include "valkey/common/errors.h"

namespace valkey::async {

absl::StatusOr<std::shared_ptr<CredentialRefreshTimer>>
CredentialRefreshTimer::Start(EventLoop& loop,
                              std::shared_ptr<CredentialProvider> provider,
                              Reauthenticate reauthenticate,
                              CredentialRefreshOptions options) {
  if (provider == nullptr) {
    return MakeError(absl::StatusCode::kFailedPrecondition, ErrorKind::kNone,
                     "credential refresh: no credential provider configured "
                     "(set ConnectionOptions::credentials)");
  }
  if (!reauthenticate) {
    return InvalidArgumentError("credential refresh: empty reauthenticate");
  }
  std::shared_ptr<CredentialRefreshTimer> timer(new CredentialRefreshTimer(
      loop, std::move(provider), std::move(reauthenticate),
      std::move(options)));
  std::weak_ptr<CredentialRefreshTimer> weak = timer;
  loop.Post([weak] {
    if (auto self = weak.lock()) self->Begin();
  });
  return timer;
}

CredentialRefreshTimer::CredentialRefreshTimer(
    EventLoop& loop, std::shared_ptr<CredentialProvider> provider,
    Reauthenticate reauthenticate, CredentialRefreshOptions options)
    : loop_(loop),
      provider_(std::move(provider)),
      reauthenticate_(std::move(reauthenticate)),
      schedule_(std::move(options)) {}

void CredentialRefreshTimer::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
}

bool CredentialRefreshTimer::stopped() const {
  absl::MutexLock lock(&mu_);
  return stopped_;
}

CredentialRefreshStats CredentialRefreshTimer::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void CredentialRefreshTimer::Begin() {
  if (stopped()) return;
  // The connections authenticated with the current credentials when they
  // opened: only their expiry is needed to start.
  absl::StatusOr<Credentials> current = provider_->GetCredentials();
  if (current.ok()) {
    Arm(schedule_.AfterSuccess(absl::Now(), current->expires_at));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    ++stats_.failed_rounds;
    stats_.last_error =
        Annotate(current.status(), "credential refresh: get credentials");
  }
  Arm(schedule_.AfterFailure(absl::Now(), [this] {
    return absl::Uniform<double>(gen_, 0.0, 1.0);
  }));
}

void CredentialRefreshTimer::Arm(absl::Time when) {
  if (stopped()) return;
  std::weak_ptr<CredentialRefreshTimer> weak = weak_from_this();
  loop_.RunAt(when, [weak] {
    if (auto self = weak.lock()) self->Round();
  });
}

void CredentialRefreshTimer::Round() {
  if (stopped()) return;
  std::weak_ptr<CredentialRefreshTimer> weak = weak_from_this();
  reauthenticate_().Then([weak](absl::StatusOr<ReauthResult> outcome) {
    if (auto self = weak.lock()) self->Finish(outcome);
  });
}

void CredentialRefreshTimer::Finish(
    const absl::StatusOr<ReauthResult>& outcome) {
  const absl::Status status =
      outcome.ok() ? outcome->status() : outcome.status();
  {
    absl::MutexLock lock(&mu_);
    ++stats_.rounds;
    if (!status.ok()) {
      ++stats_.failed_rounds;
      stats_.last_error = status;
    }
  }
  // The future resolves on the loop's thread (the tally's promise names
  // it), so the schedule stays single-threaded.
  if (status.ok()) {
    Arm(schedule_.AfterSuccess(absl::Now(), outcome->expires_at));
  } else {
    Arm(schedule_.AfterFailure(absl::Now(), [this] {
      return absl::Uniform<double>(gen_, 0.0, 1.0);
    }));
  }
}

}  // namespace valkey::async
