// Host tests of the kernel heap over a fake page source (aligned_alloc).
#include "kernel/vm/heap.h"

#include <stdlib.h>
#include <string.h>

#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define HEAP_TEST_ASAN 1
#endif
#endif

namespace {

using mica::Heap;
constexpr size_t kPage = Heap::kPageSize;

// The page source: page-aligned runs from aligned_alloc, tracked so tests
// can check the heap's accounting and that every run comes back whole.
struct FakePages {
  static std::mutex mu;
  static std::map<void*, size_t> live;  // run -> pages
  static size_t pages;                  // pages currently handed out
  static long budget;                   // pages that may still be handed out (-1: unlimited)
  static bool quarantine;               // keep freed runs (never reuse them)
  static std::vector<std::pair<void*, size_t>> quarantined;

  static void* Alloc(size_t count) {
    std::lock_guard<std::mutex> l(mu);
    if (budget >= 0) {
      if (static_cast<long>(count) > budget) {
        return nullptr;
      }
      budget -= static_cast<long>(count);
    }
    void* p = aligned_alloc(kPage, count * kPage);
    live[p] = count;
    pages += count;
    return p;
  }
  static void Free(void* p, size_t count) {
    std::lock_guard<std::mutex> l(mu);
    auto it = live.find(p);
    ASSERT_NE(it, live.end()) << "heap returned a run it never got";
    ASSERT_EQ(it->second, count) << "heap returned a run with the wrong length";
    live.erase(it);
    pages -= count;
    if (quarantine) {
      quarantined.emplace_back(p, count);
      return;
    }
#ifdef HEAP_TEST_ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, count * kPage);
#endif
    free(p);
  }
  static void Reset() {
    std::lock_guard<std::mutex> l(mu);
    for (auto& [p, count] : live) {
#ifdef HEAP_TEST_ASAN
      ASAN_UNPOISON_MEMORY_REGION(p, count * kPage);
#endif
      free(p);
    }
    for (auto& [p, count] : quarantined) {
      free(p);
    }
    live.clear();
    quarantined.clear();
    pages = 0;
    budget = -1;
    quarantine = false;
  }
};
std::mutex FakePages::mu;
std::map<void*, size_t> FakePages::live;
size_t FakePages::pages = 0;
long FakePages::budget = -1;
bool FakePages::quarantine = false;
std::vector<std::pair<void*, size_t>> FakePages::quarantined;

class HeapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FakePages::Reset();
    heap_.Init(&FakePages::Alloc, &FakePages::Free, /*poison=*/true);
  }
  void TearDown() override { FakePages::Reset(); }

  void ExpectAccountingConsistent() {
    Heap::Stats s = heap_.GetStats();
    EXPECT_EQ(s.pages_held, FakePages::pages);
    EXPECT_EQ(s.small_pages + s.large_pages, s.pages_held);
  }

  Heap heap_;
};

TEST_F(HeapTest, SmallSizesAreAlignedAndUsable) {
  std::vector<void*> ptrs;
  for (size_t size = 0; size <= 2100; size += 7) {
    auto* p = static_cast<unsigned char*>(heap_.Alloc(size));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % Heap::kMinAlign, 0u);
    size_t usable = heap_.SizeOf(p);
    EXPECT_GE(usable, size == 0 ? 1 : size);
    memset(p, 0xab, usable);
    ptrs.push_back(p);
  }
  for (void* p : ptrs) {
    heap_.Free(p);
  }
  EXPECT_EQ(heap_.GetStats().allocations, 0u);
  EXPECT_EQ(heap_.GetStats().bytes_in_use, 0u);
  ExpectAccountingConsistent();
}

TEST_F(HeapTest, SizeClassesAreTight) {
  // SizeOf is the smallest class that fits, so small requests waste little.
  EXPECT_EQ(heap_.SizeOf(heap_.Alloc(1)), 16u);
  EXPECT_EQ(heap_.SizeOf(heap_.Alloc(17)), 32u);
  EXPECT_EQ(heap_.SizeOf(heap_.Alloc(100)), 112u);
  EXPECT_EQ(heap_.SizeOf(heap_.Alloc(1000)), 1312u);
  EXPECT_EQ(heap_.SizeOf(heap_.Alloc(1984)), 1984u);
  // Beyond the classes: a page run, usable up to its end.
  void* big = heap_.Alloc(1985);
  EXPECT_EQ(heap_.SizeOf(big), kPage - 128);
  for (size_t i = 1; i < Heap::kNumClasses; i++) {
    EXPECT_LT(Heap::kClassSizes[i - 1], Heap::kClassSizes[i]);
    EXPECT_EQ(Heap::kClassSizes[i] % 16, 0u);
  }
  EXPECT_EQ(Heap::kClassSizes[Heap::kNumClasses - 1], Heap::kMaxSmallSize);
}

TEST_F(HeapTest, Alignments) {
  std::vector<void*> ptrs;
  for (size_t align = 1; align <= 64 * 1024; align *= 2) {
    for (size_t size : {1u, 24u, 100u, 700u, 1984u, 3000u, 4096u, 10000u}) {
      auto* p = static_cast<char*>(heap_.Alloc(size, align));
      ASSERT_NE(p, nullptr) << size << " " << align;
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u) << size << " " << align;
      EXPECT_GE(heap_.SizeOf(p), size);
      memset(p, 0x11, size);
      ptrs.push_back(p);
    }
  }
  EXPECT_EQ(heap_.Alloc(16, 3), nullptr);
  EXPECT_EQ(heap_.Alloc(16, 48), nullptr);
  void* p = heap_.Alloc(16, 0);  // 0: the default alignment
  ASSERT_NE(p, nullptr);
  ptrs.push_back(p);
  ExpectAccountingConsistent();
  for (void* p : ptrs) {
    heap_.Free(p);
  }
  ExpectAccountingConsistent();
  EXPECT_EQ(heap_.GetStats().large_pages, 0u);
}

TEST_F(HeapTest, EmptySlabsGoBack) {
  std::vector<void*> ptrs;
  for (int i = 0; i < 2000; i++) {
    ptrs.push_back(heap_.Alloc(16));
  }
  EXPECT_EQ(heap_.GetClassStats(0).objects, 2000u);
  EXPECT_EQ(heap_.GetClassStats(0).slabs, (2000u + 247) / 248);
  for (void* p : ptrs) {
    heap_.Free(p);
  }
  // One empty slab stays cached, the rest went back to the page source.
  EXPECT_EQ(heap_.GetClassStats(0).slabs, 1u);
  EXPECT_EQ(heap_.GetStats().pages_held, 1u);
  ExpectAccountingConsistent();
  // The cached slab is reused.
  void* p = heap_.Alloc(8);
  EXPECT_EQ(heap_.GetStats().pages_held, 1u);
  heap_.Free(p);
}

TEST_F(HeapTest, CallocZeroesAndChecksOverflow) {
  // Leave non-zero garbage (poison) behind, then calloc over it.
  void* junk = heap_.Alloc(256);
  memset(junk, 0x77, 256);
  heap_.Free(junk);
  auto* p = static_cast<unsigned char*>(heap_.Calloc(16, 16));
  ASSERT_NE(p, nullptr);
  for (int i = 0; i < 256; i++) {
    ASSERT_EQ(p[i], 0);
  }
  heap_.Free(p);
  EXPECT_EQ(heap_.Calloc(SIZE_MAX / 2, 3), nullptr);
  void* big = heap_.Calloc(3, 5000);
  ASSERT_NE(big, nullptr);
  heap_.Free(big);
}

TEST_F(HeapTest, Realloc) {
  void* zero = heap_.Realloc(nullptr, 0);  // Alloc(0): a unique minimal block
  ASSERT_NE(zero, nullptr);
  heap_.Free(zero);
  auto* p = static_cast<char*>(heap_.Realloc(nullptr, 10));
  ASSERT_NE(p, nullptr);
  strcpy(p, "mica heap");
  EXPECT_EQ(heap_.Realloc(p, 12), p);  // fits in its class
  auto* q = static_cast<char*>(heap_.Realloc(p, 5000));
  ASSERT_NE(q, nullptr);
  EXPECT_STREQ(q, "mica heap");
  memset(q + 10, 'x', 4990);
  auto* r = static_cast<char*>(heap_.Realloc(q, 100000));
  ASSERT_NE(r, nullptr);
  EXPECT_STREQ(r, "mica heap") << "";
  EXPECT_EQ(r[4999], 'x');
  auto* s = static_cast<char*>(heap_.Realloc(r, 20));  // big shrink moves to a class
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(heap_.SizeOf(s), 32u);
  EXPECT_EQ(memcmp(s, "mica heap\0xxxxxxxxxx", 20), 0);
  EXPECT_EQ(heap_.Realloc(s, 0), nullptr);
  EXPECT_EQ(heap_.GetStats().allocations, 0u);
  ExpectAccountingConsistent();
}

TEST_F(HeapTest, OutOfMemory) {
  FakePages::budget = 3;
  void* a = heap_.Alloc(64);    // 1 page
  void* b = heap_.Alloc(5000);  // 2 pages
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(heap_.Alloc(100), nullptr);  // needs a new slab
  EXPECT_EQ(heap_.Alloc(3000), nullptr);
  EXPECT_EQ(heap_.Alloc(SIZE_MAX - 100), nullptr);
  void* c = heap_.Alloc(64);  // the existing slab still has room
  EXPECT_NE(c, nullptr);
  heap_.Free(b);
  FakePages::budget = 2;
  EXPECT_NE(heap_.Realloc(c, 4000), nullptr);
  ExpectAccountingConsistent();
}

// Random allocations of random sizes and alignments, each filled with a
// pattern that is verified when it is freed: catches overlap and
// corruption; ASan catches out-of-bounds accesses.
TEST_F(HeapTest, RandomStress) {
  struct Live {
    unsigned char* p;
    size_t size;
    unsigned char tag;
  };
  std::mt19937_64 rng(77);
  std::vector<Live> live;
  size_t bytes_requested = 0;
  auto release = [&](size_t i) {
    Live l = live[i];
    for (size_t j = 0; j < l.size; j++) {
      ASSERT_EQ(l.p[j], l.tag) << "allocation corrupted";
    }
    bytes_requested -= l.size;
    heap_.Free(l.p);
    live[i] = live.back();
    live.pop_back();
  };
  for (int step = 0; step < 60000; step++) {
    if (live.size() < 1500 && (live.empty() || rng() % 100 < 55)) {
      size_t size;
      switch (rng() % 10) {
        case 0:
          size = rng() % 70000;
          break;
        case 1:
        case 2:
          size = rng() % 2048;
          break;
        default:
          size = rng() % 256;
          break;
      }
      size_t align = rng() % 8 == 0 ? size_t{1} << (rng() % 14) : 0;
      auto* p = static_cast<unsigned char*>(align ? heap_.Alloc(size, align) : heap_.Alloc(size));
      ASSERT_NE(p, nullptr);
      if (align) {
        ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u);
      }
      ASSERT_GE(heap_.SizeOf(p), size);
      auto tag = static_cast<unsigned char>(rng());
      memset(p, tag, size);
      live.push_back({p, size, tag});
      bytes_requested += size;
    } else {
      release(rng() % live.size());
    }
    if (step % 5000 == 0) {
      Heap::Stats s = heap_.GetStats();
      ASSERT_EQ(s.allocations, live.size());
      ASSERT_GE(s.bytes_in_use, bytes_requested);
      ExpectAccountingConsistent();
    }
  }
  while (!live.empty()) {
    release(live.size() - 1);
  }
  Heap::Stats s = heap_.GetStats();
  EXPECT_EQ(s.allocations, 0u);
  EXPECT_EQ(s.bytes_in_use, 0u);
  EXPECT_EQ(s.large_pages, 0u);
  EXPECT_LE(s.small_pages, Heap::kNumClasses);  // at most one cached slab per class
  EXPECT_EQ(s.total_allocs, s.total_frees);
  ExpectAccountingConsistent();
}

TEST_F(HeapTest, ConcurrentThreads) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([this, t] {
      std::mt19937 rng(t);
      std::vector<std::pair<unsigned char*, size_t>> mine;
      for (int i = 0; i < 10000; i++) {
        if (mine.size() < 300 && rng() % 2) {
          size_t size = rng() % 8 == 0 ? rng() % 9000 : rng() % 300;
          auto* p = static_cast<unsigned char*>(heap_.Alloc(size));
          memset(p, t + 1, size);
          mine.emplace_back(p, size);
        } else if (!mine.empty()) {
          auto [p, size] = mine.back();
          mine.pop_back();
          for (size_t j = 0; j < size; j++) {
            if (p[j] != t + 1) {
              ADD_FAILURE() << "allocation shared between threads";
              break;
            }
          }
          heap_.Free(p);
        }
      }
      for (auto [p, size] : mine) {
        heap_.Free(p);
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(heap_.GetStats().allocations, 0u);
  ExpectAccountingConsistent();
}

TEST_F(HeapTest, Dump) {
  void* a = heap_.Alloc(40);
  void* b = heap_.Alloc(9000);
  std::string out;
  heap_.Dump([&out](const char* fmt, auto... args) {
    char line[256];
    snprintf(line, sizeof(line), fmt, args...);
    out += line;
  });
  EXPECT_NE(out.find("heap: 12208 bytes in 2 allocations, 4 pages held (1 slab, 3 large)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("class 48: 1 objects in 1 slabs"), std::string::npos) << out;
  heap_.Free(a);
  heap_.Free(b);
}

TEST_F(HeapTest, ConstantInitializable) {
  static constinit Heap global;
  static_assert(std::is_trivially_destructible_v<Heap>);
  (void)global;
}

// Death tests: each one runs in a child process with its own heap.
class HeapDeathTest : public HeapTest {};

TEST_F(HeapDeathTest, DoubleFreeOfSmallObject) {
  EXPECT_DEATH(
      {
        void* p = heap_.Alloc(32);
        void* keep = heap_.Alloc(32);  // keeps the slab alive
        heap_.Free(p);
        heap_.Free(p);
        heap_.Free(keep);
      },
      "double free");
}

TEST_F(HeapDeathTest, FreeOfInteriorPointer) {
  EXPECT_DEATH(
      {
        auto* p = static_cast<char*>(heap_.Alloc(64));
        heap_.Free(p + 16);
      },
      "not the start of an object");
  EXPECT_DEATH(
      {
        auto* p = static_cast<char*>(heap_.Alloc(8000));
        heap_.Free(p + 4096);
      },
      "not returned by the heap");
}

TEST_F(HeapDeathTest, FreeOfForeignPointer) {
  EXPECT_DEATH(
      {
        void* page = aligned_alloc(kPage, 2 * kPage);
        memset(page, 0, 2 * kPage);
        heap_.Free(static_cast<char*>(page) + 256);
      },
      "not returned by the heap");
  EXPECT_DEATH(
      {
        auto* p = static_cast<char*>(heap_.Alloc(64));
        heap_.Free(p + 4);
      },
      "not returned by the heap");
}

TEST_F(HeapDeathTest, DoubleFreeOfLargeAllocation) {
  // Quarantine keeps the freed run readable, as a reused page would be.
  FakePages::quarantine = true;
  EXPECT_DEATH(
      {
        void* p = heap_.Alloc(20000);
        heap_.Free(p);
        heap_.Free(p);
      },
      "not returned by the heap");
}

TEST_F(HeapDeathTest, SizeOfFreedObject) {
  EXPECT_DEATH(
      {
        void* p = heap_.Alloc(100);
        void* keep = heap_.Alloc(100);
        heap_.Free(p);
        (void)heap_.SizeOf(p);
        heap_.Free(keep);
      },
      "double free");
}

TEST_F(HeapDeathTest, WriteAfterFreeIsCaughtByPoisonCheck) {
  EXPECT_DEATH(
      {
        auto* p = static_cast<char*>(heap_.Alloc(48));
        void* keep = heap_.Alloc(48);
        heap_.Free(p);
#ifdef HEAP_TEST_ASAN
        // ASan would report the write itself; let it through so the
        // heap's own poison check is what fires.
        ASAN_UNPOISON_MEMORY_REGION(p, 48);
#endif
        p[5] = 1;
        // The freed slot is handed out again first (lowest free slot).
        (void)heap_.Alloc(48);
        heap_.Free(keep);
      },
      "write after free");
}

}  // namespace
