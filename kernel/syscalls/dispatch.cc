#include "kernel/syscalls/dispatch.h"

#include "kernel/syscalls/sys_common.h"

namespace syscall {

// The body is generated from system/public/syscalls.mica: a switch on the
// number that checks 32-bit arguments are zero-extended and calls the
// typed handler (sys_<name>), with MICA_ERR_BAD_SYSCALL for unknown numbers.
int64_t Dispatch(uint64_t number, const uint64_t* a) {
#include "kernel/syscall_table.inc"
}

}  // namespace syscall
