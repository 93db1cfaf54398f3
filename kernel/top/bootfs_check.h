// Validates the boot filesystem (the initrd), checksums included, and
// reports what it holds. True if it is valid: RunUserboot then checks only
// its structure again (the initrd's memory is the kernel's until then).
#pragma once

#include "kernel/platform/platform.h"

bool CheckBootfs(const platform::BootInfo& info);
