// Jobs: a tree that groups processes. Killing a job kills every process in
// it and every job below it; a killed job takes no new children.
#pragma once

#include "kernel/base/memory.h"
#include "kernel/lib/list.h"
#include "kernel/object/dispatcher.h"

class Process;

class JobDispatcher final : public Dispatcher {
 public:
  // The root of the tree (boot).
  static mica::RefPtr<JobDispatcher> CreateRoot();
  // The root job (made at boot).
  static mica::RefPtr<JobDispatcher> Root();
  static mica::Status Create(mica::RefPtr<JobDispatcher> parent, mica::RefPtr<JobDispatcher>* out);
  ~JobDispatcher() override;
  mica_rights_t default_rights() const override { return MICA_DEFAULT_JOB_RIGHTS; }
  uint64_t related_koid() const override { return parent_ ? parent_->koid() : 0; }

  // Kills everything below; idempotent.
  void Kill();
  struct ChildLink {
    mica::ListNode node;
    JobDispatcher* job = nullptr;
  };
  struct ProcessLink {
    mica::ListNode node;
    Process* process = nullptr;
  };
  // Process membership (Process::Create / ~Process). AddProcess fails with
  // kBadState on a killed job, kNoMemory; on success `*account` is what
  // the process's threads are charged to (MemoryAccount()).
  mica::Status AddProcess(Process* p, ProcessLink** out, kmem::Account** account);
  void RemoveProcess(ProcessLink* link);
  // Koids of the child jobs / processes: writes up to `max`, returns how
  // many exist.
  size_t ChildKoids(uint64_t* out, size_t max);
  size_t ProcessKoids(uint64_t* out, size_t max);
  // object_get_child: the process (its handle object) or child job with
  // this koid, or null.
  mica::RefPtr<Dispatcher> ChildByKoid(uint64_t koid);
  // MICA_INFO_TASK_RUNTIME: the times of every process in it and below,
  // those that have ended included.
  mica_info_task_runtime_t Runtime();

  // Kernel memory (docs/kernel.md "Job memory limits"). What the job's
  // processes and child jobs are charged to: its own account once it has
  // been given a limit, else its nearest such ancestor's (nullptr: none).
  kmem::Account* MemoryAccount() EXCLUDES(job_lock_);
  // MICA_PROP_JOB_MEMORY_LIMIT. The first limit gives the job its own
  // account, which needs the job empty (no process, no child job):
  // kBadState otherwise; kNoMemory. Raising a limit from inside the job
  // (`caller_inside`: the caller's process is in it or below it) is
  // kAccessDenied; lowering is always allowed.
  mica::Status SetMemoryLimit(uint64_t limit, bool caller_inside) EXCLUDES(job_lock_);
  uint64_t MemoryLimit() EXCLUDES(job_lock_);
  // MICA_INFO_JOB_MEMORY.
  mica_info_job_memory_t MemoryInfo() EXCLUDES(job_lock_);
  // True if `job` is this job or one below it.
  bool Contains(const JobDispatcher* job) const;

 private:
  JobDispatcher() : Dispatcher(MICA_OBJ_TYPE_JOB, 0) { sibling_.job = this; }
  // A job's, then its children's (Kill, Runtime), then Process::lock_.
  IrqSpinLock job_lock_ ACQUIRED_BEFORE(sched::g_sched_lock);
  mica::RefPtr<JobDispatcher> parent_;
  uint32_t depth_ = 0;
  bool killed_ GUARDED_BY(job_lock_) = false;
  ChildLink sibling_;  // on the parent's child list
  mica::List<ChildLink, &ChildLink::node> children_ GUARDED_BY(job_lock_);
  mica::List<ProcessLink, &ProcessLink::node> processes_ GUARDED_BY(job_lock_);
  mica_info_task_runtime_t ended_ GUARDED_BY(job_lock_) = {};
  kmem::Account* account_ GUARDED_BY(job_lock_) = nullptr;
  bool own_account_ GUARDED_BY(job_lock_) = false;  // account_ is this job's, closed with it
};
