// Timers and object_wait_many.
#include "kernel/object/timer.h"
#include "kernel/syscalls/sys_common.h"

int64_t sys_timer_create(uint32_t options, user_out_ptr<mica_handle_t> out) {
  if (options != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  mica::AllocChecker ac_t;
  auto* t = new (ac_t) TimerDispatcher();
  if (!ac_t.check()) {
    return Err(mica::Status::kNoMemory);
  }
  return Err(AddAndCopyOut(Process::Current(), mica::AdoptRef<Dispatcher>(t),
                           MICA_DEFAULT_TIMER_RIGHTS, out));
}

int64_t sys_timer_set(mica_handle_t timer, mica_time_t deadline, mica_duration_t slack) {
  HandleEntry e;
  mica::Status s = Process::Current()->GetHandle(timer, MICA_OBJ_TYPE_TIMER, MICA_RIGHT_WRITE, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  if (slack < 0) {
    return Err(mica::Status::kOutOfRange);
  }
  static_cast<TimerDispatcher*>(e.object.get())->Set(ToDeadline(deadline));
  return kOk;
}

int64_t sys_timer_cancel(mica_handle_t timer) {
  HandleEntry e;
  mica::Status s = Process::Current()->GetHandle(timer, MICA_OBJ_TYPE_TIMER, MICA_RIGHT_WRITE, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  static_cast<TimerDispatcher*>(e.object.get())->Cancel();
  return kOk;
}

int64_t sys_object_wait_many(user_inout_ptr<mica_wait_item_t> items, size_t num_items,
                             mica_time_t deadline) {
  if (num_items > MICA_WAIT_MANY_MAX_ITEMS) {
    return Err(mica::Status::kOutOfRange);
  }
  mica_wait_item_t local[MICA_WAIT_MANY_MAX_ITEMS];
  mica::Status s = usercopy::CopyIn(local, items.addr(), num_items * sizeof(mica_wait_item_t));
  if (num_items != 0 && s != mica::Status::kOk) {
    return Err(s);
  }
  Process* p = Process::Current();
  mica::RefPtr<Dispatcher> objects[MICA_WAIT_MANY_MAX_ITEMS];
  for (size_t i = 0; i < num_items; i++) {
    if (local[i].reserved != 0) {
      return Err(mica::Status::kInvalidArgs);
    }
    HandleEntry e;
    s = p->GetHandle(local[i].handle, MICA_OBJ_TYPE_NONE, MICA_RIGHT_WAIT, &e);
    if (s != mica::Status::kOk) {
      return Err(s);
    }
    objects[i] = mica::Move(e.object);
  }
  mica_signals_t want[MICA_WAIT_MANY_MAX_ITEMS];
  mica_signals_t seen[MICA_WAIT_MANY_MAX_ITEMS];
  WaitThrough through[MICA_WAIT_MANY_MAX_ITEMS];
  for (size_t i = 0; i < num_items; i++) {
    want[i] = local[i].waitfor;
    through[i] = WaitThrough{p, local[i].handle};
  }
  s = Dispatcher::WaitMany(objects, want, num_items, ToDeadline(deadline), seen, through);
  for (size_t i = 0; i < num_items; i++) {
    local[i].pending = seen[i];
  }
  mica::Status c = usercopy::CopyOut(items.addr(), local, num_items * sizeof(mica_wait_item_t));
  if (num_items != 0 && c != mica::Status::kOk) {
    return Err(c);
  }
  return Err(s);
}

int64_t sys_timer_bind(mica_handle_t timer, mica_handle_t port, uint64_t key, uint32_t options) {
  Process* p = Process::Current();
  HandleEntry te, pe;
  mica::Status s = p->GetHandle(timer, MICA_OBJ_TYPE_TIMER, MICA_RIGHT_WRITE, &te);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  s = p->GetHandle(port, MICA_OBJ_TYPE_PORT, MICA_RIGHT_WRITE, &pe);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  if (options != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  mica::RefPtr<PortDispatcher> port_ref(static_cast<PortDispatcher*>(pe.object.get()));
  return Err(static_cast<TimerDispatcher*>(te.object.get())->Bind(mica::Move(port_ref), key));
}
