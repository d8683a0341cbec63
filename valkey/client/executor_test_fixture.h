// ExecutorTest: runs a command-family test against every executor of the
// command table (command_table.h) — the blocking Client over RESP2 and over
// RESP3, a Pipeline (RESP2) and the async Client (RESP3) — with a fresh
// valkey-server per test.
//
//   namespace valkey::executor_tests {
//   namespace {
//
//   VALKEY_EXECUTOR_TEST_SUITE(BitmapCommandsTest);
//
//   TEST_P(BitmapCommandsTest, SetAndCount) {
//     EXPECT_THAT(Run([](auto& c) { return c.SetBit("b", 7, true); }),
//                 IsOkAndHolds(false));
//   }
//
//   }  // namespace
//   }  // namespace valkey::executor_tests
//
// VALKEY_EXECUTOR_TEST_SUITE(Suite) declares Suite as ExecutorTest and
// instantiates it on every executor; a suite that needs a helper or other
// client options derives from ExecutorTest and uses
// VALKEY_INSTANTIATE_EXECUTOR_TESTS(Suite) instead. Test files put their
// tests in namespace valkey::executor_tests, which brings the matchers
// every family test uses (ElementsAre, Optional, IsOkAndHolds, StatusIs,
// ...), so no file repeats the same using-block.
//
// Run(f) calls the generic lambda `f` with the executor under test and
// hands back the command's outcome as absl::StatusOr<T> whatever the
// executor's own wrapper is (StatusOr, a pipeline Slot executed as a
// one-command batch, or a Future waited for up to 10 s). So one test body
// checks argument building and reply conversion on every path. client()
// is a blocking RESP3 client of the same server for setting up and
// checking state outside the executor under test.
//
// Commands newer than the installed server: RequireCommand("HSETEX") asks
// the server (COMMAND INFO) and, when it lacks the command, skips the test
// with a message naming the command and the server's version; use
//   if (!RequireCommand("HSETEX")) GTEST_SKIP() << skip_reason();
//
// AdjustOptions (virtual) changes the options of every client the fixture
// creates; NewClient() makes one more blocking client of the server, e.g.
// to push from another thread while the executor under test blocks.
//
// Thread-safety: gtest fixtures run on the test's thread; client() and
// NewClient()'s clients are thread-safe (client.h).

#ifndef VALKEY_CLIENT_EXECUTOR_TEST_FIXTURE_H_
#define VALKEY_CLIENT_EXECUTOR_TEST_FIXTURE_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "testing/valkey_server.h"
#include "valkey/async/client.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/client/client.h"
#include "valkey/client/pipeline.h"
#include "valkey/common/config.h"
#include "valkey/common/reply.h"

namespace valkey::testing {

enum class ExecutorKind { kClientResp2, kClientResp3, kPipeline, kAsync };

class ExecutorTest : public ::testing::TestWithParam<ExecutorKind> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ValkeyServer>> server =
        ValkeyServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    absl::StatusOr<std::unique_ptr<Client>> setup = Client::Create(Options(3));
    ASSERT_TRUE(setup.ok()) << setup.status();
    setup_ = *std::move(setup);
    switch (GetParam()) {
      case ExecutorKind::kClientResp2:
      case ExecutorKind::kPipeline: {
        absl::StatusOr<std::unique_ptr<Client>> c = Client::Create(Options(2));
        ASSERT_TRUE(c.ok()) << c.status();
        sync_ = *std::move(c);
        break;
      }
      case ExecutorKind::kClientResp3:
        sync_ = nullptr;  // The setup client is the one under test.
        break;
      case ExecutorKind::kAsync: {
        absl::StatusOr<std::unique_ptr<async::EventLoopThread>> thread =
            async::EventLoopThread::Start();
        ASSERT_TRUE(thread.ok()) << thread.status();
        loop_thread_ = *std::move(thread);
        absl::StatusOr<std::unique_ptr<async::Client>> c =
            async::Client::Create(loop_thread_->loop(), Options(3));
        ASSERT_TRUE(c.ok()) << c.status();
        async_ = *std::move(c);
        break;
      }
    }
  }

  void TearDown() override {
    async_.reset();  // Before its loop.
    loop_thread_.reset();
  }

  // Runs `f(executor)` and returns its outcome as absl::StatusOr<T>.
  template <typename F>
  auto Run(F&& f) -> decltype(f(std::declval<Client&>())) {
    switch (GetParam()) {
      case ExecutorKind::kClientResp2:
        return f(*sync_);
      case ExecutorKind::kClientResp3:
        return f(*setup_);
      case ExecutorKind::kPipeline: {
        Pipeline pipe(*sync_);
        auto slot = f(pipe);
        absl::StatusOr<PipelineResults> results = pipe.Execute();
        if (!results.ok()) return results.status();
        return results->Get(slot);
      }
      case ExecutorKind::kAsync: {
        auto future = f(*async_);
        auto result = future.Get(absl::Seconds(10));
        if (future.valid()) {
          return absl::DeadlineExceededError(
              "the async command did not resolve within 10 s");
        }
        return result;
      }
    }
    return absl::InternalError("unknown executor");
  }

  // A blocking RESP3 client of the server, for setup and checks.
  Client& client() const { return *setup_; }
  ValkeyServer& server() const { return *server_; }

  // Another blocking RESP3 client of the server (AdjustOptions applies).
  absl::StatusOr<std::unique_ptr<Client>> NewClient() const {
    return Client::Create(Options(3));
  }

  // Suite-specific changes to the options of every client created here
  // (the executor under test, client() and NewClient()).
  virtual void AdjustOptions(ClientOptions& options) const {}

  // Whether the server has `command` (COMMAND INFO). When it does not,
  // skip_reason() names the command and the server's version.
  bool RequireCommand(absl::string_view command) {
    absl::StatusOr<Reply> info = setup_->Execute("COMMAND", "INFO", command);
    if (info.ok() && info->view().size() == 1 && !info->view()[0].is_null()) {
      return true;
    }
    skip_reason_ = absl::StrCat(command, " is not available on valkey-server ",
                                ServerVersion(), " (added in a later version)");
    return false;
  }
  // Whether `command` takes the argument `token` (COMMAND DOCS), e.g.
  // RequireArgument("SET", "IFEQ"); skip_reason() as for RequireCommand.
  bool RequireArgument(absl::string_view command, absl::string_view token) {
    absl::StatusOr<Reply> docs = setup_->Execute("COMMAND", "DOCS", command);
    if (docs.ok() && HasToken(docs->view(), token)) return true;
    skip_reason_ =
        absl::StrCat(command, " ", token, " is not available on valkey-server ",
                     ServerVersion(), " (added in a later version)");
    return false;
  }
  const std::string& skip_reason() const { return skip_reason_; }

  // The server's version ("8.0.1"), from HELLO.
  std::string ServerVersion() {
    absl::StatusOr<Reply> hello = setup_->Execute("HELLO", "3");
    if (hello.ok()) {
      for (auto [k, v] : hello->view().pairs()) {
        if (k.str() == "version") return std::string(v.str());
      }
    }
    return "of unknown version";
  }

 private:
  // Whether a "token" field of the COMMAND DOCS tree names `token`.
  static bool HasToken(const ReplyView& reply, absl::string_view token) {
    if (!reply.is_aggregate()) return false;
    for (auto [k, v] : reply.pairs()) {
      if (k.str() == "token" && v.is_string() &&
          absl::EqualsIgnoreCase(v.str(), token)) {
        return true;
      }
    }
    for (ReplyView child : reply) {
      if (HasToken(child, token)) return true;
    }
    return false;
  }
  ClientOptions Options(int protocol) const {
    ClientOptions options;
    options.connection.host = "127.0.0.1";
    options.connection.port = server_->port();
    options.connection.protocol = protocol;
    options.connection.socket_timeout = absl::Seconds(5);
    options.pool.max_connections = 4;
    AdjustOptions(options);
    return options;
  }

  std::unique_ptr<ValkeyServer> server_;
  std::unique_ptr<Client> setup_;
  std::unique_ptr<Client> sync_;
  std::unique_ptr<async::EventLoopThread> loop_thread_;
  std::unique_ptr<async::Client> async_;
  std::string skip_reason_;
};

// Every executor.
inline auto AllExecutors() {
  return ::testing::Values(ExecutorKind::kClientResp2,
                           ExecutorKind::kClientResp3, ExecutorKind::kPipeline,
                           ExecutorKind::kAsync);
}

inline std::string ExecutorName(
    const ::testing::TestParamInfo<ExecutorKind>& info) {
  switch (info.param) {
    case ExecutorKind::kClientResp2:
      return "ClientResp2";
    case ExecutorKind::kClientResp3:
      return "ClientResp3";
    case ExecutorKind::kPipeline:
      return "Pipeline";
    case ExecutorKind::kAsync:
      return "Async";
  }
  return "Unknown";
}

}  // namespace valkey::testing

// Declares `Suite` as ExecutorTest and runs its TEST_Ps on every executor.
#define VALKEY_EXECUTOR_TEST_SUITE(Suite)      \
  using Suite = ::valkey::testing::ExecutorTest; \
  VALKEY_INSTANTIATE_EXECUTOR_TESTS(Suite)

// Runs the TEST_Ps of `Suite`, a class derived from ExecutorTest, on every
// executor; each instantiation is named for its executor (".../Async").
#define VALKEY_INSTANTIATE_EXECUTOR_TESTS(Suite)                         \
  INSTANTIATE_TEST_SUITE_P(Executors, Suite,                             \
                           ::valkey::testing::AllExecutors(),            \
                           ::valkey::testing::ExecutorName)

// The names the command-family tests share. A test file opens this
// namespace (and an unnamed one inside it) instead of repeating the same
// using-declarations; it is for test files only, like this header.
namespace valkey::executor_tests {

using ::testing::DoubleEq;
using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;
using ::valkey::testing::ExecutorTest;
using ::valkey::testing::IsOk;
using ::valkey::testing::IsOkAndHolds;
using ::valkey::testing::StatusIs;

}  // namespace valkey::executor_tests

#endif  // VALKEY_CLIENT_EXECUTOR_TEST_FIXTURE_H_
