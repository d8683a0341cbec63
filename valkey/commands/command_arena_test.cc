// CommandArena keeps each command's arguments apart and intact (empty
// commands, empty and binary arguments, integers encoded by CommandArg),
// across growth of its buffer and after Clear().

#include "valkey/commands/command_arena.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace {

std::vector<std::string> Strings(const CommandArena& arena, size_t i) {
  std::vector<CommandArg> view;
  arena.Get(i, view);
  std::vector<std::string> out;
  for (const CommandArg& a : view) out.emplace_back(a.view());
  return out;
}

TEST(CommandArenaTest, KeepsEachCommandApart) {
  CommandArena arena;
  const std::string binary("a\0b\r\n", 5);
  const CommandArg set[] = {"SET", "k", binary};
  const CommandArg incr[] = {"INCRBY", "n", 42};
  const CommandArg empty_arg[] = {"ECHO", ""};
  EXPECT_EQ(arena.Add(set), 0u);
  EXPECT_EQ(arena.Add({}), 1u);
  EXPECT_EQ(arena.Add(incr), 2u);
  EXPECT_EQ(arena.Add(empty_arg), 3u);
  // Enough bytes to make the buffer grow past its first allocations.
  const std::string big(100000, 'x');
  const CommandArg large[] = {"SET", "big", big};
  EXPECT_EQ(arena.Add(large), 4u);
  ASSERT_EQ(arena.size(), 5u);
  EXPECT_EQ(Strings(arena, 0), (std::vector<std::string>{"SET", "k", binary}));
  EXPECT_TRUE(Strings(arena, 1).empty());
  EXPECT_EQ(Strings(arena, 2), (std::vector<std::string>{"INCRBY", "n", "42"}));
  EXPECT_EQ(Strings(arena, 3), (std::vector<std::string>{"ECHO", ""}));
  EXPECT_EQ(Strings(arena, 4), (std::vector<std::string>{"SET", "big", big}));

  arena.Clear();
  EXPECT_TRUE(arena.empty());
  EXPECT_EQ(arena.Add(incr), 0u);
  EXPECT_EQ(Strings(arena, 0), (std::vector<std::string>{"INCRBY", "n", "42"}));
}

}  // namespace
}  // namespace valkey
