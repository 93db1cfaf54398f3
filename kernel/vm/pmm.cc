// The buddy allocator. Invariants (checked by CheckInvariants):
//   1. Every page is in exactly one state: kFree, kAllocated or kReserved.
//   2. The kFree pages of an arena are partitioned into free blocks. A block
//      of order k covers [h, h + 2^k) with h a multiple of 2^k, lies inside
//      its arena, has kFreeHead and order k on its head page h, and that
//      head page is on free_lists_[k]. No other page has kFreeHead.
//   3. free_pages_/reserved_pages_ (and each arena's) count the pages in
//      those states; free_blocks_[k] is the length of free_lists_[k].
// Two free buddies of the same order are not always merged (a Carve may
// leave them apart), which is harmless: merging is an optimisation.
#include "kernel/vm/pmm.h"

#include <new>

#include "kernel/lib/assert.h"

namespace mica {
namespace {

constexpr uint64_t Pow2(unsigned k) {
  return uint64_t{1} << k;
}

// The largest order k <= kMaxOrder with pfn a multiple of 2^k and
// 2^k <= count (count > 0).
unsigned LargestBlock(uint64_t pfn, uint64_t count) {
  unsigned k = 0;
  while (k < Pmm::kMaxOrder && (pfn & Pow2(k)) == 0 && Pow2(k + 1) <= count) {
    k++;
  }
  return k;
}

// ceil(log2(n)) for n >= 1.
unsigned CeilLog2(uint64_t n) {
  unsigned k = 0;
  while (Pow2(k) < n) {
    k++;
  }
  return k;
}

}  // namespace

const Pmm::Arena* Pmm::ArenaForPfn(uint64_t pfn) const {
  const size_t n = arena_count();
  for (size_t i = 0; i < n; i++) {
    const Arena& a = arenas_[i];
    if (pfn >= a.base_pfn() && pfn < a.end_pfn()) {
      return &a;
    }
  }
  return nullptr;
}

Status Pmm::AddArena(paddr_t base, size_t size, void* metadata) {
  if (size == 0 || base % kPageSize != 0 || size % kPageSize != 0 || metadata == nullptr ||
      reinterpret_cast<uintptr_t>(metadata) % alignof(Page) != 0 || base + size < base) {
    return Status::kInvalidArgs;
  }
  const size_t pages = size / kPageSize;
  Guard<SpinLock> guard(&lock_);
  const size_t index = arena_count_.load(mica::kRelaxed);  // only changed under lock_
  if (index == kMaxArenas) {
    return Status::kNoResources;
  }
  for (size_t i = 0; i < index; i++) {
    const Arena& o = arenas_[i];
    if (base < o.base + o.pages * kPageSize && o.base < base + size) {
      return Status::kAlreadyExists;
    }
  }
  Arena& a = arenas_[index];
  a.base = base;
  a.pages = pages;
  a.meta = static_cast<Page*>(metadata);
  a.free_pages = 0;
  a.reserved_pages = 0;
  // Every page starts free (one pass: at boot this is the whole RAM, e.g.
  // 524,288 pages for 2 GiB; building them allocated and freeing the range
  // took twice the instructions), then the blocks are built.
  const Page free_page = [index] {
    Page p;
    p.arena = static_cast<uint8_t>(index);
    return p;
  }();
  for (size_t i = 0; i < pages; i++) {
    new (&a.meta[i]) Page(free_page);
  }
  a.free_pages = pages;
  free_pages_ += pages;
  total_pages_ += pages;
  InsertRangeLocked(a, a.base_pfn(), pages);
  // Publish: lock-free readers (PageFromPa) see a fully built arena.
  arena_count_.store(index + 1, mica::kRelease);
  return Status::kOk;
}

void Pmm::RemoveFreeBlockLocked(Arena& a, uint64_t pfn, unsigned order) {
  Page* head = PageOf(a, pfn);
  MICA_DEBUG_ASSERT((head->flags & Page::kFreeHead) && head->order == order);
  free_lists_[order].remove(head);
  head->flags &= static_cast<uint8_t>(~Page::kFreeHead);
  free_blocks_[order]--;
}

void Pmm::InsertFreeBlockLocked(Arena& a, uint64_t pfn, unsigned order) {
  MICA_DEBUG_ASSERT(pfn % Pow2(order) == 0 && pfn >= a.base_pfn() &&
                    pfn + Pow2(order) <= a.end_pfn());
  Page* head = PageOf(a, pfn);
  MICA_DEBUG_ASSERT(head->state == Page::State::kFree);
  head->flags |= Page::kFreeHead;
  head->order = static_cast<uint8_t>(order);
  // LIFO: the most recently freed block is handed out first.
  free_lists_[order].push_front(head);
  free_blocks_[order]++;
}

void Pmm::FreeBlockLocked(Arena& a, uint64_t pfn, unsigned order) {
  while (order < kMaxOrder) {
    const uint64_t buddy = pfn ^ Pow2(order);
    if (buddy < a.base_pfn() || buddy + Pow2(order) > a.end_pfn()) {
      break;
    }
    const Page* b = PageOf(a, buddy);
    if (b->state != Page::State::kFree || !(b->flags & Page::kFreeHead) || b->order != order) {
      break;
    }
    RemoveFreeBlockLocked(a, buddy, order);
    pfn = pfn < buddy ? pfn : buddy;
    order++;
  }
  InsertFreeBlockLocked(a, pfn, order);
}

void Pmm::MarkLocked(Arena& a, uint64_t pfn, size_t count, Page::State state) {
  Page* pages = PageOf(a, pfn);
  for (size_t i = 0; i < count; i++) {
    Page& p = pages[i];
    MICA_DEBUG_ASSERT_MSG(!(p.flags & Page::kFreeHead), "pmm: marking the head of a free block");
    MICA_DEBUG_ASSERT_MSG(!p.node.InContainer(), "pmm: page is still on a list");
    if (p.state == Page::State::kFree) {
      a.free_pages--;
      free_pages_--;
    } else if (p.state == Page::State::kReserved) {
      a.reserved_pages--;
      reserved_pages_--;
    }
    p.state = state;
    p.owner = 0;
    if (state == Page::State::kFree) {
      a.free_pages++;
      free_pages_++;
    } else if (state == Page::State::kReserved) {
      a.reserved_pages++;
      reserved_pages_++;
    }
  }
}

void Pmm::FreeRangeLocked(Arena& a, uint64_t pfn, size_t count) {
  MarkLocked(a, pfn, count, Page::State::kFree);
  InsertRangeLocked(a, pfn, count);
}

void Pmm::InsertRangeLocked(Arena& a, uint64_t pfn, size_t count) {
  while (count > 0) {
    const unsigned order = LargestBlock(pfn, count);
    FreeBlockLocked(a, pfn, order);
    pfn += Pow2(order);
    count -= Pow2(order);
  }
}

void Pmm::FindFreeBlockLocked(const Arena& a, uint64_t pfn, uint64_t* head, unsigned* order) const {
  // The block containing pfn starts at pfn rounded down to its size.
  for (unsigned k = 0; k <= kMaxOrder; k++) {
    const uint64_t h = pfn & ~(Pow2(k) - 1);
    if (h < a.base_pfn()) {
      break;
    }
    const Page* p = PageOf(a, h);
    if (p->state == Page::State::kFree && (p->flags & Page::kFreeHead) && p->order == k) {
      *head = h;
      *order = k;
      return;
    }
  }
  mica_assert_fail(__FILE__, __LINE__, "pmm: free page outside every free block");
}

void Pmm::CarveLocked(Arena& a, uint64_t pfn, size_t count, Page::State state) {
  const uint64_t end = pfn + count;
  uint64_t p = pfn;
  while (p < end) {
    uint64_t head;
    unsigned order;
    FindFreeBlockLocked(a, p, &head, &order);
    RemoveFreeBlockLocked(a, head, order);
    const uint64_t block_end = head + Pow2(order);
    // The parts of the block outside [pfn, end) stay free.
    if (head < pfn) {
      InsertRangeLocked(a, head, pfn - head);
    }
    if (block_end > end) {
      InsertRangeLocked(a, end, block_end - end);
    }
    p = block_end;
  }
  MarkLocked(a, pfn, count, state);
}

Status Pmm::CheckRangeLocked(paddr_t pa, size_t count, Page::State state, Arena** arena,
                             uint64_t* pfn) {
  if (count == 0 || pa % kPageSize != 0) {
    return Status::kInvalidArgs;
  }
  const uint64_t first = pa >> kPageShift;
  Arena* a = ArenaForPfn(first);
  if (a == nullptr || count > a->end_pfn() - first) {
    return Status::kNotFound;
  }
  const Page* pages = PageOf(*a, first);
  for (size_t i = 0; i < count; i++) {
    if (pages[i].state != state) {
      return Status::kBadState;
    }
  }
  *arena = a;
  *pfn = first;
  return Status::kOk;
}

Status Pmm::Reserve(paddr_t pa, size_t size) {
  if (size % kPageSize != 0) {
    return Status::kInvalidArgs;
  }
  Guard<SpinLock> guard(&lock_);
  Arena* a;
  uint64_t pfn;
  if (Status s = CheckRangeLocked(pa, size / kPageSize, Page::State::kFree, &a, &pfn);
      s != Status::kOk) {
    return s;
  }
  CarveLocked(*a, pfn, size / kPageSize, Page::State::kReserved);
  return Status::kOk;
}

Status Pmm::Unreserve(paddr_t pa, size_t size) {
  if (size % kPageSize != 0) {
    return Status::kInvalidArgs;
  }
  Guard<SpinLock> guard(&lock_);
  Arena* a;
  uint64_t pfn;
  if (Status s = CheckRangeLocked(pa, size / kPageSize, Page::State::kReserved, &a, &pfn);
      s != Status::kOk) {
    return s;
  }
  FreeRangeLocked(*a, pfn, size / kPageSize);
  return Status::kOk;
}

bool Pmm::TakeBlockLocked(unsigned order, Arena** arena, uint64_t* pfn) {
  for (unsigned k = order; k <= kMaxOrder; k++) {
    Page* head = free_lists_[k].front();
    if (head == nullptr) {
      continue;
    }
    Arena& a = arenas_[head->arena];
    const uint64_t h = a.base_pfn() + static_cast<uint64_t>(head - a.meta);
    RemoveFreeBlockLocked(a, h, k);
    // Split: the upper halves go back to the lists.
    while (k > order) {
      k--;
      InsertFreeBlockLocked(a, h + Pow2(k), k);
    }
    *arena = &a;
    *pfn = h;
    return true;
  }
  return false;
}

Result<paddr_t> Pmm::AllocPages(unsigned order) {
  if (order > kMaxOrder) {
    return Status::kInvalidArgs;
  }
  Guard<SpinLock> guard(&lock_);
  Arena* a;
  uint64_t pfn;
  if (!TakeBlockLocked(order, &a, &pfn)) {
    return Status::kNoMemory;
  }
  MarkLocked(*a, pfn, Pow2(order), Page::State::kAllocated);
  return static_cast<paddr_t>(pfn << kPageShift);
}

Result<paddr_t> Pmm::AllocContiguous(size_t count, size_t alignment) {
  if (count == 0 || (alignment & (alignment - 1)) != 0) {
    return Status::kInvalidArgs;
  }
  const uint64_t align_pages = alignment <= kPageSize ? 1 : alignment / kPageSize;
  const unsigned count_order = CeilLog2(count);
  const unsigned align_order = CeilLog2(align_pages);
  const unsigned order = count_order > align_order ? count_order : align_order;

  Guard<SpinLock> guard(&lock_);
  // Fast path: one buddy block of 2^order pages is aligned to its size; keep
  // the first `count` pages and give back the rest.
  Arena* a;
  uint64_t pfn;
  if (order <= kMaxOrder && TakeBlockLocked(order, &a, &pfn)) {
    MarkLocked(*a, pfn, count, Page::State::kAllocated);
    if (Pow2(order) > count) {
      InsertRangeLocked(*a, pfn + count, Pow2(order) - count);
    }
    return static_cast<paddr_t>(pfn << kPageShift);
  }
  // Slow path: scan each arena for an aligned run of free pages that may
  // span several blocks.
  const size_t n = arena_count();
  for (size_t i = 0; i < n; i++) {
    Arena& ar = arenas_[i];
    uint64_t candidate = (ar.base_pfn() + align_pages - 1) & ~(align_pages - 1);
    while (candidate < ar.end_pfn() && count <= ar.end_pfn() - candidate) {
      const Page* pages = PageOf(ar, candidate);
      size_t run = 0;
      while (run < count && pages[run].state == Page::State::kFree) {
        run++;
      }
      if (run == count) {
        CarveLocked(ar, candidate, count, Page::State::kAllocated);
        return static_cast<paddr_t>(candidate << kPageShift);
      }
      // pages[run] is not free: the next candidate starts after it.
      candidate = (candidate + run + 1 + align_pages - 1) & ~(align_pages - 1);
    }
  }
  return Status::kNoMemory;
}

Status Pmm::Free(paddr_t pa, size_t count) {
  Guard<SpinLock> guard(&lock_);
  Arena* a;
  uint64_t pfn;
  if (Status s = CheckRangeLocked(pa, count, Page::State::kAllocated, &a, &pfn); s != Status::kOk) {
    return s;
  }
  FreeRangeLocked(*a, pfn, count);
  return Status::kOk;
}

Page* Pmm::PageFromPa(paddr_t pa) const {
  const uint64_t pfn = pa >> kPageShift;
  const Arena* a = ArenaForPfn(pfn);
  return a == nullptr ? nullptr : PageOf(*a, pfn);
}

paddr_t Pmm::PaFromPage(const Page* page) const {
  MICA_ASSERT(page->arena < arena_count());
  const Arena& a = arenas_[page->arena];
  MICA_ASSERT_MSG(page >= a.meta && page < a.meta + a.pages, "pmm: not a Page of this Pmm");
  return static_cast<paddr_t>((a.base_pfn() + static_cast<uint64_t>(page - a.meta)) << kPageShift);
}

size_t Pmm::total_pages() const {
  Guard<SpinLock> guard(&lock_);
  return total_pages_;
}

size_t Pmm::free_pages() const {
  Guard<SpinLock> guard(&lock_);
  return free_pages_;
}

size_t Pmm::reserved_pages() const {
  Guard<SpinLock> guard(&lock_);
  return reserved_pages_;
}

size_t Pmm::allocated_pages() const {
  Guard<SpinLock> guard(&lock_);
  return total_pages_ - free_pages_ - reserved_pages_;
}

Status Pmm::GetArenaInfo(size_t index, ArenaInfo* info) const {
  if (index >= arena_count()) {
    return Status::kOutOfRange;
  }
  Guard<SpinLock> guard(&lock_);
  const Arena& a = arenas_[index];
  info->base = a.base;
  info->size = a.pages * kPageSize;
  info->total_pages = a.pages;
  info->free_pages = a.free_pages;
  info->reserved_pages = a.reserved_pages;
  return Status::kOk;
}

Pmm::Stats Pmm::GetStats() const {
  Guard<SpinLock> guard(&lock_);
  Stats s{};
  s.arenas = arena_count();
  s.total_pages = total_pages_;
  s.free_pages = free_pages_;
  s.reserved_pages = reserved_pages_;
  s.allocated_pages = total_pages_ - free_pages_ - reserved_pages_;
  for (unsigned k = 0; k <= kMaxOrder; k++) {
    s.free_blocks[k] = free_blocks_[k];
  }
  return s;
}

void Pmm::CheckInvariants() const {
  Guard<SpinLock> guard(&lock_);
  size_t blocks[kMaxOrder + 1] = {};
  size_t total = 0;
  size_t free = 0;
  size_t reserved = 0;
  for (size_t i = 0, n = arena_count(); i < n; i++) {
    const Arena& a = arenas_[i];
    size_t arena_free = 0;
    size_t arena_reserved = 0;
    uint64_t pfn = a.base_pfn();
    while (pfn < a.end_pfn()) {
      const Page* p = PageOf(a, pfn);
      MICA_ASSERT(p->arena == i);
      if (p->state != Page::State::kFree) {
        MICA_ASSERT_MSG(!(p->flags & Page::kFreeHead), "pmm: head flag on a used page");
        arena_reserved += p->state == Page::State::kReserved;
        pfn++;
        continue;
      }
      // A free page met in address order starts a block (invariant 2).
      MICA_ASSERT_MSG(p->flags & Page::kFreeHead, "pmm: free page outside a block");
      const unsigned k = p->order;
      MICA_ASSERT(k <= kMaxOrder && pfn % Pow2(k) == 0 && pfn + Pow2(k) <= a.end_pfn());
      MICA_ASSERT(p->node.InContainer());
      for (uint64_t j = 1; j < Pow2(k); j++) {
        const Page* t = PageOf(a, pfn + j);
        MICA_ASSERT_MSG(t->state == Page::State::kFree && !(t->flags & Page::kFreeHead),
                        "pmm: bad page inside a free block");
      }
      blocks[k]++;
      arena_free += Pow2(k);
      pfn += Pow2(k);
    }
    MICA_ASSERT(arena_free == a.free_pages && arena_reserved == a.reserved_pages);
    total += a.pages;
    free += arena_free;
    reserved += arena_reserved;
  }
  MICA_ASSERT(total == total_pages_ && free == free_pages_ && reserved == reserved_pages_);
  for (unsigned k = 0; k <= kMaxOrder; k++) {
    MICA_ASSERT(blocks[k] == free_blocks_[k] && free_lists_[k].size() == free_blocks_[k]);
    for (const Page& head : free_lists_[k]) {
      MICA_ASSERT(head.order == k && (head.flags & Page::kFreeHead));
    }
  }
}

}  // namespace mica
