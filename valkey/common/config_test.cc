#include "valkey/common/config.h"

#include <stdlib.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/common/backoff.h"
#include "valkey/common/config.pb.h"
#include "valkey/common/credentials.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

void ExpectInvalid(const absl::Status& status, absl::string_view must_contain,
                   absl::string_view must_not_contain = "") {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(GetErrorKind(status), ErrorKind::kInvalidArgument) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), must_contain))
      << "message: " << status.message() << "\nwanted: " << must_contain;
  if (!must_not_contain.empty()) {
    EXPECT_FALSE(absl::StrContains(status.message(), must_not_contain))
        << status;
  }
}

TEST(ConfigTest, EmptyConfigGivesDefaults) {
  absl::StatusOr<ClientConfig> config = ParseConfigText("");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  const ConnectionOptions& c = options->connection;
  EXPECT_EQ(c.host, "localhost");
  EXPECT_EQ(c.port, 6379);
  EXPECT_FALSE(c.is_unix());
  EXPECT_EQ(c.db, 0);
  EXPECT_EQ(c.credentials, nullptr);
  EXPECT_EQ(c.protocol, 3);
  EXPECT_TRUE(c.send_lib_info);
  EXPECT_EQ(c.lib_name, "valkey-cpp");
  EXPECT_EQ(c.lib_version, kLibraryVersion);
  EXPECT_EQ(c.connect_timeout, absl::Seconds(5));
  EXPECT_EQ(c.socket_timeout, absl::InfiniteDuration());
  EXPECT_TRUE(c.keepalive.enabled);
  EXPECT_FALSE(c.keepalive.idle.has_value());
  EXPECT_TRUE(c.tcp_nodelay);
  EXPECT_FALSE(c.tls.enabled);
  EXPECT_EQ(c.retry.retries, 0);
  EXPECT_EQ(c.retry.backoff, Backoff::EqualJitter());
  EXPECT_FALSE(c.retry.retry_on_timeout);
  EXPECT_EQ(c.health_check_interval, absl::ZeroDuration());
  const ReaderLimits defaults;
  EXPECT_EQ(c.reader_limits.max_bulk_length, defaults.max_bulk_length);
  EXPECT_EQ(c.reader_limits.max_elements, defaults.max_elements);
  EXPECT_EQ(c.reader_limits.max_depth, defaults.max_depth);
  EXPECT_EQ(c.reader_limits.max_reply_bytes, defaults.max_reply_bytes);
  EXPECT_EQ(c.reader_limits.max_reply_elements, defaults.max_reply_elements);
  EXPECT_EQ(c.reader_limits.max_idle_buffer, defaults.max_idle_buffer);
  EXPECT_EQ(c.Address(), "localhost:6379");
  EXPECT_EQ(options->pool.max_connections, 50);
  EXPECT_TRUE(options->pool.blocking);
  EXPECT_EQ(options->pool.wait_timeout, absl::Seconds(20));
  EXPECT_FALSE(options->sentinel.has_value());
  EXPECT_FALSE(options->cache.enabled);
  EXPECT_EQ(options->cache.max_entries, 10000);
  EXPECT_EQ(options->cache.max_bytes, 64 << 20);
  EXPECT_EQ(options->cache.ttl, absl::InfiniteDuration());
  EXPECT_EQ(options->cache.allow_commands, DefaultCacheAllowCommands());
  EXPECT_EQ(options->cache.deny_commands, DefaultCacheDenyCommands());
}

constexpr absl::string_view kFullConfig = R"pb(
  # A complete configuration.
  connection {
    host: "cache.internal"
    port: 6380
    db: 2
    username: "app"
    password { value: "inline-pass-123" }
    client_name: "worker-7"
    protocol: 2
    lib_name: "myapp"
    lib_version: "1.2.3"
    client_capa_redirect: true
    connect_timeout { seconds: 2 }
    socket_timeout { nanos: 500000000 }
    keepalive {
      enabled: true
      idle { seconds: 30 }
      interval { seconds: 5 }
      count: 3
    }
    tcp_nodelay: false
    tls {
      ca_file: "/etc/ca.pem"
      ca_path: "/etc/cas"
      ca_pem: "-----BEGIN CERTIFICATE-----"
      use_system_trust_store: false
      cert_file: "/etc/client.pem"
      key_pem { value: "PRIVATE-KEY-SECRET-456" }
      key_password { value: "key-pass-789" }
      verify_mode: VERIFY_OPTIONAL
      check_hostname: false
      server_name: "valkey.example.com"
      min_version: TLS_1_3
      ciphers: "ECDHE+AESGCM"
    }
    retry {
      retries: 4
      backoff: BACKOFF_EXPONENTIAL
      backoff_base { nanos: 10000000 }
      backoff_cap { seconds: 1 }
      retry_on_timeout: true
    }
    health_check_interval { seconds: 15 }
  }
  pool {
    max_connections: 8
    blocking: false
    wait_timeout { seconds: 3 }
  }
  cache {
    enabled: false
    max_entries: 500
    max_bytes: 1048576
    ttl { seconds: 60 }
    eviction_policy: EVICTION_LFU
    allow_commands: "get"
    allow_commands: "HGET"
    deny_commands: "TTL"
    allow_key_prefixes: "user:"
    deny_key_prefixes: "user:secret:"
  }
)pb";

TEST(ConfigTest, SingleConnectionConverts) {
  absl::StatusOr<ClientConfig> config =
      ParseConfigText("single_connection: true\n");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->single_connection);
  absl::StatusOr<ClientOptions> defaults =
      ToClientOptions(*ParseConfigText(""));
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_FALSE(defaults->single_connection);
}

TEST(ConfigTest, SingleConnectionIsRefusedWithCluster) {
  ExpectInvalid(ParseConfigText("single_connection: true\n"
                                "cluster { seeds: \"127.0.0.1:7000\" }\n")
                    .status(),
                "single_connection: must not be set with cluster");
}

TEST(ConfigTest, FullConfigConverts) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(kFullConfig, "full");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  const ConnectionOptions& c = options->connection;
  EXPECT_EQ(c.Address(), "cache.internal:6380");
  EXPECT_EQ(c.db, 2);
  ASSERT_NE(c.credentials, nullptr);
  absl::StatusOr<Credentials> creds = c.credentials->GetCredentials();
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->username, "app");
  EXPECT_EQ(creds->password, "inline-pass-123");
  EXPECT_EQ(c.client_name, "worker-7");
  EXPECT_EQ(c.protocol, 2);
  EXPECT_EQ(c.lib_name, "myapp");
  EXPECT_EQ(c.lib_version, "1.2.3");
  EXPECT_TRUE(c.client_capa_redirect);
  EXPECT_EQ(c.connect_timeout, absl::Seconds(2));
  EXPECT_EQ(c.socket_timeout, absl::Milliseconds(500));
  EXPECT_TRUE(c.keepalive.enabled);
  EXPECT_EQ(c.keepalive.idle, absl::Seconds(30));
  EXPECT_EQ(c.keepalive.interval, absl::Seconds(5));
  EXPECT_EQ(c.keepalive.count, 3);
  EXPECT_FALSE(c.tcp_nodelay);
  EXPECT_TRUE(c.tls.enabled);
  EXPECT_EQ(c.tls.ca_file, "/etc/ca.pem");
  EXPECT_EQ(c.tls.ca_path, "/etc/cas");
  EXPECT_EQ(c.tls.ca_pem, "-----BEGIN CERTIFICATE-----");
  EXPECT_FALSE(c.tls.use_system_trust_store);
  EXPECT_EQ(c.tls.cert_file, "/etc/client.pem");
  EXPECT_EQ(c.tls.key_pem, "PRIVATE-KEY-SECRET-456");
  EXPECT_EQ(c.tls.key_password, "key-pass-789");
  EXPECT_EQ(c.tls.verify, TlsOptions::Verify::kOptional);
  EXPECT_FALSE(c.tls.check_hostname);
  EXPECT_EQ(c.tls.server_name, "valkey.example.com");
  EXPECT_EQ(c.tls.min_version, TlsOptions::Version::kTls13);
  EXPECT_EQ(c.tls.ciphers, "ECDHE+AESGCM");
  EXPECT_EQ(c.retry.retries, 4);
  EXPECT_EQ(c.retry.backoff,
            Backoff::Exponential(absl::Milliseconds(10), absl::Seconds(1)));
  EXPECT_TRUE(c.retry.retry_on_timeout);
  EXPECT_EQ(c.health_check_interval, absl::Seconds(15));
  EXPECT_EQ(options->pool.max_connections, 8);
  EXPECT_FALSE(options->pool.blocking);
  EXPECT_EQ(options->pool.wait_timeout, absl::Seconds(3));
  EXPECT_EQ(options->cache.max_entries, 500);
  EXPECT_EQ(options->cache.max_bytes, 1048576);
  EXPECT_EQ(options->cache.ttl, absl::Seconds(60));
  EXPECT_EQ(options->cache.eviction, CacheOptions::Eviction::kLfu);
  EXPECT_EQ(options->cache.allow_commands,
            (std::vector<std::string>{"GET", "HGET"}));
  EXPECT_EQ(options->cache.deny_commands, (std::vector<std::string>{"TTL"}));
  EXPECT_EQ(options->cache.allow_key_prefixes,
            (std::vector<std::string>{"user:"}));
  EXPECT_EQ(options->cache.deny_key_prefixes,
            (std::vector<std::string>{"user:secret:"}));
}

TEST(ConfigTest, UnixSocketAndIpv6Address) {
  absl::StatusOr<ClientConfig> config =
      ParseConfigText(R"pb(connection { unix_path: "/run/valkey.sock" })pb");
  ASSERT_TRUE(config.ok()) << config.status();
  ConnectionOptions c = *ToConnectionOptions(config->connection());
  EXPECT_TRUE(c.is_unix());
  EXPECT_EQ(c.Address(), "/run/valkey.sock");

  ConnectionConfig v6;
  v6.set_host("::1");
  v6.set_port(7000);
  EXPECT_EQ(ToConnectionOptions(v6)->Address(), "[::1]:7000");
}

TEST(ConfigTest, RetryStrategies) {
  struct Case {
    const char* text;
    Backoff want;
    int retries;
  };
  const Case cases[] = {
      {"backoff: BACKOFF_NONE", Backoff::None(), 0},
      {"backoff: BACKOFF_CONSTANT backoff_base { seconds: 1 }",
       Backoff::Constant(absl::Seconds(1)), 0},
      {"backoff: BACKOFF_FULL_JITTER", Backoff::FullJitter(), 0},
      {"backoff: BACKOFF_EQUAL_JITTER retries: 2", Backoff::EqualJitter(), 2},
      {"backoff: BACKOFF_DECORRELATED_JITTER unlimited: true",
       Backoff::DecorrelatedJitter(), RetryOptions::kUnlimited},
  };
  for (const Case& tc : cases) {
    absl::StatusOr<ClientConfig> config =
        ParseConfigText(absl::StrCat("connection { retry { ", tc.text, " } }"));
    ASSERT_TRUE(config.ok()) << tc.text << ": " << config.status();
    absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
    ASSERT_TRUE(options.ok()) << options.status();
    EXPECT_EQ(options->connection.retry.backoff, tc.want) << tc.text;
    EXPECT_EQ(options->connection.retry.retries, tc.retries) << tc.text;
  }
}

TEST(ConfigTest, TlsDefaultsAreSecure) {
  ClientConfig config = *ParseConfigText("connection { tls {} }");
  ConnectionOptions c = *ToConnectionOptions(config.connection());
  EXPECT_TRUE(c.tls.enabled);
  EXPECT_EQ(c.tls.verify, TlsOptions::Verify::kRequired);
  EXPECT_TRUE(c.tls.check_hostname);
  EXPECT_TRUE(c.tls.use_system_trust_store);
  EXPECT_EQ(c.tls.min_version, TlsOptions::Version::kTls12);

  config = *ParseConfigText("connection { tls { verify_mode: VERIFY_NONE } }");
  c = *ToConnectionOptions(config.connection());
  EXPECT_EQ(c.tls.verify, TlsOptions::Verify::kNone);
  EXPECT_FALSE(c.tls.check_hostname);

  config =
      *ParseConfigText("connection { tls { enabled: false ca_file: \"/x\" } }");
  EXPECT_FALSE(ToConnectionOptions(config.connection())->tls.enabled);
}

TEST(ConfigTest, TypoedFieldNamesLineColumnAndField) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(
      "connection {\n  host: \"h\"\n  prot: 3\n}\n", "client.textproto");
  ExpectInvalid(config.status(), "client.textproto:3:");
  ExpectInvalid(config.status(), "\"prot\"");
}

TEST(ConfigTest, UnknownEnumValueNamed) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(
      "connection { tls { verify_mode: VERIFY_SOMETIMES } }", "c.txtpb");
  ExpectInvalid(config.status(), "c.txtpb:1:");
  ExpectInvalid(config.status(), "VERIFY_SOMETIMES");
}

TEST(ConfigTest, ParseErrorsDoNotEchoMisquotedSecrets) {
  // An unquoted secret is a parse error whose token protobuf would quote.
  for (const char* text : {
           "connection { password { value: hunter2secret } }",
           "connection { password { value \"hunter2secret\" } }",
           "connection { password { value: 'hunter2secret } }",
           // A quoted token that itself holds one of the error's own
           // phrases (", got: "): the scrubber once cut at that phrase
           // inside the token and kept the secret before it (found by
           // config_fuzzer).
           "connection\"hunter2secret, got: \"",
           "connection\"hunter2secret, found x\"",
       }) {
    absl::StatusOr<ClientConfig> config = ParseConfigText(text, "f");
    ASSERT_FALSE(config.ok()) << text;
    ExpectInvalid(config.status(), "f:1:", "hunter2secret");
  }
}

TEST(ConfigTest, LoadConfigFile) {
  const std::string path = TempPath("client.textproto");
  WriteFile(path,
            "connection {\n  port: 6390\n}\npool { max_connections: 3 }\n");
  absl::StatusOr<ClientConfig> config = LoadConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->connection().port(), 6390);
  EXPECT_EQ(config->pool().max_connections(), 3);

  WriteFile(path, "connection {\n  port: 70000\n}\n");
  ExpectInvalid(LoadConfigFile(path).status(),
                "connection.port: 70000 is not a valid port (1-65535)");

  WriteFile(path, "connection {\n  hots: \"x\"\n}\n");
  ExpectInvalid(LoadConfigFile(path).status(), absl::StrCat(path, ":2:"));

  ExpectInvalid(
      LoadConfigFile(TempPath("nope.textproto")).status(),
      absl::StrCat("cannot open config file ", TempPath("nope.textproto")));
}

struct InvalidCase {
  const char* text;
  const char* error;  // Expected message prefix.
};

class InvalidValueTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidValueTest, RejectedNamingTheField) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(GetParam().text);
  ASSERT_FALSE(config.ok()) << GetParam().text;
  ExpectInvalid(config.status(), GetParam().error);
  // Parsed text: the message points at the line first ("<config>:3:5: ").
  EXPECT_TRUE(absl::StartsWith(config.status().message(), "<config>"))
      << config.status().message();
  // ValidateConfig on the unvalidated proto says the same.
}

INSTANTIATE_TEST_SUITE_P(
    Config, InvalidValueTest,
    ::testing::Values(
        InvalidCase{"connection { port: 70000 }",
                    "connection.port: 70000 is not a valid port (1-65535)"},
        InvalidCase{"connection { port: 0 }", "connection.port: 0 is not"},
        InvalidCase{"connection { port: -1 }", "connection.port: -1 is not"},
        InvalidCase{"connection { host: \"a b\" }", "connection.host:"},
        InvalidCase{"connection { host: \"[::1]\" }",
                    "connection.host: write IPv6 addresses without brackets"},
        InvalidCase{"connection { host: \"h\" unix_path: \"/s\" }",
                    "connection.unix_path: cannot be combined with host"},
        InvalidCase{"connection { port: 1 unix_path: \"/s\" }",
                    "connection.port: cannot be combined with unix_path"},
        InvalidCase{"connection { unix_path: \"/s\" tls {} }",
                    "connection.tls: TLS over a Unix socket"},
        InvalidCase{"connection { db: -1 }", "connection.db: -1 is not valid"},
        InvalidCase{"connection { protocol: 4 }",
                    "connection.protocol: 4 is not valid (must be 2 or 3)"},
        InvalidCase{"connection { client_name: \"has space\" }",
                    "connection.client_name: must not contain spaces"},
        InvalidCase{"connection { lib_name: \"a\\nb\" }",
                    "connection.lib_name:"},
        InvalidCase{"connection { lib_version: \"1 2\" }",
                    "connection.lib_version:"},
        InvalidCase{"connection { password {} }",
                    "connection.password: set one of value, env or file"},
        InvalidCase{"connection { password { env: \"\" } }",
                    "connection.password.env: empty"},
        InvalidCase{"connection { credentials_file: \"/f\" username: \"u\" }",
                    "connection.credentials_file: cannot be combined"},
        InvalidCase{"connection { connect_timeout {} }",
                    "connection.connect_timeout: 0 is not valid (must be > 0)"},
        InvalidCase{"connection { socket_timeout { seconds: -1 } }",
                    "connection.socket_timeout: -1s is not valid"},
        InvalidCase{"connection { socket_timeout { seconds: 1 nanos: -5 } }",
                    "connection.socket_timeout: seconds and nanos must have "
                    "the same sign"},
        InvalidCase{"connection { socket_timeout { nanos: 1000000000 } }",
                    "connection.socket_timeout: nanos must be within"},
        InvalidCase{"connection { keepalive { idle { nanos: 5 } } }",
                    "connection.keepalive.idle:"},
        InvalidCase{"connection { keepalive { interval { seconds: 40000 } } }",
                    "connection.keepalive.interval:"},
        InvalidCase{"connection { keepalive { count: 0 } }",
                    "connection.keepalive.count: 0 is not valid (1-127)"},
        InvalidCase{"connection { tls { cert_file: \"/c\" } }",
                    "connection.tls.key_file: a client certificate needs"},
        InvalidCase{"connection { tls { key_file: \"/k\" } }",
                    "connection.tls.cert_file: a private key needs"},
        InvalidCase{"connection { tls { cert_file: \"/c\" cert_pem: \"x\" "
                    "key_file: \"/k\" } }",
                    "connection.tls.cert_pem: cannot be combined"},
        InvalidCase{"connection { tls { cert_file: \"/c\" key_file: \"/k\" "
                    "key_pem { value: \"k\" } } }",
                    "connection.tls.key_pem: cannot be combined"},
        InvalidCase{"connection { tls { key_password { value: \"p\" } } }",
                    "connection.tls.key_password: set without a private key"},
        InvalidCase{"connection { tls { verify_mode: VERIFY_NONE "
                    "check_hostname: true } }",
                    "connection.tls.check_hostname: cannot be true"},
        InvalidCase{"connection { tls { server_name: \"a b\" } }",
                    "connection.tls.server_name:"},
        InvalidCase{"connection { tls { verify_mode: 9 } }",
                    "connection.tls.verify_mode: unknown value 9"},
        InvalidCase{"connection { retry { retries: -1 } }",
                    "connection.retry.retries: -1 is not valid"},
        InvalidCase{"connection { retry { retries: 1 unlimited: true } }",
                    "connection.retry.unlimited: cannot be combined"},
        InvalidCase{"connection { retry { backoff_base {} } }",
                    "connection.retry.backoff_base: 0 is not valid"},
        InvalidCase{"connection { retry { backoff_base { seconds: 2 } "
                    "backoff_cap { seconds: 1 } } }",
                    "connection.retry.backoff_cap: 1s is less than "
                    "backoff_base (2s)"},
        InvalidCase{"connection { health_check_interval { seconds: -3 } }",
                    "connection.health_check_interval: -3s is not valid"},
        InvalidCase{"connection { reader_limits { max_bulk_length: 0 } }",
                    "connection.reader_limits.max_bulk_length: 0 is not valid "
                    "(must be >= 1)"},
        InvalidCase{"connection { reader_limits { max_elements: 0 } }",
                    "connection.reader_limits.max_elements: 0 is not valid"},
        InvalidCase{"connection { reader_limits { max_depth: 0 } }",
                    "connection.reader_limits.max_depth: 0 is not valid"},
        InvalidCase{"connection { reader_limits { max_reply_bytes: 0 } }",
                    "connection.reader_limits.max_reply_bytes: 0 is not "
                    "valid"},
        InvalidCase{"connection { reader_limits { max_reply_elements: 0 } }",
                    "connection.reader_limits.max_reply_elements: 0 is not "
                    "valid"},
        InvalidCase{"sentinel { sentinels { host: \"a\" } service_name: \"m\" "
                    "connection { reader_limits { max_depth: 0 } } }",
                    "sentinel.connection.reader_limits.max_depth: 0 is not "
                    "valid"},
        InvalidCase{"async { max_queued_bytes: 0 }",
                    "async.max_queued_bytes: 0 is not valid (must be >= 1)"},
        InvalidCase{"pool { max_connections: 0 }",
                    "pool.max_connections: 0 is not valid (must be >= 1)"},
        InvalidCase{"pool { wait_timeout { seconds: 0 } }",
                    "pool.wait_timeout: 0 is not valid"},
        InvalidCase{"sentinel { service_name: \"m\" }",
                    "sentinel.sentinels: at least one sentinel is required"},
        InvalidCase{"sentinel { sentinels { host: \"a\" } sentinels { port: 1 }"
                    " service_name: \"m\" }",
                    "sentinel.sentinels[1].host: required"},
        InvalidCase{"sentinel { sentinels { host: \"a\" port: 99999 } "
                    "service_name: \"m\" }",
                    "sentinel.sentinels[0].port: 99999 is not a valid port"},
        InvalidCase{"sentinel { sentinels { host: \"a\" } }",
                    "sentinel.service_name: required"},
        InvalidCase{"sentinel { sentinels { host: \"a\" } service_name: \"m\" "
                    "min_other_sentinels: -1 }",
                    "sentinel.min_other_sentinels: -1 is not valid"},
        InvalidCase{"sentinel { sentinels { host: \"a\" } service_name: \"m\" "
                    "max_connections_per_sentinel: 0 }",
                    "sentinel.max_connections_per_sentinel: 0 is not valid "
                    "(must be >= 1)"},
        InvalidCase{"sentinel { sentinels { host: \"a\" } service_name: \"m\" "
                    "connection { host: \"b\" } }",
                    "sentinel.connection.host: must not be set"},
        InvalidCase{"sentinel { sentinels { host: \"a\" } service_name: \"m\" "
                    "connection { db: 1 } }",
                    "sentinel.connection.db: must not be set"},
        InvalidCase{"sentinel { sentinels { host: \"a\" } service_name: \"m\" "
                    "connection { protocol: 5 } }",
                    "sentinel.connection.protocol: 5 is not valid"},
        InvalidCase{"connection { host: \"x\" } sentinel { sentinels { host: "
                    "\"a\" } service_name: \"m\" }",
                    "connection.host: must not be set with sentinel"},
        InvalidCase{"cache { max_entries: 0 }",
                    "cache.max_entries: 0 is not valid (must be >= 1)"},
        InvalidCase{"cache { max_bytes: 0 }",
                    "cache.max_bytes: 0 is not valid (must be >= 1)"},
        InvalidCase{"cache { ttl { seconds: -1 } }", "cache.ttl: -1s is not"},
        InvalidCase{"cache { allow_commands: \"GET\" allow_commands: \"\" }",
                    "cache.allow_commands[1]: empty command name"},
        InvalidCase{"cache { deny_key_prefixes: \"\" }",
                    "cache.deny_key_prefixes[0]: empty prefix"},
        InvalidCase{"connection { protocol: 2 } cache { enabled: true }",
                    "cache.enabled: the client-side cache needs "
                    "connection.protocol 3 (it is 2)"}));

TEST(ConfigTest, ValidateDoesNotReadSecretsButConvertDoes) {
  unsetenv("VALKEY_CONFIG_TEST_NOT_SET");
  absl::StatusOr<ClientConfig> config = ParseConfigText(
      "connection { password { env: \"VALKEY_CONFIG_TEST_NOT_SET\" } }");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(ValidateConfig(*config).ok());
  ExpectInvalid(ToClientOptions(*config).status(),
                "connection.password: environment variable "
                "VALKEY_CONFIG_TEST_NOT_SET is not set");

  ASSERT_EQ(setenv("VALKEY_CONFIG_TEST_NOT_SET", "env-secret", 1), 0);
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->connection.credentials->GetCredentials()->password,
            "env-secret");
  unsetenv("VALKEY_CONFIG_TEST_NOT_SET");
}

TEST(ConfigTest, TlsSecretsFromFile) {
  const std::string key_path = TempPath("tls_key.pem");
  WriteFile(key_path, "-----BEGIN PRIVATE KEY-----\nabc\n");
  absl::StatusOr<ClientConfig> config = ParseConfigText(absl::StrCat(
      "connection { tls { cert_pem: \"C\" key_pem { file: \"", key_path,
      "\" } key_password { file: \"", TempPath("missing_pass"), "\" } } }"));
  ASSERT_TRUE(config.ok()) << config.status();
  ExpectInvalid(ToClientOptions(*config).status(),
                "connection.tls.key_password: cannot open file");
  WriteFile(TempPath("missing_pass"), "pp\n");
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->connection.tls.key_pem,
            "-----BEGIN PRIVATE KEY-----\nabc");
  EXPECT_EQ(options->connection.tls.key_password, "pp");
}

TEST(ConfigTest, SentinelOptions) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(R"pb(
    connection {
      password { value: "data-pw" }
      connect_timeout { seconds: 1 }
      socket_timeout { seconds: 2 }
      tcp_nodelay: false
      tls {}
    }
    sentinel {
      sentinels { host: "s1" }
      sentinels { host: "s2" port: 26380 }
      service_name: "mymaster"
      min_other_sentinels: 1
    }
  )pb");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  ASSERT_TRUE(options->sentinel.has_value());
  const SentinelOptions& s = *options->sentinel;
  ASSERT_EQ(s.sentinels.size(), 2u);
  EXPECT_EQ(s.sentinels[0].host, "s1");
  EXPECT_EQ(s.sentinels[0].port, 26379);
  EXPECT_EQ(s.sentinels[1].port, 26380);
  EXPECT_EQ(s.service_name, "mymaster");
  EXPECT_EQ(s.min_other_sentinels, 1);
  EXPECT_EQ(s.max_connections_per_sentinel, kDefaultMaxConnectionsPerSentinel);
  EXPECT_EQ(kDefaultMaxConnectionsPerSentinel, 4);
  // Inherited: socket settings only.
  EXPECT_EQ(s.connection.connect_timeout, absl::Seconds(1));
  EXPECT_EQ(s.connection.socket_timeout, absl::Seconds(2));
  EXPECT_FALSE(s.connection.tcp_nodelay);
  EXPECT_EQ(s.connection.credentials, nullptr);
  EXPECT_FALSE(s.connection.tls.enabled);

  // Explicit sentinel connection.
  config->mutable_sentinel()->mutable_connection()->set_username("sentinel");
  config->mutable_sentinel()
      ->mutable_connection()
      ->mutable_password()
      ->set_value("sentinel-pw");
  options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  const ConnectionOptions& sc = options->sentinel->connection;
  EXPECT_EQ(sc.credentials->GetCredentials()->username, "sentinel");
  // Not inherited: the sentinel defaults, never "no time-out".
  EXPECT_EQ(sc.connect_timeout, kDefaultSentinelConnectTimeout);
  EXPECT_EQ(sc.socket_timeout, kDefaultSentinelSocketTimeout);

  config->mutable_sentinel()->set_max_connections_per_sentinel(2);
  options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->sentinel->max_connections_per_sentinel, 2);

  // Nothing set anywhere: the sentinel defaults too.
  config->mutable_sentinel()->clear_connection();
  config->mutable_connection()->clear_connect_timeout();
  config->mutable_connection()->clear_socket_timeout();
  options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->sentinel->connection.connect_timeout,
            absl::Seconds(1));
  EXPECT_EQ(options->sentinel->connection.socket_timeout, absl::Seconds(1));
  EXPECT_EQ(options->connection.socket_timeout, absl::InfiniteDuration());
}

TEST(ConfigTest, ReaderLimitsConvert) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(R"pb(
    connection {
      reader_limits {
        max_bulk_length: 1024
        max_elements: 1000
        max_depth: 8
        max_reply_bytes: 1048576
        max_reply_elements: 65536
        max_idle_buffer: 0
      }
    }
  )pb");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  const ReaderLimits& l = options->connection.reader_limits;
  EXPECT_EQ(l.max_bulk_length, 1024u);
  EXPECT_EQ(l.max_elements, 1000u);
  EXPECT_EQ(l.max_depth, 8u);
  EXPECT_EQ(l.max_reply_bytes, 1048576u);
  EXPECT_EQ(l.max_reply_elements, 65536u);
  EXPECT_EQ(l.max_idle_buffer, 0u);

  // Fields left out keep their defaults.
  config = ParseConfigText("connection { reader_limits { max_depth: 3 } }");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ConnectionOptions> one =
      ToConnectionOptions(config->connection());
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->reader_limits.max_depth, 3u);
  EXPECT_EQ(one->reader_limits.max_bulk_length,
            ReaderLimits().max_bulk_length);
  EXPECT_EQ(one->reader_limits.max_reply_elements,
            ReaderLimits().max_reply_elements);
}

TEST(ConfigTest, SentinelsHaveTheirOwnReaderLimits) {
  constexpr absl::string_view kSentinel =
      "sentinel { sentinels { host: \"s1\" } service_name: \"m\" ";
  absl::StatusOr<ClientConfig> config = ParseConfigText(absl::StrCat(
      "connection { reader_limits { max_bulk_length: 100 } } ", kSentinel,
      "}"));
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->connection.reader_limits.max_bulk_length, 100u);
  // Not inherited: a sentinel's replies are not data.
  EXPECT_EQ(options->sentinel->connection.reader_limits.max_bulk_length,
            ReaderLimits().max_bulk_length);

  config = ParseConfigText(absl::StrCat(
      kSentinel, "connection { reader_limits { max_bulk_length: 200 } } }"));
  ASSERT_TRUE(config.ok()) << config.status();
  options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->sentinel->connection.reader_limits.max_bulk_length, 200u);
  EXPECT_EQ(options->connection.reader_limits.max_bulk_length,
            ReaderLimits().max_bulk_length);
}

TEST(ConfigTest, ValidateReaderLimitsNamesTheBound) {
  EXPECT_TRUE(ValidateReaderLimits(ReaderLimits(), "x").ok());
  ReaderLimits idle;
  idle.max_idle_buffer = 0;  // Not a bound on replies: 0 is fine.
  EXPECT_TRUE(ValidateReaderLimits(idle, "x").ok());
  const struct {
    uint64_t ReaderLimits::*field;
    const char* name;
  } kBounds[] = {
      {&ReaderLimits::max_bulk_length, "max_bulk_length"},
      {&ReaderLimits::max_elements, "max_elements"},
      {&ReaderLimits::max_reply_bytes, "max_reply_bytes"},
      {&ReaderLimits::max_reply_elements, "max_reply_elements"},
  };
  for (const auto& bound : kBounds) {
    ReaderLimits limits;
    limits.*bound.field = 0;
    ExpectInvalid(ValidateReaderLimits(limits, "connection.reader_limits"),
                  absl::StrCat("connection.reader_limits.", bound.name,
                               ": 0 is not valid (must be >= 1)"));
  }
  ReaderLimits depth;
  depth.max_depth = 0;
  ExpectInvalid(ValidateReaderLimits(depth, "conn"),
                "conn.max_depth: 0 is not valid (must be >= 1)");
}

TEST(ConfigTest, CacheCommandsUpperCased) {
  absl::StatusOr<CacheOptions> cache = [] {
    CacheConfig c;
    c.set_enabled(true);
    c.add_allow_commands("hget");
    return ToCacheOptions(c, 3);
  }();
  ASSERT_TRUE(cache.ok()) << cache.status();
  EXPECT_TRUE(cache->enabled);
  EXPECT_EQ(cache->allow_commands, std::vector<std::string>{"HGET"});
  EXPECT_EQ(cache->deny_commands, DefaultCacheDenyCommands());
}

TEST(ConfigTest, RedactedDebugStringHidesEverySecret) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(kFullConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  config->mutable_sentinel()
      ->mutable_connection()
      ->mutable_password()
      ->set_value("sentinel-secret-000");
  config->mutable_sentinel()
      ->mutable_connection()
      ->mutable_tls()
      ->mutable_key_password()
      ->set_value("sentinel-keypass-111");
  config->mutable_connection()->set_username("visible-user");
  std::string debug = RedactedDebugString(*config);
  for (const char* secret :
       {"inline-pass-123", "PRIVATE-KEY-SECRET-456", "key-pass-789",
        "sentinel-secret-000", "sentinel-keypass-111"}) {
    EXPECT_FALSE(absl::StrContains(debug, secret)) << secret << "\n" << debug;
  }
  EXPECT_TRUE(absl::StrContains(debug, "<redacted>")) << debug;
  EXPECT_TRUE(absl::StrContains(debug, "visible-user")) << debug;
  EXPECT_TRUE(absl::StrContains(debug, "cache.internal")) << debug;
  // The original is untouched.
  EXPECT_EQ(config->connection().password().value(), "inline-pass-123");

  // Env names and file paths are not secrets and stay.
  ClientConfig refs;
  refs.mutable_connection()->mutable_password()->set_env("MY_PW_VAR");
  refs.mutable_connection()->mutable_tls()->mutable_key_pem()->set_file(
      "/run/key.pem");
  debug = RedactedDebugString(refs);
  EXPECT_TRUE(absl::StrContains(debug, "MY_PW_VAR")) << debug;
  EXPECT_TRUE(absl::StrContains(debug, "/run/key.pem")) << debug;
  EXPECT_FALSE(absl::StrContains(debug, "<redacted>")) << debug;

  // The redacted string parses back (for logging and diffing).
  EXPECT_TRUE(
      ParseConfigText(RedactedDebugString(*ParseConfigText(kFullConfig))).ok());
}

TEST(ConfigTest, ErrorsNeverContainSecrets) {
  // A config with secrets plus an unrelated invalid field.
  absl::StatusOr<ClientConfig> config = ParseConfigText(
      "connection { password { value: \"pw-abc-987\" } port: 0 }");
  ExpectInvalid(config.status(), "connection.port", "pw-abc-987");
  config = ParseConfigText(
      "connection { password { value: \"pw-abc-987\" } "
      "credentials_file: \"/f\" }");
  ExpectInvalid(config.status(), "connection.credentials_file", "pw-abc-987");
}

}  // namespace
}  // namespace valkey
