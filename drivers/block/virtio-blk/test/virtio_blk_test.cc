// Host tests of the virtio-blk logic (virtio_blk.h) against the fake block
// device on both transport versions: every byte written lands on the disk
// and reads back, many requests in flight completing out of order, every
// queue size, index wraparound, read-only devices, range checks, flush with
// and without VIRTIO_BLK_F_FLUSH, the status byte, and devices that break
// the protocol or ask for a reset (then Start recovers).
#include "drivers/block/virtio-blk/virtio_blk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "drivers/virtio/testing/fake_devices.h"

namespace mica::virtio {
namespace {

using testing::FakeBlockDevice;
using testing::FakeDma;

constexpr uint64_t kAllFeatures = kBlkFeatureFlush | kBlkFeatureBlkSize | kBlkFeatureSizeMax |
                                  kFeatureEventIdx | kBlkFeatureSegMax;

struct Rig {
  Rig(uint32_t version, uint64_t features = kAllFeatures, uint64_t sectors = 2048,
      uint32_t queue_max = 128, uint32_t blk_size = 512)
      : device(dma, version, features, sectors, queue_max, blk_size),
        transport(device),
        blk(transport, dma) {
    EXPECT_EQ(transport.Probe(), Status::kOk);
    data.Allocate(dma, 1 << 20, 512);
  }
  ~Rig() { EXPECT_EQ(device.bad_accesses(), 0u); }

  uint8_t* buf(uint32_t offset) { return data.cpu() + offset; }
  uint64_t addr(uint32_t offset) { return data.device_addr() + offset; }
  // Polls until `n` completions arrived (the fake completes synchronously).
  std::vector<BlkCompletion> Drain(size_t n) {
    std::vector<BlkCompletion> all;
    BlkCompletion out[16];
    for (int spins = 0; all.size() < n && spins < 100000; spins++) {
      size_t count = 0;
      EXPECT_EQ(blk.Poll(out, 16, &count), Status::kOk);
      all.insert(all.end(), out, out + count);
    }
    return all;
  }

  FakeDma dma;
  FakeBlockDevice device;
  MmioTransport transport;
  VirtioBlk blk;
  DmaRegion data;
};

uint8_t Pattern(uint64_t byte, uint32_t seed) {
  return static_cast<uint8_t>((byte * 31 + seed) ^ (byte >> 9));
}

class Versions : public ::testing::TestWithParam<uint32_t> {};

TEST_P(Versions, WritesLandOnTheDiskAndReadBackWithManyInFlight) {
  for (bool event_idx : {false, true}) {
    SCOPED_TRACE(event_idx);
    Rig rig(GetParam());
    ASSERT_EQ(rig.blk.Start(128, event_idx), Status::kOk);
    EXPECT_EQ(rig.blk.capacity(), 2048u);
    EXPECT_EQ(rig.blk.block_size(), 512u);
    EXPECT_FALSE(rig.blk.read_only());
    EXPECT_TRUE(rig.blk.has_flush());
    EXPECT_EQ(rig.blk.max_in_flight(), 128u / 3);
    // Write the whole disk in 8 KiB requests, as many in flight as fit.
    const uint32_t kChunk = 8192;
    const uint64_t disk_bytes = rig.blk.capacity() * kSectorSize;
    for (uint64_t i = 0; i < disk_bytes; i++) {
      rig.buf(0)[i % (1 << 20)] = 0;
    }
    uint64_t next = 0;
    size_t completed = 0;
    while (completed < disk_bytes / kChunk) {
      while (next < disk_bytes && rig.blk.in_flight() < rig.blk.max_in_flight()) {
        const uint32_t off = static_cast<uint32_t>(next % (1 << 20));
        for (uint32_t i = 0; i < kChunk; i++) {
          rig.buf(off)[i] = Pattern(next + i, 3);
        }
        ASSERT_EQ(rig.blk.QueueWrite(next / kSectorSize, rig.addr(off), kChunk, next), Status::kOk);
        next += kChunk;
      }
      rig.blk.Kick();
      for (const BlkCompletion& c : rig.Drain(1)) {
        EXPECT_EQ(c.status, Status::kOk);
        completed++;
      }
    }
    for (uint64_t i = 0; i < disk_bytes; i++) {
      ASSERT_EQ(rig.device.disk[i], Pattern(i, 3)) << i;
    }
    // Read it all back into a cleared buffer, 4 KiB at a time.
    memset(rig.buf(0), 0, disk_bytes);
    for (uint64_t off = 0; off < disk_bytes; off += 4096) {
      ASSERT_EQ(
          rig.blk.QueueRead(off / kSectorSize, rig.addr(static_cast<uint32_t>(off)), 4096, off),
          Status::kOk);
      if (rig.blk.in_flight() == rig.blk.max_in_flight()) {
        rig.blk.Kick();
        ASSERT_EQ(rig.Drain(rig.blk.max_in_flight()).size(), rig.blk.max_in_flight());
      }
    }
    rig.blk.Kick();
    rig.Drain(rig.blk.in_flight());
    EXPECT_EQ(rig.blk.in_flight(), 0u);
    for (uint64_t i = 0; i < disk_bytes; i++) {
      ASSERT_EQ(rig.buf(0)[i], Pattern(i, 3)) << i;
    }
    EXPECT_EQ(rig.device.driver_errors(), 0u);
  }
}

TEST_P(Versions, OutOfOrderCompletionsReturnTheRightCookiesAndData) {
  Rig rig(GetParam());
  for (uint64_t i = 0; i < rig.device.disk.size(); i++) {
    rig.device.disk[i] = Pattern(i, 9);
  }
  ASSERT_EQ(rig.blk.Start(), Status::kOk);
  rig.device.defer = true;
  std::mt19937 rng(77);
  const uint32_t n = rig.blk.max_in_flight();
  std::vector<uint64_t> sectors;
  for (uint32_t i = 0; i < n; i++) {
    sectors.push_back(rng() % 2040);
    ASSERT_EQ(rig.blk.QueueRead(sectors[i], rig.addr(i * 4096), 4096, i), Status::kOk);
  }
  EXPECT_EQ(rig.blk.QueueRead(0, rig.addr(0), 512, 99), Status::kNoResources);
  rig.blk.Kick();
  ASSERT_EQ(rig.device.held(), n);
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; i++) {
    order[i] = i;
  }
  std::shuffle(order.begin(), order.end(), rng);
  rig.device.Release(order);
  std::vector<BlkCompletion> done = rig.Drain(n);
  ASSERT_EQ(done.size(), n);
  std::set<uint64_t> cookies;
  for (size_t i = 0; i < n; i++) {
    EXPECT_EQ(done[i].cookie, order[i]);  // completion order is the device's
    EXPECT_EQ(done[i].status, Status::kOk);
    cookies.insert(done[i].cookie);
  }
  EXPECT_EQ(cookies.size(), n);
  for (uint32_t i = 0; i < n; i++) {
    for (uint32_t b = 0; b < 4096; b++) {
      ASSERT_EQ(rig.buf(i * 4096)[b], Pattern(sectors[i] * 512 + b, 9));
    }
  }
}

TEST_P(Versions, EveryQueueSize) {
  for (uint32_t size = 1; size <= 1024; size *= 2) {
    SCOPED_TRACE(size);
    Rig rig(GetParam(), kAllFeatures, 64, size);
    if (size < 4) {
      EXPECT_EQ(rig.blk.Start(size), Status::kNotSupported);
      EXPECT_TRUE(rig.device.status() & kStatusFailed);
      continue;
    }
    ASSERT_EQ(rig.blk.Start(1024), Status::kOk);
    const uint32_t n = rig.blk.max_in_flight();
    EXPECT_EQ(n, size / 3);
    for (uint32_t i = 0; i < n; i++) {
      ASSERT_EQ(rig.blk.QueueWrite(i % 64, rig.addr(0), 512, i), Status::kOk);
    }
    EXPECT_EQ(rig.blk.QueueFlush(n), Status::kNoResources);
    rig.blk.Kick();
    EXPECT_EQ(rig.Drain(n).size(), n);
  }
}

TEST_P(Versions, RingIndicesWrapPast65535) {
  Rig rig(GetParam(), kAllFeatures, 16, 8);  // 2 requests in flight
  ASSERT_EQ(rig.blk.Start(), Status::kOk);
  ASSERT_EQ(rig.blk.max_in_flight(), 2u);
  for (uint32_t i = 0; i < 35000; i++) {
    rig.buf(0)[0] = static_cast<uint8_t>(i);
    rig.buf(512)[0] = static_cast<uint8_t>(i + 1);
    ASSERT_EQ(rig.blk.QueueWrite(i % 16, rig.addr(0), 512, 2 * i), Status::kOk);
    ASSERT_EQ(rig.blk.QueueRead((i + 7) % 16, rig.addr(1024), 512, 2 * i + 1), Status::kOk);
    rig.blk.Kick();
    std::vector<BlkCompletion> done = rig.Drain(2);
    ASSERT_EQ(done.size(), 2u);
    ASSERT_EQ(done[0].cookie, 2u * i);
    ASSERT_EQ(done[1].cookie, 2u * i + 1);
    ASSERT_EQ(rig.device.disk[(i % 16) * 512], static_cast<uint8_t>(i));
  }
  EXPECT_LT(rig.device.queue(0).used_idx, 70000u - 65536u + 1);
}

TEST_P(Versions, ReadOnlyDevicesRefuseWrites) {
  Rig rig(GetParam(), kAllFeatures | kBlkFeatureRo);
  ASSERT_EQ(rig.blk.Start(), Status::kOk);
  EXPECT_TRUE(rig.blk.read_only());
  EXPECT_EQ(rig.blk.QueueWrite(0, rig.addr(0), 512, 1), Status::kReadOnly);
  ASSERT_EQ(rig.blk.QueueRead(0, rig.addr(0), 512, 1), Status::kOk);
  rig.blk.Kick();
  EXPECT_EQ(rig.Drain(1).size(), 1u);
}

TEST_P(Versions, RequestsOutsideTheDiskOrMisshapenAreRefused) {
  Rig rig(GetParam(), kAllFeatures, 100);
  EXPECT_EQ(rig.blk.QueueRead(0, rig.addr(0), 512, 1), Status::kBadState);  // not started
  ASSERT_EQ(rig.blk.Start(), Status::kOk);
  EXPECT_EQ(rig.blk.QueueRead(0, rig.addr(0), 0, 1), Status::kInvalidArgs);
  EXPECT_EQ(rig.blk.QueueRead(0, rig.addr(0), 100, 1), Status::kInvalidArgs);
  EXPECT_EQ(rig.blk.QueueRead(100, rig.addr(0), 512, 1), Status::kInvalidArgs);
  EXPECT_EQ(rig.blk.QueueRead(99, rig.addr(0), 1024, 1), Status::kInvalidArgs);
  EXPECT_EQ(rig.blk.QueueWrite(UINT64_MAX, rig.addr(0), 512, 1), Status::kInvalidArgs);
  EXPECT_EQ(rig.blk.QueueRead(0, rig.addr(0), (1u << 20) + 512, 1), Status::kInvalidArgs);
  EXPECT_EQ(rig.blk.QueueRead(99, rig.addr(0), 512, 1), Status::kOk);  // the last sector
  EXPECT_EQ(rig.blk.in_flight(), 1u);
}

TEST_P(Versions, FlushGoesToTheDeviceOnlyWhenItHasAWriteCache) {
  {
    Rig rig(GetParam());
    ASSERT_EQ(rig.blk.Start(), Status::kOk);
    ASSERT_EQ(rig.blk.QueueFlush(5), Status::kOk);
    rig.blk.Kick();
    std::vector<BlkCompletion> done = rig.Drain(1);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].cookie, 5u);
    EXPECT_EQ(rig.device.flushes, 1u);
  }
  {
    Rig rig(GetParam(), kAllFeatures & ~kBlkFeatureFlush);
    ASSERT_EQ(rig.blk.Start(), Status::kOk);
    EXPECT_FALSE(rig.blk.has_flush());
    ASSERT_EQ(rig.blk.QueueFlush(6), Status::kOk);
    std::vector<BlkCompletion> done = rig.Drain(1);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].cookie, 6u);
    EXPECT_EQ(rig.device.requests, 0u);
  }
}

TEST_P(Versions, TheStatusByteIsChecked) {
  struct Case {
    uint8_t forced;
    bool skip;
    Status want_poll;
    Status want_request;
  };
  const Case cases[] = {
      {1, false, Status::kOk, Status::kIoError},
      {2, false, Status::kOk, Status::kUnsupported},
      {3, false, Status::kDeviceError, Status::kOk},
      {0xfe, false, Status::kDeviceError, Status::kOk},
      {0xff, true, Status::kDeviceError, Status::kOk},  // never written
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(static_cast<int>(c.forced));
    Rig rig(GetParam());
    ASSERT_EQ(rig.blk.Start(), Status::kOk);
    rig.device.forced_status = c.forced;
    rig.device.skip_status_write = c.skip;
    ASSERT_EQ(rig.blk.QueueWrite(0, rig.addr(0), 512, 1), Status::kOk);
    rig.blk.Kick();
    BlkCompletion out[4];
    size_t n = 0;
    EXPECT_EQ(rig.blk.Poll(out, 4, &n), c.want_poll);
    if (c.want_poll == Status::kOk) {
      ASSERT_EQ(n, 1u);
      EXPECT_EQ(out[0].status, c.want_request);
    } else {
      EXPECT_TRUE(rig.device.status() & kStatusFailed);
      EXPECT_EQ(rig.blk.QueueRead(0, rig.addr(0), 512, 2), Status::kBadState);
    }
  }
}

TEST_P(Versions, ABrokenDeviceIsRefusedUntilStartResetsIt) {
  enum Fault { kBadId, kLongLen, kNeedsReset };
  for (Fault fault : {kBadId, kLongLen, kNeedsReset}) {
    SCOPED_TRACE(fault);
    Rig rig(GetParam());
    ASSERT_EQ(rig.blk.Start(), Status::kOk);
    if (fault == kBadId) {
      rig.device.next_used_id = 1000;
    } else if (fault == kLongLen) {
      rig.device.extra_used_len = 4096;
    }
    ASSERT_EQ(rig.blk.QueueWrite(3, rig.addr(0), 512, 1), Status::kOk);
    rig.blk.Kick();
    if (fault == kNeedsReset) {
      rig.device.RaiseNeedsReset();
    }
    BlkCompletion out[4];
    size_t n = 0;
    EXPECT_EQ(rig.blk.Poll(out, 4, &n), Status::kDeviceError);
    EXPECT_EQ(rig.blk.Poll(out, 4, &n), Status::kBadState);
    // The owner restarts the driver: reset, renegotiate, and it works again.
    ASSERT_EQ(rig.blk.Start(), Status::kOk);
    rig.buf(0)[0] = 0x5c;
    ASSERT_EQ(rig.blk.QueueWrite(4, rig.addr(0), 512, 2), Status::kOk);
    rig.blk.Kick();
    ASSERT_EQ(rig.Drain(1).size(), 1u);
    EXPECT_EQ(rig.device.disk[4 * 512], 0x5c);
  }
}

TEST_P(Versions, StartRefusesOtherDevicesAndCleansUpAfterFailures) {
  FakeDma dma;
  {
    FakeBlockDevice dev(dma, GetParam(), kAllFeatures, 64, 128);
    MmioTransport t(dev);
    ASSERT_EQ(t.Probe(), Status::kOk);
    VirtioBlk blk(t, dma);
    for (int allowed = 0; allowed < 2; allowed++) {
      dma.fail_after = allowed;
      EXPECT_EQ(blk.Start(), Status::kNoResources);
      EXPECT_EQ(dma.live(), 0u);
    }
    dma.fail_after = -1;
    EXPECT_EQ(blk.Start(), Status::kOk);
    EXPECT_EQ(dma.live(), 2u);  // rings, headers
  }
  EXPECT_EQ(dma.live(), 0u);
  testing::FakeRngDevice rng(dma, GetParam(), 8);
  MmioTransport t(rng);
  ASSERT_EQ(t.Probe(), Status::kOk);
  VirtioBlk blk(t, dma);
  EXPECT_EQ(blk.Start(), Status::kNotSupported);
}

TEST_P(Versions, AConfigChangeRereadsTheCapacity) {
  Rig rig(GetParam(), kAllFeatures, 64);
  ASSERT_EQ(rig.blk.Start(), Status::kOk);
  EXPECT_EQ(rig.blk.QueueRead(64, rig.addr(0), 512, 1), Status::kInvalidArgs);
  rig.device.disk.resize(128 * 512);
  for (int i = 0; i < 8; i++) {
    rig.device.config[i] = static_cast<uint8_t>(uint64_t{128} >> (8 * i));
  }
  rig.device.RaiseConfigChange();
  BlkCompletion out[2];
  size_t n = 0;
  ASSERT_EQ(rig.blk.Poll(out, 2, &n), Status::kOk);
  EXPECT_EQ(rig.blk.capacity(), 128u);
  ASSERT_EQ(rig.blk.QueueRead(127, rig.addr(0), 512, 1), Status::kOk);
  // A modern device whose generation never settles mid-resize is broken.
  if (GetParam() == mmio::kVersionModern) {
    rig.device.generation_flips = 1000;
    rig.device.RaiseConfigChange();
    EXPECT_EQ(rig.blk.Poll(out, 2, &n), Status::kDeviceError);
  }
}

TEST(VirtioBlk, BlockSizeComesFromConfigWhenSane) {
  for (uint32_t reported : {512u, 4096u, 1000u, 0u, 256u}) {
    Rig rig(mmio::kVersionModern, kAllFeatures, 64, 16, reported);
    ASSERT_EQ(rig.blk.Start(), Status::kOk);
    const bool sane = reported >= 512 && (reported & (reported - 1)) == 0;
    EXPECT_EQ(rig.blk.block_size(), sane ? reported : 512u) << reported;
  }
}

INSTANTIATE_TEST_SUITE_P(Both, Versions,
                         ::testing::Values(mmio::kVersionLegacy, mmio::kVersionModern),
                         [](const auto& info) {
                           return info.param == mmio::kVersionLegacy ? "Legacy" : "Modern";
                         });

}  // namespace
}  // namespace mica::virtio
