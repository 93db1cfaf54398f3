// See inspect_client.h.
#include "system/core/driver_manager/inspect_client.h"

#include <mica/idl/pages.h>

namespace driver_inspect {

mica_status_t ForEachNode(mica::Channel& inspect, mica_time_t deadline,
                          mica::async::InlineFunction<void(const idl::inspect::Node&)> each,
                          uint32_t* total) {
  using Response = idl::inspect::Inspect::ListNodesResponse;
  idl::inspect::InspectSyncClient client(static_cast<mica::Channel&&>(inspect));
  client.set_deadline(deadline);
  static Response page;  // too big for a stack
  mica_status_t s = mica::idl::ForEachPage(client, &idl::inspect::InspectSyncClient::ListNodes,
                                           &page, &Response::nodes, each, total);
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
