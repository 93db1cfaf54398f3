// Per-thread user-mode CPU state that the kernel switches: FP/SIMD registers
// (lazily, on the first use after a switch; the kernel itself never uses
// them: -mgeneral-regs-only), TPIDR_EL0 (user thread pointer) and the
// address space (TTBR0_EL1).
#pragma once

#include <stdint.h>

#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/user_page_table.h"

namespace arch {

struct UserState {
  alignas(16) uint8_t fp[528];  // q0..q31, fpcr, fpsr
  uint64_t tpidr_el0 = 0;
  uint64_t ttbr0 = 0;  // ASID | root table of the process
  // Switch-ins left on which the registers are loaded at once instead of
  // on the first FP instruction's trap (SaveUserFp). Granted by a trap in
  // the switch-in right after one that trapped too (`fp_trap_switch`: the
  // thread's switch count at its last trap), so a thread that uses
  // FP/SIMD in every time slice traps twice per kFpEagerSwitches + 2
  // switch-ins instead of on every one, and one that used it once (at
  // start-up, to print) is never loaded eagerly.
  uint32_t fp_eager = 0;
  uint64_t fp_trap_switch = ~0ull;
};

namespace internal {
// The TTBR0 value each CPU runs on (a switch between two threads of one
// process leaves it alone).
extern uint64_t g_current_ttbr0[];
// CPACR_EL1.FPEN (bits 21:20): 0b11 no traps; 0b01 traps EL0's FP/SIMD
// use (EL1 may still use them, which fp_save/fp_restore do).
constexpr uint64_t kFpenMask = 3ull << 20;
constexpr uint64_t kFpenAll = 3ull << 20;
constexpr uint64_t kFpenEl1Only = 1ull << 20;
// How many switch-ins a trap buys a thread's FP/SIMD registers loaded
// eagerly (UserState::fp_eager).
constexpr uint32_t kFpEagerSwitches = 64;
// SwitchUserState's rare part, out of line, when the outgoing thread's
// FP/SIMD registers are live: saves them (if it has user state); then
// loads the incoming thread's if it still has eager switch-ins (it trapped
// recently: it would trap again at once), else traps EL0's FP again.
void SaveUserFp(UserState* prev, UserState* next, uint64_t cpacr);
}  // namespace internal

// Context switch on CPU `cpu` (the caller's): saves the outgoing thread's
// user state (if any) and loads the incoming one's; threads without user
// state run on the empty TTBR0. The incoming thread's FP/SIMD registers
// are loaded only when it first uses them (UserFpAccessTrap). IRQs off.
// Inline: it is on every context switch (docs/performance.md).
//
// FP/SIMD registers switch lazily. A thread is switched in with EL0's
// FP/SIMD access trapped; its first FP instruction traps
// (UserFpAccessTrap), which loads its registers and lets it through. So
// FPEN is "all" on a CPU exactly while the running thread's registers are
// live in it, and only then does switching away save them. A thread that
// does not touch FP/SIMD in a time slice costs neither a save nor a load.
// Between two threads that both use FP/SIMD (an IPC client and server)
// the incoming one's registers are loaded with the outgoing one's save,
// while its eager switch-ins last (SaveUserFp), saving the trap.
[[gnu::always_inline]] inline void SwitchUserState(UserState* prev, UserState* next, uint32_t cpu) {
  uint64_t cpacr = READ_SYSREG(cpacr_el1);
  if ((cpacr & internal::kFpenMask) == internal::kFpenAll) {
    internal::SaveUserFp(prev, next, cpacr);
  }
  uint64_t ttbr0;
  if (prev != nullptr) {
    prev->tpidr_el0 = READ_SYSREG(tpidr_el0);
  }
  if (next != nullptr) {
    WRITE_SYSREG(tpidr_el0, next->tpidr_el0);
    ttbr0 = next->ttbr0;
  } else {
    ttbr0 = KernelOnlyTtbr0();
  }
  if (internal::g_current_ttbr0[cpu] != ttbr0) {
    internal::g_current_ttbr0[cpu] = ttbr0;
    SetTtbr0(ttbr0);
  }
}
// The running user thread's FP/SIMD access trapped (ESR EC 0x07): loads
// its registers and lets EL0 use them until the next switch. `switches` is
// the thread's switch count (for UserState::fp_eager). IRQs off.
void UserFpAccessTrap(UserState* current, uint64_t switches);
// Per-CPU boot: enables PAN where the CPU has it and points TTBR0 at the
// empty table (after InitUserAddressSpaces).
void InitCpuUserSupport();
bool PanEnabled();

}  // namespace arch

extern "C" {
void arm64_fp_save(void* area);
void arm64_fp_restore(const void* area);
[[noreturn]] void arm64_enter_user(uint64_t pc, uint64_t sp, uint64_t arg0, uint64_t arg1);
}
