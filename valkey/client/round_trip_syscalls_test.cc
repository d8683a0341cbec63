// What a steady-state Client::Get costs in socket system calls, counted by
// the transports (internal::SocketCallsOnThisThread), not timed: one send
// and one recv over TCP, a Unix socket and TLS, with a finite socket
// time-out (the recv is bounded by SO_RCVTIMEO) and without one, also after
// pipelines and transactions. A connection idle longer than
// Connection::kPendingCheckIdle, or one whose replies were not counted, still
// gets the kernel check for pending data at checkout. Real valkey-server.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_server.h"
#include "valkey/client/client.h"
#include "valkey/client/pipeline.h"
#include "valkey/connection/connection.h"
#include "valkey/connection/socket_transport.h"

namespace valkey {
namespace {

using ::valkey::internal::SocketCallsOnThisThread;
using ::valkey::testing::ValkeyServer;

constexpr int kGets = 100;

enum class Via { kTcp, kUnix, kTls };

class RoundTripSyscallsTest : public ::testing::TestWithParam<Via> {
 protected:
  static void SetUpTestSuite() {
    ValkeyServer::Options options;
    options.tls = true;
    auto server = ValkeyServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  ClientOptions Options(absl::Duration socket_timeout) const {
    ClientOptions options;
    ConnectionOptions& c = options.connection;
    switch (GetParam()) {
      case Via::kTcp:
        c.host = "127.0.0.1";
        c.port = server_->port();
        break;
      case Via::kUnix:
        c.unix_path = server_->unix_path();
        break;
      case Via::kTls:
        c.host = "localhost";
        c.port = server_->tls_port();
        c.tls.enabled = true;
        c.tls.ca_file = server_->ca_cert_path();
        c.tls.use_system_trust_store = false;
        break;
    }
    c.socket_timeout = socket_timeout;
    return options;
  }

  std::unique_ptr<Client> WarmClient(absl::Duration socket_timeout) {
    auto client = Client::Create(Options(socket_timeout));
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    EXPECT_TRUE((*client)->Set("syscalls:k", std::string(16, 'v')).ok());
    for (int i = 0; i < 10; ++i) Get(**client);
    return *std::move(client);
  }

  static void Get(Client& client) {
    absl::StatusOr<std::optional<std::string>> got = client.Get("syscalls:k");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, std::string(16, 'v'));
  }

  // Socket system calls of `n` GETs on this thread.
  static uint64_t CallsFor(Client& client, int n,
                           absl::Duration pause = absl::ZeroDuration()) {
    const uint64_t before = SocketCallsOnThisThread();
    for (int i = 0; i < n; ++i) {
      if (pause > absl::ZeroDuration()) absl::SleepFor(pause);
      Get(client);
    }
    return SocketCallsOnThisThread() - before;
  }

  static ValkeyServer* server_;
};

ValkeyServer* RoundTripSyscallsTest::server_ = nullptr;

INSTANTIATE_TEST_SUITE_P(Via, RoundTripSyscallsTest,
                         ::testing::Values(Via::kTcp, Via::kUnix, Via::kTls),
                         [](const auto& info) {
                           switch (info.param) {
                             case Via::kTcp:
                               return "Tcp";
                             case Via::kUnix:
                               return "Unix";
                             case Via::kTls:
                               return "Tls";
                           }
                           return "Unknown";
                         });

// Back-to-back GETs: a send and a recv each, whatever the time-out. The
// checkout skips the kernel check (every reply was read, the connection was
// just used); the idle bound is lifted so that a descheduled moment between
// two GETs cannot add a check and make the count depend on the scheduler.
TEST_P(RoundTripSyscallsTest, SteadyStateGetIsOneSendAndOneRecv) {
  internal::ScopedPendingCheckIdleForTesting no_idle_check(absl::Hours(1));
  for (absl::Duration timeout : {absl::Seconds(5), absl::InfiniteDuration()}) {
    SCOPED_TRACE(absl::FormatDuration(timeout));
    std::unique_ptr<Client> client = WarmClient(timeout);
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(CallsFor(*client, kGets), 2u * kGets);
  }
}

// A connection that sat idle (here 2 ms) is checked for pending data at
// checkout: one more call (a zero-time poll), never a missed check.
TEST_P(RoundTripSyscallsTest, IdleConnectionIsCheckedAtCheckout) {
  std::unique_ptr<Client> client = WarmClient(absl::Seconds(5));
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(CallsFor(*client, 10, absl::Milliseconds(2)), 3u * 10);
}

// Pipelines and transactions count their replies too: once they are all
// read, the next GETs are back to a send and a recv.
TEST_P(RoundTripSyscallsTest, PipelinesKeepTheConnectionInStep) {
  internal::ScopedPendingCheckIdleForTesting no_idle_check(absl::Hours(1));
  std::unique_ptr<Client> client = WarmClient(absl::Seconds(5));
  ASSERT_NE(client, nullptr);
  for (bool transaction : {false, true}) {
    Pipeline pipe(*client, {.transaction = transaction});
    Slot<std::optional<std::string>> got = pipe.Get("syscalls:k");
    pipe.Command("PING");
    absl::StatusOr<PipelineResults> results = pipe.Execute();
    ASSERT_TRUE(results.ok()) << results.status();
    EXPECT_TRUE(results->Get(got).ok());
    EXPECT_EQ(CallsFor(*client, 10), 2u * 10) << "transaction " << transaction;
  }
}

// A send that does not say how many replies it brings (raw bytes on a
// checked-out connection) leaves the connection checked by the kernel at
// every later checkout, as before this optimisation.
TEST_P(RoundTripSyscallsTest, UncountedSendsKeepTheCheck) {
  internal::ScopedPendingCheckIdleForTesting no_idle_check(absl::Hours(1));
  std::unique_ptr<Client> client = WarmClient(absl::Seconds(5));
  ASSERT_NE(client, nullptr);
  {
    absl::StatusOr<PooledConnection> conn = client->AcquireConnection();
    ASSERT_TRUE(conn.ok()) << conn.status();
    ASSERT_TRUE((*conn)->Send("*1\r\n$4\r\nPING\r\n").ok());
    absl::StatusOr<Reply> pong = (*conn)->ReadReply();
    ASSERT_TRUE(pong.ok()) << pong.status();
  }
  EXPECT_EQ(CallsFor(*client, 10), 3u * 10);
}

}  // namespace
}  // namespace valkey
