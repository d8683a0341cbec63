// Future<T>, Promise<T> and Task<T>: results of asynchronous operations.
//
// A Future<T> resolves once to absl::StatusOr<T> (absl::Status for
// Future<void>). It is consumed by exactly one of:
//
//   - co_await inside a coroutine:  absl::StatusOr<T> v = co_await f;
//   - Then(callback):               std::move(f).Then([](auto v) { ... });
//   - Get(timeout), blocking:       absl::StatusOr<T> v = f.Get();
//
// Task<T> is the coroutine type that co_awaits futures:
//
//   Task<int64_t> CountTwice(Client& c) {
//     absl::StatusOr<int64_t> a = co_await c.Incr("n");
//     if (!a.ok()) co_return a.status();
//     co_return co_await c.Incr("n");
//   }
//   absl::StatusOr<int64_t> n = CountTwice(client).Get();   // another thread
//
// Tasks start at once (eagerly) and run until their first co_await of a
// future that is not ready; the coroutine frame frees itself after
// co_return. Task<void> finishes with `co_return absl::OkStatus();` (or an
// error).
//
// Which thread runs what: a continuation (the rest of a coroutine after
// co_await, or a Then callback) runs on the thread that resolves the future
// — for futures from the async connection and client, the event loop's
// thread — or at once on the calling thread if the future is already
// resolved. Keep continuations short and never block in them: they hold up
// the loop.
//
// Continuations run inline (no trampoline): resolving the innermost of N
// tasks that each co_await the next resumes them nested N deep on one
// stack. Chains built in await order unwind one at a time; avoid resolving
// a deep chain of waiting tasks from its innermost end.
//
// Get() blocks the calling thread; called on the loop's own thread on a
// future the loop has not resolved yet it would wait for itself, so it
// returns FAILED_PRECONDITION instead. A Promise destroyed without a value
// resolves its future with CANCELLED: no future waits forever for a
// producer that is gone.
//
// Thread-safety: a future and its promise may be used from different
// threads; each object by one thread at a time.
//
// Cost: the shared state of a future comes from a small per-thread free
// list (no heap allocation in a steady state where states are created and
// released on the same threads); handing the result over is lock-free (a
// mutex is taken only for a blocking Get()).

#ifndef VALKEY_ASYNC_FUTURE_H_
#define VALKEY_ASYNC_FUTURE_H_

#include <atomic>
#include <coroutine>
#include <cstdlib>
#include <optional>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "valkey/async/event_loop.h"

namespace valkey::async {

template <typename T>
struct FutureResult {
  using type = absl::StatusOr<T>;
};
template <>
struct FutureResult<void> {
  using type = absl::Status;
};
template <typename T>
using FutureResultT = typename FutureResult<T>::type;

template <typename T>
class Future;
template <typename T>
class Promise;

namespace future_internal {

// A per-thread cache of freed blocks of one size: the states of futures are
// created and released at the rate of commands, and a thread usually frees
// about as many as it creates. Bounded; what does not fit goes back to the
// heap, and the cache is emptied when its thread exits.
template <size_t kSize>
class BlockCache {
 public:
  static void* Get() {
    Blocks& b = Local();
    if (b.count == 0) return ::operator new(kSize);
    return b.blocks[--b.count];
  }
  static void Put(void* p) {
    Blocks& b = Local();
    if (b.count == kCapacity) {
      ::operator delete(p);
      return;
    }
    b.blocks[b.count++] = p;
  }

 private:
  static constexpr size_t kCapacity = 256;
  struct Blocks {
    ~Blocks() {
      for (size_t i = 0; i < count; ++i) ::operator delete(blocks[i]);
    }
    void* blocks[kCapacity];
    size_t count = 0;
  };
  static Blocks& Local() {
    thread_local Blocks blocks;
    return blocks;
  }
};

// The state a future shares with its promise. Reference-counted by hand so
// that the async connection can hold it as a plain pointer in its queue.
template <typename T>
class State {
 public:
  using Result = FutureResultT<T>;

  explicit State(const EventLoop* loop) : loop_(loop) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  static void* operator new(size_t size) {
    return size == sizeof(State) ? BlockCache<sizeof(State)>::Get()
                                 : ::operator new(size);
  }
  static void operator delete(void* p, size_t size) {
    if (size == sizeof(State)) {
      BlockCache<sizeof(State)>::Put(p);
    } else {
      ::operator delete(p);
    }
  }

  // Resolves the state; the first result wins, later ones are dropped.
  // Lock-free unless a thread waits in Wait().
  void Set(Result result) {
    if (claimed_.exchange(true, std::memory_order_acq_rel)) return;
    result_.emplace(std::move(result));
    const uint8_t before = phase_.exchange(kReady, std::memory_order_seq_cst);
    if (before == kCallback) {
      absl::AnyInvocable<void()> wake = std::move(on_ready_);
      wake();
    }
    if (waiters_.load(std::memory_order_seq_cst) > 0) {
      absl::MutexLock lock(&mu_);
      cv_.SignalAll();
    }
  }

  bool ready() const {
    return phase_.load(std::memory_order_acquire) == kReady;
  }

  // Arranges for `fn` to run once resolved. Returns false, leaving `fn`
  // untouched, if already resolved. One consumer only.
  bool OnReady(absl::AnyInvocable<void()>& fn) {
    if (ready()) return false;
    on_ready_ = std::move(fn);
    uint8_t expected = kEmpty;
    if (phase_.compare_exchange_strong(expected, kCallback,
                                       std::memory_order_acq_rel)) {
      return true;
    }
    fn = std::move(on_ready_);  // Resolved meanwhile: hand it back.
    return false;
  }

  // Waits up to `timeout`; true once resolved.
  bool Wait(absl::Duration timeout) {
    if (ready()) return true;
    waiters_.fetch_add(1, std::memory_order_seq_cst);
    const absl::Time deadline = absl::Now() + timeout;
    {
      absl::MutexLock lock(&mu_);
      while (phase_.load(std::memory_order_seq_cst) != kReady) {
        if (cv_.WaitWithDeadline(&mu_, deadline)) break;  // Timed out.
      }
    }
    waiters_.fetch_sub(1, std::memory_order_relaxed);
    return ready();
  }

  // The result; only after resolution, once.
  Result Take() { return std::move(*result_); }

  const EventLoop* loop() const { return loop_; }

 private:
  enum : uint8_t { kEmpty = 0, kCallback = 1, kReady = 2 };

  ~State() = default;

  std::atomic<int> refs_{1};
  std::atomic<bool> claimed_{false};  // A result is being (was) set.
  std::atomic<uint8_t> phase_{kEmpty};
  std::atomic<int> waiters_{0};
  // Written before phase_ becomes kReady (result_) or kCallback
  // (on_ready_), read after observing it: the atomics order them.
  std::optional<Result> result_;
  absl::AnyInvocable<void()> on_ready_;
  absl::Mutex mu_;  // Only for Wait().
  absl::CondVar cv_;
  const EventLoop* const loop_;
};

// Owning pointer to a State (one reference).
template <typename T>
class StateRef {
 public:
  StateRef() = default;
  explicit StateRef(State<T>* adopted) : p_(adopted) {}
  StateRef(const StateRef& o) : p_(o.p_) {
    if (p_ != nullptr) p_->Ref();
  }
  StateRef(StateRef&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  StateRef& operator=(StateRef o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~StateRef() {
    if (p_ != nullptr) p_->Unref();
  }
  State<T>* get() const { return p_; }
  State<T>* operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }
  // Gives up the reference without dropping it.
  State<T>* release() { return std::exchange(p_, nullptr); }

 private:
  State<T>* p_ = nullptr;
};

inline absl::Status GetOnLoopError() {
  return absl::FailedPreconditionError(
      "Future::Get on the event loop's own thread would wait for itself; "
      "co_await the future or use Then()");
}

}  // namespace future_internal

template <typename T>
class [[nodiscard]] Future {
 public:
  using Result = FutureResultT<T>;

  // An invalid future (valid() is false), e.g. moved from.
  Future() = default;
  Future(Future&&) noexcept = default;
  Future& operator=(Future&&) noexcept = default;

  // A future resolved at once.
  static Future Resolved(Result result) {
    Future f(new future_internal::State<T>(nullptr));
    f.state_->Set(std::move(result));
    return f;
  }

  bool valid() const { return static_cast<bool>(state_); }
  // True once resolved (and not yet consumed).
  bool ready() const { return state_ && state_->ready(); }

  // Blocks up to `timeout` for the result. DEADLINE_EXCEEDED if it does
  // not come in time (the future stays valid; Get again later);
  // FAILED_PRECONDITION on the resolving loop's own thread; INVALID_ARGUMENT
  // on an invalid future. Consumes the future on success.
  Result Get(absl::Duration timeout = absl::InfiniteDuration()) {
    if (!state_) {
      return absl::InvalidArgumentError("Future::Get on an invalid future");
    }
    if (!state_->ready()) {
      const EventLoop* loop = state_->loop();
      if (loop != nullptr && loop->InLoopThread()) {
        return future_internal::GetOnLoopError();
      }
      if (!state_->Wait(timeout)) {
        return absl::DeadlineExceededError(absl::StrCat(
            "Future::Get: no result within ", absl::FormatDuration(timeout)));
      }
    }
    future_internal::StateRef<T> state = std::move(state_);
    return state->Take();
  }

  // Calls `fn(result)` once resolved: on the resolving thread, or right
  // here if already resolved. Consumes the future.
  void Then(absl::AnyInvocable<void(Result)> fn) && {
    future_internal::StateRef<T> state = std::move(state_);
    if (!state) {
      fn(absl::InvalidArgumentError("Future::Then on an invalid future"));
      return;
    }
    State* raw = state.get();
    absl::AnyInvocable<void()> wake = [state = std::move(state),
                                       fn = std::move(fn)]() mutable {
      fn(state->Take());
    };
    if (!raw->OnReady(wake)) wake();
  }

  // co_await support: suspends until resolved (unless already), then
  // yields the result.
  class Awaiter {
   public:
    explicit Awaiter(future_internal::StateRef<T> state)
        : state_(std::move(state)) {}
    bool await_ready() const { return !state_ || state_->ready(); }
    bool await_suspend(std::coroutine_handle<> h) {
      absl::AnyInvocable<void()> resume = [h] { h.resume(); };
      return state_->OnReady(resume);
    }
    Result await_resume() {
      if (!state_) {
        return absl::InvalidArgumentError("co_await on an invalid future");
      }
      return state_->Take();
    }

   private:
    future_internal::StateRef<T> state_;
  };
  Awaiter operator co_await() { return Awaiter(std::move(state_)); }

 private:
  using State = future_internal::State<T>;
  friend class Promise<T>;
  template <typename U>
  friend Future<U> AdoptFuture(future_internal::State<U>* state);
  explicit Future(State* adopted) : state_(adopted) {}

  future_internal::StateRef<T> state_;
};

// Wraps a state the caller holds a reference to (low-level; for producers
// such as the async connection that keep the other reference themselves).
template <typename T>
Future<T> AdoptFuture(future_internal::State<T>* state) {
  return Future<T>(state);
}

template <typename T>
class Promise {
 public:
  using Result = FutureResultT<T>;

  // `loop`, when given, is the loop whose thread resolves the promise (so
  // Get() there can refuse to deadlock).
  explicit Promise(const EventLoop* loop = nullptr)
      : state_(new future_internal::State<T>(loop)) {}
  Promise(Promise&&) noexcept = default;
  Promise& operator=(Promise&& o) noexcept {
    Abandon();
    state_ = std::move(o.state_);
    return *this;
  }
  ~Promise() { Abandon(); }

  // The future for this promise. Call once.
  Future<T> GetFuture() {
    state_->Ref();
    return Future<T>(state_.get());
  }

  // Resolves the future (first call wins).
  void Set(Result result) {
    if (state_) state_->Set(std::move(result));
  }

 private:
  void Abandon() {
    if (state_) {
      state_->Set(absl::CancelledError(
          "the operation was abandoned before it produced a result"));
    }
  }

  future_internal::StateRef<T> state_;
};

// The coroutine type. See the file comment.
template <typename T>
class Task {
 public:
  using Result = FutureResultT<T>;

  struct promise_type {
    Promise<T> promise;
    Task get_return_object() { return Task(promise.GetFuture()); }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_value(Result result) { promise.Set(std::move(result)); }
    void unhandled_exception() { std::abort(); }
  };

  Task(Task&&) noexcept = default;
  Task& operator=(Task&&) noexcept = default;

  bool ready() const { return future_.ready(); }
  // Blocking wait from a thread other than the one finishing the task.
  Result Get(absl::Duration timeout = absl::InfiniteDuration()) {
    return future_.Get(timeout);
  }
  // The task's result as a future (consumes the task).
  Future<T> future() && { return std::move(future_); }
  typename Future<T>::Awaiter operator co_await() {
    return future_.operator co_await();
  }

 private:
  explicit Task(Future<T> future) : future_(std::move(future)) {}
  Future<T> future_;
};

}  // namespace valkey::async

#endif  // VALKEY_ASYNC_FUTURE_H_
