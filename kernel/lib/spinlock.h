// SpinLock: a test-and-test-and-set lock, and Guard<Lock>: its scoped
// holder.
//
// The lock is one word, non-zero while held (the holder's value, below).
// Acquire compares-and-swaps it from 0 (acquire order) and, while that
// finds it held, spins reading the word until it looks free; Release
// stores 0 (release order). It is not FIFO-fair, on purpose: Mica's
// CPUs are often virtual (QEMU runs each vCPU as a host thread, and the test
// machines run 4 vCPUs on 2 host cores). With a ticket lock, a waiter whose
// vCPU is descheduled when its turn comes keeps the lock idle for a whole
// host time slice while every other CPU spins behind it; core-tests' stress
// cases took 10-45 s instead of 0.1 s that way. Any running waiter takes a
// test-and-set lock as soon as it is free (Linux falls back to the same lock
// in guests for the same reason: virt_spin_lock). Kernel critical sections
// are short and CPUs few, so starvation is not a concern in practice.
//
// Holder tracking: the lock word itself names the CPU that holds it (as
// Zircon's spin locks do): 0 while free, else the holder's CPU token with
// bit 0 set. So IsHeld() answers "held by the calling CPU", and the debug
// asserts catch a release by another CPU (the word is read anyway) and a
// recursive acquire, which is checked only once the compare-and-swap has
// found the lock taken, off the uncontended path. In the kernel the token is
// TPIDR_EL1 (the CPU's PerCpu pointer, 8-byte aligned; one instruction to
// read, 0 before it is set in early boot). Elsewhere (host tests) it comes
// from a CPU-number hook installed with SetCpuIdHook(); without one
// IsHeld() answers "held by anyone". Acquire and Release are inline: they
// are on every kernel path (docs/performance.md).
#pragma once

#include <stdint.h>

#include "kernel/lib/assert.h"
#include "kernel/lib/atomic.h"

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

  // Spins until the lock is held by the caller. Not recursive: a CPU that
  // takes a lock it already holds would spin forever, so that is reported
  // (AcquireContended) instead.
  void Acquire() ACQUIRE() {
    // A compare-and-swap, not an exchange: a waiter must not overwrite
    // the holder's value.
    const uintptr_t mine = LockValue();
    uintptr_t old = 0;
#ifdef __aarch64__
    // The same, without the success flag the builtin materializes: load-
    // acquire exclusive, give up if taken, else store exclusive (retried
    // if the reservation was lost).
    uint32_t lost;
    __asm__ volatile(
        "1: ldaxr %[old], [%[word]]\n"
        "   cbnz %[old], 2f\n"
        "   stxr %w[lost], %[mine], [%[word]]\n"
        "   cbnz %w[lost], 1b\n"
        "2:\n"
        : [old] "=&r"(old), [lost] "=&r"(lost)
        : [word] "r"(&word_), [mine] "r"(mine)
        : "memory");
    if (old != 0) {
      AcquireContended(mine, old);
    }
#else
    if (!mica::AtomicRef<uintptr_t>(word_).compare_exchange_strong(&old, mine, mica::kAcquire,
                                                                   mica::kRelaxed)) {
      AcquireContended(mine, old);
    }
#endif
  }
  // Takes the lock only if it is free right now; true on success.
  bool TryAcquire() TRY_ACQUIRE(true);
  // Releases the lock, which the caller must hold.
  void Release() RELEASE() {
    // A release must come from the CPU that holds the lock: a second
    // release by another path would silently let two CPUs into the
    // critical section.
    const uintptr_t word = mica::AtomicRef<uintptr_t>(word_).load(mica::kRelaxed);
    if (MICA_DEBUG_ASSERTS && word != LockValue()) {
      ReleaseMismatch(word);
    }
    // The store-release publishes the critical section to the next holder.
    mica::AtomicRef<uintptr_t>(word_).store(0, mica::kRelease);
  }

  // True if the lock is held (by the calling CPU when CPUs can be told
  // apart).
  bool IsHeld() const;
  // Asserts (MICA_ASSERT) that IsHeld(); tells the analysis the lock is held.
  void AssertHeld() const ASSERT_CAPABILITY(this);

#ifndef MICA_SPINLOCK_TPIDR_TOKEN
  // The CPU recorded as holder, or kNoHolder (free, or no hook installed).
  uint32_t holder_cpu() const {
    uintptr_t t = mica::AtomicRef<const uintptr_t>(word_).load(mica::kRelaxed) & ~uintptr_t{1};
    return t == 0 ? kNoHolder : static_cast<uint32_t>((t >> 1) - 1);
  }
  // Installs the CPU-number hook for all SpinLocks (host tests).
  static void SetCpuIdHook(CpuIdHook hook);
#endif

 private:
  // The calling CPU's token: even, and 0 if CPUs cannot be told apart.
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
  // The word while the calling CPU holds the lock (never 0).
  static uintptr_t LockValue() {
    return CpuToken() | 1;
  }
  // The compare-and-swap found the lock held (`old`): reports a recursive
  // acquire, else spins until the lock is ours.
  void AcquireContended(uintptr_t mine, uintptr_t old);
  // Release found `word` instead of the caller's LockValue(): asserts.
  [[noreturn, gnu::cold, gnu::noinline]] static void ReleaseMismatch(uintptr_t word);

  // 0 = free, else the holder's LockValue(). Not a mica::Atomic: Acquire's
  // inline assembly (LDAXR/STXR) takes its address, so it stays a plain
  // word that every C++ access reaches through a mica::AtomicRef.
  uintptr_t word_ = 0;
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
