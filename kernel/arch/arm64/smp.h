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
// True if the devicetree has a PSCI 0.2+ node with a method this kernel
// uses ("hvc" or "smc"): SYSTEM_OFF and SYSTEM_RESET can be called.
bool PsciSystemPower();
// system_power: stops the other CPUs (their IRQs off, parked), then PSCI
// SYSTEM_OFF (DEN 0022 §5.10) or SYSTEM_RESET (§5.11). The caller has
// logged why and flushed the console; no lock may be held, since the other
// CPUs stop wherever they are. Returns the PSCI error if the firmware
// refused (the other CPUs stay stopped: the caller panics).
int64_t SystemPower(bool reset);

}  // namespace smp
