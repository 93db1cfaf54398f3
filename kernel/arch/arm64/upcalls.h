// What the arch layer calls in the rooms above it. They are declared here,
// so that arch includes nothing above itself (docs/kernel.md "Layout"), and
// defined where the work belongs; the rooms that define them include this
// header, so the compiler checks each definition against its declaration.
// (vectors.S also calls up by symbol: arm64_user_sync_exception and
// arm64_syscall_return_work, defined in kernel/syscalls/user_entry.cc.)
#pragma once

#include <stdint.h>

#include "kernel/lib/status.h"

namespace sched {
// The timer interrupt (timer.cc) and the end of every interrupt (arm64_irq).
void TimerTick();
void PreemptFromIrq();
// A secondary CPU, once it is up (smp.cc): its boot context becomes its idle
// thread; never returns.
[[noreturn]] void RunSecondary(uint32_t cpu);
}  // namespace sched

namespace user_entry {
// A user copy (LDTR/STTR in the kernel) faulted at user address `far`
// (translation or permission fault): commits or copies the page if the
// current process's mapping allows the access. kOk to retry the access;
// otherwise the copy fails (kNoMemory is remembered for the syscall's
// return).
mica::Status UserCopyFault(uint64_t far, bool write);
// Every return to user mode from an interrupt: a killed thread ends here.
void ReturnToUserCheck();
}  // namespace user_entry
