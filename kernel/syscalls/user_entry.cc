// The kernel's entry from user space, beyond the system calls themselves:
// exceptions a user thread takes (demand paging, copy-on-write, lazy FP,
// fatal faults), user copies that fault in the kernel, and the work done on
// every return to user mode. The exception vectors (kernel/arch/arm64/
// vectors.S, exceptions.cc) call these; they live here, above the objects
// they use, so that the arch layer includes nothing above itself
// (kernel/arch/arm64/upcalls.h).
#include "kernel/arch/arm64/exceptions.h"
#include "kernel/arch/arm64/upcalls.h"
#include "kernel/base/fail_alloc.h"
#include "kernel/base/panic.h"
#include "kernel/lib/printf.h"
#include "kernel/object/process.h"
#include "kernel/sched/sched.h"

namespace user_entry {

mica::Status UserCopyFault(uint64_t far, bool write) {
  fail_alloc::Suppress no_injection;  // faults get no injected failures (fail_alloc.h)
  Process* process = Process::Current();
  if (process == nullptr) {
    return mica::Status::kNotFound;
  }
  mica::Status s = process->HandlePageFault(far, write, false);
  if (s != mica::Status::kOk) {
    // The copy fails (INVALID_ARGS); for want of memory, the syscall
    // return path makes that NO_MEMORY (arm64_syscall_return_work).
    sched::Current()->copy_fault_no_memory = s == mica::Status::kNoMemory;
  }
  return s;
}

void ReturnToUserCheck() {
  fail_alloc::Suppress no_injection;  // a kill's teardown returns no status
  Process* process = Process::Current();
  if (process != nullptr) {
    process->CheckKilled();
  }
}

}  // namespace user_entry

// System calls never come here: vectors.S (el0_sync) runs them itself.
extern "C" void arm64_user_sync_exception(arch::IFrame* frame) {
  uint32_t ec = arch::EsrClass(frame->esr);
  fail_alloc::Suppress no_injection;  // faults and kills return no status
  Process* process = Process::Current();
  if (process == nullptr) {
    PanicWithFrame(frame, "exception from EL0 on a thread with no process: %s", EsrClassName(ec));
  }
  if (ec == arch::kEcFpAccess) {
    // Lazy FP/SIMD switching (user_state.cc): the thread's first FP/SIMD
    // instruction since it was switched in. Load its registers and retry.
    arch::UserFpAccessTrap(sched::Current()->user, sched::Current()->own_switches());
    return;
  }
  mica::Status paging = mica::Status::kNotFound;
  if ((ec == arch::kEcDataAbortLowerEl || ec == arch::kEcInsnAbortLowerEl) &&
      (arch::IsTranslationFault(frame->esr) || arch::IsPermissionFault(frame->esr))) {
    // Demand paging and copy-on-write: commit (or copy) and map the page if
    // a mapping allows the access.
    arch::EnableIrqs();
    bool write = ec == arch::kEcDataAbortLowerEl && arch::IsWriteAbort(frame->esr);
    paging = process->HandlePageFault(frame->far, write, ec == arch::kEcInsnAbortLowerEl);
    arch::DisableIrqs();
    // A thread of a dying process (its mappings already gone) just ends.
    if (paging == mica::Status::kOk || process->dead()) {
      process->CheckKilled();
      return;
    }
  }
  // Any other synchronous exception from user mode is fatal to the process,
  // never to the kernel: report it and kill the process.
  char why[200];
  mica::SNPrintf(why, sizeof(why), "%s (ESR 0x%llx) at pc 0x%llx, address 0x%llx%s",
                 EsrClassName(ec), static_cast<unsigned long long>(frame->esr),
                 static_cast<unsigned long long>(frame->elr),
                 static_cast<unsigned long long>(frame->far),
                 paging == mica::Status::kNoMemory
                     ? ": no memory for the page (the job's memory limit or the kernel's memory)"
                     : "");
  arch::EnableIrqs();
  process->KillFromFault(why, static_cast<uint32_t>(frame->esr), frame->far);
}

// Called by the syscall return path in vectors.S, with interrupts off, when
// the thread is interrupted (killed, or its process is dead) or this CPU has
// a reschedule pending: the same work as every return to user mode.
extern "C" void arm64_syscall_return_work(int64_t result, arch::IFrame* frame) {
  sched::Thread* t = sched::Current();
  if (t->copy_fault_no_memory) {
    // A user copy failed for want of memory, not for a bad pointer: the
    // call says so (usercopy reports any failed copy as INVALID_ARGS).
    t->copy_fault_no_memory = false;
    if (result == MICA_ERR_INVALID_ARGS) {
      result = MICA_ERR_NO_MEMORY;
      frame->x[0] = static_cast<uint64_t>(result);
    }
  }
  if (t->fail_alloc_hit) {
    t->fail_alloc_hit = false;
    fail_alloc::SyscallEnd(frame->x[8], result);
  }
  fail_alloc::Suppress no_injection;  // a kill's teardown returns no status
  Process::Current()->CheckKilled();
  sched::PreemptFromIrq();
}
