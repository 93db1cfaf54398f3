// The disk-image byte patterns of the in-target virtio block tests
// (bin/virtio-test, bin/virtio-client): byte `i` of the image as the host
// writes it before the boot, and as the guest rewrites it. The harness
// writes and checks the same patterns from the host (test/harness
// qemu_jobs.py); change both together.
#pragma once

#include <stdint.h>

namespace mica::virtio::testing {

inline uint8_t HostByte(uint64_t i) {
  return static_cast<uint8_t>(i * 7 + (i >> 9));
}

inline uint8_t GuestByte(uint64_t i) {
  return static_cast<uint8_t>((i * 13 + 5) ^ (i >> 9));
}

}  // namespace mica::virtio::testing
