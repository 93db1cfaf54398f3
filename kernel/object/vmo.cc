#include "kernel/object/vmo.h"

#include <string.h>
#include <new>

#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/user_ptr.h"
#include "kernel/base/memory.h"
#include "kernel/object/core/page_count.h"
#include "kernel/object/process.h"
#include "kernel/platform/platform.h"

namespace {

// How many VMOs hold a page, and its DMA pins: the page's metadata owner
// word (kernel/object/core/page_count.h).
using mica::core::PageCount;
void PageAdopt(uint64_t pa) {
  PageCount::Adopt(*kmem::PageOwnerWord(pa));
}
void PageShare(uint64_t pa) {
  PageCount::Share(*kmem::PageOwnerWord(pa));
}
bool PageShared(uint64_t pa) {
  return PageCount::Shared(*kmem::PageOwnerWord(pa));
}
// Drops one VMO's hold; the last hold (with no pin left) frees the page.
void PageRelease(uint64_t pa) {
  if (PageCount::Release(*kmem::PageOwnerWord(pa))) {
    kmem::FreePage(pa);
  }
}

// A fresh page: zeroed, or a copy of `from`; held by one VMO.
bool NewPage(uint64_t from, uint64_t* pa) {
  if (!kmem::AllocPage(pa)) {
    return false;
  }
  if (from != 0) {
    memcpy(arch::PhysToVirt(*pa), arch::PhysToVirt(from), arch::kPageSize);
  } else {
    memset(arch::PhysToVirt(*pa), 0, arch::kPageSize);
  }
  PageAdopt(*pa);
  return true;
}

void* HeapAlloc(size_t size, size_t align) {
  return kmem::MallocAligned(size, align);
}
void HeapFree(void* ptr) {
  kmem::Free(ptr);
}
// Where PageTree nodes come from. The heap's lock is a leaf: nodes are
// allocated with the VMO's lock held.
constexpr mica::core::Allocator kPageTreeHeap = {HeapAlloc, HeapFree};

}  // namespace
const platform::BootInfo& BootInfo();

VmoDispatcher::VmoDispatcher(uint64_t page_count, uint32_t cache_policy)
    : Dispatcher(MICA_OBJ_TYPE_VMO, 0),
      pages_(&kPageTreeHeap),
      page_count_(page_count),
      cache_policy_(cache_policy) {}

mica::Status VmoDispatcher::Create(uint64_t size, uint32_t options,
                                   mica::RefPtr<VmoDispatcher>* out) {
  if ((options & ~MICA_VMO_RESIZABLE) != 0) {
    return mica::Status::kInvalidArgs;
  }
  if (size > kMaxSize) {
    return mica::Status::kOutOfRange;
  }
  uint64_t pages = (size + (arch::kPageSize - 1)) / arch::kPageSize;
  mica::AllocChecker ac_vmo;
  // Nothing committed: no bookkeeping yet.
  auto* vmo = new (ac_vmo) VmoDispatcher(pages, MICA_CACHE_POLICY_CACHED);
  if (!ac_vmo.check()) {
    return mica::Status::kNoMemory;
  }
  auto ref = mica::AdoptRef(vmo);
  vmo->resizable_ = (options & MICA_VMO_RESIZABLE) != 0;
  *out = ref;
  return mica::Status::kOk;
}

mica::Status VmoDispatcher::CreateContiguous(uint64_t size, uint32_t alignment_log2,
                                             mica::RefPtr<VmoDispatcher>* out) {
  if (size == 0) {
    return mica::Status::kInvalidArgs;
  }
  if (alignment_log2 != 0 && (alignment_log2 < 12 || alignment_log2 > 30)) {
    return mica::Status::kOutOfRange;
  }
  if (size > kMaxSize) {
    return mica::Status::kNoMemory;  // no run that large
  }
  mica::RefPtr<VmoDispatcher> vmo;
  mica::Status s = Create(size, 0, &vmo);
  if (s != mica::Status::kOk) {
    return s;
  }
  uint64_t pa;
  uint64_t align = alignment_log2 == 0 ? arch::kPageSize : (1ull << alignment_log2);
  const uint64_t pages = (size + (arch::kPageSize - 1)) / arch::kPageSize;  // as Create made it
  if (!kmem::AllocContiguous(pages, align, &pa)) {
    return mica::Status::kNoMemory;
  }
  memset(arch::PhysToVirt(pa), 0, pages * arch::kPageSize);
  IrqGuard g(vmo->lock_);
  for (uint64_t i = 0; i < pages; i++) {
    PageAdopt(pa + i * arch::kPageSize);  // freed page by page like any VMO's
    if (vmo->pages_.Set(i, pa + i * arch::kPageSize) != mica::Status::kOk) {
      // The pages not in the tree go now; the destructor releases the rest.
      for (uint64_t j = i; j < pages; j++) {
        kmem::FreePage(pa + j * arch::kPageSize);
      }
      return mica::Status::kNoMemory;
    }
  }
  vmo->kind_ = Kind::kContiguous;
  *out = vmo;
  return mica::Status::kOk;
}

namespace {

bool Overlaps(const platform::RangeSet& set, uint64_t base, uint64_t size) {
  for (size_t i = 0; i < set.count(); i++) {
    if (base < set[i].base + set[i].size && set[i].base < base + size) {
      return true;
    }
  }
  return false;
}

}  // namespace

mica::Status VmoDispatcher::CreatePhysical(uint64_t paddr, uint64_t size,
                                           mica::RefPtr<VmoDispatcher>* out) {
  // RAM (the PMM's, the kernel image, the DTB, the bootfs) is never
  // handed out as device memory: user space gets RAM from the PMM through
  // anonymous or contiguous VMOs only.
  const platform::BootInfo& boot = BootInfo();
  if (Overlaps(boot.ram, paddr, size) || Overlaps(boot.reserved, paddr, size)) {
    return mica::Status::kAccessDenied;
  }
  mica::AllocChecker ac_vmo;
  auto* vmo = new (ac_vmo) VmoDispatcher(size / arch::kPageSize, MICA_CACHE_POLICY_UNCACHED_DEVICE);
  if (!ac_vmo.check()) {
    return mica::Status::kNoMemory;
  }
  vmo->kind_ = Kind::kPhysical;
  vmo->phys_base_ = paddr;
  *out = mica::AdoptRef(vmo);
  return mica::Status::kOk;
}

uint32_t VmoDispatcher::cache_policy() const {
  IrqGuard g(lock_);
  return cache_policy_;
}

namespace {

arch::CachePolicy ToArch(uint32_t policy) {
  switch (policy) {
    case MICA_CACHE_POLICY_UNCACHED_DEVICE:
      return arch::CachePolicy::kDevice;
    case MICA_CACHE_POLICY_UNCACHED:
    case MICA_CACHE_POLICY_WRITE_COMBINING:
      return arch::CachePolicy::kUncached;  // Normal non-cacheable
    default:
      return arch::CachePolicy::kCached;
  }
}

}  // namespace

arch::CachePolicy VmoDispatcher::arch_cache_policy() const {
  return ToArch(cache_policy());
}

mica::Status VmoDispatcher::SetCachePolicy(uint32_t policy) {
  if (policy > MICA_CACHE_POLICY_WRITE_COMBINING) {
    return mica::Status::kInvalidArgs;
  }
  uint64_t pages;  // fixed for a contiguous VMO
  {
    IrqGuard g(lock_);
    if (!mappings_.empty()) {
      return mica::Status::kBadState;
    }
    if (kind_ == Kind::kAnonymous && pages_.count() != 0) {
      return mica::Status::kBadState;
    }
    cache_policy_ = policy;
    pages = page_count_;
  }
  if (kind_ == Kind::kContiguous && policy != MICA_CACHE_POLICY_CACHED && pages != 0) {
    // The pages (fixed for a contiguous VMO) are also reachable through the
    // cached linear map: write back and drop their lines so uncached
    // mappings see memory. Done without the lock: it can take a while.
    uint64_t first;
    {
      IrqGuard g(lock_);
      first = pages_.Get(0);
    }
    arch::CleanDcacheRange(arch::PhysToVirt(first), pages * arch::kPageSize);
  }
  return mica::Status::kOk;
}

VmoDispatcher::~VmoDispatcher() {
  // Mappings hold references: none can remain. Physical VMOs own nothing.
  if (kind_ == Kind::kPhysical) {
    return;
  }
  // One step per committed page (PageTree::Next skips the empty ranges);
  // the tree's nodes go as they empty.
  uint64_t index = 0, pa;
  while (pages_.Next(index, mica::core::PageTree::kMaxIndex, &index, &pa)) {
    pages_.Clear(index);
    PageRelease(pa);
    index++;
  }
}

uint64_t VmoDispatcher::size() const {
  IrqGuard g(lock_);
  return page_count_ * arch::kPageSize;
}

mica::Status VmoDispatcher::CommitPage(uint64_t index, uint64_t* pa, uint64_t from) {
  {
    IrqGuard g(lock_);
    if (index >= page_count_) {
      return mica::Status::kOutOfRange;
    }
    if (kind_ == Kind::kPhysical) {
      *pa = phys_base_ + index * arch::kPageSize;
      return mica::Status::kOk;
    }
    if (uint64_t cur = pages_.Get(index); cur != 0) {
      *pa = cur;
      return mica::Status::kOk;
    }
  }
  uint64_t fresh;
  if (!NewPage(from, &fresh)) {
    return mica::Status::kNoMemory;
  }
  if (cache_policy() != MICA_CACHE_POLICY_CACHED) {
    // Uncached mappings must see the contents, not what the page held before.
    arch::CleanDcacheRange(arch::PhysToVirt(fresh), arch::kPageSize);
  }
  IrqGuard g(lock_);
  if (index >= page_count_) {
    PageRelease(fresh);  // shrunk meanwhile
    return mica::Status::kOutOfRange;
  }
  if (uint64_t cur = pages_.Get(index); cur != 0) {
    PageRelease(fresh);  // another thread committed it first
    *pa = cur;
    return mica::Status::kOk;
  }
  if (pages_.Set(index, fresh) != mica::Status::kOk) {
    PageRelease(fresh);
    return mica::Status::kNoMemory;
  }
  *pa = fresh;
  return mica::Status::kOk;
}

// Reads and writes go through a small bounce buffer: user memory is only
// touched without the VMO lock held (a user copy may fault and commit pages
// of this very VMO), and VMO pages only with it held (so a concurrent shrink
// can never free a page under the copy).
constexpr size_t kBounce = 256;

mica::Status VmoDispatcher::ReadToUser(uint64_t offset, user_out_ptr<void> dst, size_t len) {
  if (kind_ == Kind::kPhysical) {
    return mica::Status::kNotSupported;
  }
  if (offset + len < offset || offset + len > size()) {
    return mica::Status::kOutOfRange;
  }
  uint8_t bounce[kBounce];
  while (len > 0) {
    uint64_t index = offset / arch::kPageSize;
    size_t chunk = arch::kPageSize - (offset % arch::kPageSize);
    if (chunk > len)
      chunk = len;
    if (chunk > kBounce)
      chunk = kBounce;
    {
      IrqGuard g(lock_);
      if (index >= page_count_) {
        return mica::Status::kOutOfRange;  // shrunk meanwhile
      }
      if (uint64_t pa = pages_.Get(index); pa != 0) {
        const uint8_t* from =
            static_cast<const uint8_t*>(arch::PhysToVirt(pa)) + offset % arch::kPageSize;
        if (cache_policy_ != MICA_CACHE_POLICY_CACHED) {
          arch::CleanDcacheRange(from, chunk);  // see what uncached mappings wrote
        }
        memcpy(bounce, from, chunk);
      } else {
        memset(bounce, 0, chunk);  // never written: zeros, nothing committed
      }
    }
    mica::Status s = dst.copy_to_user(bounce, chunk);
    if (s != mica::Status::kOk) {
      return s;
    }
    offset += chunk;
    dst = dst.byte_offset(chunk);
    len -= chunk;
  }
  return mica::Status::kOk;
}

mica::Status VmoDispatcher::WriteFromUser(uint64_t offset, user_in_ptr<const void> src,
                                          size_t len) {
  if (kind_ == Kind::kPhysical) {
    return mica::Status::kNotSupported;
  }
  if (offset + len < offset || offset + len > size()) {
    return mica::Status::kOutOfRange;
  }
  uint8_t bounce[kBounce];
  while (len > 0) {
    uint64_t index = offset / arch::kPageSize;
    size_t chunk = arch::kPageSize - (offset % arch::kPageSize);
    if (chunk > len)
      chunk = len;
    if (chunk > kBounce)
      chunk = kBounce;
    mica::Status s = src.copy_from_user(bounce, chunk);
    if (s != mica::Status::kOk) {
      return s;
    }
    {
      IrqGuard g(lock_);
      if (index >= page_count_) {
        return mica::Status::kOutOfRange;  // shrunk meanwhile
      }
      uint64_t pa;
      s = WritablePageLocked(index, &pa);
      if (s != mica::Status::kOk) {
        return s;
      }
      uint8_t* to = static_cast<uint8_t*>(arch::PhysToVirt(pa)) + offset % arch::kPageSize;
      memcpy(to, bounce, chunk);
      if (cache_policy_ != MICA_CACHE_POLICY_CACHED) {
        arch::CleanDcacheRange(to, chunk);  // reach memory for uncached mappings
      }
    }
    offset += chunk;
    src = src.byte_offset(chunk);
    len -= chunk;
  }
  return mica::Status::kOk;
}

mica::Status VmoDispatcher::SetSize(uint64_t size) {
  if (!resizable_) {
    return mica::Status::kNotSupported;
  }
  if (size > kMaxSize) {
    return mica::Status::kOutOfRange;
  }
  uint64_t pages = (size + (arch::kPageSize - 1)) / arch::kPageSize;
  // The pages that lose their last holder, to free once the lock is
  // dropped (a shrink may free many): linked through their owner words,
  // which nobody reads once the count is 0.
  uint64_t to_free = 0;
  {
    IrqGuard g(lock_);
    if (pages < page_count_ && AnyPinnedLocked(pages, page_count_)) {
      return mica::Status::kBadState;  // a device may still reach them
    }
    if (pages < page_count_) {
      // None is added meanwhile: commits check page_count_ under the lock.
      DropPagesLocked(pages, page_count_, &to_free);
    }
    // Growing allocates nothing: the new pages are uncommitted.
    page_count_ = pages;
  }
  FreePageChain(to_free);
  return mica::Status::kOk;
}

void VmoDispatcher::DropPagesLocked(uint64_t first, uint64_t last, uint64_t* to_free) {
  // Unmap the pages from every mapping first.
  for (Mapping& m : mappings_) {
    uint64_t mfirst = m.vmo_offset / arch::kPageSize, mlast = mfirst + m.size / arch::kPageSize;
    uint64_t lo = mfirst > first ? mfirst : first;
    uint64_t hi = mlast < last ? mlast : last;
    if (lo < hi) {
      m.aspace->Unmap(m.base + (lo - mfirst) * arch::kPageSize, hi - lo);
    }
  }
  // Then take them out: one step per committed page.
  uint64_t index = first, pa;
  while (pages_.Next(index, last, &index, &pa)) {
    pages_.Clear(index);
    uintptr_t* holders = kmem::PageOwnerWord(pa);
    if (PageCount::Release(*holders)) {  // never pinned: the caller checked
      *holders = *to_free;
      *to_free = pa;
    }
    index++;
  }
}

void VmoDispatcher::FreePageChain(uint64_t to_free) {
  while (to_free != 0) {
    uint64_t next = *kmem::PageOwnerWord(to_free);
    kmem::FreePage(to_free);
    to_free = next;
  }
}

void VmoDispatcher::AddMapping(Mapping* m) {
  IrqGuard g(lock_);
  mappings_.push_back(m);
}

void VmoDispatcher::RemoveMapping(Mapping* m) {
  IrqGuard g(lock_);
  mappings_.remove(m);
}

uint64_t VmoDispatcher::committed_bytes() const {
  IrqGuard g(lock_);
  return pages_.count() * arch::kPageSize;
}

bool VmoDispatcher::MappedOnlyBy(const arch::UserPageTable* aspace) const {
  IrqGuard g(lock_);
  for (const Mapping& m : mappings_) {
    if (m.aspace != aspace) {
      return false;
    }
  }
  return true;
}

mica::Status VmoDispatcher::WritablePageLocked(uint64_t index, uint64_t* pa) {
  uint64_t old = pages_.Get(index);
  if (old != 0 && !PageShared(old)) {
    *pa = old;
    return mica::Status::kOk;
  }
  uint64_t fresh;
  if (!NewPage(old, &fresh)) {
    return mica::Status::kNoMemory;
  }
  if (cache_policy_ != MICA_CACHE_POLICY_CACHED) {
    arch::CleanDcacheRange(arch::PhysToVirt(fresh), arch::kPageSize);  // uncached mappings see it
  }
  // Replacing a value allocates nothing: only a first commit can fail here.
  if (pages_.Set(index, fresh) != mica::Status::kOk) {
    PageRelease(fresh);
    return mica::Status::kNoMemory;
  }
  if (old != 0) {
    // Our mappings still show the shared page: they fault again.
    UnmapIndexLocked(index);
    PageRelease(old);
  }
  *pa = fresh;
  return mica::Status::kOk;
}

void VmoDispatcher::UnmapIndexLocked(uint64_t index) {
  for (Mapping& m : mappings_) {
    uint64_t first = m.vmo_offset / arch::kPageSize;
    if (index >= first && index - first < m.size / arch::kPageSize) {
      m.aspace->Unmap(m.base + (index - first) * arch::kPageSize, 1);
    }
  }
}

mica::Status VmoDispatcher::FaultPage(Mapping* m, uint64_t va, bool write) {
  IrqGuard g(lock_);
  uint64_t index = (m->vmo_offset + (va - m->base)) / arch::kPageSize;
  if (index >= page_count_) {
    return mica::Status::kOutOfRange;
  }
  uint32_t perms = m->perms;
  if (kind_ == Kind::kPhysical) {
    // Device memory: no pages of our own, never shared.
    uint64_t dev = phys_base_ + index * arch::kPageSize;
    (void)m->aspace->Unmap(va, 1);
    return m->aspace->Map(va, &dev, 1, perms, ToArch(cache_policy_));
  }
  uint64_t pa = pages_.Get(index);
  if (write) {
    mica::Status s = WritablePageLocked(index, &pa);
    if (s != mica::Status::kOk) {
      return s;
    }
  } else {
    if (pa == 0) {
      if (!NewPage(0, &pa)) {
        return mica::Status::kNoMemory;
      }
      if (cache_policy_ != MICA_CACHE_POLICY_CACHED) {
        arch::CleanDcacheRange(arch::PhysToVirt(pa),
                               arch::kPageSize);  // uncached mappings see zeros
      }
      if (pages_.Set(index, pa) != mica::Status::kOk) {
        PageRelease(pa);
        return mica::Status::kNoMemory;
      }
    }
    if (PageShared(pa)) {
      perms &= ~arch::kPermWrite;  // the first write copies it
    }
  }
  if (perms & arch::kPermExecute) {
    arch::SyncIcacheRange(arch::PhysToVirt(pa), arch::kPageSize);  // written through the linear map
  }
  arch::UserPageTable& aspace = *m->aspace;
  uint64_t cur_pa;
  uint32_t cur_perms;
  if (aspace.Query(va, &cur_pa, &cur_perms)) {
    if (cur_pa == pa && cur_perms == perms) {
      return mica::Status::kOk;  // another thread got here first
    }
    aspace.Unmap(va, 1);
  }
  return aspace.Map(va, &pa, 1, perms, ToArch(cache_policy_));
}

mica::Status VmoDispatcher::CreateChild(uint32_t options, uint64_t offset, uint64_t size,
                                        mica::RefPtr<VmoDispatcher>* out) {
  constexpr uint32_t kAllowed = MICA_VMO_CHILD_COPY_ON_WRITE | MICA_VMO_CHILD_RESIZABLE;
  if ((options & MICA_VMO_CHILD_COPY_ON_WRITE) == 0 || (options & ~kAllowed) != 0 ||
      (offset & (arch::kPageSize - 1)) != 0) {
    return mica::Status::kInvalidArgs;
  }
  if (offset + size < offset || size > kMaxSize) {
    return mica::Status::kOutOfRange;
  }
  if (kind_ != Kind::kAnonymous) {
    return mica::Status::kNotSupported;  // physical or contiguous
  }
  mica::RefPtr<VmoDispatcher> child;
  mica::Status s =
      Create(size, (options & MICA_VMO_CHILD_RESIZABLE) ? MICA_VMO_RESIZABLE : 0, &child);
  if (s != mica::Status::kOk) {
    return s;
  }
  child->parent_koid_ = koid();
  {
    IrqGuard g(lock_);
    child->Unpublished();
    child->cache_policy_ = cache_policy_;  // the pages are shared: one memory type
    uint64_t first = offset / arch::kPageSize;
    uint64_t n = 0;
    if (first < page_count_) {
      n = page_count_ - first;
      if (n > child->page_count_) {
        n = child->page_count_;
      }
    }
    // A pinned page is never shared: the device would keep writing the
    // page a write through either VMO copies away from.
    if (AnyPinnedLocked(first, first + n)) {
      return mica::Status::kBadState;
    }
    // One step per committed page of the range, not per page of it.
    bool any = false;
    uint64_t index = first, pa;
    while (pages_.Next(index, first + n, &index, &pa)) {
      if (child->pages_.Set(index - first, pa) != mica::Status::kOk) {
        return mica::Status::kNoMemory;  // the child releases what it shares so far
      }
      PageShare(pa);
      any = true;
      index++;
    }
    // Our writable mappings of the now shared pages fault again (and then
    // map them read-only).
    for (Mapping& m : mappings_) {
      uint64_t mfirst = m.vmo_offset / arch::kPageSize, mlast = mfirst + m.size / arch::kPageSize;
      uint64_t lo = mfirst > first ? mfirst : first;
      uint64_t hi = mlast < first + n ? mlast : first + n;
      if (!any || (m.perms & arch::kPermWrite) == 0 || lo >= hi) {
        continue;
      }
      m.aspace->Unmap(m.base + (lo - mfirst) * arch::kPageSize, hi - lo);
    }
  }
  *out = mica::Move(child);
  return mica::Status::kOk;
}

mica_info_vmo_t VmoDispatcher::Info() const {
  mica_info_vmo_t info = {};
  info.koid = koid();
  info.parent_koid = parent_koid_;
  {
    IrqGuard g(lock_);
    info.size_bytes = page_count_ * arch::kPageSize;
    info.committed_bytes = pages_.count() * arch::kPageSize;
    info.cache_policy = cache_policy_;
    if (kind_ == Kind::kPhysical) {
      info.paddr = phys_base_;
    } else if (kind_ == Kind::kContiguous && page_count_ != 0) {
      info.paddr = pages_.Get(0);
    }
  }
  info.flags = (resizable_ ? MICA_INFO_VMO_FLAG_RESIZABLE : 0) |
               (parent_koid_ != 0 ? MICA_INFO_VMO_FLAG_COW_CHILD : 0) |
               (kind_ == Kind::kContiguous ? MICA_INFO_VMO_FLAG_CONTIGUOUS : 0) |
               (kind_ == Kind::kPhysical ? MICA_INFO_VMO_FLAG_PHYSICAL : 0);
  GetName(info.name);
  return info;
}
