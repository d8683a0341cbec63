// Transaction() against a real valkey-server, over RESP2 and RESP3: reads
// through the watched connection, writes through MULTI/EXEC, retries on a
// watch conflict caused by a second client, max_tries, early exits, and the
// connection handed back clean (no watched keys, no pending bytes).

#include "valkey/client/transaction.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/client/client.h"
#include "valkey/client/client_test_fixture.h"
#include "valkey/client/pipeline.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

using ::valkey::testing::RespClientTest;
using ::valkey::testing::RespName;
using ::valkey::testing::RespProtocols;

class TransactionTest : public RespClientTest {
 protected:
  void SetUp() override {
    RespClientTest::SetUp();
    if (HasFatalFailure()) return;
    other_ = MakeClient();
    ASSERT_NE(other_, nullptr);
  }

  // One connection, so whatever a transaction leaves on it (watched keys,
  // MULTI, pending bytes) is seen by the next user.
  void AdjustOptions(ClientOptions& options) const override {
    options.pool.max_connections = 1;
  }

  std::unique_ptr<Client> MakeClient() {
    auto client = Client::Create(Options());
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  // Adds `by` to the number at `key` in a watched transaction; `between`
  // runs after the read, before EXEC, on each try.
  absl::StatusOr<PipelineResults> AddTo(
      const std::string& key, int64_t by, int max_tries,
      const std::function<void(int attempt)>& between, Slot<bool>* set) {
    return Transaction(
        *client_,
        [&](TransactionContext& tx) -> absl::Status {
          absl::StatusOr<std::optional<std::string>> current = tx.Get(key);
          if (!current.ok()) return current.status();
          int64_t value = 0;
          if (current->has_value() && !absl::SimpleAtoi(**current, &value)) {
            return absl::FailedPreconditionError("not a number");
          }
          between(tx.attempt());
          *set = tx.multi().Set(key, absl::StrCat(value + by));
          return absl::OkStatus();
        },
        {key}, max_tries);
  }

  // The connection carries no watch: a MULTI/EXEC after a concurrent write
  // to `key` still runs. It is also in step and was never dropped.
  void ExpectConnectionClean(const std::string& key) {
    ASSERT_TRUE(other_->Set(key, "changed-later").ok());
    Pipeline tx(*client_, {.transaction = true});
    Slot<Reply> echo = tx.Command("ECHO", "clean");
    absl::StatusOr<PipelineResults> results = tx.Execute();
    ASSERT_TRUE(results.ok()) << results.status();
    EXPECT_EQ(results->Get(echo)->str(), "clean");
    const PoolStats stats = client_->pool().stats();
    EXPECT_EQ(stats.created, 1);
    EXPECT_EQ(stats.discarded, 0);
    EXPECT_EQ(stats.in_use, 0);
  }

  std::unique_ptr<Client> other_;
};

INSTANTIATE_TEST_SUITE_P(Resp, TransactionTest, RespProtocols(), RespName);

TEST_P(TransactionTest, ReadsThenWritesAtomically) {
  ASSERT_TRUE(client_->Set("balance", "100").ok());
  Slot<bool> set;
  Slot<int64_t> count;
  absl::StatusOr<PipelineResults> results = Transaction(
      *client_,
      [&](TransactionContext& tx) -> absl::Status {
        absl::StatusOr<Reply> raw = tx.Execute("GET", "balance");
        if (!raw.ok()) return raw.status();
        EXPECT_EQ(raw->str(), "100");
        set = tx.multi().Set("balance", "110");
        count = tx.multi().Incr("updates");
        return absl::OkStatus();
      },
      {"balance"});
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_TRUE(results->Get(set).value_or(false));
  EXPECT_EQ(results->Get(count).value_or(0), 1);
  EXPECT_EQ(client_->Get("balance")->value_or(""), "110");
  ExpectConnectionClean("balance");
}

TEST_P(TransactionTest, WatchConflictIsRetried) {
  ASSERT_TRUE(client_->Set("n", "1").ok());
  int runs = 0;
  Slot<bool> set;
  absl::StatusOr<PipelineResults> results = AddTo(
      "n", 10, /*max_tries=*/3,
      [&](int attempt) {
        ++runs;
        EXPECT_EQ(attempt, runs);
        // Someone else writes the watched key, on the first try only.
        if (attempt == 1) {
          ASSERT_TRUE(other_->Set("n", "5").ok());
        }
      },
      &set);
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(runs, 2);
  EXPECT_TRUE(results->Get(set).value_or(false));
  // The second run read the other client's value.
  EXPECT_EQ(client_->Get("n")->value_or(""), "15");
  ExpectConnectionClean("n");
}

TEST_P(TransactionTest, GivesUpAfterMaxTries) {
  ASSERT_TRUE(client_->Set("n", "1").ok());
  int runs = 0;
  Slot<bool> set;
  absl::StatusOr<PipelineResults> results = AddTo(
      "n", 10, /*max_tries=*/1,
      [&](int) {
        ++runs;
        ASSERT_TRUE(other_->Set("n", "5").ok());
      },
      &set);
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(GetErrorKind(results.status()), ErrorKind::kWatch);
  EXPECT_TRUE(IsWatchError(results.status()));
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(client_->Get("n")->value_or(""), "5");  // Nothing applied.
  ExpectConnectionClean("n");

  // Conflicting every time: max_tries runs in all.
  ASSERT_TRUE(client_->Set("n", "1").ok());
  runs = 0;
  results = AddTo(
      "n", 10, /*max_tries=*/3,
      [&](int) {
        ++runs;
        ASSERT_TRUE(other_->Execute("INCR", "n").ok());
      },
      &set);
  EXPECT_TRUE(IsWatchError(results.status())) << results.status();
  EXPECT_TRUE(absl::StrContains(results.status().message(), "3 tries"))
      << results.status();
  EXPECT_EQ(runs, 3);
}

TEST_P(TransactionTest, CallbackErrorUnwatchesAndIsReturned) {
  ASSERT_TRUE(client_->Set("n", "not-a-number").ok());
  Slot<bool> set;
  absl::StatusOr<PipelineResults> results =
      AddTo("n", 1, /*max_tries=*/0, [](int) {}, &set);
  EXPECT_EQ(results.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(results.status().message(), "not a number");
  EXPECT_EQ(client_->Get("n")->value_or(""), "not-a-number");
  ExpectConnectionClean("n");
}

TEST_P(TransactionTest, ImmediateServerErrorReachesTheCallback) {
  ASSERT_TRUE(client_->Execute("RPUSH", "list", "x").ok());
  absl::StatusOr<PipelineResults> results = Transaction(
      *client_,
      [&](TransactionContext& tx) -> absl::Status {
        absl::StatusOr<std::optional<std::string>> v = tx.Get("list");
        EXPECT_EQ(GetErrorKind(v.status()), ErrorKind::kWrongType);
        tx.multi().Incr("x");  // Queued but never sent.
        return v.status();
      },
      {"list"});
  EXPECT_EQ(GetErrorKind(results.status()), ErrorKind::kWrongType);
  EXPECT_TRUE(absl::StartsWith(results.status().message(), "GET on "))
      << results.status();
  EXPECT_FALSE(client_->Get("x")->has_value());
  ExpectConnectionClean("list");
}

TEST_P(TransactionTest, NothingQueuedSendsNoExec) {
  absl::StatusOr<PipelineResults> results = Transaction(
      *client_,
      [&](TransactionContext& tx) -> absl::Status {
        return tx.Get("k").status();
      },
      {"k"});
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_TRUE(results->empty());
  ExpectConnectionClean("k");
}

TEST_P(TransactionTest, ExecAbortIsReturnedAndTheConnectionStaysClean) {
  absl::StatusOr<PipelineResults> results = Transaction(
      *client_,
      [&](TransactionContext& tx) -> absl::Status {
        tx.multi().Set("k", "v");
        tx.multi().Command("SET", "onlyonearg");
        return absl::OkStatus();
      },
      {"k"});
  EXPECT_EQ(GetErrorKind(results.status()), ErrorKind::kExecAbort);
  EXPECT_TRUE(absl::StartsWith(results.status().message(), "command 1 (SET)"))
      << results.status();
  EXPECT_FALSE(client_->Get("k")->has_value());
  ExpectConnectionClean("k");
}

TEST_P(TransactionTest, WrongTypeInsideExecIsPerCommand) {
  ASSERT_TRUE(client_->Execute("RPUSH", "list", "x").ok());
  Slot<int64_t> bad;
  Slot<int64_t> good;
  absl::StatusOr<PipelineResults> results = Transaction(
      *client_,
      [&](TransactionContext& tx) -> absl::Status {
        bad = tx.multi().Incr("list");
        good = tx.multi().Incr("n");
        return absl::OkStatus();
      },
      {"list", "n"});
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(GetErrorKind(results->Get(bad).status()), ErrorKind::kWrongType);
  EXPECT_EQ(results->Get(good).value_or(0), 1);
  ExpectConnectionClean("n");
}

TEST_P(TransactionTest, MisuseIsRefused) {
  EXPECT_EQ(Transaction(
                *client_, [](TransactionContext&) { return absl::OkStatus(); },
                {"k"}, -1)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status inner;
  absl::StatusOr<PipelineResults> results = Transaction(
      *client_,
      [&](TransactionContext& tx) -> absl::Status {
        tx.multi().Incr("n");
        inner = tx.multi().Execute().status();
        return absl::OkStatus();
      },
      {});
  EXPECT_EQ(inner.code(), absl::StatusCode::kFailedPrecondition) << inner;
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(client_->Get("n")->value_or(""), "1");  // Queued INCR still ran.
  ExpectConnectionClean("n");
}

}  // namespace
}  // namespace valkey
