// Credentials: the user name and password a connection authenticates with,
// and the providers that supply them.
//
// A CredentialProvider is asked for credentials on every connect and
// reconnect, so a provider that re-reads its source (environment variable,
// file, token service) makes rotated secrets take effect on the next
// reconnect without restarting the client. It may fail; the connect then
// fails with the provider's status.
//
//   valkey::ConnectionConfig config;
//   config.set_username("app");
//   config.mutable_password()->set_env("VALKEY_PASSWORD");
//   absl::StatusOr<std::shared_ptr<valkey::CredentialProvider>> provider =
//       valkey::NewConfigCredentialProvider(config);
//   if (!provider.ok()) return provider.status();
//   if (*provider != nullptr) {
//     absl::StatusOr<valkey::Credentials> creds =
//     (*provider)->GetCredentials();
//     ...  // HELLO 3 AUTH <username or "default"> <password>
//   }
//
// How a connection uses Credentials: it authenticates when the user name or
// the password is non-empty (an empty user name means the "default" user;
// a user name with an empty password addresses a `nopass` ACL user).
//
// Thread-safety: GetCredentials() may be called concurrently from any
// thread (pools connect in parallel); every implementation must allow that.
// The providers here are immutable after construction and safe. The config
// provider reads the environment with getenv(), which races with a
// concurrent setenv() in the same process (a POSIX rule, not ours).

#ifndef VALKEY_COMMON_CREDENTIALS_H_
#define VALKEY_COMMON_CREDENTIALS_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "valkey/common/config.pb.h"

namespace valkey {

// A user name and password. Never log it; DebugString() is deliberately
// absent.
struct Credentials {
  std::string username;  // Empty: the "default" user.
  std::string password;  // Empty: no password.
};

// Supplies credentials at connect time. Implementations must be thread-safe.
class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;

  // Returns the credentials to authenticate with now. Called on every
  // (re)connect, possibly concurrently, and may block (e.g. to read a file).
  // An error fails the connect with this status; its message must not
  // contain the secret.
  virtual absl::StatusOr<Credentials> GetCredentials() = 0;
};

// Always returns the credentials it was built with.
class StaticCredentialProvider final : public CredentialProvider {
 public:
  explicit StaticCredentialProvider(Credentials credentials)
      : credentials_(std::move(credentials)) {}
  StaticCredentialProvider(std::string username, std::string password)
      : credentials_{std::move(username), std::move(password)} {}

  // Never fails.
  absl::StatusOr<Credentials> GetCredentials() override { return credentials_; }

 private:
  const Credentials credentials_;
};

// Checks that `secret` names a source (an inline value, or a non-empty
// environment variable name or file path) without reading it. Errors:
// INVALID_ARGUMENT naming `field` ("connection.password: set one of value,
// env or file", "connection.password.env: empty environment variable name").
absl::Status ValidateSecret(const Secret& secret, absl::string_view field);

// Resolves a Secret to its current value: the inline value, the named
// environment variable, or the file's contents less one trailing newline
// ("\n" or "\r\n"). `field` names the config field for messages
// ("connection.password").
//
// Errors (all INVALID_ARGUMENT with ErrorKind kInvalidArgument; messages
// name the field and the variable or file, never the secret):
//   - no source set, or an empty env/file name;
//   - the environment variable is not set;
//   - the file cannot be opened or read (with the system's reason), or is
//     larger than 64 KiB.
// Blocks on file I/O for the `file` source.
absl::StatusOr<std::string> ResolveSecret(const Secret& secret,
                                          absl::string_view field);

// Builds the provider a connection config describes:
//   - `credentials_file`: re-reads the file on every call (one line: the
//     password; two lines: user name, then password);
//   - `username` and/or `password`: the user name as given and the Secret
//     resolved on every call (env and file sources are re-read, so
//     rotation works);
//   - none of these: returns nullptr (the connection does not
//     authenticate).
// Checks the config's shape only (a Secret with no source, credentials_file
// combined with username/password, an empty env/file name: INVALID_ARGUMENT
// naming `field_prefix`.field); it does not read the secret — call
// GetCredentials() once for a fail-fast check. `field_prefix` is the
// config path of `config` ("connection", "sentinel.connection").
absl::StatusOr<std::shared_ptr<CredentialProvider>> NewConfigCredentialProvider(
    const ConnectionConfig& config,
    absl::string_view field_prefix = "connection");

}  // namespace valkey

#endif  // VALKEY_COMMON_CREDENTIALS_H_
