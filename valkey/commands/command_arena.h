// CommandArena: the arguments of queued commands, copied into one buffer
// that is reused from batch to batch, so that queueing a command allocates
// nothing once the buffers have grown. Used by the batches that must own
// their commands until they are sent: the blocking and async cluster
// pipelines.
//
//   CommandArena arena;
//   size_t i = arena.Add(args);          // copies the bytes
//   std::vector<CommandArg> view;
//   arena.Get(i, view);                  // views into the arena
//
// Views from Get() stay valid until the next Add() or Clear() (the buffer
// may move when it grows). Pure data; one thread at a time.

#ifndef VALKEY_COMMANDS_COMMAND_ARENA_H_
#define VALKEY_COMMANDS_COMMAND_ARENA_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "valkey/common/resp_writer.h"

namespace valkey {

class CommandArena {
 public:
  // Copies `args` (possibly none) as the next command; returns its index.
  size_t Add(absl::Span<const CommandArg> args);

  // Command `index`'s arguments, as views into the arena, into `out`
  // (cleared first). `index` < size().
  void Get(size_t index, std::vector<CommandArg>& out) const;

  size_t size() const { return commands_.size(); }
  bool empty() const { return commands_.empty(); }

  // Forgets every command; keeps the buffers' capacity.
  void Clear();

 private:
  struct Range {
    uint32_t offset = 0;
    uint32_t size = 0;
  };
  std::string bytes_;
  std::vector<Range> args_;      // Every argument of every command.
  std::vector<Range> commands_;  // A command's slice of args_.
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_COMMAND_ARENA_H_
