// Handles to processes and threads. A ProcessDispatcher names a Process
// (object/process.h) until that process is freed; the process detaches it
// then, and operations through it return kBadState. The same holds for a
// ThreadDispatcher and its process.
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

class ThreadDispatcher final : public Dispatcher {
 public:
  explicit ThreadDispatcher(mica::RefPtr<Dispatcher> process, const char* name, size_t len);
  mica_rights_t default_rights() const override { return MICA_DEFAULT_THREAD_RIGHTS; }
  uint64_t related_koid() const override { return process_->koid(); }
  // thread_start: kBadState if already started or the process is gone.
  mica::Status Start(uint64_t entry, uint64_t stack, uint64_t arg1, uint64_t arg2);
  // The thread ended (its process marks it) after running for `rt`.
  void MarkTerminated(const mica_info_task_runtime_t& rt);
  // MICA_INFO_THREAD and MICA_INFO_TASK_RUNTIME (either may be null).
  void Info(mica_info_thread_t* info, mica_info_task_runtime_t* runtime);
  // MICA_PROP_THREAD_PRIORITY (MICA_PRIORITY_LOWEST..HIGHEST, checked by
  // the caller).
  int32_t priority() const;
  mica::Status SetPriority(int32_t priority);
  // task_kill: a started thread ends at its next kernel entry (a wait it is
  // blocked in ends); one not started yet never starts and is terminated
  // at once. Killing an ended thread does nothing. `by_itself`: the
  // caller is this thread, so it runs even if its thread_start has not
  // returned yet in its creator (the kill must take effect now, not be left
  // for the start to carry out).
  void Kill(bool by_itself = false);

 private:
  mica::RefPtr<Dispatcher> process_;  // a ProcessDispatcher
  char thread_name_[MICA_MAX_NAME_LEN] = {};
  bool started_ GUARDED_BY(lock_) = false;
  bool running_ GUARDED_BY(lock_) = false;       // StartThread succeeded
  bool kill_pending_ GUARDED_BY(lock_) = false;  // killed while Start was under way
  int32_t priority_ GUARDED_BY(lock_) = MICA_PRIORITY_DEFAULT;
  mica_info_task_runtime_t final_runtime_ GUARDED_BY(lock_) = {};  // once TERMINATED
};
