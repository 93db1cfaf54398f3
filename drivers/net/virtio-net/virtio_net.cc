// virtio-net driver logic; see virtio_net.h for the contract.
#include "drivers/net/virtio-net/virtio_net.h"

#include <string.h>

namespace mica::virtio {

namespace {
uint32_t SlotsFor(const SplitVirtqueue& q) {
  const uint32_t n = q.size() / 2;  // two descriptors per frame
  return n < VirtioNet::kMaxSlots ? n : VirtioNet::kMaxSlots;
}
}  // namespace

Status VirtioNet::Start(uint32_t max_queue_size) {
  running_ = false;
  rx_.Release();
  tx_.Release();
  for (DmaRegion& page : pages_) {
    page.Reset();
  }
  rx_count_ = tx_count_ = tx_free_count_ = 0;
  has_mac_ = false;
  if (transport_.device_id() != kDeviceIdNet) {
    return Status::kNotSupported;
  }
  uint64_t features = 0;
  Status s = transport_.Start(kNetFeatureMac, &features);
  if (s == Status::kOk && (features & kNetFeatureMac) != 0) {
    s = transport_.ReadConfigBytes(kNetConfigMac, mac_, sizeof(mac_));
    has_mac_ = s == Status::kOk;
  }
  header_size_ = (features & kFeatureVersion1) != 0 ? 12 : 10;
  if (s == Status::kOk) {
    s = transport_.SetupQueue(kNetQueueReceive, dma_, max_queue_size, &rx_);
  }
  if (s == Status::kOk) {
    s = transport_.SetupQueue(kNetQueueTransmit, dma_, max_queue_size, &tx_);
  }
  if (s == Status::kOk) {
    rx_count_ = SlotsFor(rx_);
    tx_count_ = SlotsFor(tx_);
    if (rx_count_ == 0 || tx_count_ == 0) {
      s = Status::kNotSupported;
    }
    // One page per slot, its receive buffer then its transmit buffer: a
    // driver process's DMA buffers are one page each (vmo_dma.h).
    for (uint32_t i = 0; s == Status::kOk && i < kMaxSlots; i++) {
      if (!pages_[i].Allocate(dma_, 2 * kBufferSize, 16)) {
        s = Status::kNoResources;
      }
    }
  }
  if (s != Status::kOk) {
    transport_.Fail();
    rx_.Release();
    tx_.Release();
    return s;
  }
  transport_.DriverOk();
  running_ = true;
  for (uint32_t i = 0; i < tx_count_; i++) {
    tx_free_[tx_free_count_++] = i;
  }
  for (uint32_t i = 0; i < rx_count_; i++) {
    if (Status p = PostRx(i); p != Status::kOk) {
      return p;
    }
  }
  if (rx_.Publish()) {
    transport_.Notify(kNetQueueReceive);
  }
  return Status::kOk;
}

Status VirtioNet::PostRx(uint32_t slot) {
  const uint64_t addr = device_addr(slot);
  const uint32_t header = static_cast<uint32_t>(header_size_);
  const Segment segments[2] = {{addr, header, true}, {addr + header, kBufferSize - header, true}};
  return rx_.Add(segments, 2, slot);
}

Status VirtioNet::Broken() {
  running_ = false;
  transport_.Fail();
  return Status::kDeviceError;
}

Status VirtioNet::HandleInterrupt() {
  if (!running_) {
    return Status::kBadState;
  }
  const uint32_t irq = transport_.TakeInterrupt();
  if ((irq & mmio::kInterruptConfigChange) != 0 && transport_.NeedsReset()) {
    return Broken();
  }
  return Status::kOk;
}

Status VirtioNet::ReapTx() {
  for (;;) {
    UsedBuffer used;
    const Status s = tx_.PopUsed(&used);
    if (s == Status::kShouldWait) {
      return Status::kOk;
    }
    if (s != Status::kOk) {
      return Broken();
    }
    tx_free_[tx_free_count_++] = static_cast<uint32_t>(used.token);
  }
}

Status VirtioNet::Send(const uint8_t* frame, size_t len) {
  if (Status s = HandleInterrupt(); s != Status::kOk) {
    return s;
  }
  if (frame == nullptr || len < kMinFrame || len > kMaxFrame) {
    return Status::kInvalidArgs;
  }
  if (Status s = ReapTx(); s != Status::kOk) {
    return s;
  }
  if (tx_free_count_ == 0) {
    return Status::kNoResources;
  }
  const uint32_t slot = tx_free_[--tx_free_count_];
  uint8_t* buffer = tx_buffer(slot);
  memset(buffer, 0, header_size_);  // §5.1.6.2: no flags, GSO_NONE
  memcpy(buffer + header_size_, frame, len);
  const uint64_t addr = device_addr(kMaxSlots + slot);
  const uint32_t header = static_cast<uint32_t>(header_size_);
  const Segment segments[2] = {{addr, header, false},
                               {addr + header, static_cast<uint32_t>(len), false}};
  if (Status s = tx_.Add(segments, 2, slot); s != Status::kOk) {
    tx_free_[tx_free_count_++] = slot;
    return s;
  }
  if (tx_.Publish()) {
    transport_.Notify(kNetQueueTransmit);
  }
  return Status::kOk;
}

Status VirtioNet::Receive(uint8_t* out, size_t cap, size_t* len) {
  *len = 0;
  if (Status s = HandleInterrupt(); s != Status::kOk) {
    return s;
  }
  if (out == nullptr || cap < kMaxFrame) {
    return Status::kInvalidArgs;
  }
  for (;;) {
    UsedBuffer used;
    const Status s = rx_.PopUsed(&used);
    if (s == Status::kShouldWait) {
      return s;
    }
    if (s != Status::kOk || used.len < header_size_) {
      return Broken();
    }
    const uint32_t slot = static_cast<uint32_t>(used.token);
    const size_t frame = used.len - header_size_;
    // A frame outside what we accept is dropped; its buffer goes back.
    const bool keep = frame >= kMinFrame && frame <= kMaxFrame;
    if (keep) {
      memcpy(out, rx_buffer(slot) + header_size_, frame);
      *len = frame;
    }
    if (PostRx(slot) != Status::kOk) {
      return Broken();
    }
    if (rx_.Publish()) {
      transport_.Notify(kNetQueueReceive);
    }
    if (keep) {
      return Status::kOk;
    }
  }
}

}  // namespace mica::virtio
