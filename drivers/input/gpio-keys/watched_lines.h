// WatchedLines: the gpio::GpioLines of a GPIO controller in another
// process, as a client of the IDL Gpio protocol (system/idl/gpio.idl) sees
// them: each pin was armed for both edges by a Watch call, whose reply
// gave its level, and each Edge event updates it. GpioKeys runs on these
// lines exactly as on a controller in the same process.
//
// Contract:
// - Reset(count) forgets every pin and sets line_count() (at most
//   kMaxLines; more is clamped).
// - Armed(pin, high) records a successful Watch(pin, RISING|FALLING) and
//   the level it reported; SetLevel(pin, high) an Edge event. Both ignore
//   pins out of range or not armed (an event for a pin nobody watched).
// - ConfigureInput(pin, kEdgeBoth) succeeds for an armed pin (the Watch
//   did the arming); any other trigger, or a pin not armed, is kBadState;
//   a pin out of range kInvalidArgs. ReadLine gives the last level of an
//   armed pin, kBadState for one not armed, kInvalidArgs out of range.
#pragma once

#include <stdint.h>

#include "drivers/gpio/lib/gpio_lines.h"
#include "drivers/lib/status.h"

namespace mica::drivers::gpio_keys {

class WatchedLines final : public gpio::GpioLines {
 public:
  static constexpr uint32_t kMaxLines = 32;

  void Reset(uint32_t count) {
    count_ = count > kMaxLines ? kMaxLines : count;
    armed_ = 0;
    levels_ = 0;
  }
  void Armed(uint32_t pin, bool high) {
    if (pin < count_) {
      armed_ |= 1u << pin;
      SetLevel(pin, high);
    }
  }
  void SetLevel(uint32_t pin, bool high) {
    if (pin < count_ && (armed_ & (1u << pin)) != 0) {
      levels_ = high ? levels_ | (1u << pin) : levels_ & ~(1u << pin);
    }
  }

  uint32_t line_count() const override { return count_; }
  Status ConfigureInput(uint32_t pin, gpio::Trigger trigger) override {
    if (pin >= count_) {
      return Status::kInvalidArgs;
    }
    return trigger == gpio::Trigger::kEdgeBoth && (armed_ & (1u << pin)) != 0 ? Status::kOk
                                                                              : Status::kBadState;
  }
  Status ReadLine(uint32_t pin, bool* high) override {
    if (pin >= count_) {
      return Status::kInvalidArgs;
    }
    if ((armed_ & (1u << pin)) == 0) {
      return Status::kBadState;
    }
    *high = (levels_ & (1u << pin)) != 0;
    return Status::kOk;
  }

 private:
  uint32_t count_ = 0;
  uint32_t armed_ = 0;
  uint32_t levels_ = 0;
};

}  // namespace mica::drivers::gpio_keys
