// RunInForkedChild: runs a function in a fork()ed copy of the test process
// and returns its exit code, for tests of fork safety ("a client used in a
// child must not touch the parent's sockets").
//
//   absl::StatusOr<int> code = valkey::testing::RunInForkedChild([&] {
//     auto id = client->Execute("CLIENT", "ID");
//     return id.ok() && id->integer() != parent_id ? 0 : 1;
//   });
//   ASSERT_TRUE(code.ok()) << code.status();
//   EXPECT_EQ(*code, 0);
//
// The child runs only `body` (on a copy of the calling thread; no other
// thread exists there) and leaves with _exit(), so no destructor, atexit
// handler or gtest report of the parent's runs in it. gtest assertions in
// `body` are not reported: encode the outcome in the exit code.
//
// The wait is bounded, so a child that hangs (say, on a mutex another
// thread held at fork time, or waiting for a reply that never comes) fails
// the test instead of hanging it: the child is killed after `timeout`.
//
// Thread-safety: thread-safe; the child is reaped before returning.

#ifndef VALKEY_TESTING_FORK_FORKED_CHILD_H_
#define VALKEY_TESTING_FORK_FORKED_CHILD_H_

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace valkey::testing {

// Returns the child's exit code (0-255). Errors: DEADLINE_EXCEEDED when it
// did not exit within `timeout` (it is then killed); INTERNAL when fork()
// failed or the child died of a signal.
absl::StatusOr<int> RunInForkedChild(
    absl::FunctionRef<int()> body, absl::Duration timeout = absl::Seconds(20));

}  // namespace valkey::testing

#endif  // VALKEY_TESTING_FORK_FORKED_CHILD_H_
