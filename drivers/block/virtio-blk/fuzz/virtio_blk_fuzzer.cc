// libFuzzer target: the virtio-blk logic, its transport and its virtqueue
// against a device the input controls (fake_devices.h's block device with
// every hostile knob): transport version, offered features, capacity,
// queue size, blk_size, seg_max and size_max, and a program of driver calls and device actions
// (complete any held request in any order, wrong used ids and lengths,
// status bytes, a used index that runs ahead, config generations that
// move, DEVICE_NEEDS_RESET, restarts).
//
// Besides ASan/UBSan, it checks the driver's promise to its clients: every
// completion Poll returns carries a cookie that was queued and not yet
// completed, so a device can never make the driver complete a request twice
// or invent one; after kDeviceError the driver refuses work until Start.
#include <stddef.h>
#include <stdint.h>

#include <set>

#include "drivers/block/virtio-blk/virtio_blk.h"
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
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
      v |= uint32_t{Byte()} << (8 * i);
    }
    return v;
  }
};

void Check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  const uint32_t version = (in.Byte() & 1) ? mmio::kVersionModern : mmio::kVersionLegacy;
  const uint64_t features = in.U32() | (uint64_t{in.Byte()} << 32);
  const uint64_t sectors = in.U32() % 256;
  const uint32_t queue_max = 1u << (in.Byte() % 11);
  const uint32_t blk_size = in.U32();
  testing::FakeDma dma;
  testing::FakeBlockDevice dev(dma, version, features, sectors, queue_max, blk_size);
  dev.SetConfigU32(12, in.Byte() % 10);       // seg_max (0: one segment)
  dev.SetConfigU32(8, in.Byte() % 4 * 1024);  // size_max
  dev.defer = true;
  MmioTransport transport(dev);
  if (transport.Probe() != Status::kOk) {
    return 0;
  }
  VirtioBlk blk(transport, dma);
  DmaRegion buffer;
  Check(buffer.Allocate(dma, 16 * 512, 512));
  bool started = blk.Start(in.Byte() + 1u, in.Byte() & 1) == Status::kOk;
  std::set<uint64_t> outstanding;
  uint64_t next_cookie = 0;
  while (!in.empty()) {
    switch (in.Byte() % 10) {
      case 0: {
        // A multi-segment request: up to 8 pieces of the buffer, any sizes.
        Segment segs[8];
        const size_t n = in.Byte() % 9;
        for (size_t i = 0; i < n; i++) {
          const uint32_t off = (in.Byte() % 16) * 512;
          const uint32_t len = (in.Byte() % 5) * 256;
          segs[i] = {buffer.device_addr() + off, len <= 16 * 512 - off ? len : 512, false};
        }
        const uint64_t sector = in.U32() % (sectors + 4);
        const uint64_t cookie = next_cookie++;
        const Status s = (in.Byte() & 1) ? blk.QueueReadSegments(sector, segs, n, cookie)
                                         : blk.QueueWriteSegments(sector, segs, n, cookie);
        if (s == Status::kOk) {
          outstanding.insert(cookie);
        }
        break;
      }
      case 1: {
        const uint64_t sector = in.U32() % (sectors + 4);
        const uint32_t len = (in.Byte() % 17) * 512 + ((in.Byte() & 7) == 0 ? 1 : 0);
        const uint64_t cookie = next_cookie++;
        const Status s = (in.Byte() & 1)
                             ? blk.QueueRead(sector, buffer.device_addr(), len, cookie)
                             : blk.QueueWrite(sector, buffer.device_addr(), len, cookie);
        if (s == Status::kOk) {
          outstanding.insert(cookie);
        }
        break;
      }
      case 2: {
        const uint64_t cookie = next_cookie++;
        if (blk.QueueFlush(cookie) == Status::kOk) {
          outstanding.insert(cookie);
        }
        break;
      }
      case 3:
        blk.Kick();
        break;
      case 4: {
        const uint8_t how = in.Byte();
        if (how & 1) {
          dev.forced_status = in.Byte() % 4;
        }
        if ((how & 6) == 2) {
          dev.next_used_id = in.Byte() % (queue_max + 2);
        }
        if ((how & 24) == 8) {
          dev.extra_used_len = in.Byte() % 3;
        }
        dev.skip_status_write = (how & 96) == 32;
        if (dev.held() > 0) {
          dev.ReleaseOne(in.Byte() % dev.held());
        }
        break;
      }
      case 5:
        dev.used_idx_skip = in.Byte() % 3;
        break;
      case 6: {
        BlkCompletion out[8];
        size_t n = 0;
        const Status s = blk.Poll(out, 8, &n);
        for (size_t i = 0; i < n; i++) {
          Check(outstanding.erase(out[i].cookie) == 1);  // queued, once
        }
        if (s == Status::kDeviceError) {
          Check(blk.QueueFlush(next_cookie++) == Status::kBadState);
          outstanding.clear();  // lost; the owner fails them to clients
        }
        break;
      }
      case 7:
        dev.RaiseNeedsReset();
        break;
      case 8:
        dev.generation_flips = in.Byte() % 80;
        break;
      case 9:
        started = blk.Start(in.Byte() + 1u, in.Byte() & 1) == Status::kOk;
        outstanding.clear();
        break;
    }
    Check(started || blk.in_flight() == 0);
  }
  return 0;
}
