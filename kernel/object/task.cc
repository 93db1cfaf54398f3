#include "kernel/object/task.h"

#include <string.h>

#include "kernel/object/process.h"

ProcessDispatcher::ProcessDispatcher(Process* process)
    : Dispatcher(MICA_OBJ_TYPE_PROCESS, 0), process_(process) {}

void ProcessDispatcher::Detach() {
  IrqGuard g(task_lock_);
  process_ = nullptr;
}

ThreadDispatcher::ThreadDispatcher(mica::RefPtr<Dispatcher> process, const char* name, size_t len)
    : Dispatcher(MICA_OBJ_TYPE_THREAD, 0), process_(mica::Move(process)) {
  if (len >= sizeof(thread_name_)) {
    len = sizeof(thread_name_) - 1;
  }
  memcpy(thread_name_, name, len);
  SetName(name, len);
}

mica::Status ThreadDispatcher::Start(uint64_t entry, uint64_t stack, uint64_t arg1,
                                     uint64_t arg2) NO_THREAD_SAFETY_ANALYSIS {
  {
    IrqGuard g(lock_);
    if (started_) {
      return mica::Status::kBadState;
    }
    started_ = true;
  }
  mica::RefPtr<Dispatcher> self(this);
  auto* pd = static_cast<ProcessDispatcher*>(process_.get());
  mica::Status s = pd->WithProcess(
      [&](Process* p) { return p->StartThread(thread_name_, entry, stack, arg1, arg2, self); });
  if (s != mica::Status::kOk) {
    IrqGuard g(lock_);
    started_ = false;
  }
  return s;
}

void ProcessDispatcher::MarkStarted(mica_time_t when) {
  IrqGuard g(info_lock_);
  if ((info_.flags & MICA_INFO_PROCESS_FLAG_STARTED) == 0) {
    info_.flags |= MICA_INFO_PROCESS_FLAG_STARTED;
    info_.start_time = when;
  }
}

void ProcessDispatcher::MarkFaulted(uint32_t esr, uint64_t address) {
  IrqGuard g(info_lock_);
  info_.flags |= MICA_INFO_PROCESS_FLAG_FAULTED;
  info_.fault_esr = esr;
  info_.fault_address = address;
}

void ProcessDispatcher::MarkKilled() {
  IrqGuard g(info_lock_);
  info_.flags |= MICA_INFO_PROCESS_FLAG_KILLED;
}

void ProcessDispatcher::MarkExited(int64_t code) {
  SetRetcode(code);
  IrqGuard g(info_lock_);
  info_.flags |= MICA_INFO_PROCESS_FLAG_EXITED;
  info_.return_code = code;
}

mica_info_process_t ProcessDispatcher::Info() const NO_THREAD_SAFETY_ANALYSIS {
  IrqGuard g(info_lock_);
  return info_;
}
