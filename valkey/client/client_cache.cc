#include "valkey/client/client_cache.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "valkey/cache/local_cache_inline.h"
#include "valkey/common/errors.h"
#include "valkey/common/process_id.h"
#include "valkey/connection/socket_transport.h"

namespace valkey {
namespace {

// After a failed attempt to open the sink, the next waits this long,
// counted from the failure.
constexpr absl::Duration kReopenBackoff = absl::Seconds(1);
// Health-check interval when ConnectionOptions::health_check_interval is 0.
constexpr absl::Duration kDefaultHealthInterval = absl::Seconds(1);
// Shortest PONG deadline: below it a loaded machine would see false alarms.
constexpr absl::Duration kMinPongDeadline = absl::Milliseconds(100);

// Milliseconds for poll() until `when` (rounded up), -1 for never.
int PollMillis(absl::Time when) {
  if (when == absl::InfiniteFuture()) return -1;
  const absl::Duration d = when - absl::Now();
  if (d <= absl::ZeroDuration()) return 0;
  if (d >= absl::Hours(1)) return 3600 * 1000;
  return static_cast<int>(
      absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1))));
}

}  // namespace

namespace {

// What fork() must pause: a background thread that may hold locks.
class ForkPausable {
 public:
  // Returns once the thread holds no lock and waits.
  virtual void PauseForFork() = 0;
  // Lets it go on (in the parent; the child has no such thread).
  virtual void ResumeAfterFork() = 0;

 protected:
  ~ForkPausable() = default;
};

// Every live core of this process, for the fork() handlers. Process-wide by
// nature (fork is a process-wide event); guarded by a std::mutex, which the
// handlers lock in the parent and release in both processes, as POSIX
// intends for pthread_atfork.
class ForkPause {
 public:
  static ForkPause& Get() {
    static ForkPause* const registry = [] {
      auto* r = new ForkPause;
      ::pthread_atfork(&Prepare, &Parent, &Child);
      return r;
    }();
    return *registry;
  }

  void Add(ForkPausable* core) {
    std::lock_guard<std::mutex> lock(mu_);
    cores_.push_back(core);
  }
  void Remove(ForkPausable* core) {
    std::lock_guard<std::mutex> lock(mu_);
    cores_.erase(std::remove(cores_.begin(), cores_.end(), core), cores_.end());
  }

 private:
  // Runs in the forking thread before the copy: every reader thread parks
  // holding nothing (a drain in progress finishes first).
  static void Prepare() {
    ForkPause& r = Get();
    r.mu_.lock();
    for (ForkPausable* core : r.cores_) core->PauseForFork();
  }
  static void Parent() {
    ForkPause& r = Get();
    for (ForkPausable* core : r.cores_) core->ResumeAfterFork();
    r.mu_.unlock();
  }
  // The child has no reader threads; its caches start over lazily.
  static void Child() {
    ForkPause& r = Get();
    r.cores_.clear();
    r.mu_.unlock();
  }

  std::mutex mu_;
  std::vector<ForkPausable*> cores_;
};

}  // namespace

// One process's cache: store, sink, reader thread. See the header for the
// protocol; the comments here say why the code is shaped the way it is.
class ClientCache::Core final : public ForkPausable {
 public:
  Core(const CacheOptions& options, const Connector& connector,
       const CachePolicy& policy, LocalCache::Clock clock);
  // Closes and joins the reader thread. Owner process only.
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  pid_t pid() const { return pid_; }

  // A hit of `args` that needs no lock but the cache's (see "The hit path"
  // in client_cache.h); empty when there is no entry or the tracking
  // connection is not known to be idle, and then Find() decides. Counts
  // the hit it returns, nothing else.
  LocalCache::Pinned FastHit(absl::Span<const CommandArg> args);
  // `args`: a command the policy accepted.
  Lookup Find(absl::Span<const CommandArg> args);
  void Flush() { cache_.Flush(); }
  LocalCache& store() { return cache_; }
  void Close();
  CacheStats stats() const;
  bool tracking() const;
  absl::Status last_error() const;

  // In a fork()ed child, instead of the destructor: closes the child's
  // copies of the sink's and the wake-up descriptors without locking (the
  // child has none of the threads that used them) and frees nothing, so
  // the parent's pages stay shared.
  void AbandonInChild() ABSL_NO_THREAD_SAFETY_ANALYSIS;

  // ForkPausable (see ForkPause).
  void PauseForFork() override;
  void ResumeAfterFork() override;

 private:
  // Reopens the sink if allowed; true if tracking is up afterwards. May
  // release mu_ around the connect.
  bool OpenLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::unique_ptr<Connection>> OpenSink();
  void DrainLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fails the sink if a PING went unanswered past its deadline.
  void CheckPongLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybePingLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LoseLocked(absl::Status why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // sink_state_: "take the locked path" (before anything that reads,
  // closes or replaces the sink, or sends a PING), and "idle: FastHit may
  // poll this descriptor" (once a drain has left nothing buffered).
  void SlowLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FastLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartReaderLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  void ReaderLoop();
  void ParkIfAsked();
  // Waits until `fd` (if >= 0) is readable, the wake-up descriptor is
  // signalled, or `until`.
  void WaitFor(int fd, absl::Time until);
  void Wake();

  const CacheOptions& options_;
  const Connector& connector_;
  const CachePolicy& policy_;
  const pid_t pid_;
  const absl::Duration interval_;       // Between PINGs.
  const absl::Duration pong_deadline_;  // PING to PONG, at most.
  const absl::Duration drain_bound_;    // To finish a partial push.
  const int wake_fd_;                   // eventfd; -1 if it failed.
  LocalCache cache_;

  mutable absl::Mutex mu_;  // The "sink mutex".
  // 0, or (generation << 32 | sink fd + 1) while the sink is up, idle (no
  // PING outstanding, no drain under way) and holds no bytes in user space.
  // Written under mu_, read by FastHit without it; every write is seq_cst
  // (see FastHit).
  std::atomic<uint64_t> sink_state_{0};
  uint32_t sink_generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::unique_ptr<Connection> sink_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool opening_ ABSL_GUARDED_BY(mu_) = false;  // An attempt is under way.
  absl::Time next_attempt_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool ping_outstanding_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time ping_due_ ABSL_GUARDED_BY(mu_);  // Next PING.
  absl::Time pong_due_ ABSL_GUARDED_BY(mu_);  // Outstanding PING's.
  int64_t connects_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t losses_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  std::thread reader_ ABSL_GUARDED_BY(mu_);

  // Fork pausing. A std::mutex, not an absl::Mutex, on purpose: the point
  // is that the thread parks without touching Abseil's shared state.
  std::mutex pause_mu_;
  std::condition_variable pause_cv_;
  bool reader_running_ = false;  // Guarded by pause_mu_ (as are the next).
  bool pause_requested_ = false;
  bool parked_ = false;
};

ClientCache::Core::Core(const CacheOptions& options, const Connector& connector,
                        const CachePolicy& policy, LocalCache::Clock clock)
    : options_(options),
      connector_(connector),
      policy_(policy),
      pid_(CurrentProcessId()),
      interval_(connector.options().health_check_interval > absl::ZeroDuration()
                    ? connector.options().health_check_interval
                    : kDefaultHealthInterval),
      pong_deadline_(std::min(std::max(interval_, kMinPongDeadline),
                              connector.options().connect_timeout)),
      drain_bound_(std::min(connector.options().socket_timeout,
                            connector.options().connect_timeout)),
      wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      cache_(LocalCache::Options{
          .max_entries = options.max_entries,
          .max_bytes = static_cast<size_t>(options.max_bytes),
          .ttl = options.ttl,
          .eviction = options.eviction,
          .clock = std::move(clock)}) {
  ForkPause::Get().Add(this);
}

ClientCache::Core::~Core() {
  Close();
  ForkPause::Get().Remove(this);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void ClientCache::Core::AbandonInChild() {
  if (sink_ != nullptr) sink_->Disconnect();  // Closes; no shutdown().
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

// Inlined into its one caller, ClientCache::FindHit.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline LocalCache::Pinned
ClientCache::Core::FastHit(absl::Span<const CommandArg> args) {
  LocalCache::Pinned hit = cache_.PinInline(args, /*count=*/false);
  if (!hit) return hit;
  // Holding the cache's mutex: no invalidation can be applied, and the sink
  // cannot be lost (LoseLocked flushes before it closes the descriptor)
  // until `hit` is released.
  const uint64_t state = sink_state_.load(std::memory_order_seq_cst);
  if (state == 0) return LocalCache::Pinned();
  const int fd = static_cast<int>(state & 0xFFFFFFFF) - 1;
  if (internal::MayBeReadableNow(fd)) return LocalCache::Pinned();
  // Unchanged across the poll: no drain began before it emptied the socket
  // (a drain clears the state before it reads).
  if (sink_state_.load(std::memory_order_seq_cst) != state) {
    return LocalCache::Pinned();
  }
  hit.CountHit();
  return hit;
}

ClientCache::Lookup ClientCache::Core::Find(absl::Span<const CommandArg> args) {
  Lookup out;
  out.cacheable = true;
  absl::MutexLock lock(&mu_);
  if (closed_) return out;
  if (sink_ != nullptr) {
    // Usually nothing is pending: the check alone, without a call.
    if (sink_->broken() || sink_->HasPendingData()) DrainLocked();
    // The reader thread would notice a missed PONG too; checking here as
    // well keeps the staleness bound when that thread is slow to run. (The
    // clock is read only when a PING is outstanding: a hit needs no time.)
    if (sink_ != nullptr && ping_outstanding_) CheckPongLocked(absl::Now());
  }
  if (sink_ == nullptr && !OpenLocked()) return out;
  // Still under mu_: losing the sink (which flushes and poisons) is ordered
  // either before this lookup (then there is no sink and we bypass) or
  // after the fill is registered (then it poisons it).
  out.hit = cache_.Pin(args);  // Looked up without building the key.
  if (!out.hit) {
    LocalCache::KeyBuffer buffer;
    out.fill = Fill(&cache_, cache_.BeginFill(LocalCache::MakeKey(args, buffer),
                                              policy_.KeysOfCacheable(args)));
  }
  return out;
}

bool ClientCache::Core::OpenLocked() {
  // One attempt at a time; while it runs (or while the backoff after a
  // failure lasts) commands bypass the cache instead of waiting for it.
  if (opening_ || absl::Now() < next_attempt_) return false;
  opening_ = true;
  ++connects_;
  mu_.Unlock();
  // No fill can be open and the cache is empty (flushed when the last sink
  // was lost, or never filled), so nothing needs the lock meanwhile.
  absl::StatusOr<std::unique_ptr<Connection>> conn = OpenSink();
  mu_.Lock();
  opening_ = false;
  if (!conn.ok()) {
    last_error_ = conn.status();
    next_attempt_ = absl::Now() + kReopenBackoff;  // From the failure.
    return false;
  }
  if (closed_) return false;  // `conn` closes as it goes.
  sink_ = *std::move(conn);
  last_error_ = absl::OkStatus();
  next_attempt_ = absl::InfinitePast();
  ping_outstanding_ = false;
  ping_due_ = absl::Now() + interval_;
  StartReaderLocked();
  Wake();         // The reader waits on the new socket from now on.
  DrainLocked();  // Anything that arrived during the handshake.
  return sink_ != nullptr;
}

absl::StatusOr<std::unique_ptr<Connection>> ClientCache::Core::OpenSink() {
  absl::StatusOr<std::unique_ptr<Connection>> conn = connector_.Connect();
  if (!conn.ok()) return conn.status();
  if ((*conn)->protocol() != 3) {
    return InvalidArgumentError(
        "client-side cache: the server did not accept RESP3");
  }
  // Tracking starts with the reply below, so no push can come before it;
  // the handler only guards against a server that thinks otherwise.
  (*conn)->set_push_handler([this](Reply push) {
    CachePolicy::ApplyInvalidation(push.view(), cache_);
  });
  std::vector<std::string> argv = {"CLIENT", "TRACKING", "ON", "BCAST"};
  for (const std::string& p : policy_.bcast_prefixes()) {
    argv.push_back("PREFIX");
    argv.push_back(p);
  }
  std::vector<absl::string_view> views(argv.begin(), argv.end());
  absl::StatusOr<Reply> on = (*conn)->ExecuteArgv(views);
  if (!on.ok()) return on.status();
  return conn;
}

void ClientCache::Core::DrainLocked() {
  SlowLocked();  // Before the first read (see FastHit).
  while (!sink_->broken() && sink_->HasPendingData()) {
    absl::StatusOr<Reply> msg = sink_->ReadAny(absl::Now() + drain_bound_);
    if (!msg.ok()) break;  // ReadAny marked it broken.
    if (msg->is_push()) {
      CachePolicy::ApplyInvalidation(msg->view(), cache_);
      continue;
    }
    // The sink sends only PINGs: anything but their PONG is out of step.
    if (ping_outstanding_ && msg->type() == ReplyType::kSimpleString &&
        msg->str() == "PONG") {
      ping_outstanding_ = false;
      ping_due_ = absl::Now() + interval_;
      continue;
    }
    sink_->Disconnect();
    LoseLocked(ProtocolError(absl::StrCat(
        "client-side cache: unexpected reply on the tracking connection to ",
        sink_->address(), ": ", msg->DebugString())));
    return;
  }
  if (sink_->broken()) {
    LoseLocked(ConnectionError(
        absl::StrCat("client-side cache: the tracking connection to ",
                     sink_->address(), " was lost")));
    return;
  }
  // Nothing buffered in user space now (the loop ends only when
  // HasPendingData() says so), so a poll of the descriptor sees whatever
  // arrives next.
  if (!ping_outstanding_) FastLocked();
}

void ClientCache::Core::CheckPongLocked(absl::Time now) {
  if (!ping_outstanding_ || now < pong_due_) return;
  SlowLocked();  // Before the descriptor is closed.
  const std::string address = sink_->address();
  sink_->Disconnect();
  LoseLocked(TimeoutError(absl::StrCat(
      "client-side cache: the tracking connection to ", address,
      " did not answer PING within ", absl::FormatDuration(pong_deadline_))));
}

void ClientCache::Core::MaybePingLocked(absl::Time now) {
  if (ping_outstanding_ || now < ping_due_) return;
  // Hits take the locked path until the PONG, which checks its deadline.
  SlowLocked();
  if (absl::Status sent = sink_->SendCommand("PING"); !sent.ok()) {
    LoseLocked(std::move(sent));
    return;
  }
  ping_outstanding_ = true;
  pong_due_ = now + pong_deadline_;
}

void ClientCache::Core::LoseLocked(absl::Status why) {
  SlowLocked();
  ++losses_;
  last_error_ = std::move(why);
  ping_outstanding_ = false;
  // Invalidations may have been lost: nothing is trusted. Flushed before
  // the descriptor is closed, so that a FastHit holding the cache's mutex
  // never polls a number already reused for another file.
  cache_.Flush();
  sink_.reset();
  Wake();  // The reader stops waiting on the closed socket.
}

void ClientCache::Core::SlowLocked() {
  sink_state_.store(0, std::memory_order_seq_cst);
}

void ClientCache::Core::FastLocked() {
  const int fd = sink_ != nullptr ? sink_->fd() : -1;
  if (fd < 0 || closed_) {
    SlowLocked();
    return;
  }
  // A new generation each time: a FastHit that saw an older state (before
  // a drain, say) finds it changed.
  ++sink_generation_;
  sink_state_.store(uint64_t{sink_generation_} << 32 |
                        static_cast<uint32_t>(fd + 1),
                    std::memory_order_seq_cst);
}

void ClientCache::Core::StartReaderLocked() {
  if (reader_.joinable() || wake_fd_ < 0) return;
  {
    std::lock_guard<std::mutex> lock(pause_mu_);
    reader_running_ = true;
  }
  reader_ = std::thread([this] { ReaderLoop(); });
}

void ClientCache::Core::Close() {
  std::unique_ptr<Connection> sink;
  std::thread reader;
  {
    absl::MutexLock lock(&mu_);
    SlowLocked();
    closed_ = true;
    sink = std::move(sink_);
    reader = std::move(reader_);
  }
  Wake();
  if (reader.joinable()) reader.join();
  // `sink` closes here, outside the lock.
}

CacheStats ClientCache::Core::stats() const {
  CacheStats s = cache_.stats();
  absl::MutexLock lock(&mu_);
  s.tracking_connects = connects_;
  s.tracking_losses = losses_;
  return s;
}

bool ClientCache::Core::tracking() const {
  absl::MutexLock lock(&mu_);
  return sink_ != nullptr && !sink_->broken();
}

absl::Status ClientCache::Core::last_error() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

void ClientCache::Core::ReaderLoop() {
  for (;;) {
    ParkIfAsked();
    // Consume any wake-up (EAGAIN: none); the state is re-read below.
    uint64_t n;
    [[maybe_unused]] ssize_t r = ::read(wake_fd_, &n, sizeof n);
    int fd = -1;
    absl::Time until = absl::InfiniteFuture();
    {
      absl::MutexLock lock(&mu_);
      if (closed_) break;
      if (sink_ != nullptr) {
        const absl::Time now = absl::Now();
        DrainLocked();
        if (sink_ != nullptr) CheckPongLocked(now);
        if (sink_ != nullptr) MaybePingLocked(now);
        if (sink_ != nullptr) {
          fd = sink_->fd();
          until = ping_outstanding_ ? pong_due_ : ping_due_;
        }
      }
    }
    // Waiting on `fd` outside the lock is safe even if another thread
    // closes the sink meanwhile: every change of sink_ signals wake_fd_
    // after it, and the descriptor number is only ever re-read above.
    WaitFor(fd, until);
  }
  std::lock_guard<std::mutex> lock(pause_mu_);
  reader_running_ = false;
  pause_cv_.notify_all();
}

void ClientCache::Core::WaitFor(int fd, absl::Time until) {
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {fd, POLLIN, 0}};
  const nfds_t n = fd >= 0 ? 2 : 1;
  while (::poll(fds, n, PollMillis(until)) < 0 && errno == EINTR) {
  }
}

void ClientCache::Core::Wake() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  // A full counter (impossible here) still leaves it readable.
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void ClientCache::Core::ParkIfAsked() {
  std::unique_lock<std::mutex> lock(pause_mu_);
  if (!pause_requested_) return;
  parked_ = true;
  pause_cv_.notify_all();
  pause_cv_.wait(lock, [this] { return !pause_requested_; });
  parked_ = false;
}

void ClientCache::Core::PauseForFork() {
  std::unique_lock<std::mutex> lock(pause_mu_);
  if (!reader_running_) return;
  pause_requested_ = true;
  Wake();
  pause_cv_.wait(lock, [this] { return parked_ || !reader_running_; });
}

void ClientCache::Core::ResumeAfterFork() {
  std::lock_guard<std::mutex> lock(pause_mu_);
  pause_requested_ = false;
  pause_cv_.notify_all();
}

// --------------------------------------------------------------- ClientCache

ClientCache::Fill& ClientCache::Fill::operator=(Fill&& other) noexcept {
  if (this != &other) {
    Cancel();
    cache_ = std::exchange(other.cache_, nullptr);
    ticket_ = std::exchange(other.ticket_, 0);
  }
  return *this;
}

void ClientCache::Fill::CancelFill() {
  cache_->CancelFill(ticket_);
  cache_ = nullptr;
}

absl::StatusOr<std::unique_ptr<ClientCache>> ClientCache::Create(
    const CacheOptions& options, const ConnectionOptions& connection,
    LocalCache::Clock clock) {
  if (absl::Status s = CachePolicy::Validate(options, connection); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::shared_ptr<const Connector>> connector =
      Connector::Create(connection);
  if (!connector.ok()) return connector.status();
  return std::unique_ptr<ClientCache>(
      new ClientCache(options, *std::move(connector), std::move(clock)));
}

ClientCache::ClientCache(const CacheOptions& options,
                         std::shared_ptr<const Connector> connector,
                         LocalCache::Clock clock)
    : options_(options),
      connector_(std::move(connector)),
      policy_(options),
      clock_(std::move(clock)),
      core_(new Core(options_, *connector_, policy_, clock_)) {}

ClientCache::~ClientCache() {
  Core* core = core_.load(std::memory_order_acquire);
  if (core->pid() == CurrentProcessId()) {
    delete core;  // Closes and joins.
  } else {
    core->AbandonInChild();  // Never used here: the parent's.
  }
}

ClientCache::Core* ClientCache::CurrentCore() {
  Core* core = core_.load(std::memory_order_acquire);
  if (ABSL_PREDICT_TRUE(core->pid() == CurrentProcessId())) return core;
  return CoreForChild(core);
}

ABSL_ATTRIBUTE_NOINLINE ClientCache::Core* ClientCache::CoreForChild(
    Core* core) {
  const pid_t pid = CurrentProcessId();
  while (core->pid() != pid) {
    // A fork()ed child. The parent's core has a sink on the parent's
    // socket, no reader thread here, and mutexes that threads which did not
    // survive the fork may hold: start over, leaving it untouched.
    auto fresh = std::make_unique<Core>(options_, *connector_, policy_, clock_);
    if (core_.compare_exchange_strong(core, fresh.get(),
                                      std::memory_order_acq_rel)) {
      core->AbandonInChild();
      core = fresh.release();
    }
    // Else another thread of the child swapped first; `core` is its core.
  }
  return core;
}

const ClientCache::Core* ClientCache::OwnCore() const {
  const Core* core = core_.load(std::memory_order_acquire);
  return core->pid() == CurrentProcessId() ? core : nullptr;
}

std::optional<std::vector<std::string>> ClientCache::KeysOf(
    absl::string_view upper_name, absl::Span<const CommandArg> args) {
  return CachePolicy::KeysOf(upper_name, args);
}

ClientCache::Lookup ClientCache::Find(absl::Span<const CommandArg> args) {
  Lookup out;
  out.hit = FindHit(args);
  if (out.hit) {
    out.cacheable = true;
    return out;
  }
  out = FindMissed(args);
  return out;
}

// Flattened: the whole hit (the fork check, the store's look-up, the sink
// check) in one frame.
__attribute__((flatten)) LocalCache::Pinned ClientCache::FindHit(
    absl::Span<const CommandArg> args) {
  // An entry exists only for a command the policy accepted (see "The hit
  // path"): a hit needs no policy check.
  return CurrentCore()->FastHit(args);
}

ClientCache::Lookup ClientCache::FindMissed(absl::Span<const CommandArg> args) {
  if (!policy_.Cacheable(args)) return Lookup();
  return CurrentCore()->Find(args);
}

void ClientCache::Store(Fill fill, const Reply& reply) {
  if (!fill) return;
  if (reply.is_error() || reply.is_push()) return;  // ~Fill cancels.
  LocalCache* cache = std::exchange(fill.cache_, nullptr);
  cache->EndFill(fill.ticket_, reply.Clone());
}

std::optional<CachePolicy::OwnWrite> ClientCache::BeforeOwnWrite(
    absl::Span<const CommandArg> args) {
  return CachePolicy::InvalidateOwnWrite(args, CurrentCore()->store());
}

void ClientCache::AfterOwnWrite(const CachePolicy::OwnWrite& write) {
  write.InvalidateIn(CurrentCore()->store());
}

void ClientCache::Flush() { CurrentCore()->Flush(); }

void ClientCache::Close() { CurrentCore()->Close(); }

CacheStats ClientCache::stats() const {
  const Core* core = OwnCore();
  return core != nullptr ? core->stats() : CacheStats();
}

bool ClientCache::tracking() const {
  const Core* core = OwnCore();
  return core != nullptr && core->tracking();
}

absl::Status ClientCache::last_tracking_error() const {
  const Core* core = OwnCore();
  return core != nullptr ? core->last_error() : absl::OkStatus();
}

}  // namespace valkey
