// Server and connection commands against a real valkey-server over RESP2
// and RESP3, plus the INFO / CLIENT LIST text parsers.

#include "valkey/commands/server_commands.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/client/client.h"
#include "valkey/client/client_test_fixture.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

using ::valkey::testing::RespClientTest;
using ::valkey::testing::RespName;
using ::valkey::testing::RespProtocols;
using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(ServerTextParsersTest, Info) {
  const InfoFields info = convert::ParseInfo(
      "# Server\r\nvalkey_version:8.0.1\r\nempty:\r\nurl:a:b\r\n\r\n"
      "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\nno colon here\r\n");
  EXPECT_EQ(info.size(), 4u);
  EXPECT_EQ(info.at("valkey_version"), "8.0.1");
  EXPECT_EQ(info.at("empty"), "");
  EXPECT_EQ(info.at("url"), "a:b");  // split on the first colon only
  EXPECT_EQ(info.at("db0"), "keys=1,expires=0,avg_ttl=0");
  EXPECT_TRUE(convert::ParseInfo("").empty());
}

TEST(ServerTextParsersTest, ClientList) {
  const std::vector<ClientInfo> clients = convert::ParseClientList(
      "id=3 addr=127.0.0.1:5 name= cmd=client|list flag\n"
      "id=4 addr=[::1]:6 name=worker qbuf=0\n");
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_EQ(clients[0].at("id"), "3");
  EXPECT_EQ(clients[0].at("addr"), "127.0.0.1:5");
  EXPECT_EQ(clients[0].at("name"), "");
  EXPECT_EQ(clients[0].at("cmd"), "client|list");
  EXPECT_EQ(clients[0].at("flag"), "");
  EXPECT_EQ(clients[1].at("name"), "worker");
  EXPECT_EQ(clients[1].at("addr"), "[::1]:6");
}

using ServerCommandsTest = RespClientTest;

INSTANTIATE_TEST_SUITE_P(Resp, ServerCommandsTest, RespProtocols(), RespName);

TEST_P(ServerCommandsTest, PingEcho) {
  auto pong = client_->Ping();
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(*pong, "PONG");
  auto echoed = client_->Ping("hello world");
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_EQ(*echoed, "hello world");
  const std::string binary("a\0b\r\n", 5);
  auto echo = client_->Echo(binary);
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ(*echo, binary);
}

TEST_P(ServerCommandsTest, Info) {
  auto server = client_->Info("server");
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(server->at("tcp_port"), absl::StrCat(server_->port()));
  EXPECT_TRUE(server->contains("valkey_version") ||
              server->contains("redis_version"));
  EXPECT_FALSE(server->contains("used_memory")) << "memory is another section";

  ASSERT_TRUE(client_->Execute("SET", "k", "v").ok());
  auto all = client_->Info();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_TRUE(all->contains("used_memory"));
  EXPECT_TRUE(absl::StartsWith(all->at("db0"), "keys=1,")) << all->at("db0");

  auto text = client_->InfoText("server");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_TRUE(absl::StartsWith(*text, "# Server\r\n")) << *text;
  auto full_text = client_->InfoText();
  ASSERT_TRUE(full_text.ok()) << full_text.status();
  EXPECT_TRUE(absl::StrContains(*full_text, "# Keyspace"));

  auto none = client_->Info("nosuchsection");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

TEST_P(ServerCommandsTest, DbSizeAndFlush) {
  EXPECT_EQ(*client_->DbSize(), 0);
  ASSERT_TRUE(client_->Execute("MSET", "a", "1", "b", "2").ok());
  EXPECT_EQ(*client_->DbSize(), 2);
  ASSERT_TRUE(client_->FlushDb().ok());
  EXPECT_EQ(*client_->DbSize(), 0);
  ASSERT_TRUE(client_->Execute("SET", "a", "1").ok());
  ASSERT_TRUE(client_->FlushDb(FlushMode::kSync).ok());
  EXPECT_EQ(*client_->DbSize(), 0);

  // FLUSHALL reaches other databases; FLUSHDB does not.
  auto db3 = Client::FromUrl(
      absl::StrCat("valkey://127.0.0.1:", server_->port(), "/3"));
  ASSERT_TRUE(db3.ok()) << db3.status();
  ASSERT_TRUE((*db3)->Execute("SET", "x", "1").ok());
  ASSERT_TRUE(client_->FlushDb(FlushMode::kAsync).ok());
  EXPECT_EQ(*(*db3)->DbSize(), 1);
  ASSERT_TRUE(client_->FlushAll(FlushMode::kAsync).ok());
  ASSERT_TRUE(client_->FlushAll(FlushMode::kSync).ok());
  ASSERT_TRUE(client_->FlushAll().ok());
  EXPECT_EQ(*(*db3)->DbSize(), 0);
}

TEST_P(ServerCommandsTest, ClientNameIdList) {
  ClientOptions single_options = Options();
  single_options.single_connection = true;
  auto single = Client::Create(std::move(single_options));
  ASSERT_TRUE(single.ok()) << single.status();
  Client& client = **single;
  auto unnamed = client.ClientGetName();
  ASSERT_TRUE(unnamed.ok()) << unnamed.status();
  EXPECT_FALSE(unnamed->has_value());
  ASSERT_TRUE(client.ClientSetName("worker-1").ok());
  auto name = client.ClientGetName();
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->value_or(""), "worker-1");
  auto id = client.ClientId();
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_GT(*id, 0);
  EXPECT_EQ(*client.ClientId(), *id) << "one connection";

  auto list = client_->ClientList();
  ASSERT_TRUE(list.ok()) << list.status();
  bool found = false;
  for (const ClientInfo& info : *list) {
    ASSERT_TRUE(info.contains("id"));
    ASSERT_TRUE(info.contains("addr"));
    if (info.at("name") == "worker-1") {
      found = true;
      EXPECT_EQ(info.at("id"), absl::StrCat(*id));
      EXPECT_EQ(info.at("resp"), absl::StrCat(GetParam()));
    }
  }
  EXPECT_TRUE(found);

  EXPECT_EQ(client.ClientSetName("two words").status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(client.ClientSetName("").ok());
  EXPECT_FALSE(client.ClientGetName()->has_value());
}

TEST_P(ServerCommandsTest, ConfigGetSet) {
  auto got = client_->ConfigGet("maxmemory-policy");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->at("maxmemory-policy"), "noeviction");

  ASSERT_TRUE(client_->ConfigSet(Pairs{{"maxmemory-policy", "allkeys-lru"},
                                       {"hz", "20"}})
                  .ok());
  ASSERT_TRUE(client_->ConfigSet("slowlog-max-len", "77").ok());
  auto pattern = client_->ConfigGet("maxmemory-*");
  ASSERT_TRUE(pattern.ok());
  EXPECT_EQ(pattern->at("maxmemory-policy"), "allkeys-lru");
  EXPECT_GT(pattern->size(), 1u);
  EXPECT_EQ(client_->ConfigGet("hz")->at("hz"), "20");
  EXPECT_EQ(client_->ConfigGet("slowlog-max-len")->at("slowlog-max-len"),
            "77");
  EXPECT_TRUE(client_->ConfigGet("no-such-parameter*")->empty());

  auto bad = client_->ConfigSet("no-such-parameter", "1");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(ServerErrorPrefix(bad.status()), "ERR");
  EXPECT_EQ(client_->ConfigSet(Pairs{}).status().code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(client_->Ping().ok());
  ASSERT_TRUE(client_->ConfigResetStat().ok());
  auto stats = client_->Info("commandstats");
  ASSERT_TRUE(stats.ok());
  EXPECT_FALSE(stats->contains("cmdstat_ping"));
}

TEST_P(ServerCommandsTest, Time) {
  const absl::Time before = absl::Now();
  auto now = client_->Time();
  ASSERT_TRUE(now.ok()) << now.status();
  // Same machine, same clock: loose bounds, not a timing assertion.
  EXPECT_GT(*now, before - absl::Minutes(1));
  EXPECT_LT(*now, before + absl::Minutes(1));
}

TEST_P(ServerCommandsTest, PublishCountsReceivers) {
  auto nobody = client_->Publish("news", "hi");
  ASSERT_TRUE(nobody.ok()) << nobody.status();
  EXPECT_EQ(*nobody, 0);
  auto nobody_sharded = client_->SPublish("shard-news", "hi");
  ASSERT_TRUE(nobody_sharded.ok()) << nobody_sharded.status();
  EXPECT_EQ(*nobody_sharded, 0);

  // A raw subscriber on a connection of its own.
  auto subscriber_client = Client::Create(Options());
  ASSERT_TRUE(subscriber_client.ok());
  auto conn = (*subscriber_client)->AcquireConnection();
  ASSERT_TRUE(conn.ok()) << conn.status();
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  ASSERT_TRUE((*conn)->SendCommand("SUBSCRIBE", "news").ok());
  auto confirmed = (*conn)->ReadAny(deadline);
  ASSERT_TRUE(confirmed.ok()) << confirmed.status();
  ASSERT_TRUE((*conn)->SendCommand("SSUBSCRIBE", "shard-news").ok());
  ASSERT_TRUE((*conn)->ReadAny(deadline).ok());

  auto one = client_->Publish("news", "hello");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(*one, 1);
  auto message = (*conn)->ReadAny(deadline);
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ((*message)[2].str(), "hello");
  auto sharded = client_->SPublish("shard-news", "hello shard");
  ASSERT_TRUE(sharded.ok()) << sharded.status();
  EXPECT_EQ(*sharded, 1);
  auto smessage = (*conn)->ReadAny(deadline);
  ASSERT_TRUE(smessage.ok()) << smessage.status();
  EXPECT_EQ((*smessage)[2].str(), "hello shard");
  (*conn)->Disconnect();  // never back into the pool in subscribed state
}

}  // namespace
}  // namespace valkey
