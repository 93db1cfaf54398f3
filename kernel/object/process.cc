#include "kernel/object/process.h"

#include <string.h>
#include <new>

#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/gic.h"
#include "kernel/arch/arm64/timer.h"
#include "kernel/base/log.h"
#include "kernel/base/memory.h"
#include "kernel/base/percpu.h"
#include "kernel/object/channel.h"
#include "kernel/object/futex.h"
#include "kernel/object/object_type.h"
#include "kernel/object/process_dispatcher.h"
#include "kernel/object/thread_dispatcher.h"
#include "kernel/object/vmar.h"

namespace {

uint64_t NextRandom(uint64_t* state) {
  // xorshift64*, seeded from the counter and the devicetree's rng-seed.
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545f4914f6cdd1dull;
}

// The first entry to user mode. The kill check and the drop to EL0 happen
// with interrupts off, as on every other return to user mode: a task_kill
// after the check leaves its reschedule IPI pending until the exception
// return, so it is taken from EL0 and that return path kills the thread.
// (With interrupts on, an IPI taken in between was consumed in EL1 and a
// thread that then never entered the kernel, spinning in user mode on a
// CPU with no timer programmed, was never killed.)
void UserThreadEntry(void* arg) {
  auto* ut = static_cast<UserThread*>(arg);
  arch::DisableIrqs();
  ut->process->CheckKilled();
  arm64_enter_user(ut->entry, ut->sp, ut->arg0, ut->arg1);
}

}  // namespace

UserThread::~UserThread() {
  kmem::FreeFastBlock(spare_message_block);
}

uint64_t g_boot_entropy;  // set at boot from /chosen/rng-seed or kaslr-seed

Process* Process::Create(const char* name, bool auto_reap, mica::RefPtr<JobDispatcher> job,
                         mica::Status* why) {
  mica::Status unused;
  if (why == nullptr) {
    why = &unused;
  }
  *why = mica::Status::kNoMemory;
  // A process is part of its job: what is made for it here is charged to
  // the job, whoever asked.
  kmem::ChargeTo charge(job ? job->MemoryAccount() : nullptr);
  void* mem = kmem::Malloc(sizeof(Process));
  if (mem == nullptr) {
    return nullptr;
  }
  Process* p = new (mem) Process();
  if (mica::Status s = p->aspace_.Init(); s != mica::Status::kOk) {
    p->~Process();
    kmem::Free(mem);
    *why = s;
    return nullptr;
  }
  strlcpy(p->name_, name, sizeof(p->name_));
  p->auto_reap_ = auto_reap;
  void* table_mem = kmem::Malloc(sizeof(HandleTable));
  if (table_mem == nullptr) {
    delete p;
    return nullptr;
  }
  p->handles_ = new (table_mem) HandleTable(
      KernelAllocator(), timer::NowTicks() ^ g_boot_entropy ^ reinterpret_cast<uint64_t>(p));
  p->root_vmar_ = VmarDispatcher::CreateRoot(
      &p->aspace_, arch::kUserBase, arch::kUserTop - arch::kUserBase,
      timer::NowTicks() ^ g_boot_entropy ^ reinterpret_cast<uint64_t>(p) * 0x9e3779b97f4a7c15ull);
  if (!p->root_vmar_) {
    delete p;
    return nullptr;
  }
  mica::AllocChecker ac_pd;
  auto* pd = new (ac_pd) ProcessDispatcher(p);
  if (!ac_pd.check()) {
    delete p;
    return nullptr;
  }
  p->dispatcher_ = mica::AdoptRef<ProcessDispatcher>(pd);
  // MICA_PROP_NAME is the process name.
  pd->SetName(p->name_, strlen(p->name_));
  p->koid_ = pd->koid();  // one koid: the process's handle object's
  if (job) {
    if (mica::Status s = job->AddProcess(p, &p->job_link_, &p->mem_account_);
        s != mica::Status::kOk) {
      delete p;
      *why = s;
      return nullptr;
    }
    p->job_ = mica::Move(job);
  }
  p->rng_state_ = (timer::NowTicks() ^ g_boot_entropy ^ (p->koid_ * 0x9e3779b97f4a7c15ull)) | 1;
  return p;
}

Process::~Process() {
  // Leave the job first: a job kill walks its processes under the job's
  // lock and calls Kill on each, which must never meet a process being
  // torn down (bin/syscall-fuzz found a kill reaching a process whose
  // handle object was already gone).
  if (job_link_ != nullptr) {
    job_->RemoveProcess(job_link_);
    job_link_ = nullptr;
  }
  // The handle object forgets the process first, so that get_info and the
  // like answer from what it kept (exit code, final run time) instead of
  // looking at a process whose threads are being freed. It is only dropped
  // once every thread is gone (joined): the thread that ended the process
  // may still be inside MarkDead, which reports the exit through it (a
  // ktest that deletes its process once it is dead found that).
  if (dispatcher_) {
    dispatcher_->Detach();
  }
  for (UserThread*& ut : threads_) {
    if (ut != nullptr && ut != reinterpret_cast<UserThread*>(1)) {
      (void)sched::Join(ut->thread, sched::kInfinite, nullptr);
      ut->~UserThread();
      kmem::Free(ut);
      ut = nullptr;
    }
  }
  dispatcher_.reset();
  // After the threads (a fault takes the root VMAR). The root VMAR may live on in another process's
  // handle table: empty (destroyed) and without its process.
  if (root_vmar_) {
    (void)root_vmar_->Destroy();
    root_vmar_->Detach();
    root_vmar_.reset();
  }
  if (handles_ != nullptr) {
    CloseAllHandles();
    handles_->~HandleTable();
    kmem::Free(handles_);
    handles_ = nullptr;
  }
  IrqGuard guard(lock_);
  for (size_t i = 0; i < page_count_; i++) {
    aspace_.Unmap(pages_[i].va, 1);
    kmem::FreePage(pages_[i].pa);
  }
  kmem::Free(pages_);
  pages_ = nullptr;
  page_count_ = 0;
}

void Process::CloseAllHandles() {
  HandleEntry batch[16];
  size_t n;
  while ((n = handles_->Drain(batch, 16)) != 0) {
    for (size_t i = 0; i < n; i++) {
      batch[i].object->CancelWaitsThrough(this, WaitThrough::kAnyHandle);
      batch[i].object->RemoveHandleRef();
      batch[i].object.reset();
    }
  }
}

mica::Status Process::Reserve(size_t pages) {
  if (page_count_ + pages > page_capacity_) {
    size_t cap = page_capacity_ == 0 ? 64 : page_capacity_;
    while (cap < page_count_ + pages) {
      cap *= 2;
    }
    auto* grown = static_cast<Run*>(kmem::Malloc(cap * sizeof(Run)));
    if (grown == nullptr) {
      return mica::Status::kNoMemory;
    }
    if (page_count_ != 0) {
      memcpy(grown, pages_, page_count_ * sizeof(Run));
    }
    kmem::Free(pages_);
    pages_ = grown;
    page_capacity_ = cap;
  }
  return mica::Status::kOk;
}

mica::Status Process::AdoptPages(uint64_t pa, size_t pages) {
  IrqGuard guard(lock_);
  mica::Status s = Reserve(pages);
  if (s != mica::Status::kOk) {
    return s;
  }
  for (size_t i = 0; i < pages; i++) {
    // Not mapped at a known address yet: the loader maps them; va 0 marks
    // "unmapped" for the destructor (Unmap of page 0 is a no-op).
    pages_[page_count_++] = Run{0, pa + i * arch::kPageSize};
  }
  return mica::Status::kOk;
}

mica::Status Process::MapNewPages(uint64_t va, size_t pages, uint32_t perms) {
  if ((va & (arch::kPageSize - 1)) != 0 || !arch::IsUserRange(va, pages * arch::kPageSize)) {
    return mica::Status::kInvalidArgs;
  }
  IrqGuard guard(lock_);
  mica::Status rs = Reserve(pages);
  if (rs != mica::Status::kOk) {
    return rs;
  }
  for (size_t i = 0; i < pages; i++) {
    uint64_t pa;
    if (!kmem::AllocPage(&pa)) {
      return mica::Status::kNoMemory;  // pages so far stay owned and are freed later
    }
    memset(arch::PhysToVirt(pa), 0, arch::kPageSize);
    mica::Status s = aspace_.Map(va + i * arch::kPageSize, &pa, 1, perms);
    if (s != mica::Status::kOk) {
      kmem::FreePage(pa);
      return s;
    }
    pages_[page_count_++] = Run{va + i * arch::kPageSize, pa};
  }
  return mica::Status::kOk;
}

bool Process::FindPage(uint64_t va, uint64_t* pa) {
  for (size_t i = 0; i < page_count_; i++) {
    if (pages_[i].va == va) {
      *pa = pages_[i].pa;
      return true;
    }
  }
  return false;
}

mica::Status Process::ReadMemory(uint64_t va, void* data, size_t len) {
  IrqGuard guard(lock_);
  uint8_t* dst = static_cast<uint8_t*>(data);
  while (len > 0) {
    uint64_t pa;
    if (!FindPage(va & ~(arch::kPageSize - 1), &pa)) {
      return mica::Status::kNotFound;
    }
    size_t chunk = arch::kPageSize - (va & (arch::kPageSize - 1));
    if (chunk > len) {
      chunk = len;
    }
    memcpy(dst, static_cast<uint8_t*>(arch::PhysToVirt(pa)) + (va & (arch::kPageSize - 1)), chunk);
    va += chunk;
    dst += chunk;
    len -= chunk;
  }
  return mica::Status::kOk;
}

void Process::Kill(int64_t code) {
  if (code == MICA_TASK_RETCODE_KILLED) {
    dispatcher_->MarkKilled();
  }
  // Interrupt every thread first: blocked ones wake with kCanceled, running
  // ones enter the kernel at the IPI; all die on their way back to user
  // mode (CheckKilled), so the reaper's joins end.
  {
    IrqGuard guard(lock_);
    for (UserThread* ut : threads_) {
      if (ut != nullptr && ut != reinterpret_cast<UserThread*>(1)) {
        sched::Interrupt(ut->thread);
      }
    }
  }
  MarkDead(code);
}

mica::Status Process::WriteMemory(uint64_t va, const void* data, size_t len) {
  IrqGuard guard(lock_);
  const uint8_t* src = static_cast<const uint8_t*>(data);
  while (len > 0) {
    uint64_t page = va & ~(arch::kPageSize - 1);
    uint64_t pa;
    if (!FindPage(page, &pa)) {
      return mica::Status::kNotFound;
    }
    size_t chunk = arch::kPageSize - (va & (arch::kPageSize - 1));
    if (chunk > len) {
      chunk = len;
    }
    memcpy(static_cast<uint8_t*>(arch::PhysToVirt(pa)) + (va & (arch::kPageSize - 1)), src, chunk);
    va += chunk;
    src += chunk;
    len -= chunk;
  }
  return mica::Status::kOk;
}

uint64_t Process::RandomRegion(uint64_t size) {
  // Candidates in [1 GiB, 256 GiB) on a page boundary; retry on collision.
  uint64_t span = (256ull << 30) - (1ull << 30) - size;
  for (int attempt = 0; attempt < 64; attempt++) {
    uint64_t va = (1ull << 30) + (NextRandom(&rng_state_) % span);
    va &= ~(arch::kPageSize - 1);
    uint64_t pa;
    uint32_t perms;
    bool free = true;
    for (uint64_t off = 0; off < size && free; off += arch::kPageSize) {
      free = !aspace_.Query(va + off, &pa, &perms);
    }
    if (free) {
      return va;
    }
  }
  return 0;
}

mica::Status Process::StartThread(const char* name, uint64_t entry, uint64_t sp, uint64_t arg0,
                                  uint64_t arg1, mica::RefPtr<Dispatcher> thread_object) {
  // Slots of threads that have ended are reused: a process may start any
  // number of threads over its life, kMaxThreads at a time.
  ReapExitedThreads();
  // A thread (its stack above all) is charged to its own process's job.
  kmem::ChargeTo charge(mem_account_);
  // Reserve a slot first so that nothing needs undoing after the thread
  // exists.
  size_t slot = kMaxThreads;
  {
    IrqGuard guard(lock_);
    if (state_ == State::kDead) {
      return mica::Status::kBadState;
    }
    for (size_t i = 0; i < kMaxThreads; i++) {
      if (threads_[i] == nullptr) {
        slot = i;
        threads_[i] = reinterpret_cast<UserThread*>(1);  // reserved
        break;
      }
    }
  }
  if (slot == kMaxThreads) {
    return mica::Status::kNoResources;
  }
  void* mem = kmem::Malloc(sizeof(UserThread));
  if (mem == nullptr) {
    IrqGuard guard(lock_);
    threads_[slot] = nullptr;
    return mica::Status::kNoMemory;
  }
  auto* ut = new (mem) UserThread();
  memset(ut->state.fp, 0, sizeof(ut->state.fp));
  ut->state.ttbr0 = aspace_.ttbr0();
  ut->process = this;
  ut->entry = entry;
  ut->sp = sp;
  ut->arg0 = arg0;
  ut->arg1 = arg1;
  ut->object = mica::Move(thread_object);
  ut->thread = sched::Create(name, UserThreadEntry, ut, MICA_PRIORITY_DEFAULT);
  if (ut->thread == nullptr) {
    ut->~UserThread();
    kmem::Free(mem);
    IrqGuard guard(lock_);
    threads_[slot] = nullptr;
    return mica::Status::kNoMemory;
  }
  ut->thread->user = &ut->state;
  ut->thread->user_thread = ut;
  ut->thread->process = this;
  ut->thread->mem_account = mem_account_;
  {
    IrqGuard guard(lock_);
    threads_[slot] = ut;
    live_threads_++;
    if (state_ == State::kInitial) {
      state_ = State::kRunning;
    }
  }
  dispatcher_->MarkStarted(static_cast<mica_time_t>(timer::NowNs()));
  sched::Start(ut->thread);
  return mica::Status::kOk;
}

mica::Status Process::FillHandleCache(HandleCache* c, mica_handle_t value, mica_obj_type_t type) {
  // The count is read before the lookup: a removal in between makes the
  // entry look stale (a later miss), never the other way round.
  uint64_t stamp = handles_->invalidations();
  HandleEntry e;
  mica::Status s = handles_->Get(value, &e);
  if (s != mica::Status::kOk) {
    return s;  // the cache keeps its entry: it is as valid as before
  }
  if (type != MICA_OBJ_TYPE_NONE && e.object->type() != type) {
    return mica::Status::kWrongType;  // only objects of the type asked for are kept
  }
  mica::RefPtr<Dispatcher> previous = mica::Move(c->object);  // dropped on return
  c->value = value;
  c->rights = e.rights;
  c->stamp = stamp;
  c->object = mica::Move(e.object);
  return mica::Status::kOk;
}

mica::Status Process::CloseHandle(mica_handle_t value) {
  HandleEntry e;
  mica::Status s = handles_->Remove(value, &e);
  if (s == mica::Status::kOk) {
    // Waits made through this handle end (ABI: handle_close).
    e.object->CancelWaitsThrough(this, value);
    e.object->RemoveHandleRef();
    // The closing thread's own handle cache lets go of the object at once
    // (other threads' caches only at their next lookup, above): a client
    // that closes the endpoint of a dead server and reconnects would
    // otherwise keep the old endpoint allocated until its next call. Every
    // close by the process itself (handle_close, handle_close_many, the
    // error paths' closes) goes through here.
    sched::Thread* t = sched::Current();
    if (t != nullptr && t->process == this && t->user_thread != nullptr) {
      HandleCache& cache = t->user_thread->handle_cache;
      if (cache.value == value && cache.object) [[unlikely]] {
        cache.stamp = UINT64_MAX;
        mica::RefPtr<Dispatcher> dropped = mica::Move(cache.object);
      }
    }
  }
  return s;
}

// ---- VMO mappings live in the VMAR tree (object/vmar.cc) ----

mica::Status Process::HandlePageFault(uint64_t addr, bool write, bool execute) {
  return root_vmar_->HandlePageFault(addr, write, execute);
}
