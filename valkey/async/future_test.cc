#include "valkey/async/future.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/async/event_loop.h"

namespace valkey::async {
namespace {

constexpr absl::Duration kLongWait = absl::Seconds(5);

// Where and whether a coroutine got past its co_await.
struct Trace {
  bool resumed = false;
  std::thread::id resumed_on;
};

// Awaits `f` and returns its value plus one.
Task<int> AddOne(Future<int> f, Trace* trace) {
  absl::StatusOr<int> v = co_await f;
  trace->resumed = true;
  trace->resumed_on = std::this_thread::get_id();
  if (!v.ok()) co_return v.status();
  co_return *v + 1;
}

// Awaits another task: (f + 1) * 10.
Task<int> TimesTenOfAddOne(Future<int> f, Trace* inner, Trace* outer) {
  absl::StatusOr<int> v = co_await AddOne(std::move(f), inner);
  outer->resumed = true;
  outer->resumed_on = std::this_thread::get_id();
  if (!v.ok()) co_return v.status();
  co_return *v * 10;
}

Task<int> FailWith(absl::Status status) { co_return status; }

Task<int> FailAfter(Future<int> f) {
  absl::StatusOr<int> v = co_await f;
  if (!v.ok()) co_return v.status();
  co_return absl::NotFoundError(absl::StrCat("no ", *v));
}

Task<void> SetFlagAfter(Future<void> f, bool* flag) {
  absl::Status s = co_await f;
  if (!s.ok()) co_return s;
  *flag = true;
  co_return absl::OkStatus();
}

Task<int64_t> Value(int64_t v) { co_return v; }

// Waits for `prev`, then for `mine`, and returns their sum (also stored in
// `*out`).
Task<int64_t> SumStep(Task<int64_t> prev, Future<int64_t> mine, int64_t* out) {
  absl::StatusOr<int64_t> a = co_await prev;
  if (!a.ok()) co_return a.status();
  absl::StatusOr<int64_t> b = co_await mine;
  if (!b.ok()) co_return b.status();
  *out = *a + *b;
  co_return *out;
}

TEST(FutureTest, GetReturnsValueSetFromAnotherThread) {
  Promise<int> p;
  Future<int> f = p.GetFuture();
  EXPECT_TRUE(f.valid());
  EXPECT_FALSE(f.ready());
  std::thread setter([&] {
    absl::SleepFor(absl::Milliseconds(10));
    p.Set(42);
  });
  absl::StatusOr<int> v = f.Get();
  setter.join();
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, 42);
  EXPECT_FALSE(f.valid());  // Consumed.
}

TEST(FutureTest, GetWithTimeoutIsDeadlineExceededAndFutureStaysValid) {
  Promise<std::string> p;
  Future<std::string> f = p.GetFuture();
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> v = f.Get(absl::Milliseconds(20));
  EXPECT_EQ(v.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(20));
  EXPECT_TRUE(f.valid());
  EXPECT_FALSE(f.ready());

  p.Set(std::string("later"));
  EXPECT_TRUE(f.ready());
  v = f.Get(absl::Milliseconds(20));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, "later");
}

TEST(FutureTest, GetOnInvalidFutureIsInvalidArgument) {
  Future<int> f;
  EXPECT_FALSE(f.valid());
  EXPECT_EQ(f.Get().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FutureTest, ThenAfterResolutionRunsInline) {
  Promise<int> p;
  Future<int> f = p.GetFuture();
  p.Set(7);
  std::optional<absl::StatusOr<int>> got;
  std::thread::id ran_on;
  std::move(f).Then([&](absl::StatusOr<int> v) {
    got = std::move(v);
    ran_on = std::this_thread::get_id();
  });
  ASSERT_TRUE(got.has_value());  // Ran before Then returned.
  EXPECT_EQ(**got, 7);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_FALSE(f.valid());
}

TEST(FutureTest, ThenBeforeResolutionRunsOnResolvingThread) {
  Promise<int> p;
  Future<int> f = p.GetFuture();
  std::optional<absl::StatusOr<int>> got;
  std::thread::id ran_on;
  std::move(f).Then([&](absl::StatusOr<int> v) {
    got = std::move(v);
    ran_on = std::this_thread::get_id();
  });
  EXPECT_FALSE(got.has_value());

  std::thread::id setter_id;
  std::thread setter([&] {
    setter_id = std::this_thread::get_id();
    p.Set(8);
  });
  setter.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(**got, 8);
  EXPECT_EQ(ran_on, setter_id);
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(FutureTest, ThenOnInvalidFutureGetsInvalidArgument) {
  Future<int> f;
  absl::Status status;
  std::move(f).Then([&](absl::StatusOr<int> v) { status = v.status(); });
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST(FutureTest, DroppingPromiseResolvesCancelled) {
  std::optional<Promise<int>> p(std::in_place);
  Future<int> f = p->GetFuture();
  Future<int> g;
  {
    Promise<int> q;
    g = q.GetFuture();
  }
  p.reset();
  EXPECT_TRUE(f.ready());
  EXPECT_EQ(f.Get().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(g.Get().status().code(), absl::StatusCode::kCancelled);

  // A Then waiting on it hears about it too.
  absl::Status then_status;
  {
    Promise<void> r;
    r.GetFuture().Then([&](absl::Status s) { then_status = s; });
  }
  EXPECT_EQ(then_status.code(), absl::StatusCode::kCancelled);

  // Move-assigning over a promise abandons the old one.
  Promise<int> a;
  Future<int> fa = a.GetFuture();
  a = Promise<int>();
  EXPECT_EQ(fa.Get().status().code(), absl::StatusCode::kCancelled);
}

TEST(FutureTest, FirstSetWins) {
  Promise<int> p;
  Future<int> f = p.GetFuture();
  p.Set(1);
  p.Set(2);
  p.Set(absl::InternalError("late"));
  absl::StatusOr<int> v = f.Get();
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, 1);

  // An error set first also sticks, and dropping the promise later does not
  // turn it into CANCELLED.
  std::optional<Promise<int>> q(std::in_place);
  Future<int> g = q->GetFuture();
  q->Set(absl::UnavailableError("down"));
  q->Set(3);
  q.reset();
  EXPECT_EQ(g.Get().status().code(), absl::StatusCode::kUnavailable);
}

TEST(FutureTest, FutureVoidCarriesStatus) {
  Promise<void> ok_promise;
  Future<void> ok_future = ok_promise.GetFuture();
  ok_promise.Set(absl::OkStatus());
  EXPECT_TRUE(ok_future.Get().ok());

  Promise<void> err_promise;
  Future<void> err_future = err_promise.GetFuture();
  std::thread setter([&] { err_promise.Set(absl::NotFoundError("gone")); });
  absl::Status s = err_future.Get();
  setter.join();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "gone");
}

TEST(FutureTest, ResolvedIsReadyAtOnce) {
  Future<int> f = Future<int>::Resolved(5);
  EXPECT_TRUE(f.valid());
  EXPECT_TRUE(f.ready());
  EXPECT_EQ(*f.Get(absl::ZeroDuration()), 5);

  Future<int> e = Future<int>::Resolved(absl::AbortedError("no"));
  EXPECT_TRUE(e.ready());
  EXPECT_EQ(e.Get().status().code(), absl::StatusCode::kAborted);

  Future<void> v = Future<void>::Resolved(absl::OkStatus());
  EXPECT_TRUE(v.ready());
  EXPECT_TRUE(v.Get().ok());
}

TEST(FutureTest, GetOnLoopThreadIsFailedPreconditionWhenNotReady) {
  absl::StatusOr<std::unique_ptr<EventLoop>> created = EventLoop::Create();
  ASSERT_TRUE(created.ok()) << created.status();
  EventLoop& loop = **created;
  Promise<int> p(&loop);
  Future<int> f = p.GetFuture();
  Promise<int> ready_promise(&loop);
  Future<int> ready_future = ready_promise.GetFuture();

  absl::Status on_loop;
  absl::Status on_loop_with_timeout;
  bool valid_after = false;
  absl::StatusOr<int> ready_on_loop;
  loop.Post([&] {
    EXPECT_TRUE(loop.InLoopThread());
    on_loop = f.Get().status();  // Would wait for itself.
    on_loop_with_timeout = f.Get(absl::Seconds(30)).status();
    valid_after = f.valid();
    // A future that is already resolved is fine on the loop thread.
    ready_promise.Set(9);
    ready_on_loop = ready_future.Get();
    loop.Stop();
  });
  const absl::Time start = absl::Now();
  loop.Run();
  EXPECT_LT(absl::Now() - start, kLongWait);  // Did not wait 30 s.

  EXPECT_EQ(on_loop.code(), absl::StatusCode::kFailedPrecondition) << on_loop;
  EXPECT_EQ(on_loop_with_timeout.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(valid_after);
  ASSERT_TRUE(ready_on_loop.ok()) << ready_on_loop.status();
  EXPECT_EQ(*ready_on_loop, 9);

  // Off the loop thread Get waits as usual.
  p.Set(4);
  EXPECT_EQ(*f.Get(), 4);
}

TEST(TaskTest, CoAwaitReadyFutureDoesNotSuspend) {
  Trace trace;
  Task<int> t = AddOne(Future<int>::Resolved(1), &trace);
  // Eager and never suspended: finished before AddOne returned, here.
  EXPECT_TRUE(trace.resumed);
  EXPECT_EQ(trace.resumed_on, std::this_thread::get_id());
  EXPECT_TRUE(t.ready());
  EXPECT_EQ(*t.Get(absl::ZeroDuration()), 2);
}

TEST(TaskTest, CoAwaitPendingFutureResumesOnResolvingThread) {
  Promise<int> p;
  Trace trace;
  Task<int> t = AddOne(p.GetFuture(), &trace);
  EXPECT_FALSE(trace.resumed);
  EXPECT_FALSE(t.ready());

  std::thread::id setter_id;
  std::thread setter([&] {
    setter_id = std::this_thread::get_id();
    p.Set(41);
  });
  setter.join();
  EXPECT_TRUE(trace.resumed);
  EXPECT_EQ(trace.resumed_on, setter_id);
  EXPECT_TRUE(t.ready());
  EXPECT_EQ(*t.Get(), 42);
}

TEST(TaskTest, CoAwaitCancelledFutureResumesWithCancelled) {
  std::optional<Promise<int>> p(std::in_place);
  Trace trace;
  Task<int> t = AddOne(p->GetFuture(), &trace);
  EXPECT_FALSE(trace.resumed);
  p.reset();
  EXPECT_TRUE(trace.resumed);
  EXPECT_EQ(t.Get().status().code(), absl::StatusCode::kCancelled);
}

TEST(TaskTest, NestedTaskAwaitsAnotherTask) {
  // Ready all the way down.
  {
    Trace inner, outer;
    Task<int> t = TimesTenOfAddOne(Future<int>::Resolved(1), &inner, &outer);
    EXPECT_TRUE(t.ready());
    EXPECT_EQ(*t.Get(), 20);
  }
  // Pending: both resume on the resolving thread, inner first.
  {
    Promise<int> p;
    Trace inner, outer;
    Task<int> t = TimesTenOfAddOne(p.GetFuture(), &inner, &outer);
    EXPECT_FALSE(inner.resumed);
    EXPECT_FALSE(outer.resumed);
    EXPECT_FALSE(t.ready());

    std::thread::id setter_id;
    std::thread setter([&] {
      setter_id = std::this_thread::get_id();
      p.Set(4);
    });
    absl::StatusOr<int> v = t.Get(kLongWait);
    setter.join();
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(*v, 50);
    EXPECT_EQ(inner.resumed_on, setter_id);
    EXPECT_EQ(outer.resumed_on, setter_id);
  }
  // An error from the inner task reaches the outer one.
  {
    Promise<int> p;
    Trace inner, outer;
    Task<int> t = TimesTenOfAddOne(p.GetFuture(), &inner, &outer);
    p.Set(absl::PermissionDeniedError("no"));
    EXPECT_EQ(t.Get().status().code(), absl::StatusCode::kPermissionDenied);
  }
}

TEST(TaskTest, CoReturnOfErrorStatus) {
  Task<int> t = FailWith(absl::OutOfRangeError("too far"));
  EXPECT_TRUE(t.ready());
  absl::StatusOr<int> v = t.Get();
  EXPECT_EQ(v.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(v.status().message(), "too far");

  Promise<int> p;
  Task<int> after = FailAfter(p.GetFuture());
  EXPECT_FALSE(after.ready());
  p.Set(3);
  absl::StatusOr<int> w = after.Get();
  EXPECT_EQ(w.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(w.status().message(), "no 3");
}

TEST(TaskTest, TaskVoidCoReturnsOkStatus) {
  bool flag = false;
  Task<void> ready =
      SetFlagAfter(Future<void>::Resolved(absl::OkStatus()), &flag);
  EXPECT_TRUE(flag);
  EXPECT_TRUE(ready.Get().ok());

  flag = false;
  Promise<void> p;
  Task<void> pending = SetFlagAfter(p.GetFuture(), &flag);
  EXPECT_FALSE(pending.ready());
  std::thread setter([&] { p.Set(absl::OkStatus()); });
  absl::Status s = pending.Get(kLongWait);
  setter.join();
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_TRUE(flag);

  // An error instead.
  flag = false;
  Promise<void> q;
  Task<void> failing = SetFlagAfter(q.GetFuture(), &flag);
  q.Set(absl::DataLossError("bad"));
  EXPECT_EQ(failing.Get().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(flag);
}

TEST(TaskTest, TaskResultAsFutureWithThen) {
  Promise<int> p;
  Trace trace;
  Future<int> f = AddOne(p.GetFuture(), &trace).future();
  std::optional<absl::StatusOr<int>> got;
  std::move(f).Then([&](absl::StatusOr<int> v) { got = std::move(v); });
  EXPECT_FALSE(got.has_value());
  p.Set(1);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(**got, 2);
}

TEST(TaskTest, ChainOfTenThousandTasksResolvedOnEventLoopThread) {
  constexpr int kTasks = 10000;
  absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
      EventLoopThread::Start();
  ASSERT_TRUE(thread.ok()) << thread.status();
  EventLoop& loop = (*thread)->loop();

  std::vector<Promise<int64_t>> promises;
  promises.reserve(kTasks);
  for (int i = 0; i < kTasks; ++i) promises.emplace_back(&loop);
  // Written on the loop thread; read here after the last task finished.
  std::vector<int64_t> sums(kTasks, -1);

  // Task i waits for task i-1 and then for promise i: sums[i] = 1 + ... + i+1.
  Task<int64_t> last = Value(0);
  for (int i = 0; i < kTasks; ++i) {
    last = SumStep(std::move(last), promises[i].GetFuture(), &sums[i]);
  }
  EXPECT_FALSE(last.ready());

  // Each promise resolved by its own post, in order, on the loop thread.
  for (int i = 0; i < kTasks; ++i) {
    loop.Post([&promises, i] { promises[i].Set(i + 1); });
  }
  absl::StatusOr<int64_t> total = last.Get(absl::Seconds(60));
  ASSERT_TRUE(total.ok()) << total.status();
  EXPECT_EQ(*total, int64_t{kTasks} * (kTasks + 1) / 2);

  int wrong = 0;
  for (int i = 0; i < kTasks; ++i) {
    const int64_t n = i + 1;
    if (sums[i] != n * (n + 1) / 2) ++wrong;
  }
  EXPECT_EQ(wrong, 0);

  // Drop the promises on the loop thread, after it is done with them.
  absl::Notification released;
  loop.Post([&] {
    promises.clear();
    released.Notify();
  });
  released.WaitForNotification();
}

}  // namespace
}  // namespace valkey::async
