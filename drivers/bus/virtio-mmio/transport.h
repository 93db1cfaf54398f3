// The virtio-mmio transport (virtio 1.2 §4.2), for both register layouts
// QEMU offers: modern (Version 2) and legacy (Version 1, §4.2.4, QEMU virt's
// default). Device drivers (virtio-blk, -rng, -net) are written against
// this class and never touch the registers themselves.
//
// Contract:
// - Probe() reads MagicValue, Version and DeviceID. kNotFound for a bad magic
//   or an unknown version; device_id() 0 means an empty slot (QEMU virt has
//   32 transports, mostly empty): the transport driver publishes a child
//   node only for a non-zero ID, and never matches by address.
// - Start(wanted, &negotiated) does §3.1.1 steps 1-6: reset, ACKNOWLEDGE,
//   DRIVER, read device features, write device & wanted (plus
//   VIRTIO_F_VERSION_1 on modern, which it requires; legacy offers only 32
//   bits), FEATURES_OK and re-read it (modern; the device may refuse). Then
//   the driver reads config and calls SetupQueue for each queue, and
//   DriverOk() (step 8). Any failure sets FAILED before returning.
// - SetupQueue(i, max) picks the largest power of two <= min(QueueNumMax,
//   max), builds the rings and programs them: legacy QueueNum, QueueAlign,
//   QueuePFN with GuestPageSize 4096 written at Start (§4.2.4) and the
//   ring's used part at QueueAlign (set_legacy_queue_align); modern
//   QueueNum, QueueDesc/Driver/Device low/high, QueueReady (§4.2.3.2).
// - Control registers are touched only with 32-bit aligned accesses
//   (§4.2.2.2; QEMU ignores any other width). Config fields are read with
//   their own width, 64-bit fields as two 32-bit reads; on modern every
//   read is wrapped in a ConfigGeneration retry loop (§2.5.1), bounded, so a
//   generation that never settles is kDeviceError; legacy has no
//   generation, so a 64-bit field is re-read until two reads agree.
// - TakeInterrupt() reads InterruptStatus and acknowledges exactly the bits
//   it read (§4.2.3.4). NeedsReset() reports DEVICE_NEEDS_RESET (§2.1.2).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "drivers/virtio/lib/dma.h"
#include "drivers/virtio/lib/spec.h"
#include "drivers/virtio/lib/status.h"
#include "drivers/virtio/lib/virtqueue.h"
#include "mica/driver/mmio.h"

namespace mica::virtio {

class MmioTransport {
 public:
  explicit MmioTransport(driver::RegisterIo& regs) : regs_(regs) {}

  Status Probe();
  uint32_t version() const { return version_; }
  bool legacy() const { return version_ == mmio::kVersionLegacy; }
  uint32_t device_id() const { return device_id_; }
  uint32_t vendor_id() const { return vendor_id_; }

  Status Reset();
  Status Start(uint64_t wanted, uint64_t* negotiated);
  Status SetupQueue(uint32_t index, DmaAllocator& dma, uint32_t max_size, SplitVirtqueue* queue);
  void DriverOk();
  void Fail();
  // The legacy QueueAlign (§4.2.4): a power of two in [4, 4096], 4096 by
  // default (what Linux writes). A smaller one packs a legacy ring into
  // less memory, for a driver whose DMA buffers are one page each; QEMU
  // honours any value (virtio-mmio has a variable ring alignment).
  Status set_legacy_queue_align(uint32_t align);

  void Notify(uint32_t queue) { regs_.Write32(mmio::kQueueNotify, queue); }
  uint32_t TakeInterrupt();
  uint8_t DeviceStatus() { return static_cast<uint8_t>(regs_.Read32(mmio::kStatus)); }
  bool NeedsReset() { return (DeviceStatus() & kStatusDeviceNeedsReset) != 0; }
  uint64_t negotiated() const { return negotiated_; }

  Status ReadConfig8(uint32_t offset, uint8_t* out);
  Status ReadConfig16(uint32_t offset, uint16_t* out);
  Status ReadConfig32(uint32_t offset, uint32_t* out);
  Status ReadConfig64(uint32_t offset, uint64_t* out);
  Status ReadConfigBytes(uint32_t offset, uint8_t* out, size_t len);

  // How often a modern config read is retried before giving up.
  static constexpr int kMaxConfigRetries = 64;
  static constexpr uint32_t kPageSize = 4096;

 private:
  template <typename Fn>
  Status ConfigRead(Fn read);
  void SetStatusBits(uint8_t bits);
  bool ConfigInRange(uint32_t offset, size_t len) const;

  driver::RegisterIo& regs_;
  uint32_t version_ = 0;
  uint32_t device_id_ = 0;
  uint32_t vendor_id_ = 0;
  uint64_t negotiated_ = 0;
  uint32_t legacy_align_ = kPageSize;
};

}  // namespace mica::virtio
