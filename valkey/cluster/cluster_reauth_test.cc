// ClusterClient credential rotation against a real 3-primary cluster: every
// node's pool moves to the provider's new user, by ReauthenticateAll and by
// EnableCredentialRefresh with a short-lived token.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "valkey/cluster/cluster_keys.h"
#include "testing/rotation_users.h"
#include "testing/status/status_matchers.h"
#include "testing/switchable_credential_provider.h"
#include "testing/valkey_cluster.h"
#include "valkey/cluster/cluster_client.h"
#include "valkey/common/credentials.h"

namespace valkey::cluster {
namespace {

using ::testing::Each;
using ::testing::HasSubstr;
using ::valkey::testing::IsOk;
using ::valkey::testing::KeyInSlot;
using ::valkey::testing::kSlotsAcrossPrimaries;
using ::valkey::testing::RotationAclUsers;
using ::valkey::testing::StatusIs;
using ::valkey::testing::SwitchableCredentialProvider;
using ::valkey::testing::ValkeyCluster;
using ::valkey::testing::WhoAmI;

constexpr absl::Duration kPatience = absl::Seconds(30);

class ClusterReauthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ValkeyCluster::Options o;
    o.num_primaries = 3;
    o.replicas_per_primary = 0;
    o.acl_users = RotationAclUsers();
    auto cluster = ValkeyCluster::Start(std::move(o));
    EXPECT_THAT(cluster, IsOk());
    if (cluster.ok()) cluster_ = cluster->release();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(cluster_, nullptr);
    provider_ = std::make_shared<SwitchableCredentialProvider>(
        Credentials{"alice", "alice-pw"});
    ClusterOptions o;
    o.seeds = cluster_->seed_addresses();
    o.connection.connect_timeout = absl::Seconds(2);
    o.connection.socket_timeout = absl::Seconds(5);
    o.connection.credentials = provider_;
    auto client = ClusterClient::Create(o);
    ASSERT_THAT(client, IsOk());
    client_ = *std::move(client);
    // Open a connection on every primary.
    for (int slot : kSlotsAcrossPrimaries) {
      ASSERT_THAT(client_->Set(KeyInSlot(slot), "v"), IsOk());
    }
  }

  // The user every primary's pooled connection answers as.
  std::vector<std::string> WhoAreThePrimaries() {
    std::vector<std::string> users;
    for (int slot : kSlotsAcrossPrimaries) {
      auto node = client_->ClientFor(KeyInSlot(slot));
      if (!node.ok()) {
        users.push_back(std::string(node.status().message()));
        continue;
      }
      users.push_back(WhoAmI(**node));
    }
    return users;
  }

  static ValkeyCluster* cluster_;
  std::shared_ptr<SwitchableCredentialProvider> provider_;
  std::unique_ptr<ClusterClient> client_;
};
ValkeyCluster* ClusterReauthTest::cluster_ = nullptr;

TEST_F(ClusterReauthTest, ReauthenticateAllSwitchesEveryNode) {
  EXPECT_THAT(WhoAreThePrimaries(), Each(std::string("alice")));
  provider_->Set(Credentials{"bob", "bob-pw"});
  const int64_t calls = provider_->calls();
  ReauthResult result = client_->ReauthenticateAll();
  EXPECT_THAT(result.status(), IsOk());
  EXPECT_GE(result.reauthenticated, 3);
  EXPECT_EQ(result.failed, 0);
  EXPECT_EQ(provider_->calls(), calls + 1);  // Once for all nodes.
  EXPECT_THAT(WhoAreThePrimaries(), Each(std::string("bob")));
}

TEST_F(ClusterReauthTest, WrongPasswordClosesAndReplaces) {
  provider_->Set(Credentials{"bob", "wrong-bob-pw"});
  ReauthResult result = client_->ReauthenticateAll();
  EXPECT_GE(result.failed, 3);
  EXPECT_EQ(result.reauthenticated, 0);
  EXPECT_THAT(result.status(), StatusIs(absl::StatusCode::kUnauthenticated,
                                        HasSubstr("as 'bob'")));
  provider_->Set(Credentials{"bob", "bob-pw"});
  EXPECT_THAT(WhoAreThePrimaries(), Each(std::string("bob")));
}

TEST_F(ClusterReauthTest, RefreshBeforeExpiryAndCleanClose) {
  provider_->set_lifetime(absl::Seconds(2));
  ASSERT_THAT(client_->EnableCredentialRefresh(), IsOk());
  provider_->Set(Credentials{"bob", "bob-pw"});
  const absl::Time give_up = absl::Now() + kPatience;
  while (client_->credential_refresh_stats().rounds < 1 &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_GE(client_->credential_refresh_stats().rounds, 1);
  EXPECT_EQ(client_->credential_refresh_stats().failed_rounds, 0)
      << client_->credential_refresh_stats().last_error;
  EXPECT_THAT(WhoAreThePrimaries(), Each(std::string("bob")));
  client_.reset();  // Joins the refresh thread.
}

}  // namespace
}  // namespace valkey::cluster
