// The Pinner (pinner.h) of a driver process: bti_pin on the bus
// transaction initiator the driver manager hands the driver for its node
// (MICA_DRIVER_HANDLE_BTI), one PMT per pinned VMO, pmt_unpin to release.
//
// Contract:
// - `bti` is borrowed and must outlive the pinner and every pin.
// - Pin asks for MICA_BTI_PERM_READ | MICA_BTI_PERM_WRITE (the device both
//   reads, for block writes, and writes, for block reads), so the VMO
//   handle needs READ, WRITE and MAP; the kernel's refusal maps to
//   kInvalidArgs (bad handle, rights, size), kBadState (a VMO that cannot
//   be pinned) or kNoResources (out of memory).
// - If the driver dies, its PMT handles close without pmt_unpin: the kernel
//   quarantines the pages on the BTI until the next instance has reset the
//   device and calls bti_release_quarantine (vmo_dma.h).
// - User toolchain only.
#pragma once

#include <mica/types.h>

#include "drivers/virtio/lib/pinner.h"

namespace mica::virtio {

class BtiPinner final : public Pinner {
 public:
  explicit BtiPinner(mica_handle_t bti) : bti_(bti) {}

  Status Pin(uint64_t vmo, uint64_t size, uint64_t* pages, uint64_t* token) override;
  void Unpin(uint64_t token) override;

  mica_status_t last_error() const { return last_error_; }

 private:
  mica_handle_t bti_;
  mica_status_t last_error_ = MICA_OK;
};

}  // namespace mica::virtio
