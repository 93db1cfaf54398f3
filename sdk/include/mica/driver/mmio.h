// Register access for drivers: the one interface every driver's device
// logic is written against, so the same code runs on a mapped register
// window (MmioRegion) and on a fake register file in a host test.
//
// Contract:
// - Offsets are byte offsets into the device's register window; an access
//   must be naturally aligned and lie inside the window. MmioRegion checks
//   both: an access that does not reads as all ones (what a bus returns for
//   a missing device) and a write is dropped, and `faults()` counts them,
//   so a driver bug shows up as a count in a test, never as a stray store.
// - Every access is a single load or store of its width (volatile), in
//   program order; device memory mapped with MICA_CACHE_POLICY_UNCACHED_DEVICE
//   (Device-nGnRE) keeps that order on the bus (Arm ARM B2.8).
// - Registers are little-endian (PL0xx, virtio-mmio, the BCM2711's
//   peripherals); on AArch64 Mica runs little-endian, so no swap.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mica::driver {

class RegisterIo {
 public:
  virtual ~RegisterIo() = default;
  virtual uint8_t Read8(uint32_t offset) = 0;
  virtual uint16_t Read16(uint32_t offset) = 0;
  virtual uint32_t Read32(uint32_t offset) = 0;
  virtual void Write8(uint32_t offset, uint8_t value) = 0;
  virtual void Write16(uint32_t offset, uint16_t value) = 0;
  virtual void Write32(uint32_t offset, uint32_t value) = 0;

  // 64-bit registers as two 32-bit accesses, low word first (virtio-mmio
  // has no 64-bit registers; PL0xx neither).
  uint64_t Read64Split(uint32_t offset) {
    uint64_t lo = Read32(offset);
    uint64_t hi = Read32(offset + 4);
    return lo | (hi << 32);
  }
  void Write64Split(uint32_t offset, uint64_t value) {
    Write32(offset, static_cast<uint32_t>(value));
    Write32(offset + 4, static_cast<uint32_t>(value >> 32));
  }
};

// A mapped register window. `base` must stay mapped while the region is
// used; `size` bounds every access.
class MmioRegion final : public RegisterIo {
 public:
  MmioRegion() = default;
  MmioRegion(volatile void* base, size_t size)
      : base_(static_cast<volatile uint8_t*>(base)), size_(size) {}

  bool valid() const { return base_ != nullptr; }
  size_t size() const { return size_; }
  uint64_t faults() const { return faults_; }

  uint8_t Read8(uint32_t offset) override { return Load<uint8_t>(offset); }
  uint16_t Read16(uint32_t offset) override { return Load<uint16_t>(offset); }
  uint32_t Read32(uint32_t offset) override { return Load<uint32_t>(offset); }
  void Write8(uint32_t offset, uint8_t value) override { Store(offset, value); }
  void Write16(uint32_t offset, uint16_t value) override { Store(offset, value); }
  void Write32(uint32_t offset, uint32_t value) override { Store(offset, value); }

 private:
  template <typename T>
  bool Inside(uint32_t offset) {
    if (base_ == nullptr || offset % sizeof(T) != 0 || offset > size_ ||
        size_ - offset < sizeof(T)) {
      faults_++;
      return false;
    }
    return true;
  }
  template <typename T>
  T Load(uint32_t offset) {
    if (!Inside<T>(offset)) {
      return static_cast<T>(~T{0});
    }
    return *reinterpret_cast<volatile T*>(base_ + offset);
  }
  template <typename T>
  void Store(uint32_t offset, T value) {
    if (Inside<T>(offset)) {
      *reinterpret_cast<volatile T*>(base_ + offset) = value;
    }
  }

  volatile uint8_t* base_ = nullptr;
  size_t size_ = 0;
  uint64_t faults_ = 0;
};

}  // namespace mica::driver
