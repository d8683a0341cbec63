// AsyncClusterClient against a real 3-primary / 3-replica cluster
// (//testing:valkey_cluster). One cluster is shared by the tests that leave
// it as they found it (slot moves included: the cluster stays healthy);
// the failover test, which changes roles, gets its own.

#include "valkey/cluster/async_cluster_client.h"

#include <atomic>
#include <iostream>
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
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_cluster.h"
#include "testing/valkey_cluster_test.h"
#include "testing/valkey_server.h"
#include "valkey/async/connection.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/cluster/async_cluster_pipeline.h"
#include "valkey/common/errors.h"

namespace valkey::cluster {
namespace {

using ::valkey::async::Connection;
using ::valkey::async::EventLoopThread;
using ::valkey::testing::ValkeyCluster;

constexpr absl::Duration kWait = absl::Seconds(20);

std::unique_ptr<ValkeyCluster> MustStartCluster() {
  absl::StatusOr<std::unique_ptr<ValkeyCluster>> cluster =
      ValkeyCluster::Start({});
  if (!cluster.ok()) {
    ADD_FAILURE() << "cluster did not start: " << cluster.status();
    return nullptr;
  }
  return *std::move(cluster);
}

ClusterOptions OptionsFor(const ValkeyCluster& cluster) {
  ClusterOptions options;
  options.seeds = cluster.seed_addresses();
  options.connection.connect_timeout = absl::Seconds(2);
  options.connection.socket_timeout = absl::Seconds(5);
  return options;
}

// A plain connection to one node, for checking where things landed.
std::unique_ptr<Connection> DirectTo(async::EventLoop& loop, int port) {
  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  absl::StatusOr<Connection> c = Connection::Create(loop, o);
  EXPECT_TRUE(c.ok()) << c.status();
  return std::make_unique<Connection>(*std::move(c));
}

// "cmdstat_<command>:calls=N,..." from INFO commandstats; 0 if absent.
int64_t CommandCalls(Connection& c, absl::string_view command) {
  absl::StatusOr<Reply> info = c.Execute("INFO", "commandstats").Get(kWait);
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

class AsyncClusterClientTest
    : public valkey::testing::ValkeyClusterTest<AsyncClusterClientTest> {
 protected:
  void SetUp() override {
    ValkeyClusterTest::SetUp();
    if (HasFatalFailure()) return;
    absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
        EventLoopThread::Start();
    ASSERT_TRUE(thread.ok()) << thread.status();
    thread_ = *std::move(thread);
  }

  std::unique_ptr<AsyncClusterClient> MustCreate(ClusterOptions options) {
    absl::StatusOr<std::unique_ptr<AsyncClusterClient>> client =
        AsyncClusterClient::Create(thread_->loop(), std::move(options));
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  // The fixture's node whose port is the slot's primary in the client's map.
  int ClientOwnerOf(const AsyncClusterClient& client, int slot) {
    const Shard* shard = client.slot_map()->ShardForSlot(slot);
    return shard == nullptr ? -1 : cluster_->IndexOfPort(shard->primary.port);
  }

  std::unique_ptr<EventLoopThread> thread_;
};

TEST_F(AsyncClusterClientTest, RoutesKeysToTheirPrimaries) {
  auto client = MustCreate(OptionsFor(*cluster_));
  ASSERT_NE(client, nullptr);
  // A broadcast: FLUSHALL on every primary.
  absl::StatusOr<Reply> flushed = client->Execute("FLUSHALL").Get(kWait);
  ASSERT_TRUE(flushed.ok()) << flushed.status();

  constexpr int kKeys = 1000;
  std::vector<async::Future<bool>> sets;
  for (int i = 0; i < kKeys; ++i) {
    sets.push_back(client->Set(absl::StrCat("key:", i), absl::StrCat("v", i)));
  }
  for (int i = 0; i < kKeys; ++i) {
    absl::StatusOr<bool> ok = sets[i].Get(kWait);
    ASSERT_TRUE(ok.ok()) << i << ": " << ok.status();
    EXPECT_TRUE(*ok) << i;
  }
  std::vector<async::Future<std::optional<std::string>>> gets;
  for (int i = 0; i < kKeys; ++i) {
    gets.push_back(client->Get(absl::StrCat("key:", i)));
  }
  for (int i = 0; i < kKeys; ++i) {
    absl::StatusOr<std::optional<std::string>> v = gets[i].Get(kWait);
    ASSERT_TRUE(v.ok()) << i << ": " << v.status();
    EXPECT_EQ(*v, std::optional<std::string>(absl::StrCat("v", i))) << i;
  }
  // The keys spread over every slot range, so every primary got some.
  std::vector<std::unique_ptr<Connection>> primaries;
  for (int p = 0; p < 3; ++p) {
    primaries.push_back(DirectTo(thread_->loop(), cluster_->node(p).port()));
  }
  // Each key sits on exactly the node the server says owns its slot: that
  // node answers with the value, every other primary with MOVED to it.
  for (int i = 0; i < kKeys; i += 7) {
    const std::string key = absl::StrCat("key:", i);
    absl::StatusOr<int> owner =
        cluster_->PrimaryForSlot(ValkeyCluster::KeySlot(key));
    ASSERT_TRUE(owner.ok()) << owner.status();
    EXPECT_EQ(ClientOwnerOf(*client, ValkeyCluster::KeySlot(key)), *owner);
    for (int p = 0; p < 3; ++p) {
      absl::StatusOr<Reply> r = primaries[p]->Execute("GET", key).Get(kWait);
      if (p == *owner) {
        ASSERT_TRUE(r.ok()) << key << " on node " << p << ": " << r.status();
        EXPECT_EQ(r->view().str(), absl::StrCat("v", i));
      } else {
        EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kMoved)
            << key << " on node " << p << ": " << r.status();
      }
    }
  }
  int64_t total = 0;
  for (int p = 0; p < 3; ++p) {
    absl::StatusOr<Reply> n = primaries[p]->Execute("DBSIZE").Get(kWait);
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_GT(n->view().integer(), 200) << "node " << p;
    total += n->view().integer();
  }
  EXPECT_EQ(total, kKeys);

  // Hash tags: one slot, so MGET works.
  ASSERT_TRUE(client->Set("{user1}.a", "A").Get(kWait).ok());
  ASSERT_TRUE(client->Set("{user1}.b", "B").Get(kWait).ok());
  const std::vector<std::string> same_slot = {"{user1}.a", "{user1}.b",
                                              "{user1}.none"};
  absl::StatusOr<std::vector<std::optional<std::string>>> mget =
      client->MGet(same_slot).Get(kWait);
  ASSERT_TRUE(mget.ok()) << mget.status();
  EXPECT_EQ(*mget,
            (std::vector<std::optional<std::string>>{"A", "B", std::nullopt}));

  // Cross-slot MGET: refused before anything is sent (the future is
  // already resolved when MGet returns).
  const std::vector<std::string> cross = {"key:1", "key:2"};
  ASSERT_NE(ValkeyCluster::KeySlot("key:1"), ValkeyCluster::KeySlot("key:2"));
  async::Future<std::vector<std::optional<std::string>>> refused =
      client->MGet(cross);
  EXPECT_TRUE(refused.ready());
  absl::StatusOr<std::vector<std::optional<std::string>>> r =
      refused.Get(kWait);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kCrossSlot) << r.status();

  // DBSIZE: summed over the primaries.
  absl::StatusOr<int64_t> dbsize = client->DbSize().Get(kWait);
  ASSERT_TRUE(dbsize.ok()) << dbsize.status();
  EXPECT_EQ(*dbsize, kKeys + 2);

  absl::StatusOr<std::string> pong = client->Ping().Get(kWait);
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(*pong, "PONG");
  EXPECT_EQ(client->redirects(), 0);
  EXPECT_GE(client->topology_refreshes(), 1);
}

TEST_F(AsyncClusterClientTest, FollowsMovedUnderTraffic) {
  auto client = MustCreate(OptionsFor(*cluster_));
  ASSERT_NE(client, nullptr);
  // Four slots, each populated by 20 keys sharing a hash tag.
  constexpr int kSlots = 4;
  constexpr int kKeysPerSlot = 20;
  std::vector<std::string> keys;
  std::vector<int> slots;
  for (int s = 0; s < kSlots; ++s) {
    const std::string tag = absl::StrCat("{moving", s, "}");
    slots.push_back(ValkeyCluster::KeySlot(tag));
    for (int k = 0; k < kKeysPerSlot; ++k) {
      keys.push_back(absl::StrCat(tag, ":", k));
      ASSERT_TRUE(client->Set(keys.back(), "0").Get(kWait).ok());
    }
  }

  // Writers: each owns a share of the keys and checks every read.
  constexpr int kWriters = 4;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> ops{0};
  std::atomic<int64_t> wrong{0};
  absl::Mutex mu;
  std::vector<std::string> errors;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int round = 1; !stop.load(); ++round) {
        const std::string value = absl::StrCat(round);
        std::vector<async::Future<bool>> sets;
        for (size_t i = w; i < keys.size(); i += kWriters) {
          sets.push_back(client->Set(keys[i], value));
        }
        for (auto& f : sets) {
          absl::StatusOr<bool> ok = f.Get(kWait);
          if (!ok.ok()) {
            absl::MutexLock lock(&mu);
            errors.push_back(ok.status().ToString());
          }
        }
        std::vector<async::Future<std::optional<std::string>>> gets;
        for (size_t i = w; i < keys.size(); i += kWriters) {
          gets.push_back(client->Get(keys[i]));
        }
        for (auto& f : gets) {
          absl::StatusOr<std::optional<std::string>> v = f.Get(kWait);
          ops.fetch_add(1);
          if (!v.ok()) {
            absl::MutexLock lock(&mu);
            errors.push_back(v.status().ToString());
          } else if (*v != std::optional<std::string>(value)) {
            wrong.fetch_add(1);
          }
        }
      }
    });
  }
  std::vector<int> new_owner;
  for (int s = 0; s < kSlots; ++s) {
    absl::StatusOr<int> owner = cluster_->PrimaryForSlot(slots[s]);
    ASSERT_TRUE(owner.ok()) << owner.status();
    new_owner.push_back((*owner + 1) % 3);
    absl::Status moved = cluster_->MoveSlot(slots[s], new_owner.back());
    ASSERT_TRUE(moved.ok()) << moved;
    absl::SleepFor(absl::Milliseconds(50));
  }
  absl::SleepFor(absl::Milliseconds(200));
  stop.store(true);
  for (auto& t : writers) t.join();

  EXPECT_GT(ops.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  {
    absl::MutexLock lock(&mu);
    EXPECT_TRUE(errors.empty())
        << errors.size() << " errors, first: " << errors.front();
  }
  EXPECT_GT(client->redirects(), 0);
  std::cerr << "moved: " << ops.load() << " checked reads, "
            << client->redirects() << " redirects, "
            << client->topology_refreshes() << " refreshes\n";
  // The map learned every new owner: no more redirects.
  for (int s = 0; s < kSlots; ++s) {
    EXPECT_EQ(ClientOwnerOf(*client, slots[s]), new_owner[s]) << s;
  }
  const int64_t before = client->redirects();
  for (const std::string& key : keys) {
    absl::StatusOr<std::optional<std::string>> v = client->Get(key).Get(kWait);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_TRUE(v->has_value());
  }
  EXPECT_EQ(client->redirects(), before);
}

TEST_F(AsyncClusterClientTest, FollowsAskDuringMigration) {
  auto client = MustCreate(OptionsFor(*cluster_));
  ASSERT_NE(client, nullptr);
  const std::string tag = "{asking}";
  const int slot = ValkeyCluster::KeySlot(tag);
  constexpr int kKeys = 10;
  for (int k = 0; k < kKeys; ++k) {
    ASSERT_TRUE(client->Set(absl::StrCat(tag, k), absl::StrCat("v", k))
                    .Get(kWait)
                    .ok());
  }
  absl::StatusOr<int> from = cluster_->PrimaryForSlot(slot);
  ASSERT_TRUE(from.ok()) << from.status();
  const int to = (*from + 1) % 3;
  ASSERT_TRUE(cluster_->BeginMigration(slot, *from, to).ok());
  // Migrate the first half by hand; the rest stays on the source.
  auto source = DirectTo(thread_->loop(), cluster_->node(*from).port());
  std::vector<std::string> migrate = {
      "MIGRATE", "127.0.0.1", absl::StrCat(cluster_->node(to).port()), "", "0",
      "5000",    "KEYS"};
  for (int k = 0; k < kKeys / 2; ++k) migrate.push_back(absl::StrCat(tag, k));
  std::vector<CommandArg> argv(migrate.begin(), migrate.end());
  absl::StatusOr<Reply> migrated = source->ExecuteArgs(argv).Get(kWait);
  ASSERT_TRUE(migrated.ok()) << migrated.status();

  const int64_t before = client->redirects();
  for (int k = 0; k < kKeys; ++k) {
    absl::StatusOr<std::optional<std::string>> v =
        client->Get(absl::StrCat(tag, k)).Get(kWait);
    ASSERT_TRUE(v.ok()) << k << ": " << v.status();
    EXPECT_EQ(*v, std::optional<std::string>(absl::StrCat("v", k))) << k;
  }
  // One ASK per migrated key; the map still says the source.
  EXPECT_EQ(client->redirects() - before, kKeys / 2);
  EXPECT_EQ(ClientOwnerOf(*client, slot), *from);

  absl::StatusOr<int> rest = cluster_->MigrateKeys(slot, *from, to);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(*rest, kKeys - kKeys / 2);
  ASSERT_TRUE(cluster_->FinishMigration(slot, *from, to).ok());
  for (int k = 0; k < kKeys; ++k) {
    absl::StatusOr<std::optional<std::string>> v =
        client->Get(absl::StrCat(tag, k)).Get(kWait);
    ASSERT_TRUE(v.ok()) << k << ": " << v.status();
    EXPECT_EQ(*v, std::optional<std::string>(absl::StrCat("v", k))) << k;
  }
  EXPECT_EQ(ClientOwnerOf(*client, slot), to);
}

TEST_F(AsyncClusterClientTest, SplitsMultiKeyCommandsAcrossSlots) {
  ClusterOptions options = OptionsFor(*cluster_);
  auto refusing = MustCreate(options);
  ASSERT_NE(refusing, nullptr);
  options.split_multi_key = true;
  auto client = MustCreate(options);
  ASSERT_NE(client, nullptr);
  // Without the option: refused, nothing sent.
  absl::StatusOr<Reply> refused =
      refusing->Execute("MGET", "split:a", "split:b").Get(kWait);
  EXPECT_EQ(GetErrorKind(refused.status()), ErrorKind::kCrossSlot)
      << refused.status();

  constexpr int kKeys = 50;  // Over all three primaries.
  std::vector<std::string> mset = {"MSET"};
  std::vector<std::string> mget = {"MGET"};
  for (int i = 0; i < kKeys; ++i) {
    mset.push_back(absl::StrCat("split:", i));
    mset.push_back(absl::StrCat("v", i));
    mget.push_back(absl::StrCat("split:", i));
  }
  mget.push_back("split:missing");
  mget.push_back("split:7");  // Repeated.
  std::vector<CommandArg> mset_args(mset.begin(), mset.end());
  absl::StatusOr<Reply> ok = client->ExecuteArgs(mset_args).Get(kWait);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->str(), "OK");

  std::vector<CommandArg> mget_args(mget.begin(), mget.end());
  absl::StatusOr<Reply> values = client->ExecuteArgs(mget_args).Get(kWait);
  ASSERT_TRUE(values.ok()) << values.status();
  ASSERT_EQ(values->size(), static_cast<size_t>(kKeys + 2));
  for (int i = 0; i < kKeys; ++i) {
    EXPECT_EQ((*values)[i].str(), absl::StrCat("v", i)) << i;
  }
  EXPECT_TRUE((*values)[kKeys].is_null());
  EXPECT_EQ((*values)[kKeys + 1].str(), "v7");

  absl::StatusOr<Reply> exists =
      client
          ->Execute("EXISTS", "split:1", "split:2", "split:missing", "split:1")
          .Get(kWait);
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_EQ(exists->integer(), 3);
  absl::StatusOr<Reply> deleted =
      client->Execute("DEL", "split:1", "split:2", "split:3", "split:missing")
          .Get(kWait);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->integer(), 3);
  exists =
      client->Execute("EXISTS", "split:1", "split:2", "split:4").Get(kWait);
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_EQ(exists->integer(), 1);
}

TEST_F(AsyncClusterClientTest, SplitFollowsAskDuringMigration) {
  ClusterOptions options = OptionsFor(*cluster_);
  options.split_multi_key = true;
  auto client = MustCreate(options);
  ASSERT_NE(client, nullptr);
  // {splitmig}m will be migrated; the other keys live elsewhere.
  const std::string moving = "{splitmig}m";
  const int slot = ValkeyCluster::KeySlot("splitmig");
  ASSERT_TRUE(client
                  ->Execute("MSET", moving, "m", "splitask:1", "one",
                            "splitask:2", "two")
                  .Get(kWait)
                  .ok());
  absl::StatusOr<int> from = cluster_->PrimaryForSlot(slot);
  ASSERT_TRUE(from.ok()) << from.status();
  const int to = (*from + 1) % 3;
  ASSERT_TRUE(cluster_->BeginMigration(slot, *from, to).ok());
  absl::StatusOr<int> moved = cluster_->MigrateKeys(slot, *from, to);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, 1);

  const int64_t before = client->redirects();
  absl::StatusOr<Reply> values =
      client->Execute("MGET", "splitask:1", moving, "splitask:2").Get(kWait);
  ASSERT_TRUE(values.ok()) << values.status();
  ASSERT_EQ(values->size(), 3u);
  EXPECT_EQ((*values)[0].str(), "one");
  EXPECT_EQ((*values)[1].str(), "m");
  EXPECT_EQ((*values)[2].str(), "two");
  EXPECT_GE(client->redirects() - before, 1);  // The ASK.
  absl::StatusOr<Reply> exists =
      client->Execute("EXISTS", moving, "splitask:1").Get(kWait);
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_EQ(exists->integer(), 2);

  ASSERT_TRUE(cluster_->FinishMigration(slot, *from, to).ok());
  absl::StatusOr<Reply> deleted =
      client->Execute("DEL", moving, "splitask:1", "splitask:2").Get(kWait);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->integer(), 3);
}

// TRYAGAIN (a multi-key command whose keys are split by a migration) is
// resent after growing delays, within the redirect budget and the
// command's deadline (socket_timeout x (max_redirects + 1)).
TEST_F(AsyncClusterClientTest, TryAgainBoundedByRedirectsAndDeadline) {
  auto client = MustCreate(OptionsFor(*cluster_));
  ASSERT_NE(client, nullptr);
  ClusterOptions short_options = OptionsFor(*cluster_);
  short_options.connection.socket_timeout = absl::Milliseconds(100);
  auto hurried = MustCreate(std::move(short_options));
  ASSERT_NE(hurried, nullptr);
  const std::vector<std::string> keys = {"{split}a", "{split}b"};
  const int slot = ValkeyCluster::KeySlot(keys[0]);
  for (const std::string& k : keys) {
    ASSERT_TRUE(client->Set(k, k).Get(kWait).ok());
  }
  ASSERT_TRUE(hurried->Ping().Get(kWait).ok());  // Has its map.
  absl::StatusOr<int> from = cluster_->PrimaryForSlot(slot);
  ASSERT_TRUE(from.ok()) << from.status();
  const int to = (*from + 1) % 3;
  ASSERT_TRUE(cluster_->BeginMigration(slot, *from, to).ok());
  auto source = DirectTo(thread_->loop(), cluster_->node(*from).port());
  absl::StatusOr<Reply> migrated =
      source
          ->Execute("MIGRATE", "127.0.0.1",
                    absl::StrCat(cluster_->node(to).port()), keys[0], "0",
                    "5000")
          .Get(kWait);
  ASSERT_TRUE(migrated.ok()) << migrated.status();

  // Default deadline (5 s x 6): the 5 redirects run out first, after
  // 50 + 100 + 200 + 400 + 500 ms of delays.
  absl::Time start = absl::Now();
  auto r = client->MGet(keys).Get(kWait);
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kTryAgain) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "gave up after 5"))
      << r.status();
  EXPECT_GE(took, absl::Milliseconds(1200));
  EXPECT_LT(took, absl::Seconds(4));

  // socket_timeout 100 ms: the deadline is 600 ms, so the resend due after
  // 50 + 100 + 200 + 400 ms is not made.
  start = absl::Now();
  r = hurried->MGet(keys).Get(kWait);
  took = absl::Now() - start;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded)
      << r.status();
  EXPECT_TRUE(IsTimeout(r.status())) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "TRYAGAIN"))
      << r.status();
  EXPECT_LT(took, absl::Milliseconds(600));

  absl::StatusOr<int> rest = cluster_->MigrateKeys(slot, *from, to);
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_TRUE(cluster_->FinishMigration(slot, *from, to).ok());
  auto values = client->MGet(keys).Get(kWait);
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(*values,
            (std::vector<std::optional<std::string>>{keys[0], keys[1]}));
}

TEST_F(AsyncClusterClientTest, ReadsFromReplicasWritesToPrimaries) {
  ClusterOptions options = OptionsFor(*cluster_);
  options.read_from = ReadPolicy::kPreferReplica;
  auto client = MustCreate(std::move(options));
  ASSERT_NE(client, nullptr);
  std::vector<std::unique_ptr<Connection>> replicas;
  int64_t gets_before = 0;
  for (int r = 3; r < 6; ++r) {
    replicas.push_back(DirectTo(thread_->loop(), cluster_->node(r).port()));
    gets_before += CommandCalls(*replicas.back(), "get");
  }
  constexpr int kKeys = 100;
  for (int i = 0; i < kKeys; ++i) {
    absl::StatusOr<bool> ok =
        client->Set(absl::StrCat("replicated:", i), absl::StrCat(i)).Get(kWait);
    ASSERT_TRUE(ok.ok()) << ok.status();
  }
  // Writes went straight to primaries (a replica would have said MOVED).
  EXPECT_EQ(client->redirects(), 0);
  // Every primary's writes reached its replica.
  absl::StatusOr<Reply> waited =
      client->Execute("WAIT", "1", "5000").Get(kWait);
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(waited->view().integer(), 1);
  for (int i = 0; i < kKeys; ++i) {
    absl::StatusOr<std::optional<std::string>> v =
        client->Get(absl::StrCat("replicated:", i)).Get(kWait);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(*v, std::optional<std::string>(absl::StrCat(i)));
  }
  EXPECT_EQ(client->redirects(), 0);
  int64_t gets_after = 0;
  for (auto& r : replicas) gets_after += CommandCalls(*r, "get");
  EXPECT_GE(gets_after - gets_before, kKeys);
}

TEST_F(AsyncClusterClientTest, BlockingCommandOnItsOwnConnection) {
  auto client = MustCreate(OptionsFor(*cluster_));
  ASSERT_NE(client, nullptr);
  const std::vector<std::string> list = {"{blocking}list"};
  auto popped = client->BLPop(list, absl::Seconds(10));
  // The shared connection is not held up by the waiting BLPOP.
  absl::SleepFor(absl::Milliseconds(100));
  absl::StatusOr<std::string> pong = client->Ping().Get(kWait);
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_FALSE(popped.ready());
  const std::vector<std::string> elements = {"x"};
  absl::StatusOr<int64_t> pushed = client->RPush(list[0], elements).Get(kWait);
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  auto v = popped.Get(kWait);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(v->has_value());
  EXPECT_EQ((*v)->key, list[0]);
  EXPECT_EQ((*v)->value, "x");
}

TEST_F(AsyncClusterClientTest, PipelineResolvesEachCommandWithItsOwnReply) {
  auto client = MustCreate(OptionsFor(*cluster_));
  ASSERT_NE(client, nullptr);
  constexpr int kKeys = 300;
  AsyncClusterPipeline pipe(*client);
  std::vector<async::Future<bool>> sets;
  std::vector<async::Future<std::optional<std::string>>> gets;
  std::set<int> owners;
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = absl::StrCat("apipe:", i);
    absl::StatusOr<int> owner =
        cluster_->PrimaryForSlot(ValkeyCluster::KeySlot(key));
    ASSERT_TRUE(owner.ok()) << owner.status();
    owners.insert(*owner);
    sets.push_back(pipe.Set(key, absl::StrCat("v", i)));
  }
  EXPECT_EQ(owners.size(), 3u);
  for (int i = 0; i < kKeys; ++i) {
    gets.push_back(pipe.Get(absl::StrCat("apipe:", i)));
  }
  async::Future<Reply> pong = pipe.Command("PING");
  async::Future<int64_t> dbsize = pipe.DbSize();  // A broadcast, summed.
  // Refused while queuing: resolved at once, nothing queued.
  async::Future<bool> bad =
      pipe.Set("apipe:bad", "x", {.ttl = absl::Seconds(-1)});
  EXPECT_TRUE(bad.ready());
  const std::vector<std::string> cross = {"apipe:1", "apipe:2"};
  async::Future<std::vector<std::optional<std::string>>> refused =
      pipe.MGet(cross);
  EXPECT_EQ(pipe.size(), 2u * kKeys + 3);  // MGET refused at Send().
  // Nothing goes before Send().
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(sets[0].ready());
  EXPECT_FALSE(pong.ready());
  pipe.Send();
  EXPECT_EQ(pipe.size(), 0u);
  for (int i = 0; i < kKeys; ++i) {
    absl::StatusOr<bool> ok = sets[i].Get(kWait);
    ASSERT_TRUE(ok.ok()) << i << ": " << ok.status();
    EXPECT_TRUE(*ok);
    absl::StatusOr<std::optional<std::string>> v = gets[i].Get(kWait);
    ASSERT_TRUE(v.ok()) << i << ": " << v.status();
    EXPECT_EQ(*v, std::optional<std::string>(absl::StrCat("v", i))) << i;
  }
  absl::StatusOr<Reply> p = pong.Get(kWait);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->view().str(), "PONG");
  absl::StatusOr<int64_t> n = dbsize.Get(kWait);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_GE(*n, kKeys);
  EXPECT_EQ(bad.Get(kWait).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorKind(refused.Get(kWait).status()), ErrorKind::kCrossSlot)
      << refused.Get(kWait).status();

  // A pipeline dropped unsent fails its futures with CANCELLED and sends
  // nothing.
  async::Future<int64_t> never;
  {
    AsyncClusterPipeline dropped(*client);
    never = dropped.Incr("apipe:never");
  }
  EXPECT_EQ(never.Get(kWait).status().code(), absl::StatusCode::kCancelled);
  absl::StatusOr<std::optional<std::string>> absent =
      client->Get("apipe:never").Get(kWait);
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->has_value());

  // Sent after Close(): every future fails with UNAVAILABLE.
  AsyncClusterPipeline late(*client);
  async::Future<bool> late_set = late.Set("apipe:late", "x");
  client->Close();
  late.Send();
  EXPECT_EQ(late_set.Get(kWait).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(AsyncClusterClientTest, CloseFailsPendingCommands) {
  auto client = MustCreate(OptionsFor(*cluster_));
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Ping().Get(kWait).ok());
  const std::vector<std::string> list = {"{closing}list"};
  auto blocked = client->BLPop(list, absl::Seconds(30));
  absl::SleepFor(absl::Milliseconds(100));
  const absl::Time start = absl::Now();
  client->Close();
  auto v = blocked.Get(kWait);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnavailable) << v.status();
  absl::StatusOr<std::optional<std::string>> after =
      client->Get("x").Get(kWait);
  EXPECT_EQ(after.status().code(), absl::StatusCode::kUnavailable);

  // Destruction with commands in flight, from the loop's thread.
  auto other = MustCreate(OptionsFor(*cluster_));
  ASSERT_NE(other, nullptr);
  std::vector<async::Future<std::optional<std::string>>> gets;
  for (int i = 0; i < 100; ++i) gets.push_back(other->Get("k"));
  absl::Notification destroyed;
  thread_->loop().Post([&] {
    other.reset();
    destroyed.Notify();
  });
  ASSERT_TRUE(destroyed.WaitForNotificationWithTimeout(kWait));
  for (auto& f : gets) {
    absl::StatusOr<std::optional<std::string>> g = f.Get(kWait);
    EXPECT_TRUE(g.ok() || g.status().code() == absl::StatusCode::kUnavailable)
        << g.status();
  }
}

TEST(AsyncClusterClientFailoverTest, WritesSurviveFailover) {
  std::unique_ptr<ValkeyCluster> cluster = MustStartCluster();
  ASSERT_NE(cluster, nullptr);
  auto thread = EventLoopThread::Start();
  ASSERT_TRUE(thread.ok());
  ClusterOptions options = OptionsFor(*cluster);
  auto client = AsyncClusterClient::Create((*thread)->loop(), options);
  ASSERT_TRUE(client.ok()) << client.status();

  constexpr int kWriters = 4;
  std::atomic<bool> stop{false};
  absl::Mutex mu;
  std::vector<std::string> acked;
  int64_t failed = 0;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int n = 0; !stop.load(); ++n) {
        const std::string key = absl::StrCat("failover:", w, ":", n);
        absl::StatusOr<bool> ok = (*client)->Set(key, key).Get(kWait);
        absl::MutexLock lock(&mu);
        if (ok.ok() && *ok) {
          acked.push_back(key);
        } else {
          ++failed;  // Failed with a status: allowed.
        }
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(200));
  // Node 3 replicates node 0.
  absl::Status failover = cluster->Failover(3);
  absl::SleepFor(absl::Milliseconds(500));
  stop.store(true);
  for (auto& t : writers) t.join();
  ASSERT_TRUE(failover.ok()) << failover;

  absl::MutexLock lock(&mu);
  EXPECT_GT(acked.size(), 100u);
  for (const std::string& key : acked) {
    absl::StatusOr<std::optional<std::string>> v =
        (*client)->Get(key).Get(kWait);
    ASSERT_TRUE(v.ok()) << key << ": " << v.status();
    EXPECT_EQ(*v, std::optional<std::string>(key)) << "lost write " << key;
  }
  // Node 3 is now a primary, and the client writes there directly.
  const int slot = 0;  // Node 0's range starts at slot 0.
  absl::StatusOr<int> owner = cluster->PrimaryForSlot(slot);
  ASSERT_TRUE(owner.ok()) << owner.status();
  EXPECT_EQ(*owner, 3);
  std::string key;
  for (int i = 0;; ++i) {
    key = absl::StrCat("after:", i);
    if (ValkeyCluster::KeySlot(key) < 5000) break;
  }
  ASSERT_EQ(cluster->PrimaryForSlot(ValkeyCluster::KeySlot(key)).value_or(-1),
            3);
  ASSERT_TRUE((*client)->Set(key, "new").Get(kWait).ok());
  const Shard* shard =
      (*client)->slot_map()->ShardForSlot(ValkeyCluster::KeySlot(key));
  ASSERT_NE(shard, nullptr);
  EXPECT_EQ(shard->primary.port, cluster->node(3).port());
  auto direct = DirectTo((*thread)->loop(), cluster->node(3).port());
  absl::StatusOr<Reply> r = direct->Execute("GET", key).Get(kWait);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->view().str(), "new");
  std::cerr << "failover: " << acked.size() << " acknowledged, " << failed
            << " failed with a status\n";
}

// A primary crashes: with a retry policy, a read of its slots fails with
// connection errors, is routed again by refreshed maps, and succeeds once
// its replica has taken over — within the command's deadline.
TEST(AsyncClusterClientFailoverTest, RetriesRideOutAPrimaryCrash) {
  std::unique_ptr<ValkeyCluster> cluster = MustStartCluster();
  ASSERT_NE(cluster, nullptr);
  auto thread = EventLoopThread::Start();
  ASSERT_TRUE(thread.ok());
  ClusterOptions options = OptionsFor(*cluster);
  options.connection.retry.retries = 100;
  auto client = AsyncClusterClient::Create((*thread)->loop(), options);
  ASSERT_TRUE(client.ok()) << client.status();
  // A key of node 1's range (5462..10922), replicated to node 4.
  std::string key;
  for (int i = 0;; ++i) {
    key = absl::StrCat("crash:", i);
    const int slot = ValkeyCluster::KeySlot(key);
    if (slot > 6000 && slot < 10000) break;
  }
  ASSERT_TRUE((*client)->Set(key, "kept").Get(kWait).ok());
  absl::StatusOr<Reply> waited =
      (*client)->Execute("WAIT", "1", "5000").Get(kWait);
  ASSERT_TRUE(waited.ok()) << waited.status();

  ASSERT_TRUE(cluster->KillNode(1).ok());
  const absl::Time start = absl::Now();
  absl::StatusOr<std::optional<std::string>> v =
      (*client)->Get(key).Get(absl::Seconds(60));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, std::optional<std::string>("kept"));
  const Shard* shard =
      (*client)->slot_map()->ShardForSlot(ValkeyCluster::KeySlot(key));
  ASSERT_NE(shard, nullptr);
  EXPECT_EQ(shard->primary.port, cluster->node(4).port());
  std::cerr << "crash: read served by the new primary after "
            << absl::FormatDuration(absl::Now() - start) << ", "
            << (*client)->topology_refreshes() << " refreshes\n";
}

TEST(AsyncClusterClientBadInputTest, UnreachableSeedsFailTheFirstCommand) {
  auto thread = EventLoopThread::Start();
  ASSERT_TRUE(thread.ok());
  ClusterOptions options;
  options.seeds = {"127.0.0.1:1", "127.0.0.1:2"};
  auto client = AsyncClusterClient::Create((*thread)->loop(), options);
  ASSERT_TRUE(client.ok()) << client.status();
  const absl::Time start = absl::Now();
  absl::StatusOr<std::optional<std::string>> v = (*client)->Get("k").Get(kWait);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnavailable) << v.status();
  EXPECT_TRUE(absl::StrContains(v.status().message(), "127.0.0.1:1"))
      << v.status();
  EXPECT_TRUE(absl::StrContains(v.status().message(), "127.0.0.1:2"))
      << v.status();

  options.seeds.clear();
  EXPECT_EQ(
      AsyncClusterClient::Create((*thread)->loop(), options).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(AsyncClusterClientBadInputTest, SeedNotInClusterMode) {
  auto server = testing::ValkeyServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  auto thread = EventLoopThread::Start();
  ASSERT_TRUE(thread.ok());
  ClusterOptions options;
  options.seeds = {absl::StrCat("127.0.0.1:", (*server)->port())};
  auto client = AsyncClusterClient::Create((*thread)->loop(), options);
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<std::optional<std::string>> v = (*client)->Get("k").Get(kWait);
  EXPECT_FALSE(v.ok());
  EXPECT_TRUE(
      absl::StrContains(v.status().message(), "cluster support disabled"))
      << v.status();
}

}  // namespace
}  // namespace valkey::cluster
