// mica::Atomic<T>: the one atomic type of the kernel and its host-tested
// libraries. A field that another CPU (or an interrupt) reads or writes
// without the lock that guards its neighbours is an Atomic, never a
// `volatile` (which orders nothing) and never a plain field reached with raw
// __atomic builtins (which a later edit forgets to use). Every access names
// its memory order, as std::atomic's explicit forms do; there are no
// implicit conversions, so a plain read or write of an Atomic does not
// compile.
//
// It is the size and alignment of T and compiles to the same instructions
// as the builtins it wraps (T must be trivially copyable and at most 8
// bytes: lock-free on AArch64). constexpr-constructible, so an Atomic
// global is constant-initialised. mica::AtomicRef<T> gives the same
// operations on a plain T that must stay plain (see there), and
// mica::AtomicFence a fence.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mica {

enum class MemoryOrder : int {
  kRelaxed = __ATOMIC_RELAXED,
  kAcquire = __ATOMIC_ACQUIRE,
  kRelease = __ATOMIC_RELEASE,
  kAcqRel = __ATOMIC_ACQ_REL,
  kSeqCst = __ATOMIC_SEQ_CST,
};
inline constexpr MemoryOrder kRelaxed = MemoryOrder::kRelaxed;
inline constexpr MemoryOrder kAcquire = MemoryOrder::kAcquire;
inline constexpr MemoryOrder kRelease = MemoryOrder::kRelease;
inline constexpr MemoryOrder kAcqRel = MemoryOrder::kAcqRel;
inline constexpr MemoryOrder kSeqCst = MemoryOrder::kSeqCst;

// The operations, on a T in memory; Atomic<T> and AtomicRef<T> below are
// both written with them.
template <typename T>
class AtomicOps {
  static_assert(__is_trivially_copyable(T), "atomics need a trivially copyable T");
  static_assert(sizeof(T) <= 8 && (sizeof(T) & (sizeof(T) - 1)) == 0,
                "atomics are lock-free only for 1, 2, 4 and 8-byte T");

 public:
  [[gnu::always_inline]] T load(MemoryOrder order) const {
    return __atomic_load_n(ptr(), static_cast<int>(order));
  }
  [[gnu::always_inline]] void store(T value, MemoryOrder order) const {
    __atomic_store_n(ptr(), value, static_cast<int>(order));
  }
  [[gnu::always_inline]] T exchange(T value, MemoryOrder order) const {
    return __atomic_exchange_n(ptr(), value, static_cast<int>(order));
  }
  // On failure *expected is updated to the value found.
  [[gnu::always_inline]] bool compare_exchange_strong(T* expected, T desired, MemoryOrder success,
                                                      MemoryOrder failure) const {
    return __atomic_compare_exchange_n(ptr(), expected, desired, false, static_cast<int>(success),
                                       static_cast<int>(failure));
  }
  [[gnu::always_inline]] bool compare_exchange_weak(T* expected, T desired, MemoryOrder success,
                                                    MemoryOrder failure) const {
    return __atomic_compare_exchange_n(ptr(), expected, desired, true, static_cast<int>(success),
                                       static_cast<int>(failure));
  }
  // The read-modify-writes return the value before the operation.
  [[gnu::always_inline]] T fetch_add(T delta, MemoryOrder order) const {
    return __atomic_fetch_add(ptr(), delta, static_cast<int>(order));
  }
  [[gnu::always_inline]] T fetch_sub(T delta, MemoryOrder order) const {
    return __atomic_fetch_sub(ptr(), delta, static_cast<int>(order));
  }
  [[gnu::always_inline]] T fetch_or(T bits, MemoryOrder order) const {
    return __atomic_fetch_or(ptr(), bits, static_cast<int>(order));
  }
  [[gnu::always_inline]] T fetch_and(T bits, MemoryOrder order) const {
    return __atomic_fetch_and(ptr(), bits, static_cast<int>(order));
  }

 protected:
  constexpr explicit AtomicOps(T* p) : p_(p) {}
  T* ptr() const { return p_; }

 private:
  T* p_;
};

// An atomic object: a T that is only ever accessed atomically. Its
// operations are AtomicOps' on its own value (inline: the same
// instructions as the builtins).
template <typename T>
class Atomic {
 public:
  constexpr Atomic() : value_() {}
  constexpr explicit Atomic(T value) : value_(value) {}
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  [[gnu::always_inline]] T load(MemoryOrder order) const { return ops().load(order); }
  [[gnu::always_inline]] void store(T value, MemoryOrder order) { ops().store(value, order); }
  [[gnu::always_inline]] T exchange(T value, MemoryOrder order) {
    return ops().exchange(value, order);
  }
  [[gnu::always_inline]] bool compare_exchange_strong(T* expected, T desired, MemoryOrder success,
                                                      MemoryOrder failure) {
    return ops().compare_exchange_strong(expected, desired, success, failure);
  }
  [[gnu::always_inline]] bool compare_exchange_weak(T* expected, T desired, MemoryOrder success,
                                                    MemoryOrder failure) {
    return ops().compare_exchange_weak(expected, desired, success, failure);
  }
  [[gnu::always_inline]] T fetch_add(T delta, MemoryOrder order) {
    return ops().fetch_add(delta, order);
  }
  [[gnu::always_inline]] T fetch_sub(T delta, MemoryOrder order) {
    return ops().fetch_sub(delta, order);
  }
  [[gnu::always_inline]] T fetch_or(T bits, MemoryOrder order) {
    return ops().fetch_or(bits, order);
  }
  [[gnu::always_inline]] T fetch_and(T bits, MemoryOrder order) {
    return ops().fetch_and(bits, order);
  }

 private:
  struct Ops : AtomicOps<T> {
    constexpr explicit Ops(T* p) : AtomicOps<T>(p) {}
  };
  [[gnu::always_inline]] Ops ops() const { return Ops(const_cast<T*>(&value_)); }

  alignas(sizeof(T)) T value_;
};

// Atomic access to a plain T that is not an Atomic because something else
// needs it plain (C++20's std::atomic_ref): a word inline assembly also
// reaches (the spin lock's), or a multi-purpose metadata word only some of
// whose uses are atomic (a page's owner word, used as a share count by
// VMOs). Every concurrent access to the word must go through an AtomicRef.
template <typename T>
class AtomicRef : public AtomicOps<T> {
 public:
  // `value` must be aligned to its size (as every naturally aligned T is).
  [[gnu::always_inline]] explicit AtomicRef(T& value) : AtomicOps<T>(&value) {}
};

// A fence of the given order (__atomic_thread_fence).
[[gnu::always_inline]] inline void AtomicFence(MemoryOrder order) {
  __atomic_thread_fence(static_cast<int>(order));
}

static_assert(sizeof(Atomic<bool>) == 1 && sizeof(Atomic<uint64_t>) == 8 &&
              alignof(Atomic<uint64_t>) == 8);

}  // namespace mica
