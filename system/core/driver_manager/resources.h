// What a driver is granted (docs/drivers.md, "What a driver gets"): its
// node's reg ranges and interrupts, resolved by lib/resources.h (reg through
// every parent's `ranges`, page-rounded; interrupts decoded per the GIC
// binding), turned into handles made with the root resource and handed
// over with rights that cannot make more.
#pragma once

#include <mica/cpp/handle.h>
#include <stddef.h>
#include <stdint.h>

#include "devicetree/lib/fdt.h"
#include "system/core/driver_manager/lib/resources.h"
#include "system/core/driver_manager/node.h"

namespace driver_manager {

// Resolves a devicetree node's resources; false (a one-line reason in
// why[0, size)) if they cannot be granted: a malformed entry, more than the
// node description holds, or an interrupt routed through a controller that
// is not a GIC.
bool ResolveNode(const fdt::Fdt& dt, fdt::Node node, dm::NodeResources* out, char* why,
                 size_t size);

// The node description (node_info.h) in a VMO the driver may only read and
// map: the node's path, its resources, and its properties (from the DTB for
// a devicetree node, from the description its parent sent for an added
// one).
mica_status_t MakeNodeVmo(const fdt::Fdt& dt, const Node& node, const dm::NodeResources& res,
                          mica::Handle* out);

// The start handles for `res` (start.h order: per reg range a physical
// VMO over its pages and an MMIO resource over exactly those pages, then
// per interrupt an interrupt object), appended to handles/info from
// *count. Everything is made with `root`; on failure what was made is
// closed and the reason is in why.
bool MakeResourceHandles(mica_handle_t root, const dm::NodeResources& res, mica_handle_t* handles,
                         uint32_t* info, uint32_t* count, char* why, size_t size);

}  // namespace driver_manager
