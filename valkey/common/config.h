// Client configuration: loading the ClientConfig text proto
// (valkey/common/config.proto), validating it, and converting it into the
// plain option structs of options.h, with defaults filled in and durations
// as absl::Duration. The connection, pool, sentinel and cache layers consume
// those structs, never the proto.
//
//   absl::StatusOr<valkey::ClientConfig> config =
//       valkey::LoadConfigFile("/etc/myapp/valkey.textproto");
//   if (!config.ok()) return config.status();  // "...:3:5: ... "prot""
//   absl::StatusOr<valkey::ClientOptions> options =
//       valkey::ToClientOptions(*config);
//   if (!options.ok()) return options.status();
//   LOG(INFO) << valkey::RedactedDebugString(*config);  // no secrets
//
// Every error is INVALID_ARGUMENT with ErrorKind kInvalidArgument (see
// errors.h), and its message starts with the offending field's path:
//   "connection.port: 70000 is not a valid port (1-65535)"
//   "sentinel.sentinels[1].host: required"
// Secret values never appear in messages or debug strings.
//
// Thread-safety: all functions are thread-compatible and keep no state.
// The option structs are plain values; `ConnectionOptions::credentials` is
// a shared, thread-safe provider (see credentials.h).

#ifndef VALKEY_COMMON_CONFIG_H_
#define VALKEY_COMMON_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "valkey/common/config.pb.h"
#include "valkey/common/options.h"  // IWYU pragma: export

namespace valkey {

// Loading.

// Parses a ClientConfig text proto and validates it (ValidateConfig).
// `source_name` prefixes parse errors ("client.textproto:4:3: ...").
// Errors: INVALID_ARGUMENT for a syntax error, an unknown field or enum
// value (message "<source>:<line>:<column>: <what>", 1-based, naming the
// field), or an invalid value (see ValidateConfig).
absl::StatusOr<ClientConfig> ParseConfigText(
    absl::string_view text, absl::string_view source_name = "<config>");

// Reads the file at `path` (at most 1 MiB) and returns ParseConfigText()
// of it. Errors: INVALID_ARGUMENT when the file cannot be read (naming the
// path and the system's reason) or is invalid. Blocks on file I/O.
absl::StatusOr<ClientConfig> LoadConfigFile(absl::string_view path);

// Checks every value without reading secrets (env and file sources are not
// consulted). Errors: INVALID_ARGUMENT whose message starts with the field
// path, e.g. "connection.port: 70000 is not a valid port (1-65535)",
// "pool.max_connections: 0 is not valid (must be >= 1)".
absl::Status ValidateConfig(const ClientConfig& config);

// Conversion. Each validates its input (errors as ValidateConfig), fills
// the defaults and resolves TLS secrets (key_pem, key_password). The
// connection password is checked once by calling the credential provider
// (fail fast: a missing environment variable or file is INVALID_ARGUMENT
// naming it) and is re-read by the provider on every connect.

// `config` is ClientConfig.connection (field paths "connection.*").
absl::StatusOr<ConnectionOptions> ToConnectionOptions(
    const ConnectionConfig& config);
absl::StatusOr<PoolOptions> ToPoolOptions(const PoolConfig& config);
// `protocol` is the data connections' protocol (the cache needs 3).
absl::StatusOr<CacheOptions> ToCacheOptions(const CacheConfig& config,
                                            int protocol = 3);
// `data_connection` supplies the sentinels' time-outs, keepalive and
// tcp_nodelay when `config` has no `connection`.
absl::StatusOr<SentinelOptions> ToSentinelOptions(
    const SentinelConfig& config, const ConnectionConfig& data_connection);
absl::StatusOr<ClientOptions> ToClientOptions(const ClientConfig& config);

// Debugging.

// The config as a text proto with every inline secret (Secret.value:
// passwords, key_password, key_pem) replaced by "<redacted>". Environment
// variable names and file paths are kept.
std::string RedactedDebugString(const ClientConfig& config);

}  // namespace valkey

#endif  // VALKEY_COMMON_CONFIG_H_
