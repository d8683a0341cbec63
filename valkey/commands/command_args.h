// CommandArgs: a command's arguments assembled at run time (optional flags,
// variable key lists) without heap allocation for the common sizes.
//
//   CommandArgs args{"SET", key, value};
//   if (nx) args.push_back("NX");
//   return self.template RunArgs<bool>(&convert::SetResult, args.span());
//
// CommandArg holds views of strings (and formats numbers inline), so every
// string passed in must outlive the command's execution.

#ifndef VALKEY_COMMANDS_COMMAND_ARGS_H_
#define VALKEY_COMMANDS_COMMAND_ARGS_H_

#include <initializer_list>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "valkey/common/resp_writer.h"

namespace valkey {

class CommandArgs {
 public:
  CommandArgs(std::initializer_list<CommandArg> args) : args_(args) {}

  void push_back(const CommandArg& arg) { args_.push_back(arg); }
  void reserve(size_t n) { args_.reserve(n); }
  size_t size() const { return args_.size(); }
  absl::Span<const CommandArg> span() const { return args_; }

 private:
  absl::InlinedVector<CommandArg, 8> args_;
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_COMMAND_ARGS_H_
