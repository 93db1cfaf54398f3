// In-kernel tests of the devicetree as booted, symbols and the log.
#include <string.h>

#include "devicetree/lib/fdt.h"
#include "kernel/tests/ktest.h"
#include "kernel/top/log.h"
#include "kernel/top/panic.h"

const fdt::Fdt& BootFdt();

namespace {

bool Contains(const char* haystack, const char* needle) {
  size_t n = strlen(needle);
  for (; *haystack; haystack++) {
    if (strncmp(haystack, needle, n) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

KTEST(devicetree_boot_blob_is_usable) {
  const fdt::Fdt& dt = BootFdt();
  KEXPECT(dt.valid());
  KEXPECT(dt.Root().valid());
  KEXPECT(dt.FindNode("/cpus").valid());
  KEXPECT(dt.FindProperty(dt.Root(), "compatible").valid());
}

KTEST(symbols_resolve_kernel_functions) {
  const char* name = nullptr;
  uint64_t off = 0;
  uint64_t addr = reinterpret_cast<uint64_t>(&LookupSymbol);
  KEXPECT(LookupSymbol(addr + 4, &name, &off));
  KEXPECT(Contains(name, "LookupSymbol"));
  KEXPECT_EQ(off, 4u);
}

KTEST(log_records_lines) {
  KLog("ktest marker %d", 12345);
  char buf[256];
  size_t n = LogSnapshot(buf, sizeof(buf) - 1);
  buf[n] = 0;
  KEXPECT(Contains(buf, "ktest marker 12345"));
}
