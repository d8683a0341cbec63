// Sentinel connections left at their DEFAULT options never hang on a
// sentinel that accepts connections and never answers (a partition, a
// stopped process): discovery gives up on it and asks the next sentinel,
// and with no other sentinel it fails with NOT_FOUND naming it. Blocking
// Sentinel and async::Sentinel alike; the silent sentinel is a FaultProxy in
// blackhole mode in front of a real one.
//
// No time-out is set anywhere in the options under test. A call still
// running after kHang is reported as a hang (and unblocked, so the test
// can end); the target's own Bazel time-out backs that up.

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/fault_proxy.h"
#include "testing/sentinel_test_support.h"
#include "testing/sentinel_topology.h"
#include "valkey/async/event_loop.h"
#include "valkey/sentinel/async_sentinel.h"
#include "valkey/common/config.h"
#include "valkey/common/errors.h"
#include "valkey/sentinel/sentinel.h"

namespace valkey {
namespace {

using ::valkey::testing::FaultProxy;
using ::valkey::testing::SentinelTopology;
using ::valkey::testing::StartTopology;

// Far beyond what the defaults allow for (a few seconds over three
// sentinels), far below forever.
constexpr absl::Duration kHang = absl::Seconds(20);

class SentinelDefaultsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { topo_ = StartTopology().release(); }
  static void TearDownTestSuite() {
    delete topo_;
    topo_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(topo_, nullptr);
    absl::StatusOr<std::unique_ptr<FaultProxy>> proxy =
        FaultProxy::Start("127.0.0.1", topo_->sentinel_port(0));
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = *std::move(proxy);
  }

  // Default options: the sentinels and the service, nothing else. With
  // `all`, the proxied sentinel 0 then the real sentinels 1 and 2;
  // otherwise the proxied one alone.
  SentinelOptions DefaultOptions(bool all) const {
    SentinelOptions options;
    options.service_name = topo_->service_name();
    options.sentinels.push_back(SentinelAddress{proxy_->host(), proxy_->port()});
    if (all) {
      for (int i = 1; i < 3; ++i) {
        options.sentinels.push_back(
            SentinelAddress{"127.0.0.1", topo_->sentinel_port(i)});
      }
    }
    return options;
  }

  std::string ProxyAddress() const {
    return absl::StrCat(proxy_->host(), ":", proxy_->port());
  }

  // Runs `call` on a thread of its own and returns what it returned. A
  // call still running after kHang fails the test; the proxy's connections
  // are then cut so that the call returns and the thread can be joined.
  absl::StatusOr<NodeAddress> WithinOrHang(
      const std::function<absl::StatusOr<NodeAddress>()>& call) {
    absl::Notification done;
    absl::StatusOr<NodeAddress> result = absl::UnknownError("not run");
    std::thread runner([&] {
      result = call();
      done.Notify();
    });
    if (!done.WaitForNotificationWithTimeout(kHang)) {
      ADD_FAILURE() << "discovery hung for " << kHang
                    << " on a silent sentinel";
      proxy_->CutAll();
    }
    runner.join();
    return result;
  }

  static SentinelTopology* topo_;
  std::unique_ptr<FaultProxy> proxy_;
};

SentinelTopology* SentinelDefaultsTest::topo_ = nullptr;

// ------------------------------------------------------------- rules

TEST(SentinelConnectionForTest, DefaultsAndNeverInfinite) {
  SentinelOptions options;
  EXPECT_EQ(options.connection.connect_timeout, kDefaultSentinelConnectTimeout);
  EXPECT_EQ(options.connection.socket_timeout, kDefaultSentinelSocketTimeout);

  // A data-node template copied in (no socket time-out) gets the default;
  // a finite one is kept; the address comes from the sentinel list.
  options.connection = ConnectionOptions();
  options.connection.unix_path = "/tmp/ignored.sock";
  options.connection.db = 3;
  const SentinelAddress address{"10.0.0.7", 26380};
  ConnectionOptions c = sentinel_rules::ConnectionFor(options, address);
  EXPECT_EQ(c.socket_timeout, kDefaultSentinelSocketTimeout);
  EXPECT_EQ(c.host, "10.0.0.7");
  EXPECT_EQ(c.port, 26380);
  EXPECT_TRUE(c.unix_path.empty());
  EXPECT_EQ(c.db, 0);
  options.connection.socket_timeout = absl::Seconds(7);
  c = sentinel_rules::ConnectionFor(options, address);
  EXPECT_EQ(c.socket_timeout, absl::Seconds(7));
}

// ------------------------------------------------------------- blocking

TEST_F(SentinelDefaultsTest, BlockingRotatesPastSilentSentinel) {
  absl::StatusOr<std::shared_ptr<Sentinel>> sentinel =
      Sentinel::Create(DefaultOptions(/*all=*/true));
  ASSERT_TRUE(sentinel.ok()) << sentinel.status();
  // The first lookup goes through the proxy and leaves a pooled connection
  // to it, which then goes silent.
  absl::StatusOr<NodeAddress> master = (*sentinel)->DiscoverMaster();
  ASSERT_TRUE(master.ok()) << master.status();
  proxy_->Blackhole();

  master = WithinOrHang([&] { return (*sentinel)->DiscoverMaster(); });
  ASSERT_TRUE(master.ok()) << master.status();
  EXPECT_EQ(master->port, topo_->master_port());
  // The sentinel that answered is asked first from now on.
  EXPECT_EQ((*sentinel)->sentinels()[0].port, topo_->sentinel_port(1));

  // A Sentinel that meets the silent one on its first connect moves on too.
  absl::StatusOr<std::shared_ptr<Sentinel>> fresh =
      Sentinel::Create(DefaultOptions(/*all=*/true));
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  master = WithinOrHang([&] { return (*fresh)->DiscoverMaster(); });
  ASSERT_TRUE(master.ok()) << master.status();
  EXPECT_EQ(master->port, topo_->master_port());
}

TEST_F(SentinelDefaultsTest, BlockingOnlySilentSentinelIsNotFound) {
  absl::StatusOr<std::shared_ptr<Sentinel>> sentinel =
      Sentinel::Create(DefaultOptions(/*all=*/false));
  ASSERT_TRUE(sentinel.ok()) << sentinel.status();
  absl::StatusOr<NodeAddress> master = (*sentinel)->DiscoverMaster();
  ASSERT_TRUE(master.ok()) << master.status();
  proxy_->Blackhole();

  master = WithinOrHang([&] { return (*sentinel)->DiscoverMaster(); });
  ASSERT_FALSE(master.ok());
  EXPECT_EQ(master.status().code(), absl::StatusCode::kNotFound)
      << master.status();
  EXPECT_EQ(GetErrorKind(master.status()), ErrorKind::kMasterNotFound);
  EXPECT_TRUE(absl::StrContains(master.status().message(), ProxyAddress()))
      << master.status();
}

// ------------------------------------------------------------- async

TEST_F(SentinelDefaultsTest, AsyncRotatesPastSilentSentinel) {
  absl::StatusOr<std::unique_ptr<async::EventLoopThread>> loop =
      async::EventLoopThread::Start();
  ASSERT_TRUE(loop.ok()) << loop.status();
  absl::StatusOr<std::shared_ptr<async::Sentinel>> sentinel =
      async::Sentinel::Create((*loop)->loop(), DefaultOptions(/*all=*/true));
  ASSERT_TRUE(sentinel.ok()) << sentinel.status();
  // Get(kHang) returns DEADLINE_EXCEEDED itself if the future hangs.
  absl::StatusOr<NodeAddress> master =
      (*sentinel)->DiscoverMaster().Get(kHang);
  ASSERT_TRUE(master.ok()) << master.status();
  proxy_->Blackhole();

  master = (*sentinel)->DiscoverMaster().Get(kHang);
  ASSERT_TRUE(master.ok()) << master.status();
  EXPECT_EQ(master->port, topo_->master_port());
  EXPECT_EQ((*sentinel)->sentinels()[0].port, topo_->sentinel_port(1));

  absl::StatusOr<std::shared_ptr<async::Sentinel>> fresh =
      async::Sentinel::Create((*loop)->loop(), DefaultOptions(/*all=*/true));
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  master = (*fresh)->DiscoverMaster().Get(kHang);
  ASSERT_TRUE(master.ok()) << master.status();
  EXPECT_EQ(master->port, topo_->master_port());
}

TEST_F(SentinelDefaultsTest, AsyncOnlySilentSentinelIsNotFound) {
  absl::StatusOr<std::unique_ptr<async::EventLoopThread>> loop =
      async::EventLoopThread::Start();
  ASSERT_TRUE(loop.ok()) << loop.status();
  absl::StatusOr<std::shared_ptr<async::Sentinel>> sentinel =
      async::Sentinel::Create((*loop)->loop(), DefaultOptions(/*all=*/false));
  ASSERT_TRUE(sentinel.ok()) << sentinel.status();
  absl::StatusOr<NodeAddress> master =
      (*sentinel)->DiscoverMaster().Get(kHang);
  ASSERT_TRUE(master.ok()) << master.status();
  proxy_->Blackhole();

  master = (*sentinel)->DiscoverMaster().Get(kHang);
  ASSERT_FALSE(master.ok());
  EXPECT_EQ(master.status().code(), absl::StatusCode::kNotFound)
      << master.status();
  EXPECT_EQ(GetErrorKind(master.status()), ErrorKind::kMasterNotFound);
  EXPECT_TRUE(absl::StrContains(master.status().message(), ProxyAddress()))
      << master.status();
}

}  // namespace
}  // namespace valkey
