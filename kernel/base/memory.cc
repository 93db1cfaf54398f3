#include "kernel/base/memory.h"

#include <new>

#include "kernel/lib/alloc_checker.h"

#include "kernel/arch/arm64/arch.h"
#include "kernel/base/fail_alloc.h"
#include "kernel/base/percpu.h"
#include "kernel/lib/assert.h"
#include "kernel/lib/atomic.h"
#include "kernel/vm/heap.h"
#include "kernel/vm/pmm.h"

namespace kmem {
namespace {

// The PMM's and heap's own locks are plain spin locks; every entry point here
// runs them with IRQs masked so an interrupt on the same CPU can never spin
// on a lock its own CPU holds.
class IrqOff {
 public:
  IrqOff() : state_(arch::SaveDisableIrqs()) {}
  ~IrqOff() { arch::RestoreIrqs(state_); }

 private:
  uint64_t state_;
};

mica::Pmm g_pmm;
mica::Heap g_heap;
bool g_ready;

void* HeapAllocPages(size_t count) {
  auto r = g_pmm.AllocContiguous(count);
  if (!r.ok()) {
    return nullptr;
  }
  return arch::PhysToVirt(r.value());
}

void HeapFreePages(void* pages, size_t count) {
  MICA_ASSERT(g_pmm.Free(arch::VirtToPhys(pages), count) == mica::Status::kOk);
}

// The account charged for what is allocated now. IRQs off (so the CPU and
// its current thread are read together).
Account* ChargeTarget() {
  PerCpu& cpu = ThisCpu();
  ThreadBase* t = cpu.current;
  return t != nullptr && cpu.irq_depth == 0 ? t->mem_account : nullptr;
}

// Frees an account that Uncharge or Close reported dead. Each account was
// charged to its parent for its own memory, so uncharging that may end the
// parent in turn: a loop up the chain, never recursion.
void FreeDeadAccounts(Account* dead) {
  while (dead != nullptr) {
    Account* parent = dead->parent();
    dead->~Account();
    g_heap.Free(dead);
    dead = parent != nullptr ? parent->Uncharge(sizeof(Account)) : nullptr;
  }
}

}  // namespace

bool Init(const platform::RangeSet& usable, const char** why) {
  size_t added = 0;
  for (size_t i = 0; i < usable.count(); i++) {
    uint64_t base = usable[i].base, size = usable[i].size;
    size_t pages = size / arch::kPageSize;
    size_t meta_bytes = mica::Pmm::MetadataBytes(pages);
    size_t meta_pages = (meta_bytes + (arch::kPageSize - 1)) / arch::kPageSize;
    if (pages <= meta_pages + 1 || base + size > PHYSMAP_SIZE) {
      continue;  // too small to be worth an arena, or not in the linear map
    }
    // The page metadata lives at the start of the arena it describes, and
    // those pages are then reserved.
    if (g_pmm.AddArena(base, size, arch::PhysToVirt(base)) != mica::Status::kOk ||
        g_pmm.Reserve(base, meta_pages * arch::kPageSize) != mica::Status::kOk) {
      *why = "the page allocator rejected a memory range";
      return false;
    }
    added++;
  }
  if (added == 0) {
    *why = "no memory range is large enough for the page allocator";
    return false;
  }
  g_heap.Init(HeapAllocPages, HeapFreePages);
  g_ready = true;
  return true;
}

bool Ready() {
  return g_ready;
}

namespace {

// What a heap allocation was charged: the 16 bytes just before the object.
struct AllocHeader {
  Account* account;  // nullptr: charged to nobody
  uint32_t charged;  // bytes: the request and the header
  uint32_t offset;   // from the heap's block to the object
};
static_assert(sizeof(AllocHeader) == mica::Heap::kMinAlign);

// Charges `pages` pages from `pa` on to the current thread's account and
// records it in each; false (nothing charged) if the account refuses.
// IRQs off.
bool ChargePages(Account* account, uint64_t pa, size_t pages) {
  if (account == nullptr) {
    return true;
  }
  if (!account->Charge(uint64_t{pages} * arch::kPageSize)) {
    return false;
  }
  for (size_t i = 0; i < pages; i++) {
    g_pmm.PageFromPa(pa + i * arch::kPageSize)->account = account;
  }
  return true;
}

// Uncharges each of `pages` pages from `pa` (about to be freed) from the
// account recorded in it. IRQs off.
void UnchargePages(uint64_t pa, size_t pages) {
  for (size_t i = 0; i < pages; i++) {
    mica::Page* page = g_pmm.PageFromPa(pa + i * arch::kPageSize);
    MICA_ASSERT_MSG(page != nullptr, "freeing a page outside every arena");
    Account* account = page->account;
    page->account = nullptr;
    if (account != nullptr) {
      FreeDeadAccounts(account->Uncharge(arch::kPageSize));
    }
  }
}

}  // namespace

bool AllocPage(uint64_t* pa) {
  if (fail_alloc::ShouldFail(fail_alloc::Kind::kPages)) {
    return false;
  }
  IrqOff off;
  auto r = g_pmm.AllocPage();
  if (!r.ok()) {
    return false;
  }
  if (!ChargePages(ChargeTarget(), r.value(), 1)) {
    MICA_ASSERT(g_pmm.Free(r.value(), 1) == mica::Status::kOk);
    return false;
  }
  *pa = r.value();
  return true;
}

void FreePage(uint64_t pa) {
  IrqOff off;
  UnchargePages(pa, 1);
  MICA_ASSERT_MSG(g_pmm.Free(pa, 1) == mica::Status::kOk, "freeing a page that is not allocated");
}

uintptr_t* PageOwnerWord(uint64_t pa) {
  mica::Page* page = g_pmm.PageFromPa(pa);
  MICA_ASSERT_MSG(page != nullptr, "page outside every arena");
  return &page->owner;
}

bool AllocContiguous(size_t pages, uint64_t align, uint64_t* pa) {
  if (fail_alloc::ShouldFail(fail_alloc::Kind::kPages)) {
    return false;
  }
  IrqOff off;
  auto r = g_pmm.AllocContiguous(pages, align);
  if (!r.ok()) {
    return false;
  }
  if (!ChargePages(ChargeTarget(), r.value(), pages)) {
    MICA_ASSERT(g_pmm.Free(r.value(), pages) == mica::Status::kOk);
    return false;
  }
  *pa = r.value();
  return true;
}

void FreeContiguous(uint64_t pa, size_t pages) {
  IrqOff off;
  UnchargePages(pa, pages);
  MICA_ASSERT_MSG(g_pmm.Free(pa, pages) == mica::Status::kOk,
                  "freeing pages that are not allocated");
}

namespace {

// A heap block of `total` bytes aligned to `align`, the object `offset`
// bytes in with its AllocHeader just before it, charged to the current
// thread's account.
void* AllocWithHeader(uint32_t total, size_t align, uint32_t offset) {
  IrqOff off;
  Account* account = ChargeTarget();
  if (account != nullptr && !account->Charge(total)) {
    return nullptr;
  }
  void* block = g_heap.Alloc(total, align);
  if (block == nullptr) {
    if (account != nullptr) {
      FreeDeadAccounts(account->Uncharge(total));
    }
    return nullptr;
  }
  char* object = static_cast<char*>(block) + offset;
  *(reinterpret_cast<AllocHeader*>(object) - 1) = AllocHeader{account, total, offset};
  return object;
}

// No kernel allocation is anywhere near this large.
constexpr size_t kMaxAllocation = UINT32_MAX - arch::kPageSize;

}  // namespace

void* Malloc(size_t size) {
  if (fail_alloc::ShouldFail(fail_alloc::Kind::kHeap)) {
    return nullptr;
  }
  if (size > kMaxAllocation) {
    return nullptr;
  }
  return AllocWithHeader(static_cast<uint32_t>(size + sizeof(AllocHeader)), mica::Heap::kMinAlign,
                         sizeof(AllocHeader));
}

void* MallocAligned(size_t size, size_t align) {
  if (fail_alloc::ShouldFail(fail_alloc::Kind::kHeap)) {
    return nullptr;
  }
  if (align < mica::Heap::kMinAlign) {
    align = mica::Heap::kMinAlign;
  }
  if ((align & (align - 1)) != 0 || align > arch::kPageSize || size > kMaxAllocation) {
    return nullptr;
  }
  // The header sits just before the object, which stays aligned.
  size_t offset = align > sizeof(AllocHeader) ? align : sizeof(AllocHeader);
  return AllocWithHeader(static_cast<uint32_t>(size + offset), align,
                         static_cast<uint32_t>(offset));
}

void Free(void* ptr) {
  if (ptr == nullptr) {
    return;
  }
  IrqOff off;
  AllocHeader h = *(static_cast<AllocHeader*>(ptr) - 1);
  g_heap.Free(static_cast<char*>(ptr) - h.offset);
  if (h.account != nullptr) {
    FreeDeadAccounts(h.account->Uncharge(h.charged));
  }
}

Account* NewAccount(Account* parent) {
  IrqOff off;
  if (parent != nullptr && !parent->Charge(sizeof(Account))) {
    return nullptr;
  }
  void* mem = g_heap.Alloc(sizeof(Account), alignof(Account));
  if (mem == nullptr) {
    if (parent != nullptr) {
      FreeDeadAccounts(parent->Uncharge(sizeof(Account)));
    }
    return nullptr;
  }
  return new (mem) Account(parent);
}

void CloseAccount(Account* account) {
  IrqOff off;
  FreeDeadAccounts(account->Close());
}

bool ChargeAccount(Account* account, uint64_t bytes) {
  return account == nullptr || account->Charge(bytes);
}

void UnchargeAccount(Account* account, uint64_t bytes) {
  if (account != nullptr) {
    IrqOff off;
    FreeDeadAccounts(account->Uncharge(bytes));
  }
}

Account* CurrentAccount() {
  IrqOff off;
  return ChargeTarget();
}

ChargeTo::ChargeTo(Account* account) : thread_(nullptr), saved_(nullptr) {
  IrqOff off;
  auto* t = ThisCpu().current;
  if (t != nullptr) {
    thread_ = t;
    saved_ = t->mem_account;
    t->mem_account = account;
  }
}

ChargeTo::~ChargeTo() {
  if (thread_ != nullptr) {
    thread_->mem_account = saved_;
  }
}

namespace {

// One CPU's cache of free fast blocks, linked through their first word.
// Touched only by its CPU with IRQs off; `count` is also read (for
// statistics) by others, so it is an Atomic its CPU updates with relaxed
// loads and stores (no read-modify-write needed: one writer).
struct alignas(64) FastCache {
  void* head = nullptr;
  mica::Atomic<size_t> count;
};
FastCache g_fast[MAX_CPUS];

FastCache& ThisFastCache() {
  return g_fast[ThisCpu().cpu_num];
}

}  // namespace

void* AllocFastBlock() {
  if (fail_alloc::ShouldFail(fail_alloc::Kind::kHeap)) {
    return nullptr;
  }
  uint64_t state = arch::SaveDisableIrqs();
  FastCache& c = ThisFastCache();
  void* b = c.head;
  if (b != nullptr) {
    c.head = *static_cast<void**>(b);
    c.count.store(c.count.load(mica::kRelaxed) - 1, mica::kRelaxed);
    arch::RestoreIrqs(state);
    return b;
  }
  b = g_heap.Alloc(kFastBlockSize, 16);
  arch::RestoreIrqs(state);
  return b;
}

void FreeFastBlock(void* block) {
  if (block == nullptr) {
    return;
  }
  uint64_t state = arch::SaveDisableIrqs();
  FastCache& c = ThisFastCache();
  if (c.count.load(mica::kRelaxed) < kFastBlockCacheMax) {
    *static_cast<void**>(block) = c.head;
    c.head = block;
    c.count.store(c.count.load(mica::kRelaxed) + 1, mica::kRelaxed);
  } else {
    g_heap.Free(block);
  }
  arch::RestoreIrqs(state);
}

Stats GetStats() {
  IrqOff off;
  auto p = g_pmm.GetStats();
  auto h = g_heap.GetStats();
  uint64_t cached = 0;
  for (const FastCache& c : g_fast) {
    cached += c.count.load(mica::kRelaxed) * kFastBlockSize;
  }
  uint64_t in_use = h.bytes_in_use > cached ? h.bytes_in_use - cached : 0;
  return Stats{p.total_pages, p.free_pages, in_use, h.pages_held};
}

}  // namespace kmem

// The kernel's C++ allocation: only `new (ac) T` allocates
// (kernel/lib/alloc_checker.h, inline there), from the heap.
void* mica::AllocCheckerAllocate(size_t size) noexcept {
  return kmem::Malloc(size);
}
void operator delete(void* p) noexcept {
  kmem::Free(p);
}
void operator delete[](void* p) noexcept {
  kmem::Free(p);
}
void operator delete(void* p, size_t) noexcept {
  kmem::Free(p);
}
void operator delete[](void* p, size_t) noexcept {
  kmem::Free(p);
}
