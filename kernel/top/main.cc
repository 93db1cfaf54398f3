// The boot CPU's path from start.S to a running kernel. Order matters:
//   1. validate the DTB (reached through the boot tables' linear window)
//   2. learn the machine: memory, reservations, console, CPUs
//   3. final page tables (W^X, linear map), then the console
//   4. page allocator and heap
//   5. interrupt controller, timer, scheduler
//   6. secondary CPUs, the ready line, then in-kernel tests if asked.
#include <string.h>

#include "devicetree/lib/fdt.h"
#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/gic.h"
#include "kernel/arch/arm64/mmu.h"
#include "kernel/arch/arm64/pmu.h"
#include "kernel/arch/arm64/smp.h"
#include "kernel/arch/arm64/timer.h"
#include "kernel/arch/arm64/user_page_table.h"
#include "kernel/arch/arm64/user_state.h"
#include "kernel/base/fail_alloc.h"
#include "kernel/base/log.h"
#include "kernel/base/memory.h"
#include "kernel/base/panic.h"
#include "kernel/base/percpu.h"
#include "kernel/lib/spinlock.h"
#include "kernel/object/channel_gc.h"
#include "kernel/object/debuglog.h"
#include "kernel/object/job.h"
#include "kernel/object/process.h"
#include "kernel/object/resource.h"
#include "kernel/sched/sched.h"
#include "kernel/tests/ktest.h"
#include "kernel/top/bootfs_check.h"
#include "kernel/top/crash.h"
#include "kernel/user/launcher.h"

extern "C" char __kernel_start[], __kernel_end[];
extern "C" void (*const __init_array_start[])();
extern "C" void (*const __init_array_end[])();

PerCpu g_percpu[MAX_CPUS];
extern "C" {
PerCpu* arm64_percpu_ptr[MAX_CPUS] = {&g_percpu[0], &g_percpu[1], &g_percpu[2], &g_percpu[3],
                                      &g_percpu[4], &g_percpu[5], &g_percpu[6], &g_percpu[7]};
uint64_t arm64_cpu_mpidr[MAX_CPUS] = {~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull};
uint64_t arm64_cpu_stack_top[MAX_CPUS];
uint64_t arm64_secondary_ttbr1;
}
uint32_t g_cpu_count = 1;

namespace {

static_assert(MAX_CPUS == 8, "update arm64_percpu_ptr's initialiser");

// Emergency stacks for stack-overflow reports, laid out like every kernel
// stack (2*STACK_SIZE-aligned, lower half used) so the entry check holds.
alignas(2 * STACK_SIZE) uint8_t g_emergency_stacks[MAX_CPUS][2 * STACK_SIZE];

platform::BootInfo g_boot;
bool g_bootfs_verified = false;  // CheckBootfs, for RunUserboot
fdt::Fdt g_fdt;

constexpr uint64_t kMaxDtbSize = 2 * 1024 * 1024;  // as Linux (MAX_FDT_SIZE)

[[noreturn]] void HaltSilently() {
  for (;;) {
    arch::Wfi();
  }
}

uint32_t ReadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void PrintMemory() {
  for (size_t i = 0; i < g_boot.ram.count(); i++) {
    KLog("memory: RAM   [0x%010llx-0x%010llx] %llu MiB",
         static_cast<unsigned long long>(g_boot.ram[i].base),
         static_cast<unsigned long long>(g_boot.ram[i].end() - 1),
         static_cast<unsigned long long>(g_boot.ram[i].size >> 20));
  }
  for (size_t i = 0; i < g_boot.reserved.count(); i++) {
    KLog("memory: reserved [0x%010llx-0x%010llx]",
         static_cast<unsigned long long>(g_boot.reserved[i].base),
         static_cast<unsigned long long>(g_boot.reserved[i].end() - 1));
  }
  KLog("memory: kernel [0x%010llx-0x%010llx], dtb [0x%010llx +0x%llx], initrd [0x%llx-0x%llx]",
       static_cast<unsigned long long>(g_boot.kernel_pa),
       static_cast<unsigned long long>(g_boot.kernel_pa + g_boot.kernel_size - 1),
       static_cast<unsigned long long>(g_boot.dtb_pa),
       static_cast<unsigned long long>(g_boot.dtb_size),
       static_cast<unsigned long long>(g_boot.initrd_start),
       static_cast<unsigned long long>(g_boot.initrd_end));
}

void KmainThreadBody() {
  char filter[128];
  bool run_tests = platform::BootArg(g_boot.bootargs, "kernel.test", filter, sizeof(filter));
  if (run_tests) {
    ktest::Run(filter[0] ? filter : "all");
  }
  launcher::RunUserboot(g_boot, g_bootfs_verified);
  if (platform::BootArg(g_boot.bootargs, "kernel.crash", filter, sizeof(filter))) {
    CrashForTest(filter);
  }
  if (platform::BootArg(g_boot.bootargs, "kernel.poweroff", filter, sizeof(filter))) {
    KLog("powering off (kernel.poweroff)");
    smp::PowerOff();
  }
  // Nothing else to do until user space exists (M2): the boot thread waits
  // forever without a timer tick.
  sched::WaitQueue forever;
  for (;;) {
    (void)forever.Block(sched::kInfinite);
  }
}

}  // namespace

const platform::BootInfo& BootInfo() {
  return g_boot;
}
const fdt::Fdt& BootFdt() {
  return g_fdt;
}

extern uint64_t g_boot_entropy;

namespace {

// Seed material for user ASLR: the loader's /chosen/rng-seed or
// /chosen/kaslr-seed (QEMU and U-Boot provide them) mixed with the counter.
uint64_t BootEntropy() {
  uint64_t seed = READ_SYSREG(cntvct_el0);
  fdt::Node chosen = g_fdt.Chosen();
  fdt::Property rng = g_fdt.FindProperty(chosen, "rng-seed");
  for (uint32_t i = 0; rng.valid() && i + 8 <= rng.len; i += 8) {
    uint64_t word = 0;
    memcpy(&word, rng.data + i, 8);
    seed = (seed ^ word) * 0x9e3779b97f4a7c15ull;
  }
  uint64_t kaslr;
  if (g_fdt.GetU64(chosen, "kaslr-seed", &kaslr) == fdt::Status::kOk) {
    seed ^= kaslr;
  }
  return seed;
}

}  // namespace

extern "C" [[noreturn]] void kernel_main(uint64_t dtb_pa, uint64_t kernel_pa, uint64_t entry_el) {
  // Global constructors (objects with non-constant initialisers).
  for (auto* ctor = __init_array_start; ctor != __init_array_end; ctor++) {
    (*ctor)();
  }
  PerCpu& cpu0 = g_percpu[0];
  cpu0.cpu_num = 0;
  cpu0.mpidr = arch::Mpidr();
  arm64_cpu_mpidr[0] = cpu0.mpidr;
  for (uint32_t i = 0; i < MAX_CPUS; i++) {
    g_percpu[i].cpu_num = i;
    g_percpu[i].emergency_sp = reinterpret_cast<uint64_t>(&g_emergency_stacks[i][STACK_SIZE]);
  }

  // 1. The DTB, through the boot tables' 2 GiB window from its 1 GiB block.
  const uint8_t* dtb = static_cast<const uint8_t*>(arch::PhysToVirt(dtb_pa));
  uint64_t window = (2ull << 30) - (dtb_pa & ((1ull << 30) - 1));
  uint64_t dtb_size = kMaxDtbSize < window ? kMaxDtbSize : window;
  if (dtb_pa == 0 || (dtb_pa & 7) != 0) {
    HaltSilently();  // no devicetree, so no console to say so on
  }
  uint32_t totalsize = ReadBe32(dtb + 4);
  if (totalsize < dtb_size) {
    dtb_size = totalsize;
  }
  if (fdt::Init(dtb, dtb_size, &g_fdt) != fdt::Status::kOk) {
    HaltSilently();
  }

  // 2. The machine.
  g_boot.dtb_pa = dtb_pa;
  g_boot.dtb_size = g_fdt.total_size();
  g_boot.kernel_pa = kernel_pa;
  g_boot.kernel_size = static_cast<uint64_t>(__kernel_end - __kernel_start);
  const char* why = nullptr;
  bool machine_ok = platform::ParseDevicetree(g_fdt, &g_boot, &why);

  // 3. Final page tables and the console.
  if (machine_ok) {
    mmu::KernelLayout layout{kernel_pa, g_boot.kernel_size};
    if (!mmu::InitKernelTables(layout, g_boot.linear, &why)) {
      HaltSilently();  // still on the boot tables, which have no console
    }
  }
  if (machine_ok) {
    mmu::DisableLowerHalf();
  }
  if (g_boot.console_kind != dev::UartKind::kNone) {
    dev::Uart uart;
    uart.kind = g_boot.console_kind;
    uart.regs = mmu::MapMmio(g_boot.console_pa, 0x1000);
    LogSetConsole(uart);
  }
  KLog("Mica kernel: arm64, entered at EL%llu, running at EL%llu, loaded at 0x%llx",
       static_cast<unsigned long long>(entry_el),
       static_cast<unsigned long long>(arch::CurrentEl()),
       static_cast<unsigned long long>(kernel_pa));
  KLog("board: %s", g_boot.model);
  KLog("devicetree: 0x%llx, %llu bytes, version %u", static_cast<unsigned long long>(dtb_pa),
       static_cast<unsigned long long>(g_boot.dtb_size), g_fdt.version());
  if (g_boot.console_kind != dev::UartKind::kNone) {
    KLog("console: %s at 0x%llx (%s)", dev::UartKindName(g_boot.console_kind),
         static_cast<unsigned long long>(g_boot.console_pa), g_boot.console_path);
  }
  KLog("command line: \"%s\"", g_boot.bootargs);
  for (uint32_t i = 0; i < g_boot.warning_count; i++) {
    KLog("warning: %s", g_boot.warnings[i]);
  }
  if (!machine_ok) {
    Panic("cannot run on this machine: %s", why);
  }
  PrintMemory();

  // 4. Memory allocators.
  if (!kmem::Init(g_boot.usable, &why)) {
    Panic("memory: %s", why);
  }
  {
    char spec[64];
    if (platform::BootArg(g_boot.bootargs, "kernel.failalloc", spec, sizeof(spec)) &&
        !fail_alloc::Init(spec, &why)) {
      Panic("kernel.failalloc=%s: %s", spec, why);
    }
  }
  mmu::EnablePmmTables();
  // Tables for 1,024 kernel stacks (16 pages), so exact memory checks do
  // not see them appear at a new thread high-water mark.
  if (!mmu::ReserveStackTables(1024)) {
    Panic("memory: no room for the kernel stacks' page tables");
  }
  arch::InitUserAddressSpaces();
  arch::InitCpuUserSupport();
  pmu::InitCpu();
  KLog("user: PAN %s", arch::PanEnabled() ? "on (kernel accesses to user memory only via LDTR/STTR)"
                                          : "not implemented by this CPU");
  g_boot_entropy = BootEntropy();
  kmem::Stats ms = kmem::GetStats();
  KLog("memory: %llu MiB RAM, %llu MiB free for the kernel, %zu page-table pages",
       static_cast<unsigned long long>(g_boot.ram.TotalSize() >> 20),
       static_cast<unsigned long long>(ms.free_pages * arch::kPageSize >> 20), mmu::TablePages());

  // 5. Interrupts, timer, scheduler.
  if (!gic::Init(g_fdt, &why)) {
    Panic("interrupt controller: %s", why);
  }
  KLog("interrupts: %s", gic::Description());
  if (!timer::Init(g_fdt, &why)) {
    Panic("timer: %s", why);
  }
  KLog("timer: generic timer at %llu Hz, virtual timer INTID %u",
       static_cast<unsigned long long>(timer::Frequency()), timer::Intid());
  sched::InitBootCpu();
  sched::InitIdle(0);
  Process::StartReaper();
  DebuglogDispatcher::StartConsoleNotifier();
  ChannelGc::Start();
  ResourceDispatcher::InitRoot();  // hardware access, for the first process
  JobDispatcher::CreateRoot();
  cpu0.online.store(true, mica::kRelease);
  arch::EnableIrqs();
  KLog("cpu0 online (mpidr 0x%llx, boot CPU)", static_cast<unsigned long long>(cpu0.mpidr));

  g_bootfs_verified = CheckBootfs(g_boot);

  // 6. Every other CPU.
  if (g_boot.cpus_ignored != 0) {
    KLog("warning: %u CPUs beyond the supported %d are left off", g_boot.cpus_ignored, MAX_CPUS);
  }
  uint32_t online = smp::StartSecondaries(g_boot);
  // Under QEMU -icount shift=4 with a 62.5 MHz counter, one tick is one
  // instruction: this is the boot cost in instructions (docs/boot.md).
  KLog("boot: ready after %llu counter ticks", static_cast<unsigned long long>(timer::NowTicks()));
  KLog("mica: kernel ready: cpus=%u ram=%lluMiB", online,
       static_cast<unsigned long long>(g_boot.ram.TotalSize() >> 20));
  KmainThreadBody();
  Panic("kmain returned");
}

uint32_t OnlineCpuCount() {
  uint32_t n = 0;
  for (uint32_t i = 0; i < MAX_CPUS; i++) {
    if (g_percpu[i].online.load(mica::kAcquire)) {
      n++;
    }
  }
  return n;
}
