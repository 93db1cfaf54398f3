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

// Called while waiting for a ticket. In the kernel a lock holder cannot be
// preempted (the kernel's wrapper disables interrupts), so waiters just
// spin. In host tests the holder is an ordinary thread that the OS may
// deschedule, and with a FIFO ticket lock every waiter behind it would spin
// through whole time slices: there, waiters yield the CPU now and then.
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
  const uint32_t ticket = __atomic_fetch_add(&next_, 1, __ATOMIC_RELAXED);
  // The acquire load pairs with the store-release in Release(): everything
  // the previous holder wrote is visible once our ticket is served.
  uint32_t spins = 0;
  while (__atomic_load_n(&serving_, __ATOMIC_ACQUIRE) != ticket) {
    Wait(&spins);
  }
  if (CpuIdHook hook = CpuHook()) {
    __atomic_store_n(&holder_cpu_, hook(), __ATOMIC_RELAXED);
  }
}

bool SpinLock::TryAcquire() {
  // The lock is free iff serving_ == next_. Since serving_ never passes
  // next_ and only grows, seeing serving_ == s and then swapping next_ from
  // s to s + 1 proves it was free at the swap, and the ticket s we took is
  // already being served.
  uint32_t serving = __atomic_load_n(&serving_, __ATOMIC_ACQUIRE);
  uint32_t expected = serving;
  if (!__atomic_compare_exchange_n(&next_, &expected, serving + 1, false, __ATOMIC_ACQUIRE,
                                   __ATOMIC_RELAXED)) {
    return false;
  }
  if (CpuIdHook hook = CpuHook()) {
    __atomic_store_n(&holder_cpu_, hook(), __ATOMIC_RELAXED);
  }
  return true;
}

void SpinLock::Release() {
  MICA_DEBUG_ASSERT_MSG(
      __atomic_load_n(&serving_, __ATOMIC_RELAXED) != __atomic_load_n(&next_, __ATOMIC_RELAXED),
      "releasing a SpinLock that is not held");
  __atomic_store_n(&holder_cpu_, kNoHolder, __ATOMIC_RELAXED);
  // Only the holder writes serving_, so a plain read-increment is safe; the
  // store-release publishes the critical section to the next holder.
  const uint32_t serving = __atomic_load_n(&serving_, __ATOMIC_RELAXED);
  __atomic_store_n(&serving_, serving + 1, __ATOMIC_RELEASE);
}

bool SpinLock::IsHeld() const {
  const bool locked =
      __atomic_load_n(&serving_, __ATOMIC_RELAXED) != __atomic_load_n(&next_, __ATOMIC_RELAXED);
  if (!locked) {
    return false;
  }
  CpuIdHook hook = CpuHook();
  return hook == nullptr || __atomic_load_n(&holder_cpu_, __ATOMIC_RELAXED) == hook();
}

void SpinLock::AssertHeld() const {
  MICA_ASSERT_MSG(IsHeld(), "SpinLock not held");
}

}  // namespace mica
