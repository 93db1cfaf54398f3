// What the kernel learns about the machine from the devicetree at boot
// (DESIGN.md §3): RAM, reservations, the console, the CPUs, initrd, bootargs.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "devicetree/lib/fdt.h"
#include "kernel/dev/uart.h"
#include "kernel/platform/ranges.h"

namespace platform {

enum class CpuMethod : uint8_t { kNone, kPsci, kSpinTable };

struct CpuInfo {
  uint64_t mpidr;
  CpuMethod method;
  uint64_t release_addr;  // spin-table
};

struct BootInfo {
  uint64_t dtb_pa = 0;
  uint64_t dtb_size = 0;
  uint64_t kernel_pa = 0;
  uint64_t kernel_size = 0;
  uint64_t initrd_start = 0;
  uint64_t initrd_end = 0;
  const char* model = "unknown";
  const char* bootargs = "";
  RangeSet ram;       // every /memory range
  RangeSet reserved;  // memreserve, /reserved-memory, kernel, DTB, initrd
  RangeSet nomap;     // reserved-memory with no-map: not in the linear map
  RangeSet usable;    // ram - reserved, page aligned: for the PMM
  RangeSet linear;    // ram - nomap: the linear map
  // Console.
  dev::UartKind console_kind = dev::UartKind::kNone;
  uint64_t console_pa = 0;
  const char* console_path = nullptr;
  // CPUs.
  CpuInfo cpus[8];
  uint32_t cpu_count = 0;
  uint32_t cpus_ignored = 0;  // beyond MAX_CPUS
  bool psci_smc = false;
  bool psci_present = false;
  bool psci_system = false;           // PSCI 0.2 or later: SYSTEM_OFF and SYSTEM_RESET
  uint32_t psci_cpu_on = 0xc4000003;  // PSCI 0.2+ CPU_ON (SMC64)
  // Problems found while parsing; reported once the console is up.
  const char* warnings[8] = {};
  uint32_t warning_count = 0;
};

// Parses the validated devicetree. Returns false with `*why` set if the
// machine cannot be run (no memory, say).
bool ParseDevicetree(const fdt::Fdt& dt, BootInfo* info, const char** why);

// Looks a `key=value` up in the boot arguments; copies value into `out`.
bool BootArg(const char* bootargs, const char* key, char* out, size_t size);

}  // namespace platform
