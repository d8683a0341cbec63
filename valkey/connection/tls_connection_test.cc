// TLS connections against a real valkey-server with certificates minted at
// test time: verification, hostname checks, client certificates.

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "testing/valkey_server.h"
#include "valkey/common/errors.h"
#include "valkey/connection/connection.h"

namespace valkey {
namespace {

using ::valkey::testing::ValkeyServer;

std::unique_ptr<ValkeyServer> StartTlsServer(
    ValkeyServer::TlsAuthClients auth =
        ValkeyServer::TlsAuthClients::kNo) {
  ValkeyServer::Options options;
  options.tls = true;
  options.tls_auth_clients = auth;
  auto server = ValkeyServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

ConnectionOptions TlsOptionsFor(const ValkeyServer& server,
                                const std::string& host = "localhost") {
  ConnectionOptions options;
  options.host = host;
  options.port = server.tls_port();
  options.connect_timeout = absl::Seconds(5);
  options.socket_timeout = absl::Seconds(5);
  options.tls.enabled = true;
  options.tls.ca_file = server.ca_cert_path();
  options.tls.use_system_trust_store = false;
  return options;
}

absl::StatusOr<std::unique_ptr<Connection>> Open(ConnectionOptions options) {
  auto connector = Connector::Create(std::move(options));
  if (!connector.ok()) return connector.status();
  return (*connector)->Connect();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(TlsConnectionTest, VerifiedServerCertificate) {
  auto server = StartTlsServer();
  ASSERT_NE(server, nullptr);
  for (const std::string host : {"localhost", "127.0.0.1"}) {
    for (int protocol : {2, 3}) {
      ConnectionOptions options = TlsOptionsFor(*server, host);
      options.protocol = protocol;
      auto conn = Open(options);
      ASSERT_TRUE(conn.ok()) << host << ": " << conn.status();
      ASSERT_TRUE((*conn)->Execute("SET", "k", std::string(100000, 'x')).ok());
      auto big = (*conn)->Execute("GET", "k");
      ASSERT_TRUE(big.ok()) << big.status();
      EXPECT_EQ(big->str().size(), 100000u);
      // A TLS 1.3 session ticket is not "pending data".
      EXPECT_FALSE((*conn)->HasPendingData());
    }
  }
}

TEST(TlsConnectionTest, CaAsPemString) {
  auto server = StartTlsServer();
  ASSERT_NE(server, nullptr);
  ConnectionOptions options = TlsOptionsFor(*server);
  options.tls.ca_file.clear();
  options.tls.ca_pem = ReadFile(server->ca_cert_path());
  auto conn = Open(options);
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_TRUE((*conn)->Execute("PING").ok());
}

TEST(TlsConnectionTest, WrongCaIsRejected) {
  auto server = StartTlsServer();
  ASSERT_NE(server, nullptr);
  ConnectionOptions options = TlsOptionsFor(*server);
  options.tls.ca_file = server->certs()->other_ca_cert;
  auto conn = Open(options);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(GetErrorKind(conn.status()), ErrorKind::kTls);
  EXPECT_TRUE(absl::StrContains(conn.status().message(),
                                "certificate verify failed"))
      << conn.status();
}

TEST(TlsConnectionTest, HostnameMismatchRejectedUnlessDisabled) {
  auto server = StartTlsServer();
  ASSERT_NE(server, nullptr);
  // The certificate names localhost / 127.0.0.1 / ::1, not this name.
  ConnectionOptions options = TlsOptionsFor(*server, "127.0.0.1");
  options.tls.server_name = "cache.example.internal";
  auto mismatch = Open(options);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(GetErrorKind(mismatch.status()), ErrorKind::kTls);
  EXPECT_TRUE(absl::StrContains(mismatch.status().message(), "ostname"))
      << mismatch.status();

  options.tls.check_hostname = false;
  auto unchecked = Open(options);
  ASSERT_TRUE(unchecked.ok()) << unchecked.status();

  // verify none: neither CA nor name matter.
  ConnectionOptions none = TlsOptionsFor(*server, "127.0.0.1");
  none.tls.ca_file = server->certs()->other_ca_cert;
  none.tls.verify = TlsOptions::Verify::kNone;
  auto unverified = Open(none);
  ASSERT_TRUE(unverified.ok()) << unverified.status();
}

TEST(TlsConnectionTest, ClientCertificateRequired) {
  auto server = StartTlsServer(ValkeyServer::TlsAuthClients::kYes);
  ASSERT_NE(server, nullptr);
  ConnectionOptions with_cert = TlsOptionsFor(*server);
  with_cert.tls.cert_file = server->client_cert_path();
  with_cert.tls.key_file = server->certs()->client_key;
  auto accepted = Open(with_cert);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_TRUE((*accepted)->Execute("PING").ok());

  // Without a certificate the server ends the handshake (TLS 1.3 reports it
  // on the first read, so the failure may come from the handshake's HELLO).
  auto refused = Open(TlsOptionsFor(*server));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable)
      << refused.status();

  // A certificate from another CA is refused as well.
  ConnectionOptions foreign = TlsOptionsFor(*server);
  foreign.tls.cert_file = server->certs()->other_client_cert;
  foreign.tls.key_file = server->certs()->other_client_key;
  auto foreign_refused = Open(foreign);
  EXPECT_EQ(foreign_refused.status().code(), absl::StatusCode::kUnavailable)
      << foreign_refused.status();
}

TEST(TlsConnectionTest, EncryptedClientKeyWithPassword) {
  auto server = StartTlsServer(ValkeyServer::TlsAuthClients::kYes);
  ASSERT_NE(server, nullptr);
  const std::string encrypted = server->temp_dir() + "/client-enc.key";
  const std::string command =
      "openssl pkey -in '" + server->certs()->client_key +
      "' -aes256 -passout pass:key-Pa55 -out '" + encrypted + "' 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  ConnectionOptions options = TlsOptionsFor(*server);
  options.tls.cert_file = server->client_cert_path();
  options.tls.key_file = encrypted;
  options.tls.key_password = "key-Pa55";
  auto conn = Open(options);
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_TRUE((*conn)->Execute("PING").ok());

  options.tls.key_password = "not-the-Pa55";
  auto wrong = Connector::Create(options);
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(wrong.status().message(), "key_password"))
      << wrong.status();
  EXPECT_FALSE(absl::StrContains(wrong.status().message(), "not-the-Pa55"));
  options.tls.key_password.clear();
  EXPECT_EQ(Connector::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TlsConnectionTest, BadTlsFilesAreInvalidArgument) {
  auto server = StartTlsServer();
  ASSERT_NE(server, nullptr);
  ConnectionOptions missing_ca = TlsOptionsFor(*server);
  missing_ca.tls.ca_file = "/nonexistent/ca.pem";
  auto a = Connector::Create(missing_ca);
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(a.status().message(), "tls.ca_file"));

  ConnectionOptions cert_without_key = TlsOptionsFor(*server);
  cert_without_key.tls.cert_file = server->client_cert_path();
  EXPECT_EQ(Connector::Create(cert_without_key).status().code(),
            absl::StatusCode::kInvalidArgument);

  ConnectionOptions mismatched = TlsOptionsFor(*server);
  mismatched.tls.cert_file = server->client_cert_path();
  mismatched.tls.key_file = server->certs()->other_client_key;
  auto m = Connector::Create(mismatched);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);

  ConnectionOptions ciphers = TlsOptionsFor(*server);
  ciphers.tls.ciphers = "NOT-A-CIPHER";
  EXPECT_EQ(Connector::Create(ciphers).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TlsConnectionTest, MinimumVersionTls13) {
  auto server = StartTlsServer();
  ASSERT_NE(server, nullptr);
  ConnectionOptions options = TlsOptionsFor(*server);
  options.tls.min_version = TlsOptions::Version::kTls13;
  auto conn = Open(options);
  ASSERT_TRUE(conn.ok()) << conn.status();
  auto info = (*conn)->Execute("PING");
  EXPECT_TRUE(info.ok());
}

}  // namespace
}  // namespace valkey
