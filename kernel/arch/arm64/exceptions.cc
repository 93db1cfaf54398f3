// C++ side of the exception vectors: fault dispatch and reports.
#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/gic.h"
#include "kernel/arch/arm64/user_page_table.h"
#include "kernel/lib/printf.h"
#include "kernel/object/process.h"
#include "kernel/sched/sched.h"
#include "kernel/base/fail_alloc.h"
#include "kernel/base/panic.h"
#include "kernel/base/percpu.h"

extern "C" {
struct ExTableEntry {
  uint64_t insn;
  uint64_t fixup;
};
extern const ExTableEntry __ex_table_start[], __ex_table_end[];
}

// vectors.S reads the current thread's `interrupted` flag on every syscall
// return. (Thread is not standard-layout, as it derives from QueueLink;
// offsetof is well defined for it all the same: no virtual bases.)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winvalid-offsetof"
static_assert(offsetof(sched::Thread, interrupted) == THREAD_INTERRUPTED);
static_assert(sizeof(sched::Thread::interrupted) == 1);
static_assert(offsetof(sched::Thread, fail_alloc_hit) == THREAD_FAIL_ALLOC_HIT);
static_assert(offsetof(sched::Thread, copy_fault_no_memory) == THREAD_COPY_FAULT_NO_MEMORY);
// One 4-byte load reads them all (vectors.S), with the spare byte.
static_assert(THREAD_FAIL_ALLOC_HIT == THREAD_INTERRUPTED + 1 &&
              THREAD_COPY_FAULT_NO_MEMORY == THREAD_INTERRUPTED + 2 &&
              offsetof(sched::Thread, syscall_word_spare) == THREAD_INTERRUPTED + 3 &&
              THREAD_INTERRUPTED % 4 == 0);
static_assert(sizeof(sched::Thread::fail_alloc_hit) == 1);
static_assert(sizeof(sched::Thread::copy_fault_no_memory) == 1);
#pragma clang diagnostic pop

namespace {

constexpr uint32_t kEcDataAbortSameEl = 0x25;
constexpr uint32_t kEcInsnAbortSameEl = 0x21;
constexpr uint32_t kEcFpAccess = 0x07;  // FP/SIMD use trapped by CPACR_EL1.FPEN
constexpr uint32_t kEcDataAbortLowerEl = 0x24;
constexpr uint32_t kEcInsnAbortLowerEl = 0x20;

bool IsTranslationFault(uint64_t esr) {
  return (esr & 0x3c) == 0x04;
}

// A permission fault: a write to a read-only mapped page, which is how a
// write to a shared copy-on-write page arrives.
bool IsPermissionFault(uint64_t esr) {
  return (esr & 0x3c) == 0x0c;
}

const char* FaultStatusName(uint32_t fsc) {
  switch (fsc & 0x3c) {
    case 0x04:
      return "translation fault";
    case 0x08:
      return "access flag fault";
    case 0x0c:
      return "permission fault";
    default:
      break;
  }
  switch (fsc) {
    case 0x00:
    case 0x01:
    case 0x02:
    case 0x03:
      return "address size fault";
    case 0x10:
      return "synchronous external abort";
    case 0x21:
      return "alignment fault";
    case 0x30:
      return "TLB conflict abort";
    default:
      return "fault";
  }
}

// Looks the faulting PC up among the fault-recoverable accesses.
bool FixupFault(arch::IFrame* frame) {
  for (const ExTableEntry* e = __ex_table_start; e < __ex_table_end; e++) {
    if (e->insn == frame->elr) {
      frame->elr = e->fixup;
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" void arm64_sync_exception(arch::IFrame* frame) {
  uint32_t ec = static_cast<uint32_t>(frame->esr >> 26) & 0x3f;
  if (ec == kEcDataAbortSameEl &&
      (IsTranslationFault(frame->esr) || IsPermissionFault(frame->esr)) &&
      frame->far < arch::kUserTop) {
    // A user copy (LDTR/STTR) touched a page not committed yet, or wrote
    // to a copy-on-write page. Faults get no injected failures (see
    // fail_alloc.h).
    fail_alloc::Suppress no_injection;
    Process* process = Process::Current();
    if (process != nullptr) {
      mica::Status s = process->HandlePageFault(frame->far, (frame->esr & (1 << 6)) != 0, false);
      if (s == mica::Status::kOk) {
        return;
      }
      // The copy fails (INVALID_ARGS); for want of memory, the syscall
      // return path makes that NO_MEMORY (arm64_syscall_return_work).
      sched::Current()->copy_fault_no_memory = s == mica::Status::kNoMemory;
    }
  }
  if (ec == kEcDataAbortSameEl && FixupFault(frame)) {
    return;
  }
  if (ec == kEcDataAbortSameEl || ec == kEcInsnAbortSameEl) {
    uint32_t fsc = static_cast<uint32_t>(frame->esr) & 0x3f;
    bool write = ec == kEcDataAbortSameEl && (frame->esr & (1 << 6)) != 0;
    const char* what = ec == kEcInsnAbortSameEl ? "instruction fetch" : (write ? "write" : "read");
    if ((fsc & 0x3c) == 0x04 || (fsc & 0x3c) == 0x0c) {
      PanicWithFrame(frame, "kernel %s at 0x%llx: %s, level %u", what,
                     static_cast<unsigned long long>(frame->far), FaultStatusName(fsc), fsc & 3);
    }
    PanicWithFrame(frame, "kernel %s at 0x%llx: %s (FSC 0x%02x)", what,
                   static_cast<unsigned long long>(frame->far), FaultStatusName(fsc), fsc);
  }
  PanicWithFrame(frame, "unexpected synchronous exception in the kernel: %s", EsrClassName(ec));
}

// System calls never come here: vectors.S (el0_sync) runs them itself.
extern "C" void arm64_user_sync_exception(arch::IFrame* frame) {
  uint32_t ec = static_cast<uint32_t>(frame->esr >> 26) & 0x3f;
  fail_alloc::Suppress no_injection;  // faults and kills return no status
  Process* process = Process::Current();
  if (process == nullptr) {
    PanicWithFrame(frame, "exception from EL0 on a thread with no process: %s", EsrClassName(ec));
  }
  if (ec == kEcFpAccess) {
    // Lazy FP/SIMD switching (user_state.cc): the thread's first FP/SIMD
    // instruction since it was switched in. Load its registers and retry.
    arch::UserFpAccessTrap(sched::Current()->user);
    return;
  }
  mica::Status paging = mica::Status::kNotFound;
  if ((ec == kEcDataAbortLowerEl || ec == kEcInsnAbortLowerEl) &&
      (IsTranslationFault(frame->esr) || IsPermissionFault(frame->esr))) {
    // Demand paging and copy-on-write: commit (or copy) and map the page if
    // a mapping allows the access.
    arch::EnableIrqs();
    bool write = ec == kEcDataAbortLowerEl && (frame->esr & (1 << 6)) != 0;
    paging = process->HandlePageFault(frame->far, write, ec == kEcInsnAbortLowerEl);
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

extern "C" void arm64_return_to_user_check() {
  fail_alloc::Suppress no_injection;  // a kill's teardown returns no status
  Process* process = Process::Current();
  if (process != nullptr) {
    process->CheckKilled();
  }
}

extern "C" void arm64_return_to_user_check();

extern "C" void arm64_irq(arch::IFrame* frame) {
  PerCpu& cpu = ThisCpu();
  cpu.irq_depth++;
  gic::HandleIrq();
  cpu.irq_depth--;
  sched::PreemptFromIrq();
  if ((frame->spsr & 0xf) == 0) {  // returning to EL0t
    arm64_return_to_user_check();
  }
}

extern "C" void arm64_fiq(arch::IFrame* frame) {
  PanicWithFrame(frame, "unexpected FIQ");
}

extern "C" void arm64_serror(arch::IFrame* frame) {
  PanicWithFrame(frame, "SError");
}

extern "C" void arm64_invalid_exception(arch::IFrame* frame, uint64_t kind) {
  PanicWithFrame(frame, "invalid exception vector %llu taken",
                 static_cast<unsigned long long>(kind));
}

extern "C" void arm64_kernel_stack_overflow(arch::IFrame* frame) {
  // The frame was saved on the emergency stack; FAR holds the address in
  // the guard that the overflowing access hit, when a fault caused it.
  PanicWithFrame(frame, "kernel stack overflow (access at 0x%llx in the guard below a stack)",
                 static_cast<unsigned long long>(frame->far));
}
