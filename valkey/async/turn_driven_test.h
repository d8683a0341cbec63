// Tests only: a fixture for tests that drive an EventLoop one turn at a
// time on the test's own thread (RunOnce), so that what one turn does —
// the writes it makes, the commands it sends — can be counted, not timed.
// It starts a real valkey-server (//testing) and an EventLoop no thread
// runs.
//
//   class MyTest : public TurnDrivenTest {};
//   TEST_F(MyTest, ...) {
//     absl::StatusOr<Connection> conn =
//         Connection::Create(loop(), OptionsFor(server()));
//     ...
//     loop().RunOnce(absl::ZeroDuration());  // One turn.
//     ...
//     conn->Close();
//     Drain();
//   }

#ifndef VALKEY_ASYNC_TURN_DRIVEN_TEST_H_
#define VALKEY_ASYNC_TURN_DRIVEN_TEST_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "testing/valkey_server.h"
#include "valkey/async/connection.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"

namespace valkey::async {

class TurnDrivenTest : public ::testing::Test {
 protected:
  // How long a test waits for anything before calling it hung.
  static constexpr absl::Duration kWait = absl::Seconds(10);

  // Plain TCP to `server`, 5 s connect and socket time-outs.
  static ConnectionOptions OptionsFor(const testing::ValkeyServer& server) {
    ConnectionOptions options;
    options.host = server.host();
    options.port = server.port();
    options.connect_timeout = absl::Seconds(5);
    options.socket_timeout = absl::Seconds(5);
    return options;
  }

  // The server's options (override for TLS, a password, ...).
  virtual testing::ValkeyServer::Options ServerOptions() const { return {}; }

  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::ValkeyServer>> server =
        testing::ValkeyServer::Start(ServerOptions());
    ASSERT_THAT(server, testing::IsOk());
    server_ = *std::move(server);
    absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
    ASSERT_THAT(loop, testing::IsOk());
    loop_ = *std::move(loop);
  }

  testing::ValkeyServer& server() { return *server_; }
  EventLoop& loop() { return *loop_; }

  // Runs turns until `f` resolves (within kWait), on this thread.
  template <typename T>
  absl::StatusOr<T> RunUntilResolved(Future<T>& f) {
    const bool resolved =
        loop_->RunUntil([&] { return f.ready(); }, absl::Now() + kWait);
    if (!resolved) return absl::InternalError("hung: no reply within 10 s");
    return f.Get(absl::ZeroDuration());
  }

  // Closing posts to the loop: runs the turns that finish it while the
  // loop still exists (no thread runs it here).
  void Drain() {
    for (int i = 0; i < 3; ++i) loop_->RunOnce(absl::ZeroDuration());
  }

 private:
  std::unique_ptr<testing::ValkeyServer> server_;
  std::unique_ptr<EventLoop> loop_;
};

}  // namespace valkey::async

#endif  // VALKEY_ASYNC_TURN_DRIVEN_TEST_H_
