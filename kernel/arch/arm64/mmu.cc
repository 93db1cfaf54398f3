#include "kernel/arch/arm64/mmu.h"

#include <string.h>

#include "kernel/arch/arm64/arch.h"
#include "kernel/base/irq_spinlock.h"
#include "kernel/base/memory.h"

extern "C" {
extern char __kernel_start[], __text_end[], __rodata_end[], __kernel_end[];
}

namespace mmu {
namespace {

using pte_t = uint64_t;
constexpr uint64_t kEntries = 512;
constexpr uint64_t kAddrMask = 0x0000fffffffff000ull;
constexpr uint64_t kL1Block = 1ull << 30;
constexpr uint64_t kL2Block = 1ull << 21;

constexpr uint64_t kNormal = PTE_ATTR(MAIR_NORMAL) | PTE_SH_INNER | PTE_AF;
constexpr uint64_t kDevice = PTE_ATTR(MAIR_DEVICE_nGnRE) | PTE_AF | PTE_PXN | PTE_UXN;

// Static pool for tables built before the PMM exists: the linear map of up
// to 256 GiB with edge tables, the image and the first MMIO mappings fit.
constexpr size_t kPoolPages = 48;
alignas(arch::kPageSize) uint8_t g_pool[kPoolPages][arch::kPageSize];
size_t g_pool_used;
bool g_use_pmm;
size_t g_table_pages;

KernelLayout g_layout;
pte_t* g_root;  // TTBR1 L1 table
uint64_t g_root_pa;

IrqSpinLock g_lock;  // protects the tables and the KVA allocators below

// KVA region: [KVA_BASE, +1 GiB) stacks, [+1 GiB, +2 GiB) MMIO.
constexpr uint64_t kStackBase = KVA_BASE;
constexpr uint64_t kStackSlots = (1ull << 30) / (2 * STACK_SIZE);
constexpr uint64_t kMmioBase = KVA_BASE + (1ull << 30);
constexpr uint64_t kMmioLimit = KVA_BASE + (2ull << 30);
uint64_t g_mmio_next GUARDED_BY(g_lock) = kMmioBase;
uint64_t g_stack_bitmap[kStackSlots / 64] GUARDED_BY(g_lock);

uint64_t TablePa(const pte_t* table) {
  uint64_t va = reinterpret_cast<uint64_t>(table);
  if (va >= reinterpret_cast<uint64_t>(__kernel_start) &&
      va < reinterpret_cast<uint64_t>(__kernel_end)) {
    return KernelVaToPa(table);
  }
  return arch::VirtToPhys(table);
}

pte_t* TableVa(uint64_t pa) {
  if (pa >= g_layout.kernel_pa && pa < g_layout.kernel_pa + g_layout.kernel_size) {
    return reinterpret_cast<pte_t*>(pa - g_layout.kernel_pa + KERNEL_BASE);
  }
  return static_cast<pte_t*>(arch::PhysToVirt(pa));
}

pte_t* AllocTable() {
  void* page = nullptr;
  if (g_use_pmm) {
    uint64_t pa;
    // Kernel tables are never freed: they are the kernel's, whoever's
    // call made them.
    kmem::ChargeTo kernels(nullptr);
    if (!kmem::AllocPage(&pa)) {
      return nullptr;
    }
    page = arch::PhysToVirt(pa);
  } else {
    if (g_pool_used == kPoolPages) {
      return nullptr;
    }
    page = g_pool[g_pool_used++];
  }
  memset(page, 0, arch::kPageSize);
  g_table_pages++;
  return static_cast<pte_t*>(page);
}

// The next-level table for entry `index` of `table`, created if absent.
pte_t* NextTable(pte_t* table, uint64_t index) {
  pte_t e = table[index];
  if ((e & 3) == PTE_TABLE) {
    return TableVa(e & kAddrMask);
  }
  if (e & PTE_VALID) {
    return nullptr;  // a block is in the way
  }
  pte_t* t = AllocTable();
  if (t == nullptr) {
    return nullptr;
  }
  DSB(ishst);  // the zeroed table is visible before it is linked
  table[index] = TablePa(t) | PTE_TABLE;
  return t;
}

uint64_t Attrs(Perm perm, MemType type) {
  uint64_t a = type == MemType::kDevice ? kDevice : kNormal;
  switch (perm) {
    case Perm::kRead:
      a |= PTE_AP_RO_EL1 | PTE_PXN | PTE_UXN;
      break;
    case Perm::kReadWrite:
      a |= PTE_AP_RW_EL1 | PTE_PXN | PTE_UXN;
      break;
    case Perm::kReadExec:
      a |= PTE_AP_RO_EL1 | PTE_UXN;
      break;
  }
  return a;
}

// Maps [va, va+size) -> [pa, pa+size) with the largest blocks alignment
// allows. Only fills empty entries. Returns false if out of tables or if
// something is already mapped there.
bool MapRange(uint64_t va, uint64_t pa, uint64_t size, uint64_t attrs) {
  while (size > 0) {
    uint64_t i1 = (va >> 30) & (kEntries - 1);
    if ((va & (kL1Block - 1)) == 0 && (pa & (kL1Block - 1)) == 0 && size >= kL1Block &&
        g_root[i1] == 0) {
      g_root[i1] = pa | attrs | PTE_BLOCK;
      va += kL1Block;
      pa += kL1Block;
      size -= kL1Block;
      continue;
    }
    pte_t* l2 = NextTable(g_root, i1);
    if (l2 == nullptr) {
      return false;
    }
    uint64_t i2 = (va >> 21) & (kEntries - 1);
    if ((va & (kL2Block - 1)) == 0 && (pa & (kL2Block - 1)) == 0 && size >= kL2Block &&
        l2[i2] == 0) {
      l2[i2] = pa | attrs | PTE_BLOCK;
      va += kL2Block;
      pa += kL2Block;
      size -= kL2Block;
      continue;
    }
    pte_t* l3 = NextTable(l2, i2);
    if (l3 == nullptr) {
      return false;
    }
    uint64_t i3 = (va >> 12) & (kEntries - 1);
    if (l3[i3] != 0) {
      return false;
    }
    l3[i3] = pa | attrs | PTE_PAGE;
    va += arch::kPageSize;
    pa += arch::kPageSize;
    size -= arch::kPageSize;
  }
  return true;
}

// Clears the L3 entries of [va, va+size) and invalidates their TLB entries on
// every CPU. The range must have been mapped with pages (KVA region).
void UnmapPages(uint64_t va, uint64_t size) {
  for (; size > 0; va += arch::kPageSize, size -= arch::kPageSize) {
    pte_t l1e = g_root[(va >> 30) & (kEntries - 1)];
    if ((l1e & 3) != PTE_TABLE) {
      continue;
    }
    pte_t* l2 = TableVa(l1e & kAddrMask);
    pte_t l2e = l2[(va >> 21) & (kEntries - 1)];
    if ((l2e & 3) != PTE_TABLE) {
      continue;
    }
    pte_t* l3 = TableVa(l2e & kAddrMask);
    l3[(va >> 12) & (kEntries - 1)] = 0;
    DSB(ishst);
    __asm__ volatile("tlbi vaae1is, %0" ::"r"((va >> 12) & ((1ull << 44) - 1)) : "memory");
  }
  DSB(ish);
  ISB();
}

}  // namespace

uint64_t KernelVaToPa(const void* va) {
  return reinterpret_cast<uint64_t>(va) - KERNEL_BASE + g_layout.kernel_pa;
}

uint64_t KernelTtbr1() {
  return g_root_pa;
}

bool InitKernelTables(const KernelLayout& layout, const platform::RangeSet& linear,
                      const char** why) {
  g_layout = layout;
  g_root = AllocTable();
  g_root_pa = TablePa(g_root);

  // Linear map of RAM; the alias of the kernel's text is read-only.
  uint64_t text_pa = layout.kernel_pa;
  uint64_t text_end_pa = KernelVaToPa(__text_end);
  for (size_t i = 0; i < linear.count(); i++) {
    uint64_t b = linear[i].base, e = linear[i].end();
    if (e > PHYSMAP_SIZE) {
      e = PHYSMAP_SIZE;  // RAM beyond 256 GiB is not mapped
    }
    while (b < e) {
      uint64_t stop = e;
      Perm perm = Perm::kReadWrite;
      if (b < text_pa && stop > text_pa) {
        stop = text_pa;
      } else if (b >= text_pa && b < text_end_pa) {
        perm = Perm::kRead;
        if (stop > text_end_pa) {
          stop = text_end_pa;
        }
      }
      if (!MapRange(PHYSMAP_BASE + b, b, stop - b, Attrs(perm, MemType::kNormal))) {
        *why = "out of boot page tables mapping RAM";
        return false;
      }
      b = stop;
    }
  }

  // The kernel image, W^X: text RX, rodata R, data and bss RW.
  struct {
    char* start;
    char* end;
    Perm perm;
  } sections[] = {
      {__kernel_start, __text_end, Perm::kReadExec},
      {__text_end, __rodata_end, Perm::kRead},
      {__rodata_end, __kernel_end, Perm::kReadWrite},
  };
  for (auto& s : sections) {
    uint64_t va = reinterpret_cast<uint64_t>(s.start);
    uint64_t size = reinterpret_cast<uint64_t>(s.end) - va;
    if (!MapRange(va, KernelVaToPa(s.start), size, Attrs(s.perm, MemType::kNormal))) {
      *why = "out of boot page tables mapping the kernel image";
      return false;
    }
  }

  // Switch through the identity alias of arm64_switch_ttbr1 (TTBR0 still
  // holds the boot identity map), so no TTBR1 translation is live during it.
  DSB(ishst);
  auto switch_fn = reinterpret_cast<void (*)(uint64_t)>(
      KernelVaToPa(reinterpret_cast<const void*>(&arm64_switch_ttbr1)));
  switch_fn(g_root_pa);
  return true;
}

void EnablePmmTables() {
  g_use_pmm = true;
}

void DisableLowerHalf() {
  WRITE_SYSREG(tcr_el1, READ_SYSREG(tcr_el1) | (1ull << 7));  // EPD0
  ISB();
  __asm__ volatile("tlbi vmalle1" ::: "memory");
  DSB(nsh);
  ISB();
}

volatile uint8_t* MapMmio(uint64_t pa, size_t size) {
  uint64_t offset = pa & (arch::kPageSize - 1);
  uint64_t base = pa - offset;
  uint64_t len = (size + offset + arch::kPageSize - 1) & ~(arch::kPageSize - 1);
  IrqGuard guard(g_lock);
  if (len == 0 || len > kMmioLimit - g_mmio_next) {
    return nullptr;
  }
  uint64_t va = g_mmio_next;
  if (!MapRange(va, base, len, Attrs(Perm::kReadWrite, MemType::kDevice))) {
    return nullptr;
  }
  g_mmio_next += len + arch::kPageSize;  // an unmapped page between mappings
  DSB(ishst);
  ISB();
  return reinterpret_cast<volatile uint8_t*>(va + offset);
}

void* AllocStack() {
  uint64_t pages[STACK_SIZE / arch::kPageSize];
  for (size_t i = 0; i < STACK_SIZE / arch::kPageSize; i++) {
    if (!kmem::AllocPage(&pages[i])) {
      for (size_t j = 0; j < i; j++) {
        kmem::FreePage(pages[j]);
      }
      return nullptr;
    }
  }
  IrqGuard guard(g_lock);
  // Slot 0 is never used so that every stack has a guard below it.
  for (uint64_t slot = 1; slot < kStackSlots; slot++) {
    if (g_stack_bitmap[slot / 64] & (1ull << (slot % 64))) {
      continue;
    }
    uint64_t va = kStackBase + slot * 2 * STACK_SIZE;
    bool ok = true;
    for (size_t i = 0; i < STACK_SIZE / arch::kPageSize && ok; i++) {
      ok = MapRange(va + i * arch::kPageSize, pages[i], arch::kPageSize,
                    Attrs(Perm::kReadWrite, MemType::kNormal));
    }
    if (!ok) {
      UnmapPages(va, STACK_SIZE);
      break;
    }
    g_stack_bitmap[slot / 64] |= 1ull << (slot % 64);
    return reinterpret_cast<void*>(va);
  }
  for (size_t i = 0; i < STACK_SIZE / arch::kPageSize; i++) {
    kmem::FreePage(pages[i]);
  }
  return nullptr;
}

bool ReserveStackTables(size_t stacks) {
  IrqGuard guard(g_lock);
  for (uint64_t slot = 0; slot < stacks && slot < kStackSlots;
       slot += kL2Block / (2 * STACK_SIZE)) {
    uint64_t va = kStackBase + slot * 2 * STACK_SIZE;
    pte_t* l2 = NextTable(g_root, (va >> 30) & (kEntries - 1));
    if (l2 == nullptr || NextTable(l2, (va >> 21) & (kEntries - 1)) == nullptr) {
      return false;
    }
  }
  return true;
}

void FreeStack(void* base) {
  uint64_t va = reinterpret_cast<uint64_t>(base);
  uint64_t slot = (va - kStackBase) / (2 * STACK_SIZE);
  uint64_t pas[STACK_SIZE / arch::kPageSize];
  {
    IrqGuard guard(g_lock);
    for (size_t i = 0; i < STACK_SIZE / arch::kPageSize; i++) {
      pas[i] = LookupPte(va + i * arch::kPageSize) & kAddrMask;
    }
    UnmapPages(va, STACK_SIZE);
    g_stack_bitmap[slot / 64] &= ~(1ull << (slot % 64));
  }
  for (uint64_t pa : pas) {
    if (pa != 0) {
      kmem::FreePage(pa);
    }
  }
}

uint64_t LookupPte(uint64_t va) NO_THREAD_SAFETY_ANALYSIS {  // an unlocked walk (below)
  // Tables are only ever added (never freed) while the kernel runs, so an
  // unlocked walk sees either the old or the new entry, both valid.
  if ((va >> VA_BITS) != (~0ull >> VA_BITS)) {
    return 0;
  }
  pte_t e = g_root[(va >> 30) & (kEntries - 1)];
  if ((e & 3) != PTE_TABLE) {
    return (e & PTE_VALID) ? e : 0;
  }
  e = TableVa(e & kAddrMask)[(va >> 21) & (kEntries - 1)];
  if ((e & 3) != PTE_TABLE) {
    return (e & PTE_VALID) ? e : 0;
  }
  e = TableVa(e & kAddrMask)[(va >> 12) & (kEntries - 1)];
  return (e & 3) == PTE_PAGE ? e : 0;
}

bool PteWritable(uint64_t pte) {
  return (pte & (2 << 6)) == 0;
}
bool PteKernelExecutable(uint64_t pte) {
  return (pte & PTE_PXN) == 0;
}

size_t TablePages() {
  return g_table_pages;
}

}  // namespace mmu
