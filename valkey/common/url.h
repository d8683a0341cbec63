// Connection URLs: parsing "valkey://user:pass@host:6380/2?socket_timeout=1.5"
// into the same ClientConfig a text-proto file gives (config.proto), so a
// URL and a config file are interchangeable and validated alike.
//
//   absl::StatusOr<valkey::ClientConfig> config =
//       valkey::ParseUrl("valkeys://app:s3cr%40t@cache.internal:6380/1"
//                        "?ssl_ca_certs=/etc/valkey/ca.pem&max_connections=20");
//   if (!config.ok()) return config.status();  // INVALID_ARGUMENT
//   absl::StatusOr<valkey::ClientOptions> options =
//       valkey::ToClientOptions(*config);
//
// Grammar (scheme case-insensitive):
//   valkey://[[user][:password]@][host][:port][/db][?options]   TCP
//   valkeys://...                                              TCP + TLS
//   redis://...  rediss://...                                  aliases
//   unix://[[user][:password]@][localhost]/path/to.sock[?options]
//   unix:/path/to.sock[?options]   unix:relative.sock[?options]
//   valkey+sentinel://[[user][:password]@]host1[:port1][,host2[:port2]...]
//       /service_name[/db][?options]                           Sentinel
//   valkeys+sentinel://...                                     Sentinel + TLS
//   redis+sentinel://...  rediss+sentinel://...                aliases
//   valkey+cluster://[[user][:password]@]host1[:port1][,host2[:port2]...]
//       [/db][?options]                                        Cluster
//   valkeys+cluster://...                                      Cluster + TLS
//   redis+cluster://...  rediss+cluster://...                  aliases
// - host: a name, an IPv4 address or a bracketed IPv6 address ("[::1]");
//   default localhost. port: 1-65535, default 6379.
// - user, password, host, path and option values are percent-decoded
//   ("%40" → "@"); '+' stays '+' (it is not a space, unlike HTML forms,
//   so cipher lists such as ECDHE+AESGCM survive).
// - valkeys:// verifies the server certificate and its hostname unless
//   ssl_cert_reqs / ssl_check_hostname say otherwise.
// - Sentinel URLs fill `sentinel` (sentinels, service_name) and leave the
//   data connection without an address. The hosts are the sentinels (at
//   least one; each port 1-65535, default 26379; IPv6 in brackets); the
//   path's first segment is the service name (required, percent-decoded,
//   no unencoded '@'), an optional second one the database. User info and
//   the options above apply to the data nodes. valkeys+sentinel:// turns
//   TLS on for the sentinels too, with the same ssl_* settings. When the
//   URL sets TLS or sentinel credentials, sentinel.connection is written
//   with them plus the data connection's connect/socket time-outs,
//   keepalive and tcp_nodelay (what an absent one would inherit).
//
// Options (an option with an empty value is ignored, as in the reference
// client; booleans accept 1/0, true/false, t/f, yes/no, y/n, on/off in any
// case; "seconds" accept fractions):
//   db                      int >= 0 (or /db in the path; both must agree)
//   protocol                2 or 3
//   client_name, lib_name, lib_version, username, password    strings
//   socket_timeout          seconds > 0        connection.socket_timeout
//   socket_connect_timeout  seconds > 0        connection.connect_timeout
//   socket_keepalive        bool               connection.keepalive.enabled
//   tcp_nodelay             bool               connection.tcp_nodelay
//   retry_on_timeout        bool               connection.retry
//   health_check_interval   seconds >= 0 (0 = off)
//   client_capa_redirect    bool
//   max_bulk_length, max_elements, max_depth, max_reply_bytes,
//   max_reply_elements      int >= 1           connection.reader_limits.*
//   max_connections         int >= 1           pool.max_connections
//   timeout                 seconds > 0        pool.wait_timeout
//   blocking                bool               pool.blocking
//   cache_enabled           bool               cache.enabled
//   cache_max_size          int >= 1           cache.max_entries
//   cache_max_bytes         int >= 1           cache.max_bytes
//   cache_ttl               seconds >= 0 (0 = no expiry)       cache.ttl
//   cache_policy            lru | lfu | random
//   TLS (valkeys:// and rediss:// only):
//   ssl_ca_certs (CA file), ssl_ca_path, ssl_ca_data (inline PEM),
//   ssl_certfile, ssl_keyfile, ssl_password (key passphrase),
//   ssl_cert_reqs (none | optional | required), ssl_check_hostname (bool),
//   ssl_min_version (TLSv1_2 | TLSv1_3; also "1.2", "TLSv1.3"),
//   ssl_ciphers.
//   Sentinel URLs only:
//   sentinel_username, sentinel_password   sentinel.connection credentials
//   min_other_sentinels     int >= 0           sentinel.min_other_sentinels
//   Cluster URLs only (they fill `cluster`; the hosts become cluster.seeds
//   as "host:port" / "[v6]:port", port default 6379, and the data
//   connection gets no address; errors "seed 2 port: ..."):
//   read_from               primary | prefer_replica | round_robin |
//                           az_affinity        cluster.read_from
//   client_az               string             cluster.client_az
//   max_redirects           int >= 0           cluster.max_redirects
//   min_refresh_interval, refresh_interval     seconds > 0
//   split_multi_key         bool               cluster.split_multi_key
//
// Differences from the reference client's parser, on purpose: unknown
// options, repeated options, port 0, a non-numeric db path ("/abc",
// "/1/2") and booleans it would read as true ("off") are errors instead of
// being ignored or guessed; values are decoded once, not twice; host names
// keep their case; a URL fragment ('#') is rejected.
//
// Errors are INVALID_ARGUMENT (ErrorKind kInvalidArgument) naming the part
// or option ("port: ...", "socket_timeout: 'abc' is not a number of
// seconds", "unknown option 'sockettimeout'", "sentinel 2 port: ...",
// "service_name: missing ..."). The password (user info or ssl_password /
// password / sentinel_password option) never appears in a message, and
// neither does the URL as a whole.
//
// Thread-safety: pure functions.

#ifndef VALKEY_COMMON_URL_H_
#define VALKEY_COMMON_URL_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "valkey/common/config.pb.h"

namespace valkey {

// Parses `url` into a ClientConfig holding `connection`, `pool` / `cache`
// when the URL sets their options, and `sentinel` for a Sentinel URL; the
// result passes ValidateConfig(). Errors: INVALID_ARGUMENT as described
// above.
absl::StatusOr<ClientConfig> ParseUrl(absl::string_view url);

// Applies `url` over `config`, the URL winning (as the reference's
// from_url(url, **kwargs)): the URL's address replaces the config's (host,
// port, unix_path); its scheme decides TLS (valkey:// removes
// connection.tls; valkeys:// enables it, keeping the config's CA and
// certificate settings); user info replaces the credentials; options
// replace the fields they name. A Sentinel URL replaces the config's
// `sentinel` as a whole (and clears host, port and unix_path); any other
// URL removes it; likewise a cluster URL replaces `cluster` and any other
// URL removes it. Other fields of `config` are kept. On error `config` is
// unchanged. Errors: those of ParseUrl(), or
// INVALID_ARGUMENT when the merged config is invalid.
absl::Status ApplyUrl(absl::string_view url, ClientConfig* config);

}  // namespace valkey

#endif  // VALKEY_COMMON_URL_H_
