// The Arm generic timer (Arm ARM D11): the EL1 virtual timer drives the
// scheduler's per-CPU deadlines. Tickless: the timer is programmed only for
// the next deadline.
#pragma once

#include <stdint.h>

#include "devicetree/lib/fdt.h"

namespace timer {

// Finds the timer's interrupt (the virtual timer PPI) in the devicetree and
// reads the counter frequency. False with `*why` on failure.
bool Init(const fdt::Fdt& dt, const char** why);
// Enables the timer interrupt on the calling CPU.
void InitCpu();
uint64_t Frequency();
uint32_t Intid();

uint64_t NowTicks();
uint64_t NowNs();
uint64_t NsToTicks(uint64_t ns);
uint64_t TicksToNs(uint64_t ticks);

// Programs this CPU's timer to fire at `deadline_ns` (absolute), or turns it
// off when `deadline_ns` is UINT64_MAX.
void SetDeadline(uint64_t deadline_ns);

}  // namespace timer
