#include "kernel/lib/bitmap.h"

#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace {

// Reference answers computed from a std::vector<bool>.
size_t ModelFind(const std::vector<bool>& m, size_t start, bool value) {
  for (size_t i = start; i < m.size(); i++) {
    if (m[i] == value) {
      return i;
    }
  }
  return mica::Bitmap::kNotFound;
}

size_t ModelRun(const std::vector<bool>& m, size_t count, size_t align, size_t start) {
  for (size_t i = (start + align - 1) / align * align; i + count <= m.size(); i += align) {
    bool ok = true;
    for (size_t j = i; j < i + count && ok; j++) {
      ok = !m[j];
    }
    if (ok) {
      return i;
    }
  }
  return mica::Bitmap::kNotFound;
}

TEST(Bitmap, BasicOps) {
  mica::FixedBitmap<130> b;
  EXPECT_EQ(b.size(), 130u);
  EXPECT_EQ(b.CountSet(), 0u);
  EXPECT_EQ(b.FindFirstSet(), mica::Bitmap::kNotFound);
  b.Set(0);
  b.Set(64);
  b.Set(129);
  EXPECT_TRUE(b.Get(64));
  EXPECT_FALSE(b.Get(63));
  EXPECT_EQ(b.CountSet(), 3u);
  EXPECT_EQ(b.FindFirstSet(1), 64u);
  EXPECT_EQ(b.FindFirstSet(65), 129u);
  EXPECT_EQ(b.FindFirstClear(0), 1u);
  b.Clear(64);
  EXPECT_EQ(b.FindFirstSet(1), 129u);
  b.SetAll();
  EXPECT_EQ(b.CountSet(), 130u);
  EXPECT_EQ(b.FindFirstClear(), mica::Bitmap::kNotFound);
  b.ClearRange(60, 10);
  EXPECT_EQ(b.CountSet(), 120u);
  EXPECT_TRUE(b.AllClear(60, 10));
  EXPECT_FALSE(b.AllClear(59, 10));
  EXPECT_TRUE(b.AllSet(70, 60));
  EXPECT_EQ(b.FindClearRun(10), 60u);
  EXPECT_EQ(b.FindClearRun(11), mica::Bitmap::kNotFound);
  EXPECT_EQ(b.FindClearRun(4, 8), 64u);
}

TEST(Bitmap, RandomAgainstModel) {
  std::mt19937 rng(99);
  for (size_t bits : {1u, 63u, 64u, 65u, 200u, 1000u}) {
    std::vector<uint64_t> words(mica::Bitmap::WordsFor(bits), 0);
    mica::Bitmap b(words.data(), bits);
    std::vector<bool> m(bits, false);
    for (int step = 0; step < 3000; step++) {
      size_t start = rng() % bits;
      size_t count = rng() % (bits - start + 1);
      switch (rng() % 6) {
        case 0:
          b.Set(start);
          m[start] = true;
          break;
        case 1:
          b.Clear(start);
          m[start] = false;
          break;
        case 2:
          b.SetRange(start, count);
          for (size_t i = start; i < start + count; i++) {
            m[i] = true;
          }
          break;
        case 3:
          b.ClearRange(start, count);
          for (size_t i = start; i < start + count; i++) {
            m[i] = false;
          }
          break;
        default:
          break;
      }
      ASSERT_EQ(b.FindFirstSet(start), ModelFind(m, start, true));
      ASSERT_EQ(b.FindFirstClear(start), ModelFind(m, start, false));
      size_t run = 1 + rng() % 20;
      size_t align = size_t{1} << (rng() % 4);
      ASSERT_EQ(b.FindClearRun(run, align, start), ModelRun(m, run, align, start))
          << "bits=" << bits << " run=" << run << " align=" << align << " start=" << start;
      size_t set = 0;
      for (bool v : m) {
        set += v;
      }
      ASSERT_EQ(b.CountSet(), set);
    }
  }
}

TEST(BitmapDeathTest, OutOfRangeAsserts) {
  EXPECT_DEATH(
      {
        mica::FixedBitmap<10> b;
        b.Set(10);
      },
      "i < bits_");
}

}  // namespace
