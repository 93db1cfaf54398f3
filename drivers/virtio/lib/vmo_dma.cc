// The driver process's DMA allocator; see vmo_dma.h.
#include "drivers/virtio/lib/vmo_dma.h"

#include <mica/syscalls.h>
#include <string.h>

namespace mica::virtio {

namespace {
size_t PageRound(size_t size) {
  return (size + MICA_PAGE_SIZE - 1) & ~size_t{MICA_PAGE_SIZE - 1};
}
}  // namespace

bool VmoDmaAllocator::Allocate(size_t size, size_t align, DmaBuffer* out) {
  if (size == 0 || align == 0 || align > MICA_PAGE_SIZE || size > SIZE_MAX - MICA_PAGE_SIZE) {
    last_error_ = MICA_ERR_INVALID_ARGS;
    return false;
  }
  const size_t bytes = PageRound(size);
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  last_error_ = mica_vmo_create_contiguous(resource_, bytes, 0, &vmo);
  if (last_error_ != MICA_OK) {
    return false;
  }
  uint64_t device_addr = 0;
  mica_handle_t pmt = MICA_HANDLE_INVALID;
  last_error_ = mica_bti_pin(bti_, MICA_BTI_PERM_READ | MICA_BTI_PERM_WRITE | MICA_BTI_CONTIGUOUS,
                             vmo, 0, bytes, &device_addr, 1, &pmt);
  mica_vaddr_t addr = 0;
  if (last_error_ == MICA_OK) {
    last_error_ =
        mica_vmar_map(vmar_, MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, vmo, 0, bytes, &addr);
  }
  if (last_error_ != MICA_OK || device_addr == 0) {
    if (pmt != MICA_HANDLE_INVALID) {
      mica_pmt_unpin(pmt);
    }
    mica_handle_close(vmo);
    return false;
  }
  memset(reinterpret_cast<void*>(addr), 0, bytes);
  out->cpu = reinterpret_cast<uint8_t*>(addr);
  out->device_addr = device_addr;
  out->size = bytes;
  out->cookie = vmo;
  out->pin = pmt;
  return true;
}

void VmoDmaAllocator::Free(const DmaBuffer& buffer) {
  if (buffer.cpu == nullptr) {
    return;
  }
  mica_pmt_unpin(static_cast<mica_handle_t>(buffer.pin));
  mica_vmar_unmap(vmar_, reinterpret_cast<mica_vaddr_t>(buffer.cpu), buffer.size);
  mica_handle_close(static_cast<mica_handle_t>(buffer.cookie));
}

mica_status_t VmoDmaAllocator::ReleaseQuarantine() {
  return mica_bti_release_quarantine(bti_);
}

}  // namespace mica::virtio
