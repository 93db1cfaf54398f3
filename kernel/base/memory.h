// The kernel's memory: the physical page allocator (kernel/vm Pmm) over the
// usable RAM found at boot, and the kernel heap (kernel/vm Heap) on top of it
// through the linear map. operator new/delete use the heap. Every
// allocation can fail; with kernel.failalloc= some are made to
// (kernel/base/fail_alloc.h).
//
// Accounting (docs/kernel.md "Job memory limits"): every heap allocation
// and every page is charged to the account of the thread that allocates it
// (ThreadBase::mem_account: its job's, or nullptr for the kernel's own
// threads and in interrupt handlers), and uncharged from that same account
// when freed, whoever frees it. A charge past an account's limit fails the
// allocation as if memory had run out. Heap allocations carry a 16-byte
// header for this (the account and what was charged); a page's account is
// in its metadata (mica::Page::account). Fast blocks are not charged here:
// the channel messages in them are charged while queued (ChargeAccount).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/platform/ranges.h"
#include "kernel/vm/mem_account.h"

struct ThreadBase;

namespace kmem {

using Account = mica::MemAccount;

// Hands every range of `usable` to the PMM (page metadata carved from the
// ranges themselves) and starts the heap. Returns false with `*why` set if no
// range could hold its metadata.
bool Init(const platform::RangeSet& usable, const char** why);
bool Ready();

bool AllocPage(uint64_t* pa);
void FreePage(uint64_t pa);
// The owner word of an allocated page's metadata (mica::Page::owner), for
// whoever allocated the page: VMOs keep the number of VMOs sharing it there.
uintptr_t* PageOwnerWord(uint64_t pa);
// Physically contiguous pages, aligned to `align` bytes (a power of two).
bool AllocContiguous(size_t pages, uint64_t align, uint64_t* pa);
void FreeContiguous(uint64_t pa, size_t pages);

// Heap memory, charged as above. MallocAligned takes alignments up to a page
// (a power of two); both return nullptr for requests near 4 GiB.
void* Malloc(size_t size);
void* MallocAligned(size_t size, size_t align);
void Free(void* ptr);

// A per-CPU cache of fixed-size blocks for the objects of hot paths
// (channel messages up to kFastBlockSize bytes): a pop or a push with IRQs
// off on this CPU's list, no heap lock, no poisoning. The blocks come from
// the heap and a full cache (kFastBlockCacheMax per CPU) hands them back;
// blocks sitting in a cache count as free heap in GetStats, so the
// kernel's memory figures do not depend on what the caches hold.
constexpr size_t kFastBlockSize = 256;
constexpr size_t kFastBlockCacheMax = 32;
void* AllocFastBlock();
void FreeFastBlock(void* block);

// ---- Accounts -------------------------------------------------------------

// A new open account below `parent` (nullptr: at the top), itself charged
// to `parent`; nullptr if there is no memory or `parent`'s limits refuse.
Account* NewAccount(Account* parent);
// Its owner gives `account` up; it is freed once nothing is charged to it.
void CloseAccount(Account* account);
// Direct charges, for memory the allocators above do not see (channel
// messages in fast blocks while they are queued). Uncharge must get the
// same account and size that Charge took.
[[nodiscard]] bool ChargeAccount(Account* account, uint64_t bytes);
void UnchargeAccount(Account* account, uint64_t bytes);
// The account the current thread's allocations are charged to now.
Account* CurrentAccount();

// While one lives, the current thread's allocations are charged to
// `account` instead (nullptr: to nobody). For calls that make an object
// inside another task (process_create charges the new process to its job,
// thread_create the new thread to its process) and for the kernel's own
// lasting memory allocated on a user thread's behalf (kernel page tables).
class ChargeTo {
 public:
  explicit ChargeTo(Account* account);
  ~ChargeTo();
  ChargeTo(const ChargeTo&) = delete;
  ChargeTo& operator=(const ChargeTo&) = delete;

 private:
  ThreadBase* thread_;  // the current thread (nullptr early in boot: no effect)
  Account* saved_;
};

struct Stats {
  uint64_t total_pages;
  uint64_t free_pages;
  uint64_t heap_bytes_in_use;
  uint64_t heap_pages;
};
Stats GetStats();

}  // namespace kmem
