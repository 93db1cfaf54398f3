// AArch64 primitives: system registers, barriers, interrupt masking, the
// exception frame, and address-space constants.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/arch/arm64/include_asm.h"

#define READ_SYSREG(reg)                            \
  ({                                                \
    uint64_t _v;                                    \
    __asm__ volatile("mrs %0, " #reg : "=r"(_v)::); \
    _v;                                             \
  })
#define WRITE_SYSREG(reg, val) \
  __asm__ volatile("msr " #reg ", %0" ::"r"((uint64_t)(val)) : "memory")
#define ISB() __asm__ volatile("isb" ::: "memory")
#define DSB(opt) __asm__ volatile("dsb " #opt ::: "memory")
#define DMB(opt) __asm__ volatile("dmb " #opt ::: "memory")

namespace arch {

constexpr uint64_t kPageSize = PAGE_SIZE;
constexpr uint64_t kPageShift = PAGE_SHIFT;
constexpr uint64_t kKernelBase = KERNEL_BASE;
constexpr uint64_t kPhysmapBase = PHYSMAP_BASE;
constexpr uint64_t kPhysmapSize = PHYSMAP_SIZE;

// The exception frame built by exceptions.S.
struct IFrame {
  uint64_t x[31];
  uint64_t sp;
  uint64_t elr;
  uint64_t spsr;
  uint64_t esr;
  uint64_t far;
};
static_assert(sizeof(IFrame) == IFRAME_SIZE);

inline bool IrqsDisabled() {
  return (READ_SYSREG(daif) & (1 << 7)) != 0;
}
inline void EnableIrqs() {
  __asm__ volatile("msr daifclr, #2" ::: "memory");
}
inline void DisableIrqs() {
  __asm__ volatile("msr daifset, #2" ::: "memory");
}

// Saves the IRQ mask and disables IRQs; RestoreIrqs puts it back.
inline uint64_t SaveDisableIrqs() {
  uint64_t daif = READ_SYSREG(daif);
  DisableIrqs();
  return daif;
}
inline void RestoreIrqs(uint64_t daif) {
  WRITE_SYSREG(daif, daif);
}

inline void Wfi() {
  __asm__ volatile("wfi" ::: "memory");
}
inline void Wfe() {
  __asm__ volatile("wfe" ::: "memory");
}
inline void Sev() {
  __asm__ volatile("sev" ::: "memory");
}
inline void Yield() {
  __asm__ volatile("yield" ::: "memory");
}

inline uint64_t Mpidr() {
  return READ_SYSREG(mpidr_el1) & 0xff00ffffffull;
}
inline uint64_t CurrentEl() {
  return (READ_SYSREG(CurrentEL) >> 2) & 3;
}

// Physical <-> linear-map virtual addresses.
inline void* PhysToVirt(uint64_t pa) {
  return reinterpret_cast<void*>(kPhysmapBase + pa);
}
inline uint64_t VirtToPhys(const void* va) {
  return reinterpret_cast<uint64_t>(va) - kPhysmapBase;
}

// Cache maintenance to the point of coherency, for memory another observer
// reads with its caches or MMU off (spin tables, secondary CPU entry data).
void CleanDcacheRange(const void* start, size_t len);

// FEAT_CRC32 (ID_AA64ISAR0_EL1.CRC32): every ARMv8.1 CPU, and the
// Cortex-A53 and A72.
inline bool HasCrc32() {
  return ((READ_SYSREG(id_aa64isar0_el1) >> 16) & 0xf) != 0;
}
// Makes instructions written through the linear map visible to
// instruction fetches through any mapping (cleans the data cache to the
// point of unification, invalidates the instruction caches).
void SyncIcacheRange(const void* start, size_t len);

// Data cache maintenance by VA for DMA (vmo_op_range; Arm ARM D7.5.9), each
// followed by DSB SY so a device sees the result: DC CVAC (clean to the
// point of coherency), DC CIVAC (clean and invalidate), DC CVAU (clean to
// the point of unification, for InvalidateIcacheAll afterwards).
enum class DcacheOp { kCleanPoc, kCleanInvalidatePoc, kCleanPou };
void DcacheRange(DcacheOp op, const void* start, size_t len);
// IC IALLUIS, then DSB ISH and ISB.
void InvalidateIcacheAll();

}  // namespace arch

extern "C" {
// Fault-recoverable single-byte accesses (exceptions.S): 0, or -1 if the
// access faulted.
int arm64_probe_read8(const void* addr, uint8_t* out);
int arm64_probe_write8(void* addr, uint8_t value);
void arm64_context_switch(uint64_t* old_sp, uint64_t new_sp);
void arm64_thread_trampoline();
void arm64_switch_ttbr1(uint64_t ttbr1);
void arm64_secondary_entry();
extern char arm64_vectors[];
}
