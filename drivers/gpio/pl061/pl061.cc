#include "drivers/gpio/pl061/pl061.h"

#include "drivers/lib/primecell.h"

namespace mica::drivers::pl061 {
namespace {

constexpr uint32_t DataOffset(uint8_t mask) {
  return kGpioData + (uint32_t{mask} << 2);
}

}  // namespace

Status Pl061::Init() {
  if (!IsPrimeCell(regs_, kPl061Part)) {
    return Status::kNotFound;
  }
  regs_.Write32(kGpioIe, 0);
  regs_.Write32(kGpioIc, 0xff);
  level_pins_ = 0;
  ready_ = true;
  return Status::kOk;
}

void Pl061::Update(uint32_t offset, uint8_t mask, uint8_t bits) {
  uint32_t v = regs_.Read32(offset) & 0xff;
  regs_.Write32(offset, (v & ~uint32_t{mask}) | (bits & mask));
}

Status Pl061::SetDirection(uint8_t mask, uint8_t outputs) {
  if (!ready_) {
    return Status::kBadState;
  }
  Update(kGpioDir, mask, outputs);
  return Status::kOk;
}

Status Pl061::Write(uint8_t mask, uint8_t value) {
  if (!ready_) {
    return Status::kBadState;
  }
  regs_.Write32(DataOffset(mask), value);
  return Status::kOk;
}

Status Pl061::Read(uint8_t mask, uint8_t* value) {
  if (!ready_) {
    return Status::kBadState;
  }
  *value = static_cast<uint8_t>(regs_.Read32(DataOffset(mask)) & mask);
  return Status::kOk;
}

Status Pl061::ReadLine(uint32_t pin, bool* high) {
  if (pin >= kLines) {
    return Status::kInvalidArgs;
  }
  uint8_t v = 0;
  Status s = Read(static_cast<uint8_t>(1u << pin), &v);
  if (Ok(s)) {
    *high = v != 0;
  }
  return s;
}

Status Pl061::ConfigureInput(uint32_t pin, gpio::Trigger trigger) {
  if (!ready_) {
    return Status::kBadState;
  }
  if (pin >= kLines) {
    return Status::kInvalidArgs;
  }
  uint8_t bit = static_cast<uint8_t>(1u << pin);
  bool level = trigger == gpio::Trigger::kLevelHigh || trigger == gpio::Trigger::kLevelLow;
  bool both = trigger == gpio::Trigger::kEdgeBoth;
  bool high = trigger == gpio::Trigger::kEdgeRising || trigger == gpio::Trigger::kLevelHigh;
  Update(kGpioIe, bit, 0);
  Update(kGpioDir, bit, 0);
  Update(kGpioIs, bit, level ? bit : 0);
  Update(kGpioIbe, bit, both ? bit : 0);
  Update(kGpioIev, bit, high ? bit : 0);
  regs_.Write32(kGpioIc, bit);
  level_pins_ = static_cast<uint8_t>(level ? (level_pins_ | bit) : (level_pins_ & ~bit));
  if (trigger != gpio::Trigger::kNone) {
    Update(kGpioIe, bit, bit);
  }
  return Status::kOk;
}

Status Pl061::Unmask(uint32_t pin) {
  if (!ready_) {
    return Status::kBadState;
  }
  if (pin >= kLines) {
    return Status::kInvalidArgs;
  }
  uint8_t bit = static_cast<uint8_t>(1u << pin);
  Update(kGpioIe, bit, bit);
  return Status::kOk;
}

uint8_t Pl061::OnInterrupt() {
  if (!ready_) {
    return 0;
  }
  uint8_t mis = static_cast<uint8_t>(regs_.Read32(kGpioMis) & 0xff);
  uint8_t edges = static_cast<uint8_t>(mis & ~level_pins_);
  uint8_t levels = static_cast<uint8_t>(mis & level_pins_);
  if (edges != 0) {
    regs_.Write32(kGpioIc, edges);
  }
  if (levels != 0) {
    Update(kGpioIe, levels, 0);
  }
  return mis;
}

}  // namespace mica::drivers::pl061
