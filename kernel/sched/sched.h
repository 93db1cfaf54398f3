// Kernel threads and the scheduler: per-CPU run queues with 32 priority
// levels (highest runnable first, round robin within a level), preemption
// by a tickless per-CPU timer, IPIs to reschedule other CPUs, wait queues
// with deadlines, and sleeping.
//
// Locking: one scheduler lock (g_sched_lock, IRQ-safe) protects every run
// queue, wait queue, timer queue and thread state field. Lock order: the
// scheduler lock is taken after any other kernel lock and is never held
// while calling out of the scheduler (timer callbacks run under it and must
// only use *Locked scheduler calls). The analysis knows it as g_sched_lock:
// the run and wait queues are GUARDED_BY it and the *Locked calls REQUIRE
// it; the other kernel locks say ACQUIRED_BEFORE(sched::g_sched_lock).
//
// The implementation: sched.cc (run queues, switching, wait queues),
// sched_thread.cc, sched_timer.cc, sched_cpu.cc; sched_internal.h is
// shared by them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/arch/arm64/upcalls.h"
#include "kernel/arch/arm64/user_state.h"
#include "kernel/base/irq_spinlock.h"
#include "kernel/base/percpu.h"
#include "kernel/lib/list.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/status.h"

namespace mica {
class MemAccount;
}  // namespace mica
class Process;
struct UserThread;

namespace sched {

constexpr int kNumPriorities = 32;
constexpr int kPriorityIdle = 0;
constexpr int kPriorityLow = 8;
constexpr int kPriorityDefault = 16;
constexpr int kPriorityHigh = 24;
constexpr int kPriorityMax = kNumPriorities - 1;
constexpr uint64_t kTimesliceNs = 10'000'000;
constexpr uint64_t kInfinite = UINT64_MAX;
constexpr uint32_t kAnyCpu = 0;  // affinity mask meaning "every CPU"

enum class ThreadState : uint8_t { kCreated, kReady, kRunning, kBlocked, kDead };

struct Thread;

// The scheduler lock (see the top of this file).
extern IrqSpinLock g_sched_lock;

// A one-shot deadline on a CPU's timer queue. The callback runs in the timer
// interrupt, with interrupts off and without the scheduler lock (so it may
// signal objects and wake threads); the scheduler's own timeouts run with it.
struct Timer {
  uint64_t deadline GUARDED_BY(g_sched_lock) = 0;
  void (*callback)(Timer* timer, void* arg) GUARDED_BY(g_sched_lock) = nullptr;
  void* arg GUARDED_BY(g_sched_lock) = nullptr;
  uint32_t cpu GUARDED_BY(g_sched_lock) = 0;
  bool armed GUARDED_BY(g_sched_lock) = false;
  // callback needs the scheduler lock
  bool scheduler_internal GUARDED_BY(g_sched_lock) = false;
  mica::Atomic<bool> running;  // callback in progress (TimerCancel waits)
  mica::ListNode node;
};

// The link a thread uses in a run queue or a wait queue (a base class so that
// WaitQueue can be declared before Thread). It derives from ThreadBase
// (kernel/base/thread_base.h), so a Thread, its QueueLink and its ThreadBase
// share one address and converting between them costs nothing.
struct QueueLink : ThreadBase {
  mica::ListNode queue_node;
};
using ThreadQueue = mica::List<QueueLink, &QueueLink::queue_node>;

class WaitQueue {
 public:
  // Blocks the calling thread until woken or until `deadline_ns` (absolute,
  // kInfinite for none). Returns kOk when woken, kTimedOut at the deadline.
  // Must be called with the scheduler lock held (BlockLocked) or not
  // (Block: takes it).
  mica::Status Block(uint64_t deadline_ns);
  // Blocks only while `still_wait(ctx)` is true, checked under the scheduler
  // lock, so a waker that makes it false and then wakes this queue can never
  // be missed. Returns kOk once it is false.
  mica::Status BlockWhile(bool (*still_wait)(const void* ctx), const void* ctx,
                          uint64_t deadline_ns);
  mica::Status BlockLocked(uint64_t deadline_ns) REQUIRES(g_sched_lock);
  // Wakes the longest waiter / every waiter. Return how many were woken.
  //
  // `waker_blocks` (the Locked forms; WakeAndBlockUntil's fallback): the
  // caller is about to block. A woken thread that last ran on this CPU is
  // then queued here and this CPU is marked to reschedule, so it runs as
  // soon as the caller blocks (or, if the caller does not block after all,
  // when it next leaves the kernel), without reprogramming the timer or
  // sending an IPI; Linux's WF_SYNC wake-ups do the same. Others are woken
  // as usual.
  int WakeOne();
  int WakeAll() { return SetAndWakeAll(nullptr); }
  int WakeOneLocked(bool waker_blocks = false) REQUIRES(g_sched_lock);
  int WakeAllLocked(bool waker_blocks = false) REQUIRES(g_sched_lock);
  // Sets *flag (unless null) and wakes every waiter in one scheduler-lock
  // critical section. A waiter whose BlockWhile condition reads the flag sees it set
  // only after the waker is done with the queue, so it may free the queue
  // (and whatever holds it) as soon as BlockWhile returns.
  int SetAndWakeAll(mica::Atomic<bool>* flag);
  // IPC's direct hand-off (channel_call, channel_write_read). The caller
  // holds `held`, taken as an IrqSpinLock whose saved interrupt mask is
  // `irq_state`. In one scheduler critical section: sets *flag and wakes
  // the waiters of `wake` (either may be null), releases `held`, then
  // blocks on this queue until *done is set (as BlockWhile with that
  // condition; the wait records of channel_call and channel_write_read). When one
  // thread is woken, it last ran on this CPU and it outranks every thread
  // ready here, the CPU switches straight to it (no run queue, no second
  // pass through the scheduler lock). Everything done to `wake` and `flag`
  // happens before `held` is released, so the caller's lock keeps them
  // alive as it does for SetAndWakeAll. Interrupts are back to `irq_state`
  // on return.
  mica::Status WakeAndBlockUntil(WaitQueue* wake, mica::Atomic<bool>* flag, mica::SpinLock* held,
                                 uint64_t irq_state, const mica::Atomic<bool>* done,
                                 uint64_t deadline_ns) RELEASE(held);
  // The same with a blocking condition of the caller's (as BlockWhile's;
  // port_reply_wait blocks on a port's queue this way after its reply
  // woke a caller). `held` may be null: the caller holds no lock, only
  // interrupts masked (`irq_state` is what they were).
  mica::Status WakeAndBlockWhile(WaitQueue* wake, mica::Atomic<bool>* flag, mica::SpinLock* held,
                                 uint64_t irq_state, bool (*still_wait)(const void* ctx),
                                 const void* ctx, uint64_t deadline_ns) RELEASE(held);
  bool EmptyLocked() const REQUIRES(g_sched_lock) { return waiters_.empty(); }
  // Takes a blocked thread off the queue (timeouts).
  void RemoveLocked(Thread* t) REQUIRES(g_sched_lock);

 private:
  // Puts the calling thread on this queue, blocked, with its timeout armed;
  // kCanceled (it is being killed) or kTimedOut (the deadline has passed)
  // instead if it must not block.
  // `pc` is this CPU's.
  mica::Status PrepareBlockLocked(PerCpu& pc, uint64_t deadline_ns) REQUIRES(g_sched_lock);
  // WakeAndBlockUntil's and WakeAndBlockWhile's work (sched.cc).
  template <typename StillWait>
  mica::Status WakeAndBlock(WaitQueue* wake, mica::Atomic<bool>* flag, mica::SpinLock* held,
                            uint64_t irq_state, StillWait still_wait, uint64_t deadline_ns)
      NO_THREAD_SAFETY_ANALYSIS;  // `held` and the scheduler lock, as documented above

  ThreadQueue waiters_ GUARDED_BY(g_sched_lock);
};

struct CpuState;

// Work a thread defers instead of recursing into it: the reactions to
// objects' last handles going (object/dispatcher.cc), which nest without
// bound through handles carried in channel messages. A FIFO of nodes
// embedded in the objects; `draining` is set while the outermost caller
// works through it. Only its own thread touches it.
struct DeferredNode {
  DeferredNode* next = nullptr;
};
struct DeferredQueue {
  DeferredNode* head = nullptr;
  DeferredNode* tail = nullptr;
  bool draining = false;

  void push_back(DeferredNode* n) {
    n->next = nullptr;
    if (tail == nullptr) {
      head = n;
    } else {
      tail->next = n;
    }
    tail = n;
  }
  DeferredNode* pop_front() {
    DeferredNode* n = head;
    if (n != nullptr) {
      head = n->next;
      if (head == nullptr) {
        tail = nullptr;
      }
      n->next = nullptr;
    }
    return n;
  }
};

// PerCpu::current points at its ThreadBase (through QueueLink). The fields
// GUARDED_BY the scheduler lock are the scheduler's own; the others are fixed
// at creation, set by their own thread, or also read without the lock as
// snapshots (state, cpu, priority, run times: object/process_threads.cc).
struct Thread : QueueLink {
  uint64_t saved_sp = 0;  // valid while not running
  void* stack_base = nullptr;
  ThreadState state = ThreadState::kCreated;
  int priority = kPriorityDefault;
  uint32_t cpu = 0;             // CPU it runs or last ran on
  uint32_t affinity = kAnyCpu;  // bit mask of allowed CPUs, 0 = all
  bool detached GUARDED_BY(g_sched_lock) = false;
  bool switched_out = false;  // dead and no longer on its stack
  mica::Status wake_status GUARDED_BY(g_sched_lock) = mica::Status::kOk;
  WaitQueue* blocked_on GUARDED_BY(g_sched_lock) = nullptr;
  Timer timeout GUARDED_BY(g_sched_lock);
  uint64_t slice_end_ns GUARDED_BY(g_sched_lock) = 0;
  uint64_t runtime_ns = 0;
  uint64_t last_start_ns = 0;
  uint64_t queue_ns = 0;                                 // time spent ready but not running
  uint64_t ready_since_ns GUARDED_BY(g_sched_lock) = 0;  // when it last became ready
  uint64_t switches GUARDED_BY(g_sched_lock) = 0;
  // `switches` of the running thread, read by itself: it changes only when
  // the thread is switched in, which cannot happen while it runs this.
  uint64_t own_switches() const NO_THREAD_SAFETY_ANALYSIS { return switches; }
  int exit_code = 0;
  void (*entry)(void*) = nullptr;
  void* arg = nullptr;
  // User-mode state, for threads of a process (owned by the process's
  // thread object); nullptr for kernel threads.
  arch::UserState* user = nullptr;
  Process* process = nullptr;         // the Process it belongs to (object/process.h)
  UserThread* user_thread = nullptr;  // its UserThread (object/process.h)
  WaitQueue joiners;
  DeferredQueue deferred;   // see DeferredQueue
  mica::ListNode all_node;  // list of every thread
  uint64_t id = 0;
  char name[32] = {};
};

// Creates a thread (not yet running). `affinity` is a CPU bit mask (0 for
// any). Returns nullptr when out of memory.
Thread* Create(const char* name, void (*entry)(void*), void* arg, int priority,
               uint32_t affinity = kAnyCpu);
// Makes a created thread runnable.
void Start(Thread* t);
// Waits for `t` to exit, then frees it; returns its exit code via *code.
mica::Status Join(Thread* t, uint64_t deadline_ns, int* code);
// The thread frees itself when it exits (an idle loop frees it once its
// CPU has switched off its stack).
void Detach(Thread* t);
// Dead detached threads not freed yet (MICA_INFO_KMEM_STATS counts them
// with the unreaped processes: a leak check that waits for 0 would
// otherwise read memory a thread still holds until an idle loop runs).
uint64_t UnfreedDeadThreads();
[[noreturn]] void Exit(int code);
void Yield();
void SleepUntil(uint64_t deadline_ns);
void Sleep(uint64_t ns);
inline Thread* Current() {
  return static_cast<Thread*>(ThisCpu().current);
}
void SetPriority(Thread* t, int priority);
// Marks `t` interrupted (its process is being killed): a wait it is blocked
// in, or any later one, ends with kCanceled; if it runs on another CPU that
// CPU is sent a reschedule IPI so it enters the kernel.
void Interrupt(Thread* t);

// Timers (scheduler lock held for the Locked variants).
void TimerArm(Timer* timer, uint64_t deadline_ns, void (*cb)(Timer*, void*), void* arg);
bool TimerCancel(Timer* timer);

// Boot: turn the boot context into the first thread of CPU 0.
void InitBootCpu();
// RunSecondary (a secondary CPU's boot context becomes its idle thread),
// TimerTick and PreemptFromIrq are declared in kernel/arch/arm64/upcalls.h:
// the arch layer calls them.
// Creates CPU 0's idle thread (after the heap exists).
void InitIdle(uint32_t cpu);

// IPI handler: another CPU asked this one to reschedule.
void RescheduleIpi();

struct Stats {
  uint64_t context_switches;
  uint64_t direct_switches;  // of those, WakeAndBlockUntil's hand-offs
  uint64_t threads;
  uint64_t ready;
};
Stats GetStats(uint32_t cpu);

}  // namespace sched
