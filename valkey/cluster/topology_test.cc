// The shared cluster rules without a server: Topology (copy-on-write MOVED,
// refresh rate limiting, candidate order), CommandRedirects (each outcome's
// next step, the redirect budget, delays) and CombineReplies (each
// broadcast rule, errors naming the node).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/cluster/combine_replies.h"
#include "valkey/cluster/redirect.h"
#include "valkey/cluster/redirects.h"
#include "valkey/cluster/slot_map.h"
#include "valkey/cluster/topology.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_reader.h"
#include "valkey/common/resp_writer.h"

namespace valkey::cluster {
namespace {

NodeAddress Node(int port) {
  NodeAddress n;
  n.host = "127.0.0.1";
  n.port = port;
  return n;
}

SlotMap ThreeShards() {
  SlotMap map;
  EXPECT_TRUE(map.AssignSlots(0, 5460, {Node(7000), {Node(7003)}}).ok());
  EXPECT_TRUE(map.AssignSlots(5461, 10922, {Node(7001), {Node(7004)}}).ok());
  EXPECT_TRUE(map.AssignSlots(10923, 16383, {Node(7002), {Node(7005)}}).ok());
  return map;
}

Topology::Options Fast() {
  Topology::Options o;
  o.min_refresh_interval = absl::Milliseconds(100);
  o.refresh_interval = absl::Seconds(60);
  return o;
}

const absl::Time kT0 = absl::FromUnixSeconds(1000);

TEST(TopologyTest, FirstRefreshIsWantedAndReplacesTheMap) {
  Topology t({Node(7000)}, Fast());
  EXPECT_FALSE(t.has_map());
  EXPECT_TRUE(t.map()->shards().empty());
  ASSERT_TRUE(t.BeginRefresh(kT0));
  EXPECT_FALSE(t.BeginRefresh(kT0)) << "only one refresh at a time";
  t.EndRefresh(kT0, ThreeShards());
  EXPECT_TRUE(t.has_map());
  EXPECT_EQ(t.map()->shards().size(), 3u);
  EXPECT_EQ(t.refreshes(), 1);
  // Nothing wanted: no refresh, even much later (until refresh_interval).
  EXPECT_FALSE(t.BeginRefresh(kT0 + absl::Seconds(30)));
  EXPECT_TRUE(t.BeginRefresh(kT0 + absl::Seconds(61)));
}

TEST(TopologyTest, RefreshesAreRateLimited) {
  Topology t({Node(7000)}, Fast());
  ASSERT_TRUE(t.BeginRefresh(kT0));
  t.EndRefresh(kT0, absl::UnavailableError("down"));  // Failed.
  EXPECT_FALSE(t.has_map());
  EXPECT_FALSE(t.BeginRefresh(kT0 + absl::Milliseconds(50)));
  EXPECT_TRUE(t.BeginRefresh(kT0 + absl::Milliseconds(100)));
  t.EndRefresh(kT0 + absl::Milliseconds(100), ThreeShards());
  t.MarkStale();
  EXPECT_FALSE(t.BeginRefresh(kT0 + absl::Milliseconds(150)));
  EXPECT_TRUE(t.BeginRefresh(kT0 + absl::Milliseconds(200)));
  EXPECT_EQ(t.refresh_attempts(), 3);
}

TEST(TopologyTest, MovedIsCopyOnWriteAndWantsARefresh) {
  Topology t({Node(7000)}, Fast());
  ASSERT_TRUE(t.BeginRefresh(kT0));
  t.EndRefresh(kT0, ThreeShards());
  std::shared_ptr<const SlotMap> before = t.map();
  Redirect moved;
  moved.kind = Redirect::kMoved;
  moved.slot = 100;
  moved.to = Node(7001);
  t.ApplyMoved(moved);
  EXPECT_EQ(before->ShardForSlot(100)->primary.port, 7000) << "old map kept";
  EXPECT_EQ(t.map()->ShardForSlot(100)->primary.port, 7001);
  EXPECT_EQ(t.map()->ShardForSlot(101)->primary.port, 7000);
  EXPECT_TRUE(t.BeginRefresh(kT0 + absl::Seconds(1)));
}

TEST(TopologyTest, CandidatesArePrimariesReplicasSeedsFailedLast) {
  Topology t({Node(7000), Node(9999)}, Fast());
  ASSERT_TRUE(t.BeginRefresh(kT0));
  t.EndRefresh(kT0, ThreeShards());
  NodeAddress dead = Node(7001);
  t.MarkStale(&dead);
  std::vector<int> ports;
  for (const NodeAddress& n : t.RefreshCandidates()) ports.push_back(n.port);
  EXPECT_EQ(ports,
            (std::vector<int>{7000, 7002, 7003, 7004, 7005, 9999, 7001}));
}

absl::Status Err(absl::string_view line) { return ServerError(line); }

class RedirectsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(topology_.BeginRefresh(kT0));
    topology_.EndRefresh(kT0, ThreeShards());
  }
  Topology topology_{{Node(7000)}, Fast()};
};

TEST_F(RedirectsTest, OkAndCommandErrorsAreDelivered) {
  CommandRedirects r;
  EXPECT_EQ(r.Next(absl::OkStatus(), Node(7000), topology_).kind,
            NextStep::kDone);
  NextStep wrongtype =
      r.Next(Err("WRONGTYPE Operation against a key"), Node(7000), topology_);
  EXPECT_EQ(wrongtype.kind, NextStep::kDone);
  EXPECT_EQ(GetErrorKind(wrongtype.status), ErrorKind::kWrongType);
  EXPECT_EQ(r.redirects(), 0);
}

TEST_F(RedirectsTest, MovedUpdatesTheMapAndResendsThere) {
  CommandRedirects r;
  NextStep step = r.Next(Err("MOVED 100 127.0.0.1:7002"), Node(7000),
                         topology_);
  EXPECT_EQ(step.kind, NextStep::kSendTo);
  EXPECT_EQ(step.node.port, 7002);
  EXPECT_FALSE(step.asking);
  EXPECT_EQ(step.delay, absl::ZeroDuration());
  EXPECT_EQ(topology_.map()->ShardForSlot(100)->primary.port, 7002);
  // The empty-host form means the answering node's host.
  NodeAddress answering;
  answering.host = "::1";
  answering.port = 7002;
  step = r.Next(Err("MOVED 200 :7001"), answering, topology_);
  EXPECT_EQ(step.node.host, "::1");
  EXPECT_EQ(step.node.port, 7001);
}

TEST_F(RedirectsTest, AskResendsWithAskingAndLeavesTheMap) {
  CommandRedirects r;
  NextStep step =
      r.Next(Err("ASK 100 127.0.0.1:7001"), Node(7000), topology_);
  EXPECT_EQ(step.kind, NextStep::kSendTo);
  EXPECT_TRUE(step.asking);
  EXPECT_EQ(step.node.port, 7001);
  EXPECT_EQ(topology_.map()->ShardForSlot(100)->primary.port, 7000);
}

TEST_F(RedirectsTest, TryAgainWaitsThenResendsToTheSameNode) {
  CommandRedirects r;
  NextStep step = r.Next(Err("TRYAGAIN Multiple keys request during "
                             "rehashing of slot"),
                         Node(7000), topology_);
  EXPECT_EQ(step.kind, NextStep::kSendTo);
  EXPECT_EQ(step.node.port, 7000);
  EXPECT_EQ(step.delay, absl::Milliseconds(50));
  step = r.Next(Err("TRYAGAIN again"), Node(7000), topology_);
  EXPECT_EQ(step.delay, absl::Milliseconds(100));
}

TEST_F(RedirectsTest, ClusterDownReroutesAfterADelayAndWantsARefresh) {
  ASSERT_FALSE(topology_.BeginRefresh(kT0 + absl::Seconds(1)));
  CommandRedirects r;
  NextStep step =
      r.Next(Err("CLUSTERDOWN The cluster is down"), Node(7000), topology_);
  EXPECT_EQ(step.kind, NextStep::kReroute);
  EXPECT_EQ(step.delay, absl::Milliseconds(50));
  EXPECT_TRUE(topology_.BeginRefresh(kT0 + absl::Seconds(1)));
  std::vector<NodeAddress> candidates = topology_.RefreshCandidates();
  EXPECT_EQ(candidates.back().port, 7000) << "the failed node is asked last";
}

TEST_F(RedirectsTest, ConnectionErrorsAreDeliveredForTheRetryPolicy) {
  CommandRedirects r;
  NextStep step = r.Next(ConnectionError("connect to 127.0.0.1:7000: refused"),
                         Node(7000), topology_);
  EXPECT_EQ(step.kind, NextStep::kDone);
  EXPECT_EQ(GetErrorKind(step.status), ErrorKind::kConnection);
  EXPECT_TRUE(topology_.BeginRefresh(kT0 + absl::Seconds(1)));
}

TEST_F(RedirectsTest, BudgetEndsAPingPongOfRedirects) {
  CommandRedirects r(3);
  for (int i = 0; i < 3; ++i) {
    NextStep step = r.Next(Err(i % 2 == 0 ? "MOVED 5 127.0.0.1:7001"
                                          : "MOVED 5 127.0.0.1:7000"),
                           Node(7000), topology_);
    ASSERT_EQ(step.kind, NextStep::kSendTo) << i;
  }
  NextStep last = r.Next(Err("MOVED 5 127.0.0.1:7001"), Node(7000), topology_);
  EXPECT_EQ(last.kind, NextStep::kDone);
  EXPECT_EQ(GetErrorKind(last.status), ErrorKind::kMoved);
  EXPECT_TRUE(absl::StrContains(last.status.message(), "after 3 redirects"))
      << last.status;
}

TEST(RedirectDelayTest, GrowsThenCaps) {
  EXPECT_EQ(CommandRedirects::DelayFor(0), absl::Milliseconds(50));
  EXPECT_EQ(CommandRedirects::DelayFor(3), absl::Milliseconds(400));
  EXPECT_EQ(CommandRedirects::DelayFor(4), absl::Milliseconds(500));
  EXPECT_EQ(CommandRedirects::DelayFor(40), absl::Milliseconds(500));
}

Reply R(absl::string_view resp) {
  RespReader reader;
  reader.Feed(resp);
  absl::StatusOr<std::optional<Reply>> r = reader.Next();
  EXPECT_TRUE(r.ok() && r->has_value()) << resp;
  return r.ok() && r->has_value() ? **std::move(r) : Reply();
}

std::vector<NodeReply> Replies(std::vector<std::string> resps) {
  std::vector<NodeReply> out;
  int port = 7000;
  for (const std::string& resp : resps) {
    out.push_back({absl::StrCat("127.0.0.1:", port++), R(resp)});
  }
  return out;
}

absl::StatusOr<Reply> Combine(std::vector<std::string> argv,
                              std::vector<std::string> resps) {
  std::vector<CommandArg> args(argv.begin(), argv.end());
  std::vector<NodeReply> replies = Replies(std::move(resps));
  return CombineReplies(args, replies);
}

TEST(CombineRepliesTest, EachRule) {
  absl::StatusOr<Reply> r = Combine({"DBSIZE"}, {":3\r\n", ":4\r\n", ":0\r\n"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->integer(), 7);

  r = Combine({"KEYS", "*"}, {"*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*0\r\n",
                              "*1\r\n$1\r\nc\r\n"});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[2].str(), "c");

  r = Combine({"PUBSUB", "CHANNELS"},
              {"*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*1\r\n$1\r\nb\r\n"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->size(), 2u);

  r = Combine({"PUBSUB", "NUMSUB", "a", "b"},
              {"*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:0\r\n",
               "%2\r\n$1\r\na\r\n:2\r\n$1\r\nb\r\n:5\r\n"});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[1].integer(), 3);
  EXPECT_EQ((*r)[3].integer(), 5);

  r = Combine({"RANDOMKEY"}, {"_\r\n", "$1\r\nk\r\n", "$1\r\nz\r\n"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->str(), "k");
  r = Combine({"RANDOMKEY"}, {"_\r\n", "$-1\r\n"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->is_null());

  r = Combine({"WAIT", "1", "0"}, {":1\r\n", ":0\r\n", ":1\r\n"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->integer(), 0);

  r = Combine({"SCRIPT", "EXISTS", "x", "y"},
              {"*2\r\n:1\r\n:1\r\n", "*2\r\n:1\r\n:0\r\n"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].integer(), 1);
  EXPECT_EQ((*r)[1].integer(), 0);

  r = Combine({"FLUSHALL"}, {"+OK\r\n", "+OK\r\n"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->str(), "OK");
}

TEST(CombineRepliesTest, AnyFailureIsTheAnswerAndNamesTheNode) {
  absl::StatusOr<Reply> r =
      Combine({"FLUSHALL"}, {"+OK\r\n", "-READONLY You can't write\r\n"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kReadOnly);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "127.0.0.1:7001"))
      << r.status();

  std::vector<CommandArg> args = {"DBSIZE"};
  std::vector<NodeReply> replies;
  replies.push_back({"127.0.0.1:7000", R(":1\r\n")});
  replies.push_back({"127.0.0.1:7001", ConnectionError("reset")});
  r = CombineReplies(args, replies);
  EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kConnection);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "127.0.0.1:7001"));

  r = Combine({"DBSIZE"}, {":1\r\n", "$2\r\nno\r\n"});
  EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kProtocol) << r.status();
}

}  // namespace
}  // namespace valkey::cluster
