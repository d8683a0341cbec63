// ClientConfig.cluster (config.proto): its validation in ValidateConfig,
// the valkey+cluster:// URL form (url.h) and redaction with a cluster
// block present. No server needed; conversion to ClusterOptions and the
// clients are tested in valkey/cluster/cluster_config_test.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "valkey/common/config.h"
#include "valkey/common/config.pb.h"
#include "valkey/common/url.h"

namespace valkey {
namespace {

constexpr char kValid[] = R"pb(
  connection {
    username: "app"
    password { value: "s3cret-Pw" }
    db: 0
    socket_timeout { seconds: 2 }
    tls {
      ca_file: "/etc/valkey/ca.pem"
      cert_file: "/etc/valkey/client.pem"
      key_pem { value: "PRIVATE-KEY" } }
  }
  pool { max_connections: 8 }
  cluster {
    seeds: "10.0.0.1:7000"
    seeds: "[::1]:7001"
    seeds: "node-3.internal:7002"
    read_from: READ_FROM_AZ_AFFINITY
    client_az: "eu-west-1a"
    max_redirects: 3
    min_refresh_interval { nanos: 250000000 }
    refresh_interval { seconds: 30 }
    split_multi_key: true
  }
)pb";

// Parses `text` and expects INVALID_ARGUMENT naming `field` first (and names `also` when given).
void ExpectInvalid(const std::string& text, absl::string_view field,
                   absl::string_view also = "") {
  absl::StatusOr<ClientConfig> config = ParseConfigText(text, "t");
  ASSERT_FALSE(config.ok()) << text;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  // After the parser's "<source>[:line:column]: " prefix.
  EXPECT_TRUE(absl::StrContains(config.status().message(),
                                absl::StrCat(" ", field, ":")))
      << config.status() << "\n" << text;
  if (!also.empty()) {
    EXPECT_TRUE(absl::StrContains(config.status().message(), also))
        << config.status();
  }
}

TEST(ClusterBlockTest, ValidConfigParses) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(kValid, "t");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cluster().seeds_size(), 3);
  EXPECT_EQ(config->cluster().read_from(), READ_FROM_AZ_AFFINITY);
  EXPECT_TRUE(config->cluster().split_multi_key());
}

TEST(ClusterBlockTest, EveryInvalidValueNamesItsField) {
  const std::string seeds = "cluster { seeds: \"127.0.0.1:7000\" }";
  ExpectInvalid("cluster { }", "cluster.seeds");
  ExpectInvalid("cluster { seeds: \"127.0.0.1\" }", "cluster.seeds[0]");
  ExpectInvalid("cluster { seeds: \"a:1\" seeds: \":7000\" }",
                "cluster.seeds[1]");
  ExpectInvalid("cluster { seeds: \"h:0\" }", "cluster.seeds[0]");
  ExpectInvalid("cluster { seeds: \"h:65536\" }", "cluster.seeds[0]");
  ExpectInvalid("cluster { seeds: \"h:x\" }", "cluster.seeds[0]");
  ExpectInvalid("cluster { seeds: \"::1:7000\" }", "cluster.seeds[0]",
                "brackets");
  ExpectInvalid("cluster { seeds: \"[::1]7000\" }", "cluster.seeds[0]");
  ExpectInvalid("cluster { seeds: \"bad host:7000\" }", "cluster.seeds[0]");
  ExpectInvalid("cluster { seeds: \"h:1\" max_redirects: -1 }",
                "cluster.max_redirects");
  ExpectInvalid("cluster { seeds: \"h:1\" min_refresh_interval { } }",
                "cluster.min_refresh_interval");
  ExpectInvalid("cluster { seeds: \"h:1\" refresh_interval { seconds: -1 } }",
                "cluster.refresh_interval");
  ExpectInvalid("cluster { seeds: \"h:1\" client_az: \"a b\" }",
                "cluster.client_az");
  {
    // An unknown enum value is a parse error naming the field.
    absl::StatusOr<ClientConfig> config = ParseConfigText(
        "cluster { seeds: \"h:1\" read_from: READ_FROM_NEAREST }", "t");
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(config.status().message(), "read_from"))
        << config.status();
  }
  // The node connection has no address of its own.
  ExpectInvalid(seeds + " connection { host: \"h\" }", "connection.host",
                "cluster");
  ExpectInvalid(seeds + " connection { port: 7000 }", "connection.port",
                "cluster");
  ExpectInvalid(seeds + " connection { unix_path: \"/s\" }",
                "connection.unix_path", "cluster");
  // Blocks that do not go with a cluster name both.
  ExpectInvalid(seeds + " sentinel { sentinels { host: \"s\" } "
                        "service_name: \"m\" }",
                "cluster", "sentinel");
  ExpectInvalid(seeds + " cache { enabled: true }", "cluster", "cache");
  // The connection block is still validated as usual.
  ExpectInvalid(seeds + " connection { db: -1 }", "connection.db");
}

TEST(ClusterBlockTest, RedactedDebugStringHidesSecrets) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(kValid, "t");
  ASSERT_TRUE(config.ok()) << config.status();
  const std::string debug = RedactedDebugString(*config);
  EXPECT_FALSE(absl::StrContains(debug, "s3cret-Pw")) << debug;
  EXPECT_FALSE(absl::StrContains(debug, "PRIVATE-KEY")) << debug;
  EXPECT_TRUE(absl::StrContains(debug, "10.0.0.1:7000")) << debug;
  EXPECT_TRUE(absl::StrContains(debug, "READ_FROM_AZ_AFFINITY")) << debug;
}

TEST(ClusterUrlTest, HostsBecomeSeedsAndOptionsFillTheBlock) {
  absl::StatusOr<ClientConfig> config = ParseUrl(
      "valkey+cluster://user:p%40ss@host1:7000,host2:7001,[::1]:7002,host4"
      "/0?read_from=prefer_replica&split_multi_key=true&max_redirects=7"
      "&min_refresh_interval=0.25&refresh_interval=30&socket_timeout=2");
  ASSERT_TRUE(config.ok()) << config.status();
  const ClusterConfig& c = config->cluster();
  ASSERT_EQ(c.seeds_size(), 4);
  EXPECT_EQ(c.seeds(0), "host1:7000");
  EXPECT_EQ(c.seeds(1), "host2:7001");
  EXPECT_EQ(c.seeds(2), "[::1]:7002");
  EXPECT_EQ(c.seeds(3), "host4:6379");
  EXPECT_EQ(c.read_from(), READ_FROM_PREFER_REPLICA);
  EXPECT_TRUE(c.split_multi_key());
  EXPECT_EQ(c.max_redirects(), 7);
  EXPECT_EQ(c.min_refresh_interval().nanos(), 250000000);
  EXPECT_EQ(c.refresh_interval().seconds(), 30);
  EXPECT_TRUE(config->connection().host().empty());
  EXPECT_FALSE(config->connection().has_port());
  EXPECT_EQ(config->connection().username(), "user");
  EXPECT_EQ(config->connection().password().value(), "p@ss");
  EXPECT_EQ(config->connection().db(), 0);
  EXPECT_EQ(config->connection().socket_timeout().seconds(), 2);
  EXPECT_FALSE(config->connection().has_tls());
}

TEST(ClusterUrlTest, SchemesAndReadFromValues) {
  absl::StatusOr<ClientConfig> tls = ParseUrl(
      "valkeys+cluster://h:7000?ssl_ca_certs=/ca.pem&read_from=az_affinity"
      "&client_az=zone-a");
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_TRUE(tls->connection().tls().enabled());
  EXPECT_EQ(tls->connection().tls().ca_file(), "/ca.pem");
  EXPECT_EQ(tls->cluster().read_from(), READ_FROM_AZ_AFFINITY);
  EXPECT_EQ(tls->cluster().client_az(), "zone-a");
  for (const char* scheme : {"redis+cluster", "rediss+cluster",
                             "VALKEY+CLUSTER"}) {
    absl::StatusOr<ClientConfig> c =
        ParseUrl(absl::StrCat(scheme, "://h:7000?read_from=round_robin"));
    ASSERT_TRUE(c.ok()) << scheme << ": " << c.status();
    EXPECT_EQ(c->cluster().read_from(), READ_FROM_ROUND_ROBIN);
  }
  absl::StatusOr<ClientConfig> primary =
      ParseUrl("valkey+cluster://h:7000?read_from=PRIMARY");
  ASSERT_TRUE(primary.ok()) << primary.status();
  EXPECT_EQ(primary->cluster().read_from(), READ_FROM_PRIMARY);
}

TEST(ClusterUrlTest, EveryBadPartIsNamedAndThePasswordNeverShown) {
  struct Case {
    const char* url;
    const char* starts_with;
  };
  const Case cases[] = {
      {"valkey+cluster://", "seeds"},
      {"valkey+cluster://:pw-Secret9@", "seeds"},
      {"valkey+cluster://h1:7000,,h3:7002", "seed 2 host"},
      {"valkey+cluster://h1:7000,h2:0", "seed 2 port"},
      {"valkey+cluster://h1:7000,h2:99999", "seed 2 port"},
      {"valkey+cluster://h1:abc", "seed 1 port"},
      {"valkey+cluster://::1:7000", "seed 1 host"},
      {"valkey+cluster://[::1:7000", "seed 1 host"},
      {"valkey+cluster://h:7000/x", "db"},
      {"valkey+cluster://h:7000?read_from=nearest", "read_from"},
      {"valkey+cluster://h:7000?max_redirects=-1", "max_redirects"},
      {"valkey+cluster://h:7000?split_multi_key=maybe", "split_multi_key"},
      {"valkey+cluster://h:7000?refresh_interval=0", "refresh_interval"},
      {"valkey+cluster://h:7000?min_refresh_interval=x",
       "min_refresh_interval"},
      {"valkey+cluster://h:7000?client_az=a%20b", "URL"},
      {"valkey+cluster://h:7000?ssl_ca_certs=/ca.pem", "ssl_ca_certs"},
      {"valkey+cluster://h:7000?cache_enabled=true", "URL"},
      {"valkey+cluster://h:7000?min_other_sentinels=1",
       "min_other_sentinels"},
      {"valkey://h:7000?read_from=primary", "read_from"},
      {"valkey://h:7000?split_multi_key=true", "split_multi_key"},
      {"unix+cluster:///s.sock", "URL must start"},
      {"valkey+cluster+sentinel://h:7000/m", "URL must start"},
      {"valkey+cluster://app:pw-Secret9@h1:7000,h2:bad", "seed 2 port"},
      {"valkey+cluster://app:pw-Secret9@h1:7000?read_from=x", "read_from"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ClientConfig> config = ParseUrl(c.url);
    ASSERT_FALSE(config.ok()) << c.url;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument)
        << c.url;
    EXPECT_TRUE(absl::StartsWith(config.status().message(), c.starts_with))
        << c.url << " -> " << config.status();
    EXPECT_FALSE(absl::StrContains(config.status().ToString(), "pw-Secret9"))
        << config.status();
  }
}

TEST(ClusterUrlTest, RedactedDebugStringOfAClusterUrl) {
  absl::StatusOr<ClientConfig> config =
      ParseUrl("valkeys+cluster://app:pw-Secret9@h1:7000,h2:7001"
               "?ssl_certfile=/c.pem&ssl_keyfile=/k.pem&ssl_password=key-Secret9");
  ASSERT_TRUE(config.ok()) << config.status();
  const std::string debug = RedactedDebugString(*config);
  EXPECT_FALSE(absl::StrContains(debug, "pw-Secret9")) << debug;
  EXPECT_FALSE(absl::StrContains(debug, "key-Secret9")) << debug;
  EXPECT_TRUE(absl::StrContains(debug, "h2:7001")) << debug;
}

TEST(ClusterUrlTest, ApplyUrlReplacesOrRemovesTheClusterBlock) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(kValid, "t");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(ApplyUrl("valkeys+cluster://other:7000", &*config).ok());
  ASSERT_EQ(config->cluster().seeds_size(), 1);
  EXPECT_EQ(config->cluster().seeds(0), "other:7000");
  EXPECT_EQ(config->cluster().read_from(), READ_FROM_UNSPECIFIED);
  EXPECT_EQ(config->pool().max_connections(), 8);  // Kept.
  EXPECT_EQ(config->connection().username(), "app");

  ASSERT_TRUE(ApplyUrl("valkey://single:6380", &*config).ok());
  EXPECT_FALSE(config->has_cluster());
  EXPECT_EQ(config->connection().host(), "single");
}

}  // namespace
}  // namespace valkey
