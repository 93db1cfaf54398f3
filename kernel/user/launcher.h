// Starting user space: the kernel loads one program, bin/userboot, from the
// bootfs and hands it the bootfs and the DTB as VMOs, the root job and the
// command line; userboot starts everything else with syscalls
// (docs/kernel.md, "Starting programs"; system/core/userboot).
#pragma once

#include <stdint.h>

#include "images/bootfs/bootfs.h"
#include "kernel/lib/status.h"
#include "kernel/platform/platform.h"

class Process;

namespace launcher {

// The program the kernel starts.
inline constexpr char kUserbootPath[] = "bin/userboot";
constexpr uint64_t kDefaultStackSize = 256 * 1024;

// Boot: starts bin/userboot from the bootfs (the initrd) and waits until it
// ends. Logs why when it cannot (no bootfs, no userboot, a bad ELF).
// `verified`: CheckBootfs found the bootfs valid, checksums included (they
// are not computed again); false: no valid bootfs, userboot is not started.
void RunUserboot(const platform::BootInfo& boot, bool verified);

}  // namespace launcher
