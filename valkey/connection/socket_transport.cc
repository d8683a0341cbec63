#include "valkey/connection/socket_transport.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "valkey/common/errors.h"
#include "valkey/connection/name_lookup.h"

namespace valkey {
namespace {

// The socket system calls this thread made (SocketCallsOnThisThread).
thread_local uint64_t t_socket_calls = 0;

// poll() with a zero time-out, on the hot path of every client-side cache
// hit (the pending-invalidation check) and of pool checkouts. glibc's poll()
// is a thread-cancellation point, and in a multithreaded process that costs
// ~30 instructions around the syscall to enable and disable asynchronous
// cancellation; a call that cannot block needs none of it, so where the
// plain syscall exists it is made directly: on x86-64 Linux inline, without
// even the call into libc's syscall() (together ~10 of a cache hit's ~300
// instructions). Returns > 0 when `p` has events, 0 when not, < 0 when the
// call failed (errno is not set on every path, and no caller reads it:
// MayBeReadableNow says "may be readable", Readable says "no"; either way
// the next read or write reports a broken socket).
int PollNow(pollfd& p) {
#if defined(__x86_64__) && defined(__linux__) && defined(SYS_poll)
  long result = SYS_poll;  // NOLINT(runtime/int): the register's type.
  asm volatile("syscall"
               : "+a"(result)
               : "D"(&p), "S"(1L), "d"(0L)
               : "rcx", "r11", "memory");
  return static_cast<int>(result);  // -errno on failure.
#elif defined(SYS_poll)
  return static_cast<int>(::syscall(SYS_poll, &p, 1, 0));
#else
  return ::poll(&p, 1, 0);
#endif
}

}  // namespace

namespace internal {

uint64_t SocketCallsOnThisThread() { return t_socket_calls; }

bool MayBeReadableNow(int fd) {
  ++t_socket_calls;
  pollfd p{fd, POLLIN, 0};
  return PollNow(p) != 0;
}

absl::Status WaitFd(int fd, short events, absl::Time deadline,
                    absl::string_view what, absl::string_view peer) {
  for (;;) {
    int timeout_ms = -1;
    if (deadline != absl::InfiniteFuture()) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return TimeoutError(absl::StrCat(what, " ", peer, ": timed out"));
      }
      // Round up so that a sub-millisecond remainder still waits.
      timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(
          left + absl::Milliseconds(1) - absl::Nanoseconds(1)));
    }
    pollfd p{fd, events, 0};
    ++t_socket_calls;
    const int n = ::poll(&p, 1, timeout_ms);
    if (n > 0) return absl::OkStatus();
    if (n < 0 && errno != EINTR) {
      return ErrnoError(errno, absl::StrCat(what, " ", peer, ": poll"));
    }
    // n == 0 (the time is up, re-checked at the loop's top) or EINTR.
  }
}

std::string FormatHostPort(absl::string_view host, int port) {
  if (absl::StrContains(host, ':')) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

}  // namespace internal

namespace {

// A socket receive time-out (SO_RCVTIMEO) ends a blocked recv() on the
// kernel's timer wheel, which rounds it up to its tick and, for longer
// waits, by up to an eighth (a coarser level of the wheel). A time-out `t`
// therefore ends a wait by t + t/8 + two ticks (a tick is 10 ms at the
// slowest kernel clock, 100 Hz); a read uses it only when that still ends
// before its deadline.
constexpr absl::Duration kTimerTick = absl::Milliseconds(10);
absl::Duration LatestEnd(absl::Duration timeout) {
  return timeout + timeout / 8 + 2 * kTimerTick;
}
// Shorter waits than this poll() instead: their precise end matters more
// than one system call.
constexpr absl::Duration kShortestReceiveTimeout = absl::Milliseconds(20);

class SocketTransport final : public Transport {
 public:
  SocketTransport(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {
    // Reads block in recv() bounded by SO_RCVTIMEO, which only a blocking
    // socket honours; every other call passes MSG_DONTWAIT. If the mode
    // cannot be changed the socket stays non-blocking and reads poll.
    const int flags = ::fcntl(fd_, F_GETFL);
    blocking_ = flags >= 0 && ((flags & O_NONBLOCK) == 0 ||
                               ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK) == 0);
  }
  ~SocketTransport() override { Close(); }

  absl::Status Write(absl::string_view data, absl::Time deadline) override {
    while (!data.empty()) {
      if (fd_ < 0) return Closed();
      ++t_socket_calls;
      const ssize_t n = ::send(fd_, data.data(), data.size(),
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        absl::Status ready =
            internal::WaitFd(fd_, POLLOUT, deadline, "write to", peer_);
        if (!ready.ok()) return ready;
        continue;
      }
      return ErrnoError(errno, absl::StrCat("write to ", peer_));
    }
    return absl::OkStatus();
  }

  // One recv() that blocks until data arrives, bounded by the socket's
  // receive time-out (set only when the time left no longer fits it), so a
  // round trip costs a send and a recv. Near the deadline, or when the
  // time-out cannot be set, it polls for the exact time left instead.
  absl::StatusOr<size_t> Read(char* buffer, size_t size,
                              absl::Time deadline) override {
    for (;;) {
      if (fd_ < 0) return Closed();
      int flags = 0;
      if (deadline != absl::InfiniteFuture() || !blocking_) {
        const absl::Duration left = deadline - absl::Now();
        if (left <= absl::ZeroDuration()) {
          flags = MSG_DONTWAIT;  // Take what is there; never wait.
        } else if (!blocking_ || !FitReceiveTimeout(left)) {
          absl::Status ready =
              internal::WaitFd(fd_, POLLIN, deadline, "read from", peer_);
          if (!ready.ok()) return ready;
          flags = MSG_DONTWAIT;
        }
      }
      // Otherwise no deadline: any receive time-out set earlier only wakes
      // the loop below, which waits again.
      ++t_socket_calls;
      const ssize_t n = ::recv(fd_, buffer, size, flags);
      if (n > 0) return static_cast<size_t>(n);
      if (n == 0) {
        return ConnectionError(
            absl::StrCat("read from ", peer_, ": connection closed by server"));
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        // The receive time-out ended the wait (it ends before the
        // deadline by design), or MSG_DONTWAIT found nothing.
        if (absl::Now() >= deadline) {
          return TimeoutError(absl::StrCat("read from ", peer_, ": timed out"));
        }
        continue;
      }
      return ErrnoError(errno, absl::StrCat("read from ", peer_));
    }
  }

  bool Readable() override {
    if (fd_ < 0) return false;
    ++t_socket_calls;
    pollfd p{fd_, POLLIN, 0};
    return PollNow(p) > 0;
  }

  void Close() override {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

  int fd() const override { return fd_; }
  const std::string& peer() const override { return peer_; }

 private:
  absl::Status Closed() const {
    return ConnectionError(absl::StrCat("connection to ", peer_, " is closed"));
  }

  // Makes sure a blocking recv() ends before `left` has passed: keeps the
  // receive time-out in place when it fits (the usual case: every read
  // waits about the same socket time-out), else sets a shorter one. False
  // when `left` is too short for one, or setting it failed: poll instead.
  bool FitReceiveTimeout(absl::Duration left) {
    if (receive_timeout_ > absl::ZeroDuration() &&
        LatestEnd(receive_timeout_) <= left) {
      return true;
    }
    // Three quarters of what is left (whole milliseconds, rounded down), so
    // the next read, whose deadline lies about as far ahead, fits it too.
    const absl::Duration want =
        absl::Floor((left - 2 * kTimerTick) * 3 / 4, absl::Milliseconds(1));
    if (want < kShortestReceiveTimeout) return false;
    const timeval tv = absl::ToTimeval(want);
    ++t_socket_calls;
    if (::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
      return false;
    }
    receive_timeout_ = want;
    return true;
  }

  int fd_;
  const std::string peer_;
  bool blocking_ = false;  // O_NONBLOCK is off: recv() may block.
  // The socket's SO_RCVTIMEO; zero while none is set (the kernel then
  // waits forever).
  absl::Duration receive_timeout_ = absl::ZeroDuration();
};

// Owns a file descriptor until released.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Starts a non-blocking connect and waits for it until `deadline`.
absl::Status ConnectFd(int fd, const sockaddr* addr, socklen_t len,
                       absl::Time deadline, absl::string_view peer) {
  const std::string what = absl::StrCat("connect to ", peer);
  int rc;
  do {
    rc = ::connect(fd, addr, len);
  } while (rc < 0 && errno == EINTR);
  if (rc == 0) return absl::OkStatus();
  if (errno != EINPROGRESS && errno != EAGAIN) return ErrnoError(errno, what);
  absl::Status ready = internal::WaitFd(fd, POLLOUT, deadline, "connect to",
                                        peer);
  if (!ready.ok()) return ready;
  return internal::ConnectResult(fd, peer);
}

absl::Status SetTcpOptionsImpl(int fd, const TcpEndpoint& endpoint,
                               absl::string_view peer) {
  auto set = [&](int level, int name, int value,
                 absl::string_view option) -> absl::Status {
    if (::setsockopt(fd, level, name, &value, sizeof(value)) < 0) {
      return ErrnoError(errno, absl::StrCat("set ", option, " on ", peer));
    }
    return absl::OkStatus();
  };
  if (endpoint.tcp_nodelay) {
    if (auto s = set(IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY"); !s.ok()) {
      return s;
    }
  }
  const TcpKeepalive& ka = endpoint.keepalive;
  if (!ka.enabled) return absl::OkStatus();
  if (auto s = set(SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE"); !s.ok()) {
    return s;
  }
  if (ka.idle > absl::ZeroDuration()) {
    const int secs = std::max<int>(1, absl::ToInt64Seconds(ka.idle));
    if (auto s = set(IPPROTO_TCP, TCP_KEEPIDLE, secs, "TCP_KEEPIDLE"); !s.ok()) {
      return s;
    }
  }
  if (ka.interval > absl::ZeroDuration()) {
    const int secs = std::max<int>(1, absl::ToInt64Seconds(ka.interval));
    if (auto s = set(IPPROTO_TCP, TCP_KEEPINTVL, secs, "TCP_KEEPINTVL");
        !s.ok()) {
      return s;
    }
  }
  if (ka.count > 0) {
    if (auto s = set(IPPROTO_TCP, TCP_KEEPCNT, ka.count, "TCP_KEEPCNT");
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::unique_ptr<Transport> MakeSocketTransport(int fd, std::string peer) {
  return std::make_unique<SocketTransport>(fd, std::move(peer));
}

absl::StatusOr<std::unique_ptr<Transport>> ConnectTcp(
    const TcpEndpoint& endpoint, absl::Time deadline) {
  const std::string peer =
      internal::FormatHostPort(endpoint.host, endpoint.port);
  // The connect deadline bounds the name lookup too.
  absl::StatusOr<std::vector<internal::SocketAddress>> addresses =
      internal::LookUpTcpBefore(endpoint.host, endpoint.port, deadline);
  if (!addresses.ok()) return addresses.status();
  absl::Status last = ConnectionError(
      absl::StrCat("connect to ", peer, ": host has no addresses"));
  for (const internal::SocketAddress& address : *addresses) {
    FdGuard fd(::socket(address.family(),
                        SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) {
      last = ErrnoError(errno, absl::StrCat("connect to ", peer, ": socket"));
      continue;
    }
    last = ConnectFd(fd.get(), address.sockaddr_ptr(), address.length, deadline,
                     peer);
    if (IsTimeout(last)) return last;  // The deadline covers all addresses.
    if (!last.ok()) continue;
    if (absl::Status s = internal::SetTcpOptions(fd.get(), endpoint, peer);
        !s.ok()) {
      return s;
    }
    return MakeSocketTransport(fd.release(), peer);
  }
  return last;
}

absl::StatusOr<std::unique_ptr<Transport>> ConnectUnix(absl::string_view path,
                                                      absl::Time deadline) {
  absl::StatusOr<internal::SocketAddress> addr =
      internal::UnixSocketAddress(path);
  if (!addr.ok()) return addr.status();
  const std::string peer(path);
  FdGuard fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return ErrnoError(errno, absl::StrCat("connect to ", peer, ": socket"));
  }
  absl::Status s =
      ConnectFd(fd.get(), addr->sockaddr_ptr(), addr->length, deadline, peer);
  if (!s.ok()) return s;
  return MakeSocketTransport(fd.release(), peer);
}


namespace internal {

absl::Status ConnectResult(int fd, absl::string_view peer) {
  int error = 0;
  socklen_t error_len = sizeof(error);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_len) < 0) {
    return ErrnoError(errno, absl::StrCat("connect to ", peer));
  }
  if (error != 0) return ErrnoError(error, absl::StrCat("connect to ", peer));
  return absl::OkStatus();
}

absl::Status SetTcpOptions(int fd, const TcpEndpoint& endpoint,
                           absl::string_view peer) {
  return SetTcpOptionsImpl(fd, endpoint, peer);
}

namespace {
// The seam of ScopedNameLookupForTesting (null: getaddrinfo).
std::atomic<ScopedNameLookupForTesting::Fn> g_lookup_for_testing{nullptr};
}  // namespace

ScopedNameLookupForTesting::ScopedNameLookupForTesting(Fn fn) {
  g_lookup_for_testing.store(fn);
}
ScopedNameLookupForTesting::~ScopedNameLookupForTesting() {
  g_lookup_for_testing.store(nullptr);
}

absl::StatusOr<std::vector<SocketAddress>> ResolveTcp(absl::string_view host,
                                                      int port) {
  if (ScopedNameLookupForTesting::Fn fn = g_lookup_for_testing.load();
      fn != nullptr && !IsNumericHost(host)) {
    return fn(host, port);
  }
  const std::string peer = FormatHostPort(host, port);
  if (port < 1 || port > 65535) {
    return InvalidArgumentError(
        absl::StrCat("connect to ", peer, ": port must be in 1-65535"));
  }
  if (host.empty()) return InvalidArgumentError("connect: empty host name");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  // getaddrinfo blocks and cannot be bounded: callers that need a bound
  // go through name_lookup.h, which runs this on a helper thread.
  const std::string host_z(host);
  const std::string port_z = absl::StrCat(port);
  int rc = ::getaddrinfo(host_z.c_str(), port_z.c_str(), &hints, &found);
  if (rc == EAI_NONAME || rc == EAI_ADDRFAMILY || rc == EAI_NODATA) {
    // AI_ADDRCONFIG hides ::1 on hosts whose only IPv6 address is loopback.
    hints.ai_flags = AI_NUMERICSERV;
    rc = ::getaddrinfo(host_z.c_str(), port_z.c_str(), &hints, &found);
  }
  if (rc != 0) {
    return ConnectionError(absl::StrCat("connect to ", peer,
                                        ": cannot resolve host: ",
                                        ::gai_strerror(rc)));
  }
  std::vector<SocketAddress> out;
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    SocketAddress a;
    std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
    a.length = ai->ai_addrlen;
    out.push_back(a);
  }
  ::freeaddrinfo(found);
  if (out.empty()) {
    return ConnectionError(
        absl::StrCat("connect to ", peer, ": host has no addresses"));
  }
  return out;
}

absl::StatusOr<SocketAddress> UnixSocketAddress(absl::string_view path) {
  SocketAddress a;
  sockaddr_un* addr = reinterpret_cast<sockaddr_un*>(&a.storage);
  addr->sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr->sun_path)) {
    return InvalidArgumentError(absl::StrCat(
        "unix socket path '", path, "' must be 1-", sizeof(addr->sun_path) - 1,
        " bytes long"));
  }
  std::memcpy(addr->sun_path, path.data(), path.size());
  a.length = sizeof(sockaddr_un);
  return a;
}

}  // namespace internal

}  // namespace valkey
