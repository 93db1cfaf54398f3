// Threads and killing tasks.
#include "kernel/object/job.h"
#include "kernel/object/task.h"
#include "kernel/syscalls/sys_common.h"

int64_t sys_thread_create(mica_handle_t process, user_in_ptr<const void> name, size_t name_size,
                          uint32_t options, user_out_ptr<mica_handle_t> out) {
  Process* p = Process::Current();
  HandleEntry pe;
  mica::Status s = p->GetHandle(process, MICA_OBJ_TYPE_PROCESS, MICA_RIGHT_MANAGE_THREAD, &pe);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  if (options != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  char buf[MICA_MAX_NAME_LEN] = {};
  size_t n = name_size < MICA_MAX_NAME_LEN - 1 ? name_size : MICA_MAX_NAME_LEN - 1;
  s = name.copy_from_user(buf, n);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  // The process must still be running.
  mica::RefPtr<JobDispatcher> job;  // keeps the job's account open
  s = static_cast<ProcessDispatcher*>(pe.object.get())->WithProcess([&](Process* target) {
    job = mica::RefPtr<JobDispatcher>(target->job());
    return target->dead() ? mica::Status::kBadState : mica::Status::kOk;
  });
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  mica::AllocChecker ac_t;
  ThreadDispatcher* t;
  {
    // Charged to the thread's process's job.
    kmem::ChargeTo charge(job ? job->MemoryAccount() : nullptr);
    t = new (ac_t) ThreadDispatcher(pe.object, buf, n);
  }
  if (!ac_t.check()) {
    return Err(mica::Status::kNoMemory);
  }
  return Err(AddAndCopyOut(p, mica::AdoptRef<Dispatcher>(t), MICA_DEFAULT_THREAD_RIGHTS, out));
}

int64_t sys_thread_start(mica_handle_t thread, mica_vaddr_t entry, mica_vaddr_t stack,
                         uint64_t arg1, uint64_t arg2) {
  HandleEntry te;
  mica::Status s =
      Process::Current()->GetHandle(thread, MICA_OBJ_TYPE_THREAD, MICA_RIGHT_MANAGE_THREAD, &te);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  if ((entry & 3) != 0 || (stack & 15) != 0 || !arch::IsUserRange(entry, 4) ||
      !arch::IsUserRange(stack - 16, 16)) {
    return Err(mica::Status::kInvalidArgs);
  }
  return Err(static_cast<ThreadDispatcher*>(te.object.get())->Start(entry, stack, arg1, arg2));
}

int64_t sys_task_kill(mica_handle_t task) {
  Process* p = Process::Current();
  HandleEntry e;
  mica::Status s = p->GetHandle(task, MICA_OBJ_TYPE_NONE, MICA_RIGHT_DESTROY, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  // CheckKilled does not return when the caller killed itself, so the
  // reference `e` holds is dropped before it (else the object leaked).
  if (e.object->type() == MICA_OBJ_TYPE_JOB) {
    static_cast<JobDispatcher*>(e.object.get())->Kill();
    e.object.reset();
    p->CheckKilled();  // the caller may have been in that job
    return kOk;
  }
  if (e.object->type() == MICA_OBJ_TYPE_THREAD) {
    static_cast<ThreadDispatcher*>(e.object.get())
        ->Kill(/*by_itself=*/CurrentUserThread()->object.get() == e.object.get());
    e.object.reset();
    p->CheckKilled();  // killed itself: does not return to user mode
    return kOk;
  }
  if (e.object->type() != MICA_OBJ_TYPE_PROCESS) {
    return Err(mica::Status::kWrongType);
  }
  Process* target = nullptr;
  s = static_cast<ProcessDispatcher*>(e.object.get())->WithProcess([&](Process* t) {
    target = t;
    t->Kill(MICA_TASK_RETCODE_KILLED);
    return mica::Status::kOk;
  });
  e.object.reset();
  if (s == mica::Status::kBadState) {
    return kOk;  // already gone: killing a dead process succeeds
  }
  if (target == p) {
    p->CheckKilled();  // killed itself: do not return to user mode
  }
  return Err(s);
}

int64_t sys_job_create(mica_handle_t parent, uint32_t options, user_out_ptr<mica_handle_t> out) {
  Process* p = Process::Current();
  HandleEntry je;
  mica::Status s = p->GetHandle(parent, MICA_OBJ_TYPE_JOB, MICA_RIGHT_MANAGE_JOB, &je);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  if (options != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  mica::RefPtr<JobDispatcher> parent_job(static_cast<JobDispatcher*>(je.object.get()));
  mica::RefPtr<JobDispatcher> child;
  s = JobDispatcher::Create(parent_job, &child);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  mica::RefPtr<Dispatcher> obj(child.get());
  return Err(AddAndCopyOut(p, obj, MICA_DEFAULT_JOB_RIGHTS, out));
}

int64_t sys_process_create(mica_handle_t job, user_in_ptr<const void> name, size_t name_size,
                           uint32_t options, user_out_ptr<mica_handle_t> process,
                           user_out_ptr<mica_handle_t> root_vmar) {
  Process* p = Process::Current();
  HandleEntry je;
  mica::Status s = p->GetHandle(job, MICA_OBJ_TYPE_JOB, MICA_RIGHT_MANAGE_PROCESS, &je);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  if (options != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  char buf[MICA_MAX_NAME_LEN] = {};
  size_t n = name_size < MICA_MAX_NAME_LEN - 1 ? name_size : MICA_MAX_NAME_LEN - 1;
  s = name.copy_from_user(buf, n);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  mica::RefPtr<JobDispatcher> j(static_cast<JobDispatcher*>(je.object.get()));
  // A killed job refuses new processes (kBadState); otherwise memory ran
  // out (kNoMemory, ASIDs included, as before).
  mica::Status why;
  Process* child = Process::Create(buf, true, j, &why);
  if (child == nullptr) {
    return Err(why == mica::Status::kBadState ? why : mica::Status::kNoMemory);
  }
  // `child` may be freed as soon as the last handle to it closes (an
  // unstarted process is killed then, and the reaper frees it), so past
  // this point it is reached only through its handle object.
  mica::RefPtr<Dispatcher> pd = child->dispatcher();
  mica::RefPtr<Dispatcher> vmar = child->root_vmar();
  child = nullptr;
  mica_handle_t hp, hv;
  s = p->AddHandle(pd, MICA_DEFAULT_PROCESS_RIGHTS, &hp);
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
    (void)static_cast<ProcessDispatcher*>(pd.get())->WithProcess([](Process* target) {
      target->Kill(MICA_TASK_RETCODE_KILLED);
      return mica::Status::kOk;
    });
  }
  return Err(s);
}

int64_t sys_process_start(mica_handle_t process, mica_handle_t thread, mica_vaddr_t entry,
                          mica_vaddr_t stack, mica_handle_t arg1, uint64_t arg2) {
  Process* p = Process::Current();
  HandleEntry pe, te;
  mica::Status s = p->GetHandle(process, MICA_OBJ_TYPE_PROCESS, MICA_RIGHT_MANAGE_PROCESS, &pe);
  if (s == mica::Status::kOk) {
    s = p->GetHandle(thread, MICA_OBJ_TYPE_THREAD, MICA_RIGHT_MANAGE_THREAD, &te);
  }
  if (s != mica::Status::kOk) {
    if (arg1 != MICA_HANDLE_INVALID)
      (void)p->CloseHandle(arg1);
    return Err(s);
  }
  auto* td = static_cast<ThreadDispatcher*>(te.object.get());
  if (td->related_koid() != pe.object->koid() || (entry & 3) != 0 || (stack & 15) != 0) {
    if (arg1 != MICA_HANDLE_INVALID)
      (void)p->CloseHandle(arg1);
    return Err(mica::Status::kInvalidArgs);
  }
  // Move `arg1` into the new process's table; its value there is x0.
  mica_handle_t value = MICA_HANDLE_INVALID;
  if (arg1 != MICA_HANDLE_INVALID) {
    HandleEntry moved;
    s = p->handles().RemoveMany(&arg1, 1, MICA_RIGHT_TRANSFER, &moved);
    if (s != mica::Status::kOk) {
      return Err(s);
    }
    moved.object->CancelWaitsThrough(p, arg1);  // no longer the caller's
    // Add leaves the entry in `moved` when it fails: its handle reference
    // is then dropped here (the handle is consumed either way).
    s = static_cast<ProcessDispatcher*>(pe.object.get())->WithProcess([&](Process* target) {
      return target->handles().Add(mica::Move(moved), &value);
    });
    if (s != mica::Status::kOk) {
      if (moved.object)
        moved.object->RemoveHandleRef();
      return Err(s == mica::Status::kBadState || s == mica::Status::kNoMemory
                     ? s
                     : mica::Status::kNoResources);
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
    mica::Status rs =
        static_cast<ProcessDispatcher*>(pe.object.get())->WithProcess([&](Process* target) {
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
  return Err(s);
}
