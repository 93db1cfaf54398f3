// In-kernel tests of the devicetree as booted, symbols and the log.
#include <string.h>

#include "devicetree/lib/fdt.h"
#include "images/bootfs/bootfs.h"
#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/timer.h"
#include "kernel/base/log.h"
#include "kernel/base/panic.h"
#include "kernel/tests/ktest.h"

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

// The counter conversions (a multiply or divide when 1e9 / CNTFRQ is whole,
// as on QEMU virt, else two divisions) agree with the exact formula.
KTEST(timer_conversions_are_exact) {
  const uint64_t f = timer::Frequency();
  const uint64_t kGiga = 1000000000ull;
  const uint64_t ticks[] = {0, 1, 2, f - 1, f, f + 1, 3 * f + 7, 12345678901ull, (1ull << 40) + 7};
  for (uint64_t t : ticks) {
    KEXPECT_EQ(timer::TicksToNs(t), (t / f) * kGiga + (t % f) * kGiga / f);
  }
  const uint64_t ns[] = {0, 1, 15, 16, 17, 999999999ull, kGiga, kGiga + 1, (1ull << 50) + 3};
  for (uint64_t n : ns) {
    KEXPECT_EQ(timer::NsToTicks(n), (n / kGiga) * f + (n % kGiga) * f / kGiga);
  }
  for (uint64_t t : ticks) {
    uint64_t back = timer::NsToTicks(timer::TicksToNs(t));
    KEXPECT(back == t || (back + 1 == t && kGiga % f != 0));
  }
}

// The bootfs's CRC-32 with the CPU's CRC32 instructions (what CheckBootfs
// turns on when ID_AA64ISAR0_EL1 reports them) equals the table's for every
// length 0..80 at every alignment 0..7, and chains.
KTEST(bootfs_crc32_instructions_match_the_table) {
  if (((READ_SYSREG(id_aa64isar0_el1) >> 16) & 0xf) == 0) {
    return;  // no FEAT_CRC32: the table is all there is
  }
  static uint8_t bytes[96];
  for (size_t i = 0; i < sizeof(bytes); i++) {
    bytes[i] = static_cast<uint8_t>(i * 131u + 7u);
  }
  for (size_t align = 0; align < 8; align++) {
    for (size_t n = 0; n <= 80; n++) {
      bootfs::UseCrc32Instructions(false);
      uint32_t table = bootfs::Crc32(bytes + align, n);
      uint32_t chained_table =
          bootfs::Crc32(bytes + align + n / 2, n - n / 2, bootfs::Crc32(bytes + align, n / 2));
      bootfs::UseCrc32Instructions(true);
      KEXPECT_EQ(bootfs::Crc32(bytes + align, n), table);
      KEXPECT_EQ(
          bootfs::Crc32(bytes + align + n / 2, n - n / 2, bootfs::Crc32(bytes + align, n / 2)),
          chained_table);
    }
  }
  KEXPECT_EQ(bootfs::Crc32("123456789", 9), 0xcbf43926u);  // the check value
}
