// Validates the boot filesystem (the initrd) and reports what it holds.
#pragma once

#include "kernel/platform/platform.h"

void CheckBootfs(const platform::BootInfo& info);
