// ConnectionPool and BlockingConnectionPool against a real valkey-server,
// with the fault proxy for dead peers.

#include "valkey/connection/connection_pool.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "testing/fault_proxy.h"
#include "testing/valkey_server.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

using ::valkey::testing::FaultProxy;
using ::valkey::testing::ValkeyServer;

class PoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ValkeyServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  ConnectionOptions Options(int port = 0) const {
    ConnectionOptions options;
    options.host = "127.0.0.1";
    options.port = port == 0 ? server_->port() : port;
    options.connect_timeout = absl::Seconds(2);
    options.socket_timeout = absl::Seconds(2);
    return options;
  }

  static PoolOptions Pool(int max, bool blocking,
                          absl::Duration wait = absl::Seconds(5)) {
    PoolOptions pool;
    pool.max_connections = max;
    pool.blocking = blocking;
    pool.wait_timeout = wait;
    return pool;
  }

  std::unique_ptr<ValkeyServer> server_;
};

// The server-side id of a checked-out connection.
int64_t ClientId(Connection& connection) {
  auto id = connection.Execute("CLIENT", "ID");
  EXPECT_TRUE(id.ok()) << id.status();
  return id.ok() ? id->integer() : -1;
}

TEST_F(PoolTest, ReusesConnectionsLifo) {
  auto pool = ConnectionPool::Create(Options(), Pool(4, false));
  ASSERT_TRUE(pool.ok()) << pool.status();
  int64_t first_id, second_id;
  {
    auto a = (*pool)->Acquire();
    auto b = (*pool)->Acquire();
    ASSERT_TRUE(a.ok() && b.ok());
    first_id = ClientId(**a);
    second_id = ClientId(**b);
    EXPECT_NE(first_id, second_id);
    EXPECT_EQ((*pool)->stats().in_use, 2);
    a->Release();  // a returns first, b last: b is reused first.
  }
  EXPECT_EQ((*pool)->stats().idle, 2);
  auto again = (*pool)->Acquire();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ClientId(**again), second_id);
  EXPECT_EQ((*pool)->stats().created, 2);
}

TEST_F(PoolTest, NonBlockingPoolExhausted) {
  auto pool = ConnectionPool::Create(Options(), Pool(2, false));
  ASSERT_TRUE(pool.ok());
  auto a = (*pool)->Acquire();
  auto b = (*pool)->Acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = (*pool)->Acquire();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(GetErrorKind(c.status()), ErrorKind::kPoolExhausted);
  EXPECT_EQ((*pool)->stats().exhausted, 1);
  a->Release();
  EXPECT_TRUE((*pool)->Acquire().ok());
}

TEST_F(PoolTest, BlockingPoolTimesOut) {
  auto pool = BlockingConnectionPool::Create(
      Options(), Pool(1, /*blocking=*/false, absl::Milliseconds(100)));
  ASSERT_TRUE(pool.ok());
  auto held = (*pool)->Acquire();
  ASSERT_TRUE(held.ok());
  const absl::Time start = absl::Now();
  auto waited = (*pool)->Acquire();
  ASSERT_FALSE(waited.ok());
  EXPECT_EQ(waited.status().code(), absl::StatusCode::kDeadlineExceeded)
      << waited.status();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(95));
  EXPECT_EQ((*pool)->stats().timeouts, 1);
  EXPECT_EQ((*pool)->stats().waits, 1);
}

TEST_F(PoolTest, ReleaseWakesAWaiter) {
  auto pool = BlockingConnectionPool::Create(Options(),
                                             Pool(1, true, absl::Seconds(10)));
  ASSERT_TRUE(pool.ok());
  auto held = (*pool)->Acquire();
  ASSERT_TRUE(held.ok());
  const int64_t held_id = ClientId(**held);
  std::atomic<int64_t> waiter_id{0};
  absl::Notification started;
  std::thread waiter([&] {
    started.Notify();
    auto got = (*pool)->Acquire();
    waiter_id = got.ok() ? ClientId(**got) : -1;
  });
  started.WaitForNotification();
  // Wait until the waiter is really waiting.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while ((*pool)->stats().waits == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  held->Release();
  waiter.join();
  EXPECT_EQ(waiter_id.load(), held_id) << "the waiter got the released one";
  EXPECT_EQ((*pool)->stats().timeouts, 0);
}

TEST_F(PoolTest, ZeroMaxConnectionsIsInvalid) {
  auto pool = ConnectionPool::Create(Options(), Pool(0, false));
  EXPECT_EQ(pool.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(pool.status().message(), "max_connections"));
  auto negative = ConnectionPool::Create(
      Options(), Pool(1, true, absl::Seconds(-1)));
  EXPECT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PoolTest, HandleReleasesOnceEvenWhenMoved) {
  auto pool = ConnectionPool::Create(Options(), Pool(2, false));
  ASSERT_TRUE(pool.ok());
  auto a = (*pool)->Acquire();
  ASSERT_TRUE(a.ok());
  PooledConnection moved = *std::move(a);
  moved.Release();
  moved.Release();  // No-op: the handle is empty now.
  EXPECT_FALSE(moved);
  auto x = (*pool)->Acquire();
  auto y = (*pool)->Acquire();
  ASSERT_TRUE(x.ok() && y.ok());
  EXPECT_NE(x->get(), y->get()) << "one connection handed to two callers";
  EXPECT_EQ((*pool)->stats().created, 2);
}

TEST_F(PoolTest, BrokenConnectionIsReplacedAfterRestart) {
  auto pool = ConnectionPool::Create(Options(), Pool(2, false));
  ASSERT_TRUE(pool.ok());
  { ASSERT_TRUE((*pool)->Acquire().ok()); }  // One idle connection.
  {
    auto conn = (*pool)->Acquire();
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->Execute("PING").ok());
    ASSERT_TRUE(server_->Kill().ok());
    auto failed = (*conn)->Execute("PING");  // Killed mid-use.
    EXPECT_FALSE(failed.ok());
    EXPECT_TRUE(IsConnectionError(failed.status())) << failed.status();
  }
  EXPECT_EQ((*pool)->stats().idle, 0) << "a broken connection went back";
  // With the server down, a checkout cannot open a new connection.
  auto refused = (*pool)->Acquire();
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable)
      << refused.status();
  ASSERT_TRUE(server_->Restart().ok());
  auto conn = (*pool)->Acquire();
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_TRUE((*conn)->Execute("PING").ok());
}

TEST_F(PoolTest, IdleConnectionToDeadServerIsDroppedAtCheckout) {
  auto pool = ConnectionPool::Create(Options(), Pool(2, false));
  ASSERT_TRUE(pool.ok());
  { ASSERT_TRUE((*pool)->Acquire().ok()); }
  ASSERT_TRUE(server_->Restart().ok());  // The idle socket sees EOF.
  auto conn = (*pool)->Acquire();
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_TRUE((*conn)->Execute("PING").ok());
  EXPECT_EQ((*pool)->stats().discarded, 1);
  EXPECT_EQ((*pool)->stats().created, 2);
}

TEST_F(PoolTest, PendingDataIsDroppedAtCheckout) {
  auto pool = ConnectionPool::Create(Options(), Pool(2, false));
  ASSERT_TRUE(pool.ok());
  Connection* first;
  {
    auto conn = (*pool)->Acquire();
    ASSERT_TRUE(conn.ok());
    first = conn->get();
    // A reply nobody reads: the connection is out of step.
    ASSERT_TRUE((*conn)->SendCommand("PING").ok());
    absl::SleepFor(absl::Milliseconds(50));
  }
  auto conn = (*pool)->Acquire();
  ASSERT_TRUE(conn.ok());
  auto pong = (*conn)->Execute("ECHO", "fresh");
  ASSERT_TRUE(pong.ok());
  EXPECT_EQ(pong->str(), "fresh");
  EXPECT_EQ((*pool)->stats().discarded, 1);
  EXPECT_EQ((*pool)->stats().created, 2);
  (void)first;
}

TEST_F(PoolTest, DisconnectClosesIdleAndReturningConnections) {
  auto pool = ConnectionPool::Create(Options(), Pool(3, false));
  ASSERT_TRUE(pool.ok());
  auto busy = (*pool)->Acquire();
  ASSERT_TRUE(busy.ok());
  { auto idle = (*pool)->Acquire(); }
  EXPECT_EQ((*pool)->stats().idle, 1);
  (*pool)->Disconnect(/*include_in_use=*/true);
  EXPECT_EQ((*pool)->stats().idle, 0);
  busy->Release();
  EXPECT_EQ((*pool)->stats().idle, 0) << "in-use connection closed on return";
  auto fresh = (*pool)->Acquire();
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE((*fresh)->Execute("PING").ok());
  EXPECT_EQ((*pool)->stats().created, 3);
}

TEST_F(PoolTest, ResetForgetsEverything) {
  auto pool = ConnectionPool::Create(Options(), Pool(1, false));
  ASSERT_TRUE(pool.ok());
  auto held = (*pool)->Acquire();
  ASSERT_TRUE(held.ok());
  (*pool)->Reset();
  // The old checkout no longer counts against the limit.
  auto fresh = (*pool)->Acquire();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  held->Release();  // Closed, not pooled.
  fresh->Release();
  EXPECT_EQ((*pool)->stats().idle, 1);
}

TEST_F(PoolTest, ForkedChildNeverUsesParentSockets) {
  auto pool = ConnectionPool::Create(Options(), Pool(2, false));
  ASSERT_TRUE(pool.ok());
  int64_t parent_id;
  {
    auto conn = (*pool)->Acquire();
    ASSERT_TRUE(conn.ok());
    parent_id = ClientId(**conn);
  }
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    auto conn = (*pool)->Acquire();
    int64_t id = conn.ok() ? ClientId(**conn) : -1;
    (void)!::write(pipe_fds[1], &id, sizeof(id));
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  int64_t child_id = 0;
  ASSERT_EQ(::read(pipe_fds[0], &child_id, sizeof(child_id)),
            static_cast<ssize_t>(sizeof(child_id)));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_GT(child_id, 0);
  EXPECT_NE(child_id, parent_id) << "child reused the parent's socket";
  // The parent's connection is still intact.
  auto conn = (*pool)->Acquire();
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ(ClientId(**conn), parent_id);
}

TEST_F(PoolTest, BlackholedServerTimesOutWithinDeadline) {
  auto proxy = FaultProxy::Start("127.0.0.1", server_->port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  ConnectionOptions options = Options((*proxy)->port());
  options.socket_timeout = absl::Milliseconds(300);
  options.connect_timeout = absl::Milliseconds(300);
  auto pool = ConnectionPool::Create(options, Pool(2, false));
  ASSERT_TRUE(pool.ok());
  {
    auto conn = (*pool)->Acquire();
    ASSERT_TRUE(conn.ok()) << conn.status();
    ASSERT_TRUE((*conn)->Execute("SET", "k", "v").ok());
    (*proxy)->Blackhole();
    const absl::Time start = absl::Now();
    auto reply = (*conn)->Execute("GET", "k");
    const absl::Duration took = absl::Now() - start;
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded)
        << reply.status();
    EXPECT_TRUE(absl::StrContains(reply.status().message(),
                                  absl::StrCat("127.0.0.1:", (*proxy)->port())));
    EXPECT_GE(took, absl::Milliseconds(290));
    EXPECT_TRUE((*conn)->broken());
  }
  // A new connection's handshake is blackholed too: bounded by the connect
  // time-out.
  auto during = (*pool)->Acquire();
  EXPECT_EQ(during.status().code(), absl::StatusCode::kDeadlineExceeded)
      << during.status();
  ASSERT_TRUE((*proxy)->Resume().ok());
  auto after = (*pool)->Acquire();
  ASSERT_TRUE(after.ok()) << after.status();
  auto value = (*after)->Execute("GET", "k");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(value->str(), "v");
}

TEST_F(PoolTest, ReplyCutMidwayIsAnErrorNotAWrongReply) {
  auto proxy = FaultProxy::Start("127.0.0.1", server_->port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  auto pool = ConnectionPool::Create(Options((*proxy)->port()),
                                     Pool(2, false));
  ASSERT_TRUE(pool.ok());
  auto conn = (*pool)->Acquire();
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->Execute("SET", "big", std::string(10000, 'b')).ok());
  (*proxy)->CutAfterReplyBytes(5000);
  auto reply = (*conn)->Execute("GET", "big");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable)
      << reply.status();
  EXPECT_TRUE((*conn)->broken());
}

// 32 threads x 1000 checkouts on a pool of 8: every checkout gets a
// connection nobody else holds, and the books balance. Run under TSan in CI.
TEST_F(PoolTest, ManyThreadsShareABlockingPool) {
  auto pool = BlockingConnectionPool::Create(Options(),
                                             Pool(8, true, absl::Seconds(30)));
  ASSERT_TRUE(pool.ok());
  constexpr int kThreads = 32;
  constexpr int kCheckouts = 1000;
  std::atomic<int> failures{0};
  std::atomic<int> holders{0};
  std::atomic<int> max_holders{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCheckouts; ++i) {
        auto conn = (*pool)->Acquire();
        if (!conn.ok()) {
          ++failures;
          continue;
        }
        const int now = ++holders;
        int seen = max_holders.load();
        while (now > seen && !max_holders.compare_exchange_weak(seen, now)) {
        }
        // Every 50th checkout does a round trip with a value only this
        // thread knows; the rest only borrow.
        if (i % 50 == 0) {
          const std::string mine = absl::StrCat("t", t, "-", i);
          auto echo = (*conn)->Execute("ECHO", mine);
          if (!echo.ok() || echo->str() != mine) ++failures;
        }
        --holders;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(max_holders.load(), 8);
  const PoolStats stats = (*pool)->stats();
  EXPECT_EQ(stats.in_use, 0);
  EXPECT_LE(stats.created, 8);
  EXPECT_EQ(stats.idle, stats.created);
}

}  // namespace
}  // namespace valkey
