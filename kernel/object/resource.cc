#include "kernel/object/resource.h"

#include <new>

#include "kernel/lib/assert.h"

namespace {
ResourceDispatcher* g_root;
}  // namespace

void ResourceDispatcher::InitRoot() {
  MICA_ASSERT(g_root == nullptr);
  mica::AllocChecker ac;
  auto* r = new (ac) ResourceDispatcher(MICA_RSRC_KIND_ROOT, 0, 0);
  MICA_ASSERT_MSG(ac.check(), "cannot allocate the root resource");
  // Never adopted: the allocation's own reference is the kernel's, forever.
  r->SetName("root", 4);
  g_root = r;
}

mica::RefPtr<ResourceDispatcher> ResourceDispatcher::Root() {
  return mica::RefPtr<ResourceDispatcher>(g_root);
}

bool ResourceDispatcher::Covers(uint64_t base, uint64_t size) const {
  if (is_root()) {
    return true;
  }
  return base >= base_ && size <= size_ && base - base_ <= size_ - size;
}

bool ResourceDispatcher::CoversMmio(uint64_t base, uint64_t size) const {
  return GrantsMmio() && Covers(base, size);
}

bool ResourceDispatcher::CoversIrq(uint32_t vector) const {
  return GrantsIrq() && Covers(vector, 1);
}

bool ResourceDispatcher::CoversSystem(uint64_t cap) const {
  return (is_root() || kind_ == MICA_RSRC_KIND_SYSTEM) && Covers(cap, 1);
}

mica::Status ResourceDispatcher::Create(const ResourceDispatcher& parent, uint32_t kind,
                                        uint64_t base, uint64_t size, const char* name,
                                        size_t name_len, mica::RefPtr<ResourceDispatcher>* out) {
  if ((kind != MICA_RSRC_KIND_MMIO && kind != MICA_RSRC_KIND_IRQ &&
       kind != MICA_RSRC_KIND_SYSTEM) ||
      size == 0) {
    return mica::Status::kInvalidArgs;
  }
  if (kind == MICA_RSRC_KIND_MMIO && ((base | size) & (MICA_PAGE_SIZE - 1)) != 0) {
    return mica::Status::kInvalidArgs;
  }
  if (base + size < base) {
    return mica::Status::kOutOfRange;
  }
  if (kind == MICA_RSRC_KIND_SYSTEM && base + size > MICA_RSRC_SYSTEM_COUNT) {
    return mica::Status::kOutOfRange;  // names a capability that does not exist
  }
  // A SYSTEM resource comes from the root only (as Zircon's): capabilities
  // are handed out one by one by the root's holder, never subdivided.
  if (kind == MICA_RSRC_KIND_SYSTEM && !parent.is_root()) {
    return mica::Status::kAccessDenied;
  }
  if (!parent.is_root() && (parent.kind_ != kind || !parent.Covers(base, size))) {
    return mica::Status::kAccessDenied;
  }
  mica::AllocChecker ac_r;
  auto* r = new (ac_r) ResourceDispatcher(kind, base, size);
  if (!ac_r.check()) {
    return mica::Status::kNoMemory;
  }
  *out = mica::AdoptRef(r);
  r->SetName(name, name_len);
  return mica::Status::kOk;
}
