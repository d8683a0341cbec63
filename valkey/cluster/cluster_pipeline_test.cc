// ClusterPipeline against a real 3-primary/3-replica cluster: a large batch
// over every primary, order with keyless and failing commands, and MOVED /
// ASK inside a batch during a slot migration. Every reply is checked
// against its own command.

#include "valkey/cluster/cluster_pipeline.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_cluster.h"
#include "valkey/cluster/cluster_client.h"
#include "valkey/cluster/cluster_options.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/common/errors.h"

namespace valkey::cluster {
namespace {

using ::valkey::testing::ValkeyCluster;

class ClusterPipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<ValkeyCluster>> cluster =
        ValkeyCluster::Start({});
    if (!cluster.ok()) {
      ADD_FAILURE() << "cluster did not start: " << cluster.status();
      return;
    }
    cluster_ = cluster->release();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  std::unique_ptr<ClusterClient> MakeClient(bool split = false) {
    ClusterOptions o;
    o.seeds = cluster_->seed_addresses();
    o.connection.connect_timeout = absl::Seconds(2);
    o.connection.socket_timeout = absl::Seconds(5);
    o.split_multi_key = split;
    absl::StatusOr<std::unique_ptr<ClusterClient>> client =
        ClusterClient::Create(std::move(o));
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  static ValkeyCluster* cluster_;
};

ValkeyCluster* ClusterPipelineTest::cluster_ = nullptr;

TEST_F(ClusterPipelineTest, ThousandCommandsOverAllPrimaries) {
  ASSERT_NE(cluster_, nullptr);
  auto client = MakeClient();
  ASSERT_NE(client, nullptr);
  constexpr int kKeys = 500;
  ClusterPipeline pipe(*client);
  std::set<int> primaries;
  for (int i = 0; i < kKeys; ++i) {
    pipe.Add("SET", absl::StrCat("pipe:", i), absl::StrCat("v", i));
    absl::StatusOr<int> p =
        cluster_->PrimaryForSlot(KeySlot(absl::StrCat("pipe:", i)));
    ASSERT_TRUE(p.ok()) << p.status();
    primaries.insert(*p);
  }
  for (int i = 0; i < kKeys; ++i) pipe.Add("GET", absl::StrCat("pipe:", i));
  EXPECT_EQ(primaries.size(), 3u);
  ASSERT_EQ(pipe.size(), 2u * kKeys);
  std::vector<absl::StatusOr<Reply>> replies = pipe.Exec();
  EXPECT_EQ(pipe.size(), 0u);
  ASSERT_EQ(replies.size(), 2u * kKeys);
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(replies[i].ok()) << i << ": " << replies[i].status();
    EXPECT_EQ(replies[i]->str(), "OK") << i;
    const auto& get = replies[kKeys + i];
    ASSERT_TRUE(get.ok()) << i << ": " << get.status();
    EXPECT_EQ(get->str(), absl::StrCat("v", i)) << i;
  }
}

TEST_F(ClusterPipelineTest, OrderKeptWithKeylessRefusedAndErrorReplies) {
  ASSERT_NE(cluster_, nullptr);
  auto client = MakeClient();
  ASSERT_NE(client, nullptr);
  ClusterPipeline pipe(*client);
  pipe.Add("SET", "order:a", "1");             // 0
  pipe.Add("PING");                            // 1 keyless
  pipe.Add("INCR", "order:text");              // 2 (set to text below)
  pipe.Add("SET", "order:text", "abc");        // 3
  pipe.Add("INCR", "order:text");              // 4 error reply
  pipe.Add("ECHO", "hello");                   // 5 keyless
  pipe.Add("MGET", "order:a", "order:b");      // 6 cross-slot: refused
  pipe.Add("GET", "order:a");                  // 7
  pipe.Add("DBSIZE");                          // 8 broadcast
  pipe.Add("INCRBY", "order:n", 5);            // 9
  pipe.Add("DEL", "order:text", "order:n");    // 10 cross-slot: refused
  std::vector<absl::StatusOr<Reply>> r = pipe.Exec();
  ASSERT_EQ(r.size(), 11u);
  ASSERT_TRUE(r[0].ok()) << r[0].status();
  EXPECT_EQ(r[0]->str(), "OK");
  ASSERT_TRUE(r[1].ok()) << r[1].status();
  EXPECT_EQ(r[1]->str(), "PONG");
  // r[2] depends on earlier runs; r[3] sets a non-number.
  ASSERT_TRUE(r[3].ok()) << r[3].status();
  ASSERT_FALSE(r[4].ok());
  EXPECT_TRUE(absl::StrContains(r[4].status().message(), "not an integer"))
      << r[4].status();
  ASSERT_TRUE(r[5].ok()) << r[5].status();
  EXPECT_EQ(r[5]->str(), "hello");
  EXPECT_EQ(GetErrorKind(r[6].status()), ErrorKind::kCrossSlot)
      << r[6].status();
  ASSERT_TRUE(r[7].ok()) << r[7].status();
  EXPECT_EQ(r[7]->str(), "1");
  ASSERT_TRUE(r[8].ok()) << r[8].status();
  EXPECT_GE(r[8]->integer(), 3);
  ASSERT_TRUE(r[9].ok()) << r[9].status();
  EXPECT_GE(r[9]->integer(), 5);
  EXPECT_EQ(GetErrorKind(r[10].status()), ErrorKind::kCrossSlot);

  // With split_multi_key the cross-slot commands run, split.
  auto split = MakeClient(/*split=*/true);
  ASSERT_NE(split, nullptr);
  ClusterPipeline p2(*split);
  p2.Add("MSET", "order:x", "X", "order:y", "Y");
  p2.Add("MGET", "order:x", "order:missing", "order:y");
  p2.Add("DEL", "order:x", "order:y", "order:missing");
  r = p2.Exec();
  ASSERT_EQ(r.size(), 3u);
  ASSERT_TRUE(r[0].ok()) << r[0].status();
  ASSERT_TRUE(r[1].ok()) << r[1].status();
  ASSERT_EQ(r[1]->size(), 3u);
  EXPECT_EQ((*r[1])[0].str(), "X");
  EXPECT_TRUE((*r[1])[1].is_null());
  EXPECT_EQ((*r[1])[2].str(), "Y");
  ASSERT_TRUE(r[2].ok()) << r[2].status();
  EXPECT_EQ(r[2]->integer(), 2);
}

TEST_F(ClusterPipelineTest, MovedAndAskInsideTheBatch) {
  ASSERT_NE(cluster_, nullptr);
  auto client = MakeClient();
  ASSERT_NE(client, nullptr);
  // Two tags: {pask} is half migrated (ASK for moved keys), {pmov} fully
  // moved behind the client's back (MOVED from the old owner).
  const int ask_slot = KeySlot("pask");
  const int mov_slot = KeySlot("pmov");
  constexpr int kKeys = 10;
  {
    ClusterPipeline fill(*client);
    for (int k = 0; k < kKeys; ++k) {
      fill.Add("SET", absl::StrCat("{pask}", k), absl::StrCat("a", k));
      fill.Add("SET", absl::StrCat("{pmov}", k), absl::StrCat("m", k));
    }
    for (const auto& r : fill.Exec()) ASSERT_TRUE(r.ok()) << r.status();
  }
  // Moved slot: migrate all and finish, without the client knowing.
  absl::StatusOr<int> mov_from = cluster_->PrimaryForSlot(mov_slot);
  ASSERT_TRUE(mov_from.ok()) << mov_from.status();
  const int mov_to = (*mov_from + 1) % 3;
  ASSERT_TRUE(cluster_->BeginMigration(mov_slot, *mov_from, mov_to).ok());
  ASSERT_TRUE(cluster_->MigrateKeys(mov_slot, *mov_from, mov_to).ok());
  ASSERT_TRUE(cluster_->FinishMigration(mov_slot, *mov_from, mov_to).ok());
  // Asked slot: every key moved, the migration left open, so each key on
  // the source answers ASK.
  absl::StatusOr<int> ask_from = cluster_->PrimaryForSlot(ask_slot);
  ASSERT_TRUE(ask_from.ok()) << ask_from.status();
  const int ask_to = (*ask_from + 1) % 3;
  ASSERT_TRUE(cluster_->BeginMigration(ask_slot, *ask_from, ask_to).ok());
  absl::StatusOr<int> moved = cluster_->MigrateKeys(ask_slot, *ask_from,
                                                     ask_to);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, kKeys);

  ClusterPipeline pipe(*client);
  for (int k = 0; k < kKeys; ++k) {
    pipe.Add("GET", absl::StrCat("{pask}", k));
    pipe.Add("PING");
    pipe.Add("GET", absl::StrCat("{pmov}", k));
    pipe.Add("GET", absl::StrCat("elsewhere:", k));
  }
  std::vector<absl::StatusOr<Reply>> r = pipe.Exec();
  ASSERT_EQ(r.size(), 4u * kKeys);
  for (int k = 0; k < kKeys; ++k) {
    ASSERT_TRUE(r[4 * k].ok()) << k << ": " << r[4 * k].status();
    EXPECT_EQ(r[4 * k]->str(), absl::StrCat("a", k));
    ASSERT_TRUE(r[4 * k + 1].ok()) << r[4 * k + 1].status();
    EXPECT_EQ(r[4 * k + 1]->str(), "PONG");
    ASSERT_TRUE(r[4 * k + 2].ok()) << k << ": " << r[4 * k + 2].status();
    EXPECT_EQ(r[4 * k + 2]->str(), absl::StrCat("m", k));
    ASSERT_TRUE(r[4 * k + 3].ok()) << r[4 * k + 3].status();
    EXPECT_TRUE(r[4 * k + 3]->is_null());
  }
  ASSERT_TRUE(cluster_->FinishMigration(ask_slot, *ask_from, ask_to).ok());
}

}  // namespace
}  // namespace valkey::cluster
