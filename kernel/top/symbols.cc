// Kernel symbol lookup for backtraces. The table is generated from the first
// link (scripts/gen_ksyms.py) and placed in .ksyms by the second.
#include <stdint.h>

#include "kernel/base/panic.h"

extern "C" char __ksyms_start[], __ksyms_end[];

namespace {

struct Ksym {
  uint64_t addr;
  uint32_t name_off;
  uint32_t size;
};

}  // namespace

bool LookupSymbol(uint64_t addr, const char** name, uint64_t* offset) {
  size_t avail = static_cast<size_t>(__ksyms_end - __ksyms_start);
  if (avail < 8) {
    return false;
  }
  uint64_t count = *reinterpret_cast<const uint64_t*>(__ksyms_start);
  if (count == 0 || 8 + count * sizeof(Ksym) > avail) {
    return false;
  }
  const Ksym* syms = reinterpret_cast<const Ksym*>(__ksyms_start + 8);
  const char* names = reinterpret_cast<const char*>(syms + count);
  size_t names_len = static_cast<size_t>(__ksyms_end - names);
  // Last symbol with addr <= target.
  uint64_t lo = 0, hi = count;
  while (hi - lo > 1) {
    uint64_t mid = (lo + hi) / 2;
    if (syms[mid].addr <= addr) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  const Ksym& s = syms[lo];
  if (s.addr > addr || s.name_off >= names_len) {
    return false;
  }
  uint64_t limit = s.size != 0 ? s.size : (lo + 1 < count ? syms[lo + 1].addr - s.addr : 0);
  if (limit != 0 && addr - s.addr >= limit) {
    return false;
  }
  *name = names + s.name_off;
  *offset = addr - s.addr;
  return true;
}
