// The syscall entry point from the EL0 exception vector.
#pragma once

#include <stdint.h>

namespace syscall {

// Runs syscall `number` with the eight argument registers `args` (x0..x7);
// returns the status (0 or a negative MICA_ERR_*) for x0.
int64_t Dispatch(uint64_t number, const uint64_t* args);

}  // namespace syscall
