// The driver process's pinner; see bti_pinner.h.
#include "drivers/virtio/lib/bti_pinner.h"

#include <mica/syscalls.h>

namespace mica::virtio {

Status BtiPinner::Pin(uint64_t vmo, uint64_t size, uint64_t* pages, uint64_t* token) {
  if (size == 0 || size % kPinPageSize != 0) {
    return Status::kInvalidArgs;
  }
  mica_handle_t pmt = MICA_HANDLE_INVALID;
  last_error_ =
      mica_bti_pin(bti_, MICA_BTI_PERM_READ | MICA_BTI_PERM_WRITE, static_cast<mica_handle_t>(vmo),
                   0, size, pages, size / kPinPageSize, &pmt);
  switch (last_error_) {
    case MICA_OK:
      *token = pmt;
      return Status::kOk;
    case MICA_ERR_NO_MEMORY:
    case MICA_ERR_NO_RESOURCES:
      return Status::kNoResources;
    case MICA_ERR_BAD_STATE:
      return Status::kBadState;
    default:
      return Status::kInvalidArgs;
  }
}

void BtiPinner::Unpin(uint64_t token) {
  mica_pmt_unpin(static_cast<mica_handle_t>(token));
}

}  // namespace mica::virtio
