// Re-entrancy of async::Connection and async::Client: Reconnect(), Close()
// and ReconnectAll() called from inside the connection's own callbacks (the
// on_disconnected hook, a command's completion) are safe: no recursion, at
// most one reconnect under way, no stale timer that later fails a healthy
// connection. Real valkey-server; the connection is cut server-side with
// CLIENT KILL from a second connection.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_server.h"
#include "valkey/async/client.h"
#include "valkey/async/connection.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/common/config.h"
#include "valkey/common/errors.h"

namespace valkey::async {
namespace {

using ::valkey::testing::ValkeyServer;

constexpr absl::Duration kWait = absl::Seconds(10);
// Short, so that a stale connect timer left behind by a double reconnect
// would fire (and fail the connection) while the test still watches.
constexpr absl::Duration kConnectTimeout = absl::Milliseconds(300);

template <typename F>
bool WaitFor(F done, absl::Duration within = kWait) {
  const absl::Time deadline = absl::Now() + within;
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

class ReentrancyTest : public ::testing::Test {
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
    absl::StatusOr<Connection> killer =
        Connection::Create(loop(), Options(), {});
    ASSERT_TRUE(killer.ok()) << killer.status();
    killer_.emplace(*std::move(killer));
  }

  ConnectionOptions Options() const {
    ConnectionOptions o;
    o.host = "127.0.0.1";
    o.port = server_->port();
    o.connect_timeout = kConnectTimeout;
    return o;
  }

  // Cuts every other client's connection, server-side.
  void KillOthers() {
    absl::StatusOr<Reply> r =
        killer_->Execute("CLIENT", "KILL", "SKIPME", "yes").Get(kWait);
    ASSERT_TRUE(r.ok()) << r.status();
  }

  // Lets a stale connect timer (kConnectTimeout) fire if one was left.
  static void OutlastConnectTimers() { absl::SleepFor(4 * kConnectTimeout); }

  EventLoop& loop() { return thread_->loop(); }

  std::unique_ptr<ValkeyServer> server_;
  std::unique_ptr<EventLoopThread> thread_;
  std::optional<Connection> killer_;
};

TEST_F(ReentrancyTest, ReconnectFromOnDisconnectedReconnectsOnce) {
  std::atomic<int> disconnects{0};
  std::optional<Connection>* self = new std::optional<Connection>();
  AsyncOptions async;
  async.on_disconnected = [self, &disconnects](const absl::Status&) {
    ++disconnects;
    (*self)->Reconnect("asked again from on_disconnected");
  };
  absl::StatusOr<Connection> c = Connection::Create(loop(), Options(), async);
  ASSERT_TRUE(c.ok()) << c.status();
  self->emplace(*std::move(c));
  Connection& conn = **self;
  ASSERT_TRUE(conn.Execute("PING").Get(kWait).ok());

  KillOthers();
  ASSERT_TRUE(WaitFor([&] { return conn.stats().connects >= 2; }));
  OutlastConnectTimers();
  EXPECT_EQ(disconnects.load(), 1);
  EXPECT_EQ(conn.stats().connects, 2u);
  EXPECT_EQ(conn.stats().failed_attempts, 0u);
  absl::StatusOr<Reply> pong = conn.Execute("PING").Get(kWait);
  EXPECT_TRUE(pong.ok()) << pong.status();
  self->reset();
  delete self;
}

TEST_F(ReentrancyTest, CloseFromOnDisconnectedStopsReconnecting) {
  std::optional<Connection>* self = new std::optional<Connection>();
  AsyncOptions async;
  async.on_disconnected = [self](const absl::Status&) { (*self)->Close(); };
  absl::StatusOr<Connection> c = Connection::Create(loop(), Options(), async);
  ASSERT_TRUE(c.ok()) << c.status();
  self->emplace(*std::move(c));
  Connection& conn = **self;
  ASSERT_TRUE(conn.Execute("PING").Get(kWait).ok());

  KillOthers();
  ASSERT_TRUE(WaitFor([&] {
    absl::StatusOr<Reply> r = conn.Execute("PING").Get(kWait);
    return !r.ok() && IsConnectionError(r.status());
  }));
  OutlastConnectTimers();
  EXPECT_EQ(conn.stats().connects, 1u);
  self->reset();
  delete self;
}

TEST_F(ReentrancyTest, ReconnectFromAFailingCommandsCompletion) {
  absl::StatusOr<Connection> c = Connection::Create(loop(), Options(), {});
  ASSERT_TRUE(c.ok()) << c.status();
  Connection& conn = *c;
  ASSERT_TRUE(conn.Execute("PING").Get(kWait).ok());

  // Two commands in flight when the connection is cut; each one's
  // completion (run while the loss is being handled) asks to reconnect.
  std::atomic<int> failed{0};
  for (const char* key : {"reentrancy:a", "reentrancy:b"}) {
    conn.Execute("BLPOP", key, "0").Then([&](absl::StatusOr<Reply> r) {
      if (!r.ok()) ++failed;
      conn.Reconnect("asked from a completion");
    });
  }
  ASSERT_TRUE(WaitFor([&] {
    absl::StatusOr<Reply> n = killer_->Execute("CLIENT", "LIST").Get(kWait);
    return n.ok() && n->view().str().find("blpop") != absl::string_view::npos;
  }));
  KillOthers();
  ASSERT_TRUE(WaitFor([&] { return failed.load() == 2; }));
  ASSERT_TRUE(WaitFor([&] { return conn.stats().connects >= 2; }));
  OutlastConnectTimers();
  EXPECT_EQ(conn.stats().connects, 2u);
  EXPECT_EQ(conn.stats().failed_attempts, 0u);
  absl::StatusOr<Reply> pong = conn.Execute("PING").Get(kWait);
  EXPECT_TRUE(pong.ok()) << pong.status();
}

TEST_F(ReentrancyTest, ReconnectAndCloseFromASuccessfulCompletion) {
  absl::StatusOr<Connection> c = Connection::Create(loop(), Options(), {});
  ASSERT_TRUE(c.ok()) << c.status();
  Connection& conn = *c;
  ASSERT_TRUE(conn.Execute("PING").Get(kWait).ok());

  // A reply's completion drops the connection; the command behind it in
  // the same read fails (it was written) or is answered, never mismatched.
  Future<Reply> first = conn.Execute("SET", "reentrancy:k", "1");
  Future<Reply> second = conn.Execute("GET", "reentrancy:k");
  std::atomic<bool> reconnected{false};
  std::move(first).Then([&](absl::StatusOr<Reply> r) {
    EXPECT_TRUE(r.ok()) << r.status();
    conn.Reconnect("asked from a completion");
    conn.Reconnect("twice");
    reconnected = true;
  });
  absl::StatusOr<Reply> got = second.Get(kWait);
  if (got.ok()) {
    EXPECT_EQ(got->view().str(), "1");
  } else {
    EXPECT_TRUE(IsConnectionError(got.status())) << got.status();
  }
  ASSERT_TRUE(WaitFor([&] { return reconnected.load(); }));
  ASSERT_TRUE(WaitFor([&] { return conn.stats().connects >= 2; }));
  OutlastConnectTimers();
  EXPECT_EQ(conn.stats().connects, 2u);
  EXPECT_EQ(conn.stats().failed_attempts, 0u);

  // Close from a completion: what is still in flight fails, nothing hangs.
  Future<Reply> a = conn.Execute("PING");
  Future<Reply> b = conn.Execute("BLPOP", "reentrancy:none", "0");
  std::move(a).Then([&](absl::StatusOr<Reply>) { conn.Close(); });
  absl::StatusOr<Reply> rb = b.Get(kWait);
  EXPECT_FALSE(b.valid()) << "hung";
  EXPECT_FALSE(rb.ok());
}

TEST_F(ReentrancyTest, ClientReconnectAllFromOnDisconnected) {
  std::atomic<Client*> client_ptr{nullptr};
  std::atomic<int> disconnects{0};
  ClientOptions o;
  o.connection = Options();
  AsyncOptions async;
  async.on_disconnected = [&](const absl::Status&) {
    ++disconnects;
    if (Client* c = client_ptr.load()) c->ReconnectAll("from the hook");
  };
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Create(loop(), o, async);
  ASSERT_TRUE(client.ok()) << client.status();
  client_ptr = client->get();
  Client& c = **client;
  ASSERT_TRUE(c.Execute("PING").Get(kWait).ok());

  KillOthers();
  ASSERT_TRUE(WaitFor([&] { return c.connection().stats().connects >= 2; }));
  OutlastConnectTimers();
  EXPECT_EQ(disconnects.load(), 1);
  EXPECT_EQ(c.connection().stats().connects, 2u);
  EXPECT_EQ(c.connection().stats().failed_attempts, 0u);
  EXPECT_TRUE(c.Execute("PING").Get(kWait).ok());
  client_ptr = nullptr;
}

}  // namespace
}  // namespace valkey::async
