// The calls of the ABI (system/public/syscalls.mica) that the kernel does
// not implement yet. Each returns MICA_ERR_NOT_SUPPORTED; the list shrinks as
// the M2 object layer grows (docs/kernel.md says what exists).
#include "kernel/syscalls/sys_common.h"

int64_t sys_timer_bind(mica_handle_t timer, mica_handle_t port, uint64_t key, uint32_t options) {
  return Err(mica::Status::kNotSupported);
}

int64_t sys_debuglog_read(mica_handle_t log, uint32_t options, user_out_ptr<void> record,
                          size_t record_size, user_out_ptr<size_t> actual) {
  return Err(mica::Status::kNotSupported);
}

int64_t sys_vmo_create_contiguous(mica_handle_t resource, size_t size, uint32_t alignment_log2,
                                  user_out_ptr<mica_handle_t> out) {
  return Err(mica::Status::kNotSupported);
}

int64_t sys_vmo_create_physical(mica_handle_t resource, mica_paddr_t paddr, size_t size,
                                user_out_ptr<mica_handle_t> out) {
  return Err(mica::Status::kNotSupported);
}

int64_t sys_vmo_set_cache_policy(mica_handle_t vmo, uint32_t cache_policy) {
  return Err(mica::Status::kNotSupported);
}

int64_t sys_interrupt_create(mica_handle_t resource, uint32_t vector, uint32_t options,
                             user_out_ptr<mica_handle_t> out) {
  return Err(mica::Status::kNotSupported);
}

int64_t sys_interrupt_bind(mica_handle_t interrupt, mica_handle_t port, uint64_t key,
                           uint32_t options) {
  return Err(mica::Status::kNotSupported);
}

int64_t sys_interrupt_ack(mica_handle_t interrupt) {
  return Err(mica::Status::kNotSupported);
}

int64_t sys_interrupt_wait(mica_handle_t interrupt, user_out_ptr<mica_time_t> timestamp) {
  return Err(mica::Status::kNotSupported);
}

int64_t sys_resource_create(mica_handle_t parent, uint32_t kind, uint64_t base, uint64_t size,
                            user_in_ptr<const void> name, size_t name_size,
                            user_out_ptr<mica_handle_t> out) {
  return Err(mica::Status::kNotSupported);
}
