#include "kernel/arch/arm64/smp.h"

#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/gic.h"
#include "kernel/arch/arm64/mmu.h"
#include "kernel/arch/arm64/pmu.h"
#include "kernel/arch/arm64/timer.h"
#include "kernel/arch/arm64/upcalls.h"
#include "kernel/arch/arm64/user_state.h"
#include "kernel/base/log.h"
#include "kernel/base/percpu.h"

namespace smp {
namespace {

bool g_psci_smc;
bool g_psci_present;
bool g_psci_system;
uint32_t g_cpu_on_fn = 0xc4000003;

constexpr uint32_t kPsciSystemOff = 0x84000008;    // DEN 0022 §5.10
constexpr uint32_t kPsciSystemReset = 0x84000009;  // DEN 0022 §5.11

int64_t Hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3) {
  register uint64_t x0 __asm__("x0") = fn;
  register uint64_t x1 __asm__("x1") = a1;
  register uint64_t x2 __asm__("x2") = a2;
  register uint64_t x3 __asm__("x3") = a3;
  __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
  return static_cast<int64_t>(x0);
}

int64_t Smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3) {
  register uint64_t x0 __asm__("x0") = fn;
  register uint64_t x1 __asm__("x1") = a1;
  register uint64_t x2 __asm__("x2") = a2;
  register uint64_t x3 __asm__("x3") = a3;
  __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
  return static_cast<int64_t>(x0);
}

bool WaitOnline(uint32_t cpu) {
  // Bounded wait: 2 s of counter time.
  uint64_t deadline = timer::NowNs() + 2'000'000'000ull;
  while (!g_percpu[cpu].online.load(mica::kAcquire)) {
    if (timer::NowNs() > deadline) {
      return false;
    }
    arch::Yield();
  }
  return true;
}

}  // namespace

int64_t PsciCall(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3) {
  if (!g_psci_present) {
    return -1;  // PSCI NOT_SUPPORTED
  }
  return g_psci_smc ? Smc(fn, a1, a2, a3) : Hvc(fn, a1, a2, a3);
}

void PowerOff() {
  PsciCall(kPsciSystemOff, 0, 0, 0);
  arch::DisableIrqs();
  for (;;) {
    arch::Wfi();
  }
}

bool PsciSystemPower() {
  return g_psci_present && g_psci_system;
}

int64_t SystemPower(bool reset) {
  arch::DisableIrqs();
  gic::StopOtherCpus();
  return PsciCall(reset ? kPsciSystemReset : kPsciSystemOff, 0, 0, 0);
}

uint32_t StartSecondaries(const platform::BootInfo& info) {
  g_psci_present = info.psci_present;
  g_psci_smc = info.psci_smc;
  g_psci_system = info.psci_system;
  g_cpu_on_fn = info.psci_cpu_on;
  uint64_t boot_mpidr = arch::Mpidr();
  // CPU numbers: the boot CPU is 0, the others follow in devicetree order.
  uint32_t n = 1;
  for (uint32_t i = 0; i < info.cpu_count && n < MAX_CPUS; i++) {
    if (info.cpus[i].mpidr != boot_mpidr) {
      arm64_cpu_mpidr[n++] = info.cpus[i].mpidr;
    }
  }
  g_cpu_count = n;
  arm64_secondary_ttbr1 = mmu::KernelTtbr1();
  arch::CleanDcacheRange(&arm64_secondary_ttbr1, sizeof(arm64_secondary_ttbr1));
  uint64_t entry_pa = mmu::KernelVaToPa(reinterpret_cast<const void*>(&arm64_secondary_entry));

  uint32_t online = 1;
  for (uint32_t cpu = 1; cpu < n; cpu++) {
    const platform::CpuInfo* ci = nullptr;
    for (uint32_t i = 0; i < info.cpu_count; i++) {
      if (info.cpus[i].mpidr == arm64_cpu_mpidr[cpu]) {
        ci = &info.cpus[i];
      }
    }
    void* stack = mmu::AllocStack();
    if (stack == nullptr) {
      KLog("cpu%u: no memory for its stack", cpu);
      continue;
    }
    arm64_cpu_stack_top[cpu] = reinterpret_cast<uint64_t>(stack) + STACK_SIZE;
    DSB(ish);
    bool started = false;
    if (ci->method == platform::CpuMethod::kPsci) {
      int64_t r = PsciCall(g_cpu_on_fn, ci->mpidr, entry_pa, cpu);
      if (r != 0) {
        KLog("cpu%u (mpidr 0x%llx): PSCI CPU_ON failed: %lld", cpu,
             static_cast<unsigned long long>(ci->mpidr), static_cast<long long>(r));
      }
      started = r == 0;
    } else if (ci->method == platform::CpuMethod::kSpinTable) {
      // The CPU spins with its MMU off reading the release address: write
      // the entry point, clean it to memory, wake it.
      volatile uint64_t* rel = static_cast<volatile uint64_t*>(arch::PhysToVirt(ci->release_addr));
      *rel = entry_pa;
      arch::CleanDcacheRange(const_cast<uint64_t*>(rel), sizeof(uint64_t));
      DSB(sy);
      arch::Sev();
      started = true;
    } else {
      KLog("cpu%u (mpidr 0x%llx): no enable-method this kernel supports", cpu,
           static_cast<unsigned long long>(ci->mpidr));
    }
    if (started && WaitOnline(cpu)) {
      online++;
    } else if (started) {
      KLog("cpu%u (mpidr 0x%llx): did not come online", cpu,
           static_cast<unsigned long long>(ci->mpidr));
    }
  }
  return online;
}

}  // namespace smp

// A secondary CPU's first C++ code (from start.S), on its own stack, MMU on.
extern "C" [[noreturn]] void secondary_main(uint32_t cpu) {
  mmu::DisableLowerHalf();
  PerCpu& pc = ThisCpu();
  pc.cpu_num = cpu;
  pc.mpidr = arch::Mpidr();
  if (!gic::InitCpu()) {
    KLog("cpu%u: no GIC interface for mpidr 0x%llx; parking it", cpu,
         static_cast<unsigned long long>(pc.mpidr));
    for (;;) {
      arch::Wfi();
    }
  }
  timer::InitCpu();
  arch::InitCpuUserSupport();
  pmu::InitCpu();
  KLog("cpu%u online (mpidr 0x%llx, EL%llu)", cpu, static_cast<unsigned long long>(pc.mpidr),
       static_cast<unsigned long long>(arch::CurrentEl()));
  pc.online.store(true, mica::kRelease);
  sched::RunSecondary(cpu);
}
