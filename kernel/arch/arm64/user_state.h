// Per-thread user-mode CPU state that the kernel switches: FP/SIMD registers
// (lazily, on the first use after a switch; the kernel itself never uses
// them: -mgeneral-regs-only), TPIDR_EL0 (user thread pointer) and the
// address space (TTBR0_EL1).
#pragma once

#include <stdint.h>

namespace arch {

struct UserState {
  alignas(16) uint8_t fp[528];  // q0..q31, fpcr, fpsr
  uint64_t tpidr_el0 = 0;
  uint64_t ttbr0 = 0;  // ASID | root table of the process
};

// Context switch: saves the outgoing thread's user state (if any) and loads
// the incoming one's; threads without user state run on the empty TTBR0.
// The incoming thread's FP/SIMD registers are loaded only when it first
// uses them (UserFpAccessTrap). IRQs off.
void SwitchUserState(UserState* prev, UserState* next);
// The running user thread's FP/SIMD access trapped (ESR EC 0x07): loads
// its registers and lets EL0 use them until the next switch. IRQs off.
void UserFpAccessTrap(UserState* current);
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
