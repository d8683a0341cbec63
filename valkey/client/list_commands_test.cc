// List commands (list_commands.h) against a real valkey-server, over RESP2
// and RESP3, including the blocking pops.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/client/client.h"
#include "valkey/client/client_test_fixture.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

using ::valkey::testing::RespClientTest;
using ::valkey::testing::RespName;
using ::valkey::testing::RespProtocols;
using Strings = std::vector<std::string>;

class ListCommandsTest : public RespClientTest {
 protected:
  void AdjustOptions(ClientOptions& options) const override {
    options.connection.socket_timeout = absl::Seconds(2);
  }

  absl::StatusOr<std::unique_ptr<Client>> NewClient() {
    return Client::Create(Options());
  }
};

INSTANTIATE_TEST_SUITE_P(Resp, ListCommandsTest, RespProtocols(), RespName);

TEST_P(ListCommandsTest, PushPopRange) {
  auto len = client_->RPush("l", {"b", "c"});
  ASSERT_TRUE(len.ok()) << len.status();
  EXPECT_EQ(*len, 2);
  EXPECT_EQ(*client_->LPush("l", {"a", "z"}), 4);  // z pushed last: first
  EXPECT_EQ(*client_->LRange("l", 0, -1), (Strings{"z", "a", "b", "c"}));
  EXPECT_EQ(*client_->LRange("l", 1, 2), (Strings{"a", "b"}));
  EXPECT_TRUE(client_->LRange("missing", 0, -1)->empty());
  EXPECT_EQ(*client_->LLen("l"), 4);
  EXPECT_EQ(*client_->LLen("missing"), 0);

  EXPECT_EQ(*client_->LPushX("missing", {"x"}), 0);
  EXPECT_EQ(*client_->RPushX("missing", {"x"}), 0);
  EXPECT_EQ(*client_->Exists({"missing"}), 0);
  EXPECT_EQ(*client_->LPushX("l", {"y"}), 5);
  EXPECT_EQ(*client_->RPushX("l", {"d", "e"}), 7);

  auto head = client_->LPop("l");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->value_or(""), "y");
  EXPECT_EQ(client_->RPop("l")->value_or(""), "e");
  auto two = client_->LPop("l", 2);
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(*two, (Strings{"z", "a"}));
  EXPECT_EQ(*client_->RPop("l", 2), (Strings{"d", "c"}));
  EXPECT_EQ(*client_->RPop("l", 10), (Strings{"b"}));  // fewer than asked

  // Nil cases: an empty (so missing) list.
  EXPECT_FALSE(client_->LPop("l")->has_value());
  EXPECT_FALSE(client_->RPop("l")->has_value());
  auto none = client_->LPop("l", 3);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  EXPECT_TRUE(client_->RPop("l", 3)->empty());
}

TEST_P(ListCommandsTest, IndexSetRemTrim) {
  ASSERT_TRUE(client_->RPush("l", {"a", "b", "a", "c", "a"}).ok());
  EXPECT_EQ(client_->LIndex("l", 1)->value_or(""), "b");
  EXPECT_EQ(client_->LIndex("l", -1)->value_or(""), "a");
  EXPECT_FALSE(client_->LIndex("l", 99)->has_value());
  EXPECT_FALSE(client_->LIndex("missing", 0)->has_value());

  auto set = client_->LSet("l", 1, "B");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(client_->LIndex("l", 1)->value_or(""), "B");
  EXPECT_FALSE(client_->LSet("l", 99, "x").ok());
  EXPECT_EQ(ServerErrorPrefix(client_->LSet("missing", 0, "x").status()),
            "ERR");

  EXPECT_EQ(*client_->LRem("l", -1, "a"), 1);  // the last "a"
  EXPECT_EQ(*client_->LRange("l", 0, -1), (Strings{"a", "B", "a", "c"}));
  EXPECT_EQ(*client_->LRem("l", 0, "a"), 2);
  EXPECT_EQ(*client_->LRem("l", 0, "nope"), 0);
  EXPECT_EQ(*client_->LRange("l", 0, -1), (Strings{"B", "c"}));

  ASSERT_TRUE(client_->RPush("t", {"0", "1", "2", "3", "4"}).ok());
  ASSERT_TRUE(client_->LTrim("t", 1, -2).ok());
  EXPECT_EQ(*client_->LRange("t", 0, -1), (Strings{"1", "2", "3"}));
}

TEST_P(ListCommandsTest, BlockingPopReturnsAvailableElement) {
  ASSERT_TRUE(client_->RPush("b", {"x", "y"}).ok());
  auto got = client_->BLPop({"empty", "b"}, absl::Seconds(1));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, (ListPop{"b", "x"}));
  auto tail = client_->BRPop({"b"}, absl::Seconds(1));
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(**tail, (ListPop{"b", "y"}));
}

TEST_P(ListCommandsTest, BlockingPopTimesOut) {
  const absl::Time start = absl::Now();
  auto got = client_->BLPop({"empty1", "empty2"}, absl::Milliseconds(300));
  const absl::Duration waited = absl::Now() - start;
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());
  EXPECT_GE(waited, absl::Milliseconds(250));
  EXPECT_LT(waited, absl::Seconds(2));
  auto rgot = client_->BRPop({"empty1"}, absl::Milliseconds(100));
  ASSERT_TRUE(rgot.ok()) << rgot.status();
  EXPECT_FALSE(rgot->has_value());

  // A server time-out longer than the socket time-out (2 s) is not a
  // client time-out: the executor waits for the server on top.
  auto longer = client_->BLPop({"empty1"}, absl::Milliseconds(2500));
  ASSERT_TRUE(longer.ok()) << longer.status();
  EXPECT_FALSE(longer->has_value());
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
  auto got = client_->BLPop({"other", "queue"}, absl::ZeroDuration());
  const absl::Duration waited = absl::Now() - start;
  thread.join();
  ASSERT_TRUE(push_status.ok()) << push_status;
  EXPECT_TRUE(pushed.HasBeenNotified());
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, (ListPop{"queue", "job-1"}));
  EXPECT_GE(waited, absl::Milliseconds(250));
  EXPECT_EQ(*client_->LLen("queue"), 0);

  // The same with a finite time-out and BRPOP.
  std::thread thread2([&] {
    absl::SleepFor(absl::Milliseconds(200));
    push_status = (*pusher)->RPush("queue", {"a", "b"}).status();
  });
  auto tail = client_->BRPop({"queue"}, absl::Seconds(5));
  thread2.join();
  ASSERT_TRUE(push_status.ok()) << push_status;
  ASSERT_TRUE(tail.ok()) << tail.status();
  ASSERT_TRUE(tail->has_value());
  EXPECT_EQ((*tail)->value, "b");
}

TEST_P(ListCommandsTest, Errors) {
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(client_->LPush("l", {}).status().code(), kInvalid);
  EXPECT_EQ(client_->RPush("l", {}).status().code(), kInvalid);
  EXPECT_EQ(client_->LPushX("l", {}).status().code(), kInvalid);
  EXPECT_EQ(client_->RPushX("l", {}).status().code(), kInvalid);
  EXPECT_EQ(client_->LPop("l", -1).status().code(), kInvalid);
  EXPECT_EQ(client_->RPop("l", -1).status().code(), kInvalid);
  EXPECT_EQ(client_->BLPop({}, absl::Seconds(1)).status().code(), kInvalid);
  auto negative = client_->BRPop({"l"}, -absl::Seconds(1));
  EXPECT_EQ(negative.status().code(), kInvalid);
  EXPECT_NE(negative.status().message().find("BRPOP"),
            absl::string_view::npos);
  ASSERT_TRUE(client_->Set("s", "x").ok());
  EXPECT_EQ(GetErrorKind(client_->LPush("s", {"a"}).status()),
            ErrorKind::kWrongType);
  EXPECT_EQ(GetErrorKind(client_->BLPop({"s"}, absl::Seconds(1)).status()),
            ErrorKind::kWrongType);
}

}  // namespace
}  // namespace valkey
