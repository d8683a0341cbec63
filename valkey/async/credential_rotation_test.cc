// Credential rotation on the async side against a real server:
// async::ConnectionPool and async::Client ReauthenticateAll (AUTH in the
// multiplexed stream, leased connections on return, refused passwords) and
// EnableCredentialRefresh with a short-lived token on a loop timer.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "valkey/async/future_wait.h"
#include "testing/rotation_server_test.h"
#include "testing/rotation_users.h"
#include "testing/status/status_matchers.h"
#include "valkey/async/client.h"
#include "valkey/async/connection_pool.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/common/credentials.h"
#include "valkey/common/refresh_schedule.h"

namespace valkey::async {
namespace {

using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::Not;
using ::valkey::testing::IsOk;
using ::valkey::testing::StatusIs;
using ::valkey::testing::UserIn;
using ::valkey::testing::WaitOrHang;

// Generous: only a hang fails on it, never a slow machine.
constexpr absl::Duration kPatience = absl::Seconds(30);

class AsyncCredentialRotationTest
    : public ::valkey::testing::RotationServerTest {
 protected:
  void SetUp() override {
    RotationServerTest::SetUp();
    if (HasFatalFailure()) return;
    auto thread = EventLoopThread::Start();
    ASSERT_THAT(thread, IsOk());
    thread_ = *std::move(thread);
  }

  void TearDown() override {
    client_.reset();
    pool_.reset();
    thread_.reset();
  }

  ClientOptions Options() const {
    ClientOptions options;
    options.connection = RotationConnection();
    options.pool.max_connections = 2;
    return options;
  }

  void MakeClient(int shared_connections = 2) {
    AsyncOptions async;
    async.shared_connections = shared_connections;
    auto client = Client::Create(thread_->loop(), Options(), async);
    ASSERT_THAT(client, IsOk());
    client_ = *std::move(client);
  }

  // The user each shared connection answers as (round-robin: one command
  // per connection).
  std::vector<std::string> SharedUsers(int n) {
    std::vector<std::string> users;
    for (int i = 0; i < n; ++i) {
      users.push_back(UserIn(WaitOrHang(client_->Execute("ACL", "WHOAMI"))));
    }
    return users;
  }

  // The user each of `n` pool leases taken at once answers as.
  static std::vector<std::string> LeaseUsers(
      const std::function<Future<ConnectionPool::Lease>()>& acquire, int n) {
    std::vector<ConnectionPool::Lease> leases;
    std::vector<std::string> users;
    for (int i = 0; i < n; ++i) {
      absl::StatusOr<ConnectionPool::Lease> lease = WaitOrHang(acquire());
      if (!lease.ok()) {
        users.push_back(std::string(lease.status().message()));
        continue;
      }
      users.push_back(UserIn(WaitOrHang(lease->Execute("ACL", "WHOAMI"))));
      leases.push_back(*std::move(lease));
    }
    return users;
  }

  std::unique_ptr<EventLoopThread> thread_;
  std::shared_ptr<ConnectionPool> pool_;
  std::unique_ptr<Client> client_;
};

TEST_P(AsyncCredentialRotationTest, PoolSwitchesIdleNowAndLeasedOnReturn) {
  ClientOptions options = Options();
  auto pool = ConnectionPool::Create(thread_->loop(), options.connection,
                                     options.pool);
  ASSERT_THAT(pool, IsOk());
  pool_ = *std::move(pool);
  auto acquire = [this] { return pool_->Acquire(); };
  EXPECT_THAT(LeaseUsers(acquire, 2), Each(std::string("alice")));

  absl::StatusOr<ConnectionPool::Lease> held = WaitOrHang(pool_->Acquire());
  ASSERT_THAT(held, IsOk());
  provider_->Set(Credentials{"bob", "bob-pw"});
  absl::StatusOr<ReauthResult> result = WaitOrHang(pool_->ReauthenticateAll());
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->status(), IsOk());
  EXPECT_EQ(result->reauthenticated, 1);
  EXPECT_EQ(result->deferred, 1);
  // The lease holder's connection is untouched until it comes back.
  EXPECT_EQ(UserIn(WaitOrHang(held->Execute("ACL", "WHOAMI"))), "alice");
  held = absl::CancelledError("returned");  // Ends the lease.
  EXPECT_THAT(LeaseUsers(acquire, 2), Each(std::string("bob")));
  EXPECT_EQ(pool_->stats().created, 2);
}

TEST_P(AsyncCredentialRotationTest, ClientSwitchesSharedAndPooled) {
  MakeClient();
  EXPECT_THAT(SharedUsers(2), Each(std::string("alice")));
  auto acquire = [this] { return client_->Acquire(); };
  EXPECT_THAT(LeaseUsers(acquire, 2), Each(std::string("alice")));

  provider_->Set(Credentials{"bob", "bob-pw"});
  const int64_t calls = provider_->calls();
  // Commands around the AUTH keep their order on the shared connection.
  Future<Reply> before = client_->Execute("ACL", "WHOAMI");
  Future<ReauthResult> reauth = client_->ReauthenticateAll();
  absl::StatusOr<ReauthResult> result = WaitOrHang(std::move(reauth));
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->status(), IsOk());
  EXPECT_EQ(result->reauthenticated, 4);  // 2 shared + 2 idle pooled.
  EXPECT_EQ(result->failed, 0);
  EXPECT_EQ(provider_->calls(), calls + 1);
  EXPECT_EQ(UserIn(WaitOrHang(std::move(before))), "alice");
  EXPECT_THAT(SharedUsers(2), Each(std::string("bob")));
  EXPECT_THAT(LeaseUsers(acquire, 2), Each(std::string("bob")));
}

TEST_P(AsyncCredentialRotationTest, PasswordChangedMidRunAndWrongPassword) {
  MakeClient(/*shared_connections=*/1);
  EXPECT_THAT(SharedUsers(1), Each(std::string("alice")));
  ASSERT_THAT(WaitOrHang(client_->Execute("ACL", "SETUSER", "alice",
                                          "resetpass", ">alice-rotated")),
              IsOk());
  // The provider still has the old password: refused, reported, and the
  // shared connection reconnects instead of keeping an identity nobody
  // vouches for any more.
  absl::StatusOr<ReauthResult> stale = WaitOrHang(client_->ReauthenticateAll());
  ASSERT_THAT(stale, IsOk());
  EXPECT_EQ(stale->failed, 1);
  EXPECT_THAT(stale->status(), StatusIs(absl::StatusCode::kUnauthenticated,
                                        HasSubstr("as 'alice'")));
  EXPECT_THAT(stale->status().message(), Not(HasSubstr("alice-pw")));

  provider_->Set(Credentials{"alice", "alice-rotated"});
  const absl::Time give_up = absl::Now() + kPatience;
  std::string who;
  while ((who = UserIn(WaitOrHang(client_->Execute("ACL", "WHOAMI")))) !=
             "alice" &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(who, "alice");
  absl::StatusOr<ReauthResult> fresh = WaitOrHang(client_->ReauthenticateAll());
  ASSERT_THAT(fresh, IsOk());
  EXPECT_THAT(fresh->status(), IsOk());
}

TEST_P(AsyncCredentialRotationTest, NoProviderAndClosed) {
  ClientOptions options = Options();
  options.connection.credentials = nullptr;
  auto anonymous = Client::Create(thread_->loop(), options);
  ASSERT_THAT(anonymous, IsOk());
  absl::StatusOr<ReauthResult> none =
      WaitOrHang((*anonymous)->ReauthenticateAll());
  ASSERT_THAT(none, IsOk());
  EXPECT_THAT(none->status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT((*anonymous)->EnableCredentialRefresh(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  anonymous->reset();

  MakeClient();
  client_->Close();
  absl::StatusOr<ReauthResult> closed =
      WaitOrHang(client_->ReauthenticateAll());
  ASSERT_THAT(closed, IsOk());
  EXPECT_THAT(closed->status(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(client_->EnableCredentialRefresh(),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_P(AsyncCredentialRotationTest, RefreshReauthenticatesBeforeExpiry) {
  provider_->set_lifetime(absl::Seconds(2));
  MakeClient();
  EXPECT_THAT(SharedUsers(2), Each(std::string("alice")));
  ASSERT_THAT(client_->EnableCredentialRefresh(), IsOk());
  EXPECT_THAT(client_->EnableCredentialRefresh(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  provider_->Set(Credentials{"bob", "bob-pw"});
  const absl::Time give_up = absl::Now() + kPatience;
  while (client_->credential_refresh_stats().rounds < 2 &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  CredentialRefreshStats stats = client_->credential_refresh_stats();
  EXPECT_GE(stats.rounds, 2);  // Before the first expiry, then the next.
  EXPECT_EQ(stats.failed_rounds, 0) << stats.last_error;
  EXPECT_THAT(SharedUsers(2), Each(std::string("bob")));
}

TEST_P(AsyncCredentialRotationTest, RefreshFailureIsRetriedAndDestroyIsClean) {
  provider_->set_lifetime(absl::Seconds(1));
  MakeClient(/*shared_connections=*/1);
  EXPECT_THAT(SharedUsers(1), Each(std::string("alice")));
  CredentialRefreshOptions options;
  options.retry_backoff =
      Backoff::Exponential(absl::Milliseconds(20), absl::Milliseconds(200));
  ASSERT_THAT(client_->EnableCredentialRefresh(options), IsOk());
  provider_->Fail(absl::UnavailableError("token service down"));
  const absl::Time give_up = absl::Now() + kPatience;
  while (client_->credential_refresh_stats().failed_rounds < 2 &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  CredentialRefreshStats stats = client_->credential_refresh_stats();
  EXPECT_GE(stats.failed_rounds, 2);
  EXPECT_THAT(stats.last_error, StatusIs(absl::StatusCode::kUnavailable,
                                         HasSubstr("token service down")));
  EXPECT_THAT(SharedUsers(1), Each(std::string("alice")));
  // Destroyed with timers pending: nothing runs on a dead client.
  client_.reset();
  for (int i = 0; i < 3; ++i) {
    MakeClient(/*shared_connections=*/1);
    ASSERT_THAT(client_->EnableCredentialRefresh(), IsOk());
    client_.reset();
  }
}

INSTANTIATE_TEST_SUITE_P(Resp, AsyncCredentialRotationTest,
                         ::testing::Values(2, 3),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return absl::StrCat("Resp", info.param);
                         });

}  // namespace
}  // namespace valkey::async
