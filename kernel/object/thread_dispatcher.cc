#include "kernel/object/thread_dispatcher.h"

#include <string.h>

#include "kernel/object/object_type.h"
#include "kernel/object/process.h"

ThreadDispatcher::ThreadDispatcher(mica::RefPtr<ProcessDispatcher> process, const char* name,
                                   size_t len)
    : Dispatcher(MICA_OBJ_TYPE_THREAD, 0), process_(mica::Move(process)) {
  if (len >= sizeof(thread_name_)) {
    len = sizeof(thread_name_) - 1;
  }
  memcpy(thread_name_, name, len);
  SetName(name, len);
}

mica::Status ThreadDispatcher::Start(uint64_t entry, uint64_t stack, uint64_t arg1, uint64_t arg2) {
  {
    IrqGuard g(lock_);
    if (started_) {
      return mica::Status::kBadState;
    }
    started_ = true;
  }
  mica::RefPtr<Dispatcher> self(this);
  ProcessDispatcher* pd = process_.get();
  int32_t prio = priority();
  mica::Status s = pd->WithProcess([&](Process* p) {
    mica::Status st = p->StartThread(thread_name_, entry, stack, arg1, arg2, self);
    if (st == mica::Status::kOk && prio != MICA_PRIORITY_DEFAULT) {
      (void)p->SetThreadPriority(this, prio);
    }
    return st;
  });
  bool kill = false;
  {
    IrqGuard g(lock_);
    if (s != mica::Status::kOk) {
      started_ = kill_pending_;  // killed meanwhile: it never starts
    } else {
      running_ = true;
      kill = kill_pending_;
    }
  }
  if (kill) {
    (void)pd->WithProcess([&](Process* p) { return p->KillThread(this); });
  }
  return s;
}

void ThreadDispatcher::MarkTerminated(const mica_info_task_runtime_t& rt) {
  {
    IrqGuard g(lock_);
    final_runtime_ = rt;
  }
  UpdateSignals(0, MICA_TASK_TERMINATED);
}

int32_t ThreadDispatcher::priority() const {
  IrqGuard g(lock_);
  return priority_;
}

mica::Status ThreadDispatcher::SetPriority(int32_t priority) {
  {
    IrqGuard g(lock_);
    priority_ = priority;
    if (!running_) {
      return mica::Status::kOk;  // applied by Start
    }
  }
  ProcessDispatcher* pd = process_.get();
  (void)pd->WithProcess([&](Process* p) { return p->SetThreadPriority(this, priority); });
  return mica::Status::kOk;
}

void ThreadDispatcher::Info(mica_info_thread_t* info, mica_info_task_runtime_t* runtime) {
  bool started, terminated;
  {
    IrqGuard g(lock_);
    started = started_;
    terminated = (signals_locked() & MICA_TASK_TERMINATED) != 0;
    if (info != nullptr) {
      *info = {};
      info->priority = priority_;
      info->state = terminated ? MICA_THREAD_STATE_DEAD : MICA_THREAD_STATE_NEW;
    }
    if (runtime != nullptr) {
      *runtime = terminated ? final_runtime_ : mica_info_task_runtime_t{};
    }
  }
  if (!started || terminated) {
    return;
  }
  ProcessDispatcher* pd = process_.get();
  mica_info_task_runtime_t rt = {};
  mica_info_thread_t ti = {};
  mica::Status s = pd->WithProcess([&](Process* p) { return p->ThreadInfo(this, &ti, &rt); });
  if (s == mica::Status::kOk) {
    if (info != nullptr) {
      *info = ti;
    }
    if (runtime != nullptr) {
      *runtime = rt;
    }
  } else if (info != nullptr) {
    // kBadState: its process is gone; kNotFound: Start is under way.
    info->state = s == mica::Status::kBadState ? MICA_THREAD_STATE_DEAD : MICA_THREAD_STATE_NEW;
  }
}

void ThreadDispatcher::Kill(bool by_itself) {
  bool never_started = false;
  {
    IrqGuard g(lock_);
    if (!started_) {
      started_ = true;  // thread_start now fails with kBadState
      never_started = true;
    } else if (!running_ && !by_itself) {
      kill_pending_ = true;  // Start is under way: it kills the thread
      return;
    }
  }
  if (never_started) {
    UpdateSignals(0, MICA_TASK_TERMINATED);
    return;
  }
  ProcessDispatcher* pd = process_.get();
  (void)pd->WithProcess([&](Process* p) { return p->KillThread(this); });
}
