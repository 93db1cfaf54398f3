// Standard bindings on top of the raw tree: the memory reservation block,
// addresses (reg / ranges), interrupts and /chosen.
// References: Devicetree Specification v0.4 §2.3.5-§2.3.8 (cells, reg,
// ranges), §2.4 (interrupts), §3.6 (/chosen), §5.3 (memory reservations).
#include "devicetree/lib/fdt.h"
#include "devicetree/lib/fdt_internal.h"

namespace fdt {

namespace {

// The low 64 bits of an address of `n` cells (cells[0] most significant).
uint64_t Low64(const uint32_t* cells, uint32_t n) {
  if (n == 0) {
    return 0;
  }
  if (n == 1) {
    return cells[0];
  }
  return (static_cast<uint64_t>(cells[n - 2]) << 32) | cells[n - 1];
}

// Stores `v` into the low (up to) two of `n` cells, zeroing higher cells.
// False if `v` does not fit in `n` cells.
bool StoreLow64(uint64_t v, uint32_t* cells, uint32_t n) {
  if (n == 0) {
    return v == 0;
  }
  if (n == 1) {
    cells[0] = static_cast<uint32_t>(v);
    return (v >> 32) == 0;
  }
  for (uint32_t i = 0; i + 2 < n; ++i) {
    cells[i] = 0;
  }
  cells[n - 2] = static_cast<uint32_t>(v >> 32);
  cells[n - 1] = static_cast<uint32_t>(v);
  return true;
}

// The PCI bus binding (IEEE 1275 PCI bus binding, as used by Linux's
// of_bus_pci_match/of_bus_pci_map): on a 3-cell PCI bus only the space code
// (phys.hi bits 24-25) of the high cell takes part in matching a range.
constexpr uint32_t kPciSpaceCodeMask = 0x03000000;

}  // namespace

Status Fdt::GetMemReserve(uint32_t index, MemReserve* out) const {
  if (!valid_) {
    return Status::kNotInitialized;
  }
  if (index >= num_memrsv_) {
    return Status::kOutOfRange;
  }
  // Init checked that num_memrsv_ + 1 entries lie within totalsize.
  const uint8_t* e = blob_ + off_memrsv_ + 16 * static_cast<size_t>(index);
  out->address = Be64(e);
  out->size = Be64(e + 8);
  return Status::kOk;
}

// ---------------------------------------------------------------------------
// Addresses

uint32_t Fdt::AddressCells(Node node) const {
  uint32_t v = 0;
  return GetU32(node, "#address-cells", &v) == Status::kOk ? v : 2;
}

uint32_t Fdt::SizeCells(Node node) const {
  uint32_t v = 0;
  return GetU32(node, "#size-cells", &v) == Status::kOk ? v : 1;
}

// Decodes `reg` entry `index` of the node at stack[d] (its parent is
// stack[d - 1]) into `addr_cells` (na cells) and `*size`. With
// addr_cells == nullptr only counts: *size receives the entry count.
Status Fdt::ReadRegRaw(Node node, uint32_t index, uint32_t* addr_cells, uint32_t* na,
                       uint64_t* size) const {
  if (!valid_) {
    return Status::kNotInitialized;
  }
  uint32_t stack[kMaxDepth];
  const int d = Ancestors(node, stack);
  if (d < 0) {
    return Status::kNotFound;
  }
  const Property reg = FindProperty(node, "reg");
  if (!reg.valid()) {
    return Status::kNotFound;
  }
  if (d == 0) {
    return Status::kNotFound;  // the root has no parent address space
  }
  const Node parent{stack[d - 1]};
  *na = AddressCells(parent);
  const uint32_t ns = SizeCells(parent);
  if (*na == 0 || *na > kMaxAddressCells || ns > kMaxSizeCells) {
    return Status::kUnsupported;
  }
  const uint32_t entry = *na + ns;
  if (reg.len % (4 * entry) != 0) {
    return Status::kBadValue;
  }
  const uint32_t count = reg.len / (4 * entry);
  if (addr_cells == nullptr) {
    *size = count;
    return Status::kOk;
  }
  if (index >= count) {
    return Status::kOutOfRange;
  }
  for (uint32_t i = 0; i < *na; ++i) {
    reg.ReadU32(index * entry + i, &addr_cells[i]);
  }
  reg.ReadCells(index * entry + *na, ns, size);
  return Status::kOk;
}

Status Fdt::RegCount(Node node, uint32_t* count) const {
  uint32_t na = 0;
  uint64_t n = 0;
  const Status st = ReadRegRaw(node, 0, nullptr, &na, &n);
  if (st == Status::kOk) {
    *count = static_cast<uint32_t>(n);
  }
  return st;
}

Status Fdt::Reg(Node node, uint32_t index, uint64_t* address, uint64_t* size) const {
  uint32_t cells[kMaxAddressCells];
  uint32_t na = 0;
  uint64_t sz = 0;
  const Status st = ReadRegRaw(node, index, cells, &na, &sz);
  if (st != Status::kOk) {
    return st;
  }
  if (na > 2) {
    return Status::kUnsupported;
  }
  *address = Low64(cells, na);
  *size = sz;
  return Status::kOk;
}

Status Fdt::RegTranslated(Node node, uint32_t index, uint64_t* address, uint64_t* size) const {
  uint32_t cells[kMaxAddressCells];
  uint32_t na = 0;
  uint64_t sz = 0;
  const Status st = ReadRegRaw(node, index, cells, &na, &sz);
  if (st != Status::kOk) {
    return st;
  }
  uint32_t stack[kMaxDepth];
  const int d = Ancestors(node, stack);
  const Status tst = TranslateWithParents(stack, d, cells, na, address);
  if (tst == Status::kOk) {
    *size = sz;
  }
  return tst;
}

Status Fdt::TranslateAddress(Node node, uint64_t address, uint64_t* out) const {
  const Node parent = Parent(node);
  if (!parent.valid()) {
    return valid_ ? Status::kNotFound : Status::kNotInitialized;
  }
  const uint32_t na = AddressCells(parent);
  if (na == 0 || na > kMaxAddressCells) {
    return Status::kUnsupported;
  }
  uint32_t cells[kMaxAddressCells];
  if (!StoreLow64(address, cells, na)) {
    return Status::kBadValue;
  }
  return TranslateCells(node, cells, na, out);
}

Status Fdt::TranslateCells(Node node, const uint32_t* cells, uint32_t num_cells,
                           uint64_t* out) const {
  if (!valid_) {
    return Status::kNotInitialized;
  }
  uint32_t stack[kMaxDepth];
  const int d = Ancestors(node, stack);
  if (d <= 0) {
    return Status::kNotFound;
  }
  if (cells == nullptr || num_cells != AddressCells(Node{stack[d - 1]}) || num_cells == 0 ||
      num_cells > kMaxAddressCells) {
    return Status::kBadValue;
  }
  uint32_t addr[kMaxAddressCells];
  for (uint32_t i = 0; i < num_cells; ++i) {
    addr[i] = cells[i];
  }
  return TranslateWithParents(stack, d, addr, num_cells, out);
}

// The node at stack[d] has an address `cells` (num_cells cells) in the
// space of its parent stack[d - 1]. Walks up: at each bus stack[b] (b >= 1)
// the address moves into stack[b - 1]'s space through stack[b]'s `ranges`
// (§2.3.8). Once the bus is the root, the address is a CPU physical one.
Status Fdt::TranslateWithParents(const uint32_t* stack, int d, uint32_t* cells, uint32_t num_cells,
                                 uint64_t* out) const {
  if (d <= 0) {
    return Status::kNotFound;
  }
  uint32_t na = num_cells;
  for (int b = d - 1; b > 0; --b) {
    const Node bus{stack[b]};
    const Node up{stack[b - 1]};
    const uint32_t ns = SizeCells(bus);
    const uint32_t pna = AddressCells(up);
    if (na != AddressCells(bus) || pna == 0 || pna > kMaxAddressCells || ns > kMaxSizeCells) {
      return Status::kUnsupported;
    }
    const Property ranges = FindProperty(bus, "ranges");
    if (!ranges.valid()) {
      return Status::kNoTranslation;  // §2.3.8: no ranges, no mapping
    }
    const uint64_t a = Low64(cells, na);
    uint32_t next[kMaxAddressCells];
    if (ranges.len == 0) {
      // Empty ranges: the child and parent spaces are identical.
      if (na > 2) {
        for (uint32_t i = 0; i + 2 < na; ++i) {
          if (cells[i] != 0) {
            return Status::kUnsupported;
          }
        }
      }
      if (!StoreLow64(a, next, pna)) {
        return Status::kNotFound;
      }
    } else {
      const uint32_t entry = na + pna + ns;
      if (ranges.len % (4 * entry) != 0) {
        return Status::kBadValue;
      }
      const Property type = FindProperty(bus, "device_type");
      const char* type_str = nullptr;
      const bool pci = na == 3 && type.GetString(&type_str) &&
                       (StrEqN(type_str, "pci", 3) || StrEqN(type_str, "pciex", 5));
      const uint32_t count = ranges.len / (4 * entry);
      bool found = false;
      for (uint32_t r = 0; r < count && !found; ++r) {
        const uint32_t base = r * entry;
        uint32_t child[kMaxAddressCells];
        for (uint32_t i = 0; i < na; ++i) {
          ranges.ReadU32(base + i, &child[i]);
        }
        bool high_match = true;
        for (uint32_t i = 0; i + 2 < na; ++i) {
          const uint32_t mask = (pci && i == 0) ? kPciSpaceCodeMask : 0xffffffffu;
          if ((child[i] & mask) != (cells[i] & mask)) {
            high_match = false;
          }
        }
        uint64_t size = 0;
        ranges.ReadCells(base + na + pna, ns, &size);
        const uint64_t c = Low64(child, na);
        if (!high_match || a < c || a - c >= size) {
          continue;
        }
        for (uint32_t i = 0; i < pna; ++i) {
          ranges.ReadU32(base + na + i, &next[i]);
        }
        const uint64_t mapped = Low64(next, pna) + (a - c);
        if (pna == 1) {
          if ((mapped >> 32) != 0) {
            return Status::kNotFound;
          }
          next[0] = static_cast<uint32_t>(mapped);
        } else {
          next[pna - 2] = static_cast<uint32_t>(mapped >> 32);
          next[pna - 1] = static_cast<uint32_t>(mapped);
        }
        found = true;
      }
      if (!found) {
        return Status::kNotFound;
      }
    }
    for (uint32_t i = 0; i < pna; ++i) {
      cells[i] = next[i];
    }
    na = pna;
  }
  // At the root: the CPU address must fit in 64 bits.
  for (uint32_t i = 0; i + 2 < na; ++i) {
    if (cells[i] != 0) {
      return Status::kUnsupported;
    }
  }
  *out = Low64(cells, na);
  return Status::kOk;
}

// ---------------------------------------------------------------------------
// Interrupts

Node Fdt::InterruptParent(Node node) const {
  // Like Linux's of_irq_find_parent: follow interrupt-parent, else the tree
  // parent, until a node with #interrupt-cells. The step bound stops
  // interrupt-parent cycles.
  Node cur = node;
  for (uint32_t step = 0; step <= num_nodes_; ++step) {
    uint32_t ph = 0;
    const Node next =
        GetU32(cur, "interrupt-parent", &ph) == Status::kOk ? FindByPhandle(ph) : Parent(cur);
    if (!next.valid()) {
      return Node{};
    }
    if (FindProperty(next, "#interrupt-cells").valid()) {
      return next;
    }
    cur = next;
  }
  return Node{};
}

Status Fdt::InterruptCells(Node controller, uint32_t* out) const {
  return GetU32(controller, "#interrupt-cells", out);
}

// Walks `interrupts-extended` (§2.4.1.3: phandle + specifier pairs, each
// specifier #interrupt-cells of its phandle's node). Counts all entries into
// *count; if `out` is non-null fills entry `index`.
Status Fdt::CountSpecifiers(Node node, const Property& ext, uint32_t index, uint32_t* count,
                            Interrupt* out) const {
  if (ext.len % 4 != 0) {
    return Status::kBadValue;
  }
  const uint32_t total = ext.len / 4;
  uint32_t n = 0;
  bool filled = false;
  for (uint32_t pos = 0; pos < total;) {
    uint32_t ph = 0;
    ext.ReadU32(pos, &ph);
    const Node ctrl = FindByPhandle(ph);
    uint32_t ic = 0;
    if (!ctrl.valid() || InterruptCells(ctrl, &ic) != Status::kOk || ic > total - pos - 1) {
      return Status::kBadValue;
    }
    if (out != nullptr && n == index) {
      if (ic > kMaxInterruptCells) {
        return Status::kUnsupported;
      }
      out->controller = ctrl;
      out->num_cells = ic;
      for (uint32_t i = 0; i < ic; ++i) {
        ext.ReadU32(pos + 1 + i, &out->cells[i]);
      }
      filled = true;
    }
    ++n;
    pos += 1 + ic;
  }
  *count = n;
  if (out != nullptr && !filled) {
    return Status::kOutOfRange;
  }
  return Status::kOk;
}

Status Fdt::InterruptCount(Node node, uint32_t* count) const {
  if (!valid_) {
    return Status::kNotInitialized;
  }
  const Property ext = FindProperty(node, "interrupts-extended");
  if (ext.valid()) {
    return CountSpecifiers(node, ext, 0, count, nullptr);
  }
  const Property irqs = FindProperty(node, "interrupts");
  if (!irqs.valid()) {
    return Status::kNotFound;
  }
  uint32_t ic = 0;
  if (InterruptCells(InterruptParent(node), &ic) != Status::kOk || ic == 0 ||
      irqs.len % (4 * ic) != 0) {
    return Status::kBadValue;
  }
  *count = irqs.len / (4 * ic);
  return Status::kOk;
}

Status Fdt::GetInterrupt(Node node, uint32_t index, Interrupt* out) const {
  if (!valid_) {
    return Status::kNotInitialized;
  }
  const Property ext = FindProperty(node, "interrupts-extended");
  if (ext.valid()) {
    uint32_t count = 0;
    return CountSpecifiers(node, ext, index, &count, out);
  }
  const Property irqs = FindProperty(node, "interrupts");
  if (!irqs.valid()) {
    return Status::kNotFound;
  }
  const Node parent = InterruptParent(node);
  uint32_t ic = 0;
  if (InterruptCells(parent, &ic) != Status::kOk || ic == 0 || irqs.len % (4 * ic) != 0) {
    return Status::kBadValue;
  }
  if (index >= irqs.len / (4 * ic)) {
    return Status::kOutOfRange;
  }
  if (ic > kMaxInterruptCells) {
    return Status::kUnsupported;
  }
  out->controller = parent;
  out->num_cells = ic;
  for (uint32_t i = 0; i < ic; ++i) {
    irqs.ReadU32(index * ic + i, &out->cells[i]);
  }
  return Status::kOk;
}

// ---------------------------------------------------------------------------
// /chosen

Node Fdt::Chosen() const {
  return FindChild(Root(), "chosen", 6);
}

Status Fdt::Bootargs(const char** out) const {
  const Node chosen = Chosen();
  if (!chosen.valid()) {
    return valid_ ? Status::kNotFound : Status::kNotInitialized;
  }
  return GetString(chosen, "bootargs", out);
}

Status Fdt::GetStdoutPath(StdoutPath* out) const {
  const Node chosen = Chosen();
  if (!chosen.valid()) {
    return valid_ ? Status::kNotFound : Status::kNotInitialized;
  }
  Property p = FindProperty(chosen, "stdout-path");
  if (!p.valid()) {
    p = FindProperty(chosen, "linux,stdout-path");
  }
  if (!p.valid()) {
    return Status::kNotFound;
  }
  const char* s = nullptr;
  if (!p.GetString(&s) || s[0] == '\0') {
    return Status::kBadValue;
  }
  const size_t len = p.len - 1;
  const char* colon = MemChr(s, ':', len);
  out->path.data = s;
  out->path.size = colon != nullptr ? static_cast<size_t>(colon - s) : len;
  out->options.data = colon != nullptr ? colon + 1 : s + len;
  out->options.size = colon != nullptr ? static_cast<size_t>(s + len - (colon + 1)) : 0;
  return Status::kOk;
}

Node Fdt::StdoutNode() const {
  StdoutPath sp;
  if (GetStdoutPath(&sp) != Status::kOk) {
    return Node{};
  }
  return FindNode(sp.path.data, sp.path.size);
}

Status Fdt::InitrdRange(uint64_t* start, uint64_t* end) const {
  const Node chosen = Chosen();
  if (!chosen.valid()) {
    return valid_ ? Status::kNotFound : Status::kNotInitialized;
  }
  uint64_t s = 0;
  uint64_t e = 0;
  Status st = GetU64(chosen, "linux,initrd-start", &s);
  if (st != Status::kOk) {
    return st;
  }
  st = GetU64(chosen, "linux,initrd-end", &e);
  if (st != Status::kOk) {
    return st;
  }
  if (e < s) {
    return Status::kBadValue;
  }
  *start = s;
  *end = e;
  return Status::kOk;
}

}  // namespace fdt
