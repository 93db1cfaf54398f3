#include "kernel/object/job.h"

#include "kernel/object/process.h"
#include "kernel/object/task.h"

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
                                   mica::RefPtr<JobDispatcher>* out) NO_THREAD_SAFETY_ANALYSIS {
  if (parent->depth_ + 1 >= MICA_MAX_JOB_DEPTH) {
    return mica::Status::kOutOfRange;
  }
  mica::AllocChecker ac_j;
  auto* j = new (ac_j) JobDispatcher();
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
  }
  j->parent_ = mica::Move(parent);
  *out = ref;
  return mica::Status::kOk;
}

JobDispatcher::~JobDispatcher() NO_THREAD_SAFETY_ANALYSIS {
  if (parent_) {
    IrqGuard g(parent_->job_lock_);
    parent_->children_.remove(&sibling_);
  }
}

void JobDispatcher::Kill() NO_THREAD_SAFETY_ANALYSIS {
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
    mica::RefPtr<Dispatcher> pd;  // keeps the handle object, WithProcess the process
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
    (void)static_cast<ProcessDispatcher*>(pd.get())->WithProcess([](Process* p) {
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

mica::Status JobDispatcher::AddProcess(Process* p, ProcessLink** out) NO_THREAD_SAFETY_ANALYSIS {
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
  return mica::Status::kOk;
}

void JobDispatcher::RemoveProcess(ProcessLink* link) NO_THREAD_SAFETY_ANALYSIS {
  mica_info_task_runtime_t rt = link->process->Runtime();
  {
    IrqGuard g(job_lock_);
    processes_.remove(link);
    ended_.cpu_time += rt.cpu_time;
    ended_.queue_time += rt.queue_time;
  }
  delete link;
}

mica_info_task_runtime_t JobDispatcher::Runtime() NO_THREAD_SAFETY_ANALYSIS {
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

size_t JobDispatcher::ChildKoids(uint64_t* out, size_t max) NO_THREAD_SAFETY_ANALYSIS {
  IrqGuard g(job_lock_);
  size_t n = 0;
  for (ChildLink& c : children_) {
    if (n < max)
      out[n] = c.job->koid();
    n++;
  }
  return n;
}

size_t JobDispatcher::ProcessKoids(uint64_t* out, size_t max) NO_THREAD_SAFETY_ANALYSIS {
  IrqGuard g(job_lock_);
  size_t n = 0;
  for (ProcessLink& l : processes_) {
    if (n < max)
      out[n] = l.process->koid();
    n++;
  }
  return n;
}
