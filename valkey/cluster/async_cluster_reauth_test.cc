// AsyncClusterClient::ReauthenticateAll against a real 3-primary cluster:
// every node's shared connection and its pool of exclusive connections
// move to the provider's new user mid-run, with commands in flight; a
// wrong password resolves at once with UNAUTHENTICATED naming the node and
// the user, and the connections recover once the provider is right again.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "valkey/cluster/cluster_keys.h"
#include "valkey/async/future_wait.h"
#include "testing/rotation_users.h"
#include "testing/status/status_matchers.h"
#include "testing/switchable_credential_provider.h"
#include "testing/valkey_cluster.h"
#include "testing/valkey_cluster_test.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/cluster/async_cluster_client.h"
#include "valkey/cluster/cluster_options.h"
#include "valkey/commands/list_commands.h"
#include "valkey/common/credentials.h"
#include "valkey/common/reauth_result.h"
#include "valkey/common/refresh_schedule.h"
#include "valkey/common/reply.h"

namespace valkey::cluster {
namespace {

using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::valkey::async::EventLoopThread;
using ::valkey::async::Future;
using ::valkey::testing::IsOk;
using ::valkey::testing::KeyInSlot;
using ::valkey::testing::kSlotsAcrossPrimaries;
using ::valkey::testing::RotationAclUsers;
using ::valkey::testing::StatusIs;
using ::valkey::testing::SwitchableCredentialProvider;
using ::valkey::testing::ValkeyCluster;
using ::valkey::testing::WaitOrHang;

// Generous: only a hang fails on it, never a slow machine.
constexpr absl::Duration kPatience = absl::Seconds(30);

class AsyncClusterReauthTest
    : public valkey::testing::ValkeyClusterTest<AsyncClusterReauthTest> {
 public:
  // Read by the fixture base when it starts the suite's cluster.
  static ValkeyCluster::Options StartOptions() {
    ValkeyCluster::Options o;
    o.num_primaries = 3;
    o.replicas_per_primary = 0;
    o.acl_users = RotationAclUsers();
    return o;
  }

 protected:
  void SetUp() override {
    ValkeyClusterTest::SetUp();
    auto thread = EventLoopThread::Start();
    ASSERT_THAT(thread, IsOk());
    thread_ = *std::move(thread);
    provider_ = std::make_shared<SwitchableCredentialProvider>(
        Credentials{"alice", "alice-pw"});
    ClusterOptions o;
    o.seeds = cluster_->seed_addresses();
    o.connection.connect_timeout = absl::Seconds(2);
    o.connection.socket_timeout = absl::Seconds(5);
    o.connection.credentials = provider_;
    auto client = AsyncClusterClient::Create(thread_->loop(), o);
    ASSERT_THAT(client, IsOk());
    client_ = *std::move(client);
    // Open the shared connection of every primary.
    for (int slot : kSlotsAcrossPrimaries) {
      ASSERT_THAT(WaitOrHang(client_->Set(KeyInSlot(slot), "v")), IsOk());
    }
  }

  void TearDown() override {
    client_.reset();
    thread_.reset();
  }

  // The user each node's shared connection answers as, by the node's
  // address. Keyless commands go to the primaries round robin; CLIENT INFO
  // names the node (laddr) and the connection's user (as ACL WHOAMI).
  std::map<std::string, std::string> UsersByNode() {
    std::map<std::string, std::string> users;
    for (int i = 0; i < 12 && users.size() < 3; ++i) {
      absl::StatusOr<Reply> info =
          WaitOrHang(client_->Execute("CLIENT", "INFO"));
      if (!info.ok()) {
        users[absl::StrCat("error ", i)] = std::string(info.status().message());
        continue;
      }
      std::string node;
      std::string user;
      for (absl::string_view field : absl::StrSplit(info->str(), ' ')) {
        if (absl::ConsumePrefix(&field, "laddr=")) node = std::string(field);
        if (absl::ConsumePrefix(&field, "user=")) user = std::string(field);
      }
      users[node] = user;
    }
    return users;
  }

  static std::vector<std::string> Users(
      const std::map<std::string, std::string>& by_node) {
    std::vector<std::string> users;
    for (const auto& [node, user] : by_node) users.push_back(user);
    return users;
  }

  std::unique_ptr<EventLoopThread> thread_;
  std::shared_ptr<SwitchableCredentialProvider> provider_;
  std::unique_ptr<AsyncClusterClient> client_;
};

TEST_F(AsyncClusterReauthTest, SwitchesEveryNodeWithCommandsInFlight) {
  // A blocking command opens the first slot's node pool (one exclusive
  // connection, idle once the command is answered).
  const std::vector<std::string> list = {
      KeyInSlot(kSlotsAcrossPrimaries[0], "list")};
  ASSERT_THAT(WaitOrHang(client_->Execute("RPUSH", list[0], "x")), IsOk());
  ASSERT_THAT(WaitOrHang(client_->BLPop(list, absl::Seconds(1))), IsOk());
  std::map<std::string, std::string> before = UsersByNode();
  EXPECT_THAT(before, SizeIs(3));
  EXPECT_THAT(Users(before), Each(std::string("alice")));

  provider_->Set(Credentials{"bob", "bob-pw"});
  const int64_t calls = provider_->calls();
  // Commands issued around the call, on every node, all succeed: the AUTH
  // is one more command in each node's stream.
  std::vector<Future<bool>> writes;
  for (int i = 0; i < 20; ++i) {
    writes.push_back(client_->Set(
        KeyInSlot(kSlotsAcrossPrimaries[i % 3], absl::StrCat("w", i)), "v"));
  }
  Future<ReauthResult> reauth = client_->ReauthenticateAll();
  for (int i = 20; i < 40; ++i) {
    writes.push_back(client_->Set(
        KeyInSlot(kSlotsAcrossPrimaries[i % 3], absl::StrCat("w", i)), "v"));
  }
  absl::StatusOr<ReauthResult> result = WaitOrHang(std::move(reauth));
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->status(), IsOk());
  EXPECT_EQ(result->reauthenticated, 4);  // 3 shared + 1 idle pooled.
  EXPECT_EQ(result->failed, 0);
  EXPECT_EQ(result->deferred, 0);
  EXPECT_EQ(provider_->calls(), calls + 1);  // Once for all nodes.
  for (Future<bool>& w : writes) EXPECT_THAT(WaitOrHang(std::move(w)), IsOk());

  std::map<std::string, std::string> after = UsersByNode();
  EXPECT_THAT(after, SizeIs(3));
  EXPECT_THAT(Users(after), Each(std::string("bob")));

  // The pooled connection is bob's too: with BLPOP denied to alice, the
  // blocking command still runs on it.
  ASSERT_THAT(WaitOrHang(client_->Execute("ACL", "SETUSER", "alice", "-blpop")),
              IsOk());
  ASSERT_THAT(WaitOrHang(client_->Execute("RPUSH", list[0], "y")), IsOk());
  absl::StatusOr<std::optional<ListPop>> popped =
      WaitOrHang(client_->BLPop(list, absl::Seconds(1)));
  EXPECT_THAT(WaitOrHang(client_->Execute("ACL", "SETUSER", "alice", "+blpop")),
              IsOk());
  ASSERT_THAT(popped, IsOk());
  ASSERT_TRUE(popped->has_value());
  EXPECT_EQ((*popped)->value, "y");
}

TEST_F(AsyncClusterReauthTest, WrongPasswordFailsClearlyAndRecovers) {
  provider_->Set(Credentials{"bob", "wrong-bob-pw"});
  absl::StatusOr<ReauthResult> result =
      WaitOrHang(client_->ReauthenticateAll());
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->failed, 3);
  EXPECT_EQ(result->reauthenticated, 0);
  EXPECT_THAT(result->status(), StatusIs(absl::StatusCode::kUnauthenticated,
                                         HasSubstr("as 'bob'")));
  EXPECT_THAT(result->status().message(), HasSubstr("on 127.0.0.1:"));
  EXPECT_THAT(result->status().message(), Not(HasSubstr("wrong-bob-pw")));

  // The refused connections reconnected instead of staying alice's; once
  // the provider is right they come back as bob.
  provider_->Set(Credentials{"bob", "bob-pw"});
  const absl::Time give_up = absl::Now() + kPatience;
  std::map<std::string, std::string> users = UsersByNode();
  while ((users.size() != 3 ||
          Users(users) != std::vector<std::string>(3, "bob")) &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(50));
    users = UsersByNode();
  }
  EXPECT_THAT(users, SizeIs(3));
  EXPECT_THAT(Users(users), Each(std::string("bob")));
}

TEST_F(AsyncClusterReauthTest, NoProviderAndClosed) {
  ClusterOptions o;
  o.seeds = cluster_->seed_addresses();
  auto anonymous = AsyncClusterClient::Create(thread_->loop(), o);
  ASSERT_THAT(anonymous, IsOk());
  absl::StatusOr<ReauthResult> none =
      WaitOrHang((*anonymous)->ReauthenticateAll());
  ASSERT_THAT(none, IsOk());
  EXPECT_THAT(none->status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  anonymous->reset();

  client_->Close();
  absl::StatusOr<ReauthResult> closed =
      WaitOrHang(client_->ReauthenticateAll());
  ASSERT_THAT(closed, IsOk());
  EXPECT_THAT(closed->status(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(AsyncClusterReauthTest, ProviderErrorSendsNothing) {
  provider_->Fail(absl::UnavailableError("token service down"));
  absl::StatusOr<ReauthResult> result =
      WaitOrHang(client_->ReauthenticateAll());
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->reauthenticated + result->failed, 0);
  EXPECT_THAT(result->status(), StatusIs(absl::StatusCode::kUnavailable,
                                         HasSubstr("token service down")));
  EXPECT_THAT(Users(UsersByNode()), Each(std::string("alice")));
}

TEST_F(AsyncClusterReauthTest, RefreshBeforeExpiryAndCleanClose) {
  provider_->set_lifetime(absl::Seconds(2));
  ASSERT_THAT(client_->EnableCredentialRefresh(), IsOk());
  EXPECT_THAT(client_->EnableCredentialRefresh(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  provider_->Set(Credentials{"bob", "bob-pw"});
  const absl::Time give_up = absl::Now() + kPatience;
  while (client_->credential_refresh_stats().rounds < 1 &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  CredentialRefreshStats stats = client_->credential_refresh_stats();
  EXPECT_GE(stats.rounds, 1);
  EXPECT_EQ(stats.failed_rounds, 0) << stats.last_error;
  std::map<std::string, std::string> users = UsersByNode();
  EXPECT_THAT(users, SizeIs(3));
  EXPECT_THAT(Users(users), Each(std::string("bob")));
  // Destroyed with a timer pending: nothing runs on a dead client.
  client_.reset();
  for (int i = 0; i < 3; ++i) {
    ClusterOptions o;
    o.seeds = cluster_->seed_addresses();
    o.connection.credentials = provider_;
    auto client = AsyncClusterClient::Create(thread_->loop(), o);
    ASSERT_THAT(client, IsOk());
    ASSERT_THAT((*client)->EnableCredentialRefresh(), IsOk());
  }
}

TEST_F(AsyncClusterReauthTest, RefreshRefusedWithoutProviderOrOnceClosed) {
  ClusterOptions o;
  o.seeds = cluster_->seed_addresses();
  auto anonymous = AsyncClusterClient::Create(thread_->loop(), o);
  ASSERT_THAT(anonymous, IsOk());
  EXPECT_THAT((*anonymous)->EnableCredentialRefresh(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  client_->Close();
  EXPECT_THAT(client_->EnableCredentialRefresh(),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(client_->credential_refresh_stats().rounds, 0);
}

}  // namespace
}  // namespace valkey::cluster
