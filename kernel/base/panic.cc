#include "kernel/base/panic.h"

#include <stdarg.h>

#include "kernel/base/log.h"
#include "kernel/base/percpu.h"
#include "kernel/lib/atomic.h"
#include "kernel/lib/printf.h"

extern "C" char __kernel_start[], __kernel_end[];

namespace {

mica::Atomic<int> g_panicking{-1};  // CPU that is panicking, or -1
void (*g_stop_other_cpus)() = nullptr;

[[noreturn]] void Halt() {
  arch::DisableIrqs();
  for (;;) {
    arch::Wfi();
  }
}

// Claims the panic for this CPU. A second panic on the same CPU (while
// reporting) or a panic on another CPU during ours stops here.
void EnterPanic() {
  arch::DisableIrqs();
  int me = static_cast<int>(CurrentCpu());
  int expected = -1;
  if (!g_panicking.compare_exchange_strong(&expected, me, mica::kSeqCst, mica::kSeqCst)) {
    if (expected == me) {
      KPuts("\nKERNEL PANIC while panicking; halting\n");
    }
    Halt();
  }
  LogEnterPanicMode();
  // Stop everyone else first so the report is not interleaved with theirs.
  if (g_stop_other_cpus != nullptr) {
    g_stop_other_cpus();
  }
}

void ReportStoppedCpus() {
  uint32_t others = 0, stopped = 0;
  for (uint32_t c = 0; c < g_cpu_count && c < MAX_CPUS; c++) {
    if (c != CurrentCpu() && g_percpu[c].online.load(mica::kAcquire)) {
      others++;
      stopped += g_percpu[c].stopped.load(mica::kAcquire) ? 1 : 0;
    }
  }
  KLog("panic: stopped %u of %u other CPUs", stopped, others);
}

void PanicMessage(const char* fmt, va_list ap) {
  char buf[256];
  mica::VSNPrintf(buf, sizeof(buf), fmt, ap);
  KLog("KERNEL PANIC on cpu %u: %s", CurrentCpu(), buf);
}

bool IsKernelText(uint64_t pc) {
  return pc >= reinterpret_cast<uint64_t>(__kernel_start) &&
         pc < reinterpret_cast<uint64_t>(__kernel_end);
}

void PrintPc(const char* prefix, uint64_t pc) {
  const char* name;
  uint64_t off;
  if (LookupSymbol(pc, &name, &off)) {
    KLog("%s0x%016llx %s+0x%llx", prefix, static_cast<unsigned long long>(pc), name,
         static_cast<unsigned long long>(off));
  } else {
    KLog("%s0x%016llx", prefix, static_cast<unsigned long long>(pc));
  }
}

}  // namespace

const char* EsrClassName(uint32_t ec) {
  switch (ec) {
    case 0x00:
      return "unknown reason";
    case 0x01:
      return "WFI/WFE trapped";
    case 0x07:
      return "FP/SIMD access trapped";
    case 0x0e:
      return "illegal execution state";
    case 0x15:
      return "SVC from AArch64";
    case 0x18:
      return "MSR/MRS/system instruction trapped";
    case 0x20:
      return "instruction abort from a lower EL";
    case 0x21:
      return "instruction abort (same EL)";
    case 0x22:
      return "PC alignment fault";
    case 0x24:
      return "data abort from a lower EL";
    case 0x25:
      return "data abort (same EL)";
    case 0x26:
      return "SP alignment fault";
    case 0x2c:
      return "floating-point exception";
    case 0x2f:
      return "SError interrupt";
    case 0x30:
    case 0x31:
      return "breakpoint";
    case 0x32:
    case 0x33:
      return "software step";
    case 0x34:
    case 0x35:
      return "watchpoint";
    case 0x3c:
      return "BRK instruction";
    default:
      return "reserved/unhandled exception class";
  }
}

void PrintBacktrace(uint64_t pc, uint64_t fp) {
  KLog("backtrace:");
  if (pc != 0) {
    PrintPc("  #0  ", pc);
  }
  // AAPCS64 frame records: [fp] = previous fp, [fp+8] = return address.
  // Each step is checked: the record must be in the kernel half, 16-byte
  // aligned, readable, and the chain must go up the stack.
  for (int depth = 1; depth < 32 && fp != 0; depth++) {
    if ((fp & 15) != 0 || (fp >> VA_BITS) != (~0ull >> VA_BITS)) {
      break;
    }
    uint8_t probe;
    if (arm64_probe_read8(reinterpret_cast<void*>(fp), &probe) != 0 ||
        arm64_probe_read8(reinterpret_cast<void*>(fp + 15), &probe) != 0) {
      break;
    }
    uint64_t next = reinterpret_cast<uint64_t*>(fp)[0];
    uint64_t lr = reinterpret_cast<uint64_t*>(fp)[1];
    if (lr == 0 || !IsKernelText(lr)) {
      break;
    }
    char prefix[16];
    mica::SNPrintf(prefix, sizeof(prefix), "  #%-2d ", depth);
    PrintPc(prefix, lr - 4);  // the call instruction
    if (next <= fp) {
      break;
    }
    fp = next;
  }
}

void Panic(const char* fmt, ...) {
  EnterPanic();
  va_list ap;
  va_start(ap, fmt);
  PanicMessage(fmt, ap);
  va_end(ap);
  ReportStoppedCpus();
  PrintBacktrace(0, reinterpret_cast<uint64_t>(__builtin_frame_address(0)));
  KLog("halted");
  Halt();
}

void PanicWithFrame(const arch::IFrame* frame, const char* fmt, ...) {
  EnterPanic();
  va_list ap;
  va_start(ap, fmt);
  PanicMessage(fmt, ap);
  va_end(ap);
  ReportStoppedCpus();
  uint32_t ec = static_cast<uint32_t>(frame->esr >> 26) & 0x3f;
  KLog("ESR 0x%08llx: EC 0x%02x (%s), ISS 0x%07llx", static_cast<unsigned long long>(frame->esr),
       ec, EsrClassName(ec), static_cast<unsigned long long>(frame->esr & 0x1ffffff));
  KLog("FAR 0x%016llx  ELR 0x%016llx  SPSR 0x%08llx", static_cast<unsigned long long>(frame->far),
       static_cast<unsigned long long>(frame->elr), static_cast<unsigned long long>(frame->spsr));
  for (int i = 0; i < 30; i += 2) {
    KLog("x%-2d 0x%016llx  x%-2d 0x%016llx", i, static_cast<unsigned long long>(frame->x[i]), i + 1,
         static_cast<unsigned long long>(frame->x[i + 1]));
  }
  KLog("x30 0x%016llx  sp  0x%016llx", static_cast<unsigned long long>(frame->x[30]),
       static_cast<unsigned long long>(frame->sp));
  PrintPc("pc  ", frame->elr);
  PrintBacktrace(frame->elr, frame->x[29]);
  KLog("halted");
  Halt();
}

void StopThisCpu() {
  ThisCpu().stopped.store(true, mica::kRelease);
  Halt();
}

void SetPanicStopOtherCpus(void (*stop)()) {
  g_stop_other_cpus = stop;
}

extern "C" [[noreturn]] void mica_assert_fail(const char* file, int line, const char* expr) {
  Panic("assertion failed at %s:%d: %s", file, line, expr);
}

extern "C" [[noreturn]] void __stack_chk_fail() {
  Panic("stack protector: stack smashed");
}
extern "C" uint64_t __stack_chk_guard = 0x5a17c0de9e3779b9ull;

extern "C" [[noreturn]] void __cxa_pure_virtual() {
  Panic("pure virtual function called");
}
