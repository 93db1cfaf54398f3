// Threads: creation, start, exit, join, sleep, interruption and priority
// (the scheduler: sched.h).
#include "kernel/sched/sched.h"

#include <string.h>

#include <new>

#include "kernel/arch/arm64/gic.h"
#include "kernel/arch/arm64/mmu.h"
#include "kernel/arch/arm64/timer.h"
#include "kernel/base/memory.h"
#include "kernel/base/panic.h"
#include "kernel/sched/sched_internal.h"

namespace sched {

extern "C" void thread_trampoline_c(void (*entry)(void*), void* arg) {
  // First run of a new thread: finish the switch that brought us here and
  // drop the scheduler lock (taken by the thread we switched from).
  LockHandedOver();
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

void Start(Thread* t) {
  uint64_t state = g_sched_lock.Acquire();
  MICA_ASSERT(t->state == ThreadState::kCreated);
  t->cpu = PickCpuLocked(t);
  WakeLocked(t, mica::Status::kOk);
  PreemptAfterWakeLocked(state);
  g_sched_lock.Release(state);
}

namespace {

// Threads that are both dead and detached and not yet freed: counted once,
// when the second of the two becomes true (Exit or Detach, both under
// g_sched_lock), and uncounted after ReapDetached has freed them.
mica::Atomic<uint64_t> g_unfreed_dead;

void FreeThread(Thread* t) {
  mmu::FreeStack(t->stack_base);
  t->~Thread();
  kmem::Free(t);
}

}  // namespace

void ReapDetached() {
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
    g_unfreed_dead.fetch_sub(1, mica::kRelease);
  }
}

uint64_t UnfreedDeadThreads() {
  return g_unfreed_dead.load(mica::kAcquire);
}

mica::Status Join(Thread* t, uint64_t deadline, int* code) {
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
  while (!mica::AtomicRef<bool>(t->switched_out).load(mica::kAcquire)) {
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
  if (t->state == ThreadState::kDead) {
    g_unfreed_dead.fetch_add(1, mica::kRelaxed);
  }
  if (t->state == ThreadState::kDead && t->switched_out) {
    g_reap_queue.push_back(t);
  }
}

void Exit(int code) {
  g_sched_lock.Acquire();
  Thread* cur = CurrentLocked();
  cur->exit_code = code;
  cur->state = ThreadState::kDead;
  if (cur->detached) {
    g_unfreed_dead.fetch_add(1, mica::kRelaxed);
  }
  cur->joiners.WakeAllLocked();
  RescheduleLocked();
  Panic("a dead thread was scheduled again");
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

void Interrupt(Thread* t) {
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

void SetPriority(Thread* t, int priority) {
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

}  // namespace sched
