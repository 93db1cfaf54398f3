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

namespace sched {

// Per-CPU scheduler state. Everything here is protected by g_sched_lock.
struct CpuState {
  ThreadQueue run_queue[kNumPriorities];
  uint32_t ready_mask = 0;  // bit p set when run_queue[p] is non-empty
  uint32_t ready_count = 0;
  Thread* idle = nullptr;
  mica::List<Timer, &Timer::node> timers;
  bool need_resched = false;
  uint64_t programmed = kInfinite;  // deadline the hardware timer holds
  uint64_t switches = 0;
  uint64_t direct_switches = 0;   // WaitQueue::WakeAndBlockUntil hand-offs
  Thread* switch_from = nullptr;  // set just before each context switch
};
// The syscall return path (arch/arm64/vectors.S) tests need_resched.
static_assert(offsetof(CpuState, need_resched) == CPUSTATE_NEED_RESCHED);

namespace {

IrqSpinLock g_sched_lock;
CpuState g_cpu_state[MAX_CPUS];
mica::List<Thread, &Thread::all_node> g_all_threads;
ThreadQueue g_reap_queue;  // detached dead threads awaiting freeing
uint64_t g_next_thread_id = 1;
Thread g_boot_threads[MAX_CPUS];  // the boot context of each CPU

// The scheduler lock is held across context switches: the thread that takes
// it may not be the one that releases it, which the static analysis cannot
// follow, so the functions that hand it over are NO_THREAD_SAFETY_ANALYSIS.
void LockRaw() NO_THREAD_SAFETY_ANALYSIS {
  g_sched_lock.raw().Acquire();
}
void UnlockRaw() NO_THREAD_SAFETY_ANALYSIS {
  g_sched_lock.raw().Release();
}

CpuState& Cpu() {
  return *ThisCpu().sched;
}
Thread* CurrentLocked() {
  return Current();
}

Thread* FromLink(QueueLink* l) {
  return static_cast<Thread*>(l);
}

bool Allowed(const Thread* t, uint32_t cpu) {
  return t->affinity == kAnyCpu || (t->affinity & (1u << cpu)) != 0;
}

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

Thread* DequeueBestLocked(CpuState& cs) {
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

int BestReadyPriority(const CpuState& cs) {
  return cs.ready_mask == 0 ? -1 : 31 - __builtin_clz(cs.ready_mask);
}

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

void ProgramTimerLocked();
int BestReadyPriority(const CpuState& cs);

// A wake may switch to the woken thread at once only from plain thread
// context: not in an interrupt handler, and not with IRQs already off at
// entry (`daif` as saved by the lock), which means the caller holds a spin
// lock it must not carry into another thread. Otherwise the switch happens
// at the next preemption point (IRQ exit, block, yield).
bool MayPreemptHere(uint64_t daif) {
  return ThisCpu().irq_depth == 0 && (daif & (1 << 7)) == 0;
}

// Ends `t`'s wait (already off its wait queue) with `status`, without
// making it ready.
[[gnu::always_inline]] inline void EndWaitLocked(Thread* t, mica::Status status) {
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
void WakeLocked(Thread* t, mica::Status status, bool waker_blocks = false) {
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

void TimeoutCallback(Timer*, void* arg) {
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
                                                      bool peer_may_wait = true) {
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
[[gnu::always_inline]] inline void SwitchToLocked(
    PerCpu& pc, CpuState& cs, Thread* next, bool outranks_ready = false) NO_THREAD_SAFETY_ANALYSIS {
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

[[gnu::always_inline]] inline void SwitchToLocked(Thread* next) NO_THREAD_SAFETY_ANALYSIS {
  PerCpu& pc = ThisCpu();
  SwitchToLocked(pc, *pc.sched, next);
}

// Chooses the next thread on this CPU and switches to it.
void RescheduleLocked() NO_THREAD_SAFETY_ANALYSIS {
  CpuState& cs = Cpu();
  Thread* next = DequeueBestLocked(cs);
  SwitchToLocked(next != nullptr ? next : cs.idle);
}

// After a wake made from plain thread context (`state`: the interrupt mask
// the scheduler lock saved): if it made a higher-priority thread ready
// here, switch to it now, the caller going to the front of its queue.
[[gnu::always_inline]] inline void PreemptAfterWakeLocked(uint64_t state)
    NO_THREAD_SAFETY_ANALYSIS {
  if (Cpu().need_resched && MayPreemptHere(state)) {
    EnqueueLocked(CurrentLocked(), CurrentCpu(), true);
    RescheduleLocked();
  }
}

}  // namespace

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

mica::Status WaitQueue::BlockLocked(uint64_t deadline) NO_THREAD_SAFETY_ANALYSIS {
  mica::Status s = PrepareBlockLocked(ThisCpu(), deadline);
  if (s != mica::Status::kOk) {
    return s;
  }
  RescheduleLocked();
  return CurrentLocked()->wake_status;
}

mica::Status WaitQueue::Block(uint64_t deadline) NO_THREAD_SAFETY_ANALYSIS {
  uint64_t state = g_sched_lock.Acquire();
  mica::Status s = BlockLocked(deadline);
  g_sched_lock.Release(state);
  return s;
}

mica::Status WaitQueue::BlockWhile(bool (*still_wait)(const void*), const void* ctx,
                                   uint64_t deadline) NO_THREAD_SAFETY_ANALYSIS {
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

mica::Status WaitQueue::WakeAndBlockUntil(WaitQueue* wake, volatile bool* flag,
                                          mica::SpinLock* held, uint64_t irq_state,
                                          const volatile bool* done,
                                          uint64_t deadline) NO_THREAD_SAFETY_ANALYSIS {
  LockRaw();
  // This CPU's state until the switch (IRQs are off: no migration).
  PerCpu& pc = ThisCpu();
  CpuState& cs = *pc.sched;
  if (flag != nullptr) {
    *flag = true;
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
  held->Release();
  mica::Status s = mica::Status::kOk;
  if (!*done) {
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
      while (s == mica::Status::kOk && !*done) {
        s = BlockLocked(deadline);
      }
      if (s != mica::Status::kOk && *done) {
        s = mica::Status::kOk;
      }
    }
  }
  if (direct != nullptr) {
    // This thread did not block after all (killed, or its deadline had
    // passed): the woken one runs when it leaves the kernel.
    EnqueueLocked(direct, CurrentCpu(), false);
    Cpu().need_resched = true;
  }
  UnlockRaw();
  arch::RestoreIrqs(irq_state);
  return s;
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

int WaitQueue::WakeOne() NO_THREAD_SAFETY_ANALYSIS {
  uint64_t state = g_sched_lock.Acquire();
  int n = WakeOneLocked();
  PreemptAfterWakeLocked(state);
  g_sched_lock.Release(state);
  return n;
}

int WaitQueue::SetAndWakeAll(volatile bool* flag) NO_THREAD_SAFETY_ANALYSIS {
  uint64_t state = g_sched_lock.Acquire();
  if (flag != nullptr) {
    *flag = true;
  }
  int n = WakeAllLocked();
  PreemptAfterWakeLocked(state);
  g_sched_lock.Release(state);
  return n;
}

// ---- Threads ----

extern "C" void thread_trampoline_c(void (*entry)(void*), void* arg) NO_THREAD_SAFETY_ANALYSIS {
  // First run of a new thread: finish the switch that brought us here and
  // drop the scheduler lock (taken by the thread we switched from).
  FinishSwitchLocked(Cpu().switch_from);
  UnlockRaw();
  arch::EnableIrqs();
  entry(arg);
  Exit(0);
}

Thread* Create(const char* name, void (*entry)(void*), void* arg, int priority, uint32_t affinity) {
  if (priority < 0 || priority > kPriorityMax) {
    return nullptr;
  }
  void* mem = kmem::Malloc(sizeof(Thread));
  if (mem == nullptr) {
    return nullptr;
  }
  Thread* t = new (mem) Thread();
  t->stack_base = mmu::AllocStack();
  if (t->stack_base == nullptr) {
    t->~Thread();
    kmem::Free(mem);
    return nullptr;
  }
  strlcpy(t->name, name, sizeof(t->name));
  t->entry = entry;
  t->arg = arg;
  t->priority = priority;
  t->affinity = affinity;
  // Initial frame for arm64_context_switch: x19..x30, with x30 (the return
  // address) at the trampoline and x19/x20 carrying entry and argument.
  uint64_t* sp = reinterpret_cast<uint64_t*>(static_cast<char*>(t->stack_base) + STACK_SIZE);
  sp -= 12;
  memset(sp, 0, 12 * sizeof(uint64_t));
  sp[0] = reinterpret_cast<uint64_t>(entry);
  sp[1] = reinterpret_cast<uint64_t>(arg);
  sp[11] = reinterpret_cast<uint64_t>(&arm64_thread_trampoline);
  t->saved_sp = reinterpret_cast<uint64_t>(sp);
  IrqGuard guard(g_sched_lock);
  t->id = g_next_thread_id++;
  g_all_threads.push_back(t);
  return t;
}

void Start(Thread* t) NO_THREAD_SAFETY_ANALYSIS {
  uint64_t state = g_sched_lock.Acquire();
  MICA_ASSERT(t->state == ThreadState::kCreated);
  t->cpu = PickCpuLocked(t);
  WakeLocked(t, mica::Status::kOk);
  PreemptAfterWakeLocked(state);
  g_sched_lock.Release(state);
}

namespace {

void FreeThread(Thread* t) {
  mmu::FreeStack(t->stack_base);
  t->~Thread();
  kmem::Free(t);
}

void ReapDetached() NO_THREAD_SAFETY_ANALYSIS {
  for (;;) {
    uint64_t state = g_sched_lock.Acquire();
    QueueLink* l = g_reap_queue.pop_front();
    if (l != nullptr) {
      g_all_threads.remove(FromLink(l));
    }
    g_sched_lock.Release(state);
    if (l == nullptr) {
      return;
    }
    FreeThread(FromLink(l));
  }
}

}  // namespace

mica::Status Join(Thread* t, uint64_t deadline, int* code) NO_THREAD_SAFETY_ANALYSIS {
  uint64_t state = g_sched_lock.Acquire();
  MICA_ASSERT(!t->detached);
  while (t->state != ThreadState::kDead) {
    mica::Status s = t->joiners.BlockLocked(deadline);
    if (s != mica::Status::kOk && t->state != ThreadState::kDead) {
      g_sched_lock.Release(state);
      return s;
    }
  }
  g_sched_lock.Release(state);
  // It is dead; wait (briefly) until its CPU has switched off its stack.
  while (!__atomic_load_n(&t->switched_out, __ATOMIC_ACQUIRE)) {
    arch::Yield();
  }
  state = g_sched_lock.Acquire();
  g_all_threads.remove(t);
  g_sched_lock.Release(state);
  if (code != nullptr) {
    *code = t->exit_code;
  }
  FreeThread(t);
  return mica::Status::kOk;
}

void Detach(Thread* t) {
  IrqGuard guard(g_sched_lock);
  t->detached = true;
  if (t->state == ThreadState::kDead && t->switched_out) {
    g_reap_queue.push_back(t);
  }
}

void Exit(int code) NO_THREAD_SAFETY_ANALYSIS {
  g_sched_lock.Acquire();
  Thread* cur = CurrentLocked();
  cur->exit_code = code;
  cur->state = ThreadState::kDead;
  cur->joiners.WakeAllLocked();
  RescheduleLocked();
  Panic("a dead thread was scheduled again");
}

void Yield() NO_THREAD_SAFETY_ANALYSIS {
  uint64_t state = g_sched_lock.Acquire();
  Thread* cur = CurrentLocked();
  if (cur != Cpu().idle) {
    EnqueueLocked(cur, CurrentCpu(), false);
  }
  RescheduleLocked();
  g_sched_lock.Release(state);
}

void SleepUntil(uint64_t deadline) {
  WaitQueue never_woken;
  for (;;) {
    mica::Status s = never_woken.Block(deadline);
    if (s == mica::Status::kTimedOut || s == mica::Status::kCanceled) {
      return;
    }
  }
}

void Interrupt(Thread* t) NO_THREAD_SAFETY_ANALYSIS {
  uint64_t state = g_sched_lock.Acquire();
  t->interrupted = true;
  if (t->state == ThreadState::kBlocked) {
    if (t->blocked_on != nullptr) {
      t->blocked_on->RemoveLocked(t);
    }
    WakeLocked(t, mica::Status::kCanceled);
  } else if (t->state == ThreadState::kRunning && t->cpu != CurrentCpu()) {
    gic::SendIpi(gic::kIpiReschedule, t->cpu);
  }
  g_sched_lock.Release(state);
}

void Sleep(uint64_t ns) {
  uint64_t now = timer::NowNs();
  SleepUntil(ns > kInfinite - now ? kInfinite : now + ns);
}

void SetPriority(Thread* t, int priority) NO_THREAD_SAFETY_ANALYSIS {
  if (priority < 0 || priority > kPriorityMax) {
    return;
  }
  uint64_t state = g_sched_lock.Acquire();
  if (t->state == ThreadState::kReady) {
    CpuState& cs = g_cpu_state[t->cpu];
    cs.run_queue[t->priority].remove(t);
    if (cs.run_queue[t->priority].empty()) {
      cs.ready_mask &= ~(1u << t->priority);
    }
    cs.ready_count--;
    t->priority = priority;
    WakeLocked(t, t->wake_status);
  } else {
    t->priority = priority;
    if (t == CurrentLocked() && BestReadyPriority(Cpu()) > priority) {
      EnqueueLocked(t, CurrentCpu(), false);
      RescheduleLocked();
    }
  }
  g_sched_lock.Release(state);
}

// ---- Timers ----

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
  while (__atomic_load_n(&timer->running, __ATOMIC_ACQUIRE)) {
    arch::Yield();
  }
  return was_armed;
}

void TimerTick() NO_THREAD_SAFETY_ANALYSIS {
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
    t->running = true;
    UnlockRaw();
    callback(t, arg);
    __atomic_store_n(&t->running, false, __ATOMIC_RELEASE);
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

void PreemptFromIrq() NO_THREAD_SAFETY_ANALYSIS {
  PerCpu& pc = ThisCpu();
  if (pc.sched == nullptr || pc.irq_depth != 0) {
    return;
  }
  // Every syscall and interrupt returns through here: skip the lock when
  // nothing asked for a reschedule. need_resched is only ever set for this
  // CPU by code running on this CPU with interrupts off (a wake made here,
  // the timer tick, the reschedule IPI), and interrupts are off now, so
  // the unlocked read cannot miss a request.
  if (!__atomic_load_n(&pc.sched->need_resched, __ATOMIC_RELAXED)) {
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

void RescheduleIpi() NO_THREAD_SAFETY_ANALYSIS {
  LockRaw();
  CpuState& cs = Cpu();
  if (BestReadyPriority(cs) > RunningPriority(CurrentCpu())) {
    cs.need_resched = true;
  } else {
    ProgramTimerLocked();
  }
  UnlockRaw();
}

// ---- CPU bring-up ----

namespace {

void InitCpuState(uint32_t cpu, Thread* boot) {
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

[[noreturn]] void IdleLoop() {
  for (;;) {
    ReapDetached();
    arch::DisableIrqs();
    CpuState& cs = Cpu();
    // Check for work with IRQs off, then WFI: an interrupt arriving in
    // between still wakes the WFI (it is pending).
    if (cs.ready_mask == 0 && !cs.need_resched) {
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
  boot->id = g_next_thread_id++;
  InitCpuState(0, boot);
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
  }
  boot->priority = kPriorityIdle;
  InitCpuState(cpu, boot);
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
