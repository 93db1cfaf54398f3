// Names for mica::virtio::Status, for logs and test messages.
#include "drivers/virtio/lib/status.h"

namespace mica::virtio {

const char* StatusName(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kInvalidArgs:
      return "invalid-args";
    case Status::kNoResources:
      return "no-resources";
    case Status::kNotSupported:
      return "not-supported";
    case Status::kNotFound:
      return "not-found";
    case Status::kBadState:
      return "bad-state";
    case Status::kShouldWait:
      return "should-wait";
    case Status::kReadOnly:
      return "read-only";
    case Status::kIoError:
      return "io-error";
    case Status::kUnsupported:
      return "unsupported";
    case Status::kDeviceError:
      return "device-error";
  }
  return "unknown";
}

}  // namespace mica::virtio
