#include "kernel/arch/arm64/pmu.h"

#include "kernel/arch/arm64/arch.h"
#include "kernel/base/percpu.h"

namespace pmu {
namespace {

constexpr uint64_t kEventInstRetired = 0x08;  // Arm ARM D13.11.2 (common events)
constexpr uint64_t kEvtypeNsh = 1ull << 27;   // PMEVTYPER<n>_EL0.NSH: count at EL2 too
constexpr uint64_t kPmcrE = 1ull << 0;        // PMCR_EL0.E: counters enabled
constexpr uint64_t kPmcrP = 1ull << 1;        // PMCR_EL0.P: event counters reset

bool g_supported;
// Per CPU: the upper 32 bits and the hardware value at the last read.
uint64_t g_high[MAX_CPUS];
uint32_t g_last[MAX_CPUS];

}  // namespace

void InitCpu() {
  // ID_AA64DFR0_EL1.PMUVer (bits 11:8): 0 none, 0xf IMPLEMENTATION DEFINED.
  uint64_t ver = (READ_SYSREG(id_aa64dfr0_el1) >> 8) & 0xf;
  if (ver == 0 || ver == 0xf) {
    return;
  }
  // PMCR_EL0.N (bits 15:11): the event counters this CPU has.
  if (((READ_SYSREG(pmcr_el0) >> 11) & 0x1f) == 0 ||
      (READ_SYSREG(pmceid0_el0) & (1ull << kEventInstRetired)) == 0) {
    return;
  }
  WRITE_SYSREG(pmuserenr_el0, 0);
  WRITE_SYSREG(pmcntenclr_el0, 1);
  WRITE_SYSREG(pmintenclr_el1, 1);
  WRITE_SYSREG(pmovsclr_el0, 1);
  WRITE_SYSREG(pmevtyper0_el0, kEventInstRetired | kEvtypeNsh);
  WRITE_SYSREG(pmcr_el0, kPmcrE | kPmcrP);
  WRITE_SYSREG(pmcntenset_el0, 1);
  ISB();
  g_last[CurrentCpu()] = 0;
  g_supported = true;
}

bool Supported() {
  return g_supported;
}

uint64_t ReadInstructions() {
  uint64_t daif = arch::SaveDisableIrqs();
  uint32_t cpu = CurrentCpu();
  ISB();
  uint32_t now = static_cast<uint32_t>(READ_SYSREG(pmevcntr0_el0));
  if (now < g_last[cpu]) {
    g_high[cpu] += 1ull << 32;
  }
  g_last[cpu] = now;
  uint64_t v = g_high[cpu] | now;
  arch::RestoreIrqs(daif);
  return v;
}

}  // namespace pmu
