#include "kernel/platform/ranges.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace {

using platform::RangeSet;

TEST(RangeSet, AddMergesOverlappingAndAdjacent) {
  RangeSet s;
  ASSERT_TRUE(s.Add(0x1000, 0x1000));
  ASSERT_TRUE(s.Add(0x3000, 0x1000));
  ASSERT_EQ(s.count(), 2u);
  ASSERT_TRUE(s.Add(0x2000, 0x1000));  // adjacent on both sides
  ASSERT_EQ(s.count(), 1u);
  EXPECT_EQ(s[0].base, 0x1000u);
  EXPECT_EQ(s[0].size, 0x3000u);
  ASSERT_TRUE(s.Add(0x800, 0x10000));
  ASSERT_EQ(s.count(), 1u);
  EXPECT_EQ(s[0].base, 0x800u);
  EXPECT_EQ(s[0].end(), 0x10800u);
}

TEST(RangeSet, RemoveSplitsAndTrims) {
  RangeSet s;
  s.Add(0x40000000, 0x20000000);
  ASSERT_TRUE(s.Remove(0x40200000, 0x100000));  // a hole in the middle
  ASSERT_EQ(s.count(), 2u);
  EXPECT_EQ(s[0].end(), 0x40200000u);
  EXPECT_EQ(s[1].base, 0x40300000u);
  ASSERT_TRUE(s.Remove(0x3f000000, 0x1001000));  // trims the low end
  EXPECT_EQ(s[0].base, 0x40001000u);
  ASSERT_TRUE(s.Remove(0x5ff00000, 0x1000000));  // trims the high end
  EXPECT_EQ(s[1].end(), 0x5ff00000u);
  ASSERT_TRUE(s.Remove(0, ~0ull));
  EXPECT_EQ(s.count(), 0u);
}

TEST(RangeSet, WrappingRangesAreClipped) {
  RangeSet s;
  ASSERT_TRUE(s.Add(~0ull - 0xfff, 0x10000));
  ASSERT_EQ(s.count(), 1u);
  EXPECT_EQ(s[0].base + s[0].size, ~0ull);
  ASSERT_TRUE(s.Remove(~0ull - 0x7ff, 0x100000));
  EXPECT_EQ(s[0].size, 0x800u);
}

TEST(RangeSet, AlignInward) {
  RangeSet s;
  s.Add(0x1001, 0x3000);
  s.Add(0x10000, 0x800);
  s.AlignInward(0x1000);
  ASSERT_EQ(s.count(), 1u);
  EXPECT_EQ(s[0].base, 0x2000u);
  EXPECT_EQ(s[0].size, 0x2000u);
}

TEST(RangeSet, CapacityIsReported) {
  RangeSet s;
  for (size_t i = 0; i < RangeSet::kCapacity; i++) {
    ASSERT_TRUE(s.Add(i * 0x10000, 0x1000));
  }
  EXPECT_FALSE(s.Add(0x10000000, 0x1000));
  EXPECT_EQ(s.count(), RangeSet::kCapacity);
  RangeSet t;
  t.Add(0, 0x100000 * RangeSet::kCapacity);
  for (size_t i = 0; i + 1 < RangeSet::kCapacity; i++) {
    ASSERT_TRUE(t.Remove(i * 0x100000 + 0x1000, 0x1000));
  }
  EXPECT_FALSE(t.Remove(0x100000 * (RangeSet::kCapacity - 1) + 0x1000, 0x1000));
}

// Random adds/removes against a page-granular model.
TEST(RangeSet, RandomAgainstModel) {
  std::mt19937_64 rng(1234);
  for (int round = 0; round < 200; round++) {
    RangeSet s;
    std::set<uint64_t> pages;
    for (int op = 0; op < 20; op++) {
      uint64_t b = rng() % 256, n = rng() % 32;
      if (rng() % 3) {
        if (!s.Add(b * 4096, n * 4096)) {
          continue;
        }
        for (uint64_t p = b; p < b + n; p++)
          pages.insert(p);
      } else {
        ASSERT_TRUE(s.Remove(b * 4096, n * 4096));
        for (uint64_t p = b; p < b + n; p++)
          pages.erase(p);
      }
      std::set<uint64_t> got;
      for (size_t i = 0; i < s.count(); i++) {
        ASSERT_GT(s[i].size, 0u);
        if (i > 0)
          ASSERT_GT(s[i].base, s[i - 1].end());  // sorted, disjoint, not adjacent
        for (uint64_t p = s[i].base / 4096; p < s[i].end() / 4096; p++)
          got.insert(p);
      }
      ASSERT_EQ(got, pages);
    }
  }
}

}  // namespace
