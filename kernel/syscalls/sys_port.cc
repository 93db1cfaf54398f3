// Ports and asynchronous waits.
#include "kernel/object/port.h"
#include "kernel/syscalls/sys_common.h"

int64_t sys_port_create(uint32_t options, user_out_ptr<mica_handle_t> out) {
  if (options != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  mica::AllocChecker ac_port;
  auto* port = new (ac_port) PortDispatcher();
  if (!ac_port.check()) {
    return Err(mica::Status::kNoMemory);
  }
  return Err(AddAndCopyOut(Process::Current(), mica::AdoptRef<Dispatcher>(port),
                           MICA_DEFAULT_PORT_RIGHTS, out));
}

int64_t sys_port_queue(mica_handle_t port, user_in_ptr<const mica_port_packet_t> packet) {
  HandleEntry e;
  mica::Status s = Process::Current()->GetHandle(port, MICA_OBJ_TYPE_PORT, MICA_RIGHT_WRITE, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  mica_port_packet_t pkt;
  s = packet.copy_from_user(&pkt);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  if (pkt.type != MICA_PKT_TYPE_USER) {
    return Err(mica::Status::kInvalidArgs);
  }
  return Err(static_cast<PortDispatcher*>(e.object.get())->QueueUser(pkt));
}

int64_t sys_port_wait(mica_handle_t port, mica_time_t deadline,
                      user_out_ptr<mica_port_packet_t> packet) {
  HandleEntry e;
  Process* p = Process::Current();
  mica::Status s = p->GetHandle(port, MICA_OBJ_TYPE_PORT, MICA_RIGHT_READ, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  mica_port_packet_t pkt;
  s = static_cast<PortDispatcher*>(e.object.get())
          ->Wait(ToDeadline(deadline), &pkt, WaitThrough{p, port});
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  return Err(packet.copy_to_user(pkt));
}

int64_t sys_port_cancel(mica_handle_t port, mica_handle_t source, uint64_t key) {
  Process* p = Process::Current();
  HandleEntry pe, se;
  mica::Status s = p->GetHandle(port, MICA_OBJ_TYPE_PORT, MICA_RIGHT_WRITE, &pe);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  s = p->GetHandle(source, MICA_OBJ_TYPE_NONE, MICA_RIGHT_NONE, &se);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  auto* pd = static_cast<PortDispatcher*>(pe.object.get());
  size_t n = se.object->CancelAsyncWaits(pd, key);
  n += pd->CancelQueued(se.object->koid(), key);
  return n != 0 ? kOk : Err(mica::Status::kNotFound);
}

int64_t sys_object_wait_async(mica_handle_t handle, mica_handle_t port, uint64_t key,
                              mica_signals_t signals, uint32_t options) {
  Process* p = Process::Current();
  HandleEntry se, pe;
  mica::Status s = p->GetHandle(handle, MICA_OBJ_TYPE_NONE, MICA_RIGHT_WAIT, &se);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  s = p->GetHandle(port, MICA_OBJ_TYPE_PORT, MICA_RIGHT_WRITE, &pe);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  if (options != 0 || signals == 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  if (se.object->type() == MICA_OBJ_TYPE_PORT) {
    // A port's signals change inside other objects' locks (port.h).
    return Err(mica::Status::kNotSupported);
  }
  mica::RefPtr<PortDispatcher> pd(static_cast<PortDispatcher*>(pe.object.get()));
  mica::AllocChecker ac_wait;
  auto* wait = new (ac_wait) AsyncWait(se.object.get(), signals, mica::Move(pd), key);
  if (!ac_wait.check()) {
    return Err(mica::Status::kNoMemory);
  }
  wait->through = WaitThrough{p, handle};
  se.object->AddAsyncWait(wait);
  return kOk;
}
