// What a driver is granted (docs/drivers.md, "What a driver gets"): its
// node's reg ranges and interrupts resolved from the devicetree, turned
// into handles made with the root resource and handed over with rights
// that cannot make more.
//
// STAND-IN for the resolution part until m4-match's library lands
// (system/core/driver_manager/lib): reg through every parent's `ranges`
// (fdt::Fdt::RegTranslated), interrupts through interrupt-parent decoded
// per the GIC binding (Documentation/devicetree/bindings/interrupt-
// controller/arm,gic.yaml: cell 0 type 0 SPI / 1 PPI, cell 1 number,
// cell 2 flags 1/2 edge rising/falling, 4/8 level high/low).
#pragma once

#include <mica/cpp/handle.h>
#include <mica/driver/node_info.h>
#include <stddef.h>
#include <stdint.h>

#include "devicetree/lib/fdt.h"
#include "system/core/driver_manager/node.h"

namespace driver_manager {

struct Grant {
  mica::driver::RegRange regs[mica::driver::kNodeInfoMaxRegs];
  uint32_t reg_count = 0;
  mica::driver::IrqSpec irqs[mica::driver::kNodeInfoMaxIrqs];
  uint32_t irq_count = 0;
};

// Resolves a devicetree node's reg ranges and interrupts. On failure a
// one-line reason is in why[0, size).
bool ResolveNode(const fdt::Fdt& dt, fdt::Node node, Grant* out, char* why, size_t size);

// The node description (node_info.h) in a VMO the driver may only read and
// map: the node's path, `grant`, and its properties (from the DTB for a
// devicetree node, from the description its parent sent for an added one).
mica_status_t MakeNodeVmo(const fdt::Fdt& dt, const Node& node, const Grant& grant,
                          mica::Handle* out);

// The start handles for `grant` (start.h order: per reg range a physical
// VMO and an MMIO resource over exactly its pages, then per interrupt an
// interrupt object), appended to handles/info from *count. Everything is
// made with `root`; on failure what was made is closed and the reason is
// in why.
bool MakeResourceHandles(mica_handle_t root, const Grant& grant, mica_handle_t* handles,
                         uint32_t* info, uint32_t* count, char* why, size_t size);

}  // namespace driver_manager
