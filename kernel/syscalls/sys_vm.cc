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

int64_t sys_vmo_create_child(mica_handle_t vmo, uint32_t options, uint64_t offset, uint64_t size,
                             user_out_ptr<mica_handle_t> out) {
  HandleEntry e;
  mica::Status s = GetVmo(vmo, MICA_RIGHT_DUPLICATE | MICA_RIGHT_READ, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  mica::RefPtr<VmoDispatcher> child;
  s = AsVmo(e)->CreateChild(options, offset, size, &child);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  // Never a right the parent handle lacked, except WRITE: the child's
  // writes land in its own pages (copy on write), never in the parent.
  mica_rights_t rights = (e.rights & MICA_DEFAULT_VMO_RIGHTS) | MICA_RIGHT_WRITE;
  mica::RefPtr<Dispatcher> obj(child.get());
  return Err(AddAndCopyOut(Process::Current(), obj, rights, out));
}

namespace {

mica::Status GetVmar(mica_handle_t h, mica_rights_t rights, HandleEntry* e) {
  return Process::Current()->GetHandle(h, MICA_OBJ_TYPE_VMAR, rights, e);
}

VmarDispatcher* AsVmar(const HandleEntry& e) {
  return static_cast<VmarDispatcher*>(e.object.get());
}

// The arch::kPerm* bits a handle's rights allow.
uint32_t PermsFromRights(mica_rights_t rights) {
  return ((rights & MICA_RIGHT_READ) ? arch::kPermRead : 0) |
         ((rights & MICA_RIGHT_WRITE) ? arch::kPermWrite : 0) |
         ((rights & MICA_RIGHT_EXECUTE) ? arch::kPermExecute : 0);
}

}  // namespace

int64_t sys_vmar_allocate(mica_handle_t parent, uint32_t options, uint64_t offset, uint64_t size,
                          user_out_ptr<mica_handle_t> child,
                          user_out_ptr<mica_vaddr_t> child_addr) {
  HandleEntry pe;
  mica::Status s = GetVmar(parent, MICA_RIGHT_NONE, &pe);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  constexpr uint32_t kAllowed = VmarDispatcher::kCanMapAll | MICA_VM_SPECIFIC;
  if ((options & ~kAllowed) != 0 || size == 0 || (size & 4095) != 0 ||
      ((options & MICA_VM_SPECIFIC) && (offset & 4095) != 0)) {
    return Err(mica::Status::kInvalidArgs);
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
  if ((pe.rights & io) != io) {
    return Err(mica::Status::kAccessDenied);
  }
  mica::RefPtr<VmarDispatcher> region;
  s = AsVmar(pe)->Allocate(options, offset, size, &region);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  constexpr mica_rights_t kIo = MICA_RIGHT_READ | MICA_RIGHT_WRITE | MICA_RIGHT_EXECUTE;
  mica_rights_t rights = (MICA_DEFAULT_VMAR_RIGHTS & ~kIo) | io;
  Process* p = Process::Current();
  mica_handle_t h;
  s = p->AddHandle(mica::RefPtr<Dispatcher>(region.get()), rights, &h);
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
  return Err(s);
}

int64_t sys_vmar_destroy(mica_handle_t vmar) {
  HandleEntry e;
  mica::Status s = GetVmar(vmar, MICA_RIGHT_DESTROY, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  return Err(AsVmar(e)->Destroy());
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
  // The root resource allows any size, an MMIO resource a run no larger
  // than its own range (size 0 is refused below).
  uint64_t rounded = size > VmoDispatcher::kMaxSize ? size : (size + 4095) & ~uint64_t{4095};
  if (!static_cast<ResourceDispatcher*>(re.object.get())->GrantsContiguous(rounded)) {
    return Err(mica::Status::kAccessDenied);
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
  HandleEntry ve, oe;
  mica::Status s = GetVmar(vmar, MICA_RIGHT_NONE, &ve);
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
  VmarDispatcher* region = AsVmar(ve);
  VmarDispatcher::MapRequest req;
  req.vmo = mica::RefPtr<VmoDispatcher>(AsVmo(oe));
  req.vmo_offset = vmo_offset;
  req.len = len;
  req.perms = PermsFromOptions(options);
  req.max_perms = PermsFromRights(ve.rights & oe.rights);
  req.specific = (options & (MICA_VM_SPECIFIC | MICA_VM_SPECIFIC_OVERWRITE)) != 0;
  req.overwrite = (options & MICA_VM_SPECIFIC_OVERWRITE) != 0;
  req.offset = vmar_offset;
  req.commit = (options & MICA_VM_MAP_RANGE) != 0;
  uint64_t mapped = 0;
  s = region->Map(mica::Move(req), &mapped);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  s = mapped_addr.copy_to_user(mapped);
  if (s != mica::Status::kOk) {
    (void)region->Unmap(mapped, len);
  }
  return Err(s);
}

int64_t sys_vmar_unmap(mica_handle_t vmar, mica_vaddr_t addr, uint64_t len) {
  HandleEntry ve;
  mica::Status s = GetVmar(vmar, MICA_RIGHT_NONE, &ve);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  return Err(AsVmar(ve)->Unmap(addr, len));
}

int64_t sys_vmar_protect(mica_handle_t vmar, uint32_t options, mica_vaddr_t addr, uint64_t len) {
  HandleEntry ve;
  mica::Status s = GetVmar(vmar, MICA_RIGHT_NONE, &ve);
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
  return Err(AsVmar(ve)->Protect(addr, len, PermsFromOptions(options)));
}
