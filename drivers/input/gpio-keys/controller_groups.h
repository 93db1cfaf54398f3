// ControllerGroups: the keys of one gpio-keys node sorted by the GPIO
// controller each key's `gpios` names (its first cell, the phandle; DT
// spec v0.4 §2.3.3), so the driver serves each controller through its own
// connection, GpioKeys and WatchedLines (main.cc).
//
// Contract:
// - Add(key, phandle) puts key index `key` in the group of `phandle`,
//   making the group (in first-seen order) if it is new. It refuses with
//   kInvalidArgs (as GpioKeys::AddKey refuses too many keys) a phandle
//   that is no phandle (0 or 0xffffffff), a key index of kMaxKeys or more,
//   a new controller beyond kMaxControllers and a key beyond kMaxKeys in
//   all; a refused key changes nothing.
// - count() groups; phandle(g), key_count(g) and key(g, i) read group g
//   (g < count(), i < key_count(g)); keys keep the order they were added.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "drivers/lib/status.h"

namespace mica::drivers::gpio_keys {

class ControllerGroups {
 public:
  static constexpr uint32_t kMaxControllers = 4;
  static constexpr uint32_t kMaxKeys = 16;  // as GpioKeys::kMaxKeys

  Status Add(uint32_t key, uint32_t phandle) {
    if (phandle == 0 || phandle == ~uint32_t{0} || key >= kMaxKeys) {
      return Status::kInvalidArgs;
    }
    if (keys_ == kMaxKeys) {
      return Status::kInvalidArgs;
    }
    uint32_t g = 0;
    while (g < count_ && groups_[g].phandle != phandle) {
      g++;
    }
    if (g == count_) {
      if (count_ == kMaxControllers) {
        return Status::kInvalidArgs;
      }
      groups_[count_++] = Group{phandle, {}, 0};
    }
    groups_[g].keys[groups_[g].count++] = key;
    keys_++;
    return Status::kOk;
  }

  uint32_t count() const { return count_; }
  uint32_t phandle(uint32_t g) const { return groups_[g].phandle; }
  uint32_t key_count(uint32_t g) const { return groups_[g].count; }
  uint32_t key(uint32_t g, uint32_t i) const { return groups_[g].keys[i]; }

 private:
  struct Group {
    uint32_t phandle;
    uint32_t keys[kMaxKeys];
    uint32_t count;
  };
  Group groups_[kMaxControllers] = {};
  uint32_t count_ = 0;
  uint32_t keys_ = 0;
};

}  // namespace mica::drivers::gpio_keys
