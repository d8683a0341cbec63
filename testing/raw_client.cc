#include "testing/raw_client.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace valkey::testing {
namespace {

absl::Status ErrnoStatus(int err, absl::string_view what) {
  if (err == EAGAIN || err == EWOULDBLOCK || err == ETIMEDOUT) {
    return absl::DeadlineExceededError(
        absl::StrCat(what, ": timed out (", strerror(err), ")"));
  }
  return absl::UnavailableError(absl::StrCat(what, ": ", strerror(err)));
}

}  // namespace

std::string EncodeRespCommand(const std::vector<std::string>& args) {
  std::string out = absl::StrCat("*", args.size(), "\r\n");
  for (const std::string& a : args) {
    absl::StrAppend(&out, "$", a.size(), "\r\n", a, "\r\n");
  }
  return out;
}

absl::StatusOr<RawConnection> RawConnection::Finish(int fd,
                                                    absl::Duration timeout) {
  timeval tv = absl::ToTimeval(timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return RawConnection(fd);
}

absl::StatusOr<RawConnection> RawConnection::Tcp(const std::string& host,
                                                 int port,
                                                 absl::Duration io_timeout) {
  const std::string where = absl::StrCat(host, ":", port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = absl::StrCat(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("resolve ", where, ": ", gai_strerror(rc)));
  }
  absl::Status last =
      absl::UnavailableError(absl::StrCat("no address for ", where));
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd =
        socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last = ErrnoStatus(errno, absl::StrCat("socket for ", where));
      continue;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      freeaddrinfo(res);
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      return Finish(fd, io_timeout);
    }
    last = ErrnoStatus(errno, absl::StrCat("connect to ", where));
    close(fd);
  }
  freeaddrinfo(res);
  return last;
}

absl::StatusOr<RawConnection> RawConnection::Unix(const std::string& path,
                                                  absl::Duration io_timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unix socket path too long: ", path));
  }
  memcpy(addr.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus(errno, "socket(AF_UNIX)");
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    absl::Status s = ErrnoStatus(errno, absl::StrCat("connect to ", path));
    close(fd);
    return s;
  }
  return Finish(fd, io_timeout);
}

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

RawConnection& RawConnection::operator=(RawConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

absl::Status RawConnection::Send(absl::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "send");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RawConnection::ReadLine() {
  while (true) {
    size_t pos = buffer_.find("\r\n");
    if (pos != std::string::npos) {
      std::string line = buffer_.substr(0, pos);
      buffer_.erase(0, pos + 2);
      return line;
    }
    char chunk[4096];
    ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "recv");
    }
    if (n == 0) return absl::UnavailableError("recv: connection closed");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

absl::StatusOr<std::string> RawConnection::Command(
    const std::vector<std::string>& args) {
  absl::Status s = Send(EncodeRespCommand(args));
  if (!s.ok()) return s;
  return ReadLine();
}

}  // namespace valkey::testing
