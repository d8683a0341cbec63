#include "valkey/cluster/redirect.h"

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_reader.h"

namespace valkey {
namespace cluster {
namespace {

Redirect Make(Redirect::Kind kind, int slot, std::string host, int port) {
  Redirect r;
  r.kind = kind;
  r.slot = slot;
  r.to.host = std::move(host);
  r.to.port = port;
  return r;
}

TEST(ParseRedirectTest, MovedAndAsk) {
  EXPECT_EQ(ParseRedirect("MOVED 3999 127.0.0.1:6381"),
            Make(Redirect::kMoved, 3999, "127.0.0.1", 6381));
  EXPECT_EQ(ParseRedirect("ASK 3999 127.0.0.1:6381"),
            Make(Redirect::kAsk, 3999, "127.0.0.1", 6381));
  EXPECT_EQ(ParseRedirect("MOVED 0 node-1.example:7000\r\n"),
            Make(Redirect::kMoved, 0, "node-1.example", 7000));
  EXPECT_EQ(ParseRedirect("MOVED 16383 h:65535"),
            Make(Redirect::kMoved, 16383, "h", 65535));
}

TEST(ParseRedirectTest, Ipv6SplitsAtLastColon) {
  EXPECT_EQ(ParseRedirect("MOVED 1 ::1:6380"),
            Make(Redirect::kMoved, 1, "::1", 6380));
  EXPECT_EQ(ParseRedirect("ASK 7 2001:db8::10:6380"),
            Make(Redirect::kAsk, 7, "2001:db8::10", 6380));
  EXPECT_EQ(ParseRedirect("MOVED 1 [::1]:6380"),
            Make(Redirect::kMoved, 1, "::1", 6380));
}

TEST(ParseRedirectTest, EmptyHostMeansAnsweringNode) {
  const std::optional<Redirect> r = ParseRedirect("MOVED 3999 :6380");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->to.host.empty());
  EXPECT_EQ(r->to.port, 6380);
  EXPECT_EQ(r->slot, 3999);
}

TEST(ParseRedirectTest, RejectsEverythingElse) {
  for (const char* text : {"",
                           "MOVED",
                           "MOVED ",
                           "MOVED 3999",
                           "MOVED 3999 ",
                           "MOVED 3999 127.0.0.1",
                           "MOVED 3999 127.0.0.1:",
                           "MOVED 16384 h:1",
                           "MOVED -1 h:1",
                           "MOVED +1 h:1",
                           "MOVED 1 h:0",
                           "MOVED 1 h:65536",
                           "MOVED 1 h:99999999999",
                           "MOVED 123456 h:1",
                           "MOVED  1 h:1",
                           "MOVED 1 h:1 extra",
                           "MOVED 1 h:1x",
                           "moved 1 h:1",
                           "ASKING 1 h:1",
                           "REDIRECT 10.0.0.1:6379",
                           "ERR MOVED 1 h:1",
                           "TRYAGAIN x",
                           "MOVED 1\th:1"}) {
    EXPECT_EQ(ParseRedirect(text), std::nullopt) << text;
  }
}

// How a real reply becomes a status: the reader parses "-MOVED ...", and
// ReplyView::ToStatus() applies ServerError, keeping the text whole.
absl::Status StatusOfReply(absl::string_view bytes) {
  RespReader reader;
  reader.Feed(bytes);
  Reply reply;
  EXPECT_EQ(reader.Read(&reply), RespReader::Result::kReply);
  return reply.ToStatus();
}

TEST(RedirectFromStatusTest, FromServerReply) {
  // Captured from valkey-server 8.0.1 (GET foo sent to a replica).
  const absl::Status s = StatusOfReply("-MOVED 12182 127.0.0.1:7391\r\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(s.message(), "MOVED 12182 127.0.0.1:7391");
  EXPECT_EQ(GetErrorKind(s), ErrorKind::kMoved);
  absl::StatusOr<Redirect> r = RedirectFromStatus(s);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, Make(Redirect::kMoved, 12182, "127.0.0.1", 7391));

  absl::StatusOr<Redirect> ask =
      RedirectFromStatus(StatusOfReply("-ASK 5 ::1:6380\r\n"));
  ASSERT_TRUE(ask.ok()) << ask.status();
  EXPECT_EQ(*ask, Make(Redirect::kAsk, 5, "::1", 6380));
}

TEST(RedirectFromStatusTest, SurvivesAnnotation) {
  const absl::Status s =
      Annotate(ServerError("ASK 3999 10.0.0.2:7000"), "GET ASK 1 x:2");
  absl::StatusOr<Redirect> r = RedirectFromStatus(s);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, Make(Redirect::kAsk, 3999, "10.0.0.2", 7000));
}

TEST(RedirectFromStatusTest, Errors) {
  EXPECT_EQ(RedirectFromStatus(absl::OkStatus()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(RedirectFromStatus(ServerError("ERR MOVED 1 h:1")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(RedirectFromStatus(ConnectionError("x")).status().code(),
            absl::StatusCode::kNotFound);
  // The redirect must start the server's text (or follow Annotate's ": ").
  EXPECT_EQ(
      RedirectFromStatus(ServerError("MOVED x MOVED 1 h:1")).status().code(),
      absl::StatusCode::kDataLoss);
  const absl::Status bad = ServerError("MOVED nonsense");
  EXPECT_EQ(RedirectFromStatus(bad).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_TRUE(IsProtocolError(RedirectFromStatus(bad).status()));
}

TEST(ActionForTest, Table) {
  struct Case {
    absl::Status status;
    ClusterErrorAction action;
  };
  const Case cases[] = {
      {absl::OkStatus(), ClusterErrorAction::kNone},
      {ServerError("MOVED 1 h:1"), ClusterErrorAction::kFollowMoved},
      {ServerError("MOVED 1 :1"), ClusterErrorAction::kFollowMoved},
      {ServerError("ASK 1 h:1"), ClusterErrorAction::kFollowAsk},
      {ServerError("MOVED garbage"), ClusterErrorAction::kRefreshAndRetry},
      {ServerError("ASK"), ClusterErrorAction::kRefreshAndRetry},
      {ServerError("TRYAGAIN Multiple keys request during rehashing of slot"),
       ClusterErrorAction::kRetryAfterDelay},
      {ServerError("LOADING Valkey is loading the dataset in memory"),
       ClusterErrorAction::kRetryAfterDelay},
      {ServerError("CLUSTERDOWN Hash slot not served"),
       ClusterErrorAction::kRefreshAndRetry},
      {ServerError("CLUSTERDOWN The cluster is down"),
       ClusterErrorAction::kRefreshAndRetry},
      {ServerError("READONLY You can't write against a read only replica."),
       ClusterErrorAction::kRefreshAndRetry},
      {ServerError("MASTERDOWN Link with MASTER is down"),
       ClusterErrorAction::kRefreshAndRetry},
      {ConnectionError("connect to 10.0.0.1:7000: Connection refused"),
       ClusterErrorAction::kRefreshAndRetry},
      {ServerError("WRONGTYPE Operation against a key holding the wrong kind"),
       ClusterErrorAction::kNone},
      {ServerError("ERR unknown command 'FOO'"), ClusterErrorAction::kNone},
      {ServerError("NOSCRIPT No matching script."), ClusterErrorAction::kNone},
      {ServerError("CROSSSLOT Keys in request don't hash to the same slot"),
       ClusterErrorAction::kNone},
      {TimeoutError("read from 10.0.0.1:7000 timed out"),
       ClusterErrorAction::kFail},
      {TlsError("certificate verify failed"), ClusterErrorAction::kFail},
      {ProtocolError("bad byte"), ClusterErrorAction::kFail},
      {InvalidArgumentError("x"), ClusterErrorAction::kFail},
      {MakeError(absl::StatusCode::kInvalidArgument, ErrorKind::kCrossSlot,
                 "MSET: keys hash to different slots"),
       ClusterErrorAction::kFail},
      {absl::InternalError("no kind"), ClusterErrorAction::kFail},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ActionFor(c.status), c.action)
        << c.status << " gave " << ClusterErrorActionName(ActionFor(c.status));
  }
}

}  // namespace
}  // namespace cluster
}  // namespace valkey
