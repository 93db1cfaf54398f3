// CPU bring-up: the boot and idle threads of each CPU; scheduler statistics
// (the scheduler: sched.h).
#include "kernel/sched/sched.h"

#include <string.h>

#include "kernel/arch/arm64/gic.h"
#include "kernel/arch/arm64/timer.h"
#include "kernel/base/panic.h"
#include "kernel/sched/sched_internal.h"

namespace sched {

namespace {

void InitCpuState(uint32_t cpu, Thread* boot) REQUIRES(g_sched_lock) {
  PerCpu& pc = g_percpu[cpu];
  pc.sched = &g_cpu_state[cpu];
  boot->state = ThreadState::kRunning;
  boot->cpu = cpu;
  boot->priority = kPriorityDefault;
  boot->last_start_ns = timer::NowNs();
  boot->slice_end_ns = boot->last_start_ns + kTimesliceNs;
  boot->switched_out = false;
  pc.current = boot;
}

// Whether this CPU has nothing to run. Read without the lock, with IRQs
// off: anything that gives this CPU work runs here (not now) or sends it an
// IPI, which then ends the WFI.
bool NothingToRun(const CpuState& cs) NO_THREAD_SAFETY_ANALYSIS {  // a deliberate unlocked peek
  return cs.ready_mask == 0 && !cs.need_resched;
}

[[noreturn]] void IdleLoop() {
  for (;;) {
    ReapDetached();
    arch::DisableIrqs();
    CpuState& cs = Cpu();
    // Check for work with IRQs off, then WFI: an interrupt arriving in
    // between still wakes the WFI (it is pending).
    if (NothingToRun(cs)) {
      arch::Wfi();
    }
    arch::EnableIrqs();
    Yield();
  }
}

void IdleEntry(void*) {
  IdleLoop();
}

void IpiReschedule(uint32_t, void*) {
  RescheduleIpi();
}

}  // namespace

void InitBootCpu() {
  Thread* boot = &g_boot_threads[0];
  strlcpy(boot->name, "kmain", sizeof(boot->name));
  {
    IrqGuard guard(g_sched_lock);
    boot->id = g_next_thread_id++;
    InitCpuState(0, boot);
  }
  gic::Register(gic::kIpiReschedule, IpiReschedule, nullptr);
}

void InitIdle(uint32_t cpu) {
  char name[16] = "idle";
  name[4] = static_cast<char>('0' + cpu);
  Thread* idle = Create(name, IdleEntry, nullptr, kPriorityIdle, 1u << cpu);
  MICA_ASSERT_MSG(idle != nullptr, "cannot create the idle thread");
  idle->state = ThreadState::kReady;
  idle->cpu = cpu;
  g_cpu_state[cpu].idle = idle;
}

void RunSecondary(uint32_t cpu) {
  Thread* boot = &g_boot_threads[cpu];
  strlcpy(boot->name, "idle", sizeof(boot->name));
  boot->name[4] = static_cast<char>('0' + cpu);
  boot->name[5] = 0;
  {
    IrqGuard guard(g_sched_lock);
    boot->id = g_next_thread_id++;
    boot->priority = kPriorityIdle;
    InitCpuState(cpu, boot);
  }
  boot->priority = kPriorityIdle;
  g_cpu_state[cpu].idle = boot;
  gic::EnableOnThisCpu(gic::kIpiReschedule);
  IdleLoop();
}

Stats GetStats(uint32_t cpu) {
  IrqGuard guard(g_sched_lock);
  Stats s{};
  if (cpu < MAX_CPUS) {
    s.context_switches = g_cpu_state[cpu].switches;
    s.direct_switches = g_cpu_state[cpu].direct_switches;
    s.ready = g_cpu_state[cpu].ready_count;
  }
  for (Thread& t : g_all_threads) {
    (void)t;
    s.threads++;
  }
  return s;
}

}  // namespace sched
