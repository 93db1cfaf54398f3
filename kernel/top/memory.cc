#include "kernel/top/memory.h"

#include <new>

#include "kernel/lib/alloc_checker.h"

#include "kernel/arch/arm64/arch.h"
#include "kernel/lib/assert.h"
#include "kernel/top/percpu.h"
#include "kernel/vm/heap.h"
#include "kernel/vm/pmm.h"

namespace kmem {
namespace {

// The PMM's and heap's own locks are plain spin locks; every entry point here
// runs them with IRQs masked so an interrupt on the same CPU can never spin
// on a lock its own CPU holds.
class IrqOff {
 public:
  IrqOff() : state_(arch::SaveDisableIrqs()) {}
  ~IrqOff() { arch::RestoreIrqs(state_); }

 private:
  uint64_t state_;
};

mica::Pmm g_pmm;
mica::Heap g_heap;
bool g_ready;

void* HeapAllocPages(size_t count) {
  auto r = g_pmm.AllocContiguous(count);
  if (!r.ok()) {
    return nullptr;
  }
  return arch::PhysToVirt(r.value());
}

void HeapFreePages(void* pages, size_t count) {
  MICA_ASSERT(g_pmm.Free(arch::VirtToPhys(pages), count) == mica::Status::kOk);
}

}  // namespace

bool Init(const platform::RangeSet& usable, const char** why) {
  size_t added = 0;
  for (size_t i = 0; i < usable.count(); i++) {
    uint64_t base = usable[i].base, size = usable[i].size;
    size_t pages = size / 4096;
    size_t meta_bytes = mica::Pmm::MetadataBytes(pages);
    size_t meta_pages = (meta_bytes + 4095) / 4096;
    if (pages <= meta_pages + 1 || base + size > PHYSMAP_SIZE) {
      continue;  // too small to be worth an arena, or not in the linear map
    }
    // The page metadata lives at the start of the arena it describes, and
    // those pages are then reserved.
    if (g_pmm.AddArena(base, size, arch::PhysToVirt(base)) != mica::Status::kOk ||
        g_pmm.Reserve(base, meta_pages * 4096) != mica::Status::kOk) {
      *why = "the page allocator rejected a memory range";
      return false;
    }
    added++;
  }
  if (added == 0) {
    *why = "no memory range is large enough for the page allocator";
    return false;
  }
  g_heap.Init(HeapAllocPages, HeapFreePages);
  g_ready = true;
  return true;
}

bool Ready() {
  return g_ready;
}

bool AllocPage(uint64_t* pa) {
  IrqOff off;
  auto r = g_pmm.AllocPage();
  if (!r.ok()) {
    return false;
  }
  *pa = r.value();
  return true;
}

void FreePage(uint64_t pa) {
  IrqOff off;
  MICA_ASSERT_MSG(g_pmm.Free(pa, 1) == mica::Status::kOk, "freeing a page that is not allocated");
}

uintptr_t* PageOwnerWord(uint64_t pa) {
  mica::Page* page = g_pmm.PageFromPa(pa);
  MICA_ASSERT_MSG(page != nullptr, "page outside every arena");
  return &page->owner;
}

bool AllocContiguous(size_t pages, uint64_t align, uint64_t* pa) {
  IrqOff off;
  auto r = g_pmm.AllocContiguous(pages, align);
  if (!r.ok()) {
    return false;
  }
  *pa = r.value();
  return true;
}

void FreeContiguous(uint64_t pa, size_t pages) {
  IrqOff off;
  MICA_ASSERT_MSG(g_pmm.Free(pa, pages) == mica::Status::kOk,
                  "freeing pages that are not allocated");
}

void* Malloc(size_t size) {
  IrqOff off;
  return g_heap.Alloc(size);
}

void* MallocAligned(size_t size, size_t align) {
  IrqOff off;
  return g_heap.Alloc(size, align);
}

void Free(void* ptr) {
  if (ptr == nullptr) {
    return;
  }
  IrqOff off;
  g_heap.Free(ptr);
}

namespace {

// One CPU's cache of free fast blocks, linked through their first word.
// Touched only by its CPU with IRQs off; `count` is also read (racily, for
// statistics) by others.
struct alignas(64) FastCache {
  void* head = nullptr;
  size_t count = 0;
};
FastCache g_fast[MAX_CPUS];

FastCache& ThisFastCache() {
  return g_fast[ThisCpu().cpu_num];
}

}  // namespace

void* AllocFastBlock() {
  uint64_t state = arch::SaveDisableIrqs();
  FastCache& c = ThisFastCache();
  void* b = c.head;
  if (b != nullptr) {
    c.head = *static_cast<void**>(b);
    c.count--;
    arch::RestoreIrqs(state);
    return b;
  }
  b = g_heap.Alloc(kFastBlockSize, 16);
  arch::RestoreIrqs(state);
  return b;
}

void FreeFastBlock(void* block) {
  if (block == nullptr) {
    return;
  }
  uint64_t state = arch::SaveDisableIrqs();
  FastCache& c = ThisFastCache();
  if (c.count < kFastBlockCacheMax) {
    *static_cast<void**>(block) = c.head;
    c.head = block;
    c.count++;
  } else {
    g_heap.Free(block);
  }
  arch::RestoreIrqs(state);
}

Stats GetStats() {
  IrqOff off;
  auto p = g_pmm.GetStats();
  auto h = g_heap.GetStats();
  uint64_t cached = 0;
  for (const FastCache& c : g_fast) {
    cached += __atomic_load_n(&c.count, __ATOMIC_RELAXED) * kFastBlockSize;
  }
  uint64_t in_use = h.bytes_in_use > cached ? h.bytes_in_use - cached : 0;
  return Stats{p.total_pages, p.free_pages, in_use, h.pages_held};
}

}  // namespace kmem

// The kernel's C++ allocation: only `new (ac) T` allocates
// (kernel/lib/alloc_checker.h, inline there), from the heap.
void* mica::AllocCheckerAllocate(size_t size) noexcept {
  return kmem::Malloc(size);
}
void operator delete(void* p) noexcept {
  kmem::Free(p);
}
void operator delete[](void* p) noexcept {
  kmem::Free(p);
}
void operator delete(void* p, size_t) noexcept {
  kmem::Free(p);
}
void operator delete[](void* p, size_t) noexcept {
  kmem::Free(p);
}
