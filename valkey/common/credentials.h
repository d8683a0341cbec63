// Credentials: the user name and password a connection authenticates with,
// and the interface of the providers that supply them.
//
// A CredentialProvider is asked for credentials on every connect and
// reconnect, so a provider that re-reads its source (environment variable,
// file, token service) makes rotated secrets take effect on the next
// reconnect without restarting the client. Live connections switch to the
// provider's current secret on demand (ReauthenticateAll on the pools and
// clients) or ahead of a token's expiry (EnableCredentialRefresh); see
// docs/credentials.md. A provider may fail; the connect then fails with the
// provider's status.
//
//   auto provider = std::make_shared<valkey::StaticCredentialProvider>(
//       "app", "s3cret");
//   valkey::ConnectionOptions options;
//   options.credentials = provider;
//
// Providers built from a protobuf ConnectionConfig (passwords from a file
// or an environment variable) live in config_credentials.h, so this header
// and its users do not depend on protobuf.
//
// How a connection uses Credentials: it authenticates when the user name or
// the password is non-empty (an empty user name means the "default" user;
// a user name with an empty password addresses a `nopass` ACL user).
//
// Thread-safety: GetCredentials() may be called concurrently from any
// thread (pools connect in parallel, a refresh thread re-authenticates);
// every implementation must allow that. StaticCredentialProvider is
// immutable after construction and safe.

#ifndef VALKEY_COMMON_CREDENTIALS_H_
#define VALKEY_COMMON_CREDENTIALS_H_

#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace valkey {

// A user name and password, and when the password stops being valid. Never
// log it; DebugString() is deliberately absent.
struct Credentials {
  std::string username;  // Empty: the "default" user.
  std::string password;  // Empty: no password.
  // When the secret stops being accepted (a token's expiry); nullopt for a
  // secret without one. Only a credential refresh (EnableCredentialRefresh)
  // reads it: it re-authenticates live connections a margin before this
  // time with whatever the provider returns then. A connection does not
  // check it at connect time.
  std::optional<absl::Time> expires_at;
};

// Supplies credentials at connect time. Implementations must be thread-safe.
class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;

  // Returns the credentials to authenticate with now. Called on every
  // (re)connect and re-authentication, possibly concurrently, and may block
  // (e.g. to read a file or ask a token service). An error fails the
  // connect with this status; its message must not contain the secret.
  virtual absl::StatusOr<Credentials> GetCredentials() = 0;
};

// Always returns the credentials it was built with.
class StaticCredentialProvider final : public CredentialProvider {
 public:
  explicit StaticCredentialProvider(Credentials credentials)
      : credentials_(std::move(credentials)) {}
  StaticCredentialProvider(std::string username, std::string password)
      : credentials_{std::move(username), std::move(password), std::nullopt} {}

  // Never fails.
  absl::StatusOr<Credentials> GetCredentials() override { return credentials_; }

 private:
  const Credentials credentials_;
};

}  // namespace valkey

#endif  // VALKEY_COMMON_CREDENTIALS_H_
