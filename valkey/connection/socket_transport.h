// Plain-socket transports: TCP (IPv4 and IPv6) and Unix domain sockets.
//
//   TcpEndpoint ep{.host = "127.0.0.1", .port = 6379};
//   auto t = ConnectTcp(ep, absl::Now() + absl::Seconds(2));
//
// No call blocks past its deadline, so a dead or silent peer never holds a
// caller longer. A read blocks in recv() itself, bounded by the socket's
// receive time-out (SO_RCVTIMEO, changed only when the time left no longer
// fits it), so a request and its reply cost two system calls: send and
// recv. Writes never block in send(): when the socket buffer is full they
// poll() for the time left. Connected sockets are switched to blocking mode
// for this; every non-blocking call passes MSG_DONTWAIT.
//
// Thread-safety: the connect functions are thread-safe; each returned
// transport is used by one thread at a time.

#ifndef VALKEY_CONNECTION_SOCKET_TRANSPORT_H_
#define VALKEY_CONNECTION_SOCKET_TRANSPORT_H_

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "valkey/connection/transport.h"

namespace valkey {

struct TcpKeepalive {
  bool enabled = true;
  // Idle time before the first probe, the interval between probes, and how
  // many unanswered probes drop the connection. Zero keeps the OS default.
  absl::Duration idle = absl::ZeroDuration();
  absl::Duration interval = absl::ZeroDuration();
  int count = 0;
};

struct TcpEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  bool tcp_nodelay = true;
  TcpKeepalive keepalive;
};

// Resolves `endpoint.host` and tries every address it has (IPv4 and IPv6, in
// resolver order) until one connects or `deadline` passes.
// Errors: UNAVAILABLE (kConnection) naming host:port and the last address's
// error (refused, unreachable, resolution failure); DEADLINE_EXCEEDED
// (kTimeout) when the deadline passes first; INVALID_ARGUMENT for a port
// outside 1-65535.
absl::StatusOr<std::unique_ptr<Transport>> ConnectTcp(
    const TcpEndpoint& endpoint, absl::Time deadline);

// Connects to the Unix domain socket at `path`.
// Errors: INVALID_ARGUMENT when the path does not fit sockaddr_un (107
// bytes); UNAVAILABLE (missing socket, refused); DEADLINE_EXCEEDED.
absl::StatusOr<std::unique_ptr<Transport>> ConnectUnix(absl::string_view path,
                                                      absl::Time deadline);

// Wraps an already connected socket `fd` (owned from now on; switched to
// blocking mode, see above). `peer` names it in error messages.
std::unique_ptr<Transport> MakeSocketTransport(int fd, std::string peer);

namespace internal {

// A resolved socket address (TCP or Unix).
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family() const { return storage.ss_family; }
  const sockaddr* sockaddr_ptr() const {
    return reinterpret_cast<const sockaddr*>(&storage);
  }
};

// The addresses of host:port, in resolver order (IPv4 and IPv6). Blocks
// in getaddrinfo for names that are not numeric, without bound: connects go
// through name_lookup.h instead, which bounds it.
// Errors: INVALID_ARGUMENT (port, empty host), UNAVAILABLE (no address).
absl::StatusOr<std::vector<SocketAddress>> ResolveTcp(absl::string_view host,
                                                      int port);
// The address of a Unix socket. Errors: INVALID_ARGUMENT (path length).
absl::StatusOr<SocketAddress> UnixSocketAddress(absl::string_view path);

// After a non-blocking connect() reported writable: OK or the connect
// error (SO_ERROR), naming `peer`.
absl::Status ConnectResult(int fd, absl::string_view peer);

// TCP_NODELAY and keepalive settings of `endpoint` on a connected socket.
absl::Status SetTcpOptions(int fd, const TcpEndpoint& endpoint,
                           absl::string_view peer);

// Waits until `fd` is ready for `events` (POLLIN / POLLOUT) or `deadline`
// passes, retrying on EINTR. Returns OK when ready (or in error/hang-up,
// which the following syscall reports); DEADLINE_EXCEEDED naming `what` and
// `peer` otherwise.
absl::Status WaitFd(int fd, short events, absl::Time deadline,
                    absl::string_view what, absl::string_view peer);

// Whether `fd` may have something to read now: data, end of file, an
// error, or a descriptor that is no longer open (anything but a zero-time
// poll() answering "nothing" says true). Never blocks; not a thread
// cancellation point, so it costs one system call and little more.
bool MayBeReadableNow(int fd);

// "host:port", with brackets around an IPv6 literal.
std::string FormatHostPort(absl::string_view host, int port);

// How many socket system calls (send, recv, poll, setsockopt) the transports
// made on the calling thread since it started. For tests and benchmarks that
// count what a round trip costs; TLS transports go through these too.
uint64_t SocketCallsOnThisThread();

}  // namespace internal
}  // namespace valkey

#endif  // VALKEY_CONNECTION_SOCKET_TRANSPORT_H_
