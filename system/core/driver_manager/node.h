// The driver manager's node tree: one Node per enabled devicetree node
// (and per child node a driver adds), with what binds it and the state of
// its driver process. Nodes are never freed while the manager runs; a child
// whose parent's driver died is marked `removed` and reused when the new
// parent instance adds it again.
#pragma once

#include <idl/driver_ipc.h>
#include <mica/async/loop.h>
#include <mica/cpp/handle.h>
#include <mica/driver/node_info.h>
#include <mica/driver/protocol.h>
#include <stddef.h>
#include <stdint.h>

#include "devicetree/lib/fdt.h"
#include "system/core/driver_manager/lib/manifest.h"
#include "system/core/driver_manager/lib/resources.h"
#include "system/core/driver_manager/lib/restart_policy.h"

namespace driver_manager {

class ManagerLink;  // services.cc: the IDL Manager protocol served for one driver
class PowerLink;    // power.cc: the IDL Power protocol, for drivers granted it

inline constexpr uint32_t kNoNode = ~uint32_t{0};
inline constexpr uint32_t kMaxNodes = 1024;
inline constexpr uint32_t kPathSize = mica::driver::kNodeInfoMaxPath;

struct Node {
  char path[kPathSize] = {};
  uint32_t parent = kNoNode;
  uint32_t depth = 0;
  fdt::Node dt;                         // invalid for a node a driver added
  const uint8_t* compatible = nullptr;  // the string list (in the DTB or `added`)
  uint32_t compatible_size = 0;
  uint8_t* added = nullptr;  // the node description a driver sent (owned)
  uint32_t added_size = 0;
  bool removed = false;  // an added node whose parent's driver ended
  const dm::Manifest* driver = nullptr;
  dm::RestartTracker* tracker = nullptr;  // made when first bound
  // The node's resources, resolved at its first start (Manager::Launch);
  // dropped when the node is added again (services.cc).
  dm::NodeResources* grant = nullptr;
  bool binary_checked = false;  // its driver's file passed Launch's CRC check
  // The node's BTI: made from the root resource at its first start, kept
  // across restarts (a dead instance's PMTs stay quarantined on it until
  // the next instance has reset the device and releases them), closed when
  // the node is removed (which releases its quarantine).
  mica::Handle bti;

  // The driver process (valid while state is kBound).
  mica::driver::wire::NodeState state = mica::driver::wire::NodeState::kUnbound;
  uint32_t generation = 0;  // bumped on every start and stop: stale handlers bail
  uint64_t koid = 0;
  mica::Handle job;
  mica::Handle process;
  ManagerLink* link = nullptr;                       // serves Manager for it
  PowerLink* power = nullptr;                        // serves Power (`grant power`)
  idl::driver::DriverAsyncClient* client = nullptr;  // calls its Driver
  mica::async::WaitId process_wait = 0;
  uint64_t ping_seq = 0;
  bool ping_outstanding = false;
  bool missed_ping = false;     // killed for a missed liveness answer
  bool kill_injected = false;   // this start's fault is a kill by the manager
  bool stall_injected = false;  // this start's fault is stall (children too)
  char last_reason[96] = {};
};

// Whether a node a driver added carries "mica,parent-resources" (its
// parent handed it the parent's node resources; docs/drivers.md).
bool InheritsResources(const Node& node);

// Renders the node's `compatible` list as `"a" "b"` into buf.
void FormatCompatible(const Node& node, char* buf, size_t size);

}  // namespace driver_manager
