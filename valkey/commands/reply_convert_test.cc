// convert:: functions on canned replies (no server).

#include "valkey/commands/reply_convert.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_reader.h"

namespace valkey {
namespace {

Reply Parse(const std::string& bytes, const ReaderLimits& limits) {
  RespReader reader(limits);
  reader.Feed(bytes);
  Reply reply;
  EXPECT_EQ(reader.Read(&reply), RespReader::Result::kReply)
      << reader.status();
  return reply;
}

// Raw copies a reply by re-encoding and re-reading it. The reply was
// already accepted by its connection, whose limits may be wider than the
// defaults (a script returning a table 80 deep under max_depth 100), so the
// copy must not apply the default limits again.
TEST(ConvertRawTest, CopiesRepliesBeyondTheDefaultReaderLimits) {
  std::string nested;
  for (int i = 0; i < 80; ++i) nested += "*1\r\n";
  nested += ":7\r\n";
  ReaderLimits wide;
  wide.max_depth = 100;
  const Reply deep = Parse(nested, wide);
  absl::StatusOr<Reply> copy = convert::Raw(deep.view());
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->DebugString(), deep.DebugString());

  // A sub-view is copied on its own.
  copy = convert::Raw(deep[0][0]);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->DebugString(), deep[0][0].DebugString());
}

TEST(ConvertRawTest, CopiesScalarsAndAggregates) {
  const Reply reply =
      Parse("*3\r\n$3\r\nabc\r\n:-5\r\n%1\r\n+k\r\n_\r\n", ReaderLimits());
  absl::StatusOr<Reply> copy = convert::Raw(reply.view());
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->DebugString(), reply.DebugString());
  copy = convert::Raw(reply[0]);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->str(), "abc");
}

}  // namespace
}  // namespace valkey
