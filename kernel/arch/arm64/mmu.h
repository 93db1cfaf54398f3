// The kernel's address space (TTBR1): the linear map of RAM, the kernel image
// mapped W^X, and the KVA region for stacks (with guard pages) and MMIO.
// Layout in docs/boot.md. Page tables before the PMM exists come from a
// static pool in BSS; afterwards from the PMM.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/platform/ranges.h"

namespace mmu {

enum class Perm { kRead, kReadWrite, kReadExec };
enum class MemType { kNormal, kDevice };

struct KernelLayout {
  uint64_t kernel_pa;    // physical base of the image
  uint64_t kernel_size;  // image size in memory (to __kernel_end)
};

// Builds the kernel's final page tables (linear map of `linear`, the image
// with per-section permissions, the KVA region) and switches TTBR1 to them.
// Returns false (with `*why` set) if the static table pool ran out.
bool InitKernelTables(const KernelLayout& layout, const platform::RangeSet& linear,
                      const char** why);

// Turns off translation through TTBR0 on the calling CPU (TCR_EL1.EPD0):
// once a CPU runs at its kernel address it no longer needs the boot identity
// map, and until user space exists every low address must fault.
void DisableLowerHalf();

// Page table pages come from the PMM from now on.
void EnablePmmTables();

// Physical address of a kernel image virtual address.
uint64_t KernelVaToPa(const void* va);
// TTBR1 value of the kernel tables (for secondary CPUs).
uint64_t KernelTtbr1();

// Maps `size` bytes of device MMIO at physical `pa` (any alignment) into the
// KVA region as Device-nGnRE, execute-never. Returns nullptr on failure.
volatile uint8_t* MapMmio(uint64_t pa, size_t size);

// Kernel stacks: STACK_SIZE bytes at a 2*STACK_SIZE-aligned base with an
// unmapped guard region below. Returns the base (lowest address) or nullptr.
void* AllocStack();
void FreeStack(void* base);
// Makes the page tables for the first `stacks` stack slots now (boot, after
// EnablePmmTables). Kernel page tables are never freed, so without this the
// tables under the stacks grow with the most threads ever alive at once,
// and a new high-water mark (64 more stacks) looks like a leak of a page to
// exact memory checks. Returns false when out of memory.
bool ReserveStackTables(size_t stacks);

// The leaf descriptor mapping `va`, or 0 if unmapped (for tests and
// diagnostics).
uint64_t LookupPte(uint64_t va);
bool PteWritable(uint64_t pte);
bool PteKernelExecutable(uint64_t pte);

// Pages of page tables in use.
size_t TablePages();

}  // namespace mmu
