// RecordingExecutor: a command-table executor (command_table.h) for unit
// tests of argument building. Nothing is sent; each typed command hands
// back a Recorded<T> holding the arguments it would have sent (or the
// client-side rejection), so tests check the wire form of a command without
// a server — including commands the installed server lacks.
//
//   RecordingExecutor x;
//   Recorded<bool> r = x.HSetEx("h", {{"f", "v"}}, {.ttl = absl::Seconds(5)});
//   EXPECT_EQ(r.args, (std::vector<std::string>{"HSETEX", "h", "EX", "5",
//                                               "FIELDS", "1", "f", "v"}));
//
// Thread-safety: none needed (values only).

#ifndef VALKEY_COMMANDS_RECORDING_EXECUTOR_H_
#define VALKEY_COMMANDS_RECORDING_EXECUTOR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/commands/command_table.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/common/resp_writer.h"

namespace valkey {

// What a typed command would have done: its arguments, or why it was
// refused before sending. `blocking` says it went through RunBlockingArgs.
template <typename T>
struct Recorded {
  absl::Status status;
  std::vector<std::string> args;
  bool blocking = false;
  absl::Duration server_timeout;
  Converter<T> convert = nullptr;
};

class RecordingExecutor : public Commands<RecordingExecutor, Recorded> {
 public:
  template <typename T, typename... Args>
  Recorded<T> Run(Converter<T> convert, const Args&... args) {
    const CommandArg argv[] = {CommandArg(args)...};
    return RunArgs<T>(convert,
                      absl::Span<const CommandArg>(argv, sizeof...(args)));
  }
  template <typename T>
  Recorded<T> RunArgs(Converter<T> convert, absl::Span<const CommandArg> args) {
    Recorded<T> r;
    r.convert = convert;
    for (const CommandArg& a : args) r.args.emplace_back(a.view());
    return r;
  }
  template <typename T>
  Recorded<T> RunBlockingArgs(Converter<T> convert,
                              absl::Duration server_timeout,
                              absl::Span<const CommandArg> args) {
    Recorded<T> r = RunArgs<T>(convert, args);
    r.blocking = true;
    r.server_timeout = server_timeout;
    return r;
  }
  template <typename T>
  Recorded<T> Fail(absl::Status status) {
    Recorded<T> r;
    r.status = std::move(status);
    return r;
  }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_RECORDING_EXECUTOR_H_
