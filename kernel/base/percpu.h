// Per-CPU data, reached through TPIDR_EL1.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/arch/arm64/arch.h"
#include "kernel/base/thread_base.h"
#include "kernel/lib/atomic.h"

namespace sched {
struct CpuState;
}  // namespace sched

struct PerCpu {
  uint64_t emergency_sp;  // PERCPU_EMERGENCY_SP: stack for overflow reports
  uint32_t cpu_num;       // PERCPU_CPU_NUM
  uint32_t pad0;
  uint64_t mpidr;
  ThreadBase* current;  // the running sched::Thread (sched::Current())
  sched::CpuState* sched;
  uint32_t irq_depth;  // > 0 while in an interrupt handler
  mica::Atomic<bool> online;
  mica::Atomic<bool> stopped;  // parked by a panic on another CPU
};
static_assert(offsetof(PerCpu, emergency_sp) == PERCPU_EMERGENCY_SP);
static_assert(offsetof(PerCpu, cpu_num) == PERCPU_CPU_NUM);
static_assert(offsetof(PerCpu, current) == PERCPU_CURRENT);
static_assert(offsetof(PerCpu, sched) == PERCPU_SCHED);

extern PerCpu g_percpu[MAX_CPUS];
extern "C" PerCpu* arm64_percpu_ptr[MAX_CPUS];
extern "C" uint64_t arm64_cpu_mpidr[MAX_CPUS];
extern "C" uint64_t arm64_cpu_stack_top[MAX_CPUS];
extern "C" uint64_t arm64_secondary_ttbr1;

inline PerCpu& ThisCpu() {
  return *reinterpret_cast<PerCpu*>(READ_SYSREG(tpidr_el1));
}
inline uint32_t CurrentCpu() {
  return ThisCpu().cpu_num;
}

// Number of CPUs described by the devicetree and number started.
extern uint32_t g_cpu_count;
uint32_t OnlineCpuCount();
