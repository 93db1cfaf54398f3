// virtio-blk driver logic (virtio 1.2 §5.2) over the virtio-mmio transport:
// read, write and flush requests, many in flight, completed in any order.
// The process wrapper owns the transport, the DMA allocator and the data
// buffers, and turns Poll's completions into replies to its clients.
//
// Contract:
// - Start() negotiates VIRTIO_BLK_F_RO, _BLK_SIZE, _FLUSH, _SIZE_MAX,
//   _SEG_MAX (and VIRTIO_F_EVENT_IDX if asked), reads capacity, blk_size,
//   size_max and seg_max from the config (§5.2.4), sets up request queue 0
//   and sets DRIVER_OK. A device whose queue holds fewer than 3 descriptors
//   is kNotSupported.
// - QueueReadSegments/QueueWriteSegments take a sector (always 512 bytes,
//   §5.2.6) and 1..max_data_segments() data segments (device addresses),
//   each non-empty and at most size_max() bytes (§5.2.4 "maximum size of
//   any single segment", when offered), together a multiple of 512 lying
//   wholly inside the capacity; anything else is kInvalidArgs, a write to
//   a read-only device kReadOnly, no free request slot or too few free
//   descriptors kNoResources. max_data_segments() is seg_max (§5.2.4
//   "maximum number of segments in a request"; 1 without
//   VIRTIO_BLK_F_SEG_MAX, as Linux assumes) bounded by the queue size less
//   the header and status descriptors. A request is the header
//   (readable), the data segments, the status byte (writable): the layout
//   every device accepts, legacy ones without VIRTIO_F_ANY_LAYOUT included.
//   QueueRead/QueueWrite are the one-segment forms.
//   QueueFlush without VIRTIO_BLK_F_FLUSH completes at once (the device is
//   write-through then, §5.2.6.2).
// - Queued requests reach the device at Kick(). Poll() acknowledges the
//   interrupt and returns finished requests with their cookie and status:
//   kOk, kIoError (VIRTIO_BLK_S_IOERR), kUnsupported (_UNSUPP). A status
//   byte outside those, a used length that does not match (a read must
//   report data + status bytes), a bad used id, or DEVICE_NEEDS_RESET makes
//   Poll return kDeviceError: the driver then refuses everything until the
//   owner calls Start() again (which resets the device; requests that were
//   in flight are lost and the owner fails them to its clients; the
//   completions Poll returned alongside the error are real). A config-change
//   interrupt re-reads the capacity (a resized disk); requests are checked
//   against the capacity current when they are queued.
// - A new Start() and the destructor reset the device before they free the
//   rings and request headers (their pins), so it never writes them after.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "drivers/bus/virtio-mmio/transport.h"
#include "drivers/virtio/lib/dma.h"
#include "drivers/virtio/lib/virtqueue.h"

namespace mica::virtio {

// §5.2.3 Feature bits.
inline constexpr uint64_t kBlkFeatureSizeMax = 1ull << 1;
inline constexpr uint64_t kBlkFeatureSegMax = 1ull << 2;
inline constexpr uint64_t kBlkFeatureRo = 1ull << 5;
inline constexpr uint64_t kBlkFeatureBlkSize = 1ull << 6;
inline constexpr uint64_t kBlkFeatureFlush = 1ull << 9;

// §5.2.4 Device configuration layout (offsets).
inline constexpr uint32_t kBlkConfigCapacity = 0;
inline constexpr uint32_t kBlkConfigSizeMax = 8;
inline constexpr uint32_t kBlkConfigSegMax = 12;
inline constexpr uint32_t kBlkConfigBlkSize = 20;

// §5.2.6 Device Operation.
inline constexpr uint32_t kBlkTypeIn = 0;
inline constexpr uint32_t kBlkTypeOut = 1;
inline constexpr uint32_t kBlkTypeFlush = 4;
inline constexpr uint8_t kBlkStatusOk = 0;
inline constexpr uint8_t kBlkStatusIoErr = 1;
inline constexpr uint8_t kBlkStatusUnsupp = 2;
inline constexpr uint32_t kSectorSize = 512;

struct BlkRequestHeader {
  uint32_t type;
  uint32_t reserved;
  uint64_t sector;
};
static_assert(sizeof(BlkRequestHeader) == 16);

struct BlkCompletion {
  uint64_t cookie = 0;
  Status status = Status::kOk;
};

class VirtioBlk {
 public:
  VirtioBlk(MmioTransport& transport, DmaAllocator& dma) : transport_(transport), dma_(dma) {}
  ~VirtioBlk();
  VirtioBlk(const VirtioBlk&) = delete;
  VirtioBlk& operator=(const VirtioBlk&) = delete;

  Status Start(uint32_t max_queue_size = 256, bool event_idx = true);

  uint64_t capacity() const { return capacity_; }  // in 512-byte sectors
  uint32_t block_size() const { return block_size_; }
  bool read_only() const { return (features_ & kBlkFeatureRo) != 0; }
  bool has_flush() const { return (features_ & kBlkFeatureFlush) != 0; }
  uint64_t features() const { return features_; }
  uint32_t max_in_flight() const { return slot_count_; }
  uint32_t max_data_segments() const { return max_data_segments_; }
  uint32_t size_max() const { return size_max_; }  // 0: no bound offered
  uint32_t free_descriptors() const { return queue_.free_count(); }
  uint32_t in_flight() const { return slot_count_ - free_slots_; }

  Status QueueRead(uint64_t sector, uint64_t data_addr, uint32_t len, uint64_t cookie);
  Status QueueWrite(uint64_t sector, uint64_t data_addr, uint32_t len, uint64_t cookie);
  Status QueueReadSegments(uint64_t sector, const Segment* data, size_t count, uint64_t cookie);
  Status QueueWriteSegments(uint64_t sector, const Segment* data, size_t count, uint64_t cookie);
  Status QueueFlush(uint64_t cookie);
  void Kick();
  Status Poll(BlkCompletion* out, size_t max, size_t* count);

 private:
  struct Slot {
    uint64_t cookie;
    uint32_t data_len;
    uint32_t type;
  };
  Status Queue(uint32_t type, uint64_t sector, const Segment* data, size_t count, uint64_t cookie);
  Status CheckRequest(uint64_t sector, const Segment* data, size_t count, uint32_t* len) const;
  Status Broken();
  void Stop();

  MmioTransport& transport_;
  DmaAllocator& dma_;
  SplitVirtqueue queue_;
  DmaRegion headers_;  // slot_count_ x (header, status byte), kSlotStride apart
  Slot* slots_ = nullptr;
  uint32_t* free_list_ = nullptr;
  uint32_t slot_count_ = 0;
  uint32_t free_slots_ = 0;
  uint64_t features_ = 0;
  uint64_t capacity_ = 0;
  uint32_t block_size_ = kSectorSize;
  uint32_t size_max_ = 0;
  uint32_t max_data_segments_ = 0;
  Segment* chain_ = nullptr;  // scratch: header, data segments, status
  bool running_ = false;
  // Flushes on a write-through device, completed at the next Poll.
  uint64_t* instant_ = nullptr;
  uint32_t instant_count_ = 0;

  static constexpr size_t kSlotStride = 32;  // header at 0, status at 16
};

}  // namespace mica::virtio
