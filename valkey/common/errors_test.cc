#include "valkey/common/errors.h"

#include <cerrno>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace valkey {
namespace {

struct Row {
  std::string line;
  absl::StatusCode code;
  ErrorKind kind;
  std::string prefix;
};

// One row per line of the table in errors.h.
const Row kRows[] = {
    {"ERR unknown command 'FOO'", absl::StatusCode::kUnknown,
     ErrorKind::kResponse, "ERR"},
    {"WRONGTYPE Operation against a key holding the wrong kind of value",
     absl::StatusCode::kUnknown, ErrorKind::kWrongType, "WRONGTYPE"},
    {"NOSCRIPT No matching script. Please use EVAL.",
     absl::StatusCode::kUnknown, ErrorKind::kNoScript, "NOSCRIPT"},
    {"EXECABORT Transaction discarded because of previous errors.",
     absl::StatusCode::kUnknown, ErrorKind::kExecAbort, "EXECABORT"},
    {"REDIRECT 127.0.0.1:6380", absl::StatusCode::kUnknown,
     ErrorKind::kRedirect, "REDIRECT"},
    {"MOVED 3999 127.0.0.1:6381", absl::StatusCode::kUnknown,
     ErrorKind::kMoved, "MOVED"},
    {"ASK 3999 127.0.0.1:6381", absl::StatusCode::kUnknown, ErrorKind::kAsk,
     "ASK"},
    {"READONLY You can't write against a read only replica.",
     absl::StatusCode::kFailedPrecondition, ErrorKind::kReadOnly, "READONLY"},
    {"MISCONF Errors writing to the AOF file",
     absl::StatusCode::kFailedPrecondition, ErrorKind::kMisconf, "MISCONF"},
    {"LOADING Valkey is loading the dataset in memory",
     absl::StatusCode::kUnavailable, ErrorKind::kBusyLoading, "LOADING"},
    {"BUSY Valkey is busy running a script.", absl::StatusCode::kUnavailable,
     ErrorKind::kBusy, "BUSY"},
    {"TRYAGAIN Multiple keys request during rehashing of slot",
     absl::StatusCode::kUnavailable, ErrorKind::kTryAgain, "TRYAGAIN"},
    {"CLUSTERDOWN The cluster is down", absl::StatusCode::kUnavailable,
     ErrorKind::kClusterDown, "CLUSTERDOWN"},
    {"MASTERDOWN Link with MASTER is down", absl::StatusCode::kUnavailable,
     ErrorKind::kMasterDown, "MASTERDOWN"},
    {"NOREPLICAS Not enough good replicas to write.",
     absl::StatusCode::kUnavailable, ErrorKind::kNoReplicas, "NOREPLICAS"},
    {"NOAUTH Authentication required.", absl::StatusCode::kUnauthenticated,
     ErrorKind::kAuthentication, "NOAUTH"},
    {"WRONGPASS invalid username-password pair or user is disabled.",
     absl::StatusCode::kUnauthenticated, ErrorKind::kAuthentication,
     "WRONGPASS"},
    {"NOPERM User alice has no permissions to run the 'get' command",
     absl::StatusCode::kPermissionDenied, ErrorKind::kNoPermission, "NOPERM"},
    {"OOM command not allowed when used memory > 'maxmemory'.",
     absl::StatusCode::kResourceExhausted, ErrorKind::kOutOfMemory, "OOM"},
    {"CROSSSLOT Keys in request don't hash to the same slot",
     absl::StatusCode::kInvalidArgument, ErrorKind::kCrossSlot, "CROSSSLOT"},
    {"NOGROUP No such key 's' or consumer group 'g'",
     absl::StatusCode::kNotFound, ErrorKind::kNoGroup, "NOGROUP"},
    {"BUSYKEY Target key name already exists.", absl::StatusCode::kUnknown,
     ErrorKind::kResponse, "BUSYKEY"},
    // Exact ERR texts.
    {"ERR max number of clients reached", absl::StatusCode::kUnavailable,
     ErrorKind::kConnection, "ERR"},
    {"ERR invalid password", absl::StatusCode::kUnauthenticated,
     ErrorKind::kAuthentication, "ERR"},
    {"ERR Client sent AUTH, but no password is set",
     absl::StatusCode::kUnauthenticated, ErrorKind::kAuthentication, "ERR"},
    {"ERR AUTH <password> called without any password configured for the "
     "default user. Are you sure your configuration is correct?",
     absl::StatusCode::kUnauthenticated, ErrorKind::kAuthentication, "ERR"},
    {"ERR wrong number of arguments for 'auth' command",
     absl::StatusCode::kUnknown, ErrorKind::kAuthWrongArgs, "ERR"},
    {"ERR wrong number of arguments for 'AUTH' command",
     absl::StatusCode::kUnknown, ErrorKind::kAuthWrongArgs, "ERR"},
    {"ERR Error loading the extension. Please check the server logs.",
     absl::StatusCode::kUnknown, ErrorKind::kModule, "ERR"},
    {"ERR Error unloading module: no such module with that name",
     absl::StatusCode::kUnknown, ErrorKind::kModule, "ERR"},
    // Near misses stay plain responses.
    {"ERR max number of clients reached, really", absl::StatusCode::kUnknown,
     ErrorKind::kResponse, "ERR"},
    {"ERRX something", absl::StatusCode::kUnknown, ErrorKind::kResponse,
     "ERRX"},
    {"LOADINGX not a prefix match", absl::StatusCode::kUnknown,
     ErrorKind::kResponse, "LOADINGX"},
    {"NOSCRIPT", absl::StatusCode::kUnknown, ErrorKind::kNoScript,
     "NOSCRIPT"},
};

class ServerErrorTest : public ::testing::TestWithParam<Row> {};

TEST_P(ServerErrorTest, MapsPrefixToCodeAndKind) {
  const Row& row = GetParam();
  const absl::Status status = ServerError(row.line);
  EXPECT_EQ(status.code(), row.code) << row.line;
  EXPECT_EQ(GetErrorKind(status), row.kind)
      << row.line << " got " << ErrorKindName(GetErrorKind(status));
  EXPECT_EQ(ServerErrorPrefix(status), row.prefix);
  EXPECT_EQ(status.message(), row.line) << "server text is kept whole";
  EXPECT_TRUE(IsServerError(status));
}

INSTANTIATE_TEST_SUITE_P(Table, ServerErrorTest, ::testing::ValuesIn(kRows));

TEST(ServerErrorTest, EmptyAndTrailingWhitespace) {
  absl::Status empty = ServerError("");
  EXPECT_EQ(empty.code(), absl::StatusCode::kUnknown);
  EXPECT_TRUE(IsServerError(empty));
  absl::Status crlf = ServerError("WRONGTYPE bad\r\n");
  EXPECT_EQ(crlf.message(), "WRONGTYPE bad");
  EXPECT_EQ(GetErrorKind(crlf), ErrorKind::kWrongType);
}

TEST(ErrorsTest, ConstructorsCarryCodeAndKind) {
  struct Case {
    absl::Status status;
    absl::StatusCode code;
    ErrorKind kind;
  };
  const Case cases[] = {
      {ConnectionError("x"), absl::StatusCode::kUnavailable,
       ErrorKind::kConnection},
      {TimeoutError("x"), absl::StatusCode::kDeadlineExceeded,
       ErrorKind::kTimeout},
      {ProtocolError("x"), absl::StatusCode::kDataLoss, ErrorKind::kProtocol},
      {InvalidArgumentError("x"), absl::StatusCode::kInvalidArgument,
       ErrorKind::kInvalidArgument},
      {PoolExhaustedError("x"), absl::StatusCode::kResourceExhausted,
       ErrorKind::kPoolExhausted},
      {MasterNotFoundError("x"), absl::StatusCode::kNotFound,
       ErrorKind::kMasterNotFound},
      {ReplicaNotFoundError("x"), absl::StatusCode::kNotFound,
       ErrorKind::kReplicaNotFound},
      {WatchError("x"), absl::StatusCode::kAborted, ErrorKind::kWatch},
      {PubSubError("x"), absl::StatusCode::kFailedPrecondition,
       ErrorKind::kPubSub},
      {TlsError("x"), absl::StatusCode::kUnavailable, ErrorKind::kTls},
      {AuthenticationError("x"), absl::StatusCode::kUnauthenticated,
       ErrorKind::kAuthentication},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.status.code(), c.code);
    EXPECT_EQ(GetErrorKind(c.status), c.kind);
    EXPECT_EQ(c.status.message(), "x");
    EXPECT_FALSE(IsServerError(c.status));
    EXPECT_EQ(ServerErrorPrefix(c.status), "");
  }
}

TEST(ErrorsTest, Predicates) {
  EXPECT_TRUE(IsConnectionError(ConnectionError("a")));
  EXPECT_TRUE(IsConnectionError(TlsError("a")));
  EXPECT_FALSE(IsConnectionError(TimeoutError("a")));
  EXPECT_TRUE(IsTimeout(TimeoutError("a")));
  EXPECT_TRUE(IsProtocolError(ProtocolError("a")));
  EXPECT_TRUE(IsAuthenticationError(ServerError("NOAUTH x")));
  EXPECT_TRUE(IsReadOnlyError(ServerError("READONLY x")));
  EXPECT_TRUE(IsBusyLoading(ServerError("LOADING x")));
  EXPECT_TRUE(IsNoScript(ServerError("NOSCRIPT x")));
  EXPECT_TRUE(IsWatchError(WatchError("a")));
  // A plain absl status carries no kind.
  EXPECT_EQ(GetErrorKind(absl::UnavailableError("x")), ErrorKind::kNone);
  EXPECT_FALSE(IsConnectionError(absl::UnavailableError("x")));
  EXPECT_FALSE(IsConnectionError(absl::OkStatus()));
  EXPECT_EQ(GetErrorKind(absl::OkStatus()), ErrorKind::kNone);
}

TEST(ErrorsTest, MakeErrorWithOkCodeStaysOk) {
  EXPECT_TRUE(
      MakeError(absl::StatusCode::kOk, ErrorKind::kConnection, "x").ok());
}

TEST(ErrorsTest, AnnotateKeepsCodeKindAndPrefix) {
  absl::Status s = Annotate(ServerError("WRONGTYPE bad"), "GET user:1");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(s.message(), "GET user:1: WRONGTYPE bad");
  EXPECT_EQ(GetErrorKind(s), ErrorKind::kWrongType);
  EXPECT_EQ(ServerErrorPrefix(s), "WRONGTYPE");
  EXPECT_TRUE(Annotate(absl::OkStatus(), "ctx").ok());
}

TEST(ErrorsTest, WithMessageKeepsCodeKindAndPrefix) {
  absl::Status s = WithMessage(ServerError("WRONGPASS sekret"), "WRONGPASS x");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message(), "WRONGPASS x");
  EXPECT_EQ(GetErrorKind(s), ErrorKind::kAuthentication);
  EXPECT_EQ(ServerErrorPrefix(s), "WRONGPASS");
  EXPECT_TRUE(WithMessage(absl::OkStatus(), "x").ok());
}

TEST(ErrorsTest, ErrnoErrorMapping) {
  absl::Status refused = ErrnoError(ECONNREFUSED, "connect to 127.0.0.1:1");
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsConnectionError(refused));
  EXPECT_EQ(refused.message(),
            "connect to 127.0.0.1:1: Connection refused");
  EXPECT_TRUE(IsTimeout(ErrnoError(ETIMEDOUT, "read")));
  EXPECT_TRUE(IsConnectionError(ErrnoError(ECONNRESET, "read")));
  EXPECT_TRUE(IsConnectionError(ErrnoError(EPIPE, "write")));
  EXPECT_TRUE(IsConnectionError(ErrnoError(ENOENT, "connect to /tmp/x")));
  EXPECT_EQ(ErrnoError(ENAMETOOLONG, "socket path").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ErrorsTest, ParseRedirect) {
  auto moved = ParseRedirect(ServerError("MOVED 3999 127.0.0.1:6381"));
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->host, "127.0.0.1");
  EXPECT_EQ(moved->port, 6381);

  auto ask = ParseRedirect(Annotate(ServerError("ASK 1 ::1:7000"), "GET k"));
  ASSERT_TRUE(ask.has_value());
  EXPECT_EQ(ask->slot, 1);
  EXPECT_EQ(ask->host, "::1");
  EXPECT_EQ(ask->port, 7000);

  auto redirect = ParseRedirect(ServerError("REDIRECT 2001:db8::10:6380"));
  ASSERT_TRUE(redirect.has_value());
  EXPECT_EQ(redirect->slot, -1);
  EXPECT_EQ(redirect->host, "2001:db8::10");
  EXPECT_EQ(redirect->port, 6380);

  EXPECT_FALSE(ParseRedirect(ServerError("MOVED x 127.0.0.1:1")).has_value());
  EXPECT_FALSE(ParseRedirect(ServerError("MOVED 1 noport")).has_value());
  EXPECT_FALSE(ParseRedirect(ServerError("MOVED 1 h:99999")).has_value());
  EXPECT_FALSE(ParseRedirect(ServerError("ERR x")).has_value());
}

}  // namespace
}  // namespace valkey
