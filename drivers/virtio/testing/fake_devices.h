// Personalities for the fake virtio-mmio device (fake_device.h): a block
// device over an in-memory disk (virtio 1.2 §5.2), an entropy source with a
// known byte stream (§5.4) and a network device that loops transmitted
// frames back to its receive queue (§5.1).
//
// Contract: each serves requests the way the spec's device requirements
// say, checks the driver's side of them (counting violations in
// driver_errors()), and can hold completions back (`defer`) so a test can
// release them in any order.
#pragma once

#include <stdint.h>

#include <deque>
#include <vector>

#include "drivers/virtio/testing/fake_device.h"

namespace mica::virtio::testing {

// A device that only collects chains; the test completes them itself.
class FakeHoldingDevice : public FakeVirtioDevice {
 public:
  FakeHoldingDevice(FakeDma& memory, uint32_t version, uint32_t device_id, uint64_t features,
                    uint32_t num_queues, uint32_t queue_num_max)
      : FakeVirtioDevice(memory, version, device_id, features, num_queues, queue_num_max) {}
  struct Held {
    uint32_t queue;
    Chain chain;
  };
  std::vector<Held> held;

 protected:
  void OnChain(uint32_t queue, Chain chain) override { held.push_back({queue, std::move(chain)}); }
  void OnReset() override { held.clear(); }
};

class FakeBlockDevice : public FakeVirtioDevice {
 public:
  // features: the device-specific bits offered (RO, BLK_SIZE, FLUSH, ...).
  FakeBlockDevice(FakeDma& memory, uint32_t version, uint64_t features, uint64_t sectors,
                  uint32_t queue_num_max, uint32_t blk_size = 512);

  std::vector<uint8_t> disk;
  bool defer = false;
  uint8_t forced_status = 0xff;    // != 0xff: the status byte of the next completion
  bool skip_status_write = false;  // the next completion leaves the status byte alone
  uint64_t flushes = 0;
  uint64_t requests = 0;

  // Completes held requests in the order given (indices into held()).
  void Release(const std::vector<size_t>& order);
  // Completes held request `i` alone (the others stay held).
  void ReleaseOne(size_t i);
  size_t held() const { return held_.size(); }
  // §5.2.4 fields (offsets into config): size_max at 8, seg_max at 12.
  // Chains over them count in driver_errors() when the feature is on.
  uint32_t ConfigU32(size_t offset) const;
  void SetConfigU32(size_t offset, uint32_t value);

 protected:
  void OnChain(uint32_t queue, Chain chain) override;
  void OnReset() override { held_.clear(); }

 private:
  void Serve(const Chain& chain);
  std::vector<Chain> held_;
};

class FakeRngDevice : public FakeVirtioDevice {
 public:
  FakeRngDevice(FakeDma& memory, uint32_t version, uint32_t queue_num_max);

  // Byte i of the stream the device produces.
  static uint8_t StreamByte(uint64_t i) {
    return static_cast<uint8_t>((i * 167 + (i >> 8)) ^ 0x5a);
  }
  uint64_t produced = 0;
  uint32_t max_fill = UINT32_MAX;  // fill at most this many bytes per buffer
  bool defer = false;
  void Release();

 protected:
  void OnChain(uint32_t queue, Chain chain) override;
  void OnReset() override { held_.clear(); }

 private:
  void Serve(const Chain& chain);
  std::deque<Chain> held_;
};

class FakeNetDevice : public FakeVirtioDevice {
 public:
  FakeNetDevice(FakeDma& memory, uint32_t version, uint64_t features, const uint8_t mac[6],
                uint32_t queue_num_max);

  bool loopback = true;
  bool next_short = false;                 // the next frame is reported shorter than its header
  std::vector<std::vector<uint8_t>> sent;  // frames without their header
  // Queues a frame for the receive queue (delivered as buffers allow).
  void Inject(const std::vector<uint8_t>& frame);
  size_t header_size() const;
  size_t rx_buffers_posted() const { return rx_buffers_.size(); }

 protected:
  void OnChain(uint32_t queue, Chain chain) override;
  void OnReset() override;

 private:
  void Deliver();
  std::deque<Chain> rx_buffers_;
  std::deque<std::vector<uint8_t>> pending_;
};

}  // namespace mica::virtio::testing
