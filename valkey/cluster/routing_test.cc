#include "valkey/cluster/routing.h"

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/common/errors.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace cluster {
namespace {

Route RouteOf(std::initializer_list<CommandArg> args) {
  return RouteCommand(absl::Span<const CommandArg>(args.begin(), args.size()));
}

TEST(RouteCommandTest, SingleKeyRead) {
  const Route r = RouteOf({"GET", "foo"});
  EXPECT_EQ(r.kind, Route::kSlot);
  EXPECT_EQ(r.slot, 12182);
  EXPECT_TRUE(r.read_only);
  EXPECT_TRUE(r.refusal.ok());
}

TEST(RouteCommandTest, SingleKeyWriteAnyCase) {
  const Route r = RouteOf({"sEt", "bar", "1"});
  EXPECT_EQ(r.kind, Route::kSlot);
  EXPECT_EQ(r.slot, 5061);
  EXPECT_FALSE(r.read_only);
}

TEST(RouteCommandTest, MultiKeySameSlotViaHashTag) {
  const Route r = RouteOf({"MSET", "{user1000}.a", "1", "{user1000}.b", "2"});
  EXPECT_EQ(r.kind, Route::kSlot);
  EXPECT_EQ(r.slot, KeySlot("user1000"));
  EXPECT_FALSE(r.read_only);
  const Route m = RouteOf({"MGET", "{u}1", "{u}2", "{u}3", "{u}4", "{u}5"});
  EXPECT_EQ(m.kind, Route::kSlot);
  EXPECT_TRUE(m.read_only);
}

TEST(RouteCommandTest, CrossSlotIsRefusedWithBothSlots) {
  const Route r = RouteOf({"MSET", "foo", "1", "bar", "2"});
  EXPECT_EQ(r.kind, Route::kRefused);
  EXPECT_EQ(r.refusal.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorKind(r.refusal), ErrorKind::kCrossSlot);
  EXPECT_NE(r.refusal.message().find("CROSSSLOT MSET"), std::string::npos);
  EXPECT_NE(r.refusal.message().find("12182 and 5061"), std::string::npos)
      << r.refusal;
  // Keys may agree for a while: the first differing one is named.
  const Route d = RouteOf({"DEL", "{a}1", "{a}2", "hello"});
  EXPECT_EQ(d.kind, Route::kRefused);
  EXPECT_NE(d.refusal.message().find(absl::StrCat(KeySlot("a"), " and 866")),
            std::string::npos)
      << d.refusal;
}

TEST(RouteCommandTest, ScriptsUseNumkeys) {
  const Route e = RouteOf({"EVAL", "return 1", "2", "{k}1", "{k}2", "arg"});
  EXPECT_EQ(e.kind, Route::kSlot);
  EXPECT_EQ(e.slot, KeySlot("k"));
  EXPECT_FALSE(e.read_only);
  const Route ro = RouteOf({"EVALSHA_RO", "abc", "1", "foo"});
  EXPECT_EQ(ro.kind, Route::kSlot);
  EXPECT_EQ(ro.slot, 12182);
  EXPECT_TRUE(ro.read_only);
  const Route f = RouteOf({"FCALL", "fn", "2", "foo", "bar"});
  EXPECT_EQ(f.kind, Route::kRefused);
  EXPECT_EQ(GetErrorKind(f.refusal), ErrorKind::kCrossSlot);
  // numkeys 0: keyless, any primary.
  const Route zero = RouteOf({"EVAL", "return 1", "0"});
  EXPECT_EQ(zero.kind, Route::kAnyNode);
  EXPECT_FALSE(zero.read_only);
  // A numkeys larger than the arguments: the server will refuse it.
  EXPECT_EQ(RouteOf({"EVAL", "return 1", "5", "a"}).kind, Route::kAnyNode);
}

TEST(RouteCommandTest, OtherKeyLayouts) {
  EXPECT_EQ(RouteOf({"XREAD", "COUNT", "1", "STREAMS", "foo", "0"}).slot,
            12182);
  EXPECT_EQ(RouteOf({"OBJECT", "ENCODING", "bar"}).slot, 5061);
  EXPECT_EQ(RouteOf({"OBJECT", "HELP"}).kind, Route::kAnyNode);
  EXPECT_EQ(RouteOf({"BLPOP", "foo", "0"}).slot, 12182);
  EXPECT_EQ(RouteOf({"WATCH", "foo"}).kind, Route::kSlot);
}

TEST(RouteCommandTest, ShardedPubSubByChannel) {
  const Route p = RouteOf({"SPUBLISH", "foo", "msg"});
  EXPECT_EQ(p.kind, Route::kSlot);
  EXPECT_EQ(p.slot, 12182);
  EXPECT_FALSE(p.read_only);
  const Route s = RouteOf({"ssubscribe", "{c}1", "{c}2"});
  EXPECT_EQ(s.kind, Route::kSlot);
  EXPECT_EQ(s.slot, KeySlot("c"));
  EXPECT_FALSE(s.read_only);
  const Route bad = RouteOf({"SSUBSCRIBE", "foo", "bar"});
  EXPECT_EQ(bad.kind, Route::kRefused);
  EXPECT_EQ(GetErrorKind(bad.refusal), ErrorKind::kCrossSlot);
  EXPECT_EQ(RouteOf({"SUNSUBSCRIBE", "hello"}).slot, 866);
  EXPECT_EQ(RouteOf({"SUNSUBSCRIBE"}).kind, Route::kRefused);
  // Global PUBLISH propagates cluster-wide: any node.
  EXPECT_EQ(RouteOf({"PUBLISH", "foo", "m"}).kind, Route::kAnyNode);
}

TEST(RouteCommandTest, KeylessBroadcasts) {
  for (auto args :
       std::vector<std::vector<const char*>>{{"FLUSHALL"},
                                             {"flushdb", "ASYNC"},
                                             {"DBSIZE"},
                                             {"KEYS", "*"},
                                             {"SCAN", "0"},
                                             {"RANDOMKEY"},
                                             {"WAIT", "1", "0"},
                                             {"SCRIPT", "EXISTS", "abc"},
                                             {"script", "kill"},
                                             {"FUNCTION", "LOAD", "code"},
                                             {"FUNCTION", "delete", "lib"},
                                             {"FUNCTION", "FLUSH"},
                                             {"FUNCTION", "RESTORE", "x"},
                                             {"PUBSUB", "SHARDCHANNELS"}}) {
    std::vector<CommandArg> argv(args.begin(), args.end());
    EXPECT_EQ(RouteCommand(argv).kind, Route::kAllPrimaries) << args[0];
  }
  for (auto args : std::vector<std::vector<const char*>>{
           {"CONFIG", "SET", "maxmemory", "1"},
           {"config", "resetstat"},
           {"SCRIPT", "LOAD", "return 1"},
           {"SCRIPT", "FLUSH"},
           {"ACL", "SETUSER", "u"},
           {"SLOWLOG", "RESET"},
           {"PUBSUB", "CHANNELS"}}) {
    std::vector<CommandArg> argv(args.begin(), args.end());
    EXPECT_EQ(RouteCommand(argv).kind, Route::kAllNodes) << args[0];
  }
}

TEST(RouteCommandTest, KeylessAnyNode) {
  for (auto args :
       std::vector<std::vector<const char*>>{{"PING"},
                                             {"ECHO", "x"},
                                             {"INFO", "server"},
                                             {"TIME"},
                                             {"COMMAND", "COUNT"},
                                             {"COMMAND", "DOCS", "GET"},
                                             {"CLUSTER", "SLOTS"},
                                             {"CLUSTER", "KEYSLOT", "foo"},
                                             {"FUNCTION", "LIST"},
                                             {"CONFIG", "GET", "maxmemory"},
                                             {"SCRIPT"},
                                             {"CLIENT", "LIST"},
                                             {"LOLWUT"}}) {
    std::vector<CommandArg> argv(args.begin(), args.end());
    const Route r = RouteCommand(argv);
    EXPECT_EQ(r.kind, Route::kAnyNode) << args[0];
    EXPECT_TRUE(r.read_only) << args[0];
  }
}

TEST(RouteCommandTest, UnknownCommandsGoAnywhereAsWrites) {
  const Route module = RouteOf({"FT.SEARCH", "idx", "hello"});
  EXPECT_EQ(module.kind, Route::kAnyNode);
  EXPECT_FALSE(module.read_only);
  EXPECT_EQ(RouteOf({"NOSUCHCOMMAND"}).kind, Route::kAnyNode);
  // A known command with too few arguments: the server answers the error.
  const Route get = RouteOf({"GET"});
  EXPECT_EQ(get.kind, Route::kAnyNode);
  EXPECT_FALSE(get.read_only);
  const std::string long_name(300, 'X');
  EXPECT_EQ(RouteOf({long_name}).kind, Route::kAnyNode);
}

TEST(RouteCommandTest, SlotArgument) {
  const Route r = RouteOf({"CLUSTER", "COUNTKEYSINSLOT", "777"});
  EXPECT_EQ(r.kind, Route::kSlot);
  EXPECT_EQ(r.slot, 777);
  EXPECT_EQ(RouteOf({"CLUSTER", "GETKEYSINSLOT", "16383", "10"}).slot, 16383);
  EXPECT_EQ(RouteOf({"CLUSTER", "GETKEYSINSLOT", "16384", "10"}).kind,
            Route::kAnyNode);
  EXPECT_EQ(RouteOf({"CLUSTER", "COUNTKEYSINSLOT"}).kind, Route::kAnyNode);
}

TEST(RouteCommandTest, ConnectionStateIsRefused) {
  for (auto args :
       std::vector<std::vector<const char*>>{{"MULTI"},
                                             {"exec"},
                                             {"DISCARD"},
                                             {"UNWATCH"},
                                             {"AUTH", "p"},
                                             {"HELLO", "3"},
                                             {"SELECT", "0"},
                                             {"SUBSCRIBE", "c"},
                                             {"PSUBSCRIBE", "c*"},
                                             {"MONITOR"},
                                             {"READONLY"},
                                             {"ASKING"},
                                             {"CLIENT", "SETNAME", "x"},
                                             {"client", "tracking", "on"}}) {
    std::vector<CommandArg> argv(args.begin(), args.end());
    const Route r = RouteCommand(argv);
    EXPECT_EQ(r.kind, Route::kRefused) << args[0];
    EXPECT_EQ(r.refusal.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(GetErrorKind(r.refusal), ErrorKind::kInvalidArgument);
  }
}

TEST(RouteCommandTest, EmptyCommand) {
  const Route r = RouteCommand({});
  EXPECT_EQ(r.kind, Route::kRefused);
  EXPECT_EQ(r.refusal.code(), absl::StatusCode::kInvalidArgument);
}

// --- ChooseNode -----------------------------------------------------------

NodeAddress N(const char* host, const char* az = "") {
  NodeAddress n;
  n.host = host;
  n.port = 6379;
  n.availability_zone = az;
  return n;
}

TEST(ChooseNodeTest, WritesAndPrimaryPolicyUsePrimary) {
  const Shard shard{N("p"), {N("r1"), N("r2")}};
  for (ReadPolicy policy : {ReadPolicy::kPrimary, ReadPolicy::kPreferReplica,
                            ReadPolicy::kRoundRobin, ReadPolicy::kAzAffinity}) {
    for (uint64_t c = 0; c < 5; ++c) {
      EXPECT_EQ(ChooseNode(shard, policy, /*read_only=*/false, c, "az").host,
                "p");
    }
  }
  EXPECT_EQ(ChooseNode(shard, ReadPolicy::kPrimary, true, 1, "").host, "p");
}

TEST(ChooseNodeTest, PreferReplicaRotatesReplicas) {
  const Shard shard{N("p"), {N("r1"), N("r2")}};
  EXPECT_EQ(ChooseNode(shard, ReadPolicy::kPreferReplica, true, 0, "").host,
            "r1");
  EXPECT_EQ(ChooseNode(shard, ReadPolicy::kPreferReplica, true, 1, "").host,
            "r2");
  EXPECT_EQ(ChooseNode(shard, ReadPolicy::kPreferReplica, true, 2, "").host,
            "r1");
  EXPECT_EQ(
      ChooseNode(shard, ReadPolicy::kPreferReplica, true, UINT64_MAX, "").host,
      "r2");
  const Shard alone{N("p"), {}};
  EXPECT_EQ(ChooseNode(alone, ReadPolicy::kPreferReplica, true, 7, "").host,
            "p");
}

TEST(ChooseNodeTest, RoundRobinIncludesPrimary) {
  const Shard shard{N("p"), {N("r1"), N("r2")}};
  std::vector<std::string> seen;
  for (uint64_t c = 0; c < 6; ++c) {
    seen.push_back(
        ChooseNode(shard, ReadPolicy::kRoundRobin, true, c, "").host);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"p", "r1", "r2", "p", "r1", "r2"}));
}

TEST(ChooseNodeTest, AzAffinity) {
  const Shard shard{N("p", "a"),
                    {N("r1", "b"), N("r2", "a"), N("r3", "c"), N("r4", "a")}};
  EXPECT_EQ(ChooseNode(shard, ReadPolicy::kAzAffinity, true, 0, "a").host,
            "r2");
  EXPECT_EQ(ChooseNode(shard, ReadPolicy::kAzAffinity, true, 1, "a").host,
            "r4");
  EXPECT_EQ(ChooseNode(shard, ReadPolicy::kAzAffinity, true, 2, "a").host,
            "r2");
  // No replica in the zone, or no zone: any replica.
  EXPECT_EQ(ChooseNode(shard, ReadPolicy::kAzAffinity, true, 2, "z").host,
            "r3");
  EXPECT_EQ(ChooseNode(shard, ReadPolicy::kAzAffinity, true, 0, "").host, "r1");
  const Shard alone{N("p", "a"), {}};
  EXPECT_EQ(ChooseNode(alone, ReadPolicy::kAzAffinity, true, 0, "a").host, "p");
}

}  // namespace
}  // namespace cluster
}  // namespace valkey
