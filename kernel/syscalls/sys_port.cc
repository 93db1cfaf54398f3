// Ports and asynchronous waits.
#include "kernel/object/channel.h"
#include "kernel/object/port.h"
#include "kernel/syscalls/sys_common.h"

mica::Status sys_port_create(uint32_t options, user_out_ptr<mica_handle_t> out) {
  if (options != 0) {
    return mica::Status::kInvalidArgs;
  }
  mica::AllocChecker ac_port;
  auto* port = new (ac_port) PortDispatcher();
  if (!ac_port.check()) {
    return mica::Status::kNoMemory;
  }
  return AddAndCopyOut(Process::Current(), mica::AdoptRef<Dispatcher>(port),
                       MICA_DEFAULT_PORT_RIGHTS, out);
}

mica::Status sys_port_queue(mica_handle_t port, user_in_ptr<const mica_port_packet_t> packet) {
  mica::RefPtr<PortDispatcher> pd =
      TRY(Process::Current()->GetObject<PortDispatcher>(port, MICA_RIGHT_WRITE));
  mica_port_packet_t pkt;
  TRY(packet.copy_from_user(&pkt));
  if (pkt.type != MICA_PKT_TYPE_USER) {
    return mica::Status::kInvalidArgs;
  }
  return pd->QueueUser(pkt);
}

mica::Status sys_port_wait(mica_handle_t port, mica_time_t deadline,
                           user_out_ptr<mica_port_packet_t> packet) {
  Process* p = Process::Current();
  mica::RefPtr<PortDispatcher> pd = TRY(p->GetObject<PortDispatcher>(port, MICA_RIGHT_READ));
  mica_port_packet_t pkt;
  TRY(pd->Wait(ToDeadline(deadline), &pkt, WaitThrough{p, port}));
  return packet.copy_to_user(pkt);
}

mica::Status sys_port_cancel(mica_handle_t port, mica_handle_t source, uint64_t key) {
  Process* p = Process::Current();
  mica::RefPtr<PortDispatcher> pd = TRY(p->GetObject<PortDispatcher>(port, MICA_RIGHT_WRITE));
  mica::RefPtr<Dispatcher> src = TRY(p->GetObject<Dispatcher>(source, MICA_RIGHT_NONE));
  size_t n = src->CancelAsyncWaits(pd.get(), key);
  n += pd->CancelQueued(src->koid(), key);
  return n != 0 ? mica::Status::kOk : mica::Status::kNotFound;
}

mica::Status sys_object_wait_async(mica_handle_t handle, mica_handle_t port, uint64_t key,
                                   mica_signals_t signals, uint32_t options) {
  Process* p = Process::Current();
  mica_rights_t rights = 0;
  mica::RefPtr<Dispatcher> src = TRY(p->GetObject<Dispatcher>(handle, MICA_RIGHT_WAIT, &rights));
  mica::RefPtr<PortDispatcher> pd = TRY(p->GetObject<PortDispatcher>(port, MICA_RIGHT_WRITE));
  if ((options & ~(MICA_WAIT_ASYNC_REPEATING | MICA_WAIT_ASYNC_READ)) != 0 || signals == 0) {
    return mica::Status::kInvalidArgs;
  }
  const bool read = (options & MICA_WAIT_ASYNC_READ) != 0;
  if (read) {
    // A READ registration is a repeating wait for READABLE on a channel
    // the caller may read.
    if ((options & MICA_WAIT_ASYNC_REPEATING) == 0 || (signals & MICA_CHANNEL_READABLE) == 0) {
      return mica::Status::kInvalidArgs;
    }
    if (!IsA<ChannelDispatcher>(src.get())) {
      return mica::Status::kWrongType;
    }
    if ((rights & MICA_RIGHT_READ) == 0) {
      return mica::Status::kAccessDenied;
    }
  }
  if (IsA<PortDispatcher>(src.get())) {
    // A port's signals change inside other objects' locks (port.h).
    return mica::Status::kNotSupported;
  }
  mica::AllocChecker ac_wait;
  auto* wait = new (ac_wait) AsyncWait(src.get(), signals, mica::Move(pd), key,
                                       (options & MICA_WAIT_ASYNC_REPEATING) != 0);
  if (!ac_wait.check()) {
    return mica::Status::kNoMemory;
  }
  wait->read = read;
  if (read) {
    static_cast<ChannelDispatcher*>(src.get())->NoteReadWait();
  }
  wait->through = WaitThrough{p, handle};
  src->AddAsyncWait(wait);
  return mica::Status::kOk;
}
