// List commands (list_commands.h) against a real valkey-server, on every
// executor (executor_test_fixture.h), including the blocking pops.

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "valkey/client/client.h"
#include "valkey/client/executor_test_fixture.h"
#include "valkey/common/errors.h"

namespace valkey::executor_tests {
namespace {

// A 2 s socket time-out, so that a blocking pop the server holds longer
// shows that executors wait for the server on top of it.
class ListCommandsTest : public ExecutorTest {
 protected:
  void AdjustOptions(ClientOptions& options) const override {
    options.connection.socket_timeout = absl::Seconds(2);
  }
};
VALKEY_INSTANTIATE_EXECUTOR_TESTS(ListCommandsTest);

TEST_P(ListCommandsTest, PushPopRange) {
  EXPECT_THAT(Run([](auto& c) { return c.RPush("l", {"b", "c"}); }),
              IsOkAndHolds(2));
  // "z" pushed last: first.
  EXPECT_THAT(Run([](auto& c) { return c.LPush("l", {"a", "z"}); }),
              IsOkAndHolds(4));
  EXPECT_THAT(Run([](auto& c) { return c.LRange("l", 0, -1); }),
              IsOkAndHolds(ElementsAre("z", "a", "b", "c")));
  EXPECT_THAT(Run([](auto& c) { return c.LRange("l", 1, 2); }),
              IsOkAndHolds(ElementsAre("a", "b")));
  EXPECT_THAT(Run([](auto& c) { return c.LRange("missing", 0, -1); }),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Run([](auto& c) { return c.LLen("l"); }), IsOkAndHolds(4));
  EXPECT_THAT(Run([](auto& c) { return c.LLen("missing"); }),
              IsOkAndHolds(0));

  EXPECT_THAT(Run([](auto& c) { return c.LPushX("missing", {"x"}); }),
              IsOkAndHolds(0));
  EXPECT_THAT(Run([](auto& c) { return c.RPushX("missing", {"x"}); }),
              IsOkAndHolds(0));
  EXPECT_THAT(client().Exists({"missing"}), IsOkAndHolds(0));
  EXPECT_THAT(Run([](auto& c) { return c.LPushX("l", {"y"}); }),
              IsOkAndHolds(5));
  EXPECT_THAT(Run([](auto& c) { return c.RPushX("l", {"d", "e"}); }),
              IsOkAndHolds(7));

  EXPECT_THAT(Run([](auto& c) { return c.LPop("l"); }),
              IsOkAndHolds(Optional(std::string("y"))));
  EXPECT_THAT(Run([](auto& c) { return c.RPop("l"); }),
              IsOkAndHolds(Optional(std::string("e"))));
  EXPECT_THAT(Run([](auto& c) { return c.LPop("l", 2); }),
              IsOkAndHolds(ElementsAre("z", "a")));
  EXPECT_THAT(Run([](auto& c) { return c.RPop("l", 2); }),
              IsOkAndHolds(ElementsAre("d", "c")));
  // Fewer than asked.
  EXPECT_THAT(Run([](auto& c) { return c.RPop("l", 10); }),
              IsOkAndHolds(ElementsAre("b")));

  // Nil cases: an empty (so missing) list.
  EXPECT_THAT(Run([](auto& c) { return c.LPop("l"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.RPop("l"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.LPop("l", 3); }),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Run([](auto& c) { return c.RPop("l", 3); }),
              IsOkAndHolds(IsEmpty()));
}

TEST_P(ListCommandsTest, IndexSetRemTrim) {
  ASSERT_OK(client().RPush("l", {"a", "b", "a", "c", "a"}));
  EXPECT_THAT(Run([](auto& c) { return c.LIndex("l", 1); }),
              IsOkAndHolds(Optional(std::string("b"))));
  EXPECT_THAT(Run([](auto& c) { return c.LIndex("l", -1); }),
              IsOkAndHolds(Optional(std::string("a"))));
  EXPECT_THAT(Run([](auto& c) { return c.LIndex("l", 99); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.LIndex("missing", 0); }),
              IsOkAndHolds(std::nullopt));

  EXPECT_OK(Run([](auto& c) { return c.LSet("l", 1, "B"); }));
  EXPECT_THAT(client().LIndex("l", 1),
              IsOkAndHolds(Optional(std::string("B"))));
  EXPECT_THAT(Run([](auto& c) { return c.LSet("l", 99, "x"); }), Not(IsOk()));
  EXPECT_EQ(ServerErrorPrefix(
                Run([](auto& c) { return c.LSet("missing", 0, "x"); })
                    .status()),
            "ERR");

  // The last "a".
  EXPECT_THAT(Run([](auto& c) { return c.LRem("l", -1, "a"); }),
              IsOkAndHolds(1));
  EXPECT_THAT(client().LRange("l", 0, -1),
              IsOkAndHolds(ElementsAre("a", "B", "a", "c")));
  EXPECT_THAT(Run([](auto& c) { return c.LRem("l", 0, "a"); }),
              IsOkAndHolds(2));
  EXPECT_THAT(Run([](auto& c) { return c.LRem("l", 0, "nope"); }),
              IsOkAndHolds(0));
  EXPECT_THAT(client().LRange("l", 0, -1), IsOkAndHolds(ElementsAre("B", "c")));

  ASSERT_OK(client().RPush("t", {"0", "1", "2", "3", "4"}));
  EXPECT_OK(Run([](auto& c) { return c.LTrim("t", 1, -2); }));
  EXPECT_THAT(client().LRange("t", 0, -1),
              IsOkAndHolds(ElementsAre("1", "2", "3")));
}

TEST_P(ListCommandsTest, BlockingPopReturnsAvailableElement) {
  ASSERT_OK(client().RPush("b", {"x", "y"}));
  EXPECT_THAT(
      Run([](auto& c) { return c.BLPop({"empty", "b"}, absl::Seconds(1)); }),
      IsOkAndHolds(Optional(ListPop{"b", "x"})));
  EXPECT_THAT(Run([](auto& c) { return c.BRPop({"b"}, absl::Seconds(1)); }),
              IsOkAndHolds(Optional(ListPop{"b", "y"})));
}

TEST_P(ListCommandsTest, BlockingPopTimesOut) {
  const absl::Time start = absl::Now();
  auto got = Run([](auto& c) {
    return c.BLPop({"empty1", "empty2"}, absl::Milliseconds(300));
  });
  const absl::Duration waited = absl::Now() - start;
  EXPECT_THAT(got, IsOkAndHolds(std::nullopt));
  EXPECT_GE(waited, absl::Milliseconds(250));
  EXPECT_LT(waited, absl::Seconds(2));
  EXPECT_THAT(
      Run([](auto& c) { return c.BRPop({"empty1"}, absl::Milliseconds(100)); }),
      IsOkAndHolds(std::nullopt));

  // A server time-out longer than the socket time-out (2 s) is not a
  // client time-out: the executor waits for the server on top.
  EXPECT_THAT(Run([](auto& c) {
                return c.BLPop({"empty1"}, absl::Milliseconds(2500));
              }),
              IsOkAndHolds(std::nullopt));
}

TEST_P(ListCommandsTest, BlockingPopReceivesPushFromAnotherClient) {
  auto pusher = NewClient();
  ASSERT_TRUE(pusher.ok()) << pusher.status();
  absl::Notification pushed;
  absl::Status push_status;
  std::thread thread([&] {
    absl::SleepFor(absl::Milliseconds(300));
    push_status = (*pusher)->RPush("queue", {"job-1"}).status();
    pushed.Notify();
  });
  const absl::Time start = absl::Now();
  // Zero: wait forever (bounded here by the pusher).
  auto got = Run([](auto& c) {
    return c.BLPop({"other", "queue"}, absl::ZeroDuration());
  });
  const absl::Duration waited = absl::Now() - start;
  thread.join();
  ASSERT_TRUE(push_status.ok()) << push_status;
  EXPECT_TRUE(pushed.HasBeenNotified());
  EXPECT_THAT(got, IsOkAndHolds(Optional(ListPop{"queue", "job-1"})));
  EXPECT_GE(waited, absl::Milliseconds(250));
  EXPECT_THAT(client().LLen("queue"), IsOkAndHolds(0));

  // The same with a finite time-out and BRPOP.
  std::thread thread2([&] {
    absl::SleepFor(absl::Milliseconds(200));
    push_status = (*pusher)->RPush("queue", {"a", "b"}).status();
  });
  auto tail = Run([](auto& c) { return c.BRPop({"queue"}, absl::Seconds(5)); });
  thread2.join();
  ASSERT_TRUE(push_status.ok()) << push_status;
  ASSERT_TRUE(tail.ok()) << tail.status();
  ASSERT_TRUE(tail->has_value());
  EXPECT_EQ((*tail)->value, "b");
}

TEST_P(ListCommandsTest, Errors) {
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(Run([](auto& c) { return c.LPush("l", {}); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.RPush("l", {}); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.LPushX("l", {}); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.RPushX("l", {}); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.LPop("l", -1); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.RPop("l", -1); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.BLPop({}, absl::Seconds(1)); }),
              StatusIs(kInvalid));
  auto negative =
      Run([](auto& c) { return c.BRPop({"l"}, -absl::Seconds(1)); });
  EXPECT_EQ(negative.status().code(), kInvalid);
  EXPECT_NE(negative.status().message().find("BRPOP"),
            absl::string_view::npos);
  ASSERT_OK(client().Set("s", "x"));
  EXPECT_EQ(
      GetErrorKind(Run([](auto& c) { return c.LPush("s", {"a"}); }).status()),
      ErrorKind::kWrongType);
  EXPECT_EQ(GetErrorKind(Run([](auto& c) {
                           return c.BLPop({"s"}, absl::Seconds(1));
                         }).status()),
            ErrorKind::kWrongType);
}

TEST_P(ListCommandsTest, InsertAndPos) {
  ASSERT_OK(client().RPush("l", {"a", "b", "c", "b"}));
  EXPECT_THAT(Run([](auto& c) { return c.LInsert("l", true, "c", "x"); }),
              IsOkAndHolds(5));
  EXPECT_THAT(Run([](auto& c) { return c.LInsert("l", false, "zz", "x"); }),
              IsOkAndHolds(-1));
  EXPECT_THAT(client().LRange("l", 0, -1),
              IsOkAndHolds(ElementsAre("a", "b", "x", "c", "b")));
  EXPECT_THAT(Run([](auto& c) { return c.LPos("l", "b"); }),
              IsOkAndHolds(Optional(1)));
  EXPECT_THAT(Run([](auto& c) { return c.LPos("l", "b", {.rank = -1}); }),
              IsOkAndHolds(Optional(4)));
  EXPECT_THAT(Run([](auto& c) { return c.LPos("l", "none"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.LPosAll("l", "b", 0); }),
              IsOkAndHolds(ElementsAre(1, 4)));
  EXPECT_THAT(Run([](auto& c) {
                return c.LPosAll("l", "b", 0, {.max_len = 2});
              }),
              IsOkAndHolds(ElementsAre(1)));
  EXPECT_THAT(Run([](auto& c) { return c.LPos("l", "b", {.rank = 0}); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(ListCommandsTest, MoveAndMultiPop) {
  ASSERT_OK(client().RPush("src", {"1", "2", "3"}));
  EXPECT_THAT(Run([](auto& c) {
                return c.LMove("src", "dst", ListEnd::kLeft, ListEnd::kRight);
              }),
              IsOkAndHolds(Optional(std::string("1"))));
  EXPECT_THAT(Run([](auto& c) {
                return c.BLMove("src", "dst", ListEnd::kRight, ListEnd::kLeft,
                                absl::Milliseconds(100));
              }),
              IsOkAndHolds(Optional(std::string("3"))));
  EXPECT_THAT(client().LRange("dst", 0, -1),
              IsOkAndHolds(ElementsAre("3", "1")));
  EXPECT_THAT(Run([](auto& c) {
                return c.LMove("empty", "dst", ListEnd::kLeft, ListEnd::kLeft);
              }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) {
                return c.LMPop({"empty", "dst"}, ListEnd::kLeft, 5);
              }),
              IsOkAndHolds(Optional(ListMultiPop{"dst", {"3", "1"}})));
  EXPECT_THAT(Run([](auto& c) {
                return c.BLMPop(absl::Milliseconds(100), {"src"},
                                ListEnd::kRight);
              }),
              IsOkAndHolds(Optional(ListMultiPop{"src", {"2"}})));
  // Nothing left: LMPOP answers nil at once, BLMPOP after its time-out.
  EXPECT_THAT(Run([](auto& c) { return c.LMPop({"src"}, ListEnd::kLeft); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) {
                return c.BLMPop(absl::Milliseconds(50), {"src"},
                                ListEnd::kLeft);
              }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.LMPop({}, ListEnd::kLeft); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace valkey::executor_tests
