#include "kernel/lib/spinlock.h"

#include "kernel/lib/assert.h"

#ifndef _KERNEL
#include <sched.h>
#endif

namespace mica {
namespace {

#ifndef MICA_SPINLOCK_TPIDR_TOKEN
SpinLock::CpuIdHook g_cpu_id_hook = nullptr;
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
  __atomic_store_n(&g_cpu_id_hook, hook, __ATOMIC_RELAXED);
}

uintptr_t SpinLock::HookToken() {
  CpuIdHook hook = __atomic_load_n(&g_cpu_id_hook, __ATOMIC_RELAXED);
  return hook != nullptr ? uintptr_t{hook()} + 1 : 0;
}
#endif

void SpinLock::AcquireContended() {
  uint32_t spins = 0;
  // Test-and-test-and-set: while the lock is held, waiters only read the
  // word, so the cache line is not bounced; the exchange (acquire) takes it.
  do {
    while (__atomic_load_n(&locked_, __ATOMIC_RELAXED) != 0) {
      Wait(&spins);
    }
  } while (__atomic_exchange_n(&locked_, 1u, __ATOMIC_ACQUIRE) != 0);
}

bool SpinLock::TryAcquire() {
  if (__atomic_load_n(&locked_, __ATOMIC_RELAXED) != 0 ||
      __atomic_exchange_n(&locked_, 1u, __ATOMIC_ACQUIRE) != 0) {
    return false;
  }
  __atomic_store_n(&holder_, CpuToken(), __ATOMIC_RELAXED);
  return true;
}

bool SpinLock::IsHeld() const {
  if (__atomic_load_n(&locked_, __ATOMIC_RELAXED) == 0) {
    return false;
  }
  uintptr_t me = CpuToken();
  return me == 0 || __atomic_load_n(&holder_, __ATOMIC_RELAXED) == me;
}

void SpinLock::AssertHeld() const {
  MICA_ASSERT_MSG(IsHeld(), "SpinLock not held");
}

}  // namespace mica
