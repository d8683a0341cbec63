// Shared fixture for the sync Client's integration tests: a fresh
// valkey-server per test and a Client of it speaking the RESP version given
// as the test parameter (2 or 3).
//
//   using HashCommandsTest = ::valkey::testing::RespClientTest;
//
//   INSTANTIATE_TEST_SUITE_P(Resp, HashCommandsTest,
//                            ::valkey::testing::RespProtocols(),
//                            ::valkey::testing::RespName);
//
//   TEST_P(HashCommandsTest, Scan) { ... client_->HSet(...) ... }
//
// A suite that needs other client settings derives from RespClientTest and
// overrides AdjustOptions; Options() and the client SetUp creates both
// honour it.

#ifndef VALKEY_CLIENT_CLIENT_TEST_FIXTURE_H_
#define VALKEY_CLIENT_CLIENT_TEST_FIXTURE_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_server.h"
#include "valkey/client/client.h"

namespace valkey::testing {

class RespClientTest : public ::testing::TestWithParam<int> {
 protected:
  // Starts server_, then client_ = Client::Create(Options()).
  void SetUp() override {
    auto server = ValkeyServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto client = Client::Create(Options());
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  // A client of server_ at 127.0.0.1 speaking RESP GetParam(): 5 s socket
  // timeout, at most 4 pooled connections, then AdjustOptions.
  ClientOptions Options() const {
    ClientOptions options;
    options.connection.host = "127.0.0.1";
    options.connection.port = server_->port();
    options.connection.protocol = GetParam();
    options.connection.socket_timeout = absl::Seconds(5);
    options.pool.max_connections = 4;
    AdjustOptions(options);
    return options;
  }

  // Suite-specific changes to what Options() returns.
  virtual void AdjustOptions(ClientOptions& options) const {}

  ValkeyServer& server() const { return *server_; }
  Client& client() const { return *client_; }

  std::unique_ptr<ValkeyServer> server_;
  std::unique_ptr<Client> client_;
};

// The protocol parameters every RespClientTest suite runs with.
inline auto RespProtocols() { return ::testing::Values(2, 3); }

// Names the instantiations "Resp2" and "Resp3".
inline std::string RespName(const ::testing::TestParamInfo<int>& info) {
  return absl::StrCat("Resp", info.param);
}

}  // namespace valkey::testing

#endif  // VALKEY_CLIENT_CLIENT_TEST_FIXTURE_H_
