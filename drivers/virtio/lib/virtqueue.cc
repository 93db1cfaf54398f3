// The split virtqueue; see virtqueue.h for the contract.
#include "drivers/virtio/lib/virtqueue.h"

#include <stdlib.h>

#include "drivers/virtio/lib/barrier.h"

namespace mica::virtio {

SplitVirtqueue::~SplitVirtqueue() {
  Release();
}

void SplitVirtqueue::Release() {
  free(next_);
  free(heads_);
  next_ = nullptr;
  heads_ = nullptr;
  ring_.Reset();
  size_ = 0;
  free_count_ = 0;
  in_flight_ = 0;
  broken_ = false;
  avail_shadow_ = published_ = last_used_ = 0;
  interrupts_enabled_ = true;
}

size_t SplitVirtqueue::RingBytes(uint32_t size, uint32_t legacy_align) {
  const size_t used_align = legacy_align != 0 ? legacy_align : kUsedAlign;
  return AlignUp(DescTableBytes(size) + AvailRingBytes(size), used_align) + UsedRingBytes(size);
}

Status SplitVirtqueue::Init(DmaAllocator& dma, uint32_t size, uint32_t legacy_align,
                            bool event_idx) {
  Release();
  if (size == 0 || size > kMaxQueueSize || (size & (size - 1)) != 0) {
    return Status::kInvalidArgs;
  }
  if (legacy_align != 0 && (legacy_align > 4096 || (legacy_align & (legacy_align - 1)) != 0)) {
    return Status::kInvalidArgs;
  }
  const size_t used_align = legacy_align != 0 ? legacy_align : kUsedAlign;
  avail_offset_ = DescTableBytes(size);
  used_offset_ = AlignUp(avail_offset_ + AvailRingBytes(size), used_align);
  const size_t total = RingBytes(size, legacy_align);
  // The legacy queue address is a page frame number (QueuePFN, §4.2.4).
  const size_t region_align = legacy_align != 0 ? 4096 : kDescAlign;
  next_ = static_cast<uint16_t*>(calloc(size, sizeof(uint16_t)));
  heads_ = static_cast<Head*>(calloc(size, sizeof(Head)));
  if (next_ == nullptr || heads_ == nullptr || !ring_.Allocate(dma, total, region_align)) {
    Release();
    return Status::kNoResources;
  }
  for (uint32_t i = 0; i < size; i++) {
    next_[i] = static_cast<uint16_t>(i + 1);  // the last link is never followed
  }
  size_ = size;
  free_head_ = 0;
  free_count_ = size;
  event_idx_ = event_idx;
  return Status::kOk;
}

volatile VirtqDesc* SplitVirtqueue::desc(uint32_t i) const {
  return reinterpret_cast<volatile VirtqDesc*>(ring_.cpu()) + i;
}
volatile uint16_t* SplitVirtqueue::avail_field(uint32_t index) const {
  return reinterpret_cast<volatile uint16_t*>(ring_.cpu() + avail_offset_) + index;
}
volatile uint16_t* SplitVirtqueue::used_field16(uint32_t index) const {
  return reinterpret_cast<volatile uint16_t*>(ring_.cpu() + used_offset_) + index;
}
volatile VirtqUsedElem* SplitVirtqueue::used_elem(uint32_t slot) const {
  return reinterpret_cast<volatile VirtqUsedElem*>(ring_.cpu() + used_offset_ + 4) + slot;
}
volatile uint16_t* SplitVirtqueue::avail_event() const {
  // §2.7.8: avail_event follows the size used elements.
  return reinterpret_cast<volatile uint16_t*>(ring_.cpu() + used_offset_ + 4 + 8 * size_);
}

Status SplitVirtqueue::Fail() {
  broken_ = true;
  return Status::kDeviceError;
}

Status SplitVirtqueue::Add(const Segment* segments, size_t count, uint64_t token) {
  if (size_ == 0) {
    return Status::kBadState;
  }
  if (broken_) {
    return Status::kDeviceError;
  }
  if (segments == nullptr || count == 0 || count > size_) {
    return Status::kInvalidArgs;
  }
  uint64_t writable = 0;
  bool seen_writable = false;
  for (size_t i = 0; i < count; i++) {
    if (segments[i].len == 0 || (seen_writable && !segments[i].device_writes)) {
      return Status::kInvalidArgs;  // §2.7.4.2: writable after readable
    }
    seen_writable = seen_writable || segments[i].device_writes;
    if (segments[i].device_writes) {
      writable += segments[i].len;
    }
  }
  if (writable > UINT32_MAX) {
    return Status::kInvalidArgs;  // used.len is 32 bits
  }
  if (count > free_count_) {
    return Status::kNoResources;
  }
  const uint16_t head = free_head_;
  uint16_t id = head;
  for (size_t i = 0; i < count; i++) {
    volatile VirtqDesc* d = desc(id);
    const bool last = i + 1 == count;
    const uint16_t following = next_[id];
    d->addr = segments[i].addr;
    d->len = segments[i].len;
    d->flags = static_cast<uint16_t>((segments[i].device_writes ? kDescFlagWrite : 0) |
                                     (last ? 0 : kDescFlagNext));
    d->next = last ? 0 : following;
    if (last) {
      free_head_ = following;
    } else {
      id = following;
    }
  }
  free_count_ -= static_cast<uint32_t>(count);
  heads_[head] = Head{token, static_cast<uint32_t>(writable), static_cast<uint16_t>(count), true};
  in_flight_++;
  *avail_field(2 + (avail_shadow_ & (size_ - 1))) = head;
  avail_shadow_++;
  return Status::kOk;
}

bool SplitVirtqueue::Publish() {
  if (size_ == 0 || broken_ || avail_shadow_ == published_) {
    return false;
  }
  const uint16_t old = published_;
  DmaWriteBarrier();  // descriptors and ring entries before the index
  *avail_field(1) = avail_shadow_;
  published_ = avail_shadow_;
  DmaFullBarrier();  // the index before reading the device's suppression state
  if (event_idx_) {
    return NeedEvent(*avail_event(), published_, old);
  }
  return (*used_field16(0) & kUsedFlagNoNotify) == 0;
}

void SplitVirtqueue::FreeChain(uint16_t head) {
  uint16_t id = head;
  for (uint16_t i = 1; i < heads_[head].count; i++) {
    id = next_[id];
  }
  next_[id] = free_head_;
  free_head_ = head;
  free_count_ += heads_[head].count;
  heads_[head].in_flight = false;
  in_flight_--;
}

Status SplitVirtqueue::PopUsed(UsedBuffer* out) {
  if (size_ == 0) {
    return Status::kBadState;
  }
  if (broken_) {
    return Status::kDeviceError;
  }
  const uint16_t used_idx = *used_field16(1);
  const uint16_t pending = static_cast<uint16_t>(used_idx - last_used_);
  if (pending == 0) {
    return Status::kShouldWait;
  }
  if (pending > static_cast<uint16_t>(published_ - last_used_)) {
    return Fail();  // the device used more than was made available
  }
  DmaReadBarrier();  // the index before the element it covers (§2.7.13)
  volatile VirtqUsedElem* elem = used_elem(last_used_ & (size_ - 1));
  const uint32_t id = elem->id;
  const uint32_t len = elem->len;
  if (id >= size_ || !heads_[id].in_flight || len > heads_[id].writable) {
    return Fail();
  }
  last_used_++;
  if (event_idx_ && interrupts_enabled_) {
    *avail_field(2 + size_) = last_used_;  // used_event: interrupt on the next one
  }
  out->token = heads_[id].token;
  out->len = len;
  FreeChain(static_cast<uint16_t>(id));
  return Status::kOk;
}

void SplitVirtqueue::DisableInterrupts() {
  interrupts_enabled_ = false;
  if (size_ != 0 && !event_idx_) {
    *avail_field(0) = kAvailFlagNoInterrupt;
  }
}

bool SplitVirtqueue::EnableInterrupts() {
  interrupts_enabled_ = true;
  if (size_ == 0) {
    return false;
  }
  if (event_idx_) {
    *avail_field(2 + size_) = last_used_;
  } else {
    *avail_field(0) = 0;
  }
  DmaFullBarrier();  // publish the request before re-reading used->idx
  return *used_field16(1) != last_used_;
}

}  // namespace mica::virtio
