// StopInOrder: the order in which a clean shutdown stops the drivers
// (docs/drivers.md, "Power"): dependents before what they depend on. A node
// depends on its parent and on every provider whose service its driver
// opened by phandle (Manager.ConnectPhandle records the links).
//
// Contract:
// - `graph` describes nodes 0..count()-1: running(i) (a driver to stop),
//   parent(i) (an index, or anything >= count() for none), depth(i),
//   provider_count(i) and provider(i, k) (indices; out-of-range ones and a
//   node naming itself are ignored). `pending` is scratch of count() bools.
// - Calls stop(i) exactly once for every running node and for no other.
//   A node is stopped only once no running node still to stop is its child
//   or its consumer; among the nodes free to stop, the deepest first, and
//   at one depth the higher index first (a driver-added child comes after
//   its parent). If the rest depend on each other in a cycle, they are
//   stopped by that depth order alone.
// - Returns how many nodes were stopped out of link order (0 without a
//   cycle). At most count() passes over the nodes, each O(count() x links).
#pragma once

#include <stdint.h>

namespace dm {

namespace shutdown_order_internal {

template <typename Graph>
bool HasPendingDependent(const Graph& g, const bool* pending, uint32_t index) {
  for (uint32_t i = 0; i < g.count(); i++) {
    if (!pending[i] || i == index) {
      continue;
    }
    if (g.parent(i) == index) {
      return true;
    }
    for (uint32_t k = 0; k < g.provider_count(i); k++) {
      if (g.provider(i, k) == index) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace shutdown_order_internal

template <typename Graph, typename Stop>
uint32_t StopInOrder(const Graph& g, bool* pending, Stop&& stop) {
  uint32_t max_depth = 0;
  uint32_t left = 0;
  for (uint32_t i = 0; i < g.count(); i++) {
    pending[i] = g.running(i);
    left += pending[i] ? 1 : 0;
    max_depth = pending[i] && g.depth(i) > max_depth ? g.depth(i) : max_depth;
  }
  bool ordered = true;
  uint32_t unordered = 0;
  while (left != 0) {
    uint32_t stopped = 0;
    for (uint32_t depth = max_depth + 1; depth-- > 0;) {
      for (uint32_t i = g.count(); i-- > 0;) {
        if (pending[i] && g.depth(i) == depth &&
            (!ordered || !shutdown_order_internal::HasPendingDependent(g, pending, i))) {
          pending[i] = false;
          stop(i);
          stopped++;
        }
      }
    }
    left -= stopped;
    unordered += ordered ? 0 : stopped;
    ordered = stopped != 0;
  }
  return unordered;
}

}  // namespace dm
