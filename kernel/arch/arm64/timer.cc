#include "kernel/arch/arm64/timer.h"

#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/gic.h"
#include "kernel/arch/arm64/upcalls.h"

namespace timer {
namespace {

uint64_t g_freq;
uint32_t g_intid;

// CNTV_CTL_EL0 (Arm ARM D19.11.17): ENABLE bit 0, IMASK bit 1.
constexpr uint64_t kCtlEnable = 1;
constexpr uint64_t kCtlMask = 2;

void TimerIrq(uint32_t, void*) {
  // Mask until the scheduler reprograms it, so a level interrupt does not
  // fire again immediately.
  WRITE_SYSREG(cntv_ctl_el0, kCtlEnable | kCtlMask);
  sched::TimerTick();
}

}  // namespace

uint64_t internal::g_ns_per_tick;
using internal::g_ns_per_tick;

bool Init(const fdt::Fdt& dt, const char** why) {
  g_freq = READ_SYSREG(cntfrq_el0);
  fdt::Node node = dt.FindCompatible(fdt::Node{}, "arm,armv8-timer");
  if (!node) {
    node = dt.FindCompatible(fdt::Node{}, "arm,armv7-timer");
  }
  if (!node) {
    *why = "no arm,armv8-timer / arm,armv7-timer node";
    return false;
  }
  if (g_freq == 0) {
    uint32_t f;
    if (dt.GetU32(node, "clock-frequency", &f) == fdt::Status::kOk) {
      g_freq = f;
    }
  }
  if (g_freq == 0) {
    *why = "the counter frequency is unknown (CNTFRQ_EL0 is 0 and no clock-frequency)";
    return false;
  }
  g_ns_per_tick = 1000000000ull % g_freq == 0 ? 1000000000ull / g_freq : 0;
  // Interrupts: secure physical, non-secure physical, virtual, hypervisor.
  fdt::Interrupt spec;
  if (dt.GetInterrupt(node, 2, &spec) != fdt::Status::kOk ||
      !gic::SpecifierToIntid(spec, &g_intid)) {
    *why = "the timer node has no usable virtual timer interrupt";
    return false;
  }
  WRITE_SYSREG(cntv_ctl_el0, kCtlMask);
  if (!gic::Register(g_intid, TimerIrq, nullptr)) {
    *why = "cannot register the timer interrupt";
    return false;
  }
  return true;
}

void InitCpu() {
  WRITE_SYSREG(cntv_ctl_el0, kCtlMask);
  gic::EnableOnThisCpu(g_intid);
}

uint64_t Frequency() {
  return g_freq;
}
uint32_t Intid() {
  return g_intid;
}

uint64_t internal::TicksToNsSlow(uint64_t t) {
  return (t / g_freq) * 1000000000ull + (t % g_freq) * 1000000000ull / g_freq;
}

uint64_t NsToTicks(uint64_t ns) {
  if (g_ns_per_tick != 0) {
    return ns / g_ns_per_tick;  // floor(ns * g_freq / 1e9), as below
  }
  return (ns / 1000000000ull) * g_freq + (ns % 1000000000ull) * g_freq / 1000000000ull;
}

void SetDeadline(uint64_t deadline_ns) {
  if (deadline_ns == UINT64_MAX) {
    WRITE_SYSREG(cntv_ctl_el0, kCtlMask);
    return;
  }
  // Round up so the timer never fires before the deadline.
  uint64_t ticks = NsToTicks(deadline_ns) + 1;
  WRITE_SYSREG(cntv_cval_el0, ticks);
  WRITE_SYSREG(cntv_ctl_el0, kCtlEnable);
  ISB();
}

}  // namespace timer
