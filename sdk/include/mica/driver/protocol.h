// The messages on a driver's channel to the driver manager
// (MICA_DRIVER_HANDLE_MANAGER) and on the manager's inspection channel
// (docs/drivers.md, "Protocols"). A minimal fixed-layout wire format that
// stands in until the IDL's generated driver protocol replaces it; drivers
// use it only through the runtime (<mica/driver/driver.h>), so that swap
// changes no driver.
//
// Every message starts with a MessageHeader (little-endian). Rules both
// ends keep: a message shorter than its kind's struct, with an unknown
// ordinal, or with handles where none belong is dropped (and counted); a
// string field must be NUL-terminated inside its array.
//
// manager -> driver
//   kPing      PingMessage            the liveness check: the driver answers
//                                     kPong with the same txid, from its
//                                     async loop, before the deadline
//   kOpen      OpenMessage + 1 handle a client's channel for a service the
//                                     driver published
// driver -> manager
//   kPong      MessageHeader          the liveness answer
//   kAddChild  header + node description (node_info.h, no regs or irqs):
//                                     a child node to match and start
//   kPublish   PublishMessage         a service `class` (e.g. "block") of
//                                     `version`; the manager numbers the
//                                     class's instances 0, 1, ...
// client -> manager (inspection channel, MICA_DRIVER_HANDLE_DEVICES)
//   kList      MessageHeader          the manager replies with kListReply
//                                     messages: one NodeRecord each, the last
//                                     one with flags kListLast
//   kConnect   ConnectMessage + 1 handle  opens `class`/`instance`: the
//                                     channel goes to the driver (kOpen);
//                                     the manager replies kConnectReply
#pragma once

#include <stdint.h>

#define MICA_DRIVER_HANDLE_DEVICES ((uint32_t)0x210)

namespace mica::driver::wire {

enum Ordinal : uint32_t {
  kPing = 1,
  kPong = 2,
  kAddChild = 3,
  kPublish = 4,
  kOpen = 5,
  kList = 16,
  kListReply = 17,
  kConnect = 18,
  kConnectReply = 19,
};

inline constexpr uint32_t kClassNameSize = 16;
inline constexpr uint32_t kListLast = 1;

struct MessageHeader {
  uint32_t ordinal;
  uint32_t txid;
};

struct PingMessage {
  MessageHeader header;
};

struct PublishMessage {
  MessageHeader header;
  char service_class[kClassNameSize];
  uint32_t version;
  uint32_t reserved;
};

struct OpenMessage {
  MessageHeader header;
  char service_class[kClassNameSize];
  uint32_t instance;
  uint32_t version;
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

struct NodeRecord {
  MessageHeader header;
  uint32_t flags;  // kListLast on the last record
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
