// No secret a client sends comes back in a status message, even from a
// server that echoes a refused command's arguments (servers before Redis 7
// answer an unknown command with "... with args beginning with: '3' 'AUTH'
// 'user' '<password>' "). Every layer is checked against a scripted fake
// server (//testing:echo_server): the handshake and Execute of the blocking
// and the async Connection, and Execute of the blocking and the async Client
// for AUTH, CONFIG SET requirepass and ACL SETUSER. Each message must still
// say what failed and where.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/echo_server.h"
#include "valkey/async/client.h"
#include "valkey/async/connection.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/client/client.h"
#include "valkey/client/pipeline.h"
#include "valkey/common/config.h"
#include "valkey/common/credentials.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"
#include "valkey/connection/connection.h"

namespace valkey {
namespace {

using ::valkey::testing::EchoServer;

// Distinctive, so that finding them in a message cannot be a coincidence.
constexpr char kHelloPassword[] = "Hello-Pw-4f2q";
constexpr char kAuthPassword[] = "Auth-Pw-7k1z";
constexpr char kConfigPassword[] = "Config-Pw-8d1w";
constexpr char kAclPassword[] = "Acl-Pw-2m9x";

std::unique_ptr<EchoServer> StartEcho(
    EchoServer::Responder responder = EchoServer::UnknownCommandEcho) {
  absl::StatusOr<std::unique_ptr<EchoServer>> server =
      EchoServer::Start(std::move(responder));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

ConnectionOptions Options(const EchoServer& server, int protocol) {
  ConnectionOptions options;
  options.host = server.host();
  options.port = server.port();
  options.protocol = protocol;
  options.connect_timeout = absl::Seconds(5);
  options.socket_timeout = absl::Seconds(5);
  return options;
}

std::string Where(const EchoServer& server) {
  return absl::StrCat(server.host(), ":", server.port());
}

// `status` failed, names `what` and the server, and holds no secret — in
// its message nor anywhere in ToString() (which prints the payloads).
void ExpectScrubbed(const absl::Status& status, absl::string_view what,
                    const EchoServer& server) {
  ASSERT_FALSE(status.ok());
  const std::string all = status.ToString();
  for (absl::string_view secret :
       {kHelloPassword, kAuthPassword, kConfigPassword, kAclPassword}) {
    EXPECT_FALSE(absl::StrContains(all, secret)) << all;
  }
  EXPECT_TRUE(absl::StrContains(status.message(), what)) << all;
  EXPECT_TRUE(absl::StrContains(status.message(), Where(server))) << all;
}

// ------------------------------------------------------------ blocking

absl::Status ConnectWith(const ConnectionOptions& options) {
  absl::StatusOr<std::shared_ptr<const Connector>> connector =
      Connector::Create(options);
  if (!connector.ok()) return connector.status();
  return (*connector)->Connect().status();
}

TEST(SecretEchoTest, BlockingHandshakeHelloAuth) {
  std::unique_ptr<EchoServer> server = StartEcho();
  ASSERT_NE(server, nullptr);
  ConnectionOptions options = Options(*server, 3);
  options.credentials =
      std::make_shared<StaticCredentialProvider>("u", kHelloPassword);
  const absl::Status s = ConnectWith(options);
  ExpectScrubbed(s, "HELLO", *server);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
}

TEST(SecretEchoTest, BlockingHandshakeAuth) {
  std::unique_ptr<EchoServer> server = StartEcho();
  ASSERT_NE(server, nullptr);
  for (const std::string user : {"", "u"}) {
    SCOPED_TRACE(user);
    ConnectionOptions options = Options(*server, 2);
    options.credentials =
        std::make_shared<StaticCredentialProvider>(user, kAuthPassword);
    const absl::Status s = ConnectWith(options);
    ExpectScrubbed(s, "authenticate to", *server);
    EXPECT_EQ(ServerErrorPrefix(s), "ERR") << s;
  }
}

TEST(SecretEchoTest, BlockingConnectionExecute) {
  std::unique_ptr<EchoServer> server = StartEcho();
  ASSERT_NE(server, nullptr);
  // RESP2 without credentials: the handshake only sends CLIENT SETINFO,
  // whose refusal it tolerates.
  absl::StatusOr<std::shared_ptr<const Connector>> connector =
      Connector::Create(Options(*server, 2));
  ASSERT_TRUE(connector.ok()) << connector.status();
  absl::StatusOr<std::unique_ptr<Connection>> conn = (*connector)->Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();

  ExpectScrubbed((*conn)->Execute("AUTH", "u", kAuthPassword).status(),
                 "AUTH on", *server);
  ExpectScrubbed((*conn)->Execute("auth", kAuthPassword).status(), "AUTH on",
                 *server);
  const absl::string_view config[] = {"CONFIG", "SET", "requirepass",
                                      kConfigPassword};
  ExpectScrubbed((*conn)->ExecuteArgv(config).status(), "CONFIG on", *server);
  ExpectScrubbed(
      (*conn)->Execute("ACL", "SETUSER", "u", "on", absl::StrCat(">", kAclPassword))
          .status(),
      "ACL on", *server);
  ExpectScrubbed(
      (*conn)->Execute("HELLO", "3", "AUTH", "u", kHelloPassword).status(),
      "HELLO on", *server);

  // An ordinary command's echo is kept: only secret-bearing ones lose it.
  const absl::Status get = (*conn)->Execute("GET", "plain-key").status();
  EXPECT_TRUE(absl::StrContains(get.message(), "'plain-key'")) << get;
}

TEST(SecretEchoTest, BlockingClientExecute) {
  std::unique_ptr<EchoServer> server = StartEcho();
  ASSERT_NE(server, nullptr);
  ClientOptions options;
  options.connection = Options(*server, 2);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();

  ExpectScrubbed((*client)->Execute("AUTH", "u", kAuthPassword).status(),
                 "AUTH on", *server);
  ExpectScrubbed(
      (*client)->Execute("CONFIG", "SET", "requirepass", kConfigPassword)
          .status(),
      "CONFIG on", *server);
  ExpectScrubbed(
      (*client)->Execute("ACL", "SETUSER", "u", absl::StrCat(">", kAclPassword))
          .status(),
      "ACL on", *server);

  // The same commands in a pipeline: each slot's error is scrubbed.
  Pipeline pipeline(**client);
  const Slot<Reply> auth = pipeline.Command("AUTH", kAuthPassword);
  const Slot<Reply> acl =
      pipeline.Command("ACL", "SETUSER", "u", absl::StrCat(">", kAclPassword));
  absl::StatusOr<PipelineResults> results = pipeline.Execute();
  ASSERT_TRUE(results.ok()) << results.status();
  ExpectScrubbed(results->Get(auth).status(), "(AUTH) on", *server);
  ExpectScrubbed(results->Get(acl).status(), "(ACL) on", *server);
}

// A server that echoes a secret without the "args beginning with" tail, as
// ACL SETUSER does when it quotes the modifier it refuses.
TEST(SecretEchoTest, BlockingClientQuotedModifier) {
  std::unique_ptr<EchoServer> server =
      StartEcho([](const std::vector<std::string>& argv) {
        return absl::StrCat("-ERR Error in ACL SETUSER modifier '",
                            argv.back(), "': Syntax error\r\n");
      });
  ASSERT_NE(server, nullptr);
  ClientOptions options;
  options.connection = Options(*server, 2);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();
  const absl::Status s =
      (*client)
          ->Execute("ACL", "SETUSER", "u", absl::StrCat(">", kAclPassword))
          .status();
  ExpectScrubbed(s, "ACL on", *server);
  EXPECT_TRUE(absl::StrContains(s.message(), "Syntax error")) << s;
}

// A server that runs MULTI/EXEC, and whose EXEC reply holds an error that
// quotes the secret (the command failed while it ran).
std::string TransactionResponder(const std::vector<std::string>& argv) {
  if (argv[0] == "MULTI") return "+OK\r\n";
  if (argv[0] == "EXEC") {
    return absl::StrCat("*1\r\n-ERR Invalid argument '", kConfigPassword,
                        "' for CONFIG SET 'requirepass'\r\n");
  }
  if (argv[0] == "CONFIG") return "+QUEUED\r\n";
  return EchoServer::UnknownCommandEcho(argv);  // The handshake's.
}

TEST(SecretEchoTest, BlockingTransactionElement) {
  std::unique_ptr<EchoServer> server = StartEcho(TransactionResponder);
  ASSERT_NE(server, nullptr);
  ClientOptions options;
  options.connection = Options(*server, 2);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();
  Pipeline tx(**client, {.transaction = true});
  const Slot<Reply> config =
      tx.Command("CONFIG", "SET", "requirepass", kConfigPassword);
  absl::StatusOr<PipelineResults> results = tx.Execute();
  ASSERT_TRUE(results.ok()) << results.status();
  const absl::Status s = results->Get(config).status();
  ExpectScrubbed(s, "(CONFIG) on", *server);
  EXPECT_TRUE(absl::StrContains(s.message(), "Invalid argument")) << s;
}

// ------------------------------------------------------------ async

std::unique_ptr<async::EventLoopThread> StartLoop() {
  absl::StatusOr<std::unique_ptr<async::EventLoopThread>> loop =
      async::EventLoopThread::Start();
  EXPECT_TRUE(loop.ok()) << loop.status();
  return loop.ok() ? *std::move(loop) : nullptr;
}

template <typename T>
absl::StatusOr<T> Wait(async::Future<T> future) {
  return future.Get(absl::Seconds(10));
}

TEST(SecretEchoTest, AsyncHandshake) {
  std::unique_ptr<EchoServer> server = StartEcho();
  ASSERT_NE(server, nullptr);
  std::unique_ptr<async::EventLoopThread> loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  for (const int protocol : {2, 3}) {
    SCOPED_TRACE(protocol);
    ConnectionOptions options = Options(*server, protocol);
    options.credentials = std::make_shared<StaticCredentialProvider>(
        "u", protocol == 3 ? kHelloPassword : kAuthPassword);
    absl::StatusOr<async::Connection> conn =
        async::Connection::Create(loop->loop(), options);
    ASSERT_TRUE(conn.ok()) << conn.status();
    ExpectScrubbed(Wait(conn->Execute("PING")).status(),
                   protocol == 3 ? "HELLO" : "authenticate to", *server);
  }
}

// A setup command (AsyncOptions::setup_commands) is quoted in the failed
// attempt's message, and the server's echo of it too.
TEST(SecretEchoTest, AsyncSetupCommand) {
  std::unique_ptr<EchoServer> server = StartEcho();
  ASSERT_NE(server, nullptr);
  std::unique_ptr<async::EventLoopThread> loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  async::AsyncOptions setup;
  setup.setup_commands = {{"CONFIG", "SET", "masterauth", kConfigPassword}};
  absl::StatusOr<async::Connection> conn =
      async::Connection::Create(loop->loop(), Options(*server, 2), setup);
  ASSERT_TRUE(conn.ok()) << conn.status();
  const absl::Status s = Wait(conn->Execute("PING")).status();
  ExpectScrubbed(s, "set up", *server);
  EXPECT_TRUE(absl::StrContains(s.message(), "CONFIG SET masterauth"))
      << s;
}

TEST(SecretEchoTest, AsyncConnectionExecute) {
  std::unique_ptr<EchoServer> server = StartEcho();
  ASSERT_NE(server, nullptr);
  std::unique_ptr<async::EventLoopThread> loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  absl::StatusOr<async::Connection> conn =
      async::Connection::Create(loop->loop(), Options(*server, 2));
  ASSERT_TRUE(conn.ok()) << conn.status();

  ExpectScrubbed(Wait(conn->Execute("AUTH", "u", kAuthPassword)).status(),
                 "AUTH on", *server);
  ExpectScrubbed(
      Wait(conn->Execute("CONFIG", "SET", "requirepass", kConfigPassword))
          .status(),
      "CONFIG on", *server);
  ExpectScrubbed(Wait(conn->Execute("ACL", "SETUSER", "u",
                                    absl::StrCat(">", kAclPassword)))
                     .status(),
                 "ACL on", *server);
  const absl::Status get = Wait(conn->Execute("GET", "plain-key")).status();
  EXPECT_TRUE(absl::StrContains(get.message(), "'plain-key'")) << get;
}

TEST(SecretEchoTest, AsyncClientExecute) {
  std::unique_ptr<EchoServer> server = StartEcho();
  ASSERT_NE(server, nullptr);
  std::unique_ptr<async::EventLoopThread> loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  ClientOptions options;
  options.connection = Options(*server, 2);
  absl::StatusOr<std::unique_ptr<async::Client>> client =
      async::Client::Create(loop->loop(), options);
  ASSERT_TRUE(client.ok()) << client.status();

  ExpectScrubbed(Wait((*client)->Execute("AUTH", "u", kAuthPassword)).status(),
                 "AUTH on", *server);
  ExpectScrubbed(Wait((*client)->Execute("CONFIG", "SET", "requirepass",
                                         kConfigPassword))
                     .status(),
                 "CONFIG on", *server);
  ExpectScrubbed(Wait((*client)->Execute("ACL", "SETUSER", "u",
                                         absl::StrCat(">", kAclPassword)))
                     .status(),
                 "ACL on", *server);

  // Through a pipeline (packed commands on the shared connection).
  async::Pipeline pipeline = (*client)->CreatePipeline();
  async::Future<Reply> auth = pipeline.Execute("AUTH", kAuthPassword);
  async::Future<Reply> config =
      pipeline.Execute("CONFIG", "SET", "masterauth", kConfigPassword);
  pipeline.Send();
  ExpectScrubbed(Wait(std::move(auth)).status(), "AUTH on", *server);
  ExpectScrubbed(Wait(std::move(config)).status(), "CONFIG on", *server);
}

TEST(SecretEchoTest, AsyncTransactionElement) {
  std::unique_ptr<EchoServer> server = StartEcho(TransactionResponder);
  ASSERT_NE(server, nullptr);
  std::unique_ptr<async::EventLoopThread> loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  ClientOptions options;
  options.connection = Options(*server, 2);
  absl::StatusOr<std::unique_ptr<async::Client>> client =
      async::Client::Create(loop->loop(), options);
  ASSERT_TRUE(client.ok()) << client.status();
  async::Transaction tx = (*client)->CreateTransaction();
  async::Future<Reply> config =
      tx.Command("CONFIG", "SET", "requirepass", kConfigPassword);
  async::Future<Reply> exec = tx.Exec();
  ASSERT_TRUE(Wait(std::move(exec)).ok());
  const absl::Status s = Wait(std::move(config)).status();
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(absl::StrContains(s.ToString(), kConfigPassword)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "Invalid argument")) << s;
}

}  // namespace
}  // namespace valkey
