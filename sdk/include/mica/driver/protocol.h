// The driver manager's services channel (MICA_DRIVER_HANDLE_DEVICES), which
// a client (bin/drivers) uses to open a published service, and the node
// record of the manager's own listing (docs/drivers.md, "Protocols"). The
// driver <-> manager link and the node tree listing are IDL protocols
// (system/idl/driver.idl, system/idl/inspect.idl); this fixed-layout
// message stands in until the IDL has a service-directory protocol.
//
// Every message starts with a MessageHeader (little-endian). A message
// shorter than its kind's struct, with an unknown ordinal, or with handles
// where none belong is dropped; a string field must be NUL-terminated
// inside its array.
//
// client -> manager
//   kConnect   ConnectMessage + 1 handle  opens `class`/`instance`: the
//                                     channel goes to the driver (a Connect
//                                     event of the Manager protocol); the
//                                     manager replies kConnectReply with
//                                     MICA_OK, MICA_ERR_NOT_FOUND (no such
//                                     service) or MICA_ERR_UNAVAILABLE (its
//                                     driver is restarting: try again)
#pragma once

#include <stdint.h>

#define MICA_DRIVER_HANDLE_DEVICES ((uint32_t)0x210)
// The manager's Inspect protocol (system/idl/inspect.idl), for bin/drivers.
#define MICA_DRIVER_HANDLE_INSPECT ((uint32_t)0x211)

namespace mica::driver::wire {

enum Ordinal : uint32_t {
  kConnect = 18,
  kConnectReply = 19,
};

inline constexpr uint32_t kClassNameSize = 16;

struct MessageHeader {
  uint32_t ordinal;
  uint32_t txid;
};

struct ConnectMessage {
  MessageHeader header;
  char service_class[kClassNameSize];
  uint32_t instance;
  uint32_t reserved;
};

struct ConnectReply {
  MessageHeader header;
  int32_t status;
  uint32_t reserved;
};

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
