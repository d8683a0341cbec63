#include "valkey/common/url.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "google/protobuf/duration.pb.h"
#include "valkey/common/config.h"
#include "valkey/common/config.pb.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

#define VALKEY_URL_RETURN_IF_ERROR(expr)                     \
  do {                                                       \
    absl::Status valkey_url_status_ = (expr);                \
    if (!valkey_url_status_.ok()) return valkey_url_status_; \
  } while (0)

enum class Scheme { kTcp, kTls, kUnix };

struct ParsedUrl {
  ClientConfig config;
  Scheme scheme = Scheme::kTcp;
  bool sentinel = false;         // valkey+sentinel:// and its variants.
  bool cluster = false;          // valkey+cluster:// and its variants.
  bool has_credentials = false;  // User info or username/password options.
};

absl::Status Invalid(absl::string_view what) {
  return InvalidArgumentError(what);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes; '+' is kept. `what` names the part for messages
// (its text is never echoed: it may be a password).
absl::StatusOr<std::string> PercentDecode(absl::string_view in,
                                          absl::string_view what) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size() || HexValue(in[i + 1]) < 0 ||
        HexValue(in[i + 2]) < 0) {
      return Invalid(absl::StrCat(
          what,
          ": invalid percent-encoding ('%' must be followed by two hex "
          "digits; write '%' itself as %25)"));
    }
    out.push_back(
        static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
    i += 2;
  }
  return out;
}

absl::StatusOr<bool> ParseBool(absl::string_view name,
                               absl::string_view value) {
  const std::string v = absl::AsciiStrToLower(value);
  if (v == "1" || v == "t" || v == "true" || v == "y" || v == "yes" ||
      v == "on") {
    return true;
  }
  if (v == "0" || v == "f" || v == "false" || v == "n" || v == "no" ||
      v == "off") {
    return false;
  }
  return Invalid(absl::StrCat(name, ": '", value,
                              "' is not a boolean (use true/false, yes/no, "
                              "on/off or 1/0)"));
}

absl::StatusOr<int> ParseInt(absl::string_view name, absl::string_view value,
                             int min) {
  int v = 0;
  if (!absl::SimpleAtoi(value, &v)) {
    return Invalid(absl::StrCat(name, ": '", value, "' is not an integer"));
  }
  if (v < min) {
    return Invalid(
        absl::StrCat(name, ": ", v, " is not valid (must be >= ", min, ")"));
  }
  return v;
}

// An unsigned decimal in [min, max] (digits only: no sign, no spaces).
absl::StatusOr<uint64_t> ParseUint64(absl::string_view name,
                                     absl::string_view value, uint64_t min,
                                     uint64_t max) {
  uint64_t v = 0;
  const bool digits = !value.empty() &&
                      std::all_of(value.begin(), value.end(),
                                  [](char c) { return absl::ascii_isdigit(c); });
  if (!digits || !absl::SimpleAtoi(value, &v)) {
    return Invalid(absl::StrCat(name, ": '", value, "' is not an integer"));
  }
  if (v < min) {
    return Invalid(
        absl::StrCat(name, ": ", v, " is not valid (must be >= ", min, ")"));
  }
  if (v > max) {
    return Invalid(absl::StrCat(name, ": ", v,
                                " is not valid (must be at most ", max, ")"));
  }
  return v;
}

// Seconds (fractions allowed) as a Duration; > 0, or >= 0 if allow_zero.
absl::StatusOr<google::protobuf::Duration> ParseSeconds(absl::string_view name,
                                                        absl::string_view value,
                                                        bool allow_zero) {
  double seconds = 0;
  if (!absl::SimpleAtod(value, &seconds) || !std::isfinite(seconds)) {
    return Invalid(
        absl::StrCat(name, ": '", value, "' is not a number of seconds"));
  }
  if (seconds < 0 || (!allow_zero && seconds == 0)) {
    return Invalid(absl::StrCat(name, ": ", value, " is not valid (must be ",
                                allow_zero ? ">= 0" : "> 0", " seconds)"));
  }
  if (seconds > 1e10) {
    return Invalid(absl::StrCat(name, ": ", value, " seconds is too large"));
  }
  google::protobuf::Duration d;
  const double whole = std::floor(seconds);
  int64_t nanos = std::llround((seconds - whole) * 1e9);
  int64_t secs = static_cast<int64_t>(whole);
  if (nanos >= 1000000000) {
    secs += 1;
    nanos -= 1000000000;
  }
  d.set_seconds(secs);
  d.set_nanos(static_cast<int32_t>(nanos));
  return d;
}

bool IsTlsOption(absl::string_view key) {
  return absl::StartsWith(key, "ssl_");
}

// Applies one query option. `scheme` gates the TLS options.
// Options whose values are secrets (never echoed).
bool IsSecretOption(absl::string_view raw_key) {
  return raw_key == "password" || raw_key == "sentinel_password" ||
         raw_key == "ssl_password";
}

// One cluster option (valkey+cluster:// URLs only).
absl::Status ApplyClusterOption(absl::string_view key, const std::string& value,
                                ClusterConfig* cluster) {
  if (key == "read_from") {
    const std::string v = absl::AsciiStrToLower(value);
    if (v == "primary") {
      cluster->set_read_from(READ_FROM_PRIMARY);
    } else if (v == "prefer_replica") {
      cluster->set_read_from(READ_FROM_PREFER_REPLICA);
    } else if (v == "round_robin") {
      cluster->set_read_from(READ_FROM_ROUND_ROBIN);
    } else if (v == "az_affinity") {
      cluster->set_read_from(READ_FROM_AZ_AFFINITY);
    } else {
      return Invalid(
          "read_from: not one of primary, prefer_replica, round_robin, "
          "az_affinity");
    }
  } else if (key == "client_az") {
    cluster->set_client_az(value);
  } else if (key == "max_redirects") {
    absl::StatusOr<int> v = ParseInt(key, value, 0);
    if (!v.ok()) return v.status();
    cluster->set_max_redirects(*v);
  } else if (key == "split_multi_key") {
    absl::StatusOr<bool> v = ParseBool(key, value);
    if (!v.ok()) return v.status();
    cluster->set_split_multi_key(*v);
  } else {  // min_refresh_interval, refresh_interval
    absl::StatusOr<google::protobuf::Duration> d =
        ParseSeconds(key, value, /*allow_zero=*/false);
    if (!d.ok()) return d.status();
    *(key == "refresh_interval" ? cluster->mutable_refresh_interval()
                                : cluster->mutable_min_refresh_interval()) = *d;
  }
  return absl::OkStatus();
}

absl::Status ApplyOption(absl::string_view key, const std::string& value,
                         ParsedUrl* parsed, bool* db_from_query) {
  ClientConfig& config = parsed->config;
  ConnectionConfig& conn = *config.mutable_connection();

  if (IsTlsOption(key) && parsed->scheme != Scheme::kTls) {
    return Invalid(absl::StrCat(key,
                                ": TLS options need a valkeys:// or rediss:// "
                                "URL (or valkeys+sentinel://)"));
  }
  if (key == "sentinel_username" || key == "sentinel_password" ||
      key == "min_other_sentinels") {
    if (!parsed->sentinel) {
      return Invalid(absl::StrCat(
          key, ": needs a valkey+sentinel:// (or valkeys+sentinel://) URL"));
    }
    SentinelConfig& sentinel = *config.mutable_sentinel();
    if (key == "sentinel_username") {
      sentinel.mutable_connection()->set_username(value);
    } else if (key == "sentinel_password") {
      sentinel.mutable_connection()->mutable_password()->set_value(value);
    } else if (key == "min_other_sentinels") {
      absl::StatusOr<int> v = ParseInt(key, value, 0);
      if (!v.ok()) return v.status();
      sentinel.set_min_other_sentinels(*v);
    }
    return absl::OkStatus();
  }

  if (key == "read_from" || key == "client_az" || key == "max_redirects" ||
      key == "split_multi_key" || key == "min_refresh_interval" ||
      key == "refresh_interval") {
    if (!parsed->cluster) {
      return Invalid(absl::StrCat(
          key, ": needs a valkey+cluster:// (or valkeys+cluster://) URL"));
    }
    return ApplyClusterOption(key, value, config.mutable_cluster());
  }

  if (key == "db") {
    absl::StatusOr<int> v = ParseInt(key, value, 0);
    if (!v.ok()) return v.status();
    conn.set_db(*v);
    *db_from_query = true;
  } else if (key == "protocol") {
    absl::StatusOr<int> v = ParseInt(key, value, 0);
    if (!v.ok()) return v.status();
    if (*v != 2 && *v != 3) {
      return Invalid(
          absl::StrCat(key, ": ", *v, " is not valid (must be 2 or 3)"));
    }
    conn.set_protocol(*v);
  } else if (key == "client_name") {
    conn.set_client_name(value);
  } else if (key == "lib_name") {
    conn.set_lib_name(value);
  } else if (key == "lib_version") {
    conn.set_lib_version(value);
  } else if (key == "username") {
    if (!conn.username().empty()) {
      return Invalid(
          "username: given both in the URL's user info and as an option");
    }
    conn.set_username(value);
    parsed->has_credentials = true;
  } else if (key == "password") {
    if (conn.has_password()) {
      return Invalid(
          "password: given both in the URL's user info and as an option");
    }
    conn.mutable_password()->set_value(value);
    parsed->has_credentials = true;
  } else if (key == "socket_timeout" || key == "socket_connect_timeout") {
    absl::StatusOr<google::protobuf::Duration> d =
        ParseSeconds(key, value, /*allow_zero=*/false);
    if (!d.ok()) return d.status();
    *(key == "socket_timeout" ? conn.mutable_socket_timeout()
                              : conn.mutable_connect_timeout()) = *d;
  } else if (key == "socket_keepalive") {
    absl::StatusOr<bool> v = ParseBool(key, value);
    if (!v.ok()) return v.status();
    conn.mutable_keepalive()->set_enabled(*v);
  } else if (key == "tcp_nodelay") {
    absl::StatusOr<bool> v = ParseBool(key, value);
    if (!v.ok()) return v.status();
    conn.set_tcp_nodelay(*v);
  } else if (key == "retry_on_timeout") {
    absl::StatusOr<bool> v = ParseBool(key, value);
    if (!v.ok()) return v.status();
    conn.mutable_retry()->set_retry_on_timeout(*v);
  } else if (key == "health_check_interval") {
    absl::StatusOr<google::protobuf::Duration> d =
        ParseSeconds(key, value, /*allow_zero=*/true);
    if (!d.ok()) return d.status();
    *conn.mutable_health_check_interval() = *d;
  } else if (key == "client_capa_redirect") {
    absl::StatusOr<bool> v = ParseBool(key, value);
    if (!v.ok()) return v.status();
    conn.set_client_capa_redirect(*v);
  } else if (key == "max_bulk_length" || key == "max_elements" ||
             key == "max_depth" || key == "max_reply_bytes" ||
             key == "max_reply_elements") {
    const uint64_t max = key == "max_depth"
                             ? std::numeric_limits<uint32_t>::max()
                             : std::numeric_limits<uint64_t>::max();
    absl::StatusOr<uint64_t> v = ParseUint64(key, value, 1, max);
    if (!v.ok()) return v.status();
    ReaderLimitsConfig& limits = *conn.mutable_reader_limits();
    if (key == "max_bulk_length") {
      limits.set_max_bulk_length(*v);
    } else if (key == "max_elements") {
      limits.set_max_elements(*v);
    } else if (key == "max_depth") {
      limits.set_max_depth(static_cast<uint32_t>(*v));
    } else if (key == "max_reply_bytes") {
      limits.set_max_reply_bytes(*v);
    } else {
      limits.set_max_reply_elements(*v);
    }
  } else if (key == "max_connections") {
    absl::StatusOr<int> v = ParseInt(key, value, 1);
    if (!v.ok()) return v.status();
    config.mutable_pool()->set_max_connections(*v);
  } else if (key == "timeout") {
    absl::StatusOr<google::protobuf::Duration> d =
        ParseSeconds(key, value, /*allow_zero=*/false);
    if (!d.ok()) return d.status();
    *config.mutable_pool()->mutable_wait_timeout() = *d;
  } else if (key == "blocking") {
    absl::StatusOr<bool> v = ParseBool(key, value);
    if (!v.ok()) return v.status();
    config.mutable_pool()->set_blocking(*v);
  } else if (key == "cache_enabled") {
    absl::StatusOr<bool> v = ParseBool(key, value);
    if (!v.ok()) return v.status();
    config.mutable_cache()->set_enabled(*v);
  } else if (key == "cache_max_size") {
    absl::StatusOr<int> v = ParseInt(key, value, 1);
    if (!v.ok()) return v.status();
    config.mutable_cache()->set_max_entries(*v);
  } else if (key == "cache_max_bytes") {
    int64_t v = 0;
    if (!absl::SimpleAtoi(value, &v)) {
      return Invalid(absl::StrCat(key, ": '", value, "' is not an integer"));
    }
    if (v < 1) {
      return Invalid(
          absl::StrCat(key, ": ", v, " is not valid (must be >= 1)"));
    }
    config.mutable_cache()->set_max_bytes(v);
  } else if (key == "cache_ttl") {
    absl::StatusOr<google::protobuf::Duration> d =
        ParseSeconds(key, value, /*allow_zero=*/true);
    if (!d.ok()) return d.status();
    // 0 means "no expiry", which is the absent ttl.
    if (d->seconds() != 0 || d->nanos() != 0) {
      *config.mutable_cache()->mutable_ttl() = *d;
    } else {
      config.mutable_cache()->clear_ttl();
    }
  } else if (key == "cache_policy") {
    const std::string v = absl::AsciiStrToLower(value);
    EvictionPolicy policy;
    if (v == "lru") {
      policy = EVICTION_LRU;
    } else if (v == "lfu") {
      policy = EVICTION_LFU;
    } else if (v == "random") {
      policy = EVICTION_RANDOM;
    } else {
      return Invalid(absl::StrCat(
          key, ": '", value, "' is not an eviction policy (lru, lfu, random)"));
    }
    config.mutable_cache()->set_eviction_policy(policy);
  } else if (key == "ssl_ca_certs") {
    conn.mutable_tls()->set_ca_file(value);
  } else if (key == "ssl_ca_path") {
    conn.mutable_tls()->set_ca_path(value);
  } else if (key == "ssl_ca_data") {
    conn.mutable_tls()->set_ca_pem(value);
  } else if (key == "ssl_certfile") {
    conn.mutable_tls()->set_cert_file(value);
  } else if (key == "ssl_keyfile") {
    conn.mutable_tls()->set_key_file(value);
  } else if (key == "ssl_password") {
    conn.mutable_tls()->mutable_key_password()->set_value(value);
  } else if (key == "ssl_cert_reqs") {
    const std::string v = absl::AsciiStrToLower(value);
    TlsVerifyMode mode;
    if (v == "none") {
      mode = VERIFY_NONE;
    } else if (v == "optional") {
      mode = VERIFY_OPTIONAL;
    } else if (v == "required") {
      mode = VERIFY_REQUIRED;
    } else {
      return Invalid(absl::StrCat(key, ": '", value,
                                  "' is not valid (none, optional, required)"));
    }
    conn.mutable_tls()->set_verify_mode(mode);
  } else if (key == "ssl_check_hostname") {
    absl::StatusOr<bool> v = ParseBool(key, value);
    if (!v.ok()) return v.status();
    conn.mutable_tls()->set_check_hostname(*v);
  } else if (key == "ssl_min_version") {
    const std::string lower = absl::AsciiStrToLower(value);
    absl::string_view v = lower;
    absl::ConsumePrefix(&v, "tlsv");
    TlsVersion version;
    if (v == "1.2" || v == "1_2") {
      version = TLS_1_2;
    } else if (v == "1.3" || v == "1_3") {
      version = TLS_1_3;
    } else {
      return Invalid(
          absl::StrCat(key, ": '", value,
                       "' is not a supported TLS version (TLSv1_2, TLSv1_3)"));
    }
    conn.mutable_tls()->set_min_version(version);
  } else if (key == "ssl_ciphers") {
    conn.mutable_tls()->set_ciphers(value);
  } else if (key == "ssl_ocsp") {
    const std::string v = absl::AsciiStrToLower(value);
    TlsOcspMode mode;
    if (v == "off") {
      mode = OCSP_OFF;
    } else if (v == "stapled") {
      mode = OCSP_STAPLED;
    } else if (v == "responder") {
      mode = OCSP_RESPONDER;
    } else {
      return Invalid(absl::StrCat(key, ": '", value,
                                  "' is not valid (off, stapled, responder)"));
    }
    conn.mutable_tls()->set_ocsp(mode);
  } else if (key == "ssl_validate_ocsp" || key == "ssl_validate_ocsp_stapled") {
    // The reference client's switches: true picks the mode, false is off.
    absl::StatusOr<bool> v = ParseBool(key, value);
    if (!v.ok()) return v.status();
    conn.mutable_tls()->set_ocsp(
        !*v ? OCSP_OFF
            : (key == "ssl_validate_ocsp" ? OCSP_RESPONDER : OCSP_STAPLED));
  } else if (key == "ssl_ocsp_fail_open") {
    absl::StatusOr<bool> v = ParseBool(key, value);
    if (!v.ok()) return v.status();
    conn.mutable_tls()->set_ocsp_fail_open(*v);
  } else if (key == "ssl_ocsp_timeout") {
    absl::StatusOr<google::protobuf::Duration> d =
        ParseSeconds(key, value, /*allow_zero=*/false);
    if (!d.ok()) return d.status();
    *conn.mutable_tls()->mutable_ocsp_responder_timeout() = *d;
  } else {
    return Invalid(absl::StrCat("unknown option '", key, "'"));
  }
  return absl::OkStatus();
}

// "host", "host:port", "[v6]" or "[v6]:port", split; the host decoded.
// `what` names the part in messages ("host", "sentinel 2 host").
struct HostPort {
  std::string host;
  bool has_port = false;  // A ':' follows the host (the port may be empty).
  absl::string_view port;
};

absl::StatusOr<HostPort> SplitHostPort(absl::string_view hostport,
                                       absl::string_view what) {
  HostPort out;
  absl::string_view host = hostport;
  if (absl::StartsWith(hostport, "[")) {
    const size_t close = hostport.find(']');
    if (close == absl::string_view::npos) {
      return Invalid(absl::StrCat(what, ": '[' without a closing ']'"));
    }
    host = hostport.substr(1, close - 1);
    absl::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (!absl::ConsumePrefix(&after, ":")) {
        return Invalid(absl::StrCat(what, ": unexpected text after ']'"));
      }
      out.port = after;
      out.has_port = true;
    }
    if (host.empty()) {
      return Invalid(absl::StrCat(what, ": empty IPv6 address"));
    }
  } else if (const size_t c = hostport.find(':');
             c != absl::string_view::npos) {
    host = hostport.substr(0, c);
    out.port = hostport.substr(c + 1);
    out.has_port = true;
    if (absl::StrContains(out.port, ':')) {
      return Invalid(
          absl::StrCat(what, ": IPv6 addresses must be in brackets ([::1])"));
    }
  }
  absl::StatusOr<std::string> decoded = PercentDecode(host, what);
  if (!decoded.ok()) return decoded.status();
  out.host = *std::move(decoded);
  return out;
}

absl::StatusOr<int> ParsePort(absl::string_view port, absl::string_view what) {
  int port_number = 0;
  if (port.empty() || !absl::ascii_isdigit(port[0]) ||
      !absl::SimpleAtoi(port, &port_number) || port_number < 1 ||
      port_number > 65535) {
    return Invalid(absl::StrCat(what, ": not a valid port number (1-65535)"));
  }
  return port_number;
}

// Sets conn->db from the database part of the path (`digits`, decoded);
// `shown` describes it in messages.
absl::Status SetPathDb(absl::string_view digits, absl::string_view shown,
                       bool db_from_query, ConnectionConfig* conn) {
  int db = 0;
  bool all_digits = true;
  for (char ch : digits) all_digits = all_digits && absl::ascii_isdigit(ch);
  if (!all_digits || !absl::SimpleAtoi(digits, &db)) {
    return Invalid(absl::StrCat("db: ", shown, " is not /<database number>"));
  }
  if (db_from_query && db != conn->db()) {
    return Invalid(absl::StrCat("db: the path says ", db,
                                " but the db option says ", conn->db()));
  }
  conn->set_db(db);
  return absl::OkStatus();
}

// "host1[:port1],host2[:port2],..." into config->sentinel.sentinels.
absl::Status ParseSentinelHosts(absl::string_view hosts, ClientConfig* config) {
  if (hosts.empty()) {
    return Invalid(
        "sentinels: the URL names no sentinel "
        "(valkey+sentinel://host[:port][,host[:port]...]/service_name)");
  }
  int index = 0;
  for (absl::string_view entry : absl::StrSplit(hosts, ',')) {
    ++index;
    const std::string what = absl::StrCat("sentinel ", index, " host");
    absl::StatusOr<HostPort> hp = SplitHostPort(entry, what);
    if (!hp.ok()) return hp.status();
    if (hp->host.empty()) {
      return Invalid(absl::StrCat(what,
                                  ": empty (the sentinel list is "
                                  "host[:port],host[:port],...)"));
    }
    SentinelEndpoint* endpoint = config->mutable_sentinel()->add_sentinels();
    endpoint->set_host(hp->host);
    if (hp->has_port && !hp->port.empty()) {
      absl::StatusOr<int> port =
          ParsePort(hp->port, absl::StrCat("sentinel ", index, " port"));
      if (!port.ok()) return port.status();
      endpoint->set_port(*port);
    }
  }
  return absl::OkStatus();
}

// "host1[:port1],host2[:port2],..." into config->cluster.seeds, each as
// "host:port" ("[v6]:port"), port default 6379.
absl::Status ParseClusterHosts(absl::string_view hosts, ClientConfig* config) {
  if (hosts.empty()) {
    return Invalid(
        "seeds: the URL names no cluster node "
        "(valkey+cluster://host[:port][,host[:port]...])");
  }
  int index = 0;
  for (absl::string_view entry : absl::StrSplit(hosts, ',')) {
    ++index;
    const std::string what = absl::StrCat("seed ", index, " host");
    absl::StatusOr<HostPort> hp = SplitHostPort(entry, what);
    if (!hp.ok()) return hp.status();
    if (hp->host.empty()) {
      return Invalid(absl::StrCat(what,
                                  ": empty (the node list is "
                                  "host[:port],host[:port],...)"));
    }
    int port = kDefaultPort;
    if (hp->has_port && !hp->port.empty()) {
      absl::StatusOr<int> p =
          ParsePort(hp->port, absl::StrCat("seed ", index, " port"));
      if (!p.ok()) return p.status();
      port = *p;
    }
    const bool v6 = absl::StrContains(hp->host, ':');
    config->mutable_cluster()->add_seeds(
        v6 ? absl::StrCat("[", hp->host, "]:", port)
           : absl::StrCat(hp->host, ":", port));
  }
  return absl::OkStatus();
}

// The path of a sentinel URL: "/service_name[/db][/]". Path text is not
// echoed in messages.
absl::Status ParseSentinelPath(absl::string_view path, bool db_from_query,
                               ClientConfig* config) {
  // Most likely the tail of a password with an unencoded '/' and '@'.
  if (absl::StrContains(path, '@')) {
    return Invalid(
        "path: contains '@'; percent-encode '@', '/', '?' and '#' in user "
        "names, passwords and service names (%40, %2F, %3F, %23)");
  }
  absl::ConsumePrefix(&path, "/");
  // (StrSplit of a null string_view gives no segments at all.)
  std::vector<absl::string_view> segments;
  if (!path.empty()) segments = absl::StrSplit(path, '/');
  if (segments.size() > 1 && segments.back().empty()) segments.pop_back();
  if (segments.empty() || segments[0].empty()) {
    return Invalid(
        "service_name: missing; a sentinel URL names the monitored master "
        "after the hosts (valkey+sentinel://host[:port]/service_name)");
  }
  if (segments.size() > 2) {
    return Invalid("path: must be /service_name or /service_name/db");
  }
  absl::StatusOr<std::string> service =
      PercentDecode(segments[0], "service_name");
  if (!service.ok()) return service.status();
  config->mutable_sentinel()->set_service_name(*service);
  if (segments.size() == 2) {
    absl::StatusOr<std::string> db = PercentDecode(segments[1], "db");
    if (!db.ok()) return db.status();
    VALKEY_URL_RETURN_IF_ERROR(SetPathDb(*db, "the path after the service name",
                                         db_from_query,
                                         config->mutable_connection()));
  }
  return absl::OkStatus();
}

absl::StatusOr<ParsedUrl> Parse(absl::string_view url) {
  constexpr absl::string_view kBadScheme =
      "URL must start with valkey://, valkeys://, redis://, rediss://, "
      "unix:, valkey+sentinel:// (valkeys+sentinel://, redis+sentinel://, "
      "rediss+sentinel://) or valkey+cluster:// (valkeys+cluster://, "
      "redis+cluster://, rediss+cluster://)";
  ParsedUrl parsed;
  ConnectionConfig& conn = *parsed.config.mutable_connection();

  // Scheme.
  const size_t colon = url.find(':');
  if (colon == absl::string_view::npos) return Invalid(kBadScheme);
  const std::string full_scheme = absl::AsciiStrToLower(url.substr(0, colon));
  absl::string_view scheme = full_scheme;
  parsed.sentinel = absl::ConsumeSuffix(&scheme, "+sentinel");
  parsed.cluster =
      !parsed.sentinel && absl::ConsumeSuffix(&scheme, "+cluster");
  absl::string_view rest = url.substr(colon + 1);
  if ((parsed.sentinel || parsed.cluster) && scheme != "valkey" && scheme != "redis" &&
      scheme != "valkeys" && scheme != "rediss") {
    return Invalid(kBadScheme);
  }
  if (scheme == "valkey" || scheme == "redis") {
    parsed.scheme = Scheme::kTcp;
  } else if (scheme == "valkeys" || scheme == "rediss") {
    parsed.scheme = Scheme::kTls;
  } else if (scheme == "unix") {
    parsed.scheme = Scheme::kUnix;
  } else {
    return Invalid(kBadScheme);
  }
  const bool has_authority = absl::ConsumePrefix(&rest, "//");
  if (!has_authority && parsed.scheme != Scheme::kUnix) {
    return Invalid(kBadScheme);
  }

  // A '#' would split the URL; it most likely sits in an unencoded password.
  if (absl::StrContains(rest, '#')) {
    return Invalid(
        "URL contains '#', which is not allowed (percent-encode '#' in user "
        "names and passwords as %23)");
  }

  absl::string_view authority;
  if (has_authority) {
    const size_t end = rest.find_first_of("/?");
    authority = rest.substr(0, end);
    rest =
        end == absl::string_view::npos ? absl::string_view() : rest.substr(end);
  }
  absl::string_view path = rest;
  absl::string_view query;
  if (const size_t q = rest.find('?'); q != absl::string_view::npos) {
    path = rest.substr(0, q);
    query = rest.substr(q + 1);
  }

  // An unencoded '/' or '?' in a password ends the authority early and
  // leaves the password's tail (and its '@') in the path or query, where
  // an error message would echo it. Refuse without saying more.
  const size_t at = authority.rfind('@');
  if (at == absl::string_view::npos && absl::StrContains(rest, '@')) {
    return Invalid(
        "URL has '@' after the host; percent-encode '@', '/', '?' and '#' in "
        "user names and passwords (%40, %2F, %3F, %23)");
  }

  // User info.
  absl::string_view hostport = authority;
  if (at != absl::string_view::npos) {
    absl::string_view userinfo = authority.substr(0, at);
    hostport = authority.substr(at + 1);
    absl::string_view user = userinfo;
    absl::string_view password;
    bool has_password = false;
    if (const size_t c = userinfo.find(':'); c != absl::string_view::npos) {
      user = userinfo.substr(0, c);
      password = userinfo.substr(c + 1);
      has_password = true;
    }
    absl::StatusOr<std::string> u = PercentDecode(user, "user name");
    if (!u.ok()) return u.status();
    if (!u->empty()) {
      conn.set_username(*u);
      parsed.has_credentials = true;
    }
    if (has_password) {
      absl::StatusOr<std::string> p = PercentDecode(password, "password");
      if (!p.ok()) return p.status();
      if (!p->empty()) {
        conn.mutable_password()->set_value(*std::move(p));
        parsed.has_credentials = true;
      }
    }
  }

  // Host and port (a sentinel URL: the sentinel list).
  if (parsed.sentinel) {
    VALKEY_URL_RETURN_IF_ERROR(ParseSentinelHosts(hostport, &parsed.config));
    if (parsed.scheme == Scheme::kTls) conn.mutable_tls()->set_enabled(true);
  } else if (parsed.cluster) {
    VALKEY_URL_RETURN_IF_ERROR(ParseClusterHosts(hostport, &parsed.config));
    if (parsed.scheme == Scheme::kTls) conn.mutable_tls()->set_enabled(true);
  } else {
    absl::StatusOr<HostPort> hp = SplitHostPort(hostport, "host");
    if (!hp.ok()) return hp.status();
    if (parsed.scheme == Scheme::kUnix) {
      if (!hp->host.empty() && absl::AsciiStrToLower(hp->host) != "localhost") {
        return Invalid(
            "host: unix: URLs take no host; write unix:///path/to/socket");
      }
      if (hp->has_port) return Invalid("port: unix: URLs take no port");
      absl::StatusOr<std::string> p = PercentDecode(path, "path");
      if (!p.ok()) return p.status();
      if (p->empty()) return Invalid("path: the URL names no socket path");
      conn.set_unix_path(*p);
    } else {
      if (!hp->host.empty()) conn.set_host(hp->host);
      if (hp->has_port && !hp->port.empty()) {
        absl::StatusOr<int> port = ParsePort(hp->port, "port");
        if (!port.ok()) return port.status();
        conn.set_port(*port);
      }
      if (parsed.scheme == Scheme::kTls) conn.mutable_tls()->set_enabled(true);
    }
  }

  // Options.
  absl::flat_hash_set<std::string> seen;
  bool db_from_query = false;
  // The secret option just before this one, if any. An unencoded '&' in a
  // secret makes the secret's tail look like an option of its own: that
  // "option" is then reported without its text (it is part of a secret).
  absl::string_view after_secret;
  for (absl::string_view item : absl::StrSplit(query, '&')) {
    if (item.empty()) continue;
    absl::string_view raw_key = item;
    absl::string_view raw_value;
    const size_t eq = item.find('=');
    if (eq != absl::string_view::npos) {
      raw_key = item.substr(0, eq);
      raw_value = item.substr(eq + 1);
    }
    const absl::string_view secret_before = after_secret;
    after_secret = IsSecretOption(raw_key) ? raw_key : absl::string_view();
    const auto hidden_tail = [&] {
      return Invalid(absl::StrCat(
          "the option after '", secret_before,
          "' is not a known option (not shown: an unencoded '&' in the ",
          secret_before, "? Encode '&' as %26)"));
    };
    if (!secret_before.empty() && eq == absl::string_view::npos) {
      return hidden_tail();
    }
    absl::StatusOr<std::string> key = PercentDecode(raw_key, "option name");
    if (!key.ok()) return key.status();
    if (!seen.insert(*key).second) {
      return Invalid(absl::StrCat(*key, ": option given more than once"));
    }
    absl::StatusOr<std::string> value =
        PercentDecode(raw_value, absl::StrCat(*key, " value"));
    if (!value.ok()) return value.status();
    if (value->empty()) continue;  // As the reference: blank = not given.
    absl::Status applied = ApplyOption(*key, *value, &parsed, &db_from_query);
    if (!applied.ok() && !secret_before.empty() &&
        absl::StartsWith(applied.message(), "unknown option")) {
      return hidden_tail();
    }
    VALKEY_URL_RETURN_IF_ERROR(applied);
  }

  // Service name and database from the path (sentinel), or the database
  // (TCP and TLS).
  if (parsed.sentinel) {
    VALKEY_URL_RETURN_IF_ERROR(
        ParseSentinelPath(path, db_from_query, &parsed.config));
  } else if (parsed.scheme != Scheme::kUnix) {
    absl::StatusOr<std::string> p = PercentDecode(path, "path");
    if (!p.ok()) return p.status();
    absl::string_view digits = *p;
    absl::ConsumePrefix(&digits, "/");
    absl::ConsumeSuffix(&digits, "/");
    if (!digits.empty()) {
      VALKEY_URL_RETURN_IF_ERROR(SetPathDb(
          digits, absl::StrCat("path '", *p, "'"), db_from_query, &conn));
    }
  }
  return parsed;
}

// Completes the sentinel side once the data connection is final (after
// ApplyUrl's merge): with TLS the sentinels get the data connection's TLS
// settings; a sentinel.connection the URL created (TLS or sentinel
// credentials) gets the data connection's time-outs, keepalive and
// tcp_nodelay, which an absent one would have inherited.
void FinishSentinel(const ParsedUrl& parsed, ClientConfig* config) {
  if (!parsed.sentinel) return;
  const ConnectionConfig& data = config->connection();
  if (parsed.scheme == Scheme::kTls) {
    *config->mutable_sentinel()->mutable_connection()->mutable_tls() =
        data.tls();
  }
  if (!config->sentinel().has_connection()) return;
  ConnectionConfig& s = *config->mutable_sentinel()->mutable_connection();
  if (data.has_connect_timeout() && !s.has_connect_timeout()) {
    *s.mutable_connect_timeout() = data.connect_timeout();
  }
  if (data.has_socket_timeout() && !s.has_socket_timeout()) {
    *s.mutable_socket_timeout() = data.socket_timeout();
  }
  if (data.has_keepalive() && !s.has_keepalive()) {
    *s.mutable_keepalive() = data.keepalive();
  }
  if (data.has_tcp_nodelay() && !s.has_tcp_nodelay()) {
    s.set_tcp_nodelay(data.tcp_nodelay());
  }
}

}  // namespace

absl::StatusOr<ClientConfig> ParseUrl(absl::string_view url) {
  absl::StatusOr<ParsedUrl> parsed = Parse(url);
  if (!parsed.ok()) return parsed.status();
  FinishSentinel(*parsed, &parsed->config);
  if (absl::Status s = ValidateConfig(parsed->config); !s.ok()) {
    return Annotate(s, "URL");
  }
  return std::move(parsed->config);
}

absl::Status ApplyUrl(absl::string_view url, ClientConfig* config) {
  absl::StatusOr<ParsedUrl> parsed = Parse(url);
  if (!parsed.ok()) return parsed.status();
  ClientConfig merged = *config;
  ConnectionConfig& conn = *merged.mutable_connection();
  conn.clear_host();
  conn.clear_port();
  conn.clear_unix_path();
  // The URL's address replaces the config's: a sentinel URL's sentinel
  // part replaces the config's `sentinel` as a whole; any other URL
  // removes it; likewise a cluster URL's `cluster`.
  merged.clear_sentinel();
  merged.clear_cluster();
  if (parsed->scheme != Scheme::kTls) conn.clear_tls();
  if (parsed->has_credentials) {
    conn.clear_username();
    conn.clear_password();
    conn.clear_credentials_file();
  }
  merged.MergeFrom(parsed->config);
  FinishSentinel(*parsed, &merged);
  if (absl::Status s = ValidateConfig(merged); !s.ok()) {
    return Annotate(s, "URL");
  }
  *config = std::move(merged);
  return absl::OkStatus();
}

#undef VALKEY_URL_RETURN_IF_ERROR

}  // namespace valkey
