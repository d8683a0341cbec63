// CredentialRefresher: the blocking clients' background re-authentication
// ahead of credential expiry (EnableCredentialRefresh on Client and
// ClusterClient).
//
//   absl::StatusOr<std::unique_ptr<CredentialRefresher>> refresher =
//       CredentialRefresher::Start(provider, [&] { return pool.ReauthenticateAll(); },
//                                  CredentialRefreshOptions());
//   ...  // destroying it stops and joins its thread
//
// One thread per refresher. It asks the provider once for the current
// credentials' expiry, then sleeps until the time RefreshSchedule gives
// (refresh_schedule.h: a margin before Credentials::expires_at), calls
// `reauthenticate` (which asks the provider for the new secret and sends
// AUTH on live connections) and schedules the next round from the expiry
// of what was sent. A failed round (provider error, refused AUTH) is
// retried after the schedule's backoff; it never throws, crashes or spins.
//
// Fork: in a fork()ed child the thread does not exist; destroying the
// refresher there only forgets it (no join, which would wait forever).
//
// Thread-safety: stats() is thread-safe. The destructor wakes the thread
// and joins it; it waits for a round under way (at most one round trip per
// idle connection, each bounded by the socket time-out) and must not run
// on the refresher's own thread (from `reauthenticate`).

#ifndef VALKEY_CONNECTION_CREDENTIAL_REFRESHER_H_
#define VALKEY_CONNECTION_CREDENTIAL_REFRESHER_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "valkey/common/credentials.h"
#include "valkey/common/reauth_result.h"
#include "valkey/common/refresh_schedule.h"

namespace valkey {

class CredentialRefresher {
 public:
  using Reauthenticate = std::function<ReauthResult()>;

  using Stats = CredentialRefreshStats;

  // Starts the thread. Errors: FAILED_PRECONDITION when `provider` is null
  // (there is nothing to refresh); INVALID_ARGUMENT for an empty
  // `reauthenticate`.
  static absl::StatusOr<std::unique_ptr<CredentialRefresher>> Start(
      std::shared_ptr<CredentialProvider> provider,
      Reauthenticate reauthenticate, CredentialRefreshOptions options);

  // Stops and joins the thread.
  ~CredentialRefresher();
  CredentialRefresher(const CredentialRefresher&) = delete;
  CredentialRefresher& operator=(const CredentialRefresher&) = delete;

  Stats stats() const;

 private:
  CredentialRefresher(std::shared_ptr<CredentialProvider> provider,
                      Reauthenticate reauthenticate,
                      CredentialRefreshOptions options);
  void Run();
  // Sleeps until `until` or Stop; false once stopping.
  bool SleepUntil(absl::Time until) ABSL_LOCKS_EXCLUDED(mu_);
  void Count(bool round, const absl::Status& status) ABSL_LOCKS_EXCLUDED(mu_);

  const std::shared_ptr<CredentialProvider> provider_;
  const Reauthenticate reauthenticate_;
  const CredentialRefreshOptions options_;

  const pid_t pid_;  // The process whose thread runs Run().

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace valkey

#endif  // VALKEY_CONNECTION_CREDENTIAL_REFRESHER_H_
