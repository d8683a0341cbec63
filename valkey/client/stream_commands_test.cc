// Stream commands (stream_commands.h) against a real valkey-server, on
// every executor (executor_test_fixture.h), plus the stream reply
// conversions on canned replies of both shapes.

#include "valkey/commands/stream_commands.h"

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "valkey/client/client.h"
#include "valkey/client/executor_test_fixture.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_reader.h"

namespace valkey::executor_tests {
namespace {

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

class StreamCommandsTest : public ExecutorTest {
 protected:
  // XADD through the executor under test; the new entry's id.
  std::string Add(absl::string_view key, const Fields& fields) {
    auto id = Run([&](auto& c) { return c.XAdd(key, fields); });
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() && id->has_value() ? **id : "";
  }

  // XPENDING key group → the number of pending entries.
  int64_t Pending(absl::string_view key, absl::string_view group) {
    auto reply = client().Execute("XPENDING", key, group);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? (*reply)[0].integer() : -1;
  }
};
VALKEY_INSTANTIATE_EXECUTOR_TESTS(StreamCommandsTest);

TEST_P(StreamCommandsTest, AddLenRange) {
  const std::string first = Add("s", {{"a", "1"}, {"b", "2"}});
  // Field order is kept, and a field may repeat.
  const std::string second = Add("s", {{"z", "x"}, {"a", "y"}, {"z", "w"}});
  ASSERT_FALSE(first.empty());
  EXPECT_LT(first, second);
  EXPECT_THAT(Run([](auto& c) { return c.XLen("s"); }), IsOkAndHolds(2));
  EXPECT_THAT(Run([](auto& c) { return c.XLen("missing"); }), IsOkAndHolds(0));

  const std::vector<StreamEntry> want = {
      {first, {{"a", "1"}, {"b", "2"}}},
      {second, {{"z", "x"}, {"a", "y"}, {"z", "w"}}},
  };
  EXPECT_THAT(Run([](auto& c) { return c.XRange("s"); }), IsOkAndHolds(want));

  auto one = Run([](auto& c) { return c.XRange("s", "-", "+", 1); });
  ASSERT_THAT(one, IsOkAndHolds(SizeIs(1)));
  EXPECT_EQ((*one)[0].id, first);
  auto after_first =
      Run([&](auto& c) { return c.XRange("s", absl::StrCat("(", first)); });
  ASSERT_THAT(after_first, IsOkAndHolds(SizeIs(1)));
  EXPECT_EQ((*after_first)[0].id, second);

  EXPECT_THAT(Run([](auto& c) { return c.XRevRange("s"); }),
              IsOkAndHolds(ElementsAre(want[1], want[0])));
  auto newest = Run([](auto& c) { return c.XRevRange("s", "+", "-", 1); });
  ASSERT_THAT(newest, IsOkAndHolds(SizeIs(1)));
  EXPECT_EQ((*newest)[0].id, second);
  EXPECT_THAT(Run([](auto& c) { return c.XRange("missing"); }),
              IsOkAndHolds(IsEmpty()));
}

TEST_P(StreamCommandsTest, ExplicitIdsAndNoMkStream) {
  EXPECT_THAT(
      Run([](auto& c) { return c.XAdd("e", Fields{{"f", "v"}}, {.id = "5-1"}); }),
      IsOkAndHolds(Optional(std::string("5-1"))));
  EXPECT_THAT(
      Run([](auto& c) { return c.XAdd("e", Fields{{"f", "v"}}, {.id = "5-*"}); }),
      IsOkAndHolds(Optional(std::string("5-2"))));
  auto stale =
      Run([](auto& c) { return c.XAdd("e", Fields{{"f", "v"}}, {.id = "5-1"}); });
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(ServerErrorPrefix(stale.status()), "ERR");

  EXPECT_THAT(Run([](auto& c) {
                return c.XAdd("nostream", Fields{{"f", "v"}},
                              {.no_mkstream = true});
              }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(client().XLen("nostream"), IsOkAndHolds(0));
  EXPECT_THAT(Run([](auto& c) {
                return c.XAdd("e", Fields{{"f", "v"}}, {.no_mkstream = true});
              }),
              IsOkAndHolds(Optional(::testing::_)));

  ASSERT_OK(client().Execute("SET", "str", "x"));
  EXPECT_EQ(ServerErrorPrefix(Run([](auto& c) {
                                return c.XAdd("str", Fields{{"f", "v"}});
                              }).status()),
            "WRONGTYPE");
}

TEST_P(StreamCommandsTest, TrimDelete) {
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    // Exact: "MAXLEN = 5".
    auto id = Run([&](auto& c) {
      return c.XAdd("t", Fields{{"i", absl::StrCat(i)}},
                    {.trim = StreamTrim{.max_len = 5}});
    });
    ASSERT_THAT(id, IsOkAndHolds(Optional(::testing::_)));
    ids.push_back(**id);
  }
  EXPECT_THAT(client().XLen("t"), IsOkAndHolds(5));
  EXPECT_THAT(Run([](auto& c) { return c.XTrim("t", {.max_len = 3}); }),
              IsOkAndHolds(2));
  // MINID: everything below ids[8] goes (ids[7]).
  EXPECT_THAT(Run([&](auto& c) { return c.XTrim("t", {.min_id = ids[8]}); }),
              IsOkAndHolds(1));
  auto left = client().XRange("t");
  ASSERT_THAT(left, IsOkAndHolds(SizeIs(2)));
  EXPECT_EQ((*left)[0].id, ids[8]);

  // Approximate trimming with a LIMIT is accepted; it may keep entries.
  EXPECT_THAT(Run([](auto& c) {
                return c.XTrim("t",
                               {.max_len = 0, .approximate = true, .limit = 100});
              }),
              IsOkAndHolds(::testing::Ge(0)));
  auto approx_add = Run([](auto& c) {
    return c.XAdd("t", Fields{{"i", "x"}},
                  {.trim = StreamTrim{.min_id = "0-1", .approximate = true}});
  });
  ASSERT_THAT(approx_add, IsOkAndHolds(Optional(::testing::_)));

  const std::string last = **approx_add;
  EXPECT_THAT(Run([&](auto& c) {
                return c.XDel("t", std::vector<std::string>{last, "1-1"});
              }),
              IsOkAndHolds(1));
}

TEST_P(StreamCommandsTest, XReadSeveralStreams) {
  const std::string a1 = Add("a", {{"n", "1"}});
  const std::string a2 = Add("a", {{"n", "2"}});
  const std::string b1 = Add("b", {{"m", "1"}});
  const std::vector<StreamMessages> want = {
      {"a", {{a1, {{"n", "1"}}}, {a2, {{"n", "2"}}}}},
      {"b", {{b1, {{"m", "1"}}}}},
  };
  EXPECT_THAT(Run([](auto& c) {
                return c.XRead(Fields{{"a", "0"}, {"b", "0"}, {"c", "0"}});
              }),
              IsOkAndHolds(want));

  auto counted =
      Run([](auto& c) { return c.XRead(Fields{{"a", "0"}}, {.count = 1}); });
  ASSERT_THAT(counted, IsOkAndHolds(SizeIs(1)));
  ASSERT_EQ((*counted)[0].entries.size(), 1u);
  EXPECT_EQ((*counted)[0].entries[0].id, a1);

  EXPECT_THAT(Run([&](auto& c) { return c.XRead(Fields{{"a", a2}}); }),
              IsOkAndHolds(IsEmpty()));
}

TEST_P(StreamCommandsTest, ConsumerGroupEndToEnd) {
  EXPECT_OK(Run([](auto& c) {
    return c.XGroupCreate("jobs", "workers", "$", {.mkstream = true});
  }));
  EXPECT_EQ(ServerErrorPrefix(Run([](auto& c) {
                                return c.XGroupCreate("jobs", "workers", "$");
                              }).status()),
            "BUSYGROUP");
  EXPECT_EQ(ServerErrorPrefix(Run([](auto& c) {
                                return c.XGroupCreate("nostream", "g", "$");
                              }).status()),
            "ERR");
  const std::string j1 = Add("jobs", {{"job", "1"}});
  const std::string j2 = Add("jobs", {{"job", "2"}});
  const std::string j3 = Add("jobs", {{"job", "3"}});

  auto batch = Run([](auto& c) {
    return c.XReadGroup("workers", "alice", Fields{{"jobs", ">"}},
                        {.count = 2});
  });
  ASSERT_THAT(batch, IsOkAndHolds(SizeIs(1)));
  ASSERT_EQ((*batch)[0].entries.size(), 2u);
  EXPECT_EQ((*batch)[0].entries[0].id, j1);
  EXPECT_EQ((*batch)[0].entries[1].id, j2);
  EXPECT_EQ(Pending("jobs", "workers"), 2);

  // History: alice's pending entries, re-read from id 0.
  auto history = Run([](auto& c) {
    return c.XReadGroup("workers", "alice", Fields{{"jobs", "0"}});
  });
  ASSERT_THAT(history, IsOkAndHolds(SizeIs(1)));
  EXPECT_EQ((*history)[0].entries.size(), 2u);

  EXPECT_THAT(Run([&](auto& c) {
                return c.XAck("jobs", "workers",
                              std::vector<std::string>{j1, j2, "9-9"});
              }),
              IsOkAndHolds(2));
  EXPECT_EQ(Pending("jobs", "workers"), 0);

  // NOACK: delivered but never pending.
  auto noack = Run([](auto& c) {
    return c.XReadGroup("workers", "bob", Fields{{"jobs", ">"}},
                        {.no_ack = true});
  });
  ASSERT_THAT(noack, IsOkAndHolds(SizeIs(1)));
  EXPECT_EQ((*noack)[0].entries[0].id, j3);
  EXPECT_EQ(Pending("jobs", "workers"), 0);

  // Nothing new: a short BLOCK times out empty.
  EXPECT_THAT(Run([](auto& c) {
                return c.XReadGroup("workers", "bob", Fields{{"jobs", ">"}},
                                    {.block = absl::Milliseconds(50)});
              }),
              IsOkAndHolds(IsEmpty()));

  // A pending entry deleted from the stream comes back without fields.
  const std::string j4 = Add("jobs", {{"job", "4"}});
  ASSERT_OK(client().XReadGroup("workers", "carol", Fields{{"jobs", ">"}}));
  ASSERT_THAT(client().XDel("jobs", std::vector<std::string>{j4}),
              IsOkAndHolds(1));
  auto ghost = Run([](auto& c) {
    return c.XReadGroup("workers", "carol", Fields{{"jobs", "0"}});
  });
  ASSERT_THAT(ghost, IsOkAndHolds(SizeIs(1)));
  ASSERT_EQ((*ghost)[0].entries.size(), 1u);
  EXPECT_EQ((*ghost)[0].entries[0].id, j4);
  EXPECT_TRUE((*ghost)[0].entries[0].fields.empty());

  EXPECT_THAT(Run([](auto& c) {
                return c.XGroupCreateConsumer("jobs", "workers", "dave");
              }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) {
                return c.XGroupDelConsumer("jobs", "workers", "carol");
              }),
              IsOkAndHolds(1));
  EXPECT_OK(Run([](auto& c) { return c.XGroupSetId("jobs", "workers", "0"); }));

  EXPECT_EQ(ServerErrorPrefix(Run([](auto& c) {
                                return c.XReadGroup("nogroup", "x",
                                                    Fields{{"jobs", ">"}});
                              }).status()),
            "NOGROUP");
  EXPECT_THAT(Run([](auto& c) { return c.XGroupDestroy("jobs", "workers"); }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) { return c.XGroupDestroy("jobs", "workers"); }),
              IsOkAndHolds(false));

  // A group from the beginning of the stream sees the history.
  ASSERT_OK(client().XGroupCreate("jobs", "replay", "0"));
  auto replay = Run([](auto& c) {
    return c.XReadGroup("replay", "r", Fields{{"jobs", ">"}});
  });
  ASSERT_THAT(replay, IsOkAndHolds(SizeIs(1)));
  EXPECT_EQ((*replay)[0].entries.size(), 3u);  // j1..j3; j4 was deleted
}

TEST_P(StreamCommandsTest, BadArgumentsAreInvalidArgumentAndSendNothing) {
  ASSERT_OK(client().Execute("CONFIG", "RESETSTAT"));
  const auto invalid = StatusIs(absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Run([](auto& c) { return c.XAdd("k", Fields{}); }), invalid);
  const Fields one = {{"f", "v"}};
  EXPECT_THAT(Run([&](auto& c) { return c.XAdd("k", one, {.id = ""}); }),
              invalid);
  EXPECT_THAT(
      Run([&](auto& c) { return c.XAdd("k", one, {.trim = StreamTrim{}}); }),
      invalid);
  EXPECT_THAT(Run([&](auto& c) {
                return c.XAdd("k", one,
                              {.trim = StreamTrim{.max_len = 1,
                                                  .min_id = "1-0"}});
              }),
              invalid);
  EXPECT_THAT(Run([&](auto& c) {
                return c.XAdd("k", one, {.trim = StreamTrim{.max_len = -1}});
              }),
              invalid);
  EXPECT_THAT(Run([&](auto& c) {
                return c.XAdd("k", one,
                              {.trim = StreamTrim{.max_len = 1, .limit = 5}});
              }),
              invalid);
  EXPECT_THAT(Run([](auto& c) {
                return c.XTrim("k",
                               {.max_len = 1, .approximate = true, .limit = 0});
              }),
              invalid);
  EXPECT_THAT(Run([](auto& c) { return c.XTrim("k", {.min_id = ""}); }),
              invalid);
  EXPECT_THAT(Run([](auto& c) { return c.XRange("k", "-", "+", 0); }),
              invalid);
  EXPECT_THAT(Run([](auto& c) { return c.XRange("k", "", "+"); }), invalid);
  EXPECT_THAT(Run([](auto& c) { return c.XRevRange("k", "+", "-", -3); }),
              invalid);
  EXPECT_THAT(Run([](auto& c) { return c.XRead(Fields{}); }), invalid);
  EXPECT_THAT(Run([](auto& c) { return c.XRead(Fields{{"k", ""}}); }),
              invalid);
  EXPECT_THAT(
      Run([](auto& c) { return c.XRead(Fields{{"k", "0"}}, {.count = 0}); }),
      invalid);
  EXPECT_THAT(Run([](auto& c) {
                return c.XRead(Fields{{"k", "0"}},
                               {.block = absl::Seconds(-1)});
              }),
              invalid);
  EXPECT_THAT(Run([](auto& c) {
                return c.XReadGroup("", "c", Fields{{"k", ">"}});
              }),
              invalid);
  EXPECT_THAT(Run([](auto& c) {
                return c.XReadGroup("g", "", Fields{{"k", ">"}});
              }),
              invalid);
  EXPECT_THAT(Run([](auto& c) { return c.XReadGroup("g", "c", Fields{}); }),
              invalid);
  EXPECT_THAT(Run([](auto& c) { return c.XAck("k", "g", {}); }), invalid);
  EXPECT_THAT(Run([](auto& c) { return c.XDel("k", {}); }), invalid);
  EXPECT_THAT(Run([](auto& c) { return c.XGroupCreate("k", "g", ""); }),
              invalid);

  auto stats = client().Execute("INFO", "commandstats");
  ASSERT_TRUE(stats.ok()) << stats.status();
  for (absl::string_view command :
       {"cmdstat_xadd", "cmdstat_xtrim", "cmdstat_xrange", "cmdstat_xrevrange",
        "cmdstat_xread", "cmdstat_xreadgroup", "cmdstat_xack", "cmdstat_xdel",
        "cmdstat_xgroup"}) {
    EXPECT_EQ(stats->str().find(command), absl::string_view::npos)
        << command << " was sent";
  }
}

// XREAD BLOCK with a socket time-out (250 ms) shorter than the block: the
// executor must wait for the server's answer, not time out itself.
class StreamBlockingReadTest : public ExecutorTest {
 protected:
  void AdjustOptions(ClientOptions& options) const override {
    options.connection.socket_timeout = absl::Milliseconds(250);
  }
};
VALKEY_INSTANTIATE_EXECUTOR_TESTS(StreamBlockingReadTest);

TEST_P(StreamBlockingReadTest, XReadBlockTimesOutEmptyWithoutError) {
  EXPECT_THAT(Run([](auto& c) {
                return c.XRead(Fields{{"quiet", "$"}},
                               {.block = absl::Milliseconds(500)});
              }),
              IsOkAndHolds(IsEmpty()));
  // Sub-millisecond blocks round up rather than becoming "forever".
  EXPECT_THAT(Run([](auto& c) {
                return c.XRead(Fields{{"quiet", "$"}},
                               {.block = absl::Microseconds(10)});
              }),
              IsOkAndHolds(IsEmpty()));
  // The connection is still in step.
  EXPECT_THAT(Run([](auto& c) { return c.XLen("quiet"); }), IsOkAndHolds(0));
}

TEST_P(StreamBlockingReadTest, XReadBlockReceivesEntryFromAnotherClient) {
  auto writer = NewClient();
  ASSERT_TRUE(writer.ok()) << writer.status();
  absl::Status write_status;
  std::thread producer([&] {
    absl::SleepFor(absl::Milliseconds(500));
    write_status = (*writer)->XAdd("live", Fields{{"hello", "world"}}).status();
  });
  // Id "0" on a stream that does not exist yet: no race with the producer.
  auto got = Run([](auto& c) {
    return c.XRead(Fields{{"live", "0"}}, {.block = absl::Seconds(20)});
  });
  producer.join();
  ASSERT_TRUE(write_status.ok()) << write_status;
  ASSERT_THAT(got, IsOkAndHolds(SizeIs(1)));
  EXPECT_EQ((*got)[0].stream, "live");
  ASSERT_EQ((*got)[0].entries.size(), 1u);
  EXPECT_EQ((*got)[0].entries[0].fields, (Fields{{"hello", "world"}}));
}

class StreamGroupCommandsTest : public ExecutorTest {
 protected:
  // Stream "s" with entries 1-0, 2-0, 3-0; group "g" from the start;
  // consumer "alice" has read all three (pending).
  void Fill() {
    for (const char* id : {"1-0", "2-0", "3-0"}) {
      ASSERT_OK(client().XAdd("s", {{"f", id}}, {.id = id}));
    }
    ASSERT_OK(client().XGroupCreate("s", "g", "0"));
    ASSERT_THAT(client().XReadGroup("g", "alice", {{"s", ">"}}),
                IsOkAndHolds(SizeIs(1)));
  }
};
VALKEY_INSTANTIATE_EXECUTOR_TESTS(StreamGroupCommandsTest);

TEST_P(StreamGroupCommandsTest, Pending) {
  Fill();
  auto summary = Run([](auto& c) { return c.XPending("s", "g"); });
  ASSERT_THAT(summary, IsOk());
  EXPECT_EQ(summary->count, 3);
  EXPECT_EQ(summary->min_id, "1-0");
  EXPECT_EQ(summary->max_id, "3-0");
  EXPECT_THAT(summary->consumers,
              ElementsAre(std::pair<std::string, int64_t>("alice", 3)));
  auto entries = Run([](auto& c) {
    return c.XPending("s", "g",
                      StreamPendingQuery{.start = "2-0", .count = 10,
                                         .consumer = "alice"});
  });
  ASSERT_THAT(entries, IsOkAndHolds(SizeIs(2)));
  EXPECT_EQ((*entries)[0].id, "2-0");
  EXPECT_EQ((*entries)[0].consumer, "alice");
  EXPECT_EQ((*entries)[0].deliveries, 1);
  ASSERT_OK(client().XGroupCreate("s", "empty", "$"));
  auto none = Run([](auto& c) { return c.XPending("s", "empty"); });
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->count, 0);
  EXPECT_THAT(none->consumers, IsEmpty());
  EXPECT_THAT(Run([](auto& c) {
                return c.XPending("s", "g", StreamPendingQuery{.count = 0});
              }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StreamGroupCommandsTest, ClaimAndAutoClaim) {
  Fill();
  auto claimed = Run([](auto& c) {
    return c.XClaim("s", "g", "bob", absl::ZeroDuration(), {"1-0", "9-0"},
                    {.retry_count = 5});
  });
  ASSERT_THAT(claimed, IsOkAndHolds(SizeIs(1)));
  EXPECT_EQ((*claimed)[0].id, "1-0");
  EXPECT_THAT(Run([](auto& c) {
                return c.XClaimJustId("s", "g", "carol", absl::ZeroDuration(),
                                      {"2-0"});
              }),
              IsOkAndHolds(ElementsAre("2-0")));
  auto autoclaim = Run([](auto& c) {
    return c.XAutoClaim("s", "g", "dave", absl::ZeroDuration(), "0-0", 2);
  });
  ASSERT_THAT(autoclaim, IsOk());
  EXPECT_EQ(autoclaim->next_start, "3-0");
  ASSERT_THAT(autoclaim->entries, SizeIs(2));
  EXPECT_EQ(autoclaim->entries[0].id, "1-0");
  EXPECT_THAT(autoclaim->deleted_ids, IsEmpty());
  EXPECT_THAT(Run([](auto& c) {
                return c.XAutoClaimJustId("s", "g", "erin",
                                          absl::ZeroDuration(), "3-0");
              }),
              IsOkAndHolds(ElementsAre("3-0")));
  auto consumers = Run([](auto& c) { return c.XInfoConsumers("s", "g"); });
  ASSERT_THAT(consumers, IsOk());
  std::vector<std::string> names;
  for (const StreamConsumerInfo& ci : *consumers) names.push_back(ci.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("alice", "bob", "carol",
                                                     "dave", "erin"));
}

TEST_P(StreamGroupCommandsTest, InfoAndSetId) {
  Fill();
  auto info = Run([](auto& c) { return c.XInfoStream("s"); });
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->length, 3);
  EXPECT_EQ(info->groups, 1);
  EXPECT_EQ(info->last_generated_id, "3-0");
  EXPECT_EQ(info->entries_added, 3);
  ASSERT_TRUE(info->first_entry.has_value());
  EXPECT_EQ(info->first_entry->id, "1-0");
  ASSERT_TRUE(info->last_entry.has_value());
  EXPECT_EQ(info->last_entry->id, "3-0");

  auto groups = Run([](auto& c) { return c.XInfoGroups("s"); });
  ASSERT_THAT(groups, IsOkAndHolds(SizeIs(1)));
  EXPECT_EQ((*groups)[0].name, "g");
  EXPECT_EQ((*groups)[0].consumers, 1);
  EXPECT_EQ((*groups)[0].pending, 3);
  EXPECT_EQ((*groups)[0].last_delivered_id, "3-0");
  EXPECT_THAT((*groups)[0].entries_read, Optional(3));
  EXPECT_THAT((*groups)[0].lag, Optional(0));

  auto consumers = Run([](auto& c) { return c.XInfoConsumers("s", "g"); });
  ASSERT_THAT(consumers, IsOkAndHolds(SizeIs(1)));
  EXPECT_EQ((*consumers)[0].name, "alice");
  EXPECT_EQ((*consumers)[0].pending, 3);

  EXPECT_THAT(Run([](auto& c) { return c.XSetId("s", "5-0", 10); }),
              IsOkAndHolds(true));
  auto after = client().XInfoStream("s");
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->last_generated_id, "5-0");
  EXPECT_EQ(after->entries_added, 10);
  // An id below the last entry is refused by the server.
  EXPECT_THAT(Run([](auto& c) { return c.XSetId("s", "1-0"); }),
              ::testing::Not(IsOk()));
}

}  // namespace
}  // namespace valkey::executor_tests
