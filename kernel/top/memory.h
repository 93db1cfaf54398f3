// The kernel's memory: the physical page allocator (kernel/vm Pmm) over the
// usable RAM found at boot, and the kernel heap (kernel/vm Heap) on top of it
// through the linear map. operator new/delete use the heap. Every
// allocation can fail; with kernel.failalloc= some are made to
// (kernel/top/fail_alloc.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/platform/ranges.h"

namespace kmem {

// Hands every range of `usable` to the PMM (page metadata carved from the
// ranges themselves) and starts the heap. Returns false with `*why` set if no
// range could hold its metadata.
bool Init(const platform::RangeSet& usable, const char** why);
bool Ready();

bool AllocPage(uint64_t* pa);
void FreePage(uint64_t pa);
// The owner word of an allocated page's metadata (mica::Page::owner), for
// whoever allocated the page: VMOs keep the number of VMOs sharing it there.
uintptr_t* PageOwnerWord(uint64_t pa);
// Physically contiguous pages, aligned to `align` bytes (a power of two).
bool AllocContiguous(size_t pages, uint64_t align, uint64_t* pa);
void FreeContiguous(uint64_t pa, size_t pages);

void* Malloc(size_t size);
void* MallocAligned(size_t size, size_t align);
void Free(void* ptr);

// A per-CPU cache of fixed-size blocks for the objects of hot paths
// (channel messages up to kFastBlockSize bytes): a pop or a push with IRQs
// off on this CPU's list, no heap lock, no poisoning. The blocks come from
// the heap and a full cache (kFastBlockCacheMax per CPU) hands them back;
// blocks sitting in a cache count as free heap in GetStats, so the
// kernel's memory figures do not depend on what the caches hold.
constexpr size_t kFastBlockSize = 256;
constexpr size_t kFastBlockCacheMax = 32;
void* AllocFastBlock();
void FreeFastBlock(void* block);

struct Stats {
  uint64_t total_pages;
  uint64_t free_pages;
  uint64_t heap_bytes_in_use;
  uint64_t heap_pages;
};
Stats GetStats();

}  // namespace kmem
