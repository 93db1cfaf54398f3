#include "kernel/arch/arm64/gic.h"

#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/mmu.h"
#include "kernel/base/log.h"
#include "kernel/base/panic.h"
#include "kernel/base/percpu.h"
#include "kernel/lib/atomic.h"
#include "kernel/lib/printf.h"

namespace gic {
namespace {

// Distributor registers (GIC architecture spec IHI 0069, §12.9; GICv2 IHI
// 0048B §4.3).
constexpr uint32_t GICD_CTLR = 0x000;
constexpr uint32_t GICD_TYPER = 0x004;
constexpr uint32_t GICD_IGROUPR = 0x080;
constexpr uint32_t GICD_ISENABLER = 0x100;
constexpr uint32_t GICD_ICENABLER = 0x180;
constexpr uint32_t GICD_ICPENDR = 0x280;
constexpr uint32_t GICD_ICFGR = 0xc00;
constexpr uint32_t GICD_IPRIORITYR = 0x400;
constexpr uint32_t GICD_ITARGETSR = 0x800;
constexpr uint32_t GICD_SGIR = 0xf00;
constexpr uint32_t GICD_IROUTER = 0x6000;
constexpr uint32_t GICD_CTLR_RWP = 1u << 31;

// GICv2 CPU interface.
constexpr uint32_t GICC_CTLR = 0x00;
constexpr uint32_t GICC_PMR = 0x04;
constexpr uint32_t GICC_BPR = 0x08;
constexpr uint32_t GICC_IAR = 0x0c;
constexpr uint32_t GICC_EOIR = 0x10;

// GICv3 redistributor: RD_base frame then SGI_base frame (64 KiB each).
constexpr uint32_t GICR_TYPER = 0x0008;
constexpr uint32_t GICR_WAKER = 0x0014;
constexpr uint32_t GICR_SGI = 0x10000;
constexpr uint32_t GICR_IGROUPR0 = GICR_SGI + 0x080;
constexpr uint32_t GICR_ISENABLER0 = GICR_SGI + 0x100;
constexpr uint32_t GICR_ICENABLER0 = GICR_SGI + 0x180;
constexpr uint32_t GICR_IPRIORITYR = GICR_SGI + 0x400;

constexpr uint8_t kDefaultPriority = 0xa0;

struct Slot {
  mica::Atomic<Handler> handler;
  void* arg;
};

uint32_t g_version;
volatile uint8_t* g_dist;
volatile uint8_t* g_cpuif;             // v2
volatile uint8_t* g_redist_region[4];  // v3
uint64_t g_redist_size[4];
uint32_t g_redist_regions;
uint64_t g_redist_stride;
volatile uint8_t* g_redist[MAX_CPUS];  // v3: this CPU's redistributor
uint8_t g_v2_target[MAX_CPUS];         // v2: CPU interface bit
uint32_t g_num_irqs;
Slot g_slots[kMaxIntid];
uint64_t g_irq_count[MAX_CPUS];
char g_desc[96];

uint32_t R32(volatile uint8_t* b, uint32_t off) {
  return *reinterpret_cast<volatile uint32_t*>(b + off);
}
void W32(volatile uint8_t* b, uint32_t off, uint32_t v) {
  *reinterpret_cast<volatile uint32_t*>(b + off) = v;
}
uint64_t R64(volatile uint8_t* b, uint32_t off) {
  return *reinterpret_cast<volatile uint64_t*>(b + off);
}
void W64(volatile uint8_t* b, uint32_t off, uint64_t v) {
  *reinterpret_cast<volatile uint64_t*>(b + off) = v;
}
void W8(volatile uint8_t* b, uint32_t off, uint8_t v) {
  b[off] = v;
}

void WaitRwp(volatile uint8_t* base, uint32_t ctlr) {
  for (int i = 0; i < 1000000 && (R32(base, ctlr) & GICD_CTLR_RWP); i++) {
  }
}

bool MapReg(const fdt::Fdt& dt, fdt::Node node, uint32_t index, volatile uint8_t** out,
            uint64_t* size_out) {
  uint64_t pa, size;
  if (dt.RegTranslated(node, index, &pa, &size) != fdt::Status::kOk || size == 0) {
    return false;
  }
  *out = mmu::MapMmio(pa, size);
  if (size_out) {
    *size_out = size;
  }
  return *out != nullptr;
}

// GICv3 system registers (by encoding, IHI 0069 §12.2).
#define ICC_PMR_EL1 S3_0_C4_C6_0
#define ICC_IAR1_EL1 S3_0_C12_C12_0
#define ICC_EOIR1_EL1 S3_0_C12_C12_1
#define ICC_BPR1_EL1 S3_0_C12_C12_3
#define ICC_CTLR_EL1 S3_0_C12_C12_4
#define ICC_SRE_EL1 S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_SGI1R_EL1 S3_0_C12_C11_5

bool InitCpuV3() {
  uint32_t cpu = CurrentCpu();
  uint64_t mpidr = arch::Mpidr();
  uint32_t aff = static_cast<uint32_t>(((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff));
  // Find this CPU's redistributor by GICR_TYPER.Affinity_Value.
  volatile uint8_t* rd = nullptr;
  for (uint32_t r = 0; r < g_redist_regions && rd == nullptr; r++) {
    for (uint64_t off = 0; off + 0x20000 <= g_redist_size[r];) {
      volatile uint8_t* base = g_redist_region[r] + off;
      uint64_t typer = R64(base, GICR_TYPER);
      if (static_cast<uint32_t>(typer >> 32) == aff) {
        rd = base;
        break;
      }
      if (typer & (1 << 4)) {  // Last
        break;
      }
      // VLPIS (bit 1) redistributors have four 64 KiB frames.
      off += g_redist_stride != 0 ? g_redist_stride : ((typer & 2) ? 0x40000 : 0x20000);
    }
  }
  if (rd == nullptr) {
    return false;
  }
  g_redist[cpu] = rd;
  // Wake the redistributor (GICR_WAKER.ProcessorSleep = 0, wait for
  // ChildrenAsleep = 0).
  W32(rd, GICR_WAKER, R32(rd, GICR_WAKER) & ~2u);
  for (int i = 0; i < 1000000 && (R32(rd, GICR_WAKER) & 4); i++) {
  }
  W32(rd, GICR_ICENABLER0, 0xffff0000);  // PPIs off until registered
  W32(rd, GICR_IGROUPR0, 0xffffffff);    // SGIs and PPIs: Group 1
  for (uint32_t i = 0; i < 32; i++) {
    W8(rd, GICR_IPRIORITYR + i, kDefaultPriority);
  }
  W32(rd, GICR_ISENABLER0, 0x0000ffff);  // SGIs (the kernel's IPIs) on
  WRITE_SYSREG(ICC_SRE_EL1, READ_SYSREG(ICC_SRE_EL1) | 1);
  ISB();
  WRITE_SYSREG(ICC_PMR_EL1, 0xff);
  WRITE_SYSREG(ICC_BPR1_EL1, 0);
  WRITE_SYSREG(ICC_CTLR_EL1, 0);  // EOImode 0: EOIR also deactivates
  WRITE_SYSREG(ICC_IGRPEN1_EL1, 1);
  ISB();
  return true;
}

bool InitCpuV2() {
  uint32_t cpu = CurrentCpu();
  // GICD_ITARGETSR0..7 read back the accessing CPU's own interface bit.
  g_v2_target[cpu] = static_cast<uint8_t>(R32(g_dist, GICD_ITARGETSR) & 0xff);
  W32(g_dist, GICD_ICENABLER, 0xffff0000);  // banked PPIs off until registered
  for (uint32_t i = 0; i < 32; i++) {
    W8(g_dist, GICD_IPRIORITYR + i, kDefaultPriority);
  }
  W32(g_dist, GICD_ISENABLER, 0x0000ffff);  // SGIs on
  W32(g_cpuif, GICC_PMR, 0xff);
  W32(g_cpuif, GICC_BPR, 0);
  W32(g_cpuif, GICC_CTLR, 0x3);  // EnableGrp0 | EnableGrp1: both signal IRQ
  return true;
}

void InitDistributor() {
  uint32_t typer = R32(g_dist, GICD_TYPER);
  g_num_irqs = ((typer & 0x1f) + 1) * 32;
  if (g_num_irqs > kMaxIntid) {
    g_num_irqs = kMaxIntid;
  }
  W32(g_dist, GICD_CTLR, 0);
  WaitRwp(g_dist, GICD_CTLR);
  for (uint32_t i = 32; i < g_num_irqs; i += 32) {
    W32(g_dist, GICD_ICENABLER + i / 8, 0xffffffff);
    W32(g_dist, GICD_ICPENDR + i / 8, 0xffffffff);
    W32(g_dist, GICD_IGROUPR + i / 8, g_version == 3 ? 0xffffffff : 0);
  }
  for (uint32_t i = 32; i < g_num_irqs; i++) {
    W8(g_dist, GICD_IPRIORITYR + i, kDefaultPriority);
    if (g_version == 2) {
      W8(g_dist, GICD_ITARGETSR + i, 1);  // retargeted when enabled
    }
  }
  if (g_version == 3) {
    // ARE (bit 4 with one security state; ARE_NS otherwise), EnableGrp1
    // (bit 1: Grp1 / Grp1NS), EnableGrp0.
    W32(g_dist, GICD_CTLR, (1 << 4) | (1 << 1) | 1);
  } else {
    W32(g_dist, GICD_CTLR, 0x3);
  }
  WaitRwp(g_dist, GICD_CTLR);
}

}  // namespace

bool Init(const fdt::Fdt& dt, const char** why) {
  fdt::Node node;
  const char* compat = nullptr;
  static const char* const kV2[] = {"arm,gic-400", "arm,cortex-a15-gic", "arm,cortex-a9-gic"};
  for (const char* c : kV2) {
    node = dt.FindCompatible(fdt::Node{}, c);
    if (node && dt.IsEnabled(node)) {
      g_version = 2;
      compat = c;
      break;
    }
  }
  if (g_version == 0) {
    node = dt.FindCompatible(fdt::Node{}, "arm,gic-v3");
    if (node && dt.IsEnabled(node)) {
      g_version = 3;
      compat = "arm,gic-v3";
    }
  }
  if (g_version == 0) {
    *why = "no supported interrupt controller (arm,gic-400, arm,cortex-a15-gic, arm,gic-v3)";
    return false;
  }
  if (!MapReg(dt, node, 0, &g_dist, nullptr)) {
    *why = "cannot map the GIC distributor";
    return false;
  }
  if (g_version == 2) {
    if (!MapReg(dt, node, 1, &g_cpuif, nullptr)) {
      *why = "cannot map the GICv2 CPU interface";
      return false;
    }
  } else {
    uint32_t regions = 1;
    dt.GetU32(node, "#redistributor-regions", &regions);
    if (regions == 0 || regions > 4) {
      regions = 1;
    }
    for (uint32_t r = 0; r < regions; r++) {
      if (!MapReg(dt, node, 1 + r, &g_redist_region[r], &g_redist_size[r])) {
        *why = "cannot map the GICv3 redistributors";
        return false;
      }
      g_redist_regions++;
    }
    uint64_t stride = 0;
    if (dt.GetU64(node, "redistributor-stride", &stride) == fdt::Status::kOk) {
      g_redist_stride = stride;
    }
  }
  InitDistributor();
  mica::SNPrintf(g_desc, sizeof(g_desc), "GICv%u (%s), %u interrupt lines", g_version, compat,
                 g_num_irqs);
  if (!InitCpu()) {
    *why = "cannot initialise the boot CPU's GIC interface (no redistributor for its MPIDR?)";
    return false;
  }
  SetPanicStopOtherCpus(&StopOtherCpus);
  return true;
}

bool InitCpu() {
  return g_version == 3 ? InitCpuV3() : InitCpuV2();
}

uint32_t Version() {
  return g_version;
}
const char* Description() {
  return g_desc;
}

bool SpecifierToIntid(const fdt::Interrupt& spec, uint32_t* intid) {
  if (spec.num_cells < 2) {
    return false;
  }
  uint32_t n = spec.cells[1];
  if (spec.cells[0] == 0 && n < 988) {
    *intid = 32 + n;
  } else if (spec.cells[0] == 1 && n < 16) {
    *intid = 16 + n;
  } else {
    return false;
  }
  return true;
}

void EnableOnThisCpu(uint32_t intid) {
  if (intid < 32) {
    if (g_version == 3) {
      volatile uint8_t* rd = g_redist[CurrentCpu()];
      if (rd) {
        W32(rd, GICR_ISENABLER0, 1u << intid);
      }
    } else {
      W32(g_dist, GICD_ISENABLER, 1u << intid);
    }
    return;
  }
  if (g_version == 3) {
    uint64_t mpidr = arch::Mpidr();
    W64(g_dist, GICD_IROUTER + intid * 8, mpidr & 0xff00ffffffull);
  } else {
    W8(g_dist, GICD_ITARGETSR + intid, g_v2_target[CurrentCpu()]);
  }
  W32(g_dist, GICD_ISENABLER + (intid / 32) * 4, 1u << (intid % 32));
}

bool Register(uint32_t intid, Handler handler, void* arg) {
  if (intid >= kMaxIntid || (intid >= 32 && intid >= g_num_irqs)) {
    return false;
  }
  g_slots[intid].arg = arg;
  g_slots[intid].handler.store(handler, mica::kRelease);
  EnableOnThisCpu(intid);
  return true;
}

bool ClaimSpi(uint32_t intid, Handler handler, void* arg) {
  if (intid < 32 || intid >= g_num_irqs || intid >= kMaxIntid) {
    return false;
  }
  Handler expected = nullptr;
  if (!g_slots[intid].handler.compare_exchange_strong(&expected, handler, mica::kAcqRel,
                                                      mica::kAcquire) &&
      expected != handler) {
    return false;  // the kernel's own line
  }
  g_slots[intid].arg = arg;
  return true;
}

void ConfigureSpi(uint32_t intid, bool edge) {
  uint32_t off = GICD_ICFGR + (intid / 16) * 4;
  uint32_t bit = 2u << ((intid % 16) * 2);
  uint32_t v = R32(g_dist, off);
  W32(g_dist, off, edge ? (v | bit) : (v & ~bit));
}

void MaskSpi(uint32_t intid) {
  W32(g_dist, GICD_ICENABLER + (intid / 32) * 4, 1u << (intid % 32));
  if (g_version == 3) {
    WaitRwp(g_dist, GICD_CTLR);
  }
}

void UnmaskSpi(uint32_t intid) {
  EnableOnThisCpu(intid);
}

void ClearPendingSpi(uint32_t intid) {
  W32(g_dist, GICD_ICPENDR + (intid / 32) * 4, 1u << (intid % 32));
}

void SendIpi(uint32_t sgi, uint32_t cpu) {
  if (cpu >= MAX_CPUS) {
    return;
  }
  DSB(ishst);  // make prior writes visible before the target runs
  if (g_version == 3) {
    uint64_t mpidr = arm64_cpu_mpidr[cpu];
    uint64_t aff1 = (mpidr >> 8) & 0xff, aff2 = (mpidr >> 16) & 0xff, aff3 = (mpidr >> 32) & 0xff;
    uint64_t target = 1ull << (mpidr & 0xf);
    uint64_t v = (aff3 << 48) | (aff2 << 32) | (uint64_t{sgi} << 24) | (aff1 << 16) | target;
    WRITE_SYSREG(ICC_SGI1R_EL1, v);
    ISB();
  } else {
    W32(g_dist, GICD_SGIR, (uint32_t{g_v2_target[cpu]} << 16) | sgi);
  }
}

void SendIpiAllButSelf(uint32_t sgi) {
  uint32_t me = CurrentCpu();
  for (uint32_t c = 0; c < g_cpu_count && c < MAX_CPUS; c++) {
    if (c != me && g_percpu[c].online.load(mica::kAcquire)) {
      SendIpi(sgi, c);
    }
  }
}

void StopOtherCpus() {
  if (g_version == 0) {
    return;
  }
  SendIpiAllButSelf(kIpiStop);
  // Give them a moment to park (bounded).
  for (int i = 0; i < 1000000; i++) {
    bool all = true;
    for (uint32_t c = 0; c < g_cpu_count && c < MAX_CPUS; c++) {
      if (c != CurrentCpu() && g_percpu[c].online.load(mica::kAcquire) &&
          !g_percpu[c].stopped.load(mica::kAcquire)) {
        all = false;
      }
    }
    if (all) {
      break;
    }
  }
}

void HandleIrq() {
  uint32_t cpu = CurrentCpu();
  for (int n = 0; n < 16; n++) {
    uint32_t iar =
        g_version == 3 ? static_cast<uint32_t>(READ_SYSREG(ICC_IAR1_EL1)) : R32(g_cpuif, GICC_IAR);
    uint32_t intid = iar & 0xffffff;
    if (g_version == 2) {
      intid = iar & 0x3ff;
    }
    if (intid >= 1020) {
      return;  // spurious: nothing (more) pending
    }
    g_irq_count[cpu]++;
    if (intid == kIpiStop) {
      StopThisCpu();
    }
    Handler h = g_slots[intid].handler.load(mica::kAcquire);
    if (h != nullptr) {
      h(intid, g_slots[intid].arg);
    }
    if (g_version == 3) {
      WRITE_SYSREG(ICC_EOIR1_EL1, iar);
    } else {
      W32(g_cpuif, GICC_EOIR, iar);
    }
  }
}

uint64_t IrqCount(uint32_t cpu) {
  return cpu < MAX_CPUS ? g_irq_count[cpu] : 0;
}

}  // namespace gic
