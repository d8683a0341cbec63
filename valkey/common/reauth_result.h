// ReauthResult: the tally of one re-authentication of live connections
// (ReauthenticateAll on the blocking and async pools and clients, and each
// round of a credential refresh). One type for sync and async, so callers
// and the refresh schedule read every client kind the same way.
//
//   valkey::ReauthResult r = client->ReauthenticateAll();
//   if (!r.status().ok()) LOG(WARNING) << r.status() << " " << r.failed;
//
// Thread-safety: a plain value; Record/Merge need external synchronization
// when shared.

#ifndef VALKEY_COMMON_REAUTH_RESULT_H_
#define VALKEY_COMMON_REAUTH_RESULT_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace valkey {

struct ReauthResult {
  // Connections whose AUTH the server accepted in this call.
  int reauthenticated = 0;
  // Connections whose AUTH was refused or whose I/O failed; each was closed
  // (it would otherwise keep the old identity) and is replaced later by a
  // connection made with the provider's current secret.
  int failed = 0;
  // Connections checked out (in use by a caller) during the call: each is
  // re-authenticated when it comes back, before its next checkout, never
  // between a caller's commands.
  int deferred = 0;
  // The first failure: the provider's error (then nothing was sent), or the
  // first refused AUTH ("authenticate to host:port as 'user': WRONGPASS
  // ..."; never the password). OK when failed == 0 and the provider
  // answered.
  absl::Status first_error;
  // The expiry of the credentials that were sent (Credentials::expires_at),
  // for the refresh schedule.
  std::optional<absl::Time> expires_at;

  // Counts one connection's outcome, keeping the first error.
  void Record(const absl::Status& outcome) {
    if (outcome.ok()) {
      ++reauthenticated;
      return;
    }
    ++failed;
    if (first_error.ok()) first_error = outcome;
  }
  // Adds another tally (one node's pool into a cluster's total); the
  // earliest expiry wins.
  void Merge(const ReauthResult& other) {
    reauthenticated += other.reauthenticated;
    failed += other.failed;
    deferred += other.deferred;
    if (first_error.ok()) first_error = other.first_error;
    if (other.expires_at.has_value() &&
        (!expires_at.has_value() || *other.expires_at < *expires_at)) {
      expires_at = other.expires_at;
    }
  }
  // OK when nothing failed; else the first error.
  const absl::Status& status() const { return first_error; }
};

}  // namespace valkey

#endif  // VALKEY_COMMON_REAUTH_RESULT_H_
