// virtio-net driver logic (virtio 1.2 §5.1): one receive queue (0) and one
// transmit queue (1), Ethernet frames behind a virtio_net_hdr, no offloads.
//
// Contract:
// - Start() negotiates VIRTIO_NET_F_MAC only (plus VERSION_1 on modern): no
//   checksum or segmentation offload, no mergeable buffers, no control
//   queue, so every frame is whole and fully checksummed. The header is 12
//   bytes with VERSION_1 and 10 on legacy (§5.1.6, num_buffers exists only
//   with VERSION_1 or MRG_RXBUF). mac() is valid if has_mac(); otherwise
//   the owner picks a locally administered address (§5.1.5).
// - Every frame uses two descriptors, header then frame, so a legacy device
//   without VIRTIO_F_ANY_LAYOUT gets the header in a descriptor of its own
//   (§5.1.6.6 legacy). Receive keeps up to kMaxSlots buffers of
//   kBufferSize posted (§5.1.6.3.1: at least 1526 bytes with no GSO).
// - Send(frame, len) copies 14 <= len <= kMaxFrame bytes into a free
//   transmit slot (completed transmissions are reaped first) and kicks;
//   kNoResources when all are in flight.
// - Receive(out, cap, &len) needs cap >= kMaxFrame; it returns the next
//   frame without its header and re-posts the buffer, kShouldWait if none.
//   A used length shorter than the header, a bad id or length, or
//   DEVICE_NEEDS_RESET gives kDeviceError until Start is called again.
// - HandleInterrupt() acknowledges the interrupt and checks for a reset
//   request; Receive and Send call it, an owner may too.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "drivers/bus/virtio-mmio/transport.h"
#include "drivers/virtio/lib/dma.h"
#include "drivers/virtio/lib/virtqueue.h"

namespace mica::virtio {

inline constexpr uint64_t kNetFeatureMac = 1ull << 5;  // §5.1.3
inline constexpr uint32_t kNetConfigMac = 0;           // §5.1.4
inline constexpr uint32_t kNetQueueReceive = 0;        // §5.1.2
inline constexpr uint32_t kNetQueueTransmit = 1;

class VirtioNet {
 public:
  static constexpr uint32_t kMaxSlots = 64;
  static constexpr uint32_t kBufferSize = 2048;
  static constexpr size_t kMinFrame = 14;    // an Ethernet header
  static constexpr size_t kMaxFrame = 1514;  // no VLAN tag, no FCS

  VirtioNet(MmioTransport& transport, DmaAllocator& dma) : transport_(transport), dma_(dma) {}
  VirtioNet(const VirtioNet&) = delete;
  VirtioNet& operator=(const VirtioNet&) = delete;

  Status Start(uint32_t max_queue_size = 256);
  bool has_mac() const { return has_mac_; }
  const uint8_t* mac() const { return mac_; }
  size_t header_size() const { return header_size_; }
  uint32_t rx_slots() const { return rx_count_; }
  uint32_t tx_slots() const { return tx_count_; }

  Status Send(const uint8_t* frame, size_t len);
  Status Receive(uint8_t* out, size_t cap, size_t* len);
  Status HandleInterrupt();

 private:
  Status PostRx(uint32_t slot);
  Status ReapTx();
  Status Broken();
  uint8_t* rx_buffer(uint32_t slot) const { return pages_[slot].cpu(); }
  uint8_t* tx_buffer(uint32_t slot) const { return pages_[slot].cpu() + kBufferSize; }
  // Index < kMaxSlots: receive buffer `index`; else transmit buffer
  // `index - kMaxSlots`.
  uint64_t device_addr(uint32_t index) const {
    return index < kMaxSlots ? pages_[index].device_addr()
                             : pages_[index - kMaxSlots].device_addr() + kBufferSize;
  }

  MmioTransport& transport_;
  DmaAllocator& dma_;
  SplitVirtqueue rx_;
  SplitVirtqueue tx_;
  DmaRegion pages_[kMaxSlots];  // per slot: its receive then its transmit buffer
  uint32_t tx_free_[kMaxSlots] = {};
  uint32_t tx_free_count_ = 0;
  uint32_t rx_count_ = 0;
  uint32_t tx_count_ = 0;
  size_t header_size_ = 0;
  uint8_t mac_[6] = {};
  bool has_mac_ = false;
  bool running_ = false;
};

}  // namespace mica::virtio
