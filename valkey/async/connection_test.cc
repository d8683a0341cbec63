// async::Connection against real valkey-server processes (and a fault
// proxy in between where a test needs network faults): round trips over
// TCP, Unix sockets and TLS, RESP2/RESP3, multiplexing many callers on one
// connection, deadlines, reconnects, authentication, limits, pushes, Close.
//
// Servers and proxies are created and restarted from the test's main thread
// only (the fixtures use PR_SET_PDEATHSIG). Every wait is bounded: a future
// that never resolves is reported as a failure, never a hang.

#include "valkey/async/connection.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/fault_proxy.h"
#include "testing/valkey_server.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/common/config.h"
#include "valkey/common/credentials.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"

namespace valkey::async {
namespace {

using ::valkey::testing::FaultProxy;
using ::valkey::testing::ValkeyServer;

constexpr absl::Duration kWait = absl::Seconds(10);

std::unique_ptr<ValkeyServer> StartServer(ValkeyServer::Options options = {}) {
  absl::StatusOr<std::unique_ptr<ValkeyServer>> server =
      ValkeyServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

std::unique_ptr<EventLoopThread> StartLoop() {
  absl::StatusOr<std::unique_ptr<EventLoopThread>> loop =
      EventLoopThread::Start();
  EXPECT_TRUE(loop.ok()) << loop.status();
  return loop.ok() ? *std::move(loop) : nullptr;
}

ConnectionOptions TcpOptions(const std::string& host, int port) {
  ConnectionOptions options;
  options.host = host;
  options.port = port;
  options.connect_timeout = absl::Seconds(5);
  options.socket_timeout = absl::Seconds(5);
  return options;
}

ConnectionOptions TcpOptions(const ValkeyServer& server) {
  return TcpOptions(server.host(), server.port());
}

// Waits for `f`. A future that does not resolve within `timeout` is a
// failure of its own (INTERNAL "hung"), so that it cannot be mistaken for a
// command's DEADLINE_EXCEEDED.
absl::StatusOr<Reply> Wait(Future<Reply>& f, absl::Duration timeout = kWait) {
  absl::StatusOr<Reply> r = f.Get(timeout);
  if (f.valid()) {
    return absl::InternalError(
        absl::StrCat("hung: the future did not resolve within ",
                     absl::FormatDuration(timeout)));
  }
  return r;
}
absl::StatusOr<Reply> Wait(Future<Reply>&& f, absl::Duration timeout = kWait) {
  return Wait(f, timeout);
}

// Repeats PING until it succeeds or `within` passes; returns the last
// outcome.
absl::Status PingUntilOk(Connection& conn, absl::Duration within) {
  const absl::Time deadline = absl::Now() + within;
  absl::Status last = absl::UnknownError("never tried");
  while (absl::Now() < deadline) {
    absl::StatusOr<Reply> r = Wait(conn.Execute("PING"), absl::Seconds(5));
    if (r.ok()) return absl::OkStatus();
    last = r.status();
    absl::SleepFor(absl::Milliseconds(20));
  }
  return last;
}

// A port on 127.0.0.1 that is bound but not listening: connects to it are
// refused, and no other process can take it while `fd` is open.
struct DeadPort {
  int fd = -1;
  int port = 0;
  DeadPort() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (fd >= 0 &&
        ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
      socklen_t len = sizeof(a);
      if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
        port = ntohs(a.sin_port);
      }
    }
  }
  ~DeadPort() {
    if (fd >= 0) ::close(fd);
  }
};

// ---------------------------------------------------------------------------
// 1. Round trips over TCP and Unix sockets, RESP2 and RESP3.

TEST(AsyncConnectionTest, SetGetOverTcpAndUnixWithResp2AndResp3) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  for (const bool unix_socket : {false, true}) {
    for (const int protocol : {2, 3}) {
      SCOPED_TRACE(
          absl::StrCat(unix_socket ? "unix" : "tcp", " RESP", protocol));
      ConnectionOptions options = TcpOptions(*server);
      if (unix_socket) options.unix_path = server->unix_path();
      options.protocol = protocol;
      auto conn = Connection::Create(loop->loop(), options);
      ASSERT_TRUE(conn.ok()) << conn.status();
      EXPECT_EQ(conn->address(),
                unix_socket ? server->unix_path() : server->address());

      const std::string key = absl::StrCat("k:", unix_socket, ":", protocol);
      const std::string value(3000, static_cast<char>('a' + protocol));
      auto set = Wait(conn->Execute("SET", key, value));
      ASSERT_TRUE(set.ok()) << set.status();
      EXPECT_EQ(set->str(), "OK");
      auto get = Wait(conn->Execute("GET", key));
      ASSERT_TRUE(get.ok()) << get.status();
      EXPECT_EQ(get->str(), value);
      auto missing = Wait(conn->Execute("GET", "no-such-key"));
      ASSERT_TRUE(missing.ok()) << missing.status();
      EXPECT_TRUE(missing->is_null());

      EXPECT_TRUE(conn->connected());
      EXPECT_EQ(conn->protocol(), protocol);
      // The protocol is really in use: a hash comes back as a RESP3 map,
      // or as a flat RESP2 array.
      ASSERT_TRUE(Wait(conn->Execute("HSET", "h", "f", "v")).ok());
      auto all = Wait(conn->Execute("HGETALL", "h"));
      ASSERT_TRUE(all.ok()) << all.status();
      EXPECT_EQ(all->type(),
                protocol == 3 ? ReplyType::kMap : ReplyType::kArray)
          << all->DebugString();
      EXPECT_EQ(conn->stats().connects, 1u);
    }
  }
}

// ---------------------------------------------------------------------------
// 2. Many callers multiplexed on one connection.

// One coroutine caller: SETs and GETs keys of its own, checking each reply.
// Returns how many GETs matched.
Task<int> CoroutineCaller(Connection* conn, int id, int iterations) {
  int matched = 0;
  for (int i = 0; i < iterations; ++i) {
    const std::string key = absl::StrCat("c", id, ":i", i);
    const std::string value = absl::StrCat("value-of-", key);
    Future<Reply> set = conn->Execute("SET", key, value);
    Future<Reply> get = conn->Execute("GET", key);
    absl::StatusOr<Reply> s = co_await set;
    if (!s.ok()) co_return s.status();
    absl::StatusOr<Reply> g = co_await get;
    if (!g.ok()) co_return g.status();
    if (g->str() != value) {
      co_return absl::InternalError(absl::StrCat(
          "caller ", key, " expected ", value, " got ", g->DebugString()));
    }
    ++matched;
  }
  co_return matched;
}

TEST(AsyncConnectionTest,
     TenThousandConcurrentCommandsFromThreadsAndCoroutines) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  auto conn = Connection::Create(loop->loop(), TcpOptions(*server));
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE(Wait(conn->Execute("PING")).ok());
  const Connection::Stats before = conn->stats();

  constexpr int kThreads = 8;
  constexpr int kPairsPerThread = 500;  // 8 * 500 * 2 = 8000 commands.
  constexpr int kCoroutines = 20;
  constexpr int kPairsPerCoroutine = 50;  // 20 * 50 * 2 = 2000 commands.

  absl::Notification go;
  std::atomic<int> thread_matches{0};
  absl::Mutex mu;
  std::vector<std::string> errors;  // First few, guarded by mu.
  auto note_error = [&](std::string e) {
    absl::MutexLock lock(&mu);
    if (errors.size() < 10) errors.push_back(std::move(e));
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      go.WaitForNotification();
      std::vector<std::string> values;
      std::vector<Future<Reply>> sets, gets;
      values.reserve(kPairsPerThread);
      for (int i = 0; i < kPairsPerThread; ++i) {
        const std::string key = absl::StrCat("t", t, ":i", i);
        values.push_back(absl::StrCat("value-of-", key));
        sets.push_back(conn->Execute("SET", key, values.back()));
        gets.push_back(conn->Execute("GET", key));
      }
      for (int i = 0; i < kPairsPerThread; ++i) {
        absl::StatusOr<Reply> s = Wait(sets[i], absl::Seconds(30));
        if (!s.ok()) {
          note_error(
              absl::StrCat("t", t, ":i", i, " SET: ", s.status().ToString()));
          continue;
        }
        absl::StatusOr<Reply> g = Wait(gets[i], absl::Seconds(30));
        if (!g.ok()) {
          note_error(
              absl::StrCat("t", t, ":i", i, " GET: ", g.status().ToString()));
        } else if (g->str() != values[i]) {
          note_error(absl::StrCat("t", t, ":i", i, " expected ", values[i],
                                  " got ", g->DebugString()));
        } else {
          thread_matches.fetch_add(1);
        }
      }
    });
  }
  go.Notify();
  std::vector<Task<int>> tasks;
  for (int c = 0; c < kCoroutines; ++c) {
    tasks.push_back(CoroutineCaller(&*conn, c, kPairsPerCoroutine));
  }
  for (std::thread& t : threads) t.join();
  int coroutine_matches = 0;
  for (Task<int>& task : tasks) {
    absl::StatusOr<int> r = task.Get(absl::Seconds(30));
    ASSERT_TRUE(r.ok()) << r.status();
    coroutine_matches += *r;
  }
  {
    absl::MutexLock lock(&mu);
    for (const std::string& e : errors) ADD_FAILURE() << e;
  }
  EXPECT_EQ(thread_matches.load(), kThreads * kPairsPerThread);
  EXPECT_EQ(coroutine_matches, kCoroutines * kPairsPerCoroutine);

  const Connection::Stats after = conn->stats();
  const uint64_t commands = after.commands - before.commands;
  const uint64_t writes = after.writes - before.writes;
  EXPECT_EQ(commands, 10000u);
  EXPECT_EQ(after.in_flight, 0);
  EXPECT_EQ(after.connects, 1u);
  // Auto-pipelining: commands issued together share a write.
  EXPECT_LT(writes * 4, commands)
      << writes << " writes for " << commands << " commands";
}

// ---------------------------------------------------------------------------
// 3. Deadlines.

TEST(AsyncConnectionTest, BlackholedServerMissesDeadlineThenRecovers) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto proxy = FaultProxy::Start("127.0.0.1", server->port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  ConnectionOptions options = TcpOptions((*proxy)->host(), (*proxy)->port());
  options.socket_timeout = absl::Milliseconds(200);
  options.connect_timeout = absl::Seconds(1);
  auto conn = Connection::Create(loop->loop(), options);
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE(Wait(conn->Execute("SET", "k", "v")).ok());

  (*proxy)->Blackhole();
  const absl::Time start = absl::Now();
  absl::StatusOr<Reply> late = Wait(conn->Execute("GET", "k"));
  const absl::Duration elapsed = absl::Now() - start;
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), absl::StatusCode::kDeadlineExceeded)
      << late.status();
  EXPECT_TRUE(IsTimeout(late.status())) << late.status();
  EXPECT_GE(elapsed, absl::Milliseconds(180));
  EXPECT_LT(elapsed, absl::Seconds(3));

  ASSERT_TRUE((*proxy)->Resume().ok());
  const absl::Time resumed = absl::Now();
  absl::StatusOr<Reply> got = absl::UnknownError("never tried");
  while (absl::Now() - resumed < absl::Seconds(5)) {
    got = Wait(conn->Execute("GET", "k"));
    if (got.ok()) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->str(), "v");
  EXPECT_LT(absl::Now() - resumed, absl::Seconds(5));
  // The connection keeps working afterwards.
  for (int i = 0; i < 20; ++i) {
    auto again = Wait(conn->Execute("GET", "k"));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->str(), "v");
  }
}

// A command issued while the connection is still being set up waits for
// the connect attempt (bounded by connect_timeout), not for its reply
// time-out, and a failed attempt does not poison the next connection.
TEST(AsyncConnectionTest,
     CommandQueuedWhileConnectingFailsWithTheAttemptNotItsReplyTimeout) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto proxy = FaultProxy::Start("127.0.0.1", server->port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  (*proxy)->Blackhole();  // The handshake will wait.
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  ConnectionOptions options = TcpOptions((*proxy)->host(), (*proxy)->port());
  options.socket_timeout = absl::Milliseconds(300);
  options.connect_timeout = absl::Seconds(1);
  std::atomic<int> disconnects{0};
  AsyncOptions async;
  async.on_disconnected = [&](const absl::Status&) { disconnects++; };
  auto conn = Connection::Create(loop->loop(), options, async);
  ASSERT_TRUE(conn.ok()) << conn.status();

  // Not written yet, so not subject to the 300 ms reply time-out: it fails
  // with the connect attempt (connect_timeout), naming the connect.
  const absl::Time start = absl::Now();
  absl::StatusOr<Reply> queued = Wait(conn->Execute("GET", "a"));
  ASSERT_FALSE(queued.ok());
  EXPECT_EQ(queued.status().code(), absl::StatusCode::kDeadlineExceeded)
      << queued.status();
  EXPECT_TRUE(absl::StrContains(queued.status().message(), "connect to"))
      << queued.status();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900));

  // A command issued now goes out once the server answers again; it was
  // never sent on a connection that could not be matched.
  Future<Reply> fresh = conn->Execute("SET", "b", "1");
  ASSERT_TRUE((*proxy)->Resume().ok());
  absl::StatusOr<Reply> fresh_reply = Wait(fresh);
  EXPECT_TRUE(fresh_reply.ok()) << fresh_reply.status();
  EXPECT_TRUE(Wait(conn->Execute("PING")).ok());
  EXPECT_EQ(conn->stats().connects, 1u);
  EXPECT_EQ(disconnects.load(), 0);
}

// ---------------------------------------------------------------------------
// 4. Server restart mid-traffic.

TEST(AsyncConnectionTest, ServerKilledMidTrafficFailsPendingThenReconnects) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  std::atomic<int> disconnects{0};
  std::atomic<int> connected{0};
  AsyncOptions async;
  async.on_disconnected = [&](const absl::Status&) { disconnects++; };
  async.on_connected = [&] { connected++; };
  auto conn = Connection::Create(loop->loop(), TcpOptions(*server), async);
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE(Wait(conn->Execute("SET", "k", "v")).ok());

  const uint64_t written_before = conn->stats().commands;
  std::vector<Future<Reply>> pending;
  pending.push_back(conn->Execute("DEBUG", "SLEEP", "0.5"));
  for (int i = 0; i < 50; ++i) pending.push_back(conn->Execute("GET", "k"));
  // Wait until they are all on the wire.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (conn->stats().commands < written_before + pending.size() &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_EQ(conn->stats().commands, written_before + pending.size());
  ASSERT_TRUE(server->Kill().ok());

  for (size_t i = 0; i < pending.size(); ++i) {
    absl::StatusOr<Reply> r = Wait(pending[i], absl::Seconds(5));
    ASSERT_FALSE(r.ok()) << "command " << i << " answered by a killed server";
    EXPECT_TRUE(absl::IsUnavailable(r.status())) << i << ": " << r.status();
    EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kConnection) << r.status();
  }

  ASSERT_TRUE(server->Restart().ok());
  ASSERT_TRUE(PingUntilOk(*conn, absl::Seconds(10)).ok());
  auto set = Wait(conn->Execute("SET", "k", "after"));
  ASSERT_TRUE(set.ok()) << set.status();
  auto get = Wait(conn->Execute("GET", "k"));
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->str(), "after");
  EXPECT_GE(conn->stats().connects, 2u);
  EXPECT_EQ(disconnects.load(), 1);
  EXPECT_EQ(static_cast<uint64_t>(connected.load()), conn->stats().connects);
}

// ---------------------------------------------------------------------------
// 5. TLS.

TEST(AsyncConnectionTest, TlsVerifiesTheServerAndRejectsAWrongCa) {
  ValkeyServer::Options server_options;
  server_options.tls = true;
  auto server = StartServer(server_options);
  ASSERT_NE(server, nullptr);
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);

  ConnectionOptions options = TcpOptions("127.0.0.1", server->tls_port());
  options.tls.enabled = true;
  options.tls.ca_file = server->ca_cert_path();
  options.tls.use_system_trust_store = false;
  for (const int protocol : {2, 3}) {
    SCOPED_TRACE(protocol);
    options.protocol = protocol;
    auto conn = Connection::Create(loop->loop(), options);
    ASSERT_TRUE(conn.ok()) << conn.status();
    const std::string big(200000, 'x');  // Many TLS records each way.
    auto set = Wait(conn->Execute("SET", "big", big));
    ASSERT_TRUE(set.ok()) << set.status();
    std::vector<Future<Reply>> gets;
    for (int i = 0; i < 20; ++i) gets.push_back(conn->Execute("GET", "big"));
    for (Future<Reply>& f : gets) {
      auto r = Wait(f);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->str().size(), big.size());
      EXPECT_EQ(r->str(), big);
    }
    EXPECT_EQ(conn->protocol(), protocol);
  }

  ConnectionOptions wrong = options;
  wrong.tls.ca_file = server->certs()->other_ca_cert;
  auto conn = Connection::Create(loop->loop(), wrong);
  ASSERT_TRUE(conn.ok()) << conn.status();
  auto r = Wait(conn->Execute("PING"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kTls) << r.status();
  EXPECT_TRUE(
      absl::StrContains(r.status().message(), "certificate verify failed"))
      << r.status();
  EXPECT_EQ(conn->stats().connects, 0u);
  EXPECT_FALSE(conn->connected());
}

// ---------------------------------------------------------------------------
// 6. Authentication.

TEST(AsyncConnectionTest, PasswordAndAclUser) {
  ValkeyServer::Options server_options;
  server_options.requirepass = "s3cret-Pa55";
  server_options.acl_users = {"user alice on >alice-pw ~* +@all"};
  auto server = StartServer(server_options);
  ASSERT_NE(server, nullptr);
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  for (const int protocol : {2, 3}) {
    SCOPED_TRACE(protocol);
    ConnectionOptions options = TcpOptions(*server);
    options.protocol = protocol;

    options.credentials =
        std::make_shared<StaticCredentialProvider>("", "s3cret-Pa55");
    auto good = Connection::Create(loop->loop(), options);
    ASSERT_TRUE(good.ok()) << good.status();
    auto set = Wait(good->Execute("SET", "k", "v"));
    ASSERT_TRUE(set.ok()) << set.status();
    auto who = Wait(good->Execute("ACL", "WHOAMI"));
    ASSERT_TRUE(who.ok()) << who.status();
    EXPECT_EQ(who->str(), "default");

    options.credentials =
        std::make_shared<StaticCredentialProvider>("", "wrong-Pa55word");
    auto bad = Connection::Create(loop->loop(), options);
    ASSERT_TRUE(bad.ok()) << bad.status();
    for (int i = 0; i < 2; ++i) {  // The first attempt and a retried one.
      auto denied = Wait(bad->Execute("GET", "k"));
      ASSERT_FALSE(denied.ok());
      EXPECT_EQ(denied.status().code(), absl::StatusCode::kUnauthenticated)
          << denied.status();
      EXPECT_FALSE(
          absl::StrContains(denied.status().ToString(), "wrong-Pa55word"))
          << denied.status();
    }
    EXPECT_EQ(bad->stats().connects, 0u);

    options.credentials =
        std::make_shared<StaticCredentialProvider>("alice", "alice-pw");
    auto alice = Connection::Create(loop->loop(), options);
    ASSERT_TRUE(alice.ok()) << alice.status();
    auto whoami = Wait(alice->Execute("ACL", "WHOAMI"));
    ASSERT_TRUE(whoami.ok()) << whoami.status();
    EXPECT_EQ(whoami->str(), "alice");
    auto get = Wait(alice->Execute("GET", "k"));
    ASSERT_TRUE(get.ok()) << get.status();
    EXPECT_EQ(get->str(), "v");
  }
}

// ---------------------------------------------------------------------------
// 7. max_in_flight.

TEST(AsyncConnectionTest, MaxInFlightRefusesExcessCommandsAtOnce) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  AsyncOptions async;
  async.max_in_flight = 4;
  auto conn = Connection::Create(loop->loop(), TcpOptions(*server), async);
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE(Wait(conn->Execute("PING")).ok());

  std::vector<Future<Reply>> futures;
  futures.push_back(conn->Execute("DEBUG", "SLEEP", "0.3"));
  for (int i = 1; i < 10; ++i) futures.push_back(conn->Execute("INCR", "n"));
  // The refused ones are resolved before Execute returns.
  for (int i = 4; i < 10; ++i) {
    ASSERT_TRUE(futures[i].ready()) << i;
    absl::StatusOr<Reply> r = Wait(futures[i], absl::ZeroDuration());
    ASSERT_FALSE(r.ok()) << i;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted)
        << r.status();
    EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kPoolExhausted);
  }
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<Reply> r = Wait(futures[i]);
    ASSERT_TRUE(r.ok()) << i << ": " << r.status();
    if (i > 0) {
      EXPECT_EQ(r->integer(), i);
    }
  }
  EXPECT_EQ(conn->stats().in_flight, 0);
  // Room again.
  std::vector<Future<Reply>> more;
  for (int i = 0; i < 4; ++i) more.push_back(conn->Execute("INCR", "n"));
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<Reply> r = Wait(more[i]);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->integer(), 4 + i);
  }
}

// ---------------------------------------------------------------------------
// 7a. max_queued_bytes.

void ExpectQueueFull(Future<Reply>& f) {
  // Refused before Execute returned.
  ASSERT_TRUE(f.ready());
  absl::StatusOr<Reply> r = Wait(f, absl::ZeroDuration());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted)
      << r.status();
  EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kPoolExhausted);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "max_queued_bytes"))
      << r.status();
}

// Commands submitted while the connection is not up wait in the queue; one
// that would take it past max_queued_bytes is refused at once and never
// sent, and once the queue drains commands flow again.
TEST(AsyncConnectionTest, MaxQueuedBytesRefusesWhatWouldOverflowTheQueue) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  auto proxy = FaultProxy::Start("127.0.0.1", server->port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  (*proxy)->Blackhole();  // The handshake waits: commands stay queued.
  AsyncOptions async;
  async.max_queued_bytes = 1000;
  auto conn = Connection::Create(
      loop->loop(), TcpOptions((*proxy)->host(), (*proxy)->port()), async);
  ASSERT_TRUE(conn.ok()) << conn.status();

  const std::string value(600, 'v');  // SET a <600>: 631 bytes packed.
  Future<Reply> first = conn->Execute("SET", "a", value);
  Future<Reply> second = conn->Execute("SET", "b", value);
  ExpectQueueFull(second);
  Future<Reply> small = conn->Execute("INCR", "n");  // 25 bytes: fits.
  EXPECT_FALSE(small.ready());
  // Larger than the whole queue: never sendable.
  Future<Reply> huge = conn->Execute("SET", "c", std::string(2000, 'x'));
  ExpectQueueFull(huge);

  ASSERT_TRUE((*proxy)->Resume().ok());
  ASSERT_TRUE(Wait(first).ok());
  absl::StatusOr<Reply> n = Wait(small);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->integer(), 1);
  // The refused commands were never sent.
  absl::StatusOr<Reply> exists = Wait(conn->Execute("EXISTS", "b", "c"));
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_EQ(exists->integer(), 0);
  // The queue drained: the same command goes through now.
  ASSERT_TRUE(Wait(conn->Execute("SET", "b", value)).ok());
  EXPECT_EQ(conn->stats().in_flight, 0);
}

// Bytes the socket has not taken yet count too: with the server stopped,
// the kernel's buffers fill, the rest waits in the connection, and the
// limit is reached; once the server reads again everything accepted is
// answered and commands flow.
TEST(AsyncConnectionTest, MaxQueuedBytesCountsBytesTheSocketHasNotTaken) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  AsyncOptions async;
  async.max_queued_bytes = size_t{8} << 20;
  ConnectionOptions options = TcpOptions(*server);
  options.socket_timeout = absl::Seconds(30);
  auto conn = Connection::Create(loop->loop(), options, async);
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE(Wait(conn->Execute("PING")).ok());

  // SIGSTOP by PID (the test's own child); always continued.
  const pid_t pid = server->pid();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  struct Continue {
    pid_t pid;
    ~Continue() { ::kill(pid, SIGCONT); }
  } continue_server{pid};

  const std::string value(512 << 10, 'q');
  std::vector<Future<Reply>> accepted;
  std::optional<Future<Reply>> refused;
  // 128 x 512 KiB = 64 MiB: far more than the kernel buffers plus the
  // limit, so without a bound on unsent bytes nothing would be refused.
  for (int i = 0; i < 128 && !refused.has_value(); ++i) {
    Future<Reply> f = conn->Execute("SET", absl::StrCat("k", i), value);
    if (f.ready()) {
      refused = std::move(f);
    } else {
      accepted.push_back(std::move(f));
    }
    // Let the loop hand what it can to the socket.
    absl::SleepFor(absl::Milliseconds(2));
  }
  ASSERT_TRUE(refused.has_value())
      << accepted.size() << " commands of 512 KiB accepted";
  ExpectQueueFull(*refused);
  EXPECT_GE(accepted.size(), 15u);  // At least the limit's worth.

  ASSERT_EQ(::kill(pid, SIGCONT), 0);
  for (size_t i = 0; i < accepted.size(); ++i) {
    absl::StatusOr<Reply> r = Wait(accepted[i], absl::Seconds(30));
    ASSERT_TRUE(r.ok()) << i << ": " << r.status();
  }
  ASSERT_TRUE(Wait(conn->Execute("SET", "after", value)).ok());
}

// ---------------------------------------------------------------------------
// 7b. Reader limits.

// A reply over options.reader_limits fails its command with DATA_LOSS naming
// the limit; the connection is dropped (a reply cut mid-stream cannot be
// skipped) and reconnects, and the next command works.
TEST(AsyncConnectionTest, ReplyOverAReaderLimitDropsAndReconnects) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  {
    auto setup = Connection::Create(loop->loop(), TcpOptions(*server));
    ASSERT_TRUE(setup.ok()) << setup.status();
    ASSERT_TRUE(
        Wait(setup->Execute("SET", "big", std::string(2000, 'x'))).ok());
    ASSERT_TRUE(Wait(setup->Execute("SET", "small", "fits")).ok());
  }
  for (int protocol : {2, 3}) {
    ConnectionOptions options = TcpOptions(*server);
    options.protocol = protocol;
    options.reader_limits.max_bulk_length = 1024;
    std::atomic<int> disconnects{0};
    AsyncOptions async;
    async.on_disconnected = [&](const absl::Status&) { disconnects++; };
    auto conn = Connection::Create(loop->loop(), options, async);
    ASSERT_TRUE(conn.ok()) << conn.status();
    absl::StatusOr<Reply> small = Wait(conn->Execute("GET", "small"));
    ASSERT_TRUE(small.ok()) << small.status();

    Future<Reply> big_future = conn->Execute("GET", "big");
    // If written behind it (usually: same flush), it fails with the same
    // status, as whether the server ran it is unknown once the stream is
    // abandoned; if not yet written, it runs after the reconnect. Never
    // does it get another command's reply.
    Future<Reply> behind = conn->Execute("INCR", "behind");
    absl::StatusOr<Reply> big = Wait(big_future);
    ASSERT_FALSE(big.ok());
    absl::StatusOr<Reply> behind_reply = Wait(behind);
    if (behind_reply.ok()) {
      EXPECT_EQ(behind_reply->type(), ReplyType::kInteger);
    } else {
      EXPECT_EQ(behind_reply.status().code(), absl::StatusCode::kDataLoss)
          << behind_reply.status();
    }
    EXPECT_EQ(big.status().code(), absl::StatusCode::kDataLoss) << big.status();
    EXPECT_EQ(GetErrorKind(big.status()), ErrorKind::kProtocol);
    EXPECT_TRUE(absl::StrContains(big.status().message(),
                                  "bulk length 2000 exceeds max_bulk_length "
                                  "(1024)"))
        << big.status();
    // The hook runs on the loop thread just after the sinks.
    const absl::Time until = absl::Now() + kWait;
    while (disconnects.load() == 0 && absl::Now() < until) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    EXPECT_EQ(disconnects.load(), 1);

    small = Wait(conn->Execute("GET", "small"));
    ASSERT_TRUE(small.ok()) << small.status();
    EXPECT_EQ(small->str(), "fits");
    EXPECT_EQ(conn->stats().connects, 2u);
  }
}

TEST(AsyncConnectionTest, BadReaderLimitsAreRejectedNamingTheField) {
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  ConnectionOptions options = TcpOptions("127.0.0.1", 1);
  options.reader_limits.max_elements = 0;
  absl::Status s = Connection::Create(loop->loop(), options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(
      s.message(), "connection.reader_limits.max_elements: 0 is not valid"))
      << s;
}

// ---------------------------------------------------------------------------
// 8. Error replies.

TEST(AsyncConnectionTest, ErrorReplyIsAnnotatedAndKeepsTheConnection) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  auto conn = Connection::Create(loop->loop(), TcpOptions(*server));
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE(Wait(conn->Execute("SET", "s", "string")).ok());

  Future<Reply> wrong = conn->Execute("lpush", "s", "x");
  Future<Reply> after = conn->Execute("GET", "s");  // Pipelined behind it.
  absl::StatusOr<Reply> r = Wait(wrong);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ServerErrorPrefix(r.status()), "WRONGTYPE") << r.status();
  EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kWrongType);
  EXPECT_TRUE(absl::StartsWith(
      r.status().message(),
      absl::StrCat("LPUSH on 127.0.0.1:", server->port(), ": WRONGTYPE")))
      << r.status();
  absl::StatusOr<Reply> g = Wait(after);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->str(), "string");
  EXPECT_TRUE(Wait(conn->Execute("PING")).ok());
  EXPECT_TRUE(conn->connected());
  EXPECT_EQ(conn->stats().connects, 1u);
}

// ---------------------------------------------------------------------------
// 9. Pushes and the on-connected hook.

TEST(AsyncConnectionTest, InvalidationPushesReachOnPushAndHooksRunPerConnect) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);

  absl::Mutex mu;
  std::vector<std::vector<std::string>> pushes;  // Guarded by mu.
  std::atomic<int> on_connected_calls{0};
  AsyncOptions async;
  async.setup_commands = {{"CLIENT", "TRACKING", "ON"}};
  async.on_push = [&](Reply push) {
    std::vector<std::string> parts;
    if (push.type() == ReplyType::kPush && push.size() >= 1) {
      parts.emplace_back(push[0].str());
      if (push.size() >= 2) {
        for (ReplyView key : push[1]) parts.emplace_back(key.str());
      }
    }
    absl::MutexLock lock(&mu);
    pushes.push_back(std::move(parts));
  };
  async.on_connected = [&] { on_connected_calls++; };
  ConnectionOptions options = TcpOptions(*server);
  options.protocol = 3;
  auto tracking = Connection::Create(loop->loop(), options, async);
  ASSERT_TRUE(tracking.ok()) << tracking.status();
  auto writer = Connection::Create(loop->loop(), TcpOptions(*server));
  ASSERT_TRUE(writer.ok()) << writer.status();

  auto await_invalidation = [&](size_t count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    for (;;) {
      // Commands keep getting their own replies while pushes arrive.
      auto g = Wait(tracking->Execute("GET", "other"));
      EXPECT_TRUE(g.ok()) << g.status();
      if (g.ok()) {
        EXPECT_EQ(g->str(), "other-value");
      }
      {
        absl::MutexLock lock(&mu);
        if (pushes.size() >= count) return true;
      }
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(5));
    }
  };

  ASSERT_TRUE(Wait(writer->Execute("SET", "other", "other-value")).ok());
  ASSERT_TRUE(Wait(writer->Execute("SET", "k", "v1")).ok());
  auto v1 = Wait(tracking->Execute("GET", "k"));  // Now tracked.
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(v1->str(), "v1");
  EXPECT_EQ(on_connected_calls.load(), 1);
  ASSERT_TRUE(Wait(writer->Execute("SET", "k", "v2")).ok());
  ASSERT_TRUE(await_invalidation(1)) << "no invalidation push";
  {
    absl::MutexLock lock(&mu);
    ASSERT_GE(pushes[0].size(), 2u);
    EXPECT_EQ(pushes[0][0], "invalidate");
    EXPECT_EQ(pushes[0][1], "k");
  }
  auto v2 = Wait(tracking->Execute("GET", "k"));
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->str(), "v2");

  // Kill the tracking connection server-side: it reconnects, the hook runs
  // again and the setup command turns tracking back on.
  auto id = Wait(tracking->Execute("CLIENT", "ID"));
  ASSERT_TRUE(id.ok()) << id.status();
  auto killed = Wait(writer->Execute("CLIENT", "KILL", "ID", id->integer()));
  ASSERT_TRUE(killed.ok()) << killed.status();
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (tracking->stats().connects < 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_EQ(tracking->stats().connects, 2u);
  ASSERT_TRUE(PingUntilOk(*tracking, absl::Seconds(5)).ok());
  EXPECT_EQ(on_connected_calls.load(), 2);
  auto new_id = Wait(tracking->Execute("CLIENT", "ID"));
  ASSERT_TRUE(new_id.ok());
  EXPECT_NE(new_id->integer(), id->integer());

  auto again = Wait(tracking->Execute("GET", "k"));  // Tracked again.
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->str(), "v2");
  ASSERT_TRUE(Wait(writer->Execute("SET", "k", "v3")).ok());
  ASSERT_TRUE(await_invalidation(2)) << "no invalidation after reconnect";
  {
    absl::MutexLock lock(&mu);
    ASSERT_GE(pushes[1].size(), 2u);
    EXPECT_EQ(pushes[1][0], "invalidate");
    EXPECT_EQ(pushes[1][1], "k");
  }
  EXPECT_EQ(on_connected_calls.load(), 2);
}

// ---------------------------------------------------------------------------
// 10. Close and destruction.

TEST(AsyncConnectionTest, CloseCancelsPendingAndRefusesLaterCommands) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  std::atomic<int> disconnects{0};
  AsyncOptions async;
  async.on_disconnected = [&](const absl::Status&) { disconnects++; };
  auto conn = Connection::Create(loop->loop(), TcpOptions(*server), async);
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE(Wait(conn->Execute("PING")).ok());

  std::vector<Future<Reply>> pending;
  pending.push_back(conn->Execute("DEBUG", "SLEEP", "0.3"));
  for (int i = 0; i < 100; ++i) pending.push_back(conn->Execute("GET", "k"));
  conn->Close();
  for (size_t i = 0; i < pending.size(); ++i) {
    absl::StatusOr<Reply> r = Wait(pending[i]);
    ASSERT_FALSE(r.ok()) << i;
    EXPECT_TRUE(absl::IsCancelled(r.status())) << i << ": " << r.status();
  }
  Future<Reply> later = conn->Execute("PING");
  EXPECT_TRUE(later.ready());
  absl::StatusOr<Reply> r = Wait(later);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  conn->Close();  // Idempotent.
  EXPECT_TRUE(absl::IsUnavailable(Wait(conn->Execute("PING")).status()));
  EXPECT_FALSE(conn->connected());
  EXPECT_EQ(disconnects.load(), 0);  // Closing is not losing.
}

TEST(AsyncConnectionTest, DestroyingWithPendingCommandsCancelsThem) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  std::vector<Future<Reply>> pending;
  {
    auto conn = Connection::Create(loop->loop(), TcpOptions(*server));
    ASSERT_TRUE(conn.ok()) << conn.status();
    ASSERT_TRUE(Wait(conn->Execute("PING")).ok());
    pending.push_back(conn->Execute("DEBUG", "SLEEP", "0.2"));
    for (int i = 0; i < 1000; ++i) {
      pending.push_back(conn->Execute("SET", absl::StrCat("k", i), i));
    }
  }  // Destroyed here, with everything unanswered.
  for (size_t i = 0; i < pending.size(); ++i) {
    absl::StatusOr<Reply> r = Wait(pending[i]);
    ASSERT_FALSE(r.ok()) << i;
    EXPECT_TRUE(absl::IsCancelled(r.status())) << i << ": " << r.status();
  }
  // And one still connecting: the loop goes away right after it.
  {
    auto loop2 = StartLoop();
    ASSERT_NE(loop2, nullptr);
    auto conn = Connection::Create(loop2->loop(), TcpOptions(*server));
    ASSERT_TRUE(conn.ok()) << conn.status();
    Future<Reply> f = conn->Execute("PING");
    conn = absl::InternalError("dropped");  // Destroys the connection.
    absl::StatusOr<Reply> r = Wait(f);
    EXPECT_TRUE(r.ok() || absl::IsCancelled(r.status())) << r.status();
  }
}

// ---------------------------------------------------------------------------
// 11. Connect failures.

TEST(AsyncConnectionTest, NothingListeningFailsUnavailableNamingTheAddress) {
  DeadPort dead;
  ASSERT_GT(dead.port, 0);
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  auto conn =
      Connection::Create(loop->loop(), TcpOptions("127.0.0.1", dead.port));
  ASSERT_TRUE(conn.ok()) << conn.status();
  const absl::Time start = absl::Now();
  absl::StatusOr<Reply> r = Wait(conn->Execute("PING"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kConnection);
  EXPECT_TRUE(absl::StrContains(r.status().message(),
                                absl::StrCat("127.0.0.1:", dead.port)))
      << r.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_FALSE(conn->connected());
  EXPECT_EQ(conn->stats().connects, 0u);
  EXPECT_GE(conn->stats().failed_attempts, 1u);
}

TEST(AsyncConnectionTest, BlackholedConnectTimesOutWithinConnectTimeout) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto proxy = FaultProxy::Start("127.0.0.1", server->port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  (*proxy)->Blackhole();
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  ConnectionOptions options = TcpOptions((*proxy)->host(), (*proxy)->port());
  options.connect_timeout = absl::Milliseconds(300);
  options.socket_timeout = absl::InfiniteDuration();  // Only the connect.
  auto conn = Connection::Create(loop->loop(), options);
  ASSERT_TRUE(conn.ok()) << conn.status();
  const absl::Time start = absl::Now();
  absl::StatusOr<Reply> r = Wait(conn->Execute("PING"));
  const absl::Duration elapsed = absl::Now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded)
      << r.status();
  EXPECT_TRUE(IsTimeout(r.status()));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "connect to"))
      << r.status();
  EXPECT_GE(elapsed, absl::Milliseconds(250));
  EXPECT_LT(elapsed, absl::Seconds(3));
  EXPECT_EQ(conn->stats().connects, 0u);

  // The network heals: the connection comes up by itself.
  ASSERT_TRUE((*proxy)->Resume().ok());
  EXPECT_TRUE(PingUntilOk(*conn, absl::Seconds(5)).ok());
}

// ---------------------------------------------------------------------------
// Last, because under ASan the bug it shows aborts the whole binary.

// Destroying the Connection from a continuation that runs on the loop's
// thread (a coroutine that owns its connection, a Then callback) must be
// safe: the common "co_await, then let the frame go" pattern does this.
//
// BUG (connection.cc): the loop-thread entry points (the Watch handler
// calling OnSocketEvent, the deadline/connect/reconnect timers) capture a
// raw `this`. When a reply sink destroys the last Connection, the core is
// freed inside Dispatch(), which then reads phase_on_loop_ of the freed
// core (heap-use-after-free under ASan).
TEST(AsyncConnectionTest, DestroyedFromItsOwnContinuationOnTheLoopThread) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto loop = StartLoop();
  ASSERT_NE(loop, nullptr);
  auto created = Connection::Create(loop->loop(), TcpOptions(*server));
  ASSERT_TRUE(created.ok()) << created.status();
  auto conn = std::make_unique<Connection>(*std::move(created));
  ASSERT_TRUE(Wait(conn->Execute("PING")).ok());

  absl::Notification done;
  absl::Status outcome;
  Future<Reply> next = conn->Execute("GET", "after");
  conn->Execute("PING").Then([&](absl::StatusOr<Reply> r) {
    outcome = r.status();
    conn.reset();  // On the loop's thread, inside the reply dispatch.
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  EXPECT_TRUE(outcome.ok()) << outcome;
  // The command before it was answered; nothing hangs.
  absl::StatusOr<Reply> r = Wait(next);
  EXPECT_TRUE(r.ok()) << r.status();
}

}  // namespace
}  // namespace valkey::async
