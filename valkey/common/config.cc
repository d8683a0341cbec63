#include "valkey/common/config.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/message.h"
#include "valkey/common/backoff.h"
#include "valkey/common/config.pb.h"
#include "valkey/common/config_credentials.h"
#include "valkey/common/credentials.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

#define VALKEY_CONFIG_RETURN_IF_ERROR(expr)                        \
  do {                                                             \
    absl::Status valkey_config_status_ = (expr);                   \
    if (!valkey_config_status_.ok()) return valkey_config_status_; \
  } while (0)

// Whether conversion reads secrets (env, files) or only checks their shape.
enum class Mode { kValidate, kConvert };

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return InvalidArgumentError(absl::StrCat(field, ": ", what));
}

std::string Sub(absl::string_view prefix, absl::string_view name) {
  return absl::StrCat(prefix, ".", name);
}

// Converts a google.protobuf.Duration, checking the rules of its spec.
absl::StatusOr<absl::Duration> ConvertDuration(
    const google::protobuf::Duration& d, absl::string_view field) {
  constexpr int64_t kMaxSeconds = 315576000000;  // 10,000 years.
  if (d.seconds() > kMaxSeconds || d.seconds() < -kMaxSeconds) {
    return Invalid(field, "seconds out of range");
  }
  if (d.nanos() >= 1000000000 || d.nanos() <= -1000000000) {
    return Invalid(field, "nanos must be within -999999999..999999999");
  }
  if ((d.seconds() > 0 && d.nanos() < 0) ||
      (d.seconds() < 0 && d.nanos() > 0)) {
    return Invalid(field, "seconds and nanos must have the same sign");
  }
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

// Sets *out when the duration is present; it must be > 0.
absl::Status PositiveDuration(bool present, const google::protobuf::Duration& d,
                              absl::string_view field, absl::Duration* out) {
  if (!present) return absl::OkStatus();
  absl::StatusOr<absl::Duration> v = ConvertDuration(d, field);
  if (!v.ok()) return v.status();
  if (*v <= absl::ZeroDuration()) {
    return Invalid(field, absl::StrCat(absl::FormatDuration(*v),
                                       " is not valid (must be > 0)"));
  }
  *out = *v;
  return absl::OkStatus();
}

absl::Status CheckPort(int port, absl::string_view field) {
  if (port < 1 || port > 65535) {
    return Invalid(field, absl::StrCat(port, " is not a valid port (1-65535)"));
  }
  return absl::OkStatus();
}

// Names the server accepts for CLIENT SETNAME / SETINFO: printable ASCII
// without spaces.
absl::Status CheckToken(absl::string_view value, absl::string_view field) {
  for (char c : value) {
    if (c < '!' || c > '~') {
      return Invalid(field,
                     "must not contain spaces, newlines or characters "
                     "outside printable ASCII");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckHost(absl::string_view host, absl::string_view field) {
  for (char c : host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '\x7f') {
      return Invalid(field, "must not contain spaces or control characters");
    }
  }
  if (absl::StrContains(host, '[') || absl::StrContains(host, ']')) {
    return Invalid(field, "write IPv6 addresses without brackets");
  }
  if (absl::StrContains(host, '/')) {
    return Invalid(field,
                   "a host name cannot contain '/' (for a Unix "
                   "socket use unix_path)");
  }
  return absl::OkStatus();
}

bool TlsEnabled(const ConnectionConfig& c) {
  return c.has_tls() && (!c.tls().has_enabled() || c.tls().enabled());
}

// --- Pieces of ConnectionConfig. ---

absl::Status ConvertKeepalive(const KeepaliveConfig& c, absl::string_view p,
                              KeepaliveOptions* out) {
  if (c.has_enabled()) out->enabled = c.enabled();
  auto whole_seconds = [](bool present, const google::protobuf::Duration& d,
                          const std::string& field,
                          std::optional<absl::Duration>* dst) -> absl::Status {
    if (!present) return absl::OkStatus();
    absl::StatusOr<absl::Duration> v = ConvertDuration(d, field);
    if (!v.ok()) return v.status();
    if (*v < absl::Seconds(1) || *v > absl::Seconds(32767) ||
        absl::Trunc(*v, absl::Seconds(1)) != *v) {
      return Invalid(field, absl::StrCat(absl::FormatDuration(*v),
                                         " is not valid (must be whole "
                                         "seconds from 1s to 32767s)"));
    }
    *dst = *v;
    return absl::OkStatus();
  };
  VALKEY_CONFIG_RETURN_IF_ERROR(
      whole_seconds(c.has_idle(), c.idle(), Sub(p, "idle"), &out->idle));
  VALKEY_CONFIG_RETURN_IF_ERROR(whole_seconds(
      c.has_interval(), c.interval(), Sub(p, "interval"), &out->interval));
  if (c.has_count()) {
    if (c.count() < 1 || c.count() > 127) {
      return Invalid(Sub(p, "count"),
                     absl::StrCat(c.count(), " is not valid (1-127)"));
    }
    out->count = c.count();
  }
  return absl::OkStatus();
}

// Checks a Secret, and resolves it in kConvert mode.
absl::Status ConvertSecret(const Secret& secret, const std::string& field,
                           Mode mode, std::string* out) {
  if (mode == Mode::kValidate) return ValidateSecret(secret, field);
  absl::StatusOr<std::string> value = ResolveSecret(secret, field);
  if (!value.ok()) return value.status();
  *out = *std::move(value);
  return absl::OkStatus();
}

absl::Status ConvertOcsp(const TlsConfig& c, absl::string_view p,
                         TlsOptions* out) {
  switch (c.ocsp()) {
    case TLS_OCSP_MODE_UNSPECIFIED:
    case OCSP_OFF:
      out->ocsp = TlsOptions::Ocsp::kOff;
      break;
    case OCSP_STAPLED:
      out->ocsp = TlsOptions::Ocsp::kStapled;
      break;
    case OCSP_RESPONDER:
      out->ocsp = TlsOptions::Ocsp::kResponder;
      break;
    default:
      return Invalid(Sub(p, "ocsp"), absl::StrCat("unknown value ", c.ocsp()));
  }
  if (out->ocsp != TlsOptions::Ocsp::kOff &&
      out->verify == TlsOptions::Verify::kNone) {
    return Invalid(Sub(p, "ocsp"),
                   "needs a verified certificate chain (not with verify_mode "
                   "VERIFY_NONE)");
  }
  if (c.has_ocsp_fail_open()) {
    if (out->ocsp == TlsOptions::Ocsp::kOff) {
      return Invalid(Sub(p, "ocsp_fail_open"),
                     "set without ocsp (OCSP_STAPLED or OCSP_RESPONDER)");
    }
    out->ocsp_fail_open = c.ocsp_fail_open();
  }
  if (c.has_ocsp_responder_timeout() &&
      out->ocsp != TlsOptions::Ocsp::kResponder) {
    return Invalid(Sub(p, "ocsp_responder_timeout"),
                   "set without ocsp OCSP_RESPONDER");
  }
  return PositiveDuration(
      c.has_ocsp_responder_timeout(), c.ocsp_responder_timeout(),
      Sub(p, "ocsp_responder_timeout"), &out->ocsp_responder_timeout);
}

absl::Status ConvertTls(const TlsConfig& c, absl::string_view p, Mode mode,
                        TlsOptions* out) {
  out->enabled = !c.has_enabled() || c.enabled();
  out->ca_file = c.ca_file();
  out->ca_path = c.ca_path();
  out->ca_pem = c.ca_pem();
  if (c.has_use_system_trust_store()) {
    out->use_system_trust_store = c.use_system_trust_store();
  }
  if (!c.cert_file().empty() && !c.cert_pem().empty()) {
    return Invalid(Sub(p, "cert_pem"), "cannot be combined with cert_file");
  }
  if (!c.key_file().empty() && c.has_key_pem()) {
    return Invalid(Sub(p, "key_pem"), "cannot be combined with key_file");
  }
  const bool has_cert = !c.cert_file().empty() || !c.cert_pem().empty();
  const bool has_key = !c.key_file().empty() || c.has_key_pem();
  if (has_cert && !has_key) {
    return Invalid(Sub(p, "key_file"),
                   "a client certificate needs a private key (key_file or "
                   "key_pem)");
  }
  if (has_key && !has_cert) {
    return Invalid(Sub(p, "cert_file"),
                   "a private key needs a client certificate (cert_file or "
                   "cert_pem)");
  }
  if (c.has_key_password() && !has_key) {
    return Invalid(Sub(p, "key_password"), "set without a private key");
  }
  out->cert_file = c.cert_file();
  out->cert_pem = c.cert_pem();
  out->key_file = c.key_file();
  if (c.has_key_pem()) {
    VALKEY_CONFIG_RETURN_IF_ERROR(
        ConvertSecret(c.key_pem(), Sub(p, "key_pem"), mode, &out->key_pem));
  }
  if (c.has_key_password()) {
    VALKEY_CONFIG_RETURN_IF_ERROR(ConvertSecret(
        c.key_password(), Sub(p, "key_password"), mode, &out->key_password));
  }
  switch (c.verify_mode()) {
    case TLS_VERIFY_MODE_UNSPECIFIED:
    case VERIFY_REQUIRED:
      out->verify = TlsOptions::Verify::kRequired;
      break;
    case VERIFY_OPTIONAL:
      out->verify = TlsOptions::Verify::kOptional;
      break;
    case VERIFY_NONE:
      out->verify = TlsOptions::Verify::kNone;
      break;
    default:
      return Invalid(Sub(p, "verify_mode"),
                     absl::StrCat("unknown value ", c.verify_mode()));
  }
  if (c.has_check_hostname()) {
    if (c.check_hostname() && out->verify == TlsOptions::Verify::kNone) {
      return Invalid(Sub(p, "check_hostname"),
                     "cannot be true with verify_mode VERIFY_NONE (a "
                     "hostname check needs a verified certificate)");
    }
    out->check_hostname = c.check_hostname();
  } else {
    out->check_hostname = out->verify != TlsOptions::Verify::kNone;
  }
  if (!c.server_name().empty()) {
    VALKEY_CONFIG_RETURN_IF_ERROR(
        CheckHost(c.server_name(), Sub(p, "server_name")));
    out->server_name = c.server_name();
  }
  switch (c.min_version()) {
    case TLS_VERSION_UNSPECIFIED:
    case TLS_1_2:
      out->min_version = TlsOptions::Version::kTls12;
      break;
    case TLS_1_3:
      out->min_version = TlsOptions::Version::kTls13;
      break;
    default:
      return Invalid(Sub(p, "min_version"),
                     absl::StrCat("unknown value ", c.min_version()));
  }
  out->ciphers = c.ciphers();
  return ConvertOcsp(c, p, out);
}

absl::Status ConvertReaderLimits(const ReaderLimitsConfig& c,
                                 absl::string_view p, ReaderLimits* out) {
  if (c.has_max_bulk_length()) out->max_bulk_length = c.max_bulk_length();
  if (c.has_max_elements()) out->max_elements = c.max_elements();
  if (c.has_max_depth()) out->max_depth = c.max_depth();
  if (c.has_max_reply_bytes()) out->max_reply_bytes = c.max_reply_bytes();
  if (c.has_max_reply_elements()) {
    out->max_reply_elements = c.max_reply_elements();
  }
  if (c.has_max_idle_buffer()) out->max_idle_buffer = c.max_idle_buffer();
  return ValidateReaderLimits(*out, p);
}

absl::Status ConvertRetry(const RetryConfig& c, absl::string_view p,
                          RetryOptions* out) {
  int retries = 0;
  if (c.has_retries()) {
    if (c.retries() < 0) {
      return Invalid(Sub(p, "retries"),
                     absl::StrCat(c.retries(),
                                  " is not valid (must be >= 0; use "
                                  "`unlimited: true` for no limit)"));
    }
    retries = c.retries();
  }
  if (c.unlimited()) {
    if (c.has_retries()) {
      return Invalid(Sub(p, "unlimited"), "cannot be combined with retries");
    }
    retries = RetryOptions::kUnlimited;
  }
  out->retries = retries;

  absl::Duration base = Backoff::kDefaultBase;
  absl::Duration cap = Backoff::kDefaultCap;
  VALKEY_CONFIG_RETURN_IF_ERROR(PositiveDuration(
      c.has_backoff_base(), c.backoff_base(), Sub(p, "backoff_base"), &base));
  VALKEY_CONFIG_RETURN_IF_ERROR(PositiveDuration(
      c.has_backoff_cap(), c.backoff_cap(), Sub(p, "backoff_cap"), &cap));
  const bool capped =
      c.backoff() != BACKOFF_NONE && c.backoff() != BACKOFF_CONSTANT;
  if (capped && cap < base) {
    return Invalid(
        Sub(p, "backoff_cap"),
        absl::StrCat(absl::FormatDuration(cap), " is less than backoff_base (",
                     absl::FormatDuration(base), ")"));
  }
  switch (c.backoff()) {
    case BACKOFF_NONE:
      out->backoff = Backoff::None();
      break;
    case BACKOFF_CONSTANT:
      out->backoff = Backoff::Constant(base);
      break;
    case BACKOFF_EXPONENTIAL:
      out->backoff = Backoff::Exponential(base, cap);
      break;
    case BACKOFF_FULL_JITTER:
      out->backoff = Backoff::FullJitter(base, cap);
      break;
    case BACKOFF_STRATEGY_UNSPECIFIED:
    case BACKOFF_EQUAL_JITTER:
      out->backoff = Backoff::EqualJitter(base, cap);
      break;
    case BACKOFF_DECORRELATED_JITTER:
      out->backoff = Backoff::DecorrelatedJitter(base, cap);
      break;
    default:
      return Invalid(Sub(p, "backoff"),
                     absl::StrCat("unknown value ", c.backoff()));
  }
  if (c.has_retry_on_timeout()) out->retry_on_timeout = c.retry_on_timeout();
  return absl::OkStatus();
}

// `sentinel_side`: the config describes connections to sentinels, which
// take their address from the sentinel list.
absl::Status ConvertConnection(const ConnectionConfig& c, absl::string_view p,
                               Mode mode, bool sentinel_side,
                               ConnectionOptions* out) {
  if (sentinel_side) {
    constexpr absl::string_view kWhy =
        "must not be set (sentinel addresses come from sentinel.sentinels)";
    if (!c.host().empty()) return Invalid(Sub(p, "host"), kWhy);
    if (c.has_port()) return Invalid(Sub(p, "port"), kWhy);
    if (!c.unix_path().empty()) return Invalid(Sub(p, "unix_path"), kWhy);
    if (c.has_db()) {
      return Invalid(Sub(p, "db"),
                     "must not be set (sentinels have no "
                     "databases)");
    }
  }
  if (!c.unix_path().empty()) {
    if (!c.host().empty()) {
      return Invalid(Sub(p, "unix_path"), "cannot be combined with host");
    }
    if (c.has_port()) {
      return Invalid(Sub(p, "port"), "cannot be combined with unix_path");
    }
    if (TlsEnabled(c)) {
      return Invalid(Sub(p, "tls"), "TLS over a Unix socket is not supported");
    }
    out->unix_path = c.unix_path();
  }
  if (!c.host().empty()) {
    VALKEY_CONFIG_RETURN_IF_ERROR(CheckHost(c.host(), Sub(p, "host")));
    out->host = c.host();
  }
  if (c.has_port()) {
    VALKEY_CONFIG_RETURN_IF_ERROR(CheckPort(c.port(), Sub(p, "port")));
    out->port = c.port();
  }
  if (c.has_db()) {
    if (c.db() < 0) {
      return Invalid(Sub(p, "db"),
                     absl::StrCat(c.db(), " is not valid (must be >= 0)"));
    }
    out->db = c.db();
  }

  absl::StatusOr<std::shared_ptr<CredentialProvider>> provider =
      NewConfigCredentialProvider(c, p);
  if (!provider.ok()) return provider.status();
  if (mode == Mode::kConvert && *provider != nullptr) {
    // Fail fast on a missing variable or file; the value is discarded and
    // read again on every connect.
    absl::StatusOr<Credentials> creds = (*provider)->GetCredentials();
    if (!creds.ok()) return creds.status();
  }
  out->credentials = *std::move(provider);

  if (!c.client_name().empty()) {
    VALKEY_CONFIG_RETURN_IF_ERROR(
        CheckToken(c.client_name(), Sub(p, "client_name")));
    out->client_name = c.client_name();
  }
  if (c.has_protocol()) {
    if (c.protocol() != 2 && c.protocol() != 3) {
      return Invalid(
          Sub(p, "protocol"),
          absl::StrCat(c.protocol(), " is not valid (must be 2 or 3)"));
    }
    out->protocol = c.protocol();
  }
  if (!c.lib_name().empty()) {
    VALKEY_CONFIG_RETURN_IF_ERROR(CheckToken(c.lib_name(), Sub(p, "lib_name")));
    out->lib_name = c.lib_name();
  }
  if (!c.lib_version().empty()) {
    VALKEY_CONFIG_RETURN_IF_ERROR(
        CheckToken(c.lib_version(), Sub(p, "lib_version")));
    out->lib_version = c.lib_version();
  }
  if (c.has_disable_lib_info()) out->send_lib_info = !c.disable_lib_info();
  if (c.has_client_capa_redirect()) {
    out->client_capa_redirect = c.client_capa_redirect();
  }

  VALKEY_CONFIG_RETURN_IF_ERROR(
      PositiveDuration(c.has_connect_timeout(), c.connect_timeout(),
                       Sub(p, "connect_timeout"), &out->connect_timeout));
  VALKEY_CONFIG_RETURN_IF_ERROR(
      PositiveDuration(c.has_socket_timeout(), c.socket_timeout(),
                       Sub(p, "socket_timeout"), &out->socket_timeout));
  if (c.has_keepalive()) {
    VALKEY_CONFIG_RETURN_IF_ERROR(
        ConvertKeepalive(c.keepalive(), Sub(p, "keepalive"), &out->keepalive));
  }
  if (c.has_tcp_nodelay()) out->tcp_nodelay = c.tcp_nodelay();
  if (c.has_tls()) {
    VALKEY_CONFIG_RETURN_IF_ERROR(
        ConvertTls(c.tls(), Sub(p, "tls"), mode, &out->tls));
  }
  if (c.has_retry()) {
    VALKEY_CONFIG_RETURN_IF_ERROR(
        ConvertRetry(c.retry(), Sub(p, "retry"), &out->retry));
  }
  if (c.has_health_check_interval()) {
    const std::string field = Sub(p, "health_check_interval");
    absl::StatusOr<absl::Duration> v =
        ConvertDuration(c.health_check_interval(), field);
    if (!v.ok()) return v.status();
    if (*v < absl::ZeroDuration()) {
      return Invalid(field, absl::StrCat(absl::FormatDuration(*v),
                                         " is not valid (must be >= 0)"));
    }
    out->health_check_interval = *v;
  }
  if (c.has_reader_limits()) {
    VALKEY_CONFIG_RETURN_IF_ERROR(ConvertReaderLimits(
        c.reader_limits(), Sub(p, "reader_limits"), &out->reader_limits));
  }
  return absl::OkStatus();
}

absl::Status ConvertPool(const PoolConfig& c, PoolOptions* out) {
  if (c.has_max_connections()) {
    if (c.max_connections() < 1) {
      return Invalid(
          "pool.max_connections",
          absl::StrCat(c.max_connections(), " is not valid (must be >= 1)"));
    }
    out->max_connections = c.max_connections();
  }
  if (c.has_blocking()) out->blocking = c.blocking();
  return PositiveDuration(c.has_wait_timeout(), c.wait_timeout(),
                          "pool.wait_timeout", &out->wait_timeout);
}

absl::Status ConvertCommandList(
    const google::protobuf::RepeatedPtrField<std::string>& list,
    absl::string_view field, const std::vector<std::string>& defaults,
    std::vector<std::string>* out) {
  if (list.empty()) {
    *out = defaults;
    return absl::OkStatus();
  }
  out->clear();
  for (int i = 0; i < list.size(); ++i) {
    const std::string item_field = absl::StrCat(field, "[", i, "]");
    if (list[i].empty()) return Invalid(item_field, "empty command name");
    VALKEY_CONFIG_RETURN_IF_ERROR(CheckToken(list[i], item_field));
    out->push_back(absl::AsciiStrToUpper(list[i]));
  }
  return absl::OkStatus();
}

absl::Status ConvertPrefixList(
    const google::protobuf::RepeatedPtrField<std::string>& list,
    absl::string_view field, std::vector<std::string>* out) {
  out->clear();
  for (int i = 0; i < list.size(); ++i) {
    if (list[i].empty()) {
      return Invalid(absl::StrCat(field, "[", i, "]"),
                     "empty prefix (it would match every key)");
    }
    out->push_back(list[i]);
  }
  return absl::OkStatus();
}

absl::Status ConvertCache(const CacheConfig& c, int protocol,
                          CacheOptions* out) {
  if (c.has_enabled()) out->enabled = c.enabled();
  if (c.has_max_entries()) {
    if (c.max_entries() < 1) {
      return Invalid(
          "cache.max_entries",
          absl::StrCat(c.max_entries(), " is not valid (must be >= 1)"));
    }
    out->max_entries = c.max_entries();
  }
  if (c.has_max_bytes()) {
    if (c.max_bytes() < 1) {
      return Invalid(
          "cache.max_bytes",
          absl::StrCat(c.max_bytes(), " is not valid (must be >= 1)"));
    }
    out->max_bytes = c.max_bytes();
  }
  VALKEY_CONFIG_RETURN_IF_ERROR(
      PositiveDuration(c.has_ttl(), c.ttl(), "cache.ttl", &out->ttl));
  switch (c.eviction_policy()) {
    case EVICTION_POLICY_UNSPECIFIED:
    case EVICTION_LRU:
      out->eviction = CacheOptions::Eviction::kLru;
      break;
    case EVICTION_LFU:
      out->eviction = CacheOptions::Eviction::kLfu;
      break;
    case EVICTION_RANDOM:
      out->eviction = CacheOptions::Eviction::kRandom;
      break;
    default:
      return Invalid("cache.eviction_policy",
                     absl::StrCat("unknown value ", c.eviction_policy()));
  }
  VALKEY_CONFIG_RETURN_IF_ERROR(
      ConvertCommandList(c.allow_commands(), "cache.allow_commands",
                         DefaultCacheAllowCommands(), &out->allow_commands));
  VALKEY_CONFIG_RETURN_IF_ERROR(
      ConvertCommandList(c.deny_commands(), "cache.deny_commands",
                         DefaultCacheDenyCommands(), &out->deny_commands));
  VALKEY_CONFIG_RETURN_IF_ERROR(ConvertPrefixList(c.allow_key_prefixes(),
                                                  "cache.allow_key_prefixes",
                                                  &out->allow_key_prefixes));
  VALKEY_CONFIG_RETURN_IF_ERROR(ConvertPrefixList(c.deny_key_prefixes(),
                                                  "cache.deny_key_prefixes",
                                                  &out->deny_key_prefixes));
  if (out->enabled && protocol != 3) {
    return Invalid("cache.enabled",
                   absl::StrCat("the client-side cache needs "
                                "connection.protocol 3 (it is ",
                                protocol, ")"));
  }
  return absl::OkStatus();
}

absl::Status ConvertSentinel(const SentinelConfig& c,
                             const ConnectionConfig& data_connection, Mode mode,
                             SentinelOptions* out) {
  if (c.sentinels().empty()) {
    return Invalid("sentinel.sentinels", "at least one sentinel is required");
  }
  for (int i = 0; i < c.sentinels().size(); ++i) {
    const SentinelEndpoint& e = c.sentinels(i);
    const std::string field = absl::StrCat("sentinel.sentinels[", i, "]");
    if (e.host().empty()) return Invalid(Sub(field, "host"), "required");
    VALKEY_CONFIG_RETURN_IF_ERROR(CheckHost(e.host(), Sub(field, "host")));
    SentinelAddress address;
    address.host = e.host();
    if (e.has_port()) {
      VALKEY_CONFIG_RETURN_IF_ERROR(CheckPort(e.port(), Sub(field, "port")));
      address.port = e.port();
    }
    out->sentinels.push_back(std::move(address));
  }
  if (c.service_name().empty()) {
    return Invalid("sentinel.service_name", "required");
  }
  out->service_name = c.service_name();
  if (c.has_min_other_sentinels()) {
    if (c.min_other_sentinels() < 0) {
      return Invalid("sentinel.min_other_sentinels",
                     absl::StrCat(c.min_other_sentinels(),
                                  " is not valid (must be >= 0)"));
    }
    out->min_other_sentinels = c.min_other_sentinels();
  }
  if (c.has_max_connections_per_sentinel()) {
    if (c.max_connections_per_sentinel() < 1) {
      return Invalid("sentinel.max_connections_per_sentinel",
                     absl::StrCat(c.max_connections_per_sentinel(),
                                  " is not valid (must be >= 1)"));
    }
    out->max_connections_per_sentinel = c.max_connections_per_sentinel();
  }
  if (c.has_connection()) {
    return ConvertConnection(c.connection(), "sentinel.connection", mode,
                             /*sentinel_side=*/true, &out->connection);
  }
  // As the reference: sentinels inherit the socket settings only.
  ConnectionConfig inherited;
  if (data_connection.has_connect_timeout()) {
    *inherited.mutable_connect_timeout() = data_connection.connect_timeout();
  }
  if (data_connection.has_socket_timeout()) {
    *inherited.mutable_socket_timeout() = data_connection.socket_timeout();
  }
  if (data_connection.has_keepalive()) {
    *inherited.mutable_keepalive() = data_connection.keepalive();
  }
  if (data_connection.has_tcp_nodelay()) {
    inherited.set_tcp_nodelay(data_connection.tcp_nodelay());
  }
  return ConvertConnection(inherited, "connection", mode,
                           /*sentinel_side=*/true, &out->connection);
}

// "host:port" or "[v6]:port", as ClusterOptions::seeds takes them.
absl::Status CheckSeed(absl::string_view seed, absl::string_view field) {
  absl::string_view host;
  absl::string_view port;
  if (absl::StartsWith(seed, "[")) {
    const size_t close = seed.find("]:");
    if (close == absl::string_view::npos) {
      return Invalid(field, "must be \"[v6-address]:port\"");
    }
    host = seed.substr(1, close - 1);
    port = seed.substr(close + 2);
  } else {
    const size_t colon = seed.rfind(':');
    if (colon == absl::string_view::npos) {
      return Invalid(field, "must be \"host:port\" (IPv6 as \"[::1]:7000\")");
    }
    host = seed.substr(0, colon);
    port = seed.substr(colon + 1);
    if (absl::StrContains(host, ':')) {
      return Invalid(field, "IPv6 addresses must be in brackets ([::1]:7000)");
    }
  }
  if (host.empty()) return Invalid(field, "empty host");
  VALKEY_CONFIG_RETURN_IF_ERROR(CheckHost(host, field));
  int port_number = 0;
  if (port.empty() || !absl::ascii_isdigit(port[0]) ||
      !absl::SimpleAtoi(port, &port_number)) {
    return Invalid(field, "not a valid port number (1-65535)");
  }
  return CheckPort(port_number, field);
}

// The proto-only rules of ClientConfig.cluster; valkey/cluster converts it
// (cluster_config.h).
absl::Status CheckCluster(const ClientConfig& c) {
  const ClusterConfig& cl = c.cluster();
  if (c.has_sentinel()) {
    return Invalid("cluster",
                   "must not be set with sentinel (cluster and sentinel are "
                   "two ways to find the servers; choose one)");
  }
  if (c.has_cache()) {
    return Invalid("cluster",
                   "must not be set with cache (the cluster clients have no "
                   "client-side cache)");
  }
  if (c.single_connection()) {
    return Invalid("single_connection",
                   "must not be set with cluster (a cluster client needs a "
                   "connection per node)");
  }
  constexpr absl::string_view kWhy =
      "must not be set with cluster (node addresses come from cluster.seeds "
      "and the cluster's topology)";
  const ConnectionConfig& conn = c.connection();
  if (!conn.host().empty()) return Invalid("connection.host", kWhy);
  if (conn.has_port()) return Invalid("connection.port", kWhy);
  if (!conn.unix_path().empty()) return Invalid("connection.unix_path", kWhy);
  if (cl.seeds().empty()) {
    return Invalid("cluster.seeds",
                   "required (at least one \"host:port\" of the cluster)");
  }
  for (int i = 0; i < cl.seeds_size(); ++i) {
    VALKEY_CONFIG_RETURN_IF_ERROR(
        CheckSeed(cl.seeds(i), absl::StrCat("cluster.seeds[", i, "]")));
  }
  if (!ClusterReadFrom_IsValid(cl.read_from())) {
    return Invalid("cluster.read_from",
                   absl::StrCat(cl.read_from(), " is not a known value"));
  }
  if (cl.has_max_redirects() && cl.max_redirects() < 0) {
    return Invalid("cluster.max_redirects",
                   absl::StrCat(cl.max_redirects(),
                                " is not valid (must be >= 0)"));
  }
  absl::Duration unused;
  VALKEY_CONFIG_RETURN_IF_ERROR(
      PositiveDuration(cl.has_min_refresh_interval(),
                       cl.min_refresh_interval(),
                       "cluster.min_refresh_interval", &unused));
  VALKEY_CONFIG_RETURN_IF_ERROR(PositiveDuration(
      cl.has_refresh_interval(), cl.refresh_interval(),
      "cluster.refresh_interval", &unused));
  return CheckToken(cl.client_az(), "cluster.client_az");
}

absl::Status ConvertClient(const ClientConfig& c, Mode mode,
                           ClientOptions* out) {
  if (c.has_cluster()) VALKEY_CONFIG_RETURN_IF_ERROR(CheckCluster(c));
  if (c.has_sentinel()) {
    constexpr absl::string_view kWhy =
        "must not be set with sentinel (the master's address comes from "
        "the sentinels)";
    const ConnectionConfig& conn = c.connection();
    if (!conn.host().empty()) return Invalid("connection.host", kWhy);
    if (conn.has_port()) return Invalid("connection.port", kWhy);
    if (!conn.unix_path().empty()) {
      return Invalid("connection.unix_path", kWhy);
    }
  }
  VALKEY_CONFIG_RETURN_IF_ERROR(ConvertConnection(c.connection(), "connection",
                                                  mode, /*sentinel_side=*/false,
                                                  &out->connection));
  VALKEY_CONFIG_RETURN_IF_ERROR(ConvertPool(c.pool(), &out->pool));
  VALKEY_CONFIG_RETURN_IF_ERROR(
      ConvertCache(c.cache(), out->connection.protocol, &out->cache));
  if (c.async().has_max_in_flight() && c.async().max_in_flight() < 1) {
    return Invalid("async.max_in_flight",
                   absl::StrCat(c.async().max_in_flight(),
                                " is not valid (must be >= 1)"));
  }
  if (c.async().has_max_queued_bytes() && c.async().max_queued_bytes() < 1) {
    return Invalid("async.max_queued_bytes",
                   absl::StrCat(c.async().max_queued_bytes(),
                                " is not valid (must be >= 1)"));
  }
  if (c.has_sentinel()) {
    SentinelOptions sentinel;
    VALKEY_CONFIG_RETURN_IF_ERROR(
        ConvertSentinel(c.sentinel(), c.connection(), mode, &sentinel));
    out->sentinel = std::move(sentinel);
  }
  out->single_connection = c.single_connection();
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateConfig(const ClientConfig& config) {
  ClientOptions unused;
  return ConvertClient(config, Mode::kValidate, &unused);
}

absl::StatusOr<ConnectionOptions> ToConnectionOptions(
    const ConnectionConfig& config) {
  ConnectionOptions options;
  VALKEY_CONFIG_RETURN_IF_ERROR(ConvertConnection(
      config, "connection", Mode::kConvert, /*sentinel_side=*/false, &options));
  return options;
}

absl::StatusOr<PoolOptions> ToPoolOptions(const PoolConfig& config) {
  PoolOptions options;
  VALKEY_CONFIG_RETURN_IF_ERROR(ConvertPool(config, &options));
  return options;
}

absl::StatusOr<CacheOptions> ToCacheOptions(const CacheConfig& config,
                                            int protocol) {
  CacheOptions options;
  VALKEY_CONFIG_RETURN_IF_ERROR(ConvertCache(config, protocol, &options));
  return options;
}

absl::StatusOr<SentinelOptions> ToSentinelOptions(
    const SentinelConfig& config, const ConnectionConfig& data_connection) {
  SentinelOptions options;
  VALKEY_CONFIG_RETURN_IF_ERROR(
      ConvertSentinel(config, data_connection, Mode::kConvert, &options));
  return options;
}

absl::StatusOr<ClientOptions> ToClientOptions(const ClientConfig& config) {
  ClientOptions options;
  VALKEY_CONFIG_RETURN_IF_ERROR(
      ConvertClient(config, Mode::kConvert, &options));
  return options;
}

#undef VALKEY_CONFIG_RETURN_IF_ERROR

}  // namespace valkey
