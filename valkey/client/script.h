// Script: a Lua script run by its SHA1, the way a script cache is meant to
// be used. It holds the source and its SHA1 (computed locally, so creating
// one sends nothing) and runs with EVALSHA; when the server does not know
// the SHA1 (NOSCRIPT: a restarted server, SCRIPT FLUSH, a fail-over), it
// falls back to EVAL with the source, which also caches the script server-
// side, so the next run is an EVALSHA again.
//
//   const valkey::Script incr_by(
//       "return redis.call('INCRBY', KEYS[1], ARGV[1])");
//   absl::StatusOr<valkey::Reply> r = incr_by.Run(client, {"counter"}, {"5"});
//   absl::StatusOr<int64_t> n =
//       incr_by.RunAs(client, &valkey::convert::Integer, {"counter"}, {"5"});
//
// Run and RunAs need an executor that answers at once (the blocking Client:
// its commands return absl::StatusOr). In a Pipeline or a transaction the
// NOSCRIPT reply would only arrive with the batch; load the script first
// (Load) and queue EvalSha(script.sha1(), ...) there.
//
// Errors: those of EVALSHA and EVAL (the script's own errors with their
// prefix; connection errors after the client's retries). A NOSCRIPT from
// EVALSHA is never returned: it triggers the EVAL.
//
// Thread-safety: immutable after construction; one Script may be shared and
// run from any number of threads at once.

#ifndef VALKEY_CLIENT_SCRIPT_H_
#define VALKEY_CLIENT_SCRIPT_H_

#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"

namespace valkey {

// The SHA1 of `source` as 40 lowercase hex digits, as SCRIPT LOAD returns
// it.
std::string ScriptSha1(absl::string_view source);

class Script {
 public:
  explicit Script(std::string source)
      : source_(std::move(source)), sha1_(ScriptSha1(source_)) {}

  const std::string& source() const { return source_; }
  // 40 lowercase hex digits.
  const std::string& sha1() const { return sha1_; }

  // Runs the script with KEYS = `keys` and ARGV = `args` and returns its
  // reply: EVALSHA, then EVAL if the server answered NOSCRIPT. Blocks like
  // any command of `executor`.
  template <typename E>
  absl::StatusOr<Reply> Run(E& executor,
                            absl::Span<const std::string> keys = {},
                            absl::Span<const std::string> args = {}) const {
    return RunAs(executor, &convert::Raw, keys, args);
  }

  // The same, converting the reply with `convert`
  // (&convert::Integer, &convert::StringList, ...).
  template <typename E, typename T>
  absl::StatusOr<T> RunAs(E& executor, Converter<T> convert,
                          absl::Span<const std::string> keys = {},
                          absl::Span<const std::string> args = {}) const {
    static_assert(
        std::is_same_v<decltype(executor.EvalShaAs(convert, sha1_, keys,
                                                   args)),
                       absl::StatusOr<T>>,
        "Script::Run needs an executor that answers at once (Client); in a "
        "pipeline, Load() the script and queue EvalSha");
    absl::StatusOr<T> result = executor.EvalShaAs(convert, sha1_, keys, args);
    if (!result.ok() && IsNoScript(result.status())) {
      return executor.EvalAs(convert, source_, keys, args);
    }
    return result;
  }

  // SCRIPT LOAD through a blocking executor (the Client): caches the
  // script server-side, so that a pipeline can then queue EvalSha(sha1(),
  // ...) on the same server. Blocks for one round trip. Errors: a compile
  // error in the script as its status; DATA_LOSS if the server reports
  // another SHA1.
  template <typename E>
  absl::Status Load(E& executor) const {
    static_assert(
        std::is_same_v<decltype(executor.ScriptLoad(source_)),
                       absl::StatusOr<std::string>>,
        "Script::Load needs an executor that answers at once (Client)");
    absl::StatusOr<std::string> sha1 = executor.ScriptLoad(source_);
    if (!sha1.ok()) return sha1.status();
    if (*sha1 != sha1_) {
      return ProtocolError("SCRIPT LOAD returned an unexpected SHA1 " + *sha1);
    }
    return absl::OkStatus();
  }

 private:
  std::string source_;
  std::string sha1_;
};

}  // namespace valkey

#endif  // VALKEY_CLIENT_SCRIPT_H_
