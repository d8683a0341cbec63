// Config credentials: the CredentialProviders a protobuf ConnectionConfig
// describes (a user name, a password from the config, an environment
// variable or a file, or a credentials file), and the Secret resolution
// they share with config conversion. Split from credentials.h so that code
// which only needs the provider interface does not depend on protobuf.
//
//   valkey::ConnectionConfig config;
//   config.set_username("app");
//   config.mutable_password()->set_env("VALKEY_PASSWORD");
//   absl::StatusOr<std::shared_ptr<valkey::CredentialProvider>> provider =
//       valkey::NewConfigCredentialProvider(config);
//   if (!provider.ok()) return provider.status();
//   if (*provider != nullptr) {
//     absl::StatusOr<valkey::Credentials> creds =
//         (*provider)->GetCredentials();
//     ...  // HELLO 3 AUTH <username or "default"> <password>
//   }
//
// Thread-safety: the providers are immutable after construction and their
// GetCredentials() may run concurrently. They read the environment with
// getenv(), which races with a concurrent setenv() in the same process (a
// POSIX rule, not ours).

#ifndef VALKEY_COMMON_CONFIG_CREDENTIALS_H_
#define VALKEY_COMMON_CONFIG_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "valkey/common/config.pb.h"
#include "valkey/common/credentials.h"

namespace valkey {

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
// Its credentials carry no expiry. Checks the config's shape only (a Secret
// with no source, credentials_file combined with username/password, an
// empty env/file name: INVALID_ARGUMENT naming `field_prefix`.field); it
// does not read the secret — call GetCredentials() once for a fail-fast
// check. `field_prefix` is the config path of `config` ("connection",
// "sentinel.connection").
absl::StatusOr<std::shared_ptr<CredentialProvider>> NewConfigCredentialProvider(
    const ConnectionConfig& config,
    absl::string_view field_prefix = "connection");

}  // namespace valkey

#endif  // VALKEY_COMMON_CONFIG_CREDENTIALS_H_
