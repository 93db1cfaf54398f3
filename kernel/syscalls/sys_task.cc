// Threads and killing tasks.
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
  s = static_cast<ProcessDispatcher*>(pe.object.get())->WithProcess([](Process* target) {
    return target->dead() ? mica::Status::kBadState : mica::Status::kOk;
  });
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  auto* t = new ThreadDispatcher(pe.object, buf, n);
  if (t == nullptr) {
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
  if (e.object->type() != MICA_OBJ_TYPE_PROCESS) {
    // Killing single threads and jobs comes with the job tree.
    return Err(e.object->type() == MICA_OBJ_TYPE_THREAD || e.object->type() == MICA_OBJ_TYPE_JOB
                   ? mica::Status::kNotSupported
                   : mica::Status::kWrongType);
  }
  Process* target = nullptr;
  s = static_cast<ProcessDispatcher*>(e.object.get())->WithProcess([&](Process* t) {
    target = t;
    t->Kill(MICA_TASK_RETCODE_KILLED);
    return mica::Status::kOk;
  });
  if (s == mica::Status::kBadState) {
    return kOk;  // already gone: killing a dead process succeeds
  }
  if (target == p) {
    p->CheckKilled();  // killed itself: do not return to user mode
  }
  return Err(s);
}
