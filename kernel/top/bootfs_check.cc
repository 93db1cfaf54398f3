#include "kernel/top/bootfs_check.h"

#include "images/bootfs/bootfs.h"
#include "kernel/arch/arm64/arch.h"
#include "kernel/base/log.h"

void CheckBootfs(const platform::BootInfo& info) {
  if (info.initrd_end <= info.initrd_start) {
    KLog("bootfs: no initrd passed in /chosen");
    return;
  }
  uint64_t size = info.initrd_end - info.initrd_start;
  bootfs::Image image;
  bootfs::Status s = image.Open(arch::PhysToVirt(info.initrd_start), size);
  if (s != bootfs::Status::kOk) {
    KLog("bootfs: the initrd at 0x%llx (%llu bytes) is not a valid bootfs: %s",
         static_cast<unsigned long long>(info.initrd_start), static_cast<unsigned long long>(size),
         bootfs::StatusString(s));
    return;
  }
  KLog("bootfs: %u files, %llu bytes, checksums verified", image.count(),
       static_cast<unsigned long long>(image.total_size()));
  for (bootfs::File f : image) {
    KLog("bootfs:   %s (%zu bytes)", f.name, f.size);
  }
}
