// The VMOs one client of the block driver has attached (block.idl
// AttachVmo), each pinned once for the device when attached, so a request
// DMAs straight into the client's memory with no copy and no per-request
// pin.
//
// Contract:
// - Attach(vmo, size) pins all of `size` (a non-zero multiple of 4096, at
//   most kMaxAttachBytes) through the Pinner and returns an id below
//   kMaxVmos; kNoResources when every id is taken, kInvalidArgs when the
//   size is 0, not a page multiple or above kMaxAttachBytes, and the
//   Pinner's status when pinning fails. The table never owns `vmo` (the
//   process wrapper keeps the handle beside the id).
// - Acquire(id) returns the pinned VMO with a reference a request holds
//   until it is over (Release); nullptr for an id not attached.
// - Detach(id) forgets the id at once (it can be attached again), but the
//   pages stay pinned until the last request that acquired them released
//   them: the device may still be writing them. The same holds for the
//   table's destruction (the client went away): whatever no request holds
//   is unpinned at once, the rest at its last Release. A PinnedVmo may so
//   outlive its table; it keeps the Pinner, which must outlive both.
// - Single-threaded (the driver's loop).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "drivers/virtio/lib/pinner.h"
#include "drivers/virtio/lib/status.h"

namespace mica::virtio {

// 16 MiB: the largest VMO one AttachVmo pins, in one bti_pin (the kernel's
// MICA_BTI_MAX_PIN_PAGES bounds one call to 4,096 pages; 4,096 page
// addresses are 32 KiB of driver memory). Larger ones are refused with
// kInvalidArgs. All pins of the node's BTI together are bounded by the
// kernel too (MICA_BTI_MAX_PAGES, 64 MiB): past that Attach fails with the
// pinner's kNoResources until someone detaches.
inline constexpr uint64_t kMaxAttachBytes = 16ull << 20;

struct PinnedVmo {
  Pinner* pinner = nullptr;
  uint64_t token = 0;
  uint64_t* pages = nullptr;  // device address of each page
  uint64_t size = 0;          // bytes pinned
  uint32_t refs = 0;          // the table's (while attached) + requests'
};

// Drops one reference; the last one unpins and frees.
void ReleasePinned(PinnedVmo* vmo);

class VmoTable {
 public:
  static constexpr uint32_t kMaxVmos = 4;

  explicit VmoTable(Pinner& pinner) : pinner_(pinner) {}
  ~VmoTable();
  VmoTable(const VmoTable&) = delete;
  VmoTable& operator=(const VmoTable&) = delete;

  Status Attach(uint64_t vmo, uint64_t size, uint32_t* id);
  Status Detach(uint32_t id);
  PinnedVmo* Acquire(uint32_t id);
  bool attached(uint32_t id) const { return id < kMaxVmos && slots_[id] != nullptr; }

 private:
  Pinner& pinner_;
  PinnedVmo* slots_[kMaxVmos] = {};
};

}  // namespace mica::virtio
