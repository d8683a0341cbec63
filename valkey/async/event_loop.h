// EventLoop: the async layer's only I/O engine — epoll readiness callbacks,
// timers, a thread-safe Post, and "end of turn" callbacks.
//
//   auto loop = *valkey::async::EventLoop::Create();
//   loop->Post([] { ... });                        // from any thread
//   loop->RunAfter(absl::Milliseconds(5), [] { ... });
//   loop->Run();                                   // until Stop()
//
// Or on a thread the loop owns:
//
//   auto thread = *valkey::async::EventLoopThread::Start();
//   thread->loop().Post([] { ... });               // runs on that thread
//
// One turn of the loop: wait in epoll (for at most the time to the next
// timer; not at all when posts or deferred callbacks are waiting), call the
// handlers of ready descriptors, run posted callbacks, run due timers, then
// run deferred callbacks until none are left. Deferred callbacks are how
// the async connection writes every command issued during a turn with one
// syscall (auto-pipelining).
//
// Thread-safety: Post, Stop and InLoopThread may be called from any thread.
// Everything else (Watch, Modify, Unwatch, RunAt, RunAfter, Cancel, Defer)
// belongs to the loop's thread: the thread inside Run/RunUntil/RunOnce, or,
// while no thread runs the loop, its owner (set-up before Run). Handlers,
// timers and posted callbacks always run on the loop's thread. Timers due
// at the same time run in the order they were added; posts run in the order
// they were posted.
//
// The loop must outlive everything registered with it (connections, clients).
// Callbacks still pending when it is destroyed are destroyed, not run.
//
// Fork: a loop belongs to the process that created it. In a fork()ed child
// its epoll instance is still shared with the parent and its thread does not
// exist, so there every call refuses: Watch and Modify return
// FAILED_PRECONDITION (CheckOwnerProcess()); Unwatch, Post, Defer and RunAt
// do nothing (RunAt returns 0, never a timer's id; the callback is
// destroyed, not run); Cancel returns false; Run, RunUntil and RunOnce
// return at once without a turn. Destroying the loop or its
// EventLoopThread in the child only releases the child's copies. A child
// that wants async I/O creates its own loop, connections and clients.

#ifndef VALKEY_ASYNC_EVENT_LOOP_H_
#define VALKEY_ASYNC_EVENT_LOOP_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace valkey::async {

class EventLoop {
 public:
  // Readiness bits passed to a descriptor's handler.
  static constexpr uint32_t kReadable = 1u << 0;
  static constexpr uint32_t kWritable = 1u << 1;
  // Error or hang-up; the next read or write says which.
  static constexpr uint32_t kError = 1u << 2;

  using FdHandler = absl::AnyInvocable<void(uint32_t events)>;
  using Callback = absl::AnyInvocable<void()>;
  using TimerId = uint64_t;

  // Errors: UNAVAILABLE when epoll or eventfd cannot be created.
  static absl::StatusOr<std::unique_ptr<EventLoop>> Create();

  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Calls `handler` whenever `fd` is ready for `events` (kReadable and/or
  // kWritable; errors are always reported). Level-triggered. The loop does
  // not own `fd`: Unwatch it before closing it.
  // Errors: INVALID_ARGUMENT if fd is already watched; UNAVAILABLE from
  // epoll_ctl.
  absl::Status Watch(int fd, uint32_t events, FdHandler handler);
  // Changes the events `fd` is watched for.
  absl::Status Modify(int fd, uint32_t events);
  // Stops watching `fd`. Its handler is not called again, even for events
  // already collected in this turn. Safe from inside that handler.
  void Unwatch(int fd);

  // Runs `fn` at `when` (or in the next turn if that has passed).
  TimerId RunAt(absl::Time when, Callback fn);
  TimerId RunAfter(absl::Duration delay, Callback fn) {
    return RunAt(absl::Now() + delay, std::move(fn));
  }
  // Cancels a timer that has not run yet; returns whether it was pending.
  bool Cancel(TimerId id);

  // Runs `fn` at the end of the current turn, after all handlers, posts and
  // timers of the turn (loop thread only). If called outside a turn, `fn`
  // runs at the end of the next one.
  void Defer(Callback fn);

  // Queues `fn` to run on the loop's thread in its next turn and wakes the
  // loop. Any thread.
  void Post(Callback fn);

  // Makes Run return after the current turn (RunUntil and RunOnce return
  // too). Any thread; also from inside a callback. A Stop() while no thread
  // runs the loop makes the next Run/RunUntil return at once.
  void Stop();

  // Runs turns until Stop().
  void Run();
  // Runs turns until `done()` returns true (checked after every turn) or
  // `deadline` passes or Stop() is called. Returns done().
  bool RunUntil(absl::FunctionRef<bool()> done,
                absl::Time deadline = absl::InfiniteFuture());
  // Runs one turn, waiting at most `timeout` for something to happen.
  void RunOnce(absl::Duration timeout);

  // True on the thread currently running the loop.
  bool InLoopThread() const {
    return running_thread_.load(std::memory_order_acquire) ==
           std::this_thread::get_id();
  }

  // OK in the process that created the loop; FAILED_PRECONDITION ("... used
  // in a forked child process ...") in a fork()ed child. Cheap (no system
  // call): the async connection and client check it per command.
  absl::Status CheckOwnerProcess() const;
  bool InOwnerProcess() const;

  // Number of descriptors watched and timers pending (for tests).
  size_t watched() const { return watchers_.size(); }
  size_t timers() const { return timers_.size(); }

 private:
  struct Watcher {
    int fd;
    FdHandler handler;
    bool dead = false;
  };
  using TimerKey = std::pair<absl::Time, TimerId>;

  EventLoop(int epoll_fd, int wake_fd);
  void Turn(absl::Duration max_wait);
  void Wake();
  void RunPosted();
  void RunTimers();
  void RunDeferred();

  const int epoll_fd_;
  const int wake_fd_;
  const pid_t owner_pid_;
  std::atomic<std::thread::id> running_thread_{};
  std::atomic<bool> stop_{false};

  absl::flat_hash_map<int, std::unique_ptr<Watcher>> watchers_;
  std::vector<std::unique_ptr<Watcher>> graveyard_;  // Freed after a turn.

  std::map<TimerKey, Callback> timers_;
  absl::flat_hash_map<TimerId, absl::Time> timer_index_;
  TimerId next_timer_ = 1;

  std::vector<Callback> deferred_;
  std::vector<Callback> deferred_running_;

  absl::Mutex posted_mu_;
  std::vector<Callback> posted_ ABSL_GUARDED_BY(posted_mu_);
  std::vector<Callback> posted_running_;
  std::atomic<bool> wake_pending_{false};
};

// An EventLoop running on a thread of its own until destroyed.
class EventLoopThread {
 public:
  static absl::StatusOr<std::unique_ptr<EventLoopThread>> Start();
  // Stops the loop and joins the thread.
  ~EventLoopThread();

  EventLoop& loop() { return *loop_; }

 private:
  explicit EventLoopThread(std::unique_ptr<EventLoop> loop);

  std::unique_ptr<EventLoop> loop_;
  std::thread thread_;
};

}  // namespace valkey::async

#endif  // VALKEY_ASYNC_EVENT_LOOP_H_
