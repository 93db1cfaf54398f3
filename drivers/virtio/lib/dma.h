// DMA memory for virtio driver logic: the one interface through which rings,
// request headers and data buffers are allocated, so the same logic runs in
// a driver process (backed by vmo_create_contiguous and the VMO's physical
// address from MICA_INFO_VMO, mapped into the process) and in host tests (a
// fake handing out host memory under made-up device addresses).
//
// Contract:
// - Allocate returns memory that is zeroed, physically contiguous, at least
//   `align`-aligned in *device* address (align is a power of two no larger
//   than 4096), visible to the device at `device_addr` and to the CPU at
//   `cpu`; it stays valid until Free. A failure leaves `out` empty.
// - QEMU virt's virtio devices are cache coherent; a non-coherent platform
//   (the Pi 4, M7) implements the allocator with uncached mappings.
// - DmaRegion owns one buffer and frees it on destruction (RAII), so error
//   paths in Start() clean up.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mica::virtio {

struct DmaBuffer {
  uint8_t* cpu = nullptr;
  uint64_t device_addr = 0;
  size_t size = 0;
  uint64_t cookie = 0;  // the allocator's own (e.g. the VMO handle)
  uint64_t pin = 0;     // the allocator's own (e.g. the PMT handle)
};

class DmaAllocator {
 public:
  virtual ~DmaAllocator() = default;
  virtual bool Allocate(size_t size, size_t align, DmaBuffer* out) = 0;
  virtual void Free(const DmaBuffer& buffer) = 0;
};

class DmaRegion {
 public:
  DmaRegion() = default;
  DmaRegion(const DmaRegion&) = delete;
  DmaRegion& operator=(const DmaRegion&) = delete;
  DmaRegion(DmaRegion&& other) noexcept { *this = static_cast<DmaRegion&&>(other); }
  DmaRegion& operator=(DmaRegion&& other) noexcept {
    if (this != &other) {
      Reset();
      allocator_ = other.allocator_;
      buffer_ = other.buffer_;
      other.allocator_ = nullptr;
      other.buffer_ = DmaBuffer{};
    }
    return *this;
  }
  ~DmaRegion() { Reset(); }

  bool Allocate(DmaAllocator& allocator, size_t size, size_t align) {
    Reset();
    DmaBuffer buffer;
    if (size == 0 || !allocator.Allocate(size, align, &buffer)) {
      return false;
    }
    if (buffer.cpu == nullptr || buffer.size < size || (buffer.device_addr & (align - 1)) != 0) {
      allocator.Free(buffer);
      return false;
    }
    allocator_ = &allocator;
    buffer_ = buffer;
    return true;
  }
  void Reset() {
    if (allocator_ != nullptr) {
      allocator_->Free(buffer_);
    }
    allocator_ = nullptr;
    buffer_ = DmaBuffer{};
  }

  bool valid() const { return buffer_.cpu != nullptr; }
  uint8_t* cpu() const { return buffer_.cpu; }
  uint64_t device_addr() const { return buffer_.device_addr; }
  size_t size() const { return buffer_.size; }

 private:
  DmaAllocator* allocator_ = nullptr;
  DmaBuffer buffer_;
};

}  // namespace mica::virtio
