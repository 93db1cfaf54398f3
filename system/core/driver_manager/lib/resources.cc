#include "system/core/driver_manager/lib/resources.h"

#include <mica/types.h>
#include <stdio.h>

namespace dm {
namespace {

// The path of `node` for messages; "<node?>" if it cannot be formatted.
struct PathBuf {
  char text[kMaxPath];
  PathBuf(const fdt::Fdt& dt, fdt::Node node) {
    if (dt.GetPath(node, text, sizeof(text)) != fdt::Status::kOk) {
      snprintf(text, sizeof(text), "<node at 0x%x>", node.offset);
    }
  }
};

Status AddMmio(const char* path, uint32_t index, uint64_t phys, uint64_t size, NodeResources* out,
               Error* err) {
  if (out->mmio_count >= kMaxMmio) {
    return Fail(err, Status::kTooMany, "%s: reg[%u]: more than %u reg entries", path, index,
                kMaxMmio);
  }
  const uint64_t last = phys + (size - 1);
  const uint64_t page_base = phys & ~(kPageSize - 1);
  const uint64_t page_last = last | (kPageSize - 1);
  if (page_last == UINT64_MAX) {
    // The page-rounded end would be 2^64: not representable as base + size.
    return Fail(err, Status::kOverflow,
                "%s: reg[%u]: range 0x%llx+0x%llx ends at the top of the "
                "address space",
                path, index, (unsigned long long)phys, (unsigned long long)size);
  }
  MmioRange& r = out->mmio[out->mmio_count++];
  r.phys = phys;
  r.size = size;
  r.page_base = page_base;
  r.page_size = page_last + 1 - page_base;
  r.offset = phys - page_base;
  return Status::kOk;
}

// One reg entry: bus address and size, then both ends translated.
Status ResolveRegEntry(const fdt::Fdt& dt, fdt::Node node, const char* path, uint32_t index,
                       NodeResources* out, Error* err) {
  uint64_t bus = 0;
  uint64_t size = 0;
  const fdt::Status st = dt.Reg(node, index, &bus, &size);
  if (st == fdt::Status::kUnsupported) {
    return Fail(err, Status::kUnsupported,
                "%s: reg[%u]: more than 2 address cells (e.g. PCI) "
                "not supported",
                path, index);
  }
  if (st != fdt::Status::kOk) {
    return Fail(err, Status::kBadValue, "%s: reg[%u]: %s", path, index, fdt::StatusString(st));
  }
  if (size == 0) {
    return Fail(err, Status::kBadValue, "%s: reg[%u]: size 0", path, index);
  }
  if (bus + (size - 1) < bus) {
    return Fail(err, Status::kOverflow, "%s: reg[%u]: 0x%llx+0x%llx wraps past 2^64", path, index,
                (unsigned long long)bus, (unsigned long long)size);
  }
  uint64_t first = 0;
  uint64_t last = 0;
  fdt::Status t1 = dt.TranslateAddress(node, bus, &first);
  fdt::Status t2 = t1 == fdt::Status::kOk ? dt.TranslateAddress(node, bus + (size - 1), &last) : t1;
  if (t1 != fdt::Status::kOk || t2 != fdt::Status::kOk) {
    const fdt::Status bad = t1 != fdt::Status::kOk ? t1 : t2;
    const Status code = bad == fdt::Status::kNoTranslation || bad == fdt::Status::kNotFound
                            ? Status::kNoTranslation
                            : Status::kBadValue;
    return Fail(err, code,
                "%s: reg[%u]: bus address 0x%llx+0x%llx not translatable to a CPU "
                "address (%s %s)",
                path, index, (unsigned long long)bus, (unsigned long long)size,
                t1 != fdt::Status::kOk ? "start:" : "end:", fdt::StatusString(bad));
  }
  if (last < first || last - first != size - 1) {
    return Fail(err, Status::kNoTranslation,
                "%s: reg[%u]: bus range 0x%llx+0x%llx is not "
                "contiguous after translation (crosses a ranges window)",
                path, index, (unsigned long long)bus, (unsigned long long)size);
  }
  return AddMmio(path, index, first, size, out, err);
}

uint32_t TriggerOptions(uint32_t trigger, bool* ok) {
  *ok = true;
  switch (trigger) {
    case 0:  // IRQ_TYPE_NONE: the GIC's reset configuration, level high.
    case 4:
      return 0;
    case 1:
      return MICA_INTERRUPT_EDGE;
    case 2:
      return MICA_INTERRUPT_EDGE | MICA_INTERRUPT_ACTIVE_LOW;
    case 8:
      return MICA_INTERRUPT_ACTIVE_LOW;
    default:
      *ok = false;
      return 0;
  }
}

const char* TriggerName(uint32_t options) {
  switch (options & (MICA_INTERRUPT_EDGE | MICA_INTERRUPT_ACTIVE_LOW)) {
    case MICA_INTERRUPT_EDGE:
      return "edge-rising";
    case MICA_INTERRUPT_EDGE | MICA_INTERRUPT_ACTIVE_LOW:
      return "edge-falling";
    case MICA_INTERRUPT_ACTIVE_LOW:
      return "level-low";
    default:
      return "level-high";
  }
}

// Why InterruptCount/GetInterrupt refused a node, in words.
Status DiagnoseInterrupts(const fdt::Fdt& dt, fdt::Node node, const char* path, fdt::Status st,
                          Error* err) {
  if (dt.FindProperty(node, "interrupts-extended").valid()) {
    return Fail(err, Status::kBadCells,
                "%s: interrupts-extended: a phandle names no interrupt "
                "controller, or its #interrupt-cells is missing or runs past the end (%s)",
                path, fdt::StatusString(st));
  }
  const fdt::Node parent = dt.InterruptParent(node);
  if (!parent.valid()) {
    return Fail(err, Status::kNoParent,
                "%s: interrupts: no interrupt parent (interrupt-parent "
                "missing, dangling or cyclic)",
                path);
  }
  uint32_t ic = 0;
  const PathBuf ppath(dt, parent);
  if (dt.InterruptCells(parent, &ic) != fdt::Status::kOk || ic == 0) {
    return Fail(err, Status::kBadCells, "%s: interrupts: parent %s has no valid #interrupt-cells",
                path, ppath.text);
  }
  if (ic > fdt::kMaxInterruptCells) {
    return Fail(err, Status::kUnsupported,
                "%s: interrupts: parent %s has #interrupt-cells %u "
                "(at most %u supported)",
                path, ppath.text, ic, fdt::kMaxInterruptCells);
  }
  return Fail(err, Status::kBadCells,
              "%s: interrupts: length %u is not a multiple of %u cells "
              "(#interrupt-cells of %s)",
              path, dt.FindProperty(node, "interrupts").len, ic, ppath.text);
}

// True for "gpios" and "<name>-gpios" (Linux gpio.txt binding).
bool IsGpioProperty(const char* name) {
  size_t len = 0;
  while (name[len] != 0) {
    ++len;
  }
  const char kSuffix[] = "-gpios";
  if (len == 5) {
    return name[0] == 'g' && name[1] == 'p' && name[2] == 'i' && name[3] == 'o' && name[4] == 's';
  }
  if (len <= 6) {
    return false;
  }
  for (size_t i = 0; i < 6; ++i) {
    if (name[len - 6 + i] != kSuffix[i]) {
      return false;
    }
  }
  return true;
}

// Decodes one gpios property: <phandle, #gpio-cells cells> entries (phandle
// 0 is an unused slot, skipped as Linux does).
Status GpioProperty(const fdt::Fdt& dt, fdt::Node owner, const fdt::Property& p, NodeResources* out,
                    Error* err) {
  const uint32_t total = p.CellCount();
  if (p.len % 4 != 0) {
    const PathBuf path(dt, owner);
    return Fail(err, Status::kBadCells, "%s: %s: length %u is not whole cells", path.text, p.name,
                p.len);
  }
  for (uint32_t pos = 0; pos < total;) {
    uint32_t ph = 0;
    p.ReadU32(pos, &ph);
    if (ph == 0) {
      ++pos;
      continue;
    }
    const fdt::Node ctrl = dt.FindByPhandle(ph);
    uint32_t cells = 0;
    if (!ctrl.valid() || dt.GetU32(ctrl, "#gpio-cells", &cells) != fdt::Status::kOk ||
        cells > kMaxGpioCells || cells > total - pos - 1) {
      const PathBuf path(dt, owner);
      return Fail(err, Status::kBadCells,
                  "%s: %s: entry at cell %u: phandle 0x%x is not a GPIO "
                  "controller with #gpio-cells <= %u, or its cells run past the end",
                  path.text, p.name, pos, ph, kMaxGpioCells);
    }
    if (out->gpio_count >= kMaxGpios) {
      const PathBuf path(dt, owner);
      return Fail(err, Status::kTooMany, "%s: more than %u GPIO references", path.text, kMaxGpios);
    }
    GpioReference& g = out->gpios[out->gpio_count++];
    g = GpioReference{owner, p.name, ctrl, cells, {}};
    for (uint32_t i = 0; i < cells; ++i) {
      p.ReadU32(pos + 1 + i, &g.cells[i]);
    }
    pos += 1 + cells;
  }
  return Status::kOk;
}

Status GpiosOf(const fdt::Fdt& dt, fdt::Node owner, NodeResources* out, Error* err) {
  for (const fdt::Property& p : dt.Properties(owner)) {
    if (IsGpioProperty(p.name)) {
      const Status s = GpioProperty(dt, owner, p, out, err);
      if (s != Status::kOk) {
        return s;
      }
    }
  }
  return Status::kOk;
}

}  // namespace

bool IsNodeEnabled(const fdt::Fdt& dt, fdt::Node node) {
  if (!dt.Name(node)) {
    return false;
  }
  for (fdt::Node n = node; n.valid(); n = dt.Parent(n)) {
    if (!dt.IsEnabled(n)) {
      return false;
    }
  }
  return true;
}

Status NodePath(const fdt::Fdt& dt, fdt::Node node, char* buf, size_t size, Error* err) {
  size_t need = 0;
  const fdt::Status st = dt.GetPath(node, buf, size, &need);
  if (st == fdt::Status::kBufferTooSmall) {
    return Fail(err, Status::kBufferTooSmall, "<node at 0x%x>: path of %zu bytes does not fit %zu",
                node.offset, need, size);
  }
  if (st != fdt::Status::kOk) {
    return Fail(err, Status::kNotFound, "<node at 0x%x>: not a node (%s)", node.offset,
                fdt::StatusString(st));
  }
  return Status::kOk;
}

CompatibleList::CompatibleList(const fdt::Fdt& dt, fdt::Node node)
    : prop_(dt.FindProperty(node, "compatible")), count_(prop_.StringCount()) {}

const char* CompatibleList::at(uint32_t index) const {
  const char* s = nullptr;
  return index < count_ && prop_.StringAt(index, &s) ? s : nullptr;
}

bool SharesPage(const MmioRange& a, const MmioRange& b) {
  // Both page ranges are non-empty and end below 2^64 (AddMmio).
  return a.page_base < b.page_base + b.page_size && b.page_base < a.page_base + a.page_size;
}

bool IsGic(const fdt::Fdt& dt, fdt::Node controller) {
  for (const char* c : kGicCompatibles) {
    if (dt.IsCompatible(controller, c)) {
      return true;
    }
  }
  return false;
}

Status ResolveMmio(const fdt::Fdt& dt, fdt::Node node, NodeResources* out, Error* err) {
  out->mmio_count = 0;
  out->reg_is_bus_address = false;
  if (!dt.FindProperty(node, "reg").valid()) {
    return Status::kOk;
  }
  const PathBuf path(dt, node);
  const fdt::Node parent = dt.Parent(node);
  if (!parent.valid()) {
    return Fail(err, Status::kBadValue, "%s: reg on the root node", path.text);
  }
  if (dt.SizeCells(parent) == 0) {
    out->reg_is_bus_address = true;
    return Status::kOk;
  }
  uint32_t count = 0;
  const fdt::Status st = dt.RegCount(node, &count);
  if (st != fdt::Status::kOk) {
    return Fail(err, Status::kBadCells, "%s: reg: %s (parent #address-cells %u, #size-cells %u)",
                path.text, fdt::StatusString(st), dt.AddressCells(parent), dt.SizeCells(parent));
  }
  for (uint32_t i = 0; i < count; ++i) {
    const Status s = ResolveRegEntry(dt, node, path.text, i, out, err);
    if (s != Status::kOk) {
      return s;
    }
  }
  return Status::kOk;
}

Status DecodeGicSpecifier(const fdt::Fdt& dt, const char* path, uint32_t index,
                          const fdt::Interrupt& spec, InterruptResource* out, Error* err) {
  out->kind = IrqKind::kGic;
  out->spec = spec;
  out->ppi_partition = fdt::Node{};
  if (spec.num_cells != 3 && spec.num_cells != 4) {
    return Fail(err, Status::kBadCells,
                "%s: interrupts[%u]: GIC specifier of %u cells (3, or 4 "
                "with PPI partitions)",
                path, index, spec.num_cells);
  }
  const uint32_t type = spec.cells[0];
  const uint32_t n = spec.cells[1];
  const uint32_t flags = spec.cells[2];
  if (type == 0) {
    if (n >= 988) {
      return Fail(err, Status::kBadValue, "%s: interrupts[%u]: GIC SPI %u out of range (0..987)",
                  path, index, n);
    }
    out->intid = 32 + n;
  } else if (type == 1) {
    if (n >= 16) {
      return Fail(err, Status::kBadValue, "%s: interrupts[%u]: GIC PPI %u out of range (0..15)",
                  path, index, n);
    }
    out->intid = 16 + n;
  } else if (type == 2 || type == 3) {
    return Fail(err, Status::kUnsupported,
                "%s: interrupts[%u]: GICv3 extended %s %u not "
                "supported",
                path, index, type == 2 ? "SPI" : "PPI", n);
  } else {
    return Fail(err, Status::kBadValue, "%s: interrupts[%u]: GIC interrupt type %u (0 SPI, 1 PPI)",
                path, index, type);
  }
  if ((flags & 0xffff00f0u) != 0 || (type == 0 && (flags & 0xff00u) != 0)) {
    return Fail(err, Status::kBadValue,
                "%s: interrupts[%u]: GIC flags 0x%x have reserved bits "
                "set",
                path, index, flags);
  }
  bool ok = false;
  out->options = TriggerOptions(flags & 0xf, &ok);
  if (!ok) {
    return Fail(err, Status::kBadValue, "%s: interrupts[%u]: GIC trigger 0x%x (1, 2, 4, 8 or 0)",
                path, index, flags & 0xf);
  }
  if (spec.num_cells == 4 && spec.cells[3] != 0) {
    if (type != 1) {
      return Fail(err, Status::kBadValue, "%s: interrupts[%u]: a PPI-partition phandle on an SPI",
                  path, index);
    }
    out->ppi_partition = dt.FindByPhandle(spec.cells[3]);
    if (!out->ppi_partition.valid()) {
      return Fail(err, Status::kBadValue,
                  "%s: interrupts[%u]: PPI-partition phandle 0x%x names "
                  "no node",
                  path, index, spec.cells[3]);
    }
  }
  return Status::kOk;
}

Status ResolveInterrupts(const fdt::Fdt& dt, fdt::Node node, NodeResources* out, Error* err) {
  out->interrupt_count = 0;
  uint32_t count = 0;
  fdt::Status st = dt.InterruptCount(node, &count);
  if (st == fdt::Status::kNotFound) {
    return Status::kOk;
  }
  const PathBuf path(dt, node);
  if (st != fdt::Status::kOk) {
    return DiagnoseInterrupts(dt, node, path.text, st, err);
  }
  if (count > kMaxInterrupts) {
    return Fail(err, Status::kTooMany, "%s: %u interrupts (at most %u)", path.text, count,
                kMaxInterrupts);
  }
  for (uint32_t i = 0; i < count; ++i) {
    InterruptResource& irq = out->interrupts[i];
    irq = InterruptResource{};
    st = dt.GetInterrupt(node, i, &irq.spec);
    if (st != fdt::Status::kOk) {
      return DiagnoseInterrupts(dt, node, path.text, st, err);
    }
    if (IsGic(dt, irq.spec.controller) &&
        !dt.FindProperty(irq.spec.controller, "interrupt-map").valid()) {
      const Status s = DecodeGicSpecifier(dt, path.text, i, irq.spec, &irq, err);
      if (s != Status::kOk) {
        return s;
      }
    } else {
      irq.kind = IrqKind::kRouted;
    }
    out->interrupt_count = i + 1;
  }
  return Status::kOk;
}

Status ResolveResources(const fdt::Fdt& dt, fdt::Node node, NodeResources* out, Error* err) {
  out->mmio_count = 0;
  out->interrupt_count = 0;
  out->gpio_count = 0;
  if (dt.Name(node) == nullptr) {
    return Fail(err, Status::kNotFound, "<node at 0x%x>: not a node", node.offset);
  }
  Status s = ResolveMmio(dt, node, out, err);
  if (s == Status::kOk) {
    s = ResolveInterrupts(dt, node, out, err);
  }
  return s != Status::kOk ? s : ResolveGpios(dt, node, out, err);
}

Status ResolveGpios(const fdt::Fdt& dt, fdt::Node node, NodeResources* out, Error* err) {
  out->gpio_count = 0;
  Status s = GpiosOf(dt, node, out, err);
  for (fdt::Node child : dt.Children(node)) {
    if (s != Status::kOk) {
      break;
    }
    if (!dt.FindProperty(child, "compatible").valid() && dt.IsEnabled(child)) {
      s = GpiosOf(dt, child, out, err);
    }
  }
  return s;
}

void FormatGpio(const fdt::Fdt& dt, const GpioReference& gpio, char* buf, size_t size) {
  if (size == 0) {
    return;
  }
  const PathBuf ctrl(dt, gpio.controller);
  const PathBuf owner(dt, gpio.owner);
  int n = snprintf(buf, size, "GPIO");
  for (uint32_t i = 0; i < gpio.num_cells && n >= 0 && size_t(n) < size; ++i) {
    n += snprintf(buf + n, size - n, " %u", gpio.cells[i]);
  }
  if (n >= 0 && size_t(n) < size) {
    snprintf(buf + n, size - n, " routed through %s (%s %s)", ctrl.text, owner.text, gpio.property);
  }
}

void FormatInterrupt(const fdt::Fdt& dt, const InterruptResource& irq, char* buf, size_t size) {
  if (size == 0) {
    return;
  }
  if (irq.kind == IrqKind::kGic) {
    snprintf(buf, size, "GIC %s %u (INTID %u) %s", irq.intid >= 32 ? "SPI" : "PPI",
             irq.intid >= 32 ? irq.intid - 32 : irq.intid - 16, irq.intid,
             TriggerName(irq.options));
    return;
  }
  const PathBuf ctrl(dt, irq.spec.controller);
  snprintf(buf, size, "routed through %s", ctrl.text);
}

}  // namespace dm
