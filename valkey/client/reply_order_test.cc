// The blocking client never hands a caller another caller's reply, and never
// returns a connection to its pool in a mode where replies stop matching
// commands: SUBSCRIBE and friends, MONITOR, CLIENT REPLY OFF/SKIP and RESET
// sent through the generic Execute (or a pipeline, or a transaction) are
// refused with INVALID_ARGUMENT before anything is sent. Real valkey-server,
// RESP2 and RESP3.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/client/client.h"
#include "valkey/client/client_test_fixture.h"
#include "valkey/client/pipeline.h"
#include "valkey/client/transaction.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

class SyncReplyOrderTest : public ::valkey::testing::RespClientTest {
 protected:
  void AdjustOptions(ClientOptions& options) const override {
    // Before the fix a RESP3 SUBSCRIBE waited out the socket time-out.
    options.connection.socket_timeout = absl::Seconds(1);
  }
};

const std::vector<std::vector<std::string>>& ModeChangers() {
  static const auto* const kCommands =
      new std::vector<std::vector<std::string>>{
          {"SUBSCRIBE", "order:ch"}, {"PSUBSCRIBE", "order:*"},
          {"ssubscribe", "order:s"}, {"UNSUBSCRIBE"},
          {"MONITOR"},               {"CLIENT", "REPLY", "OFF"},
          {"RESET"},
      };
  return *kCommands;
}

TEST_P(SyncReplyOrderTest, ModeChangingCommandsNeverReachTheWire) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 150;
  std::atomic<int> matched{0}, mismatched{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        const std::string key = absl::StrCat("order:", t, ":", i);
        const std::string value = absl::StrCat("v", t, "-", i);
        absl::StatusOr<bool> set = client().Set(key, value);
        const auto& cmd = ModeChangers()[(t + i) % ModeChangers().size()];
        std::vector<absl::string_view> argv(cmd.begin(), cmd.end());
        absl::StatusOr<Reply> odd = client().ExecuteArgv(argv);
        if (odd.status().code() == absl::StatusCode::kInvalidArgument) {
          ++refused;
        } else {
          ++other;
        }
        absl::StatusOr<std::optional<std::string>> got = client().Get(key);
        if (!set.ok() || !got.ok()) {
          ++other;
        } else if (*got == value) {
          ++matched;
        } else {
          ++mismatched;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatched.load(), 0);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(matched.load(), kThreads * kRounds);
  EXPECT_EQ(refused.load(), kThreads * kRounds);
}

TEST_P(SyncReplyOrderTest, PipelinesAndTransactionsRefuseThemPerSlot) {
  Pipeline pipeline(client());
  pipeline.Command("SET", "k", "v");
  pipeline.Command("SUBSCRIBE", "ch");
  pipeline.Command("GET", "k");
  absl::StatusOr<PipelineResults> results = pipeline.Execute();
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 3u);
  EXPECT_TRUE(results->status(0).ok()) << results->status(0);
  EXPECT_EQ(results->status(1).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(results->status(2).ok()) << results->status(2);

  const std::vector<std::string> watched = {"k"};
  absl::StatusOr<PipelineResults> in_transaction = Transaction(
      client(),
      [](TransactionContext& tx) -> absl::Status {
        absl::StatusOr<Reply> r = tx.Execute("MONITOR");
        return r.status();
      },
      watched);
  EXPECT_EQ(in_transaction.status().code(),
            absl::StatusCode::kInvalidArgument)
      << in_transaction.status();

  // The pool's connections all still answer normally.
  for (int i = 0; i < 8; ++i) {
    absl::StatusOr<std::optional<std::string>> got = client().Get("k");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, "v");
  }
}

INSTANTIATE_TEST_SUITE_P(Resp, SyncReplyOrderTest,
                         ::valkey::testing::RespProtocols(),
                         ::valkey::testing::RespName);

}  // namespace
}  // namespace valkey
