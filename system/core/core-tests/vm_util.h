// Helpers of the VMAR suites (vmar_test.c, vmar_protect_test.c). Whether
// a page is mapped and how is seen through the kernel's own copies: a write
// to a user address (clock_get_monotonic) needs a writable mapping, a read
// (vmo_write from it) a readable one.
#pragma once

#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "system/core/core-tests/test.h"

#define PAGE ((uint64_t)MICA_PAGE_SIZE)
#define RW (MICA_VM_PERM_READ | MICA_VM_PERM_WRITE)
#define CAN_RW (MICA_VM_CAN_MAP_READ | MICA_VM_CAN_MAP_WRITE)
#define CAN_ALL (CAN_RW | MICA_VM_CAN_MAP_SPECIFIC)
#define IO_RIGHTS (MICA_RIGHT_READ | MICA_RIGHT_WRITE | MICA_RIGHT_EXECUTE)

static inline mica_handle_t vmo_of(uint64_t size) {
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ct_note_status(__FILE_NAME__, __LINE__, "mica_vmo_create", mica_vmo_create(size, 0, &vmo));
  return vmo;
}

// For __attribute__((cleanup)): destroys the region *h names and closes it
// when the variable goes out of scope, so that a test that returns early
// (an ASSERT, as under fault injection) leaves no region behind in the
// address space the later tests place theirs in. A handle the test closed
// already is refused harmlessly.
static inline void ct_destroy_on_return(mica_handle_t* h) {
  if (*h != MICA_HANDLE_INVALID) {
    (void)mica_vmar_destroy(*h);
    (void)mica_handle_close(*h);
  }
}
#define CT_AUTO_DESTROY __attribute__((cleanup(ct_destroy_on_return)))

// A sub-VMAR of `parent`; MICA_HANDLE_INVALID on failure.
static inline mica_handle_t sub(mica_handle_t parent, uint32_t options, uint64_t offset,
                                uint64_t size, mica_vaddr_t* addr) {
  mica_handle_t h = MICA_HANDLE_INVALID;
  mica_vaddr_t a = 0;
  mica_status_t s = mica_vmar_allocate(parent, options, offset, size, &h, &a);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_vmar_allocate", s);
    return MICA_HANDLE_INVALID;
  }
  if (addr != NULL) {
    *addr = a;
  }
  return h;
}

static inline mica_info_vmar_t vmar_info(mica_handle_t vmar) {
  mica_info_vmar_t info = {0, 0};
  (void)mica_object_get_info(vmar, MICA_INFO_VMAR, &info, sizeof(info), NULL, NULL);
  return info;
}

// The kernel can write 8 bytes in the page at `addr` (a writable mapping);
// the bytes written are in the middle of the page, the tests keep their
// marks at its start.
static inline bool writable(mica_vaddr_t addr) {
  return mica_clock_get_monotonic((mica_time_t*)(uintptr_t)(addr + PAGE / 2)) == MICA_OK;
}

// The kernel can read 8 bytes in the page at `addr`.
static inline bool readable(mica_vaddr_t addr) {
  mica_handle_t scratch = vmo_of(PAGE);
  mica_status_t s = mica_vmo_write(scratch, (const void*)(uintptr_t)(addr + PAGE / 2), 0, 8);
  ct_note_status(__FILE_NAME__, __LINE__, "mica_vmo_write", s);
  (void)mica_handle_close(scratch);
  return s == MICA_OK;
}
