// The one error vocabulary of Mica's virtio driver logic (transport,
// virtqueue, device drivers). A process wrapper translates these to its
// protocol's status codes in one place.
//
// Contract: every fallible call returns a Status; kOk is zero so `if (s !=
// Status::kOk) return s;` is the early-return idiom. kDeviceError always
// means the *device* broke the virtio 1.2 rules (a bad used id, a length
// beyond the buffer, a config generation that never settles, a status byte
// out of range, DEVICE_NEEDS_RESET): the driver stops using the device and
// its owner resets and restarts it; it never means a crash or a stray access.
#pragma once

#include <stdint.h>

namespace mica::virtio {

enum class Status : uint8_t {
  kOk = 0,
  kInvalidArgs,   // the caller asked for something malformed
  kNoResources,   // out of descriptors, request slots or DMA memory
  kNotSupported,  // the device lacks a feature or queue the driver needs
  kNotFound,      // bad magic, unknown version or device ID 0 (empty slot)
  kBadState,      // the call does not fit the current state (e.g. not started)
  kShouldWait,    // nothing completed yet; poll again after an interrupt
  kReadOnly,      // a write to a read-only block device (VIRTIO_BLK_F_RO)
  kIoError,       // the device reported an I/O error (VIRTIO_BLK_S_IOERR)
  kUnsupported,   // the device refused the request (VIRTIO_BLK_S_UNSUPP)
  kDeviceError,   // the device broke the protocol; reset it
};

const char* StatusName(Status status);

}  // namespace mica::virtio
