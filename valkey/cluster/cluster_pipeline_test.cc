// ClusterPipeline against a real 3-primary/3-replica cluster: a large batch
// over every primary, order with keyless and failing commands, and MOVED /
// ASK inside a batch during a slot migration. Every reply is checked
// against its own command.

#include "valkey/cluster/cluster_pipeline.h"

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_cluster.h"
#include "testing/valkey_cluster_test.h"
#include "valkey/cluster/cluster_client.h"
#include "valkey/cluster/cluster_options.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/commands/list_commands.h"
#include "valkey/common/errors.h"

namespace valkey::cluster {
namespace {

using ::valkey::testing::ValkeyCluster;

class ClusterPipelineTest
    : public valkey::testing::ValkeyClusterTest<ClusterPipelineTest> {
 protected:
  std::unique_ptr<ClusterClient> MakeClient(
      bool split = false, absl::Duration socket_timeout = absl::Seconds(5)) {
    ClusterOptions o;
    o.seeds = cluster_->seed_addresses();
    o.connection.connect_timeout = absl::Seconds(2);
    o.connection.socket_timeout = socket_timeout;
    o.split_multi_key = split;
    absl::StatusOr<std::unique_ptr<ClusterClient>> client =
        ClusterClient::Create(std::move(o));
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }
};

TEST_F(ClusterPipelineTest, ThousandCommandsOverAllPrimaries) {
  ASSERT_NE(cluster_, nullptr);
  auto client = MakeClient();
  ASSERT_NE(client, nullptr);
  constexpr int kKeys = 500;
  ClusterPipeline pipe(*client);
  std::set<int> primaries;
  for (int i = 0; i < kKeys; ++i) {
    pipe.Command("SET", absl::StrCat("pipe:", i), absl::StrCat("v", i));
    absl::StatusOr<int> p =
        cluster_->PrimaryForSlot(KeySlot(absl::StrCat("pipe:", i)));
    ASSERT_TRUE(p.ok()) << p.status();
    primaries.insert(*p);
  }
  for (int i = 0; i < kKeys; ++i) pipe.Command("GET", absl::StrCat("pipe:", i));
  EXPECT_EQ(primaries.size(), 3u);
  ASSERT_EQ(pipe.size(), 2u * kKeys);
  ClusterPipelineResults replies = pipe.Execute();
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
  pipe.Command("SET", "order:a", "1");           // 0
  pipe.Command("PING");                          // 1 keyless
  pipe.Command("INCR", "order:text");            // 2 (set to text below)
  pipe.Command("SET", "order:text", "abc");      // 3
  pipe.Command("INCR", "order:text");            // 4 error reply
  pipe.Command("ECHO", "hello");                 // 5 keyless
  pipe.Command("MGET", "order:a", "order:b");    // 6 cross-slot: refused
  pipe.Command("GET", "order:a");                // 7
  pipe.Command("DBSIZE");                        // 8 broadcast
  pipe.Command("INCRBY", "order:n", 5);          // 9
  pipe.Command("DEL", "order:text", "order:n");  // 10 cross-slot: refused
  ClusterPipelineResults r = pipe.Execute();
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
  p2.Command("MSET", "order:x", "X", "order:y", "Y");
  p2.Command("MGET", "order:x", "order:missing", "order:y");
  p2.Command("DEL", "order:x", "order:y", "order:missing");
  r = p2.Execute();
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

TEST_F(ClusterPipelineTest, TypedCommandsConvertTheirOwnReplies) {
  ASSERT_NE(cluster_, nullptr);
  auto client = MakeClient();
  ASSERT_NE(client, nullptr);
  ClusterPipeline pipe(*client);
  // Keys on every primary, typed and raw commands mixed.
  std::set<int> primaries;
  std::vector<CommandRef<bool>> sets;
  std::vector<CommandRef<std::optional<std::string>>> gets;
  for (int i = 0; i < 30; ++i) {
    const std::string key = absl::StrCat("typed:", i);
    absl::StatusOr<int> p = cluster_->PrimaryForSlot(KeySlot(key));
    ASSERT_TRUE(p.ok()) << p.status();
    primaries.insert(*p);
    sets.push_back(pipe.Set(key, absl::StrCat("v", i)));
  }
  EXPECT_EQ(primaries.size(), 3u);
  (void)pipe.Command("DEL", "typed:count");
  CommandRef<int64_t> incr = pipe.IncrBy("typed:count", 7);
  CommandRef<Reply> raw = pipe.Command("GET", "typed:count");
  const std::vector<std::pair<std::string, std::string>> fields = {{"f1", "a"},
                                                                   {"f2", "b"}};
  (void)pipe.Command("DEL", "typed:hash");
  CommandRef<int64_t> hset = pipe.HSet("typed:hash", fields);
  for (int i = 0; i < 30; ++i)
    gets.push_back(pipe.Get(absl::StrCat("typed:", i)));
  CommandRef<std::optional<std::string>> missing = pipe.Get("typed:none");
  // A bad argument fails its own entry before anything is sent.
  CommandRef<bool> refused =
      pipe.Set("typed:bad", "x", {.ttl = absl::Seconds(-1)});
  // A cross-slot MGET is refused by routing, in its own entry.
  const std::vector<std::string> keys = {"typed:0", "typed:1"};
  CommandRef<std::vector<std::optional<std::string>>> cross = pipe.MGet(keys);
  // A typed command whose reply has the wrong shape for it: DATA_LOSS, not
  // a crash, and only for that entry.
  CommandRef<int64_t> wrong = pipe.Incr("typed:0");
  const size_t queued = pipe.size();

  ClusterPipelineResults r = pipe.Execute();
  ASSERT_EQ(r.size(), queued);
  EXPECT_TRUE(pipe.empty());
  for (int i = 0; i < 30; ++i) {
    absl::StatusOr<bool> set = r.Get(sets[i]);
    ASSERT_TRUE(set.ok()) << i << ": " << set.status();
    EXPECT_TRUE(*set);
    absl::StatusOr<std::optional<std::string>> get = r.Get(gets[i]);
    ASSERT_TRUE(get.ok()) << i << ": " << get.status();
    ASSERT_TRUE(get->has_value()) << i;
    EXPECT_EQ(**get, absl::StrCat("v", i));
  }
  absl::StatusOr<int64_t> n = r.Get(incr);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 7);
  absl::StatusOr<Reply> raw_reply = r.Get(raw);
  ASSERT_TRUE(raw_reply.ok()) << raw_reply.status();
  EXPECT_EQ(raw_reply->str(), "7");
  absl::StatusOr<int64_t> added = r.Get(hset);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(*added, 2);
  absl::StatusOr<std::optional<std::string>> none = r.Get(missing);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(r.Get(refused).status().code(), absl::StatusCode::kInvalidArgument)
      << r.Get(refused).status();
  EXPECT_EQ(GetErrorKind(r.Get(cross).status()), ErrorKind::kCrossSlot)
      << r.Get(cross).status();
  // INCR of "v0" is the server's error reply, annotated with the node.
  absl::StatusOr<int64_t> bad = r.Get(wrong);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "INCR on 127.0.0.1:"))
      << bad.status();
  EXPECT_FALSE(r.FirstError().ok());

  // A reference from that batch is refused on the next batch's results.
  ClusterPipelineResults next = pipe.Execute();
  EXPECT_TRUE(next.empty());
  EXPECT_EQ(next.Get(incr).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ClusterPipelineResults().Get(CommandRef<int64_t>()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ClusterPipelineTest, BlockingCommandWaitsPastTheSocketTimeout) {
  ASSERT_NE(cluster_, nullptr);
  // Replies in a node's group are awaited up to the socket time-out; a
  // blocking pop that waits longer must be sent with its own wait.
  auto client = MakeClient(/*split=*/false, absl::Milliseconds(300));
  ASSERT_NE(client, nullptr);
  ClusterPipeline pipe(*client);
  CommandRef<bool> before = pipe.Set("{blk}before", "1");
  const std::vector<std::string> empty_list = {"{blk}empty"};
  (void)pipe.Command("DEL", "{blk}empty");
  CommandRef<std::optional<ListPop>> pop =
      pipe.BLPop(empty_list, absl::Milliseconds(900));
  CommandRef<std::optional<std::string>> after = pipe.Get("{blk}before");
  // Waited for within its group, the pop would time out on the socket
  // time-out, the connection would be dropped as broken, and the pop sent
  // again on a new one: count the node's connections around the batch.
  absl::StatusOr<std::unique_ptr<Client>> node = client->ClientFor("{blk}");
  ASSERT_TRUE(node.ok()) << node.status();
  auto connections_received = [&]() -> int64_t {
    absl::StatusOr<Reply> info = (*node)->Execute("INFO", "stats");
    EXPECT_TRUE(info.ok()) << info.status();
    if (!info.ok()) return -1;
    constexpr absl::string_view kField = "total_connections_received:";
    const std::string text(info->str());
    const size_t at = text.find(kField);
    EXPECT_NE(at, std::string::npos) << text;
    if (at == std::string::npos) return -1;
    return std::stoll(text.substr(at + kField.size()));
  };
  const int64_t connections_before = connections_received();
  ClusterPipelineResults r = pipe.Execute();
  ASSERT_TRUE(r.Get(before).ok()) << r.Get(before).status();
  auto popped = r.Get(pop);
  ASSERT_TRUE(popped.ok()) << popped.status();
  EXPECT_FALSE(popped->has_value());  // Timed out on the server: nil.
  EXPECT_EQ(connections_received(), connections_before);
  auto got = r.Get(after);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, "1");
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
      fill.Command("SET", absl::StrCat("{pask}", k), absl::StrCat("a", k));
      fill.Command("SET", absl::StrCat("{pmov}", k), absl::StrCat("m", k));
    }
    for (const auto& r : fill.Execute()) ASSERT_TRUE(r.ok()) << r.status();
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
  absl::StatusOr<int> moved =
      cluster_->MigrateKeys(ask_slot, *ask_from, ask_to);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, kKeys);

  ClusterPipeline pipe(*client);
  for (int k = 0; k < kKeys; ++k) {
    pipe.Command("GET", absl::StrCat("{pask}", k));
    pipe.Command("PING");
    pipe.Command("GET", absl::StrCat("{pmov}", k));
    pipe.Command("GET", absl::StrCat("elsewhere:", k));
  }
  ClusterPipelineResults r = pipe.Execute();
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
