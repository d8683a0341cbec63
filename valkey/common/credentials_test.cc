#include "valkey/common/credentials.h"

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace valkey {
namespace {

TEST(StaticCredentialProviderTest, ReturnsWhatItWasGiven) {
  StaticCredentialProvider provider("app", "pw");
  absl::StatusOr<Credentials> creds = provider.GetCredentials();
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->expires_at, std::nullopt);
  EXPECT_EQ(creds->username, "app");
  EXPECT_EQ(creds->password, "pw");

  StaticCredentialProvider from_struct(Credentials{"", "only-password"});
  EXPECT_EQ(from_struct.GetCredentials()->username, "");
  EXPECT_EQ(from_struct.GetCredentials()->password, "only-password");
}

TEST(StaticCredentialProviderTest, CarriesAnExpiry) {
  const absl::Time expiry = absl::FromUnixSeconds(1900000000);
  StaticCredentialProvider provider(Credentials{"svc", "token", expiry});
  absl::StatusOr<Credentials> creds = provider.GetCredentials();
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->username, "svc");
  EXPECT_EQ(creds->password, "token");
  EXPECT_EQ(creds->expires_at, expiry);
}

}  // namespace
}  // namespace valkey
