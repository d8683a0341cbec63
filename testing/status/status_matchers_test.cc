// The matchers accept and reject what they say, and explain a failure with
// the status (checked through gMock's own explanation).

#include "testing/status/status_matchers.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace valkey::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

template <typename M, typename T>
std::string Explain(const M& matcher, const T& value) {
  ::testing::StringMatchResultListener listener;
  ::testing::ExplainMatchResult(matcher, value, &listener);
  return listener.str();
}

TEST(StatusMatchersTest, IsOk) {
  EXPECT_THAT(absl::OkStatus(), IsOk());
  EXPECT_THAT(absl::StatusOr<int>(3), IsOk());
  const absl::Status bad = absl::UnavailableError("node 7001 down");
  EXPECT_THAT(bad, Not(IsOk()));
  EXPECT_THAT(absl::StatusOr<int>(bad), Not(IsOk()));
  EXPECT_THAT(Explain(IsOk(), bad), HasSubstr("node 7001 down"));
  EXPECT_OK(absl::OkStatus());
  ASSERT_OK(absl::StatusOr<std::string>("x"));
}

TEST(StatusMatchersTest, StatusIs) {
  const absl::StatusOr<int> r = absl::InvalidArgumentError("bad ttl: -1");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(r, Not(StatusIs(absl::StatusCode::kUnavailable)));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("ttl")));
  EXPECT_THAT(r, Not(StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("port"))));
  EXPECT_THAT(absl::OkStatus(), StatusIs(absl::StatusCode::kOk));
  EXPECT_THAT(Explain(StatusIs(absl::StatusCode::kOk), r.status()),
              HasSubstr("bad ttl"));
}

TEST(StatusMatchersTest, IsOkAndHolds) {
  const absl::StatusOr<std::optional<std::string>> v =
      std::optional<std::string>("v");
  EXPECT_THAT(v, IsOkAndHolds(std::optional<std::string>("v")));
  EXPECT_THAT(v, Not(IsOkAndHolds(std::optional<std::string>("w"))));
  const absl::StatusOr<int> bad = absl::NotFoundError("no master");
  EXPECT_THAT(bad, Not(IsOkAndHolds(1)));
  EXPECT_THAT(Explain(IsOkAndHolds(1), bad), HasSubstr("no master"));
  EXPECT_THAT(absl::StatusOr<int>(5), IsOkAndHolds(::testing::Gt(4)));
}

TEST(StatusMatchersTest, AssertOkAndAssign) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<int> p,
                       absl::StatusOr<std::unique_ptr<int>>(
                           std::make_unique<int>(7)));
  EXPECT_EQ(*p, 7);
  int n = 0;
  ASSERT_OK_AND_ASSIGN(n, absl::StatusOr<int>(9));
  EXPECT_EQ(n, 9);
}

}  // namespace
}  // namespace valkey::testing
