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
// Holder tracking: if the kernel installs a CPU-number hook with
// SpinLock::SetCpuIdHook(), each lock records the CPU that holds it, and
// IsHeld() answers "held by the calling CPU". Without a hook (host tests,
// early boot) IsHeld() answers "held by anyone".
#ifndef KERNEL_LIB_SPINLOCK_H_
#define KERNEL_LIB_SPINLOCK_H_

#include <stdint.h>

#include "kernel/lib/thread_annotations.h"

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
  void Acquire() ACQUIRE();
  // Takes the lock only if it is free right now; true on success.
  bool TryAcquire() TRY_ACQUIRE(true);
  // Releases the lock, which the caller must hold.
  void Release() RELEASE();

  // True if the lock is held (by the calling CPU when a CPU hook is set).
  bool IsHeld() const;
  // Asserts (MICA_ASSERT) that IsHeld(); tells the analysis the lock is held.
  void AssertHeld() const ASSERT_CAPABILITY(this);
  // The CPU recorded as holder, or kNoHolder (free, or no hook installed).
  uint32_t holder_cpu() const { return __atomic_load_n(&holder_cpu_, __ATOMIC_RELAXED); }

  // Installs the CPU-number hook for all SpinLocks (once, at boot).
  static void SetCpuIdHook(CpuIdHook hook);

 private:
  uint32_t locked_ = 0;  // 1 while held
  uint32_t holder_cpu_ = kNoHolder;
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
