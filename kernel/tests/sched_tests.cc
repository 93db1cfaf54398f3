// In-kernel tests of threads, the scheduler, timers and SMP.
#include "kernel/arch/arm64/gic.h"
#include "kernel/arch/arm64/timer.h"
#include "kernel/base/irq_spinlock.h"
#include "kernel/base/memory.h"
#include "kernel/base/percpu.h"
#include "kernel/sched/sched.h"
#include "kernel/tests/ktest.h"

namespace {

constexpr uint64_t kMs = 1'000'000;

void ExitWith(void* arg) {
  sched::Exit(static_cast<int>(reinterpret_cast<uintptr_t>(arg)));
}

}  // namespace

KTEST(thread_create_join_exit_code) {
  sched::Thread* t =
      sched::Create("exit42", ExitWith, reinterpret_cast<void*>(42), sched::kPriorityDefault);
  KEXPECT(t != nullptr);
  sched::Start(t);
  int code = 0;
  KEXPECT(sched::Join(t, sched::kInfinite, &code) == mica::Status::kOk);
  KEXPECT_EQ(code, 42u);
}

KTEST(sleep_waits_at_least_the_duration) {
  uint64_t start = timer::NowNs();
  sched::Sleep(5 * kMs);
  uint64_t elapsed = timer::NowNs() - start;
  KEXPECT(elapsed >= 5 * kMs);
  KEXPECT(elapsed < 5000 * kMs);
}

KTEST(waitqueue_deadline_times_out) {
  sched::WaitQueue wq;
  uint64_t start = timer::NowNs();
  KEXPECT(wq.Block(start + 3 * kMs) == mica::Status::kTimedOut);
  KEXPECT(timer::NowNs() - start >= 3 * kMs);
  // A deadline in the past returns at once.
  KEXPECT(wq.Block(start) == mica::Status::kTimedOut);
}

namespace {

struct WakeCtx {
  sched::WaitQueue wq;
  mica::Atomic<bool> woken;
  mica::Status status = mica::Status::kInternal;
};

void Waiter(void* arg) {
  auto* c = static_cast<WakeCtx*>(arg);
  c->status = c->wq.Block(sched::kInfinite);
  c->woken.store(true, mica::kRelaxed);
}

}  // namespace

KTEST(waitqueue_wake_one_across_cpus) {
  for (uint32_t cpu = 0; cpu < OnlineCpuCount(); cpu++) {
    WakeCtx c;
    sched::Thread* t = sched::Create("waiter", Waiter, &c, sched::kPriorityDefault, 1u << cpu);
    KEXPECT(t != nullptr);
    sched::Start(t);
    // Wait until it is blocked, then wake it.
    while (c.wq.WakeOne() == 0) {
      sched::Sleep(kMs / 10);
    }
    KEXPECT(sched::Join(t, sched::kInfinite, nullptr) == mica::Status::kOk);
    KEXPECT(c.woken.load(mica::kRelaxed));
    KEXPECT(c.status == mica::Status::kOk);
  }
}

namespace {

struct SpinCtx {
  volatile uint64_t count = 0;
  mica::Atomic<bool> stop;
  uint32_t cpu_seen = 0xffffffff;
  bool wrong_cpu = false;
};

void Spinner(void* arg) {
  auto* c = static_cast<SpinCtx*>(arg);
  c->cpu_seen = CurrentCpu();
  while (!c->stop.load(mica::kRelaxed)) {
    c->count = c->count + 1;
    if (CurrentCpu() != c->cpu_seen) {
      c->wrong_cpu = true;
    }
  }
}

}  // namespace

// Two busy threads pinned to one CPU at the same priority both make progress:
// the timer preempts them (round robin).
KTEST(preemption_round_robin) {
  uint32_t cpu = OnlineCpuCount() - 1;
  SpinCtx a, b;
  sched::Thread* ta = sched::Create("spin-a", Spinner, &a, sched::kPriorityDefault, 1u << cpu);
  sched::Thread* tb = sched::Create("spin-b", Spinner, &b, sched::kPriorityDefault, 1u << cpu);
  KEXPECT(ta != nullptr && tb != nullptr);
  sched::Start(ta);
  sched::Start(tb);
  sched::Sleep(100 * kMs);
  a.stop.store(true, mica::kRelaxed);
  b.stop.store(true, mica::kRelaxed);
  KEXPECT(sched::Join(ta, sched::kInfinite, nullptr) == mica::Status::kOk);
  KEXPECT(sched::Join(tb, sched::kInfinite, nullptr) == mica::Status::kOk);
  KEXPECT(a.count > 0);
  KEXPECT(b.count > 0);
  KEXPECT(!a.wrong_cpu && !b.wrong_cpu);
  KEXPECT_EQ(a.cpu_seen, cpu);
}

namespace {

struct PrioCtx {
  volatile uint64_t low_count = 0;
  mica::Atomic<bool> stop;
  uint64_t low_before = 0;
  uint64_t low_after = 0;
};

void LowSpinner(void* arg) {
  auto* c = static_cast<PrioCtx*>(arg);
  while (!c->stop.load(mica::kRelaxed)) {
    c->low_count = c->low_count + 1;
  }
}

// Runs for 30 ms of counter time on the low thread's CPU. If priorities were
// not honoured, the low thread would get timeslices meanwhile.
void HighBusy(void* arg) {
  auto* c = static_cast<PrioCtx*>(arg);
  c->low_before = c->low_count;
  uint64_t end = timer::NowNs() + 30 * kMs;
  while (timer::NowNs() < end) {
  }
  c->low_after = c->low_count;
}

}  // namespace

// A higher-priority thread made ready on a CPU that runs a lower-priority
// busy thread takes the CPU (through the reschedule IPI when remote) and
// keeps it until it blocks or exits.
KTEST(priority_preempts_lower) {
  uint32_t cpu = OnlineCpuCount() - 1;
  PrioCtx c;
  sched::Thread* low = sched::Create("low", LowSpinner, &c, sched::kPriorityLow, 1u << cpu);
  KEXPECT(low != nullptr);
  sched::Start(low);
  while (c.low_count == 0) {
    sched::Sleep(kMs / 10);
  }
  sched::Thread* high = sched::Create("high", HighBusy, &c, sched::kPriorityHigh, 1u << cpu);
  KEXPECT(high != nullptr);
  sched::Start(high);
  KEXPECT(sched::Join(high, sched::kInfinite, nullptr) == mica::Status::kOk);
  // The low thread runs again once the high one is gone.
  uint64_t after_high = c.low_count;
  while (c.low_count == after_high) {
    sched::Sleep(kMs / 10);
  }
  c.stop.store(true, mica::kRelaxed);
  KEXPECT(sched::Join(low, sched::kInfinite, nullptr) == mica::Status::kOk);
  KEXPECT_EQ(c.low_after, c.low_before);
}

namespace {

struct CpuCtx {
  uint32_t ran_on = 0xffffffff;
};

void RecordCpu(void* arg) {
  static_cast<CpuCtx*>(arg)->ran_on = CurrentCpu();
}

}  // namespace

KTEST(smp_thread_runs_on_every_cpu) {
  uint32_t n = OnlineCpuCount();
  KEXPECT_EQ(n, g_cpu_count);
  for (uint32_t cpu = 0; cpu < n; cpu++) {
    CpuCtx c;
    sched::Thread* t = sched::Create("pinned", RecordCpu, &c, sched::kPriorityDefault, 1u << cpu);
    KEXPECT(t != nullptr);
    sched::Start(t);
    KEXPECT(sched::Join(t, sched::kInfinite, nullptr) == mica::Status::kOk);
    KEXPECT_EQ(c.ran_on, cpu);
  }
}

namespace {

struct LockCtx {
  IrqSpinLock lock;
  uint64_t counter GUARDED_BY(lock) = 0;
  uint64_t deadline_ns = 0;
};

struct IncrementerArg {
  LockCtx* ctx;
  uint64_t done = 0;
};

// Increments the shared counter under the lock until the deadline (time
// bounded: under QEMU a vCPU holding the lock can be descheduled by the host
// for milliseconds), counting its own increments.
void Incrementer(void* arg) {
  auto* a = static_cast<IncrementerArg*>(arg);
  while (timer::NowNs() < a->ctx->deadline_ns || a->done < 100) {
    IrqGuard guard(a->ctx->lock);
    // A non-atomic read-modify-write: lost updates would show as a mismatch.
    uint64_t v = a->ctx->counter;
    a->ctx->counter = v + 1;
    a->done++;
  }
}

}  // namespace

KTEST(spinlock_contention_all_cpus) {
  LockCtx c;
  c.deadline_ns = timer::NowNs() + 100 * kMs;
  uint32_t n = OnlineCpuCount();
  sched::Thread* threads[2 * MAX_CPUS];
  IncrementerArg args[2 * MAX_CPUS];
  for (uint32_t i = 0; i < 2 * n; i++) {
    args[i].ctx = &c;
    threads[i] =
        sched::Create("incr", Incrementer, &args[i], sched::kPriorityDefault, 1u << (i % n));
    KEXPECT(threads[i] != nullptr);
  }
  for (uint32_t i = 0; i < 2 * n; i++) {
    sched::Start(threads[i]);
  }
  uint64_t total = 0;
  for (uint32_t i = 0; i < 2 * n; i++) {
    KEXPECT(sched::Join(threads[i], sched::kInfinite, nullptr) == mica::Status::kOk);
    total += args[i].done;
  }
  IrqGuard guard(c.lock);
  KEXPECT_EQ(c.counter, total);
  KEXPECT(total >= 200ull * n);
}

namespace {

void Nothing(void*) {}

}  // namespace

// Creating and joining many threads returns every page and heap byte.
KTEST(thread_churn_returns_memory) {
  // Warm up allocator caches first so the comparison is exact.
  for (int i = 0; i < 4; i++) {
    sched::Thread* t = sched::Create("warm", Nothing, nullptr, sched::kPriorityDefault);
    KEXPECT(t != nullptr);
    sched::Start(t);
    KEXPECT(sched::Join(t, sched::kInfinite, nullptr) == mica::Status::kOk);
  }
  kmem::Stats before = kmem::GetStats();
  for (int round = 0; round < 10; round++) {
    sched::Thread* ts[4];
    for (auto& t : ts) {
      t = sched::Create("churn", Nothing, nullptr, sched::kPriorityDefault);
      KEXPECT(t != nullptr);
      sched::Start(t);
    }
    for (auto& t : ts) {
      KEXPECT(sched::Join(t, sched::kInfinite, nullptr) == mica::Status::kOk);
    }
  }
  kmem::Stats after = kmem::GetStats();
  KEXPECT_EQ(after.heap_bytes_in_use, before.heap_bytes_in_use);
  KEXPECT_EQ(after.free_pages + after.heap_pages, before.free_pages + before.heap_pages);
}

namespace {

struct TimerCtx {
  sched::Timer timer;
  volatile uint64_t fired_at = 0;
};

void OnTimer(sched::Timer*, void* arg) {
  static_cast<TimerCtx*>(arg)->fired_at = timer::NowNs();
}

}  // namespace

KTEST(timer_fires_after_deadline) {
  TimerCtx c;
  uint64_t deadline = timer::NowNs() + 2 * kMs;
  sched::TimerArm(&c.timer, deadline, OnTimer, &c);
  uint64_t give_up = timer::NowNs() + 5000 * kMs;
  while (c.fired_at == 0 && timer::NowNs() < give_up) {
    sched::Sleep(kMs / 2);
  }
  KEXPECT(c.fired_at != 0);
  KEXPECT(c.fired_at >= deadline);
  // A cancelled timer does not fire.
  TimerCtx d;
  sched::TimerArm(&d.timer, timer::NowNs() + 10'000 * kMs, OnTimer, &d);
  KEXPECT(sched::TimerCancel(&d.timer));
  sched::Sleep(5 * kMs);
  KEXPECT_EQ(d.fired_at, 0u);
}

namespace {

struct RearmCtx {
  sched::Timer first;
  sched::Timer second;
  uint64_t second_deadline = 0;
  volatile uint64_t first_fired = 0;
  volatile uint64_t second_fired = 0;
  volatile int second_count = 0;
};

void OnFirstRearmsSecond(sched::Timer*, void* arg) {
  auto* c = static_cast<RearmCtx*>(arg);
  c->first_fired = timer::NowNs();
  // `second` expired in the same tick and waits for its callback: moving it
  // to a later deadline here must take effect (and corrupt no list).
  c->second_deadline = timer::NowNs() + 20 * kMs;
  sched::TimerArm(
      &c->second, c->second_deadline,
      [](sched::Timer*, void* a) {
        auto* ctx = static_cast<RearmCtx*>(a);
        ctx->second_fired = timer::NowNs();
        ctx->second_count = ctx->second_count + 1;
      },
      c);
}

}  // namespace

// Two timers expire in one tick and the first one's callback re-arms the
// second: the second fires once, at its new deadline.
KTEST(timer_rearmed_by_another_callback_in_the_same_tick) {
  RearmCtx c;
  uint64_t deadline = timer::NowNs() + 2 * kMs;
  {
    // Arm both for the same instant, with IRQs off so that one tick finds
    // both expired.
    uint64_t irq = arch::SaveDisableIrqs();
    sched::TimerArm(&c.first, deadline, OnFirstRearmsSecond, &c);
    sched::TimerArm(
        &c.second, deadline,
        [](sched::Timer*, void* a) {
          auto* ctx = static_cast<RearmCtx*>(a);
          ctx->second_count = ctx->second_count + 100;  // the old callback must not run
        },
        &c);
    while (timer::NowNs() <= deadline) {
    }
    arch::RestoreIrqs(irq);
  }
  uint64_t give_up = timer::NowNs() + 5000 * kMs;
  while (c.second_fired == 0 && timer::NowNs() < give_up) {
    sched::Sleep(kMs);
  }
  sched::Sleep(30 * kMs);
  KEXPECT(c.first_fired != 0);
  KEXPECT(c.second_fired >= c.second_deadline);
  KEXPECT_EQ(c.second_count, 1);
  sched::TimerCancel(&c.first);
  sched::TimerCancel(&c.second);
}

KTEST(counter_is_monotonic) {
  uint64_t last = timer::NowTicks();
  for (int i = 0; i < 1000; i++) {
    uint64_t now = timer::NowTicks();
    KEXPECT(now >= last);
    last = now;
  }
  KEXPECT(timer::Frequency() > 0);
}

// Tickless idle: an idle CPU takes (almost) no timer interrupts.
KTEST(idle_cpu_is_tickless) {
  uint32_t cpu = OnlineCpuCount() - 1;
  if (cpu == 0) {
    // One CPU: check our own CPU's count over a sleep instead; only the
    // sleep's own wakeup may interrupt.
    uint64_t before = gic::IrqCount(0);
    sched::Sleep(50 * kMs);
    KEXPECT(gic::IrqCount(0) - before <= 3);
    return;
  }
  uint64_t before = gic::IrqCount(cpu);
  sched::Sleep(50 * kMs);
  KEXPECT(gic::IrqCount(cpu) - before <= 2);
}

namespace {

// Two threads taking turns through WaitQueue::WakeAndBlockUntil, as a
// channel_call client and a channel_write_read server do: each hands the
// turn to the other and waits for it back in one call.
struct PingPong {
  IrqSpinLock lock;
  sched::WaitQueue queue[2];
  mica::Atomic<bool> turn[2];
  int rounds = 0;
  int next GUARDED_BY(lock) = 0;  // whose step is next (0, 1, 0, ...)
  mica::Atomic<bool> out_of_order;
  volatile int steps[2] = {0, 0};
};

struct PingPongSide {
  PingPong* pp;
  int me;
};

// What the last hand-off waits for: nothing.
const mica::Atomic<bool> kNoWait(true);

void PingPongMain(void* arg) {
  auto* side = static_cast<PingPongSide*>(arg);
  PingPong* pp = side->pp;
  int me = side->me, other = 1 - me;
  // Side 1 starts by waiting (nothing to wake); side 0 by handing over.
  bool first = true;
  for (int i = 0; i < pp->rounds; i++) {
    uint64_t state = pp->lock.Acquire();
    if (!(me == 1 && first)) {
      if (pp->next != me) {
        pp->out_of_order.store(true, mica::kRelaxed);
      }
      pp->next = other;
      pp->steps[me] = pp->steps[me] + 1;
    }
    bool last = me == 0 && i == pp->rounds - 1;
    bool hand_over = !(me == 1 && first);
    mica::Status s = pp->queue[me].WakeAndBlockUntil(
        hand_over ? &pp->queue[other] : nullptr, hand_over ? &pp->turn[other] : nullptr,
        &pp->lock.raw(), state, last ? &kNoWait : &pp->turn[me], sched::kInfinite);
    if (s != mica::Status::kOk) {
      pp->out_of_order.store(true, mica::kRelaxed);
    }
    // Taken. Only the other side sets it again, after this side's next
    // hand-off.
    pp->turn[me].store(false, mica::kRelaxed);
    first = false;
  }
  if (me == 1) {
    // Side 0's last hand-off woke this side for its final step.
    IrqGuard g(pp->lock);
    if (pp->next != me) {
      pp->out_of_order.store(true, mica::kRelaxed);
    }
    pp->steps[me] = pp->steps[me] + 1;
  }
}

// Runs `rounds` round trips between two threads pinned to `cpu`; *direct
// gets the CPU's direct switches meanwhile. False if a thread could not be
// made or joined.
bool RunPingPong(uint32_t cpu, int rounds, PingPong* pp, uint64_t* direct) {
  pp->rounds = rounds;
  PingPongSide a{pp, 0}, b{pp, 1};
  uint64_t before = sched::GetStats(cpu).direct_switches;
  sched::Thread* tb = sched::Create("pong", PingPongMain, &b, sched::kPriorityDefault, 1u << cpu);
  sched::Thread* ta = sched::Create("ping", PingPongMain, &a, sched::kPriorityDefault, 1u << cpu);
  if (ta == nullptr || tb == nullptr) {
    return false;  // (a thread made is leaked: the test fails anyway)
  }
  sched::Start(tb);
  sched::Start(ta);
  bool ok = sched::Join(ta, sched::kInfinite, nullptr) == mica::Status::kOk;
  ok = sched::Join(tb, sched::kInfinite, nullptr) == mica::Status::kOk && ok;
  *direct = sched::GetStats(cpu).direct_switches - before;
  return ok;
}

}  // namespace

// The hand-off: every turn is taken in order, none is lost, and with
// nothing else ready on the CPU the turns go by direct switch.
KTEST(waitqueue_wake_and_block_hands_off_directly) {
  uint32_t cpu = OnlineCpuCount() - 1;
  PingPong pp;
  constexpr int kRounds = 200;
  uint64_t direct = 0;
  KEXPECT(RunPingPong(cpu, kRounds, &pp, &direct));
  KEXPECT(!pp.out_of_order.load(mica::kRelaxed));
  KEXPECT_EQ(pp.steps[0], kRounds);
  KEXPECT_EQ(pp.steps[1], kRounds);
  // Side 0's last step blocks on nothing; a timer interrupt may make the
  // other side ready through the run queue now and then.
  KEXPECT(direct >= kRounds);
}

// A thread ready at the same priority on the CPU is not jumped over: the
// hand-off falls back to an ordinary wake (the run queue keeps its round
// robin), and the turns still all happen, in order.
KTEST(waitqueue_wake_and_block_respects_ready_threads) {
  uint32_t cpu = OnlineCpuCount() - 1;
  SpinCtx spin;
  sched::Thread* s = sched::Create("spin", Spinner, &spin, sched::kPriorityDefault, 1u << cpu);
  KEXPECT(s != nullptr);
  sched::Start(s);
  while (spin.count == 0) {
    sched::Sleep(kMs / 10);
  }
  PingPong pp;
  constexpr int kRounds = 10;  // each turn waits out the spinner's time slice
  uint64_t direct = 0;
  KEXPECT(RunPingPong(cpu, kRounds, &pp, &direct));
  spin.stop.store(true, mica::kRelaxed);
  KEXPECT(sched::Join(s, sched::kInfinite, nullptr) == mica::Status::kOk);
  KEXPECT(!pp.out_of_order.load(mica::kRelaxed));
  KEXPECT_EQ(pp.steps[0], kRounds);
  KEXPECT_EQ(pp.steps[1], kRounds);
  // The spinner is always ready or running while they take turns.
  KEXPECT_EQ(direct, 0u);
}
