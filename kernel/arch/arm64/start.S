// Kernel entry: the arm64 Linux Image header, the primary and secondary CPU
// entry points, the EL2 -> EL1 drop and the boot page tables.
//
// Boot protocol (Linux Documentation/arch/arm64/booting.rst, which QEMU, U-Boot
// `booti` and the Raspberry Pi firmware follow): x0 = physical address of the
// DTB, x1..x3 = 0, MMU off, D-cache off for the image, at EL2 or EL1. The image
// may be placed at any 2 MiB-aligned physical address (header flag bit 3).
//
// The kernel is linked at KERNEL_BASE. Until the MMU is on, this code runs at
// its physical address and uses only PC-relative addressing (adr/adrp).

#include "kernel/arch/arm64/include_asm.h"

.section .text.boot, "ax"
.global _start
_start:
  // Image header (64 bytes).
  b primary_entry            // code0
  .long 0                    // code1
  .quad 0                    // text_offset: the image starts at the 2 MiB-aligned base
  .quad __image_size         // image_size, including BSS and boot page tables
  .quad 0xa                  // flags: little endian, 4 KiB pages (1 << 1), anywhere (1 << 3)
  .quad 0, 0, 0              // res2..res4
  .ascii "ARM\x64"           // magic
  .long 0                    // res5

primary_entry:
  mov x19, x0                // DTB physical address
  adrp x20, __kernel_start   // the physical base we were loaded at
  mrs x21, CurrentEL
  lsr x21, x21, #2           // the exception level we were entered at
  bl el_setup

  // Invalidate, then zero, the BSS. With the MMU off data accesses are
  // non-cacheable; invalidating first drops any stale line the loader left.
  adrp x0, __bss_start
  adrp x1, __kernel_end
  bl dcache_inval_range
  adrp x0, __bss_start
  adrp x1, __kernel_end
1:
  stp xzr, xzr, [x0], #16
  cmp x0, x1
  b.lo 1b

  // TTBR0: identity map of the 1 GiB block holding the kernel, used to turn
  // the MMU on and kept for the secondary CPUs' entry.
  adrp x0, boot_ttbr0_l1
  lsr x1, x20, #30
  lsl x2, x1, #30
  ldr x3, =(PTE_BLOCK | PTE_ATTR(MAIR_NORMAL) | PTE_SH_INNER | PTE_AF | PTE_UXN)
  orr x2, x2, x3
  str x2, [x0, x1, lsl #3]

  // TTBR1: L1[511] -> boot_kernel_l2, which maps the image with 2 MiB blocks
  // (RWX until the kernel builds its final W^X tables).
  adrp x0, boot_ttbr1_l1
  adrp x1, boot_kernel_l2
  orr x2, x1, #PTE_TABLE
  str x2, [x0, #511 * 8]
  adrp x4, __kernel_end
  sub x4, x4, x20            // image size in memory
  mov x5, #0x1fffff
  add x4, x4, x5
  lsr x4, x4, #21            // number of 2 MiB blocks
  mov x5, x20
  ldr x3, =(PTE_BLOCK | PTE_ATTR(MAIR_NORMAL) | PTE_SH_INNER | PTE_AF | PTE_UXN)
2:
  orr x2, x5, x3
  str x2, [x1], #8
  add x5, x5, #0x200000
  subs x4, x4, #1
  b.ne 2b

  // The DTB, through the linear map: the two 1 GiB blocks from the one that
  // holds it (a DTB is at most 2 MiB, so it cannot span more).
  lsr x1, x19, #30
  lsl x2, x1, #30
  ldr x3, =(PTE_BLOCK | PTE_ATTR(MAIR_NORMAL) | PTE_SH_INNER | PTE_AF | PTE_UXN | PTE_PXN)
  orr x2, x2, x3
  str x2, [x0, x1, lsl #3]
  mov x5, #0x40000000
  add x2, x2, x5
  add x1, x1, #1
  str x2, [x0, x1, lsl #3]

  bl mmu_enable
  ldr x0, =primary_high
  br x0

primary_high:
  // Now at the linked virtual address.
  adrp x0, boot_stack_top
  add x0, x0, :lo12:boot_stack_top
  mov sp, x0
  adrp x0, arm64_vectors
  add x0, x0, :lo12:arm64_vectors
  msr vbar_el1, x0
  adrp x0, arm64_percpu_ptr
  ldr x0, [x0, :lo12:arm64_percpu_ptr]
  msr tpidr_el1, x0
  isb
  mov x29, xzr
  mov x30, xzr
  mov x0, x19
  mov x1, x20
  mov x2, x21
  bl kernel_main
3:
  wfi
  b 3b

// Secondary CPUs enter here at a physical address, started by PSCI CPU_ON or
// released from a spin table. They find their CPU number by MPIDR in
// arm64_cpu_mpidr[], filled in by the boot CPU.
.global arm64_secondary_entry
arm64_secondary_entry:
  bl el_setup
  bl mmu_enable_secondary
  ldr x0, =secondary_high
  br x0

secondary_high:
  mrs x1, mpidr_el1
  ldr x2, =0xff00ffffff
  and x1, x1, x2
  adrp x2, arm64_cpu_mpidr
  add x2, x2, :lo12:arm64_cpu_mpidr
  mov x3, #0
4:
  ldr x4, [x2, x3, lsl #3]
  cmp x4, x1
  b.eq 5f
  add x3, x3, #1
  cmp x3, #MAX_CPUS
  b.lo 4b
6:
  wfe                        // not a CPU we know of: park it
  b 6b
5:
  adrp x2, arm64_cpu_stack_top
  add x2, x2, :lo12:arm64_cpu_stack_top
  ldr x4, [x2, x3, lsl #3]
  mov sp, x4
  adrp x0, arm64_vectors
  add x0, x0, :lo12:arm64_vectors
  msr vbar_el1, x0
  adrp x0, arm64_percpu_ptr
  add x0, x0, :lo12:arm64_percpu_ptr
  ldr x0, [x0, x3, lsl #3]
  msr tpidr_el1, x0
  isb
  mov x29, xzr
  mov x30, xzr
  mov x0, x3
  bl secondary_main
7:
  wfi
  b 7b

// Configures the exception level: at EL2, sets up EL2 so that EL1 runs an
// AArch64 kernel with direct access to the counters, FP/SIMD and the GICv3
// system registers, then drops to EL1h with all exceptions masked. Returns at
// EL1 with the MMU off. Clobbers x0, x1.
el_setup:
  mrs x0, CurrentEL
  lsr x0, x0, #2
  cmp x0, #2
  b.ne 1f
  mov x0, #(1 << 31)         // HCR_EL2.RW: EL1 is AArch64; no traps, no stage 2
  msr hcr_el2, x0
  mrs x0, cnthctl_el2
  orr x0, x0, #3             // EL1PCTEN | EL1PCEN: EL1 may use the physical counter/timer
  msr cnthctl_el2, x0
  msr cntvoff_el2, xzr       // virtual counter == physical counter
  mov x0, #0x33ff            // CPTR_EL2: no FP/SIMD traps
  msr cptr_el2, x0
  msr hstr_el2, xzr
  mrs x0, midr_el1
  msr vpidr_el2, x0
  mrs x0, mpidr_el1
  msr vmpidr_el2, x0
  msr vttbr_el2, xzr
  mrs x0, id_aa64dfr0_el1
  ubfx x0, x0, #8, #4        // PMUVer: 0 no PMU, 0xf IMPLEMENTATION DEFINED
  cbz x0, 3f
  cmp x0, #0xf
  b.eq 3f
  mrs x0, pmcr_el0
  ubfx x0, x0, #11, #5       // PMCR_EL0.N
  msr mdcr_el2, x0           // HPMN = N: every event counter EL1's, no traps (pmu.h)
3:
  mrs x0, id_aa64pfr0_el1
  ubfx x0, x0, #24, #4       // GIC system register interface implemented?
  cbz x0, 2f
  mrs x0, S3_4_C12_C9_5      // ICC_SRE_EL2
  orr x0, x0, #(1 << 0)      // SRE
  orr x0, x0, #(1 << 3)      // Enable: EL1 may use ICC_SRE_EL1
  msr S3_4_C12_C9_5, x0
  isb
2:
  ldr x0, =SCTLR_EL1_MMU_OFF
  msr sctlr_el1, x0
  mov x0, #0x3c5             // SPSR: EL1h, D, A, I, F masked
  msr spsr_el2, x0
  msr elr_el2, x30
  isb
  eret
1:
  ldr x0, =SCTLR_EL1_MMU_OFF
  msr sctlr_el1, x0
  isb
  ret

// Turns on the MMU with the boot tables. Clobbers x0-x2.
mmu_enable:
  adrp x0, boot_ttbr0_l1
  adrp x1, boot_ttbr1_l1
  b mmu_enable_common

// Secondary CPUs use the boot identity map and the kernel's final tables,
// whose physical address the boot CPU stored (and cleaned to memory) in
// arm64_secondary_ttbr1.
mmu_enable_secondary:
  adrp x0, boot_ttbr0_l1
  adrp x1, arm64_secondary_ttbr1
  ldr x1, [x1, :lo12:arm64_secondary_ttbr1]

mmu_enable_common:
  msr ttbr0_el1, x0
  msr ttbr1_el1, x1
  ldr x0, =MAIR_VALUE
  msr mair_el1, x0
  ldr x0, =TCR_VALUE
  mrs x1, id_aa64mmfr0_el1
  and x1, x1, #0x7           // PARange -> TCR_EL1.IPS
  cmp x1, #5
  mov x2, #5
  csel x1, x1, x2, ls
  orr x0, x0, x1, lsl #32
  mrs x1, id_aa64mmfr0_el1
  ubfx x1, x1, #4, #4        // ASIDBits: 2 means 16-bit ASIDs
  cmp x1, #2
  b.ne 1f
  orr x0, x0, #(1 << 36)     // TCR_EL1.AS
1:
  msr tcr_el1, x0
  mov x0, #(3 << 20)         // CPACR_EL1.FPEN: no FP/SIMD traps
  msr cpacr_el1, x0
  isb
  tlbi vmalle1
  dsb nsh
  ic iallu
  dsb nsh
  isb
  ldr x0, =SCTLR_EL1_MMU_ON
  msr sctlr_el1, x0
  isb
  ret

// Invalidates the data cache by VA to the point of coherency over [x0, x1).
// Clobbers x0, x2, x3.
dcache_inval_range:
  mrs x3, ctr_el0
  ubfx x3, x3, #16, #4       // DminLine: log2(words)
  mov x2, #4
  lsl x2, x2, x3             // line size in bytes
  sub x3, x2, #1
  bic x0, x0, x3
1:
  dc ivac, x0
  add x0, x0, x2
  cmp x0, x1
  b.lo 1b
  dsb sy
  ret

.ltorg

.section .bss.boot, "aw", %nobits
.balign PAGE_SIZE
.global boot_ttbr0_l1
boot_ttbr0_l1:
  .skip PAGE_SIZE
.global boot_ttbr1_l1
boot_ttbr1_l1:
  .skip PAGE_SIZE
boot_kernel_l2:
  .skip PAGE_SIZE
// The boot CPU's stack: 32 KiB-aligned so the overflow check on exception
// entry (bit STACK_SHIFT of SP) works for it as for every other stack.
.balign (2 * STACK_SIZE)
boot_stack:
  .skip STACK_SIZE
boot_stack_top:
