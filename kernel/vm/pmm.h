// Pmm: the physical page allocator, a binary buddy allocator over arenas.
//
// Pure logic: it manages physical addresses and a Page metadata array per
// arena, and never touches the pages themselves (it does not know the
// kernel's linear map). See kernel/vm/README.md for the design.
//
// Boot sequence, per usable RAM range [base, base + size) (page-aligned):
//   size_t bytes = Pmm::MetadataBytes(size / kPageSize);
//   void* meta = <linear-map address of `bytes` bytes inside the range>;
//   pmm.AddArena(base, size, meta);        // every page free
//   pmm.Reserve(<pa of meta>, <bytes rounded up to pages>);
// Reserve() also takes out any other sub-range that must not be handed out.
//
// Blocks: a free block of order k is 2^k pages starting at a physical frame
// number that is a multiple of 2^k, entirely inside one arena. Arenas may
// start and end at any page boundary: the free range is cut into maximal
// aligned blocks. Buddies merge on free only inside their arena.
//
// Locking: every public method takes the Pmm's internal SpinLock (a leaf
// lock: the Pmm calls nothing outside itself while holding it). Methods that
// run with it held end in `Locked`. The lock does not disable interrupts: do
// not call the Pmm from interrupt handlers unless every caller runs with
// interrupts disabled.
//
// Costs: AllocPages/Free are O(kMaxOrder + pages) (each page's state is
// updated, which the double-free check relies on); AllocContiguous falls back
// to an O(arena pages) scan when no single buddy block fits.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/atomic.h"
#include "kernel/lib/list.h"
#include "kernel/lib/result.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/status.h"
#include "kernel/lib/thread_annotations.h"

namespace mica {

using paddr_t = uint64_t;

inline constexpr size_t kPageShift = 12;
inline constexpr size_t kPageSize = size_t{1} << kPageShift;

// Metadata for one physical page. While a page is allocated, `node` and
// `owner` belong to whoever allocated it (e.g. a VMO's page list); the Pmm
// only reads `state`. While free, everything belongs to the Pmm.
class MemAccount;

struct Page {
  enum class State : uint8_t {
    kFree = 0,       // part of a free block (the head also has kFreeHead)
    kAllocated = 1,  // handed out by Alloc*, returned with Free
    kReserved = 2,   // taken out with Reserve, never handed out
  };
  static constexpr uint8_t kFreeHead = 1;  // flags: first page of a free block

  ListNode node;
  uintptr_t owner = 0;
  // Whose memory an allocated page is (kernel/base/memory.cc: the account
  // charged for it, or nullptr); the Pmm itself never looks at it.
  MemAccount* account = nullptr;
  State state = State::kFree;
  uint8_t order = 0;  // free block order (valid on a free block's head)
  uint8_t arena = 0;  // index of the arena the page belongs to
  uint8_t flags = 0;
};

class Pmm {
 public:
  // Largest block: 2^kMaxOrder pages (1 GiB with 4 KiB pages).
  static constexpr unsigned kMaxOrder = 18;
  static constexpr size_t kMaxArenas = 32;

  struct ArenaInfo {
    paddr_t base;
    size_t size;  // bytes
    size_t total_pages;
    size_t free_pages;
    size_t reserved_pages;
  };

  struct Stats {
    size_t arenas;
    size_t total_pages;
    size_t free_pages;
    size_t reserved_pages;
    size_t allocated_pages;
    size_t free_blocks[kMaxOrder + 1];  // free blocks of each order
  };

  constexpr Pmm() = default;
  Pmm(const Pmm&) = delete;
  Pmm& operator=(const Pmm&) = delete;

  // Bytes of Page metadata an arena of `arena_pages` pages needs.
  static size_t MetadataBytes(size_t arena_pages) { return arena_pages * sizeof(Page); }

  // Adds the RAM range [base, base + size) with every page free. `base` and
  // `size` must be page-aligned and non-zero; the range must not overlap an
  // existing arena. `metadata` points to MetadataBytes(size / kPageSize)
  // writable bytes aligned for Page, which the Pmm owns from now on.
  // Errors: kInvalidArgs, kAlreadyExists (overlap), kNoResources (too many
  // arenas).
  Status AddArena(paddr_t base, size_t size, void* metadata) EXCLUDES(lock_);

  // Takes the page-aligned range [pa, pa + size) out of circulation. Every
  // page must be in one arena and free. Errors: kInvalidArgs, kNotFound (not
  // in an arena), kBadState (some page is not free; nothing changes).
  Status Reserve(paddr_t pa, size_t size) EXCLUDES(lock_);
  // Returns a reserved range to the free pool (e.g. boot-only memory).
  // Every page must be reserved. Errors as for Reserve.
  Status Unreserve(paddr_t pa, size_t size) EXCLUDES(lock_);

  // One page.
  Result<paddr_t> AllocPage() EXCLUDES(lock_) { return AllocPages(0); }
  // 2^order contiguous pages, aligned to 2^order pages. kNoMemory if no free
  // block is large enough, kInvalidArgs if order > kMaxOrder.
  Result<paddr_t> AllocPages(unsigned order) EXCLUDES(lock_);
  // `count` contiguous pages starting at a multiple of `alignment` bytes (a
  // power of two; values below kPageSize mean kPageSize). Any count.
  Result<paddr_t> AllocContiguous(size_t count, size_t alignment = kPageSize) EXCLUDES(lock_);
  // Frees `count` pages at `pa`. Any sub-range of what was allocated may be
  // freed on its own. Nothing changes on error: kInvalidArgs (unaligned,
  // zero count), kNotFound (not inside one arena: a foreign address),
  // kBadState (some page is not allocated: a double free).
  Status Free(paddr_t pa, size_t count) EXCLUDES(lock_);

  // Page metadata of a physical address (any address inside the page), or
  // nullptr if it is in no arena. Lock-free: arenas are never removed.
  Page* PageFromPa(paddr_t pa) const;
  // The physical address of a page returned by PageFromPa.
  paddr_t PaFromPage(const Page* page) const;

  // Counters (pages).
  size_t total_pages() const EXCLUDES(lock_);
  size_t free_pages() const EXCLUDES(lock_);
  size_t reserved_pages() const EXCLUDES(lock_);
  size_t allocated_pages() const EXCLUDES(lock_);
  size_t arena_count() const { return arena_count_.load(mica::kAcquire); }
  // Fills `info` for arena `index`; kOutOfRange if there is no such arena.
  Status GetArenaInfo(size_t index, ArenaInfo* info) const EXCLUDES(lock_);
  Stats GetStats() const EXCLUDES(lock_);

  // Prints the counters and arenas through a printf-like callable:
  //   pmm.Dump(printf);  pmm.Dump([](const char* fmt, auto... args) {...});
  // The format strings use %zu and %#llx. Counters are snapshotted under
  // the lock; printing happens without it.
  template <typename PrintfLike>
  void Dump(PrintfLike&& printf_like) const EXCLUDES(lock_);

  // Checks every invariant (block alignment, states, list membership,
  // counters); asserts on failure. O(total pages): for tests and debugging.
  void CheckInvariants() const EXCLUDES(lock_);

 private:
  struct Arena {
    paddr_t base = 0;
    size_t pages = 0;
    Page* meta = nullptr;
    size_t free_pages = 0;
    size_t reserved_pages = 0;
    uint64_t base_pfn() const { return base >> kPageShift; }
    uint64_t end_pfn() const { return base_pfn() + pages; }
  };
  using FreeList = List<Page, &Page::node>;

  // The arena containing frame `pfn`, or nullptr. Lock-free (see above).
  const Arena* ArenaForPfn(uint64_t pfn) const;
  Arena* ArenaForPfn(uint64_t pfn) {
    return const_cast<Arena*>(static_cast<const Pmm*>(this)->ArenaForPfn(pfn));
  }

  Page* PageOf(const Arena& a, uint64_t pfn) const { return &a.meta[pfn - a.base_pfn()]; }

  // Removes the free block at `pfn` (order `order`) from its list.
  void RemoveFreeBlockLocked(Arena& a, uint64_t pfn, unsigned order) REQUIRES(lock_);
  // Inserts [pfn, pfn + 2^order) as one free block (no merging).
  void InsertFreeBlockLocked(Arena& a, uint64_t pfn, unsigned order) REQUIRES(lock_);
  // Marks [pfn, pfn + count) free and inserts it as maximal aligned blocks,
  // each merged with its free buddies.
  void FreeRangeLocked(Arena& a, uint64_t pfn, size_t count) REQUIRES(lock_);
  // Inserts the already-kFree range [pfn, pfn + count) as maximal aligned
  // blocks, each merged with its free buddies.
  void InsertRangeLocked(Arena& a, uint64_t pfn, size_t count) REQUIRES(lock_);
  // Removes the smallest free block of order >= `order`, splits it down to
  // `order` (the rest goes back to the lists) and returns it; false if none.
  bool TakeBlockLocked(unsigned order, Arena** arena, uint64_t* pfn) REQUIRES(lock_);
  // Frees one aligned block and merges it with its buddies.
  void FreeBlockLocked(Arena& a, uint64_t pfn, unsigned order) REQUIRES(lock_);
  // The head pfn and order of the free block containing free page `pfn`.
  void FindFreeBlockLocked(const Arena& a, uint64_t pfn, uint64_t* head, unsigned* order) const
      REQUIRES(lock_);
  // Takes [pfn, pfn + count), all free, out of the free blocks and marks the
  // pages `state`. The rest of the affected blocks go back to the free lists.
  void CarveLocked(Arena& a, uint64_t pfn, size_t count, Page::State state) REQUIRES(lock_);
  // Validates [pa, pa + count pages) as pages of one arena, all in `state`;
  // sets *arena and *pfn.
  Status CheckRangeLocked(paddr_t pa, size_t count, Page::State state, Arena** arena, uint64_t* pfn)
      REQUIRES(lock_);
  // Sets the state of [pfn, pfn + count) and keeps the counters in step.
  void MarkLocked(Arena& a, uint64_t pfn, size_t count, Page::State state) REQUIRES(lock_);

  mutable SpinLock lock_;
  Arena arenas_[kMaxArenas];
  mica::Atomic<size_t> arena_count_;  // published with release after the arena is set up
  FreeList free_lists_[kMaxOrder + 1] GUARDED_BY(lock_);
  size_t free_blocks_[kMaxOrder + 1] GUARDED_BY(lock_) = {};
  size_t total_pages_ GUARDED_BY(lock_) = 0;
  size_t free_pages_ GUARDED_BY(lock_) = 0;
  size_t reserved_pages_ GUARDED_BY(lock_) = 0;
};

template <typename PrintfLike>
void Pmm::Dump(PrintfLike&& printf_like) const {
  Stats s = GetStats();
  printf_like("pmm: %zu arenas, %zu pages total, %zu free, %zu allocated, %zu reserved\n", s.arenas,
              s.total_pages, s.free_pages, s.allocated_pages, s.reserved_pages);
  for (size_t i = 0; i < s.arenas; i++) {
    ArenaInfo info;
    if (GetArenaInfo(i, &info) != Status::kOk) {
      break;
    }
    printf_like("pmm: arena %zu: [%#llx, %#llx) %zu pages, %zu free, %zu reserved\n", i,
                static_cast<unsigned long long>(info.base),
                static_cast<unsigned long long>(info.base + info.size), info.total_pages,
                info.free_pages, info.reserved_pages);
  }
  for (unsigned order = 0; order <= kMaxOrder; order++) {
    if (s.free_blocks[order] != 0) {
      printf_like("pmm: order %u (%zu KiB): %zu free blocks\n", order, (kPageSize << order) / 1024,
                  s.free_blocks[order]);
    }
  }
}

}  // namespace mica
