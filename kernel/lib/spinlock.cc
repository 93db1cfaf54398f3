#include "kernel/lib/spinlock.h"

#include "kernel/lib/assert.h"
#include "kernel/lib/atomic.h"

#ifndef _KERNEL
#include <sched.h>
#endif

namespace mica {
namespace {

#ifndef MICA_SPINLOCK_TPIDR_TOKEN
mica::Atomic<SpinLock::CpuIdHook> g_cpu_id_hook;
#endif

// Tells the CPU we are busy-waiting (AArch64 YIELD, x86 PAUSE).
inline void RelaxCpu() {
#if defined(__aarch64__)
  __builtin_arm_yield();
#elif defined(__x86_64__)
  __builtin_ia32_pause();
#endif
}

// Called while the lock is held by someone else. In the kernel a lock holder
// cannot be preempted by the kernel (the IRQ-safe wrapper disables
// interrupts), so waiters just spin. In host tests the holder is an ordinary
// thread that the OS may deschedule: there, waiters yield now and then.
inline void Wait(uint32_t* spins) {
  RelaxCpu();
#ifndef _KERNEL
  if (++*spins % 64 == 0) {
    sched_yield();
  }
#else
  (void)spins;
#endif
}

}  // namespace

#ifndef MICA_SPINLOCK_TPIDR_TOKEN
void SpinLock::SetCpuIdHook(CpuIdHook hook) {
  g_cpu_id_hook.store(hook, mica::kRelaxed);
}

uintptr_t SpinLock::HookToken() {
  CpuIdHook hook = g_cpu_id_hook.load(mica::kRelaxed);
  return hook != nullptr ? (uintptr_t{hook()} + 1) << 1 : 0;
}
#endif

void SpinLock::AcquireContended(uintptr_t mine, uintptr_t old) {
  // Bit 0 alone: CPUs cannot be told apart (early boot), so a taken lock
  // is not necessarily this CPU's.
  MICA_DEBUG_ASSERT_MSG(mine == 1 || old != mine, "acquiring a SpinLock this CPU already holds");
  (void)old;
  uint32_t spins = 0;
  // Test-and-test-and-set: while the lock is held, waiters only read the
  // word, so the cache line is not bounced; the compare-and-swap (acquire)
  // takes it.
  for (;;) {
    while (mica::AtomicRef<uintptr_t>(word_).load(mica::kRelaxed) != 0) {
      Wait(&spins);
    }
    uintptr_t expected = 0;
    if (mica::AtomicRef<uintptr_t>(word_).compare_exchange_strong(&expected, mine, mica::kAcquire,
                                                                  mica::kRelaxed)) {
      return;
    }
  }
}

void SpinLock::ReleaseMismatch(uintptr_t word) {
  MICA_ASSERT_MSG(word != 0, "releasing a SpinLock that is not held");
  MICA_ASSERT_MSG(false, "releasing a SpinLock held by another CPU");
  __builtin_unreachable();
}

bool SpinLock::TryAcquire() {
  if (mica::AtomicRef<uintptr_t>(word_).load(mica::kRelaxed) != 0) {
    return false;
  }
  uintptr_t expected = 0;
  return mica::AtomicRef<uintptr_t>(word_).compare_exchange_strong(&expected, LockValue(),
                                                                   mica::kAcquire, mica::kRelaxed);
}

bool SpinLock::IsHeld() const {
  uintptr_t word = mica::AtomicRef<const uintptr_t>(word_).load(mica::kRelaxed);
  if (word == 0) {
    return false;
  }
  return CpuToken() == 0 || word == LockValue();
}

void SpinLock::AssertHeld() const {
  MICA_ASSERT_MSG(IsHeld(), "SpinLock not held");
}

}  // namespace mica
