// The driver manager's handles for the program `drivers.then=` starts, and
// the node record of the manager's own listing (docs/drivers.md,
// "Protocols"). Everything on these channels is an IDL protocol:
// MICA_DRIVER_HANDLE_DEVICES carries the service directory
// (system/idl/directory.idl; clients use <mica/driver/service.h>),
// MICA_DRIVER_HANDLE_INSPECT the node tree (system/idl/inspect.idl). The
// driver <-> manager link is system/idl/driver.idl.
#pragma once

#include <stdint.h>

// The manager's service directory (system/idl/directory.idl).
#define MICA_DRIVER_HANDLE_DEVICES ((uint32_t)0x210)
// The manager's Inspect protocol (system/idl/inspect.idl), for bin/drivers.
#define MICA_DRIVER_HANDLE_INSPECT ((uint32_t)0x211)

namespace mica::driver::wire {

inline constexpr uint32_t kClassNameSize = 16;

// Node states as inspection reports them.
enum class NodeState : uint32_t {
  kUnbound = 0,
  kBound = 1,
  kRestarting = 2,
  kFailed = 3,
};

inline constexpr uint32_t kRecordPathSize = 128;
inline constexpr uint32_t kRecordTextSize = 160;

// One node of the manager's own listing (record_format.h).
struct NodeRecord {
  uint32_t state;  // NodeState
  uint64_t koid;   // the driver process, 0 if none
  uint32_t restarts;
  uint32_t depth;                    // in the node tree (root 0)
  char path[kRecordPathSize];        // truncated with "..." if longer
  char compatible[kRecordTextSize];  // the compatible list, comma-separated
  char driver[kClassNameSize * 2];   // the bound driver's name, or ""
  char services[kRecordTextSize];    // "block/0 rtc/0", or ""
};

inline const char* StateName(uint32_t state) {
  switch (static_cast<NodeState>(state)) {
    case NodeState::kUnbound:
      return "unbound";
    case NodeState::kBound:
      return "bound";
    case NodeState::kRestarting:
      return "restarting";
    case NodeState::kFailed:
      return "failed";
  }
  return "unknown";
}

}  // namespace mica::driver::wire

#include <mica/syscalls.h>

namespace mica::driver::wire {

// Reads the next message of `channel` into bytes[0, capacity) and
// handles[0, handle_capacity). A message that does not fit is read into a
// scratch buffer and dropped (its handles closed), so a peer cannot wedge
// the reader with one oversized message. Returns MICA_OK, or the
// channel_read status when nothing is queued (SHOULD_WAIT, PEER_CLOSED).
mica_status_t ReadMessage(mica_handle_t channel, void* bytes, uint32_t capacity,
                          mica_handle_t* handles, uint32_t handle_capacity, uint32_t* actual_bytes,
                          uint32_t* actual_handles);

}  // namespace mica::driver::wire
