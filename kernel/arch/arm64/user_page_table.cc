#include "kernel/arch/arm64/user_page_table.h"

#include <string.h>

#include "kernel/arch/arm64/arch.h"
#include "kernel/base/memory.h"
#include "kernel/lib/assert.h"
#include "kernel/lib/atomic.h"

namespace arch {

namespace {
// Spare table pages held by all address spaces (KeepSpares): counted as
// free memory in KMEM_STATS, as the heap's cached fast blocks are, so exact
// memory checks do not depend on how many spares a launcher holds.
mica::Atomic<uint64_t> g_spare_pages;
}  // namespace

namespace {

constexpr uint64_t kEntries = 512;
constexpr uint64_t kAddrMask = 0x0000fffffffff000ull;

// ASIDs: 8 or 16 bits (ID_AA64MMFR0_EL1.ASIDBits). ASID 0 is the kernel's
// empty table. Bounded bitmap allocation; exhaustion fails the address
// space creation (no roll-over yet).
constexpr uint32_t kMaxAsids = 1u << 16;
uint64_t g_asid_bitmap[kMaxAsids / 64];
uint32_t g_asid_limit = 256;
size_t g_asids_in_use;
IrqSpinLock g_asid_lock;
uint64_t g_empty_ttbr0;

uint16_t AllocAsid() {
  IrqGuard guard(g_asid_lock);
  for (uint32_t a = 1; a < g_asid_limit; a++) {
    if ((g_asid_bitmap[a / 64] & (1ull << (a % 64))) == 0) {
      g_asid_bitmap[a / 64] |= 1ull << (a % 64);
      g_asids_in_use++;
      return static_cast<uint16_t>(a);
    }
  }
  return 0;
}

void FreeAsid(uint16_t a) {
  // No TLB entry tagged with the ASID may survive its reuse.
  DSB(ishst);
  __asm__ volatile("tlbi aside1is, %0" ::"r"(uint64_t{a} << 48) : "memory");
  DSB(ish);
  IrqGuard guard(g_asid_lock);
  g_asid_bitmap[a / 64] &= ~(1ull << (a % 64));
  g_asids_in_use--;
}

uint64_t* AllocTablePage() {
  uint64_t pa;
  if (!kmem::AllocPage(&pa)) {
    return nullptr;
  }
  auto* t = static_cast<uint64_t*>(PhysToVirt(pa));
  memset(t, 0, kPageSize);
  return t;
}

uint64_t LeafAttrs(uint32_t perms, CachePolicy policy) {
  uint64_t a = PTE_AF | PTE_NG | PTE_PXN | PTE_PAGE;
  switch (policy) {
    case CachePolicy::kCached:
      a |= PTE_ATTR(MAIR_NORMAL) | PTE_SH_INNER;
      break;
    case CachePolicy::kUncached:
      a |= PTE_ATTR(MAIR_NORMAL_NC) | PTE_SH_INNER;
      break;
    case CachePolicy::kDevice:
      a |= PTE_ATTR(MAIR_DEVICE_nGnRE);
      break;
  }
  a |= (perms & kPermWrite) ? PTE_AP_RW_ALL : PTE_AP_RO_ALL;
  if ((perms & kPermExecute) == 0 || policy == CachePolicy::kDevice) {
    a |= PTE_UXN;
  }
  return a;
}

uint32_t PermsOf(uint64_t pte) {
  uint32_t p = kPermRead;
  if ((pte & (2 << 6)) == 0) {
    p |= kPermWrite;
  }
  if ((pte & PTE_UXN) == 0) {
    p |= kPermExecute;
  }
  return p;
}

bool ValidRequest(uint64_t va, size_t count, uint32_t perms) {
  if ((va & (kPageSize - 1)) != 0 || count == 0 || count > (kUserTop >> kPageShift) ||
      !IsUserRange(va, count << kPageShift)) {
    return false;
  }
  if ((perms & kPermWrite) && (perms & kPermExecute)) {
    return false;  // W^X
  }
  return (perms & kPermRead) != 0 || perms == 0;
}

}  // namespace

void InitUserAddressSpaces() {
  uint64_t mmfr0 = READ_SYSREG(id_aa64mmfr0_el1);
  if (((mmfr0 >> 4) & 0xf) == 2) {
    g_asid_limit = kMaxAsids;  // 16-bit ASIDs (TCR_EL1.AS set at boot)
  }
  uint64_t* empty = AllocTablePage();
  MICA_ASSERT_MSG(empty != nullptr, "no memory for the empty TTBR0 table");
  g_empty_ttbr0 = VirtToPhys(empty);
}

uint64_t KernelOnlyTtbr0() {
  return g_empty_ttbr0;
}
size_t AsidsInUse() {
  IrqGuard guard(g_asid_lock);
  return g_asids_in_use;
}

mica::Status UserPageTable::Init() {
  asid_ = AllocAsid();
  if (asid_ == 0) {
    return mica::Status::kNoResources;
  }
  root_ = AllocTablePage();
  if (root_ == nullptr) {
    FreeAsid(asid_);
    asid_ = 0;
    return mica::Status::kNoMemory;
  }
  IrqGuard guard(lock_);
  table_pages_ = 1;
  ttbr0_ = VirtToPhys(root_) | (uint64_t{asid_} << 48);
  return mica::Status::kOk;
}

UserPageTable::~UserPageTable() {
  // The ASID's TLB and walk-cache entries go first (FreeAsid invalidates
  // them and waits), then the tables they could point into.
  if (asid_ != 0) {
    FreeAsid(asid_);
  }
  if (root_ != nullptr) {
    FreeTables();
  }
}

void UserPageTable::FreeTables() {
  // Unmap frees every table that empties, so only the tables of pages still
  // mapped are left: at most 512 root entries, and 512 entries per level-2
  // table left, are looked at. No TLB maintenance here: no CPU runs with
  // this table any more (a switch to a thread of another address space, or
  // to a kernel thread, loads another TTBR0) and FreeAsid has already
  // invalidated every entry of the ASID. Usually every mapping is gone by
  // now (the root VMAR's destruction unmaps them): nothing to scan.
  size_t left = table_pages_ - 1;
  for (uint64_t i = 0; i < kEntries && left != 0; i++) {
    if ((root_[i] & 3) != PTE_TABLE) {
      continue;
    }
    auto* l2 = static_cast<uint64_t*>(PhysToVirt(root_[i] & kAddrMask));
    for (uint64_t j = 0; j < kEntries; j++) {
      if ((l2[j] & 3) == PTE_TABLE) {
        kmem::FreePage(l2[j] & kAddrMask);
        left--;
      }
    }
    kmem::FreePage(root_[i] & kAddrMask);
    left--;
  }
  while (spares_ != 0) {
    kmem::FreePage(spare_[--spares_]);
    g_spare_pages.fetch_sub(1, mica::kRelaxed);
  }
  kmem::FreePage(VirtToPhys(root_));
  root_ = nullptr;
}

uint64_t* UserPageTable::Walk(uint64_t va, bool create) {
  uint64_t* table = root_;
  for (int level = 1; level < 3; level++) {
    uint64_t idx = (va >> (level == 1 ? 30 : 21)) & (kEntries - 1);
    uint64_t e = table[idx];
    if ((e & 3) != PTE_TABLE) {
      if (!create) {
        return nullptr;
      }
      // A spare (emptied, so all zeros, and out of every TLB) or a new page.
      uint64_t* t = nullptr;
      if (spares_ != 0) {
        t = static_cast<uint64_t*>(PhysToVirt(spare_[--spares_]));
        g_spare_pages.fetch_sub(1, mica::kRelaxed);
      } else {
        t = AllocTablePage();
      }
      if (t == nullptr) {
        return nullptr;
      }
      table_pages_++;
      *kmem::PageOwnerWord(VirtToPhys(t)) = 0;  // no valid entries yet
      if (level == 2) {
        ++*kmem::PageOwnerWord(VirtToPhys(table));  // the level-2 table's new entry
      }
      DSB(ishst);  // the zeroed table is visible before the walker can see it
      table[idx] = VirtToPhys(t) | PTE_TABLE;
      e = table[idx];
    }
    table = static_cast<uint64_t*>(PhysToVirt(e & kAddrMask));
  }
  return &table[(va >> 12) & (kEntries - 1)];
}

uint64_t* UserPageTable::Lookup(uint64_t va, uint64_t* skip) const {
  uint64_t* table = root_;
  for (int level = 1; level < 3; level++) {
    unsigned shift = level == 1 ? 30 : 21;
    uint64_t e = table[(va >> shift) & (kEntries - 1)];
    if ((e & 3) != PTE_TABLE) {
      // Nothing is mapped up to the end of this entry's block.
      *skip = ((va >> shift) + 1) << shift;
      return nullptr;
    }
    table = static_cast<uint64_t*>(PhysToVirt(e & kAddrMask));
  }
  *skip = (va & ~(kPageSize - 1)) + kPageSize;
  return &table[(va >> 12) & (kEntries - 1)];
}

bool UserPageTable::AnyMapped(uint64_t va, uint64_t size) const {
  if (!IsUserRange(va, size)) {
    return false;
  }
  IrqGuard guard(lock_);
  for (uint64_t cur = va & ~(kPageSize - 1); cur < va + size;) {
    uint64_t next;
    uint64_t* pte = Lookup(cur, &next);
    if (pte != nullptr && (*pte & PTE_VALID)) {
      return true;
    }
    cur = next;
  }
  return false;
}

void UserPageTable::InvalidatePage(uint64_t va) {
  DSB(ishst);
  __asm__ volatile(
      "tlbi vae1is, %0" ::"r"(((va >> 12) & ((1ull << 44) - 1)) | (uint64_t{asid_} << 48))
      : "memory");
}

// Table reclaim. A table page below the root keeps in its owner word
// (kmem::PageOwnerWord) how many of its entries are valid: pages for a
// level-3 table, table descriptors for a level-2 one. A table whose count
// drops to 0 is unhooked from its parent (its descriptor cleared) and freed
// once no walker can use it any more:
//  1. the descriptor is cleared (an invalid entry needs no break-before-make
//     of its own: the sequence below is the "break");
//  2. DSB ISHST, then TLBI VAE1IS for an address the table translated (or
//     TLBI ASIDE1IS). The Arm ARM (DDI 0487, "A64 System instructions for
//     TLB maintenance", TLBI VAE1IS against TLBI VALE1IS) lets a TLB cache
//     entries from any level of a walk (table descriptors included: the
//     walk caches), and a TLBI by VA without the "Last level" hint
//     invalidates the cached copies from every level of the walk for that
//     address and ASID; TLBI ASIDE1IS does so for every address of the
//     ASID. A VALE1IS would leave the descriptor of the freed table cached;
//  3. DSB ISH: the invalidation has completed on every CPU of the Inner
//     Shareable domain, and with it any walk that was using the old table;
//  4. only then is the page freed (it may be reused as anything at once).
// Unmap needs no extra invalidation for this: a table empties only when a
// page it mapped was cleared by this very call, and that page's address
// is invalidated with VAE1IS (never VALE1IS), which covers every level
// above it.
void UserPageTable::Invalidation::Add(uint64_t va) {
  if (n < kMaxPages) {
    vas[n] = va;
  }
  n++;
}

void UserPageTable::Invalidation::Defer(uint64_t table_pa) {
  *kmem::PageOwnerWord(table_pa) = freed;  // the count is dead: now a link
  freed = table_pa;
}

void UserPageTable::Invalidation::Flush(uint16_t asid) {
  if (n == 0) {
    return;
  }
  DSB(ishst);
  if (n <= kMaxPages) {
    for (size_t i = 0; i < n; i++) {
      __asm__ volatile(
          "tlbi vae1is, %0" ::"r"(((vas[i] >> 12) & ((1ull << 44) - 1)) | (uint64_t{asid} << 48))
          : "memory");
    }
  } else {
    __asm__ volatile("tlbi aside1is, %0" ::"r"(uint64_t{asid} << 48) : "memory");
  }
  DSB(ish);
  ISB();
}

void UserPageTable::Invalidation::FreeTables() {
  while (freed != 0) {
    uint64_t next = *kmem::PageOwnerWord(freed);
    kmem::FreePage(freed);
    freed = next;
  }
}

// After the flush: keeps up to kMaxSpares of the tables that emptied for
// this address space's next tables (they are all zeros: a table empties
// when its last valid entry is cleared to 0), so a process that maps and
// unmaps at fresh addresses (a launcher loading programs) does not
// allocate, zero and free two table pages each time. Bounded: at most
// kMaxSpares pages per address space, freed with it.
void UserPageTable::KeepSpares(Invalidation* inv) {
  while (spares_ < kMaxSpares && inv->freed != 0) {
    uint64_t pa = inv->freed;
    inv->freed = *kmem::PageOwnerWord(pa);
    spare_[spares_++] = pa;
    g_spare_pages.fetch_add(1, mica::kRelaxed);
  }
}

uint64_t UserPageTable::SparePages() {
  return g_spare_pages.load(mica::kRelaxed);
}

// `gone` valid entries of the level-3 table under *l2e were cleared: drops
// them from its count and unhooks the table, and then its level-2 table,
// if they are empty.
void UserPageTable::DropEntries(uint64_t* l1e, uint64_t* l2e, size_t gone, Invalidation* inv) {
  uint64_t l3 = *l2e & kAddrMask;
  uintptr_t* count = kmem::PageOwnerWord(l3);
  MICA_ASSERT(*count >= gone);
  *count -= gone;
  if (*count != 0) {
    return;
  }
  *l2e = 0;
  inv->Defer(l3);
  table_pages_--;
  DropTable(l1e, inv);
}

// One table descriptor of the level-2 table under *l1e was cleared.
void UserPageTable::DropTable(uint64_t* l1e, Invalidation* inv) {
  uint64_t l2 = *l1e & kAddrMask;
  uintptr_t* count = kmem::PageOwnerWord(l2);
  MICA_ASSERT(*count != 0);
  if (--*count != 0) {
    return;
  }
  *l1e = 0;
  inv->Defer(l2);
  table_pages_--;
}

// After a failed Map over [va, end): frees the tables it created that
// map nothing (a walk may have cached their descriptors already: each
// one's address is invalidated).
void UserPageTable::PruneLocked(uint64_t va, uint64_t end, Invalidation* inv) {
  for (uint64_t gib = va >> 30; gib <= (end - 1) >> 30; gib++) {
    uint64_t* l1e = &root_[gib & (kEntries - 1)];
    if ((*l1e & 3) != PTE_TABLE) {
      continue;
    }
    auto* l2 = static_cast<uint64_t*>(PhysToVirt(*l1e & kAddrMask));
    uint64_t lo = gib << 30 > va ? gib << 30 : va;
    uint64_t hi = (gib + 1) << 30 < end ? (gib + 1) << 30 : end;
    for (uint64_t cur = lo & ~((1ull << 21) - 1); cur < hi; cur += 1ull << 21) {
      uint64_t* l2e = &l2[(cur >> 21) & (kEntries - 1)];
      if ((*l2e & 3) == PTE_TABLE && *kmem::PageOwnerWord(*l2e & kAddrMask) == 0) {
        inv->Defer(*l2e & kAddrMask);
        *l2e = 0;
        table_pages_--;
        inv->Add(cur);
        if ((*l1e & 3) == PTE_TABLE) {
          DropTable(l1e, inv);
        }
      }
    }
    // A level-2 table created just before its level-3 table failed.
    if ((*l1e & 3) == PTE_TABLE && *kmem::PageOwnerWord(*l1e & kAddrMask) == 0) {
      inv->Defer(*l1e & kAddrMask);
      *l1e = 0;
      table_pages_--;
      inv->Add(gib << 30);
    }
  }
}

// Map and MapContiguous: the page i of the run is at pas[i], or at
// pa + i pages when pas is null.
mica::Status UserPageTable::MapRun(uint64_t va, const uint64_t* pas, uint64_t pa, size_t count,
                                   uint64_t attrs) {
  mica::Status s = mica::Status::kOk;
  Invalidation inv;
  {
    IrqGuard guard(lock_);
    // First make sure nothing is mapped and every table exists, so a
    // failure leaves the address space as it was (the tables made for it
    // are freed again).
    size_t i = 0;
    for (; i < count; i++) {
      uint64_t* pte = Walk(va + (i << 12), true);
      if (pte == nullptr) {
        s = mica::Status::kNoMemory;
        break;
      }
      if (*pte & PTE_VALID) {
        s = mica::Status::kAlreadyExists;
        break;
      }
    }
    if (s != mica::Status::kOk) {
      PruneLocked(va, va + ((i + 1) << 12), &inv);
      inv.Flush(asid_);
      KeepSpares(&inv);
    } else {
      uint64_t* pte = nullptr;
      uintptr_t* table_count = nullptr;
      for (i = 0; i < count; i++) {
        uint64_t cur = va + (i << 12);
        if (pte == nullptr || (cur & ((1ull << 21) - 1)) == 0) {
          pte = Walk(cur, false);  // the first page, or the start of the next table
          table_count = kmem::PageOwnerWord(VirtToPhys(pte) & ~(kPageSize - 1));
        }
        uint64_t page = pas != nullptr ? pas[i] : pa + (i << 12);
        MICA_ASSERT((page & (kPageSize - 1)) == 0);
        *pte++ = page | attrs;
        ++*table_count;
      }
      mapped_pages_ += count;
      DSB(ishst);
      ISB();
    }
  }
  inv.FreeTables();
  return s;
}

mica::Status UserPageTable::Map(uint64_t va, const uint64_t* pas, size_t count, uint32_t perms,
                                CachePolicy policy) {
  if (!ValidRequest(va, count, perms)) {
    return mica::Status::kInvalidArgs;
  }
  return MapRun(va, pas, 0, count, LeafAttrs(perms, policy));
}

mica::Status UserPageTable::MapContiguous(uint64_t va, uint64_t pa, size_t count, uint32_t perms,
                                          CachePolicy policy) {
  if (!ValidRequest(va, count, perms) || (pa & (kPageSize - 1)) != 0) {
    return mica::Status::kInvalidArgs;
  }
  return MapRun(va, nullptr, pa, count, LeafAttrs(perms, policy));
}

size_t UserPageTable::Unmap(uint64_t va, size_t count) {
  if ((va & (kPageSize - 1)) != 0 || !IsUserRange(va, count << kPageShift)) {
    return 0;
  }
  // The entries are cleared first and the TLB invalidated after one
  // barrier (page by page for a few pages, the whole ASID for more); the
  // tables that emptied are freed after that.
  Invalidation inv;
  {
    IrqGuard guard(lock_);
    uint64_t end = va + (count << kPageShift);
    for (uint64_t cur = va; cur < end;) {
      // Skips the blocks without tables: a huge sparse range costs little.
      uint64_t* l1e = &root_[(cur >> 30) & (kEntries - 1)];
      if ((*l1e & 3) != PTE_TABLE) {
        cur = ((cur >> 30) + 1) << 30;
        continue;
      }
      auto* l2 = static_cast<uint64_t*>(PhysToVirt(*l1e & kAddrMask));
      uint64_t* l2e = &l2[(cur >> 21) & (kEntries - 1)];
      uint64_t table_end = ((cur >> 21) + 1) << 21;
      if ((*l2e & 3) != PTE_TABLE) {
        cur = table_end;
        continue;
      }
      // The rest of this last-level table, entry by entry.
      uint64_t* pte =
          static_cast<uint64_t*>(PhysToVirt(*l2e & kAddrMask)) + ((cur >> 12) & (kEntries - 1));
      uint64_t stop = table_end < end ? table_end : end;
      size_t gone = 0;
      for (; cur < stop; cur += kPageSize, pte++) {
        if (*pte & PTE_VALID) {
          *pte = 0;
          inv.Add(cur);
          gone++;
        }
      }
      if (gone != 0) {
        mapped_pages_ -= gone;
        DropEntries(l1e, l2e, gone, &inv);
      }
    }
    inv.Flush(asid_);
    KeepSpares(&inv);
  }
  inv.FreeTables();
  return inv.n;
}

mica::Status UserPageTable::Protect(uint64_t va, size_t count, uint32_t perms) {
  if (!ValidRequest(va, count, perms)) {
    return mica::Status::kInvalidArgs;
  }
  IrqGuard guard(lock_);
  for (size_t i = 0; i < count; i++) {
    uint64_t* pte = Walk(va + (i << 12), false);
    if (pte == nullptr || !(*pte & PTE_VALID)) {
      continue;
    }
    uint64_t e = *pte;
    CachePolicy policy = ((e >> 2) & 7) == MAIR_DEVICE_nGnRE ? CachePolicy::kDevice
                         : ((e >> 2) & 7) == MAIR_NORMAL_NC  ? CachePolicy::kUncached
                                                             : CachePolicy::kCached;
    // Break-before-make is not needed for permission-only changes (Arm ARM
    // D8.14.1), but the old entry must leave the TLBs.
    *pte = (e & kAddrMask) | LeafAttrs(perms, policy);
    InvalidatePage(va + (i << 12));
  }
  DSB(ish);
  ISB();
  return mica::Status::kOk;
}

bool UserPageTable::Query(uint64_t va, uint64_t* pa, uint32_t* perms) const {
  IrqGuard guard(lock_);
  uint64_t* pte = const_cast<UserPageTable*>(this)->Walk(va & ~(kPageSize - 1), false);
  if (pte == nullptr || !(*pte & PTE_VALID)) {
    return false;
  }
  *pa = (*pte & kAddrMask) | (va & (kPageSize - 1));
  *perms = PermsOf(*pte);
  return true;
}

}  // namespace arch
