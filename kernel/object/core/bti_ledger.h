// BtiLedger: what one BTI holds (kernel/object/bti.h), and its limits.
//
// Contract:
// - A PMT is counted in exactly one of two groups: pinned (it has a
//   handle) or quarantined (its handle closed without pmt_unpin). Reserve
//   adds a new PMT to the pinned group; Unpin takes one out of it;
//   Quarantine moves one to the quarantined group; Release takes one out
//   of that.
// - The limits apply to both groups together: a pinned PMT can be
//   quarantined at any moment (its process dies), so only a bound on both
//   bounds the quarantine, which no handle names and no process death
//   frees. Reserve refuses (false, nothing changed) a PMT that would take
//   the pages past max_pages or the PMTs past max_pmts.
// - Every other call must match an earlier Reserve/Quarantine of the same
//   page count (asserted in debug builds): the counts never go negative.
// - No locking: the owner (the BTI) serialises every call under its lock.
#pragma once

#include <stdint.h>

#include "kernel/lib/assert.h"

namespace mica::core {

class BtiLedger {
 public:
  constexpr BtiLedger(uint64_t max_pages, uint32_t max_pmts)
      : max_pages_(max_pages), max_pmts_(max_pmts) {}

  [[nodiscard]] bool Reserve(uint64_t pages) {
    uint64_t held = pinned_pages_ + quarantined_pages_;
    if (pages > max_pages_ || held > max_pages_ - pages ||
        pinned_pmts_ + quarantined_pmts_ >= max_pmts_) {
      return false;
    }
    pinned_pages_ += pages;
    pinned_pmts_++;
    return true;
  }
  void Unpin(uint64_t pages) {
    MICA_DEBUG_ASSERT(pinned_pmts_ > 0 && pinned_pages_ >= pages);
    pinned_pages_ -= pages;
    pinned_pmts_--;
  }
  void Quarantine(uint64_t pages) {
    Unpin(pages);
    quarantined_pages_ += pages;
    quarantined_pmts_++;
  }
  void Release(uint64_t pages) {
    MICA_DEBUG_ASSERT(quarantined_pmts_ > 0 && quarantined_pages_ >= pages);
    quarantined_pages_ -= pages;
    quarantined_pmts_--;
  }

  uint64_t pinned_pages() const { return pinned_pages_; }
  uint64_t quarantined_pages() const { return quarantined_pages_; }
  uint32_t pinned_pmts() const { return pinned_pmts_; }
  uint32_t quarantined_pmts() const { return quarantined_pmts_; }

 private:
  const uint64_t max_pages_;
  const uint32_t max_pmts_;
  uint64_t pinned_pages_ = 0;
  uint64_t quarantined_pages_ = 0;
  uint32_t pinned_pmts_ = 0;
  uint32_t quarantined_pmts_ = 0;
};

}  // namespace mica::core
