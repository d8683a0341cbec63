// CurrentProcessId against getpid(), in the parent and in fork()ed children
// (a child of a child too).

#include "valkey/common/process_id.h"

#include <unistd.h>

#include "gtest/gtest.h"
#include "testing/fork/forked_child.h"

namespace valkey {
namespace {

using ::valkey::testing::RunInForkedChild;

TEST(ProcessIdTest, MatchesGetpidInParentAndChildren) {
  const pid_t parent = CurrentProcessId();
  EXPECT_EQ(parent, ::getpid());
  absl::StatusOr<int> code = RunInForkedChild([parent]() {
    const pid_t child = CurrentProcessId();
    if (child != ::getpid() || child == parent) return 1;
    absl::StatusOr<int> grandchild = RunInForkedChild([child]() {
      const pid_t me = CurrentProcessId();
      return me == ::getpid() && me != child ? 0 : 1;
    });
    if (!grandchild.ok() || *grandchild != 0) return 2;
    return CurrentProcessId() == child ? 0 : 3;
  });
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
  EXPECT_EQ(CurrentProcessId(), parent);
}

}  // namespace
}  // namespace valkey
