// AsyncOptions::write_during_dispatch: when one read brings the replies of a
// deep queue, the commands the resumed callers issue go out in two sends —
// the first after half of the replies have been handed out, so the server
// works while the loop resumes the rest — and still match their callers.
// Counted, not timed: the loop is driven one turn at a time with RunOnce on
// the test's thread, and the connection's write counter is read around the
// one turn that reads the batch of replies.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
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
#include "valkey/connection/connection.h"

namespace valkey::async {
namespace {

using ::valkey::testing::IsOk;

// One caller: INCR `counter` (the first batch), then ECHO its own tag (the
// batch the resumed callers issue); fails unless the echo is its own.
Task<void> Caller(Connection& conn, std::string counter, std::string tag) {
  absl::StatusOr<Reply> first = co_await conn.Execute("INCR", counter);
  if (!first.ok()) co_return first.status();
  absl::StatusOr<Reply> echo = co_await conn.Execute("ECHO", tag);
  if (!echo.ok()) co_return echo.status();
  if (echo->str() != tag) {
    co_return absl::InternalError(
        absl::StrCat("caller ", tag, " got the echo ", echo->str()));
  }
  co_return absl::OkStatus();
}

class WriteDuringDispatchTest : public TurnDrivenTest {
 protected:
  void SetUp() override {
    TurnDrivenTest::SetUp();
    if (HasFatalFailure()) return;
    // A blocking connection of its own watches the server.
    absl::StatusOr<std::shared_ptr<const Connector>> connector =
        Connector::Create(OptionsFor(server()));
    ASSERT_THAT(connector, IsOk());
    absl::StatusOr<std::unique_ptr<valkey::Connection>> watcher =
        (*connector)->Connect();
    ASSERT_THAT(watcher, IsOk());
    watcher_ = *std::move(watcher);
  }

  // Waits (bounded) until the server has run `n` INCRs of `counter`, so
  // that their replies are written or about to be, in one send.
  absl::Status AwaitCount(const std::string& counter, int n) {
    const absl::Time give_up = absl::Now() + kWait;
    while (absl::Now() < give_up) {
      absl::StatusOr<Reply> value = watcher_->Execute("GET", counter);
      if (!value.ok()) return value.status();
      if (value->is_string() && value->str() == absl::StrCat(n)) {
        return absl::OkStatus();
      }
      absl::SleepFor(absl::Milliseconds(1));
    }
    return absl::DeadlineExceededError(
        absl::StrCat("the server did not run ", n, " INCRs"));
  }

  struct Turn {
    uint64_t writes = 0;    // send() calls in the turn that read the batch.
    uint64_t commands = 0;  // Commands they wrote.
  };

  // Starts `callers` callers in one turn (their INCRs go out in one write),
  // lets the server answer all of them, then runs the one turn that reads
  // the replies, counting what that turn writes. Then finishes the callers.
  absl::StatusOr<Turn> RunBatch(Connection& conn, int callers) {
    const std::string counter = absl::StrCat("calls", callers);
    std::vector<Task<void>> tasks;
    loop().Post([&] {
      for (int i = 0; i < callers; ++i) {
        tasks.push_back(Caller(conn, counter, absl::StrCat("caller-", i)));
      }
    });
    const Connection::Stats start = conn.stats();
    loop().RunOnce(absl::ZeroDuration());  // Starts them; writes the INCRs.
    const Connection::Stats sent = conn.stats();
    if (sent.commands - start.commands != static_cast<uint64_t>(callers) ||
        sent.writes - start.writes != 1) {
      return absl::InternalError(absl::StrCat(
          "the first batch took ", sent.writes - start.writes, " writes for ",
          sent.commands - start.commands, " commands"));
    }
    if (absl::Status s = AwaitCount(counter, callers); !s.ok()) return s;
    // The server may still be writing them: this turn waits for the socket
    // to become readable, then reads all 64 (one small send on loopback).
    loop().RunOnce(kWait);
    const Connection::Stats after = conn.stats();
    Turn turn{.writes = after.writes - sent.writes,
              .commands = after.commands - sent.commands};
    const bool done = loop().RunUntil(
        [&] {
          for (const Task<void>& t : tasks) {
            if (!t.ready()) return false;
          }
          return true;
        },
        absl::Now() + kWait);
    if (!done) return absl::InternalError("callers hung");
    for (Task<void>& t : tasks) {
      if (absl::Status s = t.Get(absl::ZeroDuration()); !s.ok()) return s;
    }
    return turn;
  }

  absl::StatusOr<Connection> Connect(AsyncOptions async) {
    absl::StatusOr<Connection> conn =
        Connection::Create(loop(), OptionsFor(server()), std::move(async));
    if (!conn.ok()) return conn.status();
    if (!loop().RunUntil([&] { return conn->connected(); },
                         absl::Now() + kWait)) {
      return absl::InternalError("not connected within 10 s");
    }
    return conn;
  }

  std::unique_ptr<valkey::Connection> watcher_;
};

TEST_F(WriteDuringDispatchTest, ADeepBatchsNextCommandsGoOutInTwoWrites) {
  absl::StatusOr<Connection> conn = Connect(AsyncOptions());  // Default: on.
  ASSERT_THAT(conn, IsOk());
  absl::StatusOr<Turn> turn = RunBatch(*conn, 64);
  ASSERT_THAT(turn, IsOk());
  // 32 as soon as the first 32 callers have issued theirs, 32 at the end of
  // the turn; every echo reached its own caller (RunBatch checks).
  EXPECT_EQ(turn->commands, 64u);
  EXPECT_EQ(turn->writes, 2u);
  conn->Close();
  Drain();
}

// The same over TLS: the mid-dispatch write goes through the session
// while the records just read are being handed out.
class WriteDuringDispatchTlsTest : public WriteDuringDispatchTest {
 protected:
  testing::ValkeyServer::Options ServerOptions() const override {
    testing::ValkeyServer::Options options;
    options.tls = true;
    return options;
  }
};

TEST_F(WriteDuringDispatchTlsTest, ADeepBatchsNextCommandsGoOutInTwoWrites) {
  ConnectionOptions options = OptionsFor(server());
  options.port = server().tls_port();
  options.tls.enabled = true;
  options.tls.ca_file = server().ca_cert_path();
  options.tls.use_system_trust_store = false;
  absl::StatusOr<Connection> conn =
      Connection::Create(loop(), std::move(options), AsyncOptions());
  ASSERT_THAT(conn, IsOk());
  ASSERT_TRUE(
      loop().RunUntil([&] { return conn->connected(); }, absl::Now() + kWait));
  absl::StatusOr<Turn> turn = RunBatch(*conn, 64);
  ASSERT_THAT(turn, IsOk());
  EXPECT_EQ(turn->commands, 64u);
  EXPECT_EQ(turn->writes, 2u);  // One TLS record each.
  conn->Close();
  Drain();
}

TEST_F(WriteDuringDispatchTest, AShallowBatchIsWrittenOnce) {
  absl::StatusOr<Connection> conn = Connect(AsyncOptions());
  ASSERT_THAT(conn, IsOk());
  // Below 32 in flight the extra send() would cost more than it gains.
  absl::StatusOr<Turn> turn = RunBatch(*conn, 31);
  ASSERT_THAT(turn, IsOk());
  EXPECT_EQ(turn->commands, 31u);
  EXPECT_EQ(turn->writes, 1u);
  conn->Close();
  Drain();
}

TEST_F(WriteDuringDispatchTest, OffWritesTheTurnsCommandsOnce) {
  AsyncOptions async;
  async.write_during_dispatch = false;
  absl::StatusOr<Connection> conn = Connect(std::move(async));
  ASSERT_THAT(conn, IsOk());
  absl::StatusOr<Turn> turn = RunBatch(*conn, 64);
  ASSERT_THAT(turn, IsOk());
  EXPECT_EQ(turn->commands, 64u);
  EXPECT_EQ(turn->writes, 1u);
  conn->Close();
  Drain();
}

TEST_F(WriteDuringDispatchTest, ConfigTurnsItOffForTheClient) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(
      absl::StrCat("connection { host: \"127.0.0.1\" port: ", server().port(),
                   " }\nasync { write_during_dispatch: false }\n"));
  ASSERT_THAT(config, IsOk());
  EXPECT_FALSE(AsyncOptionsOf(*config).write_during_dispatch);
  EXPECT_TRUE(AsyncOptionsOf(ClientConfig()).write_during_dispatch);

  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Create(loop(), *config);
  ASSERT_THAT(client, IsOk());
  Connection& conn = (*client)->connection();
  ASSERT_TRUE(
      loop().RunUntil([&] { return conn.connected(); }, absl::Now() + kWait));
  absl::StatusOr<Turn> turn = RunBatch(conn, 64);
  ASSERT_THAT(turn, IsOk());
  EXPECT_EQ(turn->writes, 1u);
  (*client)->Close();
  Drain();
}

}  // namespace
}  // namespace valkey::async
