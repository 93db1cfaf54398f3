// In-kernel tests of the memory map and allocators on the real machine.
#include <string.h>

#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/mmu.h"
#include "kernel/base/memory.h"
#include "kernel/tests/ktest.h"

extern "C" char __kernel_start[], __text_end[], __rodata_end[], __kernel_end[];

namespace {

uint64_t Va(const void* p) {
  return reinterpret_cast<uint64_t>(p);
}

int g_data_word = 1;
const int g_rodata_word = 2;

}  // namespace

KTEST(mmu_text_is_rx) {
  uint64_t pte = mmu::LookupPte(Va(__kernel_start));
  KEXPECT(pte != 0);
  KEXPECT(!mmu::PteWritable(pte));
  KEXPECT(mmu::PteKernelExecutable(pte));
}

KTEST(mmu_rodata_is_read_only_nx) {
  uint64_t pte = mmu::LookupPte(Va(&g_rodata_word));
  KEXPECT(pte != 0);
  KEXPECT(!mmu::PteWritable(pte));
  KEXPECT(!mmu::PteKernelExecutable(pte));
}

KTEST(mmu_data_bss_is_rw_nx) {
  uint64_t pte = mmu::LookupPte(Va(&g_data_word));
  KEXPECT(pte != 0);
  KEXPECT(mmu::PteWritable(pte));
  KEXPECT(!mmu::PteKernelExecutable(pte));
}

// No kernel mapping is both writable and executable: walk the image and a
// sample of the linear map.
KTEST(mmu_no_writable_executable_page) {
  for (uint64_t va = Va(__kernel_start); va < Va(__kernel_end); va += arch::kPageSize) {
    uint64_t pte = mmu::LookupPte(va);
    KEXPECT(pte != 0);
    KEXPECT(!(mmu::PteWritable(pte) && mmu::PteKernelExecutable(pte)));
  }
  uint64_t pa;
  KEXPECT(kmem::AllocPage(&pa));
  uint64_t pte = mmu::LookupPte(Va(arch::PhysToVirt(pa)));
  kmem::FreePage(pa);
  KEXPECT(pte != 0);
  KEXPECT(mmu::PteWritable(pte));
  KEXPECT(!mmu::PteKernelExecutable(pte));
}

// Writes to text fault (and are recovered by the probe's fixup).
KTEST(mmu_write_to_text_faults) {
  KEXPECT_EQ(arm64_probe_write8(__kernel_start, 0), static_cast<uint64_t>(-1));
  uint8_t byte = 0;
  KEXPECT_EQ(arm64_probe_read8(__kernel_start, &byte), 0u);
  KEXPECT_EQ(byte, 0x00u + static_cast<uint8_t>(__kernel_start[0]));
}

KTEST(mmu_unmapped_read_faults) {
  uint8_t byte;
  KEXPECT_EQ(arm64_probe_read8(reinterpret_cast<void*>(KVA_BASE), &byte),
             static_cast<uint64_t>(-1));
  // Low addresses: TTBR0 walks are off until user space exists.
  KEXPECT_EQ(arm64_probe_read8(reinterpret_cast<void*>(0x1000), &byte), static_cast<uint64_t>(-1));
  KEXPECT_EQ(arm64_probe_read8(reinterpret_cast<void*>(0), &byte), static_cast<uint64_t>(-1));
}

KTEST(mmu_stack_guard_page) {
  void* stack = mmu::AllocStack();
  KEXPECT(stack != nullptr);
  uint8_t* base = static_cast<uint8_t*>(stack);
  uint8_t byte;
  KEXPECT_EQ(arm64_probe_write8(base, 1), 0u);
  KEXPECT_EQ(arm64_probe_write8(base + STACK_SIZE - 1, 1), 0u);
  KEXPECT_EQ(arm64_probe_read8(base - 1, &byte), static_cast<uint64_t>(-1));
  KEXPECT_EQ(arm64_probe_read8(base - STACK_SIZE, &byte), static_cast<uint64_t>(-1));
  // The overflow check on exception entry relies on this alignment.
  KEXPECT_EQ(Va(base) & (2 * STACK_SIZE - 1), 0u);
  mmu::FreeStack(stack);
  KEXPECT_EQ(arm64_probe_read8(base, &byte), static_cast<uint64_t>(-1));
}

KTEST(mmu_mmio_mapping_is_device_nx) {
  volatile uint8_t* p = mmu::MapMmio(0x1000, 16);  // any page: only the PTE is checked
  KEXPECT(p != nullptr);
  uint64_t pte = mmu::LookupPte(reinterpret_cast<uint64_t>(p));
  KEXPECT(pte != 0);
  KEXPECT(!mmu::PteKernelExecutable(pte));
  KEXPECT_EQ((pte >> 2) & 7, static_cast<uint64_t>(MAIR_DEVICE_nGnRE));
}

KTEST(pmm_alloc_free_returns_pages) {
  kmem::Stats before = kmem::GetStats();
  uint64_t pages[64];
  for (auto& pa : pages) {
    KEXPECT(kmem::AllocPage(&pa));
    KEXPECT_EQ(pa & 4095, 0u);
    // The page is usable through the linear map.
    *static_cast<volatile uint64_t*>(arch::PhysToVirt(pa)) = pa;
  }
  for (auto& pa : pages) {
    KEXPECT_EQ(*static_cast<volatile uint64_t*>(arch::PhysToVirt(pa)), pa);
    kmem::FreePage(pa);
  }
  kmem::Stats after = kmem::GetStats();
  KEXPECT_EQ(after.free_pages + after.heap_pages, before.free_pages + before.heap_pages);
}

KTEST(pmm_contiguous_aligned) {
  uint64_t pa;
  KEXPECT(kmem::AllocContiguous(16, 64 * 1024, &pa));
  KEXPECT_EQ(pa & (64 * 1024 - 1), 0u);
  kmem::FreeContiguous(pa, 16);
}

KTEST(heap_alloc_free) {
  kmem::Stats before = kmem::GetStats();
  void* ptrs[100];
  for (int i = 0; i < 100; i++) {
    size_t size = 8 + i * 97;
    ptrs[i] = kmem::Malloc(size);
    KEXPECT(ptrs[i] != nullptr);
    KEXPECT_EQ(reinterpret_cast<uint64_t>(ptrs[i]) & 15, 0u);
    static_cast<uint8_t*>(ptrs[i])[size - 1] = static_cast<uint8_t>(i);
  }
  for (int i = 0; i < 100; i++) {
    kmem::Free(ptrs[i]);
  }
  KEXPECT_EQ(kmem::GetStats().heap_bytes_in_use, before.heap_bytes_in_use);
}

// The fast block caches: blocks are distinct and usable, a cache holds at
// most kFastBlockCacheMax (the rest go back to the heap), and cached blocks
// count as free, so the heap figures come back exactly.
KTEST(fast_blocks_cache_and_account) {
  constexpr size_t kN = kmem::kFastBlockCacheMax * 2 + 5;
  void* blocks[kN];
  uint64_t state = arch::SaveDisableIrqs();  // stay on one CPU's cache
  kmem::Stats before = kmem::GetStats();
  for (size_t i = 0; i < kN; i++) {
    blocks[i] = kmem::AllocFastBlock();
    KEXPECT(blocks[i] != nullptr);
    KEXPECT_EQ(reinterpret_cast<uint64_t>(blocks[i]) & 15, 0u);
    memset(blocks[i], static_cast<int>(i), kmem::kFastBlockSize);
  }
  for (size_t i = 0; i < kN; i++) {
    KEXPECT_EQ(static_cast<uint8_t*>(blocks[i])[kmem::kFastBlockSize - 1], static_cast<uint8_t>(i));
    for (size_t j = 0; j < i; j++) {
      KEXPECT(blocks[i] != blocks[j]);
    }
  }
  for (size_t i = 0; i < kN; i++) {
    kmem::FreeFastBlock(blocks[i]);
  }
  kmem::Stats after = kmem::GetStats();
  KEXPECT_EQ(after.heap_bytes_in_use, before.heap_bytes_in_use);
  // Blocks handed out from the cache count as in use.
  for (size_t i = 0; i < kmem::kFastBlockCacheMax; i++) {
    blocks[i] = kmem::AllocFastBlock();
  }
  KEXPECT_EQ(kmem::GetStats().heap_bytes_in_use,
             after.heap_bytes_in_use + kmem::kFastBlockCacheMax * kmem::kFastBlockSize);
  for (size_t i = 0; i < kmem::kFastBlockCacheMax; i++) {
    kmem::FreeFastBlock(blocks[i]);
  }
  KEXPECT_EQ(kmem::GetStats().heap_bytes_in_use, after.heap_bytes_in_use);
  arch::RestoreIrqs(state);
}

// Memory accounts (docs/kernel.md "Job memory limits"): what a thread
// allocates under kmem::ChargeTo is charged to the account, heap (with its
// 16-byte header) and pages alike, refused past the limit, uncharged when
// freed wherever that happens; a closed account lives until its last
// charge goes, and then its memory comes back too.
KTEST(kmem_accounts_charge_and_refuse) {
  kmem::Stats before = kmem::GetStats();
  kmem::Account* a = kmem::NewAccount(nullptr);
  KEXPECT(a != nullptr);
  if (a == nullptr) {
    return;
  }
  a->SetLimit(3 * arch::kPageSize + 256);
  void* p = nullptr;
  void* p2 = nullptr;
  uint64_t pa = 0, pb = 0, pc = 0;
  {
    kmem::ChargeTo charge(a);
    KEXPECT(kmem::CurrentAccount() == a);
    p = kmem::Malloc(100);
    KEXPECT(p != nullptr);
    KEXPECT_EQ(a->used(), 116u);
    KEXPECT(kmem::AllocPage(&pa));
    KEXPECT(kmem::AllocContiguous(2, arch::kPageSize, &pb));
    KEXPECT_EQ(a->used(), 116u + 3 * arch::kPageSize);
    KEXPECT(!kmem::AllocPage(&pc));         // past the limit
    KEXPECT(kmem::Malloc(200) == nullptr);  // 216 more: past it too
    p2 = kmem::Malloc(100);                 // 116 still fit
    KEXPECT(p2 != nullptr);
  }
  KEXPECT(kmem::CurrentAccount() != a);
  KEXPECT_EQ(a->failures(), 2u);
  KEXPECT_EQ(a->used(), 2 * 116u + 3 * arch::kPageSize);
  KEXPECT(a->peak() <= a->limit());
  // Freed outside the scope: uncharged from `a` all the same.
  kmem::Free(p);
  kmem::FreePage(pa);
  kmem::FreeContiguous(pb, 2);
  KEXPECT_EQ(a->used(), 116u);
  // The owner goes with a charge left: the account lives until that is
  // freed, then goes (its memory back: the heap figures are exact).
  kmem::CloseAccount(a);
  KEXPECT_EQ(a->used(), 116u);
  KEXPECT(!a->open());
  kmem::Free(p2);  // frees `a` as well
  KEXPECT_EQ(kmem::GetStats().heap_bytes_in_use, before.heap_bytes_in_use);
  kmem::Stats after = kmem::GetStats();
  KEXPECT_EQ(after.free_pages + after.heap_pages, before.free_pages + before.heap_pages);
}
