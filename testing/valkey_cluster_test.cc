// Proves the //testing:valkey_cluster fixture against real valkey-server
// processes in cluster mode: start-up and slot coverage, KeySlot against
// CLUSTER KEYSLOT, MOVED and ASK redirections, slot migration, manual and
// kill failovers, restarts, added nodes, passwords and TLS.

#include "testing/valkey_cluster.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/raw_client.h"
#include "testing/valkey_server.h"

namespace valkey::testing {
namespace {

#define VK_ASSERT_OK(expr)                      \
  do {                                          \
    const absl::Status vk_status_ = (expr);     \
    ASSERT_TRUE(vk_status_.ok()) << vk_status_; \
  } while (0)

std::unique_ptr<ValkeyCluster> MustStart(ValkeyCluster::Options options = {}) {
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<ValkeyCluster>> cluster =
      ValkeyCluster::Start(std::move(options));
  EXPECT_TRUE(cluster.ok()) << cluster.status();
  // Start-up time, for whoever tunes the fixture.
  ::testing::Test::RecordProperty(
      "cluster_start_ms",
      static_cast<int>(absl::ToInt64Milliseconds(absl::Now() - start)));
  return cluster.ok() ? *std::move(cluster) : nullptr;
}

// The first line of `args`' reply from `server` (after AUTH `password`
// when set), or the error as text.
std::string Cmd(const ValkeyServer& server,
                const std::vector<std::string>& args,
                const std::string& password = "") {
  absl::StatusOr<RawConnection> conn =
      RawConnection::Tcp(server.host(), server.port());
  if (!conn.ok()) return conn.status().ToString();
  if (!password.empty()) {
    absl::StatusOr<std::string> auth = conn->Command({"AUTH", password});
    if (!auth.ok() || *auth != "+OK") return "AUTH failed";
  }
  absl::StatusOr<std::string> reply = conn->Command(args);
  return reply.ok() ? *reply : reply.status().ToString();
}

// The first `n` lines of CLUSTER INFO's payload on `server`.
std::vector<std::string> ClusterInfoHead(const ValkeyServer& server, int n,
                                         const std::string& password = "") {
  std::vector<std::string> out;
  absl::StatusOr<RawConnection> conn =
      RawConnection::Tcp(server.host(), server.port());
  if (!conn.ok()) return {conn.status().ToString()};
  if (!password.empty() &&
      conn->Command({"AUTH", password}).value_or("") != "+OK") {
    return {"AUTH failed"};
  }
  absl::StatusOr<std::string> header = conn->Command({"CLUSTER", "INFO"});
  if (!header.ok() || !absl::StartsWith(*header, "$")) {
    return {header.ok() ? *header : header.status().ToString()};
  }
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<std::string> line = conn->ReadLine();
    if (!line.ok()) break;
    out.push_back(*line);
  }
  return out;
}

// The slot range primary p of n was given at start.
int FirstSlotOf(int p, int n) { return p * ValkeyCluster::kNumSlots / n; }

// A key whose slot is owned by node `want` (searching "key:<i>").
std::string KeyOn(ValkeyCluster& cluster, int want, int salt = 0) {
  for (int i = salt * 100000;; ++i) {
    std::string key = absl::StrCat("key:", i);
    absl::StatusOr<int> owner =
        cluster.PrimaryForSlot(ValkeyCluster::KeySlot(key));
    if (owner.ok() && *owner == want) return key;
  }
}

TEST(ValkeyClusterTest, StartsWithEveryNodeOkAndAllSlotsCovered) {
  std::unique_ptr<ValkeyCluster> cluster = MustStart();
  ASSERT_NE(cluster, nullptr);
  ASSERT_EQ(cluster->size(), 6);

  std::vector<std::string> ids;
  for (int i = 0; i < cluster->size(); ++i) {
    EXPECT_EQ(ClusterInfoHead(cluster->node(i), 3),
              (std::vector<std::string>{"cluster_state:ok",
                                        "cluster_slots_assigned:16384",
                                        "cluster_slots_ok:16384"}))
        << "node " << i;
    EXPECT_EQ(cluster->node_id(i).size(), 40u);
    EXPECT_EQ(Cmd(cluster->node(i), {"CLUSTER", "MYID"}), "$40");
    ids.push_back(cluster->node_id(i));
    EXPECT_FALSE(cluster->unix_path(i).empty());
    EXPECT_EQ(cluster->seed_addresses()[i], cluster->node(i).address());
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());

  // Primaries 0..2 own even thirds; replica 3+p follows primary p.
  for (int p = 0; p < 3; ++p) {
    for (int slot : {FirstSlotOf(p, 3), FirstSlotOf(p + 1, 3) - 1}) {
      absl::StatusOr<int> owner = cluster->PrimaryForSlot(slot);
      ASSERT_TRUE(owner.ok()) << owner.status();
      EXPECT_EQ(*owner, p) << "slot " << slot;
    }
    absl::StatusOr<std::vector<int>> replicas = cluster->ReplicasOf(p);
    ASSERT_TRUE(replicas.ok()) << replicas.status();
    EXPECT_EQ(*replicas, std::vector<int>{3 + p});
    EXPECT_EQ(Cmd(cluster->node(3 + p), {"ROLE"}), "*5");  // A replica.
    EXPECT_EQ(Cmd(cluster->node(p), {"ROLE"}), "*3");      // A primary.
  }
  EXPECT_EQ(cluster->PrimaryForSlot(16384).status().code(),
            absl::StatusCode::kInvalidArgument);

  // The Unix socket serves the same node.
  absl::StatusOr<RawConnection> unix_conn =
      RawConnection::Unix(cluster->unix_path(0));
  ASSERT_TRUE(unix_conn.ok()) << unix_conn.status();
  EXPECT_EQ(unix_conn->Command({"PING"}).value_or(""), "+PONG");
}

TEST(ValkeyClusterTest, KeySlotMatchesClusterKeyslot) {
  std::unique_ptr<ValkeyCluster> cluster =
      MustStart({.num_primaries = 1, .replicas_per_primary = 0});
  ASSERT_NE(cluster, nullptr);
  std::vector<std::string> keys = {
      "",
      "a",
      "foo",
      "{user1000}.following",
      "{user1000}.followers",
      "foo{}{bar}",
      "{}",
      "foo{{bar}}zap",
      "foo{bar}{zap}",
      "{bar",
      "bar}",
      "}{",
      "{{}}",
      "a{b}c{d}",
      "123456789",  // CRC16/XMODEM check value 0x31C3.
      std::string("bin\0ary{\x01\xff}", 11),
  };
  for (int i = 0; i < 300; ++i) {
    keys.push_back(absl::StrCat("key:", i));
    keys.push_back(absl::StrCat("{tag", i % 17, "}:", i));
    keys.push_back(absl::StrCat("x{", i, "}y{", i + 1, "}"));
  }
  EXPECT_EQ(ValkeyCluster::KeySlot("123456789"), 0x31C3 % 16384);
  EXPECT_EQ(ValkeyCluster::KeySlot("{user1000}.following"),
            ValkeyCluster::KeySlot("{user1000}.followers"));
  EXPECT_EQ(ValkeyCluster::KeySlot("foo{}{bar}"),
            ValkeyCluster::KeySlot("foo{}{bar}"));
  EXPECT_EQ(ValkeyCluster::KeySlot("foo{{bar}}zap"),
            ValkeyCluster::KeySlot("{bar"));

  absl::StatusOr<RawConnection> conn =
      RawConnection::Tcp(cluster->node(0).host(), cluster->node(0).port());
  ASSERT_TRUE(conn.ok()) << conn.status();
  for (const std::string& key : keys) {
    absl::StatusOr<std::string> reply =
        conn->Command({"CLUSTER", "KEYSLOT", key});
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(*reply, absl::StrCat(":", ValkeyCluster::KeySlot(key)))
        << "key " << key;
  }
}

TEST(ValkeyClusterTest, WritesLandOnTheirPrimaryAndOthersAnswerMoved) {
  std::unique_ptr<ValkeyCluster> cluster = MustStart();
  ASSERT_NE(cluster, nullptr);
  for (int i = 0; i < 30; ++i) {
    const std::string key = absl::StrCat("user:", i);
    const int slot = ValkeyCluster::KeySlot(key);
    absl::StatusOr<int> owner = cluster->PrimaryForSlot(slot);
    ASSERT_TRUE(owner.ok()) << owner.status();
    EXPECT_EQ(Cmd(cluster->node(*owner), {"SET", key, "v"}), "+OK") << key;
    const int other = (*owner + 1) % 3;
    EXPECT_EQ(
        Cmd(cluster->node(other), {"SET", key, "v"}),
        absl::StrCat("-MOVED ", slot, " ", cluster->node(*owner).address()))
        << key;
    // A replica redirects writes to its primary too.
    EXPECT_EQ(
        Cmd(cluster->node(3 + *owner), {"SET", key, "v"}),
        absl::StrCat("-MOVED ", slot, " ", cluster->node(*owner).address()))
        << key;
  }
}

TEST(ValkeyClusterTest, MigrationInStepsAnswersAskThenMoved) {
  std::unique_ptr<ValkeyCluster> cluster = MustStart();
  ASSERT_NE(cluster, nullptr);
  const int slot = ValkeyCluster::KeySlot("{mv}");
  absl::StatusOr<int> from = cluster->PrimaryForSlot(slot);
  ASSERT_TRUE(from.ok()) << from.status();
  const int to = (*from + 1) % 3;
  // More keys than one MigrateKeys batch.
  constexpr int kKeys = 150;
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(Cmd(cluster->node(*from),
                  {"SET", absl::StrCat("{mv}", i), absl::StrCat("v", i)}),
              "+OK");
  }

  VK_ASSERT_OK(cluster->BeginMigration(slot, *from, to));
  // Existing keys are still served by the source; a missing one is ASKed.
  EXPECT_EQ(Cmd(cluster->node(*from), {"GET", "{mv}0"}), "$2");
  EXPECT_EQ(Cmd(cluster->node(*from), {"GET", "{mv}missing"}),
            absl::StrCat("-ASK ", slot, " ", cluster->node(to).address()));
  // The target serves the slot only after ASKING.
  EXPECT_EQ(Cmd(cluster->node(to), {"GET", "{mv}0"}),
            absl::StrCat("-MOVED ", slot, " ", cluster->node(*from).address()));

  absl::StatusOr<int> moved = cluster->MigrateKeys(slot, *from, to, 100);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, kKeys);
  // Now every key is ASKed away from the source.
  EXPECT_EQ(Cmd(cluster->node(*from), {"GET", "{mv}0"}),
            absl::StrCat("-ASK ", slot, " ", cluster->node(to).address()));

  VK_ASSERT_OK(cluster->FinishMigration(slot, *from, to));
  absl::StatusOr<int> owner = cluster->PrimaryForSlot(slot);
  ASSERT_TRUE(owner.ok()) << owner.status();
  EXPECT_EQ(*owner, to);
  for (int i = 0; i < cluster->size(); ++i) {
    if (i == to) continue;
    EXPECT_EQ(Cmd(cluster->node(i), {"GET", "{mv}7"}),
              absl::StrCat("-MOVED ", slot, " ", cluster->node(to).address()))
        << "node " << i;
  }
  EXPECT_EQ(Cmd(cluster->node(to), {"GET", "{mv}7"}), "$2");
  EXPECT_EQ(Cmd(cluster->node(to),
                {"CLUSTER", "COUNTKEYSINSLOT", absl::StrCat(slot)}),
            absl::StrCat(":", kKeys));
  VK_ASSERT_OK(cluster->WaitUntilStable(absl::Seconds(10)));

  // MoveSlot does the three steps; moving it back restores the old map.
  VK_ASSERT_OK(cluster->MoveSlot(slot, *from));
  EXPECT_EQ(cluster->PrimaryForSlot(slot).value_or(-1), *from);
  EXPECT_EQ(Cmd(cluster->node(*from),
                {"CLUSTER", "COUNTKEYSINSLOT", absl::StrCat(slot)}),
            absl::StrCat(":", kKeys));
  EXPECT_EQ(Cmd(cluster->node(to), {"GET", "{mv}7"}),
            absl::StrCat("-MOVED ", slot, " ", cluster->node(*from).address()));
}

TEST(ValkeyClusterTest, ManualFailoverSwapsRoles) {
  std::unique_ptr<ValkeyCluster> cluster = MustStart();
  ASSERT_NE(cluster, nullptr);
  const std::string key = KeyOn(*cluster, 0);
  ASSERT_EQ(Cmd(cluster->node(0), {"SET", key, "before"}), "+OK");
  ASSERT_EQ(Cmd(cluster->node(0), {"WAIT", "1", "2000"}), ":1");

  const absl::Time start = absl::Now();
  VK_ASSERT_OK(cluster->Failover(3));
  ::testing::Test::RecordProperty(
      "failover_ms",
      static_cast<int>(absl::ToInt64Milliseconds(absl::Now() - start)));
  EXPECT_EQ(cluster->PrimaryForSlot(0).value_or(-1), 3);
  absl::StatusOr<std::vector<int>> replicas = cluster->ReplicasOf(3);
  ASSERT_TRUE(replicas.ok()) << replicas.status();
  EXPECT_EQ(*replicas, std::vector<int>{0});
  EXPECT_EQ(Cmd(cluster->node(3), {"GET", key}), "$6");
  EXPECT_EQ(Cmd(cluster->node(0), {"GET", key}),
            absl::StrCat("-MOVED ", ValkeyCluster::KeySlot(key), " ",
                         cluster->node(3).address()));
  VK_ASSERT_OK(cluster->WaitUntilStable(absl::Seconds(10)));
}

TEST(ValkeyClusterTest, KilledPrimaryIsReplacedByItsReplicaAndRejoins) {
  std::unique_ptr<ValkeyCluster> cluster = MustStart();
  ASSERT_NE(cluster, nullptr);
  const int slot = FirstSlotOf(1, 3);
  ASSERT_EQ(cluster->PrimaryForSlot(slot).value_or(-1), 1);

  const absl::Time start = absl::Now();
  VK_ASSERT_OK(cluster->KillNode(1));
  EXPECT_FALSE(cluster->node(1).running());
  VK_ASSERT_OK(cluster->WaitForPrimaryOf(slot, absl::Seconds(20)));
  ::testing::Test::RecordProperty(
      "kill_failover_ms",
      static_cast<int>(absl::ToInt64Milliseconds(absl::Now() - start)));
  EXPECT_EQ(cluster->PrimaryForSlot(slot).value_or(-1), 4);
  VK_ASSERT_OK(cluster->WaitUntilStable(absl::Seconds(10)));

  // The old primary comes back with its nodes.conf as a replica of 4.
  const std::string old_id = cluster->node_id(1);
  VK_ASSERT_OK(cluster->RestartNode(1));
  EXPECT_EQ(Cmd(cluster->node(1), {"CLUSTER", "MYID"}), "$40");
  EXPECT_EQ(cluster->node_id(1), old_id);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::vector<int> replicas;
  while (absl::Now() < deadline) {
    replicas = cluster->ReplicasOf(4).value_or(std::vector<int>{});
    if (replicas == std::vector<int>{1}) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(replicas, std::vector<int>{1});
  EXPECT_EQ(cluster->PrimaryForSlot(slot).value_or(-1), 4);
}

TEST(ValkeyClusterTest, WaitForPrimaryOfTimesOutWithoutReplica) {
  std::unique_ptr<ValkeyCluster> cluster =
      MustStart({.num_primaries = 3, .replicas_per_primary = 0});
  ASSERT_NE(cluster, nullptr);
  VK_ASSERT_OK(cluster->KillNode(2));
  const absl::Status s =
      cluster->WaitForPrimaryOf(FirstSlotOf(2, 3), absl::Seconds(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "no agreed live primary for slot"))
      << s;
  // A primary cannot be failed over.
  EXPECT_EQ(cluster->Failover(0).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ValkeyClusterTest, AddedNodeJoinsEmptyAndCanTakeASlot) {
  std::unique_ptr<ValkeyCluster> cluster =
      MustStart({.num_primaries = 3, .replicas_per_primary = 0});
  ASSERT_NE(cluster, nullptr);
  absl::StatusOr<int> added = cluster->AddNode();
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(*added, 3);
  EXPECT_EQ(cluster->size(), 4);
  const std::vector<std::string> info = ClusterInfoHead(cluster->node(3), 6);
  ASSERT_EQ(info.size(), 6u);
  EXPECT_EQ(info[5], "cluster_known_nodes:4");
  EXPECT_EQ(Cmd(cluster->node(3), {"CLUSTER", "COUNTKEYSINSLOT", "0"}), ":0");

  const std::string key = KeyOn(*cluster, 0);
  const int slot = ValkeyCluster::KeySlot(key);
  ASSERT_EQ(Cmd(cluster->node(0), {"SET", key, "v"}), "+OK");
  EXPECT_EQ(Cmd(cluster->node(3), {"GET", key}),
            absl::StrCat("-MOVED ", slot, " ", cluster->node(0).address()));
  VK_ASSERT_OK(cluster->MoveSlot(slot, 3));
  EXPECT_EQ(cluster->PrimaryForSlot(slot).value_or(-1), 3);
  EXPECT_EQ(Cmd(cluster->node(3), {"GET", key}), "$1");
  VK_ASSERT_OK(cluster->WaitUntilStable(absl::Seconds(10)));
}

TEST(ValkeyClusterTest, PasswordProtectedCluster) {
  const std::string pw = "s3cret";
  std::unique_ptr<ValkeyCluster> cluster = MustStart({.password = pw});
  ASSERT_NE(cluster, nullptr);
  for (int i = 0; i < cluster->size(); ++i) {
    EXPECT_TRUE(
        absl::StartsWith(Cmd(cluster->node(i), {"GET", "k"}), "-NOAUTH"))
        << "node " << i;
    EXPECT_EQ(ClusterInfoHead(cluster->node(i), 1, pw),
              std::vector<std::string>{"cluster_state:ok"});
  }
  // MIGRATE authenticates on the target.
  const std::string key = KeyOn(*cluster, 0);
  const int slot = ValkeyCluster::KeySlot(key);
  ASSERT_EQ(Cmd(cluster->node(0), {"SET", key, "v"}, pw), "+OK");
  VK_ASSERT_OK(cluster->MoveSlot(slot, 1));
  EXPECT_EQ(Cmd(cluster->node(1), {"GET", key}, pw), "$1");
  // Replication authenticates with masterauth.
  EXPECT_EQ(Cmd(cluster->node(1), {"WAIT", "1", "2000"}, pw), ":1");
  EXPECT_EQ(ValkeyCluster::Start({.password = "has space"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ValkeyClusterTest, MissingBinaryFails) {
  const char* old = getenv("VALKEY_SERVER_BIN");
  const std::string saved = old == nullptr ? "" : old;
  setenv("VALKEY_SERVER_BIN", "/nonexistent/valkey-server", 1);
  absl::StatusOr<std::unique_ptr<ValkeyCluster>> cluster =
      ValkeyCluster::Start({});
  if (old == nullptr) {
    unsetenv("VALKEY_SERVER_BIN");
  } else {
    setenv("VALKEY_SERVER_BIN", saved.c_str(), 1);
  }
  ASSERT_FALSE(cluster.ok());
  EXPECT_EQ(cluster.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(cluster.status().message(),
                                "/nonexistent/valkey-server"));
}

// TLS, checked with BoringSSL.

std::string SslErrors() {
  std::string out;
  while (uint32_t e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    absl::StrAppend(&out, out.empty() ? "" : "; ", buf);
  }
  return out;
}

// Sends `command` (inline form) over TLS to `port`, verifying the server
// as 127.0.0.1 with `ca_file`, and returns the first reply line.
absl::StatusOr<std::string> TlsCommand(int port, const std::string& ca_file,
                                       const std::string& command) {
  absl::StatusOr<RawConnection> conn = RawConnection::Tcp("127.0.0.1", port);
  if (!conn.ok()) return conn.status();
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(
      SSL_CTX_new(TLS_method()), SSL_CTX_free);
  if (SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1) {
    return absl::InternalError("load CA: " + SslErrors());
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), "127.0.0.1");
  SSL_set_fd(ssl.get(), conn->fd());
  if (SSL_connect(ssl.get()) != 1) {
    return absl::UnavailableError(
        absl::StrCat("handshake: ", SslErrors(), " (verify result ",
                     SSL_get_verify_result(ssl.get()), ")"));
  }
  const std::string wire = command + "\r\n";
  if (SSL_write(ssl.get(), wire.data(), static_cast<int>(wire.size())) !=
      static_cast<int>(wire.size())) {
    return absl::UnavailableError("write: " + SslErrors());
  }
  std::string line;
  while (line.find("\r\n") == std::string::npos) {
    char buf[256];
    const int n = SSL_read(ssl.get(), buf, sizeof(buf));
    if (n <= 0) {
      return absl::UnavailableError(absl::StrCat(
          "read: SSL error ", SSL_get_error(ssl.get(), n), " ", SslErrors()));
    }
    line.append(buf, static_cast<size_t>(n));
  }
  return line.substr(0, line.find("\r\n"));
}

TEST(ValkeyClusterTlsTest, TlsClientsAreRedirectedToTlsPorts) {
  std::unique_ptr<ValkeyCluster> cluster =
      MustStart({.num_primaries = 3, .replicas_per_primary = 1, .tls = true});
  ASSERT_NE(cluster, nullptr);
  const std::string ca = cluster->ca_cert_path();
  const std::string key = KeyOn(*cluster, 1);
  const int slot = ValkeyCluster::KeySlot(key);
  for (int i = 0; i < cluster->size(); ++i) {
    EXPECT_GT(cluster->node(i).tls_port(), 0);
    absl::StatusOr<std::string> pong =
        TlsCommand(cluster->node(i).tls_port(), ca, "PING");
    ASSERT_TRUE(pong.ok()) << "node " << i << ": " << pong.status();
    EXPECT_EQ(*pong, "+PONG");
  }
  // TLS clients are sent to TLS ports, plain clients to plain ports.
  absl::StatusOr<std::string> moved =
      TlsCommand(cluster->node(0).tls_port(), ca, "GET " + key);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, absl::StrCat("-MOVED ", slot,
                                 " 127.0.0.1:", cluster->node(1).tls_port()));
  EXPECT_EQ(Cmd(cluster->node(0), {"GET", key}),
            absl::StrCat("-MOVED ", slot, " ", cluster->node(1).address()));
  // Replication runs over TLS.
  EXPECT_EQ(Cmd(cluster->node(1), {"SET", key, "v"}), "+OK");
  EXPECT_EQ(Cmd(cluster->node(1), {"WAIT", "1", "2000"}), ":1");
}

}  // namespace
}  // namespace valkey::testing
