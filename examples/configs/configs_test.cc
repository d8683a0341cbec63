// Loads every example in examples/configs with LoadConfigFile and converts it
// with ToClientOptions, checking a few values of each; checks that the broken
// files in testdata/ are rejected with a message naming the file, the line
// and the field.
#include <dirent.h>

#include <cstdlib>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/common/config.h"

namespace valkey {
namespace {

// The directory holding the examples in the test's runfiles:
// $TEST_SRCDIR/<workspace, "valkey_cpp">/examples/configs.
std::string ConfigDir() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir != nullptr ? srcdir : ".", "/",
                      workspace != nullptr ? workspace : "valkey_cpp",
                      "/examples/configs");
}

std::string ConfigPath(const std::string& name) {
  return absl::StrCat(ConfigDir(), "/", name);
}

// Loads (parse + validate) and converts one example. Conversion reads the
// secrets that come from environment variables, so tests set them first.
ClientOptions LoadAndConvert(const std::string& name) {
  absl::StatusOr<ClientConfig> config = LoadConfigFile(ConfigPath(name));
  EXPECT_TRUE(config.ok()) << name << ": " << config.status();
  if (!config.ok()) return ClientOptions();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  EXPECT_TRUE(options.ok()) << name << ": " << options.status();
  if (!options.ok()) return ClientOptions();
  return *std::move(options);
}

// Every example file must have a test below: the set is compared with the
// directory's contents.
const std::set<std::string>& TestedExamples() {
  static const auto* const kNames = new std::set<std::string>{
      "acl_env_password.textproto", "pool.textproto",
      "sentinel.textproto",         "standalone.textproto",
      "tls_client_cert.textproto",  "unix_socket.textproto",
  };
  return *kNames;
}

TEST(ConfigsTest, EveryExampleHasATest) {
  DIR* dir = opendir(ConfigDir().c_str());
  ASSERT_NE(dir, nullptr) << ConfigDir();
  std::set<std::string> found;
  while (dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (absl::EndsWith(name, ".textproto")) found.insert(name);
  }
  closedir(dir);
  EXPECT_EQ(found, TestedExamples());
}

TEST(ConfigsTest, Standalone) {
  ClientOptions options = LoadAndConvert("standalone.textproto");
  EXPECT_EQ(options.connection.host, "cache.internal");
  EXPECT_EQ(options.connection.port, 6380);
  EXPECT_EQ(options.connection.db, 2);
  EXPECT_EQ(options.connection.client_name, "orders-api");
  EXPECT_EQ(options.connection.connect_timeout, absl::Seconds(2));
  EXPECT_EQ(options.connection.socket_timeout, absl::Milliseconds(500));
  EXPECT_EQ(options.connection.health_check_interval, absl::Seconds(30));
  EXPECT_EQ(options.connection.retry.retries, 3);
  EXPECT_FALSE(options.connection.tls.enabled);
  EXPECT_FALSE(options.sentinel.has_value());
}

TEST(ConfigsTest, TlsClientCert) {
  // Validation alone does not read the passphrase or the files.
  ASSERT_EQ(unsetenv("VALKEY_TLS_KEY_PASSPHRASE"), 0);
  EXPECT_TRUE(LoadConfigFile(ConfigPath("tls_client_cert.textproto")).ok());

  ASSERT_EQ(setenv("VALKEY_TLS_KEY_PASSPHRASE", "passphrase", 1), 0);
  ClientOptions options = LoadAndConvert("tls_client_cert.textproto");
  const TlsOptions& tls = options.connection.tls;
  EXPECT_TRUE(tls.enabled);
  EXPECT_EQ(tls.ca_file, "/etc/valkey/tls/ca.pem");
  EXPECT_FALSE(tls.use_system_trust_store);
  EXPECT_EQ(tls.cert_file, "/etc/valkey/tls/client.pem");
  EXPECT_EQ(tls.key_file, "/etc/valkey/tls/client.key");
  EXPECT_EQ(tls.key_password, "passphrase");
  EXPECT_EQ(tls.verify, TlsOptions::Verify::kRequired);
  EXPECT_TRUE(tls.check_hostname);
  EXPECT_EQ(tls.server_name, "cache.internal");
  EXPECT_EQ(tls.min_version, TlsOptions::Version::kTls13);
  ASSERT_EQ(unsetenv("VALKEY_TLS_KEY_PASSPHRASE"), 0);
}

TEST(ConfigsTest, UnixSocket) {
  ClientOptions options = LoadAndConvert("unix_socket.textproto");
  EXPECT_TRUE(options.connection.is_unix());
  EXPECT_EQ(options.connection.unix_path, "/run/valkey/valkey.sock");
  EXPECT_EQ(options.connection.db, 1);
  EXPECT_EQ(options.connection.protocol, 2);
  EXPECT_EQ(options.connection.connect_timeout, absl::Seconds(1));
}

TEST(ConfigsTest, AclPasswordFromEnvironment) {
  // Loading validates without reading the variable; converting reads it.
  ASSERT_EQ(unsetenv("VALKEY_PASSWORD"), 0);
  absl::StatusOr<ClientConfig> config =
      LoadConfigFile(ConfigPath("acl_env_password.textproto"));
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ClientOptions> missing = ToClientOptions(*config);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(missing.status().message(),
                                "connection.password"))
      << missing.status();
  EXPECT_TRUE(
      absl::StrContains(missing.status().message(), "VALKEY_PASSWORD"))
      << missing.status();

  ASSERT_EQ(setenv("VALKEY_PASSWORD", "s3cret", 1), 0);
  ClientOptions options = LoadAndConvert("acl_env_password.textproto");
  EXPECT_EQ(options.connection.host, "10.0.0.5");
  EXPECT_EQ(options.connection.client_name, "billing-worker");
  ASSERT_NE(options.connection.credentials, nullptr);
  ASSERT_EQ(unsetenv("VALKEY_PASSWORD"), 0);
}

TEST(ConfigsTest, Pool) {
  ClientOptions options = LoadAndConvert("pool.textproto");
  EXPECT_EQ(options.pool.max_connections, 16);
  EXPECT_TRUE(options.pool.blocking);
  EXPECT_EQ(options.pool.wait_timeout, absl::Milliseconds(250));
  EXPECT_EQ(options.connection.socket_timeout, absl::Seconds(1));
  EXPECT_EQ(options.connection.health_check_interval, absl::Seconds(10));
  EXPECT_TRUE(options.connection.keepalive.enabled);
  EXPECT_EQ(options.connection.keepalive.idle, absl::Seconds(60));
  EXPECT_EQ(options.connection.keepalive.interval, absl::Seconds(10));
  EXPECT_EQ(options.connection.keepalive.count, 3);
}

TEST(ConfigsTest, Sentinel) {
  ASSERT_EQ(setenv("VALKEY_PASSWORD", "data-secret", 1), 0);
  ASSERT_EQ(setenv("VALKEY_SENTINEL_PASSWORD", "sentinel-secret", 1), 0);
  ClientOptions options = LoadAndConvert("sentinel.textproto");
  ASSERT_TRUE(options.sentinel.has_value());
  const SentinelOptions& sentinel = *options.sentinel;
  EXPECT_EQ(sentinel.service_name, "mymaster");
  EXPECT_EQ(sentinel.min_other_sentinels, 1);
  ASSERT_EQ(sentinel.sentinels.size(), 3u);
  EXPECT_EQ(sentinel.sentinels[0].host, "sentinel-1.internal");
  EXPECT_EQ(sentinel.sentinels[0].port, kDefaultSentinelPort);
  EXPECT_EQ(sentinel.sentinels[1].port, 26380);
  EXPECT_EQ(sentinel.sentinels[2].host, "10.0.0.7");
  EXPECT_EQ(sentinel.connection.connect_timeout, absl::Milliseconds(500));
  EXPECT_NE(sentinel.connection.credentials, nullptr);
  EXPECT_NE(options.connection.credentials, nullptr);
  ASSERT_EQ(unsetenv("VALKEY_PASSWORD"), 0);
  ASSERT_EQ(unsetenv("VALKEY_SENTINEL_PASSWORD"), 0);
}

// A mistyped field: the message names the file, line 4, and the field.
// (Column 7 is protobuf's: the token after the field name.)
TEST(ConfigsTest, TypoInFieldNameNamesFileLineAndField) {
  const std::string path = ConfigPath("testdata/typo_field.textproto");
  absl::StatusOr<ClientConfig> config = LoadConfigFile(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  const absl::string_view message = config.status().message();
  EXPECT_TRUE(absl::StartsWith(message, absl::StrCat(path, ":4:7:")))
      << message;
  EXPECT_TRUE(absl::StrContains(message, "\"prot\"")) << message;
  EXPECT_TRUE(absl::StrContains(message, "valkey.ConnectionConfig"))
      << message;
}

// A value the field cannot take: the message names the file, line 4, and the
// field. Protobuf's parser reports the position of the token *after* a bad
// enum value (here the "}" on the same line; in a multi-line message it would
// be the next line).
TEST(ConfigsTest, BadEnumValueNamesFileLineAndField) {
  const std::string path = ConfigPath("testdata/bad_enum_value.textproto");
  absl::StatusOr<ClientConfig> config = LoadConfigFile(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  const absl::string_view message = config.status().message();
  EXPECT_TRUE(absl::StartsWith(message, absl::StrCat(path, ":4:30:")))
      << message;
  EXPECT_TRUE(absl::StrContains(message, "\"min_version\"")) << message;
}

// A well-formed value that validation rejects: the message names the file,
// the line and column where the field was written, the field path and the
// value.
TEST(ConfigsTest, OutOfRangeValueNamesField) {
  absl::StatusOr<ClientConfig> config =
      LoadConfigFile(ConfigPath("testdata/bad_port.textproto"));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(
      config.status().message(),
      absl::StrCat(ConfigPath("testdata/bad_port.textproto"),
                   ":4:3: connection.port: 70000")))
      << config.status();
}

}  // namespace
}  // namespace valkey
