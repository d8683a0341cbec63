// Function commands (function_commands.h) against a real valkey-server, on
// every executor (executor_test_fixture.h).

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "valkey/client/executor_test_fixture.h"
#include "valkey/commands/reply_convert.h"

namespace valkey::executor_tests {
namespace {

constexpr char kLibrary[] =
    "#!lua name=mylib\n"
    "server.register_function('echo_key', function(keys, args)\n"
    "  return server.call('GET', keys[1]) end)\n"
    "server.register_function{function_name='count_args',\n"
    "  callback=function(keys, args) return #args end,\n"
    "  flags={'no-writes'}, description='counts its arguments'}\n";

VALKEY_EXECUTOR_TEST_SUITE(FunctionCommandsTest);

TEST_P(FunctionCommandsTest, LoadCallListDelete) {
  EXPECT_THAT(Run([](auto& c) { return c.FunctionLoad(kLibrary); }),
              IsOkAndHolds("mylib"));
  // A second load of the same name needs REPLACE.
  EXPECT_THAT(Run([](auto& c) { return c.FunctionLoad(kLibrary); }),
              Not(IsOk()));
  EXPECT_THAT(Run([](auto& c) { return c.FunctionLoad(kLibrary, true); }),
              IsOkAndHolds("mylib"));

  ASSERT_OK(client().Set("k", "v"));
  auto echoed = Run([](auto& c) { return c.FCall("echo_key", {"k"}, {}); });
  ASSERT_THAT(echoed, IsOk());
  EXPECT_EQ(echoed->view().str(), "v");
  EXPECT_THAT(Run([](auto& c) {
                return c.FCallAs(&convert::Integer, "count_args", {},
                                 {"a", "b", "c"});
              }),
              IsOkAndHolds(3));
  auto ro = Run([](auto& c) { return c.FCallRo("count_args", {}, {"a"}); });
  ASSERT_THAT(ro, IsOk());
  EXPECT_EQ(ro->view().integer(), 1);

  auto list = Run([](auto& c) {
    return c.FunctionList({.library_pattern = "my*", .with_code = true});
  });
  ASSERT_THAT(list, IsOkAndHolds(::testing::SizeIs(1)));
  const FunctionLibrary& lib = (*list)[0];
  EXPECT_EQ(lib.name, "mylib");
  EXPECT_EQ(lib.engine, "LUA");
  EXPECT_THAT(lib.code, Optional(std::string(kLibrary)));
  ASSERT_EQ(lib.functions.size(), 2u);
  for (const FunctionInfo& f : lib.functions) {
    if (f.name == "count_args") {
      EXPECT_THAT(f.description, Optional(std::string("counts its arguments")));
      EXPECT_THAT(f.flags, ElementsAre("no-writes"));
    } else {
      EXPECT_EQ(f.name, "echo_key");
      EXPECT_FALSE(f.description.has_value());
      EXPECT_TRUE(f.flags.empty());
    }
  }

  auto stats = Run([](auto& c) { return c.FunctionStats(); });
  ASSERT_THAT(stats, IsOk());
  EXPECT_FALSE(stats->running.has_value());
  ASSERT_TRUE(stats->engines.contains("LUA"));
  EXPECT_EQ(stats->engines.at("LUA").libraries, 1);
  EXPECT_EQ(stats->engines.at("LUA").functions, 2);

  EXPECT_THAT(Run([](auto& c) { return c.FunctionKill(); }), Not(IsOk()));
  EXPECT_THAT(Run([](auto& c) { return c.FunctionDelete("mylib"); }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) { return c.FunctionDelete("mylib"); }),
              Not(IsOk()));
  EXPECT_THAT(Run([](auto& c) { return c.FCall("", {}, {}); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(FunctionCommandsTest, DumpRestoreFlush) {
  ASSERT_OK(client().FunctionLoad(kLibrary));
  auto payload = Run([](auto& c) { return c.FunctionDump(); });
  ASSERT_THAT(payload, IsOk());
  EXPECT_FALSE(payload->empty());
  EXPECT_THAT(Run([](auto& c) { return c.FunctionFlush(FlushMode::kSync); }),
              IsOkAndHolds(true));
  EXPECT_THAT(client().FunctionList(), IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(Run([&](auto& c) { return c.FunctionRestore(*payload); }),
              IsOkAndHolds(true));
  // APPEND (the default) refuses an existing library; REPLACE takes it.
  EXPECT_THAT(Run([&](auto& c) { return c.FunctionRestore(*payload); }),
              Not(IsOk()));
  EXPECT_THAT(Run([&](auto& c) {
                return c.FunctionRestore(*payload,
                                         FunctionRestorePolicy::kReplace);
              }),
              IsOkAndHolds(true));
  EXPECT_THAT(client().FunctionList(), IsOkAndHolds(::testing::SizeIs(1)));
}

}  // namespace
}  // namespace valkey::executor_tests
