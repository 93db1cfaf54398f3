// libFuzzer target: the virtio-net logic, its transport and its virtqueues
// against a device the input controls (fake_devices.h's network device):
// version, features, queue size, frames of any length injected or looped
// back, completions shorter than the header, wrong used ids and lengths, a
// used index that runs ahead, DEVICE_NEEDS_RESET, restarts.
//
// Besides ASan/UBSan it checks what Receive promises: a frame it returns is
// 14..1514 bytes, and while the device has not misbehaved since Start,
// frames arrive whole and in the order they were sent or injected.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <deque>
#include <vector>

#include "drivers/net/virtio-net/virtio_net.h"
#include "drivers/virtio/testing/fake_devices.h"

namespace {

using namespace mica::virtio;

struct Input {
  const uint8_t* data;
  size_t size;
  bool empty() const { return size == 0; }
  uint8_t Byte() {
    if (size == 0) {
      return 0;
    }
    size--;
    return *data++;
  }
  uint16_t U16() { return static_cast<uint16_t>(Byte() | (Byte() << 8)); }
};

void Check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

std::vector<uint8_t> Frame(size_t len, uint8_t seed) {
  std::vector<uint8_t> f(len);
  for (size_t i = 0; i < len; i++) {
    f[i] = static_cast<uint8_t>(i * 3 + seed);
  }
  return f;
}

bool Deliverable(size_t len) {
  return len >= VirtioNet::kMinFrame && len <= VirtioNet::kMaxFrame;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  const uint32_t version = (in.Byte() & 1) ? mmio::kVersionModern : mmio::kVersionLegacy;
  const uint64_t features = in.Byte() & 1 ? kNetFeatureMac : 0;
  const uint32_t queue_max = 1u << (in.Byte() % 9);
  const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
  testing::FakeDma dma;
  testing::FakeNetDevice dev(dma, version, features, mac, queue_max);
  MmioTransport transport(dev);
  if (transport.Probe() != Status::kOk) {
    return 0;
  }
  VirtioNet net(transport, dma);
  bool started = net.Start(in.Byte() + 1u) == Status::kOk;
  bool hostile = false;
  std::deque<std::vector<uint8_t>> expected;
  std::vector<uint8_t> out(VirtioNet::kMaxFrame);
  while (!in.empty()) {
    switch (in.Byte() % 7) {
      case 0: {
        const std::vector<uint8_t> f = Frame(in.U16() % 1600, in.Byte());
        if (net.Send(f.data(), f.size()) == Status::kOk) {
          Check(Deliverable(f.size()));
          if (dev.loopback) {
            expected.push_back(f);
          }
        }
        break;
      }
      case 1: {
        const std::vector<uint8_t> f = Frame(in.U16() % 2100, in.Byte());
        if (Deliverable(f.size())) {
          expected.push_back(f);
        }
        dev.Inject(f);
        break;
      }
      case 2: {
        size_t len = 0;
        const Status s = net.Receive(out.data(), out.size(), &len);
        if (s == Status::kOk) {
          Check(Deliverable(len));
          if (!hostile) {
            Check(!expected.empty() && expected.front().size() == len &&
                  memcmp(expected.front().data(), out.data(), len) == 0);
          }
          if (!expected.empty()) {
            expected.pop_front();
          }
        }
        break;
      }
      case 3: {
        const uint8_t how = in.Byte();
        dev.next_short = (how & 3) == 1;
        if ((how & 12) == 4) {
          dev.next_used_id = in.Byte() % (queue_max + 2);
        }
        if ((how & 48) == 16) {
          dev.extra_used_len = in.Byte() % 3;
        }
        if ((how & 192) == 64) {
          dev.used_idx_skip = in.Byte() % 3;
        }
        hostile = hostile || how != 0;
        break;
      }
      case 4:
        dev.RaiseNeedsReset();
        hostile = true;
        break;
      case 5:
        dev.loopback = in.Byte() & 1;
        break;
      case 6:
        // A new device life: no lie is pending from the previous one.
        dev.next_used_id.reset();
        dev.extra_used_len = 0;
        dev.used_idx_skip = 0;
        dev.next_short = false;
        started = net.Start(in.Byte() + 1u) == Status::kOk;
        hostile = false;
        expected.clear();  // the reset dropped whatever was queued
        break;
    }
    if (!started) {
      size_t len = 0;
      Check(net.Receive(out.data(), out.size(), &len) != Status::kOk);
    }
  }
  return 0;
}
