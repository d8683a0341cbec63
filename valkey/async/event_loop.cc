#include "valkey/async/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "valkey/common/errors.h"
#include "valkey/common/process_id.h"

namespace valkey::async {
namespace {

uint32_t ToEpoll(uint32_t events) {
  uint32_t e = 0;
  if (events & EventLoop::kReadable) e |= EPOLLIN | EPOLLRDHUP;
  if (events & EventLoop::kWritable) e |= EPOLLOUT;
  return e;
}

uint32_t FromEpoll(uint32_t e) {
  uint32_t events = 0;
  if (e & (EPOLLIN | EPOLLRDHUP)) events |= EventLoop::kReadable;
  if (e & EPOLLOUT) events |= EventLoop::kWritable;
  if (e & (EPOLLERR | EPOLLHUP)) events |= EventLoop::kError;
  return events;
}

// Milliseconds for epoll_wait, rounded up so a timer is never woken early.
int WaitMillis(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return 0;
  // Finite waits are capped (epoll's -1 would ignore a far-off deadline).
  if (d >= absl::Hours(24)) return 24 * 3600 * 1000;
  return static_cast<int>(
      absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1))));
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create() {
  const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return ErrnoError(errno, "event loop: epoll_create1");
  const int wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    const int error = errno;
    ::close(epoll_fd);
    return ErrnoError(error, "event loop: eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // nullptr marks the wake-up descriptor.
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev) < 0) {
    const int error = errno;
    ::close(wake_fd);
    ::close(epoll_fd);
    return ErrnoError(error, "event loop: watch eventfd");
  }
  return std::unique_ptr<EventLoop>(new EventLoop(epoll_fd, wake_fd));
}

EventLoop::EventLoop(int epoll_fd, int wake_fd)
    : epoll_fd_(epoll_fd), wake_fd_(wake_fd), owner_pid_(CurrentProcessId()) {}

bool EventLoop::InOwnerProcess() const {
  return CurrentProcessId() == owner_pid_;
}

absl::Status EventLoop::CheckOwnerProcess() const {
  if (InOwnerProcess()) return absl::OkStatus();
  return MakeError(
      absl::StatusCode::kFailedPrecondition, ErrorKind::kNone,
      absl::StrCat("event loop used in a forked child process (process ",
                   CurrentProcessId(), "; the loop belongs to process ",
                   owner_pid_,
                   "): its epoll instance, sockets and thread are the "
                   "parent's. Create a new EventLoop, connections and "
                   "clients in the child"));
}

EventLoop::~EventLoop() {
  // Destroy pending callbacks while the loop is still whole: one may own a
  // Promise whose abandonment resumes a coroutine that posts or sets a timer
  // (which is then destroyed in the next round, never run).
  for (int round = 0; round < 100; ++round) {
    std::map<TimerKey, Callback> timers;
    std::vector<Callback> deferred;
    std::vector<Callback> posted;
    timers.swap(timers_);
    timer_index_.clear();
    deferred.swap(deferred_);
    {
      absl::MutexLock lock(&posted_mu_);
      posted.swap(posted_);
    }
    if (timers.empty() && deferred.empty() && posted.empty()) break;
  }
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

absl::Status EventLoop::Watch(int fd, uint32_t events, FdHandler handler) {
  if (!InOwnerProcess()) return CheckOwnerProcess();
  if (watchers_.contains(fd)) {
    return InvalidArgumentError(
        absl::StrCat("event loop: descriptor ", fd, " is already watched"));
  }
  auto watcher = std::make_unique<Watcher>();
  watcher->fd = fd;
  watcher->handler = std::move(handler);
  epoll_event ev{};
  ev.events = ToEpoll(events);
  ev.data.ptr = watcher.get();
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
    return ErrnoError(errno, absl::StrCat("event loop: watch descriptor ", fd));
  }
  watchers_[fd] = std::move(watcher);
  return absl::OkStatus();
}

absl::Status EventLoop::Modify(int fd, uint32_t events) {
  if (!InOwnerProcess()) return CheckOwnerProcess();
  auto it = watchers_.find(fd);
  if (it == watchers_.end()) {
    return InvalidArgumentError(
        absl::StrCat("event loop: descriptor ", fd, " is not watched"));
  }
  epoll_event ev{};
  ev.events = ToEpoll(events);
  ev.data.ptr = it->second.get();
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) < 0) {
    return ErrnoError(errno,
                      absl::StrCat("event loop: modify descriptor ", fd));
  }
  return absl::OkStatus();
}

void EventLoop::Unwatch(int fd) {
  // The epoll instance is shared with the parent: EPOLL_CTL_DEL here would
  // unregister the parent's descriptor.
  if (!InOwnerProcess()) return;
  auto it = watchers_.find(fd);
  if (it == watchers_.end()) return;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  // Events for it may already sit in this turn's batch: keep the watcher
  // alive (and marked) until the turn ends.
  it->second->dead = true;
  graveyard_.push_back(std::move(it->second));
  watchers_.erase(it);
}

EventLoop::TimerId EventLoop::RunAt(absl::Time when, Callback fn) {
  if (!InOwnerProcess()) return 0;  // Never a timer's id; `fn` is dropped.
  const TimerId id = next_timer_++;
  timers_.emplace(TimerKey(when, id), std::move(fn));
  timer_index_.emplace(id, when);
  return id;
}

bool EventLoop::Cancel(TimerId id) {
  if (!InOwnerProcess()) return false;
  auto it = timer_index_.find(id);
  if (it == timer_index_.end()) return false;
  timers_.erase(TimerKey(it->second, id));
  timer_index_.erase(it);
  return true;
}

void EventLoop::Defer(Callback fn) {
  if (!InOwnerProcess()) return;
  deferred_.push_back(std::move(fn));
}

void EventLoop::Post(Callback fn) {
  if (!InOwnerProcess()) return;  // No thread of the child would run it.
  {
    absl::MutexLock lock(&posted_mu_);
    posted_.push_back(std::move(fn));
  }
  Wake();
}

void EventLoop::Wake() {
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  const uint64_t one = 1;
  // A full counter (impossible here) or EAGAIN still leaves it readable.
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
}

void EventLoop::Stop() {
  stop_.store(true, std::memory_order_release);
  Wake();
}

void EventLoop::Run() {
  RunUntil([] { return false; });
}

bool EventLoop::RunUntil(absl::FunctionRef<bool()> done, absl::Time deadline) {
  // A turn in a child would wait on the parent's epoll instance and take
  // the parent's events.
  if (!InOwnerProcess()) return done();
  const std::thread::id previous =
      running_thread_.exchange(std::this_thread::get_id());
  bool result = done();
  while (!result && !stop_.load(std::memory_order_acquire)) {
    const absl::Time now = absl::Now();
    if (now >= deadline) break;
    Turn(deadline - now);
    result = done();
  }
  stop_.store(false, std::memory_order_release);
  running_thread_.store(previous, std::memory_order_release);
  return result;
}

void EventLoop::RunOnce(absl::Duration timeout) {
  if (!InOwnerProcess()) return;
  const std::thread::id previous =
      running_thread_.exchange(std::this_thread::get_id());
  Turn(timeout);
  stop_.store(false, std::memory_order_release);
  running_thread_.store(previous, std::memory_order_release);
}

void EventLoop::Turn(absl::Duration max_wait) {
  absl::Duration wait = max_wait;
  bool posted_waiting;
  {
    absl::MutexLock lock(&posted_mu_);
    posted_waiting = !posted_.empty();
  }
  if (posted_waiting || !deferred_.empty()) {
    wait = absl::ZeroDuration();
  } else if (!timers_.empty()) {
    wait = std::min(wait, timers_.begin()->first.first - absl::Now());
  }

  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  int n;
  do {
    n = ::epoll_wait(epoll_fd_, events, kMaxEvents, WaitMillis(wait));
  } while (n < 0 && errno == EINTR);
  for (int i = 0; i < n; ++i) {
    auto* watcher = static_cast<Watcher*>(events[i].data.ptr);
    if (watcher == nullptr) {
      uint64_t count;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_, &count, sizeof(count));
      wake_pending_.store(false, std::memory_order_release);
      continue;
    }
    if (watcher->dead) continue;
    watcher->handler(FromEpoll(events[i].events));
  }
  RunPosted();
  RunTimers();
  RunDeferred();
  graveyard_.clear();
}

void EventLoop::RunPosted() {
  {
    absl::MutexLock lock(&posted_mu_);
    if (posted_.empty()) return;
    posted_running_.swap(posted_);
  }
  for (Callback& fn : posted_running_) fn();
  posted_running_.clear();
}

void EventLoop::RunTimers() {
  const absl::Time now = absl::Now();
  // Only timers due now: one added by a timer for "now" runs next turn, so
  // a timer that re-arms itself cannot starve the loop.
  const TimerId last_id = next_timer_;
  while (!timers_.empty()) {
    auto it = timers_.begin();
    if (it->first.first > now || it->first.second >= last_id) break;
    Callback fn = std::move(it->second);
    timer_index_.erase(it->first.second);
    timers_.erase(it);
    fn();
  }
}

void EventLoop::RunDeferred() {
  // Deferred callbacks may defer more; run until quiet.
  while (!deferred_.empty()) {
    deferred_running_.swap(deferred_);
    for (Callback& fn : deferred_running_) fn();
    deferred_running_.clear();
  }
}

absl::StatusOr<std::unique_ptr<EventLoopThread>> EventLoopThread::Start() {
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) return loop.status();
  return std::unique_ptr<EventLoopThread>(
      new EventLoopThread(*std::move(loop)));
}

EventLoopThread::EventLoopThread(std::unique_ptr<EventLoop> loop)
    : loop_(std::move(loop)) {
  absl::Notification started;
  thread_ = std::thread([this, &started] {
    loop_->Post([&started] { started.Notify(); });
    loop_->Run();
  });
  // Until the loop runs, InLoopThread() is false everywhere; wait so that
  // callers see a running loop.
  started.WaitForNotification();
}

EventLoopThread::~EventLoopThread() {
  if (!loop_->InOwnerProcess()) {
    // A fork()ed child has no copy of the loop's thread: joining would wait
    // forever. Let the handle go; the loop (destroyed next) runs nothing.
    thread_.detach();
    return;
  }
  loop_->Stop();
  thread_.join();
  // Run what was posted while stopping (it may release resources).
  loop_->RunOnce(absl::ZeroDuration());
}

}  // namespace valkey::async
