// Interrupts and resources.
#include "kernel/object/interrupt.h"
#include "kernel/object/port.h"
#include "kernel/object/resource.h"
#include "kernel/syscalls/sys_common.h"

namespace {

mica::Status GetInterrupt(mica_handle_t h, mica_rights_t rights, HandleEntry* e) {
  return Process::Current()->GetHandle(h, MICA_OBJ_TYPE_INTERRUPT, rights, e);
}

InterruptDispatcher* AsInterrupt(const HandleEntry& e) {
  return static_cast<InterruptDispatcher*>(e.object.get());
}

}  // namespace

int64_t sys_resource_create(mica_handle_t parent, uint32_t kind, uint64_t base, uint64_t size,
                            user_in_ptr<const void> name, size_t name_size,
                            user_out_ptr<mica_handle_t> out) {
  HandleEntry e;
  mica::Status s =
      Process::Current()->GetHandle(parent, MICA_OBJ_TYPE_RESOURCE, MICA_RIGHT_MANAGE_RESOURCE, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  // The name is truncated: only its first MICA_MAX_NAME_LEN - 1 bytes are read.
  char local[MICA_MAX_NAME_LEN] = {};
  size_t len = name_size < MICA_MAX_NAME_LEN - 1 ? name_size : MICA_MAX_NAME_LEN - 1;
  if (len != 0) {
    s = name.copy_from_user(local, len);
    if (s != mica::Status::kOk) {
      return Err(s);
    }
  }
  mica::RefPtr<ResourceDispatcher> r;
  s = ResourceDispatcher::Create(*static_cast<ResourceDispatcher*>(e.object.get()), kind, base,
                                 size, local, len, &r);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  mica::RefPtr<Dispatcher> obj(r.get());
  return Err(AddAndCopyOut(Process::Current(), obj, MICA_DEFAULT_RESOURCE_RIGHTS, out));
}

int64_t sys_interrupt_create(mica_handle_t resource, uint32_t vector, uint32_t options,
                             user_out_ptr<mica_handle_t> out) {
  HandleEntry e;
  mica::Status s = Process::Current()->GetHandle(resource, MICA_OBJ_TYPE_RESOURCE,
                                                 MICA_RIGHT_MANAGE_RESOURCE, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  if ((options & ~(MICA_INTERRUPT_EDGE | MICA_INTERRUPT_ACTIVE_LOW)) != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  auto* r = static_cast<ResourceDispatcher*>(e.object.get());
  if (!r->GrantsIrq()) {
    return Err(mica::Status::kAccessDenied);
  }
  if (!InterruptDispatcher::Routable(vector)) {
    return Err(mica::Status::kOutOfRange);
  }
  if (!r->CoversIrq(vector)) {
    return Err(mica::Status::kAccessDenied);
  }
  mica::RefPtr<InterruptDispatcher> irq;
  s = InterruptDispatcher::Create(vector, options, &irq);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  mica::RefPtr<Dispatcher> obj(irq.get());
  return Err(AddAndCopyOut(Process::Current(), obj, MICA_DEFAULT_INTERRUPT_RIGHTS, out));
}

int64_t sys_interrupt_bind(mica_handle_t interrupt, mica_handle_t port, uint64_t key,
                           uint32_t options) {
  HandleEntry ie, pe;
  mica::Status s = GetInterrupt(interrupt, MICA_RIGHT_READ, &ie);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  s = Process::Current()->GetHandle(port, MICA_OBJ_TYPE_PORT, MICA_RIGHT_WRITE, &pe);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  if (options != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  mica::RefPtr<PortDispatcher> port_ref(static_cast<PortDispatcher*>(pe.object.get()));
  return Err(AsInterrupt(ie)->Bind(mica::Move(port_ref), key));
}

int64_t sys_interrupt_ack(mica_handle_t interrupt) {
  HandleEntry e;
  mica::Status s = GetInterrupt(interrupt, MICA_RIGHT_WRITE, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  return Err(AsInterrupt(e)->Ack());
}

int64_t sys_interrupt_wait(mica_handle_t interrupt, user_out_ptr<mica_time_t> timestamp) {
  HandleEntry e;
  mica::Status s = GetInterrupt(interrupt, MICA_RIGHT_WAIT, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  uint64_t when = 0;
  s = AsInterrupt(e)->Wait(&when);
  if (s != mica::Status::kOk || timestamp.is_null()) {
    return Err(s);
  }
  return Err(timestamp.copy_to_user(static_cast<mica_time_t>(when)));
}
