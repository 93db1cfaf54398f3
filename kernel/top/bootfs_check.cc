#include "kernel/top/bootfs_check.h"

#include "images/bootfs/bootfs.h"
#include "kernel/arch/arm64/arch.h"
#include "kernel/base/log.h"

bool CheckBootfs(const platform::BootInfo& info) {
  if (info.initrd_end <= info.initrd_start) {
    KLog("bootfs: no initrd passed in /chosen");
    return false;
  }
  // FEAT_CRC32 (every ARMv8.1 CPU, and the Cortex-A53/A72): 8 bytes per
  // instruction instead of the table's (about 25 M instructions less for a
  // 3 MiB bootfs).
  bootfs::UseCrc32Instructions(((READ_SYSREG(id_aa64isar0_el1) >> 16) & 0xf) != 0);
  uint64_t size = info.initrd_end - info.initrd_start;
  bootfs::Image image;
  bootfs::Status s = image.Open(arch::PhysToVirt(info.initrd_start), size);
  if (s != bootfs::Status::kOk) {
    KLog("bootfs: the initrd at 0x%llx (%llu bytes) is not a valid bootfs: %s",
         static_cast<unsigned long long>(info.initrd_start), static_cast<unsigned long long>(size),
         bootfs::StatusString(s));
    return false;
  }
  KLog("bootfs: %u files, %llu bytes, checksums verified", image.count(),
       static_cast<unsigned long long>(image.total_size()));
  for (bootfs::File f : image) {
    KLog("bootfs:   %s (%zu bytes)", f.name, f.size);
  }
  return true;
}
