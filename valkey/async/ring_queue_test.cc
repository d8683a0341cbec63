// RingQueue: FIFO order across wrap-around and growth, slots released on
// pop and clear, no allocation once the largest length has been reached.

#include "valkey/async/ring_queue.h"

#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace valkey::async {
namespace {

TEST(RingQueueTest, BehavesLikeADequeUnderRandomPushesAndPops) {
  RingQueue<int> ring;
  std::deque<int> model;
  std::mt19937 gen(11);
  int next = 0;
  for (int step = 0; step < 20000; ++step) {
    // Drift up to a few hundred elements, then back down, wrapping often.
    const bool push = model.empty() || (gen() % 100) < (step % 4000 < 2000
                                                            ? 55u
                                                            : 45u);
    if (push) {
      ring.push_back(next);
      model.push_back(next);
      ++next;
    } else {
      ASSERT_EQ(ring.front(), model.front());
      ring.pop_front();
      model.pop_front();
    }
    ASSERT_EQ(ring.size(), model.size());
    ASSERT_EQ(ring.empty(), model.empty());
  }
  std::vector<int> seen(ring.begin(), ring.end());
  EXPECT_EQ(seen, std::vector<int>(model.begin(), model.end()));
  for (size_t i = 0; i < model.size(); ++i) EXPECT_EQ(ring[i], model[i]);
}

TEST(RingQueueTest, CapacityStopsGrowingAtTheLargestLength) {
  RingQueue<int> ring;
  for (int i = 0; i < 50; ++i) ring.push_back(i);
  const size_t capacity = ring.capacity();
  EXPECT_GE(capacity, 50u);
  // A steady stream through a queue of ~50: the ring moves round and round
  // in the same array.
  for (int i = 0; i < 100000; ++i) {
    ring.push_back(i);
    ring.pop_front();
  }
  EXPECT_EQ(ring.capacity(), capacity);
  EXPECT_EQ(ring.size(), 50u);
  ring.clear();
  EXPECT_TRUE(ring.empty());
  EXPECT_EQ(ring.capacity(), capacity);
}

TEST(RingQueueTest, PopAndClearReleaseWhatTheSlotHeld) {
  auto held = std::make_shared<int>(1);
  RingQueue<std::shared_ptr<int>> ring;
  ring.push_back(held);
  ring.push_back(held);
  ring.push_back(held);
  EXPECT_EQ(held.use_count(), 4);
  ring.pop_front();
  EXPECT_EQ(held.use_count(), 3);
  ring.clear();
  EXPECT_EQ(held.use_count(), 1);
  ring.push_back(held);
  ring.push_back(std::make_shared<int>(2));
  std::shared_ptr<int> taken = ring.take_front();
  EXPECT_EQ(taken, held);
  EXPECT_EQ(held.use_count(), 2);  // `taken`; the slot kept nothing.
  ASSERT_EQ(ring.size(), 1u);
  EXPECT_EQ(*ring.front(), 2);
}

TEST(RingQueueTest, SwapAndMoveExchangeContents) {
  RingQueue<int> a, b;
  for (int i = 0; i < 20; ++i) a.push_back(i);
  b.push_back(99);
  a.swap(b);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a.front(), 99);
  ASSERT_EQ(b.size(), 20u);
  EXPECT_EQ(b.front(), 0);
  RingQueue<int> c(std::move(b));
  EXPECT_EQ(c.size(), 20u);
  EXPECT_EQ(c[19], 19);
}

}  // namespace
}  // namespace valkey::async
