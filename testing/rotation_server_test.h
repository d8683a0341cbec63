// RotationServerTest: a gtest fixture base for credential-rotation tests
// against one real valkey-server, parameterized by the RESP protocol the
// client speaks (GetParam(): 2 or 3).
//
//   class MyRotationTest : public valkey::testing::RotationServerTest {};
//   TEST_P(MyRotationTest, Switches) {
//     auto pool = ConnectionPool::Create(RotationConnection(), {});
//     provider_->Set(Credentials{"bob", "bob-pw"});
//     ...
//   }
//   INSTANTIATE_TEST_SUITE_P(Resp, MyRotationTest, ::testing::Values(2, 3));
//
// SetUp starts a fresh server per test whose ACL has the rotation users
// (RotationAclUsers(): alice/alice-pw and bob/bob-pw) and a
// SwitchableCredentialProvider that answers alice; a server that does not
// start (a missing valkey-server included) fails the test, never skips it.
// A suite that overrides SetUp() calls this class's SetUp() first and
// returns if it failed (HasFatalFailure()).
//
// Thread-safety: as any gtest fixture (the test's thread); the provider
// itself is thread-safe.

#ifndef VALKEY_TESTING_ROTATION_SERVER_TEST_H_
#define VALKEY_TESTING_ROTATION_SERVER_TEST_H_

#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/rotation_users.h"
#include "testing/switchable_credential_provider.h"
#include "testing/valkey_server.h"
#include "valkey/common/credentials.h"
#include "valkey/common/options.h"

namespace valkey::testing {

class RotationServerTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    ValkeyServer::Options server_options;
    server_options.acl_users = RotationAclUsers();
    absl::StatusOr<std::unique_ptr<ValkeyServer>> server =
        ValkeyServer::Start(server_options);
    ASSERT_TRUE(server.ok()) << "valkey-server did not start: "
                             << server.status();
    server_ = *std::move(server);
    provider_ = std::make_shared<SwitchableCredentialProvider>(
        Credentials{"alice", "alice-pw"});
  }

  // Options for a connection to the server as the provider's user: TCP on
  // loopback, GetParam()'s protocol, a 5 s socket time-out (only a hang
  // reaches it).
  ConnectionOptions RotationConnection() const {
    ConnectionOptions options;
    options.host = "127.0.0.1";
    options.port = server_->port();
    options.protocol = GetParam();
    options.socket_timeout = absl::Seconds(5);
    options.credentials = provider_;
    return options;
  }

  std::unique_ptr<ValkeyServer> server_;
  std::shared_ptr<SwitchableCredentialProvider> provider_;
};

}  // namespace valkey::testing

#endif  // VALKEY_TESTING_ROTATION_SERVER_TEST_H_
