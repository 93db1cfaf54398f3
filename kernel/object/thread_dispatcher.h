// Handles to threads. A ThreadDispatcher names its process's
// ProcessDispatcher; like it, operations return kBadState once the process
// is freed.
#pragma once

#include "kernel/object/process_dispatcher.h"

class ThreadDispatcher final : public Dispatcher {
 public:
  explicit ThreadDispatcher(mica::RefPtr<ProcessDispatcher> process, const char* name, size_t len);
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
  mica::RefPtr<ProcessDispatcher> process_;
  char thread_name_[MICA_MAX_NAME_LEN] = {};
  bool started_ GUARDED_BY(lock_) = false;
  bool running_ GUARDED_BY(lock_) = false;       // StartThread succeeded
  bool kill_pending_ GUARDED_BY(lock_) = false;  // killed while Start was under way
  int32_t priority_ GUARDED_BY(lock_) = MICA_PRIORITY_DEFAULT;
  mica_info_task_runtime_t final_runtime_ GUARDED_BY(lock_) = {};  // once TERMINATED
};
