#include "valkey/connection/credential_refresher.h"

#include <utility>

#include "absl/random/distributions.h"
#include "absl/random/random.h"
#include "absl/time/clock.h"
#include "valkey/common/errors.h"
#include "valkey/common/process_id.h"

namespace valkey {

absl::StatusOr<std::unique_ptr<CredentialRefresher>> CredentialRefresher::Start(
    std::shared_ptr<CredentialProvider> provider,
    Reauthenticate reauthenticate, CredentialRefreshOptions options) {
  if (provider == nullptr) {
    return MakeError(absl::StatusCode::kFailedPrecondition, ErrorKind::kNone,
                     "credential refresh: no credential provider configured "
                     "(set ConnectionOptions::credentials)");
  }
  if (!reauthenticate) {
    return InvalidArgumentError("credential refresh: empty reauthenticate");
  }
  std::unique_ptr<CredentialRefresher> refresher(new CredentialRefresher(
      std::move(provider), std::move(reauthenticate), std::move(options)));
  CredentialRefresher* self = refresher.get();
  refresher->thread_ = std::thread([self] { self->Run(); });
  return refresher;
}

CredentialRefresher::CredentialRefresher(
    std::shared_ptr<CredentialProvider> provider,
    Reauthenticate reauthenticate, CredentialRefreshOptions options)
    : provider_(std::move(provider)),
      reauthenticate_(std::move(reauthenticate)),
      options_(std::move(options)),
      pid_(CurrentProcessId()) {}

CredentialRefresher::~CredentialRefresher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (!thread_.joinable()) return;
  if (CurrentProcessId() != pid_) {
    // fork()ed child: the thread was not copied, so there is nothing to
    // wake or wait for.
    thread_.detach();
    return;
  }
  thread_.join();
}

CredentialRefresher::Stats CredentialRefresher::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

bool CredentialRefresher::SleepUntil(absl::Time until) {
  absl::MutexLock lock(&mu_);
  // Await re-checks the condition whenever the mutex is released, so the
  // destructor's write wakes this at once.
  mu_.AwaitWithDeadline(absl::Condition(&stopping_), until);
  return !stopping_;
}

void CredentialRefresher::Count(bool round, const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  if (round) ++stats_.rounds;
  if (!status.ok()) {
    ++stats_.failed_rounds;
    stats_.last_error = status;
  }
}

void CredentialRefresher::Run() {
  RefreshSchedule schedule(options_);
  absl::BitGen gen;
  auto uniform = [&gen] { return absl::Uniform<double>(gen, 0.0, 1.0); };

  // The connections authenticated with the provider's current credentials
  // when they opened: only their expiry is needed to start.
  absl::Time next;
  absl::StatusOr<Credentials> current = provider_->GetCredentials();
  if (current.ok()) {
    next = schedule.AfterSuccess(absl::Now(), current->expires_at);
  } else {
    Count(/*round=*/false,
          Annotate(current.status(), "credential refresh: get credentials"));
    next = schedule.AfterFailure(absl::Now(), uniform);
  }
  while (SleepUntil(next)) {
    const ReauthResult result = reauthenticate_();
    Count(/*round=*/true, result.status());
    if (result.status().ok()) {
      next = schedule.AfterSuccess(absl::Now(), result.expires_at);
    } else {
      next = schedule.AfterFailure(absl::Now(), uniform);
    }
  }
}

}  // namespace valkey
