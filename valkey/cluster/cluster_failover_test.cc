// A primary crashes (SIGKILL) while both cluster clients write to its
// slots: no write acknowledged by a replica (WAIT) is lost, no caller gets
// another caller's reply, and each client writes to the new primary within
// 1 s of the moment the cluster has elected it (as observed by the fixture:
// every live node names the replica as the slot's primary). One cluster,
// used up by the kill.

#include <atomic>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_cluster.h"
#include "valkey/async/event_loop.h"
#include "valkey/cluster/async_cluster_client.h"
#include "valkey/cluster/cluster_client.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/common/reply.h"

namespace valkey::cluster {
namespace {

using ::valkey::async::EventLoopThread;
using ::valkey::testing::ValkeyCluster;

// A key of `slot`: "{tag}suffix" for the first tag hashing there.
std::string KeyInSlot(int slot, absl::string_view suffix) {
  for (int i = 0;; ++i) {
    std::string tag = absl::StrCat("f", i);
    if (KeySlot(tag) == slot) return absl::StrCat("{", tag, "}", suffix);
  }
}

// One writer's record: writes run SET then GET of the same key (each value
// names its writer and sequence number, so a reply meant for another caller
// shows), until told to stop.
struct WriterLog {
  absl::Mutex mu;
  int64_t ok = 0;
  int64_t failed = 0;
  int64_t mismatched = 0;  // A GET answered with another value.
  std::optional<absl::Time> first_ok_after;  // After `watch_from`.
  absl::Time watch_from = absl::InfiniteFuture();

  void Record(bool success, bool matched) {
    absl::MutexLock lock(&mu);
    if (!matched) ++mismatched;
    if (!success) {
      ++failed;
      return;
    }
    ++ok;
    const absl::Time now = absl::Now();
    if (now >= watch_from && !first_ok_after.has_value()) first_ok_after = now;
  }
  void WatchFrom(absl::Time t) {
    absl::MutexLock lock(&mu);
    watch_from = t;
  }
};

TEST(ClusterFailoverTest, BothClientsWriteToTheNewPrimarySoonAfterACrash) {
  absl::StatusOr<std::unique_ptr<ValkeyCluster>> started =
      ValkeyCluster::Start({});
  ASSERT_TRUE(started.ok()) << started.status();
  ValkeyCluster& cluster = **started;
  // Slot 7000 is primary 1's (5462..10922), replicated to node 4.
  const int slot = 7000;
  absl::StatusOr<int> primary = cluster.PrimaryForSlot(slot);
  ASSERT_TRUE(primary.ok()) << primary.status();
  ASSERT_EQ(*primary, 1);
  absl::StatusOr<std::vector<int>> replicas = cluster.ReplicasOf(1);
  ASSERT_TRUE(replicas.ok() && replicas->size() == 1u);
  const int heir = (*replicas)[0];

  // Default back-off (equal jitter 8..512 ms); retries enough to ride out
  // the few seconds the election takes.
  ClusterOptions options;
  options.seeds = cluster.seed_addresses();
  options.connection.connect_timeout = absl::Seconds(2);
  options.connection.socket_timeout = absl::Seconds(5);
  options.connection.retry.retries = 200;
  absl::StatusOr<std::unique_ptr<ClusterClient>> sync_client =
      ClusterClient::Create(options);
  ASSERT_TRUE(sync_client.ok()) << sync_client.status();
  absl::StatusOr<std::unique_ptr<EventLoopThread>> loop =
      EventLoopThread::Start();
  ASSERT_TRUE(loop.ok()) << loop.status();
  absl::StatusOr<std::unique_ptr<AsyncClusterClient>> async_client =
      AsyncClusterClient::Create((*loop)->loop(), options);
  ASSERT_TRUE(async_client.ok()) << async_client.status();

  // Writes acknowledged by the replica before the crash must survive it.
  std::vector<std::string> replicated;
  for (int i = 0; i < 200; ++i) {
    replicated.push_back(KeyInSlot(slot, absl::StrCat(":kept", i)));
    absl::StatusOr<bool> set =
        (*sync_client)->Set(replicated.back(), absl::StrCat("v", i));
    ASSERT_TRUE(set.ok()) << set.status();
  }
  std::unique_ptr<Client> on_primary;
  {
    absl::StatusOr<std::unique_ptr<Client>> c =
        (*sync_client)->ClientFor(replicated[0]);
    ASSERT_TRUE(c.ok()) << c.status();
    on_primary = *std::move(c);
  }
  absl::StatusOr<Reply> waited = on_primary->Execute("WAIT", "1", "5000");
  ASSERT_TRUE(waited.ok()) << waited.status();
  ASSERT_EQ(waited->integer(), 1) << "the replica did not acknowledge";
  on_primary.reset();

  std::atomic<bool> stop{false};
  WriterLog sync_log;
  WriterLog async_log;
  std::thread sync_writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string key = KeyInSlot(slot, ":sync");
      const std::string value = absl::StrCat("s", i);
      absl::StatusOr<bool> set = (*sync_client)->Set(key, value);
      if (!set.ok()) {
        sync_log.Record(false, true);
        continue;
      }
      absl::StatusOr<std::optional<std::string>> got =
          (*sync_client)->Get(key);
      sync_log.Record(got.ok(), !got.ok() || *got == value);
    }
  });
  // The async writer keeps several commands in flight, each checked.
  std::thread async_writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string key = KeyInSlot(slot, absl::StrCat(":async", i % 8));
      const std::string value = absl::StrCat("a", i);
      absl::StatusOr<bool> set =
          (*async_client)->Set(key, value).Get(absl::Seconds(60));
      if (!set.ok()) {
        async_log.Record(false, true);
        continue;
      }
      absl::StatusOr<std::optional<std::string>> got =
          (*async_client)->Get(key).Get(absl::Seconds(60));
      async_log.Record(got.ok(), !got.ok() || *got == value);
    }
  });

  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_TRUE(cluster.KillNode(1).ok());
  const absl::Time killed = absl::Now();
  absl::Status elected = cluster.WaitForPrimaryOf(slot, absl::Seconds(60));
  const absl::Time observed = absl::Now();
  sync_log.WatchFrom(observed);
  async_log.WatchFrom(observed);
  // Writers get up to 5 s to reach the new primary; the bound is below.
  const absl::Time give_up = observed + absl::Seconds(5);
  while (absl::Now() < give_up) {
    bool both;
    {
      absl::MutexLock a(&sync_log.mu);
      absl::MutexLock b(&async_log.mu);
      both = sync_log.first_ok_after.has_value() &&
             async_log.first_ok_after.has_value();
    }
    if (both) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  stop = true;
  sync_writer.join();
  async_writer.join();
  ASSERT_TRUE(elected.ok()) << elected;
  ASSERT_EQ(cluster.PrimaryForSlot(slot).value_or(-1), heir);

  for (WriterLog* log : {&sync_log, &async_log}) {
    absl::MutexLock lock(&log->mu);
    const char* who = log == &sync_log ? "ClusterClient" : "AsyncClusterClient";
    EXPECT_EQ(log->mismatched, 0) << who << ": a reply for another command";
    ASSERT_TRUE(log->first_ok_after.has_value())
        << who << ": no successful write within 5 s of the election";
    const absl::Duration gap = *log->first_ok_after - log->watch_from;
    std::cerr << who << ": killed -> election observed "
              << absl::FormatDuration(observed - killed)
              << "; first write on the new primary "
              << absl::FormatDuration(gap) << " later; " << log->ok
              << " writes ok, " << log->failed << " failed\n";
    EXPECT_LT(gap, absl::Seconds(1))
        << who << " reached the new primary only after "
        << absl::FormatDuration(gap);
  }
  // Nothing acknowledged by the replica was lost.
  for (size_t i = 0; i < replicated.size(); ++i) {
    absl::StatusOr<std::optional<std::string>> v =
        (*sync_client)->Get(replicated[i]);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(*v, std::optional<std::string>(absl::StrCat("v", i)))
        << replicated[i];
  }
  const Shard* shard = (*sync_client)->slot_map()->ShardForSlot(slot);
  ASSERT_NE(shard, nullptr);
  EXPECT_EQ(shard->primary.port, cluster.node(heir).port());
}

}  // namespace
}  // namespace valkey::cluster
