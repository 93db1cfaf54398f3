// Timers and the timer tick (the scheduler: sched.h).
#include "kernel/sched/sched.h"

#include "kernel/arch/arm64/timer.h"
#include "kernel/sched/sched_internal.h"

namespace sched {

void TimerArm(Timer* timer, uint64_t deadline, void (*cb)(Timer*, void*), void* arg) {
  IrqGuard guard(g_sched_lock);
  if (timer->armed) {
    g_cpu_state[timer->cpu].timers.remove(timer);
  }
  timer->callback = cb;
  timer->arg = arg;
  TimerArmLocked(timer, deadline);
  ProgramTimerLocked();
}

bool TimerCancel(Timer* timer) {
  bool was_armed;
  {
    IrqGuard guard(g_sched_lock);
    was_armed = timer->armed;
    if (was_armed) {
      g_cpu_state[timer->cpu].timers.remove(timer);
      timer->armed = false;
    }
  }
  // A callback running on another CPU finishes before the timer may go.
  while (timer->running.load(mica::kAcquire)) {
    arch::Yield();
  }
  return was_armed;
}

void TimerTick() {
  // Interrupt context: IRQs are already off.
  LockRaw();
  CpuState& cs = Cpu();
  cs.programmed = kInfinite;  // the hardware timer fired and is masked
  uint64_t now = timer::NowNs();
  // Bounded: a callback that re-arms its timer in the past would otherwise
  // keep this loop going; the rest waits for the next tick (the hardware
  // timer is reprogrammed for it below, so it comes at once).
  int callbacks = 0;
  while (!cs.timers.empty() && cs.timers.front()->deadline <= now && callbacks++ < 64) {
    Timer* t = cs.timers.pop_front();
    t->armed = false;
    if (t->scheduler_internal) {
      t->callback(t, t->arg);
      continue;
    }
    // Other timers' callbacks run without the lock (they may take object
    // locks and wake threads, which takes it again). The timer is on no
    // list meanwhile, so a TimerArm from its callback or from another CPU
    // simply queues it again; TimerCancel waits for `running` to clear.
    void (*callback)(Timer*, void*) = t->callback;
    void* arg = t->arg;
    t->running.store(true, mica::kRelaxed);
    UnlockRaw();
    callback(t, arg);
    t->running.store(false, mica::kRelease);
    LockRaw();
  }
  Thread* cur = CurrentLocked();
  if (cur != cs.idle && cur->slice_end_ns <= now && BestReadyPriority(cs) >= cur->priority) {
    cs.need_resched = true;
  }
  if (!cs.need_resched) {
    ProgramTimerLocked();
  }
  UnlockRaw();
}

}  // namespace sched
