// The OCSP check of blocking TLS connections, end to end with real tools:
//   - stapled mode against `openssl s_server -status_file` (valkey-server
//     cannot staple; only the handshake matters there): good, revoked,
//     unknown, expired, wrong signer, garbage and missing staples, fail
//     closed and fail open;
//   - responder mode against a TLS valkey-server whose certificate names an
//     `openssl ocsp` responder on 127.0.0.1: good (PING answered), revoked,
//     wrong signer, no responder URL, a dead and a hung responder, fail
//     closed and fail open.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/ocsp_pki.h"
#include "testing/status/status_matchers.h"
#include "testing/tool_server.h"
#include "testing/valkey_server.h"
#include "valkey/common/options.h"
#include "valkey/common/errors.h"
#include "valkey/connection/connection.h"
#include "valkey/connection/ocsp_test_util.h"
#include "valkey/connection/socket_transport.h"
#include "valkey/connection/tls_context.h"
#include "valkey/connection/tls_transport.h"

namespace valkey {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::valkey::ocsp_test::MakeTempDir;
using ::valkey::ocsp_test::ReadFile;
using ::valkey::ocsp_test::Redate;
using ::valkey::ocsp_test::WriteFile;
using ::valkey::testing::FreeLoopbackPort;
using ::valkey::testing::IsOk;
using ::valkey::testing::OcspPki;
using ::valkey::testing::StatusIs;
using ::valkey::testing::ToolServer;
using ::valkey::testing::ValkeyServer;

// A DER short-form length (content under 128 bytes).
std::string Len(const std::string& content) {
  return std::string(1, static_cast<char>(content.size()));
}

std::string Generalized(absl::Time t) {
  return absl::FormatTime("%Y%m%d%H%M%SZ", t, absl::UTCTimeZone());
}

class TlsOcspTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dir = MakeTempDir();
    ASSERT_FALSE(dir.empty());
    absl::StatusOr<int> port = FreeLoopbackPort();
    ASSERT_TRUE(port.ok()) << port.status();
    absl::StatusOr<OcspPki> pki = OcspPki::Mint(dir, *port);
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = new OcspPki(*std::move(pki));
    const OcspPki& p = *pki_;
    struct Made {
      std::string cert, signer, key, out;
    };
    for (const Made& m : std::initializer_list<Made>{
             {p.good_cert, p.ocsp_cert, p.ocsp_key, "good.der"},
             {p.revoked_cert, p.ocsp_cert, p.ocsp_key, "revoked.der"},
             {p.unknown_cert, p.ocsp_cert, p.ocsp_key, "unknown.der"},
             {p.good_cert, p.rogue_cert, p.rogue_key, "rogue.der"},
         }) {
      ASSERT_THAT(
          p.MakeResponse(m.cert, m.signer, m.key, 60, dir + "/" + m.out),
          IsOk());
    }
    // Through the intermediate: signed by the issuer (sub_ca) itself, and
    // by the root, which is not the issuer and delegated nothing.
    ASSERT_THAT(p.MakeResponse(p.sub_good_cert, p.sub_ca_cert, p.sub_ca_key, 60,
                               dir + "/sub_good.der", "sha1", p.sub_ca_cert),
                IsOk());
    ASSERT_THAT(
        p.MakeResponse(p.sub_good_cert, p.ca_cert, p.ca_key, 60,
                       dir + "/sub_good_by_root.der", "sha1", p.sub_ca_cert),
        IsOk());
    // Produced and updated two days ago, next update yesterday.
    const absl::Time now = absl::Now();
    const std::string expired = Redate(
        ReadFile(dir + "/good.der"),
        {Generalized(now - absl::Hours(48)), Generalized(now - absl::Hours(48)),
         Generalized(now - absl::Hours(24))},
        p.ocsp_key);
    ASSERT_FALSE(expired.empty());
    WriteFile(dir + "/expired.der", expired);
    // openssl s_server only staples what it can decode as an OCSPResponse,
    // so the garbage sits one level down: a successful OCSPResponse whose
    // id-pkix-ocsp-basic response bytes are not a BasicOCSPResponse.
    const std::string inner = "garbage, not a BasicOCSPResponse";
    const std::string octets = absl::StrCat("\x04", Len(inner), inner);
    const std::string oid("\x06\x09\x2b\x06\x01\x05\x05\x07\x30\x01\x01", 11);
    const std::string bytes =
        absl::StrCat("\x30", Len(oid + octets), oid, octets);
    const std::string body =
        absl::StrCat(std::string("\x0a\x01\x00", 3), "\xa0", Len(bytes), bytes);
    WriteFile(dir + "/garbage.der", absl::StrCat("\x30", Len(body), body));
    // Bytes that are no OCSPResponse at all: s_server aborts the handshake.
    WriteFile(dir + "/undecodable.der", "\x30\x82 not DER");
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  static TlsOptions Tls(TlsOptions::Ocsp mode, bool fail_open = false) {
    TlsOptions tls;
    tls.enabled = true;
    tls.ca_file = pki_->ca_cert;
    tls.use_system_trust_store = false;
    tls.ocsp = mode;
    tls.ocsp_fail_open = fail_open;
    tls.ocsp_responder_timeout = absl::Seconds(5);
    return tls;
  }

  // `openssl s_server` with `cert`, stapling `staple` (a file in the PKI
  // directory) unless empty.
  static std::unique_ptr<ToolServer> StaplingServer(const std::string& cert,
                                                    const std::string& key,
                                                    const std::string& staple) {
    absl::StatusOr<int> port = FreeLoopbackPort();
    EXPECT_TRUE(port.ok()) << port.status();
    if (!port.ok()) return nullptr;
    std::vector<std::string> argv = {pki_->openssl,
                                     "s_server",
                                     "-quiet",
                                     "-accept",
                                     absl::StrCat("127.0.0.1:", *port),
                                     "-cert",
                                     cert,
                                     "-key",
                                     key};
    if (!staple.empty()) {
      argv.push_back("-status_file");
      argv.push_back(pki_->dir + "/" + staple);
    }
    absl::StatusOr<std::unique_ptr<ToolServer>> server = ToolServer::Start(
        argv, *port, absl::StrCat(pki_->dir, "/s_server.", *port, ".log"));
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  // The TLS handshake (and the OCSP check) with 127.0.0.1:port.
  static absl::Status Handshake(int port, const TlsOptions& tls) {
    absl::StatusOr<std::shared_ptr<const TlsContext>> context =
        TlsContext::Create(tls);
    if (!context.ok()) return context.status();
    TcpEndpoint endpoint;
    endpoint.port = port;
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    absl::StatusOr<std::unique_ptr<Transport>> tcp =
        ConnectTcp(endpoint, deadline);
    if (!tcp.ok()) return tcp.status();
    return ConnectTls(*std::move(tcp), *context, "localhost", deadline)
        .status();
  }

  static absl::Status StapledHandshake(const std::string& staple,
                                       const TlsOptions& tls,
                                       const std::string& cert = "") {
    std::unique_ptr<ToolServer> server = StaplingServer(
        cert.empty() ? pki_->good_cert : cert,
        cert.empty() ? pki_->good_key : cert.substr(0, cert.size() - 3) + "key",
        staple);
    if (server == nullptr) return absl::InternalError("no s_server");
    return Handshake(server->port(), tls);
  }

  static OcspPki* pki_;
};

OcspPki* TlsOcspTest::pki_ = nullptr;

// ---------------------------------------------------------------------------
// Stapled.

TEST_F(TlsOcspTest, StapledGoodResponseConnects) {
  EXPECT_THAT(StapledHandshake("good.der", Tls(TlsOptions::Ocsp::kStapled)),
              IsOk());
}

TEST_F(TlsOcspTest, StapledRevokedRefusesNamingSerialEvenWhenFailOpen) {
  for (const bool fail_open : {false, true}) {
    SCOPED_TRACE(fail_open);
    absl::Status s = StapledHandshake(
        "revoked.der", Tls(TlsOptions::Ocsp::kStapled, fail_open),
        pki_->revoked_cert);
    EXPECT_THAT(
        s, StatusIs(absl::StatusCode::kUnavailable,
                    AllOf(HasSubstr("serial 1002"), HasSubstr("revoked"))));
    EXPECT_EQ(GetErrorKind(s), ErrorKind::kTls) << s;
  }
}

TEST_F(TlsOcspTest, OcspOffIgnoresARevokedStaple) {
  EXPECT_THAT(StapledHandshake("revoked.der", Tls(TlsOptions::Ocsp::kOff),
                               pki_->revoked_cert),
              IsOk());
}

TEST_F(TlsOcspTest,
       StapledUnknownExpiredWrongSignerGarbageAndMissingFailClosed) {
  struct Case {
    std::string staple, cert, reason;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"unknown.der", pki_->unknown_cert, "status unknown"},
           {"expired.der", "", "expired"},
           {"rogue.der", "", "OCSPSigning"},
           {"garbage.der", "", "malformed"},
           {"", "", "stapled no OCSP response"},
           // A valid response about another certificate.
           {"good.der", pki_->unknown_cert, "not about the server"},
       }) {
    SCOPED_TRACE(c.staple);
    absl::Status s =
        StapledHandshake(c.staple, Tls(TlsOptions::Ocsp::kStapled), c.cert);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable,
                            AllOf(HasSubstr("OCSP"), HasSubstr(c.reason),
                                  HasSubstr("fail-closed"))));
    EXPECT_EQ(GetErrorKind(s), ErrorKind::kTls) << s;
  }
}

// Before verification a failed handshake reported "certificate verify
// failed: Invalid certificate verification context" (BoringSSL's initial
// verify result) instead of the real cause, here the server's alert.
TEST_F(TlsOcspTest, HandshakeAbortedByTheServerNamesTheAlertNotVerification) {
  absl::Status s =
      StapledHandshake("undecodable.der", Tls(TlsOptions::Ocsp::kStapled));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable,
                          ::testing::Not(HasSubstr("verif"))));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("ALERT")));
  EXPECT_EQ(GetErrorKind(s), ErrorKind::kTls) << s;
}

TEST_F(TlsOcspTest, StapledFailuresAreAllowedWhenFailOpen) {
  for (const std::string staple :
       {"unknown.der", "expired.der", "rogue.der", "garbage.der", ""}) {
    SCOPED_TRACE(staple);
    EXPECT_THAT(
        StapledHandshake(staple, Tls(TlsOptions::Ocsp::kStapled, true),
                         staple == "unknown.der" ? pki_->unknown_cert : ""),
        IsOk());
  }
}

// The issuer is the intermediate the server sends, taken from the chain the
// handshake verified: its own signature is accepted, the root's is not.
TEST_F(TlsOcspTest, StapledThroughAnIntermediateCaChecksTheRealIssuer) {
  for (const bool by_issuer : {true, false}) {
    SCOPED_TRACE(by_issuer);
    ASSERT_OK_AND_ASSIGN(int port, FreeLoopbackPort());
    ASSERT_OK_AND_ASSIGN(
        std::unique_ptr<ToolServer> server,
        ToolServer::Start({pki_->openssl, "s_server", "-quiet", "-accept",
                           absl::StrCat("127.0.0.1:", port), "-cert",
                           pki_->sub_good_cert, "-key", pki_->sub_good_key,
                           "-cert_chain", pki_->sub_ca_cert, "-status_file",
                           pki_->dir + (by_issuer ? "/sub_good.der"
                                                  : "/sub_good_by_root.der")},
                          port,
                          absl::StrCat(pki_->dir, "/s_server.", port, ".log")));
    absl::Status s = Handshake(port, Tls(TlsOptions::Ocsp::kStapled));
    if (by_issuer) {
      EXPECT_THAT(s, IsOk());
    } else {
      EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable,
                              HasSubstr("wrong signer")));
    }
  }
}

// ---------------------------------------------------------------------------
// Responder, with a real TLS valkey-server.

class TlsOcspResponderTest : public TlsOcspTest {
 protected:
  // A TLS valkey-server presenting `cert`.
  static std::unique_ptr<ValkeyServer> Server(const std::string& cert,
                                              const std::string& key) {
    ValkeyServer::Options options;
    options.tls = true;
    options.extra_config = {absl::StrCat("tls-cert-file ", cert),
                            absl::StrCat("tls-key-file ", key)};
    absl::StatusOr<std::unique_ptr<ValkeyServer>> server =
        ValkeyServer::Start(std::move(options));
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  static std::unique_ptr<ToolServer> Responder(const std::string& signer,
                                               const std::string& key) {
    absl::StatusOr<std::unique_ptr<ToolServer>> r = ToolServer::Start(
        pki_->ResponderArgv(signer, key), pki_->responder_port,
        absl::StrCat(pki_->dir, "/responder.log"));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *std::move(r) : nullptr;
  }

  // Connects (TLS, OCSP, HELLO) and sends PING.
  static absl::Status Ping(const ValkeyServer& server, const TlsOptions& tls) {
    ConnectionOptions options;
    options.host = "127.0.0.1";
    options.port = server.tls_port();
    options.connect_timeout = absl::Seconds(10);
    options.socket_timeout = absl::Seconds(5);
    options.tls = tls;
    options.tls.server_name = "localhost";
    absl::StatusOr<std::shared_ptr<const Connector>> connector =
        Connector::Create(options);
    if (!connector.ok()) return connector.status();
    absl::StatusOr<std::unique_ptr<Connection>> conn = (*connector)->Connect();
    if (!conn.ok()) return conn.status();
    absl::StatusOr<Reply> pong = (*conn)->Execute("PING");
    if (!pong.ok()) return pong.status();
    return pong->str() == "PONG" ? absl::OkStatus()
                                 : absl::InternalError("no PONG");
  }
};

TEST_F(TlsOcspResponderTest, GoodCertificateConnectsAndAnswersPing) {
  auto responder = Responder(pki_->ocsp_cert, pki_->ocsp_key);
  ASSERT_NE(responder, nullptr);
  auto server = Server(pki_->good_cert, pki_->good_key);
  ASSERT_NE(server, nullptr);
  EXPECT_THAT(Ping(*server, Tls(TlsOptions::Ocsp::kResponder)), IsOk())
      << responder->LogTail();
}

TEST_F(TlsOcspResponderTest, RevokedCertificateIsRefused) {
  auto responder = Responder(pki_->ocsp_cert, pki_->ocsp_key);
  ASSERT_NE(responder, nullptr);
  auto server = Server(pki_->revoked_cert, pki_->revoked_key);
  ASSERT_NE(server, nullptr);
  for (const bool fail_open : {false, true}) {
    absl::Status s =
        Ping(*server, Tls(TlsOptions::Ocsp::kResponder, fail_open));
    EXPECT_THAT(
        s, StatusIs(absl::StatusCode::kUnavailable,
                    AllOf(HasSubstr("serial 1002"), HasSubstr("revoked"))));
    EXPECT_EQ(GetErrorKind(s), ErrorKind::kTls) << s;
  }
}

TEST_F(TlsOcspResponderTest, UnknownAndWrongSignerFailClosedOrOpen) {
  auto unknown_server = Server(pki_->unknown_cert, pki_->unknown_key);
  auto good_server = Server(pki_->good_cert, pki_->good_key);
  ASSERT_NE(unknown_server, nullptr);
  ASSERT_NE(good_server, nullptr);
  {
    auto responder = Responder(pki_->ocsp_cert, pki_->ocsp_key);
    ASSERT_NE(responder, nullptr);
    EXPECT_THAT(
        Ping(*unknown_server, Tls(TlsOptions::Ocsp::kResponder)),
        StatusIs(absl::StatusCode::kUnavailable, HasSubstr("status unknown")));
    EXPECT_THAT(Ping(*unknown_server, Tls(TlsOptions::Ocsp::kResponder, true)),
                IsOk());
  }
  auto rogue = Responder(pki_->rogue_cert, pki_->rogue_key);
  ASSERT_NE(rogue, nullptr);
  EXPECT_THAT(
      Ping(*good_server, Tls(TlsOptions::Ocsp::kResponder)),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("OCSPSigning")));
  EXPECT_THAT(Ping(*good_server, Tls(TlsOptions::Ocsp::kResponder, true)),
              IsOk());
}

TEST_F(TlsOcspResponderTest, DeadResponderFailsClosedOrIsAllowedOpen) {
  // Nothing listens on the responder port.
  auto server = Server(pki_->good_cert, pki_->good_key);
  ASSERT_NE(server, nullptr);
  absl::Status s = Ping(*server, Tls(TlsOptions::Ocsp::kResponder));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable,
                          AllOf(HasSubstr("OCSP responder http://127.0.0.1:"),
                                HasSubstr("fail-closed"))));
  EXPECT_EQ(GetErrorKind(s), ErrorKind::kTls) << s;
  EXPECT_THAT(Ping(*server, Tls(TlsOptions::Ocsp::kResponder, true)), IsOk());
}

TEST_F(TlsOcspResponderTest, HungResponderFailsAtItsDeadlineOrIsAllowedOpen) {
  // A responder that accepts connections (the kernel completes them from
  // the backlog) and never answers.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(pki_->responder_port);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  auto server = Server(pki_->good_cert, pki_->good_key);
  ASSERT_NE(server, nullptr);
  TlsOptions tls = Tls(TlsOptions::Ocsp::kResponder);
  tls.ocsp_responder_timeout = absl::Milliseconds(300);
  absl::Status s = Ping(*server, tls);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable,
                          AllOf(HasSubstr("OCSP responder"),
                                HasSubstr("fail-closed"))));
  tls.ocsp_fail_open = true;
  EXPECT_THAT(Ping(*server, tls), IsOk());
  close(fd);
}

TEST_F(TlsOcspResponderTest, CertificateWithoutResponderUrl) {
  auto server = Server(pki_->no_aia_cert, pki_->no_aia_key);
  ASSERT_NE(server, nullptr);
  EXPECT_THAT(Ping(*server, Tls(TlsOptions::Ocsp::kResponder)),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("names no http OCSP responder")));
  EXPECT_THAT(Ping(*server, Tls(TlsOptions::Ocsp::kResponder, true)), IsOk());
}

}  // namespace
}  // namespace valkey
