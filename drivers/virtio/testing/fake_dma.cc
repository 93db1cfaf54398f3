// The fake DMA allocator; see fake_dma.h.
#include "drivers/virtio/testing/fake_dma.h"

#include <string.h>

namespace mica::virtio::testing {

bool FakeDma::Allocate(size_t size, size_t align, DmaBuffer* out) {
  if (fail_after == 0 || size == 0 || align == 0 || (align & (align - 1)) != 0 || align > 4096) {
    return false;
  }
  if (fail_after > 0) {
    fail_after--;
  }
  Block block;
  block.memory.reset(new uint8_t[size + align]);
  const uintptr_t raw = reinterpret_cast<uintptr_t>(block.memory.get());
  block.aligned = reinterpret_cast<uint8_t*>((raw + align - 1) & ~(uintptr_t{align} - 1));
  block.size = size;
  memset(block.aligned, 0, size);
  const uint64_t addr = next_addr_;
  next_addr_ += ((size + 4095) & ~uint64_t{4095}) + 4096;  // plus a guard page
  out->cpu = block.aligned;
  out->device_addr = addr;
  out->size = size;
  out->cookie = addr;
  blocks_.emplace(addr, std::move(block));
  return true;
}

void FakeDma::Free(const DmaBuffer& buffer) {
  blocks_.erase(buffer.device_addr);
}

uint8_t* FakeDma::Translate(uint64_t addr, uint64_t len) {
  auto it = blocks_.upper_bound(addr);
  if (it == blocks_.begin()) {
    return nullptr;
  }
  --it;
  const uint64_t offset = addr - it->first;
  if (offset > it->second.size || len > it->second.size - offset) {
    return nullptr;
  }
  return it->second.aligned + offset;
}

}  // namespace mica::virtio::testing
