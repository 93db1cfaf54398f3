// virtio-blk driver logic; see virtio_blk.h for the contract.
#include "drivers/block/virtio-blk/virtio_blk.h"

#include <stdlib.h>

namespace mica::virtio {

VirtioBlk::~VirtioBlk() {
  Stop();
}

void VirtioBlk::Stop() {
  if (queue_.initialized()) {
    // §3.1.1: a reset makes the device let go of the rings and buffers
    // before they are freed (unpinned) below.
    transport_.Reset();
  }
  running_ = false;
  queue_.Release();
  headers_.Reset();
  free(slots_);
  free(free_list_);
  free(instant_);
  free(chain_);
  chain_ = nullptr;
  slots_ = nullptr;
  free_list_ = nullptr;
  instant_ = nullptr;
  slot_count_ = free_slots_ = instant_count_ = 0;
  size_max_ = max_data_segments_ = 0;
}

Status VirtioBlk::Start(uint32_t max_queue_size, bool event_idx) {
  Stop();
  const uint64_t wanted = kBlkFeatureRo | kBlkFeatureBlkSize | kBlkFeatureFlush |
                          kBlkFeatureSizeMax | kBlkFeatureSegMax |
                          (event_idx ? kFeatureEventIdx : 0);
  if (transport_.device_id() != kDeviceIdBlock) {
    return Status::kNotSupported;
  }
  if (Status s = transport_.Start(wanted, &features_); s != Status::kOk) {
    return s;
  }
  Status s = transport_.ReadConfig64(kBlkConfigCapacity, &capacity_);
  if (s == Status::kOk && (features_ & kBlkFeatureBlkSize) != 0) {
    s = transport_.ReadConfig32(kBlkConfigBlkSize, &block_size_);
    // §5.2.4: blk_size is the optimal I/O unit; only a power-of-two multiple
    // of the sector makes sense as a client-visible block size.
    if (s == Status::kOk && (block_size_ < kSectorSize || (block_size_ & (block_size_ - 1)) != 0)) {
      block_size_ = kSectorSize;
    }
  }
  if (s == Status::kOk && (features_ & kBlkFeatureSizeMax) != 0) {
    s = transport_.ReadConfig32(kBlkConfigSizeMax, &size_max_);
  }
  uint32_t seg_max = 1;  // without VIRTIO_BLK_F_SEG_MAX: one data segment
  if (s == Status::kOk && (features_ & kBlkFeatureSegMax) != 0) {
    s = transport_.ReadConfig32(kBlkConfigSegMax, &seg_max);
    seg_max = seg_max == 0 ? 1 : seg_max;
  }
  if (s == Status::kOk) {
    s = transport_.SetupQueue(0, dma_, max_queue_size, &queue_);
  }
  if (s == Status::kOk && queue_.size() < 3) {
    s = Status::kNotSupported;
  }
  if (s == Status::kOk) {
    slot_count_ = queue_.size() / 3;
    slots_ = static_cast<Slot*>(calloc(slot_count_, sizeof(Slot)));
    free_list_ = static_cast<uint32_t*>(calloc(slot_count_, sizeof(uint32_t)));
    instant_ = static_cast<uint64_t*>(calloc(slot_count_, sizeof(uint64_t)));
    max_data_segments_ = seg_max < queue_.size() - 2 ? seg_max : queue_.size() - 2;
    chain_ = static_cast<Segment*>(calloc(max_data_segments_ + 2, sizeof(Segment)));
    if (slots_ == nullptr || free_list_ == nullptr || instant_ == nullptr || chain_ == nullptr ||
        !headers_.Allocate(dma_, kSlotStride * slot_count_, 16)) {
      s = Status::kNoResources;
    }
  }
  if (s != Status::kOk) {
    Stop();
    transport_.Fail();
    return s;
  }
  for (uint32_t i = 0; i < slot_count_; i++) {
    free_list_[i] = slot_count_ - 1 - i;
  }
  free_slots_ = slot_count_;
  transport_.DriverOk();
  running_ = true;
  return Status::kOk;
}

Status VirtioBlk::CheckRequest(uint64_t sector, const Segment* data, size_t count,
                               uint32_t* len) const {
  if (data == nullptr || count == 0 || count > max_data_segments_) {
    return Status::kInvalidArgs;
  }
  uint64_t total = 0;
  for (size_t i = 0; i < count; i++) {
    if (data[i].len == 0 || (size_max_ != 0 && data[i].len > size_max_)) {
      return Status::kInvalidArgs;  // §5.2.4: size_max bounds one segment
    }
    total += data[i].len;
  }
  // The used length (data + status byte) is 32 bits (§2.7.8).
  if (total % kSectorSize != 0 || total >= UINT32_MAX) {
    return Status::kInvalidArgs;
  }
  const uint64_t count_sectors = total / kSectorSize;
  if (sector > capacity_ || count_sectors > capacity_ - sector) {
    return Status::kInvalidArgs;
  }
  *len = static_cast<uint32_t>(total);
  return Status::kOk;
}

Status VirtioBlk::QueueRead(uint64_t sector, uint64_t data_addr, uint32_t len, uint64_t cookie) {
  const Segment data{data_addr, len, true};
  return QueueReadSegments(sector, &data, 1, cookie);
}

Status VirtioBlk::QueueWrite(uint64_t sector, uint64_t data_addr, uint32_t len, uint64_t cookie) {
  const Segment data{data_addr, len, false};
  return QueueWriteSegments(sector, &data, 1, cookie);
}

Status VirtioBlk::QueueReadSegments(uint64_t sector, const Segment* data, size_t count,
                                    uint64_t cookie) {
  if (!running_) {
    return Status::kBadState;
  }
  return Queue(kBlkTypeIn, sector, data, count, cookie);
}

Status VirtioBlk::QueueWriteSegments(uint64_t sector, const Segment* data, size_t count,
                                     uint64_t cookie) {
  if (!running_) {
    return Status::kBadState;
  }
  uint32_t len = 0;
  if (Status s = CheckRequest(sector, data, count, &len); s != Status::kOk) {
    return s;
  }
  if (read_only()) {
    return Status::kReadOnly;
  }
  return Queue(kBlkTypeOut, sector, data, count, cookie);
}

Status VirtioBlk::QueueFlush(uint64_t cookie) {
  if (running_ && !has_flush()) {
    if (instant_count_ == slot_count_) {
      return Status::kNoResources;
    }
    instant_[instant_count_++] = cookie;
    return Status::kOk;
  }
  return Queue(kBlkTypeFlush, 0, nullptr, 0, cookie);
}

Status VirtioBlk::Queue(uint32_t type, uint64_t sector, const Segment* data, size_t count,
                        uint64_t cookie) {
  if (!running_) {
    return Status::kBadState;
  }
  uint32_t len = 0;
  if (type != kBlkTypeFlush) {
    if (Status s = CheckRequest(sector, data, count, &len); s != Status::kOk) {
      return s;
    }
  }
  if (free_slots_ == 0 || queue_.free_count() < count + 2) {
    return Status::kNoResources;
  }
  const uint32_t slot = free_list_[free_slots_ - 1];
  uint8_t* base = headers_.cpu() + kSlotStride * slot;
  auto* header = reinterpret_cast<volatile BlkRequestHeader*>(base);
  header->type = type;
  header->reserved = 0;
  header->sector = sector;
  // Anything but 0/1/2 here after completion means the device never wrote it.
  *reinterpret_cast<volatile uint8_t*>(base + 16) = 0xff;
  const uint64_t addr = headers_.device_addr() + kSlotStride * slot;
  size_t n = 0;
  chain_[n++] = {addr, sizeof(BlkRequestHeader), false};
  for (size_t i = 0; i < count; i++) {
    chain_[n++] = {data[i].addr, data[i].len, type == kBlkTypeIn};
  }
  chain_[n++] = {addr + 16, 1, true};
  if (Status s = queue_.Add(chain_, n, slot); s != Status::kOk) {
    return s;
  }
  free_slots_--;
  slots_[slot] = Slot{cookie, len, type};
  return Status::kOk;
}

void VirtioBlk::Kick() {
  if (running_ && queue_.Publish()) {
    transport_.Notify(0);
  }
}

Status VirtioBlk::Broken() {
  running_ = false;
  transport_.Fail();
  return Status::kDeviceError;
}

Status VirtioBlk::Poll(BlkCompletion* out, size_t max, size_t* count) {
  *count = 0;
  if (!running_) {
    return Status::kBadState;
  }
  const uint32_t irq = transport_.TakeInterrupt();
  if ((irq & mmio::kInterruptConfigChange) != 0) {
    // §2.1.2 a reset request, or §5.2.4 a resized disk: re-read capacity.
    if (transport_.NeedsReset() ||
        transport_.ReadConfig64(kBlkConfigCapacity, &capacity_) != Status::kOk) {
      return Broken();
    }
  }
  while (*count < max && instant_count_ > 0) {
    out[(*count)++] = BlkCompletion{instant_[--instant_count_], Status::kOk};
  }
  while (*count < max) {
    UsedBuffer used;
    const Status s = queue_.PopUsed(&used);
    if (s == Status::kShouldWait) {
      break;
    }
    if (s != Status::kOk) {
      return Broken();
    }
    Slot& slot = slots_[used.token];  // the token is a slot we gave the queue
    const uint8_t status =
        *reinterpret_cast<volatile uint8_t*>(headers_.cpu() + kSlotStride * used.token + 16);
    Status result;
    switch (status) {
      case kBlkStatusOk:
        result = Status::kOk;
        break;
      case kBlkStatusIoErr:
        result = Status::kIoError;
        break;
      case kBlkStatusUnsupp:
        result = Status::kUnsupported;
        break;
      default:
        return Broken();
    }
    // §5.2.6: a successful read wrote every data byte and the status byte.
    const bool short_read =
        slot.type == kBlkTypeIn && status == kBlkStatusOk && used.len != slot.data_len + 1;
    if (used.len == 0 || short_read) {
      return Broken();
    }
    free_list_[free_slots_++] = static_cast<uint32_t>(used.token);
    out[(*count)++] = BlkCompletion{slot.cookie, result};
  }
  return Status::kOk;
}

}  // namespace mica::virtio
