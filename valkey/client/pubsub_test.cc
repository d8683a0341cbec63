// PubSub: frame parsing with canned bytes, then against a real valkey-server
// over RESP2 and RESP3: channels, patterns, shard channels, handlers,
// unsubscribe, time-outs, health checks and resubscription after the
// server dropped the connection.

#include "valkey/client/pubsub.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
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
using Frame = pubsub_internal::Frame;
using Kind = PubSub::Kind;
using Message = PubSub::Message;

Reply Parse(absl::string_view bytes) {
  RespReader reader;
  reader.Feed(bytes);
  absl::StatusOr<std::optional<Reply>> r = reader.Next();
  EXPECT_TRUE(r.ok() && r->has_value()) << bytes;
  return r.ok() && r->has_value() ? **std::move(r) : Reply();
}

TEST(ParseFrameTest, Resp2Message) {
  static constexpr char kBytes[] =
      "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\na\0b\r\n";
  Reply r = Parse(absl::string_view(kBytes, sizeof(kBytes) - 1));
  Frame f = pubsub_internal::ParseFrame(r.view());
  ASSERT_EQ(f.type, Frame::Type::kMessage);
  EXPECT_EQ(f.message.kind, Kind::kMessage);
  EXPECT_EQ(f.message.channel, "ch");
  EXPECT_EQ(f.message.payload, std::string("a\0b", 3));
  EXPECT_FALSE(f.message.is_confirmation());
}

TEST(ParseFrameTest, Resp3PushPMessage) {
  Reply r =
      Parse(">4\r\n$8\r\npmessage\r\n$3\r\nn.*\r\n$3\r\nn.x\r\n$2\r\nhi\r\n");
  Frame f = pubsub_internal::ParseFrame(r.view());
  ASSERT_EQ(f.type, Frame::Type::kMessage);
  EXPECT_EQ(f.message.kind, Kind::kPMessage);
  EXPECT_EQ(f.message.pattern, "n.*");
  EXPECT_EQ(f.message.channel, "n.x");
  EXPECT_EQ(f.message.payload, "hi");
}

TEST(ParseFrameTest, Confirmations) {
  Frame f = pubsub_internal::ParseFrame(
      Parse(">3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:2\r\n").view());
  ASSERT_EQ(f.type, Frame::Type::kMessage);
  EXPECT_EQ(f.message.kind, Kind::kPSubscribe);
  EXPECT_EQ(f.message.pattern, "p*");
  EXPECT_EQ(f.message.channel, "p*");
  EXPECT_EQ(f.message.count, 2);
  EXPECT_TRUE(f.message.is_confirmation());
  // UNSUBSCRIBE with nothing subscribed names no channel.
  f = pubsub_internal::ParseFrame(
      Parse("*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n").view());
  ASSERT_EQ(f.type, Frame::Type::kMessage);
  EXPECT_EQ(f.message.kind, Kind::kUnsubscribe);
  EXPECT_EQ(f.message.channel, "");
  EXPECT_EQ(f.message.count, 0);
}

TEST(ParseFrameTest, PongsErrorsAndOthers) {
  EXPECT_EQ(pubsub_internal::ParseFrame(
                Parse("*2\r\n$4\r\npong\r\n$0\r\n\r\n").view())
                .type,
            Frame::Type::kPong);
  EXPECT_EQ(pubsub_internal::ParseFrame(Parse("+PONG\r\n").view()).type,
            Frame::Type::kPong);
  Frame err = pubsub_internal::ParseFrame(Parse("-ERR nope\r\n").view());
  EXPECT_EQ(err.type, Frame::Type::kError);
  EXPECT_TRUE(IsServerError(err.error));
  EXPECT_EQ(pubsub_internal::ParseFrame(
                Parse(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n").view())
                .type,
            Frame::Type::kOther);
  // A known kind with the wrong arity is not trusted.
  EXPECT_EQ(pubsub_internal::ParseFrame(
                Parse("*2\r\n$7\r\nmessage\r\n$2\r\nch\r\n").view())
                .type,
            Frame::Type::kOther);
  EXPECT_EQ(pubsub_internal::ParseFrame(Parse(":1\r\n").view()).type,
            Frame::Type::kOther);
}

TEST(PubSubKindTest, Names) {
  EXPECT_EQ(PubSub::KindName(Kind::kSMessage), "smessage");
  EXPECT_EQ(PubSub::KindName(Kind::kPUnsubscribe), "punsubscribe");
}

constexpr char kSubscriberName[] = "pubsub-test-subscriber";

class PubSubTest : public RespClientTest {
 protected:
  void AdjustOptions(ClientOptions& options) const override {
    options.connection.retry.retries = 1;
  }

  ClientOptions Options(
      absl::Duration health_check = absl::ZeroDuration()) const {
    ClientOptions options = RespClientTest::Options();
    options.connection.health_check_interval = health_check;
    return options;
  }

  // A client whose connections carry kSubscriberName, and a PubSub on it.
  std::unique_ptr<PubSub> Subscriber(
      PubSub::Options ps_options = {},
      absl::Duration health_check = absl::ZeroDuration()) {
    ClientOptions options = Options(health_check);
    options.connection.client_name = kSubscriberName;
    auto client = Client::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    subscriber_client_ = *std::move(client);
    auto ps = PubSub::Create(*subscriber_client_, ps_options);
    EXPECT_TRUE(ps.ok()) << ps.status();
    if (!ps.ok()) return nullptr;
    EXPECT_EQ((*ps)->connection()->protocol(), GetParam());
    return *std::move(ps);
  }

  // PUBLISH through the generic Execute; returns the receiver count.
  int64_t Publish(absl::string_view command, absl::string_view channel,
                  absl::string_view payload) {
    absl::StatusOr<Reply> r = publisher_->Execute(command, channel, payload);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->integer() : -1;
  }

  // The next message GetMessage returns within `timeout`.
  static std::optional<Message> Next(
      PubSub& ps, absl::Duration timeout = absl::Seconds(2)) {
    absl::StatusOr<std::optional<Message>> m = ps.GetMessage(timeout);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *std::move(m) : std::nullopt;
  }

  int64_t PingCalls() {
    absl::StatusOr<Reply> info = publisher_->Execute("INFO", "commandstats");
    EXPECT_TRUE(info.ok()) << info.status();
    if (!info.ok()) return -1;
    for (absl::string_view line : absl::StrSplit(info->str(), "\r\n")) {
      if (!absl::ConsumePrefix(&line, "cmdstat_ping:calls=")) continue;
      int64_t n = 0;
      EXPECT_TRUE(absl::SimpleAtoi(line.substr(0, line.find(',')), &n));
      return n;
    }
    return 0;
  }

  // The fixture's client publishes.
  std::unique_ptr<Client>& publisher_ = client_;
  std::unique_ptr<Client> subscriber_client_;
};

INSTANTIATE_TEST_SUITE_P(Resp, PubSubTest, RespProtocols(), RespName);

TEST_P(PubSubTest, SubscribeThenReceivePublishedMessage) {
  std::unique_ptr<PubSub> ps = Subscriber();
  ASSERT_NE(ps, nullptr);
  ASSERT_TRUE(ps->Subscribe("news", std::string("weather")).ok());
  EXPECT_TRUE(ps->subscribed());
  EXPECT_EQ(ps->channels(), (std::vector<std::string>{"news", "weather"}));

  std::optional<Message> m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Kind::kSubscribe);
  EXPECT_EQ(m->channel, "news");
  EXPECT_EQ(m->count, 1);
  m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Kind::kSubscribe);
  EXPECT_EQ(m->channel, "weather");
  EXPECT_EQ(m->count, 2);

  EXPECT_EQ(Publish("PUBLISH", "news", "hello\r\nworld"), 1);
  m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Kind::kMessage);
  EXPECT_EQ(m->channel, "news");
  EXPECT_EQ(m->payload, "hello\r\nworld");
  EXPECT_EQ(m->pattern, "");
}

TEST_P(PubSubTest, PatternSubscribeDeliversPMessage) {
  std::unique_ptr<PubSub> ps = Subscriber({.ignore_subscribe_messages = true});
  ASSERT_NE(ps, nullptr);
  ASSERT_TRUE(ps->PSubscribe("news.*").ok());
  EXPECT_EQ(ps->patterns(), std::vector<std::string>{"news.*"});
  EXPECT_EQ(Publish("PUBLISH", "news.sport", "goal"), 1);
  std::optional<Message> m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Kind::kPMessage);
  EXPECT_EQ(m->pattern, "news.*");
  EXPECT_EQ(m->channel, "news.sport");
  EXPECT_EQ(m->payload, "goal");
}

// Valkey 7+ accepts SSUBSCRIBE / SPUBLISH on a standalone server: the
// shard channels are a namespace of their own, apart from PUBLISH's.
TEST_P(PubSubTest, ShardedSubscribeOnStandaloneServer) {
  std::unique_ptr<PubSub> ps = Subscriber();
  ASSERT_NE(ps, nullptr);
  ASSERT_TRUE(ps->SSubscribe("orders").ok());
  std::optional<Message> m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Kind::kSSubscribe);
  EXPECT_EQ(m->channel, "orders");
  EXPECT_EQ(m->count, 1);

  EXPECT_EQ(Publish("PUBLISH", "orders", "not sharded"), 0);
  EXPECT_EQ(Publish("SPUBLISH", "orders", "o-1"), 1);
  m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Kind::kSMessage);
  EXPECT_EQ(m->channel, "orders");
  EXPECT_EQ(m->payload, "o-1");

  ASSERT_TRUE(ps->SUnsubscribe().ok());
  m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Kind::kSUnsubscribe);
  EXPECT_EQ(m->channel, "orders");
  EXPECT_EQ(m->count, 0);
  EXPECT_FALSE(ps->subscribed());
}

TEST_P(PubSubTest, ServerErrorReplyLeavesSubscriptionsUnchanged) {
  std::unique_ptr<PubSub> ps = Subscriber({.ignore_subscribe_messages = true});
  ASSERT_NE(ps, nullptr);
  ASSERT_TRUE(ps->Subscribe("kept").ok());
  // Refuse SSUBSCRIBE for this user: the server answers NOPERM.
  ASSERT_TRUE(
      publisher_->Execute("ACL", "SETUSER", "default", "-ssubscribe").ok());
  absl::Status s = ps->SSubscribe("refused");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_TRUE(ps->shard_channels().empty());
  EXPECT_EQ(ps->channels(), std::vector<std::string>{"kept"});
  // The connection is still in step.
  EXPECT_EQ(Publish("PUBLISH", "kept", "still here"), 1);
  std::optional<Message> m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->payload, "still here");
  EXPECT_EQ(ps->reconnects(), 0);

  EXPECT_EQ(ps->Subscribe().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(PubSubTest, HandlersTakeTheirMessages) {
  std::unique_ptr<PubSub> ps = Subscriber({.ignore_subscribe_messages = true});
  ASSERT_NE(ps, nullptr);
  std::vector<std::string> by_channel;
  std::vector<std::string> by_pattern;
  ASSERT_TRUE(ps->Subscribe({"handled"}, [&](const Message& m) {
                  EXPECT_EQ(m.kind, Kind::kMessage);
                  by_channel.push_back(m.payload);
                }).ok());
  ASSERT_TRUE(ps->PSubscribe({"pat.*"}, [&](const Message& m) {
                  EXPECT_EQ(m.kind, Kind::kPMessage);
                  by_pattern.push_back(absl::StrCat(m.channel, "=", m.payload));
                }).ok());
  ASSERT_TRUE(ps->Subscribe("plain").ok());

  EXPECT_EQ(Publish("PUBLISH", "handled", "h1"), 1);
  EXPECT_EQ(Publish("PUBLISH", "pat.x", "p1"), 1);
  EXPECT_EQ(Publish("PUBLISH", "plain", "x1"), 1);
  std::optional<Message> m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->channel, "plain");
  EXPECT_EQ(m->payload, "x1");
  EXPECT_EQ(by_channel, std::vector<std::string>{"h1"});
  EXPECT_EQ(by_pattern, std::vector<std::string>{"pat.x=p1"});

  // Only handled messages: GetMessage keeps its time-out.
  EXPECT_EQ(Publish("PUBLISH", "handled", "h2"), 1);
  const absl::Time start = absl::Now();
  EXPECT_FALSE(Next(*ps, absl::Milliseconds(200)).has_value());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(190));
  EXPECT_EQ(by_channel, (std::vector<std::string>{"h1", "h2"}));

  // Re-subscribing without a handler hands the channel back to GetMessage.
  ASSERT_TRUE(ps->Subscribe("handled").ok());
  EXPECT_EQ(Publish("PUBLISH", "handled", "h3"), 1);
  m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->payload, "h3");
  EXPECT_EQ(by_channel.size(), 2u);
}

TEST_P(PubSubTest, RunDispatchesUntilStopped) {
  std::unique_ptr<PubSub> ps = Subscriber({.ignore_subscribe_messages = true});
  ASSERT_NE(ps, nullptr);
  std::atomic<bool> stop{false};
  int handled = 0;
  std::vector<std::string> others;
  ASSERT_TRUE(ps->Subscribe({"jobs"}, [&](const Message&) {
                  if (++handled == 2) stop.store(true);
                }).ok());
  ASSERT_TRUE(ps->Subscribe("other").ok());
  EXPECT_EQ(Publish("PUBLISH", "other", "o"), 1);
  EXPECT_EQ(Publish("PUBLISH", "jobs", "1"), 1);
  EXPECT_EQ(Publish("PUBLISH", "jobs", "2"), 1);
  const absl::Time start = absl::Now();
  absl::Status s =
      ps->Run(absl::Now() + absl::Seconds(10), &stop,
              [&](const Message& m) { others.push_back(m.payload); });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(handled, 2);
  EXPECT_EQ(others, std::vector<std::string>{"o"});
  // Until a time: returns when it passes.
  EXPECT_TRUE(ps->Run(absl::Now() + absl::Milliseconds(150)).ok());
}

TEST_P(PubSubTest, UnsubscribeStopsDelivery) {
  std::unique_ptr<PubSub> ps = Subscriber();
  ASSERT_NE(ps, nullptr);
  ASSERT_TRUE(ps->Subscribe("a", "b").ok());
  ASSERT_TRUE(ps->PSubscribe("c*").ok());
  ASSERT_TRUE(ps->Unsubscribe("a").ok());
  EXPECT_EQ(ps->channels(), std::vector<std::string>{"b"});
  // Confirmations in order: subscribe a, b; psubscribe c*; unsubscribe a.
  std::vector<std::pair<Kind, std::string>> seen;
  for (int i = 0; i < 4; ++i) {
    std::optional<Message> m = Next(*ps);
    ASSERT_TRUE(m.has_value());
    seen.emplace_back(m->kind, m->channel);
  }
  EXPECT_EQ(seen, (std::vector<std::pair<Kind, std::string>>{
                      {Kind::kSubscribe, "a"},
                      {Kind::kSubscribe, "b"},
                      {Kind::kPSubscribe, "c*"},
                      {Kind::kUnsubscribe, "a"}}));

  EXPECT_EQ(Publish("PUBLISH", "a", "gone"), 0);
  EXPECT_EQ(Publish("PUBLISH", "b", "here"), 1);
  std::optional<Message> m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->channel, "b");
  EXPECT_EQ(m->payload, "here");

  // Everything: one confirmation per name, the last with count 0.
  ASSERT_TRUE(ps->Unsubscribe().ok());
  ASSERT_TRUE(ps->PUnsubscribe().ok());
  EXPECT_FALSE(ps->subscribed());
  m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Kind::kUnsubscribe);
  EXPECT_EQ(m->channel, "b");
  m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Kind::kPUnsubscribe);
  EXPECT_EQ(m->pattern, "c*");
  EXPECT_EQ(m->count, 0);
  EXPECT_EQ(Publish("PUBLISH", "b", "nobody"), 0);
  EXPECT_EQ(Publish("PUBLISH", "cx", "nobody"), 0);

  // Unsubscribing with nothing subscribed: nothing to do, nothing sent
  // (Valkey 8 would answer NOSUB).
  EXPECT_TRUE(ps->Unsubscribe().ok());
  EXPECT_TRUE(ps->PUnsubscribe("c*").ok());
  EXPECT_TRUE(ps->SUnsubscribe().ok());
  // A kind with no names while another is subscribed: one confirmation
  // without a name.
  ASSERT_TRUE(ps->PSubscribe("d*").ok());
  ASSERT_TRUE(ps->Unsubscribe().ok());
  m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Kind::kPSubscribe);
  m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Kind::kUnsubscribe);
  EXPECT_EQ(m->channel, "");
  EXPECT_EQ(m->count, 1);
  EXPECT_FALSE(Next(*ps, absl::Milliseconds(50)).has_value());
}

TEST_P(PubSubTest, GetMessageTimesOutWithNullopt) {
  std::unique_ptr<PubSub> ps = Subscriber({.ignore_subscribe_messages = true});
  ASSERT_NE(ps, nullptr);
  // Nothing subscribed: waits, then nothing.
  EXPECT_FALSE(Next(*ps, absl::ZeroDuration()).has_value());
  ASSERT_TRUE(ps->Subscribe("quiet").ok());
  absl::Time start = absl::Now();
  EXPECT_FALSE(Next(*ps, absl::Milliseconds(150)).has_value());
  const absl::Duration waited = absl::Now() - start;
  EXPECT_GE(waited, absl::Milliseconds(145));
  EXPECT_LT(waited, absl::Seconds(2));
  start = absl::Now();
  EXPECT_FALSE(Next(*ps, absl::ZeroDuration()).has_value());
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(100));
  // A time-out never breaks the connection.
  EXPECT_EQ(Publish("PUBLISH", "quiet", "late"), 1);
  std::optional<Message> m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->payload, "late");
  EXPECT_EQ(ps->reconnects(), 0);
}

TEST_P(PubSubTest, HealthCheckPongsNeverSurface) {
  std::unique_ptr<PubSub> ps =
      Subscriber({}, /*health_check=*/absl::Milliseconds(40));
  ASSERT_NE(ps, nullptr);
  ASSERT_TRUE(ps->Subscribe("hc").ok());
  std::optional<Message> m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Kind::kSubscribe);

  const int64_t pings_before = PingCalls();
  // Only pongs arrive during the wait: none is returned.
  EXPECT_FALSE(Next(*ps, absl::Milliseconds(500)).has_value());
  EXPECT_GE(PingCalls() - pings_before, 3);
  EXPECT_EQ(Publish("PUBLISH", "hc", "after pings"), 1);
  m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Kind::kMessage);
  EXPECT_EQ(m->payload, "after pings");

  // Not subscribed any more: PING answers +PONG even in RESP2.
  ASSERT_TRUE(ps->Unsubscribe().ok());
  m = Next(*ps);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Kind::kUnsubscribe);
  const int64_t pings_unsubscribed = PingCalls();
  EXPECT_FALSE(Next(*ps, absl::Milliseconds(300)).has_value());
  EXPECT_GE(PingCalls() - pings_unsubscribed, 2);
  EXPECT_EQ(ps->reconnects(), 0);
}

// The subscriber's connection id, found by its client name.
absl::StatusOr<std::string> SubscriberId(Client& admin) {
  absl::StatusOr<Reply> list = admin.Execute("CLIENT", "LIST");
  if (!list.ok()) return list.status();
  for (absl::string_view line : absl::StrSplit(list->str(), '\n')) {
    if (!absl::StrContains(line,
                           absl::StrCat(" name=", kSubscriberName, " "))) {
      continue;
    }
    for (absl::string_view field : absl::StrSplit(line, ' ')) {
      if (absl::ConsumePrefix(&field, "id=")) return std::string(field);
    }
  }
  return absl::NotFoundError(
      absl::StrCat("no client named ", kSubscriberName, " in:\n", list->str()));
}

TEST_P(PubSubTest, ResubscribesAfterClientKill) {
  std::unique_ptr<PubSub> ps = Subscriber();
  ASSERT_NE(ps, nullptr);
  ASSERT_TRUE(ps->Subscribe("news").ok());
  ASSERT_TRUE(ps->PSubscribe("alerts.*").ok());
  std::vector<std::string> handled;
  ASSERT_TRUE(ps->SSubscribe({"shard"}, [&](const Message& m) {
                  handled.push_back(m.payload);
                }).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Next(*ps).has_value());

  absl::StatusOr<std::string> id = SubscriberId(*publisher_);
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<Reply> killed =
      publisher_->Execute("CLIENT", "KILL", "ID", *id);
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_EQ(killed->integer(), 1);

  // Publish until the subscriber noticed, reconnected and resubscribed.
  std::vector<Kind> resubscribed;
  std::optional<Message> got;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!got.has_value() && absl::Now() < deadline) {
    Publish("PUBLISH", "news", "after kill");
    absl::StatusOr<std::optional<Message>> m =
        ps->GetMessage(absl::Milliseconds(50));
    ASSERT_TRUE(m.ok()) << m.status();  // Reconnecting succeeds: no error.
    if (!m->has_value()) continue;
    if ((*m)->is_confirmation()) {
      resubscribed.push_back((*m)->kind);
    } else {
      got = *std::move(*m);
    }
  }
  ASSERT_TRUE(got.has_value()) << "no message within 10 s of CLIENT KILL";
  EXPECT_EQ(got->kind, Kind::kMessage);
  EXPECT_EQ(got->channel, "news");
  EXPECT_EQ(got->payload, "after kill");
  EXPECT_EQ(ps->reconnects(), 1);
  // The resubscription was confirmed like a subscription.
  EXPECT_EQ(resubscribed,
            (std::vector<Kind>{Kind::kSubscribe, Kind::kPSubscribe,
                               Kind::kSSubscribe}));
  absl::StatusOr<std::string> new_id = SubscriberId(*publisher_);
  ASSERT_TRUE(new_id.ok()) << new_id.status();
  EXPECT_NE(*new_id, *id);

  // Patterns and shard channels (with their handlers) came back too.
  EXPECT_EQ(Publish("PUBLISH", "alerts.fire", "hot"), 1);
  EXPECT_EQ(Publish("SPUBLISH", "shard", "s-1"), 1);
  std::optional<Message> m;
  do {
    m = Next(*ps);
  } while (m.has_value() && m->kind == Kind::kMessage);  // Late "after kill"s.
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Kind::kPMessage);
  EXPECT_EQ(m->channel, "alerts.fire");
  EXPECT_FALSE(Next(*ps, absl::Milliseconds(100)).has_value());
  EXPECT_EQ(handled, std::vector<std::string>{"s-1"});
}

TEST_P(PubSubTest, FailedReconnectIsReportedThenRetried) {
  std::unique_ptr<PubSub> ps = Subscriber({.ignore_subscribe_messages = true});
  ASSERT_NE(ps, nullptr);
  ASSERT_TRUE(ps->Subscribe("news").ok());
  ASSERT_TRUE(server_->Kill().ok());
  absl::StatusOr<std::optional<Message>> m = ps->GetMessage(absl::Seconds(2));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnavailable) << m.status();
  EXPECT_TRUE(IsConnectionError(m.status()));
  EXPECT_EQ(ps->connection(), nullptr);
  EXPECT_EQ(ps->channels(), std::vector<std::string>{"news"});

  ASSERT_TRUE(server_->Restart().ok());
  std::optional<Message> got;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!got.has_value() && absl::Now() < deadline) {
    m = ps->GetMessage(absl::Milliseconds(50));
    ASSERT_TRUE(m.ok()) << m.status();
    Publish("PUBLISH", "news", "back");
    if (m->has_value()) got = *std::move(*m);
  }
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->payload, "back");
  EXPECT_EQ(ps->reconnects(), 1);
}

TEST_P(PubSubTest, CloseDiscardsTheConnection) {
  std::unique_ptr<PubSub> ps = Subscriber();
  ASSERT_NE(ps, nullptr);
  ASSERT_TRUE(ps->Subscribe("x").ok());
  EXPECT_EQ(subscriber_client_->pool().stats().in_use, 1);
  ps->Close();
  ps->Close();
  EXPECT_TRUE(ps->closed());
  EXPECT_FALSE(ps->subscribed());
  const PoolStats stats = subscriber_client_->pool().stats();
  EXPECT_EQ(stats.in_use, 0);
  EXPECT_EQ(stats.idle, 0);  // Never back in the pool.
  EXPECT_EQ(stats.discarded, 1);
  absl::StatusOr<std::optional<Message>> m =
      ps->GetMessage(absl::ZeroDuration());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ps->Subscribe("y").code(), absl::StatusCode::kFailedPrecondition);
  // The server no longer has a subscriber.
  EXPECT_EQ(Publish("PUBLISH", "x", "nobody"), 0);
}

}  // namespace
}  // namespace valkey
