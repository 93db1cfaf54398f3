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
    uint64_t state = a->state_.load(mica::kRelaxed);
    uint64_t after;
    do {
      after = (state & kUsedMask) + bytes;
      if (after > a->limit()) {
        a->failures_.fetch_add(1, mica::kRelaxed);
        // Back out of the accounts below it; every one of them is open, so
        // none ends here.
        for (MemAccount* b = this; b != a; b = b->parent_) {
          uint64_t left = b->state_.fetch_sub(bytes, mica::kRelaxed) - bytes;
          MICA_ASSERT((left & kOpen) != 0);
        }
        return false;
      }
    } while (
        !a->state_.compare_exchange_weak(&state, state + bytes, mica::kRelaxed, mica::kRelaxed));
    uint64_t peak = a->peak_.load(mica::kRelaxed);
    while (after > peak &&
           !a->peak_.compare_exchange_weak(&peak, after, mica::kRelaxed, mica::kRelaxed)) {
    }
  }
  return true;
}

MemAccount* MemAccount::Uncharge(uint64_t bytes) {
  MemAccount* dead = nullptr;
  for (MemAccount* a = this; a != nullptr; a = a->parent_) {
    // Release: whatever the charge paid for is done with before the
    // account can be seen dead and freed.
    uint64_t before = a->state_.fetch_sub(bytes, mica::kAcqRel);
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
  uint64_t before = state_.fetch_and(~kOpen, mica::kAcqRel);
  MICA_ASSERT_MSG((before & kOpen) != 0, "closing an account twice");
  return before == kOpen ? this : nullptr;
}

}  // namespace mica
