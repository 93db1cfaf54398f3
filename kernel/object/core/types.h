// Types shared by the kernel object core: rights and signals.
#pragma once

#include <stdint.h>

namespace mica::core {

// A handle's rights bitmask (mica_rights_t). The bit values are ABI, defined
// in system/public; the structures here only ever compare and reduce masks.
using Rights = uint32_t;

// An object's signal word (mica_signals_t).
using Signals = uint32_t;

// True if `subset` asks for no right that `rights` lacks.
constexpr bool RightsSubset(Rights subset, Rights rights) {
  return (subset & ~rights) == 0;
}

}  // namespace mica::core
