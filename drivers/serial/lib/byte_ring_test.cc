#include "drivers/serial/lib/byte_ring.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>

namespace mica::drivers::serial {
namespace {

TEST(ByteRing, FillsToCapacityAndRefusesMore) {
  ByteRing<16> ring;
  uint8_t data[20];
  for (int i = 0; i < 20; i++) {
    data[i] = static_cast<uint8_t>(i);
  }
  EXPECT_EQ(ring.Push(data, 20), 16u);
  EXPECT_TRUE(ring.full());
  EXPECT_FALSE(ring.PushByte(99));
  uint8_t out[20];
  EXPECT_EQ(ring.Pop(out, 20), 16u);
  for (int i = 0; i < 16; i++) {
    EXPECT_EQ(out[i], i);
  }
  EXPECT_TRUE(ring.empty());
  EXPECT_EQ(ring.Pop(out, 1), 0u);
}

// Random interleavings of pushes and pops against a reference deque,
// across many wrap-arounds of the index.
TEST(ByteRing, MatchesReferenceQueue) {
  ByteRing<32> ring;
  std::deque<uint8_t> ref;
  std::mt19937 rng(7);
  uint8_t next = 0;
  for (int step = 0; step < 20000; step++) {
    uint8_t buf[48];
    size_t n = rng() % 48;
    if (rng() % 2) {
      for (size_t i = 0; i < n; i++) {
        buf[i] = next++;
      }
      size_t took = ring.Push(buf, n);
      size_t expect = std::min(n, 32 - ref.size());
      ASSERT_EQ(took, expect);
      ref.insert(ref.end(), buf, buf + took);
      next = static_cast<uint8_t>(next - (n - took));
    } else {
      size_t got = ring.Pop(buf, n);
      ASSERT_EQ(got, std::min(n, ref.size()));
      for (size_t i = 0; i < got; i++) {
        ASSERT_EQ(buf[i], ref.front());
        ref.pop_front();
      }
    }
    ASSERT_EQ(ring.size(), ref.size());
    ASSERT_EQ(ring.free(), 32 - ref.size());
  }
}

}  // namespace
}  // namespace mica::drivers::serial
