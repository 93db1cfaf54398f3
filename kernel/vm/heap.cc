// The kernel heap. Layout and invariants:
//   - Every allocation unit starts with a Header at a page boundary: a slab
//     page (header, then `capacity` objects of one class size) or the header
//     page of a large run (the object starts at `object`, further in the
//     same page or at the next page boundary).
//   - The header of an allocation at `ptr` is at PageOf(ptr - 1): a slab
//     object is never at offset 0 of its page, and a large object is either
//     inside its header page or starts right after it.
//   - header->magic == kind magic ^ header address while the unit is live;
//     it is cleared before the pages are given back.
//   - Slab bitmap bit i is set iff object i is allocated; `used` counts the
//     set bits. A slab is on its class's list iff used < capacity. At most
//     one empty slab per class is kept (empty_slabs <= 1); the others go back
//     to the page source.
//   - With poisoning, every free object of a slab is filled with kPoisonByte.
#include "kernel/vm/heap.h"

#include <string.h>
#include <new>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define MICA_HEAP_ASAN 1
#endif
#endif

namespace mica {
namespace {

constexpr uint64_t kSlabMagic = 0x534c41424845415full;   // "SLABHEA_"
constexpr uint64_t kLargeMagic = 0x4c41524745484541ull;  // "LARGEHEA"

// Host builds under AddressSanitizer also mark free slab objects as
// unaddressable, so a use after free in a host test is reported at once.
inline void AsanPoison(const void* p, size_t n) {
#ifdef MICA_HEAP_ASAN
  ASAN_POISON_MEMORY_REGION(p, n);
#else
  (void)p;
  (void)n;
#endif
}
inline void AsanUnpoison(const void* p, size_t n) {
#ifdef MICA_HEAP_ASAN
  ASAN_UNPOISON_MEMORY_REGION(p, n);
#else
  (void)p;
  (void)n;
#endif
}

inline uintptr_t Addr(const void* p) {
  return reinterpret_cast<uintptr_t>(p);
}

// The smallest class whose size fits `size` and keeps objects aligned to
// `align` (objects sit at kHeaderSize + i * size, and kHeaderSize is a
// multiple of every small alignment); -1 if none.
int ClassFor(size_t size, size_t align) {
  if (size > Heap::kMaxSmallSize || align > Heap::kMaxSmallAlign) {
    return -1;
  }
  for (size_t i = 0; i < Heap::kNumClasses; i++) {
    if (Heap::kClassSizes[i] >= size && Heap::kClassSizes[i] % align == 0) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace

void Heap::Init(AllocPagesFn alloc_pages, FreePagesFn free_pages, bool poison) {
  MICA_ASSERT(alloc_pages != nullptr && free_pages != nullptr);
  Guard<SpinLock> guard(&lock_);
  MICA_ASSERT_MSG(alloc_pages_ == nullptr, "heap: Init called twice");
  alloc_pages_ = alloc_pages;
  free_pages_ = free_pages;
  poison_ = poison;
}

void Heap::AddSlabLocked(void* page, size_t index) {
  const size_t size = kClassSizes[index];
  Header* h = new (page) Header{};
  h->magic = kSlabMagic ^ Addr(h);
  h->class_index = static_cast<uint16_t>(index);
  h->capacity = static_cast<uint16_t>((kPageSize - kHeaderSize) / size);
  h->used = 0;
  char* objects = static_cast<char*>(page) + kHeaderSize;
  if (poison_) {
    memset(objects, kPoisonByte, kPageSize - kHeaderSize);
  }
  AsanPoison(objects, kPageSize - kHeaderSize);
  ClassState& c = classes_[index];
  c.slabs.push_front(h);
  c.slab_count++;
  c.empty_slabs++;
  stats_.pages_held++;
  stats_.small_pages++;
}

void* Heap::AllocSmallLocked(size_t index) {
  ClassState& c = classes_[index];
  Header* h = c.slabs.front();
  if (h == nullptr) {
    return nullptr;
  }
  size_t slot = 0;
  for (size_t w = 0; w < kSlabBitmapWords; w++) {
    if (~h->bitmap[w] != 0) {
      slot = w * 64 + static_cast<size_t>(__builtin_ctzll(~h->bitmap[w]));
      break;
    }
  }
  MICA_ASSERT_MSG(slot < h->capacity, "heap: slab on the free list has no free slot");
  h->bitmap[slot / 64] |= uint64_t{1} << (slot % 64);
  if (h->used++ == 0) {
    c.empty_slabs--;
  }
  if (h->used == h->capacity) {
    c.slabs.remove(h);  // full slabs are on no list
  }
  c.objects++;
  const size_t size = kClassSizes[index];
  auto* obj = reinterpret_cast<unsigned char*>(h) + kHeaderSize + slot * size;
  AsanUnpoison(obj, size);
  if (poison_) {
    // Word by word (objects are kMinAlign-aligned multiples of 16 bytes):
    // this check runs on every small allocation.
    constexpr uint64_t kPoisonWord = 0x0101010101010101ull * kPoisonByte;
    const auto* words = reinterpret_cast<const uint64_t*>(obj);
    uint64_t diff = 0;
    for (size_t i = 0; i < size / 8; i++) {
      diff |= words[i] ^ kPoisonWord;
    }
    MICA_ASSERT_MSG(diff == 0, "heap: write after free detected");
  }
  stats_.bytes_in_use += size;
  stats_.allocations++;
  stats_.total_allocs++;
  return obj;
}

void* Heap::Alloc(size_t size, size_t align) {
  if (align == 0) {
    align = kMinAlign;
  }
  if ((align & (align - 1)) != 0) {
    return nullptr;
  }
  if (align < kMinAlign) {
    align = kMinAlign;
  }
  if (size == 0) {
    size = 1;
  }
  const int index = ClassFor(size, align);
  if (index < 0) {
    return AllocLarge(size, align);
  }
  AllocPagesFn alloc_pages;
  {
    Guard<SpinLock> guard(&lock_);
    MICA_ASSERT_MSG(alloc_pages_ != nullptr, "heap: used before Init");
    if (void* p = AllocSmallLocked(static_cast<size_t>(index))) {
      return p;
    }
    alloc_pages = alloc_pages_;
  }
  // A new slab: the page source is called without the heap lock.
  void* page = alloc_pages(1);
  if (page == nullptr) {
    return nullptr;
  }
  MICA_ASSERT_MSG(Addr(page) % kPageSize == 0, "heap: page source returned an unaligned page");
  Guard<SpinLock> guard(&lock_);
  AddSlabLocked(page, static_cast<size_t>(index));
  return AllocSmallLocked(static_cast<size_t>(index));
}

void* Heap::AllocLarge(size_t size, size_t align) {
  // Layout: with align < kPageSize the object follows the header in the
  // first page; otherwise the header gets a page of its own, right below
  // the first `align`-aligned page boundary in the run.
  size_t offset;
  size_t extra;  // bytes of the run before `offset` that may be skipped
  if (align < kPageSize) {
    offset = kHeaderSize > align ? kHeaderSize : align;
    extra = 0;
  } else {
    offset = kPageSize;
    extra = align - kPageSize;
  }
  if (size > SIZE_MAX - offset - extra - kPageSize) {
    return nullptr;
  }
  const size_t run_pages = (offset + extra + size + kPageSize - 1) / kPageSize;

  AllocPagesFn alloc_pages;
  {
    Guard<SpinLock> guard(&lock_);
    MICA_ASSERT_MSG(alloc_pages_ != nullptr, "heap: used before Init");
    alloc_pages = alloc_pages_;
  }
  void* run = alloc_pages(run_pages);
  if (run == nullptr) {
    return nullptr;
  }
  MICA_ASSERT_MSG(Addr(run) % kPageSize == 0, "heap: page source returned an unaligned run");
  const uintptr_t run_end = Addr(run) + run_pages * kPageSize;
  uintptr_t object = Addr(run) + offset;
  if (align >= kPageSize) {
    object = (object + align - 1) & ~(align - 1);
  }
  Header* h = new (reinterpret_cast<void*>((object - 1) & ~(kPageSize - 1))) Header{};
  h->magic = kLargeMagic ^ Addr(h);
  h->object = reinterpret_cast<void*>(object);
  h->size = run_end - object;
  h->run = run;
  h->run_pages = run_pages;

  Guard<SpinLock> guard(&lock_);
  large_.push_back(h);
  stats_.pages_held += run_pages;
  stats_.large_pages += run_pages;
  stats_.bytes_in_use += h->size;
  stats_.allocations++;
  stats_.total_allocs++;
  return h->object;
}

Heap::Header* Heap::HeaderOfLocked(const void* ptr) const {
  MICA_ASSERT_MSG(Addr(ptr) % kMinAlign == 0, "heap: pointer was not returned by the heap");
  auto* h = reinterpret_cast<Header*>((Addr(ptr) - 1) & ~(kPageSize - 1));
  MICA_ASSERT_MSG(h->magic == (kSlabMagic ^ Addr(h)) || h->magic == (kLargeMagic ^ Addr(h)),
                  "heap: pointer was not returned by the heap (or its run was freed)");
  return h;
}

size_t Heap::SlabIndexLocked(const Header* h, const void* ptr) const {
  const size_t size = kClassSizes[h->class_index];
  const uintptr_t first = Addr(h) + kHeaderSize;
  MICA_ASSERT_MSG(Addr(ptr) >= first && (Addr(ptr) - first) % size == 0,
                  "heap: pointer is not the start of an object");
  const size_t index = (Addr(ptr) - first) / size;
  MICA_ASSERT_MSG(index < h->capacity, "heap: pointer is not the start of an object");
  MICA_ASSERT_MSG(h->bitmap[index / 64] & (uint64_t{1} << (index % 64)),
                  "heap: double free (object is not allocated)");
  return index;
}

void* Heap::FreeLocked(void* ptr, size_t* run_pages) {
  Header* h = HeaderOfLocked(ptr);
  stats_.total_frees++;
  stats_.allocations--;
  if (h->magic == (kLargeMagic ^ Addr(h))) {
    MICA_ASSERT_MSG(h->object == ptr, "heap: pointer is not the start of an allocation");
    large_.remove(h);
    h->magic = 0;
    stats_.bytes_in_use -= h->size;
    stats_.pages_held -= h->run_pages;
    stats_.large_pages -= h->run_pages;
    *run_pages = h->run_pages;
    return h->run;
  }

  const size_t index = SlabIndexLocked(h, ptr);
  ClassState& c = classes_[h->class_index];
  const size_t size = kClassSizes[h->class_index];
  h->bitmap[index / 64] &= ~(uint64_t{1} << (index % 64));
  if (poison_) {
    memset(ptr, kPoisonByte, size);
  }
  AsanPoison(ptr, size);
  stats_.bytes_in_use -= size;
  c.objects--;
  if (h->used-- == h->capacity) {
    c.slabs.push_front(h);  // it has a free slot again
  }
  if (h->used != 0) {
    return nullptr;
  }
  if (c.empty_slabs == 0) {
    c.empty_slabs++;  // keep one empty slab to avoid churn
    return nullptr;
  }
  c.slabs.remove(h);
  c.slab_count--;
  h->magic = 0;
  stats_.pages_held--;
  stats_.small_pages--;
  AsanUnpoison(h, kPageSize);
  *run_pages = 1;
  return h;
}

void Heap::Free(void* ptr) {
  if (ptr == nullptr) {
    return;
  }
  void* run;
  size_t run_pages = 0;
  FreePagesFn free_pages;
  {
    Guard<SpinLock> guard(&lock_);
    run = FreeLocked(ptr, &run_pages);
    free_pages = free_pages_;
  }
  // Pages go back to the page source without the heap lock.
  if (run != nullptr) {
    free_pages(run, run_pages);
  }
}

size_t Heap::SizeOfLocked(const void* ptr) const {
  const Header* h = HeaderOfLocked(ptr);
  if (h->magic == (kLargeMagic ^ Addr(h))) {
    MICA_ASSERT_MSG(h->object == ptr, "heap: pointer is not the start of an allocation");
    return h->size;
  }
  SlabIndexLocked(h, ptr);
  return kClassSizes[h->class_index];
}

size_t Heap::SizeOf(const void* ptr) const {
  Guard<SpinLock> guard(&lock_);
  return SizeOfLocked(ptr);
}

void* Heap::Calloc(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) {
    return nullptr;
  }
  void* p = Alloc(count * size);
  if (p != nullptr) {
    memset(p, 0, count * size);
  }
  return p;
}

void* Heap::Realloc(void* ptr, size_t size) {
  if (ptr == nullptr) {
    return Alloc(size);
  }
  if (size == 0) {
    Free(ptr);
    return nullptr;
  }
  const size_t old_size = SizeOf(ptr);
  // Keep the block if it fits, unless a large block would waste half.
  if (size <= old_size && (old_size <= kMaxSmallSize || size > old_size / 2)) {
    return ptr;
  }
  void* p = Alloc(size);
  if (p == nullptr) {
    return nullptr;
  }
  memcpy(p, ptr, size < old_size ? size : old_size);
  Free(ptr);
  return p;
}

Heap::Stats Heap::GetStats() const {
  Guard<SpinLock> guard(&lock_);
  return stats_;
}

Heap::ClassStats Heap::GetClassStats(size_t index) const {
  MICA_ASSERT(index < kNumClasses);
  Guard<SpinLock> guard(&lock_);
  return ClassStats{kClassSizes[index], classes_[index].slab_count, classes_[index].objects};
}

}  // namespace mica
