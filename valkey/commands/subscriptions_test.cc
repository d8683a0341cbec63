#include "valkey/commands/subscriptions.h"

#include <string>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "valkey/commands/pubsub_frame.h"

namespace valkey {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr auto kChannel = SubscriptionFamily::kChannel;
constexpr auto kPattern = SubscriptionFamily::kPattern;
constexpr auto kShard = SubscriptionFamily::kShard;

std::vector<absl::string_view> V(std::initializer_list<absl::string_view> l) {
  return l;
}

TEST(SubscriptionNamesTest, CommandsAndKindsPerFamily) {
  EXPECT_EQ(SubscriptionCommand(kChannel, true), "SUBSCRIBE");
  EXPECT_EQ(SubscriptionCommand(kPattern, false), "PUNSUBSCRIBE");
  EXPECT_EQ(SubscriptionCommand(kShard, true), "SSUBSCRIBE");
  EXPECT_EQ(ConfirmationKind(kShard, false), PubSubKind::kSUnsubscribe);
  EXPECT_EQ(MessageFamily(PubSubKind::kPMessage), kPattern);
  EXPECT_EQ(MessageFamily(PubSubKind::kSMessage), kShard);
  EXPECT_EQ(MessageFamily(PubSubKind::kSubscribe), std::nullopt);
  auto of = ConfirmationOf(PubSubKind::kPUnsubscribe);
  ASSERT_TRUE(of.has_value());
  EXPECT_EQ(of->first, kPattern);
  EXPECT_FALSE(of->second);
  EXPECT_EQ(ConfirmationOf(PubSubKind::kMessage), std::nullopt);
}

TEST(SubscriptionsTest, ApplyRecordsAndCountsConfirmations) {
  Subscriptions<int> subs;
  auto change = subs.Apply(kChannel, true, V({"b", "a"}), 1);
  EXPECT_EQ(change.expected_confirmations, 2);
  EXPECT_THAT(subs.Names(kChannel), ElementsAre("a", "b"));
  ASSERT_NE(subs.Find(kChannel, "a"), nullptr);
  EXPECT_EQ(*subs.Find(kChannel, "a"), 1);
  EXPECT_EQ(subs.Find(kPattern, "a"), nullptr);

  subs.Apply(kChannel, true, V({"a"}), 2);  // Replaces the value.
  EXPECT_EQ(*subs.Find(kChannel, "a"), 2);

  auto all = subs.Apply(kChannel, false, {}, 0);  // Unsubscribe-all.
  EXPECT_EQ(all.expected_confirmations, 2);
  EXPECT_TRUE(subs.empty());
  // Nothing held: the server still confirms once (a null name).
  EXPECT_EQ(subs.Apply(kChannel, false, {}, 0).expected_confirmations, 1);
}

TEST(SubscriptionsTest, RevertUndoesARefusedSubscribe) {
  Subscriptions<int> subs;
  subs.Apply(kPattern, true, V({"old*"}), 1);
  auto change = subs.Apply(kPattern, true, V({"new*", "old*", "new*"}), 2);
  subs.Revert(std::move(change));
  EXPECT_THAT(subs.Names(kPattern), ElementsAre("old*"));
  EXPECT_EQ(*subs.Find(kPattern, "old*"), 1);  // Its value is back too.
}

TEST(SubscriptionsTest, RevertUndoesARefusedUnsubscribe) {
  Subscriptions<int> subs;
  subs.Apply(kChannel, true, V({"a", "b"}), 7);
  subs.Revert(subs.Apply(kChannel, false, V({"a"}), 0));
  EXPECT_THAT(subs.Names(kChannel), ElementsAre("a", "b"));
  subs.Revert(subs.Apply(kChannel, false, {}, 0));
  EXPECT_THAT(subs.Names(kChannel), ElementsAre("a", "b"));
  EXPECT_EQ(*subs.Find(kChannel, "b"), 7);
}

TEST(SubscriptionsTest, RefusedResubscriptionForgetsTheFamily) {
  Subscriptions<std::monostate> subs;
  subs.Apply(kShard, true, V({"s1", "s2"}), {});
  subs.Apply(kChannel, true, V({"c"}), {});
  auto again = subs.Resubscription(kShard);
  EXPECT_EQ(again.expected_confirmations, 2);
  EXPECT_THAT(subs.Names(kShard), ElementsAre("s1", "s2"));  // Unchanged.
  subs.Revert(std::move(again));
  EXPECT_THAT(subs.Names(kShard), IsEmpty());
  EXPECT_THAT(subs.Names(kChannel), ElementsAre("c"));
}

TEST(SubscriptionsTest, ForgetsOnlyWhatTheServerDroppedOnItsOwn) {
  Subscriptions<std::monostate> subs;
  subs.Apply(kShard, true, V({"s1", "s2"}), {});
  PubSubMessage m;
  m.kind = PubSubKind::kSUnsubscribe;
  m.channel = "s1";
  EXPECT_TRUE(subs.ForgetDroppedByServer(m));  // Still recorded: server's.
  EXPECT_THAT(subs.Names(kShard), ElementsAre("s2"));
  subs.Apply(kShard, false, V({"s2"}), {});
  m.channel = "s2";
  EXPECT_FALSE(subs.ForgetDroppedByServer(m));  // Our own unsubscribe.
  m.kind = PubSubKind::kSSubscribe;
  EXPECT_FALSE(subs.ForgetDroppedByServer(m));  // Not an unsubscribe.
}

TEST(SubscriptionsTest, ResubscribeSendsOneSortedCommandPerFamily) {
  Subscriptions<int> subs;
  subs.Apply(kChannel, true, V({"b", "a"}), 0);
  subs.Apply(kShard, true, V({"s"}), 0);
  std::string out;
  auto counts = subs.AppendResubscribe(out);
  EXPECT_EQ(counts[0], 2);
  EXPECT_EQ(counts[1], 0);
  EXPECT_EQ(counts[2], 1);
  EXPECT_EQ(out,
            "*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n"
            "*2\r\n$10\r\nSSUBSCRIBE\r\n$1\r\ns\r\n");
  subs.Clear();
  out.clear();
  subs.AppendResubscribe(out);
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace valkey
