// The virtio-mmio transport; see transport.h for the contract.
#include "drivers/bus/virtio-mmio/transport.h"

namespace mica::virtio {

namespace {
// §2.1.2: after writing 0 the driver waits for Status to read 0. QEMU
// resets synchronously; the bound only stops a hostile device hanging us.
constexpr int kMaxResetPolls = 1000;

uint32_t RoundDownPow2(uint32_t v) {
  uint32_t p = 1;
  while (p <= v / 2) {
    p *= 2;
  }
  return p;
}
}  // namespace

Status MmioTransport::Probe() {
  if (regs_.Read32(mmio::kMagicValue) != mmio::kMagic) {
    return Status::kNotFound;
  }
  const uint32_t version = regs_.Read32(mmio::kVersion);
  if (version != mmio::kVersionLegacy && version != mmio::kVersionModern) {
    return Status::kNotFound;
  }
  version_ = version;
  device_id_ = regs_.Read32(mmio::kDeviceId);
  vendor_id_ = regs_.Read32(mmio::kVendorId);
  return Status::kOk;
}

Status MmioTransport::Reset() {
  regs_.Write32(mmio::kStatus, 0);
  for (int i = 0; i < kMaxResetPolls; i++) {
    if (regs_.Read32(mmio::kStatus) == 0) {
      return Status::kOk;
    }
  }
  return Status::kDeviceError;
}

void MmioTransport::SetStatusBits(uint8_t bits) {
  const uint32_t now = regs_.Read32(mmio::kStatus) & 0xff;
  regs_.Write32(mmio::kStatus, now | bits);
}

void MmioTransport::Fail() {
  SetStatusBits(kStatusFailed);
}

void MmioTransport::DriverOk() {
  SetStatusBits(kStatusDriverOk);
}

Status MmioTransport::Start(uint64_t wanted, uint64_t* negotiated) {
  if (version_ == 0) {
    return Status::kBadState;
  }
  if (Status s = Reset(); s != Status::kOk) {
    return s;
  }
  SetStatusBits(kStatusAcknowledge);
  SetStatusBits(kStatusDriver);
  uint64_t device = 0;
  regs_.Write32(mmio::kDeviceFeaturesSel, 0);
  device = regs_.Read32(mmio::kDeviceFeatures);
  if (!legacy()) {
    regs_.Write32(mmio::kDeviceFeaturesSel, 1);
    device |= static_cast<uint64_t>(regs_.Read32(mmio::kDeviceFeatures)) << 32;
    wanted |= kFeatureVersion1;
  } else {
    wanted &= 0xffffffffull;  // §4.2.4: legacy has one 32-bit feature word
  }
  const uint64_t accepted = device & wanted;
  if (!legacy() && (accepted & kFeatureVersion1) == 0) {
    Fail();  // §6.1: a modern device must offer VIRTIO_F_VERSION_1
    return Status::kNotSupported;
  }
  regs_.Write32(mmio::kDriverFeaturesSel, 0);
  regs_.Write32(mmio::kDriverFeatures, static_cast<uint32_t>(accepted));
  if (legacy()) {
    regs_.Write32(mmio::kGuestPageSize, kPageSize);
  } else {
    regs_.Write32(mmio::kDriverFeaturesSel, 1);
    regs_.Write32(mmio::kDriverFeatures, static_cast<uint32_t>(accepted >> 32));
    SetStatusBits(kStatusFeaturesOk);
    if ((regs_.Read32(mmio::kStatus) & kStatusFeaturesOk) == 0) {
      Fail();  // §3.1.1 step 6: the device refused this subset
      return Status::kNotSupported;
    }
  }
  negotiated_ = accepted;
  *negotiated = accepted;
  return Status::kOk;
}

Status MmioTransport::SetupQueue(uint32_t index, DmaAllocator& dma, uint32_t max_size,
                                 SplitVirtqueue* queue) {
  regs_.Write32(mmio::kQueueSel, index);
  const bool in_use =
      legacy() ? regs_.Read32(mmio::kQueuePfn) != 0 : regs_.Read32(mmio::kQueueReady) != 0;
  if (in_use) {
    return Status::kBadState;  // §4.2.3.2 step 2: the queue must be unused
  }
  uint32_t device_max = regs_.Read32(mmio::kQueueNumMax);
  if (device_max == 0) {
    return Status::kNotSupported;  // the queue does not exist
  }
  if (device_max > kMaxQueueSize) {
    device_max = kMaxQueueSize;
  }
  if (max_size == 0) {
    return Status::kInvalidArgs;
  }
  const uint32_t size = RoundDownPow2(device_max < max_size ? device_max : max_size);
  const bool event_idx = (negotiated_ & kFeatureEventIdx) != 0;
  if (Status s = queue->Init(dma, size, legacy() ? legacy_align_ : 0, event_idx);
      s != Status::kOk) {
    return s;
  }
  regs_.Write32(mmio::kQueueNum, size);
  if (legacy()) {
    regs_.Write32(mmio::kQueueAlign, legacy_align_);
    const uint64_t pfn = queue->desc_addr() / kPageSize;
    if (pfn == 0 || pfn > UINT32_MAX) {
      queue->Release();
      return Status::kNoResources;  // QueuePFN is 32 bits and 0 means "none"
    }
    regs_.Write32(mmio::kQueuePfn, static_cast<uint32_t>(pfn));
  } else {
    regs_.Write64Split(mmio::kQueueDescLow, queue->desc_addr());
    regs_.Write64Split(mmio::kQueueDriverLow, queue->avail_addr());
    regs_.Write64Split(mmio::kQueueDeviceLow, queue->used_addr());
    regs_.Write32(mmio::kQueueReady, 1);
  }
  return Status::kOk;
}

Status MmioTransport::set_legacy_queue_align(uint32_t align) {
  if (align < 4 || align > kPageSize || (align & (align - 1)) != 0) {
    return Status::kInvalidArgs;
  }
  legacy_align_ = align;
  return Status::kOk;
}

uint32_t MmioTransport::TakeInterrupt() {
  const uint32_t bits = regs_.Read32(mmio::kInterruptStatus);
  if (bits != 0) {
    regs_.Write32(mmio::kInterruptAck, bits);
  }
  return bits;
}

bool MmioTransport::ConfigInRange(uint32_t offset, size_t len) const {
  const uint32_t room = mmio::kWindowSize - mmio::kConfig;
  return version_ != 0 && offset <= room && len <= room - offset;
}

template <typename Fn>
Status MmioTransport::ConfigRead(Fn read) {
  if (legacy()) {
    read();
    return Status::kOk;
  }
  // §4.2.3.1 / §2.5.1: retry while ConfigGeneration changes under us.
  for (int i = 0; i < kMaxConfigRetries; i++) {
    const uint32_t before = regs_.Read32(mmio::kConfigGeneration);
    read();
    if (regs_.Read32(mmio::kConfigGeneration) == before) {
      return Status::kOk;
    }
  }
  return Status::kDeviceError;
}

Status MmioTransport::ReadConfig8(uint32_t offset, uint8_t* out) {
  if (!ConfigInRange(offset, 1)) {
    return Status::kInvalidArgs;
  }
  return ConfigRead([&] { *out = regs_.Read8(mmio::kConfig + offset); });
}

Status MmioTransport::ReadConfig16(uint32_t offset, uint16_t* out) {
  if (!ConfigInRange(offset, 2) || offset % 2 != 0) {
    return Status::kInvalidArgs;
  }
  return ConfigRead([&] { *out = regs_.Read16(mmio::kConfig + offset); });
}

Status MmioTransport::ReadConfig32(uint32_t offset, uint32_t* out) {
  if (!ConfigInRange(offset, 4) || offset % 4 != 0) {
    return Status::kInvalidArgs;
  }
  return ConfigRead([&] { *out = regs_.Read32(mmio::kConfig + offset); });
}

Status MmioTransport::ReadConfig64(uint32_t offset, uint64_t* out) {
  if (!ConfigInRange(offset, 8) || offset % 4 != 0) {
    return Status::kInvalidArgs;
  }
  if (!legacy()) {
    return ConfigRead([&] { *out = regs_.Read64Split(mmio::kConfig + offset); });
  }
  // Legacy: no generation counter; two equal reads in a row are consistent.
  uint64_t last = regs_.Read64Split(mmio::kConfig + offset);
  for (int i = 0; i < kMaxConfigRetries; i++) {
    const uint64_t again = regs_.Read64Split(mmio::kConfig + offset);
    if (again == last) {
      *out = again;
      return Status::kOk;
    }
    last = again;
  }
  return Status::kDeviceError;
}

Status MmioTransport::ReadConfigBytes(uint32_t offset, uint8_t* out, size_t len) {
  if (!ConfigInRange(offset, len)) {
    return Status::kInvalidArgs;
  }
  return ConfigRead([&] {
    for (size_t i = 0; i < len; i++) {
      out[i] = regs_.Read8(mmio::kConfig + offset + static_cast<uint32_t>(i));
    }
  });
}

}  // namespace mica::virtio
