// Numbered databases in cluster mode (ClusterOptions.connection.db).
//
// Valkey before 9.0 answers "ERR SELECT is not allowed in cluster mode" to
// any SELECT but 0: a cluster client configured with db != 0 must then
// fail at once with a status naming the database and the server's answer
// (never hang, never retry forever), and db 0 must not send SELECT at all.
// Valkey 9.0+ with `cluster-databases` > 1 accepts SELECT n on every node:
// keys written in db 1 are invisible from db 0 and routing is unchanged.
// That case runs only on a server that knows `cluster-databases` and is
// otherwise reported as a named skip.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_cluster.h"
#include "testing/valkey_cluster_test.h"
#include "valkey/async/event_loop.h"
#include "valkey/cluster/async_cluster_client.h"
#include "valkey/cluster/cluster_client.h"
#include "valkey/cluster/cluster_options.h"
#include "valkey/common/config.h"
#include "valkey/connection/connection.h"

namespace valkey::cluster {
namespace {

using ::valkey::async::EventLoopThread;
using ::valkey::testing::ValkeyCluster;

constexpr absl::Duration kWait = absl::Seconds(20);
// A generous bound on "fails at once, no retry loop": the failure needs a
// handful of round trips on loopback.
constexpr absl::Duration kFailsWithin = absl::Seconds(10);

ClusterOptions OptionsFor(const ValkeyCluster& cluster, int db) {
  ClusterOptions options;
  options.seeds = cluster.seed_addresses();
  options.connection.connect_timeout = absl::Seconds(2);
  options.connection.socket_timeout = absl::Seconds(5);
  options.connection.db = db;
  return options;
}

// A plain connection to one node (db 0), for checks behind the client.
std::unique_ptr<Connection> DirectTo(int port) {
  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  absl::StatusOr<std::shared_ptr<const Connector>> connector =
      Connector::Create(o);
  EXPECT_TRUE(connector.ok()) << connector.status();
  if (!connector.ok()) return nullptr;
  absl::StatusOr<std::unique_ptr<Connection>> c = (*connector)->Connect();
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : nullptr;
}

// "cmdstat_<command>:calls=N,..." from INFO commandstats; 0 if absent.
int64_t CommandCalls(Connection& c, absl::string_view command) {
  absl::StatusOr<Reply> info = c.Execute("INFO", "commandstats");
  EXPECT_TRUE(info.ok()) << info.status();
  if (!info.ok()) return -1;
  const std::string prefix = absl::StrCat("cmdstat_", command, ":calls=");
  for (absl::string_view line : absl::StrSplit(info->view().str(), "\r\n")) {
    if (!absl::StartsWith(line, prefix)) continue;
    line.remove_prefix(prefix.size());
    int64_t n = 0;
    EXPECT_TRUE(absl::SimpleAtoi(line.substr(0, line.find(',')), &n)) << line;
    return n;
  }
  return 0;
}

// Whether the server knows the `cluster-databases` config (Valkey 9.0+):
// CONFIG GET of an unknown name answers an empty list.
bool SupportsClusterDatabases(int port) {
  std::unique_ptr<Connection> c = DirectTo(port);
  if (c == nullptr) return false;
  absl::StatusOr<Reply> r = c->Execute("CONFIG", "GET", "cluster-databases");
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() && r->view().size() > 0;
}

void ExpectNamesDbAndServerAnswer(const absl::Status& status, int db) {
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), absl::StrCat("db ", db)))
      << status;
  EXPECT_TRUE(absl::StrContains(status.message(),
                                "SELECT is not allowed in cluster mode"))
      << status;
}

class ClusterDatabaseTest
    : public valkey::testing::ValkeyClusterTest<ClusterDatabaseTest> {
 protected:
};

TEST_F(ClusterDatabaseTest, SyncCreateWithDbFailsNamingDbAndServerAnswer) {
  if (SupportsClusterDatabases(cluster_->node(0).port())) {
    GTEST_SKIP() << "this valkey-server supports cluster databases; the "
                    "refusal is for servers before 9.0";
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<ClusterClient>> client =
      ClusterClient::Create(OptionsFor(*cluster_, 1));
  EXPECT_LT(absl::Now() - start, kFailsWithin);
  ASSERT_FALSE(client.ok());
  ExpectNamesDbAndServerAnswer(client.status(), 1);
}

TEST_F(ClusterDatabaseTest, AsyncFirstCommandWithDbFailsNamingDbAndAnswer) {
  if (SupportsClusterDatabases(cluster_->node(0).port())) {
    GTEST_SKIP() << "this valkey-server supports cluster databases; the "
                    "refusal is for servers before 9.0";
  }
  absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
      EventLoopThread::Start();
  ASSERT_TRUE(thread.ok()) << thread.status();
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<AsyncClusterClient>> client =
      AsyncClusterClient::Create((*thread)->loop(), OptionsFor(*cluster_, 2));
  if (!client.ok()) {
    ExpectNamesDbAndServerAnswer(client.status(), 2);
    return;
  }
  absl::StatusOr<std::optional<std::string>> v =
      (*client)->Get("some-key").Get(kWait);
  EXPECT_LT(absl::Now() - start, kFailsWithin);
  ASSERT_FALSE(v.ok());
  ExpectNamesDbAndServerAnswer(v.status(), 2);
}

TEST_F(ClusterDatabaseTest, DbZeroSendsNoSelect) {
  std::vector<std::unique_ptr<Connection>> nodes;
  for (int i = 0; i < cluster_->size(); ++i) {
    nodes.push_back(DirectTo(cluster_->node(i).port()));
    ASSERT_NE(nodes.back(), nullptr);
    ASSERT_TRUE(nodes.back()->Execute("CONFIG", "RESETSTAT").ok());
  }
  {
    absl::StatusOr<std::unique_ptr<ClusterClient>> client =
        ClusterClient::Create(OptionsFor(*cluster_, 0));
    ASSERT_TRUE(client.ok()) << client.status();
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE((*client)->Set(absl::StrCat("k", i), "v").ok());
    }
  }
  {
    absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
        EventLoopThread::Start();
    ASSERT_TRUE(thread.ok()) << thread.status();
    absl::StatusOr<std::unique_ptr<AsyncClusterClient>> client =
        AsyncClusterClient::Create((*thread)->loop(), OptionsFor(*cluster_, 0));
    ASSERT_TRUE(client.ok()) << client.status();
    for (int i = 0; i < 30; ++i) {
      absl::StatusOr<bool> set =
          (*client)->Set(absl::StrCat("k", i), "v").Get(kWait);
      ASSERT_TRUE(set.ok()) << set.status();
    }
  }
  // Only primaries: a replica counts the SELECT its primary's replication
  // stream carries, and the SETs replicated with it.
  int64_t sets = 0;
  for (int i = 0; i < cluster_->size(); ++i) {
    absl::StatusOr<Reply> role = nodes[i]->Execute("ROLE");
    ASSERT_TRUE(role.ok()) << role.status();
    if (role->view().size() == 0 || role->view()[0].str() != "master") continue;
    EXPECT_EQ(CommandCalls(*nodes[i], "select"), 0) << "node " << i;
    sets += CommandCalls(*nodes[i], "set");
  }
  EXPECT_EQ(sets, 60);  // The clients did reach the nodes.
}

// Valkey 9.0+: `cluster-databases 16` on every node; db 1 is a separate
// keyspace on every shard and keys still route by slot.
TEST_F(ClusterDatabaseTest, Valkey9KeysInDbOneAreInvisibleFromDbZero) {
  if (!SupportsClusterDatabases(cluster_->node(0).port())) {
    GTEST_SKIP() << "valkey-server 8.0.1 has no cluster-databases "
                    "(Valkey 9.0+)";
  }
  ValkeyCluster::Options o;
  o.extra_config = {"cluster-databases 16"};
  absl::StatusOr<std::unique_ptr<ValkeyCluster>> cluster =
      ValkeyCluster::Start(o);
  ASSERT_TRUE(cluster.ok()) << cluster.status();

  absl::StatusOr<std::unique_ptr<ClusterClient>> db1 =
      ClusterClient::Create(OptionsFor(**cluster, 1));
  ASSERT_TRUE(db1.ok()) << db1.status();
  absl::StatusOr<std::unique_ptr<ClusterClient>> db0 =
      ClusterClient::Create(OptionsFor(**cluster, 0));
  ASSERT_TRUE(db0.ok()) << db0.status();
  constexpr int kKeys = 60;
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE((*db1)->Set(absl::StrCat("db1:", i), "one").ok());
  }
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = absl::StrCat("db1:", i);
    absl::StatusOr<std::optional<std::string>> in1 = (*db1)->Get(key);
    ASSERT_TRUE(in1.ok()) << in1.status();
    EXPECT_EQ(in1->value_or("<nil>"), "one") << key;
    absl::StatusOr<std::optional<std::string>> in0 = (*db0)->Get(key);
    ASSERT_TRUE(in0.ok()) << in0.status();
    EXPECT_FALSE(in0->has_value()) << key;
  }

  absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
      EventLoopThread::Start();
  ASSERT_TRUE(thread.ok()) << thread.status();
  absl::StatusOr<std::unique_ptr<AsyncClusterClient>> async1 =
      AsyncClusterClient::Create((*thread)->loop(), OptionsFor(**cluster, 1));
  ASSERT_TRUE(async1.ok()) << async1.status();
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = absl::StrCat("db1:", i);
    absl::StatusOr<std::optional<std::string>> v =
        (*async1)->Get(key).Get(kWait);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->value_or("<nil>"), "one") << key;
  }
}

}  // namespace
}  // namespace valkey::cluster
