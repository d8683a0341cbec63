// RunWatchTransaction against a real valkey-server: concurrent optimistic
// increments reach the exact total under interfering writes; a run whose
// key is changed every time gives up after max_tries with the blocking
// Transaction()'s status; fn's own error comes back as is and leaves no
// watched key behind; an empty run sends no EXEC; a bad max_tries is
// refused.

#include "valkey/async/watch_transaction.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_server.h"
#include "valkey/async/client.h"
#include "valkey/async/event_loop.h"
#include "valkey/common/errors.h"

namespace valkey::async {
namespace {

constexpr absl::Duration kWait = absl::Seconds(20);

class WatchTransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::ValkeyServer>> server =
        testing::ValkeyServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
        EventLoopThread::Start();
    ASSERT_TRUE(thread.ok()) << thread.status();
    thread_ = *std::move(thread);
    ClientOptions o;
    o.connection.host = "127.0.0.1";
    o.connection.port = server_->port();
    o.connection.socket_timeout = absl::Seconds(5);
    o.pool.max_connections = 8;
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Create(thread_->loop(), o);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  // fn for "balance += 1": reads through the lease, queues the SET.
  static WatchTransactionFn Increment(std::atomic<int>* runs) {
    return [runs](ConnectionPool::Lease& lease, Transaction& tx) -> Task<void> {
      runs->fetch_add(1);
      absl::StatusOr<std::optional<std::string>> v =
          co_await lease.Get("balance");
      if (!v.ok()) co_return v.status();
      int64_t n = 0;
      if (v->has_value() && !absl::SimpleAtoi(**v, &n)) {
        co_return absl::FailedPreconditionError("balance is not a number");
      }
      (void)tx.Set("balance", absl::StrCat(n + 1));
      co_return absl::OkStatus();
    };
  }

  std::unique_ptr<testing::ValkeyServer> server_;
  std::unique_ptr<EventLoopThread> thread_;
  std::unique_ptr<Client> client_;
};

TEST_F(WatchTransactionTest, ConcurrentIncrementsReachTheExactTotal) {
  ASSERT_TRUE(client_->Set("balance", "0").Get(kWait).ok());
  constexpr int kWorkers = 4;
  constexpr int kEach = 25;
  constexpr int kPlain = 200;
  std::atomic<int> runs{0};
  std::atomic<int> errors{0};
  // Plain INCRs of the watched key meanwhile: the conflicts.
  std::thread interferer([&] {
    for (int i = 0; i < kPlain; ++i) {
      if (!client_->Incr("balance").Get(kWait).ok()) ++errors;
    }
  });
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        absl::StatusOr<Reply> done =
            RunWatchTransaction(*client_, {"balance"}, Increment(&runs))
                .Get(kWait);
        if (!done.ok() || done->view().size() != 1) ++errors;
      }
    });
  }
  interferer.join();
  for (std::thread& t : workers) t.join();
  EXPECT_EQ(errors.load(), 0);
  absl::StatusOr<std::optional<std::string>> total =
      client_->Get("balance").Get(kWait);
  ASSERT_TRUE(total.ok()) << total.status();
  EXPECT_EQ(*total, std::optional<std::string>(
                        absl::StrCat(kWorkers * kEach + kPlain)));
  EXPECT_GE(runs.load(), kWorkers * kEach);
}

TEST_F(WatchTransactionTest, GivesUpAfterMaxTriesLikeTheBlockingOne) {
  ASSERT_TRUE(client_->Set("balance", "0").Get(kWait).ok());
  std::atomic<int> runs{0};
  Client* other = client_.get();
  // Every run changes the watched key behind its own back (on the shared
  // connection, not the lease), so every EXEC is refused.
  WatchTransactionFn always_conflicts =
      [&runs, other](ConnectionPool::Lease& lease,
                     Transaction& tx) -> Task<void> {
    runs.fetch_add(1);
    (void)co_await lease.Get("balance");
    absl::StatusOr<int64_t> bumped = co_await other->Incr("balance");
    if (!bumped.ok()) co_return bumped.status();
    (void)tx.Set("balance", "lost");
    co_return absl::OkStatus();
  };
  absl::StatusOr<Reply> done =
      RunWatchTransaction(*client_, {"balance"}, always_conflicts,
                          {.max_tries = 3,
                           .retry_delay = absl::Milliseconds(1)})
          .Get(kWait);
  EXPECT_TRUE(IsWatchError(done.status())) << done.status();
  EXPECT_EQ(done.status().code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(absl::StrContains(done.status().message(),
                                "transaction gave up after 3 tries"))
      << done.status();
  EXPECT_EQ(runs.load(), 3);
  absl::StatusOr<std::optional<std::string>> v =
      client_->Get("balance").Get(kWait);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, std::optional<std::string>("3"));  // No SET got through.

  absl::StatusOr<Reply> bad =
      RunWatchTransaction(*client_, {"balance"}, always_conflicts,
                          {.max_tries = -1})
          .Get(kWait);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "max_tries"))
      << bad.status();
}

TEST_F(WatchTransactionTest, FnErrorAndEmptyRunSendNoExecAndUnwatch) {
  ASSERT_TRUE(client_->Set("balance", "5").Get(kWait).ok());
  ASSERT_TRUE(client_->Execute("CONFIG", "RESETSTAT").Get(kWait).ok());
  Future<bool> queued;
  absl::StatusOr<Reply> failed =
      RunWatchTransaction(
          *client_, {"balance"},
          [&queued](ConnectionPool::Lease&, Transaction& tx) -> Task<void> {
            queued = tx.Set("balance", "never");
            co_return absl::FailedPreconditionError("fn says no");
          })
          .Get(kWait);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(failed.status().message(), "fn says no");
  // What fn queued was never sent.
  EXPECT_EQ(queued.Get(kWait).status().code(), absl::StatusCode::kCancelled);

  absl::StatusOr<Reply> empty =
      RunWatchTransaction(
          *client_, {"balance"},
          [](ConnectionPool::Lease&, Transaction&) -> Task<void> {
            co_return absl::OkStatus();
          })
          .Get(kWait);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->view().is_null());

  absl::StatusOr<Reply> stats =
      client_->Execute("INFO", "commandstats").Get(kWait);
  ASSERT_TRUE(stats.ok()) << stats.status();
  const std::string text(stats->view().str());
  EXPECT_FALSE(absl::StrContains(text, "cmdstat_exec:")) << text;
  EXPECT_FALSE(absl::StrContains(text, "cmdstat_multi:")) << text;
  EXPECT_TRUE(absl::StrContains(text, "cmdstat_unwatch:calls=2,")) << text;
  absl::StatusOr<std::optional<std::string>> v =
      client_->Get("balance").Get(kWait);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, std::optional<std::string>("5"));
}

}  // namespace
}  // namespace valkey::async
