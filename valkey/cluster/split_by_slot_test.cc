#include "valkey/cluster/split_by_slot.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "valkey/cluster/combine_replies.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace cluster {
namespace {

std::vector<CommandArg> Args(const std::vector<std::string>& s) {
  return std::vector<CommandArg>(s.begin(), s.end());
}

std::vector<std::string> Strs(const std::vector<CommandArg>& args) {
  std::vector<std::string> out;
  for (const CommandArg& a : args) out.emplace_back(a.view());
  return out;
}

NodeReply R(absl::string_view resp, std::string node = "127.0.0.1:7000") {
  return {std::move(node), ReplyFromResp(resp)};
}

TEST(PlanSplitTest, OnePartPerSlotInFirstSeenOrder) {
  // {a} and {b} hash to different slots; keys keep their order in a part.
  const std::vector<std::string> s = {"mget", "{a}1", "{b}1", "{a}2", "{b}2"};
  absl::StatusOr<SplitPlan> plan = PlanSplit(Args(s));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->name, "MGET");
  EXPECT_EQ(plan->merge, SplitPlan::Merge::kValues);
  EXPECT_TRUE(plan->read_only);
  EXPECT_EQ(plan->keys, 4u);
  ASSERT_EQ(plan->parts.size(), 2u);
  EXPECT_EQ(plan->parts[0].slot, KeySlot("a"));
  EXPECT_EQ(Strs(plan->parts[0].args),
            (std::vector<std::string>{"mget", "{a}1", "{a}2"}));
  EXPECT_EQ(plan->parts[0].positions, (std::vector<size_t>{0, 2}));
  EXPECT_EQ(plan->parts[1].slot, KeySlot("b"));
  EXPECT_EQ(plan->parts[1].positions, (std::vector<size_t>{1, 3}));
}

TEST(PlanSplitTest, MsetKeepsValuesWithTheirKeys) {
  const std::vector<std::string> s = {"MSET", "{a}x", "1", "{b}y", "2",
                                      "{a}z", "3"};
  absl::StatusOr<SplitPlan> plan = PlanSplit(Args(s));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->merge, SplitPlan::Merge::kAllOk);
  EXPECT_FALSE(plan->read_only);
  EXPECT_EQ(plan->keys, 3u);
  ASSERT_EQ(plan->parts.size(), 2u);
  EXPECT_EQ(Strs(plan->parts[0].args),
            (std::vector<std::string>{"MSET", "{a}x", "1", "{a}z", "3"}));
  EXPECT_EQ(Strs(plan->parts[1].args),
            (std::vector<std::string>{"MSET", "{b}y", "2"}));
}

TEST(PlanSplitTest, RepeatedKeysStayRepeated) {
  const std::vector<std::string> s = {"EXISTS", "k", "k", "k"};
  absl::StatusOr<SplitPlan> plan = PlanSplit(Args(s));
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->parts.size(), 1u);
  EXPECT_EQ(plan->parts[0].args.size(), 4u);
  EXPECT_EQ(plan->merge, SplitPlan::Merge::kSum);
}

TEST(PlanSplitTest, ManySlots) {
  std::vector<std::string> s = {"DEL"};
  for (int i = 0; i < 2000; ++i) s.push_back(absl::StrCat("key:", i));
  absl::StatusOr<SplitPlan> plan = PlanSplit(Args(s));
  ASSERT_TRUE(plan.ok()) << plan.status();
  size_t keys = 0;
  std::vector<bool> seen(2000, false);
  for (const SlotPart& part : plan->parts) {
    for (size_t i = 0; i < part.positions.size(); ++i) {
      const size_t at = part.positions[i];
      EXPECT_FALSE(seen[at]);
      seen[at] = true;
      EXPECT_EQ(KeySlot(part.args[i + 1].view()), part.slot);
      EXPECT_EQ(part.args[i + 1].view(), s[at + 1]);
    }
    keys += part.positions.size();
  }
  EXPECT_EQ(keys, 2000u);
  EXPECT_GT(plan->parts.size(), 1000u);  // 2000 keys over 16384 slots.
}

TEST(PlanSplitTest, RejectsBadInput) {
  EXPECT_EQ(PlanSplit({}).status().code(), absl::StatusCode::kInvalidArgument);
  const std::vector<std::string> get = {"GET", "k"};
  EXPECT_EQ(PlanSplit(Args(get)).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<std::string> odd = {"MSET", "k", "v", "k2"};
  EXPECT_EQ(PlanSplit(Args(odd)).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<std::string> bare = {"DEL"};
  EXPECT_EQ(PlanSplit(Args(bare)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MergeSplitTest, MgetValuesInTheCallersOrder) {
  const std::vector<std::string> s = {"MGET", "{a}1", "{b}1", "{a}2", "{b}2",
                                      "{a}1"};
  absl::StatusOr<SplitPlan> plan = PlanSplit(Args(s));
  ASSERT_TRUE(plan.ok());
  std::vector<NodeReply> replies;
  replies.push_back(R("*3\r\n$2\r\na1\r\n_\r\n$2\r\na1\r\n"));
  replies.push_back(R("*2\r\n$2\r\nb1\r\n$2\r\nb2\r\n"));
  absl::StatusOr<Reply> merged = MergeSplit(*plan, replies);
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_EQ(merged->size(), 5u);
  EXPECT_EQ((*merged)[0].str(), "a1");
  EXPECT_EQ((*merged)[1].str(), "b1");
  EXPECT_TRUE((*merged)[2].is_null());
  EXPECT_EQ((*merged)[3].str(), "b2");
  EXPECT_EQ((*merged)[4].str(), "a1");
}

TEST(MergeSplitTest, CountsAreSummedAndMsetIsOk) {
  const std::vector<std::string> del = {"DEL", "{a}1", "{b}1", "{c}1"};
  absl::StatusOr<SplitPlan> plan = PlanSplit(Args(del));
  ASSERT_TRUE(plan.ok());
  std::vector<NodeReply> replies;
  replies.push_back(R(":1\r\n"));
  replies.push_back(R(":0\r\n"));
  replies.push_back(R(":1\r\n"));
  absl::StatusOr<Reply> merged = MergeSplit(*plan, replies);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->integer(), 2);

  const std::vector<std::string> mset = {"MSET", "{a}", "1", "{b}", "2"};
  plan = PlanSplit(Args(mset));
  ASSERT_TRUE(plan.ok());
  replies.clear();
  replies.push_back(R("+OK\r\n"));
  replies.push_back(R("+OK\r\n"));
  merged = MergeSplit(*plan, replies);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->str(), "OK");
}

TEST(MergeSplitTest, AnyPartsErrorIsTheAnswerNamingTheNode) {
  const std::vector<std::string> s = {"MSET", "{a}", "1", "{b}", "2"};
  absl::StatusOr<SplitPlan> plan = PlanSplit(Args(s));
  ASSERT_TRUE(plan.ok());
  std::vector<NodeReply> replies;
  replies.push_back(R("+OK\r\n"));
  replies.push_back(R("-OOM command not allowed\r\n", "127.0.0.1:7002"));
  absl::StatusOr<Reply> merged = MergeSplit(*plan, replies);
  ASSERT_FALSE(merged.ok());
  EXPECT_NE(merged.status().message().find("OOM"), std::string::npos);
  EXPECT_NE(merged.status().message().find("127.0.0.1:7002"),
            std::string::npos);

  replies.clear();
  replies.push_back({"127.0.0.1:7001", ConnectionError("connection reset")});
  replies.push_back(R("+OK\r\n"));
  merged = MergeSplit(*plan, replies);
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(merged.status().message().find("127.0.0.1:7001"),
            std::string::npos);
}

TEST(MergeSplitTest, WrongShapeIsProtocolError) {
  const std::vector<std::string> s = {"MGET", "{a}1", "{a}2"};
  absl::StatusOr<SplitPlan> plan = PlanSplit(Args(s));
  ASSERT_TRUE(plan.ok());
  std::vector<NodeReply> replies;
  replies.push_back(R("*1\r\n$1\r\nx\r\n"));
  EXPECT_TRUE(IsProtocolError(MergeSplit(*plan, replies).status()));
  replies.clear();
  EXPECT_FALSE(MergeSplit(*plan, replies).ok());  // Count mismatch.
}

}  // namespace
}  // namespace cluster
}  // namespace valkey
