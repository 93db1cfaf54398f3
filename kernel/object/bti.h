// BTIs and PMTs: direct memory access without an IOMMU (syscalls.mica
// section DMA, docs/kernel.md "DMA: BTIs, PMTs and the quarantine"). The
// model is Zircon's: a bus transaction initiator per device, pinned memory
// tokens from bti_pin, and a quarantine for the pins of a driver that died.
//
// Contract:
// - A BtiDispatcher is one device's DMA identity. Pin pins a range of a
//   VMO (VmoDispatcher::Pin) and returns a PmtDispatcher holding the pins:
//   the pages' addresses and one pin on each page (core/page_count.h),
//   not the VMO. The VMO may die; its pinned pages stay until unpinned.
// - A PMT is in one of three states, changed only under its BTI's lock:
//   kPinned (it has its one handle; PMTs cannot be duplicated or sent),
//   kQuarantined (its handle closed without pmt_unpin: the BTI keeps it on
//   its quarantine list), kUnpinned (its pins are dropped; final). Steps:
//   (1) Pin: the BTI's ledger reserves the pages (core/bti_ledger.h: one
//       BTI holds at most MICA_BTI_MAX_PAGES pages and MICA_BTI_MAX_PMTS
//       PMTs, pinned and quarantined together), then the VMO pins them;
//       on failure the reservation is returned and nothing stays pinned.
//   (2) Unpin (pmt_unpin, or a bti_pin that fails after (1)): kPinned or
//       kQuarantined -> kUnpinned.
//   (3) The PMT's last handle goes while kPinned: -> kQuarantined, or,
//       if the BTI has no handle left (4), straight to kUnpinned.
//   (4) ReleaseQuarantine (bti_release_quarantine) and the BTI's last
//       handle going: every quarantined PMT -> kUnpinned; after the
//       latter, (3) quarantines nothing (nobody could release it).
// - References: a PMT holds its BTI; a quarantined PMT holds itself
//   (self_), dropped when it leaves the quarantine, so the PMT -> BTI
//   cycle ends at (4) at the latest, and the list owns nothing.
// - Quarantined pages are counted system-wide (QuarantinedPages(), read by
//   MICA_INFO_KMEM_STATS) and per BTI (Info, MICA_INFO_BTI).
//
// Lock order: a BTI's lock is a leaf (list and ledger updates only); the
// VMO's lock is never held with it, and pins are dropped (pages freed)
// after it is released.
#pragma once

#include "kernel/lib/list.h"
#include "kernel/object/core/bti_ledger.h"
#include "kernel/object/dispatcher.h"

class BtiDispatcher;
class VmoDispatcher;

class PmtDispatcher final : public Dispatcher {
 public:
  ~PmtDispatcher() override;
  mica_rights_t default_rights() const override { return MICA_DEFAULT_PMT_RIGHTS; }

  BtiDispatcher* bti() const { return bti_.get(); }
  uint64_t page_count() const { return page_count_; }
  // The device address of page `i` (< page_count()): without an IOMMU,
  // its physical address.
  uint64_t PageAddress(uint64_t i) const {
    return pas_ != nullptr ? pas_[i] : first_pa_ + i * MICA_PAGE_SIZE;
  }

 private:
  friend class BtiDispatcher;
  enum class State : uint8_t { kPinned, kQuarantined, kUnpinned };
  // `pas`: a heap array of `pages` addresses the PMT owns, or null for a
  // run from first_pa_ (a contiguous VMO).
  PmtDispatcher(mica::RefPtr<BtiDispatcher> bti, uint64_t pages, uint64_t* pas);
  void OnZeroHandles() override;  // step (3)
  // Drops one pin per page (step 2, 3 or 4), after the BTI's lock.
  void DropPins();

  const mica::RefPtr<BtiDispatcher> bti_;
  const uint64_t page_count_;
  uint64_t* const pas_;
  uint64_t first_pa_ = 0;  // set by Pin before the PMT is published
  // Guarded by bti_'s lock (another object's, which the analysis cannot
  // name here: every access is in a BtiDispatcher method holding it).
  State state_ = State::kUnpinned;  // kPinned once (1) succeeded
  mica::ListNode quarantine_node_;
  mica::RefPtr<PmtDispatcher> self_;  // while kQuarantined

 public:
  using QuarantineList = mica::List<PmtDispatcher, &PmtDispatcher::quarantine_node_>;
};

class BtiDispatcher final : public Dispatcher {
 public:
  // bti_create (the caller checked the resource). kNoMemory.
  static mica::Status Create(mica::RefPtr<BtiDispatcher>* out);
  ~BtiDispatcher() override;
  mica_rights_t default_rights() const override { return MICA_DEFAULT_BTI_RIGHTS; }

  // bti_pin after the handle and argument checks (step 1): pins `pages`
  // pages of `vmo` from page index `first`. `contiguous`: the VMO must be
  // contiguous (kNotSupported). kNotSupported for a physical VMO,
  // kNoResources past the BTI's limits, VmoDispatcher::Pin's errors.
  mica::Status Pin(VmoDispatcher* vmo, uint64_t first, uint64_t pages, bool contiguous,
                   mica::RefPtr<PmtDispatcher>* out);
  // Step (2): `pmt` (one of this BTI's) is unpinned, whatever its state.
  void Unpin(PmtDispatcher* pmt);
  // Step (4), bti_release_quarantine.
  void ReleaseQuarantine();
  mica_info_bti_t Info() const;
  // Pages held by quarantined PMTs of every BTI.
  static uint64_t QuarantinedPages();

 private:
  friend class PmtDispatcher;
  BtiDispatcher();
  void Quarantine(PmtDispatcher* pmt);  // step (3)
  void OnZeroHandles() override;        // step (4)
  // Empties the quarantine (the caller holds the lock) into `out`.
  void TakeQuarantineLocked(PmtDispatcher::QuarantineList* out) REQUIRES(lock_);
  static void DropAll(PmtDispatcher::QuarantineList* list);

  mica::core::BtiLedger ledger_ GUARDED_BY(lock_);
  PmtDispatcher::QuarantineList quarantine_ GUARDED_BY(lock_);
  bool closed_ GUARDED_BY(lock_) = false;  // the last handle went
};
