// A fake DMA allocator for host tests: host memory under made-up device
// addresses, so driver logic and the fake device (fake_device.h) talk
// through "physical" addresses exactly as on the machine.
//
// Contract: every allocation gets a fresh device-address range starting at
// 0x4000'0000, separated from the next by an unmapped guard page, so an
// access that strays outside a buffer fails to Translate (the fake device
// records it) instead of silently landing in a neighbour. Freed ranges are
// never reused, so a stale address is caught as well.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <map>
#include <memory>

#include "drivers/virtio/lib/dma.h"

namespace mica::virtio::testing {

class FakeDma final : public DmaAllocator {
 public:
  bool Allocate(size_t size, size_t align, DmaBuffer* out) override;
  void Free(const DmaBuffer& buffer) override;

  // The host pointer for [addr, addr+len) if it lies inside one live
  // allocation, else nullptr.
  uint8_t* Translate(uint64_t addr, uint64_t len);

  size_t live() const { return blocks_.size(); }
  int fail_after = -1;  // >= 0: that many more allocations succeed, then all fail

 private:
  struct Block {
    std::unique_ptr<uint8_t[]> memory;
    uint8_t* aligned;
    size_t size;
  };
  std::map<uint64_t, Block> blocks_;  // by device address
  uint64_t next_addr_ = 0x4000'0000;
};

}  // namespace mica::virtio::testing
