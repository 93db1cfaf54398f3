// virtio-rng driver logic; see virtio_rng.h for the contract.
#include "drivers/entropy/virtio-rng/virtio_rng.h"

#include <string.h>

namespace mica::virtio {

Status VirtioRng::Start(uint32_t max_queue_size) {
  running_ = false;
  queue_.Release();
  memory_.Reset();
  filled_head_ = filled_count_ = buffer_count_ = 0;
  if (transport_.device_id() != kDeviceIdEntropy) {
    return Status::kNotSupported;
  }
  uint64_t features = 0;
  Status s = transport_.Start(0, &features);
  if (s == Status::kOk) {
    s = transport_.SetupQueue(0, dma_, max_queue_size, &queue_);
  }
  if (s == Status::kOk) {
    buffer_count_ = queue_.size() < kMaxBuffers ? queue_.size() : kMaxBuffers;
    if (!memory_.Allocate(dma_, kBufferSize * buffer_count_, 16)) {
      s = Status::kNoResources;
    }
  }
  if (s != Status::kOk) {
    transport_.Fail();
    queue_.Release();
    buffer_count_ = 0;
    return s;
  }
  transport_.DriverOk();
  running_ = true;
  for (uint32_t i = 0; i < buffer_count_; i++) {
    if (Status p = Post(i); p != Status::kOk) {
      return p;
    }
  }
  if (queue_.Publish()) {
    transport_.Notify(0);
  }
  return Status::kOk;
}

Status VirtioRng::Post(uint32_t index) {
  buffers_[index] = Buffer{0, 0};
  const Segment segment{memory_.device_addr() + kBufferSize * index, kBufferSize, true};
  return queue_.Add(&segment, 1, index);
}

Status VirtioRng::Broken() {
  running_ = false;
  transport_.Fail();
  return Status::kDeviceError;
}

Status VirtioRng::Collect() {
  const uint32_t irq = transport_.TakeInterrupt();
  if ((irq & mmio::kInterruptConfigChange) != 0 && transport_.NeedsReset()) {
    return Broken();
  }
  bool reposted = false;
  for (;;) {
    UsedBuffer used;
    const Status s = queue_.PopUsed(&used);
    if (s == Status::kShouldWait) {
      break;
    }
    if (s != Status::kOk) {
      return Broken();
    }
    const uint32_t index = static_cast<uint32_t>(used.token);
    if (used.len == 0) {
      if (Post(index) != Status::kOk) {
        return Broken();
      }
      reposted = true;
      continue;
    }
    buffers_[index] = Buffer{used.len, 0};
    filled_[(filled_head_ + filled_count_) % kMaxBuffers] = index;
    filled_count_++;
  }
  if (reposted && queue_.Publish()) {
    transport_.Notify(0);
  }
  return Status::kOk;
}

Status VirtioRng::Read(uint8_t* out, size_t cap, size_t* got) {
  *got = 0;
  if (!running_) {
    return Status::kBadState;
  }
  if (Status s = Collect(); s != Status::kOk) {
    return s;
  }
  bool reposted = false;
  while (*got < cap && filled_count_ > 0) {
    const uint32_t index = filled_[filled_head_];
    Buffer& b = buffers_[index];
    const size_t n = cap - *got < b.len - b.offset ? cap - *got : b.len - b.offset;
    memcpy(out + *got, memory_.cpu() + kBufferSize * index + b.offset, n);
    *got += n;
    b.offset += static_cast<uint32_t>(n);
    if (b.offset == b.len) {
      filled_head_ = (filled_head_ + 1) % kMaxBuffers;
      filled_count_--;
      if (Post(index) != Status::kOk) {
        return Broken();
      }
      reposted = true;
    }
  }
  delivered_ += *got;
  if (reposted && queue_.Publish()) {
    transport_.Notify(0);
  }
  return Status::kOk;
}

}  // namespace mica::virtio
