#include "kernel/arch/arm64/arch.h"

namespace arch {

void CleanDcacheRange(const void* start, size_t len) {
  uint64_t ctr = READ_SYSREG(ctr_el0);
  uint64_t line = 4ull << ((ctr >> 16) & 0xf);  // DminLine, in words
  uint64_t a = reinterpret_cast<uint64_t>(start) & ~(line - 1);
  uint64_t end = reinterpret_cast<uint64_t>(start) + len;
  for (; a < end; a += line) {
    __asm__ volatile("dc civac, %0" ::"r"(a) : "memory");
  }
  DSB(sy);
}

void SyncIcacheRange(const void* start, size_t len) {
  uint64_t ctr = READ_SYSREG(ctr_el0);
  uint64_t line = 4ull << ((ctr >> 16) & 0xf);  // DminLine, in words
  uint64_t a = reinterpret_cast<uint64_t>(start) & ~(line - 1);
  uint64_t end = reinterpret_cast<uint64_t>(start) + len;
  for (; a < end; a += line) {
    __asm__ volatile("dc cvau, %0" ::"r"(a) : "memory");
  }
  DSB(ish);
  // Every alias, whatever the instruction caches' indexing.
  __asm__ volatile("ic ialluis" ::: "memory");
  DSB(ish);
  ISB();
}

void DcacheRange(DcacheOp op, const void* start, size_t len) {
  uint64_t ctr = READ_SYSREG(ctr_el0);
  uint64_t line = 4ull << ((ctr >> 16) & 0xf);  // DminLine, in words
  uint64_t a = reinterpret_cast<uint64_t>(start) & ~(line - 1);
  uint64_t end = reinterpret_cast<uint64_t>(start) + len;
  switch (op) {
    case DcacheOp::kCleanPoc:
      for (; a < end; a += line) {
        __asm__ volatile("dc cvac, %0" ::"r"(a) : "memory");
      }
      break;
    case DcacheOp::kCleanInvalidatePoc:
      for (; a < end; a += line) {
        __asm__ volatile("dc civac, %0" ::"r"(a) : "memory");
      }
      break;
    case DcacheOp::kCleanPou:
      for (; a < end; a += line) {
        __asm__ volatile("dc cvau, %0" ::"r"(a) : "memory");
      }
      break;
  }
  DSB(sy);
}

void InvalidateIcacheAll() {
  __asm__ volatile("ic ialluis" ::: "memory");
  DSB(ish);
  ISB();
}

}  // namespace arch
