// ImmediateExecutor<E>: the command-table hooks (command_table.h) for
// executors that run each command at once and hand back absl::StatusOr<T> —
// the blocking Client and the Transaction context. They differ only in how
// one command reaches the server, which `E` provides as
//
//   absl::StatusOr<Reply> RoundTrip(absl::Span<const CommandArg> args,
//                                   std::optional<absl::Duration> server_timeout);
//
// and, optionally, RoundTripAs (below).
//
// (server_timeout: set for blocking commands such as BLPOP).

#ifndef VALKEY_COMMANDS_IMMEDIATE_EXECUTOR_H_
#define VALKEY_COMMANDS_IMMEDIATE_EXECUTOR_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/commands/command_table.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"

namespace valkey {

template <typename E>
class ImmediateExecutor : public Commands<E, absl::StatusOr> {
 public:
  template <typename T, typename... Args>
  absl::StatusOr<T> Run(Converter<T> convert, const Args&... args) {
    const CommandArg argv[] = {CommandArg(args)...};
    return RunArgs<T>(convert,
                      absl::Span<const CommandArg>(argv, sizeof...(args)));
  }
  template <typename T>
  absl::StatusOr<T> RunArgs(Converter<T> convert,
                            absl::Span<const CommandArg> args) {
    // Checked here, where E is complete (not at class scope: E derives
    // from this class and is incomplete there).
    if constexpr (requires(E& e) {
                    e.template RoundTripAs<T>(args, convert);
                  }) {
      return self().template RoundTripAs<T>(args, convert);
    } else {
      return Convert(self().RoundTrip(args, std::nullopt), convert);
    }
  }
  template <typename T>
  absl::StatusOr<T> RunBlockingArgs(Converter<T> convert,
                                    absl::Duration server_timeout,
                                    absl::Span<const CommandArg> args) {
    return Convert(self().RoundTrip(args, server_timeout), convert);
  }
  template <typename T>
  absl::StatusOr<T> Fail(absl::Status status) {
    return status;
  }

 private:
  E& self() { return static_cast<E&>(*this); }

  // `E` may also provide
  //   template <typename T> absl::StatusOr<T> RoundTripAs(
  //       absl::Span<const CommandArg> args, Converter<T> convert);
  // (RoundTrip, then convert), to convert a reply it already holds, such as
  // a client-side cache hit, without copying it first.

  template <typename T>
  static absl::StatusOr<T> Convert(absl::StatusOr<Reply> reply,
                                   Converter<T> convert) {
    if (!reply.ok()) return reply.status();
    return convert(reply->view());
  }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_IMMEDIATE_EXECUTOR_H_
