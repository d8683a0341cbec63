// The OCSP check on the async connection: it runs the same TlsSession (and
// so the same verifier) as the blocking client. Responder mode against a
// TLS valkey-server whose certificate names an `openssl ocsp` responder on
// 127.0.0.1, and stapled mode against `openssl s_server -status_file`.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/ocsp_pki.h"
#include "testing/status/status_matchers.h"
#include "testing/tool_server.h"
#include "testing/valkey_server.h"
#include "valkey/async/connection.h"
#include "valkey/async/event_loop.h"
#include "valkey/common/config.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"

namespace valkey::async {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::valkey::testing::FreeLoopbackPort;
using ::valkey::testing::IsOk;
using ::valkey::testing::OcspPki;
using ::valkey::testing::StatusIs;
using ::valkey::testing::ToolServer;
using ::valkey::testing::ValkeyServer;

std::string MakeTempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string pattern =
      absl::StrCat(base != nullptr ? base : "/tmp", "/ocsp.XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

class AsyncTlsOcspTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = MakeTempDir();
    ASSERT_FALSE(dir.empty());
    ASSERT_OK_AND_ASSIGN(int port, FreeLoopbackPort());
    ASSERT_OK_AND_ASSIGN(pki_, OcspPki::Mint(dir, port));
    ASSERT_OK_AND_ASSIGN(loop_, EventLoopThread::Start());
  }

  std::unique_ptr<ValkeyServer> Server(const std::string& cert,
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

  ConnectionOptions Options(int port, TlsOptions::Ocsp mode) {
    ConnectionOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    options.connect_timeout = absl::Seconds(10);
    options.socket_timeout = absl::Seconds(10);
    options.tls.enabled = true;
    options.tls.ca_file = pki_.ca_cert;
    options.tls.use_system_trust_store = false;
    options.tls.server_name = "localhost";
    options.tls.ocsp = mode;
    options.tls.ocsp_responder_timeout = absl::Seconds(5);
    return options;
  }

  absl::StatusOr<Reply> Ping(const ConnectionOptions& options) {
    absl::StatusOr<Connection> conn =
        Connection::Create(loop_->loop(), options);
    if (!conn.ok()) return conn.status();
    Future<Reply> f = conn->Execute("PING");
    absl::StatusOr<Reply> r = f.Get(absl::Seconds(20));
    if (f.valid()) return absl::InternalError("hung: PING did not resolve");
    return r;
  }

  OcspPki pki_;
  std::unique_ptr<EventLoopThread> loop_;
};

TEST_F(AsyncTlsOcspTest, ResponderGoodAnswersPingRevokedIsRefused) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ToolServer> responder,
      ToolServer::Start(pki_.ResponderArgv(pki_.ocsp_cert, pki_.ocsp_key),
                        pki_.responder_port, pki_.dir + "/responder.log"));
  auto good = Server(pki_.good_cert, pki_.good_key);
  auto revoked = Server(pki_.revoked_cert, pki_.revoked_key);
  ASSERT_NE(good, nullptr);
  ASSERT_NE(revoked, nullptr);

  ASSERT_OK_AND_ASSIGN(Reply pong, Ping(Options(good->tls_port(),
                                                TlsOptions::Ocsp::kResponder)));
  EXPECT_EQ(pong.str(), "PONG");

  absl::StatusOr<Reply> r =
      Ping(Options(revoked->tls_port(), TlsOptions::Ocsp::kResponder));
  EXPECT_THAT(r,
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("serial 1002"), HasSubstr("revoked"))));
  EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kTls) << r.status();
}

TEST_F(AsyncTlsOcspTest, StapledRevokedAndMissingStapleAreRefused) {
  ASSERT_THAT(pki_.MakeResponse(pki_.revoked_cert, pki_.ocsp_cert,
                                pki_.ocsp_key, 60, pki_.dir + "/revoked.der"),
              IsOk());
  for (const std::string staple : {"revoked.der", ""}) {
    SCOPED_TRACE(staple);
    ASSERT_OK_AND_ASSIGN(int port, FreeLoopbackPort());
    std::vector<std::string> argv = {pki_.openssl,
                                     "s_server",
                                     "-quiet",
                                     "-accept",
                                     absl::StrCat("127.0.0.1:", port),
                                     "-cert",
                                     pki_.revoked_cert,
                                     "-key",
                                     pki_.revoked_key};
    if (!staple.empty()) {
      argv.push_back("-status_file");
      argv.push_back(pki_.dir + "/" + staple);
    }
    ASSERT_OK_AND_ASSIGN(
        std::unique_ptr<ToolServer> s_server,
        ToolServer::Start(argv, port, pki_.dir + "/s_server.log"));
    absl::StatusOr<Reply> r = Ping(Options(port, TlsOptions::Ocsp::kStapled));
    EXPECT_THAT(r,
                StatusIs(absl::StatusCode::kUnavailable,
                         HasSubstr(staple.empty() ? "stapled no OCSP response"
                                                  : "is revoked")));
    EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kTls) << r.status();
  }
}

// A responder that accepts connections (the kernel's backlog) and never
// answers: every query waits for ocsp_responder_timeout. The async
// connection asks it from a helper thread, so the loop keeps running
// timers and other connections meanwhile; the attempt then fails closed
// with the OCSP error (the responder time-out adds to connect_timeout,
// so the connect timer does not fire first).
TEST_F(AsyncTlsOcspTest, SilentResponderDoesNotBlockTheLoop) {
  const int silent = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(silent, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(pki_.responder_port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
            0);
  ASSERT_EQ(::listen(silent, 16), 0);
  auto good = Server(pki_.good_cert, pki_.good_key);
  ASSERT_NE(good, nullptr);

  ConnectionOptions options =
      Options(good->tls_port(), TlsOptions::Ocsp::kResponder);
  options.connect_timeout = absl::Seconds(1);
  options.tls.ocsp_responder_timeout = absl::Seconds(3);
  ASSERT_OK_AND_ASSIGN(Connection conn,
                       Connection::Create(loop_->loop(), options));
  // Timers on the same loop fire while the responder is being asked: the
  // PING is still unanswered when each of them runs.
  struct Seen {
    absl::Mutex mu;
    int fired = 0;
    int fired_after_ping = 0;
    std::optional<absl::StatusOr<Reply>> ping;
    absl::Notification done;
  };
  auto seen = std::make_shared<Seen>();
  absl::Notification armed;
  loop_->loop().Post([&, seen] {
    for (int i = 1; i <= 5; ++i) {
      loop_->loop().RunAfter(absl::Milliseconds(200 * i), [seen] {
        absl::MutexLock lock(&seen->mu);
        ++seen->fired;
        if (seen->ping.has_value()) ++seen->fired_after_ping;
      });
    }
    armed.Notify();
  });
  armed.WaitForNotification();
  conn.Execute("PING").Then([seen](absl::StatusOr<Reply> r) {
    absl::MutexLock lock(&seen->mu);
    seen->ping = std::move(r);
    seen->done.Notify();
  });

  ASSERT_TRUE(seen->done.WaitForNotificationWithTimeout(absl::Seconds(20)))
      << "hung: PING did not resolve";
  absl::MutexLock lock(&seen->mu);
  const absl::StatusOr<Reply>& r = *seen->ping;
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable,
                          AllOf(HasSubstr("OCSP"), HasSubstr("fail-closed"))));
  EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kTls) << r.status();
  EXPECT_EQ(seen->fired, 5);
  EXPECT_EQ(seen->fired_after_ping, 0);
  conn.Close();
  ::close(silent);
}

}  // namespace
}  // namespace valkey::async
