// A user address space's translation tables (TTBR0_EL1, 39-bit VAs, 4 KiB
// pages, three levels) with its ASID. User pages are always PXN (the kernel
// never executes user memory), non-global, inner shareable; writable pages
// are never executable (W^X). Tables come from the PMM; a table that no
// longer maps anything is freed at once (Unmap, a failed Map), except up to
// two kept as spares for the next tables; the rest go with the address
// space.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/base/irq_spinlock.h"
#include "kernel/lib/status.h"

namespace arch {

// User addresses: [kUserBase, kUserTop). Page 0..kUserBase is never mapped.
constexpr uint64_t kUserBase = 0x10000;
constexpr uint64_t kUserTop = 1ull << VA_BITS;

inline bool IsUserRange(uint64_t va, uint64_t size) {
  return va >= kUserBase && va < kUserTop && size <= kUserTop - va;
}

// Permission bits for Map/Protect.
constexpr uint32_t kPermRead = 1;
constexpr uint32_t kPermWrite = 2;
constexpr uint32_t kPermExecute = 4;

enum class CachePolicy : uint8_t { kCached, kUncached, kDevice };

class UserPageTable {
 public:
  // Spare table pages held by every address space now (all zeros, ready
  // for reuse, freed with their address space; see KeepSpares).
  static uint64_t SparePages();

  UserPageTable() = default;
  ~UserPageTable();
  UserPageTable(const UserPageTable&) = delete;
  UserPageTable& operator=(const UserPageTable&) = delete;

  // Allocates the root table and an ASID.
  mica::Status Init();
  // Maps `count` pages at `va` to the physical pages `pas[i]`. Fails with
  // kAlreadyExists if any page is mapped (nothing is changed then), or
  // kInvalidArgs for a bad range or a writable+executable request.
  mica::Status Map(uint64_t va, const uint64_t* pas, size_t count, uint32_t perms,
                   CachePolicy policy = CachePolicy::kCached);
  // Maps a physically contiguous run.
  mica::Status MapContiguous(uint64_t va, uint64_t pa, size_t count, uint32_t perms,
                             CachePolicy policy = CachePolicy::kCached);
  // Unmaps every mapped page in [va, va + count pages); returns how many
  // were mapped. The physical pages are not freed (their owner does that);
  // the tables left empty are.
  size_t Unmap(uint64_t va, size_t count);
  // Changes the permissions of mapped pages in the range.
  mica::Status Protect(uint64_t va, size_t count, uint32_t perms);
  // The physical address and permissions mapped at `va`, if any.
  bool Query(uint64_t va, uint64_t* pa, uint32_t* perms) const;
  // Whether any page in [va, va + size) is mapped (cheap over the parts
  // without tables).
  bool AnyMapped(uint64_t va, uint64_t size) const;

  // TTBR0_EL1 value: ASID and root table.
  uint64_t ttbr0() const { return ttbr0_; }
  size_t table_pages() const {
    IrqGuard guard(lock_);
    return table_pages_;
  }
  size_t mapped_pages() const {
    IrqGuard guard(lock_);
    return mapped_pages_;
  }

 private:
  // Pages whose entries were cleared, for one TLB invalidation, and the
  // table pages to free after it (linked through their owner words).
  struct Invalidation {
    static constexpr size_t kMaxPages = 16;  // beyond: the whole ASID
    uint64_t vas[kMaxPages];
    size_t n = 0;
    uint64_t freed = 0;
    void Add(uint64_t va);
    void Defer(uint64_t table_pa);
    void Flush(uint16_t asid);
    void FreeTables();
  };

  mica::Status MapRun(uint64_t va, const uint64_t* pas, uint64_t pa, size_t count, uint64_t attrs);
  uint64_t* Walk(uint64_t va, bool create) REQUIRES(lock_);
  // The entry for `va` if its tables exist; sets `*skip` to the next
  // address that may have one.
  uint64_t* Lookup(uint64_t va, uint64_t* skip) const REQUIRES(lock_);
  void InvalidatePage(uint64_t va) REQUIRES(lock_);
  void DropEntries(uint64_t* l1e, uint64_t* l2e, size_t gone, Invalidation* inv) REQUIRES(lock_);
  void DropTable(uint64_t* l1e, Invalidation* inv) REQUIRES(lock_);
  void PruneLocked(uint64_t va, uint64_t end, Invalidation* inv) REQUIRES(lock_);
  void KeepSpares(Invalidation* inv) REQUIRES(lock_);
  void FreeTables() NO_THREAD_SAFETY_ANALYSIS;  // the destructor: nobody else left

  mutable IrqSpinLock lock_;
  uint64_t* root_ = nullptr;
  uint64_t ttbr0_ = 0;
  uint16_t asid_ = 0;
  size_t table_pages_ GUARDED_BY(lock_) = 0;
  size_t mapped_pages_ GUARDED_BY(lock_) = 0;
  // Emptied table pages kept for the next tables (see KeepSpares).
  static constexpr size_t kMaxSpares = 2;
  uint64_t spare_[kMaxSpares] GUARDED_BY(lock_) = {};
  size_t spares_ GUARDED_BY(lock_) = 0;
};

// Boot: sets up ASID allocation and the empty table kernel threads run with.
void InitUserAddressSpaces();
// TTBR0 value for threads without a user address space: an empty table.
uint64_t KernelOnlyTtbr0();
// Switches this CPU's TTBR0 (context switch).
inline void SetTtbr0(uint64_t value) {
  WRITE_SYSREG(ttbr0_el1, value);
  ISB();
}
size_t AsidsInUse();

}  // namespace arch
