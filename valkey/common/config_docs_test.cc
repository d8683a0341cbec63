// Guards docs/configuration.md against rot: every text-proto example and
// every URL shown there is parsed here exactly as printed. When an example
// in the document changes, change it here too (and the other way round).

#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/common/config.h"
#include "valkey/common/config.pb.h"
#include "valkey/common/credentials.h"
#include "valkey/common/url.h"

namespace valkey {
namespace {

// docs/configuration.md, "Example: standalone server".
constexpr char kStandalone[] = R"pb(
connection {
  host: "cache.internal"
  port: 6380
  db: 2
  client_name: "orders-api"
  connect_timeout { seconds: 2 }
  socket_timeout { nanos: 500000000 }  # 0.5 s
  health_check_interval { seconds: 30 }
}
pool {
  max_connections: 20
  wait_timeout { seconds: 5 }
}
)pb";

// docs/configuration.md, "Example: TLS with a client certificate".
constexpr char kTlsClientCert[] = R"pb(
connection {
  host: "cache.internal"
  port: 6380
  tls {
    ca_file: "/etc/valkey/ca.pem"
    use_system_trust_store: false
    cert_file: "/etc/valkey/client.pem"
    key_file: "/etc/valkey/client.key"
    key_password { env: "VALKEY_KEY_PASSPHRASE" }
    min_version: TLS_1_3
  }
}
)pb";

// docs/configuration.md, "Example: TLS with OCSP revocation checks".
constexpr char kTlsOcsp[] = R"pb(
  connection {
    host: "cache.internal"
    port: 6380
    tls {
      ca_file: "/etc/valkey/ca.pem"
      ocsp: OCSP_RESPONDER
      ocsp_fail_open: false
      ocsp_responder_timeout { seconds: 1 }
    }
  }
)pb";
constexpr const char* kTlsOcspUrls[] = {
    "valkeys://cache.internal:6380?ssl_ca_certs=/etc/valkey/ca.pem"
    "&ssl_ocsp=responder&ssl_ocsp_timeout=1",
    "valkeys://cache.internal:6380?ssl_ca_certs=/etc/valkey/ca.pem"
    "&ssl_ocsp=stapled&ssl_ocsp_fail_open=true",
};

// docs/configuration.md, "Example: Unix socket".
constexpr char kUnixSocket[] = R"pb(
connection {
  unix_path: "/run/valkey/valkey.sock"
  db: 1
  protocol: 2
}
pool {
  max_connections: 8
  blocking: false
}
)pb";

// docs/configuration.md, "Example: ACL user, password from the environment".
constexpr char kAclUserFromEnv[] = R"pb(
connection {
  host: "10.0.0.5"
  username: "app"
  password { env: "VALKEY_PASSWORD" }
  client_name: "billing-worker"
}
)pb";

// docs/configuration.md, "Example: tighter limits for an untrusted server".
constexpr char kUntrustedLimits[] = R"pb(
connection {
  host: "cache.partner.example"
  tls {}
  reader_limits {
    max_bulk_length: 1048576      # 1 MiB per string
    max_reply_bytes: 67108864     # 64 MiB per reply
    max_reply_elements: 4194304   # 64 MiB of nodes (max_reply_bytes / 16)
    max_depth: 16
  }
}
async {
  max_queued_bytes: 16777216      # 16 MiB waiting to be written
}
)pb";

// The same example's URL.
constexpr char kUntrustedLimitsUrl[] =
    "valkeys://cache.partner.example?max_bulk_length=1048576"
    "&max_reply_bytes=67108864&max_reply_elements=4194304&max_depth=16";

// docs/configuration.md, "ClusterConfig".
constexpr char kCluster[] = R"pb(
connection {
  username: "app"
  password { env: "VALKEY_PASSWORD" }
  socket_timeout { seconds: 2 }
  retry { retries: 3 }
}
pool { max_connections: 8 }        # per node
cluster {
  seeds: "10.0.0.1:7000"
  seeds: "10.0.0.2:7000"
  seeds: "[fd00::3]:7000"
  read_from: READ_FROM_PREFER_REPLICA
  refresh_interval { seconds: 30 }
}
)pb";

// docs/configuration.md, "Cluster URLs".
constexpr const char* kClusterUrls[] = {
    "valkey+cluster://10.0.0.1:7000,10.0.0.2:7000",
    "valkeys+cluster://app:s3cret@node1.internal:7000,node2.internal:7000"
    "?ssl_ca_certs=/etc/valkey/ca.pem&read_from=prefer_replica",
    "valkey+cluster://[::1]:7000,[::1]:7001/0?split_multi_key=true"
    "&refresh_interval=30",
};

// docs/configuration.md, "URL syntax" examples.
constexpr const char* kUrls[] = {
    "valkey://localhost",
    "valkey://cache.internal:6380/2",
    "valkey://cache.internal:6380?db=2",
    "redis://localhost:6379/0",
    "valkey://app:s3cr%40t@cache.internal:6380/1",
    "valkey://:s3cret@localhost",
    "valkey://[::1]:6380",
    "valkeys://cache.internal:6380?ssl_ca_certs=/etc/valkey/ca.pem",
    "rediss://cache.internal?ssl_certfile=/etc/valkey/client.pem"
    "&ssl_keyfile=/etc/valkey/client.key&ssl_min_version=TLSv1_3",
    "valkeys://10.0.0.5?ssl_cert_reqs=none",
    "unix:///run/valkey/valkey.sock?db=1",
    "unix:/run/valkey/valkey.sock",
    "unix://app:s3cret@localhost/run/valkey/valkey.sock",
    "valkey://localhost?protocol=2&client_name=worker&socket_timeout=1.5"
    "&socket_connect_timeout=2&max_connections=20&timeout=5&blocking=no",
    "valkey://localhost?health_check_interval=30&retry_on_timeout=yes"
    "&socket_keepalive=on&tcp_nodelay=true",
    "valkey://localhost?cache_enabled=true&cache_max_size=5000"
    "&cache_ttl=60&cache_policy=lfu",
    "valkey://localhost?max_bulk_length=1048576&max_reply_bytes=67108864"
    "&max_reply_elements=4194304",
};

class ConfigDocsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(setenv("VALKEY_PASSWORD", "docs-password", 1), 0);
    ASSERT_EQ(setenv("VALKEY_KEY_PASSPHRASE", "docs-passphrase", 1), 0);
  }
  void TearDown() override {
    unsetenv("VALKEY_PASSWORD");
    unsetenv("VALKEY_KEY_PASSPHRASE");
  }
};

TEST_F(ConfigDocsTest, EveryTextProtoExampleParsesAndConverts) {
  for (const char* text : {kStandalone, kTlsClientCert, kTlsOcsp, kUnixSocket,
                           kAclUserFromEnv, kUntrustedLimits, kCluster}) {
    absl::StatusOr<ClientConfig> config = ParseConfigText(text, "docs");
    ASSERT_TRUE(config.ok()) << config.status() << "\n" << text;
    absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
    EXPECT_TRUE(options.ok()) << options.status() << "\n" << text;
  }
}

TEST_F(ConfigDocsTest, UntrustedLimitsExampleAndItsUrlAgree) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(kUntrustedLimits);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->async().max_queued_bytes(), uint64_t{16} << 20);
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  const ReaderLimits& l = options->connection.reader_limits;
  EXPECT_EQ(l.max_bulk_length, uint64_t{1} << 20);
  EXPECT_EQ(l.max_reply_bytes, uint64_t{64} << 20);
  EXPECT_EQ(l.max_reply_elements * 16, l.max_reply_bytes);
  EXPECT_EQ(l.max_depth, 16u);
  EXPECT_EQ(l.max_elements, ReaderLimits().max_elements);

  absl::StatusOr<ClientConfig> url = ParseUrl(kUntrustedLimitsUrl);
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->connection().reader_limits().SerializeAsString(),
            config->connection().reader_limits().SerializeAsString());
}

TEST_F(ConfigDocsTest, StandaloneConvertsDurationsAndPool) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(kStandalone);
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->connection.Address(), "cache.internal:6380");
  EXPECT_EQ(options->connection.db, 2);
  EXPECT_EQ(options->connection.connect_timeout, absl::Seconds(2));
  EXPECT_EQ(options->connection.socket_timeout, absl::Milliseconds(500));
  EXPECT_EQ(options->connection.health_check_interval, absl::Seconds(30));
  EXPECT_EQ(options->pool.max_connections, 20);
  EXPECT_TRUE(options->pool.blocking);
  EXPECT_EQ(options->pool.wait_timeout, absl::Seconds(5));
}

TEST_F(ConfigDocsTest, TlsClientCertKeepsSecureDefaults) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(kTlsClientCert);
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  const TlsOptions& tls = options->connection.tls;
  EXPECT_TRUE(tls.enabled);
  EXPECT_EQ(tls.verify, TlsOptions::Verify::kRequired);
  EXPECT_TRUE(tls.check_hostname);
  EXPECT_FALSE(tls.use_system_trust_store);
  EXPECT_EQ(tls.min_version, TlsOptions::Version::kTls13);
  EXPECT_EQ(tls.key_password, "docs-passphrase");
}

TEST_F(ConfigDocsTest, TlsOcspExampleAndItsUrlsAgree) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(kTlsOcsp);
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->connection.tls.ocsp, TlsOptions::Ocsp::kResponder);
  EXPECT_FALSE(options->connection.tls.ocsp_fail_open);
  EXPECT_EQ(options->connection.tls.ocsp_responder_timeout, absl::Seconds(1));

  absl::StatusOr<ClientConfig> responder = ParseUrl(kTlsOcspUrls[0]);
  ASSERT_TRUE(responder.ok()) << responder.status();
  absl::StatusOr<ClientOptions> r = ToClientOptions(*responder);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->connection.tls.ocsp, TlsOptions::Ocsp::kResponder);
  EXPECT_EQ(r->connection.tls.ocsp_responder_timeout, absl::Seconds(1));

  absl::StatusOr<ClientConfig> stapled = ParseUrl(kTlsOcspUrls[1]);
  ASSERT_TRUE(stapled.ok()) << stapled.status();
  absl::StatusOr<ClientOptions> st = ToClientOptions(*stapled);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->connection.tls.ocsp, TlsOptions::Ocsp::kStapled);
  EXPECT_TRUE(st->connection.tls.ocsp_fail_open);
}

TEST_F(ConfigDocsTest, UnixSocketExample) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(kUnixSocket);
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->connection.is_unix());
  EXPECT_EQ(options->connection.Address(), "/run/valkey/valkey.sock");
  EXPECT_EQ(options->connection.protocol, 2);
  EXPECT_FALSE(options->pool.blocking);
}

TEST_F(ConfigDocsTest, AclUserReadsPasswordFromEnvironment) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(kAclUserFromEnv);
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  ASSERT_NE(options->connection.credentials, nullptr);
  absl::StatusOr<Credentials> creds =
      options->connection.credentials->GetCredentials();
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->username, "app");
  EXPECT_EQ(creds->password, "docs-password");

  // The environment is read on every call, so a rotated secret is seen.
  ASSERT_EQ(setenv("VALKEY_PASSWORD", "rotated", 1), 0);
  creds = options->connection.credentials->GetCredentials();
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->password, "rotated");

  // Conversion fails fast, naming the variable, when it is not set.
  unsetenv("VALKEY_PASSWORD");
  absl::StatusOr<ClientOptions> missing = ToClientOptions(*config);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "VALKEY_PASSWORD"))
      << missing.status();
}

TEST_F(ConfigDocsTest, RedactedDebugStringHidesInlinePasswords) {
  absl::StatusOr<ClientConfig> config =
      ParseUrl("valkey://app:s3cr%40t@cache.internal:6380/1");
  ASSERT_TRUE(config.ok()) << config.status();
  const std::string debug = RedactedDebugString(*config);
  EXPECT_FALSE(absl::StrContains(debug, "s3cr@t")) << debug;
  EXPECT_TRUE(absl::StrContains(debug, "<redacted>")) << debug;
}

TEST_F(ConfigDocsTest, EveryUrlExampleParsesAndConverts) {
  for (const char* url : kUrls) {
    absl::StatusOr<ClientConfig> config = ParseUrl(url);
    ASSERT_TRUE(config.ok()) << config.status() << "\n" << url;
    absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
    EXPECT_TRUE(options.ok()) << options.status() << "\n" << url;
  }
}

TEST_F(ConfigDocsTest, EveryClusterUrlExampleParsesAndConverts) {
  for (const char* url : kClusterUrls) {
    absl::StatusOr<ClientConfig> config = ParseUrl(url);
    ASSERT_TRUE(config.ok()) << config.status() << "\n" << url;
    EXPECT_GE(config->cluster().seeds_size(), 2) << url;
    absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
    EXPECT_TRUE(options.ok()) << options.status() << "\n" << url;
  }
  absl::StatusOr<ClientConfig> config = ParseConfigText(kCluster);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cluster().seeds(2), "[fd00::3]:7000");
  EXPECT_EQ(config->cluster().read_from(), READ_FROM_PREFER_REPLICA);
}

TEST_F(ConfigDocsTest, UrlUserInfoAndDatabase) {
  absl::StatusOr<ClientConfig> config =
      ParseUrl("valkey://app:s3cr%40t@cache.internal:6380/1");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->connection.Address(), "cache.internal:6380");
  EXPECT_EQ(options->connection.db, 1);
  ASSERT_NE(options->connection.credentials, nullptr);
  absl::StatusOr<Credentials> creds =
      options->connection.credentials->GetCredentials();
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->username, "app");
  EXPECT_EQ(creds->password, "s3cr@t");
}

TEST_F(ConfigDocsTest, ValkeysUrlVerifiesByDefault) {
  absl::StatusOr<ClientConfig> config =
      ParseUrl("valkeys://cache.internal:6380?ssl_ca_certs=/etc/valkey/ca.pem");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->connection.tls.enabled);
  EXPECT_EQ(options->connection.tls.verify, TlsOptions::Verify::kRequired);
  EXPECT_TRUE(options->connection.tls.check_hostname);
  EXPECT_EQ(options->connection.tls.ca_file, "/etc/valkey/ca.pem");
}

TEST_F(ConfigDocsTest, ApplyUrlOverridesAddressKeepsTheRest) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(kStandalone);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(ApplyUrl("valkey://other.internal:7000", &*config).ok());
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->connection.Address(), "other.internal:7000");
  EXPECT_EQ(options->connection.db, 2);  // Kept from the file.
  EXPECT_EQ(options->pool.max_connections, 20);
}

}  // namespace
}  // namespace valkey
