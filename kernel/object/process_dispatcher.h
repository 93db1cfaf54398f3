// Handles to processes. A ProcessDispatcher names a Process
// (object/process.h: the process itself, which is not a kernel object)
// until that process is freed; the process detaches it then, and operations
// through it return kBadState.
#pragma once

#include "kernel/object/dispatcher.h"

class Process;

class ProcessDispatcher final : public Dispatcher {
 public:
  explicit ProcessDispatcher(Process* process);
  mica_rights_t default_rights() const override { return MICA_DEFAULT_PROCESS_RIGHTS; }
  // Runs `fn(Process*)` while the process exists; kBadState after.
  template <typename Fn>
  mica::Status WithProcess(Fn&& fn) {
    IrqGuard g(task_lock_);
    if (process_ == nullptr) {
      return mica::Status::kBadState;
    }
    return fn(process_);
  }
  void Detach();
  // The exit code, once TERMINATED is asserted.
  void SetRetcode(int64_t code) { retcode_.store(code, mica::kRelease); }
  int64_t retcode() const { return retcode_.load(mica::kAcquire); }
  // What object_get_info(MICA_INFO_PROCESS) reports; kept here so it
  // survives the process being freed.
  void MarkStarted(mica_time_t when);
  void MarkFaulted(uint32_t esr, uint64_t address);
  void MarkKilled();
  void MarkExited(int64_t code);
  mica_info_process_t Info() const;
  // MICA_INFO_TASK_RUNTIME once the process is gone (recorded at death).
  void SetFinalRuntime(const mica_info_task_runtime_t& rt);
  mica_info_task_runtime_t final_runtime() const;

 protected:
  // The last handle went: a process that was never started can never be
  // now, so it is killed (and freed by the reaper), as in Zircon. A
  // started one runs on.
  void OnZeroHandles() override;

 private:
  // Before Process::lock_ (not nameable here), and so before a thread's
  // Dispatcher::lock_.
  IrqSpinLock task_lock_ ACQUIRED_BEFORE(Dispatcher::lock_, sched::g_sched_lock);
  Process* process_ GUARDED_BY(task_lock_);
  mica::Atomic<int64_t> retcode_;
  // Its own lock: MarkStarted runs inside WithProcess (task_lock_ held).
  mutable IrqSpinLock info_lock_ ACQUIRED_AFTER(task_lock_);
  mica_info_process_t info_ GUARDED_BY(info_lock_) = {};
  mica_info_task_runtime_t final_runtime_ GUARDED_BY(info_lock_) = {};
};
