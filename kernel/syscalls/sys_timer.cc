// Timers and object_wait_many.
#include "kernel/object/timer.h"
#include "kernel/syscalls/sys_common.h"

mica::Status sys_timer_create(uint32_t options, user_out_ptr<mica_handle_t> out) {
  if (options != 0) {
    return mica::Status::kInvalidArgs;
  }
  mica::AllocChecker ac_t;
  auto* t = new (ac_t) TimerDispatcher();
  if (!ac_t.check()) {
    return mica::Status::kNoMemory;
  }
  return AddAndCopyOut(Process::Current(), mica::AdoptRef<Dispatcher>(t), MICA_DEFAULT_TIMER_RIGHTS,
                       out);
}

mica::Status sys_timer_set(mica_handle_t timer, mica_time_t deadline, mica_duration_t slack) {
  mica::RefPtr<TimerDispatcher> t =
      TRY(Process::Current()->GetObject<TimerDispatcher>(timer, MICA_RIGHT_WRITE));
  if (slack < 0) {
    return mica::Status::kOutOfRange;
  }
  t->Set(ToDeadline(deadline));
  return mica::Status::kOk;
}

mica::Status sys_timer_cancel(mica_handle_t timer) {
  mica::RefPtr<TimerDispatcher> t =
      TRY(Process::Current()->GetObject<TimerDispatcher>(timer, MICA_RIGHT_WRITE));
  t->Cancel();
  return mica::Status::kOk;
}

mica::Status sys_object_wait_many(user_inout_ptr<mica_wait_item_t> items, size_t num_items,
                                  mica_time_t deadline) {
  if (num_items > MICA_WAIT_MANY_MAX_ITEMS) {
    return mica::Status::kOutOfRange;
  }
  mica_wait_item_t local[MICA_WAIT_MANY_MAX_ITEMS];
  TRY(usercopy::CopyIn(local, items.addr(), num_items * sizeof(mica_wait_item_t)));
  Process* p = Process::Current();
  mica::RefPtr<Dispatcher> objects[MICA_WAIT_MANY_MAX_ITEMS];
  for (size_t i = 0; i < num_items; i++) {
    if (local[i].reserved != 0) {
      return mica::Status::kInvalidArgs;
    }
    objects[i] = TRY(p->GetObject<Dispatcher>(local[i].handle, MICA_RIGHT_WAIT));
  }
  mica_signals_t want[MICA_WAIT_MANY_MAX_ITEMS];
  mica_signals_t seen[MICA_WAIT_MANY_MAX_ITEMS];
  WaitThrough through[MICA_WAIT_MANY_MAX_ITEMS];
  for (size_t i = 0; i < num_items; i++) {
    want[i] = local[i].waitfor;
    through[i] = WaitThrough{p, local[i].handle};
  }
  mica::Status s =
      Dispatcher::WaitMany(objects, want, num_items, ToDeadline(deadline), seen, through);
  for (size_t i = 0; i < num_items; i++) {
    local[i].pending = seen[i];
  }
  TRY(usercopy::CopyOut(items.addr(), local, num_items * sizeof(mica_wait_item_t)));
  return s;
}

mica::Status sys_timer_bind(mica_handle_t timer, mica_handle_t port, uint64_t key,
                            uint32_t options) {
  Process* p = Process::Current();
  mica::RefPtr<TimerDispatcher> t = TRY(p->GetObject<TimerDispatcher>(timer, MICA_RIGHT_WRITE));
  mica::RefPtr<PortDispatcher> pd = TRY(p->GetObject<PortDispatcher>(port, MICA_RIGHT_WRITE));
  if (options != 0) {
    return mica::Status::kInvalidArgs;
  }
  return t->Bind(mica::Move(pd), key);
}
