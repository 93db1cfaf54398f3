// The Arm generic timer (Arm ARM D11): the EL1 virtual timer drives the
// scheduler's per-CPU deadlines. Tickless: the timer is programmed only for
// the next deadline.
#pragma once

#include <stdint.h>

#include "devicetree/lib/fdt.h"
#include "kernel/arch/arm64/arch.h"

namespace timer {

// Finds the timer's interrupt (the virtual timer PPI) in the devicetree and
// reads the counter frequency. False with `*why` on failure.
bool Init(const fdt::Fdt& dt, const char** why);
// Enables the timer interrupt on the calling CPU.
void InitCpu();
uint64_t Frequency();
uint32_t Intid();

namespace internal {
// 1e9 / frequency when that is a whole number (62.5 MHz: 16, 1 GHz as
// Armv8.6 requires: 1), else 0. Then a conversion is one multiply or
// divide instead of two divisions, with the same result.
extern uint64_t g_ns_per_tick;
uint64_t TicksToNsSlow(uint64_t ticks);
}  // namespace internal

// The counter and the time now, inline: the scheduler reads them on every
// context switch.
inline uint64_t NowTicks() {
  ISB();
  return READ_SYSREG(cntvct_el0);
}
inline uint64_t TicksToNs(uint64_t ticks) {
  uint64_t ns_per_tick = internal::g_ns_per_tick;
  return ns_per_tick != 0 ? ticks * ns_per_tick : internal::TicksToNsSlow(ticks);
}
inline uint64_t NowNs() {
  return TicksToNs(NowTicks());
}
uint64_t NsToTicks(uint64_t ns);

// Programs this CPU's timer to fire at `deadline_ns` (absolute), or turns it
// off when `deadline_ns` is UINT64_MAX.
void SetDeadline(uint64_t deadline_ns);

}  // namespace timer
