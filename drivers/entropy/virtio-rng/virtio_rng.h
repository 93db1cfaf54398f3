// virtio-rng (entropy device, virtio 1.2 §5.4) driver logic: keeps device-
// writable buffers posted on requestq 0 and hands out the bytes the device
// fills them with, in completion order.
//
// Contract:
// - Start() negotiates no device features (§5.4.3 has none; VERSION_1 on
//   modern), sets up queue 0 and DRIVER_OK, then posts every buffer
//   (min(queue size, kMaxBuffers) buffers of kBufferSize bytes) and kicks.
// - Read(out, cap, &got) acknowledges the interrupt, collects completed
//   buffers and copies up to cap bytes; got 0 with kOk means nothing is
//   ready yet (wait for the interrupt). A buffer emptied by Read is posted
//   again at once. A device that returns a bad id or a length above the
//   buffer, or asks for a reset, makes Read return kDeviceError until Start
//   is called again. A zero-length completion is allowed (§5.4.6.2 lets the
//   device return fewer bytes) and the buffer is simply posted again.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "drivers/bus/virtio-mmio/transport.h"
#include "drivers/virtio/lib/dma.h"
#include "drivers/virtio/lib/virtqueue.h"

namespace mica::virtio {

class VirtioRng {
 public:
  static constexpr uint32_t kMaxBuffers = 8;
  static constexpr uint32_t kBufferSize = 256;

  VirtioRng(MmioTransport& transport, DmaAllocator& dma) : transport_(transport), dma_(dma) {}
  VirtioRng(const VirtioRng&) = delete;
  VirtioRng& operator=(const VirtioRng&) = delete;

  Status Start(uint32_t max_queue_size = 64);
  Status Read(uint8_t* out, size_t cap, size_t* got);
  uint32_t buffers() const { return buffer_count_; }
  uint64_t bytes_delivered() const { return delivered_; }

 private:
  struct Buffer {
    uint32_t len;     // bytes the device filled
    uint32_t offset;  // bytes already handed out
  };
  Status Post(uint32_t index);
  Status Collect();
  Status Broken();

  MmioTransport& transport_;
  DmaAllocator& dma_;
  SplitVirtqueue queue_;
  DmaRegion memory_;
  Buffer buffers_[kMaxBuffers] = {};
  uint32_t filled_[kMaxBuffers] = {};  // FIFO of filled buffer indices
  uint32_t filled_head_ = 0;
  uint32_t filled_count_ = 0;
  uint32_t buffer_count_ = 0;
  uint64_t delivered_ = 0;
  bool running_ = false;
};

}  // namespace mica::virtio
