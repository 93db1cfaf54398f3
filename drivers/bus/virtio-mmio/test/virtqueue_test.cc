// Host tests of the split virtqueue (drivers/virtio/lib/virtqueue.h) through
// the virtio-mmio transport against the fake device: every queue size on
// both transport versions, index wraparound past 65535, full queues, many
// chains in flight completed out of order, interrupt and notification
// suppression, and a device that lies in the used ring.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "drivers/bus/virtio-mmio/transport.h"
#include "drivers/virtio/lib/virtqueue.h"
#include "drivers/virtio/testing/fake_devices.h"

namespace mica::virtio {
namespace {

using testing::Chain;
using testing::FakeDma;
using testing::FakeHoldingDevice;

constexpr uint32_t kTestDeviceId = 0x42;

struct Rig {
  Rig(uint32_t version, uint32_t queue_max, bool event_idx)
      : device(dma, version, kTestDeviceId, event_idx ? kFeatureEventIdx : 0, 1, queue_max),
        transport(device) {
    EXPECT_EQ(transport.Probe(), Status::kOk);
    uint64_t negotiated = 0;
    EXPECT_EQ(transport.Start(event_idx ? kFeatureEventIdx : 0, &negotiated), Status::kOk);
    EXPECT_EQ(transport.SetupQueue(0, dma, 65536, &queue), Status::kOk);
    transport.DriverOk();
    buffers.Allocate(dma, 64 * 1024, 16);
  }
  ~Rig() {
    EXPECT_EQ(device.bad_accesses(), 0u);
    EXPECT_EQ(device.driver_errors(), 0u);
  }
  void Kick() {
    if (queue.Publish()) {
      transport.Notify(0);
    }
  }
  Segment Writable(uint32_t offset, uint32_t len) {
    return {buffers.device_addr() + offset, len, true};
  }
  Segment Readable(uint32_t offset, uint32_t len) {
    return {buffers.device_addr() + offset, len, false};
  }
  // Completes held chain `i` with `len` bytes written.
  void Complete(size_t i, uint32_t len) { device.Complete(0, device.held[i].chain, len); }

  FakeDma dma;
  FakeHoldingDevice device;
  MmioTransport transport;
  SplitVirtqueue queue;
  DmaRegion buffers;
};

class EveryVersion : public ::testing::TestWithParam<uint32_t> {};

TEST_P(EveryVersion, EveryQueueSizeFillsDrainsAndMatchesTheDeviceLayout) {
  for (uint32_t size = 1; size <= kMaxQueueSize; size *= 2) {
    SCOPED_TRACE(size);
    Rig rig(GetParam(), size, false);
    ASSERT_EQ(rig.queue.size(), size);
    EXPECT_EQ(rig.device.queue(0).desc, rig.queue.desc_addr());
    EXPECT_EQ(rig.device.queue(0).avail, rig.queue.avail_addr());
    EXPECT_EQ(rig.device.queue(0).used, rig.queue.used_addr());
    for (uint32_t i = 0; i < size; i++) {
      const Segment s = rig.Writable(i % 1024, 8);
      ASSERT_EQ(rig.queue.Add(&s, 1, 1000 + i), Status::kOk);
    }
    const Segment extra = rig.Writable(0, 8);
    EXPECT_EQ(rig.queue.Add(&extra, 1, 0), Status::kNoResources);
    rig.Kick();
    ASSERT_EQ(rig.device.held.size(), size);
    for (size_t i = size; i-- > 0;) {
      rig.Complete(i, static_cast<uint32_t>(i % 9));
    }
    for (uint32_t i = size; i-- > 0;) {
      UsedBuffer used;
      ASSERT_EQ(rig.queue.PopUsed(&used), Status::kOk);
      EXPECT_EQ(used.token, 1000u + i);
      EXPECT_EQ(used.len, i % 9);
    }
    UsedBuffer none;
    EXPECT_EQ(rig.queue.PopUsed(&none), Status::kShouldWait);
    EXPECT_EQ(rig.queue.free_count(), size);
    EXPECT_EQ(rig.queue.in_flight(), 0u);
  }
}

TEST_P(EveryVersion, IndicesWrapPast65535WithAndWithoutEventIdx) {
  for (bool event_idx : {false, true}) {
    for (uint32_t size : {1u, 4u, 8u}) {
      SCOPED_TRACE(::testing::Message() << "size " << size << " event_idx " << event_idx);
      Rig rig(GetParam(), size, event_idx);
      uint64_t token = 0;
      uint64_t popped = 0;
      uint64_t interrupts = 0;
      const uint32_t chain = size >= 4 ? 2 : 1;
      while (popped < 70000) {
        while (rig.queue.free_count() >= chain) {
          Segment s[2] = {rig.Readable(0, 16), rig.Writable(64, 32)};
          ASSERT_EQ(rig.queue.Add(chain == 2 ? s : s + 1, chain, token++), Status::kOk);
        }
        rig.Kick();
        for (size_t i = 0; i < rig.device.held.size(); i++) {
          rig.Complete(i, 32);
        }
        rig.device.held.clear();
        if (rig.transport.TakeInterrupt() & mmio::kInterruptUsedBuffer) {
          interrupts++;
        }
        UsedBuffer used;
        while (rig.queue.PopUsed(&used) == Status::kOk) {
          ASSERT_EQ(used.token, popped);
          ASSERT_EQ(used.len, 32u);
          popped++;
        }
      }
      EXPECT_LT(rig.device.queue(0).used_idx, 70000u - 65536u + 16);  // it wrapped
      EXPECT_GT(interrupts, 0u);
      EXPECT_FALSE(rig.queue.broken());
    }
  }
}

TEST_P(EveryVersion, ManyInFlightCompleteInAnyOrder) {
  Rig rig(GetParam(), 256, true);
  std::mt19937 rng(1234);
  std::vector<uint64_t> expected_len(4096, 0);
  uint64_t token = 0;
  for (int round = 0; round < 20; round++) {
    // Chains of 1..4 descriptors, readable ones first.
    while (true) {
      const uint32_t n = 1 + rng() % 4;
      const uint32_t readable = rng() % (n + 1);
      std::vector<Segment> segs;
      uint32_t writable_bytes = 0;
      for (uint32_t i = 0; i < n; i++) {
        const uint32_t len = 1 + rng() % 200;
        segs.push_back(i < readable ? rig.Readable(i * 256, len) : rig.Writable(i * 256, len));
        writable_bytes += i < readable ? 0 : len;
      }
      const Status s = rig.queue.Add(segs.data(), segs.size(), token);
      if (s == Status::kNoResources) {
        break;
      }
      ASSERT_EQ(s, Status::kOk);
      expected_len[token % expected_len.size()] = writable_bytes;
      token++;
    }
    rig.Kick();
    std::vector<size_t> order(rig.device.held.size());
    for (size_t i = 0; i < order.size(); i++) {
      order[i] = i;
    }
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<uint64_t> tokens_out;
    for (size_t i : order) {
      const uint32_t writable = static_cast<uint32_t>(rig.device.held[i].chain.writable_bytes());
      rig.Complete(i, writable);
    }
    const size_t held = rig.device.held.size();
    rig.device.held.clear();
    UsedBuffer used;
    size_t popped = 0;
    while (rig.queue.PopUsed(&used) == Status::kOk) {
      EXPECT_EQ(used.len, expected_len[used.token % expected_len.size()]);
      popped++;
    }
    EXPECT_EQ(popped, held);
    EXPECT_EQ(rig.queue.free_count(), rig.queue.size());
  }
  EXPECT_GT(token, 1000u);
}

TEST_P(EveryVersion, DeviceLiesInTheUsedRing) {
  enum Lie { kIdOutOfRange, kIdNotInFlight, kLenTooLong, kIndexRunsAhead };
  for (Lie lie : {kIdOutOfRange, kIdNotInFlight, kLenTooLong, kIndexRunsAhead}) {
    SCOPED_TRACE(lie);
    Rig rig(GetParam(), 16, false);
    const Segment seg[2] = {rig.Readable(0, 16), rig.Writable(16, 100)};
    ASSERT_EQ(rig.queue.Add(seg, 2, 7), Status::kOk);
    ASSERT_EQ(rig.queue.Add(seg, 2, 8), Status::kOk);
    rig.Kick();
    switch (lie) {
      case kIdOutOfRange:
        rig.device.next_used_id = 16;
        break;
      case kIdNotInFlight:
        rig.device.next_used_id = 5;  // a free descriptor
        break;
      case kLenTooLong:
        rig.device.extra_used_len = 1;
        break;
      case kIndexRunsAhead:
        rig.device.used_idx_skip = 5;
        break;
    }
    rig.Complete(0, 100);
    UsedBuffer used;
    EXPECT_EQ(rig.queue.PopUsed(&used), Status::kDeviceError);
    EXPECT_TRUE(rig.queue.broken());
    EXPECT_EQ(rig.queue.PopUsed(&used), Status::kDeviceError);
    EXPECT_EQ(rig.queue.Add(seg, 2, 9), Status::kDeviceError);
  }
}

TEST_P(EveryVersion, AnIdCompletedTwiceIsCaught) {
  Rig rig(GetParam(), 8, false);
  const Segment seg = rig.Writable(0, 64);
  ASSERT_EQ(rig.queue.Add(&seg, 1, 1), Status::kOk);
  ASSERT_EQ(rig.queue.Add(&seg, 1, 2), Status::kOk);
  rig.Kick();
  rig.Complete(0, 64);
  rig.Complete(0, 64);  // the same head again, instead of the second chain
  UsedBuffer used;
  EXPECT_EQ(rig.queue.PopUsed(&used), Status::kOk);
  EXPECT_EQ(used.token, 1u);
  EXPECT_EQ(rig.queue.PopUsed(&used), Status::kDeviceError);  // no longer in flight
}

TEST_P(EveryVersion, MoreCompletionsThanPublishedAreCaught) {
  Rig rig(GetParam(), 8, false);
  const Segment seg = rig.Writable(0, 64);
  ASSERT_EQ(rig.queue.Add(&seg, 1, 1), Status::kOk);
  rig.Kick();
  rig.Complete(0, 64);
  rig.Complete(0, 64);
  UsedBuffer used;
  EXPECT_EQ(rig.queue.PopUsed(&used), Status::kDeviceError);
}

TEST_P(EveryVersion, AddRefusesMalformedChains) {
  Rig rig(GetParam(), 4, false);
  const Segment empty = rig.Writable(0, 0);
  EXPECT_EQ(rig.queue.Add(&empty, 1, 0), Status::kInvalidArgs);
  const Segment backwards[2] = {rig.Writable(0, 8), rig.Readable(8, 8)};
  EXPECT_EQ(rig.queue.Add(backwards, 2, 0), Status::kInvalidArgs);
  EXPECT_EQ(rig.queue.Add(backwards, 0, 0), Status::kInvalidArgs);
  const Segment five[5] = {rig.Readable(0, 1), rig.Readable(0, 1), rig.Readable(0, 1),
                           rig.Readable(0, 1), rig.Writable(0, 1)};
  EXPECT_EQ(rig.queue.Add(five, 5, 0), Status::kInvalidArgs);  // longer than the ring
  EXPECT_EQ(rig.queue.Add(five + 1, 4, 0), Status::kOk);
  EXPECT_EQ(rig.queue.Add(five + 4, 1, 0), Status::kNoResources);
  EXPECT_EQ(rig.queue.free_count(), 0u);
}

TEST_P(EveryVersion, InterruptSuppressionHonoursFlagsAndUsedEvent) {
  for (bool event_idx : {false, true}) {
    SCOPED_TRACE(event_idx);
    Rig rig(GetParam(), 8, event_idx);
    const Segment seg = rig.Writable(0, 64);
    rig.queue.DisableInterrupts();
    ASSERT_EQ(rig.queue.Add(&seg, 1, 1), Status::kOk);
    rig.Kick();
    rig.Complete(0, 1);
    rig.device.held.clear();
    if (!event_idx) {
      EXPECT_EQ(rig.device.interrupts_raised(), 0u);
    }
    // Re-enabling reports the completion that arrived meanwhile.
    EXPECT_TRUE(rig.queue.EnableInterrupts());
    UsedBuffer used;
    ASSERT_EQ(rig.queue.PopUsed(&used), Status::kOk);
    EXPECT_FALSE(rig.queue.EnableInterrupts());
    const uint64_t before = rig.device.interrupts_raised();
    ASSERT_EQ(rig.queue.Add(&seg, 1, 2), Status::kOk);
    rig.Kick();
    rig.Complete(0, 1);
    EXPECT_EQ(rig.device.interrupts_raised(), before + 1);
  }
}

TEST_P(EveryVersion, NotificationSuppressionIsRespected) {
  Rig rig(GetParam(), 8, false);
  const Segment seg = rig.Writable(0, 64);
  ASSERT_EQ(rig.queue.Add(&seg, 1, 1), Status::kOk);
  EXPECT_TRUE(rig.queue.Publish());
  EXPECT_FALSE(rig.queue.Publish());  // nothing new
  rig.transport.Notify(0);
  rig.device.suppress_notify = true;
  rig.Complete(0, 1);  // the device writes NO_NOTIFY into used->flags
  ASSERT_EQ(rig.queue.Add(&seg, 1, 2), Status::kOk);
  EXPECT_FALSE(rig.queue.Publish());
}

TEST_P(EveryVersion, EventIdxAsksForANotificationOnlyWhenThePointIsPassed) {
  Rig rig(GetParam(), 8, true);
  const Segment seg = rig.Writable(0, 64);
  ASSERT_EQ(rig.queue.Add(&seg, 1, 1), Status::kOk);
  EXPECT_TRUE(rig.queue.Publish());  // avail_event 0: the first entry passes it
  ASSERT_EQ(rig.queue.Add(&seg, 1, 2), Status::kOk);
  EXPECT_FALSE(rig.queue.Publish());  // the device has not moved avail_event
  rig.transport.Notify(0);            // it processes both and sets avail_event 2
  EXPECT_EQ(rig.device.held.size(), 2u);
  ASSERT_EQ(rig.queue.Add(&seg, 1, 3), Status::kOk);
  EXPECT_TRUE(rig.queue.Publish());
}

INSTANTIATE_TEST_SUITE_P(Versions, EveryVersion,
                         ::testing::Values(mmio::kVersionLegacy, mmio::kVersionModern),
                         [](const auto& info) {
                           return info.param == mmio::kVersionLegacy ? "Legacy" : "Modern";
                         });

TEST(SplitVirtqueue, InitRefusesBadSizesAndSurvivesAllocationFailure) {
  FakeDma dma;
  SplitVirtqueue q;
  for (uint32_t bad : {0u, 3u, 6u, 100u, 65536u}) {
    EXPECT_EQ(q.Init(dma, bad, 0, false), Status::kInvalidArgs) << bad;
  }
  EXPECT_EQ(q.Init(dma, 8, 3000, false), Status::kInvalidArgs);
  dma.fail_after = 0;
  EXPECT_EQ(q.Init(dma, 8, 0, false), Status::kNoResources);
  EXPECT_FALSE(q.initialized());
  dma.fail_after = -1;
  EXPECT_EQ(q.Init(dma, 8, 4096, false), Status::kOk);
  EXPECT_EQ(q.desc_addr() % 4096, 0u);
  UsedBuffer used;
  EXPECT_EQ(q.PopUsed(&used), Status::kShouldWait);
  q.Release();
  EXPECT_EQ(dma.live(), 0u);
  EXPECT_EQ(q.PopUsed(&used), Status::kBadState);
}

}  // namespace
}  // namespace mica::virtio
