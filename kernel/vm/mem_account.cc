#include "kernel/vm/mem_account.h"

#include "kernel/lib/assert.h"

namespace mica {

bool MemAccount::Charge(uint64_t bytes) {
  if (bytes > kMaxCharge) {
    return false;
  }
  for (MemAccount* a = this; a != nullptr; a = a->parent_) {
    // A compare-and-swap, so that even for a moment no account holds more
    // than its limit (and a racing charge is never refused for bytes that
    // are not going to stay).
    uint64_t state = __atomic_load_n(&a->state_, __ATOMIC_RELAXED);
    uint64_t after;
    do {
      after = (state & kUsedMask) + bytes;
      if (after > a->limit()) {
        __atomic_fetch_add(&a->failures_, 1, __ATOMIC_RELAXED);
        // Back out of the accounts below it; every one of them is open, so
        // none ends here.
        for (MemAccount* b = this; b != a; b = b->parent_) {
          uint64_t left = __atomic_sub_fetch(&b->state_, bytes, __ATOMIC_RELAXED);
          MICA_ASSERT((left & kOpen) != 0);
        }
        return false;
      }
    } while (!__atomic_compare_exchange_n(&a->state_, &state, state + bytes, /*weak=*/true,
                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    uint64_t peak = __atomic_load_n(&a->peak_, __ATOMIC_RELAXED);
    while (after > peak && !__atomic_compare_exchange_n(&a->peak_, &peak, after, /*weak=*/true,
                                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
  }
  return true;
}

MemAccount* MemAccount::Uncharge(uint64_t bytes) {
  MemAccount* dead = nullptr;
  for (MemAccount* a = this; a != nullptr; a = a->parent_) {
    // Release: whatever the charge paid for is done with before the
    // account can be seen dead and freed.
    uint64_t before = __atomic_fetch_sub(&a->state_, bytes, __ATOMIC_ACQ_REL);
    MICA_ASSERT_MSG((before & kUsedMask) >= bytes, "uncharging more than was charged");
    if (before == bytes) {
      // Its parent still holds its size, so nothing above ends too.
      MICA_ASSERT_MSG(dead == nullptr, "an account ended with one below it");
      dead = a;
    }
  }
  return dead;
}

MemAccount* MemAccount::Close() {
  uint64_t before = __atomic_fetch_and(&state_, ~kOpen, __ATOMIC_ACQ_REL);
  MICA_ASSERT_MSG((before & kOpen) != 0, "closing an account twice");
  return before == kOpen ? this : nullptr;
}

}  // namespace mica
