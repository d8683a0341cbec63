// CreateClient chooses the client a configuration describes: Client::Create
// refuses a `sentinel` block (the client packages know nothing of
// Sentinel); the factory follows the service's master instead. Here the
// "sentinel" is a plain valkey-server, which knows no service: creation
// succeeds and commands fail with "no master found" (or a connection
// error) instead of hanging; the Sentinel behaviour itself is
// sentinel_test's and async_sentinel_test's. A config without a sentinel
// block makes a plain client of the configured server.

#include "valkey/client_factory.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "testing/sentinel_test_support.h"
#include "testing/sentinel_topology.h"
#include "testing/valkey_server.h"
#include "valkey/async/event_loop.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

using ::testing::HasSubstr;
using ::valkey::testing::StatusIs;

constexpr absl::Duration kWait = absl::Seconds(10);

class ClientFactoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::ValkeyServer>> server =
        testing::ValkeyServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // A sentinel block naming the plain server as the only sentinel.
  std::string SentinelConfig() const {
    return absl::StrCat(
        "sentinel { sentinels { host: \"127.0.0.1\" port: ", server_->port(),
        " } service_name: \"mymaster\" }\n"
        "connection { connect_timeout { seconds: 2 } "
        "socket_timeout { seconds: 2 } }\n");
  }
  std::string SentinelUrl() const {
    return absl::StrCat("valkey+sentinel://127.0.0.1:", server_->port(),
                        "/mymaster");
  }
  std::string PlainUrl() const {
    return absl::StrCat("valkey://127.0.0.1:", server_->port());
  }

  static void ExpectNoMaster(const absl::Status& status) {
    ASSERT_FALSE(status.ok());
    EXPECT_TRUE(GetErrorKind(status) == ErrorKind::kMasterNotFound ||
                IsConnectionError(status))
        << status;
  }
  static void ExpectRefusedByCreate(const absl::Status& status) {
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr("CreateClient")));
  }

  std::unique_ptr<testing::ValkeyServer> server_;
};

TEST_F(ClientFactoryTest, BlockingFollowsTheSentinelService) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(SentinelConfig());
  ASSERT_TRUE(config.ok()) << config.status();
  ExpectRefusedByCreate(Client::Create(*config).status());
  ExpectRefusedByCreate(Client::FromUrl(SentinelUrl()).status());

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Client> c, CreateClient(*config));
  ExpectNoMaster(c->Get("k").status());
  absl::StatusOr<std::unique_ptr<Client>> url =
      CreateClientFromUrl(SentinelUrl());
  ASSERT_TRUE(url.ok()) << url.status();
  ExpectNoMaster((*url)->Ping().status());

  // Without a sentinel block: the configured server itself.
  absl::StatusOr<std::unique_ptr<Client>> plain =
      CreateClientFromUrl(PlainUrl());
  ASSERT_TRUE(plain.ok()) << plain.status();
  ASSERT_TRUE((*plain)->Set("factory:k", "v").ok());
  absl::StatusOr<std::optional<std::string>> v = (*plain)->Get("factory:k");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, std::optional<std::string>("v"));
}

TEST_F(ClientFactoryTest, AsyncFollowsTheSentinelService) {
  absl::StatusOr<std::unique_ptr<async::EventLoopThread>> thread =
      async::EventLoopThread::Start();
  ASSERT_TRUE(thread.ok()) << thread.status();
  async::EventLoop& loop = (*thread)->loop();
  absl::StatusOr<ClientConfig> config = ParseConfigText(SentinelConfig());
  ASSERT_TRUE(config.ok()) << config.status();
  ExpectRefusedByCreate(async::Client::Create(loop, *config).status());
  ExpectRefusedByCreate(async::Client::FromUrl(loop, SentinelUrl()).status());

  absl::StatusOr<std::unique_ptr<async::Client>> c =
      async::CreateClient(loop, *config);
  ASSERT_TRUE(c.ok()) << c.status();
  ExpectNoMaster((*c)->Get("k").Get(kWait).status());
  absl::StatusOr<std::unique_ptr<async::Client>> url =
      async::CreateClientFromUrl(loop, SentinelUrl());
  ASSERT_TRUE(url.ok()) << url.status();
  ExpectNoMaster((*url)->Execute("PING").Get(kWait).status());

  absl::StatusOr<std::unique_ptr<async::Client>> plain =
      async::CreateClientFromUrl(loop, PlainUrl());
  ASSERT_TRUE(plain.ok()) << plain.status();
  absl::StatusOr<std::string> pong = (*plain)->Ping().Get(kWait);
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(*pong, "PONG");
}

// Against real sentinels: both clients made from a sentinel block write to
// the service's master (the moved Client::Create cases of sentinel_test and
// async_sentinel_test).
TEST(ClientFactorySentinelTest, BothClientsReachTheMaster) {
  absl::StatusOr<std::unique_ptr<testing::SentinelTopology>> topo =
      testing::SentinelTopology::Start({});
  ASSERT_TRUE(topo.ok()) << topo.status();
  const ClientOptions options = testing::MakeClientOptions(**topo);

  absl::StatusOr<std::unique_ptr<Client>> sync = CreateClient(options);
  ASSERT_TRUE(sync.ok()) << sync.status();
  ASSERT_TRUE((*sync)->Set("factory:sentinel", "s").ok());
  absl::StatusOr<Reply> role = (*sync)->Execute("ROLE");
  ASSERT_TRUE(role.ok()) << role.status();
  EXPECT_EQ(role->child(0).str(), "master");

  absl::StatusOr<std::unique_ptr<async::EventLoopThread>> thread =
      async::EventLoopThread::Start();
  ASSERT_TRUE(thread.ok()) << thread.status();
  absl::StatusOr<std::unique_ptr<async::Client>> async =
      async::CreateClient((*thread)->loop(), options);
  ASSERT_TRUE(async.ok()) << async.status();
  absl::StatusOr<std::optional<std::string>> got =
      (*async)->Get("factory:sentinel").Get(kWait);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, std::optional<std::string>("s"));
  absl::StatusOr<Reply> async_role = (*async)->Execute("ROLE").Get(kWait);
  ASSERT_TRUE(async_role.ok()) << async_role.status();
  EXPECT_EQ(async_role->view()[0].str(), "master");
}

// The blocking and async Sentinel clients refuse the same options with the
// same status (one check, follow_options.h).
TEST_F(ClientFactoryTest, CacheWithSentinelIsRefusedAlikeByBoth) {
  std::string text = SentinelConfig();
  text.replace(text.find("connection {"), sizeof("connection {") - 1,
               "connection { protocol: 3");
  absl::StatusOr<ClientConfig> config =
      ParseConfigText(absl::StrCat(text, "cache { enabled: true }\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<std::unique_ptr<Client>> sync = CreateClient(*config);
  absl::StatusOr<std::unique_ptr<async::EventLoopThread>> thread =
      async::EventLoopThread::Start();
  ASSERT_TRUE(thread.ok()) << thread.status();
  absl::StatusOr<std::unique_ptr<async::Client>> async =
      async::CreateClient((*thread)->loop(), *config);
  EXPECT_THAT(sync, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(async, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(sync.status().message(), async.status().message());
  EXPECT_TRUE(absl::StrContains(sync.status().message(), "cache.enabled"))
      << sync.status();
}

}  // namespace
}  // namespace valkey
