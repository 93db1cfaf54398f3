#include "kernel/arch/arm64/user_page_table.h"

#include <string.h>

#include "kernel/arch/arm64/arch.h"
#include "kernel/lib/assert.h"
#include "kernel/top/memory.h"

namespace arch {
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
  memset(t, 0, 4096);
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
  if ((va & 4095) != 0 || count == 0 || count > (kUserTop >> 12) || !IsUserRange(va, count << 12)) {
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
  *kmem::PageOwnerWord(VirtToPhys(root_)) = 0;  // the list of lower tables: empty
  IrqGuard guard(lock_);
  table_pages_ = 1;
  ttbr0_ = VirtToPhys(root_) | (uint64_t{asid_} << 48);
  return mica::Status::kOk;
}

UserPageTable::~UserPageTable() {
  if (root_ != nullptr) {
    FreeTables();
  }
  if (asid_ != 0) {
    FreeAsid(asid_);
  }
}

void UserPageTable::FreeTables() {
  // Every table below the root is on the root's list (Walk): freeing costs
  // one step per table, not a scan of the root and every level-2 table.
  uint64_t pa = *kmem::PageOwnerWord(VirtToPhys(root_));
  while (pa != 0) {
    uint64_t next = *kmem::PageOwnerWord(pa);
    kmem::FreePage(pa);
    pa = next;
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
      uint64_t* t = AllocTablePage();
      if (t == nullptr) {
        return nullptr;
      }
      table_pages_++;
      // On the root's list of tables (the owner words link it).
      uintptr_t* head = kmem::PageOwnerWord(VirtToPhys(root_));
      *kmem::PageOwnerWord(VirtToPhys(t)) = *head;
      *head = VirtToPhys(t);
      DSB(ishst);
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
  *skip = (va & ~4095ull) + 4096;
  return &table[(va >> 12) & (kEntries - 1)];
}

bool UserPageTable::AnyMapped(uint64_t va, uint64_t size) const {
  if (!IsUserRange(va, size)) {
    return false;
  }
  IrqGuard guard(lock_);
  for (uint64_t cur = va & ~4095ull; cur < va + size;) {
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

mica::Status UserPageTable::Map(uint64_t va, const uint64_t* pas, size_t count, uint32_t perms,
                                CachePolicy policy) {
  if (!ValidRequest(va, count, perms)) {
    return mica::Status::kInvalidArgs;
  }
  IrqGuard guard(lock_);
  // First make sure nothing is mapped and every table exists, so a failure
  // leaves the address space unchanged.
  for (size_t i = 0; i < count; i++) {
    uint64_t* pte = Walk(va + (i << 12), true);
    if (pte == nullptr) {
      return mica::Status::kNoMemory;
    }
    if (*pte & PTE_VALID) {
      return mica::Status::kAlreadyExists;
    }
  }
  uint64_t attrs = LeafAttrs(perms, policy);
  for (size_t i = 0; i < count; i++) {
    MICA_ASSERT((pas[i] & 4095) == 0);
    *Walk(va + (i << 12), false) = pas[i] | attrs;
  }
  mapped_pages_ += count;
  DSB(ishst);
  ISB();
  return mica::Status::kOk;
}

mica::Status UserPageTable::MapContiguous(uint64_t va, uint64_t pa, size_t count, uint32_t perms,
                                          CachePolicy policy) {
  if (!ValidRequest(va, count, perms) || (pa & 4095) != 0) {
    return mica::Status::kInvalidArgs;
  }
  IrqGuard guard(lock_);
  for (size_t i = 0; i < count; i++) {
    uint64_t* pte = Walk(va + (i << 12), true);
    if (pte == nullptr) {
      return mica::Status::kNoMemory;
    }
    if (*pte & PTE_VALID) {
      return mica::Status::kAlreadyExists;
    }
  }
  uint64_t attrs = LeafAttrs(perms, policy);
  for (size_t i = 0; i < count; i++) {
    *Walk(va + (i << 12), false) = (pa + (i << 12)) | attrs;
  }
  mapped_pages_ += count;
  DSB(ishst);
  ISB();
  return mica::Status::kOk;
}

size_t UserPageTable::Unmap(uint64_t va, size_t count) {
  if ((va & 4095) != 0 || !IsUserRange(va, count << 12)) {
    return 0;
  }
  IrqGuard guard(lock_);
  // The entries are cleared first and the TLB invalidated after one
  // barrier: page by page for a few pages, the whole ASID for more.
  constexpr size_t kMaxPageInvalidations = 16;
  uint64_t cleared[kMaxPageInvalidations];
  size_t n = 0;
  uint64_t end = va + (count << 12);
  for (uint64_t cur = va; cur < end;) {
    // Skips the blocks without tables: a huge sparse range costs little.
    uint64_t next;
    uint64_t* pte = Lookup(cur, &next);
    if (pte == nullptr) {
      cur = next;
      continue;
    }
    // The rest of this last-level table, entry by entry.
    uint64_t table_end = ((cur >> 21) + 1) << 21;
    uint64_t stop = table_end < end ? table_end : end;
    for (; cur < stop; cur += 4096, pte++) {
      if (*pte & PTE_VALID) {
        *pte = 0;
        if (n < kMaxPageInvalidations) {
          cleared[n] = cur;
        }
        n++;
      }
    }
  }
  if (n != 0) {
    DSB(ishst);
    if (n <= kMaxPageInvalidations) {
      for (size_t i = 0; i < n; i++) {
        __asm__ volatile("tlbi vae1is, %0" ::"r"(((cleared[i] >> 12) & ((1ull << 44) - 1)) |
                                                 (uint64_t{asid_} << 48))
                         : "memory");
      }
    } else {
      __asm__ volatile("tlbi aside1is, %0" ::"r"(uint64_t{asid_} << 48) : "memory");
    }
    DSB(ish);
    ISB();
  }
  mapped_pages_ -= n;
  return n;
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
  uint64_t* pte = const_cast<UserPageTable*>(this)->Walk(va & ~4095ull, false);
  if (pte == nullptr || !(*pte & PTE_VALID)) {
    return false;
  }
  *pa = (*pte & kAddrMask) | (va & 4095);
  *perms = PermsOf(*pte);
  return true;
}

}  // namespace arch
