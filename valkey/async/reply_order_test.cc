// No caller ever receives another caller's reply on the shared connection,
// even when some callers send commands that would put the connection into a
// mode where replies stop matching commands (SUBSCRIBE and friends, MONITOR,
// CLIENT REPLY OFF/SKIP, RESET): those are refused with INVALID_ARGUMENT
// before anything is sent. Real valkey-server, RESP2 and RESP3.

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
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

class ReplyOrderTest : public ::testing::TestWithParam<int> {
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
  }

  ClientOptions Options() const {
    ClientOptions o;
    o.connection.host = "127.0.0.1";
    o.connection.port = server_->port();
    o.connection.protocol = GetParam();
    o.connection.connect_timeout = absl::Seconds(5);
    o.connection.socket_timeout = absl::Seconds(5);
    return o;
  }

  std::unique_ptr<ValkeyServer> server_;
  std::unique_ptr<EventLoopThread> thread_;
};

// The commands a worker interleaves with its own SET/GET pairs. Each must be
// refused without touching the connection.
const std::vector<std::vector<std::string>>& ModeChangers() {
  static const auto* const kCommands =
      new std::vector<std::vector<std::string>>{
          {"SUBSCRIBE", "order:ch"},   {"psubscribe", "order:*"},
          {"SSUBSCRIBE", "order:sh"},  {"UNSUBSCRIBE"},
          {"PUNSUBSCRIBE", "order:*"}, {"sunsubscribe"},
          {"MONITOR"},                 {"CLIENT", "REPLY", "OFF"},
          {"client", "reply", "skip"}, {"RESET"},
      };
  return *kCommands;
}

struct Counts {
  std::atomic<int> matched{0};
  std::atomic<int> mismatched{0};
  std::atomic<int> refused{0};
  std::atomic<int> other_errors{0};
};

// SET a unique value, GET it back, and every few rounds slip in a
// mode-changing command through the generic Execute.
Task<int> Worker(Client& c, int id, int rounds, Counts* counts) {
  for (int i = 0; i < rounds; ++i) {
    const std::string key = absl::StrCat("order:", id, ":", i);
    const std::string value = absl::StrCat("v", id, "-", i);
    Future<bool> set = c.Set(key, value);
    Future<Reply> odd;
    const auto& changers = ModeChangers();
    const std::vector<std::string>& cmd = changers[(id + i) % changers.size()];
    std::vector<CommandArg> argv(cmd.begin(), cmd.end());
    odd = c.ExecuteArgs(argv);
    Future<std::optional<std::string>> get = c.Get(key);
    absl::StatusOr<bool> s = co_await std::move(set);
    absl::StatusOr<Reply> o = co_await std::move(odd);
    absl::StatusOr<std::optional<std::string>> g = co_await std::move(get);
    if (!o.ok() && o.status().code() == absl::StatusCode::kInvalidArgument) {
      ++counts->refused;
    } else {
      ++counts->other_errors;
    }
    if (!s.ok() || !g.ok()) {
      ++counts->other_errors;
    } else if (*g == value) {
      ++counts->matched;
    } else {
      ++counts->mismatched;
    }
  }
  co_return rounds;
}

TEST_P(ReplyOrderTest, ModeChangingCommandsNeverShiftRepliesToOtherCallers) {
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Create(thread_->loop(), Options());
  ASSERT_TRUE(client.ok()) << client.status();
  Client& c = **client;

  // 20 coroutines x 167 rounds x 3 commands: about 10,000 commands.
  constexpr int kWorkers = 20;
  constexpr int kRounds = 167;
  Counts counts;
  std::vector<Future<int>> done;
  for (int w = 0; w < kWorkers; ++w) {
    done.push_back(Worker(c, w, kRounds, &counts).future());
  }
  for (Future<int>& f : done) {
    absl::StatusOr<int> r = f.Get(absl::Seconds(60));
    ASSERT_TRUE(r.ok()) << r.status();
  }
  EXPECT_EQ(counts.mismatched.load(), 0);
  EXPECT_EQ(counts.other_errors.load(), 0);
  EXPECT_EQ(counts.matched.load(), kWorkers * kRounds);
  EXPECT_EQ(counts.refused.load(), kWorkers * kRounds);

  // The connection never left normal mode: nothing was dropped.
  EXPECT_EQ(c.connection().stats().connects, 1u);
  absl::StatusOr<Reply> pong = c.Execute("PING").Get(absl::Seconds(5));
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->view().str(), "PONG");
}

TEST_P(ReplyOrderTest, RefusalNamesTheCommandAndTheWayToDoIt) {
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Create(thread_->loop(), Options());
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<Reply> r =
      (*client)->Execute("SUBSCRIBE", "x").Get(absl::Seconds(5));
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument)
      << r.status();
  EXPECT_NE(r.status().message().find("SUBSCRIBE"), absl::string_view::npos);
  EXPECT_NE(r.status().message().find("Subscribe()"), absl::string_view::npos);

  // A pipeline and a MULTI/EXEC refuse them too, failing only that slot.
  Pipeline p = (*client)->CreatePipeline();
  Future<Reply> ok = p.Execute("SET", "k", "v");
  Future<Reply> bad = p.Execute("MONITOR");
  Future<Reply> after = p.Execute("GET", "k");
  p.Send();
  absl::StatusOr<Reply> ok_r = ok.Get(absl::Seconds(5));
  absl::StatusOr<Reply> bad_r = bad.Get(absl::Seconds(5));
  absl::StatusOr<Reply> after_r = after.Get(absl::Seconds(5));
  ASSERT_TRUE(ok_r.ok()) << ok_r.status();
  EXPECT_EQ(bad_r.status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(after_r.ok()) << after_r.status();
  EXPECT_EQ(after_r->view().str(), "v");

  // The bare connection refuses them as well.
  absl::StatusOr<Reply> raw = (*client)
                                  ->connection()
                                  .Execute("CLIENT", "REPLY", "OFF")
                                  .Get(absl::Seconds(5));
  EXPECT_EQ(raw.status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<Reply> on = (*client)
                                 ->connection()
                                 .Execute("CLIENT", "REPLY", "ON")
                                 .Get(absl::Seconds(5));
  EXPECT_TRUE(on.ok()) << on.status();
}

INSTANTIATE_TEST_SUITE_P(Protocols, ReplyOrderTest, ::testing::Values(2, 3),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return absl::StrCat("Resp", info.param);
                         });

}  // namespace
}  // namespace valkey::async
