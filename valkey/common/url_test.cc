#include "valkey/common/url.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/common/config.h"
#include "valkey/common/config.pb.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

ClientOptions MustParse(absl::string_view url) {
  absl::StatusOr<ClientConfig> config = ParseUrl(url);
  EXPECT_TRUE(config.ok()) << url << ": " << config.status();
  if (!config.ok()) return ClientOptions();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  EXPECT_TRUE(options.ok()) << url << ": " << options.status();
  return options.ok() ? *options : ClientOptions();
}

Credentials CredsOf(const ClientOptions& options) {
  if (options.connection.credentials == nullptr) return Credentials();
  return *options.connection.credentials->GetCredentials();
}

TEST(ParseUrlTest, Schemes) {
  for (const char* url :
       {"valkey://h", "redis://h", "VALKEY://h", "Redis://h"}) {
    ClientOptions o = MustParse(url);
    EXPECT_EQ(o.connection.host, "h") << url;
    EXPECT_EQ(o.connection.port, 6379) << url;
    EXPECT_FALSE(o.connection.tls.enabled) << url;
  }
  for (const char* url : {"valkeys://h", "rediss://h", "ValkeyS://h"}) {
    ClientOptions o = MustParse(url);
    EXPECT_TRUE(o.connection.tls.enabled) << url;
    EXPECT_EQ(o.connection.tls.verify, TlsOptions::Verify::kRequired) << url;
    EXPECT_TRUE(o.connection.tls.check_hostname) << url;
  }
  for (const char* url :
       {"unix:///tmp/v.sock", "unix:/tmp/v.sock", "unix://localhost/tmp/v.sock",
        "UNIX:///tmp/v.sock"}) {
    ClientOptions o = MustParse(url);
    EXPECT_EQ(o.connection.unix_path, "/tmp/v.sock") << url;
    EXPECT_FALSE(o.connection.tls.enabled);
  }
  EXPECT_EQ(MustParse("unix:./v.sock").connection.unix_path, "./v.sock");
}

TEST(ParseUrlTest, DefaultsWhenEmpty) {
  ClientOptions o = MustParse("valkey://");
  EXPECT_EQ(o.connection.host, "localhost");
  EXPECT_EQ(o.connection.port, 6379);
  EXPECT_EQ(o.connection.db, 0);
  EXPECT_EQ(o.connection.credentials, nullptr);
}

TEST(ParseUrlTest, HostPortDb) {
  ClientOptions o = MustParse("valkey://Cache.Example.com:6390/3");
  EXPECT_EQ(o.connection.host, "Cache.Example.com");  // Case kept.
  EXPECT_EQ(o.connection.port, 6390);
  EXPECT_EQ(o.connection.db, 3);
  EXPECT_EQ(MustParse("valkey://h/2/").connection.db, 2);
  EXPECT_EQ(MustParse("valkey://h/%32").connection.db, 2);
  EXPECT_EQ(MustParse("valkey://h/").connection.db, 0);
  EXPECT_EQ(MustParse("valkey://h?db=5").connection.db, 5);
  EXPECT_EQ(MustParse("valkey://h/5?db=5").connection.db, 5);
  EXPECT_EQ(MustParse("valkey://h:").connection.port, 6379);
  EXPECT_EQ(MustParse("unix:///s?db=4").connection.db, 4);
}

TEST(ParseUrlTest, Ipv6) {
  ClientOptions o = MustParse("valkey://[::1]:7000");
  EXPECT_EQ(o.connection.host, "::1");
  EXPECT_EQ(o.connection.port, 7000);
  EXPECT_EQ(o.connection.Address(), "[::1]:7000");
  EXPECT_EQ(MustParse("valkeys://[2001:db8::10]/1").connection.host,
            "2001:db8::10");
}

TEST(ParseUrlTest, UserInfo) {
  ClientOptions o = MustParse("valkey://us%3Aer:p%40ss%2Fw+rd@h");
  Credentials c = CredsOf(o);
  EXPECT_EQ(c.username, "us:er");
  EXPECT_EQ(c.password, "p@ss/w+rd");  // '+' is not a space.

  c = CredsOf(MustParse("valkey://:only-pw@h"));
  EXPECT_EQ(c.username, "");
  EXPECT_EQ(c.password, "only-pw");

  c = CredsOf(MustParse("valkey://only-user:@h"));
  EXPECT_EQ(c.username, "only-user");
  EXPECT_EQ(c.password, "");

  c = CredsOf(MustParse("valkey://u:a:b@h"));  // First ':' splits.
  EXPECT_EQ(c.password, "a:b");

  c = CredsOf(MustParse("valkey://u:p@ss@h"));  // Last '@' ends user info.
  EXPECT_EQ(c.password, "p@ss");

  c = CredsOf(MustParse("unix://u:pw@/tmp/s"));
  EXPECT_EQ(c.username, "u");
  EXPECT_EQ(c.password, "pw");

  c = CredsOf(MustParse("valkey://h?username=u2&password=pw2"));
  EXPECT_EQ(c.username, "u2");
  EXPECT_EQ(c.password, "pw2");

  EXPECT_EQ(MustParse("valkey://@h").connection.credentials, nullptr);
}

TEST(ParseUrlTest, ConnectionOptions) {
  ClientOptions o = MustParse(
      "valkey://h?socket_timeout=1.5&socket_connect_timeout=0.25"
      "&socket_keepalive=off&tcp_nodelay=no&retry_on_timeout=yes"
      "&health_check_interval=2.5&client_capa_redirect=1"
      "&client_name=worker&protocol=2&lib_name=app&lib_version=9.9");
  const ConnectionOptions& c = o.connection;
  EXPECT_EQ(c.socket_timeout, absl::Milliseconds(1500));
  EXPECT_EQ(c.connect_timeout, absl::Milliseconds(250));
  EXPECT_FALSE(c.keepalive.enabled);
  EXPECT_FALSE(c.tcp_nodelay);
  EXPECT_TRUE(c.retry.retry_on_timeout);
  EXPECT_EQ(c.health_check_interval, absl::Milliseconds(2500));
  EXPECT_TRUE(c.client_capa_redirect);
  EXPECT_EQ(c.client_name, "worker");
  EXPECT_EQ(c.protocol, 2);
  EXPECT_EQ(c.lib_name, "app");
  EXPECT_EQ(c.lib_version, "9.9");
  EXPECT_EQ(MustParse("valkey://h?health_check_interval=0")
                .connection.health_check_interval,
            absl::ZeroDuration());
}

TEST(ParseUrlTest, BooleanSpellings) {
  for (const char* v : {"1", "t", "TRUE", "true", "y", "Yes", "on", "ON"}) {
    EXPECT_TRUE(MustParse(std::string("valkey://h?socket_keepalive=") + v)
                    .connection.keepalive.enabled)
        << v;
  }
  for (const char* v : {"0", "f", "False", "n", "NO", "off"}) {
    EXPECT_FALSE(MustParse(std::string("valkey://h?socket_keepalive=") + v)
                     .connection.keepalive.enabled)
        << v;
  }
}

TEST(ParseUrlTest, PoolAndCacheOptions) {
  ClientOptions o = MustParse(
      "valkey://h?max_connections=7&timeout=2.5&blocking=false"
      "&cache_enabled=true&cache_max_size=100&cache_ttl=30&cache_policy=LFU"
      "&cache_max_bytes=65536");
  EXPECT_EQ(o.pool.max_connections, 7);
  EXPECT_EQ(o.pool.wait_timeout, absl::Milliseconds(2500));
  EXPECT_FALSE(o.pool.blocking);
  EXPECT_TRUE(o.cache.enabled);
  EXPECT_EQ(o.cache.max_entries, 100);
  EXPECT_EQ(o.cache.max_bytes, 65536);
  EXPECT_EQ(o.cache.ttl, absl::Seconds(30));
  EXPECT_EQ(o.cache.eviction, CacheOptions::Eviction::kLfu);
  EXPECT_EQ(MustParse("valkey://h?cache_ttl=0").cache.ttl,
            absl::InfiniteDuration());
  EXPECT_EQ(MustParse("valkey://h?cache_policy=random").cache.eviction,
            CacheOptions::Eviction::kRandom);
}

TEST(ParseUrlTest, ReaderLimitOptions) {
  ClientOptions o = MustParse(
      "valkey://h?max_bulk_length=1024&max_elements=100&max_depth=4"
      "&max_reply_bytes=65536&max_reply_elements=4096");
  const ReaderLimits& l = o.connection.reader_limits;
  EXPECT_EQ(l.max_bulk_length, 1024u);
  EXPECT_EQ(l.max_elements, 100u);
  EXPECT_EQ(l.max_depth, 4u);
  EXPECT_EQ(l.max_reply_bytes, 65536u);
  EXPECT_EQ(l.max_reply_elements, 4096u);
  // Up to 64 bits where the field is 64 bits.
  EXPECT_EQ(MustParse("valkey://h?max_reply_bytes=18446744073709551615")
                .connection.reader_limits.max_reply_bytes,
            ~uint64_t{0});
  // Unset ones keep their defaults; unix: and sentinel URLs take them too.
  o = MustParse("unix:/tmp/s?max_depth=9");
  EXPECT_EQ(o.connection.reader_limits.max_depth, 9u);
  EXPECT_EQ(o.connection.reader_limits.max_bulk_length,
            ReaderLimits().max_bulk_length);
  o = MustParse("valkey+sentinel://s1/m?max_bulk_length=77");
  EXPECT_EQ(o.connection.reader_limits.max_bulk_length, 77u);
  // They bound the data nodes' replies, not the sentinels'.
  EXPECT_EQ(o.sentinel->connection.reader_limits.max_bulk_length,
            ReaderLimits().max_bulk_length);
}

TEST(ParseUrlTest, TlsOptions) {
  ClientOptions o = MustParse(
      "rediss://h:6380?ssl_ca_certs=/ca.pem&ssl_ca_path=/cas"
      "&ssl_ca_data=PEMDATA&ssl_certfile=/c.pem&ssl_keyfile=/k.pem"
      "&ssl_password=kp&ssl_cert_reqs=optional&ssl_check_hostname=false"
      "&ssl_min_version=TLSv1_3&ssl_ciphers=ECDHE+AESGCM:!aNULL");
  const TlsOptions& t = o.connection.tls;
  EXPECT_TRUE(t.enabled);
  EXPECT_EQ(t.ca_file, "/ca.pem");
  EXPECT_EQ(t.ca_path, "/cas");
  EXPECT_EQ(t.ca_pem, "PEMDATA");
  EXPECT_EQ(t.cert_file, "/c.pem");
  EXPECT_EQ(t.key_file, "/k.pem");
  EXPECT_EQ(t.key_password, "kp");
  EXPECT_EQ(t.verify, TlsOptions::Verify::kOptional);
  EXPECT_FALSE(t.check_hostname);
  EXPECT_EQ(t.min_version, TlsOptions::Version::kTls13);
  EXPECT_EQ(t.ciphers, "ECDHE+AESGCM:!aNULL");

  o = MustParse("valkeys://h?ssl_cert_reqs=none");
  EXPECT_EQ(o.connection.tls.verify, TlsOptions::Verify::kNone);
  EXPECT_FALSE(o.connection.tls.check_hostname);
  for (const char* v : {"1.2", "TLSv1.2", "tlsv1_2"}) {
    EXPECT_EQ(MustParse(std::string("valkeys://h?ssl_min_version=") + v)
                  .connection.tls.min_version,
              TlsOptions::Version::kTls12)
        << v;
  }
}

TEST(ParseUrlTest, DecodingIsSingleAndBlankValuesIgnored) {
  EXPECT_EQ(MustParse("valkey://h?client_name=a%2520b").connection.client_name,
            "a%20b");
  ClientOptions o = MustParse("valkey://h?db=&socket_keepalive=&&");
  EXPECT_EQ(o.connection.db, 0);
  EXPECT_TRUE(o.connection.keepalive.enabled);
  EXPECT_EQ(MustParse("valkey://my%2Dhost").connection.host, "my-host");
}

// --- Sentinel URLs. ---

struct GoodSentinelUrl {
  const char* url;
  std::vector<SentinelAddress> sentinels;
  const char* service;
  int db;
  bool tls;
};

class GoodSentinelUrlTest : public ::testing::TestWithParam<GoodSentinelUrl> {};

TEST_P(GoodSentinelUrlTest, Parses) {
  const GoodSentinelUrl& want = GetParam();
  ClientOptions o = MustParse(want.url);
  ASSERT_TRUE(o.sentinel.has_value()) << want.url;
  const SentinelOptions& s = *o.sentinel;
  ASSERT_EQ(s.sentinels.size(), want.sentinels.size()) << want.url;
  for (size_t i = 0; i < want.sentinels.size(); ++i) {
    EXPECT_EQ(s.sentinels[i].host, want.sentinels[i].host) << want.url;
    EXPECT_EQ(s.sentinels[i].port, want.sentinels[i].port) << want.url;
  }
  EXPECT_EQ(s.service_name, want.service) << want.url;
  EXPECT_EQ(o.connection.db, want.db) << want.url;
  EXPECT_EQ(o.connection.tls.enabled, want.tls) << want.url;
  EXPECT_EQ(s.connection.tls.enabled, want.tls) << want.url;
  EXPECT_EQ(s.min_other_sentinels, 0) << want.url;
  EXPECT_EQ(s.connection.credentials, nullptr) << want.url;
}

INSTANTIATE_TEST_SUITE_P(
    Url, GoodSentinelUrlTest,
    ::testing::Values(
        GoodSentinelUrl{"valkey+sentinel://s1/mymaster",
                        {{"s1", 26379}},
                        "mymaster",
                        0,
                        false},
        GoodSentinelUrl{"redis+sentinel://s1:26380/mymaster/",
                        {{"s1", 26380}},
                        "mymaster",
                        0,
                        false},
        GoodSentinelUrl{"VALKEY+Sentinel://s1:/mymaster/2",
                        {{"s1", 26379}},
                        "mymaster",
                        2,
                        false},
        GoodSentinelUrl{"valkey+sentinel://s1,s2:26380,10.0.0.3:26381/svc",
                        {{"s1", 26379}, {"s2", 26380}, {"10.0.0.3", 26381}},
                        "svc",
                        0,
                        false},
        GoodSentinelUrl{"valkey+sentinel://[::1]:26380,[2001:db8::7]/svc/3/",
                        {{"::1", 26380}, {"2001:db8::7", 26379}},
                        "svc",
                        3,
                        false},
        GoodSentinelUrl{"valkey+sentinel://s1/my%2Dmaster?db=4",
                        {{"s1", 26379}},
                        "my-master",
                        4,
                        false},
        GoodSentinelUrl{"valkey+sentinel://s1/svc/4?db=4",
                        {{"s1", 26379}},
                        "svc",
                        4,
                        false},
        GoodSentinelUrl{"valkeys+sentinel://s1,s2/svc/1",
                        {{"s1", 26379}, {"s2", 26379}},
                        "svc",
                        1,
                        true},
        GoodSentinelUrl{"rediss+sentinel://s1:26380/svc",
                        {{"s1", 26380}},
                        "svc",
                        0,
                        true}));

TEST(ParseUrlSentinelTest, DataConnectionHasNoAddress) {
  absl::StatusOr<ClientConfig> config =
      ParseUrl("valkey+sentinel://s1:26380,s2/mymaster/1");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->connection().host(), "");
  EXPECT_FALSE(config->connection().has_port());
  EXPECT_EQ(config->connection().db(), 1);
  EXPECT_FALSE(config->sentinel().has_connection());  // Inherits, as a file.
  ASSERT_EQ(config->sentinel().sentinels_size(), 2);
  EXPECT_EQ(config->sentinel().sentinels(0).port(), 26380);
  EXPECT_FALSE(config->sentinel().sentinels(1).has_port());  // 26379.
}

TEST(ParseUrlSentinelTest, CredentialsAndOptions) {
  ClientOptions o = MustParse(
      "valkey+sentinel://app:data%40pw@s1,s2/svc"
      "?sentinel_username=sent&sentinel_password=s%3Apw"
      "&min_other_sentinels=1&socket_timeout=1.5&socket_connect_timeout=0.5"
      "&max_connections=7&client_name=worker&protocol=2");
  Credentials data = CredsOf(o);
  EXPECT_EQ(data.username, "app");
  EXPECT_EQ(data.password, "data@pw");
  EXPECT_EQ(o.connection.socket_timeout, absl::Milliseconds(1500));
  EXPECT_EQ(o.connection.client_name, "worker");
  EXPECT_EQ(o.connection.protocol, 2);
  EXPECT_EQ(o.pool.max_connections, 7);
  ASSERT_TRUE(o.sentinel.has_value());
  const SentinelOptions& s = *o.sentinel;
  EXPECT_EQ(s.min_other_sentinels, 1);
  ASSERT_NE(s.connection.credentials, nullptr);
  Credentials sent = *s.connection.credentials->GetCredentials();
  EXPECT_EQ(sent.username, "sent");
  EXPECT_EQ(sent.password, "s:pw");
  // As when sentinel.connection is absent: the socket settings carry over,
  // the data-node handshake does not.
  EXPECT_EQ(s.connection.socket_timeout, absl::Milliseconds(1500));
  EXPECT_EQ(s.connection.connect_timeout, absl::Milliseconds(500));
  EXPECT_EQ(s.connection.client_name, "");
  EXPECT_EQ(s.connection.protocol, 3);

  // Only a sentinel password; no data credentials.
  o = MustParse("valkey+sentinel://s1/svc?sentinel_password=sp");
  EXPECT_EQ(o.connection.credentials, nullptr);
  ASSERT_NE(o.sentinel->connection.credentials, nullptr);
  EXPECT_EQ(o.sentinel->connection.credentials->GetCredentials()->password,
            "sp");

  // Without sentinel options the sentinels inherit the time-outs too.
  o = MustParse("valkey+sentinel://s1/svc?socket_timeout=2");
  EXPECT_EQ(o.sentinel->connection.socket_timeout, absl::Seconds(2));
  EXPECT_EQ(o.sentinel->connection.credentials, nullptr);
}

TEST(ParseUrlSentinelTest, TlsAppliesToSentinelsAndDataNodes) {
  ClientOptions o = MustParse(
      "valkeys+sentinel://s1,s2/svc?ssl_ca_certs=/ca.pem"
      "&ssl_min_version=TLSv1_3&sentinel_password=sp&socket_timeout=1");
  EXPECT_TRUE(o.connection.tls.enabled);
  EXPECT_EQ(o.connection.tls.ca_file, "/ca.pem");
  ASSERT_TRUE(o.sentinel.has_value());
  const ConnectionOptions& s = o.sentinel->connection;
  EXPECT_TRUE(s.tls.enabled);
  EXPECT_EQ(s.tls.ca_file, "/ca.pem");
  EXPECT_EQ(s.tls.min_version, TlsOptions::Version::kTls13);
  EXPECT_EQ(s.tls.verify, TlsOptions::Verify::kRequired);
  EXPECT_TRUE(s.tls.check_hostname);
  EXPECT_EQ(s.socket_timeout, absl::Seconds(1));
  ASSERT_NE(s.credentials, nullptr);
}

// docs/configuration.md and docs/sentinel.md, sentinel URL examples.
TEST(ParseUrlSentinelTest, DocExamples) {
  for (const char* url : {
           "valkey+sentinel://sentinel-1.internal/mymaster",
           "valkey+sentinel://app:s3cret@sentinel-1.internal,sentinel-2."
           "internal:26380,10.0.0.3/mymaster/1",
           "valkey+sentinel://[::1]:26380,[::1]:26381/mymaster"
           "?sentinel_password=sentinel-pw&min_other_sentinels=1",
           "valkeys+sentinel://sentinel-1.internal,sentinel-2.internal/"
           "mymaster?ssl_ca_certs=/etc/valkey/ca.pem",
           "redis+sentinel://s1,s2,s3/mymaster?socket_timeout=1"
           "&socket_connect_timeout=0.5",
       }) {
    ClientOptions o = MustParse(url);
    EXPECT_TRUE(o.sentinel.has_value()) << url;
  }
}

struct BadUrl {
  const char* url;
  const char* error;  // Expected substring.
};

class BadUrlTest : public ::testing::TestWithParam<BadUrl> {};

TEST_P(BadUrlTest, RejectedWithReason) {
  absl::StatusOr<ClientConfig> config = ParseUrl(GetParam().url);
  ASSERT_FALSE(config.ok()) << GetParam().url;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorKind(config.status()), ErrorKind::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(config.status().message(), GetParam().error))
      << GetParam().url << " -> " << config.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Url, BadUrlTest,
    ::testing::Values(
        BadUrl{"", "URL must start with valkey://"},
        BadUrl{"localhost", "URL must start with valkey://"},
        BadUrl{"valkey:foo.bar.com:12345", "URL must start with valkey://"},
        BadUrl{"http://h", "URL must start with valkey://"},
        BadUrl{"valkey://h:abc", "port: not a valid port number"},
        BadUrl{"valkey://h:0", "port: not a valid port number"},
        BadUrl{"valkey://h:70000", "port: not a valid port number"},
        BadUrl{"valkey://h:-1", "port: not a valid port number"},
        BadUrl{"valkey://h:+1", "port: not a valid port number"},
        BadUrl{"valkey://::1:6379", "IPv6 addresses must be in brackets"},
        BadUrl{"valkey://[::1", "host: '[' without a closing ']'"},
        BadUrl{"valkey://[::1]x", "host: unexpected text after ']'"},
        BadUrl{"valkey://[]:1", "host: empty IPv6 address"},
        BadUrl{"valkey://h/abc", "db: path '/abc' is not /<database number>"},
        BadUrl{"valkey://h/1/2", "db: path '/1/2'"},
        BadUrl{"valkey://h/-1", "db: path '/-1'"},
        BadUrl{"valkey://h/2?db=3", "db: the path says 2 but the db option"},
        BadUrl{"valkey://h?db=x", "db: 'x' is not an integer"},
        BadUrl{"valkey://h?db=-1", "db: -1 is not valid"},
        BadUrl{"valkey://h?protocol=4", "protocol: 4 is not valid"},
        BadUrl{"valkey://h?protocol=abc", "protocol: 'abc' is not an integer"},
        BadUrl{"valkey://h?socket_timeout=abc",
               "socket_timeout: 'abc' is not a number of seconds"},
        BadUrl{"valkey://h?socket_timeout=0", "socket_timeout: 0 is not valid"},
        BadUrl{"valkey://h?socket_timeout=-1", "socket_timeout: -1 is not"},
        BadUrl{"valkey://h?socket_timeout=inf", "is not a number of seconds"},
        BadUrl{"valkey://h?socket_timeout=nan", "is not a number of seconds"},
        BadUrl{"valkey://h?socket_connect_timeout=1e300", "too large"},
        BadUrl{"valkey://h?socket_keepalive=maybe",
               "socket_keepalive: 'maybe' is not a boolean"},
        BadUrl{"valkey://h?retry_on_timeout=2", "retry_on_timeout: '2'"},
        BadUrl{"valkey://h?health_check_interval=-1",
               "health_check_interval: -1 is not valid"},
        BadUrl{"valkey://h?max_connections=0",
               "max_connections: 0 is not valid (must be >= 1)"},
        BadUrl{"valkey://h?max_connections=1.5", "max_connections: '1.5'"},
        BadUrl{"valkey://h?timeout=x", "timeout: 'x'"},
        BadUrl{"valkey://h?max_bulk_length=0",
               "max_bulk_length: 0 is not valid (must be >= 1)"},
        BadUrl{"valkey://h?max_bulk_length=-5",
               "max_bulk_length: '-5' is not an integer"},
        BadUrl{"valkey://h?max_bulk_length=1k",
               "max_bulk_length: '1k' is not an integer"},
        BadUrl{"valkey://h?max_reply_bytes=18446744073709551616",
               "max_reply_bytes: '18446744073709551616' is not an integer"},
        BadUrl{"valkey://h?max_elements=0", "max_elements: 0 is not valid"},
        BadUrl{"valkey://h?max_depth=0", "max_depth: 0 is not valid"},
        BadUrl{"valkey://h?max_depth=4294967296",
               "max_depth: 4294967296 is not valid (must be at most "
               "4294967295)"},
        BadUrl{"valkey://h?max_reply_bytes=0",
               "max_reply_bytes: 0 is not valid"},
        BadUrl{"valkey://h?max_reply_elements=0",
               "max_reply_elements: 0 is not valid"},
        BadUrl{"valkey://h?cache_policy=fifo", "cache_policy: 'fifo'"},
        BadUrl{"valkey://h?cache_max_size=0", "cache_max_size: 0"},
        BadUrl{"valkey://h?cache_max_bytes=0", "cache_max_bytes: 0 is not"},
        BadUrl{"valkey://h?cache_max_bytes=1k", "cache_max_bytes: '1k'"},
        BadUrl{"valkey://h?protocol=2&cache_enabled=true",
               "cache.enabled: the client-side cache needs"},
        BadUrl{"valkey://h?client_name=a%20b", "connection.client_name:"},
        BadUrl{"valkey://h?sockettimeout=1", "unknown option 'sockettimeout'"},
        BadUrl{"valkey://h?a=1", "unknown option 'a'"},
        BadUrl{"valkey://h?db=1&db=1", "db: option given more than once"},
        BadUrl{"valkey://h?ssl_ca_certs=/ca",
               "ssl_ca_certs: TLS options need a valkeys:// or rediss:// URL"},
        BadUrl{"unix:///s?ssl_ciphers=x", "ssl_ciphers: TLS options need"},
        BadUrl{"valkeys://h?ssl_cert_reqs=maybe", "ssl_cert_reqs: 'maybe'"},
        BadUrl{"valkeys://h?ssl_cert_reqs=none&ssl_check_hostname=true",
               "connection.tls.check_hostname: cannot be true"},
        BadUrl{"valkeys://h?ssl_min_version=TLSv1_1", "ssl_min_version:"},
        BadUrl{"valkeys://h?ssl_check_hostname=nah", "ssl_check_hostname:"},
        BadUrl{"valkeys://h?ssl_certfile=/c", "a client certificate needs"},
        BadUrl{"unix://", "path: the URL names no socket path"},
        BadUrl{"unix://otherhost/tmp/s", "host: unix: URLs take no host"},
        BadUrl{"unix://localhost:5/tmp/s", "port: unix: URLs take no port"},
        BadUrl{"valkey://h%zz", "host: invalid percent-encoding"},
        BadUrl{"valkey://h?client_name=%4", "client_name value: invalid"},
        BadUrl{"valkey://h#frag", "URL contains '#'"},
        // Sentinel URLs.
        BadUrl{"valkey+sentinel://s1", "service_name: missing"},
        BadUrl{"valkey+sentinel://s1/", "service_name: missing"},
        BadUrl{"valkey+sentinel://s1//2", "service_name: missing"},
        BadUrl{"valkey+sentinel://s1?db=1", "service_name: missing"},
        BadUrl{"valkey+sentinel:///svc",
               "sentinels: the URL names no sentinel"},
        BadUrl{"valkey+sentinel://u:p@/svc", "sentinels: the URL names no"},
        BadUrl{"valkey+sentinel://s1,,s3/svc", "sentinel 2 host: empty"},
        BadUrl{"valkey+sentinel://s1,/svc", "sentinel 2 host: empty"},
        BadUrl{"valkey+sentinel://:26379/svc", "sentinel 1 host: empty"},
        BadUrl{"valkey+sentinel://s1,s2:abc/svc",
               "sentinel 2 port: not a valid port number"},
        BadUrl{"valkey+sentinel://s1:0/svc", "sentinel 1 port: not a valid"},
        BadUrl{"valkey+sentinel://s1:70000/svc", "sentinel 1 port: not a"},
        BadUrl{"valkey+sentinel://s1,::1/svc",
               "sentinel 2 host: IPv6 addresses must be in brackets"},
        BadUrl{"valkey+sentinel://2001:db8::1:26379/svc",
               "sentinel 1 host: IPv6 addresses must be in brackets"},
        BadUrl{"valkey+sentinel://[::1/svc", "sentinel 1 host: '[' without"},
        BadUrl{"valkey+sentinel://s1,[::1]x/svc",
               "sentinel 2 host: unexpected text after ']'"},
        BadUrl{"valkey+sentinel://s%zz/svc", "sentinel 1 host: invalid"},
        BadUrl{"valkey+sentinel://s1/svc/x", "db: the path after the service"},
        BadUrl{"valkey+sentinel://s1/svc/1/2", "path: must be /service_name"},
        BadUrl{"valkey+sentinel://s1/svc/2?db=3", "db: the path says 2"},
        BadUrl{"valkey+sentinel://s1/svc%zz", "service_name: invalid"},
        BadUrl{"valkey+sentinel://s1/svc?min_other_sentinels=-1",
               "min_other_sentinels: -1 is not valid"},
        BadUrl{"valkey+sentinel://s1/svc?min_other_sentinels=x",
               "min_other_sentinels: 'x' is not an integer"},
        BadUrl{"valkey+sentinel://s1/svc?ssl_ca_certs=/ca",
               "ssl_ca_certs: TLS options need a valkeys://"},
        BadUrl{"valkey+sentinel://s1/svc?sentinel_port=1",
               "unknown option 'sentinel_port'"},
        BadUrl{"valkey+sentinel://s1/a@b", "URL has '@' after the host"},
        BadUrl{"valkey+sentinel://u:p@s1/a@b/1", "path: contains '@'"},
        BadUrl{"valkey://h?sentinel_password=x",
               "sentinel_password: needs a valkey+sentinel:// "},
        BadUrl{"valkey://h?min_other_sentinels=1",
               "min_other_sentinels: needs a valkey+sentinel://"},
        BadUrl{"unix+sentinel:///tmp/s", "URL must start with valkey://"},
        BadUrl{"http+sentinel://s1/svc", "URL must start with valkey://"},
        BadUrl{"valkey+sentinel:s1/svc", "URL must start with valkey://"}));

// Every kind of failure, with a distinctive password in the URL: the
// password never appears in the message.
TEST(ParseUrlTest, PasswordNeverInErrors) {
  constexpr absl::string_view kSecret = "Zq9SECRETpw";
  const std::string urls[] = {
      "valkey://u:Zq9SECRETpw@h:abc",
      "valkey://u:Zq9SECRETpw@h:0",
      "valkey://u:Zq9SECRETpw@h/abc",
      "valkey://u:Zq9SECRETpw@h?db=x",
      "valkey://u:Zq9SECRETpw@h?nope=1",
      "valkey://u:Zq9SECRETpw@h?protocol=9",
      "valkey://u:Zq9SECRETpw@h?client_name=a%20b",
      "valkey://u:Zq9SECRETpw@h?password=other",
      "valkey://u:Zq9SECRETpw%zz@h",
      "valkey://u:Zq9SECRETpw@h?ssl_ca_certs=/x",
      "valkeys://u:x@h?ssl_password=Zq9SECRETpw&ssl_cert_reqs=bad",
      "valkeys://u:x@h?ssl_password=Zq9SECRETpw&ssl_password=Zq9SECRETpw",
      "valkey://h?password=Zq9SECRETpw&password=Zq9SECRETpw",
      "Zq9SECRETpw",
      "u:Zq9SECRETpw@h",
      "http://u:Zq9SECRETpw@h",
      // Unencoded delimiters inside the password split the URL.
      "valkey://u:Zq9/SECRETpw@h",
      "valkey://u:Zq9?SECRETpw@h",
      "valkey://u:Zq9#SECRETpw@h",
      "valkey://u:Zq9SECRETpw/x@h:1",
      "valkey://u:Zq9SECRETpw?x@h",
      "valkey://:Zq9:SECRETpw:x/@h",
      "valkey://[u:Zq9SECRETpw@h:0",
      "valkey+sentinel://u:Zq9SECRETpw@s1",
      "valkey+sentinel://u:Zq9SECRETpw@/svc",
      "valkey+sentinel://u:Zq9SECRETpw@s1:0/svc",
      "valkey+sentinel://u:Zq9SECRETpw@s1,,s2/svc",
      "valkey+sentinel://u:Zq9SECRETpw@::1/svc",
      "valkey+sentinel://u:Zq9SECRETpw@s1/svc/x",
      "valkey+sentinel://u:Zq9SECRETpw@s1/svc/1/2",
      "valkey+sentinel://u:Zq9/SECRETpw@s1/svc",
      "valkey+sentinel://u:p@s1/Zq9SECRETpw@x/1",
      "valkey+sentinel://s1/svc?sentinel_password=Zq9SECRETpw&db=x",
      "valkey+sentinel://s1/svc?sentinel_password=Zq9SECRETpw"
      "&sentinel_password=Zq9SECRETpw",
      "valkey+sentinel://s1/svc?sentinel_password=Zq9SECRETpw%zz",
      "valkey://h?sentinel_password=Zq9SECRETpw",
      // An unencoded '&' inside a password given as an option: its tail
      // becomes an option of its own (with or without '=').
      "valkey://h?password=Zq9&SECRETpw",
      "valkey://h?password=Zq9&SECRETpw=x",
      "valkeys://h?ssl_password=Zq9&SECRETpw",
      "valkey+sentinel://s1/svc?sentinel_password=Zq9&SECRETpw=1",
  };
  for (const std::string& url : urls) {
    absl::StatusOr<ClientConfig> config = ParseUrl(url);
    ASSERT_FALSE(config.ok()) << url;
    EXPECT_FALSE(absl::StrContains(config.status().message(), "SECRET"))
        << config.status().message();
    EXPECT_FALSE(absl::StrContains(config.status().message(), kSecret));
  }
}

TEST(ApplyUrlTest, UrlWinsOverConfig) {
  ClientConfig config;
  config.mutable_connection()->set_host("old-host");
  config.mutable_connection()->set_db(1);
  config.mutable_connection()->mutable_password()->set_env("OLD_PW");
  config.mutable_connection()->mutable_tls()->set_ca_file("/ca.pem");
  config.mutable_connection()->set_client_name("keep-me");
  config.mutable_pool()->set_max_connections(9);

  ClientConfig plain = config;
  ASSERT_TRUE(ApplyUrl("valkey://new-host/2", &plain).ok());
  EXPECT_EQ(plain.connection().host(), "new-host");
  EXPECT_EQ(plain.connection().db(), 2);
  EXPECT_FALSE(plain.connection().has_tls());                // Scheme decides.
  EXPECT_EQ(plain.connection().password().env(), "OLD_PW");  // Kept.
  EXPECT_EQ(plain.connection().client_name(), "keep-me");
  EXPECT_EQ(plain.pool().max_connections(), 9);

  ClientConfig tls = config;
  ASSERT_TRUE(ApplyUrl("valkeys://:newpw@h2?max_connections=3", &tls).ok());
  EXPECT_TRUE(tls.connection().tls().enabled());
  EXPECT_EQ(tls.connection().tls().ca_file(), "/ca.pem");
  EXPECT_EQ(tls.connection().password().value(), "newpw");
  EXPECT_EQ(tls.pool().max_connections(), 3);

  ClientConfig unix_config = config;
  ASSERT_TRUE(ApplyUrl("unix:///tmp/s", &unix_config).ok());
  EXPECT_EQ(unix_config.connection().unix_path(), "/tmp/s");
  EXPECT_EQ(unix_config.connection().host(), "");

  // A limit option replaces that one field and keeps the others.
  ClientConfig limited = config;
  limited.mutable_connection()->mutable_reader_limits()->set_max_depth(7);
  limited.mutable_connection()->mutable_reader_limits()->set_max_bulk_length(
      10);
  ASSERT_TRUE(ApplyUrl("valkey://h?max_bulk_length=20", &limited).ok());
  EXPECT_EQ(limited.connection().reader_limits().max_bulk_length(), 20u);
  EXPECT_EQ(limited.connection().reader_limits().max_depth(), 7u);

  ClientConfig unchanged = config;
  EXPECT_FALSE(ApplyUrl("valkey://h:0", &unchanged).ok());
  EXPECT_EQ(unchanged.connection().host(), "old-host");
}

TEST(ApplyUrlTest, SentinelUrlReplacesAddressAndSentinelBlock) {
  ClientConfig config;
  config.mutable_connection()->set_host("old-host");
  config.mutable_connection()->set_port(7000);
  config.mutable_connection()->mutable_socket_timeout()->set_seconds(3);
  config.mutable_connection()->mutable_tls()->set_ca_file("/ca.pem");
  config.mutable_pool()->set_max_connections(9);

  ClientConfig sentinel = config;
  ASSERT_TRUE(
      ApplyUrl("valkeys+sentinel://s1,s2/svc/2?sentinel_password=sp", &sentinel)
          .ok());
  EXPECT_EQ(sentinel.connection().host(), "");
  EXPECT_FALSE(sentinel.connection().has_port());
  EXPECT_EQ(sentinel.connection().db(), 2);
  EXPECT_EQ(sentinel.pool().max_connections(), 9);
  EXPECT_EQ(sentinel.sentinel().service_name(), "svc");
  EXPECT_EQ(sentinel.sentinel().sentinels_size(), 2);
  // The sentinels get the merged TLS settings and the config's time-out.
  EXPECT_EQ(sentinel.sentinel().connection().tls().ca_file(), "/ca.pem");
  EXPECT_EQ(sentinel.sentinel().connection().socket_timeout().seconds(), 3);
  EXPECT_EQ(sentinel.sentinel().connection().password().value(), "sp");
  EXPECT_TRUE(ToClientOptions(sentinel).ok());

  // Another sentinel URL replaces the whole sentinel block.
  ASSERT_TRUE(ApplyUrl("valkey+sentinel://s3/other", &sentinel).ok());
  EXPECT_EQ(sentinel.sentinel().service_name(), "other");
  ASSERT_EQ(sentinel.sentinel().sentinels_size(), 1);
  EXPECT_EQ(sentinel.sentinel().sentinels(0).host(), "s3");
  EXPECT_FALSE(sentinel.sentinel().has_connection());
  EXPECT_FALSE(sentinel.connection().has_tls());

  // A plain URL removes it.
  ASSERT_TRUE(ApplyUrl("valkey://h2:7001", &sentinel).ok());
  EXPECT_FALSE(sentinel.has_sentinel());
  EXPECT_EQ(sentinel.connection().host(), "h2");
  EXPECT_TRUE(ToClientOptions(sentinel).ok());
}

}  // namespace
}  // namespace valkey
