// VMOs and VMAR mappings.
#include "kernel/object/resource.h"
#include "kernel/object/vmar.h"
#include "kernel/object/vmo.h"
#include "kernel/syscalls/sys_common.h"

namespace {

mica::Status GetVmo(mica_handle_t h, mica_rights_t rights, HandleEntry* e) {
  return Process::Current()->GetHandle(h, MICA_OBJ_TYPE_VMO, rights, e);
}

VmoDispatcher* AsVmo(const HandleEntry& e) {
  return static_cast<VmoDispatcher*>(e.object.get());
}

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

int64_t sys_vmo_create(uint64_t size, uint32_t options, user_out_ptr<mica_handle_t> out) {
  mica::RefPtr<VmoDispatcher> vmo;
  mica::Status s = VmoDispatcher::Create(size, options, &vmo);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  mica::RefPtr<Dispatcher> obj(vmo.get());
  return Err(AddAndCopyOut(Process::Current(), obj, MICA_DEFAULT_VMO_RIGHTS, out));
}

int64_t sys_vmo_read(mica_handle_t vmo, user_out_ptr<void> buffer, uint64_t offset,
                     size_t buffer_size) {
  HandleEntry e;
  mica::Status s = GetVmo(vmo, MICA_RIGHT_READ, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  return Err(AsVmo(e)->ReadToUser(offset, buffer.addr(), buffer_size));
}

int64_t sys_vmo_write(mica_handle_t vmo, user_in_ptr<const void> buffer, uint64_t offset,
                      size_t buffer_size) {
  HandleEntry e;
  mica::Status s = GetVmo(vmo, MICA_RIGHT_WRITE, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  return Err(AsVmo(e)->WriteFromUser(offset, buffer.addr(), buffer_size));
}

int64_t sys_vmo_get_size(mica_handle_t vmo, user_out_ptr<uint64_t> size) {
  HandleEntry e;
  mica::Status s = GetVmo(vmo, MICA_RIGHT_NONE, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  return Err(size.copy_to_user(AsVmo(e)->size()));
}

int64_t sys_vmo_set_size(mica_handle_t vmo, uint64_t size) {
  HandleEntry e;
  mica::Status s = GetVmo(vmo, MICA_RIGHT_WRITE, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  return Err(AsVmo(e)->SetSize(size));
}

// vmo_create_contiguous and vmo_create_physical need a resource that grants
// physical memory (the root resource or an MMIO resource).
namespace {

mica::Status GetMmioResource(mica_handle_t h, HandleEntry* e) {
  mica::Status s =
      Process::Current()->GetHandle(h, MICA_OBJ_TYPE_RESOURCE, MICA_RIGHT_MANAGE_RESOURCE, e);
  if (s == mica::Status::kOk && !static_cast<ResourceDispatcher*>(e->object.get())->GrantsMmio()) {
    return mica::Status::kAccessDenied;
  }
  return s;
}

}  // namespace

int64_t sys_vmo_create_contiguous(mica_handle_t resource, size_t size, uint32_t alignment_log2,
                                  user_out_ptr<mica_handle_t> out) {
  HandleEntry re;
  mica::Status s = GetMmioResource(resource, &re);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  mica::RefPtr<VmoDispatcher> vmo;
  s = VmoDispatcher::CreateContiguous(size, alignment_log2, &vmo);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  mica::RefPtr<Dispatcher> obj(vmo.get());
  return Err(AddAndCopyOut(Process::Current(), obj, MICA_DEFAULT_VMO_RIGHTS, out));
}

int64_t sys_vmo_create_physical(mica_handle_t resource, mica_paddr_t paddr, size_t size,
                                user_out_ptr<mica_handle_t> out) {
  HandleEntry re;
  mica::Status s = GetMmioResource(resource, &re);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  if (((paddr | size) & (MICA_PAGE_SIZE - 1)) != 0 || size == 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  if (paddr + size < paddr || size > VmoDispatcher::kMaxSize) {
    return Err(mica::Status::kOutOfRange);
  }
  if (!static_cast<ResourceDispatcher*>(re.object.get())->CoversMmio(paddr, size)) {
    return Err(mica::Status::kAccessDenied);
  }
  mica::RefPtr<VmoDispatcher> vmo;
  s = VmoDispatcher::CreatePhysical(paddr, size, &vmo);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  mica::RefPtr<Dispatcher> obj(vmo.get());
  return Err(AddAndCopyOut(Process::Current(), obj, vmo->default_rights(), out));
}

int64_t sys_vmo_set_cache_policy(mica_handle_t vmo, uint32_t cache_policy) {
  HandleEntry e;
  mica::Status s = GetVmo(vmo, MICA_RIGHT_MAP, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  return Err(AsVmo(e)->SetCachePolicy(cache_policy));
}

int64_t sys_vmar_map(mica_handle_t vmar, uint32_t options, uint64_t vmar_offset, mica_handle_t vmo,
                     uint64_t vmo_offset, uint64_t len, user_out_ptr<mica_vaddr_t> mapped_addr) {
  Process* p = Process::Current();
  HandleEntry ve, oe;
  mica::Status s = p->GetHandle(vmar, MICA_OBJ_TYPE_VMAR, MICA_RIGHT_NONE, &ve);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  s = GetVmo(vmo, MICA_RIGHT_MAP, &oe);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  constexpr uint32_t kAllowed = MICA_VM_PERM_READ | MICA_VM_PERM_WRITE | MICA_VM_PERM_EXECUTE |
                                MICA_VM_SPECIFIC | MICA_VM_SPECIFIC_OVERWRITE | MICA_VM_MAP_RANGE;
  if ((options & ~kAllowed) != 0 || len == 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  mica_rights_t need = RightsForOptions(options);
  if ((ve.rights & need) != need || (oe.rights & need) != need ||
      ((options & MICA_VM_PERM_WRITE) && (options & MICA_VM_PERM_EXECUTE))) {
    return Err(mica::Status::kAccessDenied);  // missing rights, or W^X
  }
  auto* region = static_cast<VmarDispatcher*>(ve.object.get());
  bool specific = (options & (MICA_VM_SPECIFIC | MICA_VM_SPECIFIC_OVERWRITE)) != 0;
  uint64_t addr = region->base() + vmar_offset;
  if (specific && (vmar_offset > region->size() || addr < vmar_offset)) {
    return Err(mica::Status::kOutOfRange);
  }
  mica::RefPtr<VmoDispatcher> vmo_ref(AsVmo(oe));
  uint64_t mapped = 0;
  s = region->WithProcess([&](Process* owner) {
    if (options & MICA_VM_SPECIFIC_OVERWRITE) {
      (void)owner->UnmapRange(addr, len);
    }
    return owner->MapVmo(vmo_ref, vmo_offset, len, PermsFromOptions(options), specific, addr,
                         (options & MICA_VM_MAP_RANGE) != 0, &mapped);
  });
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  s = mapped_addr.copy_to_user(mapped);
  if (s != mica::Status::kOk) {
    (void)region->WithProcess([&](Process* owner) { return owner->UnmapRange(mapped, len); });
  }
  return Err(s);
}

int64_t sys_vmar_unmap(mica_handle_t vmar, mica_vaddr_t addr, uint64_t len) {
  Process* p = Process::Current();
  HandleEntry ve;
  mica::Status s = p->GetHandle(vmar, MICA_OBJ_TYPE_VMAR, MICA_RIGHT_NONE, &ve);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  auto* region = static_cast<VmarDispatcher*>(ve.object.get());
  return Err(region->WithProcess([&](Process* owner) { return owner->UnmapRange(addr, len); }));
}

int64_t sys_vmar_protect(mica_handle_t vmar, uint32_t options, mica_vaddr_t addr, uint64_t len) {
  Process* p = Process::Current();
  HandleEntry ve;
  mica::Status s = p->GetHandle(vmar, MICA_OBJ_TYPE_VMAR, MICA_RIGHT_NONE, &ve);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  constexpr uint32_t kPerms = MICA_VM_PERM_READ | MICA_VM_PERM_WRITE | MICA_VM_PERM_EXECUTE;
  if ((options & ~kPerms) != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  mica_rights_t need = RightsForOptions(options);
  if ((ve.rights & need) != need ||
      ((options & MICA_VM_PERM_WRITE) && (options & MICA_VM_PERM_EXECUTE))) {
    return Err(mica::Status::kAccessDenied);
  }
  auto* region = static_cast<VmarDispatcher*>(ve.object.get());
  return Err(region->WithProcess(
      [&](Process* owner) { return owner->ProtectRange(addr, len, PermsFromOptions(options)); }));
}
