#include "kernel/object/process.h"

#include <string.h>
#include <new>

#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/gic.h"
#include "kernel/arch/arm64/timer.h"
#include "kernel/object/channel.h"
#include "kernel/object/futex.h"
#include "kernel/object/task.h"
#include "kernel/object/vmar.h"
#include "kernel/top/log.h"
#include "kernel/top/memory.h"
#include "kernel/top/percpu.h"

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

void UserThreadEntry(void* arg) {
  auto* ut = static_cast<UserThread*>(arg);
  ut->process->CheckKilled();
  arm64_enter_user(ut->entry, ut->sp, ut->arg0, ut->arg1);
}

}  // namespace

uint64_t g_boot_entropy;  // set at boot from /chosen/rng-seed or kaslr-seed

namespace {

IrqSpinLock g_reap_lock;
mica::List<Process, &Process::reap_node_>* g_reap_list;
sched::WaitQueue g_reap_wait;

}  // namespace

Process* Process::Create(const char* name, bool auto_reap, mica::RefPtr<JobDispatcher> job) {
  void* mem = kmem::Malloc(sizeof(Process));
  if (mem == nullptr) {
    return nullptr;
  }
  Process* p = new (mem) Process();
  if (p->aspace_.Init() != mica::Status::kOk) {
    p->~Process();
    kmem::Free(mem);
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
  auto* vmar = new VmarDispatcher(p, arch::kUserBase, arch::kUserTop - arch::kUserBase);
  if (vmar == nullptr) {
    delete p;
    return nullptr;
  }
  p->root_vmar_ = mica::AdoptRef<Dispatcher>(vmar);
  auto* pd = new ProcessDispatcher(p);
  if (pd == nullptr) {
    delete p;
    return nullptr;
  }
  p->dispatcher_ = mica::AdoptRef<Dispatcher>(pd);
  // MICA_PROP_NAME is the process name.
  pd->SetName(p->name_, strlen(p->name_));
  p->koid_ = pd->koid();  // one koid: the process's handle object's
  if (job) {
    if (job->AddProcess(p, &p->job_link_) != mica::Status::kOk) {
      delete p;
      return nullptr;
    }
    p->job_ = mica::Move(job);
  }
  p->rng_state_ = (timer::NowTicks() ^ g_boot_entropy ^ (p->koid_ * 0x9e3779b97f4a7c15ull)) | 1;
  return p;
}

Process::~Process() {
  // The root VMAR may live on in another process's handle table.
  if (root_vmar_) {
    static_cast<VmarDispatcher*>(root_vmar_.get())->Detach();
    root_vmar_.reset();
  }
  if (dispatcher_) {
    static_cast<ProcessDispatcher*>(dispatcher_.get())->Detach();
    dispatcher_.reset();
  }
  if (job_link_ != nullptr) {
    job_->RemoveProcess(job_link_);
    job_link_ = nullptr;
  }
  // Every thread must be gone (joined) before its process is freed.
  for (UserThread*& ut : threads_) {
    if (ut != nullptr && ut != reinterpret_cast<UserThread*>(1)) {
      (void)sched::Join(ut->thread, sched::kInfinite, nullptr);
      ut->~UserThread();
      kmem::Free(ut);
      ut = nullptr;
    }
  }
  if (handles_ != nullptr) {
    // Close every handle, releasing the objects outside the table's lock.
    HandleEntry batch[16];
    size_t n;
    while ((n = handles_->Drain(batch, 16)) != 0) {
      for (size_t i = 0; i < n; i++) {
        // Its wait_async registrations end with it.
        batch[i].object->CancelWaitsThrough(this, WaitThrough::kAnyHandle);
        batch[i].object->RemoveHandleRef();
        batch[i].object.reset();
      }
    }
    handles_->~HandleTable();
    kmem::Free(handles_);
    handles_ = nullptr;
  }
  {
    mica::List<Mapping, &Mapping::process_node> all;
    {
      IrqGuard g(vm_lock_);
      while (Mapping* m = mappings_.pop_front()) {
        all.push_back(m);
      }
    }
    while (Mapping* m = all.pop_front()) {
      DestroyMapping(m);
    }
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
    pages_[page_count_++] = Run{0, pa + i * 4096};
  }
  return mica::Status::kOk;
}

mica::Status Process::MapNewPages(uint64_t va, size_t pages, uint32_t perms) {
  if ((va & 4095) != 0 || !arch::IsUserRange(va, pages * 4096)) {
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
    memset(arch::PhysToVirt(pa), 0, 4096);
    mica::Status s = aspace_.Map(va + i * 4096, &pa, 1, perms);
    if (s != mica::Status::kOk) {
      kmem::FreePage(pa);
      return s;
    }
    pages_[page_count_++] = Run{va + i * 4096, pa};
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
    if (!FindPage(va & ~4095ull, &pa)) {
      return mica::Status::kNotFound;
    }
    size_t chunk = 4096 - (va & 4095);
    if (chunk > len) {
      chunk = len;
    }
    memcpy(dst, static_cast<uint8_t*>(arch::PhysToVirt(pa)) + (va & 4095), chunk);
    va += chunk;
    dst += chunk;
    len -= chunk;
  }
  return mica::Status::kOk;
}

void Process::Kill(int64_t code) {
  if (code == MICA_TASK_RETCODE_KILLED) {
    static_cast<ProcessDispatcher*>(dispatcher_.get())->MarkKilled();
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
    uint64_t page = va & ~4095ull;
    uint64_t pa;
    if (!FindPage(page, &pa)) {
      return mica::Status::kNotFound;
    }
    size_t chunk = 4096 - (va & 4095);
    if (chunk > len) {
      chunk = len;
    }
    memcpy(static_cast<uint8_t*>(arch::PhysToVirt(pa)) + (va & 4095), src, chunk);
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
    va &= ~4095ull;
    uint64_t pa;
    uint32_t perms;
    bool free = true;
    for (uint64_t off = 0; off < size && free; off += 4096) {
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
  ut->thread->process = this;
  {
    IrqGuard guard(lock_);
    threads_[slot] = ut;
    live_threads_++;
    if (state_ == State::kInitial) {
      state_ = State::kRunning;
    }
  }
  static_cast<ProcessDispatcher*>(dispatcher_.get())
      ->MarkStarted(static_cast<mica_time_t>(timer::NowNs()));
  sched::Start(ut->thread);
  return mica::Status::kOk;
}

void Process::MarkDead(int64_t code) {
  bool first = false;
  {
    IrqGuard guard(lock_);
    if (state_ != State::kDead) {
      state_ = State::kDead;
      exit_code_ = code;
      first = true;
    }
  }
  if (first) {
    // A dead process holds nothing: close its handles (waking peers with
    // PEER_CLOSED) before telling waiters it is gone.
    HandleEntry batch[16];
    size_t n;
    while ((n = handles_->Drain(batch, 16)) != 0) {
      for (size_t i = 0; i < n; i++) {
        // Its wait_async registrations end with it.
        batch[i].object->CancelWaitsThrough(this, WaitThrough::kAnyHandle);
        batch[i].object->RemoveHandleRef();
        batch[i].object.reset();
      }
    }
    futex::WakeAll(this);
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
          static_cast<ThreadDispatcher*>(ut->object.get())->MarkTerminated(rt);
        }
      }
    }
    static_cast<ProcessDispatcher*>(dispatcher_.get())->SetFinalRuntime(Runtime());
    static_cast<ProcessDispatcher*>(dispatcher_.get())->MarkExited(code);
    dispatcher_->UpdateSignals(0, MICA_TASK_TERMINATED);
    exit_waiters_.WakeAll();
    if (auto_reap_) {
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
  bool last;
  {
    IrqGuard guard(lock_);
    last = --live_threads_ == 0;
    for (UserThread* ut : threads_) {
      if (ut != nullptr && ut != reinterpret_cast<UserThread*>(1) &&
          ut->thread == sched::Current()) {
        ut->exited = true;
        if (ut->object) {
          mica_info_task_runtime_t rt = {};
          AddThreadRuntime(ut->thread, &rt);
          static_cast<ThreadDispatcher*>(ut->object.get())->MarkTerminated(rt);
        }
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
  static_cast<ProcessDispatcher*>(dispatcher_.get())->MarkFaulted(esr, address);
  ExitFromCurrentThread(MICA_TASK_RETCODE_FAULT);
}

void Process::CheckKilled() {
  if (state_ == State::kDead) {
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

mica::Status Process::GetHandle(mica_handle_t value, mica_obj_type_t type, mica_rights_t required,
                                HandleEntry* out) {
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

mica::Status Process::CloseHandle(mica_handle_t value) {
  HandleEntry e;
  mica::Status s = handles_->Remove(value, &e);
  if (s == mica::Status::kOk) {
    // Waits made through this handle end (ABI: handle_close).
    e.object->CancelWaitsThrough(this, value);
    e.object->RemoveHandleRef();
  }
  return s;
}

Process* Process::Current() {
  sched::Thread* t = sched::Current();
  return t != nullptr ? static_cast<Process*>(t->process) : nullptr;
}

// ---- VMO mappings ----

Mapping* Process::FindMappingLocked(uint64_t addr) {
  for (Mapping& m : mappings_) {
    if (addr >= m.base && addr - m.base < m.size) {
      return &m;
    }
  }
  return nullptr;
}

bool Process::RangeFreeLocked(uint64_t addr, uint64_t len) {
  for (Mapping& m : mappings_) {
    if (addr < m.base + m.size && m.base < addr + len) {
      return false;
    }
  }
  // Pages the loader mapped directly (image, stack) are not in mappings_.
  for (uint64_t off = 0; off < len; off += 4096) {
    uint64_t pa;
    uint32_t perms;
    if (aspace_.Query(addr + off, &pa, &perms)) {
      return false;
    }
  }
  return true;
}

mica::Status Process::MapVmo(mica::RefPtr<VmoDispatcher> vmo, uint64_t vmo_offset, uint64_t len,
                             uint32_t perms, bool specific, uint64_t addr, bool commit,
                             uint64_t* out_addr) {
  len = (len + 4095) & ~4095ull;
  if (len == 0 || (vmo_offset & 4095) != 0 || (specific && (addr & 4095) != 0)) {
    return mica::Status::kInvalidArgs;
  }
  if (vmo_offset + len < vmo_offset || vmo_offset + len > vmo->size()) {
    return mica::Status::kOutOfRange;
  }
  auto* m = new Mapping();
  if (m == nullptr) {
    return mica::Status::kNoMemory;
  }
  {
    IrqGuard g(vm_lock_);
    if (specific) {
      if (!arch::IsUserRange(addr, len)) {
        delete m;
        return mica::Status::kOutOfRange;
      }
      if (!RangeFreeLocked(addr, len)) {
        delete m;
        return mica::Status::kAlreadyExists;
      }
    } else {
      addr = 0;
      for (int attempt = 0; attempt < 16 && addr == 0; attempt++) {
        uint64_t candidate = RandomRegion(len + 4096);  // keep a gap after it
        if (candidate != 0 && RangeFreeLocked(candidate, len + 4096)) {
          addr = candidate;
        }
      }
      if (addr == 0) {
        delete m;
        return mica::Status::kNoResources;
      }
    }
    m->base = addr;
    m->size = len;
    m->vmo_offset = vmo_offset;
    m->perms = perms;
    m->vmo = vmo;
    m->process = this;
    mappings_.push_back(m);
    vmo->AddMapping(m);
  }
  if (commit) {
    for (uint64_t off = 0; off < len; off += 4096) {
      if (!HandlePageFault(addr + off, false, false)) {
        (void)UnmapRange(addr, len);
        return mica::Status::kNoMemory;
      }
    }
  }
  *out_addr = addr;
  return mica::Status::kOk;
}

void Process::DestroyMapping(Mapping* m) {
  aspace_.Unmap(m->base, m->size / 4096);
  m->vmo->RemoveMapping(m);
  delete m;  // drops the VMO reference
}

mica::Status Process::UnmapRange(uint64_t addr, uint64_t len) {
  len = (len + 4095) & ~4095ull;
  if ((addr & 4095) != 0 || len == 0) {
    return mica::Status::kInvalidArgs;
  }
  if (!arch::IsUserRange(addr, len)) {
    return mica::Status::kOutOfRange;
  }
  uint64_t end = addr + len;
  mica::List<Mapping, &Mapping::process_node> dead;
  bool found = false;
  {
    IrqGuard g(vm_lock_);
    for (auto it = mappings_.begin(); it != mappings_.end();) {
      Mapping* m = &*it;
      ++it;
      uint64_t mend = m->base + m->size;
      if (mend <= addr || m->base >= end) {
        continue;
      }
      found = true;
      if (m->base >= addr && mend <= end) {
        mappings_.remove(m);
        dead.push_back(m);
        continue;
      }
      // Partly inside: trim, or split in two.
      uint64_t cut_start = m->base > addr ? m->base : addr;
      uint64_t cut_end = mend < end ? mend : end;
      aspace_.Unmap(cut_start, (cut_end - cut_start) / 4096);
      if (m->base < addr && mend > end) {
        auto* right = new Mapping();
        if (right == nullptr) {
          return mica::Status::kNoMemory;  // the middle is unmapped already
        }
        right->base = end;
        right->size = mend - end;
        right->vmo_offset = m->vmo_offset + (end - m->base);
        right->perms = m->perms;
        right->vmo = m->vmo;
        right->process = this;
        mappings_.push_back(right);
        m->vmo->AddMapping(right);
        m->size = addr - m->base;
      } else if (m->base < addr) {
        m->size = addr - m->base;
      } else {
        m->vmo_offset += end - m->base;
        m->size = mend - end;
        m->base = end;
      }
    }
  }
  while (Mapping* m = dead.pop_front()) {
    DestroyMapping(m);
  }
  return found ? mica::Status::kOk : mica::Status::kNotFound;
}

mica::Status Process::ProtectRange(uint64_t addr, uint64_t len, uint32_t perms) {
  len = (len + 4095) & ~4095ull;
  if ((addr & 4095) != 0 || len == 0) {
    return mica::Status::kInvalidArgs;
  }
  if (!arch::IsUserRange(addr, len)) {
    return mica::Status::kOutOfRange;
  }
  IrqGuard g(vm_lock_);
  // Every page must be covered by one of the mappings.
  for (uint64_t off = 0; off < len; off += 4096) {
    if (FindMappingLocked(addr + off) == nullptr) {
      return mica::Status::kNotFound;
    }
  }
  // Only whole mappings change permissions (splitting for protect is not
  // supported yet): the range must cover each mapping it touches exactly.
  for (Mapping& m : mappings_) {
    if (m.base < addr + len && addr < m.base + m.size &&
        (m.base < addr || m.base + m.size > addr + len)) {
      return mica::Status::kNotSupported;
    }
  }
  for (Mapping& m : mappings_) {
    if (m.base >= addr && m.base + m.size <= addr + len) {
      m.perms = perms;
      mica::Status s = aspace_.Protect(m.base, m.size / 4096, perms);
      if (s != mica::Status::kOk) {
        return s;
      }
    }
  }
  return mica::Status::kOk;
}

bool Process::HandlePageFault(uint64_t addr, bool write, bool execute) {
  IrqGuard g(vm_lock_);
  Mapping* m = FindMappingLocked(addr);
  if (m == nullptr) {
    return false;
  }
  if ((write && !(m->perms & arch::kPermWrite)) || (execute && !(m->perms & arch::kPermExecute)) ||
      !(m->perms & (arch::kPermRead | arch::kPermWrite | arch::kPermExecute))) {
    return false;
  }
  uint64_t page = addr & ~4095ull;
  uint64_t pa;
  if (m->vmo->CommitPage((m->vmo_offset + (page - m->base)) / 4096, &pa) != mica::Status::kOk) {
    return false;
  }
  mica::Status s = aspace_.Map(page, &pa, 1, m->perms, m->vmo->arch_cache_policy());
  return s == mica::Status::kOk || s == mica::Status::kAlreadyExists;
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
      (void)g_reap_wait.BlockWhile([](const void*)
                                       NO_THREAD_SAFETY_ANALYSIS { return g_reap_list->empty(); },
                                   nullptr, sched::kInfinite);
      continue;
    }
    delete p;  // joins its (interrupted, exiting) threads first
  }
}
