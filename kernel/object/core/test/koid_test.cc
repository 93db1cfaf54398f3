#include "kernel/object/core/koid.h"

#include <algorithm>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace mica::core {
namespace {

TEST(Koid, StartsAtFirstAndIncreases) {
  KoidAllocator koids;
  EXPECT_EQ(koids.PeekNext(), kFirstKoid);
  Koid a = koids.Allocate();
  Koid b = koids.Allocate();
  EXPECT_EQ(a, kFirstKoid);
  EXPECT_EQ(b, kFirstKoid + 1);
  EXPECT_EQ(koids.PeekNext(), kFirstKoid + 2);
}

TEST(Koid, GlobalAllocatorSkipsReservedIds) {
  Koid a = AllocateKoid();
  Koid b = AllocateKoid();
  EXPECT_GE(a, kFirstKoid);
  EXPECT_GT(b, a);
}

TEST(Koid, UniqueAcrossThreads) {
  KoidAllocator koids(5000);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50000;
  std::vector<std::vector<Koid>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Koid last = 0;
      for (int i = 0; i < kPerThread; ++i) {
        Koid k = koids.Allocate();
        // Each thread sees its own ids increase.
        EXPECT_GT(k, last);
        last = k;
        got[t].push_back(k);
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  std::vector<Koid> all;
  for (auto& v : got) {
    all.insert(all.end(), v.begin(), v.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "a koid was issued twice";
  EXPECT_EQ(all.front(), 5000u);
  EXPECT_EQ(all.back(), 5000u + kThreads * kPerThread - 1);
}

TEST(KoidDeathTest, WrapIsFatal) {
  KoidAllocator koids(~Koid{0});
  EXPECT_EQ(koids.Allocate(), ~Koid{0});
  EXPECT_DEATH((void)koids.Allocate(), "koid space exhausted");
}

}  // namespace
}  // namespace mica::core
