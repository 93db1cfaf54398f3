// Pinning a client's memory for a device: the one interface through which a
// virtio driver gets the device (bus) address of every page of a VMO a
// client shares with it, so the same request logic runs in a driver process
// (bti_pin on the node's bus transaction initiator, bti_pinner.h) and in
// host tests (a fake over FakeDma memory, drivers/virtio/testing).
//
// Contract:
// - Pin(vmo, size, pages, token) pins bytes [0, size) of `vmo` (size a
//   non-zero multiple of 4096) for the device to read and write, commits
//   them, writes size / 4096 device addresses into `pages` (page i of the
//   VMO is at pages[i]; neighbours need not be adjacent) and returns a
//   token. On failure nothing stays pinned and the result says why
//   (kInvalidArgs, kNoResources, kBadState).
// - While pinned the pages stay where they are and stay the VMO's, whatever
//   the client does with its handles (it may close them, or die).
// - Unpin(token) releases them. The caller must know the device no longer
//   uses them (every request naming them completed, or the device reset).
// - `vmo` is the implementation's own handle value; the pinner does not
//   take it over.
#pragma once

#include <stdint.h>

#include "drivers/virtio/lib/status.h"

namespace mica::virtio {

inline constexpr uint64_t kPinPageSize = 4096;

class Pinner {
 public:
  virtual ~Pinner() = default;
  virtual Status Pin(uint64_t vmo, uint64_t size, uint64_t* pages, uint64_t* token) = 0;
  virtual void Unpin(uint64_t token) = 0;
};

}  // namespace mica::virtio
