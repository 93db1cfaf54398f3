#include "kernel/lib/spinlock.h"

#include "kernel/lib/assert.h"

#ifndef _KERNEL
#include <sched.h>
#endif

namespace mica {
namespace {

SpinLock::CpuIdHook g_cpu_id_hook = nullptr;

SpinLock::CpuIdHook CpuHook() {
  return __atomic_load_n(&g_cpu_id_hook, __ATOMIC_RELAXED);
}

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

void SpinLock::SetCpuIdHook(CpuIdHook hook) {
  __atomic_store_n(&g_cpu_id_hook, hook, __ATOMIC_RELAXED);
}

void SpinLock::Acquire() {
  // A CPU that takes a lock it already holds would spin forever: report it
  // instead (holder_cpu_ names this CPU only while it holds the lock). The
  // hook is asked once per acquire and once per release (it is on every
  // kernel path: docs/performance.md).
  CpuIdHook hook = CpuHook();
  const uint32_t cpu = hook != nullptr ? hook() : kNoHolder;
  MICA_DEBUG_ASSERT_MSG(hook == nullptr || __atomic_load_n(&holder_cpu_, __ATOMIC_RELAXED) != cpu,
                        "acquiring a SpinLock this CPU already holds");
  uint32_t spins = 0;
  // Test-and-test-and-set: the exchange (acquire) takes the lock; while it
  // is held, waiters only read the word, so the cache line is not bounced.
  while (__atomic_exchange_n(&locked_, 1u, __ATOMIC_ACQUIRE) != 0) {
    while (__atomic_load_n(&locked_, __ATOMIC_RELAXED) != 0) {
      Wait(&spins);
    }
  }
  if (hook != nullptr) {
    __atomic_store_n(&holder_cpu_, cpu, __ATOMIC_RELAXED);
  }
}

bool SpinLock::TryAcquire() {
  if (__atomic_load_n(&locked_, __ATOMIC_RELAXED) != 0 ||
      __atomic_exchange_n(&locked_, 1u, __ATOMIC_ACQUIRE) != 0) {
    return false;
  }
  if (CpuIdHook hook = CpuHook()) {
    __atomic_store_n(&holder_cpu_, hook(), __ATOMIC_RELAXED);
  }
  return true;
}

void SpinLock::Release() {
  MICA_DEBUG_ASSERT_MSG(__atomic_load_n(&locked_, __ATOMIC_RELAXED) != 0,
                        "releasing a SpinLock that is not held");
  // A release must come from the CPU that holds the lock: a second release
  // by another path would silently let two CPUs into the critical section.
  if (CpuIdHook hook = CpuHook()) {
    MICA_DEBUG_ASSERT_MSG(__atomic_load_n(&holder_cpu_, __ATOMIC_RELAXED) == hook(),
                          "releasing a SpinLock held by another CPU");
  }
  __atomic_store_n(&holder_cpu_, kNoHolder, __ATOMIC_RELAXED);
  // The store-release publishes the critical section to the next holder.
  __atomic_store_n(&locked_, 0u, __ATOMIC_RELEASE);
}

bool SpinLock::IsHeld() const {
  if (__atomic_load_n(&locked_, __ATOMIC_RELAXED) == 0) {
    return false;
  }
  CpuIdHook hook = CpuHook();
  return hook == nullptr || __atomic_load_n(&holder_cpu_, __ATOMIC_RELAXED) == hook();
}

void SpinLock::AssertHeld() const {
  MICA_ASSERT_MSG(IsHeld(), "SpinLock not held");
}

}  // namespace mica
