// Decoding the exception syndrome (ESR_ELx; Arm ARM D17.2.37) for the
// exception handlers of both the arch layer (exceptions.cc) and the user
// entry (kernel/syscalls/user_entry.cc).
#pragma once

#include <stdint.h>

namespace arch {

constexpr uint32_t kEcDataAbortSameEl = 0x25;
constexpr uint32_t kEcInsnAbortSameEl = 0x21;
constexpr uint32_t kEcFpAccess = 0x07;  // FP/SIMD use trapped by CPACR_EL1.FPEN
constexpr uint32_t kEcDataAbortLowerEl = 0x24;
constexpr uint32_t kEcInsnAbortLowerEl = 0x20;

inline uint32_t EsrClass(uint64_t esr) {
  return static_cast<uint32_t>(esr >> 26) & 0x3f;
}

inline bool IsTranslationFault(uint64_t esr) {
  return (esr & 0x3c) == 0x04;
}

// A permission fault: a write to a read-only mapped page, which is how a
// write to a shared copy-on-write page arrives.
inline bool IsPermissionFault(uint64_t esr) {
  return (esr & 0x3c) == 0x0c;
}

// A data abort's WnR bit: the access was a write.
inline bool IsWriteAbort(uint64_t esr) {
  return (esr & (1 << 6)) != 0;
}

}  // namespace arch
