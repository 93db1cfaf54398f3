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
// global is constant-initialised.
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

template <typename T>
class Atomic {
  static_assert(__is_trivially_copyable(T), "Atomic<T> needs a trivially copyable T");
  static_assert(sizeof(T) <= 8 && (sizeof(T) & (sizeof(T) - 1)) == 0,
                "Atomic<T> is lock-free only for 1, 2, 4 and 8-byte T");

 public:
  constexpr Atomic() : value_() {}
  constexpr explicit Atomic(T value) : value_(value) {}
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  [[gnu::always_inline]] T load(MemoryOrder order) const {
    return __atomic_load_n(&value_, static_cast<int>(order));
  }
  [[gnu::always_inline]] void store(T value, MemoryOrder order) {
    __atomic_store_n(&value_, value, static_cast<int>(order));
  }
  [[gnu::always_inline]] T exchange(T value, MemoryOrder order) {
    return __atomic_exchange_n(&value_, value, static_cast<int>(order));
  }
  // On failure *expected is updated to the value found.
  [[gnu::always_inline]] bool compare_exchange_strong(T* expected, T desired, MemoryOrder success,
                                                      MemoryOrder failure) {
    return __atomic_compare_exchange_n(&value_, expected, desired, false, static_cast<int>(success),
                                       static_cast<int>(failure));
  }
  [[gnu::always_inline]] bool compare_exchange_weak(T* expected, T desired, MemoryOrder success,
                                                    MemoryOrder failure) {
    return __atomic_compare_exchange_n(&value_, expected, desired, true, static_cast<int>(success),
                                       static_cast<int>(failure));
  }
  // The read-modify-writes return the value before the operation.
  [[gnu::always_inline]] T fetch_add(T delta, MemoryOrder order) {
    return __atomic_fetch_add(&value_, delta, static_cast<int>(order));
  }
  [[gnu::always_inline]] T fetch_sub(T delta, MemoryOrder order) {
    return __atomic_fetch_sub(&value_, delta, static_cast<int>(order));
  }
  [[gnu::always_inline]] T fetch_or(T bits, MemoryOrder order) {
    return __atomic_fetch_or(&value_, bits, static_cast<int>(order));
  }
  [[gnu::always_inline]] T fetch_and(T bits, MemoryOrder order) {
    return __atomic_fetch_and(&value_, bits, static_cast<int>(order));
  }

 private:
  alignas(sizeof(T)) T value_;
};

static_assert(sizeof(Atomic<bool>) == 1 && sizeof(Atomic<uint64_t>) == 8 &&
              alignof(Atomic<uint64_t>) == 8);

}  // namespace mica
