// Asking an OCSP responder: the URL from the certificate's AIA extension,
// a request a real `openssl ocsp` responder answers, and the HTTP failures
// (error status, not HTTP, hang-up, silence until the deadline, bad URLs)
// against a one-shot fake HTTP server on 127.0.0.1.

#include "valkey/connection/ocsp_responder.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/ocsp_pki.h"
#include "testing/status/status_matchers.h"
#include "testing/tool_server.h"
#include "valkey/common/errors.h"
#include "valkey/connection/ocsp_test_util.h"
#include "valkey/connection/ocsp_verify.h"

namespace valkey {
namespace {

using ::testing::HasSubstr;
using ::valkey::ocsp_test::LoadCert;
using ::valkey::ocsp_test::MakeTempDir;
using ::valkey::ocsp_test::X509Ptr;
using ::valkey::testing::FreeLoopbackPort;
using ::valkey::testing::OcspPki;
using ::valkey::testing::StatusIs;
using ::valkey::testing::ToolServer;

// Listens on 127.0.0.1; Serve() answers one connection with `reply` after
// reading the request (or, with an empty reply, closes at once; with
// `silent`, never answers until the destructor).
class FakeHttp {
 public:
  FakeHttp() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
        listen(fd_, 4) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port_ = ntohs(a.sin_port);
    }
  }
  ~FakeHttp() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  void Serve(std::string reply) {
    thread_ = std::thread([this, reply = std::move(reply)] {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string got;
      char buf[4096];
      while (got.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = read(c, buf, sizeof(buf));
        if (n <= 0) break;
        got.append(buf, n);
      }
      request_ = got;
      if (!reply.empty()) (void)!write(c, reply.data(), reply.size());
      close(c);
    });
  }
  int port() const { return port_; }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }
  // The request received; waits for the serving thread to finish.
  const std::string& request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string request_;
};

TEST(OcspResponderTest, UrlFromAiaRequestAnsweredByOpensslResponder) {
  const std::string dir = MakeTempDir();
  ASSERT_OK_AND_ASSIGN(int port, FreeLoopbackPort());
  ASSERT_OK_AND_ASSIGN(OcspPki pki, OcspPki::Mint(dir, port));
  X509Ptr ca = LoadCert(pki.ca_cert);
  X509Ptr good = LoadCert(pki.good_cert);
  X509Ptr no_aia = LoadCert(pki.no_aia_cert);
  ASSERT_NE(ca, nullptr);
  ASSERT_NE(good, nullptr);
  ASSERT_NE(no_aia, nullptr);

  ASSERT_OK_AND_ASSIGN(std::string url, OcspResponderUrl(good.get()));
  EXPECT_EQ(url, absl::StrCat("http://127.0.0.1:", port));
  EXPECT_THAT(OcspResponderUrl(no_aia.get()),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("no http OCSP responder")));

  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ToolServer> responder,
      ToolServer::Start(pki.ResponderArgv(pki.ocsp_cert, pki.ocsp_key), port,
                        dir + "/responder.log"));
  ASSERT_OK_AND_ASSIGN(std::string request,
                       BuildOcspRequest(good.get(), ca.get()));
  ASSERT_OK_AND_ASSIGN(
      std::string der,
      FetchOcspResponse(url, request, absl::Now() + absl::Seconds(10)));
  ASSERT_OK_AND_ASSIGN(
      OcspSingleResponse r,
      VerifyOcspResponse(der, good.get(), ca.get(), absl::Now()));
  EXPECT_EQ(r.status, OcspCertStatus::kGood);
}

TEST(OcspResponderTest, PostsOcspRequestOverHttp10) {
  FakeHttp http;
  http.Serve(
      "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n"
      "\r\nbody bytes");
  ASSERT_OK_AND_ASSIGN(std::string body,
                       FetchOcspResponse(http.url() + "/ocsp", "REQ",
                                         absl::Now() + absl::Seconds(10)));
  EXPECT_EQ(body, "body bytes");
  EXPECT_THAT(http.request(), HasSubstr("POST /ocsp HTTP/1.0\r\n"));
  EXPECT_THAT(http.request(),
              HasSubstr("Content-Type: application/ocsp-request\r\n"));
  EXPECT_THAT(http.request(), HasSubstr("Content-Length: 3\r\n"));
}

TEST(OcspResponderTest, HttpErrorStatusAndNonHttpReplies) {
  {
    FakeHttp http;
    http.Serve("HTTP/1.0 500 Internal Server Error\r\n\r\n");
    EXPECT_THAT(
        FetchOcspResponse(http.url(), "REQ", absl::Now() + absl::Seconds(10)),
        StatusIs(absl::StatusCode::kUnavailable,
                 HasSubstr("HTTP status 'HTTP/1.0 500")));
  }
  {
    FakeHttp http;
    http.Serve("+PONG\r\n");
    EXPECT_THAT(
        FetchOcspResponse(http.url(), "REQ", absl::Now() + absl::Seconds(10)),
        StatusIs(absl::StatusCode::kUnavailable, HasSubstr("not HTTP")));
  }
  {
    FakeHttp http;
    http.Serve("");  // Hangs up without a reply.
    absl::Status s =
        FetchOcspResponse(http.url(), "REQ", absl::Now() + absl::Seconds(10))
            .status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable,
                            HasSubstr("closed without a reply")));
    EXPECT_EQ(GetErrorKind(s), ErrorKind::kConnection) << s;
  }
}

TEST(OcspResponderTest, SilentResponderEndsAtTheDeadline) {
  FakeHttp http;  // Listens, never accepts: the backlog completes connects.
  absl::Status s = FetchOcspResponse(http.url(), "REQ",
                                     absl::Now() + absl::Milliseconds(200))
                       .status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDeadlineExceeded,
                          HasSubstr("OCSP responder http://127.0.0.1:")));
  EXPECT_EQ(GetErrorKind(s), ErrorKind::kTimeout) << s;
}

TEST(OcspResponderTest, BadUrlsAreInvalidArguments) {
  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  for (const char* url :
       {"https://127.0.0.1/", "ldap://x", "http://", "http://127.0.0.1:0/",
        "http://127.0.0.1:99999", "http://[::1", "http://[::1]x/"}) {
    EXPECT_THAT(FetchOcspResponse(url, "REQ", deadline),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("OCSP responder URL")))
        << url;
  }
}

}  // namespace
}  // namespace valkey
