// Proves the //testing:valkey_server fixture against a real valkey-server:
// plain TCP, Unix socket, passwords, ACL users, crash and restart,
// replication, TLS (checked with BoringSSL), and clear start-up failures.

#include "testing/valkey_server.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/raw_client.h"

namespace valkey::testing {
namespace {

#define VK_ASSERT_OK(expr)                      \
  do {                                          \
    const absl::Status vk_status_ = (expr);     \
    ASSERT_TRUE(vk_status_.ok()) << vk_status_; \
  } while (0)

std::unique_ptr<ValkeyServer> MustStart(ValkeyServer::Options options = {}) {
  absl::StatusOr<std::unique_ptr<ValkeyServer>> server =
      ValkeyServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

// First line of the reply to `args` over TCP, or the error as text.
std::string TcpCommand(const ValkeyServer& server,
                       const std::vector<std::string>& args) {
  absl::StatusOr<RawConnection> conn =
      RawConnection::Tcp(server.host(), server.port());
  if (!conn.ok()) return conn.status().ToString();
  absl::StatusOr<std::string> reply = conn->Command(args);
  return reply.ok() ? *reply : reply.status().ToString();
}

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

TEST(ValkeyServerTest, AnswersPingOverTcpAndUnixSocket) {
  std::unique_ptr<ValkeyServer> server = MustStart();
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->host(), "127.0.0.1");
  EXPECT_GT(server->port(), 0);
  EXPECT_EQ(server->tls_port(), 0);
  EXPECT_GT(server->pid(), 0);
  EXPECT_TRUE(server->running());
  EXPECT_LT(server->unix_path().size(), 100u);
  EXPECT_TRUE(absl::StartsWith(server->unix_path(), "/tmp/vk."));

  absl::StatusOr<RawConnection> tcp =
      RawConnection::Tcp(server->host(), server->port());
  ASSERT_TRUE(tcp.ok()) << tcp.status();
  // Inline command form.
  VK_ASSERT_OK(tcp->Send("PING\r\n"));
  absl::StatusOr<std::string> line = tcp->ReadLine();
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line, "+PONG");

  absl::StatusOr<RawConnection> unix_conn =
      RawConnection::Unix(server->unix_path());
  ASSERT_TRUE(unix_conn.ok()) << unix_conn.status();
  line = unix_conn->Command({"PING"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line, "+PONG");

  // No persistence, debug command on.
  EXPECT_EQ(TcpCommand(*server, {"CONFIG", "GET", "appendonly"}), "*2");
  EXPECT_EQ(TcpCommand(*server, {"DEBUG", "SLEEP", "0"}), "+OK");
  EXPECT_TRUE(FileExists(server->log_path()));
  EXPECT_TRUE(absl::StrContains(server->LogTail(), "Ready to accept"))
      << server->LogTail();
}

TEST(ValkeyServerTest, TwoServersGetDifferentPortsAndDirectories) {
  std::unique_ptr<ValkeyServer> a = MustStart();
  std::unique_ptr<ValkeyServer> b = MustStart();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a->port(), b->port());
  EXPECT_NE(a->unix_path(), b->unix_path());
  EXPECT_NE(a->temp_dir(), b->temp_dir());
  EXPECT_EQ(TcpCommand(*a, {"SET", "k", "a"}), "+OK");
  EXPECT_EQ(TcpCommand(*b, {"EXISTS", "k"}), ":0");
}

TEST(ValkeyServerTest, RequirePass) {
  std::unique_ptr<ValkeyServer> server =
      MustStart({.requirepass = "p4ss word\"x"});
  ASSERT_NE(server, nullptr);
  absl::StatusOr<RawConnection> conn =
      RawConnection::Tcp(server->host(), server->port());
  ASSERT_TRUE(conn.ok()) << conn.status();
  absl::StatusOr<std::string> reply = conn->Command({"PING"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(absl::StartsWith(*reply, "-NOAUTH")) << *reply;
  reply = conn->Command({"AUTH", "wrong"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(absl::StartsWith(*reply, "-WRONGPASS")) << *reply;
  reply = conn->Command({"AUTH", "p4ss word\"x"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, "+OK");
  reply = conn->Command({"PING"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, "+PONG");
}

TEST(ValkeyServerTest, AclUsers) {
  std::unique_ptr<ValkeyServer> server = MustStart({
      .acl_users = {"user alice on >alicepw ~* &* +@all",
                    "user bob on >bobpw ~bob:* +get"},
  });
  ASSERT_NE(server, nullptr);
  absl::StatusOr<RawConnection> conn =
      RawConnection::Tcp(server->host(), server->port());
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_EQ(*conn->Command({"AUTH", "alice", "alicepw"}), "+OK");
  EXPECT_EQ(*conn->Command({"SET", "k", "v"}), "+OK");
  EXPECT_EQ(*conn->Command({"ACL", "WHOAMI"}), "$5");
  EXPECT_EQ(*conn->ReadLine(), "alice");
  EXPECT_EQ(*conn->Command({"AUTH", "bob", "bobpw"}), "+OK");
  EXPECT_EQ(*conn->Command({"GET", "bob:1"}), "$-1");
  EXPECT_TRUE(
      absl::StartsWith(*conn->Command({"SET", "bob:1", "x"}), "-NOPERM"));
  EXPECT_TRUE(
      absl::StartsWith(*conn->Command({"AUTH", "bob", "nope"}), "-WRONGPASS"));
}

TEST(ValkeyServerTest, KillThenRestartKeepsPortsAndSocket) {
  std::unique_ptr<ValkeyServer> server = MustStart();
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  const std::string unix_path = server->unix_path();
  const pid_t old_pid = server->pid();
  ASSERT_EQ(TcpCommand(*server, {"PING"}), "+PONG");

  VK_ASSERT_OK(server->Kill());
  EXPECT_EQ(server->pid(), 0);
  EXPECT_FALSE(server->running());
  EXPECT_EQ(kill(old_pid, 0), -1);  // Reaped: no such process (or not ours).
  absl::StatusOr<RawConnection> refused =
      RawConnection::Tcp(server->host(), port);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);

  VK_ASSERT_OK(server->Restart());
  EXPECT_EQ(server->port(), port);
  EXPECT_EQ(server->unix_path(), unix_path);
  EXPECT_NE(server->pid(), 0);
  EXPECT_EQ(TcpCommand(*server, {"PING"}), "+PONG");
  absl::StatusOr<RawConnection> unix_conn = RawConnection::Unix(unix_path);
  ASSERT_TRUE(unix_conn.ok()) << unix_conn.status();
  EXPECT_EQ(*unix_conn->Command({"PING"}), "+PONG");

  // Graceful stop and restart too; Restart of a running server works.
  VK_ASSERT_OK(server->Stop());
  VK_ASSERT_OK(server->Stop());  // Idempotent.
  VK_ASSERT_OK(server->Restart());
  VK_ASSERT_OK(server->Restart());
  EXPECT_EQ(TcpCommand(*server, {"PING"}), "+PONG");
}

TEST(ValkeyServerTest, DestructorStopsServerAndRemovesDirectory) {
  std::unique_ptr<ValkeyServer> server = MustStart();
  ASSERT_NE(server, nullptr);
  const std::string dir = server->temp_dir();
  const int port = server->port();
  ASSERT_TRUE(FileExists(dir));
  server.reset();
  EXPECT_FALSE(FileExists(dir));
  absl::StatusOr<RawConnection> conn = RawConnection::Tcp("127.0.0.1", port);
  EXPECT_FALSE(conn.ok());
}

TEST(ValkeyServerTest, Replica) {
  std::unique_ptr<ValkeyServer> master = MustStart();
  ASSERT_NE(master, nullptr);
  std::unique_ptr<ValkeyServer> replica =
      MustStart({.replicaof_port = master->port()});
  ASSERT_NE(replica, nullptr);
  ASSERT_EQ(TcpCommand(*master, {"SET", "rk", "v"}), "+OK");
  absl::StatusOr<RawConnection> conn =
      RawConnection::Tcp(replica->host(), replica->port());
  ASSERT_TRUE(conn.ok()) << conn.status();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool replicated = false;
  while (!replicated && absl::Now() < deadline) {
    absl::StatusOr<std::string> reply = conn->Command({"GET", "rk"});
    ASSERT_TRUE(reply.ok()) << reply.status();
    if (*reply == "$1") {
      EXPECT_EQ(*conn->ReadLine(), "v");
      replicated = true;
    } else {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  EXPECT_TRUE(replicated) << replica->LogTail();
  EXPECT_TRUE(
      absl::StartsWith(TcpCommand(*replica, {"SET", "x", "y"}), "-READONLY"));
}

TEST(ValkeyServerTest, MissingBinaryIsFailedPrecondition) {
  absl::StatusOr<std::unique_ptr<ValkeyServer>> server =
      ValkeyServer::Start({.binary = "/nonexistent/valkey-server"});
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(server.status().message(),
                                "/nonexistent/valkey-server"));
  EXPECT_TRUE(absl::StrContains(server.status().message(), "tools/setup.sh"));
}

TEST(ValkeyServerTest, BadConfigFailsWithLogTail) {
  absl::StatusOr<std::unique_ptr<ValkeyServer>> server =
      ValkeyServer::Start({.extra_config = {"no-such-directive yes"}});
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(server.status().message(), "no-such-directive"))
      << server.status();
}

TEST(ValkeyServerTest, MalformedAclLineIsInvalidArgument) {
  absl::StatusOr<std::unique_ptr<ValkeyServer>> server =
      ValkeyServer::Start({.acl_users = {"alice on >pw"}});
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
}

// TLS, checked with BoringSSL.

struct TlsClientOptions {
  std::string ca_file;
  std::string expected_host = "localhost";
  std::string cert_file;  // Optional client certificate.
  std::string key_file;
};

std::string SslErrors() {
  std::string out;
  while (uint32_t e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    absl::StrAppend(&out, out.empty() ? "" : "; ", buf);
  }
  return out;
}

// Connects to the TLS port, verifies the server as `expected_host`, sends
// PING and returns the reply line; any failure becomes an error status.
absl::StatusOr<std::string> TlsPing(const ValkeyServer& server,
                                    const TlsClientOptions& o) {
  absl::StatusOr<RawConnection> conn =
      RawConnection::Tcp(server.host(), server.tls_port());
  if (!conn.ok()) return conn.status();
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(
      SSL_CTX_new(TLS_method()), SSL_CTX_free);
  if (SSL_CTX_load_verify_locations(ctx.get(), o.ca_file.c_str(), nullptr) !=
      1) {
    return absl::InternalError("load CA: " + SslErrors());
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (!o.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), o.cert_file.c_str()) !=
            1 ||
        SSL_CTX_use_PrivateKey_file(ctx.get(), o.key_file.c_str(),
                                    SSL_FILETYPE_PEM) != 1) {
      return absl::InternalError("load client cert: " + SslErrors());
    }
  }
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  // An IP address is matched against IP SANs (set1_host only checks DNS
  // names) and is not sent as SNI.
  if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()),
                                    o.expected_host.c_str()) != 1) {
    ERR_clear_error();
    SSL_set_tlsext_host_name(ssl.get(), o.expected_host.c_str());
    X509_VERIFY_PARAM_set1_host(SSL_get0_param(ssl.get()),
                                o.expected_host.data(), o.expected_host.size());
  }
  SSL_set_fd(ssl.get(), conn->fd());
  if (SSL_connect(ssl.get()) != 1) {
    return absl::UnavailableError(
        absl::StrCat("handshake: ", SslErrors(), " (verify result ",
                     SSL_get_verify_result(ssl.get()), ")"));
  }
  const char kPing[] = "PING\r\n";
  if (SSL_write(ssl.get(), kPing, sizeof(kPing) - 1) != sizeof(kPing) - 1) {
    return absl::UnavailableError("write: " + SslErrors());
  }
  std::string line;
  while (!absl::EndsWith(line, "\r\n")) {
    char buf[256];
    int n = SSL_read(ssl.get(), buf, sizeof(buf));
    if (n <= 0) {
      return absl::UnavailableError(absl::StrCat(
          "read: SSL error ", SSL_get_error(ssl.get(), n), " ", SslErrors()));
    }
    line.append(buf, static_cast<size_t>(n));
  }
  line.resize(line.size() - 2);
  return line;
}

TEST(ValkeyServerTlsTest, ServesTlsWithMintedCertificates) {
  std::unique_ptr<ValkeyServer> server = MustStart({.tls = true});
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->certs().has_value());
  EXPECT_GT(server->tls_port(), 0);
  EXPECT_NE(server->tls_port(), server->port());
  for (const std::string& path :
       {server->ca_cert_path(), server->server_cert_path(),
        server->client_cert_path(), server->client_key_path(),
        server->certs()->other_ca_cert, server->certs()->other_client_cert}) {
    EXPECT_TRUE(FileExists(path)) << path;
  }

  absl::StatusOr<std::string> reply =
      TlsPing(*server, {.ca_file = server->ca_cert_path()});
  ASSERT_TRUE(reply.ok()) << reply.status() << "\n" << server->LogTail();
  EXPECT_EQ(*reply, "+PONG");
  // The SAN also names 127.0.0.1.
  reply = TlsPing(*server, {.ca_file = server->ca_cert_path(),
                            .expected_host = "127.0.0.1"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, "+PONG");
  // The plain port still works.
  EXPECT_EQ(TcpCommand(*server, {"PING"}), "+PONG");
}

TEST(ValkeyServerTlsTest, WrongHostnameOrCaIsRejected) {
  std::unique_ptr<ValkeyServer> server = MustStart({.tls = true});
  ASSERT_NE(server, nullptr);
  absl::StatusOr<std::string> reply = TlsPing(
      *server,
      {.ca_file = server->ca_cert_path(), .expected_host = "example.com"});
  EXPECT_FALSE(reply.ok());
  EXPECT_TRUE(absl::StrContains(reply.status().message(), "verify result 62"))
      << reply.status();
  reply = TlsPing(*server, {.ca_file = server->certs()->other_ca_cert});
  EXPECT_FALSE(reply.ok());
}

TEST(ValkeyServerTlsTest, ClientCertificatesWhenRequired) {
  std::unique_ptr<ValkeyServer> server = MustStart(
      {.tls = true, .tls_auth_clients = ValkeyServer::TlsAuthClients::kYes});
  ASSERT_NE(server, nullptr);
  const TlsCerts& certs = *server->certs();
  absl::StatusOr<std::string> reply =
      TlsPing(*server, {.ca_file = certs.ca_cert,
                        .cert_file = certs.client_cert,
                        .key_file = certs.client_key});
  ASSERT_TRUE(reply.ok()) << reply.status() << "\n" << server->LogTail();
  EXPECT_EQ(*reply, "+PONG");

  EXPECT_FALSE(TlsPing(*server, {.ca_file = certs.ca_cert}).ok());
  EXPECT_FALSE(TlsPing(*server, {.ca_file = certs.ca_cert,
                                 .cert_file = certs.other_client_cert,
                                 .key_file = certs.other_client_key})
                   .ok());
}

TEST(ValkeyServerTlsTest, OptionalClientCertificates) {
  std::unique_ptr<ValkeyServer> server =
      MustStart({.tls = true,
                 .tls_auth_clients = ValkeyServer::TlsAuthClients::kOptional});
  ASSERT_NE(server, nullptr);
  const TlsCerts& certs = *server->certs();
  absl::StatusOr<std::string> reply =
      TlsPing(*server, {.ca_file = certs.ca_cert});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, "+PONG");
  reply = TlsPing(*server, {.ca_file = certs.ca_cert,
                            .cert_file = certs.client_cert,
                            .key_file = certs.client_key});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, "+PONG");
}

TEST(ValkeyServerTlsTest, RestartKeepsTlsPort) {
  std::unique_ptr<ValkeyServer> server = MustStart({.tls = true});
  ASSERT_NE(server, nullptr);
  const int tls_port = server->tls_port();
  VK_ASSERT_OK(server->Kill());
  VK_ASSERT_OK(server->Restart());
  EXPECT_EQ(server->tls_port(), tls_port);
  absl::StatusOr<std::string> reply =
      TlsPing(*server, {.ca_file = server->ca_cert_path()});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, "+PONG");
}

}  // namespace
}  // namespace valkey::testing
