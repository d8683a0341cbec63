#include "valkey/sentinel/sentinel.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <iostream>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/fault_proxy.h"
#include "testing/sentinel_test_support.h"
#include "testing/sentinel_topology.h"
#include "valkey/client/client.h"
#include "valkey/common/config.h"
#include "valkey/common/errors.h"
#include "valkey/sentinel/sentinel_client.h"
#include "valkey/sentinel/sentinel_pools.h"

namespace valkey {
namespace {

using ::valkey::testing::FaultProxy;
using ::valkey::testing::SentinelTopology;
using ::valkey::testing::Addresses;
using ::valkey::testing::Creds;
using ::valkey::testing::SetAclUserOn;
using ::valkey::testing::EntryFor;
using ::valkey::testing::ExpectAuthFailureFromEach;
using ::valkey::testing::ExpectNoSecrets;
using ::valkey::testing::kDataPassword;
using ::valkey::testing::kSentinelPassword;
using ::valkey::testing::kWatcherPassword;
using ::valkey::testing::kWrongPassword;
using ::valkey::testing::Loopback;
using ::valkey::testing::MakeClientOptions;
using ::valkey::testing::MakeSentinelOptions;
using ::valkey::testing::MentionsAuthFailure;
using ::valkey::testing::SecuredTopologyOptions;
using ::valkey::testing::StartTopology;

std::shared_ptr<Sentinel> MakeSentinel(const SentinelOptions& options) {
  absl::StatusOr<std::shared_ptr<Sentinel>> sentinel =
      Sentinel::Create(options);
  EXPECT_TRUE(sentinel.ok()) << sentinel.status();
  return sentinel.ok() ? *sentinel : nullptr;
}

TEST(SentinelCreateTest, RejectsBadOptions) {
  SentinelOptions options;
  EXPECT_EQ(GetErrorKind(Sentinel::Create(options).status()),
            ErrorKind::kInvalidArgument);
  options.sentinels = {{"127.0.0.1", 0}};
  EXPECT_EQ(GetErrorKind(Sentinel::Create(options).status()),
            ErrorKind::kInvalidArgument);
  options.sentinels = {{"127.0.0.1", 26379}};
  EXPECT_TRUE(Sentinel::Create(options).ok());
  for (const int bad : {0, -1}) {
    options.max_connections_per_sentinel = bad;
    const absl::Status s = Sentinel::Create(options).status();
    EXPECT_EQ(GetErrorKind(s), ErrorKind::kInvalidArgument) << s;
    EXPECT_TRUE(absl::StrContains(
        s.message(), "sentinel.max_connections_per_sentinel: "))
        << s;
  }
}

TEST(SentinelCreateTest, NothingReachableIsMasterNotFound) {
  SentinelOptions options;
  options.sentinels = {{"127.0.0.1", 1}, {"127.0.0.1", 2}};
  options.connection.connect_timeout = absl::Milliseconds(500);
  std::shared_ptr<Sentinel> sentinel = MakeSentinel(options);
  ASSERT_NE(sentinel, nullptr);
  absl::StatusOr<NodeAddress> master = sentinel->DiscoverMaster("svc");
  EXPECT_EQ(master.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(GetErrorKind(master.status()), ErrorKind::kMasterNotFound);
  EXPECT_NE(master.status().message().find("127.0.0.1:1 - "),
            absl::string_view::npos)
      << master.status();
  EXPECT_NE(master.status().message().find("127.0.0.1:2 - "),
            absl::string_view::npos)
      << master.status();
}

// ------------------------------------------------- Shared, read-only topology

class SentinelSharedTest : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() { topo_ = StartTopology().release(); }
  static void TearDownTestSuite() {
    delete topo_;
    topo_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(topo_, nullptr); }

  static SentinelTopology* topo_;
};

SentinelTopology* SentinelSharedTest::topo_ = nullptr;

TEST_P(SentinelSharedTest, DiscoversMasterAndReplicas) {
  std::shared_ptr<Sentinel> sentinel =
      MakeSentinel(MakeSentinelOptions(*topo_, GetParam()));
  ASSERT_NE(sentinel, nullptr);
  absl::StatusOr<NodeAddress> master = sentinel->DiscoverMaster();
  ASSERT_TRUE(master.ok()) << master.status();
  EXPECT_EQ(*master, (NodeAddress{"127.0.0.1", topo_->master_port()}));

  absl::StatusOr<std::vector<NodeAddress>> replicas =
      sentinel->DiscoverReplicas();
  ASSERT_TRUE(replicas.ok()) << replicas.status();
  std::set<int> ports;
  for (const NodeAddress& r : *replicas) {
    EXPECT_EQ(r.host, "127.0.0.1");
    ports.insert(r.port);
  }
  EXPECT_EQ(ports, (std::set<int>{topo_->replica_port(0),
                                  topo_->replica_port(1)}));
}

TEST_P(SentinelSharedTest, UnknownServiceIsNotFound) {
  std::shared_ptr<Sentinel> sentinel =
      MakeSentinel(MakeSentinelOptions(*topo_, GetParam()));
  ASSERT_NE(sentinel, nullptr);
  absl::StatusOr<NodeAddress> master = sentinel->DiscoverMaster("nosuch");
  EXPECT_EQ(master.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(GetErrorKind(master.status()), ErrorKind::kMasterNotFound);
  // Every sentinel's answer is in the message.
  for (int port : topo_->sentinel_ports()) {
    EXPECT_NE(master.status().message().find(Loopback(port)),
              absl::string_view::npos)
        << master.status();
  }
  absl::StatusOr<std::vector<NodeAddress>> replicas =
      sentinel->DiscoverReplicas("nosuch");
  ASSERT_TRUE(replicas.ok()) << replicas.status();
  EXPECT_TRUE(replicas->empty());
}

TEST_P(SentinelSharedTest, MinOtherSentinelsAboveCountIsNotFound) {
  SentinelOptions options = MakeSentinelOptions(*topo_, GetParam());
  options.min_other_sentinels = 2;  // Each sees exactly 2 others: fine.
  std::shared_ptr<Sentinel> sentinel = MakeSentinel(options);
  ASSERT_NE(sentinel, nullptr);
  EXPECT_TRUE(sentinel->DiscoverMaster().ok());

  options.min_other_sentinels = 3;
  sentinel = MakeSentinel(options);
  ASSERT_NE(sentinel, nullptr);
  absl::StatusOr<NodeAddress> master = sentinel->DiscoverMaster();
  EXPECT_EQ(GetErrorKind(master.status()), ErrorKind::kMasterNotFound)
      << master.status();
}

TEST_P(SentinelSharedTest, SentinelCommands) {
  std::shared_ptr<Sentinel> sentinel =
      MakeSentinel(MakeSentinelOptions(*topo_, GetParam()));
  ASSERT_NE(sentinel, nullptr);
  const std::string& name = topo_->service_name();

  absl::StatusOr<std::vector<SentinelNodeState>> masters = sentinel->Masters();
  ASSERT_TRUE(masters.ok()) << masters.status();
  ASSERT_EQ(masters->size(), 1u);
  EXPECT_EQ((*masters)[0].name(), name);
  EXPECT_TRUE(sentinel->CheckMasterState((*masters)[0]));

  absl::StatusOr<SentinelNodeState> master = sentinel->Master(name);
  ASSERT_TRUE(master.ok()) << master.status();
  EXPECT_EQ(master->address().port, topo_->master_port());
  EXPECT_EQ(master->GetInt("quorum"), 2);

  absl::StatusOr<std::vector<SentinelNodeState>> replicas =
      sentinel->Replicas(name);
  ASSERT_TRUE(replicas.ok()) << replicas.status();
  EXPECT_EQ(replicas->size(), 2u);
  for (const SentinelNodeState& r : *replicas) EXPECT_TRUE(r.is_replica());

  absl::StatusOr<std::vector<SentinelNodeState>> others =
      sentinel->Sentinels(name);
  ASSERT_TRUE(others.ok()) << others.status();
  EXPECT_EQ(others->size(), 2u);

  absl::StatusOr<NodeAddress> addr = sentinel->GetMasterAddrByName(name);
  ASSERT_TRUE(addr.ok()) << addr.status();
  EXPECT_EQ(addr->port, topo_->master_port());
  EXPECT_EQ(GetErrorKind(sentinel->GetMasterAddrByName("nosuch").status()),
            ErrorKind::kMasterNotFound);

  EXPECT_TRUE(sentinel->CkQuorum(name).ok());
  EXPECT_TRUE(IsServerError(sentinel->CkQuorum("nosuch")));
  EXPECT_TRUE(sentinel->Set(name, "down-after-milliseconds", "1000").ok());
  EXPECT_TRUE(sentinel->FlushConfig().ok());
  absl::StatusOr<int64_t> reset = sentinel->Reset("nosuch*");
  ASSERT_TRUE(reset.ok()) << reset.status();
  EXPECT_EQ(*reset, 0);

  // Monitor + Remove a second service (the master, under another name).
  EXPECT_TRUE(
      sentinel->Monitor("other", "127.0.0.1", topo_->master_port(), 2).ok());
  absl::StatusOr<SentinelNodeState> other = sentinel->Master("other");
  EXPECT_TRUE(other.ok()) << other.status();
  EXPECT_TRUE(sentinel->Remove("other").ok());
  EXPECT_TRUE(IsServerError(sentinel->Master("other").status()));
}

TEST_P(SentinelSharedTest, MasterClientWritesToTheMaster) {
  absl::StatusOr<std::unique_ptr<Client>> client =
      MasterFor(topo_->service_name(), MakeClientOptions(*topo_, GetParam()));
  ASSERT_TRUE(client.ok()) << client.status();
  const std::string key = absl::StrCat("sentinel:master:", GetParam());
  ASSERT_TRUE((*client)->Set(key, "v").ok());
  absl::StatusOr<std::optional<std::string>> got = (*client)->Get(key);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "v");
  absl::StatusOr<PooledConnection> conn = (*client)->AcquireConnection();
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_EQ((*conn)->address(), Loopback(topo_->master_port()));
  EXPECT_EQ((*conn)->protocol(), GetParam());

  // MasterFor does the same.
  absl::StatusOr<std::unique_ptr<Client>> master = MasterFor(
      topo_->service_name(), MakeClientOptions(*topo_, GetParam()));
  ASSERT_TRUE(master.ok()) << master.status();
  absl::StatusOr<Reply> role = (*master)->Execute("ROLE");
  ASSERT_TRUE(role.ok()) << role.status();
  EXPECT_EQ(role->child(0).str(), "master");
}

TEST_P(SentinelSharedTest, ReplicaClientRoundRobin) {
  absl::StatusOr<std::unique_ptr<Client>> client = ReplicaFor(
      topo_->service_name(), MakeClientOptions(*topo_, GetParam()));
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<Reply> role = (*client)->Execute("ROLE");
  ASSERT_TRUE(role.ok()) << role.status();
  EXPECT_EQ(role->child(0).str(), "slave");
  // A replica refuses writes, and the replica client says so as is.
  absl::Status write = (*client)->Set("k", "v").status();
  EXPECT_TRUE(IsReadOnlyError(write)) << write;

  (*client)->pool().Disconnect(true);
  // New connections alternate between the two replicas.
  std::vector<PooledConnection> held;
  std::vector<std::string> seen;
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<PooledConnection> conn = (*client)->AcquireConnection();
    ASSERT_TRUE(conn.ok()) << conn.status();
    seen.push_back((*conn)->address());
    held.push_back(*std::move(conn));
  }
  const std::string r0 = Loopback(topo_->replica_port(0));
  const std::string r1 = Loopback(topo_->replica_port(1));
  EXPECT_TRUE((seen[0] == r0 && seen[1] == r1) ||
              (seen[0] == r1 && seen[1] == r0))
      << seen[0] << " " << seen[1];
  EXPECT_EQ(seen[2], seen[0]);
  EXPECT_EQ(seen[3], seen[1]);
}

// Concurrent lookups share at most max_connections_per_sentinel
// connections to one sentinel; the others wait for a free one. Slow replies
// (a proxy delaying them) keep every lookup in flight at once.
TEST_P(SentinelSharedTest, MaxConnectionsPerSentinelBoundsThePool) {
  for (const int limit : {1, 2}) {
    SCOPED_TRACE(limit);
    absl::StatusOr<std::unique_ptr<FaultProxy>> proxy =
        FaultProxy::Start("127.0.0.1", topo_->sentinel_port(0));
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    (*proxy)->SetDelay(absl::Milliseconds(200),
                       FaultProxy::Direction::kServerToClient);
    SentinelOptions options = MakeSentinelOptions(*topo_, GetParam());
    options.sentinels = {{(*proxy)->host(), (*proxy)->port()}};
    // The pool's wait for a free connection is the connect time-out.
    options.connection.connect_timeout = absl::Seconds(10);
    options.connection.socket_timeout = absl::Seconds(5);
    options.max_connections_per_sentinel = limit;
    std::shared_ptr<Sentinel> sentinel = MakeSentinel(options);
    ASSERT_NE(sentinel, nullptr);

    constexpr int kLookups = 6;
    std::atomic<int> found{0};
    absl::Notification go;
    std::vector<std::thread> threads;
    for (int i = 0; i < kLookups; ++i) {
      threads.emplace_back([&] {
        go.WaitForNotification();
        absl::StatusOr<NodeAddress> master = sentinel->DiscoverMaster();
        EXPECT_TRUE(master.ok()) << master.status();
        if (master.ok()) found.fetch_add(1);
      });
    }
    go.Notify();
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(found.load(), kLookups);
    const FaultProxy::Stats stats = (*proxy)->GetStats();
    EXPECT_GE(stats.connections_accepted, 1);
    EXPECT_LE(stats.connections_accepted, limit);
  }
}

INSTANTIATE_TEST_SUITE_P(Protocols, SentinelSharedTest, ::testing::Values(2, 3),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return absl::StrCat("Resp", info.param);
                         });

// ------------------------------------------- Destructive: own topology each

TEST(SentinelTopologyTest, KilledSentinelIsSkippedAndDemoted) {
  std::unique_ptr<SentinelTopology> topo = StartTopology();
  ASSERT_NE(topo, nullptr);
  std::shared_ptr<Sentinel> sentinel = MakeSentinel(MakeSentinelOptions(*topo));
  ASSERT_NE(sentinel, nullptr);
  ASSERT_TRUE(sentinel->DiscoverMaster().ok());
  ASSERT_EQ(sentinel->sentinels()[0].port, topo->sentinel_port(0));

  ASSERT_TRUE(topo->KillSentinel(0).ok());
  absl::StatusOr<NodeAddress> master = sentinel->DiscoverMaster();
  ASSERT_TRUE(master.ok()) << master.status();
  EXPECT_EQ(master->port, topo->master_port());
  // The sentinel that answered now comes first.
  std::vector<SentinelAddress> order = sentinel->sentinels();
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0].port, topo->sentinel_port(1));
  EXPECT_EQ(order[1].port, topo->sentinel_port(0));
  EXPECT_EQ(order[2].port, topo->sentinel_port(2));

  // Replicas are still found through the others.
  absl::StatusOr<std::vector<NodeAddress>> replicas =
      sentinel->DiscoverReplicas();
  ASSERT_TRUE(replicas.ok());
  EXPECT_EQ(replicas->size(), 2u);

  // With every sentinel gone the error lists each one.
  ASSERT_TRUE(topo->KillSentinel(1).ok());
  ASSERT_TRUE(topo->KillSentinel(2).ok());
  master = sentinel->DiscoverMaster();
  EXPECT_EQ(GetErrorKind(master.status()), ErrorKind::kMasterNotFound);
  for (int port : topo->sentinel_ports()) {
    EXPECT_NE(master.status().message().find(Loopback(port)),
              absl::string_view::npos)
        << master.status();
  }
}

TEST(SentinelTopologyTest, ReplicaClientFallsBackToMaster) {
  std::unique_ptr<SentinelTopology> topo = StartTopology();
  ASSERT_NE(topo, nullptr);
  absl::StatusOr<std::unique_ptr<Client>> client =
      ReplicaFor(topo->service_name(), MakeClientOptions(*topo));
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->Execute("PING").ok());

  ASSERT_TRUE(topo->KillReplica(0).ok());
  ASSERT_TRUE(topo->KillReplica(1).ok());
  (*client)->pool().Disconnect(true);
  // Reported (not yet down) replicas refuse: the master serves reads.
  absl::StatusOr<PooledConnection> conn = (*client)->AcquireConnection();
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_EQ((*conn)->address(), Loopback(topo->master_port()));
  conn->Release();
  absl::StatusOr<Reply> role = (*client)->Execute("ROLE");
  ASSERT_TRUE(role.ok()) << role.status();
  EXPECT_EQ(role->child(0).str(), "master");

  // With the master gone too: ReplicaNotFound, after the retries.
  ASSERT_TRUE(topo->KillMaster().ok());
  (*client)->pool().Disconnect(true);
  absl::Status status = (*client)->Execute("PING").status();
  EXPECT_EQ(GetErrorKind(status), ErrorKind::kReplicaNotFound) << status;
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
}

// A replica the sentinels report healthy but that refuses this client (its
// ACL lacks the client's user; ACL users are not replicated) is skipped
// within one connect: the other replica serves, then the master; with
// neither, NOT_FOUND names every node tried. No retries: nothing fails on
// the way. The async replica client behaves the same
// (AsyncSentinelTopologyTest.RefusingReplicasAreSkippedWithinOneConnect).
TEST(SentinelTopologyTest, RefusingReplicasAreSkippedWithinOneConnect) {
  std::unique_ptr<SentinelTopology> topo = StartTopology();
  ASSERT_NE(topo, nullptr);
  constexpr char kReaderPassword[] = "reader-secret";
  ASSERT_TRUE(SetAclUserOn(topo->master_port(), "reader", kReaderPassword).ok());
  ASSERT_TRUE(
      SetAclUserOn(topo->replica_port(1), "reader", kReaderPassword).ok());
  ClientOptions options = MakeClientOptions(*topo);
  options.connection.credentials = Creds("reader", kReaderPassword);
  options.connection.retry.retries = 0;
  absl::StatusOr<std::unique_ptr<Client>> client =
      ReplicaFor(topo->service_name(), options);
  ASSERT_TRUE(client.ok()) << client.status();
  const std::string r0 = Loopback(topo->replica_port(0));
  const std::string r1 = Loopback(topo->replica_port(1));
  const std::string master = Loopback(topo->master_port());
  auto address_of_a_new_connection = [&]() -> std::string {
    (*client)->pool().Disconnect(true);
    absl::StatusOr<PooledConnection> conn = (*client)->AcquireConnection();
    if (!conn.ok()) return conn.status().ToString();
    return (*conn)->address();
  };
  // Whichever replica a connection starts at, it ends on replica 1.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(address_of_a_new_connection(), r1);

  ASSERT_TRUE(SetAclUserOn(topo->replica_port(1), "reader", "").ok());
  for (int i = 0; i < 2; ++i) EXPECT_EQ(address_of_a_new_connection(), master);

  ASSERT_TRUE(SetAclUserOn(topo->master_port(), "reader", "").ok());
  (*client)->pool().Disconnect(true);
  const absl::Status status = (*client)->Execute("PING").status();
  EXPECT_EQ(GetErrorKind(status), ErrorKind::kReplicaNotFound) << status;
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  for (const std::string& node : {r0, r1, master + " (master)"}) {
    EXPECT_TRUE(absl::StrContains(status.message(), node))
        << node << " not in " << status;
  }
  EXPECT_FALSE(absl::StrContains(status.message(), kReaderPassword)) << status;
}

TEST(SentinelTopologyTest, FailoverUnderTraffic) {
  std::unique_ptr<SentinelTopology> topo = StartTopology();
  ASSERT_NE(topo, nullptr);
  std::shared_ptr<Sentinel> sentinel = MakeSentinel(MakeSentinelOptions(*topo));
  ASSERT_NE(sentinel, nullptr);
  ClientOptions options = MakeClientOptions(*topo);
  absl::StatusOr<std::unique_ptr<Client>> client =
      MasterFor(topo->service_name(), options);
  ASSERT_TRUE(client.ok()) << client.status();

  // Writer: SET k_i, then WAIT 2: only writes both replicas acknowledged
  // must survive the failover.
  struct Shared {
    absl::Mutex mu;
    std::vector<int> acked ABSL_GUARDED_BY(mu);
    int last_set_ok ABSL_GUARDED_BY(mu) = -1;
    absl::Duration slowest ABSL_GUARDED_BY(mu);
    std::string slowest_error ABSL_GUARDED_BY(mu);
  } shared;
  std::atomic<bool> stop{false};
  std::atomic<int> next{0};
  std::thread writer([&]() {
    while (!stop.load()) {
      const int i = next.fetch_add(1);
      const std::string key = absl::StrCat("k", i);
      absl::Time start = absl::Now();
      // WAIT counts the replicas that have this connection's writes: it
      // says something about the SET only when both ran on the same
      // connection, i.e. when no connection was opened or dropped between
      // them (one writer thread, so the pool holds one connection).
      const PoolStats before = (*client)->pool().stats();
      absl::StatusOr<bool> set = (*client)->Set(key, absl::StrCat("v", i));
      absl::StatusOr<Reply> wait;
      if (set.ok()) wait = (*client)->Execute("WAIT", 2, 500);
      const PoolStats after = (*client)->pool().stats();
      const bool same_connection = before.created == after.created &&
                                   before.discarded == after.discarded;
      const absl::Duration took = absl::Now() - start;
      absl::MutexLock lock(&shared.mu);
      if (took > shared.slowest) {
        shared.slowest = took;
        shared.slowest_error =
            set.ok() ? wait.status().ToString() : set.status().ToString();
      }
      if (!set.ok()) {
        absl::SleepFor(absl::Milliseconds(20));
        continue;
      }
      shared.last_set_ok = i;
      if (same_connection && wait.ok() && wait->integer() == 2) {
        shared.acked.push_back(i);
      }
    }
  });

  // Some acknowledged traffic first.
  const absl::Time warmup = absl::Now() + absl::Seconds(5);
  while (absl::Now() < warmup) {
    {
      absl::MutexLock lock(&shared.mu);
      if (shared.acked.size() >= 20) break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  {
    absl::MutexLock lock(&shared.mu);
    ASSERT_GE(shared.acked.size(), 20u) << shared.slowest_error;
  }

  const NodeAddress old_master{"127.0.0.1", topo->master_port()};
  ASSERT_TRUE(sentinel->Failover(topo->service_name()).ok());
  const absl::Time failover_start = absl::Now();

  // The sentinels switch to a new master.
  NodeAddress new_master;
  const absl::Time switch_deadline = absl::Now() + absl::Seconds(20);
  for (;;) {
    absl::StatusOr<NodeAddress> m = sentinel->DiscoverMaster();
    if (m.ok() && *m != old_master) {
      new_master = *m;
      break;
    }
    ASSERT_LT(absl::Now(), switch_deadline) << topo->LogTails();
    absl::SleepFor(absl::Milliseconds(50));
  }
  const absl::Duration switch_took = absl::Now() - failover_start;

  // A plain client on the new master, to check what landed there.
  ClientOptions direct;
  direct.connection.host = new_master.host;
  direct.connection.port = new_master.port;
  direct.connection.socket_timeout = absl::Seconds(1);
  absl::StatusOr<std::unique_ptr<Client>> check = Client::Create(direct);
  ASSERT_TRUE(check.ok()) << check.status();

  // The writer reaches the new master: a SET issued after the switch is
  // there (writes still landing on the demoted master are not).
  int first_after_switch = next.load();
  const absl::Time write_deadline = absl::Now() + absl::Seconds(30);
  absl::Duration writing_took;
  for (;;) {
    int last = -1;
    {
      absl::MutexLock lock(&shared.mu);
      last = shared.last_set_ok;
    }
    if (last >= first_after_switch) {
      absl::StatusOr<std::optional<std::string>> v =
          (*check)->Get(absl::StrCat("k", last));
      if (v.ok() && v->has_value()) {
        writing_took = absl::Now() - failover_start;
        break;
      }
    }
    ASSERT_LT(absl::Now(), write_deadline) << topo->LogTails();
    absl::SleepFor(absl::Milliseconds(50));
  }
  // Some acknowledged writes on the new master, then stop.
  {
    size_t acked_now = 0;
    {
      absl::MutexLock lock(&shared.mu);
      acked_now = shared.acked.size();
    }
    // (WAIT 2 on the new master needs the demoted one to resync, which
    // sentinel orders only ~10 s later: do not insist.)
    const absl::Time more = absl::Now() + absl::Seconds(2);
    for (;;) {
      {
        absl::MutexLock lock(&shared.mu);
        if (shared.acked.size() >= acked_now + 5) break;
      }
      if (absl::Now() > more) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  stop.store(true);
  writer.join();

  absl::MutexLock lock(&shared.mu);
  // No command (SET + WAIT, with retries) hung: 1 s socket time-outs,
  // 3 retries with short backoff.
  EXPECT_LT(shared.slowest, absl::Seconds(10)) << shared.slowest_error;
  // The client follows within seconds of the sentinels (the pool rechecks
  // the master once a second), not when the old master is demoted.
  EXPECT_LT(writing_took - switch_took, absl::Seconds(5));
  // Every acknowledged write survived.
  int missing = 0;
  for (int i : shared.acked) {
    absl::StatusOr<std::optional<std::string>> v =
        (*check)->Get(absl::StrCat("k", i));
    ASSERT_TRUE(v.ok()) << v.status();
    if (*v != absl::StrCat("v", i)) ++missing;
  }
  EXPECT_EQ(missing, 0) << "of " << shared.acked.size() << " acked writes";
  std::cerr << "failover: sentinels switched after " << switch_took
            << ", client writing to the new master after " << writing_took
            << ", " << shared.acked.size() << " acked writes, slowest call "
            << shared.slowest << "\n";
}

}  // namespace
}  // namespace valkey

// --------------------------------------- Passwords and TLS on the sentinels
// One topology whose sentinels want a password (or an ACL user) and also
// serve TLS, and whose data nodes want another password.

namespace valkey {
namespace {

class SentinelSecuredTest : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() {
    topo_ = StartTopology(SecuredTopologyOptions()).release();
  }
  static void TearDownTestSuite() {
    delete topo_;
    topo_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(topo_, nullptr); }

  SentinelOptions PlainSentinel(
      std::shared_ptr<CredentialProvider> credentials) const {
    return testing::PlainSentinel(*topo_, GetParam(), std::move(credentials));
  }
  SentinelOptions TlsSentinel(
      std::shared_ptr<CredentialProvider> credentials) const {
    return testing::TlsSentinel(*topo_, GetParam(), std::move(credentials));
  }
  ClientOptions SecuredClient(SentinelOptions sentinel,
                              std::shared_ptr<CredentialProvider> data) const {
    return testing::SecuredClient(*topo_, GetParam(), std::move(sentinel),
                                  std::move(data));
  }

  static SentinelTopology* topo_;
};

SentinelTopology* SentinelSecuredTest::topo_ = nullptr;

TEST_P(SentinelSecuredTest, SentinelPasswordIsUsedForDiscovery) {
  for (auto credentials :
       {Creds("", kSentinelPassword), Creds("default", kSentinelPassword),
        Creds("watcher", kWatcherPassword)}) {
    std::shared_ptr<Sentinel> sentinel =
        MakeSentinel(PlainSentinel(credentials));
    ASSERT_NE(sentinel, nullptr);
    absl::StatusOr<NodeAddress> master = sentinel->DiscoverMaster();
    ASSERT_TRUE(master.ok()) << master.status();
    EXPECT_EQ(*master, (NodeAddress{"127.0.0.1", topo_->master_port()}));
    absl::StatusOr<std::vector<NodeAddress>> replicas =
        sentinel->DiscoverReplicas();
    ASSERT_TRUE(replicas.ok()) << replicas.status();
    EXPECT_EQ(replicas->size(), 2u);
    absl::StatusOr<std::vector<SentinelNodeState>> masters =
        sentinel->Masters();
    ASSERT_TRUE(masters.ok()) << masters.status();
    EXPECT_EQ(masters->size(), 1u);
  }
}

TEST_P(SentinelSecuredTest, WrongOrMissingSentinelPasswordIsMasterNotFound) {
  const std::vector<std::string> all = Addresses(topo_->sentinel_addresses());
  for (auto credentials :
       {std::shared_ptr<CredentialProvider>(), Creds("", kWrongPassword),
        Creds("watcher", kWrongPassword), Creds("watcher", kSentinelPassword),
        Creds("", kDataPassword)}) {
    std::shared_ptr<Sentinel> sentinel =
        MakeSentinel(PlainSentinel(credentials));
    ASSERT_NE(sentinel, nullptr);
    absl::StatusOr<NodeAddress> master = sentinel->DiscoverMaster();
    ASSERT_FALSE(master.ok()) << master->ToString();
    ExpectAuthFailureFromEach(master.status(), all);
    // The order is unchanged: no sentinel answered.
    EXPECT_EQ(sentinel->sentinels()[0].port, topo_->sentinel_port(0));

    absl::StatusOr<std::vector<NodeAddress>> replicas =
        sentinel->DiscoverReplicas();
    ASSERT_TRUE(replicas.ok()) << replicas.status();
    EXPECT_TRUE(replicas->empty());
    absl::Status masters = sentinel->Masters().status();
    EXPECT_FALSE(masters.ok());
    ExpectNoSecrets(masters);
  }
}

TEST_P(SentinelSecuredTest, MasterForAndReplicaForWithDataPassword) {
  const ClientOptions options = SecuredClient(
      PlainSentinel(Creds("", kSentinelPassword)), Creds("", kDataPassword));
  absl::StatusOr<std::unique_ptr<valkey::Client>> master =
      MasterFor(topo_->service_name(), options);
  ASSERT_TRUE(master.ok()) << master.status();
  const std::string key = absl::StrCat("secured:", GetParam());
  absl::StatusOr<bool> set = (*master)->Set(key, "v");
  ASSERT_TRUE(set.ok()) << set.status();
  absl::StatusOr<Reply> role = (*master)->Execute("ROLE");
  ASSERT_TRUE(role.ok()) << role.status();
  EXPECT_EQ(role->child(0).str(), "master");
  absl::StatusOr<PooledConnection> conn = (*master)->AcquireConnection();
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_EQ((*conn)->address(), Loopback(topo_->master_port()));
  conn->Release();
  // Both replicas have it before they are read.
  absl::StatusOr<Reply> acked = (*master)->Execute("WAIT", 2, 5000);
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_EQ(acked->integer(), 2);

  absl::StatusOr<std::unique_ptr<valkey::Client>> replica =
      ReplicaFor(topo_->service_name(), options);
  ASSERT_TRUE(replica.ok()) << replica.status();
  for (int i = 0; i < 2; ++i) {
    (*replica)->pool().Disconnect(true);  // Next replica, round-robin.
    role = (*replica)->Execute("ROLE");
    ASSERT_TRUE(role.ok()) << role.status();
    EXPECT_EQ(role->child(0).str(), "slave");
    absl::StatusOr<std::optional<std::string>> got = (*replica)->Get(key);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, "v");
  }

  // The ACL user on the sentinels works for clients too.
  absl::StatusOr<std::unique_ptr<valkey::Client>> as_watcher =
      MasterFor(topo_->service_name(),
                SecuredClient(PlainSentinel(Creds("watcher", kWatcherPassword)),
                              Creds("", kDataPassword)));
  ASSERT_TRUE(as_watcher.ok()) << as_watcher.status();
  absl::StatusOr<std::optional<std::string>> got = (*as_watcher)->Get(key);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "v");
}

TEST_P(SentinelSecuredTest, WrongPasswordsFailWithoutLeaking) {
  const std::string master_address = Loopback(topo_->master_port());
  // No (or the sentinels') password for the data nodes: the master refuses.
  for (auto data :
       {std::shared_ptr<CredentialProvider>(), Creds("", kSentinelPassword)}) {
    const ClientOptions options =
        SecuredClient(PlainSentinel(Creds("", kSentinelPassword)), data);
    absl::StatusOr<std::unique_ptr<valkey::Client>> master =
        MasterFor(topo_->service_name(), options);
    ASSERT_TRUE(master.ok()) << master.status();
    absl::Status status = (*master)->Execute("PING").status();
    EXPECT_FALSE(status.ok());
    EXPECT_TRUE(absl::StrContains(status.message(), master_address)) << status;
    EXPECT_TRUE(absl::StrContains(status.message(), "authenticate") ||
                absl::StrContains(status.message(), "NOAUTH"))
        << status;
    ExpectNoSecrets(status);

    // Replicas refuse too. Without credentials in RESP2 the connection
    // opens (nothing in the handshake needs auth) and the command gets
    // NOAUTH; otherwise the handshake (HELLO 3 or AUTH) fails on each
    // replica and on the master as a fallback.
    absl::StatusOr<std::unique_ptr<valkey::Client>> replica =
        ReplicaFor(topo_->service_name(), options);
    ASSERT_TRUE(replica.ok()) << replica.status();
    status = (*replica)->Execute("PING").status();
    if (data == nullptr && GetParam() == 2) {
      EXPECT_EQ(GetErrorKind(status), ErrorKind::kAuthentication) << status;
      EXPECT_TRUE(absl::StrContains(status.message(), "NOAUTH")) << status;
    } else {
      EXPECT_EQ(GetErrorKind(status), ErrorKind::kReplicaNotFound) << status;
      for (int i = 0; i < 2; ++i) {
        EXPECT_TRUE(absl::StrContains(status.message(),
                                      Loopback(topo_->replica_port(i))))
            << status;
      }
      EXPECT_TRUE(absl::StrContains(status.message(), master_address))
          << status;
    }
    ExpectNoSecrets(status);
  }

  // A wrong sentinel password: no master found, whatever the data password.
  absl::StatusOr<std::unique_ptr<valkey::Client>> master =
      MasterFor(topo_->service_name(),
                SecuredClient(PlainSentinel(Creds("", kDataPassword)),
                              Creds("", kDataPassword)));
  ASSERT_TRUE(master.ok()) << master.status();
  absl::Status status = (*master)->Execute("PING").status();
  ExpectAuthFailureFromEach(status, Addresses(topo_->sentinel_addresses()));
}

// The passwords as a config file would give them (config.proto):
// sentinel.connection.password for the sentinels, connection.password for
// the data nodes; sentinels do not inherit the data password.
TEST_P(SentinelSecuredTest, ConfigTextCarriesBothPasswords) {
  std::string sentinels;
  for (int port : topo_->sentinel_ports()) {
    absl::StrAppend(&sentinels, "sentinels { host: \"127.0.0.1\" port: ", port,
                    " } ");
  }
  const std::string data = absl::StrCat(
      "connection { protocol: ", GetParam(), " password { value: \"",
      kDataPassword, "\" } ",
      "socket_timeout { seconds: 1 } connect_timeout { seconds: 1 } }");
  const std::string with_sentinel_password = absl::StrCat(
      data, " sentinel { ", sentinels, "service_name: \"",
      topo_->service_name(), "\" connection { protocol: ", GetParam(),
      " password { value: \"", kSentinelPassword, "\" } } }");
  absl::StatusOr<ClientConfig> config = ParseConfigText(with_sentinel_password);
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  absl::StatusOr<std::unique_ptr<valkey::Client>> client =
      MasterFor(options->sentinel->service_name, *options);
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<Reply> role = (*client)->Execute("ROLE");
  ASSERT_TRUE(role.ok()) << role.status();
  EXPECT_EQ(role->child(0).str(), "master");

  // Without sentinel.connection the sentinels get no credentials.
  config = ParseConfigText(absl::StrCat(data, " sentinel { ", sentinels,
                                        "service_name: \"",
                                        topo_->service_name(), "\" }"));
  ASSERT_TRUE(config.ok()) << config.status();
  options = ToClientOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  client = MasterFor(options->sentinel->service_name, *options);
  ASSERT_TRUE(client.ok()) << client.status();
  ExpectAuthFailureFromEach((*client)->Execute("PING").status(),
                            Addresses(topo_->sentinel_addresses()));
}

TEST_P(SentinelSecuredTest, TlsToSentinels) {
  std::shared_ptr<Sentinel> sentinel =
      MakeSentinel(TlsSentinel(Creds("", kSentinelPassword)));
  ASSERT_NE(sentinel, nullptr);
  absl::StatusOr<NodeAddress> master = sentinel->DiscoverMaster();
  ASSERT_TRUE(master.ok()) << master.status();
  EXPECT_EQ(master->port, topo_->master_port());

  // A client: TLS to the sentinels, plain TCP to the data nodes.
  absl::StatusOr<std::unique_ptr<valkey::Client>> client =
      MasterFor(topo_->service_name(),
                SecuredClient(TlsSentinel(Creds("watcher", kWatcherPassword)),
                              Creds("", kDataPassword)));
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<Reply> role = (*client)->Execute("ROLE");
  ASSERT_TRUE(role.ok()) << role.status();
  EXPECT_EQ(role->child(0).str(), "master");

  const std::vector<std::string> tls =
      Addresses(topo_->sentinel_tls_addresses());
  // Over TLS the password is still required.
  sentinel = MakeSentinel(TlsSentinel(nullptr));
  ASSERT_NE(sentinel, nullptr);
  master = sentinel->DiscoverMaster();
  ASSERT_FALSE(master.ok());
  ExpectAuthFailureFromEach(master.status(), tls);

  // An untrusted certificate: every sentinel is named, nothing leaks.
  SentinelOptions wrong_ca = TlsSentinel(Creds("", kSentinelPassword));
  wrong_ca.connection.tls.ca_file = topo_->sentinel(0).certs()->other_ca_cert;
  sentinel = MakeSentinel(wrong_ca);
  ASSERT_NE(sentinel, nullptr);
  master = sentinel->DiscoverMaster();
  EXPECT_EQ(GetErrorKind(master.status()), ErrorKind::kMasterNotFound)
      << master.status();
  for (const std::string& address : tls) {
    EXPECT_TRUE(absl::StrContains(master.status().message(), address))
        << master.status();
  }
  ExpectNoSecrets(master.status());
}

INSTANTIATE_TEST_SUITE_P(Protocols, SentinelSecuredTest,
                         ::testing::Values(2, 3),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return absl::StrCat("Resp", info.param);
                         });

}  // namespace
}  // namespace valkey
