// Process: its threads and handles as object_get_info and task_kill see
// them through thread and process handles (MICA_INFO_THREAD, TASK_RUNTIME,
// PROCESS_THREADS, PROCESS_HANDLE_STATS, TASK_STATS, thread priority, the
// kill of one thread).
#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/timer.h"
#include "kernel/object/process.h"
#include "kernel/object/process_dispatcher.h"
#include "kernel/object/thread_dispatcher.h"
#include "kernel/object/vmar.h"

namespace {

uint32_t ThreadState(const UserThread* ut) {
  if (ut->exited) {
    return MICA_THREAD_STATE_DEAD;
  }
  if (ut->killed) {
    return MICA_THREAD_STATE_DYING;
  }
  // Read without the scheduler lock: a snapshot.
  return ut->thread->state == sched::ThreadState::kBlocked ? MICA_THREAD_STATE_BLOCKED
                                                           : MICA_THREAD_STATE_RUNNING;
}

}  // namespace

void AddThreadRuntime(const sched::Thread* t, mica_info_task_runtime_t* rt) {
  uint64_t run = t->runtime_ns;
  uint64_t now = timer::NowNs();
  if (t->state == sched::ThreadState::kRunning && now > t->last_start_ns) {
    run += now - t->last_start_ns;  // the slice it is in
  }
  rt->cpu_time += static_cast<mica_duration_t>(run);
  rt->queue_time += static_cast<mica_duration_t>(t->queue_ns);
}

UserThread* Process::FindThreadLocked(const Dispatcher* object) {
  for (UserThread* ut : threads_) {
    if (ut != nullptr && ut != reinterpret_cast<UserThread*>(1) && ut->object.get() == object) {
      return ut;
    }
  }
  return nullptr;
}

mica::Status Process::ThreadInfo(const Dispatcher* object, mica_info_thread_t* info,
                                 mica_info_task_runtime_t* runtime) {
  IrqGuard guard(lock_);
  UserThread* ut = FindThreadLocked(object);
  if (ut == nullptr) {
    return mica::Status::kNotFound;
  }
  if (info != nullptr) {
    info->state = ThreadState(ut);
    info->last_cpu = ut->thread->cpu;
    info->priority = ut->thread->priority;
  }
  if (runtime != nullptr) {
    AddThreadRuntime(ut->thread, runtime);
  }
  return mica::Status::kOk;
}

mica::Status Process::SetThreadPriority(const Dispatcher* object, int priority) {
  sched::Thread* t = nullptr;
  {
    IrqGuard guard(lock_);
    UserThread* ut = FindThreadLocked(object);
    if (ut == nullptr) {
      return mica::Status::kNotFound;
    }
    if (ut->exited) {
      return mica::Status::kOk;  // nothing left to schedule
    }
    t = ut->thread;
  }
  // The thread cannot be freed meanwhile: only ~Process joins it.
  sched::SetPriority(t, priority);
  return mica::Status::kOk;
}

mica::Status Process::KillThread(const Dispatcher* object) {
  IrqGuard guard(lock_);
  UserThread* ut = FindThreadLocked(object);
  if (ut == nullptr) {
    return mica::Status::kNotFound;
  }
  if (!ut->exited && !ut->killed) {
    ut->killed = true;
    sched::Interrupt(ut->thread);  // a wait ends; a running thread enters the kernel
  }
  return mica::Status::kOk;
}

size_t Process::ThreadKoids(uint64_t* out, size_t max) {
  IrqGuard guard(lock_);
  size_t n = 0;
  for (UserThread* ut : threads_) {
    if (ut != nullptr && ut != reinterpret_cast<UserThread*>(1) && ut->object && !ut->exited) {
      if (n < max) {
        out[n] = ut->object->koid();
      }
      n++;
    }
  }
  return n;
}

mica::RefPtr<Dispatcher> Process::ThreadByKoid(uint64_t koid) {
  IrqGuard guard(lock_);
  for (UserThread* ut : threads_) {
    if (ut != nullptr && ut != reinterpret_cast<UserThread*>(1) && ut->object && !ut->exited &&
        ut->object->koid() == koid) {
      return ut->object;
    }
  }
  return nullptr;
}

mica_info_task_runtime_t Process::Runtime() {
  IrqGuard guard(lock_);
  mica_info_task_runtime_t rt = reaped_runtime_;
  for (UserThread* ut : threads_) {
    if (ut != nullptr && ut != reinterpret_cast<UserThread*>(1)) {
      AddThreadRuntime(ut->thread, &rt);
    }
  }
  return rt;
}

mica_info_task_stats_t Process::TaskStats() {
  mica_info_task_stats_t st = {};
  {
    IrqGuard guard(lock_);
    st.mem_mapped_bytes = page_count_ * arch::kPageSize;  // the loader's pages: private
    st.mem_private_bytes = page_count_ * arch::kPageSize;
  }
  if (root_vmar_) {
    root_vmar_->AddTaskStats(&aspace_, &st);
  }
  st.handle_count = handles_->count();
  return st;
}

void Process::HandleStats(mica_info_process_handle_stats_t* stats) {
  *stats = {};
  handles_->ForEach([&](uint32_t, const HandleEntry& e) {
    mica_obj_type_t t = e.object->type();
    if (t < MICA_OBJ_TYPE_COUNT) {
      stats->handle_count[t]++;
    }
    return true;
  });
}
