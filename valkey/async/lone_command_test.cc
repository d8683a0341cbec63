// At low load nothing waits for a batch: a command with no company is
// written in the first loop turn after it is submitted — at the end of the
// submitting turn when it is submitted on the loop's thread, in the next
// turn (the one its Post wakes) from any other thread. No timer, no
// minimum batch. Counted, not timed: the loop is driven one turn at a time
// with RunOnce on the test's thread and the connection's write counter is
// read between turns.

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "valkey/async/client.h"
#include "valkey/async/connection.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/async/turn_driven_test.h"
#include "valkey/common/config.h"
#include "valkey/common/reply.h"

namespace valkey::async {
namespace {

using ::valkey::testing::IsOk;

class LoneCommandTest : public TurnDrivenTest {};

TEST_F(LoneCommandTest, SubmittedDuringATurnIsWrittenAtTheEndOfThatTurn) {
  absl::StatusOr<Connection> conn =
      Connection::Create(loop(), OptionsFor(server()));
  ASSERT_THAT(conn, IsOk());
  ASSERT_TRUE(
      loop().RunUntil([&] { return conn->connected(); }, absl::Now() + kWait));

  // One command at a time, each from the loop's own thread (a posted
  // callback here; a coroutine resumed by the previous reply is the same).
  for (int i = 0; i < 20; ++i) {
    const Connection::Stats before = conn->stats();
    std::optional<Future<Reply>> ping;
    loop().Post([&] { ping = conn->Execute("PING"); });
    loop().RunOnce(absl::ZeroDuration());  // One turn.
    ASSERT_TRUE(ping.has_value());
    const Connection::Stats after = conn->stats();
    EXPECT_EQ(after.commands - before.commands, 1u) << "command " << i;
    EXPECT_EQ(after.writes - before.writes, 1u) << "command " << i;
    absl::StatusOr<Reply> pong = RunUntilResolved(*ping);
    ASSERT_THAT(pong, IsOk());
    EXPECT_EQ(pong->str(), "PONG");
  }
  conn->Close();
  Drain();
}

TEST_F(LoneCommandTest, SubmittedFromOutsideTheLoopIsWrittenInTheNextTurn) {
  absl::StatusOr<Connection> conn =
      Connection::Create(loop(), OptionsFor(server()));
  ASSERT_THAT(conn, IsOk());
  ASSERT_TRUE(
      loop().RunUntil([&] { return conn->connected(); }, absl::Now() + kWait));

  // No thread runs the loop between turns, so this thread is "another
  // thread": the submission is posted, and the turn it wakes writes it.
  for (int i = 0; i < 20; ++i) {
    const Connection::Stats before = conn->stats();
    Future<Reply> ping = conn->Execute("PING");
    EXPECT_EQ(conn->stats().writes, before.writes);  // Not yet: no turn ran.
    loop().RunOnce(absl::ZeroDuration());
    const Connection::Stats after = conn->stats();
    EXPECT_EQ(after.commands - before.commands, 1u) << "command " << i;
    EXPECT_EQ(after.writes - before.writes, 1u) << "command " << i;
    absl::StatusOr<Reply> pong = RunUntilResolved(ping);
    ASSERT_THAT(pong, IsOk());
    EXPECT_EQ(pong->str(), "PONG");
  }
  conn->Close();
  Drain();
}

TEST_F(LoneCommandTest, TypedClientGetIsWrittenInTheTurnThatIssuesIt) {
  ClientOptions options;
  options.connection = OptionsFor(server());
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Create(loop(), std::move(options));
  ASSERT_THAT(client, IsOk());
  Connection& conn = (*client)->connection();
  ASSERT_TRUE(
      loop().RunUntil([&] { return conn.connected(); }, absl::Now() + kWait));
  Future<bool> set = (*client)->Set("lone", "value");
  ASSERT_THAT(RunUntilResolved(set), IsOk());

  for (int i = 0; i < 20; ++i) {
    const Connection::Stats before = conn.stats();
    std::optional<Future<std::optional<std::string>>> get;
    loop().Post([&] { get = (*client)->Get("lone"); });
    loop().RunOnce(absl::ZeroDuration());
    ASSERT_TRUE(get.has_value());
    const Connection::Stats after = conn.stats();
    EXPECT_EQ(after.commands - before.commands, 1u) << "GET " << i;
    EXPECT_EQ(after.writes - before.writes, 1u) << "GET " << i;
    absl::StatusOr<std::optional<std::string>> value = RunUntilResolved(*get);
    ASSERT_THAT(value, IsOk());
    EXPECT_EQ(*value, std::optional<std::string>("value"));
  }
  (*client)->Close();
  Drain();
}

}  // namespace
}  // namespace valkey::async
