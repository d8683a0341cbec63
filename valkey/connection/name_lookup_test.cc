// Name lookups are bounded: a blocking connect to a host name whose lookup
// never answers fails with DEADLINE_EXCEEDED at its connect time-out instead
// of waiting in getaddrinfo. The stuck lookup is simulated with the test
// seam (no DNS server can be made slow on this machine); the server is real.

#include "valkey/connection/name_lookup.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_server.h"
#include "valkey/common/options.h"
#include "valkey/common/errors.h"
#include "valkey/connection/connection.h"

namespace valkey::internal {
namespace {

using ::valkey::testing::ValkeyServer;

// Released at the end of each test so the helper threads finish.
absl::Notification* g_release = nullptr;

LookupResult StuckLookup(absl::string_view host, int port) {
  g_release->WaitForNotification();
  return ResolveTcp("127.0.0.1", port);
}

LookupResult LocalLookup(absl::string_view host, int port) {
  return ResolveTcp("127.0.0.1", port);
}

TEST(NameLookupTest, NumericHostsNeedNoLookup) {
  EXPECT_TRUE(IsNumericHost("127.0.0.1"));
  EXPECT_TRUE(IsNumericHost("::1"));
  EXPECT_FALSE(IsNumericHost("localhost"));
  EXPECT_FALSE(IsNumericHost("[::1]"));
  EXPECT_FALSE(IsNumericHost(""));
  // A numeric host is converted even while name lookups are stuck.
  absl::Notification release;
  g_release = &release;
  ScopedNameLookupForTesting stuck(&StuckLookup);
  LookupResult r =
      LookUpTcpBefore("127.0.0.1", 6379, absl::Now() + absl::Seconds(5));
  EXPECT_TRUE(r.ok()) << r.status();
  release.Notify();
}

TEST(NameLookupTest, BlockingConnectGivesUpAtItsConnectTimeout) {
  absl::StatusOr<std::unique_ptr<ValkeyServer>> server = ValkeyServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  absl::Notification release;
  g_release = &release;
  {
    ScopedNameLookupForTesting stuck(&StuckLookup);
    ConnectionOptions o;
    o.host = "stuck.example";
    o.port = (*server)->port();
    o.connect_timeout = absl::Milliseconds(300);
    absl::StatusOr<std::shared_ptr<const Connector>> connector =
        Connector::Create(o);
    ASSERT_TRUE(connector.ok()) << connector.status();
    absl::StatusOr<std::unique_ptr<Connection>> conn = (*connector)->Connect();
    ASSERT_FALSE(conn.ok());
    EXPECT_TRUE(IsTimeout(conn.status())) << conn.status();
    EXPECT_TRUE(absl::StrContains(conn.status().message(), "stuck.example"))
        << conn.status();
    release.Notify();
  }
  // A lookup that answers connects as usual.
  ScopedNameLookupForTesting local(&LocalLookup);
  ConnectionOptions o;
  o.host = "local.example";
  o.port = (*server)->port();
  o.connect_timeout = absl::Seconds(5);
  absl::StatusOr<std::shared_ptr<const Connector>> connector =
      Connector::Create(o);
  ASSERT_TRUE(connector.ok()) << connector.status();
  absl::StatusOr<std::unique_ptr<Connection>> conn = (*connector)->Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();
}

}  // namespace
}  // namespace valkey::internal
