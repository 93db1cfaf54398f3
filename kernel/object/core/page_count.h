// PageCount: the reference count of a VMO page, kept in the page's
// metadata owner word (kmem::PageOwnerWord), and the DMA pins on it.
//
// Contract:
// - The low 32 bits count the VMOs holding the page (copy-on-write clones
//   share a page: >1 means shared, DESIGN.md §4). The high 32 bits count
//   its pins (bti_pin, kernel/object/bti.h): one per PMT covering it. The
//   page is free to go back to the allocator exactly when the whole word
//   reaches 0: the last VMO hold or the last pin to go frees it, so a
//   pinned page outlives its VMO (a quarantined PMT keeps it) and no VMO
//   ever frees a page a device may still write.
// - Why a count per page and not a pinned-range list per VMO: it costs no
//   memory (the word exists for every page), survives the VMO's death
//   with no extra object, and gives the checks a VMO needs (resize,
//   decommit, clone refuse a pinned page) from the page itself, in the
//   walk over committed pages they make anyway.
// - Pins are only added under the lock of the one VMO holding the page
//   (a page is made private before its first pin, and a pinned page is
//   never shared again: clones refuse it), so the check against kMaxPins
//   and the add cannot race with another add. Holds and pins are dropped
//   without that lock (a PMT outlives its VMO): every access is atomic.
// - Once the word is 0 the page's owner may reuse it (VmoDispatcher::SetSize
//   links freed pages through it); nothing here reads it then.
#pragma once

#include <stdint.h>

#include "kernel/lib/atomic.h"

namespace mica::core {

class PageCount {
 public:
  static constexpr uintptr_t kHold = 1;
  static constexpr uintptr_t kPin = uintptr_t{1} << 32;
  static constexpr uintptr_t kHoldMask = kPin - 1;
  // The most pins one page takes (Pin refuses more).
  static constexpr uintptr_t kMaxPins = uintptr_t{1} << 31;

  // A fresh page, held by one VMO, not pinned.
  static void Adopt(uintptr_t& word) { AtomicRef<uintptr_t>(word).store(kHold, kRelease); }
  // One more VMO holds the page (a clone shares it).
  static void Share(uintptr_t& word) { AtomicRef<uintptr_t>(word).fetch_add(kHold, kRelaxed); }
  // True if more than one VMO holds the page.
  static bool Shared(uintptr_t& word) {
    return (AtomicRef<uintptr_t>(word).load(kAcquire) & kHoldMask) > 1;
  }
  static bool Pinned(uintptr_t& word) { return AtomicRef<uintptr_t>(word).load(kAcquire) >= kPin; }
  // Drops one VMO's hold. True if nothing holds or pins the page any more:
  // the caller frees it.
  [[nodiscard]] static bool Release(uintptr_t& word) {
    return AtomicRef<uintptr_t>(word).fetch_sub(kHold, kAcqRel) == kHold;
  }
  // Adds a pin (under the holding VMO's lock, see above). False, with
  // nothing changed, if the page has kMaxPins already.
  [[nodiscard]] static bool Pin(uintptr_t& word) {
    AtomicRef<uintptr_t> w(word);
    if ((w.load(kRelaxed) >> 32) >= kMaxPins) {
      return false;
    }
    w.fetch_add(kPin, kAcqRel);
    return true;
  }
  // Drops a pin. True if nothing holds or pins the page any more: the
  // caller frees it.
  [[nodiscard]] static bool Unpin(uintptr_t& word) {
    return AtomicRef<uintptr_t>(word).fetch_sub(kPin, kAcqRel) == kPin;
  }
  // The counts, for tests and assertions.
  static uint32_t Holds(uintptr_t& word) {
    return static_cast<uint32_t>(AtomicRef<uintptr_t>(word).load(kRelaxed) & kHoldMask);
  }
  static uint32_t Pins(uintptr_t& word) {
    return static_cast<uint32_t>(AtomicRef<uintptr_t>(word).load(kRelaxed) >> 32);
  }
};

}  // namespace mica::core
