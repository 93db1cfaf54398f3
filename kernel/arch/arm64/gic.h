// The Arm Generic Interrupt Controller, v2 (arm,cortex-a15-gic, arm,gic-400)
// and v3 (arm,gic-v3), found from the devicetree.
#pragma once

#include <stdint.h>

#include "devicetree/lib/fdt.h"

namespace gic {

constexpr uint32_t kMaxIntid = 1020;
// Software-generated interrupts used by the kernel.
constexpr uint32_t kIpiReschedule = 0;
constexpr uint32_t kIpiStop = 1;
constexpr uint32_t kIpiCall = 2;

using Handler = void (*)(uint32_t intid, void* arg);

// Finds the interrupt controller, maps it, and initialises the distributor
// and this CPU's interface. False with `*why` on failure.
bool Init(const fdt::Fdt& dt, const char** why);
// Initialises the calling (secondary) CPU's interface / redistributor.
bool InitCpu();
uint32_t Version();
const char* Description();

// Registers the handler for `intid` (SGIs and PPIs: the same handler on every
// CPU) and enables it on this CPU (PPI/SGI) or globally (SPI).
bool Register(uint32_t intid, Handler handler, void* arg);
void EnableOnThisCpu(uint32_t intid);

// Lines for user-space drivers (interrupt objects). A shared peripheral
// interrupt (SPI) the kernel has not registered can be claimed: ClaimSpi
// installs `handler` (or accepts the same handler again) without enabling
// the line; false if `intid` is not an SPI of this controller or the kernel
// uses it.
bool ClaimSpi(uint32_t intid, Handler handler, void* arg);
// Edge- or level-triggered (GICD_ICFGR); the line should be masked.
void ConfigureSpi(uint32_t intid, bool edge);
// Masks (disables) / unmasks (routes to this CPU and enables) an SPI. IRQ
// safe; Mask waits until the distributor has applied it.
void MaskSpi(uint32_t intid);
void UnmaskSpi(uint32_t intid);
// Clears a stale pending state of a masked SPI.
void ClearPendingSpi(uint32_t intid);

// Converts a GIC devicetree interrupt specifier (type, number, flags) to an
// INTID; false if malformed.
bool SpecifierToIntid(const fdt::Interrupt& spec, uint32_t* intid);

void SendIpi(uint32_t sgi, uint32_t cpu);
void SendIpiAllButSelf(uint32_t sgi);
// Sends the stop IPI to every other online CPU (panic path; no locks).
void StopOtherCpus();

// Acknowledges and dispatches pending interrupts (IRQ exception path).
void HandleIrq();

// Interrupts handled since boot, per CPU (diagnostics and tests).
uint64_t IrqCount(uint32_t cpu);

}  // namespace gic
