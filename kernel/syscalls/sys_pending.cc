// The calls of the ABI (system/public/syscalls.mica) that the kernel does
// not implement yet would be here, each returning MICA_ERR_NOT_SUPPORTED
// (docs/kernel.md says what exists). Every call is implemented now.
#include "kernel/syscalls/sys_common.h"
