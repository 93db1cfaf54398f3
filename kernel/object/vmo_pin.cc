// VMO pages pinned for DMA (bti_pin, kernel/object/bti.h) and decommit.
// The pins are counted per page in its owner word
// (kernel/object/core/page_count.h, which says why): pinning a page
// makes it the VMO's own and counts one pin; a page is freed when its last
// VMO hold and its last pin are both gone, in either order.
#include <string.h>

#include "kernel/arch/arm64/arch.h"
#include "kernel/base/memory.h"
#include "kernel/lib/result.h"
#include "kernel/object/core/page_count.h"
#include "kernel/object/vmo.h"

using mica::core::PageCount;

bool VmoDispatcher::AnyPinnedLocked(uint64_t first, uint64_t end) {
  uint64_t index = first, pa;
  while (pages_.Next(index, end, &index, &pa)) {
    if (PageCount::Pinned(*kmem::PageOwnerWord(pa))) {
      return true;
    }
    index++;
  }
  return false;
}

mica::Status VmoDispatcher::PinPage(uint64_t index, uint64_t* pa) {
  IrqGuard g(lock_);
  if (index >= page_count_) {
    return mica::Status::kOutOfRange;  // shrunk meanwhile
  }
  // Committed and not shared: a shared page is copied (and unmapped from
  // our mappings, which fault again) as a write would. It then stays ours
  // alone: CreateChild refuses a pinned page.
  TRY(WritablePageLocked(index, pa));
  if (!PageCount::Pin(*kmem::PageOwnerWord(*pa))) {
    return mica::Status::kNoResources;
  }
  return mica::Status::kOk;
}

mica::Status VmoDispatcher::Pin(uint64_t first, uint64_t count, uint64_t* pas, uint64_t* first_pa) {
  if (kind_ == Kind::kPhysical) {
    return mica::Status::kNotSupported;  // device memory: nothing to pin
  }
  uint64_t base = 0;
  for (uint64_t i = 0; i < count; i++) {
    uint64_t pa;
    mica::Status s = PinPage(first + i, &pa);
    if (s != mica::Status::kOk) {
      Unpin(pas, base, i);
      return s;
    }
    if (i == 0) {
      base = pa;
    }
    if (pas != nullptr) {
      pas[i] = pa;
    }
  }
  *first_pa = base;
  return mica::Status::kOk;
}

void VmoDispatcher::Unpin(const uint64_t* pas, uint64_t first_pa, uint64_t count) {
  for (uint64_t i = 0; i < count; i++) {
    uint64_t pa = pas != nullptr ? pas[i] : first_pa + i * arch::kPageSize;
    if (PageCount::Unpin(*kmem::PageOwnerWord(pa))) {
      kmem::FreePage(pa);  // its VMO let it go while it was pinned
    }
  }
}

mica::Status VmoDispatcher::Decommit(uint64_t offset, uint64_t len) {
  if (kind_ != Kind::kAnonymous) {
    return mica::Status::kNotSupported;
  }
  if ((offset | len) & (arch::kPageSize - 1)) {
    return mica::Status::kInvalidArgs;
  }
  uint64_t end = offset + len;
  if (end < offset) {
    return mica::Status::kOutOfRange;
  }
  uint64_t first = offset / arch::kPageSize, last = end / arch::kPageSize;
  // Pages that lose their last holder, linked through their owner words
  // (0 once free) and freed after the lock, as SetSize does.
  uint64_t to_free = 0;
  {
    IrqGuard g(lock_);
    if (last > page_count_) {
      return mica::Status::kOutOfRange;
    }
    if (AnyPinnedLocked(first, last)) {
      return mica::Status::kBadState;  // a device may still reach them
    }
    DropPagesLocked(first, last, &to_free);
  }
  FreePageChain(to_free);
  return mica::Status::kOk;
}
