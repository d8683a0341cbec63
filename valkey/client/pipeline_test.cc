// Pipeline against a real valkey-server, over RESP2 and RESP3: typed slots
// for large mixed batches, per-command errors, raise_on_error, MULTI/EXEC
// (results, EXECABORT, errors inside EXEC), reuse, connection cleanliness,
// and a connection cut part-way through a batch.

#include "valkey/client/pipeline.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/fault_proxy.h"
#include "valkey/client/client.h"
#include "valkey/client/client_test_fixture.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

using ::valkey::testing::FaultProxy;
using ::valkey::testing::RespClientTest;
using ::valkey::testing::RespName;
using ::valkey::testing::RespProtocols;

class PipelineTest : public RespClientTest {
 protected:
  // One connection: a batch that left bytes behind, or a connection left
  // in MULTI, would show up in the next command.
  void AdjustOptions(ClientOptions& options) const override {
    options.pool.max_connections = 1;
  }

  std::unique_ptr<Client> MakeClient(int port, int retries = 0) {
    ClientOptions options = Options();
    options.connection.port = port;
    options.connection.retry.retries = retries;
    auto client = Client::Create(std::move(options));
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  // The pool's only connection is reused, answers in step, and was never
  // dropped for pending bytes.
  void ExpectConnectionClean(Client& client, int64_t created = 1) {
    auto echo = client.Execute("ECHO", "in-step");
    ASSERT_TRUE(echo.ok()) << echo.status();
    EXPECT_EQ(echo->str(), "in-step");
    const PoolStats stats = client.pool().stats();
    EXPECT_EQ(stats.created, created);
    EXPECT_EQ(stats.discarded, created - 1);
    EXPECT_EQ(stats.in_use, 0);
  }
};

INSTANTIATE_TEST_SUITE_P(Resp, PipelineTest, RespProtocols(), RespName);

TEST_P(PipelineTest, ThousandMixedCommandsWithTypedResults) {
  Pipeline pipe(*client_);
  std::vector<Slot<bool>> sets;
  std::vector<Slot<int64_t>> incrs;
  std::vector<Slot<std::optional<std::string>>> gets;
  std::vector<Slot<Reply>> echoes;
  std::vector<Slot<double>> floats;
  for (int i = 0; i < 200; ++i) {
    const std::string key = absl::StrCat("key:", i);
    sets.push_back(pipe.Set(key, absl::StrCat("value-", i)));
    incrs.push_back(pipe.Incr("counter"));
    gets.push_back(pipe.Get(key));
    echoes.push_back(pipe.Command("ECHO", absl::StrCat("echo-", i)));
    floats.push_back(pipe.IncrByFloat("float", 0.5));
  }
  Slot<std::optional<std::string>> missing = pipe.Get("no-such-key");
  EXPECT_EQ(pipe.size(), 1001u);
  // Nothing was sent yet.
  EXPECT_FALSE(client_->Get("key:0")->has_value());

  absl::StatusOr<PipelineResults> results = pipe.Execute();
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 1001u);
  EXPECT_TRUE(pipe.empty());
  EXPECT_TRUE(results->FirstError().ok());
  for (int i = 0; i < 200; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(results->Get(sets[i]).value_or(false), true);
    EXPECT_EQ(results->Get(incrs[i]).value_or(-1), i + 1);
    absl::StatusOr<std::optional<std::string>> got = results->Get(gets[i]);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->value_or("<nil>"), absl::StrCat("value-", i));
    absl::StatusOr<Reply> echo = results->Get(echoes[i]);
    ASSERT_TRUE(echo.ok()) << echo.status();
    EXPECT_EQ(echo->str(), absl::StrCat("echo-", i));
    EXPECT_DOUBLE_EQ(results->Get(floats[i]).value_or(-1), 0.5 * (i + 1));
    EXPECT_EQ(gets[i].index(), static_cast<size_t>(5 * i + 2));
  }
  absl::StatusOr<std::optional<std::string>> none = results->Get(missing);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  // The untyped view of one reply.
  absl::StatusOr<ReplyView> raw = results->reply(echoes[3].index());
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->str(), "echo-3");
  EXPECT_EQ(results->status(5000).code(), absl::StatusCode::kOutOfRange);
  ExpectConnectionClean(*client_);
}

TEST_P(PipelineTest, ServerErrorIsAValueOfItsCommand) {
  ASSERT_TRUE(client_->Execute("RPUSH", "list", "x").ok());
  Pipeline pipe(*client_);
  Slot<bool> set = pipe.Set("a", "1");
  Slot<Reply> push = pipe.Command("RPUSH", "list", "y");
  Slot<std::optional<std::string>> get = pipe.Get("a");
  Slot<int64_t> bad = pipe.Incr("list");  // WRONGTYPE
  Slot<int64_t> good = pipe.Incr("a");
  absl::StatusOr<PipelineResults> results = pipe.Execute();
  ASSERT_TRUE(results.ok()) << results.status();

  EXPECT_TRUE(results->Get(set).value_or(false));
  EXPECT_EQ(results->Get(push)->integer(), 2);
  EXPECT_EQ(results->Get(get)->value_or(""), "1");
  EXPECT_EQ(results->Get(good).value_or(0), 2);

  absl::StatusOr<int64_t> error = results->Get(bad);
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(GetErrorKind(error.status()), ErrorKind::kWrongType);
  EXPECT_EQ(ServerErrorPrefix(error.status()), "WRONGTYPE");
  EXPECT_TRUE(absl::StartsWith(error.status().message(), "command 3 (INCR) on "))
      << error.status();
  EXPECT_TRUE(absl::StrContains(error.status().message(), "WRONGTYPE"));
  EXPECT_EQ(results->status(3), error.status());
  EXPECT_EQ(results->FirstError(), error.status());
  EXPECT_TRUE(results->status(4).ok());
  ExpectConnectionClean(*client_);
}

TEST_P(PipelineTest, RaiseOnErrorReturnsTheFirstCommandError) {
  ASSERT_TRUE(client_->Execute("RPUSH", "list", "x").ok());
  Pipeline pipe(*client_, {.raise_on_error = true});
  pipe.Set("a", "1");
  pipe.Command("LLEN", "list");
  pipe.Get("a");
  pipe.Incr("list");                  // WRONGTYPE, reported
  pipe.Command("HSET", "list", "f", "v");  // WRONGTYPE too, later
  pipe.Incr("a");
  absl::StatusOr<PipelineResults> results = pipe.Execute();
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(GetErrorKind(results.status()), ErrorKind::kWrongType);
  EXPECT_TRUE(absl::StartsWith(results.status().message(), "command 3 (INCR)"))
      << results.status();
  // The other commands ran.
  EXPECT_EQ(client_->Get("a")->value_or(""), "2");
  EXPECT_TRUE(pipe.empty());
  ExpectConnectionClean(*client_);
}

TEST_P(PipelineTest, ClientSideRejectionMarksOnlyItsSlot) {
  Pipeline pipe(*client_);
  Slot<bool> before = pipe.Set("a", "1");
  Slot<bool> rejected = pipe.Set("b", "2", {.ttl = absl::Seconds(-1)});
  Slot<int64_t> no_elements = pipe.LPush("l", {});
  Slot<Reply> empty = pipe.CommandArgs({});
  Slot<bool> after = pipe.Set("c", "3");
  absl::StatusOr<PipelineResults> results = pipe.Execute();
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_TRUE(results->Get(before).value_or(false));
  EXPECT_TRUE(results->Get(after).value_or(false));
  for (const absl::Status& s :
       {results->Get(rejected).status(), results->Get(no_elements).status(),
        results->Get(empty).status()}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  }
  EXPECT_TRUE(absl::StartsWith(results->Get(rejected).status().message(),
                               "command 1: SET"))
      << results->Get(rejected).status();
  EXPECT_FALSE(client_->Get("b")->has_value());
  EXPECT_EQ(client_->Get("c")->value_or(""), "3");
  ExpectConnectionClean(*client_);
}

TEST_P(PipelineTest, EmptyPipelineAndReuse) {
  Pipeline pipe(*client_);
  absl::StatusOr<PipelineResults> empty = pipe.Execute();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(client_->pool().stats().created, 0);  // No round trip.

  Slot<int64_t> first = pipe.Incr("n");
  absl::StatusOr<PipelineResults> one = pipe.Execute();
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->Get(first).value_or(0), 1);

  Slot<int64_t> dropped = pipe.Incr("n");
  pipe.Reset();
  EXPECT_TRUE(pipe.empty());
  Slot<int64_t> second = pipe.IncrBy("n", 10);
  absl::StatusOr<PipelineResults> two = pipe.Execute();
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(two->Get(second).value_or(0), 11);  // The dropped INCR never ran.
  // Slots of other batches (and empty slots) are refused, not misread.
  EXPECT_EQ(two->Get(first).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(two->Get(dropped).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(two->Get(Slot<int64_t>()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // Earlier results stay readable.
  EXPECT_EQ(one->Get(first).value_or(0), 1);
  ExpectConnectionClean(*client_);
}

TEST_P(PipelineTest, BlockingCommandWaitsPastTheSocketTimeout) {
  ClientOptions options;
  options.connection.host = "127.0.0.1";
  options.connection.port = server_->port();
  options.connection.protocol = GetParam();
  options.connection.socket_timeout = absl::Milliseconds(200);
  auto client = Client::Create(std::move(options));
  ASSERT_TRUE(client.ok()) << client.status();
  Pipeline pipe(**client);
  auto pop = pipe.BLPop({"empty-list"}, absl::Milliseconds(500));
  Slot<Reply> ping = pipe.Command("PING");
  absl::StatusOr<PipelineResults> results = pipe.Execute();
  ASSERT_TRUE(results.ok()) << results.status();
  auto popped = results->Get(pop);
  ASSERT_TRUE(popped.ok()) << popped.status();
  EXPECT_FALSE(popped->has_value());
  EXPECT_EQ(results->Get(ping)->str(), "PONG");
}

TEST_P(PipelineTest, TransactionResults) {
  Pipeline tx(*client_, {.transaction = true});
  Slot<bool> set = tx.Set("a", "10");
  Slot<int64_t> incr = tx.IncrBy("a", 5);
  Slot<std::optional<std::string>> get = tx.Get("a");
  Slot<Reply> raw = tx.Command("LRANGE", "nothing", 0, -1);
  absl::StatusOr<PipelineResults> results = tx.Execute();
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 4u);
  EXPECT_TRUE(results->Get(set).value_or(false));
  EXPECT_EQ(results->Get(incr).value_or(0), 15);
  EXPECT_EQ(results->Get(get)->value_or(""), "15");
  absl::StatusOr<Reply> range = results->Get(raw);
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(range->type(), ReplyType::kArray);
  EXPECT_EQ(range->size(), 0u);
  ExpectConnectionClean(*client_);

  // Results outlive a move (views point into EXEC's reply).
  PipelineResults moved = *std::move(results);
  EXPECT_EQ(moved.Get(incr).value_or(0), 15);
}

TEST_P(PipelineTest, TransactionExecAbortFailsTheWholeBatch) {
  Pipeline tx(*client_, {.transaction = true});
  tx.Set("k", "v");
  tx.Command("SET", "onlyonearg");
  tx.Incr("n");
  absl::StatusOr<PipelineResults> results = tx.Execute();
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(GetErrorKind(results.status()), ErrorKind::kExecAbort);
  EXPECT_EQ(ServerErrorPrefix(results.status()), "EXECABORT");
  EXPECT_TRUE(absl::StartsWith(results.status().message(), "command 1 (SET)"))
      << results.status();
  EXPECT_TRUE(absl::StrContains(results.status().message(),
                                "wrong number of arguments"))
      << results.status();
  EXPECT_TRUE(absl::StrContains(results.status().message(), "EXECABORT"));
  // Nothing was applied; the connection is out of MULTI and in step.
  EXPECT_FALSE(client_->Get("k")->has_value());
  EXPECT_FALSE(client_->Get("n")->has_value());
  EXPECT_TRUE(tx.empty());
  ExpectConnectionClean(*client_);
}

TEST_P(PipelineTest, TransactionErrorInsideExecIsPerCommand) {
  ASSERT_TRUE(client_->Execute("RPUSH", "list", "x").ok());
  Pipeline tx(*client_, {.transaction = true});
  Slot<int64_t> before = tx.Incr("n");
  Slot<int64_t> bad = tx.Incr("list");
  Slot<int64_t> after = tx.Incr("n");
  absl::StatusOr<PipelineResults> results = tx.Execute();
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(results->Get(before).value_or(0), 1);
  EXPECT_EQ(results->Get(after).value_or(0), 2);
  absl::Status error = results->Get(bad).status();
  EXPECT_EQ(GetErrorKind(error), ErrorKind::kWrongType) << error;
  EXPECT_TRUE(absl::StartsWith(error.message(), "command 1 (INCR)")) << error;
  ExpectConnectionClean(*client_);

  Pipeline raising(*client_, {.transaction = true, .raise_on_error = true});
  raising.Incr("n");
  raising.Incr("list");
  absl::StatusOr<PipelineResults> raised = raising.Execute();
  EXPECT_EQ(GetErrorKind(raised.status()), ErrorKind::kWrongType);
  EXPECT_EQ(client_->Get("n")->value_or(""), "3");  // EXEC ran.
}

TEST_P(PipelineTest, TransactionWithRejectedArgumentSendsNothing) {
  Pipeline tx(*client_, {.transaction = true});
  tx.Set("a", "1");
  tx.Set("b", "2", {.ttl = absl::ZeroDuration()});
  absl::StatusOr<PipelineResults> results = tx.Execute();
  EXPECT_EQ(results.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(results.status().message(), "command 1"))
      << results.status();
  EXPECT_FALSE(client_->Get("a")->has_value());
  EXPECT_TRUE(tx.empty());
}

TEST_P(PipelineTest, ConnectionCutMidBatchFailsAndThePoolRecovers) {
  auto proxy = FaultProxy::Start("127.0.0.1", server_->port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  std::unique_ptr<Client> client = MakeClient((*proxy)->port());
  ASSERT_NE(client, nullptr);
  const std::string value(100, 'v');
  ASSERT_TRUE(client->Set("big", value).ok());

  Pipeline pipe(*client);
  for (int i = 0; i < 100; ++i) pipe.Get("big");
  (*proxy)->CutAfterReplyBytes(1000);  // A few replies, then the cut.
  absl::StatusOr<PipelineResults> results = pipe.Execute();
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.status().code(), absl::StatusCode::kUnavailable)
      << results.status();
  EXPECT_TRUE(IsConnectionError(results.status()));
  EXPECT_TRUE(absl::StrContains(results.status().message(), "pipeline of 100"))
      << results.status();
  EXPECT_TRUE(pipe.empty());
  EXPECT_EQ(client->pool().stats().in_use, 0);

  // The broken connection was dropped; the next batch gets a fresh one.
  Slot<std::optional<std::string>> get = pipe.Get("big");
  absl::StatusOr<PipelineResults> again = pipe.Execute();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->Get(get)->value_or(""), value);
  ExpectConnectionClean(*client, /*created=*/2);

  // Same for a transaction cut between QUEUED and EXEC's reply.
  Pipeline tx(*client, {.transaction = true});
  for (int i = 0; i < 10; ++i) tx.Incr("counter");
  (*proxy)->CutAfterReplyBytes(5 + 9 * 5);  // +OK and five +QUEUED.
  absl::StatusOr<PipelineResults> cut = tx.Execute();
  EXPECT_EQ(cut.status().code(), absl::StatusCode::kUnavailable)
      << cut.status();
  ExpectConnectionClean(*client, /*created=*/3);
}

TEST_P(PipelineTest, ConnectFailureIsRetriedBeforeAnythingIsSent) {
  auto proxy = FaultProxy::Start("127.0.0.1", server_->port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  std::unique_ptr<Client> client = MakeClient((*proxy)->port(), /*retries=*/2);
  ASSERT_NE(client, nullptr);
  int sleeps = 0;
  client->set_retry_sleeper([&](absl::Duration) {
    ++sleeps;
    ASSERT_TRUE((*proxy)->Resume().ok());
  });
  ASSERT_TRUE((*proxy)->RefuseConnections().ok());
  Pipeline pipe(*client);
  Slot<int64_t> n = pipe.Incr("n");
  absl::StatusOr<PipelineResults> results = pipe.Execute();
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(results->Get(n).value_or(0), 1);
  EXPECT_EQ(sleeps, 1);
}

}  // namespace
}  // namespace valkey
