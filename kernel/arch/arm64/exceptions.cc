// C++ side of the exception vectors: fault dispatch and reports.
#include "kernel/arch/arm64/exceptions.h"
#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/gic.h"
#include "kernel/arch/arm64/upcalls.h"
#include "kernel/arch/arm64/user_page_table.h"
#include "kernel/base/panic.h"
#include "kernel/base/percpu.h"
#include "kernel/lib/printf.h"

extern "C" {
struct ExTableEntry {
  uint64_t insn;
  uint64_t fixup;
};
extern const ExTableEntry __ex_table_start[], __ex_table_end[];
}

namespace {

using arch::kEcDataAbortSameEl;
using arch::kEcInsnAbortSameEl;

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
  uint32_t ec = arch::EsrClass(frame->esr);
  if (ec == kEcDataAbortSameEl &&
      (arch::IsTranslationFault(frame->esr) || arch::IsPermissionFault(frame->esr)) &&
      frame->far < arch::kUserTop) {
    // A user copy (LDTR/STTR) touched a page not committed yet, or wrote
    // to a copy-on-write page.
    if (user_entry::UserCopyFault(frame->far, arch::IsWriteAbort(frame->esr)) ==
        mica::Status::kOk) {
      return;
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

extern "C" void arm64_irq(arch::IFrame* frame) {
  PerCpu& cpu = ThisCpu();
  cpu.irq_depth++;
  gic::HandleIrq();
  cpu.irq_depth--;
  sched::PreemptFromIrq();
  if ((frame->spsr & 0xf) == 0) {  // returning to EL0t
    user_entry::ReturnToUserCheck();
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
