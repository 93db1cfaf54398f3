// Host tests of the virtio-net logic (virtio_net.h) against the fake network
// device (which loops transmitted frames back) on both transport versions:
// the header size per version, MAC from config, frames of every length
// returned byte for byte, small queues wrapping past 65535, oversize frames
// dropped, and devices that break the protocol or ask for a reset.
#include "drivers/net/virtio-net/virtio_net.h"

#include <gtest/gtest.h>

#include <vector>

#include "drivers/virtio/testing/fake_devices.h"

namespace mica::virtio {
namespace {

using testing::FakeDma;
using testing::FakeNetDevice;

constexpr uint8_t kMac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

std::vector<uint8_t> Frame(size_t len, uint32_t seed) {
  std::vector<uint8_t> f(len);
  for (size_t i = 0; i < len; i++) {
    f[i] = static_cast<uint8_t>(i * 13 + seed * 7 + (seed >> 8));
  }
  return f;
}

struct Rig {
  Rig(uint32_t version, uint64_t features = kNetFeatureMac, uint32_t queue_max = 256)
      : device(dma, version, features, kMac, queue_max), transport(device), net(transport, dma) {
    EXPECT_EQ(transport.Probe(), Status::kOk);
  }
  ~Rig() {
    EXPECT_EQ(device.bad_accesses(), 0u);
    EXPECT_EQ(device.driver_errors(), 0u);
  }
  std::vector<uint8_t> Receive(Status* status) {
    std::vector<uint8_t> out(VirtioNet::kMaxFrame);
    size_t len = 0;
    *status = net.Receive(out.data(), out.size(), &len);
    out.resize(len);
    return out;
  }
  FakeDma dma;
  FakeNetDevice device;
  MmioTransport transport;
  VirtioNet net;
};

class Versions : public ::testing::TestWithParam<uint32_t> {};

TEST_P(Versions, FramesOfEveryLengthLoopBackIntact) {
  Rig rig(GetParam());
  ASSERT_EQ(rig.net.Start(), Status::kOk);
  EXPECT_EQ(rig.net.header_size(), GetParam() == mmio::kVersionModern ? 12u : 10u);
  EXPECT_EQ(rig.device.header_size(), rig.net.header_size());
  ASSERT_TRUE(rig.net.has_mac());
  EXPECT_EQ(memcmp(rig.net.mac(), kMac, 6), 0);
  EXPECT_EQ(rig.net.rx_slots(), VirtioNet::kMaxSlots);
  for (size_t len = VirtioNet::kMinFrame; len <= VirtioNet::kMaxFrame; len++) {
    const std::vector<uint8_t> frame = Frame(len, static_cast<uint32_t>(len));
    ASSERT_EQ(rig.net.Send(frame.data(), frame.size()), Status::kOk);
    Status s;
    EXPECT_EQ(rig.Receive(&s), frame);
    ASSERT_EQ(s, Status::kOk);
    ASSERT_EQ(rig.device.sent.back(), frame);
  }
  Status s;
  EXPECT_TRUE(rig.Receive(&s).empty());
  EXPECT_EQ(s, Status::kShouldWait);
}

TEST_P(Versions, BurstsLargerThanTheRingQueueUpAndArriveInOrder) {
  Rig rig(GetParam(), kNetFeatureMac, 16);  // 8 receive and 8 transmit slots
  ASSERT_EQ(rig.net.Start(), Status::kOk);
  EXPECT_EQ(rig.net.rx_slots(), 8u);
  for (uint32_t i = 0; i < 50; i++) {
    const std::vector<uint8_t> frame = Frame(60 + i, i);
    ASSERT_EQ(rig.net.Send(frame.data(), frame.size()), Status::kOk);
  }
  for (uint32_t i = 0; i < 50; i++) {
    Status s;
    ASSERT_EQ(rig.Receive(&s), Frame(60 + i, i)) << i;
    ASSERT_EQ(s, Status::kOk);
  }
}

TEST_P(Versions, SmallestQueuesWrapPast65535) {
  Rig rig(GetParam(), kNetFeatureMac, 2);  // one slot each way
  ASSERT_EQ(rig.net.Start(), Status::kOk);
  EXPECT_EQ(rig.net.rx_slots(), 1u);
  for (uint32_t i = 0; i < 70000; i++) {
    const std::vector<uint8_t> frame = Frame(64, i);
    ASSERT_EQ(rig.net.Send(frame.data(), frame.size()), Status::kOk);
    Status s;
    ASSERT_EQ(rig.Receive(&s), frame);
  }
  EXPECT_LT(rig.device.queue(0).used_idx, 70000u - 65536u + 2);
  EXPECT_LT(rig.device.queue(1).used_idx, 70000u - 65536u + 2);
}

TEST_P(Versions, WithoutTheMacFeatureThereIsNoMac) {
  Rig rig(GetParam(), 0);
  ASSERT_EQ(rig.net.Start(), Status::kOk);
  EXPECT_FALSE(rig.net.has_mac());
}

TEST_P(Versions, BadSizesAreRefusedAndOversizeFramesDropped) {
  Rig rig(GetParam());
  ASSERT_EQ(rig.net.Start(), Status::kOk);
  const std::vector<uint8_t> big = Frame(1600, 1);
  EXPECT_EQ(rig.net.Send(big.data(), 13), Status::kInvalidArgs);
  EXPECT_EQ(rig.net.Send(big.data(), 1515), Status::kInvalidArgs);
  EXPECT_EQ(rig.net.Send(nullptr, 60), Status::kInvalidArgs);
  uint8_t small[100];
  size_t len;
  EXPECT_EQ(rig.net.Receive(small, sizeof(small), &len), Status::kInvalidArgs);
  rig.device.Inject(big);           // fits the buffer, but not an Ethernet frame
  rig.device.Inject(Frame(10, 2));  // a runt
  rig.device.Inject(Frame(100, 3));
  Status s;
  EXPECT_EQ(rig.Receive(&s), Frame(100, 3));
  EXPECT_EQ(s, Status::kOk);
  EXPECT_EQ(rig.device.rx_buffers_posted(), VirtioNet::kMaxSlots);  // all given back
}

TEST_P(Versions, ALyingDeviceIsRefusedUntilRestart) {
  for (int fault = 0; fault < 4; fault++) {
    SCOPED_TRACE(fault);
    Rig rig(GetParam());
    ASSERT_EQ(rig.net.Start(), Status::kOk);
    const std::vector<uint8_t> frame = Frame(64, 5);
    if (fault == 0) {
      rig.device.next_used_id = 1;  // the second descriptor of a chain
    } else if (fault == 1) {
      rig.device.extra_used_len = VirtioNet::kBufferSize;
    } else if (fault == 3) {
      rig.device.RaiseNeedsReset();
    }
    if (fault == 2) {
      rig.device.next_short = true;  // a used length shorter than the header
    }
    if (fault != 3) {
      rig.device.Inject(frame);
    }
    Status s;
    rig.Receive(&s);
    EXPECT_EQ(s, Status::kDeviceError);
    EXPECT_EQ(rig.net.Send(frame.data(), frame.size()), Status::kBadState);
    ASSERT_EQ(rig.net.Start(), Status::kOk);
    ASSERT_EQ(rig.net.Send(frame.data(), frame.size()), Status::kOk);
    EXPECT_EQ(rig.Receive(&s), frame);
  }
}

TEST_P(Versions, TooSmallQueuesAndOtherDevicesAreRefused) {
  {
    Rig rig(GetParam(), kNetFeatureMac, 1);
    EXPECT_EQ(rig.net.Start(), Status::kNotSupported);
  }
  FakeDma dma;
  testing::FakeRngDevice rng(dma, GetParam(), 8);
  MmioTransport t(rng);
  ASSERT_EQ(t.Probe(), Status::kOk);
  VirtioNet net(t, dma);
  EXPECT_EQ(net.Start(), Status::kNotSupported);
}

INSTANTIATE_TEST_SUITE_P(Both, Versions,
                         ::testing::Values(mmio::kVersionLegacy, mmio::kVersionModern),
                         [](const auto& info) {
                           return info.param == mmio::kVersionLegacy ? "Legacy" : "Modern";
                         });

}  // namespace
}  // namespace mica::virtio
