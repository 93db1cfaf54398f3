#include "drivers/gpio/pl061/pl061.h"

#include <gtest/gtest.h>

#include "drivers/gpio/pl061/fake_pl061.h"

namespace mica::drivers::pl061 {
namespace {

using gpio::Trigger;
using testing::FakePl061;

TEST(Pl061, InitChecksIdAndMasks) {
  FakePl061 dev;
  Pl061 gpio(dev);
  ASSERT_EQ(gpio.Init(), Status::kOk);
  EXPECT_EQ(dev.ie(), 0);
  EXPECT_EQ(dev.bad_accesses(), 0u);

  FakePl061 other;
  const uint8_t pl011[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
  other.SetPrimeCellId(pl011);
  Pl061 wrong(other);
  EXPECT_EQ(wrong.Init(), Status::kNotFound);
  uint8_t v;
  EXPECT_EQ(wrong.Read(0xff, &v), Status::kBadState);
  EXPECT_EQ(wrong.ConfigureInput(3, Trigger::kEdgeBoth), Status::kBadState);
  EXPECT_EQ(wrong.OnInterrupt(), 0);
}

// Every (mask, value) pair: a write changes exactly the masked output pins,
// in one store at offset mask << 2 (TRM §3.3.1).
TEST(Pl061, DataWritesFollowTheAddressMask) {
  FakePl061 dev;
  Pl061 gpio(dev);
  ASSERT_EQ(gpio.Init(), Status::kOk);
  ASSERT_EQ(gpio.SetDirection(0xff, 0x0f), Status::kOk);  // 0-3 out, 4-7 in
  uint8_t expect = 0;
  for (uint32_t mask = 0; mask < 256; mask++) {
    for (uint32_t value : {0x00u, 0xffu, 0xa5u, mask ^ 0x5au}) {
      dev.ClearLog();
      ASSERT_EQ(gpio.Write(static_cast<uint8_t>(mask), static_cast<uint8_t>(value)), Status::kOk);
      ASSERT_EQ(dev.log().size(), 1u);
      EXPECT_EQ(dev.log()[0].offset, mask << 2);
      uint8_t m = static_cast<uint8_t>(mask & 0x0f);
      expect = static_cast<uint8_t>((expect & ~m) | (value & m));
      ASSERT_EQ(dev.outputs(), expect) << mask << " " << value;
    }
  }
}

TEST(Pl061, DataReadsFollowTheAddressMask) {
  FakePl061 dev;
  Pl061 gpio(dev);
  ASSERT_EQ(gpio.Init(), Status::kOk);
  ASSERT_EQ(gpio.SetDirection(0xff, 0x03), Status::kOk);
  ASSERT_EQ(gpio.Write(0x03, 0x02), Status::kOk);
  for (uint32_t pin = 2; pin < 8; pin++) {
    dev.SetInput(pin, pin % 2 == 0);
  }
  uint8_t levels = 0x02 | 0x04 | 0x10 | 0x40;
  for (uint32_t mask = 0; mask < 256; mask++) {
    uint8_t v = 0xee;
    ASSERT_EQ(gpio.Read(static_cast<uint8_t>(mask), &v), Status::kOk);
    EXPECT_EQ(v, levels & mask) << mask;
  }
  for (uint32_t pin = 0; pin < 8; pin++) {
    bool high = false;
    ASSERT_EQ(gpio.ReadLine(pin, &high), Status::kOk);
    EXPECT_EQ(high, ((levels >> pin) & 1) != 0);
  }
  bool high;
  EXPECT_EQ(gpio.ReadLine(8, &high), Status::kInvalidArgs);
}

TEST(Pl061, SetDirectionTouchesOnlyTheMaskedPins) {
  FakePl061 dev;
  Pl061 gpio(dev);
  ASSERT_EQ(gpio.Init(), Status::kOk);
  ASSERT_EQ(gpio.SetDirection(0xf0, 0xff), Status::kOk);
  EXPECT_EQ(dev.dir(), 0xf0);
  ASSERT_EQ(gpio.SetDirection(0x30, 0x00), Status::kOk);
  EXPECT_EQ(dev.dir(), 0xc0);
}

struct EdgeCase {
  Trigger trigger;
  bool rise_fires;
  bool fall_fires;
};

TEST(Pl061, EdgeTriggersLatchUntilCleared) {
  const EdgeCase cases[] = {
      {Trigger::kEdgeRising, true, false},
      {Trigger::kEdgeFalling, false, true},
      {Trigger::kEdgeBoth, true, true},
      {Trigger::kNone, false, false},
  };
  for (const EdgeCase& c : cases) {
    for (uint32_t pin = 0; pin < 8; pin++) {
      FakePl061 dev;
      Pl061 gpio(dev);
      ASSERT_EQ(gpio.Init(), Status::kOk);
      ASSERT_EQ(gpio.ConfigureInput(pin, c.trigger), Status::kOk);
      uint8_t bit = static_cast<uint8_t>(1u << pin);
      dev.SetInput(pin, true);
      EXPECT_EQ(dev.irq_line(), c.rise_fires);
      EXPECT_EQ(gpio.OnInterrupt(), c.rise_fires ? bit : 0);
      EXPECT_FALSE(dev.irq_line());  // cleared by OnInterrupt
      dev.SetInput(pin, false);
      EXPECT_EQ(dev.irq_line(), c.fall_fires);
      EXPECT_EQ(gpio.OnInterrupt(), c.fall_fires ? bit : 0);
      EXPECT_FALSE(dev.irq_line());
      // Another pin's edge is not this pin's interrupt.
      dev.SetInput((pin + 1) % 8, true);
      EXPECT_FALSE(dev.irq_line());
    }
  }
}

TEST(Pl061, ConfigureClearsAStaleEdgeBeforeUnmasking) {
  FakePl061 dev;
  Pl061 gpio(dev);
  ASSERT_EQ(gpio.Init(), Status::kOk);
  ASSERT_EQ(gpio.ConfigureInput(5, Trigger::kNone), Status::kOk);
  // IS/IBE/IEV = 0 select the falling edge: this one latches while masked.
  dev.SetInput(5, true);
  dev.SetInput(5, false);
  dev.ClearLog();
  ASSERT_EQ(gpio.ConfigureInput(5, Trigger::kEdgeRising), Status::kOk);
  EXPECT_FALSE(dev.irq_line());
  int ie = dev.FindWrite(kGpioIe);
  ASSERT_EQ(ie >= 0 && (dev.log()[ie].value & 0x20) == 0, true);
  int ic = dev.FindWrite(kGpioIc, ie + 1);
  int unmask = dev.FindWrite(kGpioIe, ic + 1);
  EXPECT_LT(dev.FindWrite(kGpioIs, ie + 1), ic);
  EXPECT_LT(dev.FindWrite(kGpioIev, ie + 1), ic);
  EXPECT_GT(unmask, ic);
}

TEST(Pl061, LevelTriggersMaskUntilUnmasked) {
  for (Trigger t : {Trigger::kLevelHigh, Trigger::kLevelLow}) {
    FakePl061 dev;
    Pl061 gpio(dev);
    ASSERT_EQ(gpio.Init(), Status::kOk);
    bool active_high = t == Trigger::kLevelHigh;
    dev.SetInput(2, !active_high);
    ASSERT_EQ(gpio.ConfigureInput(2, t), Status::kOk);
    EXPECT_FALSE(dev.irq_line());
    dev.SetInput(2, active_high);
    EXPECT_TRUE(dev.irq_line());
    EXPECT_EQ(gpio.OnInterrupt(), 0x04);
    EXPECT_FALSE(dev.irq_line());  // masked: the level still holds
    ASSERT_EQ(gpio.Unmask(2), Status::kOk);
    EXPECT_TRUE(dev.irq_line());  // still active: fires again
    EXPECT_EQ(gpio.OnInterrupt(), 0x04);
    dev.SetInput(2, !active_high);
    ASSERT_EQ(gpio.Unmask(2), Status::kOk);
    EXPECT_FALSE(dev.irq_line());
    EXPECT_EQ(gpio.Unmask(8), Status::kInvalidArgs);
  }
}

TEST(Pl061, OutputPinsNeverInterrupt) {
  FakePl061 dev;
  Pl061 gpio(dev);
  ASSERT_EQ(gpio.Init(), Status::kOk);
  ASSERT_EQ(gpio.ConfigureInput(1, Trigger::kEdgeBoth), Status::kOk);
  ASSERT_EQ(gpio.SetDirection(0x02, 0x02), Status::kOk);
  ASSERT_EQ(gpio.Write(0x02, 0x02), Status::kOk);
  ASSERT_EQ(gpio.Write(0x02, 0x00), Status::kOk);
  EXPECT_FALSE(dev.irq_line());
  EXPECT_EQ(gpio.ConfigureInput(8, Trigger::kEdgeBoth), Status::kInvalidArgs);
}

}  // namespace
}  // namespace mica::drivers::pl061
