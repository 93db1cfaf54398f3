// See inspect_client.h.
#include "system/core/driver_manager/inspect_client.h"

namespace driver_inspect {

mica_status_t ForEachNode(mica::Channel& inspect, mica_time_t deadline,
                          mica::async::InlineFunction<void(const idl::inspect::Node&)> each,
                          uint32_t* total) {
  idl::inspect::InspectSyncClient client(static_cast<mica::Channel&&>(inspect));
  client.set_deadline(deadline);
  static idl::inspect::Inspect::ListNodesResponse page;  // too big for a stack
  uint32_t start = 0;
  *total = 0;
  mica_status_t s = MICA_OK;
  do {
    idl::inspect::Inspect::ListNodesRequest req;
    req.start = start;
    s = client.ListNodes(req, &page);
    if (s == MICA_OK && page.nodes.count == 0 && start < page.total) {
      s = MICA_ERR_IO_INVALID;  // no progress
    }
    if (s != MICA_OK) {
      break;
    }
    for (const idl::inspect::Node& n : page.nodes) {
      each(n);
    }
    start += page.nodes.count;
    *total = page.total;
  } while (start < *total);
  inspect = client.TakeChannel();
  return s;
}

const char* NodeStateName(idl::inspect::NodeState state) {
  switch (state) {
    case idl::inspect::NodeState::BOUND:
      return "bound";
    case idl::inspect::NodeState::UNBOUND:
      return "unbound";
    case idl::inspect::NodeState::FAILED:
      return "failed";
    case idl::inspect::NodeState::RESTARTING:
      return "restarting";
  }
  return "unknown";
}

int NodeDepth(const idl::inspect::Node& node) {
  int depth = node.path.size > 1 ? 1 : 0;
  for (uint32_t i = 1; i < node.path.size; i++) {
    depth += node.path.data[i] == '/' ? 1 : 0;
  }
  return depth > 16 ? 16 : depth;
}

}  // namespace driver_inspect
