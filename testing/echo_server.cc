#include "testing/echo_server.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace valkey::testing {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", strerror(errno)));
}

// Outcome of parsing the front of a connection's input.
enum class Parse { kCommand, kNeedMore, kMalformed };

// Reads "<c><integer>\r\n" at `*pos` of `in`, where <c> is `marker`.
Parse ReadHeader(absl::string_view in, size_t* pos, char marker,
                 int64_t* value) {
  if (*pos >= in.size()) return Parse::kNeedMore;
  if (in[*pos] != marker) return Parse::kMalformed;
  const size_t end = in.find("\r\n", *pos);
  if (end == absl::string_view::npos) {
    return in.size() - *pos > 32 ? Parse::kMalformed : Parse::kNeedMore;
  }
  if (!absl::SimpleAtoi(in.substr(*pos + 1, end - *pos - 1), value) ||
      *value < 0 || *value > (1 << 20)) {
    return Parse::kMalformed;
  }
  *pos = end + 2;
  return Parse::kCommand;
}

// One RESP array of bulk strings from the front of `in`; on kCommand,
// `*consumed` is its length.
Parse ParseCommand(absl::string_view in, std::vector<std::string>* argv,
                   size_t* consumed) {
  size_t pos = 0;
  int64_t argc = 0;
  if (Parse p = ReadHeader(in, &pos, '*', &argc); p != Parse::kCommand) {
    return p;
  }
  if (argc == 0) return Parse::kMalformed;
  argv->clear();
  for (int64_t i = 0; i < argc; ++i) {
    int64_t len = 0;
    if (Parse p = ReadHeader(in, &pos, '$', &len); p != Parse::kCommand) {
      return p;
    }
    if (in.size() - pos < static_cast<size_t>(len) + 2) return Parse::kNeedMore;
    if (in.substr(pos + len, 2) != "\r\n") return Parse::kMalformed;
    argv->emplace_back(in.substr(pos, len));
    pos += len + 2;
  }
  *consumed = pos;
  return Parse::kCommand;
}

// Writes all of `bytes` to the non-blocking `fd`; false when the peer is
// gone or stops reading for a second (replies here are tiny).
bool WriteAll(int fd, absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 1000) <= 0) return false;
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace

std::string EchoServer::UnknownCommandEcho(
    const std::vector<std::string>& argv) {
  std::string out =
      absl::StrCat("-ERR unknown command '", argv[0],
                   "', with args beginning with: ");
  for (size_t i = 1; i < argv.size(); ++i) {
    absl::StrAppend(&out, "'", argv[i], "' ");
  }
  out.append("\r\n");
  return out;
}

absl::StatusOr<std::unique_ptr<EchoServer>> EchoServer::Start(
    Responder responder) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                          0);
  if (fd < 0) return Errno("echo server: socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // The kernel picks a free port.
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    absl::Status s = Errno("echo server: bind/listen");
    ::close(fd);
    return s;
  }
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    absl::Status s = Errno("echo server: eventfd");
    ::close(fd);
    return s;
  }
  std::unique_ptr<EchoServer> server(
      new EchoServer(fd, wake, ntohs(addr.sin_port), std::move(responder)));
  server->thread_ = std::thread([raw = server.get()] { raw->Serve(); });
  return server;
}

EchoServer::EchoServer(int listen_fd, int wake_fd, int port,
                       Responder responder)
    : listen_fd_(listen_fd),
      wake_fd_(wake_fd),
      port_(port),
      responder_(std::move(responder)) {}

EchoServer::~EchoServer() {
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  ::close(wake_fd_);
}

void EchoServer::Serve() {
  struct Client {
    int fd;
    std::string in;
  };
  std::vector<Client> clients;
  std::vector<std::string> argv;
  for (;;) {
    std::vector<pollfd> fds = {{wake_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (const Client& c : clients) fds.push_back({c.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) break;
    if (fds[0].revents != 0) break;  // Stop.
    // Only the clients polled this turn have an entry in `fds`; those
    // accepted below are read from on the next turn.
    const size_t polled = clients.size();
    if (fds[1].revents & POLLIN) {
      for (;;) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr,
                                 SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) break;
        clients.push_back(Client{fd, std::string()});
      }
    }
    // Client i sits at fds[i + 2]; walk backwards so erasing is safe.
    for (size_t i = polled; i-- > 0;) {
      if (fds[i + 2].revents == 0) continue;
      Client& c = clients[i];
      bool keep = true;
      char buf[16 * 1024];
      const ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        keep = false;
      }
      while (keep) {
        size_t consumed = 0;
        const Parse p = ParseCommand(c.in, &argv, &consumed);
        if (p == Parse::kNeedMore) break;
        if (p == Parse::kMalformed) {
          keep = false;
          break;
        }
        c.in.erase(0, consumed);
        commands_seen_.fetch_add(1);
        keep = WriteAll(c.fd, responder_(argv));
      }
      if (!keep) {
        ::close(c.fd);
        clients.erase(clients.begin() + static_cast<ptrdiff_t>(i));
      }
    }
  }
  for (const Client& c : clients) ::close(c.fd);
}

}  // namespace valkey::testing
