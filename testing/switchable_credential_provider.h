// SwitchableCredentialProvider: a CredentialProvider for credential
// rotation tests. The test switches what it returns (another user, a wrong
// password, a failure, an expiry relative to each call) while clients use
// it, and counts the calls.
//
//   auto provider = std::make_shared<SwitchableCredentialProvider>(
//       Credentials{"alice", "alice-pw"});
//   options.connection.credentials = provider;
//   ...
//   provider->Set(Credentials{"bob", "bob-pw"});
//   client->ReauthenticateAll();
//
// Thread-safety: thread-safe (clients call it from pool and refresh
// threads, and from event-loop threads).

#ifndef VALKEY_TESTING_SWITCHABLE_CREDENTIAL_PROVIDER_H_
#define VALKEY_TESTING_SWITCHABLE_CREDENTIAL_PROVIDER_H_

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "valkey/common/credentials.h"

namespace valkey::testing {

class SwitchableCredentialProvider final : public CredentialProvider {
 public:
  explicit SwitchableCredentialProvider(Credentials credentials)
      : credentials_(std::move(credentials)) {}

  // Returns `credentials` from now on (and clears any failure).
  void Set(Credentials credentials) {
    absl::MutexLock lock(&mu_);
    credentials_ = std::move(credentials);
    failure_ = absl::OkStatus();
  }
  // Fails every call with `status` until the next Set.
  void Fail(absl::Status status) {
    absl::MutexLock lock(&mu_);
    failure_ = std::move(status);
  }
  // Each call's credentials expire `lifetime` after the call (a token
  // service issuing fresh tokens); nullopt: no expiry.
  void set_lifetime(std::optional<absl::Duration> lifetime) {
    absl::MutexLock lock(&mu_);
    lifetime_ = lifetime;
  }
  int64_t calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

  absl::StatusOr<Credentials> GetCredentials() override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    if (!failure_.ok()) return failure_;
    Credentials credentials = credentials_;
    if (lifetime_.has_value()) credentials.expires_at = absl::Now() + *lifetime_;
    return credentials;
  }

 private:
  mutable absl::Mutex mu_;
  Credentials credentials_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Duration> lifetime_ ABSL_GUARDED_BY(mu_);
  int64_t calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace valkey::testing

#endif  // VALKEY_TESTING_SWITCHABLE_CREDENTIAL_PROVIDER_H_
