// Connection against real valkey-server processes (//testing fixtures).

#include "valkey/connection/connection.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "testing/valkey_server.h"
#include "valkey/common/credentials.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

using ::valkey::testing::ValkeyServer;

std::unique_ptr<ValkeyServer> StartServer(ValkeyServer::Options options = {}) {
  auto server = ValkeyServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

ConnectionOptions TcpOptions(const ValkeyServer& server) {
  ConnectionOptions options;
  options.host = "127.0.0.1";
  options.port = server.port();
  options.connect_timeout = absl::Seconds(5);
  options.socket_timeout = absl::Seconds(5);
  return options;
}

absl::StatusOr<std::unique_ptr<Connection>> Open(ConnectionOptions options) {
  auto connector = Connector::Create(std::move(options));
  if (!connector.ok()) return connector.status();
  return (*connector)->Connect();
}

void ExpectPing(Connection& connection) {
  auto pong = connection.Execute("PING");
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->str(), "PONG");
}

TEST(ConnectionTest, TcpResp3AndResp2) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  for (int protocol : {2, 3}) {
    ConnectionOptions options = TcpOptions(*server);
    options.protocol = protocol;
    options.client_name = "conn-test";
    auto conn = Open(options);
    ASSERT_TRUE(conn.ok()) << conn.status();
    EXPECT_EQ((*conn)->protocol(), protocol);
    ExpectPing(**conn);
    auto name = (*conn)->Execute("CLIENT", "GETNAME");
    ASSERT_TRUE(name.ok()) << name.status();
    EXPECT_EQ(name->str(), "conn-test");
    auto info = (*conn)->Execute("CLIENT", "INFO");
    ASSERT_TRUE(info.ok());
    EXPECT_TRUE(absl::StrContains(info->str(), "lib-name=valkey-cpp"))
        << info->str();
    EXPECT_TRUE(absl::StrContains(info->str(), absl::StrCat("resp=", protocol)))
        << info->str();
    // RESP3 replies a map to HGETALL, RESP2 a flat array.
    ASSERT_TRUE((*conn)->Execute("HSET", "h", "f", "v").ok());
    auto all = (*conn)->Execute("HGETALL", "h");
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->type(), protocol == 3 ? ReplyType::kMap : ReplyType::kArray);
    EXPECT_EQ((*conn)->address(), absl::StrCat("127.0.0.1:", server->port()));
  }
}

TEST(ConnectionTest, Ipv6Loopback) {
  ValkeyServer::Options server_options;
  server_options.ipv6 = true;
  auto server = StartServer(server_options);
  ASSERT_NE(server, nullptr);
  ConnectionOptions options = TcpOptions(*server);
  options.host = "::1";
  auto conn = Open(options);
  ASSERT_TRUE(conn.ok()) << conn.status();
  ExpectPing(**conn);
  EXPECT_EQ((*conn)->address(), absl::StrCat("[::1]:", server->port()));
}

TEST(ConnectionTest, UnixSocket) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ConnectionOptions options;
  options.unix_path = server->unix_path();
  auto conn = Open(options);
  ASSERT_TRUE(conn.ok()) << conn.status();
  ExpectPing(**conn);
  EXPECT_EQ((*conn)->address(), server->unix_path());
}

TEST(ConnectionTest, SelectDb) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ConnectionOptions options = TcpOptions(*server);
  options.db = 3;
  auto conn = Open(options);
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE((*conn)->Execute("SET", "where", "db3").ok());
  options.db = 0;
  auto other = Open(options);
  ASSERT_TRUE(other.ok());
  auto missing = (*other)->Execute("GET", "where");
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->is_null());
  auto selected = (*other)->Execute("SELECT", 3);
  ASSERT_TRUE(selected.ok());
  auto found = (*other)->Execute("GET", "where");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->str(), "db3");
}

TEST(ConnectionTest, RequirepassAndWrongPassword) {
  ValkeyServer::Options server_options;
  server_options.requirepass = "s3cret-Pa55";
  auto server = StartServer(server_options);
  ASSERT_NE(server, nullptr);
  for (int protocol : {2, 3}) {
    ConnectionOptions options = TcpOptions(*server);
    options.protocol = protocol;
    // No password: RESP3's HELLO is refused; over RESP2 the connection
    // opens and the first command meets NOAUTH.
    auto anonymous = Open(options);
    if (protocol == 3) {
      EXPECT_EQ(anonymous.status().code(), absl::StatusCode::kUnauthenticated)
          << anonymous.status();
    } else {
      ASSERT_TRUE(anonymous.ok()) << anonymous.status();
      auto denied = (*anonymous)->Execute("GET", "k");
      EXPECT_EQ(denied.status().code(), absl::StatusCode::kUnauthenticated);
    }

    options.credentials =
        std::make_shared<StaticCredentialProvider>("", "s3cret-Pa55");
    auto good = Open(options);
    ASSERT_TRUE(good.ok()) << good.status();
    ExpectPing(**good);

    options.credentials =
        std::make_shared<StaticCredentialProvider>("", "wrong-Pa55word");
    auto bad = Open(options);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnauthenticated)
        << bad.status();
    EXPECT_TRUE(IsAuthenticationError(bad.status()));
    EXPECT_FALSE(absl::StrContains(bad.status().ToString(), "wrong-Pa55word"))
        << bad.status();
    EXPECT_TRUE(absl::StrContains(bad.status().message(),
                                  absl::StrCat("127.0.0.1:", server->port())))
        << bad.status();
  }
}

TEST(ConnectionTest, AclUser) {
  ValkeyServer::Options server_options;
  server_options.acl_users = {"user alice on >alice-pw ~app:* +@all"};
  auto server = StartServer(server_options);
  ASSERT_NE(server, nullptr);
  for (int protocol : {2, 3}) {
    ConnectionOptions options = TcpOptions(*server);
    options.protocol = protocol;
    options.credentials =
        std::make_shared<StaticCredentialProvider>("alice", "alice-pw");
    auto conn = Open(options);
    ASSERT_TRUE(conn.ok()) << conn.status();
    auto who = (*conn)->Execute("ACL", "WHOAMI");
    ASSERT_TRUE(who.ok());
    EXPECT_EQ(who->str(), "alice");
    EXPECT_TRUE((*conn)->Execute("SET", "app:1", "v").ok());
    auto denied = (*conn)->Execute("SET", "other:1", "v");
    EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied)
        << denied.status();
    EXPECT_FALSE((*conn)->broken()) << "an error reply keeps the connection";
    ExpectPing(**conn);

    options.credentials =
        std::make_shared<StaticCredentialProvider>("alice", "not-alice-pw");
    auto bad = Open(options);
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_TRUE(absl::StrContains(bad.status().message(), "alice"));
    EXPECT_FALSE(absl::StrContains(bad.status().message(), "not-alice-pw"));
  }
}

// The credential provider is asked on every connect.
class CountingProvider : public CredentialProvider {
 public:
  absl::StatusOr<Credentials> GetCredentials() override {
    ++calls;
    if (fail) return absl::UnavailableError("vault is down");
    return Credentials{"", "pw"};
  }
  int calls = 0;
  bool fail = false;
};

TEST(ConnectionTest, CredentialProviderAskedOnEveryConnect) {
  ValkeyServer::Options server_options;
  server_options.requirepass = "pw";
  auto server = StartServer(server_options);
  ASSERT_NE(server, nullptr);
  auto provider = std::make_shared<CountingProvider>();
  ConnectionOptions options = TcpOptions(*server);
  options.credentials = provider;
  auto connector = Connector::Create(options);
  ASSERT_TRUE(connector.ok());
  ASSERT_TRUE((*connector)->Connect().ok());
  ASSERT_TRUE((*connector)->Connect().ok());
  EXPECT_EQ(provider->calls, 2);
  provider->fail = true;
  auto failed = (*connector)->Connect();
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "vault is down"));
}

TEST(ConnectionTest, ErrorReplyIsAStatusAndKeepsTheConnection) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto conn = Open(TcpOptions(*server));
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->Execute("LPUSH", "list", "a").ok());
  auto wrong = (*conn)->Execute("get", "list");
  EXPECT_EQ(ServerErrorPrefix(wrong.status()), "WRONGTYPE");
  EXPECT_TRUE(absl::StartsWith(
      wrong.status().message(),
      absl::StrCat("GET on 127.0.0.1:", server->port(), ": WRONGTYPE")))
      << wrong.status();
  EXPECT_FALSE((*conn)->broken());
  ExpectPing(**conn);
}

TEST(ConnectionTest, PipelinedSendsAndReads) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto conn = Open(TcpOptions(*server));
  ASSERT_TRUE(conn.ok());
  std::string batch;
  for (int i = 0; i < 100; ++i) AppendCommand(batch, "INCR", "counter");
  ASSERT_TRUE((*conn)->Send(batch).ok());
  for (int i = 1; i <= 100; ++i) {
    auto reply = (*conn)->ReadReply();
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->integer(), i);
  }
  EXPECT_FALSE((*conn)->HasPendingData());
}

TEST(ConnectionTest, UnreadReplyIsPendingData) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto conn = Open(TcpOptions(*server));
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->SendCommand("PING").ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!(*conn)->HasPendingData() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_TRUE((*conn)->HasPendingData());
}

TEST(ConnectionTest, ServerKilledMidUseBreaksTheConnection) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto conn = Open(TcpOptions(*server));
  ASSERT_TRUE(conn.ok());
  ExpectPing(**conn);
  ASSERT_TRUE(server->Kill().ok());
  auto failed = (*conn)->Execute("PING");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable)
      << failed.status();
  EXPECT_TRUE((*conn)->broken());
  // A broken connection stays broken, even once the server is back.
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ((*conn)->Execute("PING").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(ConnectionTest, HealthCheckPingsAfterIdle) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ConnectionOptions options = TcpOptions(*server);
  options.health_check_interval = absl::Milliseconds(20);
  auto conn = Open(options);
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->Execute("CONFIG", "RESETSTAT").ok());
  auto before = (*conn)->Execute("INFO", "commandstats");
  ASSERT_TRUE(before.ok());
  absl::SleepFor(absl::Milliseconds(40));
  ASSERT_TRUE((*conn)->CheckHealth().ok());
  ASSERT_TRUE((*conn)->CheckHealth().ok());  // Not idle: no second PING.
  auto after = (*conn)->Execute("INFO", "commandstats");
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(absl::StrContains(before->str(), "cmdstat_ping:"));
  EXPECT_TRUE(absl::StrContains(after->str(), "cmdstat_ping:calls=1,"))
      << after->str();
}

TEST(ConnectionTest, NopassAclUserWithoutPassword) {
  ValkeyServer::Options server_options;
  server_options.acl_users = {"user svc on nopass ~* +@all"};
  auto server = StartServer(server_options);
  ASSERT_NE(server, nullptr);
  for (int protocol : {2, 3}) {
    ConnectionOptions options = TcpOptions(*server);
    options.protocol = protocol;
    options.client_capa_redirect = true;
    options.credentials = std::make_shared<StaticCredentialProvider>("svc", "");
    auto conn = Open(options);
    ASSERT_TRUE(conn.ok()) << conn.status();
    auto who = (*conn)->Execute("ACL", "WHOAMI");
    ASSERT_TRUE(who.ok()) << who.status();
    EXPECT_EQ(who->str(), "svc");
  }
}

// A reply over a configured ReaderLimits bound fails with DATA_LOSS naming
// the bound and breaks the connection (its stream position is lost); a new
// connection from the same connector works.
TEST(ConnectionTest, ReplyOverAReaderLimitDropsTheConnection) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  {
    auto setup = Open(TcpOptions(*server));
    ASSERT_TRUE(setup.ok()) << setup.status();
    ASSERT_TRUE((*setup)->Execute("SET", "big", std::string(2000, 'x')).ok());
    ASSERT_TRUE((*setup)->Execute("SET", "small", "fits").ok());
  }
  for (int protocol : {2, 3}) {
    ConnectionOptions options = TcpOptions(*server);
    options.protocol = protocol;
    options.reader_limits.max_bulk_length = 1024;
    auto connector = Connector::Create(options);
    ASSERT_TRUE(connector.ok()) << connector.status();
    auto conn = (*connector)->Connect();
    ASSERT_TRUE(conn.ok()) << conn.status();
    auto small = (*conn)->Execute("GET", "small");
    ASSERT_TRUE(small.ok()) << small.status();
    EXPECT_EQ(small->str(), "fits");

    auto big = (*conn)->Execute("GET", "big");
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.status().code(), absl::StatusCode::kDataLoss) << big.status();
    EXPECT_EQ(GetErrorKind(big.status()), ErrorKind::kProtocol);
    EXPECT_TRUE(absl::StrContains(big.status().message(),
                                  "bulk length 2000 exceeds max_bulk_length "
                                  "(1024)"))
        << big.status();
    EXPECT_TRUE(absl::StrContains(big.status().message(),
                                  absl::StrCat("127.0.0.1:", server->port())))
        << big.status();
    EXPECT_TRUE((*conn)->broken());
    EXPECT_EQ((*conn)->Execute("GET", "small").status().code(),
              absl::StatusCode::kUnavailable);

    auto again = (*connector)->Connect();
    ASSERT_TRUE(again.ok()) << again.status();
    small = (*again)->Execute("GET", "small");
    ASSERT_TRUE(small.ok()) << small.status();
    EXPECT_EQ(small->str(), "fits");
  }
}

TEST(ConnectionTest, ReaderLimitsBoundTheHandshakeToo) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ConnectionOptions options = TcpOptions(*server);
  // HELLO 3 answers a map of 7 entries: 15 values.
  options.reader_limits.max_reply_elements = 8;
  auto conn = Open(options);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kDataLoss) << conn.status();
  EXPECT_TRUE(absl::StrContains(conn.status().message(),
                                "max_reply_elements (8)"))
      << conn.status();
}

TEST(ConnectionTest, BadReaderLimitsAreRejectedNamingTheField) {
  ConnectionOptions options;
  options.reader_limits.max_depth = 0;
  absl::Status s = Connector::Create(options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(
      s.message(), "connection.reader_limits.max_depth: 0 is not valid"))
      << s;
  options.reader_limits = ReaderLimits();
  options.reader_limits.max_reply_bytes = 0;
  s = Connector::Create(options).status();
  EXPECT_TRUE(absl::StrContains(s.message(),
                                "connection.reader_limits.max_reply_bytes"))
      << s;
}

TEST(ConnectionTest, BadOptions) {
  ConnectionOptions options;
  options.protocol = 4;
  EXPECT_EQ(Connector::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.protocol = 3;
  options.port = 70000;
  EXPECT_EQ(Connector::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.port = 6379;
  options.unix_path = "/tmp/x.sock";
  options.tls.enabled = true;
  EXPECT_EQ(Connector::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.tls.enabled = false;
  options.connect_timeout = absl::ZeroDuration();
  EXPECT_EQ(Connector::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace valkey
