// FakePl061: a host model of the PL061 (TRM DDI0190 §3.3; QEMU's
// hw/gpio/pl061.c behaves the same for these registers): data reads and
// writes masked by address bits [9:2], writes reaching only output pins;
// input levels driven by the test (SetInput); edge-sensitive pins latch
// GPIORIS on the edge GPIOIBE/GPIOIEV select until GPIOIC clears it;
// level-sensitive pins show their level in GPIORIS while it matches
// GPIOIEV (clearing does nothing while it holds); GPIOMIS = RIS & IE.
#pragma once

#include <stdint.h>

#include "drivers/gpio/pl061/pl061.h"
#include "drivers/lib/fake_registers.h"

namespace mica::drivers::pl061::testing {

class FakePl061 : public drivers::testing::FakeRegisterFile {
 public:
  FakePl061() : FakeRegisterFile(0x1000) {
    const uint8_t id[8] = {0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    SetPrimeCellId(id);
  }

  void SetInput(uint32_t pin, bool high) {
    uint8_t bit = static_cast<uint8_t>(1u << pin);
    uint8_t before = Levels();
    inputs_ = static_cast<uint8_t>(high ? (inputs_ | bit) : (inputs_ & ~bit));
    uint8_t changed = static_cast<uint8_t>((before ^ Levels()) & ~dir_ & ~is_);
    uint8_t rising = static_cast<uint8_t>(changed & Levels());
    uint8_t falling = static_cast<uint8_t>(changed & ~Levels());
    edges_ |= static_cast<uint8_t>((changed & ibe_) | (rising & ~ibe_ & iev_) |
                                   (falling & ~ibe_ & ~iev_));
  }
  bool irq_line() const { return (Ris() & ie_) != 0; }
  uint8_t outputs() const { return static_cast<uint8_t>(data_ & dir_); }
  uint8_t dir() const { return dir_; }
  uint8_t ie() const { return ie_; }

 protected:
  uint32_t OnRead32(uint32_t offset) override {
    if (offset < 0x400) {
      return Levels() & (offset >> 2);
    }
    switch (offset) {
      case kGpioDir:
        return dir_;
      case kGpioIs:
        return is_;
      case kGpioIbe:
        return ibe_;
      case kGpioIev:
        return iev_;
      case kGpioIe:
        return ie_;
      case kGpioRis:
        return Ris();
      case kGpioMis:
        return Ris() & ie_;
      case kGpioAfsel:
        return 0;
      default:
        return 0;
    }
  }
  void OnWrite32(uint32_t offset, uint32_t value) override {
    if (offset < 0x400) {
      uint8_t mask = static_cast<uint8_t>((offset >> 2) & dir_);
      data_ = static_cast<uint8_t>((data_ & ~mask) | (value & mask));
      return;
    }
    uint8_t v = static_cast<uint8_t>(value);
    switch (offset) {
      case kGpioDir:
        dir_ = v;
        break;
      case kGpioIs:
        is_ = v;
        break;
      case kGpioIbe:
        ibe_ = v;
        break;
      case kGpioIev:
        iev_ = v;
        break;
      case kGpioIe:
        ie_ = v;
        break;
      case kGpioIc:
        edges_ &= static_cast<uint8_t>(~v);
        break;
      default:
        break;
    }
  }

 private:
  uint8_t Levels() const { return static_cast<uint8_t>((data_ & dir_) | (inputs_ & ~dir_)); }
  uint8_t Ris() const {
    uint8_t level_active = static_cast<uint8_t>(is_ & ~dir_ & ~(Levels() ^ iev_));
    return static_cast<uint8_t>((edges_ & ~is_) | level_active);
  }

  uint8_t data_ = 0, dir_ = 0, inputs_ = 0, is_ = 0, ibe_ = 0, iev_ = 0, ie_ = 0, edges_ = 0;
};

}  // namespace mica::drivers::pl061::testing
