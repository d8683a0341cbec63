// TLS and ACL against a real cluster, for the blocking ClusterClient and
// the AsyncClusterClient (//testing:valkey_cluster, 3 primaries, no
// replicas: nothing here needs one).
//
// TLS (one cluster with Options::tls): the topology, MOVED and ASK name
// the nodes' TLS ports, commands work on every primary, and a client that
// trusts another CA fails at once with an error naming the seed.
//
// ACL and requirepass (one cluster with Options::password and a user
// limited to "lim:*" keys): the limited user works on every primary, a
// NOPERM comes back as PERMISSION_DENIED without being resent, a wrong
// password is UNAUTHENTICATED-like and never echoed, and the default user
// with the requirepass password works.

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/cluster/cluster_keys.h"
#include "testing/valkey_cluster.h"
#include "testing/valkey_cluster_test.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/cluster/async_cluster_client.h"
#include "valkey/cluster/cluster_client.h"
#include "valkey/cluster/cluster_options.h"
#include "valkey/cluster/slot_map.h"
#include "valkey/common/credentials.h"
#include "valkey/common/errors.h"

namespace valkey::cluster {
namespace {

using ::valkey::async::EventLoopThread;
using ::valkey::testing::KeyInSlot;
using ::valkey::testing::kSlotsAcrossPrimaries;
using ::valkey::testing::ValkeyCluster;

constexpr absl::Duration kWait = absl::Seconds(20);
constexpr char kPassword[] = "cluster-requirepass-s3cret";
constexpr char kUserPassword[] = "limited-user-pw-9f2";
constexpr char kWrongPassword[] = "not-the-password-7c1";

// The security suites' clusters: 3 primaries, no replicas.
ValkeyCluster::Options ThreePrimaries() {
  ValkeyCluster::Options o;
  o.num_primaries = 3;
  o.replicas_per_primary = 0;
  return o;
}

// --------------------------------------------------------------------- TLS

class ClusterTlsTest
    : public valkey::testing::ValkeyClusterTest<ClusterTlsTest> {
 public:
  // Read by the fixture base when it starts the suite's cluster.
  static ValkeyCluster::Options StartOptions() {
    ValkeyCluster::Options o = ThreePrimaries();
    o.tls = true;
    return o;
  }

 protected:
  static ClusterOptions Options(const std::string& ca_file) {
    ClusterOptions o;
    for (int i = 0; i < cluster_->size(); ++i) {
      o.seeds.push_back(
          absl::StrCat("127.0.0.1:", cluster_->node(i).tls_port()));
    }
    o.connection.connect_timeout = absl::Seconds(2);
    o.connection.socket_timeout = absl::Seconds(5);
    o.connection.tls.enabled = true;
    o.connection.tls.ca_file = ca_file;
    o.connection.tls.use_system_trust_store = false;
    return o;
  }

  // Every shard's primary in `map` is one of the nodes' TLS ports.
  static void ExpectTlsPorts(const SlotMap& map) {
    ASSERT_EQ(map.shards().size(), 3u);
    for (const Shard& shard : map.shards()) {
      bool found = false;
      for (int i = 0; i < cluster_->size(); ++i) {
        found |= shard.primary.port == cluster_->node(i).tls_port();
      }
      EXPECT_TRUE(found) << "primary port " << shard.primary.port
                         << " is not a TLS port";
    }
  }
};

TEST_F(ClusterTlsTest, BlockingClientUsesTlsPortsEverywhere) {
  absl::StatusOr<std::unique_ptr<ClusterClient>> client =
      ClusterClient::Create(Options(cluster_->ca_cert_path()));
  ASSERT_TRUE(client.ok()) << client.status();
  ExpectTlsPorts(*(*client)->slot_map());
  for (int slot : kSlotsAcrossPrimaries) {
    const std::string key = KeyInSlot(slot, "tls:b");
    ASSERT_TRUE((*client)->Set(key, key).ok());
    absl::StatusOr<std::optional<std::string>> v = (*client)->Get(key);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->value_or(""), key);
  }

  // MOVED: the slot changes owner behind the client's back.
  const int moved_slot = 777;
  absl::StatusOr<int> from = cluster_->PrimaryForSlot(moved_slot);
  ASSERT_TRUE(from.ok());
  const int to = (*from + 1) % 3;
  ASSERT_TRUE(cluster_->MoveSlot(moved_slot, to).ok());
  const int64_t before = (*client)->stats().redirects;
  const std::string moved_key = KeyInSlot(moved_slot, "tls:b", ":moved");
  ASSERT_TRUE((*client)->Set(moved_key, "m").ok());
  EXPECT_GT((*client)->stats().redirects, before);
  EXPECT_EQ((*client)->slot_map()->ShardForSlot(moved_slot)->primary.port,
            cluster_->node(to).tls_port());

  // ASK: a new key of a migrating slot lives on the importing node.
  const int ask_slot = 778;
  absl::StatusOr<int> owner = cluster_->PrimaryForSlot(ask_slot);
  ASSERT_TRUE(owner.ok());
  const int target = (*owner + 1) % 3;
  ASSERT_TRUE(cluster_->BeginMigration(ask_slot, *owner, target).ok());
  const int64_t before_ask = (*client)->stats().redirects;
  const std::string ask_key = KeyInSlot(ask_slot, "tls:b", ":ask");
  ASSERT_TRUE((*client)->Set(ask_key, "a").ok());
  EXPECT_GT((*client)->stats().redirects, before_ask);
  ASSERT_TRUE(cluster_->FinishMigration(ask_slot, *owner, target).ok());
  absl::StatusOr<std::optional<std::string>> v = (*client)->Get(ask_key);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->value_or(""), "a");
}

TEST_F(ClusterTlsTest, AsyncClientUsesTlsPortsEverywhere) {
  absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
      EventLoopThread::Start();
  ASSERT_TRUE(thread.ok()) << thread.status();
  absl::StatusOr<std::unique_ptr<AsyncClusterClient>> client =
      AsyncClusterClient::Create((*thread)->loop(),
                                 Options(cluster_->ca_cert_path()));
  ASSERT_TRUE(client.ok()) << client.status();
  for (int slot : kSlotsAcrossPrimaries) {
    const std::string key = KeyInSlot(slot, "tls:a");
    ASSERT_TRUE((*client)->Set(key, key).Get(kWait).ok());
    absl::StatusOr<std::optional<std::string>> v =
        (*client)->Get(key).Get(kWait);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->value_or(""), key);
  }
  ExpectTlsPorts(*(*client)->slot_map());

  const int moved_slot = 901;
  absl::StatusOr<int> from = cluster_->PrimaryForSlot(moved_slot);
  ASSERT_TRUE(from.ok());
  const int to = (*from + 1) % 3;
  ASSERT_TRUE(cluster_->MoveSlot(moved_slot, to).ok());
  const int64_t before = (*client)->redirects();
  ASSERT_TRUE((*client)
                  ->Set(KeyInSlot(moved_slot, "tls:a", ":moved"), "m")
                  .Get(kWait)
                  .ok());
  EXPECT_GT((*client)->redirects(), before);

  const int ask_slot = 902;
  absl::StatusOr<int> owner = cluster_->PrimaryForSlot(ask_slot);
  ASSERT_TRUE(owner.ok());
  const int target = (*owner + 1) % 3;
  ASSERT_TRUE(cluster_->BeginMigration(ask_slot, *owner, target).ok());
  const int64_t before_ask = (*client)->redirects();
  const std::string ask_key = KeyInSlot(ask_slot, "tls:a", ":ask");
  ASSERT_TRUE((*client)->Set(ask_key, "a").Get(kWait).ok());
  EXPECT_GT((*client)->redirects(), before_ask);
  ASSERT_TRUE(cluster_->FinishMigration(ask_slot, *owner, target).ok());
  absl::StatusOr<std::optional<std::string>> v =
      (*client)->Get(ask_key).Get(kWait);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->value_or(""), "a");
}

TEST_F(ClusterTlsTest, WrongCaFailsNamingTheSeed) {
  const std::string other_ca = cluster_->node(0).certs()->other_ca_cert;
  ClusterOptions o = Options(other_ca);
  o.seeds.resize(1);
  const std::string seed = o.seeds[0];

  absl::StatusOr<std::unique_ptr<ClusterClient>> client =
      ClusterClient::Create(o);
  ASSERT_FALSE(client.ok());
  EXPECT_TRUE(absl::StrContains(client.status().message(), seed))
      << client.status();

  absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
      EventLoopThread::Start();
  ASSERT_TRUE(thread.ok()) << thread.status();
  absl::StatusOr<std::unique_ptr<AsyncClusterClient>> async_client =
      AsyncClusterClient::Create((*thread)->loop(), o);
  ASSERT_TRUE(async_client.ok()) << async_client.status();
  // Bounded by the connect time-out, far below kWait: no hang.
  absl::StatusOr<std::optional<std::string>> v =
      (*async_client)->Get("tls:any").Get(kWait);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(absl::StrContains(v.status().message(), seed)) << v.status();
}

// ------------------------------------------------------- ACL, requirepass

class ClusterAclTest
    : public valkey::testing::ValkeyClusterTest<ClusterAclTest> {
 public:
  // Read by the fixture base when it starts the suite's cluster.
  static ValkeyCluster::Options StartOptions() {
    ValkeyCluster::Options o = ThreePrimaries();
    o.password = kPassword;
    // Keys "lim:*" only; every command otherwise (the client needs
    // CLUSTER SLOTS, HELLO, CLIENT SETINFO).
    o.acl_users = {
        absl::StrCat("user limited on >", kUserPassword, " ~lim:* &* +@all")};
    return o;
  }

 protected:
  static ClusterOptions Options(const std::string& user,
                                const std::string& password) {
    ClusterOptions o;
    o.seeds = cluster_->seed_addresses();
    o.connection.connect_timeout = absl::Seconds(2);
    o.connection.socket_timeout = absl::Seconds(5);
    o.connection.credentials =
        std::make_shared<StaticCredentialProvider>(user, password);
    return o;
  }
};

TEST_F(ClusterAclTest, BlockingLimitedUserAllowedAndRefused) {
  absl::StatusOr<std::unique_ptr<ClusterClient>> client =
      ClusterClient::Create(Options("limited", kUserPassword));
  ASSERT_TRUE(client.ok()) << client.status();
  for (int slot : kSlotsAcrossPrimaries) {
    const std::string key = KeyInSlot(slot, "lim:b");
    ASSERT_TRUE((*client)->Set(key, key).ok()) << key;
    absl::StatusOr<std::optional<std::string>> v = (*client)->Get(key);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->value_or(""), key);

    const int64_t before = (*client)->stats().redirects;
    absl::StatusOr<bool> refused =
        (*client)->Set(KeyInSlot(slot, "other:b"), "x");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied)
        << refused.status();
    EXPECT_TRUE(absl::StrContains(refused.status().message(), "NOPERM"))
        << refused.status();
    EXPECT_EQ((*client)->stats().redirects, before) << "NOPERM was resent";
  }
}

TEST_F(ClusterAclTest, AsyncLimitedUserAllowedAndRefused) {
  absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
      EventLoopThread::Start();
  ASSERT_TRUE(thread.ok()) << thread.status();
  absl::StatusOr<std::unique_ptr<AsyncClusterClient>> client =
      AsyncClusterClient::Create((*thread)->loop(),
                                 Options("limited", kUserPassword));
  ASSERT_TRUE(client.ok()) << client.status();
  for (int slot : kSlotsAcrossPrimaries) {
    const std::string key = KeyInSlot(slot, "lim:a");
    ASSERT_TRUE((*client)->Set(key, key).Get(kWait).ok()) << key;
    absl::StatusOr<std::optional<std::string>> v =
        (*client)->Get(key).Get(kWait);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->value_or(""), key);

    const int64_t before = (*client)->redirects();
    absl::StatusOr<bool> refused =
        (*client)->Set(KeyInSlot(slot, "other:a"), "x").Get(kWait);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied)
        << refused.status();
    EXPECT_EQ((*client)->redirects(), before) << "NOPERM was resent";
  }
}

TEST_F(ClusterAclTest, WrongPasswordIsClearAndNotEchoed) {
  ClusterOptions o = Options("limited", kWrongPassword);
  absl::StatusOr<std::unique_ptr<ClusterClient>> client =
      ClusterClient::Create(o);
  ASSERT_FALSE(client.ok());
  EXPECT_TRUE(absl::StrContains(client.status().message(), "WRONGPASS") ||
              client.status().code() == absl::StatusCode::kUnauthenticated)
      << client.status();
  EXPECT_FALSE(absl::StrContains(client.status().message(), kWrongPassword))
      << client.status();

  absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
      EventLoopThread::Start();
  ASSERT_TRUE(thread.ok()) << thread.status();
  absl::StatusOr<std::unique_ptr<AsyncClusterClient>> async_client =
      AsyncClusterClient::Create((*thread)->loop(), o);
  ASSERT_TRUE(async_client.ok()) << async_client.status();
  absl::StatusOr<std::optional<std::string>> v =
      (*async_client)->Get("lim:any").Get(kWait);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(absl::StrContains(v.status().message(), "WRONGPASS") ||
              v.status().code() == absl::StatusCode::kUnauthenticated)
      << v.status();
  EXPECT_FALSE(absl::StrContains(v.status().message(), kWrongPassword))
      << v.status();
}

TEST_F(ClusterAclTest, RequirepassDefaultUserWorksWithBothClients) {
  ClusterOptions o = Options("", kPassword);
  absl::StatusOr<std::unique_ptr<ClusterClient>> client =
      ClusterClient::Create(o);
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
      EventLoopThread::Start();
  ASSERT_TRUE(thread.ok()) << thread.status();
  absl::StatusOr<std::unique_ptr<AsyncClusterClient>> async_client =
      AsyncClusterClient::Create((*thread)->loop(), o);
  ASSERT_TRUE(async_client.ok()) << async_client.status();
  for (int slot : kSlotsAcrossPrimaries) {
    const std::string key = KeyInSlot(slot, "any:");
    ASSERT_TRUE((*client)->Set(key, "sync").ok());
    absl::StatusOr<std::optional<std::string>> v =
        (*async_client)->Get(key).Get(kWait);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->value_or(""), "sync");
  }
  // Without the password: NOAUTH, and no hang.
  ClusterOptions none = o;
  none.connection.credentials = nullptr;
  absl::StatusOr<std::unique_ptr<ClusterClient>> anonymous =
      ClusterClient::Create(none);
  ASSERT_FALSE(anonymous.ok());
  EXPECT_FALSE(absl::StrContains(anonymous.status().message(), kPassword));
}

}  // namespace
}  // namespace valkey::cluster
