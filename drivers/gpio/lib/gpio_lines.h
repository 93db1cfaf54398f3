// GpioLines: what a consumer of GPIO lines (gpio-keys, later a GPIO
// protocol server) needs from a GPIO controller's logic, so the consumer
// does not depend on which controller (PL061 on virt; the BCM2711's GPIO
// block in M7) drives the lines.
//
// Contract: pins are numbered 0 .. line_count()-1 as in the controller's
// `gpios` specifiers (DT spec §2.3, GPIO binding). ConfigureInput makes the
// pin an input and arms its interrupt with `trigger` (kNone: disarmed);
// ReadLine returns the pin's current level (true = high). Out-of-range pins
// are refused with kInvalidArgs.
#pragma once

#include <stdint.h>

#include "drivers/lib/status.h"

namespace mica::drivers::gpio {

enum class Trigger {
  kNone,
  kEdgeRising,
  kEdgeFalling,
  kEdgeBoth,
  kLevelHigh,
  kLevelLow,
};

class GpioLines {
 public:
  virtual ~GpioLines() = default;
  virtual uint32_t line_count() const = 0;
  virtual Status ConfigureInput(uint32_t pin, Trigger trigger) = 0;
  virtual Status ReadLine(uint32_t pin, bool* high) = 0;
};

}  // namespace mica::drivers::gpio
