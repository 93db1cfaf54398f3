// Constants shared by the AArch64 assembly and C++ (no C++ in here).
#pragma once

#ifdef __ASSEMBLY__
#define U64(x) x
#else
#define U64(x) x##ull
#endif

// Virtual memory layout: 39-bit virtual addresses in both halves, 4 KiB
// granule, three levels (L1 1 GiB, L2 2 MiB, L3 4 KiB). See docs/boot.md.
#define KERNEL_BASE U64(0xffffffffc0000000)
#define PHYSMAP_BASE U64(0xffffff8000000000)
#define PHYSMAP_SIZE U64(0x4000000000)    // 256 GiB of physical address space
#define KVA_BASE U64(0xffffffc000000000)  // stacks, MMIO, heap growth
#define KVA_SIZE U64(0x3fc0000000)        // up to the kernel image window
#define VA_BITS 39
#define PAGE_SHIFT 12
#define PAGE_SIZE (1 << PAGE_SHIFT)  // arch::kPageSize in C++

// Kernel stacks: 16 KiB, each in a 32 KiB-aligned slot whose lower half is an
// unmapped guard, so an overflow flips bit STACK_SHIFT of SP (checked on
// exception entry).
#define STACK_SHIFT 14
#define STACK_SIZE (1 << STACK_SHIFT)

#define MAX_CPUS 8

// MAIR_EL1 attribute indices.
#define MAIR_DEVICE_nGnRnE 0
#define MAIR_NORMAL 1
#define MAIR_DEVICE_nGnRE 2
#define MAIR_NORMAL_NC 3
#define MAIR_VALUE 0x4404ff00

// TCR_EL1: T0SZ=T1SZ=25, 4K granules, inner-shareable write-back walks; IPS
// is filled in at boot from ID_AA64MMFR0_EL1.PARange.
#define TCR_VALUE 0xB5193519

// SCTLR_EL1 bits (Arm ARM D19.2.118): RES1 bits of v8.0 plus SA, SA0, nTWI,
// nTWE, and M/C/I when the MMU is on.
#define SCTLR_EL1_MMU_OFF 0x30D50818
#define SCTLR_EL1_MMU_ON 0x30D5181D

// Stage 1 descriptor bits (Arm ARM D8.3).
#define PTE_VALID (1 << 0)
#define PTE_TABLE (3 << 0)
#define PTE_BLOCK (1 << 0)
#define PTE_PAGE (3 << 0)
#define PTE_ATTR(i) ((i) << 2)
#define PTE_AP_RW_EL1 (0 << 6)
#define PTE_AP_RW_ALL (1 << 6)
#define PTE_AP_RO_EL1 (2 << 6)
#define PTE_AP_RO_ALL (3 << 6)
#define PTE_SH_INNER (3 << 8)
#define PTE_AF (1 << 10)
#define PTE_NG (1 << 11)
#define PTE_PXN (U64(1) << 53)
#define PTE_UXN (U64(1) << 54)

// Per-CPU block field offsets used by assembly (checked by static_assert).
#define PERCPU_EMERGENCY_SP 0
#define PERCPU_CPU_NUM 8
#define PERCPU_CURRENT 24
#define PERCPU_SCHED 32

// Fields the syscall return path (vectors.S) reads, checked by static_assert
// next to their definitions: ThreadBase::interrupted (kernel/base/
// thread_base.h; sched::Thread's first base, so at the thread's address),
// sched::CpuState::need_resched (both bools), and ThreadBase::fail_alloc_hit
// and copy_fault_no_memory (bools, in the same 4-byte word as
// `interrupted`).
#define THREAD_INTERRUPTED 0
#define THREAD_FAIL_ALLOC_HIT 1
#define THREAD_COPY_FAULT_NO_MEMORY 2
#define CPUSTATE_NEED_RESCHED 1072

// Entries in the syscall table (kernel/syscalls/dispatch.cc); numbers at or
// past it are rejected as MICA_ERR_BAD_SYSCALL.
#define SYSCALL_TABLE_SIZE 128

// Exception frame: x0..x30, sp, elr, spsr, esr, far.
#define IFRAME_SIZE 288
