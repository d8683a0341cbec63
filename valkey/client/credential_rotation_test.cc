// Credential rotation of a blocking Client's live connections against a
// real server: ReauthenticateAll (pooled and single-connection clients,
// checked-out connections, refused passwords) and EnableCredentialRefresh
// with a short-lived token.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/rotation_server_test.h"
#include "testing/rotation_users.h"
#include "testing/status/status_matchers.h"
#include "valkey/client/client.h"
#include "valkey/common/credentials.h"
#include "valkey/common/refresh_schedule.h"

namespace valkey {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::valkey::testing::IsOk;
using ::valkey::testing::StatusIs;
using ::valkey::testing::WhoAmI;

// Generous: only a hang fails on it, never a slow machine.
constexpr absl::Duration kPatience = absl::Seconds(30);

class ClientCredentialRotationTest
    : public ::valkey::testing::RotationServerTest {
 protected:
  ClientOptions Options() const {
    ClientOptions options;
    options.connection = RotationConnection();
    options.pool.max_connections = 3;
    return options;
  }

  // Checks out `n` of the client's connections at once (opening them when
  // needed) and returns the user each answers as.
  static std::vector<std::string> WhoAreAll(Client& client, int n) {
    return ::valkey::testing::WhoAreAll(
        n, [&client] { return client.AcquireConnection(); });
  }

};

TEST_P(ClientCredentialRotationTest, ReauthenticateAllSwitchesPooledClient) {
  auto client = Client::Create(Options());
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT(WhoAreAll(**client, 3), ElementsAre("alice", "alice", "alice"));

  provider_->Set(Credentials{"bob", "bob-pw"});
  ReauthResult result = (*client)->ReauthenticateAll();
  EXPECT_THAT(result.status(), IsOk());
  EXPECT_EQ(result.reauthenticated, 3);
  EXPECT_EQ(result.failed, 0);
  EXPECT_THAT(WhoAreAll(**client, 3), ElementsAre("bob", "bob", "bob"));
  EXPECT_EQ((*client)->pool().stats().created, 3);
}

TEST_P(ClientCredentialRotationTest, SingleConnectionClientSwitchesItsOwn) {
  ClientOptions single_options = Options();
  single_options.single_connection = true;
  auto client = Client::Create(std::move(single_options));
  ASSERT_THAT(client, IsOk());
  EXPECT_EQ(WhoAmI(**client), "alice");
  provider_->Set(Credentials{"bob", "bob-pw"});
  ReauthResult result = (*client)->ReauthenticateAll();
  EXPECT_THAT(result.status(), IsOk());
  EXPECT_EQ(result.reauthenticated, 1);
  EXPECT_EQ(result.deferred, 0);
  EXPECT_EQ(WhoAmI(**client), "bob");
  // Same connection: its name survived.
  EXPECT_THAT((*client)->Execute("CLIENT", "SETNAME", "kept"), IsOk());
  provider_->Set(Credentials{"alice", "alice-pw"});
  EXPECT_THAT((*client)->ReauthenticateAll().status(), IsOk());
  auto name = (*client)->Execute("CLIENT", "GETNAME");
  ASSERT_THAT(name, IsOk());
  EXPECT_EQ(name->str(), "kept");
  EXPECT_EQ(WhoAmI(**client), "alice");
}

TEST_P(ClientCredentialRotationTest, CheckedOutConnectionSwitchesOnReturn) {
  auto client = Client::Create(Options());
  ASSERT_THAT(client, IsOk());
  auto held = (*client)->AcquireConnection();
  ASSERT_THAT(held, IsOk());
  EXPECT_EQ(WhoAmI(**held), "alice");

  provider_->Set(Credentials{"bob", "bob-pw"});
  ReauthResult result = (*client)->ReauthenticateAll();
  EXPECT_THAT(result.status(), IsOk());
  EXPECT_EQ(result.deferred, 1);
  EXPECT_EQ(WhoAmI(**held), "alice");  // Untouched while its holder has it.
  held->Release();
  EXPECT_EQ(WhoAmI(**client), "bob");
  EXPECT_EQ((*client)->pool().stats().created, 1);
}

TEST_P(ClientCredentialRotationTest, PasswordChangedMidRun) {
  auto client = Client::Create(Options());
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT(WhoAreAll(**client, 2), ElementsAre("alice", "alice"));
  ASSERT_THAT((*client)->Execute("ACL", "SETUSER", "alice", "resetpass",
                                 ">alice-rotated"),
              IsOk());
  // The provider still hands out the old password: refused, reported,
  // and the connections are closed instead of kept as they were.
  ReauthResult stale = (*client)->ReauthenticateAll();
  EXPECT_EQ(stale.failed, 2);
  EXPECT_THAT(stale.status(), StatusIs(absl::StatusCode::kUnauthenticated,
                                       HasSubstr("as 'alice'")));
  EXPECT_THAT(stale.status().message(), Not(HasSubstr("alice-pw")));
  EXPECT_EQ((*client)->pool().stats().idle, 0);

  provider_->Set(Credentials{"alice", "alice-rotated"});
  EXPECT_EQ(WhoAmI(**client), "alice");  // A replacement, new secret.
  ReauthResult fresh = (*client)->ReauthenticateAll();
  EXPECT_THAT(fresh.status(), IsOk());
  EXPECT_EQ(fresh.reauthenticated, 1);
}

TEST_P(ClientCredentialRotationTest, ClosedClientAndNoProvider) {
  ClientOptions options = Options();
  options.connection.credentials = nullptr;
  auto anonymous = Client::Create(options);
  ASSERT_THAT(anonymous, IsOk());
  EXPECT_THAT((*anonymous)->ReauthenticateAll().status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT((*anonymous)->EnableCredentialRefresh(),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  auto client = Client::Create(Options());
  ASSERT_THAT(client, IsOk());
  (*client)->Close();
  EXPECT_THAT((*client)->ReauthenticateAll().status(),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT((*client)->EnableCredentialRefresh(),
              StatusIs(absl::StatusCode::kUnavailable));
}

// A token that lives 2 s: with refresh on, the connections move to the
// provider's newest identity before it expires, and again for the next.
TEST_P(ClientCredentialRotationTest, RefreshReauthenticatesBeforeExpiry) {
  provider_->set_lifetime(absl::Seconds(2));
  auto client = Client::Create(Options());
  ASSERT_THAT(client, IsOk());
  EXPECT_EQ(WhoAmI(**client), "alice");
  ASSERT_THAT((*client)->EnableCredentialRefresh(), IsOk());
  EXPECT_THAT((*client)->EnableCredentialRefresh(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("already enabled")));

  provider_->Set(Credentials{"bob", "bob-pw"});
  const absl::Time give_up = absl::Now() + kPatience;
  while (WhoAmI(**client) != "bob" && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(WhoAmI(**client), "bob");
  // And once more, for the token issued by that round.
  const int64_t rounds = (*client)->credential_refresh_stats().rounds;
  while ((*client)->credential_refresh_stats().rounds < rounds + 1 &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  CredentialRefresher::Stats stats = (*client)->credential_refresh_stats();
  EXPECT_GE(stats.rounds, rounds + 1);
  EXPECT_EQ(stats.failed_rounds, 0) << stats.last_error;
  EXPECT_EQ((*client)->pool().stats().created, 1);
}

TEST_P(ClientCredentialRotationTest, RefreshFailuresAreRetriedNotFatal) {
  provider_->set_lifetime(absl::Seconds(1));
  auto client = Client::Create(Options());
  ASSERT_THAT(client, IsOk());
  EXPECT_EQ(WhoAmI(**client), "alice");
  CredentialRefreshOptions options;
  options.retry_backoff =
      Backoff::Exponential(absl::Milliseconds(20), absl::Milliseconds(200));
  ASSERT_THAT((*client)->EnableCredentialRefresh(options), IsOk());

  provider_->Fail(absl::UnavailableError("token service down"));
  const absl::Time give_up = absl::Now() + kPatience;
  while ((*client)->credential_refresh_stats().failed_rounds < 2 &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  CredentialRefresher::Stats failing = (*client)->credential_refresh_stats();
  EXPECT_GE(failing.failed_rounds, 2);
  EXPECT_THAT(failing.last_error, StatusIs(absl::StatusCode::kUnavailable,
                                           HasSubstr("token service down")));
  // The connection keeps its identity meanwhile.
  EXPECT_EQ(WhoAmI(**client), "alice");

  provider_->Set(Credentials{"bob", "bob-pw"});
  while (WhoAmI(**client) != "bob" && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(WhoAmI(**client), "bob");
}

TEST_P(ClientCredentialRotationTest, DestroyWithRefreshEnabledStopsCleanly) {
  provider_->set_lifetime(absl::Seconds(2));
  for (int i = 0; i < 3; ++i) {
    auto client = Client::Create(Options());
    ASSERT_THAT(client, IsOk());
    ASSERT_THAT((*client)->Execute("PING"), IsOk());
    ASSERT_THAT((*client)->EnableCredentialRefresh(), IsOk());
    // Destroyed at once, mid-sleep: the thread must wake and be joined.
  }
  auto client = Client::Create(Options());
  ASSERT_THAT(client, IsOk());
  ASSERT_THAT((*client)->EnableCredentialRefresh(), IsOk());
  (*client)->Close();
  (*client)->Close();
  EXPECT_EQ((*client)->credential_refresh_stats().rounds, 0);
}

INSTANTIATE_TEST_SUITE_P(Resp, ClientCredentialRotationTest,
                         ::testing::Values(2, 3),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "Resp" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace valkey
