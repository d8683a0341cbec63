#include "valkey/commands/command_arena.h"

#include "absl/strings/string_view.h"

namespace valkey {

size_t CommandArena::Add(absl::Span<const CommandArg> args) {
  commands_.push_back({static_cast<uint32_t>(args_.size()),
                       static_cast<uint32_t>(args.size())});
  for (const CommandArg& a : args) {
    const absl::string_view v = a.view();
    args_.push_back({static_cast<uint32_t>(bytes_.size()),
                     static_cast<uint32_t>(v.size())});
    bytes_.append(v.data(), v.size());
  }
  return commands_.size() - 1;
}

void CommandArena::Get(size_t index, std::vector<CommandArg>& out) const {
  out.clear();
  const Range& command = commands_[index];
  for (uint32_t a = command.offset; a < command.offset + command.size; ++a) {
    out.emplace_back(
        absl::string_view(bytes_).substr(args_[a].offset, args_[a].size));
  }
}

void CommandArena::Clear() {
  bytes_.clear();
  args_.clear();
  commands_.clear();
}

}  // namespace valkey
