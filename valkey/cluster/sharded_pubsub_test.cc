// ShardedSubscriber against a real 3-primary cluster (one replica each):
// channels on every primary, several slots in one call, SUNSUBSCRIBE, and
// subscriptions following a slot migration, a manual failover and a killed
// primary. One cluster serves the whole suite; the cases that change the
// topology find the current owners themselves and run last (the kill
// leaves a node dead).

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
#include "valkey/client/client.h"
#include "valkey/client/pubsub.h"
#include "valkey/cluster/cluster_client.h"
#include "valkey/cluster/cluster_options.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/cluster/sharded_subscriber.h"
#include "valkey/common/config.h"
#include "valkey/common/credentials.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace cluster {
namespace {

using ::valkey::testing::ValkeyCluster;

// What the handler saw, safe to read from the test body.
class Inbox {
 public:
  void Add(const PubSub::Message& m) {
    absl::MutexLock lock(&mu_);
    got_[m.channel].push_back(m.payload);
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

class ShardedPubSubTest
    : public valkey::testing::ValkeyClusterTest<ShardedPubSubTest> {
 protected:
  void SetUp() override {
    ValkeyClusterTest::SetUp();
    if (HasFatalFailure()) return;
    ClusterOptions o;
    o.seeds = cluster_->seed_addresses();
    o.connection.socket_timeout = absl::Seconds(5);
    o.connection.retry.retries = 2;
    absl::StatusOr<std::unique_ptr<ClusterClient>> client =
        ClusterClient::Create(o);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    ShardedSubscriber::Options so;
    so.handler = [this](const PubSub::Message& m) { inbox_.Add(m); };
    so.on_status = [this](const absl::Status& s,
                          absl::Span<const std::string>) {
      ++failed_attempts_;
      last_failure_ = s;
    };
    absl::StatusOr<std::unique_ptr<ShardedSubscriber>> sub =
        ShardedSubscriber::Create(*client_, so);
    ASSERT_TRUE(sub.ok()) << sub.status();
    sub_ = *std::move(sub);
  }

  // "127.0.0.1:<port>" of the node serving `channel`'s slot now.
  static std::string OwnerAddress(const std::string& channel) {
    absl::StatusOr<int> owner = cluster_->PrimaryForSlot(KeySlot(channel));
    EXPECT_TRUE(owner.ok()) << owner.status();
    if (!owner.ok()) return "";
    return absl::StrCat("127.0.0.1:", cluster_->node(*owner).port());
  }

  // SPUBLISH; the number of receivers.
  int64_t Publish(const std::string& channel, const std::string& payload) {
    absl::StatusOr<Reply> r = client_->Execute("SPUBLISH", channel, payload);
    if (!r.ok()) return -1;
    return r->view().integer();
  }

  // Polls until `payload` on `channel` arrived or `timeout` passed.
  bool AwaitMessage(const std::string& channel, const std::string& payload,
                    absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!inbox_.Has(channel, payload)) {
      if (absl::Now() >= deadline) return false;
      EXPECT_TRUE(sub_->Poll(absl::Milliseconds(20)).ok());
    }
    return true;
  }

  // Publishes numbered messages until one arrives (the subscription took
  // effect at the slot's owner); then publishes `more` and expects every one
  // of them. Returns false on the deadline.
  bool PublishUntilReceived(const std::string& channel, absl::Duration timeout,
                            int more = 5) {
    const absl::Time deadline = absl::Now() + timeout;
    for (int i = 0;; ++i) {
      const std::string payload = absl::StrCat("probe-", i);
      Publish(channel, payload);
      if (AwaitMessage(channel, payload, absl::Milliseconds(200))) break;
      if (absl::Now() >= deadline) return false;
    }
    for (int i = 0; i < more; ++i) {
      const std::string payload = absl::StrCat("after-", i);
      EXPECT_GE(Publish(channel, payload), 1) << channel;
      EXPECT_TRUE(AwaitMessage(channel, payload, absl::Seconds(10)))
          << channel << " " << payload;
    }
    return true;
  }

  // Polls until `channel` is confirmed on the node serving its slot now.
  bool AwaitPlacedAtOwner(const std::string& channel, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      const std::string owner = OwnerAddress(channel);
      auto it = sub_->placement().find(channel);
      if (it != sub_->placement().end() && it->second == owner) return true;
      if (absl::Now() >= deadline) return false;
      EXPECT_TRUE(sub_->Poll(absl::Milliseconds(50)).ok());
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

  std::unique_ptr<ClusterClient> client_;
  Inbox inbox_;
  std::unique_ptr<ShardedSubscriber> sub_;
  int failed_attempts_ = 0;
  absl::Status last_failure_;
};

TEST_F(ShardedPubSubTest, ReceivesOnChannelsOfEveryPrimary) {
  const std::vector<std::string> channels = ChannelsOnEveryPrimary("all:", 2);
  std::vector<absl::string_view> names(channels.begin(), channels.end());
  ASSERT_TRUE(sub_->SSubscribe(names).ok());
  EXPECT_EQ(sub_->nodes(), 3);
  EXPECT_TRUE(sub_->pending().empty());
  for (const std::string& channel : channels) {
    EXPECT_EQ(sub_->placement().at(channel), OwnerAddress(channel)) << channel;
    EXPECT_EQ(Publish(channel, "hello " + channel), 1) << channel;
  }
  for (const std::string& channel : channels) {
    EXPECT_TRUE(AwaitMessage(channel, "hello " + channel, absl::Seconds(10)))
        << channel;
    EXPECT_EQ(inbox_.Of(channel).size(), 1u) << channel;
  }
}

TEST_F(ShardedPubSubTest, ChannelsOfManySlotsOnOneNodeInOneCall) {
  // Two channels of different slots on the same primary: one raw
  // SSUBSCRIBE would be refused with CROSSSLOT; the subscriber splits it.
  const std::string a = "cross:a";
  std::string b;
  for (int i = 0;; ++i) {
    b = absl::StrCat("cross:b", i);
    if (KeySlot(b) != KeySlot(a) && OwnerAddress(b) == OwnerAddress(a)) break;
  }
  {
    // What the server says to a single SSUBSCRIBE naming both.
    absl::StatusOr<std::unique_ptr<Client>> node = client_->ClientFor(a);
    ASSERT_TRUE(node.ok()) << node.status();
    absl::StatusOr<std::unique_ptr<PubSub>> raw = PubSub::Create(**node);
    ASSERT_TRUE(raw.ok()) << raw.status();
    absl::Status refused = (*raw)->SSubscribe(a, b);
    EXPECT_EQ(ServerErrorPrefix(refused), "CROSSSLOT") << refused;
  }
  ASSERT_TRUE(sub_->SSubscribe(a, b).ok());
  EXPECT_EQ(sub_->nodes(), 1);
  EXPECT_EQ(Publish(a, "1"), 1);
  EXPECT_EQ(Publish(b, "2"), 1);
  EXPECT_TRUE(AwaitMessage(a, "1", absl::Seconds(10)));
  EXPECT_TRUE(AwaitMessage(b, "2", absl::Seconds(10)));
}

TEST_F(ShardedPubSubTest, SUnsubscribeStopsDelivery) {
  // One slot, so both messages travel on one connection, in order.
  ASSERT_TRUE(sub_->SSubscribe("{u}gone", "{u}kept").ok());
  ASSERT_TRUE(sub_->SUnsubscribe("{u}gone").ok());
  EXPECT_EQ(sub_->channels(), std::vector<std::string>{"{u}kept"});
  EXPECT_EQ(Publish("{u}gone", "x"), 0);  // The server has no subscriber.
  EXPECT_EQ(Publish("{u}kept", "y"), 1);
  EXPECT_TRUE(AwaitMessage("{u}kept", "y", absl::Seconds(10)));
  EXPECT_TRUE(inbox_.Of("{u}gone").empty());
  // Unsubscribing the last channel closes the node connection.
  ASSERT_TRUE(sub_->SUnsubscribe().ok());
  EXPECT_EQ(sub_->nodes(), 0);
  EXPECT_EQ(Publish("{u}kept", "z"), 0);
  EXPECT_TRUE(sub_->Poll(absl::Milliseconds(50)).ok());
  EXPECT_EQ(inbox_.Of("{u}kept").size(), 1u);
}

TEST_F(ShardedPubSubTest, RejectsBadArgumentsAndUseAfterClose) {
  EXPECT_EQ(sub_->SSubscribe(absl::Span<const absl::string_view>()).code(),
            absl::StatusCode::kInvalidArgument);
  ShardedSubscriber::Options no_handler;
  EXPECT_EQ(ShardedSubscriber::Create(*client_, no_handler).status().code(),
            absl::StatusCode::kInvalidArgument);
  sub_->Close();
  EXPECT_EQ(sub_->SSubscribe("x").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(sub_->Poll(absl::ZeroDuration()).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ShardedPubSubTest, RefusedChannelFailsTheCallWithoutRetrying) {
  // A user allowed only "allowed:*" channels, on every node.
  for (int i = 0; i < cluster_->size(); ++i) {
    ClientOptions co;
    co.connection.host = "127.0.0.1";
    co.connection.port = cluster_->node(i).port();
    absl::StatusOr<std::unique_ptr<Client>> node = Client::Create(co);
    ASSERT_TRUE(node.ok()) << node.status();
    absl::StatusOr<Reply> set =
        (*node)->Execute("ACL", "SETUSER", "limited", "on", ">limited-pw", "~*",
                         "resetchannels", "&allowed:*", "+@all");
    ASSERT_TRUE(set.ok()) << set.status();
  }
  ClusterOptions o;
  o.seeds = cluster_->seed_addresses();
  o.connection.credentials =
      std::make_shared<StaticCredentialProvider>("limited", "limited-pw");
  absl::StatusOr<std::unique_ptr<ClusterClient>> limited =
      ClusterClient::Create(o);
  ASSERT_TRUE(limited.ok()) << limited.status();
  ShardedSubscriber::Options so;
  so.handler = [this](const PubSub::Message& m) { inbox_.Add(m); };
  so.subscribe_timeout = absl::Seconds(30);  // Not waited for: no retry.
  absl::StatusOr<std::unique_ptr<ShardedSubscriber>> sub =
      ShardedSubscriber::Create(**limited, so);
  ASSERT_TRUE(sub.ok()) << sub.status();
  const absl::Time start = absl::Now();
  absl::Status s = (*sub)->SSubscribe("allowed:1", "denied:1");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_NE(s.message().find("denied:1"), std::string::npos) << s;
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));  // Not retried to the end.
  // The permitted channel was confirmed and stays.
  EXPECT_EQ((*sub)->channels(), std::vector<std::string>{"allowed:1"});
  EXPECT_EQ(Publish("allowed:1", "ok"), 1);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!inbox_.Has("allowed:1", "ok") && absl::Now() < deadline) {
    ASSERT_TRUE((*sub)->Poll(absl::Milliseconds(20)).ok());
  }
  EXPECT_TRUE(inbox_.Has("allowed:1", "ok"));
  sub->reset();
}

TEST_F(ShardedPubSubTest, FollowsAMigratedSlot) {
  const std::vector<std::string> channels = ChannelsOnEveryPrimary("mig:", 1);
  std::vector<absl::string_view> names(channels.begin(), channels.end());
  ASSERT_TRUE(sub_->SSubscribe(names).ok());
  const std::string moving = channels[0];
  const std::string before = sub_->placement().at(moving);
  absl::StatusOr<int> from = cluster_->PrimaryForSlot(KeySlot(moving));
  ASSERT_TRUE(from.ok()) << from.status();
  absl::StatusOr<int> to = cluster_->PrimaryForSlot(KeySlot(channels[1]));
  ASSERT_TRUE(to.ok()) << to.status();
  ASSERT_NE(*from, *to);
  ASSERT_TRUE(cluster_->MoveSlot(KeySlot(moving), *to).ok());

  // The old owner pushes sunsubscribe; the subscriber moves the channel.
  ASSERT_TRUE(AwaitPlacedAtOwner(moving, absl::Seconds(20)))
      << "still on " << sub_->placement().at(moving);
  EXPECT_NE(sub_->placement().at(moving), before);
  EXPECT_GE(sub_->resubscriptions(), 1);
  EXPECT_TRUE(PublishUntilReceived(moving, absl::Seconds(20)));
  // The other subscriptions were not disturbed.
  for (size_t i = 1; i < channels.size(); ++i) {
    EXPECT_EQ(Publish(channels[i], "still"), 1) << channels[i];
    EXPECT_TRUE(AwaitMessage(channels[i], "still", absl::Seconds(10)))
        << channels[i];
  }
}

TEST_F(ShardedPubSubTest, SSubscribeFollowsMovedWhenTheMapIsStale) {
  // The client's map predates this move, so the first SSUBSCRIBE goes to the
  // old owner, which answers MOVED.
  const std::string channel = "stale:chan";
  const int slot = KeySlot(channel);
  absl::StatusOr<int> from = cluster_->PrimaryForSlot(slot);
  ASSERT_TRUE(from.ok()) << from.status();
  const int to = (*from + 1) % 3;
  const std::string old_owner = OwnerAddress(channel);
  ASSERT_EQ(client_->slot_map()->ShardForSlot(slot)->primary.HostPort(),
            old_owner);
  ASSERT_TRUE(cluster_->MoveSlot(slot, to).ok());
  const int64_t refreshes = client_->stats().topology_refreshes;
  ASSERT_TRUE(sub_->SSubscribe(channel).ok());
  // MOVED made SSubscribe refresh the map and retry.
  EXPECT_GT(client_->stats().topology_refreshes, refreshes);
  EXPECT_EQ(sub_->placement().at(channel),
            absl::StrCat("127.0.0.1:", cluster_->node(to).port()));
  EXPECT_EQ(Publish(channel, "m"), 1);
  EXPECT_TRUE(AwaitMessage(channel, "m", absl::Seconds(10)));
}

// A publisher thread SPUBLISHes numbered messages through the failover
// while this thread polls; once the channel is confirmed at the new
// primary, every message published afterwards must arrive.
TEST_F(ShardedPubSubTest, FollowsAManualFailoverUnderTraffic) {
  const std::string channel = "fo:chan";
  ASSERT_TRUE(sub_->SSubscribe(channel).ok());
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
  // Messages numbered above this were published after the confirmation.
  const int confirmed_at = published.load();
  // Let some more messages go out, then stop and drain.
  const absl::Time traffic_end = absl::Now() + absl::Milliseconds(500);
  while (absl::Now() < traffic_end) {
    EXPECT_TRUE(sub_->Poll(absl::Milliseconds(20)).ok());
  }
  stop = true;
  publisher.join();
  const int last = published.load();
  ASSERT_TRUE(placed) << "placement "
                      << (sub_->placement().contains(channel)
                              ? sub_->placement().at(channel)
                              : "pending");
  EXPECT_EQ(sub_->placement().at(channel),
            absl::StrCat("127.0.0.1:", cluster_->node(new_primary).port()));
  // The demoted primary pushed sunsubscribe: the channel moved.
  EXPECT_GE(sub_->resubscriptions(), 1);
  ASSERT_GT(last, confirmed_at);
  // Publishing is synchronous (SPUBLISH returned before the next number),
  // so every message above confirmed_at was published after it.
  EXPECT_TRUE(AwaitMessage(channel, absl::StrCat(last), absl::Seconds(20)));
  std::set<int> got;
  for (const std::string& p : inbox_.Of(channel)) got.insert(std::stoi(p));
  for (int seq = confirmed_at + 1; seq <= last; ++seq) {
    EXPECT_TRUE(got.contains(seq))
        << "message " << seq << " lost (confirmed at " << confirmed_at
        << ", last " << last << ")";
  }
}

// Runs last: the killed node stays dead for the rest of the suite.
TEST_F(ShardedPubSubTest, FollowsAKilledPrimary) {
  const std::vector<std::string> channels = ChannelsOnEveryPrimary("kill:", 1);
  std::vector<absl::string_view> names(channels.begin(), channels.end());
  ASSERT_TRUE(sub_->SSubscribe(names).ok());
  const std::string channel = channels[0];
  absl::StatusOr<int> primary = cluster_->PrimaryForSlot(KeySlot(channel));
  ASSERT_TRUE(primary.ok()) << primary.status();
  ASSERT_TRUE(cluster_->KillNode(*primary).ok());
  ASSERT_TRUE(
      cluster_->WaitForPrimaryOf(KeySlot(channel), absl::Seconds(30)).ok());
  ASSERT_TRUE(AwaitPlacedAtOwner(channel, absl::Seconds(30)))
      << "last failure: " << last_failure_;
  EXPECT_NE(sub_->placement().at(channel),
            absl::StrCat("127.0.0.1:", cluster_->node(*primary).port()));
  EXPECT_TRUE(PublishUntilReceived(channel, absl::Seconds(20)));
  for (size_t i = 1; i < channels.size(); ++i) {
    EXPECT_EQ(Publish(channels[i], "still"), 1) << channels[i];
    EXPECT_TRUE(AwaitMessage(channels[i], "still", absl::Seconds(10)))
        << channels[i];
  }
}

}  // namespace
}  // namespace cluster
}  // namespace valkey
