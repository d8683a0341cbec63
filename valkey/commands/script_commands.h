// Lua scripting commands: EVAL, EVALSHA (and their read-only forms), SCRIPT
// LOAD / EXISTS / FLUSH / KILL. Part of the command table (see
// command_table.h): each method is the command's arguments plus its reply
// conversion, run by the executor `E` (Client, Pipeline, async client).
//
//   absl::StatusOr<Reply> r = client.Eval(
//       "return redis.call('GET', KEYS[1])", {"user:1"}, {});
//   absl::StatusOr<int64_t> n = client.EvalAs(
//       &convert::Integer, "return #ARGV", {}, {"a", "b"});
//
// A script can return anything, so Eval/EvalSha hand back the Reply itself
// (its RESP2 or RESP3 shape, as the connection speaks); EvalAs/EvalShaAs
// apply a converter of your choice. To run a script by its SHA1 with an
// automatic fall-back when the server does not know it, use Script
// (script.h).
//
// Errors: a script's error (or a redis.error_reply) as its status, with the
// server's prefix kept; NOSCRIPT for an unknown SHA1 (IsNoScript); INVALID_
// ARGUMENT for an empty script or SHA1, before anything is sent.
//
// Thread-safety: as the executor's.

#ifndef VALKEY_COMMANDS_SCRIPT_COMMANDS_H_
#define VALKEY_COMMANDS_SCRIPT_COMMANDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/commands/command_args.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/commands/server_commands.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"

namespace valkey {

template <typename E, template <typename> class Result>
class ScriptCommands {
 public:
  // EVAL script numkeys key... arg... → the script's return value.
  Result<Reply> Eval(absl::string_view script,
                     absl::Span<const std::string> keys,
                     absl::Span<const std::string> args) {
    return EvalAs(&convert::Raw, script, keys, args);
  }
  // EVAL, converting the return value with `convert`.
  template <typename T>
  Result<T> EvalAs(Converter<T> convert, absl::string_view script,
                   absl::Span<const std::string> keys,
                   absl::Span<const std::string> args) {
    return Call("EVAL", convert, script, keys, args);
  }

  // EVALSHA sha1 numkeys key... arg... → the return value of the script
  // cached under `sha1`. NOSCRIPT (IsNoScript) if the server lacks it.
  Result<Reply> EvalSha(absl::string_view sha1,
                        absl::Span<const std::string> keys,
                        absl::Span<const std::string> args) {
    return EvalShaAs(&convert::Raw, sha1, keys, args);
  }
  template <typename T>
  Result<T> EvalShaAs(Converter<T> convert, absl::string_view sha1,
                      absl::Span<const std::string> keys,
                      absl::Span<const std::string> args) {
    return Call("EVALSHA", convert, sha1, keys, args);
  }

  // EVAL_RO / EVALSHA_RO: the same for scripts that only read (they may run
  // on replicas; a write inside is an error).
  Result<Reply> EvalRo(absl::string_view script,
                       absl::Span<const std::string> keys,
                       absl::Span<const std::string> args) {
    return Call("EVAL_RO", &convert::Raw, script, keys, args);
  }
  Result<Reply> EvalShaRo(absl::string_view sha1,
                          absl::Span<const std::string> keys,
                          absl::Span<const std::string> args) {
    return Call("EVALSHA_RO", &convert::Raw, sha1, keys, args);
  }

  // SCRIPT LOAD script → its SHA1 (40 lowercase hex digits); the server
  // caches the script without running it.
  Result<std::string> ScriptLoad(absl::string_view script) {
    if (script.empty()) {
      return self().template Fail<std::string>(
          InvalidArgumentError("SCRIPT LOAD: script must not be empty"));
    }
    return self().template Run<std::string>(&convert::String, "SCRIPT", "LOAD",
                                            script);
  }

  // SCRIPT EXISTS sha1... → for each SHA1, whether the server has it.
  // INVALID_ARGUMENT: no SHA1s.
  Result<std::vector<bool>> ScriptExists(absl::Span<const std::string> sha1s) {
    using Value = std::vector<bool>;
    if (sha1s.empty()) {
      return self().template Fail<Value>(
          InvalidArgumentError("SCRIPT EXISTS: needs at least one sha1"));
    }
    CommandArgs args{"SCRIPT", "EXISTS"};
    args.reserve(2 + sha1s.size());
    for (const std::string& sha1 : sha1s) args.push_back(sha1);
    return self().template RunArgs<Value>(&convert::BoolList, args.span());
  }

  // SCRIPT SHOW sha1 → the source of the cached script (Valkey 8.0+).
  // A server error when the server lacks it.
  Result<std::string> ScriptShow(absl::string_view sha1) {
    if (sha1.empty()) {
      return self().template Fail<std::string>(
          InvalidArgumentError("SCRIPT SHOW: sha1 must not be empty"));
    }
    return self().template Run<std::string>(&convert::String, "SCRIPT", "SHOW",
                                            sha1);
  }
  // SCRIPT FLUSH [ASYNC|SYNC]: empties the server's script cache.
  Result<bool> ScriptFlush(FlushMode mode = FlushMode::kDefault) {
    CommandArgs args{"SCRIPT", "FLUSH"};
    internal::AppendFlushMode(mode, args);
    return self().template RunArgs<bool>(&convert::Ok, args.span());
  }

  // SCRIPT KILL: stops the running script if it has not written yet.
  // Errors: NOTBUSY when no script runs; UNKILLABLE after a write.
  Result<bool> ScriptKill() {
    return self().template Run<bool>(&convert::Ok, "SCRIPT", "KILL");
  }

 private:
  E& self() { return static_cast<E&>(*this); }

  template <typename T>
  Result<T> Call(absl::string_view command, Converter<T> convert,
                 absl::string_view body, absl::Span<const std::string> keys,
                 absl::Span<const std::string> script_args) {
    if (body.empty()) {
      return self().template Fail<T>(InvalidArgumentError(
          absl::StrCat(command, command == "EVAL" || command == "EVAL_RO"
                                    ? ": script must not be empty"
                                    : ": sha1 must not be empty")));
    }
    CommandArgs args{command, body, static_cast<int64_t>(keys.size())};
    args.reserve(3 + keys.size() + script_args.size());
    for (const std::string& key : keys) args.push_back(key);
    for (const std::string& arg : script_args) args.push_back(arg);
    return self().template RunArgs<T>(convert, args.span());
  }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_SCRIPT_COMMANDS_H_
