// VMOs and VMAR mappings.
#include "kernel/arch/arm64/arch.h"
#include "kernel/object/resource.h"
#include "kernel/object/vmar.h"
#include "kernel/object/vmo.h"
#include "kernel/syscalls/sys_common.h"

namespace {

uint32_t PermsFromOptions(uint32_t options) {
  uint32_t p = 0;
  if (options & MICA_VM_PERM_READ)
    p |= arch::kPermRead;
  if (options & MICA_VM_PERM_WRITE)
    p |= arch::kPermWrite;
  if (options & MICA_VM_PERM_EXECUTE)
    p |= arch::kPermExecute;
  return p;
}

// The rights a handle needs for each permission.
mica_rights_t RightsForOptions(uint32_t options) {
  mica_rights_t r = 0;
  if (options & MICA_VM_PERM_READ)
    r |= MICA_RIGHT_READ;
  if (options & MICA_VM_PERM_WRITE)
    r |= MICA_RIGHT_WRITE;
  if (options & MICA_VM_PERM_EXECUTE)
    r |= MICA_RIGHT_EXECUTE;
  return r;
}

}  // namespace

mica::Status sys_vmo_create(uint64_t size, uint32_t options, user_out_ptr<mica_handle_t> out) {
  mica::RefPtr<VmoDispatcher> vmo;
  TRY(VmoDispatcher::Create(size, options, &vmo));
  return AddAndCopyOut(Process::Current(), mica::Move(vmo), MICA_DEFAULT_VMO_RIGHTS, out);
}

mica::Status sys_vmo_read(mica_handle_t vmo, user_out_ptr<void> buffer, uint64_t offset,
                          size_t buffer_size) {
  mica::RefPtr<VmoDispatcher> v =
      TRY(Process::Current()->GetObject<VmoDispatcher>(vmo, MICA_RIGHT_READ));
  return v->ReadToUser(offset, buffer, buffer_size);
}

mica::Status sys_vmo_write(mica_handle_t vmo, user_in_ptr<const void> buffer, uint64_t offset,
                           size_t buffer_size) {
  mica::RefPtr<VmoDispatcher> v =
      TRY(Process::Current()->GetObject<VmoDispatcher>(vmo, MICA_RIGHT_WRITE));
  return v->WriteFromUser(offset, buffer, buffer_size);
}

mica::Status sys_vmo_get_size(mica_handle_t vmo, user_out_ptr<uint64_t> size) {
  mica::RefPtr<VmoDispatcher> v =
      TRY(Process::Current()->GetObject<VmoDispatcher>(vmo, MICA_RIGHT_NONE));
  return size.copy_to_user(v->size());
}

mica::Status sys_vmo_set_size(mica_handle_t vmo, uint64_t size) {
  mica::RefPtr<VmoDispatcher> v =
      TRY(Process::Current()->GetObject<VmoDispatcher>(vmo, MICA_RIGHT_WRITE));
  return v->SetSize(size);
}

mica::Status sys_vmo_create_child(mica_handle_t vmo, uint32_t options, uint64_t offset,
                                  uint64_t size, user_out_ptr<mica_handle_t> out) {
  mica_rights_t parent_rights;
  mica::RefPtr<VmoDispatcher> v = TRY(Process::Current()->GetObject<VmoDispatcher>(
      vmo, MICA_RIGHT_DUPLICATE | MICA_RIGHT_READ, &parent_rights));
  mica::RefPtr<VmoDispatcher> child;
  TRY(v->CreateChild(options, offset, size, &child));
  // Never a right the parent handle lacked, except WRITE: the child's
  // writes land in its own pages (copy on write), never in the parent.
  mica_rights_t rights = (parent_rights & MICA_DEFAULT_VMO_RIGHTS) | MICA_RIGHT_WRITE;
  return AddAndCopyOut(Process::Current(), mica::Move(child), rights, out);
}

namespace {

// The arch::kPerm* bits a handle's rights allow.
uint32_t PermsFromRights(mica_rights_t rights) {
  return ((rights & MICA_RIGHT_READ) ? arch::kPermRead : 0) |
         ((rights & MICA_RIGHT_WRITE) ? arch::kPermWrite : 0) |
         ((rights & MICA_RIGHT_EXECUTE) ? arch::kPermExecute : 0);
}

}  // namespace

mica::Status sys_vmar_allocate(mica_handle_t parent, uint32_t options, uint64_t offset,
                               uint64_t size, user_out_ptr<mica_handle_t> child,
                               user_out_ptr<mica_vaddr_t> child_addr) {
  Process* p = Process::Current();
  mica_rights_t parent_rights;
  mica::RefPtr<VmarDispatcher> pv =
      TRY(p->GetObject<VmarDispatcher>(parent, MICA_RIGHT_NONE, &parent_rights));
  constexpr uint32_t kAllowed = VmarDispatcher::kCanMapAll | MICA_VM_SPECIFIC;
  if ((options & ~kAllowed) != 0 || size == 0 || (size & (arch::kPageSize - 1)) != 0 ||
      ((options & MICA_VM_SPECIFIC) && (offset & (arch::kPageSize - 1)) != 0)) {
    return mica::Status::kInvalidArgs;
  }
  // CAN_MAP_READ/WRITE/EXECUTE need the same rights on the parent, and give
  // them to the child.
  mica_rights_t io = 0;
  if (options & MICA_VM_CAN_MAP_READ)
    io |= MICA_RIGHT_READ;
  if (options & MICA_VM_CAN_MAP_WRITE)
    io |= MICA_RIGHT_WRITE;
  if (options & MICA_VM_CAN_MAP_EXECUTE)
    io |= MICA_RIGHT_EXECUTE;
  if ((parent_rights & io) != io) {
    return mica::Status::kAccessDenied;
  }
  mica::RefPtr<VmarDispatcher> region;
  TRY(pv->Allocate(options, offset, size, &region));
  constexpr mica_rights_t kIo = MICA_RIGHT_READ | MICA_RIGHT_WRITE | MICA_RIGHT_EXECUTE;
  mica_rights_t rights = (MICA_DEFAULT_VMAR_RIGHTS & ~kIo) | io;
  mica_handle_t h;
  mica::Status s = p->AddHandle(region, rights, &h);
  if (s == mica::Status::kOk) {
    s = child.copy_to_user(h);
    if (s == mica::Status::kOk) {
      s = child_addr.copy_to_user(region->base());
    }
    if (s != mica::Status::kOk) {
      (void)p->CloseHandle(h);
    }
  }
  if (s != mica::Status::kOk) {
    (void)region->Destroy();  // nobody can name it
  }
  return s;
}

mica::Status sys_vmar_destroy(mica_handle_t vmar) {
  mica::RefPtr<VmarDispatcher> v =
      TRY(Process::Current()->GetObject<VmarDispatcher>(vmar, MICA_RIGHT_DESTROY));
  return v->Destroy();
}

// vmo_create_contiguous and vmo_create_physical need a resource that grants
// physical memory (the root resource or an MMIO resource).
namespace {

mica::Result<mica::RefPtr<ResourceDispatcher>> GetMmioResource(mica_handle_t h) {
  mica::RefPtr<ResourceDispatcher> r =
      TRY(Process::Current()->GetObject<ResourceDispatcher>(h, MICA_RIGHT_MANAGE_RESOURCE));
  if (!r->GrantsMmio()) {
    return mica::Status::kAccessDenied;
  }
  return r;
}

}  // namespace

mica::Status sys_vmo_create_contiguous(mica_handle_t resource, size_t size, uint32_t alignment_log2,
                                       user_out_ptr<mica_handle_t> out) {
  mica::RefPtr<ResourceDispatcher> r = TRY(GetMmioResource(resource));
  // The root resource allows any size, an MMIO resource a run no larger
  // than its own range (size 0 is refused below).
  uint64_t rounded = size > VmoDispatcher::kMaxSize
                         ? size
                         : (size + (arch::kPageSize - 1)) & ~uint64_t{(arch::kPageSize - 1)};
  if (!r->GrantsContiguous(rounded)) {
    return mica::Status::kAccessDenied;
  }
  mica::RefPtr<VmoDispatcher> vmo;
  TRY(VmoDispatcher::CreateContiguous(size, alignment_log2, &vmo));
  return AddAndCopyOut(Process::Current(), mica::Move(vmo), MICA_DEFAULT_VMO_RIGHTS, out);
}

mica::Status sys_vmo_create_physical(mica_handle_t resource, mica_paddr_t paddr, size_t size,
                                     user_out_ptr<mica_handle_t> out) {
  mica::RefPtr<ResourceDispatcher> r = TRY(GetMmioResource(resource));
  if (((paddr | size) & (MICA_PAGE_SIZE - 1)) != 0 || size == 0) {
    return mica::Status::kInvalidArgs;
  }
  if (paddr + size < paddr || size > VmoDispatcher::kMaxSize) {
    return mica::Status::kOutOfRange;
  }
  if (!r->CoversMmio(paddr, size)) {
    return mica::Status::kAccessDenied;
  }
  mica::RefPtr<VmoDispatcher> vmo;
  TRY(VmoDispatcher::CreatePhysical(paddr, size, &vmo));
  mica_rights_t rights = vmo->default_rights();
  return AddAndCopyOut(Process::Current(), mica::Move(vmo), rights, out);
}

mica::Status sys_vmo_set_cache_policy(mica_handle_t vmo, uint32_t cache_policy) {
  mica::RefPtr<VmoDispatcher> v =
      TRY(Process::Current()->GetObject<VmoDispatcher>(vmo, MICA_RIGHT_MAP));
  return v->SetCachePolicy(cache_policy);
}

// vmo_op_range: READ for the cleans (they change no byte anyone reads),
// READ and WRITE for the invalidates (after them the CPU sees what a device
// wrote).
mica::Status sys_vmo_op_range(mica_handle_t vmo, uint32_t op, uint64_t offset, uint64_t size) {
  mica_rights_t needed = MICA_RIGHT_NONE;
  switch (op) {
    case MICA_VMO_OP_CACHE_CLEAN:
    case MICA_VMO_OP_CACHE_SYNC:
      needed = MICA_RIGHT_READ;
      break;
    case MICA_VMO_OP_CACHE_INVALIDATE:
    case MICA_VMO_OP_CACHE_CLEAN_INVALIDATE:
      needed = MICA_RIGHT_READ | MICA_RIGHT_WRITE;
      break;
    case MICA_VMO_OP_DECOMMIT:
      needed = MICA_RIGHT_WRITE;
      break;
    default:
      break;
  }
  mica::RefPtr<VmoDispatcher> v = TRY(Process::Current()->GetObject<VmoDispatcher>(vmo, needed));
  if (needed == MICA_RIGHT_NONE) {
    return mica::Status::kInvalidArgs;
  }
  if (op == MICA_VMO_OP_DECOMMIT) {
    return v->Decommit(offset, size);
  }
  return v->CacheOp(op, offset, size);
}

mica::Status sys_vmar_map(mica_handle_t vmar, uint32_t options, uint64_t vmar_offset,
                          mica_handle_t vmo, uint64_t vmo_offset, uint64_t len,
                          user_out_ptr<mica_vaddr_t> mapped_addr) {
  Process* p = Process::Current();
  mica_rights_t vmar_rights, vmo_rights;
  mica::RefPtr<VmarDispatcher> region =
      TRY(p->GetObject<VmarDispatcher>(vmar, MICA_RIGHT_NONE, &vmar_rights));
  mica::RefPtr<VmoDispatcher> v =
      TRY(p->GetObject<VmoDispatcher>(vmo, MICA_RIGHT_MAP, &vmo_rights));
  constexpr uint32_t kAllowed = MICA_VM_PERM_READ | MICA_VM_PERM_WRITE | MICA_VM_PERM_EXECUTE |
                                MICA_VM_SPECIFIC | MICA_VM_SPECIFIC_OVERWRITE | MICA_VM_MAP_RANGE;
  if ((options & ~kAllowed) != 0 || len == 0) {
    return mica::Status::kInvalidArgs;
  }
  mica_rights_t need = RightsForOptions(options);
  if ((vmar_rights & need) != need || (vmo_rights & need) != need ||
      ((options & MICA_VM_PERM_WRITE) && (options & MICA_VM_PERM_EXECUTE))) {
    return mica::Status::kAccessDenied;  // missing rights, or W^X
  }
  VmarDispatcher::MapRequest req;
  req.vmo = mica::Move(v);
  req.vmo_offset = vmo_offset;
  req.len = len;
  req.perms = PermsFromOptions(options);
  req.max_perms = PermsFromRights(vmar_rights & vmo_rights);
  req.specific = (options & (MICA_VM_SPECIFIC | MICA_VM_SPECIFIC_OVERWRITE)) != 0;
  req.overwrite = (options & MICA_VM_SPECIFIC_OVERWRITE) != 0;
  req.offset = vmar_offset;
  req.commit = (options & MICA_VM_MAP_RANGE) != 0;
  uint64_t mapped = 0;
  TRY(region->Map(mica::Move(req), &mapped));
  mica::Status s = mapped_addr.copy_to_user(mapped);
  if (s != mica::Status::kOk) {
    (void)region->Unmap(mapped, len);
  }
  return s;
}

mica::Status sys_vmar_unmap(mica_handle_t vmar, mica_vaddr_t addr, uint64_t len) {
  mica::RefPtr<VmarDispatcher> v =
      TRY(Process::Current()->GetObject<VmarDispatcher>(vmar, MICA_RIGHT_NONE));
  return v->Unmap(addr, len);
}

mica::Status sys_vmar_protect(mica_handle_t vmar, uint32_t options, mica_vaddr_t addr,
                              uint64_t len) {
  mica_rights_t rights;
  mica::RefPtr<VmarDispatcher> v =
      TRY(Process::Current()->GetObject<VmarDispatcher>(vmar, MICA_RIGHT_NONE, &rights));
  constexpr uint32_t kPerms = MICA_VM_PERM_READ | MICA_VM_PERM_WRITE | MICA_VM_PERM_EXECUTE;
  if ((options & ~kPerms) != 0) {
    return mica::Status::kInvalidArgs;
  }
  mica_rights_t need = RightsForOptions(options);
  if ((rights & need) != need ||
      ((options & MICA_VM_PERM_WRITE) && (options & MICA_VM_PERM_EXECUTE))) {
    return mica::Status::kAccessDenied;
  }
  return v->Protect(addr, len, PermsFromOptions(options));
}
