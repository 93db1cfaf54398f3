// The split virtqueue (virtio 1.2 §2.7), driver side: a descriptor table, an
// available ring the driver writes and a used ring the device writes, all in
// one DMA region, plus driver-private bookkeeping the device cannot touch.
//
// Contract:
// - Init(size) takes a power of two in [1, 32768] (§2.7). With legacy_align
//   != 0 the region follows the legacy layout (§2.7.2 "Legacy Interfaces: A
//   Note on Virtqueue Layout"): one page-aligned block, available ring right
//   after the table, used ring at the next multiple of legacy_align (the
//   QueueAlign value). With 0, the same order with the modern minimum
//   alignments (16/2/4). desc_addr/avail_addr/used_addr give the device
//   addresses to program.
// - Add() places one chain: readable segments first, then writable ones
//   (§2.7.4.2), each with length > 0; it is refused (kNoResources) when
//   fewer descriptors are free, never overwriting a descriptor in flight.
//   The token comes back with the completion. Chains become visible to the
//   device only at Publish(), after a write barrier (§2.7.13); Publish says
//   whether the device wants a notification (used->flags NO_NOTIFY, or
//   avail_event with VIRTIO_F_EVENT_IDX, §2.7.10).
// - PopUsed() trusts nothing the device wrote: the used index may not run
//   ahead of what is in flight, the id must be a head currently in flight,
//   and len may not exceed the chain's device-writable bytes. Any violation
//   returns kDeviceError and marks the queue broken (every later call says
//   so too); the owner resets the device. Descriptor chains are freed from
//   the private copy of their links, never from the shared table.
// - Indices are free-running 16-bit counters; they wrap past 65535 by
//   design (§2.7.6), and all arithmetic on them is modulo 2^16.
// - Not thread-safe: one owner (the driver's loop) calls everything.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "drivers/virtio/lib/dma.h"
#include "drivers/virtio/lib/spec.h"
#include "drivers/virtio/lib/status.h"

namespace mica::virtio {

struct Segment {
  uint64_t addr = 0;  // device address
  uint32_t len = 0;
  bool device_writes = false;  // VIRTQ_DESC_F_WRITE
};

struct UsedBuffer {
  uint64_t token = 0;
  uint32_t len = 0;  // bytes the device says it wrote (checked <= writable)
};

class SplitVirtqueue {
 public:
  SplitVirtqueue() = default;
  SplitVirtqueue(const SplitVirtqueue&) = delete;
  SplitVirtqueue& operator=(const SplitVirtqueue&) = delete;
  ~SplitVirtqueue();

  Status Init(DmaAllocator& dma, uint32_t size, uint32_t legacy_align, bool event_idx);
  // Bytes the rings of `size` entries take (what Init allocates).
  static size_t RingBytes(uint32_t size, uint32_t legacy_align);
  // Forgets everything in flight and frees the rings (after a device reset).
  void Release();

  Status Add(const Segment* segments, size_t count, uint64_t token);
  bool Publish();
  Status PopUsed(UsedBuffer* out);

  // Used-buffer notifications (§2.7.7): suppression is only a hint to the
  // device. EnableInterrupts returns true if buffers are already pending,
  // so the caller polls again instead of sleeping through them.
  void DisableInterrupts();
  bool EnableInterrupts();

  bool initialized() const { return size_ != 0; }
  bool broken() const { return broken_; }
  uint32_t size() const { return size_; }
  uint32_t free_count() const { return free_count_; }
  uint32_t in_flight() const { return in_flight_; }
  uint64_t desc_addr() const { return ring_.device_addr(); }
  uint64_t avail_addr() const { return ring_.device_addr() + avail_offset_; }
  uint64_t used_addr() const { return ring_.device_addr() + used_offset_; }

 private:
  struct Head {
    uint64_t token;
    uint32_t writable;  // sum of device-writable lengths in the chain
    uint16_t count;     // descriptors in the chain
    bool in_flight;
  };

  volatile VirtqDesc* desc(uint32_t i) const;
  volatile uint16_t* avail_field(
      uint32_t index) const;  // 0 flags, 1 idx, 2.. ring, 2+size used_event
  volatile uint16_t* used_field16(uint32_t index) const;  // 0 flags, 1 idx
  volatile VirtqUsedElem* used_elem(uint32_t slot) const;
  volatile uint16_t* avail_event() const;
  Status Fail();
  void FreeChain(uint16_t head);

  DmaRegion ring_;
  uint32_t size_ = 0;
  size_t avail_offset_ = 0;
  size_t used_offset_ = 0;
  bool event_idx_ = false;
  bool broken_ = false;
  bool interrupts_enabled_ = true;

  uint16_t* next_ = nullptr;  // private chain/free-list links
  Head* heads_ = nullptr;
  uint16_t free_head_ = 0;
  uint32_t free_count_ = 0;
  uint32_t in_flight_ = 0;     // chains added and not yet used
  uint16_t avail_shadow_ = 0;  // next avail->idx to publish
  uint16_t published_ = 0;     // avail->idx last published
  uint16_t last_used_ = 0;     // next used->idx entry to consume
};

}  // namespace mica::virtio
