#include "valkey/common/config_credentials.h"

#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "valkey/common/config.pb.h"
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
  EXPECT_TRUE(absl::StrContains(status.message(), must_contain)) << status;
  if (!must_not_contain.empty()) {
    EXPECT_FALSE(absl::StrContains(status.message(), must_not_contain))
        << status;
  }
}

TEST(ResolveSecretTest, InlineValue) {
  Secret secret;
  secret.set_value("hunter2");
  EXPECT_EQ(*ResolveSecret(secret, "connection.password"), "hunter2");
}

TEST(ResolveSecretTest, EnvironmentVariable) {
  ASSERT_EQ(setenv("VALKEY_CRED_TEST_PW", "from-env", 1), 0);
  Secret secret;
  secret.set_env("VALKEY_CRED_TEST_PW");
  EXPECT_EQ(*ResolveSecret(secret, "connection.password"), "from-env");

  ASSERT_EQ(setenv("VALKEY_CRED_TEST_PW", "", 1), 0);
  EXPECT_EQ(*ResolveSecret(secret, "connection.password"), "");
  unsetenv("VALKEY_CRED_TEST_PW");
}

TEST(ResolveSecretTest, MissingEnvironmentVariableIsNamed) {
  unsetenv("VALKEY_CRED_TEST_MISSING");
  Secret secret;
  secret.set_env("VALKEY_CRED_TEST_MISSING");
  ExpectInvalid(ResolveSecret(secret, "connection.password").status(),
                "connection.password: environment variable "
                "VALKEY_CRED_TEST_MISSING is not set");
}

TEST(ResolveSecretTest, FileWithTrailingNewlineStripped) {
  const std::string path = TempPath("secret_lf");
  Secret secret;
  secret.set_file(path);

  WriteFile(path, "file-secret\n");
  EXPECT_EQ(*ResolveSecret(secret, "f"), "file-secret");
  WriteFile(path, "file-secret\r\n");
  EXPECT_EQ(*ResolveSecret(secret, "f"), "file-secret");
  WriteFile(path, "file-secret");
  EXPECT_EQ(*ResolveSecret(secret, "f"), "file-secret");
  // Only one newline is removed; inner ones are kept.
  WriteFile(path, "a\nb\n\n");
  EXPECT_EQ(*ResolveSecret(secret, "f"), "a\nb\n");
}

TEST(ResolveSecretTest, MissingFileIsNamed) {
  Secret secret;
  secret.set_file(TempPath("does_not_exist"));
  ExpectInvalid(ResolveSecret(secret, "connection.tls.key_password").status(),
                absl::StrCat("connection.tls.key_password: cannot open file ",
                             TempPath("does_not_exist")));
}

TEST(ResolveSecretTest, OversizedFileRejected) {
  const std::string path = TempPath("secret_big");
  WriteFile(path, std::string(70 * 1024, 'x'));
  Secret secret;
  secret.set_file(path);
  ExpectInvalid(ResolveSecret(secret, "f").status(), "larger than");
}

TEST(ResolveSecretTest, ShapeErrors) {
  ExpectInvalid(ResolveSecret(Secret(), "connection.password").status(),
                "connection.password: set one of value, env or file");
  Secret empty_env;
  empty_env.set_env("");
  ExpectInvalid(ResolveSecret(empty_env, "p").status(),
                "p.env: empty environment variable name");
  Secret empty_file;
  empty_file.set_file("");
  ExpectInvalid(ValidateSecret(empty_file, "p"), "p.file: empty file path");
  Secret ok;
  ok.set_env("WHATEVER_NOT_READ");
  EXPECT_TRUE(ValidateSecret(ok, "p").ok());
}

TEST(ConfigCredentialProviderTest, NoCredentialsGivesNull) {
  ConnectionConfig config;
  config.set_host("h");
  absl::StatusOr<std::shared_ptr<CredentialProvider>> provider =
      NewConfigCredentialProvider(config);
  ASSERT_TRUE(provider.ok()) << provider.status();
  EXPECT_EQ(*provider, nullptr);
}

TEST(ConfigCredentialProviderTest, UsernameOnly) {
  ConnectionConfig config;
  config.set_username("nopass-user");
  auto provider = NewConfigCredentialProvider(config);
  ASSERT_TRUE(provider.ok());
  ASSERT_NE(*provider, nullptr);
  absl::StatusOr<Credentials> creds = (*provider)->GetCredentials();
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->username, "nopass-user");
  EXPECT_EQ(creds->password, "");
}

TEST(ConfigCredentialProviderTest, EnvPasswordRotates) {
  ASSERT_EQ(setenv("VALKEY_CRED_TEST_ROTATE", "first", 1), 0);
  ConnectionConfig config;
  config.set_username("app");
  config.mutable_password()->set_env("VALKEY_CRED_TEST_ROTATE");
  auto provider = NewConfigCredentialProvider(config);
  ASSERT_TRUE(provider.ok());
  EXPECT_EQ((*provider)->GetCredentials()->password, "first");
  ASSERT_EQ(setenv("VALKEY_CRED_TEST_ROTATE", "second", 1), 0);
  EXPECT_EQ((*provider)->GetCredentials()->username, "app");
  EXPECT_EQ((*provider)->GetCredentials()->password, "second");

  unsetenv("VALKEY_CRED_TEST_ROTATE");
  absl::Status missing = (*provider)->GetCredentials().status();
  ExpectInvalid(missing, "VALKEY_CRED_TEST_ROTATE", "second");
}

TEST(ConfigCredentialProviderTest, FilePasswordRotates) {
  const std::string path = TempPath("rotating_password");
  WriteFile(path, "old-secret\n");
  ConnectionConfig config;
  config.mutable_password()->set_file(path);
  auto provider = NewConfigCredentialProvider(config, "sentinel.connection");
  ASSERT_TRUE(provider.ok());
  EXPECT_EQ((*provider)->GetCredentials()->password, "old-secret");
  WriteFile(path, "new-secret\n");
  EXPECT_EQ((*provider)->GetCredentials()->password, "new-secret");
  EXPECT_EQ((*provider)->GetCredentials()->username, "");

  std::remove(path.c_str());
  ExpectInvalid((*provider)->GetCredentials().status(),
                "sentinel.connection.password: cannot open file", "secret");
}

TEST(ConfigCredentialProviderTest, BadSecretShapeRejectedAtBuild) {
  ConnectionConfig config;
  config.mutable_password();  // No source.
  ExpectInvalid(NewConfigCredentialProvider(config).status(),
                "connection.password: set one of value, env or file");
}

TEST(CredentialsFileTest, OneOrTwoLines) {
  const std::string path = TempPath("credentials_file");
  ConnectionConfig config;
  config.set_credentials_file(path);
  auto provider = NewConfigCredentialProvider(config);
  ASSERT_TRUE(provider.ok());

  WriteFile(path, "just-a-password\n");
  absl::StatusOr<Credentials> creds = (*provider)->GetCredentials();
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->username, "");
  EXPECT_EQ(creds->password, "just-a-password");

  WriteFile(path, "alice\r\nrotated-pw\r\n");
  creds = (*provider)->GetCredentials();
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->username, "alice");
  EXPECT_EQ(creds->password, "rotated-pw");

  WriteFile(path, "alice\nsecret-pw\nextra-secret\n");
  ExpectInvalid((*provider)->GetCredentials().status(),
                "connection.credentials_file: file", "secret");

  WriteFile(path, "");
  ExpectInvalid((*provider)->GetCredentials().status(), "is empty");
}

TEST(CredentialsFileTest, ExcludesUsernameAndPassword) {
  ConnectionConfig config;
  config.set_credentials_file("/x");
  config.set_username("u");
  ExpectInvalid(NewConfigCredentialProvider(config).status(),
                "connection.credentials_file: cannot be combined");
  config.clear_username();
  config.mutable_password()->set_value("top-secret");
  ExpectInvalid(NewConfigCredentialProvider(config).status(),
                "connection.credentials_file: cannot be combined",
                "top-secret");
}

TEST(ConfigCredentialProviderTest, ConcurrentCallsAreSafe) {
  const std::string path = TempPath("concurrent_creds");
  WriteFile(path, "u\np\n");
  ConnectionConfig config;
  config.set_credentials_file(path);
  std::shared_ptr<CredentialProvider> provider =
      *NewConfigCredentialProvider(config);
  std::vector<std::thread> threads;
  std::vector<int> ok_counts(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        absl::StatusOr<Credentials> c = provider->GetCredentials();
        if (c.ok() && c->username == "u" && c->password == "p") ++ok_counts[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int n : ok_counts) EXPECT_EQ(n, 200);
}

}  // namespace
}  // namespace valkey
