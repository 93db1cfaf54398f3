// Scheduler internals shared by its files: sched.cc (run queues, switching,
// wait queues, yield and preemption), sched_thread.cc (thread life cycle),
// sched_timer.cc (timers and the tick) and sched_cpu.cc (CPU bring-up).
// Nothing outside kernel/sched includes this.
//
// Locking: everything here is guarded by g_sched_lock (sched.h), and the
// *Locked functions REQUIRE it. The lock is held across context switches:
// the thread that takes it may not be the one that releases it. The
// analysis sees each side of a switch as holding it throughout; a new
// thread's first run, which releases a lock it never took, says so with
// LockHandedOver().
#pragma once

#include "kernel/base/irq_spinlock.h"
#include "kernel/base/percpu.h"
#include "kernel/sched/sched.h"

namespace sched {

// Per-CPU scheduler state.
struct CpuState {
  ThreadQueue run_queue[kNumPriorities] GUARDED_BY(g_sched_lock);
  // bit p set when run_queue[p] is non-empty
  uint32_t ready_mask GUARDED_BY(g_sched_lock) = 0;
  uint32_t ready_count GUARDED_BY(g_sched_lock) = 0;
  Thread* idle = nullptr;  // set once at bring-up, before the CPU schedules
  mica::List<Timer, &Timer::node> timers GUARDED_BY(g_sched_lock);
  bool need_resched GUARDED_BY(g_sched_lock) = false;
  uint64_t programmed GUARDED_BY(g_sched_lock) = kInfinite;  // deadline the hardware timer holds
  uint64_t switches GUARDED_BY(g_sched_lock) = 0;
  // WaitQueue::WakeAndBlockUntil hand-offs
  uint64_t direct_switches GUARDED_BY(g_sched_lock) = 0;
  // set just before each context switch
  Thread* switch_from GUARDED_BY(g_sched_lock) = nullptr;
};

extern CpuState g_cpu_state[MAX_CPUS];
extern mica::List<Thread, &Thread::all_node> g_all_threads GUARDED_BY(g_sched_lock);
// detached dead threads awaiting freeing
extern ThreadQueue g_reap_queue GUARDED_BY(g_sched_lock);
extern uint64_t g_next_thread_id GUARDED_BY(g_sched_lock);
extern Thread g_boot_threads[MAX_CPUS];  // the boot context of each CPU

// The scheduler lock without the interrupt mask, for code that already
// runs with IRQs off (interrupt handlers, the IPC hand-off).
inline void LockRaw() ACQUIRE(g_sched_lock) {
  g_sched_lock.raw().Acquire();
}
inline void UnlockRaw() RELEASE(g_sched_lock) {
  g_sched_lock.raw().Release();
}
// A thread's first run: the thread that switched to it took the scheduler
// lock and left it held (see the top of this file). Only tells the analysis.
inline void LockHandedOver() ASSERT_CAPABILITY(g_sched_lock) {}

inline CpuState& Cpu() {
  return *ThisCpu().sched;
}
inline Thread* CurrentLocked() REQUIRES(g_sched_lock) {
  return Current();
}
inline Thread* FromLink(QueueLink* l) {
  return static_cast<Thread*>(l);
}
inline bool Allowed(const Thread* t, uint32_t cpu) {
  return t->affinity == kAnyCpu || (t->affinity & (1u << cpu)) != 0;
}
inline int BestReadyPriority(const CpuState& cs) REQUIRES(g_sched_lock) {
  return cs.ready_mask == 0 ? -1 : 31 - __builtin_clz(cs.ready_mask);
}

// sched.cc
void EnqueueLocked(Thread* t, uint32_t cpu, bool front) REQUIRES(g_sched_lock);
int RunningPriority(uint32_t cpu) REQUIRES(g_sched_lock);
uint32_t PickCpuLocked(Thread* t) REQUIRES(g_sched_lock);
void WakeLocked(Thread* t, mica::Status status, bool waker_blocks = false) REQUIRES(g_sched_lock);
void TimerArmLocked(Timer* timer, uint64_t deadline) REQUIRES(g_sched_lock);
void ProgramTimerLocked() REQUIRES(g_sched_lock);
void FinishSwitchLocked(Thread* prev) REQUIRES(g_sched_lock);
void RescheduleLocked() REQUIRES(g_sched_lock);

// A wake may switch to the woken thread at once only from plain thread
// context: not in an interrupt handler, and not with IRQs already off at
// entry (`daif` as saved by the lock), which means the caller holds a spin
// lock it must not carry into another thread. Otherwise the switch happens
// at the next preemption point (IRQ exit, block, yield).
inline bool MayPreemptHere(uint64_t daif) {
  return ThisCpu().irq_depth == 0 && (daif & (1 << 7)) == 0;
}

// After a wake made from plain thread context (`state`: the interrupt mask
// the scheduler lock saved): if it made a higher-priority thread ready
// here, switch to it now, the caller going to the front of its queue.
[[gnu::always_inline]] inline void PreemptAfterWakeLocked(uint64_t state) REQUIRES(g_sched_lock) {
  if (Cpu().need_resched && MayPreemptHere(state)) {
    EnqueueLocked(CurrentLocked(), CurrentCpu(), true);
    RescheduleLocked();
  }
}

// sched_thread.cc
void ReapDetached();

}  // namespace sched
