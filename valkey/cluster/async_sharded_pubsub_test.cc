// AsyncShardedSubscriber against a real 3-primary cluster (one replica
// each): channels on every primary, several slots in one call,
// SUNSUBSCRIBE, argument and close checks, and subscriptions following a
// slot migration, a manual failover under a publisher and a killed
// primary. One cluster serves the whole suite; the cases that change the
// topology find the current owners themselves and run last.

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_cluster.h"
#include "testing/valkey_cluster_test.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/async/pubsub.h"
#include "valkey/cluster/async_cluster_client.h"
#include "valkey/cluster/async_sharded_subscriber.h"
#include "valkey/cluster/cluster_options.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/common/config.h"

namespace valkey {
namespace cluster {
namespace {

using ::valkey::async::EventLoopThread;
using ::valkey::testing::ValkeyCluster;

constexpr absl::Duration kWait = absl::Seconds(20);

// What the handler saw (on the loop's thread), safe to read from the test.
class Inbox {
 public:
  void Add(absl::string_view channel, absl::string_view payload) {
    absl::MutexLock lock(&mu_);
    got_[std::string(channel)].emplace_back(payload);
  }
  std::vector<std::string> Of(const std::string& channel) {
    absl::MutexLock lock(&mu_);
    return got_[channel];
  }
  bool Has(const std::string& channel, const std::string& payload) {
    absl::MutexLock lock(&mu_);
    for (const std::string& p : got_[channel]) {
      if (p == payload) return true;
    }
    return false;
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::vector<std::string>> got_
      ABSL_GUARDED_BY(mu_);
};

class AsyncShardedPubSubTest
    : public valkey::testing::ValkeyClusterTest<AsyncShardedPubSubTest> {
 protected:
  void SetUp() override {
    ValkeyClusterTest::SetUp();
    if (HasFatalFailure()) return;
    absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
        EventLoopThread::Start();
    ASSERT_TRUE(thread.ok()) << thread.status();
    thread_ = *std::move(thread);
    ClusterOptions o;
    o.seeds = cluster_->seed_addresses();
    o.connection.connect_timeout = absl::Seconds(2);
    o.connection.socket_timeout = absl::Seconds(5);
    absl::StatusOr<std::unique_ptr<AsyncClusterClient>> client =
        AsyncClusterClient::Create(thread_->loop(), o);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    AsyncShardedSubscriber::Options so;
    so.handler = [this](absl::string_view channel, absl::string_view payload) {
      inbox_.Add(channel, payload);
    };
    so.on_status = [this](const absl::Status&, absl::Span<const std::string>) {
      failed_attempts_.fetch_add(1);
    };
    absl::StatusOr<std::unique_ptr<AsyncShardedSubscriber>> sub =
        AsyncShardedSubscriber::Create(*client_, so);
    ASSERT_TRUE(sub.ok()) << sub.status();
    sub_ = *std::move(sub);
  }

  void TearDown() override {
    sub_.reset();
    client_.reset();
    thread_.reset();
  }

  // "127.0.0.1:<port>" of the node serving `channel`'s slot now.
  static std::string OwnerAddress(const std::string& channel) {
    absl::StatusOr<int> owner = cluster_->PrimaryForSlot(KeySlot(channel));
    EXPECT_TRUE(owner.ok()) << owner.status();
    if (!owner.ok()) return "";
    return absl::StrCat("127.0.0.1:", cluster_->node(*owner).port());
  }

  // SPUBLISH through the cluster client; the number of receivers.
  int64_t Publish(const std::string& channel, const std::string& payload) {
    absl::StatusOr<Reply> r =
        client_->Execute("SPUBLISH", channel, payload).Get(kWait);
    if (!r.ok()) return -1;
    return r->view().integer();
  }

  bool AwaitMessage(const std::string& channel, const std::string& payload,
                    absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!inbox_.Has(channel, payload)) {
      if (absl::Now() >= deadline) return false;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return true;
  }

  // Waits until `channel` is confirmed on the node serving its slot now.
  bool AwaitPlacedAtOwner(const std::string& channel, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      const std::string owner = OwnerAddress(channel);
      absl::flat_hash_map<std::string, std::string> placed = sub_->placement();
      auto it = placed.find(channel);
      if (it != placed.end() && it->second == owner) return true;
      if (absl::Now() >= deadline) return false;
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  // Channel names "<prefix>0", "<prefix>1", ... until each primary serves
  // `per_node` of them.
  static std::vector<std::string> ChannelsOnEveryPrimary(
      const std::string& prefix, int per_node) {
    std::map<int, int> count;
    std::vector<std::string> out;
    for (int i = 0; static_cast<int>(out.size()) < 3 * per_node; ++i) {
      const std::string channel = absl::StrCat(prefix, i);
      absl::StatusOr<int> owner = cluster_->PrimaryForSlot(KeySlot(channel));
      if (!owner.ok()) continue;
      if (count[*owner] >= per_node) continue;
      ++count[*owner];
      out.push_back(channel);
    }
    return out;
  }

  std::unique_ptr<EventLoopThread> thread_;
  std::unique_ptr<AsyncClusterClient> client_;
  Inbox inbox_;
  std::unique_ptr<AsyncShardedSubscriber> sub_;
  std::atomic<int> failed_attempts_{0};
};

TEST_F(AsyncShardedPubSubTest, ReceivesOnChannelsOfEveryPrimary) {
  const std::vector<std::string> channels = ChannelsOnEveryPrimary("all:", 2);
  ASSERT_TRUE(sub_->SSubscribe(channels).Get(kWait).ok());
  EXPECT_EQ(sub_->nodes(), 3);
  EXPECT_TRUE(sub_->pending().empty());
  EXPECT_EQ(sub_->channels().size(), channels.size());
  for (const std::string& channel : channels) {
    EXPECT_EQ(sub_->placement().at(channel), OwnerAddress(channel)) << channel;
    EXPECT_EQ(Publish(channel, "hello " + channel), 1) << channel;
  }
  for (const std::string& channel : channels) {
    EXPECT_TRUE(AwaitMessage(channel, "hello " + channel, kWait)) << channel;
    EXPECT_EQ(inbox_.Of(channel).size(), 1u) << channel;
  }
}

TEST_F(AsyncShardedPubSubTest, ChannelsOfManySlotsOnOneNodeInOneCall) {
  // Different slots on the same primary: one raw SSUBSCRIBE would be
  // refused with CROSSSLOT; the subscriber sends one per slot.
  const std::string a = "cross:a";
  std::string b;
  for (int i = 0;; ++i) {
    b = absl::StrCat("cross:b", i);
    if (KeySlot(b) != KeySlot(a) && OwnerAddress(b) == OwnerAddress(a)) break;
  }
  ASSERT_TRUE(sub_->SSubscribe({a, b, a}).Get(kWait).ok());
  EXPECT_EQ(sub_->nodes(), 1);
  EXPECT_EQ(sub_->channels(), (std::vector<std::string>{a, b}));
  EXPECT_EQ(Publish(a, "1"), 1);
  EXPECT_EQ(Publish(b, "2"), 1);
  EXPECT_TRUE(AwaitMessage(a, "1", kWait));
  EXPECT_TRUE(AwaitMessage(b, "2", kWait));
}

TEST_F(AsyncShardedPubSubTest, SUnsubscribeStopsDelivery) {
  // One slot, so both messages travel on one connection, in order.
  ASSERT_TRUE(sub_->SSubscribe({"{u}gone", "{u}kept"}).Get(kWait).ok());
  ASSERT_TRUE(sub_->SUnsubscribe({"{u}gone"}).Get(kWait).ok());
  EXPECT_EQ(sub_->channels(), std::vector<std::string>{"{u}kept"});
  EXPECT_EQ(Publish("{u}gone", "x"), 0);  // The server has no subscriber.
  EXPECT_EQ(Publish("{u}kept", "y"), 1);
  EXPECT_TRUE(AwaitMessage("{u}kept", "y", kWait));
  EXPECT_TRUE(inbox_.Of("{u}gone").empty());
  // Unsubscribing everything closes the node connection.
  ASSERT_TRUE(sub_->SUnsubscribe({}).Get(kWait).ok());
  EXPECT_EQ(sub_->nodes(), 0);
  EXPECT_TRUE(sub_->channels().empty());
  EXPECT_EQ(Publish("{u}kept", "z"), 0);
  EXPECT_EQ(inbox_.Of("{u}kept").size(), 1u);
}

TEST_F(AsyncShardedPubSubTest, RejectsBadArgumentsAndUseAfterClose) {
  EXPECT_EQ(sub_->SSubscribe({}).Get(kWait).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(sub_->SSubscribe({"ok", ""}).Get(kWait).code(),
            absl::StatusCode::kInvalidArgument);
  AsyncShardedSubscriber::Options no_handler;
  EXPECT_EQ(
      AsyncShardedSubscriber::Create(*client_, no_handler).status().code(),
      absl::StatusCode::kInvalidArgument);
  AsyncShardedSubscriber::Options bad_timeout;
  bad_timeout.handler = [](absl::string_view, absl::string_view) {};
  bad_timeout.subscribe_timeout = absl::ZeroDuration();
  EXPECT_EQ(
      AsyncShardedSubscriber::Create(*client_, bad_timeout).status().code(),
      absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(sub_->SSubscribe({"closing"}).Get(kWait).ok());
  sub_->Close();
  sub_->Close();  // Idempotent.
  EXPECT_TRUE(sub_->closed());
  EXPECT_EQ(sub_->nodes(), 0);
  EXPECT_TRUE(sub_->channels().empty());
  EXPECT_EQ(sub_->SSubscribe({"x"}).Get(kWait).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(sub_->SUnsubscribe({"x"}).Get(kWait).code(),
            absl::StatusCode::kFailedPrecondition);
  // No handler runs once Close() has returned.
  Publish("closing", "after");
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_TRUE(inbox_.Of("closing").empty());
}

TEST_F(AsyncShardedPubSubTest, RefreshTopologyResolves) {
  const int64_t before = client_->topology_refreshes();
  ASSERT_TRUE(client_->RefreshTopology().Get(kWait).ok());
  EXPECT_FALSE(client_->slot_map()->shards().empty());
  EXPECT_GE(client_->topology_refreshes(), before);
  EXPECT_EQ(client_->options().seeds, cluster_->seed_addresses());
}

// What AsyncShardedSubscriber builds on: a plain async PubSub on the
// owner reports the server's sunsubscribe when the slot moves away, and not
// the SUNSUBSCRIBE it asked for itself.
TEST_F(AsyncShardedPubSubTest, AsyncPubSubReportsServerSUnsubscribe) {
  const std::vector<std::string> channels = ChannelsOnEveryPrimary("raw:", 1);
  const std::string moving = channels[0];
  std::string own;  // Same node, another slot.
  for (int i = 0;; ++i) {
    own = absl::StrCat("raw:own", i);
    if (KeySlot(own) != KeySlot(moving) &&
        OwnerAddress(own) == OwnerAddress(moving)) {
      break;
    }
  }
  absl::StatusOr<int> from = cluster_->PrimaryForSlot(KeySlot(moving));
  ASSERT_TRUE(from.ok()) << from.status();
  absl::StatusOr<int> to = cluster_->PrimaryForSlot(KeySlot(channels[1]));
  ASSERT_TRUE(to.ok()) << to.status();
  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = cluster_->node(*from).port();
  absl::Mutex mu;
  std::vector<std::string> dropped;
  async::PubSubHandlers h;
  h.on_sunsubscribed = [&](absl::string_view channel) {
    absl::MutexLock lock(&mu);
    dropped.emplace_back(channel);
  };
  absl::StatusOr<std::unique_ptr<async::PubSub>> pubsub =
      async::PubSub::Create(thread_->loop(), o, std::move(h));
  ASSERT_TRUE(pubsub.ok()) << pubsub.status();
  ASSERT_TRUE((*pubsub)->SSubscribe({moving}).Get(kWait).ok());
  ASSERT_TRUE((*pubsub)->SSubscribe({own}).Get(kWait).ok());
  ASSERT_TRUE((*pubsub)->SUnsubscribe({own}).Get(kWait).ok());
  ASSERT_TRUE(cluster_->MoveSlot(KeySlot(moving), *to).ok());
  const absl::Time deadline = absl::Now() + kWait;
  for (;;) {
    {
      absl::MutexLock lock(&mu);
      if (!dropped.empty() || absl::Now() >= deadline) break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  pubsub->reset();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(dropped, std::vector<std::string>{moving});
}

TEST_F(AsyncShardedPubSubTest, FollowsAMigratedSlot) {
  const std::vector<std::string> channels = ChannelsOnEveryPrimary("mig:", 1);
  ASSERT_TRUE(sub_->SSubscribe(channels).Get(kWait).ok());
  const std::string moving = channels[0];
  const std::string before = sub_->placement().at(moving);
  absl::StatusOr<int> to = cluster_->PrimaryForSlot(KeySlot(channels[1]));
  ASSERT_TRUE(to.ok()) << to.status();
  ASSERT_TRUE(cluster_->MoveSlot(KeySlot(moving), *to).ok());

  // The old owner pushes sunsubscribe; the subscriber moves the channel.
  ASSERT_TRUE(AwaitPlacedAtOwner(moving, kWait));
  EXPECT_NE(sub_->placement().at(moving), before);
  EXPECT_GE(sub_->resubscriptions(), 1);
  EXPECT_TRUE(sub_->pending().empty());
  EXPECT_EQ(Publish(moving, "moved"), 1);
  EXPECT_TRUE(AwaitMessage(moving, "moved", kWait));
  // The other subscriptions were not disturbed.
  for (size_t i = 1; i < channels.size(); ++i) {
    EXPECT_EQ(Publish(channels[i], "still"), 1) << channels[i];
    EXPECT_TRUE(AwaitMessage(channels[i], "still", kWait)) << channels[i];
  }
}

// A publisher thread SPUBLISHes numbered messages through the failover;
// once the channel is confirmed at the new primary, every message published
// afterwards must arrive.
TEST_F(AsyncShardedPubSubTest, FollowsAManualFailoverUnderTraffic) {
  const std::string channel = "fo:chan";
  ASSERT_TRUE(sub_->SSubscribe({channel}).Get(kWait).ok());
  absl::StatusOr<int> primary = cluster_->PrimaryForSlot(KeySlot(channel));
  ASSERT_TRUE(primary.ok()) << primary.status();
  absl::StatusOr<std::vector<int>> replicas = cluster_->ReplicasOf(*primary);
  ASSERT_TRUE(replicas.ok()) << replicas.status();
  ASSERT_FALSE(replicas->empty());
  const int new_primary = (*replicas)[0];

  std::atomic<int> published{0};  // Sequence numbers handed out so far.
  std::atomic<bool> stop{false};
  std::thread publisher([&] {
    while (!stop.load()) {
      const int seq = published.fetch_add(1) + 1;
      Publish(channel, absl::StrCat(seq));
      absl::SleepFor(absl::Milliseconds(5));
    }
  });

  ASSERT_TRUE(cluster_->Failover(new_primary).ok());
  ASSERT_TRUE(
      cluster_->WaitForPrimaryOf(KeySlot(channel), absl::Seconds(30)).ok());
  const bool placed = AwaitPlacedAtOwner(channel, absl::Seconds(30));
  // Messages numbered above this were published after the confirmation
  // (publishing is synchronous: SPUBLISH returned before the next number).
  const int confirmed_at = published.load();
  absl::SleepFor(absl::Milliseconds(500));
  stop = true;
  publisher.join();
  const int last = published.load();
  ASSERT_TRUE(placed) << "placed at "
                      << (sub_->placement().contains(channel)
                              ? sub_->placement().at(channel)
                              : "nowhere")
                      << ", owner " << OwnerAddress(channel)
                      << ", failed attempts " << failed_attempts_.load();
  EXPECT_EQ(sub_->placement().at(channel),
            absl::StrCat("127.0.0.1:", cluster_->node(new_primary).port()));
  EXPECT_GE(sub_->resubscriptions(), 1);
  ASSERT_GT(last, confirmed_at);
  EXPECT_TRUE(AwaitMessage(channel, absl::StrCat(last), kWait));
  std::set<int> got;
  for (const std::string& p : inbox_.Of(channel)) got.insert(std::stoi(p));
  for (int seq = confirmed_at + 1; seq <= last; ++seq) {
    EXPECT_TRUE(got.contains(seq))
        << "message " << seq << " lost (confirmed at " << confirmed_at
        << ", last " << last << ")";
  }
}

// Runs last: the killed node stays dead for the rest of the suite. Its
// PubSub keeps reconnecting in vain; the subscriber re-checks the map until
// the cluster has elected a replica, then moves the channel there.
TEST_F(AsyncShardedPubSubTest, FollowsAKilledPrimary) {
  const std::vector<std::string> channels = ChannelsOnEveryPrimary("kill:", 1);
  ASSERT_TRUE(sub_->SSubscribe(channels).Get(kWait).ok());
  const std::string channel = channels[0];
  absl::StatusOr<int> primary = cluster_->PrimaryForSlot(KeySlot(channel));
  ASSERT_TRUE(primary.ok()) << primary.status();
  ASSERT_TRUE(cluster_->KillNode(*primary).ok());
  ASSERT_TRUE(
      cluster_->WaitForPrimaryOf(KeySlot(channel), absl::Seconds(30)).ok());
  ASSERT_TRUE(AwaitPlacedAtOwner(channel, absl::Seconds(30)));
  EXPECT_NE(sub_->placement().at(channel),
            absl::StrCat("127.0.0.1:", cluster_->node(*primary).port()));
  EXPECT_GE(sub_->resubscriptions(), 1);
  EXPECT_EQ(Publish(channel, "after"), 1);
  EXPECT_TRUE(AwaitMessage(channel, "after", kWait));
  for (size_t i = 1; i < channels.size(); ++i) {
    EXPECT_EQ(Publish(channels[i], "still"), 1) << channels[i];
    EXPECT_TRUE(AwaitMessage(channels[i], "still", kWait)) << channels[i];
  }
}

}  // namespace
}  // namespace cluster
}  // namespace valkey
