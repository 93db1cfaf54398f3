// Interrupts and resources.
#include "kernel/object/interrupt.h"
#include "kernel/object/port.h"
#include "kernel/object/resource.h"
#include "kernel/syscalls/sys_common.h"

mica::Status sys_resource_create(mica_handle_t parent, uint32_t kind, uint64_t base, uint64_t size,
                                 user_in_ptr<const void> name, size_t name_size,
                                 user_out_ptr<mica_handle_t> out) {
  Process* p = Process::Current();
  mica::RefPtr<ResourceDispatcher> pr =
      TRY(p->GetObject<ResourceDispatcher>(parent, MICA_RIGHT_MANAGE_RESOURCE));
  ObjectName n;
  TRY(CopyInName(name, name_size, &n));
  mica::RefPtr<ResourceDispatcher> r;
  TRY(ResourceDispatcher::Create(*pr, kind, base, size, n.text, n.len, &r));
  return AddAndCopyOut(p, mica::Move(r), MICA_DEFAULT_RESOURCE_RIGHTS, out);
}

mica::Status sys_interrupt_create(mica_handle_t resource, uint32_t vector, uint32_t options,
                                  user_out_ptr<mica_handle_t> out) {
  Process* p = Process::Current();
  mica::RefPtr<ResourceDispatcher> r =
      TRY(p->GetObject<ResourceDispatcher>(resource, MICA_RIGHT_MANAGE_RESOURCE));
  if ((options & ~(MICA_INTERRUPT_EDGE | MICA_INTERRUPT_ACTIVE_LOW)) != 0) {
    return mica::Status::kInvalidArgs;
  }
  if (!r->GrantsIrq()) {
    return mica::Status::kAccessDenied;
  }
  if (!InterruptDispatcher::Routable(vector)) {
    return mica::Status::kOutOfRange;
  }
  if (!r->CoversIrq(vector)) {
    return mica::Status::kAccessDenied;
  }
  mica::RefPtr<InterruptDispatcher> irq;
  TRY(InterruptDispatcher::Create(vector, options, &irq));
  return AddAndCopyOut(p, mica::Move(irq), MICA_DEFAULT_INTERRUPT_RIGHTS, out);
}

mica::Status sys_interrupt_bind(mica_handle_t interrupt, mica_handle_t port, uint64_t key,
                                uint32_t options) {
  Process* p = Process::Current();
  mica::RefPtr<InterruptDispatcher> irq =
      TRY(p->GetObject<InterruptDispatcher>(interrupt, MICA_RIGHT_READ));
  mica::RefPtr<PortDispatcher> pd = TRY(p->GetObject<PortDispatcher>(port, MICA_RIGHT_WRITE));
  if (options != 0) {
    return mica::Status::kInvalidArgs;
  }
  return irq->Bind(mica::Move(pd), key);
}

mica::Status sys_interrupt_ack(mica_handle_t interrupt) {
  mica::RefPtr<InterruptDispatcher> irq =
      TRY(Process::Current()->GetObject<InterruptDispatcher>(interrupt, MICA_RIGHT_WRITE));
  return irq->Ack();
}

mica::Status sys_interrupt_wait(mica_handle_t interrupt, user_out_ptr<mica_time_t> timestamp) {
  mica::RefPtr<InterruptDispatcher> irq =
      TRY(Process::Current()->GetObject<InterruptDispatcher>(interrupt, MICA_RIGHT_WAIT));
  uint64_t when = 0;
  TRY(irq->Wait(&when));
  if (timestamp.is_null()) {
    return mica::Status::kOk;
  }
  return timestamp.copy_to_user(static_cast<mica_time_t>(when));
}
