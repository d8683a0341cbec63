// The sync Client against a real valkey-server: construction, generic
// Execute, string commands, retries, response callbacks, close semantics.

#include "valkey/client/client.h"

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "testing/fault_proxy.h"
#include "testing/fork/forked_child.h"
#include "valkey/client/client_test_fixture.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

using ::valkey::testing::FaultProxy;
using ::valkey::testing::RunInForkedChild;
using ::valkey::testing::RespClientTest;
using ::valkey::testing::RespName;
using ::valkey::testing::RespProtocols;

using ClientTest = RespClientTest;

INSTANTIATE_TEST_SUITE_P(Resp, ClientTest, RespProtocols(), RespName);

TEST_P(ClientTest, FromUrlAndConfig) {
  auto from_url = Client::FromUrl(
      absl::StrCat("valkey://127.0.0.1:", server_->port(), "/2"));
  ASSERT_TRUE(from_url.ok()) << from_url.status();
  ASSERT_TRUE((*from_url)->Set("where", "db2").ok());
  ClientConfig config;
  config.mutable_connection()->set_host("127.0.0.1");
  config.mutable_connection()->set_port(server_->port());
  config.mutable_connection()->set_db(2);
  auto from_config = Client::Create(config);
  ASSERT_TRUE(from_config.ok()) << from_config.status();
  auto v = (*from_config)->Get("where");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->value_or(""), "db2");
  EXPECT_EQ(Client::FromUrl("ftp://x").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Reader limits from a URL reach the pool's connections: an oversize value
// fails with DATA_LOSS naming the limit (not retried: it would fail again),
// and the next command runs on a new connection.
TEST_P(ClientTest, ReaderLimitFromUrlFailsOversizeReplyThenReconnects) {
  ASSERT_TRUE(client_->Set("big", std::string(5000, 'x')).ok());
  ASSERT_TRUE(client_->Set("small", "fits").ok());
  auto limited = Client::FromUrl(
      absl::StrCat("valkey://127.0.0.1:", server_->port(),
                   "?max_bulk_length=4096&protocol=", GetParam()));
  ASSERT_TRUE(limited.ok()) << limited.status();
  for (int i = 0; i < 2; ++i) {
    auto big = (*limited)->Get("big");
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.status().code(), absl::StatusCode::kDataLoss)
        << big.status();
    EXPECT_TRUE(absl::StrContains(big.status().message(),
                                  "exceeds max_bulk_length (4096)"))
        << big.status();
    auto small = (*limited)->Get("small");
    ASSERT_TRUE(small.ok()) << small.status();
    EXPECT_EQ(small->value_or(""), "fits");
  }
}

TEST_P(ClientTest, ExecuteTakesMixedArguments) {
  auto set = client_->Execute("SET", "n", 41);
  ASSERT_TRUE(set.ok()) << set.status();
  auto incr = client_->Execute("INCRBYFLOAT", "n", 1.5);
  ASSERT_TRUE(incr.ok()) << incr.status();
  EXPECT_EQ(incr->str(), "42.5");
  const std::string binary("a\0b\r\nc", 6);
  ASSERT_TRUE(client_->Execute("SET", "bin", binary).ok());
  auto got = client_->Execute("GET", "bin");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->str(), binary);
  std::vector<absl::string_view> argv = {"ECHO", "argv"};
  auto echo = client_->ExecuteArgv(argv);
  ASSERT_TRUE(echo.ok());
  EXPECT_EQ(echo->str(), "argv");
  EXPECT_EQ(client_->ExecuteArgv({}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(ClientTest, StringCommands) {
  auto set = client_->Set("k", "v1");
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(*set);
  auto nx = client_->Set("k", "v2", {.condition = SetOptions::Condition::kIfNotExists});
  ASSERT_TRUE(nx.ok());
  EXPECT_FALSE(*nx);
  auto xx = client_->Set("missing", "v", {.condition = SetOptions::Condition::kIfExists});
  ASSERT_TRUE(xx.ok());
  EXPECT_FALSE(*xx);
  auto old = client_->SetGet("k", "v3");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->value_or(""), "v1");
  auto none = client_->Get("nope");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE(client_->Set("ttl", "x", {.ttl = absl::Seconds(100)}).ok());
  auto ttl = client_->Execute("TTL", "ttl");
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer(), 90);
  ASSERT_TRUE(client_->Set("pttl", "x", {.ttl = absl::Milliseconds(1500)}).ok());
  auto pttl = client_->Execute("PTTL", "pttl");
  EXPECT_GT(pttl->integer(), 1000);
  ASSERT_TRUE(client_->Set("ttl", "y", {.keep_ttl = true}).ok());
  EXPECT_GT(client_->Execute("TTL", "ttl")->integer(), 90);

  std::vector<std::pair<std::string, std::string>> pairs = {{"a", "1"},
                                                            {"b", "2"}};
  ASSERT_TRUE(client_->MSet(pairs).ok());
  auto values = client_->MGet(std::vector<std::string>{"a", "zz", "b"});
  ASSERT_TRUE(values.ok());
  ASSERT_EQ(values->size(), 3u);
  EXPECT_EQ((*values)[0].value_or(""), "1");
  EXPECT_FALSE((*values)[1].has_value());
  EXPECT_EQ((*values)[2].value_or(""), "2");
  auto msetnx = client_->MSetNx(pairs);
  ASSERT_TRUE(msetnx.ok());
  EXPECT_FALSE(*msetnx);

  EXPECT_EQ(*client_->Incr("c"), 1);
  EXPECT_EQ(*client_->IncrBy("c", 10), 11);
  EXPECT_EQ(*client_->DecrBy("c", 2), 9);
  EXPECT_EQ(*client_->Decr("c"), 8);
  EXPECT_DOUBLE_EQ(*client_->IncrByFloat("f", 0.25), 0.25);
  EXPECT_EQ(*client_->Append("s", "ab"), 2);
  EXPECT_EQ(*client_->StrLen("s"), 2);
  auto gotex = client_->GetEx("s", {.ttl = absl::Seconds(50)});
  ASSERT_TRUE(gotex.ok());
  EXPECT_EQ(gotex->value_or(""), "ab");
  EXPECT_GT(client_->Execute("TTL", "s")->integer(), 40);
  ASSERT_TRUE(client_->GetEx("s", {.persist = true}).ok());
  EXPECT_EQ(client_->Execute("TTL", "s")->integer(), -1);
  auto gotdel = client_->GetDel("s");
  EXPECT_EQ(gotdel->value_or(""), "ab");
  EXPECT_FALSE(client_->Get("s")->has_value());
}

TEST_P(ClientTest, BadArgumentsAreInvalidArgumentAndSendNothing) {
  EXPECT_EQ(client_->Set("k", "v", {.ttl = absl::ZeroDuration()}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->Set("k", "v", {.ttl = absl::Seconds(-1)}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->Set("k", "v", {.ttl = absl::Seconds(1), .keep_ttl = true})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->MGet({}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->GetEx("k", {.ttl = absl::Seconds(1), .persist = true})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(client_->Get("k")->has_value()) << "nothing was sent";
}

TEST_P(ClientTest, ServerErrorsAreStatusesNotRetried) {
  ASSERT_TRUE(client_->Execute("LPUSH", "l", "x").ok());
  auto wrong = client_->Get("l");
  EXPECT_EQ(ServerErrorPrefix(wrong.status()), "WRONGTYPE");
  EXPECT_TRUE(absl::StrContains(wrong.status().message(), "GET on 127.0.0.1:"))
      << wrong.status();
  auto unknown = client_->Execute("NOSUCHCOMMAND");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(ServerErrorPrefix(unknown.status()), "ERR");
}

TEST_P(ClientTest, ResponseCallbackReplacesExecuteResult) {
  client_->SetResponseCallback("ping", [](Reply reply) -> absl::StatusOr<Reply> {
    if (reply.str() != "PONG") return absl::InternalError("no pong");
    return absl::FailedPreconditionError("callback ran");
  });
  auto ping = client_->Execute("PING");
  EXPECT_EQ(ping.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ping.status().message(), "callback ran");
  client_->ClearResponseCallback("PING");
  EXPECT_TRUE(client_->Execute("PING").ok());
}

TEST_P(ClientTest, RetriesConnectionErrorsPerPolicy) {
  // The client talks through a proxy that refuses connections for a while.
  auto proxy = FaultProxy::Start("127.0.0.1", server_->port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  ClientOptions options = Options();
  options.connection.port = (*proxy)->port();
  options.connection.retry.retries = 50;
  options.connection.retry.backoff = Backoff::Constant(absl::Milliseconds(20));
  auto client = Client::Create(options);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Set("k", "before").ok());
  (*proxy)->CutAll();  // The pooled connection dies...
  ASSERT_TRUE((*proxy)->RefuseConnections().ok());  // ...and so do reconnects.
  std::thread healer([&] {
    absl::SleepFor(absl::Milliseconds(150));
    ASSERT_TRUE((*proxy)->Resume().ok());
  });
  auto value = (*client)->Get("k");
  healer.join();
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(value->value_or(""), "before");

  // Without retries the first connection error is returned at once.
  options.connection.retry.retries = 0;
  auto no_retry = Client::Create(options);
  ASSERT_TRUE(no_retry.ok());
  ASSERT_TRUE((*no_retry)->Get("k").ok());
  (*proxy)->CutAfterReplyBytes(0);  // The next reply never arrives.
  auto failed = (*no_retry)->Get("k");
  EXPECT_TRUE(IsConnectionError(failed.status())) << failed.status();
}

TEST_P(ClientTest, RetryCountIsExact) {
  ClientOptions options = Options();
  options.connection.retry.retries = 2;
  options.connection.retry.backoff = Backoff::Constant(absl::Milliseconds(1));
  auto client = Client::Create(options);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(server_->Kill().ok());
  int sleeps = 0;
  (*client)->set_retry_sleeper([&](absl::Duration) { ++sleeps; });
  auto failed = (*client)->Get("k");
  EXPECT_TRUE(IsConnectionError(failed.status()));
  EXPECT_EQ(sleeps, 2) << "1 attempt + 2 retries: two sleeps";
  EXPECT_EQ((*client)->pool().stats().created, 0);
  // Server errors are never retried.
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE((*client)->Execute("LPUSH", "list", "x").ok());
  sleeps = 0;
  EXPECT_FALSE((*client)->Get("list").ok());
  EXPECT_EQ(sleeps, 0);

  ASSERT_TRUE(server_->Restart().ok());
}

TEST_P(ClientTest, SingleConnectionKeepsState) {
  ClientOptions single_options = Options();
  single_options.single_connection = true;
  auto client = Client::Create(std::move(single_options));
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Execute("CLIENT", "SETNAME", "sticky").ok());
  auto name = (*client)->Execute("CLIENT", "GETNAME");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->str(), "sticky");
  // Its one connection is never lent out: a clear error, not a pool wait.
  auto lent = (*client)->AcquireConnection();
  EXPECT_EQ(lent.status().code(), absl::StatusCode::kFailedPrecondition);
}

// single_connection in a text config: connection state carries between
// commands, on the client's one connection.
TEST_P(ClientTest, SingleConnectionFromConfig) {
  ClientConfig config;
  config.mutable_connection()->set_host("127.0.0.1");
  config.mutable_connection()->set_port(server_->port());
  config.mutable_connection()->set_protocol(GetParam());
  config.set_single_connection(true);
  auto client = Client::Create(config);
  ASSERT_TRUE(client.ok()) << client.status();
  auto id = (*client)->Execute("CLIENT", "ID");
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE((*client)->Execute("CLIENT", "SETNAME", "from-config").ok());
  for (int i = 0; i < 3; ++i) {
    auto again = (*client)->Execute("CLIENT", "ID");
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->integer(), id->integer());
  }
  auto name = (*client)->Execute("CLIENT", "GETNAME");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->str(), "from-config");
  EXPECT_EQ((*client)->pool().stats().created, 1);
}

TEST_P(ClientTest, SingleConnectionReconnectsInAForkedChild) {
  ClientOptions single_options = Options();
  single_options.single_connection = true;
  auto client = Client::Create(std::move(single_options));
  ASSERT_TRUE(client.ok());
  auto parent_id = (*client)->Execute("CLIENT", "ID");
  ASSERT_TRUE(parent_id.ok()) << parent_id.status();
  // Exit codes: 0 ok, 1 a command failed, 2 the child spoke on the parent's
  // connection, 3 a reply was not the child's own.
  absl::StatusOr<int> code = RunInForkedChild([&]() {
    auto id = (*client)->Execute("CLIENT", "ID");
    if (!id.ok()) return 1;
    if (id->integer() == parent_id->integer()) return 2;
    for (int i = 0; i < 20; ++i) {
      const std::string value = absl::StrCat("child-", i);
      auto echo = (*client)->Execute("ECHO", value);
      if (!echo.ok()) return 1;
      if (echo->str() != value) return 3;
    }
    if (!(*client)->Set("from-child", "yes").ok()) return 1;
    // Its one connection stays its own: same id on the next command.
    auto again = (*client)->Execute("CLIENT", "ID");
    if (!again.ok()) return 1;
    return again->integer() == id->integer() ? 0 : 3;
  });
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
  // The parent's connection is untouched: same connection, own replies.
  auto id = (*client)->Execute("CLIENT", "ID");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->integer(), parent_id->integer());
  for (int i = 0; i < 20; ++i) {
    const std::string value = absl::StrCat("parent-", i);
    auto echo = (*client)->Execute("ECHO", value);
    ASSERT_TRUE(echo.ok()) << echo.status();
    EXPECT_EQ(echo->str(), value);
  }
  auto written = (*client)->Get("from-child");
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->value_or("<nil>"), "yes");
}

TEST_P(ClientTest, CloseOwnedPoolButNotAHandedOne) {
  client_->Close();
  EXPECT_TRUE(IsConnectionError(client_->Get("k").status()));
  // Even with unlimited retries, a closed client answers at once.
  ClientOptions forever = Options();
  forever.connection.retry.retries = Retry::kUnlimited;
  auto closed = Client::Create(forever);
  ASSERT_TRUE(closed.ok());
  int sleeps = 0;
  (*closed)->set_retry_sleeper([&](absl::Duration) { ++sleeps; });
  (*closed)->Close();
  EXPECT_TRUE(IsConnectionError((*closed)->Get("k").status()));
  EXPECT_EQ(sleeps, 0);

  auto pool = ConnectionPool::Create(Options().connection, PoolOptions());
  ASSERT_TRUE(pool.ok());
  std::shared_ptr<ConnectionPool> shared = *std::move(pool);
  {
    auto borrowed = Client::FromPool(shared);
    ASSERT_TRUE(borrowed->Set("k", "v").ok());
    borrowed->Close();
  }
  auto conn = shared->Acquire();
  ASSERT_TRUE(conn.ok()) << "the handed pool stays usable";
  EXPECT_TRUE((*conn)->Execute("PING").ok());
}

}  // namespace
}  // namespace valkey
