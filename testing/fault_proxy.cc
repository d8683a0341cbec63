#include "testing/fault_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "valkey/common/errors.h"

namespace valkey::testing {
namespace {

// Largest single recv() into a chunk.
constexpr size_t kReadSize = 16 * 1024;
// Per direction and connection: reading stops while this much is queued.
constexpr size_t kMaxQueuedBytes = 256 * 1024;
constexpr int kListenBacklog = 128;
// Accepts per wake-up, so one flood cannot starve the other sockets.
constexpr int kMaxAcceptsPerWake = 64;
// How long a control call waits for the loop to apply it.
constexpr absl::Duration kControlTimeout = absl::Seconds(10);
// After accept() fails for lack of descriptors, the listener is left out of
// poll() this long (it would otherwise stay readable and spin the loop).
constexpr absl::Duration kAcceptBackoff = absl::Milliseconds(50);
// Upper bound on what is read and discarded from a client being cut.
constexpr size_t kMaxDrainBytes = 1024 * 1024;

// Where the proxy connects: a loopback socket address.
struct UpstreamAddress {
  sockaddr_storage addr = {};
  socklen_t len = 0;
  std::string description;  // "127.0.0.1:6379", for messages.
};

absl::StatusOr<UpstreamAddress> ResolveLoopback(const std::string& host,
                                                int port) {
  if (port < 1 || port > 65535) {
    return InvalidArgumentError(
        absl::StrCat("fault proxy: upstream port out of range: ", port));
  }
  std::string literal = host;
  if (literal == "localhost") literal = "127.0.0.1";
  if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']') {
    literal = literal.substr(1, literal.size() - 2);
  }
  UpstreamAddress out;
  in_addr v4 = {};
  in6_addr v6 = {};
  if (inet_pton(AF_INET, literal.c_str(), &v4) == 1) {
    if ((ntohl(v4.s_addr) >> 24) != 127) {
      return InvalidArgumentError(absl::StrCat(
          "fault proxy: upstream must be a loopback address, got ", host));
    }
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.addr);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port));
    sin->sin_addr = v4;
    out.len = sizeof(sockaddr_in);
    out.description = absl::StrCat(literal, ":", port);
    return out;
  }
  if (inet_pton(AF_INET6, literal.c_str(), &v6) == 1) {
    if (!IN6_IS_ADDR_LOOPBACK(&v6)) {
      return InvalidArgumentError(absl::StrCat(
          "fault proxy: upstream must be a loopback address, got ", host));
    }
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.addr);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(port));
    sin6->sin6_addr = v6;
    out.len = sizeof(sockaddr_in6);
    out.description = absl::StrCat("[", literal, "]:", port);
    return out;
  }
  return InvalidArgumentError(absl::StrCat(
      "fault proxy: upstream must be a loopback address, got '", host, "'"));
}

sockaddr_in LoopbackAddress(int port) {
  sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sin;
}

void CloseFd(int& fd) {
  if (fd >= 0) {
    close(fd);
    fd = -1;
  }
}

// Closes `fd` so that the peer gets a reset rather than an end-of-stream.
void ResetFd(int& fd) {
  if (fd < 0) return;
  linger lg = {};
  lg.l_onoff = 1;
  lg.l_linger = 0;
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  CloseFd(fd);
}

void SetNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// A socket bound to 127.0.0.1:`port` with SO_REUSEADDR (so that the port
// can be bound again while connections accepted on it, or their TIME_WAIT
// remnants, still exist). Port 0 picks a free port.
absl::StatusOr<int> BindLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError(errno, "fault proxy: socket");
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    const int err = errno;
    CloseFd(fd);
    return ErrnoError(err, "fault proxy: SO_REUSEADDR");
  }
  sockaddr_in sin = LoopbackAddress(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) != 0) {
    const int err = errno;
    CloseFd(fd);
    return ErrnoError(err, absl::StrCat("fault proxy: bind 127.0.0.1:", port));
  }
  return fd;
}

// A piece of one direction's stream, read at one time.
struct Chunk {
  std::string data;
  size_t offset = 0;  // Bytes of `data` already forwarded.
  absl::Time due;     // Not forwarded before this time.
  bool eof = false;   // End-of-stream marker (no data).
};

// One direction of a connection pair.
struct Flow {
  std::deque<Chunk> queue;
  size_t queued = 0;        // Unforwarded data bytes in `queue`.
  bool read_eof = false;    // The source sent end-of-stream.
  bool write_shut = false;  // The end-of-stream was forwarded.
};

enum class UpstreamState : uint8_t { kNotStarted, kConnecting, kConnected };

// A client connection and its upstream twin.
struct Conn {
  int client = -1;
  int server = -1;
  UpstreamState upstream = UpstreamState::kNotStarted;
  Flow c2s;
  Flow s2c;
  int64_t budget = -1;  // Reply bytes left before a cut; -1: unlimited.
  bool marked = false;  // The client sent the marker: replies are held.
  bool dead = false;    // Both sockets closed; to be removed.
};

}  // namespace

// Everything the background thread owns. Only the thread touches the
// sockets, connections and the copies of the configuration below; it shares
// `owner_->config_`, the epochs and the counters under `owner_->mu_`.
class FaultProxy::Loop {
 public:
  Loop(int listen_fd, int wake_fd, UpstreamAddress upstream, int port)
      : listen_fd_(listen_fd),
        wake_fd_(wake_fd),
        upstream_(std::move(upstream)),
        port_(port) {}

  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Run() has normally closed everything already; this covers a loop whose
  // thread never ran. It does not touch the owner, which may be gone.
  ~Loop() {
    for (auto& c : conns_) Kill(*c);
    CloseFd(listen_fd_);
    CloseFd(reserve_fd_);
    CloseFd(wake_fd_);
  }

  void set_owner(FaultProxy* owner) { owner_ = owner; }

  // Wakes the thread out of poll(). Safe from any thread.
  void Wake() {
    const uint64_t one = 1;
    // A full counter (impossible in practice) still leaves it readable.
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
  }

  // The thread's body: returns after the owner asked it to stop, with every
  // socket but the eventfd closed.
  void Run();

 private:
  // Applies a new configuration if one was requested. Returns false when
  // the loop must stop.
  bool ApplyConfig();
  absl::Status ApplyListener(bool refuse);
  void AcceptAll(absl::Time now);
  void StartUpstream(Conn& c);
  void FinishConnect(Conn& c);
  void Pump(Conn& c, absl::Time now);
  bool PumpFlow(Conn& c, bool to_server, absl::Time now);
  void ReadFlow(Conn& c, bool from_server, absl::Time now);
  void CutClient(Conn& c);
  void Kill(Conn& c);
  void Reap();
  void CloseAll();
  // Milliseconds until the next delayed chunk falls due, or -1 for none.
  int NextTimeoutMs(absl::Time now) const;

  void AddForwarded(bool to_server, int64_t n) ABSL_LOCKS_EXCLUDED(owner_->mu_);
  void AddCut() ABSL_LOCKS_EXCLUDED(owner_->mu_);

  FaultProxy* owner_ = nullptr;
  int listen_fd_ = -1;   // Listening socket; -1 while refusing.
  int reserve_fd_ = -1;  // Bound, not listening: holds the port meanwhile.
  int wake_fd_ = -1;
  const UpstreamAddress upstream_;
  const int port_;

  // The loop's copy of the configuration.
  uint64_t seen_epoch_ = 0;
  absl::Duration delay_c2s_ = absl::ZeroDuration();
  absl::Duration delay_s2c_ = absl::ZeroDuration();
  std::string marker_;
  absl::Duration marked_delay_ = absl::ZeroDuration();
  bool blackhole_ = false;
  uint64_t seen_cut_all_gen_ = 0;
  uint64_t seen_global_cut_gen_ = 0;
  uint64_t seen_per_conn_cut_gen_ = 0;
  int64_t global_budget_ = -1;    // -1: disarmed.
  int64_t per_conn_budget_ = -1;  // -1: disarmed.
  absl::Time accept_paused_until_ = absl::InfinitePast();

  std::vector<std::unique_ptr<Conn>> conns_;
};

void FaultProxy::Loop::Run() {
  std::vector<pollfd> fds;
  // For fds[i], i >= 2: the connection and whether it is the server side.
  std::vector<std::pair<Conn*, bool>> owners;
  for (;;) {
    if (!ApplyConfig()) break;
    absl::Time now = absl::Now();
    for (auto& c : conns_) Pump(*c, now);
    Reap();

    fds.clear();
    owners.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    const bool accepting = listen_fd_ >= 0 && now >= accept_paused_until_;
    fds.push_back({accepting ? listen_fd_ : -1, POLLIN, 0});
    for (auto& c : conns_) {
      // A socket is polled only for what is wanted from it: polling with no
      // events would still report POLLHUP and spin.
      short client_events = 0;
      short server_events = 0;
      if (!c->c2s.read_eof && c->c2s.queued < kMaxQueuedBytes) {
        client_events |= POLLIN;
      }
      if (c->upstream == UpstreamState::kConnecting) {
        server_events |= POLLOUT;
      } else if (c->upstream == UpstreamState::kConnected) {
        if (!c->s2c.read_eof && c->s2c.queued < kMaxQueuedBytes) {
          server_events |= POLLIN;
        }
        // After Pump(), a chunk that is due and still queued is waiting for
        // room in the socket's send buffer.
        if (!blackhole_) {
          if (!c->c2s.queue.empty() && c->c2s.queue.front().due <= now) {
            server_events |= POLLOUT;
          }
          if (!c->s2c.queue.empty() && c->s2c.queue.front().due <= now) {
            client_events |= POLLOUT;
          }
        }
      }
      fds.push_back({client_events != 0 ? c->client : -1, client_events, 0});
      owners.emplace_back(c.get(), false);
      fds.push_back({server_events != 0 ? c->server : -1, server_events, 0});
      owners.emplace_back(c.get(), true);
    }
    int timeout_ms = NextTimeoutMs(now);
    if (listen_fd_ >= 0 && !accepting) {
      const int resume_ms = static_cast<int>(absl::ToInt64Milliseconds(
          accept_paused_until_ - now + absl::Milliseconds(1)));
      timeout_ms = timeout_ms < 0 ? resume_ms : std::min(timeout_ms, resume_ms);
    }

    const int ready = poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0) {
      // EINTR, or resources (ENOMEM): go round again, sleeping at most as
      // long as poll() would have.
      continue;
    }
    now = absl::Now();
    if (fds[0].revents != 0) {
      uint64_t count = 0;
      [[maybe_unused]] ssize_t n = read(wake_fd_, &count, sizeof(count));
    }
    if (fds[1].revents != 0) AcceptAll(now);
    for (size_t i = 2; i < fds.size(); ++i) {
      const short revents = fds[i].revents;
      if (revents == 0) continue;
      Conn& c = *owners[i - 2].first;
      const bool server_side = owners[i - 2].second;
      if (c.dead) continue;
      if (server_side && c.upstream == UpstreamState::kConnecting) {
        FinishConnect(c);
        continue;
      }
      // Errors and hang-ups surface through recv() or send().
      if ((fds[i].events & POLLIN) != 0 &&
          (revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        ReadFlow(c, server_side, now);
      }
      // POLLOUT needs no action: Pump() runs first thing next round.
    }
  }
  CloseAll();
}

bool FaultProxy::Loop::ApplyConfig() {
  Config config;
  uint64_t epoch = 0;
  {
    absl::MutexLock lock(&owner_->mu_);
    epoch = owner_->requested_epoch_;
    if (epoch == seen_epoch_) return true;
    config = owner_->config_;
  }
  if (config.stop) return false;
  seen_epoch_ = epoch;
  delay_c2s_ = config.delay_c2s;
  delay_s2c_ = config.delay_s2c;
  marker_ = config.marker;
  marked_delay_ = config.marked_delay;
  blackhole_ = config.blackhole;
  if (config.cut_all_gen != seen_cut_all_gen_) {
    seen_cut_all_gen_ = config.cut_all_gen;
    for (auto& c : conns_) {
      if (c->dead) continue;
      Kill(*c);
      AddCut();
    }
  }
  if (config.global_cut_gen != seen_global_cut_gen_) {
    seen_global_cut_gen_ = config.global_cut_gen;
    global_budget_ = config.global_cut_bytes;
  }
  if (config.per_conn_cut_gen != seen_per_conn_cut_gen_) {
    seen_per_conn_cut_gen_ = config.per_conn_cut_gen;
    per_conn_budget_ = config.per_conn_cut_bytes;
    for (auto& c : conns_) c->budget = per_conn_budget_;
  }
  if (!blackhole_) {
    for (auto& c : conns_) {
      if (!c->dead && c->upstream == UpstreamState::kNotStarted) {
        StartUpstream(*c);
      }
    }
  }
  absl::Status listener = ApplyListener(config.refuse);
  Reap();
  absl::MutexLock lock(&owner_->mu_);
  owner_->listener_status_ = std::move(listener);
  owner_->applied_epoch_ = std::max(owner_->applied_epoch_, epoch);
  return true;
}

absl::Status FaultProxy::Loop::ApplyListener(bool refuse) {
  if (refuse) {
    if (listen_fd_ < 0) return absl::OkStatus();
    // Linux offers no way back from listen() short of closing the socket,
    // so the port is held by a fresh bound socket until Resume().
    CloseFd(listen_fd_);
    absl::StatusOr<int> reserve = BindLoopback(port_);
    if (!reserve.ok()) return reserve.status();
    reserve_fd_ = *reserve;
    return absl::OkStatus();
  }
  if (listen_fd_ >= 0) return absl::OkStatus();
  int fd = reserve_fd_;
  reserve_fd_ = -1;
  if (fd < 0) {
    absl::StatusOr<int> bound = BindLoopback(port_);
    if (!bound.ok()) return bound.status();
    fd = *bound;
  }
  if (listen(fd, kListenBacklog) != 0) {
    const int err = errno;
    CloseFd(fd);
    return ErrnoError(err,
                      absl::StrCat("fault proxy: listen 127.0.0.1:", port_));
  }
  listen_fd_ = fd;
  accept_paused_until_ = absl::InfinitePast();
  return absl::OkStatus();
}

void FaultProxy::Loop::AcceptAll(absl::Time now) {
  for (int i = 0; i < kMaxAcceptsPerWake && listen_fd_ >= 0; ++i) {
    const int fd =
        accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
          errno == ENOMEM) {
        accept_paused_until_ = now + kAcceptBackoff;
      }
      return;  // EAGAIN, or one of the above.
    }
    SetNoDelay(fd);
    auto c = std::make_unique<Conn>();
    c->client = fd;
    c->budget = per_conn_budget_;
    {
      absl::MutexLock lock(&owner_->mu_);
      ++owner_->stats_.connections_accepted;
      ++owner_->stats_.connections_active;
    }
    if (!blackhole_) StartUpstream(*c);
    conns_.push_back(std::move(c));
  }
}

void FaultProxy::Loop::StartUpstream(Conn& c) {
  c.server = socket(upstream_.addr.ss_family,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.server < 0) {
    Kill(c);
    return;
  }
  SetNoDelay(c.server);
  if (connect(c.server, reinterpret_cast<const sockaddr*>(&upstream_.addr),
              upstream_.len) == 0) {
    c.upstream = UpstreamState::kConnected;
  } else if (errno == EINPROGRESS || errno == EINTR) {
    c.upstream = UpstreamState::kConnecting;
  } else {
    Kill(c);  // Refused: the client sees a reset.
  }
}

void FaultProxy::Loop::FinishConnect(Conn& c) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(c.server, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == 0) {
    c.upstream = UpstreamState::kConnected;
  } else if (err != EINPROGRESS && err != EALREADY) {
    Kill(c);
  }
}

void FaultProxy::Loop::Pump(Conn& c, absl::Time now) {
  if (c.dead || blackhole_ || c.upstream != UpstreamState::kConnected) return;
  if (!PumpFlow(c, /*to_server=*/true, now)) return;
  if (!PumpFlow(c, /*to_server=*/false, now)) return;
  if (c.c2s.write_shut && c.s2c.write_shut) {
    // Both ends said goodbye and everything was delivered.
    CloseFd(c.client);
    CloseFd(c.server);
    c.dead = true;
  }
}

// Forwards what is due in one direction. Returns false when the connection
// was closed.
bool FaultProxy::Loop::PumpFlow(Conn& c, bool to_server, absl::Time now) {
  Flow& flow = to_server ? c.c2s : c.s2c;
  const int dst = to_server ? c.server : c.client;
  while (!flow.queue.empty()) {
    Chunk& chunk = flow.queue.front();
    if (chunk.due > now) return true;
    if (chunk.eof) {
      shutdown(dst, SHUT_WR);
      flow.write_shut = true;
      flow.queue.pop_front();
      continue;
    }
    size_t want = chunk.data.size() - chunk.offset;
    int64_t budget = -1;
    if (!to_server) {
      budget = c.budget;
      if (global_budget_ >= 0 && (budget < 0 || global_budget_ < budget)) {
        budget = global_budget_;
      }
      if (budget == 0) {
        if (global_budget_ == 0) global_budget_ = -1;
        CutClient(c);
        return false;
      }
      if (budget > 0) want = std::min(want, static_cast<size_t>(budget));
    }
    const ssize_t n =
        send(dst, chunk.data.data() + chunk.offset, want, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      Kill(c);
      return false;
    }
    chunk.offset += static_cast<size_t>(n);
    flow.queued -= static_cast<size_t>(n);
    AddForwarded(to_server, n);
    if (chunk.offset == chunk.data.size()) flow.queue.pop_front();
    if (!to_server) {
      bool cut = false;
      if (c.budget >= 0) {
        c.budget -= n;
        cut = cut || c.budget == 0;
      }
      if (global_budget_ >= 0) {
        global_budget_ -= n;
        if (global_budget_ == 0) {
          global_budget_ = -1;  // One-shot.
          cut = true;
        }
      }
      if (cut) {
        CutClient(c);
        return false;
      }
    }
  }
  return true;
}

void FaultProxy::Loop::ReadFlow(Conn& c, bool from_server, absl::Time now) {
  Flow& flow = from_server ? c.s2c : c.c2s;
  const int src = from_server ? c.server : c.client;
  char buf[kReadSize];
  while (!flow.read_eof && flow.queued < kMaxQueuedBytes) {
    const size_t room = std::min(kReadSize, kMaxQueuedBytes - flow.queued);
    const ssize_t n = recv(src, buf, room, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      Kill(c);  // A reset (or worse) from this peer resets the other one.
      return;
    }
    if (!from_server && !c.marked && !marker_.empty() && n > 0 &&
        absl::string_view(buf, static_cast<size_t>(n)).find(marker_) !=
            absl::string_view::npos) {
      c.marked = true;
    }
    absl::Duration delay = from_server ? delay_s2c_ : delay_c2s_;
    if (from_server && c.marked) delay = std::max(delay, marked_delay_);
    Chunk chunk;
    chunk.due = now + delay;
    if (n == 0) {
      flow.read_eof = true;
      chunk.eof = true;
    } else {
      chunk.data.assign(buf, static_cast<size_t>(n));
      flow.queued += static_cast<size_t>(n);
    }
    flow.queue.push_back(std::move(chunk));
  }
}

void FaultProxy::Loop::CutClient(Conn& c) {
  // End-of-stream after what was sent; then swallow what the client had
  // sent, so that close() does not turn into a reset that could overtake
  // the bytes still in flight to it.
  shutdown(c.client, SHUT_WR);
  char buf[kReadSize];
  for (size_t drained = 0; drained < kMaxDrainBytes;) {
    const ssize_t n = recv(c.client, buf, sizeof(buf), MSG_DONTWAIT);
    if (n <= 0) break;
    drained += static_cast<size_t>(n);
  }
  CloseFd(c.client);
  ResetFd(c.server);
  c.dead = true;
  AddCut();
}

void FaultProxy::Loop::Kill(Conn& c) {
  ResetFd(c.client);
  ResetFd(c.server);
  c.dead = true;
}

void FaultProxy::Loop::Reap() {
  const auto dead =
      std::remove_if(conns_.begin(), conns_.end(),
                     [](const std::unique_ptr<Conn>& c) { return c->dead; });
  const int64_t removed = conns_.end() - dead;
  if (removed == 0) return;
  conns_.erase(dead, conns_.end());
  absl::MutexLock lock(&owner_->mu_);
  owner_->stats_.connections_active -= removed;
}

void FaultProxy::Loop::CloseAll() {
  for (auto& c : conns_) Kill(*c);
  Reap();
  CloseFd(listen_fd_);
  CloseFd(reserve_fd_);
}

int FaultProxy::Loop::NextTimeoutMs(absl::Time now) const {
  if (blackhole_) return -1;
  absl::Time next = absl::InfiniteFuture();
  for (const auto& c : conns_) {
    for (const Flow* flow : {&c->c2s, &c->s2c}) {
      if (!flow->queue.empty() && flow->queue.front().due > now) {
        next = std::min(next, flow->queue.front().due);
      }
    }
  }
  if (next == absl::InfiniteFuture()) return -1;
  // Round up, so the chunk is due when poll() returns; a far-off chunk just
  // costs an extra wake-up an hour.
  const int64_t ms =
      absl::ToInt64Milliseconds(absl::Ceil(next - now, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, 3600 * 1000));
}

void FaultProxy::Loop::AddForwarded(bool to_server, int64_t n) {
  absl::MutexLock lock(&owner_->mu_);
  if (to_server) {
    owner_->stats_.bytes_client_to_server += n;
  } else {
    owner_->stats_.bytes_server_to_client += n;
  }
}

void FaultProxy::Loop::AddCut() {
  absl::MutexLock lock(&owner_->mu_);
  ++owner_->stats_.connections_cut;
}

absl::StatusOr<std::unique_ptr<FaultProxy>> FaultProxy::Start(
    std::string upstream_host, int upstream_port) {
  absl::StatusOr<UpstreamAddress> upstream =
      ResolveLoopback(upstream_host, upstream_port);
  if (!upstream.ok()) return upstream.status();

  absl::StatusOr<int> bound = BindLoopback(0);
  if (!bound.ok()) return bound.status();
  int listen_fd = *bound;
  if (listen(listen_fd, kListenBacklog) != 0) {
    const int err = errno;
    CloseFd(listen_fd);
    return ErrnoError(err, "fault proxy: listen");
  }
  sockaddr_in local = {};
  socklen_t local_len = sizeof(local);
  if (getsockname(listen_fd, reinterpret_cast<sockaddr*>(&local), &local_len) !=
      0) {
    const int err = errno;
    CloseFd(listen_fd);
    return ErrnoError(err, "fault proxy: getsockname");
  }
  const int port = ntohs(local.sin_port);
  int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    const int err = errno;
    CloseFd(listen_fd);
    return ErrnoError(err, "fault proxy: eventfd");
  }

  auto loop =
      std::make_unique<Loop>(listen_fd, wake_fd, *std::move(upstream), port);
  std::unique_ptr<FaultProxy> proxy(new FaultProxy(port, std::move(loop)));
  proxy->loop_->set_owner(proxy.get());
  proxy->thread_ = std::thread([raw = proxy->loop_.get()] { raw->Run(); });
  return proxy;
}

FaultProxy::FaultProxy(int port, std::unique_ptr<Loop> loop)
    : port_(port), loop_(std::move(loop)) {}

FaultProxy::~FaultProxy() {
  {
    absl::MutexLock lock(&mu_);
    config_.stop = true;
    ++requested_epoch_;
  }
  loop_->Wake();
  if (thread_.joinable()) thread_.join();
}

bool FaultProxy::Commit() {
  const uint64_t target = ++requested_epoch_;
  loop_->Wake();
  auto applied = [this, target]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return applied_epoch_ >= target;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&applied), kControlTimeout);
}

absl::Status FaultProxy::Resume() {
  absl::MutexLock lock(&mu_);
  config_.delay_c2s = absl::ZeroDuration();
  config_.delay_s2c = absl::ZeroDuration();
  config_.marker.clear();
  config_.marked_delay = absl::ZeroDuration();
  config_.blackhole = false;
  config_.refuse = false;
  ++config_.global_cut_gen;
  config_.global_cut_bytes = -1;
  ++config_.per_conn_cut_gen;
  config_.per_conn_cut_bytes = -1;
  if (!Commit()) {
    return absl::DeadlineExceededError("fault proxy: Resume() timed out");
  }
  return listener_status_;
}

void FaultProxy::SetDelay(absl::Duration delay, Direction direction) {
  if (delay < absl::ZeroDuration()) delay = absl::ZeroDuration();
  absl::MutexLock lock(&mu_);
  if (direction != Direction::kServerToClient) config_.delay_c2s = delay;
  if (direction != Direction::kClientToServer) config_.delay_s2c = delay;
  Commit();
}

void FaultProxy::DelayRepliesOnConnectionsSending(std::string marker,
                                                  absl::Duration delay) {
  if (delay <= absl::ZeroDuration()) marker.clear();
  absl::MutexLock lock(&mu_);
  config_.marker = std::move(marker);
  config_.marked_delay = config_.marker.empty() ? absl::ZeroDuration() : delay;
  Commit();
}

void FaultProxy::Blackhole() {
  absl::MutexLock lock(&mu_);
  config_.blackhole = true;
  Commit();
}

void FaultProxy::CutAll() {
  absl::MutexLock lock(&mu_);
  ++config_.cut_all_gen;
  Commit();
}

void FaultProxy::CutAfterReplyBytes(int64_t n) {
  absl::MutexLock lock(&mu_);
  ++config_.global_cut_gen;
  config_.global_cut_bytes = std::max<int64_t>(n, 0);
  Commit();
}

void FaultProxy::CutEachConnectionAfterReplyBytes(int64_t n) {
  absl::MutexLock lock(&mu_);
  ++config_.per_conn_cut_gen;
  config_.per_conn_cut_bytes = std::max<int64_t>(n, 0);
  Commit();
}

absl::Status FaultProxy::RefuseConnections() {
  absl::MutexLock lock(&mu_);
  config_.refuse = true;
  if (!Commit()) {
    return absl::DeadlineExceededError(
        "fault proxy: RefuseConnections() timed out");
  }
  return listener_status_;
}

FaultProxy::Stats FaultProxy::GetStats() {
  absl::MutexLock lock(&mu_);
  Commit();
  return stats_;
}

}  // namespace valkey::testing
