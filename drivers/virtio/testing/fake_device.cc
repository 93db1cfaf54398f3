// The fake virtio-mmio device; see fake_device.h.
#include "drivers/virtio/testing/fake_device.h"

#include <string.h>

namespace mica::virtio::testing {

FakeVirtioDevice::FakeVirtioDevice(FakeDma& memory, uint32_t version, uint32_t device_id,
                                   uint64_t features, uint32_t num_queues, uint32_t queue_num_max)
    : memory_(memory),
      version_(version),
      device_id_(device_id),
      features_(version == mmio::kVersionModern ? features | kFeatureVersion1
                                                : features & 0xffffffffull),
      queue_num_max_(queue_num_max),
      queues_(num_queues) {}

bool FakeVirtioDevice::ConfigAccess(uint32_t offset, uint32_t width) {
  const uint32_t at = offset - mmio::kConfig;
  if (offset % width != 0 || at + width > config.size()) {
    bad_accesses_++;
    return false;
  }
  return true;
}

uint64_t FakeVirtioDevice::ConfigRead(uint32_t offset, uint32_t width) {
  if (!ConfigAccess(offset, width)) {
    return 0;
  }
  if (generation_flips > 0) {
    generation_flips--;
    config_generation++;
  }
  uint64_t v = 0;
  memcpy(&v, config.data() + (offset - mmio::kConfig), width);
  return v;
}

uint8_t FakeVirtioDevice::Read8(uint32_t offset) {
  if (offset < mmio::kConfig) {
    bad_accesses_++;
    return 0;
  }
  return static_cast<uint8_t>(ConfigRead(offset, 1));
}

uint16_t FakeVirtioDevice::Read16(uint32_t offset) {
  if (offset < mmio::kConfig) {
    bad_accesses_++;
    return 0;
  }
  return static_cast<uint16_t>(ConfigRead(offset, 2));
}

uint32_t FakeVirtioDevice::Read32(uint32_t offset) {
  if (offset >= mmio::kConfig) {
    return static_cast<uint32_t>(ConfigRead(offset, 4));
  }
  if (offset % 4 != 0) {
    bad_accesses_++;
    return 0;
  }
  return ReadRegister(offset);
}

void FakeVirtioDevice::Write8(uint32_t, uint8_t) {
  bad_accesses_++;
}
void FakeVirtioDevice::Write16(uint32_t, uint16_t) {
  bad_accesses_++;
}

void FakeVirtioDevice::Write32(uint32_t offset, uint32_t value) {
  if (offset >= mmio::kConfig || offset % 4 != 0) {
    bad_accesses_++;  // none of our devices has a writable config field
    return;
  }
  WriteRegister(offset, value);
}

uint32_t FakeVirtioDevice::ReadRegister(uint32_t offset) {
  const bool legacy = version_ == mmio::kVersionLegacy;
  const FakeQueue* q = queue_sel_ < queues_.size() ? &queues_[queue_sel_] : nullptr;
  switch (offset) {
    case mmio::kMagicValue:
      return mmio::kMagic;
    case mmio::kVersion:
      return version_;
    case mmio::kDeviceId:
      return device_id_;
    case mmio::kVendorId:
      return 0x554d4551;  // "QEMU"
    case mmio::kDeviceFeatures:
      if (device_features_sel_ > 1) {
        return 0;
      }
      return static_cast<uint32_t>(features_ >> (32 * device_features_sel_));
    case mmio::kQueueNumMax:
      return q != nullptr ? queue_num_max_ : 0;
    case mmio::kQueuePfn:
      if (!legacy) {
        break;
      }
      return q != nullptr ? q->pfn : 0;
    case mmio::kQueueReady:
      if (legacy) {
        break;
      }
      return q != nullptr ? q->ready : 0;
    case mmio::kInterruptStatus:
      return interrupt_status_;
    case mmio::kStatus:
      if (pending_nonzero_polls_ > 0) {
        pending_nonzero_polls_--;
        return 0xff;
      }
      return status_;
    case mmio::kConfigGeneration:
      if (legacy) {
        break;
      }
      return config_generation;
    default:
      break;
  }
  bad_accesses_++;
  return 0;
}

void FakeVirtioDevice::LegacyLayout(FakeQueue& q) {
  // §2.7.2 legacy layout: table, available ring, used ring at QueueAlign.
  q.desc = uint64_t{q.pfn} * guest_page_size_;
  q.avail = q.desc + DescTableBytes(q.num);
  q.used = AlignUp(q.avail + AvailRingBytes(q.num), q.align);
}

void FakeVirtioDevice::WriteRegister(uint32_t offset, uint32_t value) {
  const bool legacy = version_ == mmio::kVersionLegacy;
  const bool have_queue = queue_sel_ < queues_.size();
  FakeQueue* q = have_queue ? &queues_[queue_sel_] : nullptr;
  switch (offset) {
    case mmio::kDeviceFeaturesSel:
      device_features_sel_ = value;
      return;
    case mmio::kDriverFeatures:
      if (driver_features_sel_ < 2) {
        driver_features_words_[driver_features_sel_] = value;
        if (legacy && driver_features_sel_ == 0) {
          driver_features_ = value & features_;
        }
      }
      return;
    case mmio::kDriverFeaturesSel:
      driver_features_sel_ = value;
      return;
    case mmio::kGuestPageSize:
      if (!legacy) {
        break;
      }
      guest_page_size_ = value;
      return;
    case mmio::kQueueSel:
      queue_sel_ = value;
      return;
    case mmio::kQueueNum:
      if (q == nullptr || value == 0 || value > queue_num_max_) {
        break;
      }
      q->num = value;
      return;
    case mmio::kQueueAlign:
      if (!legacy || q == nullptr || value == 0 || (value & (value - 1)) != 0) {
        break;
      }
      q->align = value;
      return;
    case mmio::kQueuePfn:
      if (!legacy || q == nullptr) {
        break;
      }
      q->pfn = value;
      q->ready = value != 0;
      if (guest_page_size_ == 0 || q->num == 0) {
        driver_errors_++;  // §4.2.4: GuestPageSize and QueueNum come first
        q->ready = false;
        return;
      }
      LegacyLayout(*q);
      return;
    case mmio::kQueueReady:
      if (legacy || q == nullptr) {
        break;
      }
      q->ready = value != 0;
      return;
    case mmio::kQueueDescLow:
    case mmio::kQueueDescHigh:
    case mmio::kQueueDriverLow:
    case mmio::kQueueDriverHigh:
    case mmio::kQueueDeviceLow:
    case mmio::kQueueDeviceHigh: {
      if (legacy || q == nullptr) {
        break;
      }
      uint64_t* field = offset < mmio::kQueueDriverLow   ? &q->desc
                        : offset < mmio::kQueueDeviceLow ? &q->avail
                                                         : &q->used;
      const int shift = (offset & 4) ? 32 : 0;
      *field = (*field & ~(uint64_t{0xffffffff} << shift)) | (uint64_t{value} << shift);
      return;
    }
    case mmio::kQueueNotify:
      notifies_++;
      if (value < queues_.size()) {
        ProcessQueue(value);
      }
      return;
    case mmio::kInterruptAck:
      interrupt_status_ &= ~value;
      return;
    case mmio::kStatus:
      WriteStatus(value);
      return;
    default:
      break;
  }
  bad_accesses_++;
}

void FakeVirtioDevice::WriteStatus(uint32_t value) {
  if (value == 0) {
    Reset();
    return;
  }
  const uint8_t bits = static_cast<uint8_t>(value);
  if (version_ == mmio::kVersionModern && (bits & kStatusFeaturesOk) != 0 &&
      (status_ & kStatusFeaturesOk) == 0) {
    // Like QEMU's virtio_set_status: a subset with VERSION_1 or no change.
    const uint64_t wanted = driver_features_words_[0] | (uint64_t{driver_features_words_[1]} << 32);
    if (refuse_features_ok || (wanted & ~features_) != 0 || (wanted & kFeatureVersion1) == 0) {
      return;
    }
    driver_features_ = wanted;
  }
  status_ = bits;
}

void FakeVirtioDevice::Reset() {
  resets_++;
  status_ = 0;
  interrupt_status_ = 0;
  driver_features_ = 0;
  driver_features_words_[0] = driver_features_words_[1] = 0;
  device_features_sel_ = driver_features_sel_ = 0;
  guest_page_size_ = 0;
  queue_sel_ = 0;
  for (FakeQueue& q : queues_) {
    q = FakeQueue{};
  }
  pending_nonzero_polls_ = reset_polls_nonzero;
  OnReset();
}

void FakeVirtioDevice::RaiseNeedsReset() {
  status_ |= kStatusDeviceNeedsReset;
  interrupt_status_ |= mmio::kInterruptConfigChange;
}

uint16_t* FakeVirtioDevice::GuestU16(uint64_t addr) {
  return reinterpret_cast<uint16_t*>(memory_.Translate(addr, 2));
}

bool FakeVirtioDevice::ReadChain(FakeQueue& q, uint16_t head, Chain* chain) {
  chain->head = head;
  uint32_t id = head;
  bool writable_seen = false;
  for (uint32_t steps = 0;; steps++) {
    if (id >= q.num || steps >= q.num) {
      return false;  // out of the table, or a loop (§2.7.5.1)
    }
    auto* d = reinterpret_cast<VirtqDesc*>(memory_.Translate(q.desc + 16ull * id, 16));
    if (d == nullptr || d->len == 0) {
      return false;
    }
    const uint8_t* data = memory_.Translate(d->addr, d->len);
    if (data == nullptr || (d->flags & kDescFlagIndirect) != 0) {
      return false;
    }
    chain->lengths.push_back(d->len);
    if (d->flags & kDescFlagWrite) {
      writable_seen = true;
      chain->writable.push_back({d->addr, d->len});
    } else {
      if (writable_seen) {
        return false;  // §2.7.4.2
      }
      chain->readable.insert(chain->readable.end(), data, data + d->len);
    }
    if ((d->flags & kDescFlagNext) == 0) {
      return true;
    }
    id = d->next;
  }
}

void FakeVirtioDevice::ProcessQueue(uint32_t index) {
  FakeQueue& q = queues_[index];
  if (!q.ready || (status_ & kStatusDriverOk) == 0) {
    driver_errors_++;  // notified before the queue or the device was live
    return;
  }
  uint16_t* avail_idx = GuestU16(q.avail + 2);
  if (avail_idx == nullptr) {
    driver_errors_++;
    return;
  }
  while (q.last_avail != *avail_idx) {
    uint16_t* entry = GuestU16(q.avail + 4 + 2ull * (q.last_avail % q.num));
    q.last_avail++;
    Chain chain;
    if (entry == nullptr || !ReadChain(q, *entry, &chain)) {
      driver_errors_++;
      RaiseNeedsReset();
      return;
    }
    OnChain(index, std::move(chain));
  }
  if (negotiated(kFeatureEventIdx)) {
    // avail_event (§2.7.8): tell us about every new buffer.
    uint16_t* avail_event = GuestU16(q.used + 4 + 8ull * q.num);
    *avail_event = q.last_avail;
  }
}

bool FakeVirtioDevice::WriteChain(const Chain& chain, uint64_t offset, const void* data,
                                  uint64_t len) {
  const uint8_t* src = static_cast<const uint8_t*>(data);
  for (const Chain::Span& span : chain.writable) {
    if (len == 0) {
      return true;
    }
    if (offset >= span.len) {
      offset -= span.len;
      continue;
    }
    const uint64_t n = span.len - offset < len ? span.len - offset : len;
    memcpy(memory_.Translate(span.addr, span.len) + offset, src, n);
    src += n;
    len -= n;
    offset = 0;
  }
  return len == 0;
}

void FakeVirtioDevice::Complete(uint32_t index, const Chain& chain, uint32_t len) {
  FakeQueue& q = queues_[index];
  const uint64_t elem_addr = q.used + 4 + 8ull * (q.used_idx % q.num);
  auto* elem = reinterpret_cast<VirtqUsedElem*>(memory_.Translate(elem_addr, 8));
  uint16_t* flags = GuestU16(q.used);
  uint16_t* used_idx = GuestU16(q.used + 2);
  if (elem == nullptr || flags == nullptr || used_idx == nullptr) {
    driver_errors_++;
    return;
  }
  elem->id = next_used_id.value_or(chain.head);
  elem->len = len + extra_used_len;
  next_used_id.reset();
  extra_used_len = 0;
  *flags = suppress_notify ? kUsedFlagNoNotify : 0;
  const uint16_t old = q.used_idx;
  q.used_idx = static_cast<uint16_t>(q.used_idx + 1 + used_idx_skip);
  used_idx_skip = 0;
  *used_idx = q.used_idx;
  bool interrupt;
  if (negotiated(kFeatureEventIdx)) {
    const uint16_t used_event = *GuestU16(q.avail + 4 + 2ull * q.num);
    interrupt = NeedEvent(used_event, q.used_idx, old);
  } else {
    interrupt = (*GuestU16(q.avail) & kAvailFlagNoInterrupt) == 0;
  }
  if (interrupt) {
    interrupt_status_ |= mmio::kInterruptUsedBuffer;
    interrupts_raised_++;
  }
}

}  // namespace mica::virtio::testing
