#include "kernel/object/vmo.h"

#include <string.h>
#include <new>

#include "kernel/arch/arm64/arch.h"
#include "kernel/object/process.h"
#include "kernel/platform/platform.h"
#include "kernel/syscalls/user_ptr.h"
#include "kernel/top/memory.h"

const platform::BootInfo& BootInfo();

mica::Status VmoDispatcher::Create(uint64_t size, uint32_t options,
                                   mica::RefPtr<VmoDispatcher>* out) {
  if ((options & ~MICA_VMO_RESIZABLE) != 0) {
    return mica::Status::kInvalidArgs;
  }
  if (size > kMaxSize) {
    return mica::Status::kOutOfRange;
  }
  uint64_t pages = (size + 4095) / 4096;
  auto* vmo = new VmoDispatcher();
  if (vmo == nullptr) {
    return mica::Status::kNoMemory;
  }
  auto ref = mica::AdoptRef(vmo);
  if (pages != 0) {
    vmo->pages_ = static_cast<uint64_t*>(kmem::Malloc(pages * sizeof(uint64_t)));
    if (vmo->pages_ == nullptr) {
      return mica::Status::kNoMemory;
    }
    memset(vmo->pages_, 0, pages * sizeof(uint64_t));
  }
  vmo->page_count_ = pages;
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
  uint64_t align = alignment_log2 == 0 ? 4096 : (1ull << alignment_log2);
  if (!kmem::AllocContiguous(vmo->page_count_, align, &pa)) {
    return mica::Status::kNoMemory;
  }
  memset(arch::PhysToVirt(pa), 0, vmo->page_count_ * 4096);
  for (uint64_t i = 0; i < vmo->page_count_; i++) {
    vmo->pages_[i] = pa + i * 4096;  // freed page by page like any VMO's
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
  auto* vmo = new VmoDispatcher();
  if (vmo == nullptr) {
    return mica::Status::kNoMemory;
  }
  vmo->kind_ = Kind::kPhysical;
  vmo->phys_base_ = paddr;
  vmo->page_count_ = size / 4096;
  vmo->cache_policy_ = MICA_CACHE_POLICY_UNCACHED_DEVICE;
  *out = mica::AdoptRef(vmo);
  return mica::Status::kOk;
}

uint32_t VmoDispatcher::cache_policy() const NO_THREAD_SAFETY_ANALYSIS {
  IrqGuard g(lock_);
  return cache_policy_;
}

arch::CachePolicy VmoDispatcher::arch_cache_policy() const {
  switch (cache_policy()) {
    case MICA_CACHE_POLICY_UNCACHED_DEVICE:
      return arch::CachePolicy::kDevice;
    case MICA_CACHE_POLICY_UNCACHED:
    case MICA_CACHE_POLICY_WRITE_COMBINING:
      return arch::CachePolicy::kUncached;  // Normal non-cacheable
    default:
      return arch::CachePolicy::kCached;
  }
}

mica::Status VmoDispatcher::SetCachePolicy(uint32_t policy) NO_THREAD_SAFETY_ANALYSIS {
  if (policy > MICA_CACHE_POLICY_WRITE_COMBINING) {
    return mica::Status::kInvalidArgs;
  }
  {
    IrqGuard g(lock_);
    if (!mappings_.empty()) {
      return mica::Status::kBadState;
    }
    if (kind_ == Kind::kAnonymous) {
      for (uint64_t i = 0; i < page_count_; i++) {
        if (pages_[i] != 0) {
          return mica::Status::kBadState;
        }
      }
    }
    cache_policy_ = policy;
  }
  if (kind_ == Kind::kContiguous && policy != MICA_CACHE_POLICY_CACHED && page_count_ != 0) {
    // The pages (fixed for a contiguous VMO) are also reachable through the
    // cached linear map: write back and drop their lines so uncached
    // mappings see memory. Done without the lock: it can take a while.
    arch::CleanDcacheRange(arch::PhysToVirt(pages_[0]), page_count_ * 4096);
  }
  return mica::Status::kOk;
}

VmoDispatcher::~VmoDispatcher() NO_THREAD_SAFETY_ANALYSIS {
  // Mappings hold references: none can remain. Physical VMOs own nothing.
  if (kind_ == Kind::kPhysical) {
    return;
  }
  for (uint64_t i = 0; i < page_count_; i++) {
    if (pages_[i] != 0) {
      kmem::FreePage(pages_[i]);
    }
  }
  kmem::Free(pages_);
}

uint64_t VmoDispatcher::size() const NO_THREAD_SAFETY_ANALYSIS {
  IrqGuard g(lock_);
  return page_count_ * 4096;
}

mica::Status VmoDispatcher::CommitPage(uint64_t index, uint64_t* pa) NO_THREAD_SAFETY_ANALYSIS {
  {
    IrqGuard g(lock_);
    if (index >= page_count_) {
      return mica::Status::kOutOfRange;
    }
    if (kind_ == Kind::kPhysical) {
      *pa = phys_base_ + index * 4096;
      return mica::Status::kOk;
    }
    if (pages_[index] != 0) {
      *pa = pages_[index];
      return mica::Status::kOk;
    }
  }
  uint64_t fresh;
  if (!kmem::AllocPage(&fresh)) {
    return mica::Status::kNoMemory;
  }
  memset(arch::PhysToVirt(fresh), 0, 4096);
  if (cache_policy() != MICA_CACHE_POLICY_CACHED) {
    // Uncached mappings must see the zeros, not what the page held before.
    arch::CleanDcacheRange(arch::PhysToVirt(fresh), 4096);
  }
  IrqGuard g(lock_);
  if (index >= page_count_) {
    kmem::FreePage(fresh);  // shrunk meanwhile
    return mica::Status::kOutOfRange;
  }
  if (pages_[index] == 0) {
    pages_[index] = fresh;
    committed_++;
  } else {
    kmem::FreePage(fresh);  // another thread committed it first
  }
  *pa = pages_[index];
  return mica::Status::kOk;
}

// Reads and writes go through a small bounce buffer: user memory is only
// touched without the VMO lock held (a user copy may fault and commit pages
// of this very VMO), and VMO pages only with it held (so a concurrent shrink
// can never free a page under the copy).
constexpr size_t kBounce = 256;

mica::Status VmoDispatcher::ReadToUser(uint64_t offset, uint64_t dst,
                                       size_t len) NO_THREAD_SAFETY_ANALYSIS {
  if (kind_ == Kind::kPhysical) {
    return mica::Status::kNotSupported;
  }
  if (offset + len < offset || offset + len > size()) {
    return mica::Status::kOutOfRange;
  }
  uint8_t bounce[kBounce];
  while (len > 0) {
    uint64_t index = offset / 4096;
    size_t chunk = 4096 - (offset % 4096);
    if (chunk > len)
      chunk = len;
    if (chunk > kBounce)
      chunk = kBounce;
    {
      IrqGuard g(lock_);
      if (index >= page_count_) {
        return mica::Status::kOutOfRange;  // shrunk meanwhile
      }
      if (pages_[index] != 0) {
        const uint8_t* from =
            static_cast<const uint8_t*>(arch::PhysToVirt(pages_[index])) + offset % 4096;
        if (cache_policy_ != MICA_CACHE_POLICY_CACHED) {
          arch::CleanDcacheRange(from, chunk);  // see what uncached mappings wrote
        }
        memcpy(bounce, from, chunk);
      } else {
        memset(bounce, 0, chunk);  // never written: zeros, nothing committed
      }
    }
    mica::Status s = usercopy::CopyOut(dst, bounce, chunk);
    if (s != mica::Status::kOk) {
      return s;
    }
    offset += chunk;
    dst += chunk;
    len -= chunk;
  }
  return mica::Status::kOk;
}

mica::Status VmoDispatcher::WriteFromUser(uint64_t offset, uint64_t src,
                                          size_t len) NO_THREAD_SAFETY_ANALYSIS {
  if (kind_ == Kind::kPhysical) {
    return mica::Status::kNotSupported;
  }
  if (offset + len < offset || offset + len > size()) {
    return mica::Status::kOutOfRange;
  }
  uint8_t bounce[kBounce];
  while (len > 0) {
    uint64_t index = offset / 4096;
    size_t chunk = 4096 - (offset % 4096);
    if (chunk > len)
      chunk = len;
    if (chunk > kBounce)
      chunk = kBounce;
    mica::Status s = usercopy::CopyIn(bounce, src, chunk);
    if (s != mica::Status::kOk) {
      return s;
    }
    uint64_t pa;
    s = CommitPage(index, &pa);
    if (s != mica::Status::kOk) {
      return s;
    }
    {
      IrqGuard g(lock_);
      if (index >= page_count_ || pages_[index] == 0) {
        return mica::Status::kOutOfRange;  // shrunk meanwhile
      }
      uint8_t* to = static_cast<uint8_t*>(arch::PhysToVirt(pages_[index])) + offset % 4096;
      memcpy(to, bounce, chunk);
      if (cache_policy_ != MICA_CACHE_POLICY_CACHED) {
        arch::CleanDcacheRange(to, chunk);  // reach memory for uncached mappings
      }
    }
    offset += chunk;
    src += chunk;
    len -= chunk;
  }
  return mica::Status::kOk;
}

mica::Status VmoDispatcher::SetSize(uint64_t size) NO_THREAD_SAFETY_ANALYSIS {
  if (!resizable_) {
    return mica::Status::kNotSupported;
  }
  if (size > kMaxSize) {
    return mica::Status::kOutOfRange;
  }
  uint64_t pages = (size + 4095) / 4096;
  uint64_t* grown = nullptr;
  if (pages != 0) {
    grown = static_cast<uint64_t*>(kmem::Malloc(pages * sizeof(uint64_t)));
    if (grown == nullptr) {
      return mica::Status::kNoMemory;
    }
    memset(grown, 0, pages * sizeof(uint64_t));
  }
  uint64_t* old;
  uint64_t old_count;
  {
    IrqGuard g(lock_);
    // Unmap the pages that go away from every mapping first.
    if (pages < page_count_) {
      for (Mapping& m : mappings_) {
        uint64_t first = m.vmo_offset / 4096, last = first + m.size / 4096;
        for (uint64_t i = (pages > first ? pages : first); i < last; i++) {
          m.process->aspace().Unmap(m.base + (i - first) * 4096, 1);
        }
      }
    }
    uint64_t keep = pages < page_count_ ? pages : page_count_;
    if (keep != 0) {
      memcpy(grown, pages_, keep * sizeof(uint64_t));
    }
    old = pages_;
    old_count = page_count_;
    pages_ = grown;
    page_count_ = pages;
    // Freed pages: past the new end in the old array.
    for (uint64_t i = keep; i < old_count; i++) {
      if (old[i] != 0) {
        kmem::FreePage(old[i]);
        committed_--;
      }
    }
  }
  kmem::Free(old);
  return mica::Status::kOk;
}

void VmoDispatcher::AddMapping(Mapping* m) {
  IrqGuard g(lock_);
  mappings_.push_back(m);
}

void VmoDispatcher::RemoveMapping(Mapping* m) {
  IrqGuard g(lock_);
  mappings_.remove(m);
}

uint64_t VmoDispatcher::committed_bytes() const NO_THREAD_SAFETY_ANALYSIS {
  IrqGuard g(lock_);
  return committed_ * 4096;
}

bool VmoDispatcher::MappedOnlyBy(const Process* process) const NO_THREAD_SAFETY_ANALYSIS {
  IrqGuard g(lock_);
  for (const Mapping& m : mappings_) {
    if (m.process != process) {
      return false;
    }
  }
  return true;
}
