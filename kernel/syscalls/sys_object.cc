// Signals and waits, events, event pairs, the debug log, tasks and time.
#include "kernel/arch/arm64/timer.h"
#include "kernel/object/debuglog.h"
#include "kernel/object/event.h"
#include "kernel/syscalls/sys_common.h"

int64_t sys_object_signal(mica_handle_t handle, mica_signals_t clear_mask,
                          mica_signals_t set_mask) {
  HandleEntry e;
  mica::Status s = Process::Current()->GetHandle(handle, MICA_OBJ_TYPE_NONE, MICA_RIGHT_SIGNAL, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  mica_signals_t allowed = e.object->user_signal_mask();
  if (((clear_mask | set_mask) & ~allowed) != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  e.object->UpdateSignals(clear_mask, set_mask);
  return kOk;
}

int64_t sys_object_signal_peer(mica_handle_t handle, mica_signals_t clear_mask,
                               mica_signals_t set_mask) {
  HandleEntry e;
  mica::Status s =
      Process::Current()->GetHandle(handle, MICA_OBJ_TYPE_NONE, MICA_RIGHT_SIGNAL_PEER, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  mica_obj_type_t t = e.object->type();
  if (t != MICA_OBJ_TYPE_CHANNEL && t != MICA_OBJ_TYPE_EVENTPAIR) {
    return Err(mica::Status::kWrongType);
  }
  if (((clear_mask | set_mask) & ~MICA_SIGNAL_USER_ALL & ~e.object->user_signal_mask()) != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  return Err(e.object->SignalPeer(clear_mask, set_mask));
}

int64_t sys_object_wait_one(mica_handle_t handle, mica_signals_t signals, mica_time_t deadline,
                            user_out_ptr<mica_signals_t> observed) {
  HandleEntry e;
  Process* p = Process::Current();
  mica::Status s = p->GetHandle(handle, MICA_OBJ_TYPE_NONE, MICA_RIGHT_WAIT, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  mica_signals_t seen = 0;
  s = e.object->WaitOne(signals, ToDeadline(deadline), &seen, WaitThrough{p, handle});
  if (!observed.is_null()) {
    mica::Status c = observed.copy_to_user(seen);
    if (c != mica::Status::kOk) {
      return Err(c);
    }
  }
  return Err(s);
}

int64_t sys_event_create(uint32_t options, user_out_ptr<mica_handle_t> out) {
  if (options != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  mica::AllocChecker ac_ev;
  auto* ev = new (ac_ev) EventDispatcher();
  if (!ac_ev.check()) {
    return Err(mica::Status::kNoMemory);
  }
  mica::RefPtr<Dispatcher> obj = mica::AdoptRef<Dispatcher>(ev);
  return Err(AddAndCopyOut(Process::Current(), obj, MICA_DEFAULT_EVENT_RIGHTS, out));
}

int64_t sys_eventpair_create(uint32_t options, user_out_ptr<mica_handle_t> out0,
                             user_out_ptr<mica_handle_t> out1) {
  if (options != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  mica::RefPtr<Dispatcher> a, b;
  if (!EventPairDispatcher::CreatePair(&a, &b)) {
    return Err(mica::Status::kNoMemory);
  }
  Process* p = Process::Current();
  mica_handle_t h0;
  mica::Status s = p->AddHandle(a, MICA_DEFAULT_EVENTPAIR_RIGHTS, &h0);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  s = AddAndCopyOut(p, b, MICA_DEFAULT_EVENTPAIR_RIGHTS, out1);
  if (s == mica::Status::kOk) {
    s = out0.copy_to_user(h0);
  }
  if (s != mica::Status::kOk) {
    (void)p->CloseHandle(h0);
  }
  return Err(s);
}

int64_t sys_debuglog_write(mica_handle_t log, uint32_t options, user_in_ptr<const void> buffer,
                           size_t buffer_size) {
  Process* p = Process::Current();
  HandleEntry e;
  mica::Status s = p->GetHandle(log, MICA_OBJ_TYPE_DEBUGLOG, MICA_RIGHT_WRITE, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  if (options != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  if (buffer_size > MICA_LOG_MAX_DATA) {
    return Err(mica::Status::kOutOfRange);
  }
  char data[MICA_LOG_MAX_DATA];
  s = buffer.copy_from_user(data, buffer_size);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  static_cast<DebuglogDispatcher*>(e.object.get())->Write(p->name(), p->koid(), data, buffer_size);
  return kOk;
}

int64_t sys_process_exit(int64_t retcode) {
  Process::Current()->ExitFromCurrentThread(retcode);
}

int64_t sys_thread_exit() {
  // The last thread leaving ends the process with status 0.
  Process::Current()->ExitCurrentThread();
}

int64_t sys_clock_get_monotonic(user_out_ptr<mica_time_t> now) {
  return Err(now.copy_to_user(static_cast<mica_time_t>(timer::NowNs())));
}

int64_t sys_nanosleep(mica_time_t deadline) {
  uint64_t when = ToDeadline(deadline);
  if (when <= timer::NowNs()) {
    sched::Yield();  // a passed deadline yields (ABI)
  } else {
    sched::SleepUntil(when);
  }
  return kOk;
}
