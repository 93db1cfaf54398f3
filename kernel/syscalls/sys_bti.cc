// DMA: BTIs and PMTs (syscalls.mica section DMA, kernel/object/bti.h).
#include "kernel/object/bti.h"

#include "kernel/arch/arm64/arch.h"
#include "kernel/object/resource.h"
#include "kernel/object/vmo.h"
#include "kernel/syscalls/sys_common.h"

mica::Status sys_bti_create(mica_handle_t resource, uint32_t options,
                            user_out_ptr<mica_handle_t> out) {
  mica::RefPtr<ResourceDispatcher> r =
      TRY(Process::Current()->GetObject<ResourceDispatcher>(resource, MICA_RIGHT_MANAGE_RESOURCE));
  if (options != 0) {
    return mica::Status::kInvalidArgs;
  }
  if (!r->GrantsMmio()) {
    return mica::Status::kAccessDenied;
  }
  mica::RefPtr<BtiDispatcher> bti;
  TRY(BtiDispatcher::Create(&bti));
  return AddAndCopyOut(Process::Current(), mica::Move(bti), MICA_DEFAULT_BTI_RIGHTS, out);
}

namespace {

// bti_pin's argument checks once both handles resolved: the page count, or
// kInvalidArgs / kAccessDenied / kOutOfRange as syscalls.mica lists them.
mica::Result<uint64_t> CheckPin(uint32_t options, mica_rights_t vmo_rights, uint64_t vmo_size,
                                uint64_t offset, uint64_t size, size_t addrs_count) {
  constexpr uint32_t kPerms = MICA_BTI_PERM_READ | MICA_BTI_PERM_WRITE;
  if ((options & ~(kPerms | MICA_BTI_CONTIGUOUS)) != 0 || (options & kPerms) == 0 || size == 0 ||
      ((offset | size) & (arch::kPageSize - 1)) != 0) {
    return mica::Status::kInvalidArgs;
  }
  mica_rights_t need = ((options & MICA_BTI_PERM_READ) ? MICA_RIGHT_READ : 0) |
                       ((options & MICA_BTI_PERM_WRITE) ? MICA_RIGHT_WRITE : 0);
  if ((vmo_rights & need) != need) {
    return mica::Status::kAccessDenied;
  }
  uint64_t pages = size / arch::kPageSize;
  if (pages > MICA_BTI_MAX_PIN_PAGES || offset + size < offset || offset + size > vmo_size) {
    return mica::Status::kOutOfRange;
  }
  if (addrs_count != ((options & MICA_BTI_CONTIGUOUS) ? 1 : pages)) {
    return mica::Status::kInvalidArgs;
  }
  return pages;
}

// Writes the PMT's device addresses: one per page, or the first only
// (`one`). A run is computed 64 addresses at a time; an array is copied
// as it is (at most MICA_BTI_MAX_PIN_PAGES words).
mica::Status CopyAddrs(const PmtDispatcher& pmt, bool one, user_out_ptr<uint64_t> addrs) {
  uint64_t n = one ? 1 : pmt.page_count();
  uint64_t chunk[64];
  for (uint64_t done = 0; done < n;) {
    uint64_t k = n - done < 64 ? n - done : 64;
    for (uint64_t i = 0; i < k; i++) {
      chunk[i] = pmt.PageAddress(done + i);
    }
    user_out_ptr<uint64_t> part(addrs.addr() + done * sizeof(uint64_t));
    TRY(part.copy_array_to_user(chunk, k));
    done += k;
  }
  return mica::Status::kOk;
}

}  // namespace

mica::Status sys_bti_pin(mica_handle_t bti, uint32_t options, mica_handle_t vmo, uint64_t offset,
                         uint64_t size, user_out_ptr<uint64_t> addrs, size_t addrs_count,
                         user_out_ptr<mica_handle_t> out) {
  Process* p = Process::Current();
  mica::RefPtr<BtiDispatcher> b = TRY(p->GetObject<BtiDispatcher>(bti, MICA_RIGHT_MAP));
  mica_rights_t vmo_rights;
  mica::RefPtr<VmoDispatcher> v =
      TRY(p->GetObject<VmoDispatcher>(vmo, MICA_RIGHT_MAP, &vmo_rights));
  uint64_t pages = TRY(CheckPin(options, vmo_rights, v->size(), offset, size, addrs_count));
  mica::RefPtr<PmtDispatcher> pmt;
  TRY(b->Pin(v.get(), offset / arch::kPageSize, pages, (options & MICA_BTI_CONTIGUOUS) != 0, &pmt));
  mica::Status s = CopyAddrs(*pmt, (options & MICA_BTI_CONTIGUOUS) != 0, addrs);
  if (s == mica::Status::kOk) {
    // A handle closed again (the copy faulted) quarantines the PMT; the
    // Unpin below takes it out again.
    s = AddAndCopyOut(p, pmt, MICA_DEFAULT_PMT_RIGHTS, out);
  }
  if (s != mica::Status::kOk) {
    b->Unpin(pmt.get());  // nothing stays pinned
  }
  return s;
}

mica::Status sys_pmt_unpin(mica_handle_t pmt) {
  Process* p = Process::Current();
  mica::RefPtr<PmtDispatcher> t = TRY(p->GetObject<PmtDispatcher>(pmt, MICA_RIGHT_NONE));
  // Unpinned first, so that closing the handle does not quarantine it.
  t->bti()->Unpin(t.get());
  return p->CloseHandle(pmt);
}

mica::Status sys_bti_release_quarantine(mica_handle_t bti) {
  mica::RefPtr<BtiDispatcher> b =
      TRY(Process::Current()->GetObject<BtiDispatcher>(bti, MICA_RIGHT_WRITE));
  b->ReleaseQuarantine();
  return mica::Status::kOk;
}
