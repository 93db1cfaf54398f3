#include "kernel/base/kernel_allocator.h"

#include "kernel/base/memory.h"
#include "kernel/lib/assert.h"

namespace kmem {
namespace {

void* HeapAlloc(size_t size, size_t align) {
  return MallocAligned(size, align);
}

void* FastBlockAlloc(size_t size, size_t align) {
  MICA_DEBUG_ASSERT(size <= kFastBlockSize && align <= 16);
  return AllocFastBlock();
}

}  // namespace

const mica::core::Allocator kHeapAllocator = {HeapAlloc, Free};
const mica::core::Allocator kFastBlockAllocator = {FastBlockAlloc, FreeFastBlock};

}  // namespace kmem
