// Interrupt-safe spin lock: disables IRQs on this CPU while held, so it may
// be taken from interrupt handlers. Built on mica::SpinLock (kernel/lib).
#pragma once

#include "kernel/arch/arm64/arch.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/thread_annotations.h"

class CAPABILITY("mutex") IrqSpinLock {
 public:
  // Returns the previous interrupt mask, to hand back to Release.
  uint64_t Acquire() ACQUIRE() {
    uint64_t state = arch::SaveDisableIrqs();
    lock_.Acquire();
    return state;
  }
  void Release(uint64_t state) RELEASE() {
    lock_.Release();
    arch::RestoreIrqs(state);
  }
  // For the panic path: give up after `spins` attempts.
  bool TryAcquireFor(int spins, uint64_t* state) TRY_ACQUIRE(true) {
    *state = arch::SaveDisableIrqs();
    for (int i = 0; i < spins; i++) {
      if (lock_.TryAcquire()) {
        return true;
      }
      arch::Yield();
    }
    arch::RestoreIrqs(*state);
    return false;
  }
  // The raw lock, for code that already runs with IRQs off.
  mica::SpinLock& raw() RETURN_CAPABILITY(this) { return lock_; }

 private:
  mica::SpinLock lock_;
};

// The same, with the Acquire()/Release() interface of mica::SpinLock, for
// code shared with host tests that is written against that interface
// (Guard<Lock>): the interrupt mask saved by Acquire is kept in the lock,
// written and read only by its holder.
class CAPABILITY("mutex") IrqSavingSpinLock {
 public:
  void Acquire() ACQUIRE() {
    uint64_t state = arch::SaveDisableIrqs();
    lock_.Acquire();
    saved_ = state;
  }
  void Release() RELEASE() {
    uint64_t state = saved_;
    lock_.Release();
    arch::RestoreIrqs(state);
  }

 private:
  mica::SpinLock lock_;
  uint64_t saved_ = 0;
};

class SCOPED_CAPABILITY IrqGuard {
 public:
  explicit IrqGuard(IrqSpinLock& lock) ACQUIRE(lock) : lock_(lock), state_(lock.Acquire()) {}
  ~IrqGuard() RELEASE() { lock_.Release(state_); }
  IrqGuard(const IrqGuard&) = delete;
  IrqGuard& operator=(const IrqGuard&) = delete;

 private:
  IrqSpinLock& lock_;
  uint64_t state_;
};
