// Host tests of the virtio-mmio transport (transport.h) against the fake
// device: probing, the status handshake and feature negotiation of both
// versions, queue programming, interrupts, config reads with a generation
// that moves, and devices that never finish a reset or refuse features.
#include "drivers/bus/virtio-mmio/transport.h"

#include <gtest/gtest.h>

#include <map>

#include "drivers/virtio/testing/fake_devices.h"

namespace mica::virtio {
namespace {

using testing::FakeDma;
using testing::FakeHoldingDevice;

// A register file answering fixed values, for probe cases the fake device
// never produces (bad magic, unknown version).
class FixedRegisters : public driver::RegisterIo {
 public:
  std::map<uint32_t, uint32_t> values;
  uint8_t Read8(uint32_t) override { return 0; }
  uint16_t Read16(uint32_t) override { return 0; }
  uint32_t Read32(uint32_t offset) override { return values[offset]; }
  void Write8(uint32_t, uint8_t) override {}
  void Write16(uint32_t, uint16_t) override {}
  void Write32(uint32_t, uint32_t) override {}
};

TEST(MmioTransport, ProbeRefusesBadMagicAndUnknownVersions) {
  FixedRegisters regs;
  MmioTransport t(regs);
  regs.values[mmio::kMagicValue] = 0x12345678;
  regs.values[mmio::kVersion] = 2;
  EXPECT_EQ(t.Probe(), Status::kNotFound);
  regs.values[mmio::kMagicValue] = mmio::kMagic;
  for (uint32_t version : {0u, 3u, 0xffffffffu}) {
    regs.values[mmio::kVersion] = version;
    EXPECT_EQ(t.Probe(), Status::kNotFound) << version;
  }
  regs.values[mmio::kVersion] = 1;
  regs.values[mmio::kDeviceId] = 0;  // an empty QEMU slot
  EXPECT_EQ(t.Probe(), Status::kOk);
  EXPECT_EQ(t.device_id(), 0u);
  EXPECT_TRUE(t.legacy());
  uint8_t byte;
  FixedRegisters unprobed;
  MmioTransport fresh(unprobed);
  uint64_t negotiated;
  EXPECT_EQ(fresh.Start(0, &negotiated), Status::kBadState);
  EXPECT_EQ(fresh.ReadConfig8(0, &byte), Status::kInvalidArgs);
}

class Versions : public ::testing::TestWithParam<uint32_t> {};

TEST_P(Versions, HandshakeNegotiatesTheCommonSubset) {
  FakeDma dma;
  const uint64_t offered = (1ull << 5) | (1ull << 9) | kFeatureEventIdx | (1ull << 40);
  FakeHoldingDevice dev(dma, GetParam(), 7, offered, 2, 128);
  MmioTransport t(dev);
  ASSERT_EQ(t.Probe(), Status::kOk);
  EXPECT_EQ(t.version(), GetParam());
  EXPECT_EQ(t.device_id(), 7u);
  uint64_t negotiated = 0;
  ASSERT_EQ(t.Start((1ull << 5) | (1ull << 6) | (1ull << 40), &negotiated), Status::kOk);
  if (GetParam() == mmio::kVersionModern) {
    EXPECT_EQ(negotiated, (1ull << 5) | (1ull << 40) | kFeatureVersion1);
    EXPECT_EQ(dev.status(), kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk);
  } else {
    EXPECT_EQ(negotiated, 1ull << 5);  // legacy has 32 feature bits only
    EXPECT_EQ(dev.status(), kStatusAcknowledge | kStatusDriver);
  }
  EXPECT_EQ(dev.driver_features(), negotiated);
  SplitVirtqueue q0, q1, q2;
  EXPECT_EQ(t.SetupQueue(0, dma, 64, &q0), Status::kOk);
  EXPECT_EQ(t.SetupQueue(0, dma, 64, &q2), Status::kBadState);  // already live
  EXPECT_EQ(t.SetupQueue(1, dma, 1000, &q1), Status::kOk);
  EXPECT_EQ(q1.size(), 128u);
  EXPECT_EQ(t.SetupQueue(2, dma, 64, &q2), Status::kNotSupported);  // no such queue
  EXPECT_EQ(t.SetupQueue(1, dma, 0, &q2), Status::kBadState);
  t.DriverOk();
  EXPECT_TRUE(dev.status() & kStatusDriverOk);
  EXPECT_TRUE(dev.queue(0).ready);
  EXPECT_EQ(dev.queue(0).num, 64u);
  EXPECT_EQ(dev.queue(0).desc, q0.desc_addr());
  EXPECT_EQ(dev.queue(1).used, q1.used_addr());
  EXPECT_EQ(dev.bad_accesses(), 0u);
  EXPECT_EQ(dev.driver_errors(), 0u);
  // A second Start resets the device first.
  const uint64_t resets = dev.resets();
  ASSERT_EQ(t.Start(0, &negotiated), Status::kOk);
  EXPECT_EQ(dev.resets(), resets + 1);
  EXPECT_FALSE(dev.queue(0).ready);
}

TEST_P(Versions, QueueSizeIsThePowerOfTwoAtMostBothLimits) {
  for (uint32_t device_max : {1u, 2u, 3u, 100u, 256u, 1024u, 40000u}) {
    for (uint32_t wanted : {1u, 5u, 64u, 32768u}) {
      FakeDma dma;
      FakeHoldingDevice dev(dma, GetParam(), 7, 0, 1, device_max);
      MmioTransport t(dev);
      uint64_t negotiated;
      ASSERT_EQ(t.Probe(), Status::kOk);
      ASSERT_EQ(t.Start(0, &negotiated), Status::kOk);
      SplitVirtqueue q;
      ASSERT_EQ(t.SetupQueue(0, dma, wanted, &q), Status::kOk);
      const uint32_t limit = std::min({device_max, wanted, kMaxQueueSize});
      EXPECT_LE(q.size(), limit);
      EXPECT_GT(q.size() * 2, limit);
      EXPECT_EQ(q.size() & (q.size() - 1), 0u);
      EXPECT_EQ(dev.bad_accesses(), 0u);
    }
  }
}

TEST(MmioTransport, LegacyQueueAlignPacksTheRingAndTheDeviceAgrees) {
  for (uint32_t align : {4u, 16u, 64u, 4096u}) {
    for (uint32_t size : {1u, 8u, 64u, 128u, 1024u}) {
      FakeDma dma;
      FakeHoldingDevice dev(dma, mmio::kVersionLegacy, 7, 0, 1, 1024);
      MmioTransport t(dev);
      ASSERT_EQ(t.Probe(), Status::kOk);
      ASSERT_EQ(t.set_legacy_queue_align(align), Status::kOk);
      uint64_t negotiated;
      ASSERT_EQ(t.Start(0, &negotiated), Status::kOk);
      SplitVirtqueue q;
      ASSERT_EQ(t.SetupQueue(0, dma, size, &q), Status::kOk);
      EXPECT_EQ(dev.queue(0).align, align);
      EXPECT_EQ(dev.queue(0).used, q.used_addr());
      EXPECT_EQ(q.used_addr() % align, 0u);
      EXPECT_EQ(dev.queue(0).desc % 4096, 0u);
      EXPECT_EQ(dev.bad_accesses(), 0u);
    }
  }
  // 64-byte alignment fits a 128-entry legacy ring in one page.
  EXPECT_LE(SplitVirtqueue::RingBytes(128, 64), 4096u);
  FakeDma dma;
  FakeHoldingDevice dev(dma, mmio::kVersionLegacy, 7, 0, 1, 8);
  MmioTransport t(dev);
  for (uint32_t bad : {0u, 2u, 3u, 100u, 8192u}) {
    EXPECT_EQ(t.set_legacy_queue_align(bad), Status::kInvalidArgs) << bad;
  }
}

TEST_P(Versions, InterruptsAreAcknowledgedExactly) {
  FakeDma dma;
  FakeHoldingDevice dev(dma, GetParam(), 7, 0, 1, 8);
  MmioTransport t(dev);
  ASSERT_EQ(t.Probe(), Status::kOk);
  EXPECT_EQ(t.TakeInterrupt(), 0u);
  dev.RaiseConfigChange();
  EXPECT_EQ(t.TakeInterrupt(), mmio::kInterruptConfigChange);
  EXPECT_EQ(dev.interrupt_status(), 0u);
  EXPECT_FALSE(t.NeedsReset());
  dev.RaiseNeedsReset();
  EXPECT_TRUE(t.NeedsReset());
}

TEST_P(Versions, ConfigReadsUseTheirWidthAndStayInTheWindow) {
  FakeDma dma;
  FakeHoldingDevice dev(dma, GetParam(), 7, 0, 1, 8);
  dev.config.resize(256);
  for (size_t i = 0; i < dev.config.size(); i++) {
    dev.config[i] = static_cast<uint8_t>(i * 7 + 1);
  }
  MmioTransport t(dev);
  ASSERT_EQ(t.Probe(), Status::kOk);
  uint8_t b;
  uint16_t h;
  uint32_t w;
  uint64_t d;
  ASSERT_EQ(t.ReadConfig8(3, &b), Status::kOk);
  EXPECT_EQ(b, 22);
  ASSERT_EQ(t.ReadConfig16(4, &h), Status::kOk);
  EXPECT_EQ(h, 29 | (36 << 8));
  ASSERT_EQ(t.ReadConfig32(8, &w), Status::kOk);
  EXPECT_EQ(w, 57u | (64u << 8) | (71u << 16) | (78u << 24));
  ASSERT_EQ(t.ReadConfig64(248, &d), Status::kOk);
  EXPECT_EQ(d & 0xff, static_cast<uint8_t>(248 * 7 + 1));
  uint8_t mac[6];
  ASSERT_EQ(t.ReadConfigBytes(250, mac, 6), Status::kOk);
  EXPECT_EQ(mac[5], static_cast<uint8_t>(255 * 7 + 1));
  EXPECT_EQ(t.ReadConfig8(256, &b), Status::kInvalidArgs);
  EXPECT_EQ(t.ReadConfig16(255, &h), Status::kInvalidArgs);
  EXPECT_EQ(t.ReadConfig16(3, &h), Status::kInvalidArgs);
  EXPECT_EQ(t.ReadConfig32(254, &w), Status::kInvalidArgs);
  EXPECT_EQ(t.ReadConfig64(252, &d), Status::kInvalidArgs);
  EXPECT_EQ(t.ReadConfigBytes(250, mac, 7), Status::kInvalidArgs);
  EXPECT_EQ(t.ReadConfigBytes(0xffffffff, mac, 2), Status::kInvalidArgs);
  EXPECT_EQ(dev.bad_accesses(), 0u);
}

TEST(MmioTransport, ModernConfigReadRetriesWhileTheGenerationMoves) {
  FakeDma dma;
  FakeHoldingDevice dev(dma, mmio::kVersionModern, 7, 0, 1, 8);
  dev.config.assign(16, 0xab);
  MmioTransport t(dev);
  ASSERT_EQ(t.Probe(), Status::kOk);
  uint64_t d;
  dev.generation_flips = 5;  // changes under the first five attempts
  ASSERT_EQ(t.ReadConfig64(0, &d), Status::kOk);
  EXPECT_EQ(d, 0xababababababababull);
  EXPECT_EQ(dev.generation_flips, 0);
  dev.generation_flips = 1000;  // never settles
  uint8_t b;
  EXPECT_EQ(t.ReadConfig8(0, &b), Status::kDeviceError);
  EXPECT_EQ(dev.bad_accesses(), 0u);
}

TEST(MmioTransport, ModernDeviceRefusingFeaturesFails) {
  FakeDma dma;
  FakeHoldingDevice dev(dma, mmio::kVersionModern, 7, 0, 1, 8);
  dev.refuse_features_ok = true;
  MmioTransport t(dev);
  ASSERT_EQ(t.Probe(), Status::kOk);
  uint64_t negotiated;
  EXPECT_EQ(t.Start(0, &negotiated), Status::kNotSupported);
  EXPECT_TRUE(dev.status() & kStatusFailed);
}

TEST_P(Versions, ResetMustReadBackZero) {
  FakeDma dma;
  FakeHoldingDevice dev(dma, GetParam(), 7, 0, 1, 8);
  MmioTransport t(dev);
  ASSERT_EQ(t.Probe(), Status::kOk);
  uint64_t negotiated;
  dev.reset_polls_nonzero = 10;  // slow but finite
  EXPECT_EQ(t.Start(0, &negotiated), Status::kOk);
  dev.reset_polls_nonzero = 1000000;  // never
  EXPECT_EQ(t.Start(0, &negotiated), Status::kDeviceError);
}

INSTANTIATE_TEST_SUITE_P(Both, Versions,
                         ::testing::Values(mmio::kVersionLegacy, mmio::kVersionModern),
                         [](const auto& info) {
                           return info.param == mmio::kVersionLegacy ? "Legacy" : "Modern";
                         });

}  // namespace
}  // namespace mica::virtio
