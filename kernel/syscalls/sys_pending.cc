// The calls of the ABI (system/public/syscalls.mica) that the kernel does
// not implement yet. Each returns MICA_ERR_NOT_SUPPORTED; the list shrinks as
// the M2 object layer grows (docs/kernel.md says what exists).
#include "kernel/syscalls/sys_common.h"

int64_t sys_vmo_create_child(mica_handle_t vmo, uint32_t options, uint64_t offset, uint64_t size,
                             user_out_ptr<mica_handle_t> out) {
  return Err(mica::Status::kNotSupported);
}

int64_t sys_vmar_allocate(mica_handle_t parent, uint32_t options, uint64_t offset, uint64_t size,
                          user_out_ptr<mica_handle_t> child,
                          user_out_ptr<mica_vaddr_t> child_addr) {
  return Err(mica::Status::kNotSupported);
}

int64_t sys_vmar_destroy(mica_handle_t vmar) {
  return Err(mica::Status::kNotSupported);
}
