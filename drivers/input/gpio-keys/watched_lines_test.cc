// WatchedLines (watched_lines.h): every pin state, and GpioKeys on top of
// it as the gpio-keys process drives it (Watch replies, then Edge events).
#include "drivers/input/gpio-keys/watched_lines.h"

#include <gtest/gtest.h>

#include "drivers/input/gpio-keys/gpio_keys.h"

namespace mica::drivers::gpio_keys {
namespace {

using gpio::Trigger;

TEST(WatchedLines, PinsOutOfRangeAreRefusedEverywhere) {
  for (uint32_t count : {0u, 1u, 8u, 32u}) {
    WatchedLines lines;
    lines.Reset(count);
    EXPECT_EQ(lines.line_count(), count);
    for (uint32_t pin = count; pin < count + 40; pin++) {
      lines.Armed(pin, true);
      bool high = false;
      EXPECT_EQ(lines.ReadLine(pin, &high), Status::kInvalidArgs);
      EXPECT_EQ(lines.ConfigureInput(pin, Trigger::kEdgeBoth), Status::kInvalidArgs);
    }
  }
}

TEST(WatchedLines, CountIsClamped) {
  WatchedLines lines;
  lines.Reset(1000);
  EXPECT_EQ(lines.line_count(), WatchedLines::kMaxLines);
}

TEST(WatchedLines, OnlyArmedPinsReadAndOnlyForBothEdges) {
  WatchedLines lines;
  lines.Reset(8);
  for (uint32_t pin = 0; pin < 8; pin++) {
    bool high = true;
    EXPECT_EQ(lines.ReadLine(pin, &high), Status::kBadState);
    lines.SetLevel(pin, true);  // an event for a pin not armed: ignored
    EXPECT_EQ(lines.ConfigureInput(pin, Trigger::kEdgeBoth), Status::kBadState);
    lines.Armed(pin, pin % 2 == 0);
    ASSERT_EQ(lines.ReadLine(pin, &high), Status::kOk);
    EXPECT_EQ(high, pin % 2 == 0);
    for (Trigger t : {Trigger::kNone, Trigger::kEdgeRising, Trigger::kEdgeFalling,
                      Trigger::kLevelHigh, Trigger::kLevelLow}) {
      EXPECT_EQ(lines.ConfigureInput(pin, t), Status::kBadState);
    }
    EXPECT_EQ(lines.ConfigureInput(pin, Trigger::kEdgeBoth), Status::kOk);
  }
}

TEST(WatchedLines, EventsUpdateOnlyTheirPin) {
  WatchedLines lines;
  lines.Reset(8);
  for (uint32_t pin = 0; pin < 8; pin++) {
    lines.Armed(pin, false);
  }
  for (uint32_t pin = 0; pin < 8; pin++) {
    lines.SetLevel(pin, true);
    for (uint32_t other = 0; other < 8; other++) {
      bool high = false;
      ASSERT_EQ(lines.ReadLine(other, &high), Status::kOk);
      EXPECT_EQ(high, other <= pin) << pin << " " << other;
    }
  }
  lines.Reset(8);
  bool high = false;
  EXPECT_EQ(lines.ReadLine(3, &high), Status::kBadState);
}

// QEMU virt's power key (pin 3, active high) through the protocol: the
// Watch reply says low, the pulse comes as two Edge events.
TEST(WatchedLines, PowerKeyPulseThroughEvents) {
  KeySpec spec;
  spec.controller = 0x8005;
  spec.pin = 3;
  spec.code = kKeyPower;
  GpioKeys keys(0x8005);
  ASSERT_EQ(keys.AddKey(spec), Status::kOk);
  WatchedLines lines;
  lines.Reset(8);
  EXPECT_EQ(keys.Start(lines), Status::kBadState);  // not armed yet
  GpioKeys again(0x8005);
  ASSERT_EQ(again.AddKey(spec), Status::kOk);
  lines.Armed(3, false);
  ASSERT_EQ(again.Start(lines), Status::kOk);
  KeyEvent ev[4];
  lines.SetLevel(3, true);
  ASSERT_EQ(again.OnGpioInterrupt(1u << 3, ev, 4), 1u);
  EXPECT_EQ(ev[0].code, kKeyPower);
  EXPECT_TRUE(ev[0].pressed);
  lines.SetLevel(3, false);
  ASSERT_EQ(again.OnGpioInterrupt(1u << 3, ev, 4), 1u);
  EXPECT_FALSE(ev[0].pressed);
  // Both edges before the handler ran: the level is unchanged, two events.
  ASSERT_EQ(again.OnGpioInterrupt(1u << 3, ev, 4), 2u);
  EXPECT_TRUE(ev[0].pressed);
  EXPECT_FALSE(ev[1].pressed);
}

}  // namespace
}  // namespace mica::drivers::gpio_keys
