// Monitor: line parsing with canned lines, then the MONITOR feed of a real
// valkey-server over RESP2 and RESP3.

#include "valkey/client/monitor.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "valkey/client/client.h"
#include "valkey/client/client_test_fixture.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

using ::valkey::testing::RespClientTest;
using ::valkey::testing::RespName;
using ::valkey::testing::RespProtocols;
using ClientType = MonitorEvent::ClientType;

TEST(ParseMonitorLineTest, TcpClient) {
  absl::StatusOr<MonitorEvent> e = ParseMonitorLine(
      R"(1700000000.123456 [3 127.0.0.1:52314] "SET" "k" "v")");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->time, absl::FromUnixMicros(1700000000123456));
  EXPECT_EQ(e->db, 3);
  EXPECT_EQ(e->client_address, "127.0.0.1:52314");
  EXPECT_EQ(e->client_type, ClientType::kTcp);
  EXPECT_EQ(e->args, (std::vector<std::string>{"SET", "k", "v"}));
}

TEST(ParseMonitorLineTest, OtherClientKinds) {
  absl::StatusOr<MonitorEvent> e =
      ParseMonitorLine(R"(1.000001 [0 [::1]:6380] "PING")");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->client_address, "[::1]:6380");
  EXPECT_EQ(e->client_type, ClientType::kTcp);
  EXPECT_EQ(e->time, absl::FromUnixMicros(1000001));
  EXPECT_EQ(e->args, std::vector<std::string>{"PING"});

  e = ParseMonitorLine(R"(2.5 [1 lua] "set" "a" "1")");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->client_type, ClientType::kLua);
  EXPECT_EQ(e->client_address, "lua");
  EXPECT_EQ(e->time, absl::FromUnixMillis(2500));

  e = ParseMonitorLine(R"(2.000000 [0 unix:/tmp/v s.sock] "GET" "x")");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->client_type, ClientType::kUnix);
  EXPECT_EQ(e->client_address, "unix:/tmp/v s.sock");
  EXPECT_EQ(e->args, (std::vector<std::string>{"GET", "x"}));
}

TEST(ParseMonitorLineTest, UnescapesArguments) {
  absl::StatusOr<MonitorEvent> e = ParseMonitorLine(
      R"(1.0 [0 127.0.0.1:1] "SET" "a\"b\\c" "l1\nl2\r\t\a\b" "\x00\xff\x7F" "")");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->args.size(), 5u);
  EXPECT_EQ(e->args[1], "a\"b\\c");
  EXPECT_EQ(e->args[2], "l1\nl2\r\t\a\b");
  EXPECT_EQ(e->args[3], std::string("\x00\xff\x7f", 3));
  EXPECT_EQ(e->args[4], "");
}

TEST(ParseMonitorLineTest, RejectsMalformedLines) {
  for (absl::string_view line : {
           "",
           "OK",
           R"(x.1 [0 a:1] "GET")",
           R"(1.0 0 a:1] "GET")",
           R"(1.0 [x a:1] "GET")",
           R"(1.0 [0 a:1 "GET")",
           R"(1.0 [0 a:1] GET)",
           R"(1.0 [0 a:1] "GET)",
           R"(1.0 [0 a:1] "G\qT")",
           R"(1.0 [0 a:1] "\x4")",
           R"(1.0 [0 a:1] "A""B")",
       }) {
    absl::StatusOr<MonitorEvent> e = ParseMonitorLine(line);
    EXPECT_EQ(e.status().code(), absl::StatusCode::kDataLoss) << line;
    EXPECT_TRUE(IsProtocolError(e.status())) << line;
  }
}

class MonitorTest : public RespClientTest {
 protected:
  // The first event whose command is `command` (case-insensitive not
  // needed: the server prints commands as sent), within 5 s.
  static std::optional<MonitorEvent> NextCommand(Monitor& monitor,
                                                 absl::string_view command) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (absl::Now() < deadline) {
      absl::StatusOr<std::optional<MonitorEvent>> e =
          monitor.Next(absl::Milliseconds(100));
      EXPECT_TRUE(e.ok()) << e.status();
      if (!e.ok()) return std::nullopt;
      if (e->has_value() && !(*e)->args.empty() && (*e)->args[0] == command) {
        return *std::move(*e);
      }
    }
    return std::nullopt;
  }
};

INSTANTIATE_TEST_SUITE_P(Resp, MonitorTest, RespProtocols(), RespName);

TEST_P(MonitorTest, SeesAnotherClientsSet) {
  absl::StatusOr<std::unique_ptr<Monitor>> monitor = Monitor::Create(*client_);
  ASSERT_TRUE(monitor.ok()) << monitor.status();
  // Idle: nothing within the time-out.
  absl::StatusOr<std::optional<MonitorEvent>> idle =
      (*monitor)->Next(absl::Milliseconds(50));
  ASSERT_TRUE(idle.ok()) << idle.status();
  EXPECT_FALSE(idle->has_value());

  auto other = Client::Create(Options());
  ASSERT_TRUE(other.ok()) << other.status();
  const std::string value = "say \"hi\"\nback\\slash\t\x01";
  const absl::Time before = absl::Now();
  ASSERT_TRUE((*other)->Execute("SET", "mon:key", value).ok());
  std::optional<MonitorEvent> e = NextCommand(**monitor, "SET");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->args, (std::vector<std::string>{"SET", "mon:key", value}));
  EXPECT_EQ(e->db, 0);
  EXPECT_EQ(e->client_type, ClientType::kTcp);
  EXPECT_TRUE(absl::StartsWith(e->client_address, "127.0.0.1:"))
      << e->client_address;
  EXPECT_GE(e->time, before - absl::Seconds(1));
  EXPECT_LE(e->time, absl::Now() + absl::Seconds(1));

  // Integers sent as such are quoted too; the db is the issuer's.
  ClientOptions db2 = Options();
  db2.connection.db = 2;
  auto in_db2 = Client::Create(db2);
  ASSERT_TRUE(in_db2.ok()) << in_db2.status();
  ASSERT_TRUE((*in_db2)->Execute("INCRBY", "n", 42).ok());
  e = NextCommand(**monitor, "INCRBY");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->db, 2);
  EXPECT_EQ(e->args, (std::vector<std::string>{"INCRBY", "n", "42"}));
}

TEST_P(MonitorTest, ScriptAndUnixSocketClients) {
  absl::StatusOr<std::unique_ptr<Monitor>> monitor = Monitor::Create(*client_);
  ASSERT_TRUE(monitor.ok()) << monitor.status();
  ASSERT_TRUE(client_
                  ->Execute("EVAL", "return redis.call('SET', KEYS[1], 'x')", 1,
                            "lua:key")
                  .ok());
  std::optional<MonitorEvent> e = NextCommand(**monitor, "SET");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->client_type, ClientType::kLua);
  EXPECT_EQ(e->client_address, "lua");
  EXPECT_EQ(e->args, (std::vector<std::string>{"SET", "lua:key", "x"}));

  ClientOptions unix_options = Options();
  unix_options.connection.unix_path = server_->unix_path();
  auto via_unix = Client::Create(unix_options);
  ASSERT_TRUE(via_unix.ok()) << via_unix.status();
  ASSERT_TRUE((*via_unix)->Execute("GET", "over-unix").ok());
  e = NextCommand(**monitor, "GET");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->client_type, ClientType::kUnix);
  EXPECT_EQ(e->client_address, absl::StrCat("unix:", server_->unix_path()));
}

TEST_P(MonitorTest, CloseDiscardsAndConnectionLossIsReported) {
  absl::StatusOr<std::unique_ptr<Monitor>> monitor = Monitor::Create(*client_);
  ASSERT_TRUE(monitor.ok()) << monitor.status();
  EXPECT_EQ(client_->pool().stats().in_use, 1);
  ASSERT_TRUE(
      client_->Execute("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
          .ok());
  absl::StatusOr<std::optional<MonitorEvent>> e;
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  do {
    e = (*monitor)->Next(absl::Milliseconds(100));
  } while (e.ok() && absl::Now() < deadline);
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable) << e.status();
  e = (*monitor)->Next(absl::ZeroDuration());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable) << e.status();

  (*monitor)->Close();
  EXPECT_TRUE((*monitor)->closed());
  e = (*monitor)->Next(absl::ZeroDuration());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kFailedPrecondition);

  absl::StatusOr<std::unique_ptr<Monitor>> second = Monitor::Create(*client_);
  ASSERT_TRUE(second.ok()) << second.status();
  second->reset();
  const PoolStats stats = client_->pool().stats();
  EXPECT_EQ(stats.in_use, 0);
  EXPECT_EQ(stats.discarded, 2);
  // The pool's idle connections are the client's own, never a monitor.
  absl::StatusOr<Reply> pong = client_->Execute("PING");
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->str(), "PONG");
}

}  // namespace
}  // namespace valkey
