#include "kernel/platform/platform.h"

#include <string.h>

namespace platform {
namespace {

void Warn(BootInfo* info, const char* what) {
  if (info->warning_count < sizeof(info->warnings) / sizeof(info->warnings[0])) {
    info->warnings[info->warning_count++] = what;
  }
}

void ParseMemory(const fdt::Fdt& dt, BootInfo* info) {
  dt.ForEachNode([&](fdt::Node node, int depth) {
    const char* type;
    if (depth != 1 || dt.GetString(node, "device_type", &type) != fdt::Status::kOk ||
        strcmp(type, "memory") != 0 || !dt.IsEnabled(node)) {
      return true;
    }
    uint32_t count = 0;
    if (dt.RegCount(node, &count) != fdt::Status::kOk) {
      Warn(info, "a memory node has a malformed reg; ignored");
      return true;
    }
    for (uint32_t i = 0; i < count; i++) {
      uint64_t base, size;
      if (dt.RegTranslated(node, i, &base, &size) == fdt::Status::kOk && size != 0) {
        if (!info->ram.Add(base, size)) {
          Warn(info, "too many memory ranges; some ignored");
        }
      }
    }
    return true;
  });
}

void ParseReserved(const fdt::Fdt& dt, BootInfo* info) {
  for (uint32_t i = 0; i < dt.MemReserveCount(); i++) {
    fdt::MemReserve r;
    if (dt.GetMemReserve(i, &r) == fdt::Status::kOk) {
      info->reserved.Add(r.address, r.size);
    }
  }
  fdt::Node rm = dt.FindNode("/reserved-memory");
  if (!rm) {
    return;
  }
  for (fdt::Node child = dt.FirstChild(rm); child; child = dt.NextSibling(child)) {
    if (!dt.IsEnabled(child)) {
      continue;
    }
    uint32_t count = 0;
    if (dt.RegCount(child, &count) != fdt::Status::kOk) {
      continue;  // dynamically placed (size/alloc-ranges): nothing fixed to avoid
    }
    bool nomap = dt.FindProperty(child, "no-map").valid();
    for (uint32_t i = 0; i < count; i++) {
      uint64_t base, size;
      if (dt.RegTranslated(child, i, &base, &size) == fdt::Status::kOk) {
        info->reserved.Add(base, size);
        if (nomap) {
          info->nomap.Add(base, size);
        }
      }
    }
  }
}

void ParseConsole(const fdt::Fdt& dt, BootInfo* info) {
  fdt::Node node = dt.StdoutNode();
  if (!node) {
    Warn(info, "no usable /chosen/stdout-path: no console");
    return;
  }
  fdt::Property compat = dt.FindProperty(node, "compatible");
  for (const char* c : fdt::StringList(compat)) {
    dev::UartKind kind = dev::UartKindForCompatible(c);
    if (kind != dev::UartKind::kNone) {
      uint64_t pa, size;
      if (dt.RegTranslated(node, 0, &pa, &size) != fdt::Status::kOk) {
        Warn(info, "the console's reg cannot be translated: no console");
        return;
      }
      info->console_kind = kind;
      info->console_pa = pa;
      info->console_path = dt.Name(node);
      return;
    }
  }
  Warn(info, "the stdout-path device is not a supported UART (arm,pl011, brcm,bcm2835-aux-uart)");
}

void ParseCpus(const fdt::Fdt& dt, BootInfo* info) {
  fdt::Node psci = dt.FindCompatible(fdt::Node{}, "arm,psci-1.0");
  if (!psci)
    psci = dt.FindCompatible(fdt::Node{}, "arm,psci-0.2");
  if (!psci)
    psci = dt.FindCompatible(fdt::Node{}, "arm,psci");
  if (psci && dt.IsEnabled(psci)) {
    const char* method;
    // The PSCI binding (Linux Documentation/devicetree/bindings/arm/psci.yaml):
    // `method` is "hvc" or "smc"; another value names no conduit we know.
    if (dt.GetString(psci, "method", &method) == fdt::Status::kOk &&
        (strcmp(method, "hvc") == 0 || strcmp(method, "smc") == 0)) {
      info->psci_present = true;
      info->psci_smc = strcmp(method, "smc") == 0;
      // SYSTEM_OFF and SYSTEM_RESET exist from PSCI 0.2 on (DEN 0022 §5.1).
      info->psci_system =
          dt.IsCompatible(psci, "arm,psci-0.2") || dt.IsCompatible(psci, "arm,psci-1.0");
      if (!info->psci_system) {
        // PSCI 0.1 names its function ids in the node.
        uint32_t id;
        if (dt.GetU32(psci, "cpu_on", &id) == fdt::Status::kOk) {
          info->psci_cpu_on = id;
        }
      }
    }
  }
  fdt::Node cpus = dt.FindNode("/cpus");
  if (!cpus) {
    Warn(info, "no /cpus node: running on the boot CPU only");
    return;
  }
  for (fdt::Node cpu = dt.FirstChild(cpus); cpu; cpu = dt.NextSibling(cpu)) {
    const char* type;
    if (dt.GetString(cpu, "device_type", &type) != fdt::Status::kOk || strcmp(type, "cpu") != 0 ||
        !dt.IsEnabled(cpu)) {
      continue;
    }
    uint64_t mpidr, unused;
    if (dt.Reg(cpu, 0, &mpidr, &unused) != fdt::Status::kOk) {
      Warn(info, "a cpu node has no usable reg; ignored");
      continue;
    }
    if (info->cpu_count == sizeof(info->cpus) / sizeof(info->cpus[0])) {
      info->cpus_ignored++;
      continue;
    }
    CpuInfo& ci = info->cpus[info->cpu_count++];
    ci.mpidr = mpidr & 0xff00ffffffull;
    ci.method = CpuMethod::kNone;
    const char* method;
    if (dt.GetString(cpu, "enable-method", &method) == fdt::Status::kOk) {
      if (strcmp(method, "psci") == 0) {
        ci.method = CpuMethod::kPsci;
      } else if (strcmp(method, "spin-table") == 0 &&
                 dt.GetU64(cpu, "cpu-release-addr", &ci.release_addr) == fdt::Status::kOk) {
        ci.method = CpuMethod::kSpinTable;
      }
    } else if (info->psci_present) {
      ci.method = CpuMethod::kPsci;
    }
  }
}

}  // namespace

bool ParseDevicetree(const fdt::Fdt& dt, BootInfo* info, const char** why) {
  const char* model;
  if (dt.GetString(dt.Root(), "model", &model) == fdt::Status::kOk) {
    info->model = model;
  }
  const char* args;
  if (dt.Bootargs(&args) == fdt::Status::kOk) {
    info->bootargs = args;
  }
  uint64_t start, end;
  if (dt.InitrdRange(&start, &end) == fdt::Status::kOk && end > start) {
    info->initrd_start = start;
    info->initrd_end = end;
  }
  ParseMemory(dt, info);
  if (info->ram.count() == 0) {
    *why = "the devicetree describes no memory (no /memory node with a reg)";
    return false;
  }
  ParseReserved(dt, info);
  info->reserved.Add(info->kernel_pa, info->kernel_size);
  info->reserved.Add(info->dtb_pa, info->dtb_size);
  if (info->initrd_end > info->initrd_start) {
    info->reserved.Add(info->initrd_start, info->initrd_end - info->initrd_start);
  }
  ParseConsole(dt, info);
  ParseCpus(dt, info);
  // Spin-table release addresses are written by us and read by CPUs with
  // their MMU off: never hand those pages out.
  for (uint32_t i = 0; i < info->cpu_count; i++) {
    if (info->cpus[i].method == CpuMethod::kSpinTable) {
      info->reserved.Add(info->cpus[i].release_addr & ~4095ull, 4096);
    }
  }
  // Page 0 is never handed out: a physical address of 0 stays an error.
  info->reserved.Add(0, 4096);

  for (size_t i = 0; i < info->ram.count(); i++) {
    info->usable.Add(info->ram[i].base, info->ram[i].size);
    info->linear.Add(info->ram[i].base, info->ram[i].size);
  }
  for (size_t i = 0; i < info->reserved.count(); i++) {
    if (!info->usable.Remove(info->reserved[i].base, info->reserved[i].size)) {
      *why = "too many memory reservations to track";
      return false;
    }
  }
  for (size_t i = 0; i < info->nomap.count(); i++) {
    info->linear.Remove(info->nomap[i].base, info->nomap[i].size);
  }
  info->usable.AlignInward(4096);
  info->linear.AlignInward(4096);
  // The DTB must stay reachable through the linear map.
  info->linear.Add(info->dtb_pa & ~4095ull,
                   ((info->dtb_pa & 4095) + info->dtb_size + 4095) & ~4095ull);
  if (info->usable.count() == 0) {
    *why = "no usable memory left after the reservations";
    return false;
  }
  return true;
}

bool BootArg(const char* args, const char* key, char* out, size_t size) {
  size_t klen = strlen(key);
  const char* p = args;
  while (*p) {
    while (*p == ' ')
      p++;
    const char* word = p;
    while (*p && *p != ' ')
      p++;
    size_t wlen = static_cast<size_t>(p - word);
    if (wlen > klen && strncmp(word, key, klen) == 0 && word[klen] == '=') {
      size_t vlen = wlen - klen - 1;
      if (vlen >= size) {
        vlen = size - 1;
      }
      memcpy(out, word + klen + 1, vlen);
      out[vlen] = 0;
      return true;
    }
    if (wlen == klen && strncmp(word, key, klen) == 0) {
      if (size > 0)
        out[0] = 0;
      return true;
    }
  }
  return false;
}

}  // namespace platform
