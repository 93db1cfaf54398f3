// Host tests of the virtio-rng logic (virtio_rng.h) against the fake
// entropy device on both transport versions: the bytes handed out are
// exactly the device's stream in order, across buffer boundaries, short
// fills, zero-length completions, every queue size and index wraparound;
// a device that lies or asks for a reset is refused until Start.
#include "drivers/entropy/virtio-rng/virtio_rng.h"

#include <gtest/gtest.h>

#include <vector>

#include "drivers/virtio/testing/fake_devices.h"

namespace mica::virtio {
namespace {

using testing::FakeDma;
using testing::FakeRngDevice;

struct Rig {
  Rig(uint32_t version, uint32_t queue_max = 64)
      : device(dma, version, queue_max), transport(device), rng(transport, dma) {
    EXPECT_EQ(transport.Probe(), Status::kOk);
  }
  ~Rig() {
    EXPECT_EQ(device.bad_accesses(), 0u);
    EXPECT_EQ(device.driver_errors(), 0u);
  }
  // Reads `n` bytes, checking each against the device's stream.
  void ExpectStream(uint64_t* position, size_t n, size_t chunk) {
    std::vector<uint8_t> out(chunk);
    size_t total = 0;
    int idle = 0;  // reads that found nothing ready, in a row
    while (total < n) {
      size_t got = 0;
      ASSERT_EQ(rng.Read(out.data(), std::min(chunk, n - total), &got), Status::kOk);
      idle = got == 0 ? idle + 1 : 0;
      ASSERT_LT(idle, 3);  // the fake completes at the notify: one empty read at most
      for (size_t i = 0; i < got; i++) {
        ASSERT_EQ(out[i], FakeRngDevice::StreamByte(*position + i)) << *position + i;
      }
      *position += got;
      total += got;
    }
  }
  FakeDma dma;
  FakeRngDevice device;
  MmioTransport transport;
  VirtioRng rng;
};

class Versions : public ::testing::TestWithParam<uint32_t> {};

TEST_P(Versions, DeliversTheDeviceStreamInOrderInAnyChunking) {
  for (size_t chunk : {1u, 7u, 256u, 1000u, 4096u}) {
    SCOPED_TRACE(chunk);
    Rig rig(GetParam());
    ASSERT_EQ(rig.rng.Start(), Status::kOk);
    EXPECT_EQ(rig.rng.buffers(), VirtioRng::kMaxBuffers);
    uint64_t position = 0;
    rig.ExpectStream(&position, 20000, chunk);
    EXPECT_EQ(rig.rng.bytes_delivered(), 20000u);
  }
}

TEST_P(Versions, ShortAndEmptyFillsAreFine) {
  for (uint32_t fill : {0u, 1u, 13u}) {
    SCOPED_TRACE(fill);
    Rig rig(GetParam());
    rig.device.max_fill = fill;
    ASSERT_EQ(rig.rng.Start(), Status::kOk);
    std::vector<uint8_t> out(64);
    size_t got = 0;
    ASSERT_EQ(rig.rng.Read(out.data(), out.size(), &got), Status::kOk);
    if (fill == 0) {
      EXPECT_EQ(got, 0u);
      rig.device.max_fill = UINT32_MAX;
      rig.device.Release();  // nothing is held; the reposted buffers were served
    }
    uint64_t position = 0;
    if (fill != 0) {
      for (size_t i = 0; i < got; i++) {
        ASSERT_EQ(out[i], FakeRngDevice::StreamByte(i));
      }
      position = got;
      rig.device.max_fill = UINT32_MAX;
    }
    rig.ExpectStream(&position, 3000, 100);
  }
}

TEST_P(Versions, NothingReadyMeansZeroBytesNotAnError) {
  Rig rig(GetParam());
  rig.device.defer = true;
  ASSERT_EQ(rig.rng.Start(), Status::kOk);
  uint8_t out[16];
  size_t got = 1;
  EXPECT_EQ(rig.rng.Read(out, sizeof(out), &got), Status::kOk);
  EXPECT_EQ(got, 0u);
  rig.device.defer = false;
  rig.device.Release();
  uint64_t position = 0;
  rig.ExpectStream(&position, 5000, 64);
}

TEST_P(Versions, EveryQueueSizeAndWraparound) {
  for (uint32_t size = 1; size <= 1024; size *= 2) {
    SCOPED_TRACE(size);
    Rig rig(GetParam(), size);
    ASSERT_EQ(rig.rng.Start(1024), Status::kOk);
    EXPECT_EQ(rig.rng.buffers(), std::min<uint32_t>(size, VirtioRng::kMaxBuffers));
    uint64_t position = 0;
    // 70000 buffers of 256 bytes pass through the ring: indices wrap.
    const size_t total = size == 1 ? 70000u * VirtioRng::kBufferSize : 300000u;
    rig.ExpectStream(&position, total, 4096);
    if (size == 1) {
      EXPECT_LT(rig.device.queue(0).used_idx, 70000u - 65536u + 2);
    }
  }
}

TEST_P(Versions, ALyingDeviceIsRefusedUntilRestart) {
  for (int fault = 0; fault < 3; fault++) {
    SCOPED_TRACE(fault);
    Rig rig(GetParam());
    rig.device.defer = true;
    ASSERT_EQ(rig.rng.Start(), Status::kOk);
    if (fault == 0) {
      rig.device.next_used_id = 63;
    } else if (fault == 1) {
      rig.device.extra_used_len = 1;
    } else {
      rig.device.RaiseNeedsReset();
    }
    rig.device.Release();
    uint8_t out[16];
    size_t got = 0;
    EXPECT_EQ(rig.rng.Read(out, sizeof(out), &got), Status::kDeviceError);
    EXPECT_EQ(rig.rng.Read(out, sizeof(out), &got), Status::kBadState);
    rig.device.defer = false;
    ASSERT_EQ(rig.rng.Start(), Status::kOk);
    uint64_t position = rig.device.produced - VirtioRng::kMaxBuffers * VirtioRng::kBufferSize;
    rig.ExpectStream(&position, 1000, 100);
  }
}

TEST_P(Versions, StartRefusesOtherDevices) {
  FakeDma dma;
  testing::FakeBlockDevice blk(dma, GetParam(), 0, 8, 8);
  MmioTransport t(blk);
  ASSERT_EQ(t.Probe(), Status::kOk);
  VirtioRng rng(t, dma);
  EXPECT_EQ(rng.Start(), Status::kNotSupported);
  uint8_t out[4];
  size_t got;
  EXPECT_EQ(rng.Read(out, 4, &got), Status::kBadState);
}

INSTANTIATE_TEST_SUITE_P(Both, Versions,
                         ::testing::Values(mmio::kVersionLegacy, mmio::kVersionModern),
                         [](const auto& info) {
                           return info.param == mmio::kVersionLegacy ? "Legacy" : "Modern";
                         });

}  // namespace
}  // namespace mica::virtio
