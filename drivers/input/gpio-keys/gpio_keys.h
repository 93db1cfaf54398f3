// GpioKeys: buttons wired to GPIO lines (`gpio-keys`), turned into key
// press and release events. On QEMU virt the `gpio-keys` node has one key,
// `poweroff`: gpios = <&pl061 3 0>, linux,code = <116> (KEY_POWER); the
// monitor's `system_powerdown` drives PL061 pin 3 high for 100 ms (QEMU's
// gpio-key device), i.e. a press then a release.
//
// Contract:
// - DecodeKey reads one key node's properties as the DT gives them
//   (big-endian 32-bit cells, DT spec §2.2.4): `gpios` must be exactly one
//   specifier, <phandle pin flags...> with `gpio_cells` cells after the
//   phandle (the controller's #gpio-cells, 1..3; pin is the first, flags
//   the second if present); `linux,code` one cell, at most KEY_MAX (0x2ff,
//   Linux input-event-codes.h). Flags bit 0 is GPIO_ACTIVE_LOW
//   (dt-bindings/gpio/gpio.h); flags above bit 6 are refused. Anything else
//   (a wrong length, a zero phandle, a bad code) is kInvalidArgs and leaves
//   the output untouched.
// - A GpioKeys serves the keys of one controller (its phandle): AddKey
//   refuses keys of another controller (kNotFound), duplicate pins and more
//   than kMaxKeys (kInvalidArgs). Start arms every key's pin for both edges
//   (a press and a release are both edges) and records its level; a pin
//   beyond the controller's lines fails Start with kInvalidArgs.
// - OnGpioInterrupt(pending) gets the controller's fired pins (bit n = pin
//   n), reads each key's level, and reports a change as one event. A key
//   whose pin fired with its level unchanged went down and up (or up and
//   down) before we looked: both events are reported, in that order, so a
//   short press is never lost.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "drivers/gpio/lib/gpio_lines.h"
#include "drivers/lib/status.h"

namespace mica::drivers::gpio_keys {

inline constexpr uint32_t kGpioActiveLow = 1u << 0;
inline constexpr uint32_t kGpioKnownFlags = 0x7f;
inline constexpr uint32_t kKeyMax = 0x2ff;
inline constexpr uint32_t kKeyPower = 116;

struct Property {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

struct KeySpec {
  uint32_t controller = 0;  // phandle of the GPIO controller
  uint32_t pin = 0;
  bool active_low = false;
  uint32_t code = 0;  // Linux input event code (EV_KEY)
};

struct KeyEvent {
  uint32_t code = 0;
  bool pressed = false;
};

Status DecodeKey(Property gpios, Property code, uint32_t gpio_cells, KeySpec* out);

class GpioKeys {
 public:
  static constexpr size_t kMaxKeys = 16;

  explicit GpioKeys(uint32_t controller_phandle) : controller_(controller_phandle) {}

  Status AddKey(const KeySpec& spec);
  Status Start(gpio::GpioLines& lines);
  // Writes at most `max` events to `out`, returns how many.
  size_t OnGpioInterrupt(uint32_t pending, KeyEvent* out, size_t max);

  size_t key_count() const { return count_; }

 private:
  struct Key {
    KeySpec spec;
    bool pressed = false;
  };

  uint32_t controller_;
  gpio::GpioLines* lines_ = nullptr;
  Key keys_[kMaxKeys];
  size_t count_ = 0;
};

}  // namespace mica::drivers::gpio_keys
