// ClientConfig.cluster and valkey+cluster:// URLs turned into working
// cluster clients (cluster_config.h), against one real cluster shared by
// every case: both clients, from a text config and from a URL, round-trip
// SET/GET on keys spread over every shard.

#include "valkey/cluster/cluster_config.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_cluster.h"
#include "testing/valkey_cluster_test.h"
#include "valkey/async/event_loop.h"
#include "valkey/common/config.h"

namespace valkey::cluster {
namespace {

using ::valkey::async::EventLoopThread;
using ::valkey::testing::ValkeyCluster;

constexpr absl::Duration kWait = absl::Seconds(20);
constexpr int kKeys = 60;  // Enough to land on all three shards.

class ClusterConfigTest
    : public valkey::testing::ValkeyClusterTest<ClusterConfigTest> {
 protected:
  static std::string TextConfig() {
    std::string seeds;
    for (const std::string& seed : cluster_->seed_addresses()) {
      absl::StrAppend(&seeds, "  seeds: \"", seed, "\"\n");
    }
    return absl::StrCat(
        "connection { connect_timeout { seconds: 2 } "
        "socket_timeout { seconds: 5 } }\n"
        "pool { max_connections: 4 }\n"
        "cluster {\n",
        seeds,
        "  read_from: READ_FROM_PRIMARY\n"
        "  max_redirects: 8\n"
        "  split_multi_key: true\n"
        "}\n");
  }

  static std::string Url() {
    return absl::StrCat("valkey+cluster://",
                        absl::StrJoin(cluster_->seed_addresses(), ","),
                        "/0?socket_timeout=5&max_redirects=8");
  }
};

void RoundTrip(ClusterClient& client, absl::string_view tag) {
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = absl::StrCat(tag, ":", i);
    ASSERT_TRUE(client.Set(key, absl::StrCat("v", i)).ok()) << key;
  }
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = absl::StrCat(tag, ":", i);
    absl::StatusOr<std::optional<std::string>> v = client.Get(key);
    ASSERT_TRUE(v.ok()) << key << ": " << v.status();
    EXPECT_EQ(v->value_or("<nil>"), absl::StrCat("v", i)) << key;
  }
}

void RoundTrip(AsyncClusterClient& client, absl::string_view tag) {
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = absl::StrCat(tag, ":", i);
    absl::StatusOr<bool> set = client.Set(key, absl::StrCat("v", i)).Get(kWait);
    ASSERT_TRUE(set.ok()) << key << ": " << set.status();
  }
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = absl::StrCat(tag, ":", i);
    absl::StatusOr<std::optional<std::string>> v = client.Get(key).Get(kWait);
    ASSERT_TRUE(v.ok()) << key << ": " << v.status();
    EXPECT_EQ(v->value_or("<nil>"), absl::StrCat("v", i)) << key;
  }
}

TEST_F(ClusterConfigTest, SyncClientFromTextConfig) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(TextConfig(), "test");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ClusterOptions> options = ToClusterOptions(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->seeds, cluster_->seed_addresses());
  EXPECT_EQ(options->max_redirects, 8);
  EXPECT_TRUE(options->split_multi_key);
  EXPECT_EQ(options->pool.max_connections, 4);
  EXPECT_EQ(options->connection.socket_timeout, absl::Seconds(5));

  absl::StatusOr<std::unique_ptr<ClusterClient>> client =
      ClusterClientFromConfig(*config);
  ASSERT_TRUE(client.ok()) << client.status();
  RoundTrip(**client, "sync-config");
  // split_multi_key from the config is in effect: a cross-slot MGET works.
  absl::StatusOr<Reply> mget =
      (*client)->Execute("MGET", "sync-config:1", "sync-config:2");
  EXPECT_TRUE(mget.ok()) << mget.status();
}

TEST_F(ClusterConfigTest, SyncClientFromUrl) {
  absl::StatusOr<std::unique_ptr<ClusterClient>> client =
      ClusterClientFromUrl(Url());
  ASSERT_TRUE(client.ok()) << client.status();
  RoundTrip(**client, "sync-url");
}

TEST_F(ClusterConfigTest, AsyncClientFromTextConfigAndFromUrl) {
  absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
      EventLoopThread::Start();
  ASSERT_TRUE(thread.ok()) << thread.status();
  {
    absl::StatusOr<ClientConfig> config = ParseConfigText(TextConfig(), "test");
    ASSERT_TRUE(config.ok()) << config.status();
    // The async client does not split cross-slot commands yet (its
    // Create refuses split_multi_key); the rest of the config applies.
    config->mutable_cluster()->set_split_multi_key(false);
    absl::StatusOr<std::unique_ptr<AsyncClusterClient>> client =
        AsyncClusterClientFromConfig((*thread)->loop(), *config);
    ASSERT_TRUE(client.ok()) << client.status();
    RoundTrip(**client, "async-config");
  }
  {
    absl::StatusOr<std::unique_ptr<AsyncClusterClient>> client =
        AsyncClusterClientFromUrl((*thread)->loop(), Url());
    ASSERT_TRUE(client.ok()) << client.status();
    RoundTrip(**client, "async-url");
  }
}

TEST_F(ClusterConfigTest, ConfigWithoutClusterIsRefused) {
  absl::StatusOr<std::unique_ptr<ClusterClient>> client =
      ClusterClientFromUrl("valkey://127.0.0.1:6379");
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(client.status().message(), "cluster:"))
      << client.status();
}

TEST_F(ClusterConfigTest, WrongPasswordNeverEchoed) {
  const std::string url =
      absl::StrCat("valkey+cluster://app:wr0ng-Secret@",
                   absl::StrJoin(cluster_->seed_addresses(), ","));
  absl::StatusOr<std::unique_ptr<ClusterClient>> client =
      ClusterClientFromUrl(url);
  ASSERT_FALSE(client.ok());
  EXPECT_FALSE(absl::StrContains(client.status().ToString(), "wr0ng-Secret"))
      << client.status();
}

}  // namespace
}  // namespace valkey::cluster
