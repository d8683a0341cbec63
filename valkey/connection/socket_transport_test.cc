// Transport behaviour that needs no valkey-server: scripted peers on
// loopback (a listener that never answers, a closed port, a socket pair).

#include "valkey/connection/socket_transport.h"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

// A TCP listener on 127.0.0.1 that accepts at the kernel level (backlog) but
// never reads or writes: a silent peer.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
              0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { Close(); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int port() const { return port_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

absl::Time In(absl::Duration d) { return absl::Now() + d; }

TEST(SocketTransportTest, RefusedPortIsUnavailableAndFast) {
  SilentListener listener;
  const int port = listener.port();
  listener.Close();  // Nothing listens there now.
  const absl::Time start = absl::Now();
  auto t = ConnectTcp({.host = "127.0.0.1", .port = port}, In(absl::Seconds(5)));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsConnectionError(t.status()));
  EXPECT_NE(t.status().message().find(absl::StrCat("127.0.0.1:", port)),
            std::string::npos)
      << t.status();
  EXPECT_NE(t.status().message().find("refused"), std::string::npos)
      << t.status();
  // "Fast": well before the 5 s deadline (a refused connect does not wait).
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
}

TEST(SocketTransportTest, SilentPeerReadTimesOut) {
  SilentListener listener;
  auto t = ConnectTcp({.host = "127.0.0.1", .port = listener.port()},
                      In(absl::Seconds(5)));
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_TRUE((*t)->Write("PING\r\n", In(absl::Seconds(1))).ok());
  char buf[16];
  const absl::Time start = absl::Now();
  auto n = (*t)->Read(buf, sizeof(buf), In(absl::Milliseconds(200)));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(IsTimeout(n.status()));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(195));
  EXPECT_FALSE((*t)->Readable());
}

TEST(SocketTransportTest, LocalhostResolvesAndConnects) {
  SilentListener listener;
  auto t = ConnectTcp({.host = "localhost", .port = listener.port()},
                      In(absl::Seconds(5)));
  // localhost may resolve to ::1 first, where nothing listens: every address
  // is tried, so 127.0.0.1 is reached.
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)->peer(), absl::StrCat("localhost:", listener.port()));
}

TEST(SocketTransportTest, BadEndpoints) {
  auto port = ConnectTcp({.host = "127.0.0.1", .port = 0}, In(absl::Seconds(1)));
  EXPECT_EQ(port.status().code(), absl::StatusCode::kInvalidArgument);
  auto empty = ConnectTcp({.host = "", .port = 6379}, In(absl::Seconds(1)));
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  auto long_path = ConnectUnix(std::string(200, 'x'), In(absl::Seconds(1)));
  EXPECT_EQ(long_path.status().code(), absl::StatusCode::kInvalidArgument);
  auto missing = ConnectUnix("/tmp/valkey-cpp-no-such.sock", In(absl::Seconds(1)));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(missing.status().message().find("/tmp/valkey-cpp-no-such.sock"),
            std::string::npos);
}

TEST(SocketTransportTest, ReadWriteAndEofOverSocketPair) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  auto a = MakeSocketTransport(fds[0], "pair-a");
  auto b = MakeSocketTransport(fds[1], "pair-b");
  // Larger than the socket buffer: Write must wait for the reader.
  const std::string big(4 << 20, 'v');
  std::string got;
  std::thread reader([&] {
    char buf[65536];
    while (got.size() < big.size()) {
      auto n = b->Read(buf, sizeof(buf), In(absl::Seconds(10)));
      if (!n.ok()) break;
      got.append(buf, *n);
    }
  });
  ASSERT_TRUE(a->Write(big, In(absl::Seconds(10))).ok());
  reader.join();
  EXPECT_EQ(got.size(), big.size());
  EXPECT_FALSE(b->Readable());
  a->Close();
  EXPECT_TRUE(b->Readable());  // EOF is readable.
  char c;
  auto eof = b->Read(&c, 1, In(absl::Seconds(1)));
  EXPECT_EQ(eof.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(eof.status().message().find("closed by server"), std::string::npos);
  auto closed = a->Write("x", In(absl::Seconds(1)));
  EXPECT_EQ(closed.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(a->fd(), -1);
}

// The zero-time poll of the cache hit path (made without libc on x86-64):
// "no" only for an open socket with nothing to read; data, end of file and
// a descriptor that is not open all say "may be readable".
TEST(SocketTransportTest, MayBeReadableNowSaysNoOnlyForAnIdleOpenSocket) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  const uint64_t before = internal::SocketCallsOnThisThread();
  EXPECT_FALSE(internal::MayBeReadableNow(fds[1]));
  ASSERT_EQ(::write(fds[0], "x", 1), 1);
  EXPECT_TRUE(internal::MayBeReadableNow(fds[1]));
  char c;
  ASSERT_EQ(::read(fds[1], &c, 1), 1);
  EXPECT_FALSE(internal::MayBeReadableNow(fds[1]));
  ::close(fds[0]);
  EXPECT_TRUE(internal::MayBeReadableNow(fds[1]));  // End of file.
  ::close(fds[1]);
  EXPECT_TRUE(internal::MayBeReadableNow(fds[1]));  // Not open.
  EXPECT_EQ(internal::SocketCallsOnThisThread() - before, 5u);
}

// A failed poll (here EINVAL: more descriptors than RLIMIT_NOFILE allows)
// is "may be readable" for the cache's check and "no" for a transport's
// Readable(): neither reads errno, the next read reports what is wrong.
TEST(SocketTransportTest, AFailedPollIsMaybeReadableButNotReadable) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  auto b = MakeSocketTransport(fds[1], "pair-b");
  rlimit saved;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit none = saved;
  none.rlim_cur = 0;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &none), 0);
  const bool may_be = internal::MayBeReadableNow(fds[1]);
  const bool readable = b->Readable();
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_TRUE(may_be);
  EXPECT_FALSE(readable);
  ::close(fds[0]);
}

// A write and a read that waits with a deadline are one system call each:
// the read blocks in recv() under the socket's receive time-out, which is
// set once and kept while each deadline lies about as far ahead.
TEST(SocketTransportTest, ReadsWithTheSameTimeoutSetItOnce) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  auto a = MakeSocketTransport(fds[0], "pair-a");
  auto b = MakeSocketTransport(fds[1], "pair-b");
  constexpr int kRounds = 100;
  const uint64_t before = internal::SocketCallsOnThisThread();
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_TRUE(a->Write("x", In(absl::Seconds(5))).ok());
    char c;
    auto n = b->Read(&c, 1, In(absl::Seconds(5)));
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(*n, 1u);
  }
  // kRounds sends, kRounds recvs, one setsockopt(SO_RCVTIMEO).
  EXPECT_EQ(internal::SocketCallsOnThisThread() - before, 2u * kRounds + 1);
}

TEST(SocketTransportTest, WriteToVanishedPeerFailsWithoutSigpipe) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  auto a = MakeSocketTransport(fds[0], "pair-a");
  ::close(fds[1]);
  absl::Status s = a->Write("PING\r\n", In(absl::Seconds(1)));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
}

}  // namespace
}  // namespace valkey
