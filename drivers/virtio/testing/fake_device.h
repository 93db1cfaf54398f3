// A fake virtio-mmio device for host tests: the register file of both
// versions (legacy 1 and modern 2, virtio 1.2 §4.2.2 / §4.2.4, behaving as
// QEMU's hw/virtio/virtio-mmio.c does) and the device side of split
// virtqueues (§2.7) over FakeDma memory. Subclasses (fake_devices.h) add
// a personality: block, entropy, network.
//
// Contract:
// - A control register accessed with a width other than 32 bits, a register
//   of the other version, or a config access that is misaligned or outside
//   the config space, is counted in bad_accesses() (QEMU logs and ignores
//   them); tests assert that a driver makes none.
// - On QueueNotify the device walks every new available chain with the same
//   distrust a real device has of the driver (indices, loops, addresses,
//   readable-after-writable); a malformed chain counts in driver_errors()
//   and sets DEVICE_NEEDS_RESET.
// - Completions go through Complete(), which writes the used element and
//   raises the used-buffer interrupt, honouring NO_INTERRUPT / used_event.
// - Hostile knobs let tests make the device misbehave: a wrong used id,
//   a used length beyond the buffer, a used index that jumps, a config
//   generation that changes on reads, DEVICE_NEEDS_RESET.
#pragma once

#include <stdint.h>

#include <deque>
#include <optional>
#include <vector>

#include "drivers/virtio/lib/spec.h"
#include "drivers/virtio/testing/fake_dma.h"
#include "mica/driver/mmio.h"

namespace mica::virtio::testing {

struct Chain {
  uint16_t head = 0;
  std::vector<uint8_t> readable;  // the device-readable bytes, concatenated
  struct Span {
    uint64_t addr;
    uint32_t len;
  };
  std::vector<Span> writable;
  std::vector<uint32_t> lengths;  // every descriptor's length, in chain order
  uint64_t writable_bytes() const {
    uint64_t n = 0;
    for (const Span& s : writable) {
      n += s.len;
    }
    return n;
  }
};

struct FakeQueue {
  uint32_t num = 0;
  bool ready = false;  // modern QueueReady, or legacy QueuePFN != 0
  uint32_t pfn = 0;
  uint32_t align = 4096;  // QEMU's reset value (VIRTIO_PCI_VRING_ALIGN)
  uint64_t desc = 0, avail = 0, used = 0;
  uint16_t last_avail = 0;
  uint16_t used_idx = 0;
};

class FakeVirtioDevice : public driver::RegisterIo {
 public:
  FakeVirtioDevice(FakeDma& memory, uint32_t version, uint32_t device_id, uint64_t features,
                   uint32_t num_queues, uint32_t queue_num_max);

  uint8_t Read8(uint32_t offset) override;
  uint16_t Read16(uint32_t offset) override;
  uint32_t Read32(uint32_t offset) override;
  void Write8(uint32_t offset, uint8_t value) override;
  void Write16(uint32_t offset, uint16_t value) override;
  void Write32(uint32_t offset, uint32_t value) override;

  // Device side.
  void Complete(uint32_t queue, const Chain& chain, uint32_t len);
  bool WriteChain(const Chain& chain, uint64_t offset, const void* data, uint64_t len);
  void RaiseNeedsReset();
  void RaiseConfigChange() { interrupt_status_ |= mmio::kInterruptConfigChange; }
  // Processes the available ring of `queue` as a notify would.
  void ProcessQueue(uint32_t queue);

  // Observations.
  uint8_t status() const { return status_; }
  uint64_t driver_features() const { return driver_features_; }
  uint32_t interrupt_status() const { return interrupt_status_; }
  uint64_t bad_accesses() const { return bad_accesses_; }
  uint64_t driver_errors() const { return driver_errors_; }
  uint64_t notifies() const { return notifies_; }
  uint64_t interrupts_raised() const { return interrupts_raised_; }
  uint64_t resets() const { return resets_; }
  const FakeQueue& queue(uint32_t i) const { return queues_[i]; }
  bool negotiated(uint64_t feature) const { return (driver_features_ & feature) != 0; }

  // Configuration space (little-endian bytes) and hostile knobs.
  std::vector<uint8_t> config;
  uint32_t config_generation = 0;
  int generation_flips = 0;              // the next N config reads each bump the generation
  std::optional<uint32_t> next_used_id;  // overrides the id of the next completion
  uint32_t extra_used_len = 0;           // added to the next completion's len
  uint16_t used_idx_skip = 0;            // added to used->idx once
  bool suppress_notify = false;          // sets used->flags NO_NOTIFY
  int reset_polls_nonzero = 0;           // Status reads that stay non-zero after a reset
  bool refuse_features_ok = false;       // a modern device that rejects every subset

 protected:
  virtual void OnChain(uint32_t queue, Chain chain) = 0;
  virtual void OnReset() {}
  FakeDma& memory_;
  uint64_t driver_errors_ = 0;

 private:
  uint32_t ReadRegister(uint32_t offset);
  void WriteRegister(uint32_t offset, uint32_t value);
  bool ConfigAccess(uint32_t offset, uint32_t width);
  uint64_t ConfigRead(uint32_t offset, uint32_t width);
  void WriteStatus(uint32_t value);
  void Reset();
  void LegacyLayout(FakeQueue& q);
  bool ReadChain(FakeQueue& q, uint16_t head, Chain* chain);
  uint16_t* GuestU16(uint64_t addr);

  uint32_t version_;
  uint32_t device_id_;
  uint64_t features_;
  uint32_t queue_num_max_;
  std::vector<FakeQueue> queues_;
  uint32_t queue_sel_ = 0;
  uint32_t device_features_sel_ = 0;
  uint32_t driver_features_sel_ = 0;
  uint32_t driver_features_words_[2] = {0, 0};
  uint64_t driver_features_ = 0;
  uint32_t guest_page_size_ = 0;
  uint8_t status_ = 0;
  uint32_t interrupt_status_ = 0;
  uint64_t bad_accesses_ = 0;
  uint64_t notifies_ = 0;
  uint64_t interrupts_raised_ = 0;
  uint64_t resets_ = 0;
  int pending_nonzero_polls_ = 0;
};

}  // namespace mica::virtio::testing
