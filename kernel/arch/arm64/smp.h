// Starting the secondary CPUs (PSCI CPU_ON over HVC/SMC, or spin tables).
#pragma once

#include "kernel/platform/platform.h"

namespace smp {

// Starts every CPU the devicetree lists besides the boot CPU and waits
// (bounded) until each is online. Returns the number of CPUs online.
uint32_t StartSecondaries(const platform::BootInfo& info);

// PSCI calls (DEN 0022), available after StartSecondaries has seen /psci.
int64_t PsciCall(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
[[noreturn]] void PowerOff();

}  // namespace smp
