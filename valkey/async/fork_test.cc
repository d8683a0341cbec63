// The async stack after fork(): an EventLoop (and the Connection, Client and
// pool on it) used in a child process refuses with FAILED_PRECONDITION
// instead of touching the parent's epoll instance, sockets or loop thread —
// and the parent goes on working. Each child runs through RunInForkedChild,
// whose wait is bounded: before the refusal existed a child's command
// waited forever for a loop thread that does not exist in the child.
//
// Child exit codes: 0 = every check passed; otherwise the number of the
// first failed check (see each test).

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/fork/forked_child.h"
#include "testing/valkey_server.h"
#include "valkey/async/client.h"
#include "valkey/async/connection.h"
#include "valkey/async/connection_pool.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/async/transaction.h"
#include "valkey/common/config.h"
#include "valkey/common/reply.h"

namespace valkey::async {
namespace {

using ::valkey::testing::RunInForkedChild;
using ::valkey::testing::ValkeyServer;

constexpr absl::Duration kWait = absl::Seconds(5);

// True if `s` is the fork refusal.
bool IsForkRefusal(const absl::Status& s) {
  return s.code() == absl::StatusCode::kFailedPrecondition &&
         absl::StrContains(s.message(), "forked child");
}

// The outcome of `f` within kWait; INTERNAL "hung" if it did not resolve.
template <typename T>
FutureResultT<T> Wait(Future<T> f) {
  FutureResultT<T> r = f.Get(kWait);
  if (f.valid()) return absl::InternalError("hung");
  return r;
}

// Runs `fn` on the loop's thread and waits for it.
void OnLoop(EventLoop& loop, absl::AnyInvocable<void()> fn) {
  absl::Notification done;
  loop.Post([&] {
    fn();
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
}

TEST(AsyncForkTest, EventLoopRefusesInAForkedChild) {
  auto thread = EventLoopThread::Start();
  ASSERT_TRUE(thread.ok()) << thread.status();
  EventLoop& loop = (*thread)->loop();
  EXPECT_TRUE(loop.CheckOwnerProcess().ok());
  // The parent watches a pipe; the child must not be able to unregister it
  // (the epoll instance is shared with the parent after fork).
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  std::atomic<int> readable{0};
  OnLoop(loop, [&] {
    ASSERT_TRUE(loop.Watch(fds[0], EventLoop::kReadable,
                           [&](uint32_t) {
                             char buf[16];
                             while (::read(fds[0], buf, sizeof buf) > 0) {
                             }
                             readable.fetch_add(1);
                           })
                    .ok());
  });

  absl::StatusOr<int> code = RunInForkedChild([&]() {
    if (!IsForkRefusal(loop.CheckOwnerProcess())) return 1;
    loop.Unwatch(fds[0]);  // Refused: the parent's registration stays.
    int other[2];
    if (::pipe(other) != 0) return 2;
    if (!IsForkRefusal(
            loop.Watch(other[0], EventLoop::kReadable, [](uint32_t) {}))) {
      return 3;
    }
    bool ran = false;
    loop.Post([&ran] { ran = true; });
    if (loop.RunAfter(absl::ZeroDuration(), [&ran] { ran = true; }) != 0) {
      return 4;
    }
    loop.Defer([&ran] { ran = true; });
    // Running the loop in the child would wait on the parent's epoll
    // instance and steal its events: it returns at once, running nothing.
    loop.RunOnce(absl::Milliseconds(50));
    if (loop.RunUntil([] { return false; },
                      absl::Now() + absl::Milliseconds(50))) {
      return 5;
    }
    if (ran) return 6;
    // Destroying the loop thread must not wait for a thread that does not
    // exist in the child.
    thread->reset();
    return 0;
  });
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);

  // The parent's loop still runs and still sees the pipe.
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  const absl::Time deadline = absl::Now() + kWait;
  while (readable.load() == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_GT(readable.load(), 0) << "the child unregistered the parent's fd";
  OnLoop(loop, [&] { loop.Unwatch(fds[0]); });
  ::close(fds[0]);
  ::close(fds[1]);
}

class AsyncForkServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ValkeyServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto thread = EventLoopThread::Start();
    ASSERT_TRUE(thread.ok()) << thread.status();
    thread_ = *std::move(thread);
  }

  ClientOptions Options() const {
    ClientOptions options;
    options.connection.host = "127.0.0.1";
    options.connection.port = server_->port();
    options.connection.protocol = 3;
    options.connection.socket_timeout = absl::Seconds(5);
    return options;
  }

  std::unique_ptr<ValkeyServer> server_;
  std::unique_ptr<EventLoopThread> thread_;
};

TEST_F(AsyncForkServerTest, ClientAndConnectionRefuseInAForkedChild) {
  EventLoop& loop = thread_->loop();
  ClientOptions options = Options();
  options.cache.enabled = true;
  options.cache.allow_commands = DefaultCacheAllowCommands();
  auto client = Client::Create(loop, options);
  ASSERT_TRUE(client.ok()) << client.status();
  auto conn = Connection::Create(loop, Options().connection);
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE(Wait((*client)->Set("k", "parent")).ok());
  ASSERT_TRUE(Wait((*client)->Get("k")).ok());  // Now cached.
  auto pong = Wait(conn->Execute("PING"));
  ASSERT_TRUE(pong.ok()) << pong.status();

  absl::StatusOr<int> code = RunInForkedChild([&]() {
    // 1: a cache hit would be served from a cache no invalidation reaches.
    if (!IsForkRefusal(Wait((*client)->Get("k")).status())) return 1;
    // 2: an ordinary command on the shared connection.
    if (!IsForkRefusal(Wait((*client)->Execute("PING")).status())) return 2;
    // 3: a blocking command (the exclusive pool).
    if (!IsForkRefusal(
            Wait((*client)->BLPop({"list"}, absl::Seconds(1))).status())) {
      return 3;
    }
    // 4: the exclusive pool directly.
    if (!IsForkRefusal(Wait((*client)->Acquire()).status())) return 4;
    // 5: a pipeline (SubmitPacked).
    Pipeline pipeline = (*client)->CreatePipeline();
    Future<Reply> queued = pipeline.Command("GET", "k");
    pipeline.Send();
    if (!IsForkRefusal(Wait(std::move(queued)).status())) return 5;
    // 6: a Connection of its own.
    if (!IsForkRefusal(Wait(conn->Execute("PING")).status())) return 6;
    // 7: nothing may hang while the child tears everything down.
    conn->Close();
    client->reset();
    thread_.reset();
    return 0;
  });
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);

  // The parent's client, connection and cache are intact, replies in order.
  std::vector<Future<std::optional<std::string>>> gets;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(
        Wait((*client)->Set(absl::StrCat("p", i), absl::StrCat(i))).ok());
  }
  for (int i = 0; i < 50; ++i)
    gets.push_back((*client)->Get(absl::StrCat("p", i)));
  for (int i = 0; i < 50; ++i) {
    auto v = Wait(std::move(gets[i]));
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->value_or("<nil>"), absl::StrCat(i));
  }
  auto k = Wait((*client)->Get("k"));
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->value_or("<nil>"), "parent");
  pong = Wait(conn->Execute("PING"));
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->str(), "PONG");
}

}  // namespace
}  // namespace valkey::async
