// Function commands: FUNCTION LOAD / DELETE / FLUSH / KILL / LIST / DUMP /
// RESTORE / STATS and FCALL / FCALL_RO — libraries of Lua functions the
// server keeps (and replicates and persists), called by name. Part of the
// command table (see command_table.h): each method is the command's
// arguments plus its reply conversion, run by the executor `E` (Client,
// Pipeline, async client).
//
//   client.FunctionLoad(
//       "#!lua name=mylib\n"
//       "server.register_function('hello', function() return 'hi' end)");
//   absl::StatusOr<Reply> r = client.FCall("hello", {}, {});
//
// A function can return anything, so FCall/FCallRo hand back the Reply
// itself; FCallAs applies a converter of your choice. Library listings
// and statistics become FunctionLibrary / FunctionStatsInfo from RESP2 arrays
// and RESP3 maps alike.
//
// Errors: INVALID_ARGUMENT for an empty library code or function name,
// before anything is sent; server error replies ("ERR Library 'x' already
// exists", "ERR Function not found", NOTBUSY, ...) as their status;
// DATA_LOSS for a reply of an unexpected shape.
//
// Thread-safety: as the executor's.

#ifndef VALKEY_COMMANDS_FUNCTION_COMMANDS_H_
#define VALKEY_COMMANDS_FUNCTION_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/commands/command_args.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/commands/reply_fields.h"
#include "valkey/commands/server_commands.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"

namespace valkey {

// One function of a library.
struct FunctionInfo {
  std::string name;
  // nullopt when the library registered none.
  std::optional<std::string> description;
  // "no-writes", "allow-oom", ...
  std::vector<std::string> flags;
};

// One library as FUNCTION LIST describes it.
struct FunctionLibrary {
  std::string name;
  std::string engine;  // "LUA"
  std::vector<FunctionInfo> functions;
  // The source, with FunctionListOptions::with_code only.
  std::optional<std::string> code;
};

struct FunctionListOptions {
  // LIBRARYNAME pattern: only libraries whose name matches this glob.
  // Empty: all.
  std::string library_pattern;
  // WITHCODE: include each library's source.
  bool with_code = false;
};

// FUNCTION RESTORE's policy for libraries that already exist.
enum class FunctionRestorePolicy {
  kAppend,   // APPEND (the server's default): fail on a name clash
  kFlush,    // FLUSH: delete every library first
  kReplace,  // REPLACE: replace libraries of the same name
};

// FUNCTION STATS.
struct FunctionStatsInfo {
  // The function running now, if any.
  struct Running {
    std::string name;
    std::vector<std::string> command;
    int64_t duration_ms = 0;
  };
  std::optional<Running> running;
  // Per engine ("LUA"): how many libraries and functions it holds.
  struct Engine {
    int64_t libraries = 0;
    int64_t functions = 0;
  };
  absl::flat_hash_map<std::string, Engine> engines;
};

namespace convert {

inline absl::StatusOr<FunctionInfo> FunctionInfoFrom(const ReplyView& reply) {
  absl::StatusOr<ReplyFields> fields = ReplyFields::Of(reply, "a function");
  if (!fields.ok()) return fields.status();
  FunctionInfo info;
  info.name = fields->String("name");
  info.description = fields->OptionalString("description");
  if (std::optional<ReplyView> flags = fields->Find("flags")) {
    absl::StatusOr<std::vector<std::string>> list = StringList(*flags);
    if (!list.ok()) return list.status();
    info.flags = *std::move(list);
  }
  return info;
}

// FUNCTION LIST: an array of library maps.
inline absl::StatusOr<std::vector<FunctionLibrary>> FunctionLibraries(
    const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray) {
    return WrongShape("an array of libraries", reply);
  }
  std::vector<FunctionLibrary> out;
  out.reserve(reply.size());
  for (ReplyView element : reply) {
    absl::StatusOr<ReplyFields> fields = ReplyFields::Of(element, "a library");
    if (!fields.ok()) return fields.status();
    FunctionLibrary library;
    library.name = fields->String("library_name");
    library.engine = fields->String("engine");
    library.code = fields->OptionalString("library_code");
    if (std::optional<ReplyView> functions = fields->Find("functions")) {
      if (functions->type() != ReplyType::kArray) {
        return WrongShape("an array of functions", *functions);
      }
      for (ReplyView f : *functions) {
        absl::StatusOr<FunctionInfo> info = FunctionInfoFrom(f);
        if (!info.ok()) return info.status();
        library.functions.push_back(*std::move(info));
      }
    }
    out.push_back(std::move(library));
  }
  return out;
}

inline absl::StatusOr<FunctionStatsInfo> FunctionStatsFrom(const ReplyView& reply) {
  absl::StatusOr<ReplyFields> fields = ReplyFields::Of(reply, "FUNCTION STATS");
  if (!fields.ok()) return fields.status();
  FunctionStatsInfo stats;
  std::optional<ReplyView> running = fields->Find("running_script");
  if (running.has_value() && !running->is_null()) {
    absl::StatusOr<ReplyFields> r = ReplyFields::Of(*running, "running_script");
    if (!r.ok()) return r.status();
    FunctionStatsInfo::Running now;
    now.name = r->String("name");
    now.duration_ms = r->Integer("duration_ms");
    if (std::optional<ReplyView> command = r->Find("command")) {
      absl::StatusOr<std::vector<std::string>> words = StringList(*command);
      if (!words.ok()) return words.status();
      now.command = *std::move(words);
    }
    stats.running = std::move(now);
  }
  if (std::optional<ReplyView> engines = fields->Find("engines")) {
    absl::StatusOr<ReplyFields> all = ReplyFields::Of(*engines, "engines");
    if (!all.ok()) return all.status();
    for (const auto& [name, value] : all->all()) {
      absl::StatusOr<ReplyFields> e = ReplyFields::Of(value, "an engine");
      if (!e.ok()) return e.status();
      stats.engines[name] = FunctionStatsInfo::Engine{
          e->Integer("libraries_count"), e->Integer("functions_count")};
    }
  }
  return stats;
}

}  // namespace convert

template <typename E, template <typename> class Result>
class FunctionCommands {
 public:
  // FUNCTION LOAD [REPLACE] code → the library's name (from its
  // "#!lua name=..." line). Without `replace`, loading a library name that
  // exists is a server error.
  Result<std::string> FunctionLoad(absl::string_view code,
                                   bool replace = false) {
    if (code.empty()) {
      return self().template Fail<std::string>(
          InvalidArgumentError("FUNCTION LOAD: code must not be empty"));
    }
    CommandArgs args{"FUNCTION", "LOAD"};
    if (replace) args.push_back("REPLACE");
    args.push_back(code);
    return self().template RunArgs<std::string>(&convert::String, args.span());
  }
  // FUNCTION DELETE library → true. A missing library is a server error.
  Result<bool> FunctionDelete(absl::string_view library) {
    return self().template Run<bool>(&convert::Ok, "FUNCTION", "DELETE",
                                     library);
  }
  // FUNCTION FLUSH [ASYNC|SYNC] → true; deletes every library.
  Result<bool> FunctionFlush(FlushMode mode = FlushMode::kDefault) {
    CommandArgs args{"FUNCTION", "FLUSH"};
    internal::AppendFlushMode(mode, args);
    return self().template RunArgs<bool>(&convert::Ok, args.span());
  }
  // FUNCTION KILL → true; stops a running read-only function. NOTBUSY when
  // none runs.
  Result<bool> FunctionKill() {
    return self().template Run<bool>(&convert::Ok, "FUNCTION", "KILL");
  }
  // FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE] → the libraries.
  Result<std::vector<FunctionLibrary>> FunctionList(
      const FunctionListOptions& options = {}) {
    CommandArgs args{"FUNCTION", "LIST"};
    if (!options.library_pattern.empty()) {
      args.push_back("LIBRARYNAME");
      args.push_back(options.library_pattern);
    }
    if (options.with_code) args.push_back("WITHCODE");
    return self().template RunArgs<std::vector<FunctionLibrary>>(
        &convert::FunctionLibraries, args.span());
  }
  // FUNCTION DUMP → every library as one opaque binary payload, for
  // FunctionRestore.
  Result<std::string> FunctionDump() {
    return self().template Run<std::string>(&convert::String, "FUNCTION",
                                            "DUMP");
  }
  // FUNCTION RESTORE payload [APPEND|FLUSH|REPLACE] → true.
  Result<bool> FunctionRestore(
      absl::string_view payload,
      FunctionRestorePolicy policy = FunctionRestorePolicy::kAppend) {
    const char* word = policy == FunctionRestorePolicy::kAppend  ? "APPEND"
                       : policy == FunctionRestorePolicy::kFlush ? "FLUSH"
                                                                 : "REPLACE";
    return self().template Run<bool>(&convert::Ok, "FUNCTION", "RESTORE",
                                     payload, word);
  }
  // FUNCTION STATS → the running function (if any) and per-engine counts.
  Result<FunctionStatsInfo> FunctionStats() {
    return self().template Run<FunctionStatsInfo>(&convert::FunctionStatsFrom,
                                              "FUNCTION", "STATS");
  }

  // FCALL function numkeys key... arg... → the function's return value.
  Result<Reply> FCall(absl::string_view function,
                      absl::Span<const std::string> keys,
                      absl::Span<const std::string> args) {
    return Call<Reply>("FCALL", &convert::Raw, function, keys, args);
  }
  // FCALL, converting the return value with `convert`.
  template <typename T>
  Result<T> FCallAs(Converter<T> convert, absl::string_view function,
                    absl::Span<const std::string> keys,
                    absl::Span<const std::string> args) {
    return Call<T>("FCALL", convert, function, keys, args);
  }
  // FCALL_RO: the same for functions flagged no-writes (they may run on
  // replicas).
  Result<Reply> FCallRo(absl::string_view function,
                        absl::Span<const std::string> keys,
                        absl::Span<const std::string> args) {
    return Call<Reply>("FCALL_RO", &convert::Raw, function, keys, args);
  }

 private:
  E& self() { return static_cast<E&>(*this); }

  template <typename T>
  Result<T> Call(absl::string_view command, Converter<T> convert,
                 absl::string_view function,
                 absl::Span<const std::string> keys,
                 absl::Span<const std::string> call_args) {
    if (function.empty()) {
      return self().template Fail<T>(InvalidArgumentError(
          absl::StrCat(command, ": function name must not be empty")));
    }
    CommandArgs args{command, function, static_cast<int64_t>(keys.size())};
    args.reserve(3 + keys.size() + call_args.size());
    for (const std::string& key : keys) args.push_back(key);
    for (const std::string& arg : call_args) args.push_back(arg);
    return self().template RunArgs<T>(convert, args.span());
  }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_FUNCTION_COMMANDS_H_
