// ConnectionPool::ReauthenticateAll against a real server whose ACL users
// change mid-run: every live connection must end up answering ACL WHOAMI as
// the provider's current user.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/rotation_server_test.h"
#include "testing/rotation_users.h"
#include "testing/status/status_matchers.h"
#include "valkey/common/credentials.h"
#include "valkey/connection/connection_pool.h"

namespace valkey {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::valkey::testing::IsOk;
using ::valkey::testing::StatusIs;
using ::valkey::testing::WhoAmI;

class PoolReauthTest : public ::valkey::testing::RotationServerTest {
 protected:
  ConnectionOptions Options() const { return RotationConnection(); }

  std::unique_ptr<ConnectionPool> MakePool(int max_connections) {
    PoolOptions pool;
    pool.max_connections = max_connections;
    auto made = ConnectionPool::Create(Options(), pool);
    EXPECT_THAT(made, IsOk());
    return made.ok() ? *std::move(made) : nullptr;
  }

  // Opens `n` connections at once and returns them to the pool.
  static void Open(ConnectionPool& pool, int n) {
    std::vector<PooledConnection> held;
    for (int i = 0; i < n; ++i) {
      auto conn = pool.Acquire();
      ASSERT_THAT(conn, IsOk());
      held.push_back(*std::move(conn));
    }
  }

  // Checks out `n` connections at once (so every idle one is seen) and
  // returns the user each answers as.
  static std::vector<std::string> WhoAreAll(ConnectionPool& pool, int n) {
    return ::valkey::testing::WhoAreAll(n, [&pool] { return pool.Acquire(); });
  }

  // An admin connection as bob (the test's ACL changes go through it).
  std::unique_ptr<Connection> Admin() {
    ConnectionOptions options = Options();
    options.credentials =
        std::make_shared<StaticCredentialProvider>("bob", "bob-pw");
    auto connector = Connector::Create(options);
    EXPECT_THAT(connector, IsOk());
    if (!connector.ok()) return nullptr;
    auto conn = (*connector)->Connect();
    EXPECT_THAT(conn, IsOk());
    return conn.ok() ? *std::move(conn) : nullptr;
  }

};

TEST_P(PoolReauthTest, SwitchesEveryIdleConnectionToTheNewUser) {
  std::unique_ptr<ConnectionPool> pool = MakePool(3);
  ASSERT_NE(pool, nullptr);
  Open(*pool, 3);
  EXPECT_THAT(WhoAreAll(*pool, 3),
              ::testing::ElementsAre("alice", "alice", "alice"));

  provider_->Set(Credentials{"bob", "bob-pw"});
  const int64_t calls = provider_->calls();
  ReauthResult result = pool->ReauthenticateAll();
  EXPECT_THAT(result.status(), IsOk());
  EXPECT_EQ(result.reauthenticated, 3);
  EXPECT_EQ(result.failed, 0);
  EXPECT_EQ(result.deferred, 0);
  EXPECT_EQ(provider_->calls(), calls + 1);  // Asked once.

  EXPECT_THAT(WhoAreAll(*pool, 3), ::testing::ElementsAre("bob", "bob", "bob"));
  PoolStats stats = pool->stats();
  EXPECT_EQ(stats.created, 3);  // The same connections, not new ones.
  EXPECT_EQ(stats.reauthenticated, 3);
}

TEST_P(PoolReauthTest, BlockingPoolToo) {
  PoolOptions pool_options;
  pool_options.max_connections = 2;
  auto pool = BlockingConnectionPool::Create(Options(), pool_options);
  ASSERT_THAT(pool, IsOk());
  Open(**pool, 2);
  provider_->Set(Credentials{"bob", "bob-pw"});
  ReauthResult result = (*pool)->ReauthenticateAll();
  EXPECT_THAT(result.status(), IsOk());
  EXPECT_EQ(result.reauthenticated, 2);
  EXPECT_THAT(WhoAreAll(**pool, 2), ::testing::ElementsAre("bob", "bob"));
}

TEST_P(PoolReauthTest, CheckedOutConnectionSwitchesBeforeItsNextCheckout) {
  std::unique_ptr<ConnectionPool> pool = MakePool(1);
  ASSERT_NE(pool, nullptr);
  auto held = pool->Acquire();
  ASSERT_THAT(held, IsOk());
  EXPECT_EQ(WhoAmI(**held), "alice");

  provider_->Set(Credentials{"bob", "bob-pw"});
  ReauthResult result = pool->ReauthenticateAll();
  EXPECT_THAT(result.status(), IsOk());
  EXPECT_EQ(result.deferred, 1);
  EXPECT_EQ(result.reauthenticated, 0);
  // Nothing was sent on it behind its holder's back.
  EXPECT_EQ(WhoAmI(**held), "alice");
  held->Release();

  auto again = pool->Acquire();
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(WhoAmI(**again), "bob");
  EXPECT_EQ(pool->stats().created, 1);
  EXPECT_EQ(pool->stats().reauthenticated, 1);
}

TEST_P(PoolReauthTest, PasswordChangedMidRun) {
  std::unique_ptr<ConnectionPool> pool = MakePool(2);
  ASSERT_NE(pool, nullptr);
  Open(*pool, 2);
  std::unique_ptr<Connection> admin = Admin();
  ASSERT_NE(admin, nullptr);
  ASSERT_THAT(admin->Execute("ACL", "SETUSER", "alice", "resetpass",
                             ">alice-new-pw"),
              IsOk());
  // Open connections stay logged in; the provider still has the old one.
  ReauthResult stale = pool->ReauthenticateAll();
  EXPECT_EQ(stale.failed, 2);
  EXPECT_EQ(stale.reauthenticated, 0);
  EXPECT_THAT(stale.status(), StatusIs(absl::StatusCode::kUnauthenticated,
                                       HasSubstr("as 'alice'")));
  EXPECT_THAT(stale.status().message(), Not(HasSubstr("alice-pw")));
  // Closed rather than left with an identity nobody asked for.
  EXPECT_EQ(pool->stats().idle, 0);
  EXPECT_EQ(pool->stats().reauth_failures, 2);

  provider_->Set(Credentials{"alice", "alice-new-pw"});
  EXPECT_THAT(WhoAreAll(*pool, 2), ::testing::ElementsAre("alice", "alice"));
  EXPECT_EQ(pool->stats().created, 4);  // Replacements, with the new secret.
  ReauthResult fresh = pool->ReauthenticateAll();
  EXPECT_THAT(fresh.status(), IsOk());
  EXPECT_EQ(fresh.reauthenticated, 2);
}

TEST_P(PoolReauthTest, WrongPasswordReportsAndReplaces) {
  std::unique_ptr<ConnectionPool> pool = MakePool(3);
  ASSERT_NE(pool, nullptr);
  Open(*pool, 3);
  provider_->Set(Credentials{"bob", "not-bobs-secret"});
  ReauthResult result = pool->ReauthenticateAll();
  EXPECT_EQ(result.failed, 3);
  EXPECT_EQ(result.reauthenticated, 0);
  EXPECT_THAT(result.status(), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(result.status().message(), Not(HasSubstr("not-bobs-secret")));
  EXPECT_EQ(pool->stats().idle, 0);

  provider_->Set(Credentials{"bob", "bob-pw"});
  EXPECT_THAT(WhoAreAll(*pool, 3), ::testing::ElementsAre("bob", "bob", "bob"));
}

TEST_P(PoolReauthTest, ProviderFailureSendsNothing) {
  std::unique_ptr<ConnectionPool> pool = MakePool(2);
  ASSERT_NE(pool, nullptr);
  Open(*pool, 2);
  provider_->Fail(absl::UnavailableError("token service down"));
  ReauthResult result = pool->ReauthenticateAll();
  EXPECT_THAT(result.status(), StatusIs(absl::StatusCode::kUnavailable,
                                        HasSubstr("token service down")));
  EXPECT_EQ(result.reauthenticated + result.failed + result.deferred, 0);
  EXPECT_EQ(pool->stats().idle, 2);
}

TEST_P(PoolReauthTest, NoProviderIsAPreconditionError) {
  ConnectionOptions options = Options();
  options.credentials = nullptr;
  options.host = "127.0.0.1";
  auto pool = ConnectionPool::Create(options, PoolOptions());
  ASSERT_THAT(pool, IsOk());
  EXPECT_THAT((*pool)->ReauthenticateAll().status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("no credential provider")));
}

INSTANTIATE_TEST_SUITE_P(Resp, PoolReauthTest, ::testing::Values(2, 3),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "Resp" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace valkey
