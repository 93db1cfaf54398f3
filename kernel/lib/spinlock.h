// SpinLock: a fair ticket lock, and Guard<Lock>: its scoped holder.
//
// The lock is two 32-bit counters: `next_` (the next ticket to hand out) and
// `serving_` (the ticket that owns the lock). Acquire takes a ticket with an
// atomic fetch-add and spins until `serving_` reaches it (load-acquire);
// Release advances `serving_` with a store-release. Waiters are served in
// FIFO order. Invariant: serving_ <= next_ (mod 2^32), and the lock is free
// exactly when serving_ == next_.
//
// This lock does not touch interrupts or preemption: the kernel wraps it in
// an IRQ-disabling variant in arch code. Code shared with host tests (Pmm,
// Heap) uses it directly.
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
  uint32_t next_ = 0;
  uint32_t serving_ = 0;
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
