// A process's end: its threads exit or are killed, it is marked dead (its
// handles and mappings dropped, its waiters told) and the reaper thread
// frees it, outside its own threads (docs/kernel.md "Destruction order").
// Split from process.cc along that seam.
#include <string.h>

#include "kernel/arch/arm64/arch.h"
#include "kernel/base/log.h"
#include "kernel/base/memory.h"
#include "kernel/base/percpu.h"
#include "kernel/object/channel.h"
#include "kernel/object/futex.h"
#include "kernel/object/object_type.h"
#include "kernel/object/process.h"
#include "kernel/object/process_dispatcher.h"
#include "kernel/object/thread_dispatcher.h"
#include "kernel/object/vmar.h"

namespace {

IrqSpinLock g_reap_lock ACQUIRED_BEFORE(sched::g_sched_lock);
mica::List<Process, &Process::reap_node_>* g_reap_list;
sched::WaitQueue g_reap_wait;
// Processes put on g_reap_list and not yet freed (the one the reaper is
// freeing included): raised before a process goes on the list, lowered
// only once its delete has returned (MICA_INFO_KMEM_STATS reports it).
mica::Atomic<uint64_t> g_unreaped;

}  // namespace

void Process::ReapExitedThreads() {
  UserThread* done[kMaxThreads];
  size_t slots[kMaxThreads];
  size_t n = 0;
  {
    IrqGuard guard(lock_);
    for (size_t i = 0; i < kMaxThreads; i++) {
      UserThread* ut = threads_[i];
      if (ut != nullptr && ut != reinterpret_cast<UserThread*>(1) && ut->reapable) {
        done[n] = ut;
        slots[n++] = i;
        threads_[i] = reinterpret_cast<UserThread*>(1);  // reserved until joined
      }
    }
  }
  mica_info_task_runtime_t rt = {};
  bool joined[kMaxThreads];
  for (size_t i = 0; i < n; i++) {
    // It marked itself on its way into sched::Exit, holding nothing, but
    // it may not be dead yet. Never wait for it: this runs under the task
    // lock (ThreadDispatcher::Start's WithProcess), a spin lock, and a
    // thread that blocks holding one may resume on another CPU. The join
    // has a deadline in the past, so it only takes threads already dead
    // (once dead, a thread is off its stack within a few instructions,
    // which the join spins for); the rest are taken by a later start.
    // Every one is tried: stopping at the first still alive (the thread
    // that ended last, often, in the lowest free slot) left those after
    // it to pile up until no slot was free (thread.many_more_threads_over_
    // time_than_at_once failed with NO_RESOURCES on 2 CPUs).
    joined[i] = sched::Join(done[i]->thread, /*deadline=*/0, nullptr) == mica::Status::kOk;
    if (joined[i]) {
      done[i]->thread = nullptr;
      rt.cpu_time += done[i]->final_runtime.cpu_time;
      rt.queue_time += done[i]->final_runtime.queue_time;
      done[i]->~UserThread();
      kmem::Free(done[i]);
    }
  }
  IrqGuard guard(lock_);
  for (size_t i = 0; i < n; i++) {
    threads_[slots[i]] = joined[i] ? nullptr : done[i];  // the rest later
  }
  reaped_runtime_.cpu_time += rt.cpu_time;
  reaped_runtime_.queue_time += rt.queue_time;
}

void Process::MarkDead(int64_t code) {
  bool first = false;
  {
    IrqGuard guard(lock_);
    if (state_ != State::kDead) {
      state_ = State::kDead;
      exit_code_ = code;
      first = true;
      // Every thread of a dead process is interrupted, so the syscall
      // return path (arch/arm64/vectors.S) needs to test only the thread's
      // flag. Kill interrupted them already; this also catches a thread
      // that StartThread added after Kill's loop (one added after this
      // point exits in UserThreadEntry before reaching user mode).
      for (UserThread* ut : threads_) {
        if (ut != nullptr && ut != reinterpret_cast<UserThread*>(1) && !ut->exited) {
          sched::Interrupt(ut->thread);
        }
      }
    }
  }
  if (first) {
    // A dead process holds nothing: close its handles (waking peers with
    // PEER_CLOSED) before telling waiters it is gone.
    CloseAllHandles();
    futex::WakeAll(this);
    // A dead process's address space goes at once: every mapping and
    // sub-VMAR (pages still mapped by the loader go with the process).
    (void)root_vmar_->Destroy();
    // Every thread of a dead process is terminated, and so is the process.
    {
      IrqGuard guard(lock_);
      for (UserThread* ut : threads_) {
        if (ut != nullptr && ut != reinterpret_cast<UserThread*>(1)) {
          ut->exited = true;  // it dies on its way back to user mode
        }
        if (ut != nullptr && ut != reinterpret_cast<UserThread*>(1) && ut->object) {
          mica_info_task_runtime_t rt = {};
          AddThreadRuntime(ut->thread, &rt);
          As<ThreadDispatcher>(ut->object.get())->MarkTerminated(rt);
        }
      }
    }
    dispatcher_->SetFinalRuntime(Runtime());
    dispatcher_->MarkExited(code);
    dispatcher_->UpdateSignals(0, MICA_TASK_TERMINATED);
    exit_waiters_.WakeAll();
    if (auto_reap_) {
      g_unreaped.fetch_add(1, mica::kRelaxed);
      {
        IrqGuard guard(g_reap_lock);
        g_reap_list->push_back(this);
      }
      g_reap_wait.WakeAll();
    }
  }
}

void Process::ExitFromCurrentThread(int64_t code) {
  Kill(code);
  sched::Exit(static_cast<int>(code));
}

void Process::ExitCurrentThread() {
  // The thread's end (and its process's, if it is the last) is charged to
  // nobody: it must never fail for its job's limit.
  sched::Current()->mem_account = nullptr;
  bool last;
  {
    IrqGuard guard(lock_);
    last = --live_threads_ == 0;
    for (UserThread* ut : threads_) {
      if (ut != nullptr && ut != reinterpret_cast<UserThread*>(1) &&
          ut->thread == sched::Current()) {
        ut->exited = true;
        AddThreadRuntime(ut->thread, &ut->final_runtime);
        if (ut->object) {
          As<ThreadDispatcher>(ut->object.get())->MarkTerminated(ut->final_runtime);
        }
        // Its slot may be reused once it has switched away for good (it
        // goes straight to sched::Exit unless it is the last thread, and
        // then the process is dead and starts no more threads).
        ut->reapable = !last;
      }
    }
  }
  if (last) {
    MarkDead(0);
  }
  sched::Exit(0);
}

void Process::KillFromFault(const char* why, uint32_t esr, uint64_t address) {
  KLog("process %s (koid %llu): killed: %s", name_, static_cast<unsigned long long>(koid_), why);
  dispatcher_->MarkFaulted(esr, address);
  ExitFromCurrentThread(MICA_TASK_RETCODE_FAULT);
}

void Process::CheckKilled() {
  if (state_ == State::kDead) {
    sched::Current()->mem_account = nullptr;  // as in ExitCurrentThread
    sched::Exit(0);
  }
  if (!sched::Current()->interrupted) {
    return;  // the fast path: nobody killed this thread
  }
  bool killed = false;
  {
    IrqGuard guard(lock_);
    for (UserThread* ut : threads_) {
      if (ut != nullptr && ut != reinterpret_cast<UserThread*>(1) &&
          ut->thread == sched::Current()) {
        killed = ut->killed;
      }
    }
  }
  if (killed) {
    ExitCurrentThread();  // task_kill of this thread alone
  }
}

mica::Status Process::WaitForExit(uint64_t deadline, int64_t* code) {
  mica::Status s = exit_waiters_.BlockWhile(
      [](const void* p) { return static_cast<const Process*>(p)->state_ != State::kDead; }, this,
      deadline);
  if (s != mica::Status::kOk) {
    return s;
  }
  *code = exit_code_;
  return mica::Status::kOk;
}

mica::Status Process::AddHandle(mica::RefPtr<Dispatcher> object, mica_rights_t rights,
                                mica_handle_t* out) {
  HandleEntry e;
  e.koid = object->koid();
  e.rights = rights;
  Dispatcher* raw = object.get();
  e.object = mica::Move(object);
  raw->AddHandleRef();
  mica::Status s = handles_->Add(mica::Move(e), out);
  if (s != mica::Status::kOk) {
    raw->RemoveHandleRef();
  }
  return s;
}

// ---- The reaper: frees dead processes outside their own threads ----

void Process::StartReaper() {
  static mica::List<Process, &Process::reap_node_> list;
  g_reap_list = &list;
  sched::Thread* t = sched::Create("reaper", ReaperMain, nullptr, sched::kPriorityDefault);
  MICA_ASSERT_MSG(t != nullptr, "cannot start the reaper");
  sched::Detach(t);
  sched::Start(t);
}

void Process::ReaperMain(void*) {
  for (;;) {
    Process* p = nullptr;
    {
      IrqGuard guard(g_reap_lock);
      p = g_reap_list->pop_front();
    }
    if (p == nullptr) {
      // The condition reads the list under the scheduler lock, not
      // g_reap_lock: a queueing after the check wakes the reaper.
      (void)g_reap_wait.BlockWhile(
          [](const void*) NO_THREAD_SAFETY_ANALYSIS {  // unlocked peek (above)
            return g_reap_list->empty();
          },
          nullptr, sched::kInfinite);
      continue;
    }
    delete p;  // joins its (interrupted, exiting) threads first
    // Release: a reader that sees the count drop also sees the frees.
    g_unreaped.fetch_sub(1, mica::kRelease);
  }
}

uint64_t Process::UnreapedCount() {
  return g_unreaped.load(mica::kAcquire);
}
