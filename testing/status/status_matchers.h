// gMock matchers and assertion macros for absl::Status and absl::StatusOr.
//
//   ASSERT_THAT(client, IsOk());                 // Status or StatusOr
//   EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
//   EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument,
//                           ::testing::HasSubstr("max_connections")));
//   EXPECT_THAT(get, IsOkAndHolds(std::optional<std::string>("v")));
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<Client> c, Client::Create(o));
//
// Why: `EXPECT_TRUE(x.ok())` followed by `*x` goes on after a failure and
// dereferences an error (a crash that hides the status); these print the
// status on failure, and the ASSERT forms stop the test. ASSERT_* only work
// in functions returning void (gtest's rule).

#ifndef VALKEY_TESTING_STATUS_STATUS_MATCHERS_H_
#define VALKEY_TESTING_STATUS_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace valkey::testing {
namespace status_matchers_internal {

inline const absl::Status& StatusOf(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace status_matchers_internal

// Matches an OK absl::Status or absl::StatusOr<T>; on failure prints the
// status.
MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& status = status_matchers_internal::StatusOf(arg);
  if (!status.ok()) *result_listener << "which is " << status;
  return status.ok();
}

// Matches a Status / StatusOr whose code is `code` (and, with a second
// argument, whose message matches it: a string or a matcher such as
// ::testing::HasSubstr).
MATCHER_P(StatusIs, code,
          std::string(negation ? "has a code other than " : "has code ") +
              absl::StatusCodeToString(code)) {
  const absl::Status& status = status_matchers_internal::StatusOf(arg);
  *result_listener << "which is " << status;
  return status.code() == code;
}
MATCHER_P2(StatusIs, code, message,
           std::string(negation ? "does not have code " : "has code ") +
               absl::StatusCodeToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message, negation)) {
  const absl::Status& status = status_matchers_internal::StatusOf(arg);
  *result_listener << "which is " << status;
  return status.code() == code &&
         ::testing::Matches(::testing::SafeMatcherCast<const std::string&>(
             message))(std::string(status.message()));
}

// Matches an OK StatusOr whose value matches `value` (a value or a
// matcher).
MATCHER_P(IsOkAndHolds, value,
          std::string(negation ? "is not OK or holds a value that "
                               : "is OK and holds a value that ") +
              ::testing::DescribeMatcher<
                  typename std::decay_t<arg_type>::value_type>(value,
                                                               negation)) {
  if (!arg.ok()) {
    *result_listener << "which is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value, *arg, result_listener);
}

}  // namespace valkey::testing

// Fails the test (stops it) unless `expr` (a Status or StatusOr) is OK.
#define VALKEY_STATUS_MATCHERS_CONCAT_INNER(a, b) a##b
#define VALKEY_STATUS_MATCHERS_CONCAT(a, b) \
  VALKEY_STATUS_MATCHERS_CONCAT_INNER(a, b)
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::valkey::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::valkey::testing::IsOk())

// Evaluates `rexpr` (a StatusOr); stops the test with its status unless OK,
// else moves its value into `lhs` (a declaration or an lvalue).
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr)                                     \
  auto VALKEY_STATUS_MATCHERS_CONCAT(status_or_, __LINE__) = (rexpr);        \
  ASSERT_THAT(VALKEY_STATUS_MATCHERS_CONCAT(status_or_, __LINE__),           \
              ::valkey::testing::IsOk());                                    \
  lhs = *std::move(VALKEY_STATUS_MATCHERS_CONCAT(status_or_, __LINE__))

#endif  // VALKEY_TESTING_STATUS_STATUS_MATCHERS_H_
