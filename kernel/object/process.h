// A user process: an address space, the memory it owns, its threads and its
// exit status. This is the M2 starting point: handles, jobs and VMO-backed
// mappings build on it (docs/kernel.md).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/arch/arm64/user_page_table.h"
#include "kernel/arch/arm64/user_state.h"
#include "kernel/base/irq_spinlock.h"
#include "kernel/base/memory.h"
#include "kernel/base/percpu.h"
#include "kernel/lib/result.h"
#include "kernel/lib/status.h"
#include "kernel/object/dispatcher.h"
#include "kernel/object/job.h"
#include "kernel/object/object_type.h"
#include "kernel/object/process_dispatcher.h"
#include "kernel/object/vmar.h"
#include "kernel/object/vmo.h"
#include "kernel/sched/sched.h"

class Process;

// A one-entry handle lookup cache (Process::GetHandleCached): `value`
// named `object` with `rights` when the table's invalidations() count read
// `stamp`, and still does while it reads the same.
struct HandleCache {
  mica_handle_t value = 0;
  mica_rights_t rights = 0;
  uint64_t stamp = UINT64_MAX;  // never a count: the empty cache never hits
  mica::RefPtr<Dispatcher> object;
};

// A thread running in a process: the scheduler's thread plus its user state.
struct UserThread {
  UserThread() = default;
  UserThread(const UserThread&) = delete;
  UserThread& operator=(const UserThread&) = delete;
  ~UserThread();
  sched::Thread* thread = nullptr;
  Process* process = nullptr;
  arch::UserState state;
  uint64_t entry = 0;
  uint64_t sp = 0;
  uint64_t arg0 = 0;
  uint64_t arg1 = 0;
  mica::RefPtr<Dispatcher> object;  // ThreadDispatcher, if created by thread_create
  bool killed = false;              // task_kill of this thread (guarded by Process::lock_)
  bool exited = false;              // it ended (guarded by Process::lock_)
  // It ended through thread_exit and its slot may be reused (ReapExitedThreads).
  bool reapable = false;
  // Its run and queue time when it ended (set with `exited`).
  mica_info_task_runtime_t final_runtime = {};
  // Touched only by the thread itself, and freed with it: the handle its
  // IPC calls looked up last, and one spare kmem fast block, the memory of
  // the last bytes-only message it received, which its next message is
  // built in (sys_channel.cc).
  HandleCache handle_cache;
  void* spare_message_block = nullptr;
};

// The calling thread's UserThread (it must be a thread of a process).
inline UserThread* CurrentUserThread() {
  return sched::Current()->user_thread;
}

// Adds a thread's run time (the current slice included) and queue time to
// *rt.
void AddThreadRuntime(const sched::Thread* t, mica_info_task_runtime_t* rt);

class Process {
 public:
  enum class State : uint8_t { kInitial, kRunning, kDead };
  static constexpr size_t kMaxOwnedRuns = 256;
  static constexpr size_t kMaxThreads = 64;

  // nullptr when out of memory or address space identifiers, or when `job`
  // was killed; `*why` (if given) then says which (kNoMemory, kNoResources,
  // kBadState). A process made with `auto_reap` is freed by the reaper
  // thread once it is dead (its handle object lives on with the exit
  // code); otherwise its creator deletes it (in-kernel tests).
  static Process* Create(const char* name, bool auto_reap = true,
                         mica::RefPtr<JobDispatcher> job = {}, mica::Status* why = nullptr);
  ~Process();

  const char* name() const { return name_; }
  // Its job (nullptr for the kernel's own test processes).
  JobDispatcher* job() const { return job_.get(); }
  // The process's handle table (values unguessable, never reused for a new
  // object: kernel/object/core/handle_table.h).
  HandleTable& handles() { return *handles_; }
  // Adds a handle for `object` with `rights`, counting it. kNoResources when
  // the table is full.
  mica::Status AddHandle(mica::RefPtr<Dispatcher> object, mica_rights_t rights, mica_handle_t* out);
  // Looks `value` up, checking type (MICA_OBJ_TYPE_NONE: any) and that the
  // handle has every right in `required`. kBadHandle, kWrongType,
  // kAccessDenied.
  [[gnu::always_inline]] mica::Status GetHandle(mica_handle_t value, mica_obj_type_t type,
                                                mica_rights_t required, HandleEntry* out) {
    // Inline: every system call on a handle starts here.
    mica::Status s = handles_->Get(value, out);
    if (s != mica::Status::kOk) {
      return s;
    }
    if (type != MICA_OBJ_TYPE_NONE && out->object->type() != type) {
      out->object.reset();
      return mica::Status::kWrongType;
    }
    if ((out->rights & required) != required) {
      out->object.reset();
      return mica::Status::kAccessDenied;
    }
    return mica::Status::kOk;
  }
  // GetHandle through the calling thread's one-entry cache, for the IPC
  // calls a thread makes over and over on one endpoint (channel_call,
  // channel_write_read): a hit takes no lock and no reference. *out is
  // borrowed from the cache, which holds the reference: it stays valid
  // until the thread's next GetHandleCached, so a system call may make
  // only one. The cache is valid while the table's invalidations() count
  // is unchanged: closing, sending or replacing any handle of the process
  // (or its death) makes every thread's next lookup a miss. An object
  // whose last handle was closed may stay allocated until then (or until
  // the thread ends); its closing (signals, the peer's PEER_CLOSED) does
  // not wait for that. Only from a thread of this process.
  [[gnu::always_inline]] mica::Status GetHandleCached(mica_handle_t value, mica_obj_type_t type,
                                                      mica_rights_t required, Dispatcher** out) {
    HandleCache& c = CurrentUserThread()->handle_cache;
    if (c.value != value || c.stamp != handles_->invalidations()) {
      mica::Status s = FillHandleCache(&c, value, type);
      if (s != mica::Status::kOk) {
        return s;
      }
    }
    if (type != MICA_OBJ_TYPE_NONE && c.object->type() != type) {
      return mica::Status::kWrongType;
    }
    if ((c.rights & required) != required) {
      return mica::Status::kAccessDenied;
    }
    *out = c.object.get();
    return mica::Status::kOk;
  }
  // The typed lookups (kernel/object/object_type.h): GetHandle and
  // GetHandleCached for an object of class T (Dispatcher: any type). The
  // object, or kBadHandle, kWrongType, kAccessDenied. `rights`, if given,
  // receives the handle's rights. GetObjectCached's *out is borrowed from
  // the cache, as GetHandleCached's (and, like it, returned through a
  // pointer: the IPC fast paths keep their shape).
  template <typename T>
  [[gnu::always_inline]] mica::Result<mica::RefPtr<T>> GetObject(mica_handle_t value,
                                                                 mica_rights_t required,
                                                                 mica_rights_t* rights = nullptr) {
    HandleEntry e;
    TRY(GetHandle(value, ObjectTypeOf<T>::value, required, &e));
    if (rights != nullptr) {
      *rights = e.rights;
    }
    return mica::StaticRefCast<T>(mica::Move(e.object));
  }
  // The same with the object in *out (left empty on failure), for a call
  // that goes on after a failed lookup and reports it later
  // (channel_write consumes the handles it was given first).
  template <typename T>
  [[gnu::always_inline]] mica::Status GetObject(mica_handle_t value, mica_rights_t required,
                                                mica::RefPtr<T>* out) {
    HandleEntry e;
    mica::Status s = GetHandle(value, ObjectTypeOf<T>::value, required, &e);
    *out = mica::StaticRefCast<T>(mica::Move(e.object));
    return s;
  }
  template <typename T>
  [[gnu::always_inline]] mica::Status GetObjectCached(mica_handle_t value, mica_rights_t required,
                                                      T** out) {
    Dispatcher* object = nullptr;
    mica::Status s = GetHandleCached(value, ObjectTypeOf<T>::value, required, &object);
    *out = static_cast<T*>(object);
    return s;
  }
  // Removes a handle and drops its count. kBadHandle.
  mica::Status CloseHandle(mica_handle_t value);
  uint64_t koid() const { return koid_; }
  arch::UserPageTable& aspace() { return aspace_; }

  // Allocates `pages` zeroed pages, maps them at `va` with `perms` and keeps
  // them owned by the process. `kernel_view` (optional) receives the kernel
  // (linear map) address of each page, for loading an image.
  mica::Status MapNewPages(uint64_t va, size_t pages, uint32_t perms);
  // Takes ownership of the physically contiguous pages [pa, pa + pages):
  // they are freed with the process. The caller maps them.
  mica::Status AdoptPages(uint64_t pa, size_t pages);
  // Copies into the process's memory at `va` (pages must be owned by it and
  // mapped; permissions are not checked: this is the loader's view).
  mica::Status WriteMemory(uint64_t va, const void* data, size_t len);
  mica::Status ReadMemory(uint64_t va, void* data, size_t len);
  // Kills the process from outside (another thread): it is marked dead with
  // `code` and its threads exit at their next entry to the kernel.
  void Kill(int64_t code);
  // Picks a random, free, page-aligned region of `size` bytes (ASLR).
  uint64_t RandomRegion(uint64_t size);

  // Starts a thread at `entry` with `sp` and x0/x1 = arg0/arg1.
  mica::Status StartThread(const char* name, uint64_t entry, uint64_t sp, uint64_t arg0,
                           uint64_t arg1, mica::RefPtr<Dispatcher> thread_object = {});
  // The process's own handle object (MICA_OBJ_TYPE_PROCESS).
  mica::RefPtr<ProcessDispatcher> dispatcher() { return dispatcher_; }
  // Ends the process with `code`: marks it dead and wakes waiters. The
  // calling thread (if it belongs to the process) does not return; other
  // threads die at their next return to user mode.
  [[noreturn]] void ExitFromCurrentThread(int64_t code);
  // thread_exit: the calling thread ends; the last one ends the process
  // with status 0.
  [[noreturn]] void ExitCurrentThread();
  // ---- Threads seen through their handle objects (ThreadDispatcher) ----
  // The thread `object` names: its state, CPU and run/queue times.
  // kNotFound if it is not a started thread of this process.
  mica::Status ThreadInfo(const Dispatcher* object, mica_info_thread_t* info,
                          mica_info_task_runtime_t* runtime);
  // Sets a started thread's scheduling priority. kNotFound as above.
  mica::Status SetThreadPriority(const Dispatcher* object, int priority);
  // task_kill of one thread: it ends at its next kernel entry or, if
  // blocked, at once (its wait ends). kNotFound as above.
  mica::Status KillThread(const Dispatcher* object);
  // The koids of the live threads that have handle objects: writes up to
  // `max`, returns how many exist.
  size_t ThreadKoids(uint64_t* out, size_t max);
  // object_get_child: the handle object of the live thread with this koid
  // (created by thread_create), or null.
  mica::RefPtr<Dispatcher> ThreadByKoid(uint64_t koid);
  // The run and queue times of all its threads, dead ones included.
  mica_info_task_runtime_t Runtime();
  // How many handles of each type its table holds.
  void HandleStats(mica_info_process_handle_stats_t* stats);
  // MICA_INFO_TASK_STATS: mapped bytes (VMO mappings and the loader's
  // pages), committed bytes of the VMOs only it maps (private) or that
  // other processes map too (shared), and its handle count. O(mappings^2).
  mica_info_task_stats_t TaskStats();

  // The process's thread faulted: records why and kills the process.
  [[noreturn]] void KillFromFault(const char* why, uint32_t esr, uint64_t address);

  // ---- Address space: the VMAR tree (object/vmar.h) holds the mappings ----
  // A translation or permission fault at `addr`: commits and maps the page
  // (copying a shared copy-on-write page on a write) if a mapping covers it
  // and allows the access. Otherwise a real fault: kNotFound (no mapping
  // there), kAccessDenied (the mapping does not allow it) or kNoMemory (no
  // page for it: the kernel's memory or the job's limit is used up).
  mica::Status HandlePageFault(uint64_t addr, bool write, bool execute);
  // The root VMAR (created with the process).
  mica::RefPtr<Dispatcher> root_vmar() { return root_vmar_; }

  // Waits until the process is dead; returns its exit code.
  mica::Status WaitForExit(uint64_t deadline_ns, int64_t* code);
  bool dead() const { return state_ == State::kDead; }
  // Frees a process that never ran or whose threads are all gone.
  static void operator delete(void* p) { kmem::Free(p); }
  // Called when a thread of this process returns to user mode: does not
  // return if the process is being killed.
  void CheckKilled();

  // The process the current thread belongs to, or nullptr. Inline: most
  // syscalls start with it (one TPIDR_EL1 read and two loads).
  static Process* Current() {
    sched::Thread* t = sched::Current();
    return t != nullptr ? t->process : nullptr;
  }

 private:
  Process() = default;
  struct Run {
    uint64_t va;
    uint64_t pa;  // one page
  };
  bool FindPage(uint64_t va, uint64_t* pa) REQUIRES(lock_);
  mica::Status Reserve(size_t pages) REQUIRES(lock_);
  void MarkDead(int64_t code);
  UserThread* FindThreadLocked(const Dispatcher* object) REQUIRES(lock_);
  // GetHandleCached's miss: looks `value` up and, if it resolves to an
  // object of `type` (or any for MICA_OBJ_TYPE_NONE), makes it the cache's
  // entry (dropping the previous one).
  [[gnu::noinline]] mica::Status FillHandleCache(HandleCache* c, mica_handle_t value,
                                                 mica_obj_type_t type);

  // After a job's lock and the ProcessDispatcher's task lock; before a
  // ThreadDispatcher's Dispatcher::lock_ and the scheduler lock.
  IrqSpinLock lock_ ACQUIRED_BEFORE(sched::g_sched_lock);
  char name_[32] = {};
  uint64_t koid_ = 0;
  arch::UserPageTable aspace_;
  mica::RefPtr<VmarDispatcher> root_vmar_;
  mica::RefPtr<ProcessDispatcher> dispatcher_;
  bool auto_reap_ = true;
  mica::RefPtr<JobDispatcher> job_;
  JobDispatcher::ProcessLink* job_link_ = nullptr;
  // What its threads' allocations are charged to (the job's, from
  // AddProcess; it outlives the process, which holds the job).
  kmem::Account* mem_account_ = nullptr;

 public:
  mica::ListNode reap_node_;  // on the reaper's queue once dead

  // Starts the reaper thread (boot).
  static void StartReaper();
  // Dead processes the reaper has not finished freeing
  // (MICA_INFO_KMEM_STATS unreaped_processes).
  static uint64_t UnreapedCount();

 private:
  static void ReaperMain(void*);
  HandleTable* handles_ = nullptr;
  Run* pages_ GUARDED_BY(lock_) = nullptr;  // owned pages, unsorted
  size_t page_count_ GUARDED_BY(lock_) = 0;
  size_t page_capacity_ GUARDED_BY(lock_) = 0;
  UserThread* threads_[kMaxThreads] GUARDED_BY(lock_) = {};
  // Run and queue time of the threads whose slots were reused.
  mica_info_task_runtime_t reaped_runtime_ GUARDED_BY(lock_) = {};
  // Joins and frees the threads that have exited, freeing their slots.
  void ReapExitedThreads() EXCLUDES(lock_);
  // Closes every handle in the table (its objects' wait_async registrations
  // made through this process end with it), outside the table's lock.
  void CloseAllHandles();
  size_t live_threads_ GUARDED_BY(lock_) = 0;
  volatile State state_ = State::kInitial;
  int64_t exit_code_ = 0;
  sched::WaitQueue exit_waiters_;
  uint64_t rng_state_ = 0;
};
