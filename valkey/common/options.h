// The plain option structs every layer consumes: how to reach and set up a
// connection (ConnectionOptions with its TLS, keepalive and retry parts),
// pools, Sentinel, the client-side cache, and the whole client
// (ClientOptions), with their documented defaults. No protobuf: the
// connection layer and applications that build options in code need only
// this header. config.h turns the ClientConfig text proto into these.
//
//   valkey::ConnectionOptions options;
//   options.host = "127.0.0.1";
//   options.socket_timeout = absl::Seconds(1);
//   options.tls.enabled = true;
//
// Thread-safety: plain values; `ConnectionOptions::credentials` is a
// shared, thread-safe provider (see credentials.h).

#ifndef VALKEY_COMMON_OPTIONS_H_
#define VALKEY_COMMON_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "valkey/common/backoff.h"
#include "valkey/common/credentials.h"
#include "valkey/common/resp_reader.h"

namespace valkey {

// Sent with CLIENT SETINFO unless overridden or disabled.
inline constexpr absl::string_view kLibraryName = "valkey-cpp";
inline constexpr absl::string_view kLibraryVersion = "0.1.0";

inline constexpr int kDefaultPort = 6379;
inline constexpr int kDefaultSentinelPort = 26379;

// TCP keepalive. Unset optionals keep the operating system's default.
struct KeepaliveOptions {
  bool enabled = true;                     // SO_KEEPALIVE.
  std::optional<absl::Duration> idle;      // TCP_KEEPIDLE, whole seconds.
  std::optional<absl::Duration> interval;  // TCP_KEEPINTVL, whole seconds.
  std::optional<int> count;                // TCP_KEEPCNT, 1..127.
};

// TLS over TCP. Secrets (key_pem, key_password) are already resolved.
struct TlsOptions {
  enum class Verify { kNone, kOptional, kRequired };
  enum class Version { kTls12, kTls13 };
  enum class Ocsp { kOff, kStapled, kResponder };

  bool enabled = false;
  // Trusted CAs: any combination; added to the system store when
  // use_system_trust_store.
  std::string ca_file;
  std::string ca_path;
  std::string ca_pem;
  bool use_system_trust_store = true;
  // Client certificate: at most one of cert_file / cert_pem, and then
  // exactly one of key_file / key_pem.
  std::string cert_file;
  std::string cert_pem;
  std::string key_file;
  std::string key_pem;                // Secret: the private key PEM itself.
  std::string key_password;           // Secret: empty = key not encrypted.
  Verify verify = Verify::kRequired;  // kOptional behaves as kRequired.
  bool check_hostname = true;         // Always false when verify == kNone.
  std::string server_name;            // SNI + name to check; empty = host.
  Version min_version = Version::kTls12;
  std::string ciphers;  // TLS 1.2 cipher list; empty = library defaults.
  // Revocation check (config.proto TlsOcspMode); never with kNone verify.
  Ocsp ocsp = Ocsp::kOff;
  bool ocsp_fail_open = false;
  absl::Duration ocsp_responder_timeout = absl::Seconds(2);
};

// Retrying operations that failed with a retryable error (retry.h).
struct RetryOptions {
  // Same value as Retry::kUnlimited (retry.h).
  static constexpr int kUnlimited = -1;

  // Retries after the first attempt; kUnlimited = no limit.
  int retries = 0;
  Backoff backoff = Backoff::Default();  // EqualJitter(8 ms, 512 ms).
  // Commands that timed out are retried too (else only connection errors).
  bool retry_on_timeout = false;
};

// How to reach and set up one connection. Defaults are those documented in
// config.proto.
struct ConnectionOptions {
  // Address: TCP host:port, unless unix_path is non-empty.
  std::string host = "localhost";  // IPv6 literals without brackets.
  int port = kDefaultPort;
  std::string unix_path;

  // Handshake.
  int db = 0;  // SELECT when non-zero.
  // Asked on every (re)connect; null = do not authenticate. May be replaced
  // by an application's own provider after conversion.
  std::shared_ptr<CredentialProvider> credentials;
  std::string client_name;    // Empty = no SETNAME.
  int protocol = 3;           // 2 or 3.
  bool send_lib_info = true;  // CLIENT SETINFO LIB-NAME / LIB-VER.
  std::string lib_name = std::string(kLibraryName);
  std::string lib_version = std::string(kLibraryVersion);
  bool client_capa_redirect = false;

  // Socket.
  absl::Duration connect_timeout = absl::Seconds(5);  // Connect + TLS.
  // Each read/write; absl::InfiniteDuration() = no time-out.
  absl::Duration socket_timeout = absl::InfiniteDuration();
  KeepaliveOptions keepalive;  // TCP only.
  bool tcp_nodelay = true;     // TCP only.
  TlsOptions tls;              // TCP only.

  // Failure handling.
  RetryOptions retry;
  // PING a connection idle longer than this before use; zero = never.
  absl::Duration health_check_interval = absl::ZeroDuration();

  // Bounds on each reply read (resp_reader.h). A reply over one fails with
  // DATA_LOSS and drops the connection. Every bound but max_idle_buffer
  // must be >= 1 (see ValidateReaderLimits).
  ReaderLimits reader_limits;

  bool is_unix() const { return !unix_path.empty(); }
  // For messages: "host:port", "[v6::addr]:port" or the socket path.
  std::string Address() const;
};

struct PoolOptions {
  int max_connections = 50;  // >= 1.
  bool blocking = true;      // Wait for a free connection (else fail).
  absl::Duration wait_timeout = absl::Seconds(20);  // Blocking pools only.
};

struct SentinelAddress {
  std::string host;
  int port = kDefaultSentinelPort;
};

// Time-outs of connections to sentinels when none is set. A sentinel that
// accepts connections and never answers (a partition, a stopped process)
// must cost a discovery about this long, after which the next sentinel is
// asked; sentinel commands are small and quick, so a second is generous.
inline constexpr absl::Duration kDefaultSentinelConnectTimeout =
    absl::Seconds(1);
inline constexpr absl::Duration kDefaultSentinelSocketTimeout =
    absl::Seconds(1);

// Connections the blocking Sentinel keeps per sentinel when none is set:
// discovery is short and rare, so a few serve many threads.
inline constexpr int kDefaultMaxConnectionsPerSentinel = 4;

// The ConnectionOptions defaults, except the sentinel time-outs above: what
// SentinelOptions::connection starts as.
inline ConnectionOptions DefaultSentinelConnectionOptions() {
  ConnectionOptions options;
  options.port = kDefaultSentinelPort;
  options.connect_timeout = kDefaultSentinelConnectTimeout;
  options.socket_timeout = kDefaultSentinelSocketTimeout;
  return options;
}

struct SentinelOptions {
  std::vector<SentinelAddress> sentinels;  // Non-empty, in config order.
  std::string service_name;                // Non-empty.
  int min_other_sentinels = 0;
  // Most connections the blocking Sentinel opens to each sentinel (a
  // blocking pool: more concurrent lookups wait up to connect_timeout for
  // one). >= 1. The async Sentinel multiplexes one connection per sentinel
  // and ignores it.
  int max_connections_per_sentinel = kDefaultMaxConnectionsPerSentinel;
  // Template for connections to sentinels: host/port are left at their
  // defaults and unix_path empty; take each address from `sentinels`.
  // Starts with the sentinel time-outs (kDefaultSentinelConnectTimeout,
  // kDefaultSentinelSocketTimeout), not ConnectionOptions' 5 s / none.
  // Sentinel connections never wait forever: an infinite socket_timeout
  // here (e.g. a data-node template copied in) is replaced by
  // kDefaultSentinelSocketTimeout when they are opened
  // (sentinel_rules::ConnectionFor, valkey/sentinel/sentinel_rules.h).
  ConnectionOptions connection = DefaultSentinelConnectionOptions();
};

struct CacheOptions {
  enum class Eviction { kLru, kLfu, kRandom };

  bool enabled = false;
  int max_entries = 10000;
  // Most bytes of cached replies (each entry is charged its command's
  // arguments plus its reply's storage; see local_cache.h), >= 1. The
  // default, 64 MiB, leaves the default 10,000 entries about 6.5 KiB each
  // (far above a typical GET or HGET value) while keeping a few large
  // replies (HGETALL or LRANGE of a big collection) from growing the
  // process without bound; a bound on entries alone is no bound on memory.
  int64_t max_bytes = int64_t{64} << 20;
  absl::Duration ttl = absl::InfiniteDuration();  // Infinite = no expiry.
  Eviction eviction = Eviction::kLru;
  // Upper-case command names. Deny wins over allow.
  std::vector<std::string> allow_commands;      // Filled by ToCacheOptions.
  std::vector<std::string> deny_commands;       // Filled by ToCacheOptions.
  std::vector<std::string> allow_key_prefixes;  // Empty = every key.
  std::vector<std::string> deny_key_prefixes;
  // The time source of `ttl` (tests pass a fake clock); null = absl::Now.
  // Not part of the text configuration.
  std::function<absl::Time()> clock;
};

struct ClientOptions {
  ConnectionOptions connection;  // Data nodes (address unused w/ sentinel).
  PoolOptions pool;
  std::optional<SentinelOptions> sentinel;
  CacheOptions cache;
  // The blocking Client holds one connection for its life and serializes
  // every call on it, so connection state (CLIENT SETNAME, SELECT, ...)
  // carries from one command to the next (valkey-py's
  // single_connection_client). Implies pool.max_connections = 1, blocking.
  // The async client sends ordinary commands on one multiplexed connection
  // already and ignores it.
  bool single_connection = false;
};

// The reference client's default cache lists (upper case, sorted).
const std::vector<std::string>& DefaultCacheAllowCommands();
const std::vector<std::string>& DefaultCacheDenyCommands();

// Checks `limits` as a connection uses them: every bound except
// max_idle_buffer must be >= 1 (0 would refuse every reply, the
// handshake's included). `field` names the limits in messages.
// Errors: INVALID_ARGUMENT "<field>.<bound>: 0 is not valid (must be >= 1)".
absl::Status ValidateReaderLimits(const ReaderLimits& limits,
                                  absl::string_view field);

}  // namespace valkey

#endif  // VALKEY_COMMON_OPTIONS_H_
