// Stream commands against a real valkey-server over RESP2 and RESP3, plus
// the stream reply conversions on canned replies of both shapes.

#include "valkey/commands/stream_commands.h"

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/client/client.h"
#include "valkey/client/client_test_fixture.h"
#include "valkey/common/errors.h"
#include "valkey/common/resp_reader.h"

namespace valkey {
namespace {

using ::valkey::testing::RespClientTest;
using ::valkey::testing::RespName;
using ::valkey::testing::RespProtocols;
using Fields = std::vector<std::pair<std::string, std::string>>;

Reply Parse(absl::string_view bytes) {
  RespReader reader;
  reader.Feed(bytes);
  Reply reply;
  EXPECT_EQ(reader.Read(&reply), RespReader::Result::kReply) << bytes;
  return reply;
}

TEST(StreamConvertTest, XReadShapesOfBothProtocolsConvertAlike) {
  const Reply resp2 = Parse(
      "*2\r\n"
      "*2\r\n$1\r\na\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
      "*2\r\n$1\r\nb\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*-1\r\n");
  const Reply resp3 = Parse(
      "%2\r\n"
      "$1\r\na\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
      "$1\r\nb\r\n*1\r\n*2\r\n$3\r\n2-0\r\n_\r\n");
  auto from2 = convert::StreamRead(resp2.view());
  auto from3 = convert::StreamRead(resp3.view());
  ASSERT_TRUE(from2.ok()) << from2.status();
  ASSERT_TRUE(from3.ok()) << from3.status();
  const std::vector<StreamMessages> want = {
      {"a", {{"1-0", {{"f", "v"}}}}},
      {"b", {{"2-0", {}}}},
  };
  EXPECT_EQ(*from2, want);
  EXPECT_EQ(*from3, want);

  // A timed-out BLOCK: RESP2 nil array, RESP3 null.
  EXPECT_TRUE(convert::StreamRead(Parse("*-1\r\n").view())->empty());
  EXPECT_TRUE(convert::StreamRead(Parse("_\r\n").view())->empty());
}

TEST(StreamConvertTest, MalformedRepliesAreDataLoss) {
  for (absl::string_view bytes : {
           ":1\r\n",                                  // not an aggregate
           "*1\r\n*1\r\n$1\r\na\r\n",                 // no entries
           "*1\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n",     // entry not an array
           "*1\r\n*2\r\n$1\r\na\r\n*1\r\n*2\r\n$1\r\n1\r\n*1\r\n$1\r\nf\r\n",
       }) {
    EXPECT_EQ(convert::StreamRead(Parse(bytes).view()).status().code(),
              absl::StatusCode::kDataLoss)
        << bytes;
  }
}

class StreamCommandsTest : public RespClientTest {
 protected:
  std::unique_ptr<Client> NewClient(absl::Duration socket_timeout) const {
    ClientOptions options = Options();
    options.connection.socket_timeout = socket_timeout;
    auto client = Client::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  std::string Add(absl::string_view key, const Fields& fields) {
    auto id = client_->XAdd(key, fields);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() && id->has_value() ? **id : "";
  }

  // XPENDING key group → the number of pending entries.
  int64_t Pending(absl::string_view key, absl::string_view group) {
    auto reply = client_->Execute("XPENDING", key, group);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? (*reply)[0].integer() : -1;
  }
};

INSTANTIATE_TEST_SUITE_P(Resp, StreamCommandsTest, RespProtocols(), RespName);

TEST_P(StreamCommandsTest, AddLenRange) {
  const std::string first = Add("s", {{"a", "1"}, {"b", "2"}});
  // Field order is kept, and a field may repeat.
  const std::string second = Add("s", {{"z", "x"}, {"a", "y"}, {"z", "w"}});
  ASSERT_FALSE(first.empty());
  EXPECT_LT(first, second);
  EXPECT_EQ(*client_->XLen("s"), 2);
  EXPECT_EQ(*client_->XLen("missing"), 0);

  auto all = client_->XRange("s");
  ASSERT_TRUE(all.ok()) << all.status();
  const std::vector<StreamEntry> want = {
      {first, {{"a", "1"}, {"b", "2"}}},
      {second, {{"z", "x"}, {"a", "y"}, {"z", "w"}}},
  };
  EXPECT_EQ(*all, want);

  auto one = client_->XRange("s", "-", "+", 1);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].id, first);
  auto after_first = client_->XRange("s", absl::StrCat("(", first));
  ASSERT_TRUE(after_first.ok()) << after_first.status();
  ASSERT_EQ(after_first->size(), 1u);
  EXPECT_EQ((*after_first)[0].id, second);

  auto reversed = client_->XRevRange("s");
  ASSERT_TRUE(reversed.ok());
  ASSERT_EQ(reversed->size(), 2u);
  EXPECT_EQ((*reversed)[0], want[1]);
  EXPECT_EQ((*reversed)[1], want[0]);
  auto newest = client_->XRevRange("s", "+", "-", 1);
  ASSERT_EQ(newest->size(), 1u);
  EXPECT_EQ((*newest)[0].id, second);
  EXPECT_TRUE(client_->XRange("missing")->empty());
}

TEST_P(StreamCommandsTest, ExplicitIdsAndNoMkStream) {
  auto id = client_->XAdd("e", Fields{{"f", "v"}}, {.id = "5-1"});
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->value_or(""), "5-1");
  auto seq = client_->XAdd("e", Fields{{"f", "v"}}, {.id = "5-*"});
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(seq->value_or(""), "5-2");
  auto stale = client_->XAdd("e", Fields{{"f", "v"}}, {.id = "5-1"});
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(ServerErrorPrefix(stale.status()), "ERR");

  auto none = client_->XAdd("nostream", Fields{{"f", "v"}},
                            {.no_mkstream = true});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(*client_->XLen("nostream"), 0);
  auto existing =
      client_->XAdd("e", Fields{{"f", "v"}}, {.no_mkstream = true});
  ASSERT_TRUE(existing.ok());
  EXPECT_TRUE(existing->has_value());

  ASSERT_TRUE(client_->Execute("SET", "str", "x").ok());
  EXPECT_EQ(
      ServerErrorPrefix(client_->XAdd("str", Fields{{"f", "v"}}).status()),
      "WRONGTYPE");
}

TEST_P(StreamCommandsTest, TrimDelete) {
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    auto id = client_->XAdd(
        "t", Fields{{"i", absl::StrCat(i)}},
        {.trim = StreamTrim{.max_len = 5}});  // exact: "MAXLEN = 5"
    ASSERT_TRUE(id.ok()) << id.status();
    ids.push_back(**id);
  }
  EXPECT_EQ(*client_->XLen("t"), 5);
  auto evicted = client_->XTrim("t", {.max_len = 3});
  ASSERT_TRUE(evicted.ok()) << evicted.status();
  EXPECT_EQ(*evicted, 2);
  // MINID: everything below ids[8] goes (ids[7]).
  auto by_id = client_->XTrim("t", {.min_id = ids[8]});
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ(*by_id, 1);
  auto left = client_->XRange("t");
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ((*left)[0].id, ids[8]);

  // Approximate trimming with a LIMIT is accepted; it may keep entries.
  auto approx = client_->XTrim(
      "t", {.max_len = 0, .approximate = true, .limit = 100});
  ASSERT_TRUE(approx.ok()) << approx.status();
  EXPECT_GE(*approx, 0);
  auto approx_add = client_->XAdd(
      "t", Fields{{"i", "x"}},
      {.trim = StreamTrim{.min_id = "0-1", .approximate = true}});
  ASSERT_TRUE(approx_add.ok()) << approx_add.status();

  const std::string last = **approx_add;
  auto deleted = client_->XDel("t", std::vector<std::string>{last, "1-1"});
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 1);
}

TEST_P(StreamCommandsTest, XReadSeveralStreams) {
  const std::string a1 = Add("a", {{"n", "1"}});
  const std::string a2 = Add("a", {{"n", "2"}});
  const std::string b1 = Add("b", {{"m", "1"}});
  auto got = client_->XRead(Fields{{"a", "0"}, {"b", "0"}, {"c", "0"}});
  ASSERT_TRUE(got.ok()) << got.status();
  const std::vector<StreamMessages> want = {
      {"a", {{a1, {{"n", "1"}}}, {a2, {{"n", "2"}}}}},
      {"b", {{b1, {{"m", "1"}}}}},
  };
  EXPECT_EQ(*got, want);

  auto counted = client_->XRead(Fields{{"a", "0"}}, {.count = 1});
  ASSERT_TRUE(counted.ok());
  ASSERT_EQ(counted->size(), 1u);
  ASSERT_EQ((*counted)[0].entries.size(), 1u);
  EXPECT_EQ((*counted)[0].entries[0].id, a1);

  auto after = client_->XRead(Fields{{"a", a2}});
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
}

TEST_P(StreamCommandsTest, XReadBlockTimesOutEmptyWithoutError) {
  // The block (500 ms) is longer than the socket time-out (250 ms): the
  // client must wait for the server's answer, not time out itself.
  std::unique_ptr<Client> client = NewClient(absl::Milliseconds(250));
  ASSERT_NE(client, nullptr);
  auto got = client->XRead(Fields{{"quiet", "$"}},
                           {.block = absl::Milliseconds(500)});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->empty());
  // Sub-millisecond blocks round up rather than becoming "forever".
  auto tiny = client->XRead(Fields{{"quiet", "$"}},
                            {.block = absl::Microseconds(10)});
  ASSERT_TRUE(tiny.ok()) << tiny.status();
  EXPECT_TRUE(tiny->empty());
  // The connection is still in step.
  EXPECT_EQ(*client->XLen("quiet"), 0);
}

TEST_P(StreamCommandsTest, XReadBlockReceivesEntryFromAnotherClient) {
  std::unique_ptr<Client> reader = NewClient(absl::Milliseconds(150));
  std::unique_ptr<Client> writer = NewClient(absl::Seconds(5));
  ASSERT_NE(reader, nullptr);
  ASSERT_NE(writer, nullptr);
  std::thread producer([&writer] {
    absl::SleepFor(absl::Milliseconds(500));
    ASSERT_TRUE(writer->XAdd("live", Fields{{"hello", "world"}}).ok());
  });
  // Id "0" on a stream that does not exist yet: no race with the producer.
  auto got = reader->XRead(Fields{{"live", "0"}},
                           {.block = absl::Seconds(20)});
  producer.join();
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].stream, "live");
  ASSERT_EQ((*got)[0].entries.size(), 1u);
  EXPECT_EQ((*got)[0].entries[0].fields, (Fields{{"hello", "world"}}));
}

TEST_P(StreamCommandsTest, ConsumerGroupEndToEnd) {
  auto created = client_->XGroupCreate("jobs", "workers", "$",
                                       {.mkstream = true});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(ServerErrorPrefix(
                client_->XGroupCreate("jobs", "workers", "$").status()),
            "BUSYGROUP");
  EXPECT_EQ(ServerErrorPrefix(
                client_->XGroupCreate("nostream", "g", "$").status()),
            "ERR");
  const std::string j1 = Add("jobs", {{"job", "1"}});
  const std::string j2 = Add("jobs", {{"job", "2"}});
  const std::string j3 = Add("jobs", {{"job", "3"}});

  auto batch = client_->XReadGroup("workers", "alice", Fields{{"jobs", ">"}},
                                   {.count = 2});
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->size(), 1u);
  ASSERT_EQ((*batch)[0].entries.size(), 2u);
  EXPECT_EQ((*batch)[0].entries[0].id, j1);
  EXPECT_EQ((*batch)[0].entries[1].id, j2);
  EXPECT_EQ(Pending("jobs", "workers"), 2);

  // History: alice's pending entries, re-read from id 0.
  auto history = client_->XReadGroup("workers", "alice", Fields{{"jobs", "0"}});
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].entries.size(), 2u);

  auto acked = client_->XAck("jobs", "workers",
                             std::vector<std::string>{j1, j2, "9-9"});
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_EQ(*acked, 2);
  EXPECT_EQ(Pending("jobs", "workers"), 0);

  // NOACK: delivered but never pending.
  auto noack = client_->XReadGroup("workers", "bob", Fields{{"jobs", ">"}},
                                   {.no_ack = true});
  ASSERT_TRUE(noack.ok()) << noack.status();
  ASSERT_EQ(noack->size(), 1u);
  EXPECT_EQ((*noack)[0].entries[0].id, j3);
  EXPECT_EQ(Pending("jobs", "workers"), 0);

  // Nothing new: a short BLOCK times out empty.
  auto idle = client_->XReadGroup("workers", "bob", Fields{{"jobs", ">"}},
                                  {.block = absl::Milliseconds(50)});
  ASSERT_TRUE(idle.ok()) << idle.status();
  EXPECT_TRUE(idle->empty());

  // A pending entry deleted from the stream comes back without fields.
  const std::string j4 = Add("jobs", {{"job", "4"}});
  ASSERT_TRUE(
      client_->XReadGroup("workers", "carol", Fields{{"jobs", ">"}}).ok());
  ASSERT_EQ(*client_->XDel("jobs", std::vector<std::string>{j4}), 1);
  auto ghost = client_->XReadGroup("workers", "carol", Fields{{"jobs", "0"}});
  ASSERT_TRUE(ghost.ok()) << ghost.status();
  ASSERT_EQ(ghost->size(), 1u);
  ASSERT_EQ((*ghost)[0].entries.size(), 1u);
  EXPECT_EQ((*ghost)[0].entries[0].id, j4);
  EXPECT_TRUE((*ghost)[0].entries[0].fields.empty());

  auto created_consumer =
      client_->XGroupCreateConsumer("jobs", "workers", "dave");
  ASSERT_TRUE(created_consumer.ok()) << created_consumer.status();
  EXPECT_TRUE(*created_consumer);
  auto dropped = client_->XGroupDelConsumer("jobs", "workers", "carol");
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 1);
  ASSERT_TRUE(client_->XGroupSetId("jobs", "workers", "0").ok());

  EXPECT_EQ(ServerErrorPrefix(client_->XReadGroup("nogroup", "x",
                                                   Fields{{"jobs", ">"}})
                                  .status()),
            "NOGROUP");
  auto destroyed = client_->XGroupDestroy("jobs", "workers");
  ASSERT_TRUE(destroyed.ok()) << destroyed.status();
  EXPECT_TRUE(*destroyed);
  EXPECT_FALSE(*client_->XGroupDestroy("jobs", "workers"));

  // A group from the beginning of the stream sees the history.
  ASSERT_TRUE(client_->XGroupCreate("jobs", "replay", "0").ok());
  auto replay = client_->XReadGroup("replay", "r", Fields{{"jobs", ">"}});
  ASSERT_TRUE(replay.ok());
  ASSERT_EQ(replay->size(), 1u);
  EXPECT_EQ((*replay)[0].entries.size(), 3u);  // j1..j3; j4 was deleted
}

TEST_P(StreamCommandsTest, BadArgumentsAreInvalidArgumentAndSendNothing) {
  ASSERT_TRUE(client_->Execute("CONFIG", "RESETSTAT").ok());
  const auto invalid = [](const auto& result) {
    return result.status().code() == absl::StatusCode::kInvalidArgument;
  };
  const Fields one = {{"f", "v"}};
  EXPECT_TRUE(invalid(client_->XAdd("k", Fields{})));
  EXPECT_TRUE(invalid(client_->XAdd("k", one, {.id = ""})));
  EXPECT_TRUE(invalid(client_->XAdd("k", one, {.trim = StreamTrim{}})));
  EXPECT_TRUE(invalid(client_->XAdd(
      "k", one, {.trim = StreamTrim{.max_len = 1, .min_id = "1-0"}})));
  EXPECT_TRUE(invalid(
      client_->XAdd("k", one, {.trim = StreamTrim{.max_len = -1}})));
  EXPECT_TRUE(invalid(
      client_->XAdd("k", one, {.trim = StreamTrim{.max_len = 1, .limit = 5}})));
  EXPECT_TRUE(invalid(client_->XTrim(
      "k", {.max_len = 1, .approximate = true, .limit = 0})));
  EXPECT_TRUE(invalid(client_->XTrim("k", {.min_id = ""})));
  EXPECT_TRUE(invalid(client_->XRange("k", "-", "+", 0)));
  EXPECT_TRUE(invalid(client_->XRange("k", "", "+")));
  EXPECT_TRUE(invalid(client_->XRevRange("k", "+", "-", -3)));
  EXPECT_TRUE(invalid(client_->XRead(Fields{})));
  EXPECT_TRUE(invalid(client_->XRead(Fields{{"k", ""}})));
  EXPECT_TRUE(invalid(client_->XRead(Fields{{"k", "0"}}, {.count = 0})));
  EXPECT_TRUE(invalid(
      client_->XRead(Fields{{"k", "0"}}, {.block = absl::Seconds(-1)})));
  EXPECT_TRUE(invalid(client_->XReadGroup("", "c", Fields{{"k", ">"}})));
  EXPECT_TRUE(invalid(client_->XReadGroup("g", "", Fields{{"k", ">"}})));
  EXPECT_TRUE(invalid(client_->XReadGroup("g", "c", Fields{})));
  EXPECT_TRUE(invalid(client_->XAck("k", "g", {})));
  EXPECT_TRUE(invalid(client_->XDel("k", {})));
  EXPECT_TRUE(invalid(client_->XGroupCreate("k", "g", "")));

  auto stats = client_->Execute("INFO", "commandstats");
  ASSERT_TRUE(stats.ok());
  for (absl::string_view command :
       {"cmdstat_xadd", "cmdstat_xtrim", "cmdstat_xrange", "cmdstat_xrevrange",
        "cmdstat_xread", "cmdstat_xreadgroup", "cmdstat_xack", "cmdstat_xdel",
        "cmdstat_xgroup"}) {
    EXPECT_EQ(stats->str().find(command), absl::string_view::npos)
        << command << " was sent";
  }
}

}  // namespace
}  // namespace valkey
