// Host tests of client transfers as multi-segment requests (block_io.h)
// and of attached, pinned VMOs (vmo_table.h), against the fake block
// device and the fake pinner on both transport versions: segment building
// for every page layout, offset and limit (merging, seg_max, size_max,
// sector-aligned cuts), whole transfers checked byte for byte, splitting
// into many requests, a full queue, a failing request in the middle, and
// detaching or going away while the device still holds requests.
#include "drivers/block/virtio-blk/block_io.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "drivers/virtio/testing/fake_devices.h"
#include "drivers/virtio/testing/fake_pinner.h"

namespace mica::virtio {
namespace {

using testing::FakeBlockDevice;
using testing::FakeDma;
using testing::FakePinner;
using Layout = FakePinner::Layout;

constexpr uint64_t kFeatures =
    kBlkFeatureFlush | kBlkFeatureSizeMax | kBlkFeatureSegMax | kFeatureEventIdx;
constexpr Layout kLayouts[] = {Layout::kAdjacent, Layout::kReversed, Layout::kScattered,
                               Layout::kRuns};

uint8_t Pattern(uint64_t byte, uint32_t seed) {
  return static_cast<uint8_t>((byte * 131 + seed) ^ (byte >> 10) ^ (byte >> 17));
}

// The host byte behind offset `off` of a pinned VMO.
uint8_t* At(FakeDma& dma, const PinnedVmo& vmo, uint64_t off) {
  return dma.Translate(vmo.pages[off / 4096] + off % 4096, 1);
}

// Walks the segments and checks they are exactly bytes [offset, offset +
// covered) of the VMO, in order, within the limits, merged where they can.
void CheckSegments(const PinnedVmo& vmo, uint64_t offset, uint64_t len, uint32_t max_segments,
                   uint32_t size_max, const Segment* segs, size_t n, uint64_t covered) {
  ASSERT_EQ(covered % 512, 0u);
  ASSERT_LE(covered, len);
  ASSERT_LE(n, max_segments);
  ASSERT_EQ(covered == 0, n == 0);
  uint64_t pos = offset;
  for (size_t i = 0; i < n; i++) {
    ASSERT_GT(segs[i].len, 0u);
    if (size_max != 0) {
      ASSERT_LE(segs[i].len, size_max);
    }
    for (uint64_t b = 0; b < segs[i].len; b += 256) {
      ASSERT_EQ(segs[i].addr + b, vmo.pages[(pos + b) / 4096] + (pos + b) % 4096);
    }
    const uint64_t last = pos + segs[i].len - 1;
    ASSERT_EQ(segs[i].addr + segs[i].len - 1, vmo.pages[last / 4096] + last % 4096);
    if (i > 0 && segs[i - 1].addr + segs[i - 1].len == segs[i].addr) {
      // Touching neighbours stay apart only when the first is full.
      ASSERT_TRUE(size_max != 0 && segs[i - 1].len + 512 > size_max);
    }
    pos += segs[i].len;
  }
  ASSERT_EQ(pos - offset, covered);
  // Short only when the segments ran out (the trim may free one).
  if (len - covered >= 512) {
    ASSERT_GE(n + 1, max_segments);
  }
}

TEST(BuildDataSegments, EveryLayoutOffsetAndLimitDescribesExactlyTheBytes) {
  for (Layout layout : kLayouts) {
    FakeDma dma;
    FakePinner pinner(dma);
    pinner.layout = layout;
    pinner.seed = 5;
    VmoTable table(pinner);
    uint32_t id;
    ASSERT_EQ(table.Attach(7, 64 * 4096, &id), Status::kOk);
    PinnedVmo* vmo = table.Acquire(id);
    std::mt19937 rng(static_cast<uint32_t>(layout) + 11);
    std::vector<Segment> segs(300);
    for (int iter = 0; iter < 3000; iter++) {
      const uint64_t offset = iter % 3 == 0 ? (rng() % 64) * 4096 : rng() % (60 * 4096);
      const uint64_t len = (1 + rng() % ((64 * 4096 - offset) / 512)) * 512;
      const uint32_t max_segments = 1 + rng() % (iter % 2 == 0 ? 4 : 200);
      const uint32_t size_maxes[] = {0, 512, 1024, 4096, 6144, 8192, 65536};
      const uint32_t size_max = size_maxes[rng() % 7];
      size_t n = 0;
      const uint64_t covered =
          BuildDataSegments(*vmo, offset, len, max_segments, size_max, true, segs.data(), &n);
      SCOPED_TRACE(::testing::Message() << "offset " << offset << " len " << len << " max "
                                        << max_segments << " size_max " << size_max);
      CheckSegments(*vmo, offset, len, max_segments, size_max, segs.data(), n, covered);
      if (::testing::Test::HasFatalFailure()) {
        return;
      }
      for (size_t i = 0; i < n; i++) {
        ASSERT_TRUE(segs[i].device_writes);
      }
    }
    ReleasePinned(vmo);
  }
}

TEST(BuildDataSegments, AdjacentPagesMergeAndOthersDoNot) {
  FakeDma dma;
  FakePinner pinner(dma);
  VmoTable table(pinner);
  uint32_t id;
  ASSERT_EQ(table.Attach(1, 256 * 4096, &id), Status::kOk);
  std::vector<Segment> segs(260);
  size_t n = 0;
  PinnedVmo* vmo = table.Acquire(id);
  EXPECT_EQ(BuildDataSegments(*vmo, 0, 1 << 20, 1, 0, false, segs.data(), &n), 1u << 20);
  EXPECT_EQ(n, 1u);  // 1 MiB of adjacent pages: one segment
  EXPECT_EQ(BuildDataSegments(*vmo, 0, 1 << 20, 300, 65536, false, segs.data(), &n), 1u << 20);
  EXPECT_EQ(n, 16u);  // cut at size_max
  ReleasePinned(vmo);
  ASSERT_EQ(table.Detach(id), Status::kOk);
  pinner.layout = Layout::kReversed;
  ASSERT_EQ(table.Attach(1, 256 * 4096, &id), Status::kOk);
  vmo = table.Acquire(id);
  EXPECT_EQ(BuildDataSegments(*vmo, 0, 1 << 20, 300, 0, false, segs.data(), &n), 1u << 20);
  EXPECT_EQ(n, 256u);
  // 126 segments at offset 100: 125 whole pages and a start, cut on a sector.
  EXPECT_EQ(BuildDataSegments(*vmo, 100, (1 << 20) - 4096, 126, 0, false, segs.data(), &n),
            (3996 + 125 * 4096) / 512 * 512);
  ReleasePinned(vmo);
}

TEST(BuildDataSegments, RefusesWhatLeavesThePinnedPagesOrHoldsNoSector) {
  FakeDma dma;
  FakePinner pinner(dma);
  VmoTable table(pinner);
  uint32_t id;
  ASSERT_EQ(table.Attach(1, 2 * 4096, &id), Status::kOk);
  PinnedVmo* vmo = table.Acquire(id);
  Segment segs[4];
  size_t n = 9;
  EXPECT_EQ(BuildDataSegments(*vmo, 4096, 8192, 4, 0, true, segs, &n), 0u);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(BuildDataSegments(*vmo, UINT64_MAX, 512, 4, 0, true, segs, &n), 0u);
  EXPECT_EQ(BuildDataSegments(*vmo, 0, 512, 0, 0, true, segs, &n), 0u);
  EXPECT_EQ(BuildDataSegments(*vmo, 0, 512, 1, 256, true, segs, &n), 0u);  // 256-byte segments
  EXPECT_EQ(BuildDataSegments(*vmo, 0, 512, 2, 256, true, segs, &n), 512u);
  EXPECT_EQ(n, 2u);
  ReleasePinned(vmo);
}

struct Rig {
  Rig(uint32_t version, uint32_t queue_max = 128, uint64_t sectors = 4096)
      : device(dma, version, kFeatures, sectors, queue_max),
        transport(device),
        blk(transport, dma),
        pinner(dma),
        table(pinner),
        io(blk) {
    EXPECT_EQ(transport.Probe(), Status::kOk);
    for (uint64_t i = 0; i < device.disk.size(); i++) {
      device.disk[i] = Pattern(i, 1);
    }
  }
  ~Rig() {
    EXPECT_EQ(device.bad_accesses(), 0u);
    EXPECT_EQ(device.driver_errors(), 0u);
    EXPECT_EQ(pinner.bad_unpins(), 0u);
  }

  // Feeds completions to the transfer until it is over; the status.
  Status Finish() {
    BlkCompletion out[16];
    for (int spins = 0; spins < 100000; spins++) {
      if (device.defer && device.held() > 0) {
        device.ReleaseOne(0);
      }
      size_t n = 0;
      EXPECT_EQ(blk.Poll(out, 16, &n), Status::kOk);
      for (size_t i = 0; i < n; i++) {
        EXPECT_EQ(out[i].cookie, BlockIo::kCookie);
        Status result;
        if (io.Complete(out[i].status, &result)) {
          EXPECT_EQ(i + 1, n);  // nothing after the last one
          return result;
        }
      }
    }
    return Status::kShouldWait;
  }
  Status Run(const Transfer& t) {
    Status result;
    if (io.Begin(t, &result)) {
      return result;
    }
    return Finish();
  }

  FakeDma dma;
  FakeBlockDevice device;
  MmioTransport transport;
  VirtioBlk blk;
  FakePinner pinner;
  VmoTable table;
  BlockIo io;
};

class IoVersions : public ::testing::TestWithParam<uint32_t> {};

// Reads and writes of every layout, offset (aligned or not) and size land
// byte for byte, under the device's default limits and tight ones.
TEST_P(IoVersions, TransfersMoveEveryByteForEveryLayoutAndLimit) {
  struct Limits {
    uint32_t queue, seg_max, size_max;
  };
  const Limits limits[] = {{128, 126, 1 << 20}, {8, 126, 1 << 20}, {128, 3, 8192},
                           {16, 1, 4096},       {64, 5, 1024},     {32, 200, 0}};
  std::mt19937 rng(GetParam());
  for (const Limits& l : limits) {
    for (Layout layout : kLayouts) {
      SCOPED_TRACE(::testing::Message()
                   << "queue " << l.queue << " seg_max " << l.seg_max << " size_max " << l.size_max
                   << " layout " << static_cast<int>(layout));
      Rig rig(GetParam(), l.queue);
      rig.device.SetConfigU32(12, l.seg_max);
      rig.device.SetConfigU32(8, l.size_max);
      ASSERT_EQ(rig.blk.Start(l.queue), Status::kOk);
      rig.pinner.layout = layout;
      uint32_t id;
      ASSERT_EQ(rig.table.Attach(3, 300 * 4096, &id), Status::kOk);
      PinnedVmo* vmo = rig.table.Acquire(id);
      for (int iter = 0; iter < 6; iter++) {
        const uint64_t bytes = iter == 0 ? (1 << 20) : (1 + rng() % 512) * 512;
        // One segment cannot hold a sector that straddles two pages
        // apart: with seg_max 1 only sector-aligned offsets (below).
        const bool aligned = iter % 2 == 0 || l.seg_max == 1;
        const uint64_t offset = aligned ? (rng() % 64) * 512 : rng() % 40000;
        const uint64_t sector = rng() % (4096 - bytes / 512 + 1);
        const uint64_t before = rig.io.requests();
        // Write a pattern from the VMO, then read it back over a cleared VMO.
        for (uint64_t b = 0; b < bytes; b++) {
          *At(rig.dma, *vmo, offset + b) = Pattern(b, iter + 7);
        }
        ASSERT_EQ(rig.Run({true, vmo, offset, sector, bytes}), Status::kOk);
        for (uint64_t b = 0; b < bytes; b++) {
          ASSERT_EQ(rig.device.disk[sector * 512 + b], Pattern(b, iter + 7)) << b;
        }
        for (uint64_t b = 0; b < bytes + 4096 && offset + b < vmo->size; b++) {
          *At(rig.dma, *vmo, offset + b) = 0xee;
        }
        ASSERT_EQ(rig.Run({false, vmo, offset, sector, bytes}), Status::kOk);
        for (uint64_t b = 0; b < bytes; b++) {
          ASSERT_EQ(*At(rig.dma, *vmo, offset + b), Pattern(b, iter + 7)) << b;
        }
        // Nothing past the end was touched.
        for (uint64_t b = bytes; b < bytes + 4096 && offset + b < vmo->size; b++) {
          ASSERT_EQ(*At(rig.dma, *vmo, offset + b), 0xee) << b;
        }
        // Split into requests (each within seg_max and size_max: the fake
        // device counts any over them in driver_errors, checked at the end).
        EXPECT_GE(rig.io.requests() - before, 2u);
      }
      ReleasePinned(vmo);
      EXPECT_FALSE(rig.io.active());
    }
  }
}

// seg_max 1 and a sector split over two pages that do not touch: refused
// before anything reaches the device (an unaligned offset needs two).
TEST_P(IoVersions, OneSegmentCannotHoldASectorSplitOverPagesApart) {
  Rig rig(GetParam());
  rig.device.SetConfigU32(12, 1);
  ASSERT_EQ(rig.blk.Start(128), Status::kOk);
  EXPECT_EQ(rig.blk.max_data_segments(), 1u);
  rig.pinner.layout = Layout::kScattered;
  uint32_t id;
  ASSERT_EQ(rig.table.Attach(3, 4 * 4096, &id), Status::kOk);
  PinnedVmo* vmo = rig.table.Acquire(id);
  EXPECT_EQ(rig.Run({false, vmo, 4096 - 100, 0, 512}), Status::kInvalidArgs);
  EXPECT_EQ(rig.device.requests, 0u);
  EXPECT_EQ(rig.Run({false, vmo, 4096 - 512, 0, 1024}), Status::kOk);  // 2 requests
  EXPECT_EQ(rig.device.requests, 2u);
  ReleasePinned(vmo);
}

TEST_P(IoVersions, OneMiBOfAdjacentPagesIsOneRequestAndScatteredPagesSplitAtSegMax) {
  Rig rig(GetParam());
  ASSERT_EQ(rig.blk.Start(128), Status::kOk);
  EXPECT_EQ(rig.blk.max_data_segments(), 126u);
  uint32_t id;
  ASSERT_EQ(rig.table.Attach(3, 1 << 20, &id), Status::kOk);
  PinnedVmo* vmo = rig.table.Acquire(id);
  ASSERT_EQ(rig.Run({false, vmo, 0, 0, 1 << 20}), Status::kOk);
  EXPECT_EQ(rig.io.requests(), 1u);  // size_max is 1 MiB
  ReleasePinned(vmo);
  ASSERT_EQ(rig.table.Detach(id), Status::kOk);
  rig.pinner.layout = Layout::kScattered;
  ASSERT_EQ(rig.table.Attach(3, 1 << 20, &id), Status::kOk);
  vmo = rig.table.Acquire(id);
  ASSERT_EQ(rig.Run({false, vmo, 0, 0, 1 << 20}), Status::kOk);
  EXPECT_EQ(rig.io.requests(), 1u + 3u);  // 126 + 126 + 4 pages
  for (uint64_t b = 0; b < (1 << 20); b++) {
    ASSERT_EQ(*At(rig.dma, *vmo, b), Pattern(b, 1)) << b;
  }
  ReleasePinned(vmo);
}

TEST_P(IoVersions, AFullQueueWaitsForCompletionsAndEveryRequestStaysInBounds) {
  Rig rig(GetParam(), 16);
  ASSERT_EQ(rig.blk.Start(16), Status::kOk);
  rig.device.defer = true;
  rig.pinner.layout = Layout::kReversed;
  uint32_t id;
  ASSERT_EQ(rig.table.Attach(3, 1 << 20, &id), Status::kOk);
  PinnedVmo* vmo = rig.table.Acquire(id);
  Status result;
  ASSERT_FALSE(rig.io.Begin({false, vmo, 0, 8, 1 << 20}, &result));
  // 14 data segments per request; one request fills the queue of 16.
  EXPECT_EQ(rig.io.in_flight(), 1u);
  EXPECT_EQ(rig.device.held(), 1u);
  EXPECT_EQ(rig.blk.free_descriptors(), 0u);
  ASSERT_EQ(rig.Finish(), Status::kOk);
  EXPECT_EQ(rig.io.requests(), (256u + 13) / 14);
  for (uint64_t b = 0; b < (1 << 20); b++) {
    ASSERT_EQ(*At(rig.dma, *vmo, b), Pattern(8 * 512 + b, 1)) << b;
  }
  ReleasePinned(vmo);
}

TEST_P(IoVersions, AFailedRequestEndsTheTransferOnlyAfterEveryRequestInFlight) {
  Rig rig(GetParam(), 128);
  rig.device.SetConfigU32(12, 4);
  ASSERT_EQ(rig.blk.Start(128), Status::kOk);
  rig.device.defer = true;
  rig.pinner.layout = Layout::kScattered;
  uint32_t id;
  ASSERT_EQ(rig.table.Attach(3, 64 * 4096, &id), Status::kOk);
  PinnedVmo* vmo = rig.table.Acquire(id);
  Status result;
  ASSERT_FALSE(rig.io.Begin({false, vmo, 0, 0, 64 * 4096}, &result));
  const size_t first = rig.device.held();
  EXPECT_EQ(first, 16u);  // 4 pages each, all in flight (6 descriptors each)
  rig.device.forced_status = kBlkStatusIoErr;
  rig.device.ReleaseOne(3);
  BlkCompletion out[16];
  size_t n = 0;
  ASSERT_EQ(rig.blk.Poll(out, 16, &n), Status::kOk);
  ASSERT_EQ(n, 1u);
  EXPECT_FALSE(rig.io.Complete(out[0].status, &result));
  EXPECT_EQ(rig.device.held(), first - 1);  // nothing new queued after a failure
  EXPECT_EQ(rig.Finish(), Status::kIoError);
  EXPECT_EQ(rig.io.requests(), first);
  EXPECT_FALSE(rig.io.active());
  // The next transfer runs normally.
  rig.device.defer = false;
  EXPECT_EQ(rig.Run({false, vmo, 0, 0, 4096}), Status::kOk);
  ReleasePinned(vmo);
}

TEST_P(IoVersions, RefusesMalformedTransfersWithoutTouchingTheDevice) {
  Rig rig(GetParam(), 128, 64);
  rig.device.SetConfigU32(8, 4096);
  ASSERT_EQ(rig.blk.Start(128), Status::kOk);
  uint32_t id;
  ASSERT_EQ(rig.table.Attach(3, 8 * 4096, &id), Status::kOk);
  PinnedVmo* vmo = rig.table.Acquire(id);
  const uint64_t before = rig.device.requests;
  EXPECT_EQ(rig.Run({false, vmo, 0, 0, 0}), Status::kInvalidArgs);
  EXPECT_EQ(rig.Run({false, vmo, 0, 0, 100}), Status::kInvalidArgs);
  EXPECT_EQ(rig.Run({false, vmo, 4096, 0, 8 * 4096}), Status::kInvalidArgs);  // past the VMO
  EXPECT_EQ(rig.Run({false, vmo, UINT64_MAX, 0, 512}), Status::kInvalidArgs);
  EXPECT_EQ(rig.Run({false, vmo, 0, 63, 1024}), Status::kInvalidArgs);  // past the disk
  EXPECT_EQ(rig.Run({false, vmo, 0, UINT64_MAX, 512}), Status::kInvalidArgs);
  EXPECT_EQ(rig.Run({false, nullptr, 0, 0, 512}), Status::kInvalidArgs);
  EXPECT_EQ(rig.device.requests, before);
  EXPECT_EQ(rig.Run({false, vmo, 0, 56, 4096}), Status::kOk);  // the last 8 sectors
  ReleasePinned(vmo);
}

TEST_P(IoVersions, AReadOnlyDeviceRefusesWritesAndServesReads) {
  FakeDma dma;
  FakeBlockDevice device(dma, GetParam(), kFeatures | kBlkFeatureRo, 64, 128);
  MmioTransport transport(device);
  ASSERT_EQ(transport.Probe(), Status::kOk);
  VirtioBlk blk(transport, dma);
  ASSERT_EQ(blk.Start(128), Status::kOk);
  FakePinner pinner(dma);
  VmoTable table(pinner);
  BlockIo io(blk);
  uint32_t id;
  ASSERT_EQ(table.Attach(3, 4096, &id), Status::kOk);
  PinnedVmo* vmo = table.Acquire(id);
  Status result;
  ASSERT_TRUE(io.Begin({true, vmo, 0, 0, 4096}, &result));
  EXPECT_EQ(result, Status::kReadOnly);
  EXPECT_EQ(device.requests, 0u);
  EXPECT_FALSE(io.Begin({false, vmo, 0, 0, 4096}, &result));
  ReleasePinned(vmo);
}

INSTANTIATE_TEST_SUITE_P(Both, IoVersions, ::testing::Values(1u, 2u));

TEST(VmoTable, AttachBoundsSizeAndIdsAndPassesPinFailuresOn) {
  FakeDma dma;
  FakePinner pinner(dma);
  VmoTable table(pinner);
  uint32_t id;
  EXPECT_EQ(table.Attach(1, 0, &id), Status::kInvalidArgs);
  EXPECT_EQ(table.Attach(1, 4095, &id), Status::kInvalidArgs);
  EXPECT_EQ(table.Attach(1, kMaxAttachBytes + 4096, &id), Status::kInvalidArgs);
  pinner.fail_next = Status::kBadState;
  EXPECT_EQ(table.Attach(1, 4096, &id), Status::kBadState);
  EXPECT_EQ(pinner.live(), 0u);
  for (uint32_t i = 0; i < VmoTable::kMaxVmos; i++) {
    ASSERT_EQ(table.Attach(10 + i, 4096, &id), Status::kOk);
    EXPECT_EQ(id, i);
    EXPECT_EQ(pinner.last_vmo(), 10u + i);
  }
  EXPECT_EQ(table.Attach(1, 4096, &id), Status::kNoResources);
  EXPECT_EQ(pinner.live(), VmoTable::kMaxVmos);
  EXPECT_EQ(table.Detach(VmoTable::kMaxVmos), Status::kNotFound);
  EXPECT_EQ(table.Acquire(VmoTable::kMaxVmos), nullptr);
  ASSERT_EQ(table.Detach(2), Status::kOk);
  EXPECT_EQ(table.Detach(2), Status::kNotFound);
  EXPECT_EQ(table.Acquire(2), nullptr);
  EXPECT_EQ(pinner.live(), VmoTable::kMaxVmos - 1);
  ASSERT_EQ(table.Attach(1, 4096, &id), Status::kOk);
  EXPECT_EQ(id, 2u);
}

// Detach (or the client going) while the device still writes the pages:
// they stay pinned until the last request holding them is over.
TEST_P(IoVersions, DetachOrGoingAwayWhileInFlightUnpinsOnlyAfterTheDevice) {
  for (bool destroy : {false, true}) {
    SCOPED_TRACE(destroy);
    Rig rig(GetParam());
    ASSERT_EQ(rig.blk.Start(128), Status::kOk);
    rig.device.defer = true;
    auto* table = new VmoTable(rig.pinner);
    uint32_t id;
    ASSERT_EQ(table->Attach(3, 16 * 4096, &id), Status::kOk);
    PinnedVmo* vmo = table->Acquire(id);
    Status result;
    ASSERT_FALSE(rig.io.Begin({false, vmo, 0, 0, 16 * 4096}, &result));
    if (destroy) {
      delete table;
      table = nullptr;
    } else {
      ASSERT_EQ(table->Detach(id), Status::kOk);
      EXPECT_EQ(table->Acquire(id), nullptr);
    }
    EXPECT_EQ(rig.pinner.live(), 1u);
    ASSERT_EQ(rig.Finish(), Status::kOk);
    EXPECT_EQ(rig.pinner.live(), 1u);  // the device is done; the request not yet
    for (uint64_t b = 0; b < 16 * 4096; b++) {
      ASSERT_EQ(*At(rig.dma, *vmo, b), Pattern(b, 1)) << b;
    }
    ReleasePinned(vmo);
    EXPECT_EQ(rig.pinner.live(), 0u);
    delete table;
  }
}

}  // namespace
}  // namespace mica::virtio
