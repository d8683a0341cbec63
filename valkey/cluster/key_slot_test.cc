#include "valkey/cluster/key_slot.h"

#include <string>

#include "gtest/gtest.h"

namespace valkey {
namespace cluster {
namespace {

TEST(Crc16Test, StandardCheckValue) {
  EXPECT_EQ(Crc16("123456789"), 0x31C3);
  EXPECT_EQ(Crc16(""), 0);
}

// Slots confirmed against valkey-server 8.0.1 (CLUSTER KEYSLOT and a real
// "MOVED 12182 ..." for "foo").
TEST(KeySlotTest, KnownValues) {
  EXPECT_EQ(KeySlot("foo"), 12182);
  EXPECT_EQ(KeySlot("bar"), 5061);
  EXPECT_EQ(KeySlot("hello"), 866);
  EXPECT_EQ(KeySlot(""), 0);
}

TEST(KeySlotTest, HashTagGroupsKeys) {
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("{user1000}.followers"));
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("user1000"));
  EXPECT_EQ(HashTag("{user1000}.following"), "user1000");
}

TEST(KeySlotTest, EmptyTagHashesWholeKey) {
  EXPECT_EQ(HashTag("foo{}{bar}"), "foo{}{bar}");
  EXPECT_EQ(KeySlot("foo{}{bar}"), Crc16("foo{}{bar}") % kNumSlots);
}

TEST(KeySlotTest, TagEndsAtFirstCloseAfterFirstOpen) {
  EXPECT_EQ(HashTag("foo{{bar}}zap"), "{bar");
  EXPECT_EQ(KeySlot("foo{{bar}}zap"), KeySlot("{bar"));
  EXPECT_EQ(HashTag("foo{bar}{zap}"), "bar");
  EXPECT_EQ(KeySlot("foo{bar}{zap}"), KeySlot("bar"));
}

TEST(KeySlotTest, UnclosedOrReversedBracesHashWholeKey) {
  EXPECT_EQ(HashTag("foo{bar"), "foo{bar");
  EXPECT_EQ(HashTag("foo}bar{"), "foo}bar{");
  EXPECT_EQ(HashTag("{"), "{");
  EXPECT_EQ(HashTag("}{"), "}{");
  EXPECT_EQ(HashTag("{}"), "{}");
}

TEST(KeySlotTest, BinaryKeys) {
  const std::string key("\0\xff{\x80}\n", 6);
  EXPECT_EQ(HashTag(key), absl::string_view("\x80", 1));
  EXPECT_LT(KeySlot(key), kNumSlots);
  EXPECT_EQ(KeySlot(std::string(1, '\0')),
            Crc16(std::string(1, '\0')) & 0x3FFF);
}

TEST(KeySlotTest, AlwaysInRange) {
  std::string key;
  for (int i = 0; i < 2000; ++i) {
    key.push_back(static_cast<char>(i * 31));
    EXPECT_LT(KeySlot(key), kNumSlots);
  }
}

}  // namespace
}  // namespace cluster
}  // namespace valkey
