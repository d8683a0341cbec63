// A blocking Client with credential refresh across fork(): the child has
// no refresh thread, so destroying the client there must neither wait for
// it nor disturb the parent's, which goes on refreshing.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fork/forked_child.h"
#include "testing/status/status_matchers.h"
#include "testing/switchable_credential_provider.h"
#include "testing/valkey_server.h"
#include "valkey/client/client.h"
#include "valkey/common/credentials.h"

namespace valkey {
namespace {

using ::valkey::testing::IsOk;
using ::valkey::testing::SwitchableCredentialProvider;
using ::valkey::testing::ValkeyServer;

std::string WhoAmI(Client& client) {
  auto reply = client.Execute("ACL", "WHOAMI");
  if (!reply.ok()) return std::string(reply.status().message());
  return std::string(reply->str());
}

TEST(CredentialRefreshForkTest, ChildDestroysClientParentKeepsRefreshing) {
  ValkeyServer::Options server_options;
  server_options.acl_users = {"user alice on >alice-pw ~* +@all",
                              "user bob on >bob-pw ~* +@all"};
  auto server = ValkeyServer::Start(server_options);
  ASSERT_THAT(server, IsOk());
  auto provider = std::make_shared<SwitchableCredentialProvider>(
      Credentials{"alice", "alice-pw"});
  provider->set_lifetime(absl::Seconds(2));
  ClientOptions options;
  options.connection.host = "127.0.0.1";
  options.connection.port = (*server)->port();
  options.connection.socket_timeout = absl::Seconds(5);
  options.connection.credentials = provider;
  auto client = Client::Create(options);
  ASSERT_THAT(client, IsOk());
  ASSERT_EQ(WhoAmI(**client), "alice");
  ASSERT_THAT((*client)->EnableCredentialRefresh(), IsOk());

  absl::StatusOr<int> code = ::valkey::testing::RunInForkedChild([&] {
    client->reset();  // Must return: there is no thread to join here.
    return 0;
  });
  ASSERT_THAT(code, IsOk());
  EXPECT_EQ(*code, 0);

  provider->Set(Credentials{"bob", "bob-pw"});
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (WhoAmI(**client) != "bob" && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(WhoAmI(**client), "bob");
}

}  // namespace
}  // namespace valkey
