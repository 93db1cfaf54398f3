// Constants and wire layouts from the virtio 1.2 specification that the
// transport, the split virtqueue and the device drivers share. Nothing here
// has behaviour; every number cites its section.
//
// Contract: all multi-byte fields are little-endian (virtio 1.2 §1.4, and a
// legacy device on a little-endian guest is native = little), which is what
// Mica runs on, so the structs are used in place without swapping.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mica::virtio {

// §2.1 Device Status Field.
inline constexpr uint8_t kStatusAcknowledge = 1;
inline constexpr uint8_t kStatusDriver = 2;
inline constexpr uint8_t kStatusDriverOk = 4;
inline constexpr uint8_t kStatusFeaturesOk = 8;
inline constexpr uint8_t kStatusDeviceNeedsReset = 64;
inline constexpr uint8_t kStatusFailed = 128;

// §6 Reserved Feature Bits (bits 24..40 are the transport's and the ring's).
inline constexpr uint64_t kFeatureIndirectDesc = 1ull << 28;  // VIRTIO_F_INDIRECT_DESC
inline constexpr uint64_t kFeatureEventIdx = 1ull << 29;      // VIRTIO_F_EVENT_IDX
inline constexpr uint64_t kFeatureVersion1 = 1ull << 32;      // VIRTIO_F_VERSION_1
inline constexpr uint64_t kFeatureAccessPlatform = 1ull << 33;
inline constexpr uint64_t kFeatureRingPacked = 1ull << 34;

// §5 Device IDs.
inline constexpr uint32_t kDeviceIdNet = 1;
inline constexpr uint32_t kDeviceIdBlock = 2;
inline constexpr uint32_t kDeviceIdConsole = 3;
inline constexpr uint32_t kDeviceIdEntropy = 4;

// §4.2.2 MMIO Device Register Layout (offsets into the 0x200 window).
// Registers marked legacy exist only in version 1 (§4.2.4).
namespace mmio {
inline constexpr uint32_t kMagicValue = 0x000;  // "virt" = 0x74726976
inline constexpr uint32_t kVersion = 0x004;     // 1 legacy, 2 modern
inline constexpr uint32_t kDeviceId = 0x008;
inline constexpr uint32_t kVendorId = 0x00c;
inline constexpr uint32_t kDeviceFeatures = 0x010;
inline constexpr uint32_t kDeviceFeaturesSel = 0x014;
inline constexpr uint32_t kDriverFeatures = 0x020;
inline constexpr uint32_t kDriverFeaturesSel = 0x024;
inline constexpr uint32_t kGuestPageSize = 0x028;  // legacy
inline constexpr uint32_t kQueueSel = 0x030;
inline constexpr uint32_t kQueueNumMax = 0x034;
inline constexpr uint32_t kQueueNum = 0x038;
inline constexpr uint32_t kQueueAlign = 0x03c;  // legacy
inline constexpr uint32_t kQueuePfn = 0x040;    // legacy
inline constexpr uint32_t kQueueReady = 0x044;  // modern
inline constexpr uint32_t kQueueNotify = 0x050;
inline constexpr uint32_t kInterruptStatus = 0x060;
inline constexpr uint32_t kInterruptAck = 0x064;
inline constexpr uint32_t kStatus = 0x070;
inline constexpr uint32_t kQueueDescLow = 0x080;  // modern, through 0x0a4
inline constexpr uint32_t kQueueDescHigh = 0x084;
inline constexpr uint32_t kQueueDriverLow = 0x090;
inline constexpr uint32_t kQueueDriverHigh = 0x094;
inline constexpr uint32_t kQueueDeviceLow = 0x0a0;
inline constexpr uint32_t kQueueDeviceHigh = 0x0a4;
inline constexpr uint32_t kConfigGeneration = 0x0fc;  // modern
inline constexpr uint32_t kConfig = 0x100;
inline constexpr uint32_t kWindowSize = 0x200;  // what QEMU virt's DT gives

inline constexpr uint32_t kMagic = 0x74726976;
inline constexpr uint32_t kVersionLegacy = 1;
inline constexpr uint32_t kVersionModern = 2;

// §4.2.2 InterruptStatus bits.
inline constexpr uint32_t kInterruptUsedBuffer = 1;
inline constexpr uint32_t kInterruptConfigChange = 2;
}  // namespace mmio

// §2.7.5 The Virtqueue Descriptor Table.
inline constexpr uint16_t kDescFlagNext = 1;
inline constexpr uint16_t kDescFlagWrite = 2;
inline constexpr uint16_t kDescFlagIndirect = 4;

struct VirtqDesc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
static_assert(sizeof(VirtqDesc) == 16);

// §2.7.6 The Virtqueue Available Ring; §2.7.8 The Virtqueue Used Ring.
inline constexpr uint16_t kAvailFlagNoInterrupt = 1;
inline constexpr uint16_t kUsedFlagNoNotify = 1;

struct VirtqUsedElem {
  uint32_t id;  // head of the used chain (32 bits for padding, §2.7.8)
  uint32_t len;
};
static_assert(sizeof(VirtqUsedElem) == 8);

// §2.7 "Queue Size value is always a power of 2. The maximum Queue Size
// value is 32768" (split virtqueues).
inline constexpr uint32_t kMaxQueueSize = 32768;

// §2.7 alignment of the three parts (modern); §2.7.2 legacy layout.
inline constexpr size_t kDescAlign = 16;
inline constexpr size_t kAvailAlign = 2;
inline constexpr size_t kUsedAlign = 4;

// Sizes of the parts for `n` entries, with room for used_event/avail_event
// (§2.7.6, §2.7.8: always present in memory, used only with EVENT_IDX).
constexpr size_t DescTableBytes(size_t n) {
  return 16 * n;
}
constexpr size_t AvailRingBytes(size_t n) {
  return 6 + 2 * n;
}
constexpr size_t UsedRingBytes(size_t n) {
  return 6 + 8 * n;
}
constexpr size_t AlignUp(size_t v, size_t a) {
  return (v + a - 1) & ~(a - 1);
}

// §2.7.10 "vring_need_event": true when the other side asked to be told
// once the index passes `event`, given it moved from `old_idx` to `new_idx`.
constexpr bool NeedEvent(uint16_t event, uint16_t new_idx, uint16_t old_idx) {
  return static_cast<uint16_t>(new_idx - event - 1) < static_cast<uint16_t>(new_idx - old_idx);
}

}  // namespace mica::virtio
