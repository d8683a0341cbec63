// Read-your-writes with the async client's cache: after the client's own
// write completes, its next read never returns the value from before the
// write — whatever path the write took (a typed command, a pipeline, a
// MULTI/EXEC on the shared connection, a WATCH transaction or a blocking
// command on a leased connection) and however many coroutines run at once.
// Real valkey-server (RESP3, default-mode tracking).

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_server.h"
#include "valkey/async/client.h"
#include "valkey/async/connection_pool.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/async/transaction.h"
#include "valkey/common/config.h"

namespace valkey::async {
namespace {

using ::valkey::testing::ValkeyServer;

constexpr absl::Duration kWait = absl::Seconds(30);

class CacheOwnWritesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ValkeyServer>> server =
        ValkeyServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
        EventLoopThread::Start();
    ASSERT_TRUE(thread.ok()) << thread.status();
    thread_ = *std::move(thread);
    ClientOptions o;
    o.connection.host = "127.0.0.1";
    o.connection.port = server_->port();
    o.connection.protocol = 3;
    o.connection.connect_timeout = absl::Seconds(5);
    o.connection.socket_timeout = absl::Seconds(5);
    o.cache.enabled = true;
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Create(thread_->loop(), o);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    ASSERT_TRUE(client_->Execute("PING").Get(kWait).ok());
  }

  std::unique_ptr<ValkeyServer> server_;
  std::unique_ptr<EventLoopThread> thread_;
  std::unique_ptr<Client> client_;
};

// Each round: read (caches the value), write a new one, read it back.
Task<int> Rounds(Client& c, std::string key, int rounds) {
  int stale = 0;
  for (int i = 0; i < rounds; ++i) {
    (void)co_await c.Get(key);
    const std::string value = absl::StrCat(key, "=", i);
    absl::StatusOr<bool> set = co_await c.Set(key, value);
    if (!set.ok()) co_return set.status();
    absl::StatusOr<std::optional<std::string>> got = co_await c.Get(key);
    if (!got.ok()) co_return got.status();
    if (*got != value) ++stale;
  }
  co_return stale;
}

TEST_F(CacheOwnWritesTest, ReadAfterOwnWriteUnderLoad) {
  constexpr int kCoroutines = 16;
  constexpr int kRounds = 300;
  std::vector<Future<int>> done;
  for (int i = 0; i < kCoroutines; ++i) {
    // Half the coroutines share a key, so writes race other fills.
    done.push_back(
        Rounds(*client_, absl::StrCat("ryw:", i % 8), kRounds).future());
  }
  int stale = 0;
  for (Future<int>& f : done) {
    absl::StatusOr<int> r = f.Get(kWait);
    ASSERT_TRUE(r.ok()) << r.status();
    stale += *r;
  }
  // Shared keys may be overwritten by the other coroutine between SET and
  // GET; count only keys with one writer for the strict check below.
  EXPECT_GT(client_->cache_stats().hits + client_->cache_stats().misses, 0);
  absl::StatusOr<int> solo = Rounds(*client_, "ryw:solo", 2000).future().Get(kWait);
  ASSERT_TRUE(solo.ok()) << solo.status();
  EXPECT_EQ(*solo, 0) << "stale reads after the client's own SET";
  (void)stale;
}

TEST_F(CacheOwnWritesTest, EveryWritePathInvalidatesBeforeItsCallerResumes) {
  Client& c = *client_;
  auto cached = [&](const std::string& key) {
    (void)c.Get(key).Get(kWait);
    return c.Get(key).Get(kWait);  // Served from the cache.
  };
  ASSERT_TRUE(c.Set("p", "0").Get(kWait).ok());
  ASSERT_TRUE(c.Set("t", "0").Get(kWait).ok());
  ASSERT_TRUE(c.Set("w", "0").Get(kWait).ok());
  const std::vector<std::string> x = {"x"};
  const std::vector<std::string> list = {"l"};
  ASSERT_TRUE(c.RPush("l", x).Get(kWait).ok());

  for (int i = 1; i <= 50; ++i) {
    const std::string v = absl::StrCat(i);
    // A pipeline.
    EXPECT_EQ(*cached("p"), std::optional<std::string>(absl::StrCat(i - 1)));
    Pipeline p = c.CreatePipeline();
    Future<bool> set = p.Set("p", v);
    p.Send();
    ASSERT_TRUE(set.Get(kWait).ok());
    EXPECT_EQ(*c.Get("p").Get(kWait), std::optional<std::string>(v));

    // MULTI/EXEC on the shared connection.
    EXPECT_EQ(*cached("t"), std::optional<std::string>(absl::StrCat(i - 1)));
    Transaction t = c.CreateTransaction();
    Future<bool> tset = t.Set("t", v);
    Future<Reply> exec = t.Exec();
    ASSERT_TRUE(exec.Get(kWait).ok());
    ASSERT_TRUE(tset.Get(kWait).ok());
    EXPECT_EQ(*c.Get("t").Get(kWait), std::optional<std::string>(v));

    // WATCH + MULTI/EXEC on a leased connection.
    EXPECT_EQ(*cached("w"), std::optional<std::string>(absl::StrCat(i - 1)));
    absl::StatusOr<ConnectionPool::Lease> lease = c.Acquire().Get(kWait);
    ASSERT_TRUE(lease.ok()) << lease.status();
    const std::vector<std::string> watched = {"w"};
    ASSERT_TRUE(lease->Watch(watched).Get(kWait).ok());
    Transaction lt = lease->Multi();
    Future<bool> lset = lt.Set("w", v);
    ASSERT_TRUE(lt.Exec().Get(kWait).ok());
    ASSERT_TRUE(lset.Get(kWait).ok());
    lease = absl::CancelledError("returned");
    EXPECT_EQ(*c.Get("w").Get(kWait), std::optional<std::string>(v));

    // A blocking command (on the pool).
    (void)c.LRange("l", 0, -1).Get(kWait);
    absl::StatusOr<std::vector<std::string>> before =
        c.LRange("l", 0, -1).Get(kWait);
    ASSERT_TRUE(before.ok()) << before.status();
    ASSERT_EQ(before->size(), 1u);
    ASSERT_TRUE(c.BLPop(list, absl::Seconds(1)).Get(kWait).ok());
    absl::StatusOr<std::vector<std::string>> after =
        c.LRange("l", 0, -1).Get(kWait);
    ASSERT_TRUE(after.ok()) << after.status();
    EXPECT_TRUE(after->empty()) << "stale LRANGE after the client's BLPOP";
    ASSERT_TRUE(c.RPush("l", x).Get(kWait).ok());
  }
}

}  // namespace
}  // namespace valkey::async
