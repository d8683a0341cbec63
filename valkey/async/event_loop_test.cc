#include "valkey/async/event_loop.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace valkey::async {
namespace {

// Generous bound for waits that should finish almost at once; only there so
// that a broken loop fails the test instead of hanging it.
constexpr absl::Duration kLongWait = absl::Seconds(5);

std::unique_ptr<EventLoop> NewLoop() {
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  EXPECT_TRUE(loop.ok()) << loop.status();
  return *std::move(loop);
}

// An eventfd closed on destruction. Readable while its counter is non-zero,
// writable while it is below the maximum (so, almost always).
class EventFd {
 public:
  EventFd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    EXPECT_GE(fd_, 0);
  }
  ~EventFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  EventFd(const EventFd&) = delete;
  EventFd& operator=(const EventFd&) = delete;

  int fd() const { return fd_; }
  void Signal() {
    const uint64_t one = 1;
    ASSERT_EQ(::write(fd_, &one, sizeof(one)),
              static_cast<ssize_t>(sizeof(one)));
  }
  void Drain() {
    uint64_t count;
    [[maybe_unused]] ssize_t n = ::read(fd_, &count, sizeof(count));
  }

 private:
  const int fd_;
};

TEST(EventLoopTest, TimersRunInTimeOrder) {
  auto loop = NewLoop();
  std::vector<int> order;
  const absl::Time base = absl::Now();
  loop->RunAt(base + absl::Milliseconds(30), [&] { order.push_back(3); });
  loop->RunAt(base + absl::Milliseconds(10), [&] { order.push_back(1); });
  loop->RunAt(base + absl::Milliseconds(20), [&] { order.push_back(2); });
  loop->RunAt(base - absl::Milliseconds(10), [&] { order.push_back(0); });
  EXPECT_EQ(loop->timers(), 4u);

  EXPECT_TRUE(loop->RunUntil([&] { return order.size() == 4; },
                             absl::Now() + kLongWait));
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(loop->timers(), 0u);
}

TEST(EventLoopTest, SameTimeTimersRunInInsertionOrder) {
  auto loop = NewLoop();
  std::vector<int> order;
  const absl::Time when = absl::Now() + absl::Milliseconds(5);
  for (int i = 0; i < 100; ++i) {
    loop->RunAt(when, [&order, i] { order.push_back(i); });
  }
  // A timer in the past is still due before all of them.
  loop->RunAt(absl::InfinitePast(), [&] { order.push_back(-1); });

  EXPECT_TRUE(loop->RunUntil([&] { return order.size() == 101; },
                             absl::Now() + kLongWait));
  ASSERT_EQ(order.size(), 101u);
  EXPECT_EQ(order[0], -1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i + 1], i);
}

TEST(EventLoopTest, CancelPreventsTimerFromRunning) {
  auto loop = NewLoop();
  bool cancelled_ran = false;
  bool other_ran = false;
  const EventLoop::TimerId cancelled =
      loop->RunAfter(absl::ZeroDuration(), [&] { cancelled_ran = true; });
  loop->RunAfter(absl::Milliseconds(1), [&] { other_ran = true; });

  EXPECT_TRUE(loop->Cancel(cancelled));
  EXPECT_EQ(loop->timers(), 1u);
  EXPECT_TRUE(
      loop->RunUntil([&] { return other_ran; }, absl::Now() + kLongWait));
  EXPECT_FALSE(cancelled_ran);
  // Cancelling twice: no longer pending.
  EXPECT_FALSE(loop->Cancel(cancelled));
}

TEST(EventLoopTest, CancelReturnsFalseForTimerThatAlreadyRan) {
  auto loop = NewLoop();
  int runs = 0;
  const EventLoop::TimerId id =
      loop->RunAfter(absl::ZeroDuration(), [&] { ++runs; });
  EXPECT_TRUE(
      loop->RunUntil([&] { return runs > 0; }, absl::Now() + kLongWait));

  EXPECT_FALSE(loop->Cancel(id));
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(loop->Cancel(id + 1000));  // Never existed.
}

TEST(EventLoopTest, CancelInsideOwnTimerReturnsFalse) {
  auto loop = NewLoop();
  EventLoop::TimerId id = 0;
  bool ran = false;
  bool cancel_result = true;
  id = loop->RunAfter(absl::ZeroDuration(), [&] {
    ran = true;
    cancel_result = loop->Cancel(id);
  });
  EXPECT_TRUE(loop->RunUntil([&] { return ran; }, absl::Now() + kLongWait));
  EXPECT_FALSE(cancel_result);
}

TEST(EventLoopTest, RunAfterFiresNoEarlierThanRequested) {
  auto loop = NewLoop();
  for (absl::Duration delay :
       {absl::Milliseconds(1), absl::Microseconds(1500), absl::Milliseconds(20),
        absl::Milliseconds(50)}) {
    const absl::Time start = absl::Now();
    absl::Time fired = absl::InfinitePast();
    loop->RunAfter(delay, [&] { fired = absl::Now(); });
    EXPECT_TRUE(loop->RunUntil([&] { return fired != absl::InfinitePast(); },
                               start + kLongWait));
    EXPECT_GE(fired - start, delay);
  }
}

TEST(EventLoopTest, PostsFromManyThreadsRunOnLoopThreadInPerThreadOrder) {
  constexpr int kThreads = 4;
  constexpr int kPostsPerThread = 1000;
  auto loop = NewLoop();

  // Touched only on the loop thread (this one, inside RunUntil).
  std::vector<int> next_expected(kThreads, 0);
  int total = 0;
  int off_loop_thread = 0;
  int out_of_order = 0;
  const std::thread::id loop_thread = std::this_thread::get_id();

  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPostsPerThread; ++i) {
        loop->Post([&, t, i] {
          if (!loop->InLoopThread() ||
              std::this_thread::get_id() != loop_thread) {
            ++off_loop_thread;
          }
          if (next_expected[t] != i) ++out_of_order;
          next_expected[t] = i + 1;
          ++total;
        });
      }
    });
  }
  EXPECT_TRUE(
      loop->RunUntil([&] { return total == kThreads * kPostsPerThread; },
                     absl::Now() + absl::Seconds(30)));
  for (std::thread& t : producers) t.join();

  EXPECT_EQ(total, kThreads * kPostsPerThread);
  EXPECT_EQ(off_loop_thread, 0);
  EXPECT_EQ(out_of_order, 0);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(next_expected[t], kPostsPerThread) << "thread " << t;
  }
  EXPECT_FALSE(loop->InLoopThread());  // Not running any more.
}

TEST(EventLoopTest, StopFromInsideCallbackMakesRunReturn) {
  auto loop = NewLoop();
  // Something far away that must not keep Run waiting.
  loop->RunAfter(absl::Hours(1), [] {});
  bool posted_ran = false;
  loop->Post([&] {
    posted_ran = true;
    loop->Stop();
  });
  loop->Run();
  EXPECT_TRUE(posted_ran);

  // Stop also works from a timer, and Run is usable again after a Stop.
  bool timer_ran = false;
  loop->RunAfter(absl::Milliseconds(1), [&] {
    timer_ran = true;
    loop->Stop();
  });
  loop->Run();
  EXPECT_TRUE(timer_ran);
}

TEST(EventLoopTest, StopFromAnotherThreadMakesRunReturn) {
  auto loop = NewLoop();
  absl::Notification running;
  loop->Post([&] { running.Notify(); });
  std::thread stopper([&] {
    running.WaitForNotification();
    loop->Stop();
  });
  // Nothing else to do: Run blocks in epoll until Stop wakes it.
  loop->Run();
  stopper.join();
  EXPECT_TRUE(running.HasBeenNotified());
}

TEST(EventLoopTest, RunUntilReturnsFalseOnDeadline) {
  auto loop = NewLoop();
  const absl::Duration timeout = absl::Milliseconds(50);
  const absl::Time start = absl::Now();
  EXPECT_FALSE(loop->RunUntil([] { return false; }, start + timeout));
  EXPECT_GE(absl::Now() - start, timeout);
  EXPECT_LT(absl::Now() - start, kLongWait);
}

TEST(EventLoopTest, RunUntilReturnsTrueWhenPredicateBecomesTrue) {
  auto loop = NewLoop();
  // Already true: returns at once without a turn.
  EXPECT_TRUE(loop->RunUntil([] { return true; }, absl::Now() + kLongWait));

  // Made true by a timer.
  bool done = false;
  loop->RunAfter(absl::Milliseconds(5), [&] { done = true; });
  EXPECT_TRUE(loop->RunUntil([&] { return done; }, absl::Now() + kLongWait));

  // Made true by a post from another thread.
  std::atomic<bool> flag{false};
  std::thread poster([&] {
    absl::SleepFor(absl::Milliseconds(5));
    loop->Post([&] { flag.store(true); });
  });
  EXPECT_TRUE(
      loop->RunUntil([&] { return flag.load(); }, absl::Now() + kLongWait));
  poster.join();
}

TEST(EventLoopTest, DeferRunsAfterHandlersPostsAndTimersOfSameTurn) {
  auto loop = NewLoop();
  std::vector<std::string> order;
  EventFd efd;
  ASSERT_TRUE(loop->Watch(efd.fd(), EventLoop::kReadable,
                          [&](uint32_t) {
                            efd.Drain();
                            order.push_back("handler");
                            loop->Defer([&] { order.push_back("defer-h"); });
                          })
                  .ok());
  efd.Signal();
  loop->Post([&] {
    order.push_back("post1");
    loop->Defer([&] { order.push_back("defer-p"); });
  });
  loop->Post([&] { order.push_back("post2"); });
  loop->RunAt(absl::InfinitePast(), [&] {
    order.push_back("timer");
    loop->Defer([&] { order.push_back("defer-t"); });
  });

  loop->RunOnce(absl::ZeroDuration());  // One turn.
  EXPECT_EQ(order,
            (std::vector<std::string>{"handler", "post1", "post2", "timer",
                                      "defer-h", "defer-p", "defer-t"}));
  loop->Unwatch(efd.fd());
}

TEST(EventLoopTest, DeferredCallbacksThatDeferMoreRunInSameTurn) {
  auto loop = NewLoop();
  std::vector<int> order;
  loop->Post([&] {
    order.push_back(0);
    loop->Defer([&] {
      order.push_back(2);
      loop->Defer([&] {
        order.push_back(4);
        loop->Defer([&] { order.push_back(5); });
      });
    });
    loop->Defer([&] { order.push_back(3); });
    order.push_back(1);
  });
  loop->RunOnce(absl::ZeroDuration());
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

TEST(EventLoopTest, DeferOutsideTurnRunsAtEndOfNextTurn) {
  auto loop = NewLoop();
  std::vector<std::string> order;
  loop->Defer([&] { order.push_back("defer"); });
  loop->Post([&] { order.push_back("post"); });
  EXPECT_TRUE(order.empty());
  loop->RunOnce(absl::ZeroDuration());
  EXPECT_EQ(order, (std::vector<std::string>{"post", "defer"}));
}

TEST(EventLoopTest, WatchCallsHandlerWithReadableWhenDataIsWritten) {
  auto loop = NewLoop();
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  std::vector<uint32_t> events;
  std::string received;
  ASSERT_TRUE(loop->Watch(fds[0], EventLoop::kReadable,
                          [&](uint32_t ev) {
                            events.push_back(ev);
                            char buf[16];
                            ssize_t n = ::read(fds[0], buf, sizeof(buf));
                            if (n > 0) received.append(buf, n);
                          })
                  .ok());
  EXPECT_EQ(loop->watched(), 1u);

  // Nothing written: no call.
  loop->RunOnce(absl::Milliseconds(5));
  EXPECT_TRUE(events.empty());

  ASSERT_EQ(::write(fds[1], "hi", 2), 2);
  EXPECT_TRUE(
      loop->RunUntil([&] { return !events.empty(); }, absl::Now() + kLongWait));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], EventLoop::kReadable);
  EXPECT_EQ(received, "hi");

  // Drained: no further calls.
  loop->RunOnce(absl::Milliseconds(5));
  EXPECT_EQ(events.size(), 1u);

  loop->Unwatch(fds[0]);
  EXPECT_EQ(loop->watched(), 0u);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(EventLoopTest, ModifyToWritableReportsWritable) {
  auto loop = NewLoop();
  EventFd efd;  // Counter 0: not readable, but writable.
  std::vector<uint32_t> events;
  ASSERT_TRUE(loop->Watch(efd.fd(), EventLoop::kReadable,
                          [&](uint32_t ev) { events.push_back(ev); })
                  .ok());
  loop->RunOnce(absl::Milliseconds(5));
  EXPECT_TRUE(events.empty());

  ASSERT_TRUE(loop->Modify(efd.fd(), EventLoop::kWritable).ok());
  loop->RunOnce(kLongWait);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], EventLoop::kWritable);

  // Back to readable only: writability no longer reported.
  ASSERT_TRUE(loop->Modify(efd.fd(), EventLoop::kReadable).ok());
  events.clear();
  loop->RunOnce(absl::Milliseconds(5));
  EXPECT_TRUE(events.empty());

  loop->Unwatch(efd.fd());
  EXPECT_EQ(loop->Modify(efd.fd(), EventLoop::kWritable).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(EventLoopTest, UnwatchInsideHandlerStopsFurtherCalls) {
  auto loop = NewLoop();
  EventFd efd;
  efd.Signal();  // Stays readable (never drained; level-triggered).
  int calls = 0;
  ASSERT_TRUE(loop->Watch(efd.fd(), EventLoop::kReadable,
                          [&](uint32_t) {
                            ++calls;
                            loop->Unwatch(efd.fd());
                          })
                  .ok());
  for (int i = 0; i < 5; ++i) loop->RunOnce(absl::Milliseconds(2));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(loop->watched(), 0u);
}

TEST(EventLoopTest, UnwatchOfOtherReadyFdInSameTurnSkipsItsHandler) {
  auto loop = NewLoop();
  EventFd a;
  EventFd b;
  a.Signal();
  b.Signal();  // Both ready in the same turn, never drained.
  int a_calls = 0;
  int b_calls = 0;
  // Whichever handler epoll reports first unwatches the other one (and
  // itself): the other's handler must not run, although its event is
  // already in this turn's batch.
  ASSERT_TRUE(loop->Watch(a.fd(), EventLoop::kReadable,
                          [&](uint32_t) {
                            ++a_calls;
                            loop->Unwatch(b.fd());
                            loop->Unwatch(a.fd());
                          })
                  .ok());
  ASSERT_TRUE(loop->Watch(b.fd(), EventLoop::kReadable,
                          [&](uint32_t) {
                            ++b_calls;
                            loop->Unwatch(a.fd());
                            loop->Unwatch(b.fd());
                          })
                  .ok());
  loop->RunOnce(kLongWait);
  EXPECT_EQ(a_calls + b_calls, 1);
  for (int i = 0; i < 3; ++i) loop->RunOnce(absl::Milliseconds(2));
  EXPECT_EQ(a_calls + b_calls, 1);
  EXPECT_EQ(loop->watched(), 0u);
}

TEST(EventLoopTest, WatchTwiceOnSameFdIsInvalidArgument) {
  auto loop = NewLoop();
  EventFd efd;
  int first_calls = 0;
  int second_calls = 0;
  ASSERT_TRUE(loop->Watch(efd.fd(), EventLoop::kReadable,
                          [&](uint32_t) {
                            ++first_calls;
                            efd.Drain();
                          })
                  .ok());
  const absl::Status again = loop->Watch(efd.fd(), EventLoop::kReadable,
                                         [&](uint32_t) { ++second_calls; });
  EXPECT_EQ(again.code(), absl::StatusCode::kInvalidArgument) << again;
  EXPECT_EQ(loop->watched(), 1u);

  // The first registration is untouched.
  efd.Signal();
  loop->RunOnce(kLongWait);
  EXPECT_EQ(first_calls, 1);
  EXPECT_EQ(second_calls, 0);

  // After Unwatch the descriptor can be watched again.
  loop->Unwatch(efd.fd());
  EXPECT_TRUE(
      loop->Watch(efd.fd(), EventLoop::kReadable, [](uint32_t) {}).ok());
  loop->Unwatch(efd.fd());
}

TEST(EventLoopTest, TimerRearmingItselfForNowDoesNotStarvePosts) {
  auto loop = NewLoop();
  int ticks = 0;
  int ticks_when_post_ran = -1;
  bool post_ran = false;
  std::function<void()> tick = [&] {
    ++ticks;
    if (ticks == 1) {
      loop->Post([&] {
        post_ran = true;
        ticks_when_post_ran = ticks;
      });
    }
    if (!post_ran || ticks < 100) loop->RunAt(absl::Now(), [&] { tick(); });
  };
  loop->RunAt(absl::Now(), [&] { tick(); });

  EXPECT_TRUE(
      loop->RunUntil([&] { return post_ran; }, absl::Now() + kLongWait));
  // The re-armed timer runs next turn, so the post runs right after the
  // first tick instead of never.
  EXPECT_EQ(ticks_when_post_ran, 1);

  // Posts from another thread get through too.
  std::atomic<bool> remote_ran{false};
  std::thread poster([&] { loop->Post([&] { remote_ran.store(true); }); });
  EXPECT_TRUE(loop->RunUntil([&] { return remote_ran.load(); },
                             absl::Now() + kLongWait));
  poster.join();
}

TEST(EventLoopThreadTest, RunsPostsOnItsOwnThread) {
  absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
      EventLoopThread::Start();
  ASSERT_TRUE(thread.ok()) << thread.status();
  EventLoop& loop = (*thread)->loop();
  EXPECT_FALSE(loop.InLoopThread());

  std::thread::id ran_on;
  bool in_loop_thread = false;
  absl::Notification done;
  loop.Post([&] {
    ran_on = std::this_thread::get_id();
    in_loop_thread = loop.InLoopThread();
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kLongWait));
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_TRUE(in_loop_thread);

  // The same thread every time.
  std::thread::id second;
  absl::Notification done2;
  loop.Post([&] {
    second = std::this_thread::get_id();
    done2.Notify();
  });
  ASSERT_TRUE(done2.WaitForNotificationWithTimeout(kLongWait));
  EXPECT_EQ(second, ran_on);
}

TEST(EventLoopThreadTest, DestructorJoinsCleanly) {
  auto token = std::make_shared<int>(0);
  std::atomic<int> ran{0};
  {
    absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
        EventLoopThread::Start();
    ASSERT_TRUE(thread.ok()) << thread.status();
    EventLoop& loop = (*thread)->loop();
    // A timer far away must not keep the thread alive.
    absl::Notification armed;
    loop.Post([&] {
      loop.RunAfter(absl::Hours(1), [] {});
      armed.Notify();
    });
    armed.WaitForNotification();
    // Posts racing with destruction still run (or at least are released).
    for (int i = 0; i < 100; ++i) {
      loop.Post([token, &ran] { ran.fetch_add(1); });
    }
  }
  EXPECT_EQ(token.use_count(), 1);  // Every posted callback was released.
  EXPECT_EQ(ran.load(), 100);
}

}  // namespace
}  // namespace valkey::async
