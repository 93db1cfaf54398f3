// One client transfer of the block driver (a block.idl Read or Write of
// up to the advertised max_transfer) carried out as device requests that
// DMA straight into or out of the client's pinned VMO (vmo_table.h):
// multi-segment descriptor chains (virtio 1.2 §5.2.6), physically adjacent
// pages merged into one segment, each request bounded by the device's
// seg_max and size_max (§5.2.4) and the free descriptors, as many in
// flight as the queue holds.
//
// Contract:
// - BuildDataSegments (a pure function) describes the first bytes of
//   [offset, offset + len) of a pinned VMO as at most `max_segments`
//   segments of at most `size_max` bytes each (0: unbounded), merging
//   neighbours whose device addresses touch; it returns how many bytes they
//   cover, always a multiple of 512 (a request ends on a sector), 0 if not
//   even one sector fits or the range leaves the pinned pages. `offset`
//   need not be aligned to anything.
// - Begin(t) checks the transfer (bytes a non-zero multiple of 512, the
//   VMO range inside what is pinned, the blocks inside the capacity, no
//   write to a read-only device) and queues what fits. It returns true when
//   the transfer is already over (refused: *result says why). The caller
//   keeps `t.vmo` referenced until the transfer is over.
// - Complete(status) takes one completion with cookie kCookie; it queues
//   more of the transfer and returns true (with *result) once every request
//   queued has completed and either all bytes moved or one failed (the
//   first failure is the result; nothing more is queued after it, and what
//   is in flight is waited for: the device may still be writing the
//   pages).
// - Queue full: when a request does not fit it waits for a completion; a
//   request that cannot fit even an empty queue cannot happen (segments are
//   bounded by max_data_segments(), which the queue always holds).
// - One transfer at a time; single-threaded.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "drivers/block/virtio-blk/virtio_blk.h"
#include "drivers/block/virtio-blk/vmo_table.h"

namespace mica::virtio {

uint64_t BuildDataSegments(const PinnedVmo& vmo, uint64_t offset, uint64_t len,
                           uint32_t max_segments, uint32_t size_max, bool device_writes,
                           Segment* out, size_t* count);

struct Transfer {
  bool write = false;
  const PinnedVmo* vmo = nullptr;
  uint64_t vmo_offset = 0;
  uint64_t sector = 0;
  uint64_t bytes = 0;
};

class BlockIo {
 public:
  static constexpr uint64_t kCookie = 1;  // the cookie of every request queued

  explicit BlockIo(VirtioBlk& blk) : blk_(blk) {}
  ~BlockIo();
  BlockIo(const BlockIo&) = delete;
  BlockIo& operator=(const BlockIo&) = delete;

  bool Begin(const Transfer& t, Status* result);
  bool Complete(Status status, Status* result);

  bool active() const { return active_; }
  uint32_t in_flight() const { return in_flight_; }
  uint64_t requests() const { return requests_; }  // queued since construction

 private:
  void Pump();
  bool Over(Status* result);

  VirtioBlk& blk_;
  Transfer t_;
  bool active_ = false;
  uint64_t queued_bytes_ = 0;
  uint32_t in_flight_ = 0;
  Status failed_ = Status::kOk;
  uint64_t requests_ = 0;
  Segment* segments_ = nullptr;
  uint32_t segment_room_ = 0;
};

}  // namespace mica::virtio
