// Allocator: where kernel/object/core takes memory from.
//
// None of the classes here call the global operator new. Whatever memory they
// need (handle table chunks, messages, user port packets) comes from an
// Allocator the owner supplies, so the same code runs on the kernel heap and,
// in host tests, on a counting allocator that checks for leaks and injects
// failures.
//
// In the kernel:
//   constexpr mica::core::Allocator kKernelHeap{&kmem::MallocAligned, &kmem::Free};
// The Allocator must outlive every structure and every piece of memory
// obtained through it (the kernel's is a constant with static storage).
#pragma once

#include <stddef.h>

namespace mica::core {

struct Allocator {
  // `size` bytes aligned to `align` (a power of two), or nullptr. Must not
  // be called with any lock held that the allocator's own lock ranks before
  // (the kernel heap's lock is a leaf, so any lock may be held; the classes
  // here still call it with their locks released).
  void* (*alloc)(size_t size, size_t align);
  // Frees memory `alloc` returned; nullptr is ignored.
  void (*free)(void* ptr);

  void* Alloc(size_t size, size_t align) const { return alloc(size, align); }
  void Free(void* ptr) const {
    if (ptr != nullptr) {
      free(ptr);
    }
  }
};

}  // namespace mica::core
