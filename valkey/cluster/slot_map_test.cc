#include "valkey/cluster/slot_map.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_reader.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace cluster {
namespace {

Reply Parse(absl::string_view bytes) {
  RespReader reader;
  reader.Feed(bytes);
  Reply reply;
  EXPECT_EQ(reader.Read(&reply), RespReader::Result::kReply) << reader.status();
  return reply;
}

constexpr char kId1[] = "00c9358ec456d29705a6de23e91e1c74b772e0dc";
constexpr char kId2[] = "8f9e949d4786eca3cc94215212e3fe068a08c0fe";

// Captured from valkey-server 8.0.1: a primary on 7391 (announced hostname
// primary.example) serving all slots and a replica on 7392
// (replica.example), CLUSTER SLOTS over RESP2 and RESP3.
constexpr char kSlotsResp2[] =
    "*1\r\n*4\r\n:0\r\n:16383\r\n"
    "*4\r\n$9\r\n127.0.0.1\r\n:7391\r\n"
    "$40\r\n00c9358ec456d29705a6de23e91e1c74b772e0dc\r\n"
    "*2\r\n$8\r\nhostname\r\n$15\r\nprimary.example\r\n"
    "*4\r\n$9\r\n127.0.0.1\r\n:7392\r\n"
    "$40\r\n8f9e949d4786eca3cc94215212e3fe068a08c0fe\r\n"
    "*2\r\n$8\r\nhostname\r\n$15\r\nreplica.example\r\n";
constexpr char kSlotsResp3[] =
    "*1\r\n*4\r\n:0\r\n:16383\r\n"
    "*4\r\n$9\r\n127.0.0.1\r\n:7391\r\n"
    "$40\r\n00c9358ec456d29705a6de23e91e1c74b772e0dc\r\n"
    "%1\r\n$8\r\nhostname\r\n$15\r\nprimary.example\r\n"
    "*4\r\n$9\r\n127.0.0.1\r\n:7392\r\n"
    "$40\r\n8f9e949d4786eca3cc94215212e3fe068a08c0fe\r\n"
    "%1\r\n$8\r\nhostname\r\n$15\r\nreplica.example\r\n";
// A lone node that does not know its own address (endpoint ""), as a fresh
// single-node cluster answers.
constexpr char kSlotsEmptyHost[] =
    "*1\r\n*3\r\n:0\r\n:16383\r\n*4\r\n$0\r\n\r\n:7391\r\n"
    "$40\r\n00c9358ec456d29705a6de23e91e1c74b772e0dc\r\n*0\r\n";

// CLUSTER SHARDS for the same cluster, captured while the replica was still
// loading (health "loading"), in RESP2 and RESP3.
constexpr char kShardsResp2[] =
    "*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n"
    "*16\r\n$2\r\nid\r\n$40\r\n00c9358ec456d29705a6de23e91e1c74b772e0dc\r\n"
    "$4\r\nport\r\n:7391\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nhostname\r\n$15\r\nprimary.example\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
    "$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*16\r\n$2\r\nid\r\n$40\r\n8f9e949d4786eca3cc94215212e3fe068a08c0fe\r\n"
    "$4\r\nport\r\n:7392\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nhostname\r\n$15\r\nreplica.example\r\n"
    "$4\r\nrole\r\n$7\r\nreplica\r\n"
    "$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\nloading\r\n";
constexpr char kShardsResp3[] =
    "*1\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n"
    "%8\r\n$2\r\nid\r\n$40\r\n00c9358ec456d29705a6de23e91e1c74b772e0dc\r\n"
    "$4\r\nport\r\n:7391\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nhostname\r\n$15\r\nprimary.example\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
    "$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "%8\r\n$2\r\nid\r\n$40\r\n8f9e949d4786eca3cc94215212e3fe068a08c0fe\r\n"
    "$4\r\nport\r\n:7392\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nhostname\r\n$15\r\nreplica.example\r\n"
    "$4\r\nrole\r\n$7\r\nreplica\r\n"
    "$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\nloading\r\n";

std::string Online(absl::string_view shards) {
  return absl::StrReplaceAll(shards, {{"$7\r\nloading", "$6\r\nonline"}});
}

NodeAddress Node(std::string host, int port, std::string id = "",
                 std::string hostname = "") {
  NodeAddress n;
  n.host = std::move(host);
  n.port = port;
  n.id = std::move(id);
  n.hostname = std::move(hostname);
  return n;
}

Shard RealShard() {
  return Shard{Node("127.0.0.1", 7391, kId1, "primary.example"),
               {Node("127.0.0.1", 7392, kId2, "replica.example")}};
}

// --- SlotMap -------------------------------------------------------------

TEST(SlotMapTest, EmptyCoversNothing) {
  SlotMap map;
  EXPECT_FALSE(map.CoversAllSlots());
  EXPECT_EQ(map.ShardForSlot(0), nullptr);
  EXPECT_EQ(map.ShardForSlot(-1), nullptr);
  EXPECT_EQ(map.ShardForSlot(kNumSlots), nullptr);
  EXPECT_TRUE(map.Primaries().empty());
  EXPECT_EQ(map.UncoveredRanges(),
            (std::vector<std::pair<int, int>>{{0, kNumSlots - 1}}));
}

TEST(SlotMapTest, AssignSlotsAndQueries) {
  SlotMap map;
  const Shard a{Node("10.0.0.1", 7000), {Node("10.0.0.4", 7000)}};
  const Shard b{Node("10.0.0.2", 7000), {}};
  ASSERT_TRUE(map.AssignSlots(0, 5460, a).ok());
  ASSERT_TRUE(map.AssignSlots(10923, 16383, b).ok());
  ASSERT_TRUE(map.AssignSlots(6000, 6001, a).ok());
  EXPECT_FALSE(map.CoversAllSlots());
  EXPECT_EQ(map.UncoveredRanges(),
            (std::vector<std::pair<int, int>>{{5461, 5999}, {6002, 10922}}));
  ASSERT_NE(map.ShardForSlot(6001), nullptr);
  EXPECT_EQ(*map.ShardForSlot(6001), a);
  EXPECT_EQ(*map.ShardForSlot(16383), b);
  EXPECT_EQ(map.ShardForSlot(5461), nullptr);
  EXPECT_EQ(map.Primaries(), (std::vector<NodeAddress>{a.primary, b.primary}));
  EXPECT_EQ(map.AllNodes(),
            (std::vector<NodeAddress>{a.primary, a.replicas[0], b.primary}));
  EXPECT_EQ(map.DebugString(),
            "0-5460,6000-6001 10.0.0.1:7000 replicas [10.0.0.4:7000]\n"
            "10923-16383 10.0.0.2:7000 replicas []\n"
            "uncovered 5461-5999,6002-10922\n");
}

TEST(SlotMapTest, AssignSlotsRejectsBadRanges) {
  SlotMap map;
  const Shard a{Node("h", 1), {}};
  EXPECT_EQ(map.AssignSlots(-1, 3, a).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(map.AssignSlots(0, kNumSlots, a).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(map.AssignSlots(5, 4, a).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(map, SlotMap());
}

TEST(SlotMapTest, SetSlotPrimaryMovesToKnownShard) {
  SlotMap map;
  const Shard a{Node("10.0.0.1", 7000), {Node("10.0.0.4", 7000)}};
  const Shard b{Node("10.0.0.2", 7000), {}};
  ASSERT_TRUE(map.AssignSlots(0, 8191, a).ok());
  ASSERT_TRUE(map.AssignSlots(8192, 16383, b).ok());
  // The MOVED target carries no id: it matches by endpoint.
  ASSERT_TRUE(map.SetSlotPrimary(100, Node("10.0.0.2", 7000)).ok());
  EXPECT_EQ(*map.ShardForSlot(100), b);
  EXPECT_EQ(*map.ShardForSlot(99), a);
  EXPECT_EQ(map.shards().size(), 2u);
  EXPECT_TRUE(map.CoversAllSlots());
}

TEST(SlotMapTest, SetSlotPrimaryCreatesShardAndDropsEmptyOnes) {
  SlotMap map;
  const Shard a{Node("10.0.0.1", 7000), {}};
  ASSERT_TRUE(map.AssignSlots(0, 0, a).ok());
  ASSERT_TRUE(
      map.AssignSlots(1, 16383, Shard{Node("10.0.0.2", 7000), {}}).ok());
  ASSERT_TRUE(map.SetSlotPrimary(0, Node("10.0.0.3", 7001)).ok());
  ASSERT_NE(map.ShardForSlot(0), nullptr);
  EXPECT_EQ(map.ShardForSlot(0)->primary, Node("10.0.0.3", 7001));
  EXPECT_TRUE(map.ShardForSlot(0)->replicas.empty());
  // 10.0.0.1 served only slot 0: it is gone from the broadcast set.
  EXPECT_EQ(map.Primaries(),
            (std::vector<NodeAddress>{Node("10.0.0.3", 7001),
                                      Node("10.0.0.2", 7000)}));
}

TEST(SlotMapTest, SetSlotPrimaryValidates) {
  SlotMap map;
  EXPECT_EQ(map.SetSlotPrimary(kNumSlots, Node("h", 1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(map.SetSlotPrimary(1, Node("", 6380)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(map.SetSlotPrimary(1, Node("h", 0)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(map.SetSlotPrimary(1, Node("h", 65536)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(map, SlotMap());
}

TEST(SlotMapTest, EqualityIgnoresShardOrder) {
  const Shard a{Node("a", 1), {}};
  const Shard b{Node("b", 2), {}};
  SlotMap x;
  ASSERT_TRUE(x.AssignSlots(0, 99, a).ok());
  ASSERT_TRUE(x.AssignSlots(100, 16383, b).ok());
  SlotMap y;
  ASSERT_TRUE(y.AssignSlots(100, 16383, b).ok());
  ASSERT_TRUE(y.AssignSlots(0, 99, a).ok());
  EXPECT_EQ(x, y);
  ASSERT_TRUE(y.SetSlotPrimary(5, b.primary).ok());
  EXPECT_FALSE(x == y);
}

TEST(NodeAddressTest, HostPortBracketsIpv6) {
  EXPECT_EQ(Node("10.1.2.3", 6379).HostPort(), "10.1.2.3:6379");
  EXPECT_EQ(Node("::1", 6380).HostPort(), "[::1]:6380");
  EXPECT_TRUE(Node("h", 1, "id1").SameEndpoint(Node("h", 1)));
  EXPECT_FALSE(Node("h", 1, "id1") == Node("h", 1));
}

// --- CLUSTER SLOTS --------------------------------------------------------

TEST(ParseClusterSlotsTest, RealServerResp2AndResp3) {
  for (const char* bytes : {kSlotsResp2, kSlotsResp3}) {
    Reply reply = Parse(bytes);
    absl::StatusOr<SlotMap> map = ParseClusterSlots(reply.view(), "seed");
    ASSERT_TRUE(map.ok()) << map.status();
    EXPECT_TRUE(map->CoversAllSlots());
    ASSERT_EQ(map->shards().size(), 1u);
    EXPECT_EQ(map->shards()[0], RealShard());
    EXPECT_EQ(*map->ShardForSlot(KeySlot("foo")), RealShard());
  }
}

TEST(ParseClusterSlotsTest, EmptyEndpointMeansQueriedHost) {
  Reply reply = Parse(kSlotsEmptyHost);
  absl::StatusOr<SlotMap> map = ParseClusterSlots(reply.view(), "10.9.8.7");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->shards()[0].primary, Node("10.9.8.7", 7391, kId1));
  // Without a queried host the node cannot be reached: an error, not "".
  EXPECT_EQ(ParseClusterSlots(reply.view(), "").status().code(),
            absl::StatusCode::kDataLoss);
}

// Three shards over non-contiguous ranges, pre-7.0 nodes (no id, no
// metadata), a null endpoint and "?" endpoints with and without "ip".
TEST(ParseClusterSlotsTest, ManyShardsAndUnknownEndpoints) {
  const std::string bytes =
      "*4\r\n"
      "*4\r\n:0\r\n:5460\r\n*2\r\n$8\r\n10.0.0.1\r\n:7000\r\n"
      "*2\r\n$8\r\n10.0.0.4\r\n:7000\r\n"
      "*3\r\n:5461\r\n:10922\r\n*4\r\n_\r\n:7001\r\n$2\r\nid\r\n%0\r\n"
      "*3\r\n:10923\r\n:16383\r\n*4\r\n+?\r\n:7002\r\n$3\r\nid3\r\n"
      "%2\r\n$2\r\nip\r\n$8\r\n10.0.0.3\r\n"
      "$17\r\navailability-zone\r\n$4\r\naz-1\r\n"
      "*4\r\n:6000\r\n:6000\r\n*2\r\n$8\r\n10.0.0.1\r\n:7000\r\n"
      "*4\r\n$1\r\n?\r\n:7005\r\n$2\r\nr5\r\n%0\r\n";
  // Slot 6000 in two entries is malformed...
  Reply overlapping = Parse(bytes);
  absl::StatusOr<SlotMap> bad = ParseClusterSlots(overlapping.view(), "seed");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("entry 3"), std::string::npos)
      << bad.status();
  // ... so move it to a free-standing range.
  Reply reply = Parse(
      absl::StrReplaceAll(bytes, {{":5461\r\n:10922", ":5461\r\n:5999"}}));
  absl::StatusOr<SlotMap> map = ParseClusterSlots(reply.view(), "seed");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->UncoveredRanges(),
            (std::vector<std::pair<int, int>>{{6001, 10922}}));
  const Shard* s0 = map->ShardForSlot(0);
  ASSERT_NE(s0, nullptr);
  // The first entry named a replica; the later entry of the same primary
  // (slot 6000) named another, but ranges of one primary are one shard.
  EXPECT_EQ(s0, map->ShardForSlot(6000));
  EXPECT_EQ(s0->replicas, (std::vector<NodeAddress>{Node("10.0.0.4", 7000)}));
  EXPECT_EQ(map->ShardForSlot(5461)->primary, Node("seed", 7001, "id"));
  NodeAddress third = Node("10.0.0.3", 7002, "id3");
  third.availability_zone = "az-1";
  EXPECT_EQ(map->ShardForSlot(16383)->primary, third);
  EXPECT_EQ(map->Primaries().size(), 3u);
}

TEST(ParseClusterSlotsTest, ErrorReplyBecomesItsStatus) {
  Reply reply = Parse("-ERR This instance has cluster support disabled\r\n");
  absl::StatusOr<SlotMap> map = ParseClusterSlots(reply.view(), "h");
  EXPECT_EQ(map.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(ServerErrorPrefix(map.status()), "ERR");
  EXPECT_NE(map.status().message().find("cluster support disabled"),
            std::string::npos);
}

TEST(ParseClusterSlotsTest, EmptyReplyIsAnEmptyMap) {
  Reply reply = Parse("*0\r\n");
  absl::StatusOr<SlotMap> map = ParseClusterSlots(reply.view(), "h");
  ASSERT_TRUE(map.ok());
  EXPECT_FALSE(map->CoversAllSlots());
}

struct MalformedCase {
  const char* bytes;
  const char* expected_in_message;
};

TEST(ParseClusterSlotsTest, MalformedRepliesNameTheProblem) {
  const MalformedCase cases[] = {
      {":1\r\n", "expected an array"},
      {"*1\r\n:1\r\n", "entry 0: expected [start, end"},
      {"*1\r\n*2\r\n:0\r\n:1\r\n", "entry 0: expected [start, end"},
      {"*1\r\n*3\r\n$1\r\nx\r\n:1\r\n*2\r\n$1\r\nh\r\n:1\r\n",
       "entry 0: start/end slot is not an integer"},
      {"*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$1\r\nh\r\n:1\r\n",
       "entry 0: slot range 0-16384 is not within 0-16383"},
      {"*1\r\n*3\r\n:-1\r\n:5\r\n*2\r\n$1\r\nh\r\n:1\r\n", "slot range -1-5"},
      {"*1\r\n*3\r\n:9\r\n:5\r\n*2\r\n$1\r\nh\r\n:1\r\n",
       "ends before it starts"},
      {"*1\r\n*3\r\n:0\r\n:5\r\n*1\r\n$1\r\nh\r\n",
       "entry 0: node 0: expected an array"},
      {"*1\r\n*3\r\n:0\r\n:5\r\n$1\r\nh\r\n", "node 0: expected an array"},
      {"*1\r\n*3\r\n:0\r\n:5\r\n*2\r\n:1\r\n:1\r\n",
       "endpoint is not a string"},
      {"*1\r\n*3\r\n:0\r\n:5\r\n*2\r\n$1\r\nh\r\n$1\r\nx\r\n",
       "port is not an integer"},
      {"*1\r\n*3\r\n:0\r\n:5\r\n*2\r\n$1\r\nh\r\n:70000\r\n",
       "port 70000 is not within 1..65535"},
      {"*1\r\n*3\r\n:0\r\n:5\r\n*2\r\n$1\r\nh\r\n:0\r\n", "port 0"},
      {"*1\r\n*3\r\n:0\r\n:5\r\n*3\r\n$1\r\nh\r\n:1\r\n:5\r\n",
       "node id is not a string"},
      {"*1\r\n*3\r\n:0\r\n:5\r\n*4\r\n$1\r\nh\r\n:1\r\n$1\r\ni\r\n:5\r\n",
       "metadata is not a map"},
      {"*1\r\n*4\r\n:0\r\n:5\r\n*2\r\n$1\r\nh\r\n:1\r\n*2\r\n$1\r\nh\r\n:-"
       "3\r\n",
       "entry 0: node 1: port -3"},
      {"*2\r\n*3\r\n:0\r\n:5\r\n*2\r\n$1\r\nh\r\n:1\r\n"
       "*3\r\n:5\r\n:6\r\n*2\r\n$1\r\ng\r\n:1\r\n",
       "entry 1: slots 5-6 overlap"},
  };
  for (const MalformedCase& c : cases) {
    Reply reply = Parse(c.bytes);
    absl::StatusOr<SlotMap> map = ParseClusterSlots(reply.view(), "seed");
    EXPECT_EQ(map.status().code(), absl::StatusCode::kDataLoss) << c.bytes;
    EXPECT_TRUE(IsProtocolError(map.status()));
    EXPECT_NE(map.status().message().find(c.expected_in_message),
              std::string::npos)
        << map.status() << " for " << c.bytes;
  }
}

// --- CLUSTER SHARDS -------------------------------------------------------

TEST(ParseClusterShardsTest, RealServerSkipsLoadingReplica) {
  for (const char* bytes : {kShardsResp2, kShardsResp3}) {
    Reply reply = Parse(bytes);
    absl::StatusOr<SlotMap> map = ParseClusterShards(reply.view(), "seed");
    ASSERT_TRUE(map.ok()) << map.status();
    EXPECT_TRUE(map->CoversAllSlots());
    ASSERT_EQ(map->shards().size(), 1u);
    EXPECT_EQ(map->shards()[0].primary, RealShard().primary);
    EXPECT_TRUE(map->shards()[0].replicas.empty());
  }
}

TEST(ParseClusterShardsTest, AgreesWithClusterSlots) {
  Reply slots = Parse(kSlotsResp3);
  absl::StatusOr<SlotMap> from_slots = ParseClusterSlots(slots.view(), "s");
  ASSERT_TRUE(from_slots.ok());
  for (const char* bytes : {kShardsResp2, kShardsResp3}) {
    Reply reply = Parse(Online(bytes));
    absl::StatusOr<SlotMap> map = ParseClusterShards(reply.view(), "s");
    ASSERT_TRUE(map.ok()) << map.status();
    EXPECT_EQ(*map, *from_slots)
        << map->DebugString() << " vs " << from_slots->DebugString();
  }
}

// Built with the RESP3 writer: two shards, several ranges, a failed old
// primary beside the promoted one, TLS ports, endpoint fallbacks, an empty
// shard, unknown fields and a "primary" role spelling.
std::string SyntheticShards() {
  std::string out;
  auto node = [&out](std::vector<std::pair<const char*, std::string>> fields) {
    resp::AppendMapHeader(out, fields.size());
    for (const auto& [k, v] : fields) {
      resp::AppendBulkString(out, k);
      if (std::string(k) == "port" || std::string(k) == "tls-port") {
        resp::AppendInteger(out, std::stoi(v));
      } else {
        resp::AppendBulkString(out, v);
      }
    }
  };
  resp::AppendArrayHeader(out, 3);
  // Shard 0: slots 0-99 and 200-299.
  resp::AppendMapHeader(out, 3);
  resp::AppendBulkString(out, "slots");
  resp::AppendArrayHeader(out, 4);
  for (int s : {0, 99, 200, 299}) resp::AppendInteger(out, s);
  resp::AppendBulkString(out, "future-field");
  resp::AppendDouble(out, 1.5);
  resp::AppendBulkString(out, "nodes");
  resp::AppendArrayHeader(out, 3);
  node({{"id", "old"},
        {"port", "7000"},
        {"ip", "10.0.0.1"},
        {"endpoint", "10.0.0.1"},
        {"role", "master"},
        {"health", "failed"}});
  node({{"id", "new"},
        {"port", "7001"},
        {"tls-port", "8001"},
        {"ip", "10.0.0.2"},
        {"endpoint", "?"},
        {"role", "master"},
        {"health", "online"},
        {"availability-zone", "az-2"}});
  node({{"id", "r"},
        {"port", "7002"},
        {"ip", ""},
        {"endpoint", ""},
        {"hostname", "r.example"},
        {"role", "replica"},
        {"health", "online"}});
  // Shard 1: slot 100-199, primary only, "primary" spelling, TLS-only.
  resp::AppendMapHeader(out, 2);
  resp::AppendBulkString(out, "nodes");
  resp::AppendArrayHeader(out, 1);
  node({{"id", "p1"},
        {"tls-port", "9000"},
        {"endpoint", "p1.example"},
        {"role", "primary"},
        {"health", "online"}});
  resp::AppendBulkString(out, "slots");
  resp::AppendArrayHeader(out, 2);
  resp::AppendInteger(out, 100);
  resp::AppendInteger(out, 199);
  // Shard 2: no slots (a node just added): skipped.
  resp::AppendMapHeader(out, 2);
  resp::AppendBulkString(out, "slots");
  resp::AppendArrayHeader(out, 0);
  resp::AppendBulkString(out, "nodes");
  resp::AppendArrayHeader(out, 1);
  node({{"id", "e"},
        {"port", "7009"},
        {"endpoint", "10.0.0.9"},
        {"role", "master"},
        {"health", "online"}});
  return out;
}

TEST(ParseClusterShardsTest, SyntheticTopology) {
  Reply reply = Parse(SyntheticShards());
  absl::StatusOr<SlotMap> map = ParseClusterShards(reply.view(), "seed");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->UncoveredRanges(),
            (std::vector<std::pair<int, int>>{{300, 16383}}));
  ASSERT_EQ(map->shards().size(), 2u);
  const Shard* s0 = map->ShardForSlot(250);
  ASSERT_NE(s0, nullptr);
  EXPECT_EQ(s0, map->ShardForSlot(0));
  // The online primary wins; "?" falls back to "ip".
  NodeAddress primary = Node("10.0.0.2", 7001, "new");
  primary.availability_zone = "az-2";
  EXPECT_EQ(s0->primary, primary);
  // Empty endpoint and ip: the queried host.
  EXPECT_EQ(s0->replicas,
            (std::vector<NodeAddress>{Node("seed", 7002, "r", "r.example")}));
  EXPECT_EQ(map->ShardForSlot(150)->primary, Node("p1.example", 9000, "p1"));

  absl::StatusOr<SlotMap> tls =
      ParseClusterShards(reply.view(), "seed", {.use_tls_port = true});
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_EQ(tls->ShardForSlot(0)->primary.port, 8001);
  EXPECT_EQ(tls->ShardForSlot(0)->replicas[0].port, 7002);  // no tls-port
}

TEST(ParseClusterShardsTest, PrimaryOfAnyHealthWhenNoneOnline) {
  Reply reply = Parse(absl::StrReplaceAll(
      SyntheticShards(), {{"$6\r\nonline\r\n$17\r\navailability-zone",
                           "$4\r\nfail\r\n$17\r\navailability-zone"}}));
  absl::StatusOr<SlotMap> map = ParseClusterShards(reply.view(), "seed");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->ShardForSlot(0)->primary.id, "old");
}

TEST(ParseClusterShardsTest, ShardWithoutPrimaryLeavesSlotsUncovered) {
  Reply reply = Parse(
      absl::StrReplaceAll(kShardsResp3, {{"$6\r\nmaster", "$6\r\nfollow"}}));
  absl::StatusOr<SlotMap> map = ParseClusterShards(reply.view(), "seed");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_TRUE(map->shards().empty());
  EXPECT_FALSE(map->CoversAllSlots());
}

TEST(ParseClusterShardsTest, MalformedRepliesNameTheProblem) {
  const MalformedCase cases[] = {
      {"%0\r\n", "CLUSTER SHARDS: expected an array, got map"},
      {"*1\r\n:1\r\n", "shard 0: shard is not a map"},
      {"*1\r\n*3\r\n:1\r\n:2\r\n:3\r\n", "shard 0: shard is not a map"},
      {"*1\r\n%1\r\n$5\r\nnodes\r\n*0\r\n", "\"slots\" is not an array"},
      {"*1\r\n%2\r\n$5\r\nslots\r\n*1\r\n:1\r\n$5\r\nnodes\r\n*0\r\n",
       "\"slots\" is not an array of start/end pairs"},
      {"*1\r\n%1\r\n$5\r\nslots\r\n*0\r\n", "\"nodes\" is not an array"},
      {"*1\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n+x\r\n$5\r\nnodes\r\n*0\r\n",
       "a slot is not an integer"},
      {"*1\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:99999\r\n$5\r\nnodes\r\n*0\r\n",
       "slot range 0-99999"},
      {"*1\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:1\r\n$5\r\nnodes\r\n*1\r\n"
       ":1\r\n",
       "shard 0: node 0: node is not a map"},
      {"*1\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:1\r\n$5\r\nnodes\r\n*1\r\n"
       "%1\r\n$2\r\nip\r\n$1\r\nh\r\n",
       "node 0: no port"},
      {"*1\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:1\r\n$5\r\nnodes\r\n*1\r\n"
       "%1\r\n$4\r\nport\r\n#t\r\n",
       "node 0: port is not an integer"},
      {"*1\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:1\r\n$5\r\nnodes\r\n*1\r\n"
       "%1\r\n$4\r\nport\r\n:123456\r\n",
       "port 123456"},
      {"*2\r\n"
       "%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:10\r\n$5\r\nnodes\r\n*1\r\n"
       "%2\r\n$4\r\nport\r\n:1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
       "%2\r\n$5\r\nslots\r\n*2\r\n:10\r\n:20\r\n$5\r\nnodes\r\n*1\r\n"
       "%2\r\n$4\r\nport\r\n:2\r\n$4\r\nrole\r\n$6\r\nmaster\r\n",
       "shard 1: slots 10-20 overlap"},
  };
  for (const MalformedCase& c : cases) {
    Reply reply = Parse(c.bytes);
    absl::StatusOr<SlotMap> map = ParseClusterShards(reply.view(), "seed");
    EXPECT_EQ(map.status().code(), absl::StatusCode::kDataLoss) << c.bytes;
    EXPECT_NE(map.status().message().find(c.expected_in_message),
              std::string::npos)
        << map.status() << " for " << c.bytes;
  }
}

// Every single-byte corruption of the captured replies that still parses as
// RESP must yield a map or a status, never a crash (run under ASan in CI).
TEST(ParsersTest, SurviveCorruptedReplies) {
  const std::string inputs[] = {kSlotsResp2,  kSlotsResp3,  kSlotsEmptyHost,
                                kShardsResp2, kShardsResp3, SyntheticShards()};
  int parsed = 0;
  for (const std::string& input : inputs) {
    for (size_t i = 0; i < input.size(); ++i) {
      for (const char c : {'0', '9', '-', '*', '%', '_', '\0', '?'}) {
        std::string bytes = input;
        bytes[i] = c;
        RespReader reader;
        reader.Feed(bytes);
        Reply reply;
        if (reader.Read(&reply) != RespReader::Result::kReply) continue;
        ++parsed;
        absl::StatusOr<SlotMap> a = ParseClusterSlots(reply.view(), "h");
        absl::StatusOr<SlotMap> b = ParseClusterShards(reply.view(), "h");
        if (a.ok()) {
          EXPECT_LE(a->shards().size(), size_t{kNumSlots});
        }
        if (b.ok()) {
          EXPECT_LE(b->shards().size(), size_t{kNumSlots});
        }
      }
    }
  }
  EXPECT_GT(parsed, 100);
}

}  // namespace
}  // namespace cluster
}  // namespace valkey
