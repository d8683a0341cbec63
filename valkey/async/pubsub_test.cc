// async::PubSub against a real valkey-server whose ACL lets the subscriber
// use only "ok:*" channels: a refused SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE
// resolves its own future with the server's error, later confirmations still
// reach the right futures, and refused names are not resubscribed after a
// reconnect (which would make the whole resubscription fail). RESP2 and
// RESP3.

#include "valkey/async/pubsub.h"

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_server.h"
#include "valkey/async/client.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/common/config.h"
#include "valkey/common/credentials.h"
#include "valkey/common/errors.h"

namespace valkey::async {
namespace {

using ::valkey::testing::ValkeyServer;

constexpr absl::Duration kWait = absl::Seconds(10);

absl::Status Wait(Future<void> f) {
  absl::Status s = f.Get(kWait);
  if (f.valid()) return absl::InternalError("hung: no answer within 10 s");
  return s;
}

struct Inbox {
  absl::Mutex mu;
  std::multiset<std::string> channels;  // Channel of each message.
  std::atomic<int> disconnects{0};

  PubSubHandlers Handlers() {
    PubSubHandlers h;
    h.on_message = [this](absl::string_view ch, absl::string_view) {
      absl::MutexLock lock(&mu);
      channels.insert(std::string(ch));
    };
    h.on_pmessage = [this](absl::string_view, absl::string_view ch,
                           absl::string_view) {
      absl::MutexLock lock(&mu);
      channels.insert(std::string(ch));
    };
    h.on_disconnected = [this](const absl::Status&) { ++disconnects; };
    return h;
  }
  size_t count(const std::string& ch) {
    absl::MutexLock lock(&mu);
    return channels.count(ch);
  }
};

class AsyncPubSubTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    ValkeyServer::Options o;
    o.acl_users = {"user sub on >subpw resetchannels &ok:* +@all ~*"};
    absl::StatusOr<std::unique_ptr<ValkeyServer>> server =
        ValkeyServer::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
        EventLoopThread::Start();
    ASSERT_TRUE(thread.ok()) << thread.status();
    thread_ = *std::move(thread);

    // Publishes as the default user (every channel).
    absl::StatusOr<std::unique_ptr<Client>> publisher =
        Client::Create(thread_->loop(), Options(false));
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    publisher_ = *std::move(publisher);
  }

  ClientOptions Options(bool as_sub) const {
    ClientOptions o;
    o.connection.host = "127.0.0.1";
    o.connection.port = server_->port();
    o.connection.protocol = GetParam();
    o.connection.connect_timeout = absl::Seconds(5);
    o.connection.socket_timeout = absl::Seconds(5);
    if (as_sub) {
      o.connection.credentials =
          std::make_shared<StaticCredentialProvider>("sub", "subpw");
    }
    return o;
  }

  // Publishes on `ch` (sharded: SPUBLISH) until `inbox` has one more
  // message from it; false if none came within `within`.
  bool Delivered(Inbox& inbox, const std::string& ch, bool sharded,
                 absl::Duration within = absl::Seconds(15)) {
    const size_t before = inbox.count(ch);
    const absl::Time deadline = absl::Now() + within;
    while (absl::Now() < deadline) {
      Future<Reply> sent = sharded ? publisher_->Execute("SPUBLISH", ch, "m")
                                   : publisher_->Execute("PUBLISH", ch, "m");
      (void)sent.Get(absl::Seconds(2));
      for (int i = 0; i < 20; ++i) {
        if (inbox.count(ch) > before) return true;
        absl::SleepFor(absl::Milliseconds(10));
      }
    }
    return false;
  }

  std::unique_ptr<ValkeyServer> server_;
  std::unique_ptr<EventLoopThread> thread_;
  std::unique_ptr<Client> publisher_;
};

TEST_P(AsyncPubSubTest, RefusedSubscriptionsFailTheirOwnCallOnly) {
  Inbox inbox;
  absl::StatusOr<std::unique_ptr<PubSub>> sub =
      PubSub::Create(thread_->loop(), Options(true).connection,
                     inbox.Handlers());
  ASSERT_TRUE(sub.ok()) << sub.status();
  PubSub& s = **sub;

  const std::vector<std::string> ok1 = {"ok:1"};
  const std::vector<std::string> denied = {"denied:1", "ok:never"};
  const std::vector<std::string> denied_pattern = {"denied:*"};
  const std::vector<std::string> ok_shard = {"ok:s"};
  const std::vector<std::string> denied_shard = {"denied:s"};
  const std::vector<std::string> ok2 = {"ok:2"};

  // Issued back to back: each future gets its own command's answer.
  Future<void> f1 = s.Subscribe(ok1);
  Future<void> f2 = s.Subscribe(denied);
  Future<void> f3 = s.PSubscribe(denied_pattern);
  Future<void> f4 = s.SSubscribe(ok_shard);
  Future<void> f5 = s.SSubscribe(denied_shard);
  Future<void> f6 = s.Subscribe(ok2);
  EXPECT_TRUE(Wait(std::move(f1)).ok());
  const absl::Status refused = Wait(std::move(f2));
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied) << refused;
  EXPECT_NE(refused.message().find("SUBSCRIBE"), absl::string_view::npos)
      << refused;
  EXPECT_EQ(Wait(std::move(f3)).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Wait(std::move(f4)).ok());
  EXPECT_EQ(Wait(std::move(f5)).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Wait(std::move(f6)).ok());

  EXPECT_TRUE(Delivered(inbox, "ok:1", false));
  EXPECT_TRUE(Delivered(inbox, "ok:2", false));
  EXPECT_TRUE(Delivered(inbox, "ok:s", true));
  // "ok:never" shared its command with a refused channel: not subscribed.
  EXPECT_EQ(*publisher_->Publish("ok:never", "x").Get(kWait), 0);

  // After a restart, only what was accepted is resubscribed, and it works.
  ASSERT_TRUE(server_->Kill().ok());
  const absl::Time deadline = absl::Now() + kWait;
  while (inbox.disconnects.load() == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_GE(inbox.disconnects.load(), 1);
  absl::Status restarted = server_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_TRUE(Delivered(inbox, "ok:1", false));
  EXPECT_TRUE(Delivered(inbox, "ok:2", false));
  EXPECT_TRUE(Delivered(inbox, "ok:s", true));
  EXPECT_EQ(*publisher_->Publish("ok:never", "x").Get(kWait), 0);

  // Unsubscribing a shard channel stops its delivery.
  EXPECT_TRUE(Wait(s.SUnsubscribe(ok_shard)).ok());
  absl::StatusOr<Reply> receivers =
      publisher_->Execute("SPUBLISH", "ok:s", "x").Get(kWait);
  ASSERT_TRUE(receivers.ok()) << receivers.status();
  EXPECT_EQ(receivers->view().integer(), 0);
}

INSTANTIATE_TEST_SUITE_P(Protocols, AsyncPubSubTest, ::testing::Values(2, 3),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return absl::StrCat("Resp", info.param);
                         });

}  // namespace
}  // namespace valkey::async
