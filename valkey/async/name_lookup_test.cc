// The async connection never blocks its event loop in a name lookup: while
// one connection's host name is stuck in lookup, another connection on the
// same loop keeps answering, and the stuck one fails its commands at its
// connect time-out. The stuck lookup is the test seam of name_lookup.h (no
// DNS server can be made slow on this machine); the server is real.

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_server.h"
#include "valkey/async/connection.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/common/config.h"
#include "valkey/common/errors.h"
#include "valkey/connection/name_lookup.h"

namespace valkey::async {
namespace {

using ::valkey::internal::LookupResult;
using ::valkey::internal::ResolveTcp;
using ::valkey::internal::ScopedNameLookupForTesting;
using ::valkey::testing::ValkeyServer;

absl::Notification* g_release = nullptr;

LookupResult StuckLookup(absl::string_view host, int port) {
  g_release->WaitForNotification();
  return ResolveTcp("127.0.0.1", port);
}

LookupResult LocalLookup(absl::string_view host, int port) {
  return ResolveTcp("127.0.0.1", port);
}

TEST(AsyncNameLookupTest, StuckLookupNeverBlocksTheLoop) {
  absl::StatusOr<std::unique_ptr<ValkeyServer>> server = ValkeyServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
      EventLoopThread::Start();
  ASSERT_TRUE(thread.ok()) << thread.status();
  EventLoop& loop = (*thread)->loop();

  ConnectionOptions by_ip;
  by_ip.host = "127.0.0.1";
  by_ip.port = (*server)->port();
  absl::StatusOr<Connection> healthy = Connection::Create(loop, by_ip);
  ASSERT_TRUE(healthy.ok()) << healthy.status();
  ASSERT_TRUE(healthy->Execute("PING").Get(absl::Seconds(10)).ok());

  absl::Notification release;
  g_release = &release;
  {
    ScopedNameLookupForTesting stuck(&StuckLookup);
    ConnectionOptions by_name = by_ip;
    by_name.host = "stuck.example";
    by_name.connect_timeout = absl::Milliseconds(300);
    absl::StatusOr<Connection> waiting = Connection::Create(loop, by_name);
    ASSERT_TRUE(waiting.ok()) << waiting.status();
    Future<Reply> never = waiting->Execute("PING");

    // The loop still serves the other connection while the lookup is stuck.
    absl::StatusOr<Reply> pong = healthy->Execute("PING").Get(absl::Seconds(5));
    EXPECT_TRUE(pong.ok()) << pong.status();

    // The stuck connection's command fails at the connect time-out.
    absl::StatusOr<Reply> r = never.Get(absl::Seconds(5));
    EXPECT_FALSE(never.valid()) << "hung";
    EXPECT_TRUE(IsTimeout(r.status())) << r.status();
    waiting->Close();
    release.Notify();
  }

  // A name whose lookup answers connects.
  ScopedNameLookupForTesting local(&LocalLookup);
  ConnectionOptions by_name = by_ip;
  by_name.host = "local.example";
  absl::StatusOr<Connection> named = Connection::Create(loop, by_name);
  ASSERT_TRUE(named.ok()) << named.status();
  absl::StatusOr<Reply> pong = named->Execute("PING").Get(absl::Seconds(10));
  EXPECT_TRUE(pong.ok()) << pong.status();
}

}  // namespace
}  // namespace valkey::async
