// Threads and killing tasks.
#include "kernel/object/job.h"
#include "kernel/object/process_dispatcher.h"
#include "kernel/object/thread_dispatcher.h"
#include "kernel/syscalls/sys_common.h"

mica::Status sys_thread_create(mica_handle_t process, user_in_ptr<const void> name,
                               size_t name_size, uint32_t options,
                               user_out_ptr<mica_handle_t> out) {
  Process* p = Process::Current();
  ObjectName n;
  mica::RefPtr<ProcessDispatcher> pd = TRY(GetParent<ProcessDispatcher>(
      p, process, MICA_RIGHT_MANAGE_THREAD, options, name, name_size, &n));
  // The process must still be running.
  mica::RefPtr<JobDispatcher> job;  // keeps the job's account open
  TRY(pd->WithProcess([&](Process* target) {
    job = mica::RefPtr<JobDispatcher>(target->job());
    return target->dead() ? mica::Status::kBadState : mica::Status::kOk;
  }));
  mica::AllocChecker ac_t;
  ThreadDispatcher* t;
  {
    // Charged to the thread's process's job.
    kmem::ChargeTo charge(job ? job->MemoryAccount() : nullptr);
    t = new (ac_t) ThreadDispatcher(mica::Move(pd), n.text, n.len);
  }
  if (!ac_t.check()) {
    return mica::Status::kNoMemory;
  }
  return AddAndCopyOut(p, mica::AdoptRef<Dispatcher>(t), MICA_DEFAULT_THREAD_RIGHTS, out);
}

mica::Status sys_thread_start(mica_handle_t thread, mica_vaddr_t entry, mica_vaddr_t stack,
                              uint64_t arg1, uint64_t arg2) {
  mica::RefPtr<ThreadDispatcher> td =
      TRY(Process::Current()->GetObject<ThreadDispatcher>(thread, MICA_RIGHT_MANAGE_THREAD));
  if ((entry & 3) != 0 || (stack & 15) != 0 || !arch::IsUserRange(entry, 4) ||
      !arch::IsUserRange(stack - 16, 16)) {
    return mica::Status::kInvalidArgs;
  }
  return td->Start(entry, stack, arg1, arg2);
}

mica::Status sys_task_kill(mica_handle_t task) {
  Process* p = Process::Current();
  mica::RefPtr<Dispatcher> object = TRY(p->GetObject<Dispatcher>(task, MICA_RIGHT_DESTROY));
  // CheckKilled does not return when the caller killed itself, so the
  // reference `object` holds is dropped before it (else the object leaked).
  if (JobDispatcher* job = DownCast<JobDispatcher>(object.get())) {
    job->Kill();
    object.reset();
    p->CheckKilled();  // the caller may have been in that job
    return mica::Status::kOk;
  }
  if (ThreadDispatcher* thread = DownCast<ThreadDispatcher>(object.get())) {
    thread->Kill(/*by_itself=*/CurrentUserThread()->object.get() == thread);
    object.reset();
    p->CheckKilled();  // killed itself: does not return to user mode
    return mica::Status::kOk;
  }
  ProcessDispatcher* pd = DownCast<ProcessDispatcher>(object.get());
  if (pd == nullptr) {
    return mica::Status::kWrongType;
  }
  Process* target = nullptr;
  mica::Status s = pd->WithProcess([&](Process* t) {
    target = t;
    t->Kill(MICA_TASK_RETCODE_KILLED);
    return mica::Status::kOk;
  });
  object.reset();
  if (s == mica::Status::kBadState) {
    return mica::Status::kOk;  // already gone: killing a dead process succeeds
  }
  if (target == p) {
    p->CheckKilled();  // killed itself: do not return to user mode
  }
  return s;
}

mica::Status sys_object_get_child(mica_handle_t handle, uint64_t koid, mica_rights_t rights,
                                  user_out_ptr<mica_handle_t> out) {
  Process* p = Process::Current();
  mica_rights_t have;
  mica::RefPtr<Dispatcher> parent =
      TRY(p->GetObject<Dispatcher>(handle, MICA_RIGHT_ENUMERATE, &have));
  mica::RefPtr<Dispatcher> child;
  if (JobDispatcher* job = DownCast<JobDispatcher>(parent.get())) {
    child = job->ChildByKoid(koid);
  } else if (ProcessDispatcher* pd = DownCast<ProcessDispatcher>(parent.get())) {
    (void)pd->WithProcess([&](Process* target) {
      child = target->ThreadByKoid(koid);
      return mica::Status::kOk;
    });  // a process that is gone has no threads
  } else {
    return mica::Status::kWrongType;
  }
  if (!child) {
    return mica::Status::kNotFound;
  }
  // Never more than the parent's handle has, nor than the child's default.
  mica_rights_t allowed = have & child->default_rights();
  if (rights == MICA_RIGHT_SAME_RIGHTS) {
    rights = allowed;
  } else if ((rights & ~allowed) != 0) {
    return mica::Status::kAccessDenied;
  }
  return AddAndCopyOut(p, mica::Move(child), rights, out);
}

mica::Status sys_job_create(mica_handle_t parent, uint32_t options,
                            user_out_ptr<mica_handle_t> out) {
  Process* p = Process::Current();
  mica::RefPtr<JobDispatcher> parent_job =
      TRY(GetParent<JobDispatcher>(p, parent, MICA_RIGHT_MANAGE_JOB, options));
  mica::RefPtr<JobDispatcher> child;
  TRY(JobDispatcher::Create(parent_job, &child));
  return AddAndCopyOut(p, mica::Move(child), MICA_DEFAULT_JOB_RIGHTS, out);
}

mica::Status sys_process_create(mica_handle_t job, user_in_ptr<const void> name, size_t name_size,
                                uint32_t options, user_out_ptr<mica_handle_t> process,
                                user_out_ptr<mica_handle_t> root_vmar) {
  Process* p = Process::Current();
  ObjectName n;
  mica::RefPtr<JobDispatcher> j = TRY(
      GetParent<JobDispatcher>(p, job, MICA_RIGHT_MANAGE_PROCESS, options, name, name_size, &n));
  // A killed job refuses new processes (kBadState); otherwise memory ran
  // out (kNoMemory, ASIDs included, as before).
  mica::Status why;
  Process* child = Process::Create(n.text, true, j, &why);
  if (child == nullptr) {
    return why == mica::Status::kBadState ? why : mica::Status::kNoMemory;
  }
  // `child` may be freed as soon as the last handle to it closes (an
  // unstarted process is killed then, and the reaper frees it), so past
  // this point it is reached only through its handle object.
  mica::RefPtr<Dispatcher> pd = child->dispatcher();
  mica::RefPtr<Dispatcher> vmar = child->root_vmar();
  child = nullptr;
  mica_handle_t hp, hv;
  mica::Status s = p->AddHandle(pd, MICA_DEFAULT_PROCESS_RIGHTS, &hp);
  if (s == mica::Status::kOk) {
    s = p->AddHandle(mica::Move(vmar), MICA_DEFAULT_VMAR_RIGHTS, &hv);
    if (s != mica::Status::kOk) {
      (void)p->CloseHandle(hp);
    }
  }
  if (s == mica::Status::kOk) {
    s = process.copy_to_user(hp);
    if (s == mica::Status::kOk) {
      s = root_vmar.copy_to_user(hv);
    }
    if (s != mica::Status::kOk) {
      (void)p->CloseHandle(hp);
      (void)p->CloseHandle(hv);
    }
  }
  if (s != mica::Status::kOk) {
    // Never started: the reaper frees it. (Dropping its last handle above
    // killed it already; this is the same kill, idempotent.)
    (void)As<ProcessDispatcher>(pd.get())->WithProcess([](Process* target) {
      target->Kill(MICA_TASK_RETCODE_KILLED);
      return mica::Status::kOk;
    });
  }
  return s;
}

namespace {

// process_start's lookups and checks. On failure the caller closes `arg1`
// (ABI: the handle is consumed either way).
mica::Status CheckStart(Process* p, mica_handle_t process, mica_handle_t thread, mica_vaddr_t entry,
                        mica_vaddr_t stack, mica::RefPtr<ProcessDispatcher>* pd,
                        mica::RefPtr<ThreadDispatcher>* td) {
  *pd = TRY(p->GetObject<ProcessDispatcher>(process, MICA_RIGHT_MANAGE_PROCESS));
  *td = TRY(p->GetObject<ThreadDispatcher>(thread, MICA_RIGHT_MANAGE_THREAD));
  if ((*td)->related_koid() != (*pd)->koid() || (entry & 3) != 0 || (stack & 15) != 0) {
    return mica::Status::kInvalidArgs;
  }
  return mica::Status::kOk;
}

}  // namespace

mica::Status sys_process_start(mica_handle_t process, mica_handle_t thread, mica_vaddr_t entry,
                               mica_vaddr_t stack, mica_handle_t arg1, uint64_t arg2) {
  Process* p = Process::Current();
  mica::RefPtr<ProcessDispatcher> pd;
  mica::RefPtr<ThreadDispatcher> td;
  mica::Status s = CheckStart(p, process, thread, entry, stack, &pd, &td);
  if (s != mica::Status::kOk) {
    if (arg1 != MICA_HANDLE_INVALID)
      (void)p->CloseHandle(arg1);
    return s;
  }
  // Move `arg1` into the new process's table; its value there is x0.
  mica_handle_t value = MICA_HANDLE_INVALID;
  if (arg1 != MICA_HANDLE_INVALID) {
    HandleEntry moved;
    TRY(p->handles().RemoveMany(&arg1, 1, MICA_RIGHT_TRANSFER, &moved));
    moved.object->CancelWaitsThrough(p, arg1);  // no longer the caller's
    // Add leaves the entry in `moved` when it fails: its handle reference
    // is then dropped here (the handle is consumed either way).
    s = pd->WithProcess(
        [&](Process* target) { return target->handles().Add(mica::Move(moved), &value); });
    if (s != mica::Status::kOk) {
      if (moved.object)
        moved.object->RemoveHandleRef();
      return s == mica::Status::kBadState || s == mica::Status::kNoMemory
                 ? s
                 : mica::Status::kNoResources;
    }
  }
  s = td->Start(entry, stack, value, arg2);
  if (s != mica::Status::kOk && value != MICA_HANDLE_INVALID) {
    // The process did not start: `arg1` leaves its table again (closed),
    // as in Zircon. Left there, a handle to the process itself (or to
    // anything holding it) would keep an unstarted process alive for ever.
    // Released after the task lock: it may be the process's last handle,
    // whose release takes that lock (ProcessDispatcher::OnZeroHandles).
    HandleEntry back;
    mica::Status rs = pd->WithProcess([&](Process* target) {
      mica::Status r = target->handles().Remove(value, &back);
      if (r == mica::Status::kOk) {
        back.object->CancelWaitsThrough(target, value);
      }
      return r;
    });
    if (rs == mica::Status::kOk) {
      back.object->RemoveHandleRef();
    }
  }
  return s;
}
