// The scheduler's core (sched.h): run queues, waking, context switches,
// wait queues, yielding and preemption.
#include "kernel/sched/sched.h"

#include <string.h>

#include <new>

#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/gic.h"
#include "kernel/arch/arm64/mmu.h"
#include "kernel/arch/arm64/timer.h"
#include "kernel/base/irq_spinlock.h"
#include "kernel/base/memory.h"
#include "kernel/base/panic.h"
#include "kernel/base/percpu.h"
#include "kernel/lib/bitmap.h"
#include "kernel/sched/sched_internal.h"

namespace sched {

// The syscall return path (arch/arm64/vectors.S) tests need_resched.
static_assert(offsetof(CpuState, need_resched) == CPUSTATE_NEED_RESCHED);

IrqSpinLock g_sched_lock;
CpuState g_cpu_state[MAX_CPUS];
mica::List<Thread, &Thread::all_node> g_all_threads;
ThreadQueue g_reap_queue;
uint64_t g_next_thread_id = 1;
Thread g_boot_threads[MAX_CPUS];

void EnqueueLocked(Thread* t, uint32_t cpu, bool front) {
  CpuState& cs = g_cpu_state[cpu];
  t->cpu = cpu;
  if (t->state != ThreadState::kReady) {
    t->ready_since_ns = timer::NowNs();
  }
  t->state = ThreadState::kReady;
  if (front) {
    cs.run_queue[t->priority].push_front(t);
  } else {
    cs.run_queue[t->priority].push_back(t);
  }
  cs.ready_mask |= 1u << t->priority;
  cs.ready_count++;
}

namespace {

Thread* DequeueBestLocked(CpuState& cs) REQUIRES(g_sched_lock) {
  if (cs.ready_mask == 0) {
    return nullptr;
  }
  int p = 31 - __builtin_clz(cs.ready_mask);
  Thread* t = FromLink(cs.run_queue[p].pop_front());
  if (cs.run_queue[p].empty()) {
    cs.ready_mask &= ~(1u << p);
  }
  cs.ready_count--;
  return t;
}

}  // namespace

int RunningPriority(uint32_t cpu) {
  Thread* cur = static_cast<Thread*>(g_percpu[cpu].current);
  if (cur == nullptr || cur == g_cpu_state[cpu].idle) {
    return -1;
  }
  return cur->priority;
}

// Picks the CPU for a thread becoming ready: its last CPU if allowed and not
// busier than the alternatives, else the allowed online CPU with the lowest
// load (an idle one first). O(number of CPUs).
uint32_t PickCpuLocked(Thread* t) {
  uint32_t best = MAX_CPUS;
  uint64_t best_load = UINT64_MAX;
  for (uint32_t c = 0; c < g_cpu_count && c < MAX_CPUS; c++) {
    if (!g_percpu[c].online.load(mica::kAcquire) || !Allowed(t, c)) {
      continue;
    }
    uint64_t load = g_cpu_state[c].ready_count * 2 + (RunningPriority(c) >= 0 ? 2 : 0);
    if (c == t->cpu) {
      load = load > 0 ? load - 1 : 0;  // prefer the cache-warm CPU on a tie
    }
    if (load < best_load) {
      best = c;
      best_load = load;
    }
  }
  if (best == MAX_CPUS) {
    // No allowed CPU is online (yet): queue on the first allowed one.
    for (uint32_t c = 0; c < MAX_CPUS; c++) {
      if (Allowed(t, c)) {
        return c;
      }
    }
    return 0;
  }
  return best;
}

// Ends `t`'s wait (already off its wait queue) with `status`, without
// making it ready.
[[gnu::always_inline]] inline void EndWaitLocked(Thread* t, mica::Status status)
    REQUIRES(g_sched_lock) {
  if (t->timeout.armed) {
    CpuState& tcs = g_cpu_state[t->timeout.cpu];
    tcs.timers.remove(&t->timeout);
    t->timeout.armed = false;
  }
  t->wake_status = status;
  t->blocked_on = nullptr;
}

// Makes `t` ready and pokes its CPU if it should run there now. With
// `waker_blocks` (WaitQueue::WakeAndBlockUntil's fallback) a thread that last ran on this CPU
// stays here and runs when the caller blocks.
void WakeLocked(Thread* t, mica::Status status, bool waker_blocks) {
  EndWaitLocked(t, status);
  if (waker_blocks) {
    uint32_t here = CurrentCpu();
    if (t->cpu == here && Allowed(t, here) && t->priority >= RunningPriority(here)) {
      EnqueueLocked(t, here, false);
      g_cpu_state[here].need_resched = true;
      return;
    }
  }
  uint32_t cpu = PickCpuLocked(t);
  EnqueueLocked(t, cpu, false);
  int running = RunningPriority(cpu);
  if (t->priority < running) {
    return;
  }
  if (cpu != CurrentCpu()) {
    // The target decides: preempt now, or start timeslicing.
    gic::SendIpi(gic::kIpiReschedule, cpu);
  } else if (t->priority > running) {
    g_cpu_state[cpu].need_resched = true;
  } else {
    ProgramTimerLocked();  // an equal-priority peer: timeslice from now on
  }
}

namespace {

// A scheduler_internal timer's callback: TimerTick runs it under the lock.
void TimeoutCallback(Timer*, void* arg) REQUIRES(g_sched_lock) {
  Thread* t = static_cast<Thread*>(arg);
  if (t->state != ThreadState::kBlocked) {
    return;
  }
  if (t->blocked_on != nullptr) {
    // The wait queue is protected by the scheduler lock too.
    t->blocked_on->RemoveLocked(t);
  }
  WakeLocked(t, mica::Status::kTimedOut);
}

}  // namespace

void TimerArmLocked(Timer* timer, uint64_t deadline) {
  uint32_t cpu = CurrentCpu();
  CpuState& cs = g_cpu_state[cpu];
  timer->deadline = deadline;
  timer->cpu = cpu;
  timer->armed = true;
  // Sorted insert: timers per CPU are few (sleeping threads, timeouts).
  for (Timer& other : cs.timers) {
    if (other.deadline > deadline) {
      cs.timers.insert_before(&other, timer);
      return;
    }
  }
  cs.timers.push_back(timer);
}

// Programs this CPU's hardware timer for the earliest of its next timer and
// the end of the running thread's timeslice (only if another thread of the
// same priority is waiting: otherwise no tick at all).
// `cs` is this CPU's state and `cur` its running thread. `peer_may_wait`
// false: the caller knows `cur` outranks every thread ready here, so no
// timeslice can be due (WaitQueue::WakeAndBlockUntil's direct switch).
[[gnu::always_inline]] inline void ProgramTimerLocked(CpuState& cs, Thread* cur,
                                                      bool peer_may_wait = true)
    REQUIRES(g_sched_lock) {
  uint64_t deadline = kInfinite;
  if (!cs.timers.empty()) {
    deadline = cs.timers.front()->deadline;
  }
  if (peer_may_wait && cur != cs.idle && BestReadyPriority(cs) >= cur->priority &&
      cur->slice_end_ns < deadline) {
    deadline = cur->slice_end_ns;
  }
  if (deadline != cs.programmed) {
    cs.programmed = deadline;
    timer::SetDeadline(deadline);
  }
}

void ProgramTimerLocked() {
  ProgramTimerLocked(Cpu(), CurrentLocked());
}

// Runs after every context switch, on the new thread, lock held.
void FinishSwitchLocked(Thread* prev) {
  if (prev->state == ThreadState::kDead) {
    prev->switched_out = true;
    if (prev->detached) {
      g_reap_queue.push_back(prev);
    }
  }
}

// Switches this CPU from the current thread to `next` (not on a run queue).
// The caller has already put the current thread where it belongs (run
// queue, wait queue, or nowhere if it died).
// `pc` and `cs` are this CPU's (IRQs are off: the caller cannot migrate);
// they are not valid after the switch, which may resume on another CPU.
// `outranks_ready`: the caller checked, under this lock hold, that `next`
// outranks every thread ready here (so it needs no timeslice).
[[gnu::always_inline]] inline void SwitchToLocked(PerCpu& pc, CpuState& cs, Thread* next,
                                                  bool outranks_ready = false)
    REQUIRES(g_sched_lock) {
  Thread* prev = static_cast<Thread*>(pc.current);
  cs.need_resched = false;
  uint64_t now = timer::NowNs();
  if (next != prev) {
    prev->runtime_ns += now - prev->last_start_ns;
    if (next->ready_since_ns != 0 && now > next->ready_since_ns) {
      next->queue_ns += now - next->ready_since_ns;
    }
    next->state = ThreadState::kRunning;
    next->cpu = pc.cpu_num;
    next->last_start_ns = now;
    next->slice_end_ns = now + kTimesliceNs;
    next->switches++;
    cs.switches++;
    pc.current = next;
    cs.switch_from = prev;
    ProgramTimerLocked(cs, next, /*peer_may_wait=*/!outranks_ready);
    if (prev->user != nullptr || next->user != nullptr) {
      arch::SwitchUserState(prev->user, next->user, pc.cpu_num);
    }
    arm64_context_switch(&prev->saved_sp, next->saved_sp);
    // Back on `prev`, possibly on another CPU, with the lock held by whoever
    // switched to us: finish that switch.
    FinishSwitchLocked(Cpu().switch_from);
  } else {
    prev->state = ThreadState::kRunning;
    if (prev->slice_end_ns <= now) {
      prev->slice_end_ns = now + kTimesliceNs;
    }
    ProgramTimerLocked(cs, prev);
  }
}

[[gnu::always_inline]] inline void SwitchToLocked(Thread* next) REQUIRES(g_sched_lock) {
  PerCpu& pc = ThisCpu();
  SwitchToLocked(pc, *pc.sched, next);
}

// Chooses the next thread on this CPU and switches to it.
void RescheduleLocked() {
  CpuState& cs = Cpu();
  Thread* next = DequeueBestLocked(cs);
  SwitchToLocked(next != nullptr ? next : cs.idle);
}

// ---- Wait queues ----

void WaitQueue::RemoveLocked(Thread* t) {
  waiters_.remove(t);
}

[[gnu::always_inline]] inline mica::Status WaitQueue::PrepareBlockLocked(PerCpu& pc,
                                                                         uint64_t deadline) {
  Thread* cur = static_cast<Thread*>(pc.current);
  MICA_ASSERT_MSG(cur != pc.sched->idle, "the idle thread cannot block");
  if (cur->interrupted) {
    return mica::Status::kCanceled;
  }
  if (deadline != kInfinite && deadline <= timer::NowNs()) {
    return mica::Status::kTimedOut;
  }
  cur->state = ThreadState::kBlocked;
  cur->blocked_on = this;
  waiters_.push_back(cur);
  if (deadline != kInfinite) {
    cur->timeout.callback = TimeoutCallback;
    cur->timeout.arg = cur;
    cur->timeout.scheduler_internal = true;
    TimerArmLocked(&cur->timeout, deadline);
  }
  return mica::Status::kOk;
}

mica::Status WaitQueue::BlockLocked(uint64_t deadline) {
  mica::Status s = PrepareBlockLocked(ThisCpu(), deadline);
  if (s != mica::Status::kOk) {
    return s;
  }
  RescheduleLocked();
  return CurrentLocked()->wake_status;
}

mica::Status WaitQueue::Block(uint64_t deadline) {
  uint64_t state = g_sched_lock.Acquire();
  mica::Status s = BlockLocked(deadline);
  g_sched_lock.Release(state);
  return s;
}

mica::Status WaitQueue::BlockWhile(bool (*still_wait)(const void*), const void* ctx,
                                   uint64_t deadline) {
  uint64_t state = g_sched_lock.Acquire();
  mica::Status s = mica::Status::kOk;
  while (still_wait(ctx)) {
    s = BlockLocked(deadline);
    if (s != mica::Status::kOk) {
      s = still_wait(ctx) ? s : mica::Status::kOk;
      break;
    }
  }
  g_sched_lock.Release(state);
  return s;
}

// WakeAndBlockUntil's and WakeAndBlockWhile's work: `still_wait()` is the
// blocking condition, checked under the scheduler lock (inlined into each).
template <typename StillWait>
[[gnu::always_inline]] inline mica::Status WaitQueue::WakeAndBlock(
    WaitQueue* wake, mica::Atomic<bool>* flag, mica::SpinLock* held, uint64_t irq_state,
    StillWait still_wait, uint64_t deadline) {
  LockRaw();
  // This CPU's state until the switch (IRQs are off: no migration).
  PerCpu& pc = ThisCpu();
  CpuState& cs = *pc.sched;
  if (flag != nullptr) {
    flag->store(true, mica::kRelaxed);
  }
  // The thread to switch to directly: the only one woken, last ran here,
  // and outranks every thread ready here (so it is the one the scheduler
  // would pick once this thread blocks, and nothing waits behind it).
  Thread* direct = nullptr;
  if (wake != nullptr) {
    if (QueueLink* l = wake->waiters_.pop_front()) {
      Thread* t = FromLink(l);
      uint32_t here = pc.cpu_num;
      if (wake->waiters_.empty() && t->cpu == here && Allowed(t, here) &&
          t->priority > BestReadyPriority(cs)) {
        EndWaitLocked(t, mica::Status::kOk);
        direct = t;
      } else {
        WakeLocked(t, mica::Status::kOk, /*waker_blocks=*/true);
        wake->WakeAllLocked(/*waker_blocks=*/true);
      }
    }
  }
  // Done with `wake` and `flag`: the caller's lock may go.
  if (held != nullptr) {
    held->Release();
  }
  mica::Status s = mica::Status::kOk;
  if (still_wait()) {
    s = PrepareBlockLocked(pc, deadline);
    if (s == mica::Status::kOk) {
      if (direct != nullptr) {
        direct->ready_since_ns = 0;  // it never waited in a run queue
        Thread* next = direct;
        direct = nullptr;
        cs.direct_switches++;
        // Nothing was made ready since `direct` was found to outrank every
        // ready thread here.
        SwitchToLocked(pc, cs, next, /*outranks_ready=*/true);
      } else {
        RescheduleLocked();
      }
      s = CurrentLocked()->wake_status;
      // As BlockWhile from here on.
      while (s == mica::Status::kOk && still_wait()) {
        s = BlockLocked(deadline);
      }
      if (s != mica::Status::kOk && !still_wait()) {
        s = mica::Status::kOk;
      }
    }
  }
  if (direct != nullptr) {
    // This thread did not block after all (killed, its deadline had
    // passed, or its condition was already met): the woken one runs when
    // it leaves the kernel.
    EnqueueLocked(direct, CurrentCpu(), false);
    Cpu().need_resched = true;
  }
  UnlockRaw();
  arch::RestoreIrqs(irq_state);
  return s;
}

mica::Status WaitQueue::WakeAndBlockUntil(WaitQueue* wake, mica::Atomic<bool>* flag,
                                          mica::SpinLock* held, uint64_t irq_state,
                                          const mica::Atomic<bool>* done, uint64_t deadline)
    NO_THREAD_SAFETY_ANALYSIS {  // WakeAndBlock releases `held` (unannotated template)
  return WakeAndBlock(
      wake, flag, held, irq_state,
      [done]() NO_THREAD_SAFETY_ANALYSIS { return !done->load(mica::kRelaxed); }, deadline);
}

mica::Status WaitQueue::WakeAndBlockWhile(WaitQueue* wake, mica::Atomic<bool>* flag,
                                          mica::SpinLock* held, uint64_t irq_state,
                                          bool (*still_wait)(const void* ctx), const void* ctx,
                                          uint64_t deadline)
    NO_THREAD_SAFETY_ANALYSIS {  // WakeAndBlock releases `held` (unannotated template)
  return WakeAndBlock(
      wake, flag, held, irq_state,
      [still_wait, ctx]() NO_THREAD_SAFETY_ANALYSIS { return still_wait(ctx); }, deadline);
}

int WaitQueue::WakeOneLocked(bool waker_blocks) {
  QueueLink* l = waiters_.pop_front();
  if (l == nullptr) {
    return 0;
  }
  WakeLocked(FromLink(l), mica::Status::kOk, waker_blocks);
  return 1;
}

int WaitQueue::WakeAllLocked(bool waker_blocks) {
  int n = 0;
  while (WakeOneLocked(waker_blocks) != 0) {
    n++;
  }
  return n;
}

int WaitQueue::WakeOne() {
  uint64_t state = g_sched_lock.Acquire();
  int n = WakeOneLocked();
  PreemptAfterWakeLocked(state);
  g_sched_lock.Release(state);
  return n;
}

int WaitQueue::SetAndWakeAll(mica::Atomic<bool>* flag) {
  uint64_t state = g_sched_lock.Acquire();
  if (flag != nullptr) {
    flag->store(true, mica::kRelaxed);
  }
  int n = WakeAllLocked();
  PreemptAfterWakeLocked(state);
  g_sched_lock.Release(state);
  return n;
}

// ---- Yield and preemption ----

void Yield() {
  uint64_t state = g_sched_lock.Acquire();
  Thread* cur = CurrentLocked();
  if (cur != Cpu().idle) {
    EnqueueLocked(cur, CurrentCpu(), false);
  }
  RescheduleLocked();
  g_sched_lock.Release(state);
}

namespace {
// PreemptFromIrq's unlocked peek at need_resched: only this CPU sets it for
// itself, with interrupts off (below), so the read cannot race a writer.
[[gnu::always_inline]] inline bool NeedReschedPeek(CpuState& cs)
    NO_THREAD_SAFETY_ANALYSIS {  // an unlocked read that cannot race (above)
  return mica::AtomicRef<bool>(cs.need_resched).load(mica::kRelaxed);
}
}  // namespace

void PreemptFromIrq() {
  PerCpu& pc = ThisCpu();
  if (pc.sched == nullptr || pc.irq_depth != 0) {
    return;
  }
  // Every syscall and interrupt returns through here: skip the lock when
  // nothing asked for a reschedule. need_resched is only ever set for this
  // CPU by code running on this CPU with interrupts off (a wake made here,
  // the timer tick, the reschedule IPI), and interrupts are off now, so
  // the unlocked read cannot miss a request.
  if (!NeedReschedPeek(*pc.sched)) {
    return;
  }
  LockRaw();
  CpuState& cs = Cpu();
  if (cs.need_resched) {
    Thread* cur = CurrentLocked();
    if (cur != cs.idle) {
      EnqueueLocked(cur, CurrentCpu(), false);
    }
    RescheduleLocked();
  }
  UnlockRaw();
}

void RescheduleIpi() {
  LockRaw();
  CpuState& cs = Cpu();
  if (BestReadyPriority(cs) > RunningPriority(CurrentCpu())) {
    cs.need_resched = true;
  } else {
    ProgramTimerLocked();
  }
  UnlockRaw();
}

}  // namespace sched
