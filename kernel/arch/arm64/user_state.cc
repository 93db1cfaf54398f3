#include "kernel/arch/arm64/user_state.h"

#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/user_page_table.h"
#include "kernel/base/percpu.h"

namespace arch {
namespace {

bool g_pan;

}  // namespace

uint64_t internal::g_current_ttbr0[MAX_CPUS];
using internal::g_current_ttbr0;
using internal::kFpenAll;
using internal::kFpenEl1Only;
using internal::kFpenMask;

void InitCpuUserSupport() {
  // FEAT_PAN (ID_AA64MMFR1_EL1.PAN, bits 23:20): with SCTLR_EL1.SPAN = 0,
  // PSTATE.PAN is set on every exception to EL1, so a stray kernel access to
  // user memory faults; user copies use LDTR/STTR, which PAN does not block.
  if (((READ_SYSREG(id_aa64mmfr1_el1) >> 20) & 0xf) != 0) {
    g_pan = true;
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) & ~(1ull << 23));
    __asm__ volatile(".inst 0xd500419f" ::: "memory");  // msr pan, #1
    ISB();
  }
  // CNTKCTL_EL1.EL0VCTEN (bit 1): user code may read the virtual counter
  // CNTVCT_EL0 (and CNTFRQ_EL0), as on Linux; benchmarks count with it
  // (docs/performance.md). The physical counter and the timers stay EL1-only.
  WRITE_SYSREG(cntkctl_el1, 1ull << 1);
  uint64_t empty = KernelOnlyTtbr0();
  g_current_ttbr0[CurrentCpu()] = empty;
  WRITE_SYSREG(ttbr0_el1, empty);
  ISB();
  // Translation through TTBR0 was off since boot (EPD0); the empty table
  // makes every low address fault from now on, and user tables can load.
  WRITE_SYSREG(tcr_el1, READ_SYSREG(tcr_el1) & ~(1ull << 7));
  ISB();
  __asm__ volatile("tlbi vmalle1" ::: "memory");
  DSB(nsh);
  ISB();
}

bool PanEnabled() {
  return g_pan;
}

void internal::SaveUserFp(UserState* prev, UserState* next, uint64_t cpacr) {
  if (prev != nullptr) {
    arm64_fp_save(prev->fp);
  }
  if (next != nullptr && next->fp_eager != 0) {
    // FPEN stays "all": the registers are next's from here on.
    next->fp_eager--;
    arm64_fp_restore(next->fp);
    return;
  }
  // No ISB: the exception return to EL0 synchronizes the change, and the
  // kernel's own FP use (fp_save/fp_restore) stays allowed.
  WRITE_SYSREG(cpacr_el1, (cpacr & ~kFpenMask) | kFpenEl1Only);
}

void UserFpAccessTrap(UserState* current, uint64_t switches) {
  if (switches == current->fp_trap_switch + 1) {
    current->fp_eager = internal::kFpEagerSwitches;  // trapped in two switch-ins running
  }
  current->fp_trap_switch = switches;
  arm64_fp_restore(current->fp);
  WRITE_SYSREG(cpacr_el1, (READ_SYSREG(cpacr_el1) & ~kFpenMask) | kFpenAll);
  // The exception return to the trapped instruction synchronizes it.
}

}  // namespace arch
