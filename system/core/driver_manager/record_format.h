// One node of the inspection listing as a line (what bin/drivers and the
// manager's own listing print; docs/drivers.md, "Inspecting"):
//   node <path> [<state>] driver <name> process <koid> restarts <n> compatible "<c>" ... services
//   <class>/<i> ...
// with the driver, process and restarts fields only for a node a driver
// binds, compatible only if the node has one, services only if any are
// published.
#pragma once

#include <mica/driver/protocol.h>
#include <stddef.h>

namespace driver_manager {

void FormatRecord(const mica::driver::wire::NodeRecord& record, char* buf, size_t size);

}  // namespace driver_manager
