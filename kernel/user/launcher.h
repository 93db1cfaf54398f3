// Starting user programs from the bootfs: the kernel's side of userboot.
// Until the object layer (handles, channels, jobs) lands, the kernel loads
// the program named by `userboot.next=` itself; later that moves into the
// userboot process (docs/kernel.md).
#pragma once

#include <stdint.h>

#include "images/bootfs/bootfs.h"
#include "kernel/lib/status.h"

class Process;

namespace launcher {

constexpr uint64_t kDefaultStackSize = 256 * 1024;

// Validates the ELF program `path` in `fs`, loads it at a random address in
// a new process (segments mapped with their own permissions, relocations
// applied, RELRO made read-only), gives it a stack with a guard page and
// starts its first thread with x0 = its bootstrap channel (carrying argv[0]
// and a debug log handle), x1 = the load base.
// On failure returns the status and points `*why` at a description.
mica::Status Launch(const bootfs::Image& fs, const char* path, Process** out, const char** why);

// Boot: runs `userboot.next=` (if present on the command line) to
// completion and reports its exit status.
void RunUserbootNext(const char* bootargs, uint64_t initrd_start, uint64_t initrd_end);

}  // namespace launcher
