// The blocking ClusterClient against a real 3-primary/3-replica cluster
// (//testing:valkey_cluster): routing of keys and hash tags, refusals and
// the opt-in split of multi-key commands, broadcasts, ForEachKey, MOVED
// during live slot moves under traffic, ASK during a migration, a failover
// under write traffic, replica reads, a transaction on one slot, and bad
// seeds. Every reply is checked.

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_cluster.h"
#include "testing/valkey_server.h"
#include "valkey/client/client.h"
#include "valkey/client/transaction.h"
#include "valkey/cluster/cluster_client.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/common/errors.h"

namespace valkey::cluster {
namespace {

using ::valkey::testing::ValkeyCluster;
using ::valkey::testing::ValkeyServer;

class ClusterClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ValkeyCluster>> cluster =
        ValkeyCluster::Start({});
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
  }

  ClusterOptions Options() const {
    ClusterOptions o;
    o.seeds = cluster_->seed_addresses();
    o.connection.connect_timeout = absl::Seconds(2);
    o.connection.socket_timeout = absl::Seconds(5);
    return o;
  }

  std::unique_ptr<ClusterClient> MakeClient(ClusterOptions options) {
    absl::StatusOr<std::unique_ptr<ClusterClient>> client =
        ClusterClient::Create(std::move(options));
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  // A plain client on node `i` (no redirects followed).
  std::unique_ptr<Client> NodeClient(int i) {
    ClientOptions o;
    o.connection.host = "127.0.0.1";
    o.connection.port = cluster_->node(i).port();
    o.connection.socket_timeout = absl::Seconds(5);
    absl::StatusOr<std::unique_ptr<Client>> c = Client::Create(o);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  // A key of `slot`'s... we need keys in a given slot: "{tag}" hashing.
  static std::string KeyInSlot(int slot, absl::string_view suffix) {
    for (int i = 0;; ++i) {
      std::string tag = absl::StrCat("t", i);
      if (KeySlot(tag) == slot) return absl::StrCat("{", tag, "}", suffix);
    }
  }

  std::unique_ptr<ValkeyCluster> cluster_;
};

TEST_F(ClusterClientTest, KeysLandOnTheirPrimaryAndReadBack) {
  auto client = MakeClient(Options());
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(client->slot_map()->CoversAllSlots());
  EXPECT_EQ(client->slot_map()->shards().size(), 3u);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(client->Set(absl::StrCat("key:", i), absl::StrCat(i)).ok());
  }
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<std::optional<std::string>> v =
        client->Get(absl::StrCat("key:", i));
    ASSERT_TRUE(v.ok()) << v.status();
    ASSERT_EQ(*v, std::optional<std::string>(absl::StrCat(i)));
  }
  // Each key is on the primary that owns its slot: a plain client there
  // reads it without a redirect.
  for (int i = 0; i < 1000; i += 37) {
    const std::string key = absl::StrCat("key:", i);
    absl::StatusOr<int> owner = cluster_->PrimaryForSlot(KeySlot(key));
    ASSERT_TRUE(owner.ok()) << owner.status();
    auto direct = NodeClient(*owner);
    absl::StatusOr<std::optional<std::string>> v = direct->Get(key);
    ASSERT_TRUE(v.ok()) << key << ": " << v.status();
    EXPECT_EQ(*v, std::optional<std::string>(absl::StrCat(i)));
  }
  // Broadcasts: DBSIZE is summed over the primaries.
  absl::StatusOr<Reply> size = client->Execute("DBSIZE");
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(size->integer(), 1000);
  absl::StatusOr<Reply> pong = client->Execute("PING");
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->str(), "PONG");
  EXPECT_EQ(client->stats().redirects, 0);
}

TEST_F(ClusterClientTest, CrossSlotIsRefusedUnlessSplitIsAllowed) {
  auto client = MakeClient(Options());
  ASSERT_NE(client, nullptr);
  // Same slot through a hash tag: one command.
  ASSERT_TRUE(client->Execute("MSET", "{u1}.a", "1", "{u1}.b", "2").ok());
  absl::StatusOr<Reply> same = client->Execute("MGET", "{u1}.a", "{u1}.b");
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ((*same)[1].str(), "2");
  // Different slots: refused before sending.
  ASSERT_NE(KeySlot("foo"), KeySlot("bar"));
  absl::StatusOr<Reply> cross = client->Execute("MGET", "foo", "bar");
  ASSERT_FALSE(cross.ok());
  EXPECT_EQ(GetErrorKind(cross.status()), ErrorKind::kCrossSlot)
      << cross.status();
  EXPECT_EQ(cross.status().code(), absl::StatusCode::kInvalidArgument);
  // Connection-state and SCAN refusals.
  EXPECT_EQ(client->Execute("SELECT", 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->Execute("SCAN", 0).status().code(),
            absl::StatusCode::kInvalidArgument);

  ClusterOptions o = Options();
  o.split_multi_key = true;
  auto split = MakeClient(o);
  ASSERT_NE(split, nullptr);
  std::vector<std::string> keys;
  for (int i = 0; i < 20; ++i) keys.push_back(absl::StrCat("split:", i));
  std::vector<std::string> vals;
  for (const std::string& k : keys) vals.push_back(absl::StrCat("v-", k));
  std::vector<CommandArg> mset = {"MSET"};
  for (size_t i = 0; i < keys.size(); ++i) {
    mset.push_back(keys[i]);
    mset.push_back(vals[i]);  // CommandArg views its bytes: keep them alive.
  }
  ASSERT_TRUE(split->ExecuteArgs(mset).ok());
  std::vector<CommandArg> mget = {"MGET"};
  for (const std::string& k : keys) mget.push_back(k);
  mget.push_back("split:missing");
  absl::StatusOr<Reply> values = split->ExecuteArgs(mget);
  ASSERT_TRUE(values.ok()) << values.status();
  ASSERT_EQ(values->size(), keys.size() + 1);
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ((*values)[i].str(), absl::StrCat("v-", keys[i]));
  }
  EXPECT_TRUE((*values)[keys.size()].is_null());
  std::vector<CommandArg> exists = {"EXISTS"};
  for (const std::string& k : keys) exists.push_back(k);
  absl::StatusOr<Reply> n = split->ExecuteArgs(exists);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->integer(), 20);
  std::vector<CommandArg> del = {"DEL"};
  for (const std::string& k : keys) del.push_back(k);
  n = split->ExecuteArgs(del);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->integer(), 20);
}

TEST_F(ClusterClientTest, ForEachKeySeesEveryKeyOnce) {
  auto client = MakeClient(Options());
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(client->Set(absl::StrCat("scan:", i), "x").ok());
  }
  ASSERT_TRUE(client->Set("other", "x").ok());
  std::multiset<std::string> seen;
  ASSERT_TRUE(client
                  ->ForEachKey("scan:*", 50,
                               [&](absl::string_view key) {
                                 seen.insert(std::string(key));
                                 return absl::OkStatus();
                               })
                  .ok());
  EXPECT_EQ(seen.size(), 500u);
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(seen.count(absl::StrCat("scan:", i)), 1u) << i;
  }
  absl::StatusOr<Reply> keys = client->Execute("KEYS", "scan:1*");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->size(), 111u);  // 1, 10-19, 100-199.
  ASSERT_TRUE(client->Execute("FLUSHALL").ok());
  EXPECT_EQ(client->Execute("DBSIZE")->integer(), 0);
}

TEST_F(ClusterClientTest, MovedDuringLiveSlotMovesUnderTraffic) {
  auto client = MakeClient(Options());
  ASSERT_NE(client, nullptr);
  // Three populated slots, one per primary, moved to the next primary.
  std::vector<int> slots;
  std::vector<std::string> keys;
  for (int p = 0; p < 3; ++p) {
    const int slot = p * 5461 + 100;
    slots.push_back(slot);
    for (int k = 0; k < 20; ++k) keys.push_back(KeyInSlot(slot, absl::StrCat(":", k)));
  }
  for (const std::string& k : keys) ASSERT_TRUE(client->Set(k, "0").ok());

  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::atomic<int> errors{0};
  absl::Mutex mu;
  std::string first_error;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; !stop.load(); ++round) {
        const std::string& key = keys[(t * 17 + round) % keys.size()];
        const std::string value = absl::StrCat(t, "-", round);
        absl::StatusOr<bool> set = client->Set(key, value);
        absl::StatusOr<std::optional<std::string>> got = client->Get(key);
        if (!set.ok() || !got.ok()) {
          ++errors;
          absl::MutexLock lock(&mu);
          if (first_error.empty()) {
            first_error = std::string(
                (!set.ok() ? set.status() : got.status()).message());
          }
        } else if (*got != std::optional<std::string>(value)) {
          // Another thread may have written the same key in between;
          // values of other threads are fine, only a missing key is not.
          if (!got->has_value()) ++wrong;
        }
      }
    });
  }
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<int> from = cluster_->PrimaryForSlot(slots[i]);
    ASSERT_TRUE(from.ok()) << from.status();
    absl::Status moved = cluster_->MoveSlot(slots[i], (*from + 1) % 3);
    ASSERT_TRUE(moved.ok()) << moved;
    absl::SleepFor(absl::Milliseconds(200));
  }
  stop = true;
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0) << first_error;
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(client->stats().redirects, 0);
  // The map learned the new owners: no redirect needed any more.
  for (const std::string& k : keys) ASSERT_TRUE(client->Get(k).ok());
  const int64_t before = client->stats().redirects;
  for (const std::string& k : keys) ASSERT_TRUE(client->Get(k).ok());
  EXPECT_EQ(client->stats().redirects, before);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<int> owner = cluster_->PrimaryForSlot(slots[i]);
    ASSERT_TRUE(owner.ok());
    EXPECT_EQ(client->slot_map()->ShardForSlot(slots[i])->primary.port,
              cluster_->node(*owner).port());
  }
}

TEST_F(ClusterClientTest, AskDuringAMigrationReachesTheImportingNode) {
  auto client = MakeClient(Options());
  ASSERT_NE(client, nullptr);
  const int slot = 42;
  absl::StatusOr<int> from = cluster_->PrimaryForSlot(slot);
  ASSERT_TRUE(from.ok()) << from.status();
  const int to = (*from + 1) % 3;
  const std::string moved_key = KeyInSlot(slot, ":moved");
  ASSERT_TRUE(client->Set(moved_key, "m").ok());
  ASSERT_TRUE(cluster_->BeginMigration(slot, *from, to).ok());
  absl::StatusOr<int> migrated = cluster_->MigrateKeys(slot, *from, to);
  ASSERT_TRUE(migrated.ok()) << migrated.status();
  EXPECT_EQ(*migrated, 1);
  // The source answers ASK for the migrated key; the client follows it.
  const int64_t before = client->stats().redirects;
  absl::StatusOr<std::optional<std::string>> v = client->Get(moved_key);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, std::optional<std::string>("m"));
  EXPECT_GT(client->stats().redirects, before);
  // A new key written mid-migration goes to the target too, and reads back.
  const std::string new_key = KeyInSlot(slot, ":new");
  ASSERT_TRUE(client->Set(new_key, "n").ok());
  EXPECT_EQ(*client->Get(new_key), std::optional<std::string>("n"));
  // ASK leaves the map alone: the slot is still the source's.
  EXPECT_EQ(client->slot_map()->ShardForSlot(slot)->primary.port,
            cluster_->node(*from).port());
  ASSERT_TRUE(cluster_->FinishMigration(slot, *from, to).ok());
  EXPECT_EQ(*client->Get(moved_key), std::optional<std::string>("m"));
  EXPECT_EQ(*client->Get(new_key), std::optional<std::string>("n"));
  EXPECT_EQ(client->slot_map()->ShardForSlot(slot)->primary.port,
            cluster_->node(to).port());
}

TEST_F(ClusterClientTest, FailoverUnderWritesLosesNoAcknowledgedWrite) {
  ClusterOptions o = Options();
  o.connection.retry.retries = 10;
  auto client = MakeClient(o);
  ASSERT_NE(client, nullptr);
  const int slot = 100;
  absl::StatusOr<int> primary = cluster_->PrimaryForSlot(slot);
  ASSERT_TRUE(primary.ok());
  absl::StatusOr<std::vector<int>> replicas = cluster_->ReplicasOf(*primary);
  ASSERT_TRUE(replicas.ok() && !replicas->empty());

  std::atomic<bool> stop{false};
  absl::Mutex mu;
  std::vector<std::string> acknowledged;
  int failed = 0;
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string key = KeyInSlot(slot, absl::StrCat(":w", i));
      absl::StatusOr<bool> set = client->Set(key, absl::StrCat(i));
      absl::MutexLock lock(&mu);
      if (set.ok()) {
        acknowledged.push_back(key);
      } else {
        ++failed;
      }
    }
  });
  absl::SleepFor(absl::Milliseconds(200));
  ASSERT_TRUE(cluster_->Failover((*replicas)[0]).ok());
  absl::SleepFor(absl::Milliseconds(500));
  stop = true;
  writer.join();
  // After the failover the client writes to the new primary.
  ASSERT_TRUE(client->Set(KeyInSlot(slot, ":after"), "a").ok());
  EXPECT_EQ(client->slot_map()->ShardForSlot(slot)->primary.port,
            cluster_->node((*replicas)[0]).port());
  absl::MutexLock lock(&mu);
  EXPECT_GT(acknowledged.size(), 10u);
  for (const std::string& key : acknowledged) {
    absl::StatusOr<std::optional<std::string>> v = client->Get(key);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_TRUE(v->has_value()) << key << " was acknowledged, then lost";
  }
  // A manual failover loses nothing and fails nothing with retries on.
  EXPECT_EQ(failed, 0);
}

// Reads counted per node (INFO commandstats' cmdstat_get calls).
int64_t GetCalls(Client& node) {
  absl::StatusOr<Reply> info = node.Execute("INFO", "commandstats");
  if (!info.ok()) return -1;
  for (absl::string_view line : absl::StrSplit(info->str(), "\r\n")) {
    if (!absl::ConsumePrefix(&line, "cmdstat_get:calls=")) continue;
    int64_t n = 0;
    if (absl::SimpleAtoi(line.substr(0, line.find(',')), &n)) return n;
  }
  return 0;
}

TEST_F(ClusterClientTest, ReplicaReadsWithPreferReplica) {
  ClusterOptions o = Options();
  o.read_from = ReadPolicy::kPreferReplica;
  auto client = MakeClient(o);
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(client->Set(absl::StrCat("r:", i), "v").ok());
  }
  ASSERT_TRUE(client->Execute("WAIT", 1, 2000).ok());
  // Valkey lists a replica in CLUSTER SLOTS only once the node answering
  // has heard (cluster bus gossip) that it replicated something (offset >
  // 0); on this fresh cluster the first map had no replica.
  auto all_have_replicas = [&] {
    for (const Shard& shard : client->slot_map()->shards()) {
      if (shard.replicas.size() != 1) return false;
    }
    return true;
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!all_have_replicas() && absl::Now() < deadline) {
    ASSERT_TRUE(client->RefreshTopology().ok());
  }
  ASSERT_TRUE(all_have_replicas()) << client->slot_map()->DebugString();
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<std::optional<std::string>> v =
        client->Get(absl::StrCat("r:", i));
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(*v, std::optional<std::string>("v"));
  }
  int64_t replica_gets = 0;
  int64_t primary_gets = 0;
  for (int i = 0; i < cluster_->size(); ++i) {
    auto node = NodeClient(i);
    const int64_t calls = GetCalls(*node);
    (i < 3 ? primary_gets : replica_gets) += calls;
  }
  EXPECT_EQ(replica_gets, 100) << "redirects " << client->stats().redirects
                               << " map " << client->slot_map()->DebugString();
  EXPECT_EQ(primary_gets, 0);
}

TEST_F(ClusterClientTest, TransactionOnOneSlotThroughClientFor) {
  auto client = MakeClient(Options());
  ASSERT_NE(client, nullptr);
  absl::StatusOr<std::unique_ptr<Client>> node = client->ClientFor("{acct}");
  ASSERT_TRUE(node.ok()) << node.status();
  ASSERT_TRUE(client->Set("{acct}.balance", "10").ok());
  const std::vector<std::string> watched = {"{acct}.balance"};
  absl::StatusOr<PipelineResults> tx = Transaction(
      **node,
      [&](TransactionContext& ctx) -> absl::Status {
        absl::StatusOr<std::optional<std::string>> b =
            ctx.Get("{acct}.balance");
        if (!b.ok()) return b.status();
        ctx.multi().Set("{acct}.balance", "20");
        ctx.multi().Set("{acct}.log", "+10");
        return absl::OkStatus();
      },
      watched);
  ASSERT_TRUE(tx.ok()) << tx.status();
  EXPECT_EQ(*client->Get("{acct}.balance"), std::optional<std::string>("20"));
  EXPECT_EQ(*client->Get("{acct}.log"), std::optional<std::string>("+10"));
}

TEST(ClusterClientSeedTest, UnreachableSeedsFailNamingEachSeed) {
  ClusterOptions o;
  o.seeds = {"127.0.0.1:1", "127.0.0.1:2"};
  o.connection.connect_timeout = absl::Seconds(1);
  absl::StatusOr<std::unique_ptr<ClusterClient>> client =
      ClusterClient::Create(o);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(client.status().message(), "127.0.0.1:1"));
  EXPECT_TRUE(absl::StrContains(client.status().message(), "127.0.0.1:2"));

  o.seeds = {"no-port"};
  EXPECT_EQ(ClusterClient::Create(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.seeds = {};
  EXPECT_EQ(ClusterClient::Create(o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ClusterClientSeedTest, ServerWithoutClusterModeIsAClearError) {
  absl::StatusOr<std::unique_ptr<ValkeyServer>> server = ValkeyServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  ClusterOptions o;
  o.seeds = {(*server)->address()};
  absl::StatusOr<std::unique_ptr<ClusterClient>> client =
      ClusterClient::Create(o);
  ASSERT_FALSE(client.ok());
  EXPECT_TRUE(absl::StrContains(client.status().message(), "cluster support"))
      << client.status();
}

}  // namespace
}  // namespace valkey::cluster
