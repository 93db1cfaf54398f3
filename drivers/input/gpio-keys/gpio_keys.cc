#include "drivers/input/gpio-keys/gpio_keys.h"

namespace mica::drivers::gpio_keys {
namespace {

uint32_t Cell(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

Status DecodeKey(Property gpios, Property code, uint32_t gpio_cells, KeySpec* out) {
  if (gpio_cells < 1 || gpio_cells > 3 || gpios.data == nullptr || code.data == nullptr) {
    return Status::kInvalidArgs;
  }
  if (gpios.size != 4 * (1 + size_t{gpio_cells}) || code.size != 4) {
    return Status::kInvalidArgs;
  }
  KeySpec spec;
  spec.controller = Cell(gpios.data);
  spec.pin = Cell(gpios.data + 4);
  uint32_t flags = gpio_cells >= 2 ? Cell(gpios.data + 8) : 0;
  spec.code = Cell(code.data);
  if (spec.controller == 0 || (flags & ~kGpioKnownFlags) != 0 || spec.code == 0 ||
      spec.code > kKeyMax) {
    return Status::kInvalidArgs;
  }
  spec.active_low = (flags & kGpioActiveLow) != 0;
  *out = spec;
  return Status::kOk;
}

Status GpioKeys::AddKey(const KeySpec& spec) {
  if (spec.controller != controller_) {
    return Status::kNotFound;
  }
  if (count_ == kMaxKeys || lines_ != nullptr) {
    return Status::kInvalidArgs;
  }
  for (size_t i = 0; i < count_; i++) {
    if (keys_[i].spec.pin == spec.pin) {
      return Status::kInvalidArgs;
    }
  }
  keys_[count_++].spec = spec;
  return Status::kOk;
}

Status GpioKeys::Start(gpio::GpioLines& lines) {
  for (size_t i = 0; i < count_; i++) {
    if (keys_[i].spec.pin >= lines.line_count()) {
      return Status::kInvalidArgs;
    }
  }
  for (size_t i = 0; i < count_; i++) {
    Key& key = keys_[i];
    Status s = lines.ConfigureInput(key.spec.pin, gpio::Trigger::kEdgeBoth);
    bool high = false;
    if (Ok(s)) {
      s = lines.ReadLine(key.spec.pin, &high);
    }
    if (!Ok(s)) {
      return s;
    }
    key.pressed = high != key.spec.active_low;
  }
  lines_ = &lines;
  return Status::kOk;
}

size_t GpioKeys::OnGpioInterrupt(uint32_t pending, KeyEvent* out, size_t max) {
  size_t n = 0;
  if (lines_ == nullptr) {
    return 0;
  }
  for (size_t i = 0; i < count_; i++) {
    Key& key = keys_[i];
    if (key.spec.pin >= 32 || (pending & (1u << key.spec.pin)) == 0) {
      continue;
    }
    bool high = false;
    if (!Ok(lines_->ReadLine(key.spec.pin, &high))) {
      continue;
    }
    bool pressed = high != key.spec.active_low;
    if (pressed == key.pressed) {
      // Both edges passed before we looked: report the round trip.
      if (n < max) {
        out[n++] = {key.spec.code, !pressed};
      }
    }
    if (n < max) {
      out[n++] = {key.spec.code, pressed};
    }
    key.pressed = pressed;
  }
  return n;
}

}  // namespace mica::drivers::gpio_keys
