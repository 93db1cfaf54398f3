#include "kernel/object/process_dispatcher.h"

#include <string.h>

#include "kernel/object/object_type.h"
#include "kernel/object/process.h"

ProcessDispatcher::ProcessDispatcher(Process* process)
    : Dispatcher(MICA_OBJ_TYPE_PROCESS, 0), process_(process) {}

void ProcessDispatcher::Detach() {
  IrqGuard g(task_lock_);
  process_ = nullptr;
}

void ProcessDispatcher::SetFinalRuntime(const mica_info_task_runtime_t& rt) {
  IrqGuard g(info_lock_);
  final_runtime_ = rt;
}

mica_info_task_runtime_t ProcessDispatcher::final_runtime() const {
  IrqGuard g(info_lock_);
  return final_runtime_;
}

void ProcessDispatcher::OnZeroHandles() {
  // Started, or being killed or ended already: nothing to do, and the task
  // lock is not taken. It must not be here when this runs under it: every
  // kill made under the task lock (task_kill, this one, process_create's
  // failure) marks the process KILLED first, then closes its handles, and
  // the last handle to the process may be among them (a process holding
  // its own handle).
  constexpr uint32_t kDone = MICA_INFO_PROCESS_FLAG_STARTED | MICA_INFO_PROCESS_FLAG_KILLED |
                             MICA_INFO_PROCESS_FLAG_EXITED;
  if ((Info().flags & kDone) != 0) {
    return;
  }
  // Again under the task lock, which every thread start holds
  // (ThreadDispatcher::Start): a start racing with the last close either
  // came first, and the process lives, or fails afterwards with kBadState.
  (void)WithProcess([this](Process* p) {
    if ((Info().flags & kDone) == 0) {
      p->Kill(MICA_TASK_RETCODE_KILLED);
    }
    return mica::Status::kOk;
  });
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

mica_info_process_t ProcessDispatcher::Info() const {
  IrqGuard g(info_lock_);
  return info_;
}
