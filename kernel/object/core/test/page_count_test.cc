#include "kernel/object/core/page_count.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace mica::core {
namespace {

TEST(PageCount, LastHoldFreesAnUnpinnedPage) {
  uintptr_t w = 0;
  PageCount::Adopt(w);
  EXPECT_FALSE(PageCount::Shared(w));
  PageCount::Share(w);
  EXPECT_TRUE(PageCount::Shared(w));
  EXPECT_FALSE(PageCount::Release(w));
  EXPECT_FALSE(PageCount::Shared(w));
  EXPECT_TRUE(PageCount::Release(w));
  EXPECT_EQ(w, 0u);
}

// Every order of dropping holds and pins frees the page exactly once: at
// the last of them, whichever kind it is.
TEST(PageCount, FreedByWhicheverGoesLast) {
  for (uint32_t holds = 1; holds <= 3; holds++) {
    for (uint32_t pins = 0; pins <= 3; pins++) {
      for (uint32_t order = 0; order < (1u << (holds + pins)); order++) {
        uintptr_t w = 0;
        PageCount::Adopt(w);
        for (uint32_t i = 1; i < holds; i++)
          PageCount::Share(w);
        for (uint32_t i = 0; i < pins; i++)
          ASSERT_TRUE(PageCount::Pin(w));
        EXPECT_EQ(PageCount::Holds(w), holds);
        EXPECT_EQ(PageCount::Pins(w), pins);
        EXPECT_EQ(PageCount::Pinned(w), pins > 0);
        uint32_t h = holds, p = pins, frees = 0;
        for (uint32_t step = 0; h + p > 0; step++) {
          bool drop_pin = p > 0 && (h == 0 || ((order >> step) & 1) != 0);
          bool freed = drop_pin ? PageCount::Unpin(w) : PageCount::Release(w);
          (drop_pin ? p : h)--;
          frees += freed ? 1 : 0;
          EXPECT_EQ(freed, h + p == 0) << "holds " << holds << " pins " << pins;
          EXPECT_EQ(PageCount::Shared(w), h > 1);
        }
        EXPECT_EQ(frees, 1u);
        EXPECT_EQ(w, 0u);
      }
    }
  }
}

TEST(PageCount, PinsAreBounded) {
  uintptr_t w = 0;
  PageCount::Adopt(w);
  w |= (PageCount::kMaxPins - 1) << 32;  // as if pinned that often
  EXPECT_TRUE(PageCount::Pin(w));
  EXPECT_EQ(PageCount::Pins(w), PageCount::kMaxPins);
  EXPECT_FALSE(PageCount::Pin(w));  // refused, nothing changed
  EXPECT_EQ(PageCount::Pins(w), PageCount::kMaxPins);
  EXPECT_EQ(PageCount::Holds(w), 1u);
}

// Pins dropped on other threads (PMTs unpinned without the VMO's lock)
// while the holding VMO releases its hold: freed once.
TEST(PageCount, ConcurrentUnpinsFreeOnce) {
  for (int round = 0; round < 200; round++) {
    uintptr_t w = 0;
    PageCount::Adopt(w);
    constexpr int kThreads = 4;
    for (int i = 0; i < kThreads; i++)
      ASSERT_TRUE(PageCount::Pin(w));
    std::atomic<int> frees{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; i++) {
      threads.emplace_back([&] { frees += PageCount::Unpin(w) ? 1 : 0; });
    }
    frees += PageCount::Release(w) ? 1 : 0;
    for (auto& t : threads)
      t.join();
    EXPECT_EQ(frees.load(), 1);
    EXPECT_EQ(w, 0u);
  }
}

}  // namespace
}  // namespace mica::core
