#include "testing/fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/common/errors.h"

namespace valkey::testing {
namespace {

// Generous bound for anything that should happen "now"; only reached when a
// test is about to fail.
constexpr absl::Duration kPatience = absl::Seconds(10);

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

sockaddr_in Loopback(int port) {
  sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sin;
}

// A tiny echo server on 127.0.0.1: one thread, poll(), at most 64 KiB held
// per connection; a connection is closed after its peer's end-of-stream once
// everything was echoed.
class EchoServer {
 public:
  EchoServer() {
    listen_fd_ = Fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    wake_fd_ = Fd(eventfd(0, EFD_NONBLOCK));
    sockaddr_in sin = Loopback(0);
    if (!listen_fd_.valid() || !wake_fd_.valid() ||
        bind(listen_fd_.get(), reinterpret_cast<sockaddr*>(&sin),
             sizeof(sin)) != 0 ||
        listen(listen_fd_.get(), 64) != 0) {
      ADD_FAILURE() << "echo server setup: " << std::strerror(errno);
      return;
    }
    socklen_t len = sizeof(sin);
    getsockname(listen_fd_.get(), reinterpret_cast<sockaddr*>(&sin), &len);
    port_ = ntohs(sin.sin_port);
    thread_ = std::thread([this] { Run(); });
  }

  ~EchoServer() {
    if (!thread_.joinable()) return;
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd_.get(), &one, sizeof(one));
    thread_.join();
  }

  int port() const { return port_; }

  int64_t accepted() {
    absl::MutexLock lock(&mu_);
    return accepted_;
  }

 private:
  struct Conn {
    Fd fd;
    std::string pending;
    bool eof = false;
  };

  void Run() {
    std::vector<Conn> conns;
    std::vector<pollfd> fds;
    char buf[64 * 1024];
    for (;;) {
      fds.clear();
      fds.push_back({wake_fd_.get(), POLLIN, 0});
      fds.push_back({listen_fd_.get(), POLLIN, 0});
      for (const Conn& c : conns) {
        fds.push_back({c.fd.get(),
                       static_cast<short>(c.pending.empty() ? POLLIN : POLLOUT),
                       0});
      }
      if (poll(fds.data(), fds.size(), -1) < 0) continue;
      if (fds[0].revents != 0) return;
      if (fds[1].revents != 0) {
        int fd = accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK);
        if (fd >= 0) {
          conns.push_back(Conn{Fd(fd), "", false});
          absl::MutexLock lock(&mu_);
          ++accepted_;
        }
      }
      for (size_t i = 2; i < fds.size(); ++i) {
        Conn& c = conns[i - 2];
        if (fds[i].revents == 0) continue;
        if (c.pending.empty()) {
          const ssize_t n = recv(c.fd.get(), buf, sizeof(buf), 0);
          if (n > 0) {
            c.pending.assign(buf, static_cast<size_t>(n));
          } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            c.eof = true;
          }
        } else {
          const ssize_t n = send(c.fd.get(), c.pending.data(), c.pending.size(),
                                 MSG_NOSIGNAL);
          if (n > 0) {
            c.pending.erase(0, static_cast<size_t>(n));
          } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            c.pending.clear();
            c.eof = true;
          }
        }
      }
      std::erase_if(conns,
                    [](const Conn& c) { return c.eof && c.pending.empty(); });
    }
  }

  Fd listen_fd_;
  Fd wake_fd_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  int64_t accepted_ ABSL_GUARDED_BY(mu_) = 0;
};

// Connects to 127.0.0.1:`port` (blocking). Returns the socket, or an invalid
// Fd with errno set.
Fd Connect(int port) {
  Fd fd(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in sin = Loopback(port);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) != 0) {
    const int err = errno;
    fd.Reset();
    errno = err;
  }
  return fd;
}

bool SendAll(const Fd& fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

struct ReadResult {
  enum class End { kCount, kEof, kReset, kTimeout };
  std::string data;
  End end = End::kTimeout;
};

// Reads until `want` bytes arrived (kCount), end-of-stream, an error (kReset)
// or `timeout` passed.
ReadResult Read(const Fd& fd, size_t want, absl::Duration timeout) {
  ReadResult result;
  const absl::Time deadline = absl::Now() + timeout;
  char buf[16 * 1024];
  while (result.data.size() < want) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return result;
    pollfd p = {fd.get(), POLLIN, 0};
    const int ready = poll(&p, 1,
                           static_cast<int>(absl::ToInt64Milliseconds(
                               absl::Ceil(left, absl::Milliseconds(1)))));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return result;
    const size_t room = std::min(sizeof(buf), want - result.data.size());
    const ssize_t n = recv(fd.get(), buf, room, 0);
    if (n == 0) {
      result.end = ReadResult::End::kEof;
      return result;
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      result.end = ReadResult::End::kReset;
      return result;
    }
    result.data.append(buf, static_cast<size_t>(n));
  }
  result.end = ReadResult::End::kCount;
  return result;
}

// Reads until end-of-stream or error (or timeout).
ReadResult ReadToEnd(const Fd& fd, absl::Duration timeout = kPatience) {
  return Read(fd, SIZE_MAX, timeout);
}

// Sends `payload` and reads as many bytes back, interleaving the two so that
// payloads larger than the socket buffers cannot deadlock.
std::string RoundTrip(const Fd& fd, absl::string_view payload) {
  std::string got;
  size_t sent = 0;
  const absl::Time deadline = absl::Now() + kPatience;
  char buf[16 * 1024];
  while (got.size() < payload.size() && absl::Now() < deadline) {
    pollfd p = {
        fd.get(),
        static_cast<short>(POLLIN | (sent < payload.size() ? POLLOUT : 0)), 0};
    if (poll(&p, 1, 100) <= 0) continue;
    if ((p.revents & POLLOUT) != 0) {
      const ssize_t n = send(fd.get(), payload.data() + sent,
                             std::min<size_t>(payload.size() - sent, 8192),
                             MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) sent += static_cast<size_t>(n);
    }
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t n = recv(fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
      if (n == 0) break;
      if (n > 0) got.append(buf, static_cast<size_t>(n));
      if (n < 0 && errno != EAGAIN && errno != EINTR) break;
    }
  }
  return got;
}

bool IsClosed(const ReadResult& r) {
  return r.end == ReadResult::End::kEof || r.end == ReadResult::End::kReset;
}

// Polls the proxy's stats until `pred` holds (or kPatience passes).
template <typename Pred>
FaultProxy::Stats WaitForStats(FaultProxy& proxy, Pred pred) {
  const absl::Time deadline = absl::Now() + kPatience;
  FaultProxy::Stats stats = proxy.GetStats();
  while (!pred(stats) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
    stats = proxy.GetStats();
  }
  return stats;
}

class FaultProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(echo_.port(), 0);
    absl::StatusOr<std::unique_ptr<FaultProxy>> proxy =
        FaultProxy::Start("127.0.0.1", echo_.port());
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = *std::move(proxy);
  }

  Fd ConnectProxy() {
    Fd fd = Connect(proxy_->port());
    EXPECT_TRUE(fd.valid()) << std::strerror(errno);
    return fd;
  }

  EchoServer echo_;
  std::unique_ptr<FaultProxy> proxy_;
};

TEST(FaultProxyStartTest, RejectsAddressesThatAreNotLoopback) {
  for (const char* host : {"10.1.2.3", "0.0.0.0", "192.168.0.1", "example.com",
                           "", "::", "2001:db8::1"}) {
    absl::StatusOr<std::unique_ptr<FaultProxy>> proxy =
        FaultProxy::Start(host, 6379);
    EXPECT_EQ(proxy.status().code(), absl::StatusCode::kInvalidArgument)
        << host;
  }
  EXPECT_EQ(FaultProxy::Start("127.0.0.1", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FaultProxy::Start("127.0.0.1", 70000).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FaultProxyStartTest, AcceptsLoopbackSpellings) {
  for (const char* host :
       {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"}) {
    absl::StatusOr<std::unique_ptr<FaultProxy>> proxy =
        FaultProxy::Start(host, 6379);
    ASSERT_TRUE(proxy.ok()) << host << ": " << proxy.status();
    EXPECT_EQ((*proxy)->host(), "127.0.0.1");
    EXPECT_GT((*proxy)->port(), 0);
  }
}

TEST_F(FaultProxyTest, PassesBytesThroughBothWays) {
  Fd client = ConnectProxy();
  EXPECT_EQ(RoundTrip(client, "hello"), "hello");
  // Far more than the proxy's per-direction buffers.
  std::string big(3 * 1024 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31);
  EXPECT_EQ(RoundTrip(client, big), big);
}

TEST_F(FaultProxyTest, ServesConnectionsFromManyThreads) {
  constexpr int kClients = 6;
  std::vector<std::thread> threads;
  std::vector<std::string> results(kClients);
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([this, i, &results] {
      Fd client = Connect(proxy_->port());
      if (!client.valid()) return;
      results[i] = RoundTrip(client, std::string(100000, 'a' + i));
    });
  }
  // Control calls race with the traffic on purpose (for TSan).
  proxy_->SetDelay(absl::Milliseconds(1));
  proxy_->CutEachConnectionAfterReplyBytes(1 << 30);
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(results[i], std::string(100000, 'a' + i)) << i;
  }
  EXPECT_EQ(proxy_->GetStats().connections_accepted, kClients);
}

TEST_F(FaultProxyTest, PropagatesHalfClose) {
  Fd client = ConnectProxy();
  ASSERT_TRUE(SendAll(client, "bye"));
  ASSERT_EQ(shutdown(client.get(), SHUT_WR), 0);
  // The echo server sees end-of-stream, echoes, closes; so does the proxy.
  ReadResult r = ReadToEnd(client);
  EXPECT_EQ(r.data, "bye");
  EXPECT_EQ(r.end, ReadResult::End::kEof);
  EXPECT_EQ(WaitForStats(*proxy_,
                         [](const FaultProxy::Stats& s) {
                           return s.connections_active == 0;
                         })
                .connections_active,
            0);
}

TEST_F(FaultProxyTest, ReplyDelayAddsAtLeastTheDelay) {
  constexpr absl::Duration kDelay = absl::Milliseconds(150);
  Fd client = ConnectProxy();
  proxy_->SetDelay(kDelay, FaultProxy::Direction::kServerToClient);
  const absl::Time start = absl::Now();
  EXPECT_EQ(RoundTrip(client, "ping"), "ping");
  EXPECT_GE(absl::Now() - start, kDelay);
}

TEST_F(FaultProxyTest, MarkerDelaysRepliesOnlyWhereItWasSent) {
  constexpr absl::Duration kDelay = absl::Milliseconds(150);
  proxy_->DelayRepliesOnConnectionsSending("TRACKING", kDelay);
  Fd marked = ConnectProxy();
  Fd plain = ConnectProxy();
  absl::Time start = absl::Now();
  EXPECT_EQ(RoundTrip(marked, "CLIENT TRACKING ON"), "CLIENT TRACKING ON");
  EXPECT_GE(absl::Now() - start, kDelay);
  // Still marked for later bytes without the marker.
  start = absl::Now();
  EXPECT_EQ(RoundTrip(marked, "ping"), "ping");
  EXPECT_GE(absl::Now() - start, kDelay);
  EXPECT_EQ(RoundTrip(plain, "ping"), "ping");
  // Resume() clears the rule for bytes read afterwards.
  ASSERT_TRUE(proxy_->Resume().ok());
  Fd after = ConnectProxy();
  EXPECT_EQ(RoundTrip(after, "TRACKING"), "TRACKING");
}

TEST_F(FaultProxyTest, RequestDelayAddsAtLeastTheDelay) {
  constexpr absl::Duration kDelay = absl::Milliseconds(150);
  Fd client = ConnectProxy();
  proxy_->SetDelay(kDelay, FaultProxy::Direction::kClientToServer);
  const absl::Time start = absl::Now();
  EXPECT_EQ(RoundTrip(client, "ping"), "ping");
  EXPECT_GE(absl::Now() - start, kDelay);
}

TEST_F(FaultProxyTest, DelayInBothDirectionsAddsItTwice) {
  constexpr absl::Duration kDelay = absl::Milliseconds(100);
  proxy_->SetDelay(kDelay);
  Fd client = ConnectProxy();
  const absl::Time start = absl::Now();
  EXPECT_EQ(RoundTrip(client, "ping"), "ping");
  EXPECT_GE(absl::Now() - start, 2 * kDelay);

  // Back to normal: still correct (no timing asserted).
  ASSERT_TRUE(proxy_->Resume().ok());
  EXPECT_EQ(RoundTrip(client, "pong"), "pong");
}

TEST_F(FaultProxyTest, DelayKeepsOrder) {
  Fd client = ConnectProxy();
  proxy_->SetDelay(absl::Milliseconds(30));
  std::string expected;
  for (int i = 0; i < 20; ++i) {
    const std::string piece = std::to_string(i) + ",";
    ASSERT_TRUE(SendAll(client, piece));
    expected += piece;
    // Shrinking delays must not let later chunks overtake earlier ones.
    proxy_->SetDelay(absl::Milliseconds(30 - i));
  }
  ReadResult r = Read(client, expected.size(), kPatience);
  EXPECT_EQ(r.data, expected);
}

TEST_F(FaultProxyTest, BlackholeSilencesOldAndNewConnectionsUntilResume) {
  Fd old_client = ConnectProxy();
  ASSERT_EQ(RoundTrip(old_client, "a"), "a");
  ASSERT_EQ(echo_.accepted(), 1);

  proxy_->Blackhole();
  ASSERT_TRUE(SendAll(old_client, "held"));
  ReadResult r = Read(old_client, 1, absl::Milliseconds(200));
  EXPECT_EQ(r.end, ReadResult::End::kTimeout);
  EXPECT_EQ(r.data, "");

  // New connections are accepted, but nothing comes back and nothing reaches
  // the server.
  Fd new_client = ConnectProxy();
  ASSERT_TRUE(SendAll(new_client, "also held"));
  r = Read(new_client, 1, absl::Milliseconds(200));
  EXPECT_EQ(r.end, ReadResult::End::kTimeout);
  EXPECT_EQ(echo_.accepted(), 1);

  ASSERT_TRUE(proxy_->Resume().ok());
  // What was held is delivered late, in order.
  EXPECT_EQ(Read(old_client, 4, kPatience).data, "held");
  EXPECT_EQ(Read(new_client, 9, kPatience).data, "also held");
  Fd fresh = ConnectProxy();
  EXPECT_EQ(RoundTrip(fresh, "fresh"), "fresh");
}

TEST_F(FaultProxyTest, CutAllClosesEveryConnection) {
  Fd a = ConnectProxy();
  Fd b = ConnectProxy();
  ASSERT_EQ(RoundTrip(a, "a"), "a");
  ASSERT_EQ(RoundTrip(b, "b"), "b");

  proxy_->CutAll();
  EXPECT_TRUE(IsClosed(ReadToEnd(a)));
  EXPECT_TRUE(IsClosed(ReadToEnd(b)));
  FaultProxy::Stats stats = proxy_->GetStats();
  EXPECT_EQ(stats.connections_cut, 2);
  EXPECT_EQ(stats.connections_active, 0);

  // The mode is unchanged: new connections work.
  Fd c = ConnectProxy();
  EXPECT_EQ(RoundTrip(c, "c"), "c");
}

TEST_F(FaultProxyTest, CutAfterReplyBytesDeliversExactlyNThenEof) {
  Fd client = ConnectProxy();
  // Bytes before the call do not count.
  ASSERT_EQ(RoundTrip(client, "before"), "before");

  proxy_->CutAfterReplyBytes(7);
  ASSERT_TRUE(SendAll(client, "abcd"));
  EXPECT_EQ(Read(client, 4, kPatience).data, "abcd");
  ASSERT_TRUE(SendAll(client, "efghijkl"));
  ReadResult r = ReadToEnd(client);
  EXPECT_EQ(r.data, "efg");
  EXPECT_EQ(r.end, ReadResult::End::kEof);
  EXPECT_EQ(proxy_->GetStats().connections_cut, 1);

  // One-shot: the next connection passes through.
  Fd next = ConnectProxy();
  EXPECT_EQ(RoundTrip(next, "0123456789"), "0123456789");
}

TEST_F(FaultProxyTest, CutAfterZeroReplyBytesClosesBeforeAnyByte) {
  Fd client = ConnectProxy();
  proxy_->CutAfterReplyBytes(0);
  ASSERT_TRUE(SendAll(client, "xyz"));
  ReadResult r = ReadToEnd(client);
  EXPECT_EQ(r.data, "");
  EXPECT_EQ(r.end, ReadResult::End::kEof);
}

TEST_F(FaultProxyTest, CutEachConnectionAfterReplyBytes) {
  Fd old_client = ConnectProxy();
  ASSERT_EQ(RoundTrip(old_client, "12345"), "12345");
  proxy_->CutEachConnectionAfterReplyBytes(4);
  Fd new_client = ConnectProxy();
  for (Fd* fd : {&old_client, &new_client}) {
    ASSERT_TRUE(SendAll(*fd, "0123456789"));
    ReadResult r = ReadToEnd(*fd);
    EXPECT_EQ(r.data, "0123");
    EXPECT_EQ(r.end, ReadResult::End::kEof);
  }
  // Armed until Resume().
  Fd third = ConnectProxy();
  ASSERT_TRUE(SendAll(third, "abcdef"));
  EXPECT_EQ(ReadToEnd(third).data, "abcd");
  EXPECT_EQ(proxy_->GetStats().connections_cut, 3);

  ASSERT_TRUE(proxy_->Resume().ok());
  Fd fourth = ConnectProxy();
  EXPECT_EQ(RoundTrip(fourth, "abcdef"), "abcdef");
}

TEST_F(FaultProxyTest, RefuseConnectionsUntilResume) {
  const int port = proxy_->port();
  Fd existing = ConnectProxy();
  ASSERT_EQ(RoundTrip(existing, "x"), "x");

  ASSERT_TRUE(proxy_->RefuseConnections().ok());
  Fd refused = Connect(port);
  const int connect_errno = errno;
  EXPECT_FALSE(refused.valid());
  EXPECT_EQ(connect_errno, ECONNREFUSED) << std::strerror(connect_errno);
  // Refusing twice is harmless; existing connections keep working.
  ASSERT_TRUE(proxy_->RefuseConnections().ok());
  EXPECT_EQ(RoundTrip(existing, "still"), "still");

  ASSERT_TRUE(proxy_->Resume().ok());
  EXPECT_EQ(proxy_->port(), port);
  Fd again = ConnectProxy();
  EXPECT_EQ(RoundTrip(again, "again"), "again");
  ASSERT_TRUE(proxy_->PassThrough().ok());

  // And once more, after the first connections were closed (TIME_WAIT).
  existing.Reset();
  again.Reset();
  ASSERT_TRUE(proxy_->RefuseConnections().ok());
  EXPECT_FALSE(Connect(port).valid());
  ASSERT_TRUE(proxy_->Resume().ok());
  Fd last = ConnectProxy();
  EXPECT_EQ(RoundTrip(last, "last"), "last");
}

TEST_F(FaultProxyTest, CountsConnectionsAndBytes) {
  FaultProxy::Stats stats = proxy_->GetStats();
  EXPECT_EQ(stats.connections_accepted, 0);
  EXPECT_EQ(stats.connections_active, 0);

  Fd a = ConnectProxy();
  Fd b = ConnectProxy();
  ASSERT_EQ(RoundTrip(a, std::string(1000, 'a')), std::string(1000, 'a'));
  ASSERT_EQ(RoundTrip(b, std::string(24, 'b')), std::string(24, 'b'));
  stats = proxy_->GetStats();
  EXPECT_EQ(stats.connections_accepted, 2);
  EXPECT_EQ(stats.connections_active, 2);
  EXPECT_EQ(stats.bytes_client_to_server, 1024);
  EXPECT_EQ(stats.bytes_server_to_client, 1024);
  EXPECT_EQ(stats.connections_cut, 0);

  a.Reset();
  b.Reset();
  stats = WaitForStats(*proxy_, [](const FaultProxy::Stats& s) {
    return s.connections_active == 0;
  });
  EXPECT_EQ(stats.connections_active, 0);
  EXPECT_EQ(stats.connections_accepted, 2);
}

TEST(FaultProxyUpstreamTest, ClosesClientWhenUpstreamRefuses) {
  // A port that nothing listens on: bind, read it back, close.
  int port = 0;
  {
    Fd probe(socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in sin = Loopback(0);
    ASSERT_EQ(bind(probe.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)),
              0);
    socklen_t len = sizeof(sin);
    ASSERT_EQ(getsockname(probe.get(), reinterpret_cast<sockaddr*>(&sin), &len),
              0);
    port = ntohs(sin.sin_port);
  }
  absl::StatusOr<std::unique_ptr<FaultProxy>> proxy =
      FaultProxy::Start("127.0.0.1", port);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  Fd client = Connect((*proxy)->port());
  ASSERT_TRUE(client.valid());
  EXPECT_TRUE(IsClosed(ReadToEnd(client)));
}

TEST(FaultProxyLifetimeTest, DestructorClosesLiveConnections) {
  EchoServer echo;
  absl::StatusOr<std::unique_ptr<FaultProxy>> proxy =
      FaultProxy::Start("localhost", echo.port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  const int port = (*proxy)->port();
  Fd client = Connect(port);
  ASSERT_EQ(RoundTrip(client, "hi"), "hi");
  Fd blackholed = Connect(port);
  (*proxy)->Blackhole();
  (*proxy)->SetDelay(absl::Hours(1));
  proxy->reset();
  EXPECT_TRUE(IsClosed(ReadToEnd(client)));
  EXPECT_TRUE(IsClosed(ReadToEnd(blackholed)));
  EXPECT_FALSE(Connect(port).valid());
}

}  // namespace
}  // namespace valkey::testing
