// AsyncExecutor<E>: the command-table hooks (valkey/commands/command_table.h)
// for executors that hand back Future<T> — the async Client, its exclusive
// connections, pipelines and transactions. They differ only in where a
// command goes, which `E` provides as
//
//   EventLoop& loop();
//   // Queues `args` (encoded before returning) with `sink` to receive the
//   // outcome; `server_timeout` is set for blocking commands (BLPOP ...).
//   void Dispatch(absl::Span<const CommandArg> args, ReplySink sink,
//                 std::optional<absl::Duration> server_timeout);
//
// Beyond the reply, a typed command costs a future's state (taken from a
// per-thread free list); the reply is converted on the loop's thread before the
// future resolves, so continuations receive the typed value.

#ifndef VALKEY_ASYNC_ASYNC_EXECUTOR_H_
#define VALKEY_ASYNC_ASYNC_EXECUTOR_H_

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/async/connection.h"
#include "valkey/async/future.h"
#include "valkey/commands/command_table.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"

namespace valkey::async {

namespace executor_internal {

template <typename T>
void ConvertAndResolve(void* ctx, void* aux, absl::StatusOr<Reply> outcome) {
  auto* state = static_cast<future_internal::State<T>*>(ctx);
  if (!outcome.ok()) {
    state->Set(outcome.status());
  } else {
    auto convert = reinterpret_cast<Converter<T>>(aux);
    state->Set(convert(outcome->view()));
  }
  state->Unref();
}

}  // namespace executor_internal

// A sink that converts the reply with `convert` and resolves `*future`.
template <typename T>
ReplySink MakeTypedSink(const EventLoop& loop, Converter<T> convert,
                        Future<T>* future) {
  auto* state = new future_internal::State<T>(&loop);
  state->Ref();  // One for the sink, one for the future.
  *future = AdoptFuture(state);
  return ReplySink{&executor_internal::ConvertAndResolve<T>, state,
                   reinterpret_cast<void*>(convert)};
}

template <typename E>
class AsyncExecutor : public Commands<E, Future> {
 public:
  template <typename T, typename... Args>
  Future<T> Run(Converter<T> convert, const Args&... args) {
    const CommandArg argv[] = {CommandArg(args)...};
    return RunArgs<T>(convert,
                      absl::Span<const CommandArg>(argv, sizeof...(args)));
  }
  template <typename T>
  Future<T> RunArgs(Converter<T> convert, absl::Span<const CommandArg> args) {
    Future<T> future;
    self().Dispatch(args, MakeTypedSink<T>(self().loop(), convert, &future),
                    std::nullopt);
    return future;
  }
  template <typename T>
  Future<T> RunBlockingArgs(Converter<T> convert, absl::Duration server_timeout,
                            absl::Span<const CommandArg> args) {
    Future<T> future;
    self().Dispatch(args, MakeTypedSink<T>(self().loop(), convert, &future),
                    server_timeout);
    return future;
  }
  template <typename T>
  Future<T> Fail(absl::Status status) {
    return Future<T>::Resolved(std::move(status));
  }

  // Any command; the future holds its reply (an error reply as its status).
  template <typename... Args>
  Future<Reply> Execute(const Args&... args) {
    const CommandArg argv[] = {CommandArg(args)...};
    return ExecuteArgs(absl::Span<const CommandArg>(argv, sizeof...(args)));
  }
  Future<Reply> ExecuteArgs(absl::Span<const CommandArg> args) {
    Future<Reply> future;
    self().Dispatch(args, MakeReplySink(self().loop(), &future), std::nullopt);
    return future;
  }

 private:
  E& self() { return static_cast<E&>(*this); }
};

// The extra deadline a blocking command gets on an async connection: its
// server-side time-out (zero: blocks forever, so no deadline).
inline absl::Duration BlockingExtraWait(
    std::optional<absl::Duration> server_timeout) {
  if (!server_timeout.has_value()) return absl::ZeroDuration();
  if (*server_timeout <= absl::ZeroDuration()) return absl::InfiniteDuration();
  return *server_timeout;
}

}  // namespace valkey::async

#endif  // VALKEY_ASYNC_ASYNC_EXECUTOR_H_
