#include "kernel/object/core/page_tree.h"

#include <map>
#include <random>

#include <gtest/gtest.h>

#include "kernel/object/core/test/test_allocator.h"

namespace mica::core {
namespace {

using test::TestHeap;

class PageTreeTest : public ::testing::Test {
 protected:
  void TearDown() override { TestHeap::ExpectNoLeaks(); }
};

// Every value in [0, to), in order, through Next.
std::map<uint64_t, uint64_t> Walk(const PageTree& t, uint64_t to = PageTree::kMaxIndex) {
  std::map<uint64_t, uint64_t> out;
  uint64_t i = 0, v;
  while (t.Next(i, to, &i, &v)) {
    out[i] = v;
    i++;
  }
  return out;
}

TEST_F(PageTreeTest, EmptyHoldsNothing) {
  PageTree t(TestHeap::allocator());
  EXPECT_EQ(t.Get(0), 0u);
  EXPECT_EQ(t.Get(1u << 24), 0u);
  EXPECT_EQ(t.Clear(5), 0u);
  uint64_t i, v;
  EXPECT_FALSE(t.Next(0, PageTree::kMaxIndex, &i, &v));
  EXPECT_EQ(t.nodes(), 0u);
  EXPECT_EQ(TestHeap::live(), 0u);
}

// The cost follows the values, not their spread: one value at the end of
// a 64 GiB range takes one node per level (6), and everything goes back.
TEST_F(PageTreeTest, SparseValueCostsOneNodePerLevel) {
  PageTree t(TestHeap::allocator());
  constexpr uint64_t kLast = (uint64_t{1} << 24) - 1;  // the last page of 64 GiB
  ASSERT_EQ(t.Set(kLast, 0x1000), Status::kOk);
  EXPECT_EQ(t.nodes(), 6u);
  EXPECT_EQ(t.Get(kLast), 0x1000u);
  EXPECT_EQ(t.Get(kLast - 1), 0u);
  // A value at 0 shares the root only.
  ASSERT_EQ(t.Set(0, 0x2000), Status::kOk);
  EXPECT_EQ(t.nodes(), 11u);
  EXPECT_EQ(t.count(), 2u);
  EXPECT_EQ(t.Clear(kLast), 0x1000u);
  EXPECT_EQ(t.nodes(), 6u);
  EXPECT_EQ(t.Clear(0), 0x2000u);
  EXPECT_EQ(t.nodes(), 0u);
  EXPECT_EQ(TestHeap::live(), 0u);
}

// Dense values: about 9 bytes each (8, and a 136-byte leaf per 16, and a
// node above per 16 of those).
TEST_F(PageTreeTest, DenseValuesCostInProportion) {
  PageTree t(TestHeap::allocator());
  constexpr uint64_t kCount = 16 * 16 * 16;
  for (uint64_t i = 0; i < kCount; i++) {
    ASSERT_EQ(t.Set(i, (i + 1) << 12), Status::kOk);
  }
  EXPECT_EQ(t.nodes(), kCount / 16 + kCount / 256 + 1);
  EXPECT_LE(TestHeap::live_bytes(), kCount * 10);
  EXPECT_EQ(Walk(t).size(), kCount);
}

// Growing the height keeps the old values in place.
TEST_F(PageTreeTest, GrowsUnderExistingValues) {
  PageTree t(TestHeap::allocator());
  ASSERT_EQ(t.Set(3, 0x3000), Status::kOk);
  EXPECT_EQ(t.nodes(), 1u);
  ASSERT_EQ(t.Set(64, 0x4000), Status::kOk);        // height 2
  ASSERT_EQ(t.Set(1u << 20, 0x5000), Status::kOk);  // height 6
  EXPECT_EQ(t.Get(3), 0x3000u);
  EXPECT_EQ(t.Get(64), 0x4000u);
  EXPECT_EQ(t.Get(1u << 20), 0x5000u);
  // Replacing a value allocates nothing.
  size_t nodes = t.nodes();
  ASSERT_EQ(t.Set(3, 0x6000), Status::kOk);
  EXPECT_EQ(t.nodes(), nodes);
  EXPECT_EQ(t.count(), 3u);
}

TEST_F(PageTreeTest, NextSkipsEmptyRangesAndHonoursBounds) {
  PageTree t(TestHeap::allocator());
  ASSERT_EQ(t.Set(5, 1), Status::kOk);
  ASSERT_EQ(t.Set(70000, 2), Status::kOk);
  ASSERT_EQ(t.Set(3000000, 3), Status::kOk);
  uint64_t i, v;
  ASSERT_TRUE(t.Next(0, 100, &i, &v));
  EXPECT_EQ(i, 5u);
  EXPECT_FALSE(t.Next(6, 70000, &i, &v));
  ASSERT_TRUE(t.Next(6, 70001, &i, &v));
  EXPECT_EQ(i, 70000u);
  EXPECT_EQ(v, 2u);
  ASSERT_TRUE(t.Next(70001, PageTree::kMaxIndex, &i, &v));
  EXPECT_EQ(i, 3000000u);
  EXPECT_FALSE(t.Next(3000001, PageTree::kMaxIndex, &i, &v));
}

// A failed Set changes nothing and leaves no empty node, whichever of its
// allocations fails.
TEST_F(PageTreeTest, FailedSetLeavesTreeAsItWas) {
  for (long ok_allocs = 0; ok_allocs < 12; ok_allocs++) {
    PageTree t(TestHeap::allocator());
    ASSERT_EQ(t.Set(7, 0x7000), Status::kOk);
    size_t nodes = t.nodes();
    size_t live = TestHeap::live();
    TestHeap::FailAfter(ok_allocs);
    Status s = t.Set((uint64_t{1} << 23) + 99, 0x8000);
    TestHeap::FailAfter(-1);
    if (s == Status::kOk) {
      EXPECT_EQ(t.Get((uint64_t{1} << 23) + 99), 0x8000u);
      continue;
    }
    EXPECT_EQ(s, Status::kNoMemory);
    EXPECT_EQ(t.count(), 1u);
    EXPECT_EQ(t.Get(7), 0x7000u);
    // Taller is allowed (the new roots hold the old one), empty nodes not.
    EXPECT_EQ(TestHeap::live(), t.nodes());
    EXPECT_GE(t.nodes(), nodes);
    EXPECT_LE(TestHeap::live(), live + PageTree::kMaxHeight - 1);
    EXPECT_EQ(Walk(t).size(), 1u);
  }
  // From empty: a failure leaves no node at all.
  PageTree t(TestHeap::allocator());
  for (long ok_allocs = 0; ok_allocs < 6; ok_allocs++) {
    TestHeap::FailAfter(ok_allocs);
    EXPECT_EQ(t.Set(uint64_t{1} << 22, 1), Status::kNoMemory);
    TestHeap::FailAfter(-1);
    EXPECT_EQ(t.nodes(), 0u);
    EXPECT_EQ(TestHeap::live(), 0u);
  }
}

// Random sets and clears against a std::map; the tree frees every node
// once empty.
TEST_F(PageTreeTest, RandomAgainstModel) {
  std::mt19937_64 rng(12);
  PageTree t(TestHeap::allocator());
  std::map<uint64_t, uint64_t> model;
  for (int round = 0; round < 20000; round++) {
    uint64_t span = (round / 5000 + 1) * 4;  // widening ranges: 2^4 .. 2^16+
    uint64_t index = rng() % (uint64_t{1} << (span + 4));
    if (rng() % 3 == 0) {
      uint64_t want = model.count(index) ? model[index] : 0;
      EXPECT_EQ(t.Clear(index), want);
      model.erase(index);
    } else {
      uint64_t v = (rng() | 1) & 0xffffffffff;
      ASSERT_EQ(t.Set(index, v), Status::kOk);
      model[index] = v;
    }
  }
  EXPECT_EQ(t.count(), model.size());
  EXPECT_EQ(Walk(t), model);
  for (const auto& [index, v] : model) {
    EXPECT_EQ(t.Get(index), v);
    EXPECT_EQ(t.Clear(index), v);
  }
  EXPECT_EQ(t.nodes(), 0u);
  EXPECT_EQ(TestHeap::live(), 0u);
}

// Values left in the tree are dropped by the destructor with every node.
TEST_F(PageTreeTest, DestructorFreesEveryNode) {
  {
    PageTree t(TestHeap::allocator());
    for (uint64_t i = 0; i < 1000; i++) {
      ASSERT_EQ(t.Set(i * 997, i + 1), Status::kOk);
    }
    EXPECT_GT(TestHeap::live(), 0u);
  }
  EXPECT_EQ(TestHeap::live(), 0u);
}

}  // namespace
}  // namespace mica::core
