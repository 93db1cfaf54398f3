// Devicetree nodes as the driver manager sees them: which nodes are enabled,
// what each one is called, and the resources it grants its driver.
//
// Contract.
// - Pure functions over a validated fdt::Fdt (devicetree/lib/fdt.h); no
//   heap, no static state, no exceptions. They never read outside the blob
//   (fdt's guarantee) and never crash on a malformed tree: every failure is
//   a dm::Status plus an Error whose message starts with the node's path.
// - Enabled (DT spec v0.4 §2.3.4): a node is enabled if its `status` is
//   absent, "okay" or "ok" AND every ancestor is enabled (a disabled bus
//   hides its children, as Linux's of_platform_populate does).
// - MMIO: each `reg` entry is translated through every ancestor's `ranges`
//   (fdt::Fdt::RegTranslated, DT spec §2.3.8) to a CPU physical range. Both
//   its first and its last byte must translate, contiguously (a range that
//   runs off the end of a `ranges` window is an error). The grant is the
//   range rounded out to whole kPageSize pages: `page_base`/`page_size` is
//   what the physical VMO covers, `offset` is where the registers start
//   inside it. Granularity: the MMU maps whole 4 KiB pages, so when two
//   nodes' registers lie in one page (QEMU virt's virtio-mmio transports are
//   0x200 bytes each, eight to a page) BOTH drivers are granted that page
//   and can reach each other's registers; SharesPage() tells the manager
//   when that happens (docs/drivers.md, "Resources").
//   A node whose parent has #size-cells = 0 has a `reg` that is not memory
//   mapped (CPU ids, I2C/SPI addresses): it grants no MMIO and that is not an
//   error (NodeResources::reg_is_bus_address).
// - Interrupts: each `interrupts` / `interrupts-extended` entry is resolved
//   to its controller (interrupt-parent, DT spec §2.4). If the controller is
//   a GIC (kGicCompatibles) the specifier is decoded per the GIC bindings
//   (arm,gic.yaml / arm,gic-v3.yaml): cell 0 type (0 SPI: INTID 32 + n,
//   n < 988; 1 PPI: INTID 16 + n, n < 16), cell 1 number, cell 2 flags
//   (bits 3:0 trigger: 1 edge rising, 2 edge falling, 4 level high, 8 level
//   low, 0 "none" = level high; bits 15:8 the GICv2 PPI CPU mask, ignored),
//   for GICv3's 4-cell form cell 3 a PPI-partition phandle (0 for SPIs).
//   The result is the INTID and interrupt_create options (MICA_INTERRUPT_*).
//   Any other controller (a GPIO controller, a nexus with interrupt-map, the
//   BCM2836 local controller ...) gives kind kRouted: not granted as a GIC
//   interrupt, the controller named instead.
// - GPIOs (DT spec v0.4 has none; the Linux gpio.txt binding): every
//   `gpios` / `<name>-gpios` property of the node and of its children that
//   have no `compatible` (the parts of one device, e.g. gpio-keys' keys) is
//   decoded as <phandle, #gpio-cells of that controller> entries. They are
//   not granted: the line belongs to the GPIO controller's driver, so each
//   entry is reported as routed through that controller's path.
// - Capacities are fixed (kMaxMmio, kMaxInterrupts, kMaxGpios); more is
//   kTooMany.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "devicetree/lib/fdt.h"
#include "system/core/driver_manager/lib/error.h"

namespace dm {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint32_t kMaxMmio = 32;
inline constexpr uint32_t kMaxInterrupts = 32;
inline constexpr uint32_t kMaxGpios = 32;
inline constexpr uint32_t kMaxGpioCells = 4;
// Longest node path the library formats (with its NUL).
inline constexpr size_t kMaxPath = 256;

// The compatibles of the interrupt controllers decoded as a GIC.
inline constexpr const char* kGicCompatibles[] = {
    "arm,gic-v3",        "arm,gic-400",       "arm,cortex-a15-gic",
    "arm,cortex-a9-gic", "arm,cortex-a7-gic", "arm,pl390",
};

// True if `node` is enabled and so is every ancestor (see the contract).
bool IsNodeEnabled(const fdt::Fdt& dt, fdt::Node node);

// Calls fn(fdt::Node node, int depth) for every enabled node in depth-first
// order (root first); a disabled node's subtree is skipped. Stops when fn
// returns false.
template <typename Fn>
void ForEachEnabledNode(const fdt::Fdt& dt, Fn&& fn) {
  int skip_below = -1;  // depth of the disabled node being skipped, or -1
  dt.ForEachNode([&](fdt::Node node, int depth) {
    if (skip_below >= 0 && depth > skip_below) {
      return true;
    }
    skip_below = -1;
    if (!dt.IsEnabled(node)) {
      skip_below = depth;
      return true;
    }
    return fn(node, depth);
  });
}

// The node's full path into buf ("/" for the root). kBufferTooSmall (with
// a message) if it does not fit.
Status NodePath(const fdt::Fdt& dt, fdt::Node node, char* buf, size_t size, Error* err);

// The node's `compatible` strings, in order (most specific first). An
// absent or malformed (not NUL-terminated) property has count 0.
class CompatibleList {
 public:
  CompatibleList(const fdt::Fdt& dt, fdt::Node node);
  uint32_t count() const { return count_; }
  // String `index` (< count()), or nullptr.
  const char* at(uint32_t index) const;

 private:
  fdt::Property prop_;
  uint32_t count_ = 0;
};

// One `reg` entry as granted.
struct MmioRange {
  uint64_t phys = 0;       // CPU physical address of the registers
  uint64_t size = 0;       // their size in bytes, as in `reg` (> 0)
  uint64_t page_base = 0;  // phys rounded down to kPageSize: the VMO's base
  uint64_t page_size = 0;  // whole pages covering [phys, phys + size)
  uint64_t offset = 0;     // phys - page_base: the registers inside the VMO
};

// True if the page-rounded grants of a and b overlap (so each driver can
// reach the other's registers).
bool SharesPage(const MmioRange& a, const MmioRange& b);

enum class IrqKind : uint8_t {
  kGic,     // a GIC interrupt: intid and options are set
  kRouted,  // through another controller: see `spec.controller`
};

struct InterruptResource {
  IrqKind kind = IrqKind::kRouted;
  uint32_t intid = 0;       // kGic: the GIC INTID (16..31 PPI, 32..1019 SPI)
  uint32_t options = 0;     // kGic: MICA_INTERRUPT_EDGE | MICA_INTERRUPT_ACTIVE_LOW
  fdt::Node ppi_partition;  // kGic, GICv3 4-cell PPIs: the partition node
  fdt::Interrupt spec;      // the raw specifier and its controller
};

// One GPIO line a node refers to (routed through `controller`).
struct GpioReference {
  fdt::Node owner;                 // the node holding the property
  const char* property = nullptr;  // "gpios", "reset-gpios", ...
  fdt::Node controller;            // the GPIO controller (phandle target)
  uint32_t num_cells = 0;          // its #gpio-cells
  uint32_t cells[kMaxGpioCells] = {};
};

// Everything a node grants its driver (besides its properties).
struct NodeResources {
  uint32_t mmio_count = 0;
  MmioRange mmio[kMaxMmio];
  // True if `reg` exists but is a non-memory-mapped bus address.
  bool reg_is_bus_address = false;
  uint32_t interrupt_count = 0;
  InterruptResource interrupts[kMaxInterrupts];
  uint32_t gpio_count = 0;
  GpioReference gpios[kMaxGpios];
};

// Resolves every `reg` and interrupt entry of `node` (see the contract).
// On failure *out holds what was resolved before the bad entry and `err`
// names the node and the entry. A handle that is not a node: kNotFound.
Status ResolveResources(const fdt::Fdt& dt, fdt::Node node, NodeResources* out, Error* err);

// The pieces, for callers that want one kind.
Status ResolveMmio(const fdt::Fdt& dt, fdt::Node node, NodeResources* out, Error* err);
Status ResolveInterrupts(const fdt::Fdt& dt, fdt::Node node, NodeResources* out, Error* err);
Status ResolveGpios(const fdt::Fdt& dt, fdt::Node node, NodeResources* out, Error* err);

// "GPIO 3 0 routed through /pl061@9030000 (/gpio-keys/poweroff gpios)".
void FormatGpio(const fdt::Fdt& dt, const GpioReference& gpio, char* buf, size_t size);

// True if `controller` is compatible with one of kGicCompatibles.
bool IsGic(const fdt::Fdt& dt, fdt::Node controller);

// Decodes one GIC specifier (cells as in the node; `controller` only for
// the GICv3 partition phandle). `what` names the entry in messages.
Status DecodeGicSpecifier(const fdt::Fdt& dt, const char* node_path, uint32_t index,
                          const fdt::Interrupt& spec, InterruptResource* out, Error* err);

// "GIC SPI 1 (INTID 33) level-high" / "routed through /pl061@9030000" into
// buf (truncated to fit, NUL-terminated).
void FormatInterrupt(const fdt::Fdt& dt, const InterruptResource& irq, char* buf, size_t size);

}  // namespace dm
