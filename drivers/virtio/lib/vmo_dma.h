// The DmaAllocator of a driver process (dma.h): each buffer is its own
// physically contiguous VMO (vmo_create_contiguous, bounded by the MMIO
// resource the driver manager hands the driver, MICA_DRIVER_HANDLE_DMA),
// mapped read/write into the process's root VMAR, its device address from
// bti_pin(MICA_BTI_CONTIGUOUS) on the node's bus transaction initiator
// (MICA_DRIVER_HANDLE_BTI): the pin keeps the pages the device's while it
// may use them.
//
// Contract:
// - `resource`, `bti` and `vmar` are borrowed and must outlive the
//   allocator.
// - Free unpins (pmt_unpin), unmaps and closes the VMO: the caller must
//   have stopped the device using the buffer (reset it, or taken back every
//   chain naming it). If the process dies instead, its pins are
//   quarantined on the BTI: the pages stay out of reuse until the next
//   instance has reset the device (virtio 1.2 §3.1.1: writing 0 to the
//   status register) and calls ReleaseQuarantine.
// - Allocate rounds the size up to pages; a page-aligned base satisfies
//   every alignment the virtio logic asks for (<= 4096). The syscall bounds
//   one buffer to the size of the resource's range (one page for a 0x200
//   virtio-mmio window), so a driver sizes its queues to fit (the transport's
//   set_legacy_queue_align and SetupQueue's max_size).
// - Memory is zeroed. QEMU virt's devices are cache coherent, so the
//   mapping is the default cached one; a non-coherent board (the Pi 4)
//   needs an uncached policy here (vmo_set_cache_policy before mapping).
// - Only the user toolchain builds this.
#pragma once

#include <mica/types.h>

#include "drivers/virtio/lib/dma.h"

namespace mica::virtio {

class VmoDmaAllocator final : public DmaAllocator {
 public:
  VmoDmaAllocator(mica_handle_t resource, mica_handle_t bti, mica_handle_t vmar)
      : resource_(resource), bti_(bti), vmar_(vmar) {}

  bool Allocate(size_t size, size_t align, DmaBuffer* out) override;
  void Free(const DmaBuffer& buffer) override;
  // After the device's reset only: frees what a dead instance left pinned.
  mica_status_t ReleaseQuarantine();

  mica_status_t last_error() const { return last_error_; }

 private:
  mica_handle_t resource_;
  mica_handle_t bti_;
  mica_handle_t vmar_;
  mica_status_t last_error_ = MICA_OK;
};

}  // namespace mica::virtio
