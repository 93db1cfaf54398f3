// SpinLock: a test-and-test-and-set lock, and Guard<Lock>: its scoped
// holder.
//
// The lock is one word, 1 while held. Acquire swaps in 1 (acquire order) and,
// while that finds it held, spins reading the word until it looks free;
// Release stores 0 (release order). It is not FIFO-fair, on purpose: Mica's
// CPUs are often virtual (QEMU runs each vCPU as a host thread, and the test
// machines run 4 vCPUs on 2 host cores). With a ticket lock, a waiter whose
// vCPU is descheduled when its turn comes keeps the lock idle for a whole
// host time slice while every other CPU spins behind it; core-tests' stress
// cases took 10-45 s instead of 0.1 s that way. Any running waiter takes a
// test-and-set lock as soon as it is free (Linux falls back to the same lock
// in guests for the same reason: virt_spin_lock). Kernel critical sections
// are short and CPUs few, so starvation is not a concern in practice.
//
// Holder tracking: each lock records a token naming the CPU that holds it,
// so that IsHeld() answers "held by the calling CPU" and the debug asserts
// catch a recursive acquire or a release by another CPU. In the kernel the
// token is TPIDR_EL1 (the CPU's PerCpu pointer; one instruction to read, 0
// before it is set in early boot). Elsewhere (host tests) it comes from a
// CPU-number hook installed with SetCpuIdHook(); without one IsHeld()
// answers "held by anyone". Acquire and Release are inline: they are on
// every kernel path (docs/performance.md).
#ifndef KERNEL_LIB_SPINLOCK_H_
#define KERNEL_LIB_SPINLOCK_H_

#include <stdint.h>

#include "kernel/lib/assert.h"

#include "kernel/lib/thread_annotations.h"

#if defined(_KERNEL) && defined(__aarch64__)
#define MICA_SPINLOCK_TPIDR_TOKEN 1
#endif

namespace mica {

class CAPABILITY("mutex") SpinLock {
 public:
  // Returns the number of the calling CPU. Must be callable with the lock
  // held and from any context the lock is used in.
  using CpuIdHook = uint32_t (*)();
  static constexpr uint32_t kNoHolder = 0xffffffffu;

  constexpr SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  // Spins until the lock is held by the caller. Not recursive.
  void Acquire() ACQUIRE() {
    // A CPU that takes a lock it already holds would spin forever: report
    // it instead (holder_ names this CPU only while it holds the lock).
    const uintptr_t me = CpuToken();
    MICA_DEBUG_ASSERT_MSG(me == 0 || __atomic_load_n(&holder_, __ATOMIC_RELAXED) != me,
                          "acquiring a SpinLock this CPU already holds");
    if (__atomic_exchange_n(&locked_, 1u, __ATOMIC_ACQUIRE) != 0) {
      AcquireContended();
    }
    __atomic_store_n(&holder_, me, __ATOMIC_RELAXED);
  }
  // Takes the lock only if it is free right now; true on success.
  bool TryAcquire() TRY_ACQUIRE(true);
  // Releases the lock, which the caller must hold.
  void Release() RELEASE() {
    MICA_DEBUG_ASSERT_MSG(__atomic_load_n(&locked_, __ATOMIC_RELAXED) != 0,
                          "releasing a SpinLock that is not held");
    // A release must come from the CPU that holds the lock: a second
    // release by another path would silently let two CPUs into the
    // critical section.
    MICA_DEBUG_ASSERT_MSG(__atomic_load_n(&holder_, __ATOMIC_RELAXED) == CpuToken(),
                          "releasing a SpinLock held by another CPU");
    __atomic_store_n(&holder_, uintptr_t{0}, __ATOMIC_RELAXED);
    // The store-release publishes the critical section to the next holder.
    __atomic_store_n(&locked_, 0u, __ATOMIC_RELEASE);
  }

  // True if the lock is held (by the calling CPU when CPUs can be told
  // apart).
  bool IsHeld() const;
  // Asserts (MICA_ASSERT) that IsHeld(); tells the analysis the lock is held.
  void AssertHeld() const ASSERT_CAPABILITY(this);

#ifndef MICA_SPINLOCK_TPIDR_TOKEN
  // The CPU recorded as holder, or kNoHolder (free, or no hook installed).
  uint32_t holder_cpu() const {
    uintptr_t t = __atomic_load_n(&holder_, __ATOMIC_RELAXED);
    return t == 0 ? kNoHolder : static_cast<uint32_t>(t - 1);
  }
  // Installs the CPU-number hook for all SpinLocks (host tests).
  static void SetCpuIdHook(CpuIdHook hook);
#endif

 private:
  // The calling CPU's token, 0 if CPUs cannot be told apart.
  static uintptr_t CpuToken() {
#ifdef MICA_SPINLOCK_TPIDR_TOKEN
    uintptr_t v;
    __asm__ volatile("mrs %0, tpidr_el1" : "=r"(v));
    return v;
#else
    return HookToken();
#endif
  }
#ifndef MICA_SPINLOCK_TPIDR_TOKEN
  static uintptr_t HookToken();
#endif
  // The exchange found the lock held: spin until it is ours.
  void AcquireContended();

  uint32_t locked_ = 0;   // 1 while held
  uintptr_t holder_ = 0;  // CpuToken() of the holder; 0 = none or unknown
};

// Guard<Lock>: holds `lock` from construction to destruction (or until an
// early Release()). Works with any class that has Acquire()/Release(), e.g.
// SpinLock or the kernel's IRQ-disabling variant.
//   Guard<SpinLock> guard(&lock_);
template <typename Lock>
class SCOPED_CAPABILITY Guard {
 public:
  explicit Guard(Lock* lock) ACQUIRE(lock) : lock_(lock) { lock_->Acquire(); }
  ~Guard() RELEASE() {
    if (lock_ != nullptr) {
      lock_->Release();
    }
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

  // Releases the lock before the end of the scope. The guard then does
  // nothing on destruction.
  void Release() RELEASE() {
    lock_->Release();
    lock_ = nullptr;
  }

 private:
  Lock* lock_;
};

}  // namespace mica

#endif  // KERNEL_LIB_SPINLOCK_H_
