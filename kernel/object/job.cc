#include "kernel/object/job.h"

#include "kernel/object/object_type.h"
#include "kernel/object/process.h"
#include "kernel/object/process_dispatcher.h"
#include "kernel/object/thread_dispatcher.h"

namespace {
mica::RefPtr<JobDispatcher>* g_root_job;
}

mica::RefPtr<JobDispatcher> JobDispatcher::CreateRoot() {
  mica::AllocChecker ac_j, ac_holder;
  auto* j = new (ac_j) JobDispatcher();
  MICA_ASSERT_MSG(ac_j.check(), "no memory for the root job");
  // The root job lives for ever: its holder is never freed.
  g_root_job = new (ac_holder) mica::RefPtr<JobDispatcher>(mica::AdoptRef(j));
  MICA_ASSERT_MSG(ac_holder.check(), "no memory for the root job");
  return *g_root_job;
}

mica::RefPtr<JobDispatcher> JobDispatcher::Root() {
  return *g_root_job;
}

mica::Status JobDispatcher::Create(mica::RefPtr<JobDispatcher> parent,
                                   mica::RefPtr<JobDispatcher>* out) {
  if (parent->depth_ + 1 >= MICA_MAX_JOB_DEPTH) {
    return mica::Status::kOutOfRange;
  }
  mica::AllocChecker ac_j;
  JobDispatcher* j;
  {
    // A job is part of its parent: charged to the parent's account.
    kmem::ChargeTo charge(parent->MemoryAccount());
    j = new (ac_j) JobDispatcher();
  }
  if (!ac_j.check()) {
    return mica::Status::kNoMemory;
  }
  auto ref = mica::AdoptRef(j);
  j->depth_ = parent->depth_ + 1;
  {
    IrqGuard g(parent->job_lock_);
    if (parent->killed_) {
      return mica::Status::kBadState;
    }
    parent->children_.push_back(&j->sibling_);
    // Nobody else can see j yet; its lock (parent before child, as Kill)
    // keeps the analysis whole.
    IrqGuard jg(j->job_lock_);
    j->account_ = parent->account_;
  }
  j->parent_ = mica::Move(parent);
  *out = ref;
  return mica::Status::kOk;
}

JobDispatcher::~JobDispatcher() {
  if (parent_) {
    IrqGuard g(parent_->job_lock_);
    parent_->children_.remove(&sibling_);
  }
  if (own_account_) {
    // Freed once the last thing charged to it (a message still queued
    // somewhere, a page another job maps) is.
    kmem::CloseAccount(account_);
  }
}

void JobDispatcher::Kill() {
  {
    IrqGuard g(job_lock_);
    if (killed_) {
      return;
    }
    killed_ = true;  // no process or child job joins from now on
  }
  // Each process and child job is killed without this job's lock held: a
  // kill drops handles (a dead process's table goes), and dropping the last
  // handle to a job frees it, which unlinks it from its parent under the
  // parent's lock, this job's or one whose Kill is walking above us. So one
  // member at a time is found and pinned under the lock, then killed after.
  for (;;) {
    mica::RefPtr<ProcessDispatcher> pd;  // keeps the handle object, WithProcess the process
    {
      IrqGuard g(job_lock_);
      for (ProcessLink& l : processes_) {
        // ~Process unlinks under this lock before anything else: listed
        // processes are alive.
        if (!l.process->dead()) {
          pd = l.process->dispatcher();
          break;
        }
      }
    }
    if (!pd) {
      break;
    }
    (void)pd->WithProcess([](Process* p) {
      p->Kill(MICA_TASK_RETCODE_KILLED);  // makes it dead: not picked again
      return mica::Status::kOk;
    });
  }
  for (;;) {
    mica::RefPtr<JobDispatcher> child;
    {
      IrqGuard g(job_lock_);
      for (ChildLink& c : children_) {
        bool killed;
        {
          IrqGuard cg(c.job->job_lock_);  // order: parent before child
          killed = c.job->killed_;
        }
        // A child with no reference left waits in its destructor for our
        // lock to unlink itself: it is skipped.
        if (!killed && c.job->TryAddRef()) {
          child = mica::RefPtr<JobDispatcher>(c.job);
          (void)c.job->Release();  // `child` holds one
          break;
        }
      }
    }
    if (!child) {
      break;
    }
    child->Kill();  // sets its killed_: not picked again
  }
  UpdateSignals(0, MICA_TASK_TERMINATED);
}

mica::Status JobDispatcher::AddProcess(Process* p, ProcessLink** out, kmem::Account** account) {
  if (p == nullptr) {
    // A query: would a process be accepted?
    IrqGuard g(job_lock_);
    return killed_ ? mica::Status::kBadState : mica::Status::kOk;
  }
  mica::AllocChecker ac_link;
  auto* link = new (ac_link) ProcessLink();
  if (!ac_link.check()) {
    return mica::Status::kNoMemory;
  }
  link->process = p;
  IrqGuard g(job_lock_);
  if (killed_) {
    delete link;
    return mica::Status::kBadState;
  }
  processes_.push_back(link);
  *out = link;
  *account = account_;
  return mica::Status::kOk;
}

void JobDispatcher::RemoveProcess(ProcessLink* link) {
  mica_info_task_runtime_t rt = link->process->Runtime();
  {
    IrqGuard g(job_lock_);
    processes_.remove(link);
    ended_.cpu_time += rt.cpu_time;
    ended_.queue_time += rt.queue_time;
  }
  delete link;
}

mica_info_task_runtime_t JobDispatcher::Runtime() {
  // Order: a job's lock, then its processes' and child jobs' (as Kill).
  IrqGuard g(job_lock_);
  mica_info_task_runtime_t rt = ended_;
  for (ProcessLink& l : processes_) {
    mica_info_task_runtime_t p = l.process->Runtime();
    rt.cpu_time += p.cpu_time;
    rt.queue_time += p.queue_time;
  }
  for (ChildLink& c : children_) {
    mica_info_task_runtime_t j = c.job->Runtime();
    rt.cpu_time += j.cpu_time;
    rt.queue_time += j.queue_time;
  }
  return rt;
}

size_t JobDispatcher::ChildKoids(uint64_t* out, size_t max) {
  IrqGuard g(job_lock_);
  size_t n = 0;
  for (ChildLink& c : children_) {
    if (n < max)
      out[n] = c.job->koid();
    n++;
  }
  return n;
}

size_t JobDispatcher::ProcessKoids(uint64_t* out, size_t max) {
  IrqGuard g(job_lock_);
  size_t n = 0;
  for (ProcessLink& l : processes_) {
    if (n < max)
      out[n] = l.process->koid();
    n++;
  }
  return n;
}

mica::RefPtr<Dispatcher> JobDispatcher::ChildByKoid(uint64_t koid) {
  IrqGuard g(job_lock_);
  // ~Process unlinks under this lock before anything else: listed
  // processes are alive and hold their handle object.
  for (ProcessLink& l : processes_) {
    if (l.process->koid() == koid) {
      return l.process->dispatcher();
    }
  }
  for (ChildLink& c : children_) {
    // A child with no reference left waits in its destructor for our lock.
    if (c.job->koid() == koid && c.job->TryAddRef()) {
      mica::RefPtr<JobDispatcher> child(c.job);
      (void)c.job->Release();  // `child` holds one
      return child;
    }
  }
  return nullptr;
}

kmem::Account* JobDispatcher::MemoryAccount() {
  IrqGuard g(job_lock_);
  return account_;
}

bool JobDispatcher::Contains(const JobDispatcher* job) const {
  // Each job holds its parent: the chain is alive and no longer than
  // MICA_MAX_JOB_DEPTH.
  for (; job != nullptr; job = job->parent_.get()) {
    if (job == this) {
      return true;
    }
  }
  return false;
}

mica::Status JobDispatcher::SetMemoryLimit(uint64_t limit, bool caller_inside) {
  IrqGuard g(job_lock_);
  if (!own_account_) {
    // Counting starts empty, so that the account holds exactly what was
    // charged to it (nothing made before is credited to it when freed).
    if (!processes_.empty() || !children_.empty()) {
      return mica::Status::kBadState;
    }
    kmem::Account* account = kmem::NewAccount(account_);
    if (account == nullptr) {
      return mica::Status::kNoMemory;
    }
    account->SetLimit(limit);
    account_ = account;
    own_account_ = true;
    return mica::Status::kOk;
  }
  if (caller_inside && limit > account_->limit()) {
    return mica::Status::kAccessDenied;
  }
  account_->SetLimit(limit);
  return mica::Status::kOk;
}

uint64_t JobDispatcher::MemoryLimit() {
  IrqGuard g(job_lock_);
  return own_account_ ? account_->limit() : MICA_JOB_MEMORY_UNLIMITED;
}

mica_info_job_memory_t JobDispatcher::MemoryInfo() {
  IrqGuard g(job_lock_);
  mica_info_job_memory_t info = {};
  info.limit = MICA_JOB_MEMORY_UNLIMITED;
  if (own_account_) {
    info.flags = MICA_INFO_JOB_MEMORY_FLAG_ACCOUNTED;
    info.limit = account_->limit();
    info.used = account_->used();
    info.peak = account_->peak();
    info.failures = account_->failures();
  }
  return info;
}
