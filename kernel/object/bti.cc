#include "kernel/object/bti.h"

#include <new>

#include "kernel/base/memory.h"
#include "kernel/lib/atomic.h"
#include "kernel/object/vmo.h"

namespace {

// Pages of quarantined PMTs, all BTIs (MICA_INFO_KMEM_STATS).
mica::Atomic<uint64_t> g_quarantined_pages(0);

}  // namespace

// ---- PmtDispatcher -----------------------------------------------------------

PmtDispatcher::PmtDispatcher(mica::RefPtr<BtiDispatcher> bti, uint64_t pages, uint64_t* pas)
    : Dispatcher(MICA_OBJ_TYPE_PMT, 0), bti_(mica::Move(bti)), page_count_(pages), pas_(pas) {}

PmtDispatcher::~PmtDispatcher() {
  // Every path out of kPinned/kQuarantined drops the pins first (steps 2-4).
  MICA_DEBUG_ASSERT(state_ == State::kUnpinned);
  if (pas_ != nullptr) {
    kmem::Free(pas_);
  }
}

void PmtDispatcher::DropPins() {
  VmoDispatcher::Unpin(pas_, first_pa_, page_count_);
}

void PmtDispatcher::OnZeroHandles() {
  bti_->Quarantine(this);
}

// ---- BtiDispatcher -----------------------------------------------------------

BtiDispatcher::BtiDispatcher()
    : Dispatcher(MICA_OBJ_TYPE_BTI, 0), ledger_(MICA_BTI_MAX_PAGES, MICA_BTI_MAX_PMTS) {}

BtiDispatcher::~BtiDispatcher() {
  // Quarantined PMTs hold the BTI: none can be left (step 4 emptied it).
  MICA_DEBUG_ASSERT(quarantine_.empty());
}

mica::Status BtiDispatcher::Create(mica::RefPtr<BtiDispatcher>* out) {
  mica::AllocChecker ac;
  auto* bti = new (ac) BtiDispatcher();
  if (!ac.check()) {
    return mica::Status::kNoMemory;
  }
  *out = mica::AdoptRef(bti);
  return mica::Status::kOk;
}

mica::Status BtiDispatcher::Pin(VmoDispatcher* vmo, uint64_t first, uint64_t pages, bool contiguous,
                                mica::RefPtr<PmtDispatcher>* out) {
  if (vmo->is_physical() || (contiguous && !vmo->is_contiguous())) {
    return mica::Status::kNotSupported;
  }
  // A contiguous VMO's pages are a run: no array to keep.
  uint64_t* pas = nullptr;
  if (!vmo->is_contiguous()) {
    pas = static_cast<uint64_t*>(kmem::Malloc(pages * sizeof(uint64_t)));
    if (pas == nullptr) {
      return mica::Status::kNoMemory;
    }
  }
  mica::AllocChecker ac;
  auto* raw = new (ac) PmtDispatcher(mica::RefPtr<BtiDispatcher>(this), pages, pas);
  if (!ac.check()) {
    if (pas != nullptr) {
      kmem::Free(pas);
    }
    return mica::Status::kNoMemory;
  }
  mica::RefPtr<PmtDispatcher> pmt = mica::AdoptRef(raw);  // kUnpinned until (1) is done
  {
    IrqGuard g(lock_);
    if (!ledger_.Reserve(pages)) {
      return mica::Status::kNoResources;
    }
  }
  uint64_t first_pa;
  mica::Status s = vmo->Pin(first, pages, pas, &first_pa);
  {
    IrqGuard g(lock_);
    if (s != mica::Status::kOk) {
      ledger_.Unpin(pages);
    } else {
      pmt->first_pa_ = first_pa;
      pmt->state_ = PmtDispatcher::State::kPinned;
    }
  }
  if (s == mica::Status::kOk) {
    *out = mica::Move(pmt);
  }
  return s;  // a PMT not handed out goes (kUnpinned) after the lock
}

void BtiDispatcher::Unpin(PmtDispatcher* pmt) {
  mica::RefPtr<PmtDispatcher> self;  // a quarantined PMT's own reference
  bool pinned = true;
  {
    IrqGuard g(lock_);
    switch (pmt->state_) {
      case PmtDispatcher::State::kPinned:
        ledger_.Unpin(pmt->page_count_);
        break;
      case PmtDispatcher::State::kQuarantined:
        quarantine_.remove(pmt);
        ledger_.Release(pmt->page_count_);
        g_quarantined_pages.fetch_sub(pmt->page_count_, mica::kRelaxed);
        self = mica::Move(pmt->self_);
        break;
      case PmtDispatcher::State::kUnpinned:
        pinned = false;
        break;
    }
    pmt->state_ = PmtDispatcher::State::kUnpinned;
  }
  if (pinned) {
    pmt->DropPins();
  }
}

void BtiDispatcher::Quarantine(PmtDispatcher* pmt) {
  {
    IrqGuard g(lock_);
    if (pmt->state_ != PmtDispatcher::State::kPinned) {
      return;  // unpinned already (pmt_unpin, or a failed bti_pin)
    }
    if (!closed_) {
      ledger_.Quarantine(pmt->page_count_);
      g_quarantined_pages.fetch_add(pmt->page_count_, mica::kRelaxed);
      pmt->state_ = PmtDispatcher::State::kQuarantined;
      pmt->self_ = mica::RefPtr<PmtDispatcher>(pmt);  // the caller holds one: not the last
      quarantine_.push_back(pmt);
      return;
    }
    ledger_.Unpin(pmt->page_count_);
    pmt->state_ = PmtDispatcher::State::kUnpinned;
  }
  pmt->DropPins();  // nobody holds the BTI: nobody could release it
}

void BtiDispatcher::TakeQuarantineLocked(PmtDispatcher::QuarantineList* out) {
  while (PmtDispatcher* pmt = quarantine_.pop_front()) {
    ledger_.Release(pmt->page_count_);
    g_quarantined_pages.fetch_sub(pmt->page_count_, mica::kRelaxed);
    pmt->state_ = PmtDispatcher::State::kUnpinned;
    out->push_back(pmt);
  }
}

// The PMTs taken out of a quarantine are kUnpinned and on no BTI list:
// nothing else touches them but their own last references.
void BtiDispatcher::DropAll(PmtDispatcher::QuarantineList* list) {
  while (PmtDispatcher* pmt = list->pop_front()) {
    pmt->DropPins();
    mica::RefPtr<PmtDispatcher> self = mica::Move(pmt->self_);  // may destroy it
  }
}

void BtiDispatcher::ReleaseQuarantine() {
  PmtDispatcher::QuarantineList released;
  {
    IrqGuard g(lock_);
    TakeQuarantineLocked(&released);
  }
  DropAll(&released);
}

void BtiDispatcher::OnZeroHandles() {
  PmtDispatcher::QuarantineList released;
  {
    IrqGuard g(lock_);
    closed_ = true;
    TakeQuarantineLocked(&released);
  }
  DropAll(&released);
}

mica_info_bti_t BtiDispatcher::Info() const {
  mica_info_bti_t info = {};
  IrqGuard g(lock_);
  info.pinned_pages = ledger_.pinned_pages();
  info.quarantined_pages = ledger_.quarantined_pages();
  info.pmt_count = ledger_.pinned_pmts();
  info.quarantine_count = ledger_.quarantined_pmts();
  return info;
}

uint64_t BtiDispatcher::QuarantinedPages() {
  return g_quarantined_pages.load(mica::kRelaxed);
}
