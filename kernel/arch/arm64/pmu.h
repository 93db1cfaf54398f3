// The instruction counter (Arm ARM D13, the Performance Monitors Extension,
// PMUv3): event counter 0 of each CPU counts INST_RETIRED (common event
// 0x0008, "instruction architecturally executed") at EL0, EL1 and EL2, for
// system_get_info(MICA_SYSTEM_INFO_INSTRUCTIONS) (benchmarks,
// docs/performance.md). Nothing else uses the PMU; EL0 has no direct access
// (PMUSERENR_EL0 = 0).
//
// Contract.
// - InitCpu() on every CPU once, before it runs user threads. It programs
//   the counter only if ID_AA64DFR0_EL1.PMUVer names a PMUv3 and
//   PMCEID0_EL0 advertises event 0x08; otherwise Supported() is false.
// - ReadInstructions() (IRQs may be on): the calling CPU's count, extended
//   from the 32-bit hardware counter to 64 bits at each read (a read that
//   sees the counter below the previous read's value adds 2^32). Two reads
//   on one CPU less than 2^32 instructions apart always differ by exactly
//   the instructions that CPU retired between them; further apart, a wrap
//   between reads may go unseen.
// - QEMU (target/arm/helper.c): the event exists only under precise
//   `-icount`; its count is the machine's raw instruction count
//   (icount_get_raw: every vCPU's instructions, not the clock's warps over
//   idle time), so on QEMU each CPU's counter counts all vCPUs.
#pragma once

#include <stdint.h>

namespace pmu {

void InitCpu();
bool Supported();
uint64_t ReadInstructions();

}  // namespace pmu
