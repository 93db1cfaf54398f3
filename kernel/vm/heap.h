// Heap: the kernel heap (malloc/free with alignment), pure logic.
//
// Small requests (up to kMaxSmallSize bytes, alignment up to kMaxSmallAlign)
// come from size classes; each class carves objects out of single pages
// ("slabs") that start with a header. Larger requests get a run of whole
// pages with the header in the page before the object's first byte. Every
// allocation's header is therefore found at PageOf(ptr - 1): for a slab
// object it is the slab's page, for a large allocation the header page.
// Pages come from, and go back to, the callbacks given to Init (the kernel
// backs them with the Pmm and its linear map). See kernel/vm/README.md.
//
// Checks: Free/SizeOf/Realloc of a pointer the heap did not return, and
// double frees of small objects (exact, from the slab's allocation bitmap),
// call mica_assert_fail. A double free of a large allocation is detected as
// long as its header page has not been reused. With poisoning on (the
// default when MICA_DEBUG_ASSERTS), freed small objects are filled with
// kPoisonByte and the fill is verified when the object is handed out again,
// catching writes after free.
//
// Locking: one internal SpinLock, a leaf: the page callbacks are always
// called with it released, so they may take their own locks (the Pmm's).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/assert.h"
#include "kernel/lib/list.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/thread_annotations.h"

namespace mica {

class Heap {
 public:
  // Returns `count` contiguous, page-aligned, writable pages, or nullptr.
  using AllocPagesFn = void* (*)(size_t count);
  // Gives back exactly a run that AllocPagesFn returned (same count).
  using FreePagesFn = void (*)(void* pages, size_t count);

  static constexpr size_t kPageSize = 4096;
  static constexpr size_t kMinAlign = 16;        // alignment of every allocation
  static constexpr size_t kMaxSmallSize = 1984;  // larger requests get page runs
  static constexpr size_t kMaxSmallAlign = 128;  // larger alignments get page runs
  static constexpr uint8_t kPoisonByte = 0xde;

  struct Stats {
    size_t bytes_in_use;  // usable bytes of live allocations (SizeOf summed)
    size_t allocations;   // live allocations
    size_t pages_held;    // pages obtained from AllocPagesFn, not yet returned
    size_t small_pages;   // of which slab pages
    size_t large_pages;   // of which large-allocation runs
    size_t total_allocs;  // Alloc calls that succeeded, ever
    size_t total_frees;   // Free calls, ever
  };

  constexpr Heap() = default;
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;

  // Must be called once before any allocation. `poison` turns on poisoning
  // of freed memory and its verification.
  void Init(AllocPagesFn alloc_pages, FreePagesFn free_pages, bool poison = MICA_DEBUG_ASSERTS)
      EXCLUDES(lock_);

  // `size` bytes aligned to `align` (a power of two; 0 or below kMinAlign
  // means kMinAlign), or nullptr if out of memory or `align` is not a power
  // of two. Alloc(0) returns a unique minimal allocation.
  void* Alloc(size_t size, size_t align = kMinAlign) EXCLUDES(lock_);
  // `count * size` zeroed bytes; nullptr on overflow.
  void* Calloc(size_t count, size_t size) EXCLUDES(lock_);
  // C realloc: Realloc(nullptr, n) == Alloc(n); Realloc(p, 0) frees p and
  // returns nullptr; otherwise grows/shrinks keeping the contents (up to
  // the smaller size), with kMinAlign alignment, in place when it fits. On
  // failure returns nullptr and `ptr` stays valid.
  void* Realloc(void* ptr, size_t size) EXCLUDES(lock_);
  // Frees an allocation; nullptr is ignored.
  void Free(void* ptr) EXCLUDES(lock_);
  // Usable size of an allocation (>= the size requested).
  size_t SizeOf(const void* ptr) const EXCLUDES(lock_);

  Stats GetStats() const EXCLUDES(lock_);

  // Prints stats and per-class usage through a printf-like callable (format
  // strings use %zu). Snapshotted under the lock, printed without it.
  template <typename PrintfLike>
  void Dump(PrintfLike&& printf_like) const EXCLUDES(lock_);

  // The small size classes: object sizes, ascending.
  static constexpr size_t kNumClasses = 22;
  static constexpr uint16_t kClassSizes[kNumClasses] = {
      16,  32,  48,  64,  80,  96,  112, 128, 160, 192,  224,
      256, 320, 384, 448, 512, 640, 768, 896, 992, 1312, 1984,
  };
  struct ClassStats {
    size_t object_size;
    size_t slabs;    // pages held by the class
    size_t objects;  // live objects
  };
  ClassStats GetClassStats(size_t index) const EXCLUDES(lock_);

 private:
  // Every page that starts an allocation unit starts with a Header: the
  // first kHeaderSize bytes of a slab page, or of a large run's header page.
  static constexpr size_t kHeaderSize = 128;
  static constexpr size_t kSlabBitmapWords = 4;  // >= (kPageSize - kHeaderSize) / 16 bits

  struct Header {
    uint64_t magic;  // kSlabMagic or kLargeMagic, xor the header's address
    ListNode node;   // slab: its class's slab list; large: large_ list
    // Slab fields.
    uint16_t class_index;
    uint16_t capacity;
    uint16_t used;
    // Large-allocation fields.
    void* object;                       // the pointer handed out
    size_t size;                        // usable bytes
    void* run;                          // the page run from AllocPagesFn
    size_t run_pages;                   // its length
    uint64_t bitmap[kSlabBitmapWords];  // slab: bit i set = object i allocated
  };
  static_assert(sizeof(Header) <= kHeaderSize);

  using HeaderList = List<Header, &Header::node>;
  struct ClassState {
    HeaderList slabs;  // slabs with a free object (and at most one empty one)
    size_t slab_count = 0;
    size_t empty_slabs = 0;
    size_t objects = 0;
  };

  // Small allocation from class `index`; nullptr if a new slab is needed.
  void* AllocSmallLocked(size_t index) REQUIRES(lock_);
  // Turns a fresh page into a slab of class `index` and adds it.
  void AddSlabLocked(void* page, size_t index) REQUIRES(lock_);
  void* AllocLarge(size_t size, size_t align) EXCLUDES(lock_);
  // Validates `ptr` and returns its header (asserts on a bad pointer).
  Header* HeaderOfLocked(const void* ptr) const REQUIRES(lock_);
  // Index of `ptr` within slab `h` (asserts if it is not an object start).
  size_t SlabIndexLocked(const Header* h, const void* ptr) const REQUIRES(lock_);
  // Frees `ptr`; returns a page run to give back (or nullptr).
  void* FreeLocked(void* ptr, size_t* run_pages) REQUIRES(lock_);
  size_t SizeOfLocked(const void* ptr) const REQUIRES(lock_);

  mutable SpinLock lock_;
  AllocPagesFn alloc_pages_ GUARDED_BY(lock_) = nullptr;
  FreePagesFn free_pages_ GUARDED_BY(lock_) = nullptr;
  bool poison_ GUARDED_BY(lock_) = false;
  ClassState classes_[kNumClasses] GUARDED_BY(lock_);
  HeaderList large_ GUARDED_BY(lock_);
  Stats stats_ GUARDED_BY(lock_) = {};
};

template <typename PrintfLike>
void Heap::Dump(PrintfLike&& printf_like) const {
  Stats s = GetStats();
  printf_like("heap: %zu bytes in %zu allocations, %zu pages held (%zu slab, %zu large)\n",
              s.bytes_in_use, s.allocations, s.pages_held, s.small_pages, s.large_pages);
  for (size_t i = 0; i < kNumClasses; i++) {
    ClassStats c = GetClassStats(i);
    if (c.slabs != 0) {
      printf_like("heap: class %zu: %zu objects in %zu slabs\n", c.object_size, c.objects, c.slabs);
    }
  }
}

}  // namespace mica
