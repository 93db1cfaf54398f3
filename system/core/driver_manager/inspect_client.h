// The client side of the driver manager's node tree (system/idl/inspect.idl,
// docs/drivers.md "Inspecting"): what bin/drivers and the shell's `drivers`
// share.
#pragma once

#include <idl/inspect_ipc.h>
#include <mica/async/function.h>
#include <mica/cpp/objects.h>
#include <mica/syscalls.h>

namespace driver_inspect {

// Calls `each` for every node, page by page (Inspect.ListNodes from 0 until
// `start` reaches `total`), each call before `deadline`. `inspect` is lent
// and given back (for a later listing). Returns MICA_OK with *total, the
// transport's error, or MICA_ERR_IO_INVALID if a page makes no progress.
mica_status_t ForEachNode(mica::Channel& inspect, mica_time_t deadline,
                          mica::async::InlineFunction<void(const idl::inspect::Node&)> each,
                          uint32_t* total);

// "bound", "unbound", "failed", "restarting" ("unknown" otherwise).
const char* NodeStateName(idl::inspect::NodeState state);

// The node's depth in the tree ("/" is 0, "/a" 1, "/a/b" 2), at most 16:
// what the listings indent by.
int NodeDepth(const idl::inspect::Node& node);

}  // namespace driver_inspect
