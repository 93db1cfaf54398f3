// Signals and waits, events, event pairs, the debug log, tasks and time.
#include "kernel/arch/arm64/timer.h"
#include "kernel/object/debuglog.h"
#include "kernel/object/event.h"
#include "kernel/syscalls/sys_common.h"

mica::Status sys_object_signal(mica_handle_t handle, mica_signals_t clear_mask,
                               mica_signals_t set_mask) {
  mica::RefPtr<Dispatcher> object =
      TRY(Process::Current()->GetObject<Dispatcher>(handle, MICA_RIGHT_SIGNAL));
  mica_signals_t allowed = object->user_signal_mask();
  if (((clear_mask | set_mask) & ~allowed) != 0) {
    return mica::Status::kInvalidArgs;
  }
  object->UpdateSignals(clear_mask, set_mask);
  return mica::Status::kOk;
}

mica::Status sys_object_signal_peer(mica_handle_t handle, mica_signals_t clear_mask,
                                    mica_signals_t set_mask) {
  mica::RefPtr<Dispatcher> object =
      TRY(Process::Current()->GetObject<Dispatcher>(handle, MICA_RIGHT_SIGNAL_PEER));
  if (!IsA<ChannelDispatcher>(object.get()) && !IsA<EventPairDispatcher>(object.get())) {
    return mica::Status::kWrongType;
  }
  if (((clear_mask | set_mask) & ~MICA_SIGNAL_USER_ALL & ~object->user_signal_mask()) != 0) {
    return mica::Status::kInvalidArgs;
  }
  return object->SignalPeer(clear_mask, set_mask);
}

mica::Status sys_object_wait_one(mica_handle_t handle, mica_signals_t signals, mica_time_t deadline,
                                 user_out_ptr<mica_signals_t> observed) {
  Process* p = Process::Current();
  mica::RefPtr<Dispatcher> object = TRY(p->GetObject<Dispatcher>(handle, MICA_RIGHT_WAIT));
  mica_signals_t seen = 0;
  mica::Status s = object->WaitOne(signals, ToDeadline(deadline), &seen, WaitThrough{p, handle});
  if (!observed.is_null()) {
    TRY(observed.copy_to_user(seen));
  }
  return s;
}

mica::Status sys_event_create(uint32_t options, user_out_ptr<mica_handle_t> out) {
  if (options != 0) {
    return mica::Status::kInvalidArgs;
  }
  mica::AllocChecker ac_ev;
  auto* ev = new (ac_ev) EventDispatcher();
  if (!ac_ev.check()) {
    return mica::Status::kNoMemory;
  }
  return AddAndCopyOut(Process::Current(), mica::AdoptRef<Dispatcher>(ev),
                       MICA_DEFAULT_EVENT_RIGHTS, out);
}

mica::Status sys_eventpair_create(uint32_t options, user_out_ptr<mica_handle_t> out0,
                                  user_out_ptr<mica_handle_t> out1) {
  if (options != 0) {
    return mica::Status::kInvalidArgs;
  }
  mica::RefPtr<Dispatcher> a, b;
  if (!EventPairDispatcher::CreatePair(&a, &b)) {
    return mica::Status::kNoMemory;
  }
  return AddPairAndCopyOut(Process::Current(), mica::Move(a), mica::Move(b),
                           MICA_DEFAULT_EVENTPAIR_RIGHTS, out0, out1);
}

mica::Status sys_debuglog_write(mica_handle_t log, uint32_t options, user_in_ptr<const void> buffer,
                                size_t buffer_size) {
  Process* p = Process::Current();
  mica::RefPtr<DebuglogDispatcher> dl =
      TRY(p->GetObject<DebuglogDispatcher>(log, MICA_RIGHT_WRITE));
  if (options != 0) {
    return mica::Status::kInvalidArgs;
  }
  if (buffer_size > MICA_LOG_MAX_DATA) {
    return mica::Status::kOutOfRange;
  }
  char data[MICA_LOG_MAX_DATA];
  TRY(buffer.copy_from_user(data, buffer_size));
  dl->Write(p->name(), p->koid(), data, buffer_size);
  return mica::Status::kOk;
}

mica::Status sys_process_exit(int64_t retcode) {
  Process::Current()->ExitFromCurrentThread(retcode);
}

mica::Status sys_thread_exit() {
  // The last thread leaving ends the process with status 0.
  Process::Current()->ExitCurrentThread();
}

mica::Status sys_clock_get_monotonic(user_out_ptr<mica_time_t> now) {
  return now.copy_to_user(static_cast<mica_time_t>(timer::NowNs()));
}

mica::Status sys_nanosleep(mica_time_t deadline) {
  uint64_t when = ToDeadline(deadline);
  if (when <= timer::NowNs()) {
    sched::Yield();  // a passed deadline yields (ABI)
  } else {
    sched::SleepUntil(when);
  }
  return mica::Status::kOk;
}
