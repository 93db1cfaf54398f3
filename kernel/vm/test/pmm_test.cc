// Host tests of the buddy allocator. Physical addresses are made up: the
// Pmm never touches the pages, only their metadata, which the tests
// allocate on the host heap.
#include "kernel/vm/pmm.h"

#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using mica::kPageSize;
using mica::paddr_t;
using mica::Pmm;
using mica::Status;

constexpr paddr_t kRam = 0x40000000;

// Page metadata storage for one arena.
struct Meta {
  explicit Meta(size_t pages) : words((Pmm::MetadataBytes(pages) + 7) / 8) {}
  void* get() { return words.data(); }
  std::vector<uint64_t> words;
};

// A Pmm plus the metadata it was given.
class PmmTest : public ::testing::Test {
 protected:
  Status Add(paddr_t base, size_t pages) {
    metas_.push_back(std::make_unique<Meta>(pages));
    return pmm_.AddArena(base, pages * kPageSize, metas_.back()->get());
  }
  paddr_t MustAlloc(unsigned order = 0) {
    auto r = pmm_.AllocPages(order);
    EXPECT_TRUE(r.ok()) << mica::StatusString(r.status());
    return r.ok() ? r.value() : 0;
  }

  Pmm pmm_;
  std::vector<std::unique_ptr<Meta>> metas_;
};

TEST_F(PmmTest, AddArenaValidates) {
  Meta m(16);
  EXPECT_EQ(pmm_.AddArena(kRam + 1, 16 * kPageSize, m.get()), Status::kInvalidArgs);
  EXPECT_EQ(pmm_.AddArena(kRam, 16 * kPageSize + 1, m.get()), Status::kInvalidArgs);
  EXPECT_EQ(pmm_.AddArena(kRam, 0, m.get()), Status::kInvalidArgs);
  EXPECT_EQ(pmm_.AddArena(kRam, 16 * kPageSize, nullptr), Status::kInvalidArgs);
  EXPECT_EQ(pmm_.AddArena(kRam, 16 * kPageSize, static_cast<char*>(m.get()) + 1),
            Status::kInvalidArgs);
  EXPECT_EQ(pmm_.AddArena(~paddr_t{0} & ~paddr_t{0xfff}, 16 * kPageSize, m.get()),
            Status::kInvalidArgs);
  EXPECT_EQ(pmm_.arena_count(), 0u);
  ASSERT_EQ(Add(kRam, 16), Status::kOk);
  EXPECT_EQ(Add(kRam + 15 * kPageSize, 4), Status::kAlreadyExists);
  EXPECT_EQ(Add(kRam - 2 * kPageSize, 3), Status::kAlreadyExists);
  EXPECT_EQ(Add(kRam + 16 * kPageSize, 4), Status::kOk);  // adjacent is fine
  EXPECT_EQ(pmm_.arena_count(), 2u);
  for (size_t i = 2; i < Pmm::kMaxArenas; i++) {
    ASSERT_EQ(Add(kRam + i * 0x100000, 1), Status::kOk);
  }
  EXPECT_EQ(Add(kRam + 0x10000000, 1), Status::kNoResources);
  pmm_.CheckInvariants();
}

TEST_F(PmmTest, AlignedArenaIsOneBlockPerMaxOrder) {
  // 2^kMaxOrder pages at an aligned base: exactly one free block.
  const size_t pages = size_t{1} << Pmm::kMaxOrder;
  ASSERT_EQ(Add(kRam, pages), Status::kOk);
  Pmm::Stats s = pmm_.GetStats();
  EXPECT_EQ(s.total_pages, pages);
  EXPECT_EQ(s.free_pages, pages);
  EXPECT_EQ(s.free_blocks[Pmm::kMaxOrder], 1u);
  EXPECT_EQ(s.allocated_pages, 0u);
  paddr_t pa = MustAlloc(0);
  EXPECT_EQ(pa, kRam);
  s = pmm_.GetStats();
  // Splitting left one free block of every order below the maximum.
  for (unsigned k = 0; k < Pmm::kMaxOrder; k++) {
    EXPECT_EQ(s.free_blocks[k], 1u) << k;
  }
  EXPECT_EQ(pmm_.Free(pa, 1), Status::kOk);
  s = pmm_.GetStats();
  EXPECT_EQ(s.free_blocks[Pmm::kMaxOrder], 1u);
  EXPECT_EQ(s.free_blocks[0], 0u);
  pmm_.CheckInvariants();
}

TEST_F(PmmTest, UnalignedArenaExhaustionAndCoalescing) {
  // Starts 3 pages past a 16 KiB boundary and has an odd length.
  const paddr_t base = kRam + 0x3000;
  const size_t pages = 1001;
  ASSERT_EQ(Add(base, pages), Status::kOk);
  pmm_.CheckInvariants();
  const Pmm::Stats before = pmm_.GetStats();
  std::vector<paddr_t> got;
  for (size_t i = 0; i < pages; i++) {
    auto r = pmm_.AllocPage();
    ASSERT_TRUE(r.ok());
    EXPECT_GE(r.value(), base);
    EXPECT_LT(r.value(), base + pages * kPageSize);
    got.push_back(r.value());
  }
  EXPECT_EQ(pmm_.AllocPage().status(), Status::kNoMemory);
  EXPECT_EQ(pmm_.free_pages(), 0u);
  EXPECT_EQ(pmm_.allocated_pages(), pages);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(std::unique(got.begin(), got.end()), got.end());
  pmm_.CheckInvariants();
  // Free in a scrambled order: everything coalesces back to the initial
  // maximal blocks.
  std::shuffle(got.begin(), got.end(), std::mt19937(1));
  for (paddr_t pa : got) {
    ASSERT_EQ(pmm_.Free(pa, 1), Status::kOk);
  }
  const Pmm::Stats after = pmm_.GetStats();
  EXPECT_EQ(after.free_pages, pages);
  for (unsigned k = 0; k <= Pmm::kMaxOrder; k++) {
    EXPECT_EQ(after.free_blocks[k], before.free_blocks[k]) << k;
  }
  pmm_.CheckInvariants();
}

TEST_F(PmmTest, AllocPagesIsNaturallyAligned) {
  ASSERT_EQ(Add(kRam + 0x5000, 3000), Status::kOk);
  for (unsigned order = 0; order <= 10; order++) {
    paddr_t pa = MustAlloc(order);
    EXPECT_EQ(pa % (kPageSize << order), 0u) << order;
  }
  EXPECT_EQ(pmm_.AllocPages(Pmm::kMaxOrder + 1).status(), Status::kInvalidArgs);
  EXPECT_EQ(pmm_.AllocPages(12).status(), Status::kNoMemory);  // 4096 pages > arena
  pmm_.CheckInvariants();
}

TEST_F(PmmTest, AllocContiguousCountsAndAlignment) {
  ASSERT_EQ(Add(kRam + 0x7000, 5000), Status::kOk);
  struct Case {
    size_t count;
    size_t align;
  } cases[] = {{1, 0},       {3, 0},        {5, 0x10000}, {1, 0x200000},
               {17, 0x1000}, {100, 0x8000}, {513, 0},     {2, 0x800}};
  size_t used = 0;
  for (const Case& c : cases) {
    auto r = pmm_.AllocContiguous(c.count, c.align);
    ASSERT_TRUE(r.ok()) << c.count << " " << c.align;
    size_t align = c.align < kPageSize ? kPageSize : c.align;
    EXPECT_EQ(r.value() % align, 0u);
    used += c.count;
    // Exactly `count` pages are allocated: the rest of the block was given back.
    EXPECT_EQ(pmm_.allocated_pages(), used);
    for (size_t i = 0; i < c.count; i++) {
      EXPECT_EQ(pmm_.PageFromPa(r.value() + i * kPageSize)->state, mica::Page::State::kAllocated);
    }
  }
  EXPECT_EQ(pmm_.AllocContiguous(0).status(), Status::kInvalidArgs);
  EXPECT_EQ(pmm_.AllocContiguous(1, 3 * kPageSize).status(), Status::kInvalidArgs);
  EXPECT_EQ(pmm_.AllocContiguous(5001).status(), Status::kNoMemory);
  pmm_.CheckInvariants();
}

TEST_F(PmmTest, AllocContiguousSpansBlocks) {
  // 64 pages; allocate all, free pages [5, 25): the free run crosses
  // buddy boundaries (5, 6-7, 8-15, 16-23, 24) so only the scan finds it.
  ASSERT_EQ(Add(kRam, 64), Status::kOk);
  for (int i = 0; i < 64; i++) {
    MustAlloc();
  }
  ASSERT_EQ(pmm_.Free(kRam + 5 * kPageSize, 20), Status::kOk);
  pmm_.CheckInvariants();
  EXPECT_EQ(pmm_.AllocContiguous(21).status(), Status::kNoMemory);
  EXPECT_EQ(pmm_.AllocContiguous(20, 8 * kPageSize).status(), Status::kNoMemory);
  auto r = pmm_.AllocContiguous(16, 8 * kPageSize);  // aligned inside the run
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), kRam + 8 * kPageSize);
  ASSERT_EQ(pmm_.Free(r.value(), 16), Status::kOk);
  r = pmm_.AllocContiguous(20);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), kRam + 5 * kPageSize);
  EXPECT_EQ(pmm_.free_pages(), 0u);
  pmm_.CheckInvariants();
}

TEST_F(PmmTest, AllocContiguousLargerThanMaxOrder) {
  const size_t max_block = size_t{1} << Pmm::kMaxOrder;
  ASSERT_EQ(Add(kRam, 2 * max_block + 10), Status::kOk);
  auto r = pmm_.AllocContiguous(max_block + 7);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(pmm_.allocated_pages(), max_block + 7);
  ASSERT_EQ(pmm_.Free(r.value(), max_block + 7), Status::kOk);
  EXPECT_EQ(pmm_.free_pages(), 2 * max_block + 10);
  pmm_.CheckInvariants();
}

TEST_F(PmmTest, FreeDetectsErrors) {
  ASSERT_EQ(Add(kRam, 32), Status::kOk);
  ASSERT_EQ(Add(kRam + 32 * kPageSize, 32), Status::kOk);
  paddr_t pa = MustAlloc(2);  // 4 pages
  EXPECT_EQ(pmm_.Free(pa + 1, 1), Status::kInvalidArgs);
  EXPECT_EQ(pmm_.Free(pa, 0), Status::kInvalidArgs);
  EXPECT_EQ(pmm_.Free(0x1000, 1), Status::kNotFound);                 // foreign
  EXPECT_EQ(pmm_.Free(kRam + 64 * kPageSize, 1), Status::kNotFound);  // just past RAM
  EXPECT_EQ(pmm_.Free(pa, 5), Status::kBadState);                     // last page is not allocated
  // Part of an allocation can be freed on its own; freeing it again fails.
  EXPECT_EQ(pmm_.Free(pa + kPageSize, 2), Status::kOk);
  EXPECT_EQ(pmm_.Free(pa + kPageSize, 1), Status::kBadState);
  EXPECT_EQ(pmm_.Free(pa, 1), Status::kOk);
  EXPECT_EQ(pmm_.Free(pa, 1), Status::kBadState);  // double free
  EXPECT_EQ(pmm_.Free(pa + 3 * kPageSize, 1), Status::kOk);
  EXPECT_EQ(pmm_.free_pages(), 64u);
  // A range crossing from one arena into the next is foreign to both.
  auto a = pmm_.AllocContiguous(32);
  auto b = pmm_.AllocContiguous(32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(pmm_.Free(kRam + 30 * kPageSize, 4), Status::kNotFound);
  EXPECT_EQ(pmm_.Free(a.value(), 32), Status::kOk);
  EXPECT_EQ(pmm_.Free(b.value(), 32), Status::kOk);
  pmm_.CheckInvariants();
}

TEST_F(PmmTest, ReserveAndUnreserve) {
  ASSERT_EQ(Add(kRam, 256), Status::kOk);
  const paddr_t hole = kRam + 37 * kPageSize;
  ASSERT_EQ(pmm_.Reserve(hole, 50 * kPageSize), Status::kOk);
  pmm_.CheckInvariants();
  EXPECT_EQ(pmm_.reserved_pages(), 50u);
  EXPECT_EQ(pmm_.free_pages(), 206u);
  EXPECT_EQ(pmm_.Reserve(hole + 10 * kPageSize, kPageSize), Status::kBadState);
  EXPECT_EQ(pmm_.Reserve(kRam + 255 * kPageSize, 2 * kPageSize), Status::kNotFound);
  EXPECT_EQ(pmm_.Reserve(0, kPageSize), Status::kNotFound);
  EXPECT_EQ(pmm_.Reserve(kRam, 100), Status::kInvalidArgs);
  std::vector<paddr_t> pages;
  while (true) {
    auto r = pmm_.AllocPage();
    if (!r.ok()) {
      break;
    }
    EXPECT_TRUE(r.value() < hole || r.value() >= hole + 50 * kPageSize);
    pages.push_back(r.value());
  }
  EXPECT_EQ(pages.size(), 206u);
  EXPECT_EQ(pmm_.Free(hole, 1), Status::kBadState);  // reserved, not allocated
  EXPECT_EQ(pmm_.Unreserve(hole, 50 * kPageSize), Status::kOk);
  EXPECT_EQ(pmm_.Unreserve(hole, kPageSize), Status::kBadState);
  EXPECT_EQ(pmm_.free_pages(), 50u);
  for (paddr_t pa : pages) {
    ASSERT_EQ(pmm_.Free(pa, 1), Status::kOk);
  }
  EXPECT_EQ(pmm_.free_pages(), 256u);
  EXPECT_EQ(pmm_.GetStats().free_blocks[8], 1u);  // fully coalesced
  pmm_.CheckInvariants();
}

// The boot sequence the kernel follows: the metadata lives at the start of
// the arena and is reserved right after AddArena.
TEST_F(PmmTest, MetadataCarvedFromArena) {
  const paddr_t base = kRam + 0x2000;
  const size_t pages = 4000;
  ASSERT_EQ(Add(base, pages), Status::kOk);
  const size_t meta_pages = (Pmm::MetadataBytes(pages) + kPageSize - 1) / kPageSize;
  ASSERT_EQ(pmm_.Reserve(base, meta_pages * kPageSize), Status::kOk);
  EXPECT_EQ(pmm_.free_pages(), pages - meta_pages);
  Pmm::ArenaInfo info;
  ASSERT_EQ(pmm_.GetArenaInfo(0, &info), Status::kOk);
  EXPECT_EQ(info.base, base);
  EXPECT_EQ(info.size, pages * kPageSize);
  EXPECT_EQ(info.reserved_pages, meta_pages);
  EXPECT_EQ(pmm_.GetArenaInfo(1, &info), Status::kOutOfRange);
  pmm_.CheckInvariants();
}

TEST_F(PmmTest, PageFromPaRoundTrip) {
  ASSERT_EQ(Add(kRam, 100), Status::kOk);
  ASSERT_EQ(Add(kRam + 0x1000000 + 0x5000, 100), Status::kOk);
  for (paddr_t pa : {kRam, kRam + 99 * kPageSize, kRam + 0x1005000, kRam + 0x1005000 + 0x63000}) {
    mica::Page* p = pmm_.PageFromPa(pa + 123);  // any address inside the page
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(pmm_.PaFromPage(p), pa);
  }
  EXPECT_EQ(pmm_.PageFromPa(kRam + 100 * kPageSize), nullptr);
  EXPECT_EQ(pmm_.PageFromPa(0), nullptr);
  EXPECT_EQ(pmm_.PageFromPa(kRam + 0x1005000 - 1), nullptr);
  // Allocations come from both arenas once one is exhausted.
  size_t in_second = 0;
  for (int i = 0; i < 200; i++) {
    paddr_t pa = MustAlloc();
    in_second += pa >= kRam + 0x1000000;
    EXPECT_EQ(pmm_.PageFromPa(pa)->state, mica::Page::State::kAllocated);
  }
  EXPECT_EQ(in_second, 100u);
  EXPECT_EQ(pmm_.AllocPage().status(), Status::kNoMemory);
}

// Randomized alloc/free against a shadow model of which pages are taken.
TEST_F(PmmTest, RandomStressAgainstShadowModel) {
  struct Range {
    paddr_t base;
    size_t pages;
  };
  const Range arenas[] = {{kRam + 0x3000, 777}, {kRam + 0x10000000, 2048}, {0x1000, 300}};
  size_t total = 0;
  for (const Range& r : arenas) {
    ASSERT_EQ(Add(r.base, r.pages), Status::kOk);
    total += r.pages;
  }
  std::mt19937_64 rng(2024);
  std::map<paddr_t, size_t> live;  // base -> pages, disjoint
  std::map<paddr_t, bool> taken;   // every allocated page
  size_t allocated = 0;
  auto take = [&](paddr_t pa, size_t count) {
    bool in_arena = false;
    for (const Range& r : arenas) {
      in_arena |= pa >= r.base && pa + count * kPageSize <= r.base + r.pages * kPageSize;
    }
    ASSERT_TRUE(in_arena);
    for (size_t i = 0; i < count; i++) {
      ASSERT_FALSE(taken[pa + i * kPageSize]) << "page handed out twice";
      taken[pa + i * kPageSize] = true;
    }
    live[pa] = count;
    allocated += count;
  };
  for (int step = 0; step < 40000; step++) {
    // Free with probability allocated/total: memory use hovers around half,
    // with excursions to exhaustion.
    const unsigned op = rng() % total < allocated ? 5 + rng() % 3 : rng() % 5;
    if (op < 2) {
      auto r = pmm_.AllocPage();
      if (r.ok()) {
        take(r.value(), 1);
      } else {
        ASSERT_EQ(pmm_.free_pages(), 0u);
      }
    } else if (op < 4) {
      unsigned order = rng() % 6;
      auto r = pmm_.AllocPages(order);
      if (r.ok()) {
        ASSERT_EQ(r.value() % (kPageSize << order), 0u);
        take(r.value(), size_t{1} << order);
      } else {
        ASSERT_EQ(r.status(), Status::kNoMemory);
      }
    } else if (op < 5) {
      size_t count = 1 + rng() % 40;
      size_t align = kPageSize << (rng() % 5);
      auto r = pmm_.AllocContiguous(count, align);
      if (r.ok()) {
        ASSERT_EQ(r.value() % align, 0u);
        take(r.value(), count);
      }
    } else if (!live.empty()) {
      // Free a whole allocation, or a piece of it.
      auto it = live.lower_bound(static_cast<paddr_t>(rng()) % (kRam + 0x20000000));
      if (it == live.end()) {
        it = live.begin();
      }
      const paddr_t base = it->first;
      const size_t pages = it->second;
      live.erase(it);
      size_t skip = op == 7 ? rng() % pages : 0;
      size_t count = op == 7 ? 1 + rng() % (pages - skip) : pages;
      ASSERT_EQ(pmm_.Free(base + skip * kPageSize, count), Status::kOk);
      for (size_t i = skip; i < skip + count; i++) {
        taken[base + i * kPageSize] = false;
      }
      allocated -= count;
      if (skip > 0) {
        live[base] = skip;
      }
      if (skip + count < pages) {
        live[base + (skip + count) * kPageSize] = pages - skip - count;
      }
      // A double free of the same pages is refused.
      ASSERT_EQ(pmm_.Free(base + skip * kPageSize, 1), Status::kBadState);
    }
    ASSERT_EQ(pmm_.allocated_pages(), allocated);
    ASSERT_EQ(pmm_.free_pages(), total - allocated);
    if (step % 1000 == 0) {
      pmm_.CheckInvariants();
    }
  }
  for (const auto& [base, pages] : live) {
    ASSERT_EQ(pmm_.Free(base, pages), Status::kOk);
  }
  EXPECT_EQ(pmm_.free_pages(), total);
  pmm_.CheckInvariants();
}

TEST_F(PmmTest, ConcurrentAllocFree) {
  ASSERT_EQ(Add(kRam, 4096), Status::kOk);
  std::vector<std::atomic<int>> owner(4096);
  std::vector<std::thread> threads;
  std::atomic<bool> failed{false};
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::vector<paddr_t> mine;
      for (int i = 0; i < 20000; i++) {
        if (mine.size() < 200 && rng() % 2) {
          auto r = pmm_.AllocPage();
          if (r.ok()) {
            size_t idx = (r.value() - kRam) / kPageSize;
            int expected = 0;
            if (!owner[idx].compare_exchange_strong(expected, t + 1)) {
              failed = true;
            }
            mine.push_back(r.value());
          }
        } else if (!mine.empty()) {
          paddr_t pa = mine.back();
          mine.pop_back();
          owner[(pa - kRam) / kPageSize] = 0;
          if (pmm_.Free(pa, 1) != Status::kOk) {
            failed = true;
          }
        }
      }
      for (paddr_t pa : mine) {
        owner[(pa - kRam) / kPageSize] = 0;
        if (pmm_.Free(pa, 1) != Status::kOk) {
          failed = true;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(pmm_.free_pages(), 4096u);
  EXPECT_EQ(pmm_.GetStats().free_blocks[12], 1u);
  pmm_.CheckInvariants();
}

TEST_F(PmmTest, Dump) {
  ASSERT_EQ(Add(kRam + 0x1000, 10), Status::kOk);
  MustAlloc();
  std::string out;
  pmm_.Dump([&out](const char* fmt, auto... args) {
    char line[256];
    snprintf(line, sizeof(line), fmt, args...);
    out += line;
  });
  EXPECT_NE(out.find("1 arenas, 10 pages total, 9 free, 1 allocated, 0 reserved"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("arena 0: [0x40001000, 0x4000b000)"), std::string::npos) << out;
  EXPECT_NE(out.find("order 0 (4 KiB)"), std::string::npos) << out;
}

TEST_F(PmmTest, ConstantInitializable) {
  // The kernel keeps its Pmm in a constinit global: no constructor or
  // destructor runs.
  static constinit Pmm global;
  EXPECT_EQ(global.arena_count(), 0u);
  static_assert(std::is_trivially_destructible_v<Pmm>);
}

TEST(PmmDeathTest, PaFromForeignPageAsserts) {
  Pmm pmm;
  Meta m(4);
  ASSERT_EQ(pmm.AddArena(kRam, 4 * kPageSize, m.get()), Status::kOk);
  mica::Page stray;
  EXPECT_DEATH((void)pmm.PaFromPage(&stray), "not a Page of this Pmm");
}

}  // namespace
