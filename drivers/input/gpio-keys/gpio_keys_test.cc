#include "drivers/input/gpio-keys/gpio_keys.h"

#include <gtest/gtest.h>

#include <vector>

#include "drivers/gpio/pl061/fake_pl061.h"
#include "drivers/gpio/pl061/pl061.h"

namespace mica::drivers::gpio_keys {
namespace {

// QEMU virt's gpio-keys/poweroff node, bytes as in the DTB:
// gpios = <0x8007 0x03 0x00>; linux,code = <0x74>.
const uint8_t kVirtGpios[12] = {0, 0, 0x80, 0x07, 0, 0, 0, 3, 0, 0, 0, 0};
const uint8_t kVirtCode[4] = {0, 0, 0, 0x74};
constexpr uint32_t kVirtPl061Phandle = 0x8007;

TEST(GpioKeysDecode, VirtPowerKey) {
  KeySpec spec;
  ASSERT_EQ(DecodeKey({kVirtGpios, 12}, {kVirtCode, 4}, 2, &spec), Status::kOk);
  EXPECT_EQ(spec.controller, kVirtPl061Phandle);
  EXPECT_EQ(spec.pin, 3u);
  EXPECT_FALSE(spec.active_low);
  EXPECT_EQ(spec.code, kKeyPower);
}

TEST(GpioKeysDecode, FlagsAndCellCounts) {
  const uint8_t low[12] = {0, 0, 0, 9, 0, 0, 0, 5, 0, 0, 0, 1};
  KeySpec spec;
  ASSERT_EQ(DecodeKey({low, 12}, {kVirtCode, 4}, 2, &spec), Status::kOk);
  EXPECT_TRUE(spec.active_low);
  EXPECT_EQ(spec.pin, 5u);
  const uint8_t one_cell[8] = {0, 0, 0, 9, 0, 0, 0, 2};
  ASSERT_EQ(DecodeKey({one_cell, 8}, {kVirtCode, 4}, 1, &spec), Status::kOk);
  EXPECT_EQ(spec.pin, 2u);
  EXPECT_FALSE(spec.active_low);
  const uint8_t pull_up[12] = {0, 0, 0, 9, 0, 0, 0, 5, 0, 0, 0, 0x11};  // ACTIVE_LOW|PULL_UP
  ASSERT_EQ(DecodeKey({pull_up, 12}, {kVirtCode, 4}, 2, &spec), Status::kOk);
  EXPECT_TRUE(spec.active_low);
}

// Every property length but the right one is refused, as are bad cells,
// and the output is never touched by a refusal.
TEST(GpioKeysDecode, RejectsMalformedProperties) {
  uint8_t buf[32] = {};
  for (size_t i = 0; i < 12; i++) {
    buf[i] = kVirtGpios[i];
  }
  KeySpec spec;
  spec.pin = 77;
  for (uint32_t cells = 0; cells <= 4; cells++) {
    for (size_t len = 0; len <= sizeof(buf); len++) {
      bool valid = cells >= 1 && cells <= 3 && len == 4 * (1 + cells);
      Status s = DecodeKey({buf, len}, {kVirtCode, 4}, cells, &spec);
      if (valid) {
        EXPECT_EQ(s, Status::kOk) << cells << " " << len;
        spec.pin = 77;
      } else {
        EXPECT_EQ(s, Status::kInvalidArgs) << cells << " " << len;
      }
    }
  }
  for (size_t len : {0u, 1u, 3u, 5u, 8u}) {
    EXPECT_EQ(DecodeKey({kVirtGpios, 12}, {kVirtCode, len}, 2, &spec), Status::kInvalidArgs);
  }
  EXPECT_EQ(DecodeKey({nullptr, 12}, {kVirtCode, 4}, 2, &spec), Status::kInvalidArgs);
  EXPECT_EQ(DecodeKey({kVirtGpios, 12}, {nullptr, 4}, 2, &spec), Status::kInvalidArgs);
  const uint8_t no_phandle[12] = {0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0};
  EXPECT_EQ(DecodeKey({no_phandle, 12}, {kVirtCode, 4}, 2, &spec), Status::kInvalidArgs);
  const uint8_t bad_flags[12] = {0, 0, 0, 9, 0, 0, 0, 3, 0, 0, 0, 0x80};
  EXPECT_EQ(DecodeKey({bad_flags, 12}, {kVirtCode, 4}, 2, &spec), Status::kInvalidArgs);
  const uint8_t zero_code[4] = {0, 0, 0, 0};
  const uint8_t big_code[4] = {0, 0, 0x03, 0x00};
  EXPECT_EQ(DecodeKey({kVirtGpios, 12}, {zero_code, 4}, 2, &spec), Status::kInvalidArgs);
  EXPECT_EQ(DecodeKey({kVirtGpios, 12}, {big_code, 4}, 2, &spec), Status::kInvalidArgs);
  EXPECT_EQ(spec.pin, 77u);
}

TEST(GpioKeys, AddKeyRefusesOtherControllersDuplicatesAndOverflow) {
  GpioKeys keys(kVirtPl061Phandle);
  EXPECT_EQ(keys.AddKey({0x1234, 3, false, 116}), Status::kNotFound);
  ASSERT_EQ(keys.AddKey({kVirtPl061Phandle, 3, false, 116}), Status::kOk);
  EXPECT_EQ(keys.AddKey({kVirtPl061Phandle, 3, false, 117}), Status::kInvalidArgs);
  for (uint32_t pin = 100; keys.key_count() < GpioKeys::kMaxKeys; pin++) {
    ASSERT_EQ(keys.AddKey({kVirtPl061Phandle, pin, false, 30}), Status::kOk);
  }
  EXPECT_EQ(keys.AddKey({kVirtPl061Phandle, 99, false, 30}), Status::kInvalidArgs);
}

struct Rig {
  pl061::testing::FakePl061 dev;
  pl061::Pl061 gpio{dev};
  GpioKeys keys{kVirtPl061Phandle};

  std::vector<KeyEvent> Service() {
    std::vector<KeyEvent> events;
    while (dev.irq_line()) {
      uint8_t pending = gpio.OnInterrupt();
      KeyEvent buf[4];
      size_t n = keys.OnGpioInterrupt(pending, buf, 4);
      events.insert(events.end(), buf, buf + n);
    }
    return events;
  }
};

// QEMU's system_powerdown: gpio-key drives pin 3 high, 100 ms later low.
TEST(GpioKeys, VirtPowerKeyPressAndRelease) {
  Rig rig;
  ASSERT_EQ(rig.gpio.Init(), Status::kOk);
  KeySpec spec;
  ASSERT_EQ(DecodeKey({kVirtGpios, 12}, {kVirtCode, 4}, 2, &spec), Status::kOk);
  ASSERT_EQ(rig.keys.AddKey(spec), Status::kOk);
  ASSERT_EQ(rig.keys.Start(rig.gpio), Status::kOk);
  EXPECT_FALSE(rig.dev.irq_line());
  EXPECT_EQ(rig.dev.ie(), 1u << 3);

  rig.dev.SetInput(3, true);
  std::vector<KeyEvent> ev = rig.Service();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].code, kKeyPower);
  EXPECT_TRUE(ev[0].pressed);

  rig.dev.SetInput(3, false);
  ev = rig.Service();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].code, kKeyPower);
  EXPECT_FALSE(ev[0].pressed);

  // Other pins' edges are not keys.
  rig.dev.SetInput(4, true);
  EXPECT_TRUE(rig.Service().empty());
}

TEST(GpioKeys, ShortPressSeenLateIsStillReported) {
  Rig rig;
  ASSERT_EQ(rig.gpio.Init(), Status::kOk);
  ASSERT_EQ(rig.keys.AddKey({kVirtPl061Phandle, 3, false, kKeyPower}), Status::kOk);
  ASSERT_EQ(rig.keys.Start(rig.gpio), Status::kOk);
  rig.dev.SetInput(3, true);
  rig.dev.SetInput(3, false);  // both edges before the handler runs
  std::vector<KeyEvent> ev = rig.Service();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_TRUE(ev[0].pressed);
  EXPECT_FALSE(ev[1].pressed);
}

TEST(GpioKeys, ActiveLowKeysAndSeveralPins) {
  Rig rig;
  ASSERT_EQ(rig.gpio.Init(), Status::kOk);
  rig.dev.SetInput(1, true);  // active-low key 1 idles high
  ASSERT_EQ(rig.keys.AddKey({kVirtPl061Phandle, 1, true, 28}), Status::kOk);  // KEY_ENTER
  ASSERT_EQ(rig.keys.AddKey({kVirtPl061Phandle, 6, false, 1}), Status::kOk);  // KEY_ESC
  ASSERT_EQ(rig.keys.Start(rig.gpio), Status::kOk);
  rig.dev.SetInput(1, false);
  rig.dev.SetInput(6, true);
  std::vector<KeyEvent> ev = rig.Service();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].code, 28u);
  EXPECT_TRUE(ev[0].pressed);
  EXPECT_EQ(ev[1].code, 1u);
  EXPECT_TRUE(ev[1].pressed);
  rig.dev.SetInput(1, true);
  ev = rig.Service();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].code, 28u);
  EXPECT_FALSE(ev[0].pressed);
}

TEST(GpioKeys, StartRefusesPinsBeyondTheController) {
  Rig rig;
  ASSERT_EQ(rig.gpio.Init(), Status::kOk);
  ASSERT_EQ(rig.keys.AddKey({kVirtPl061Phandle, 8, false, kKeyPower}), Status::kOk);
  EXPECT_EQ(rig.keys.Start(rig.gpio), Status::kInvalidArgs);
  EXPECT_EQ(rig.dev.ie(), 0u);
  KeyEvent buf[2];
  EXPECT_EQ(rig.keys.OnGpioInterrupt(0xff, buf, 2), 0u);
}

TEST(GpioKeys, EventBufferBoundIsKept) {
  Rig rig;
  ASSERT_EQ(rig.gpio.Init(), Status::kOk);
  for (uint32_t pin = 0; pin < 8; pin++) {
    ASSERT_EQ(rig.keys.AddKey({kVirtPl061Phandle, pin, false, 2 + pin}), Status::kOk);
  }
  ASSERT_EQ(rig.keys.Start(rig.gpio), Status::kOk);
  KeyEvent buf[3];
  EXPECT_EQ(rig.keys.OnGpioInterrupt(0xff, buf, 3), 3u);
}

}  // namespace
}  // namespace mica::drivers::gpio_keys
