// Helpers of the BTI suites (bti_test.c, bti_state_test.c): a BTI from the
// root resource, its MICA_INFO_BTI, a VMO's MICA_INFO_VMO, the kernel's
// MICA_INFO_KMEM_STATS.
#pragma once

#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdbool.h>
#include <string.h>

#include "system/core/core-tests/dt.h"
#include "system/core/core-tests/test.h"

#define CT_PAGE ((uint64_t)MICA_PAGE_SIZE)

static inline mica_handle_t ct_bti(void) {
  mica_handle_t bti = MICA_HANDLE_INVALID;
  mica_status_t s = mica_bti_create(mica_rt_root_resource(), 0, &bti);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_bti_create", s);
  }
  return bti;
}

// Zeroes if the call fails (recorded as a failure).
static inline mica_info_bti_t ct_bti_info(mica_handle_t bti) {
  mica_info_bti_t info;
  memset(&info, 0, sizeof(info));
  mica_status_t s = mica_object_get_info(bti, MICA_INFO_BTI, &info, sizeof(info), NULL, NULL);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "MICA_INFO_BTI", s);
  }
  return info;
}

static inline mica_info_vmo_t ct_vmo_info(mica_handle_t vmo) {
  mica_info_vmo_t info;
  memset(&info, 0, sizeof(info));
  mica_status_t s = mica_object_get_info(vmo, MICA_INFO_VMO, &info, sizeof(info), NULL, NULL);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "MICA_INFO_VMO", s);
  }
  return info;
}

static inline mica_info_kmem_stats_t ct_kmem(void) {
  mica_info_kmem_stats_t k;
  memset(&k, 0, sizeof(k));
  mica_status_t s = mica_object_get_info(mica_rt_root_resource(), MICA_INFO_KMEM_STATS, &k,
                                         sizeof(k), NULL, NULL);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "MICA_INFO_KMEM_STATS", s);
  }
  return k;
}

// A page of device memory every machine has (the GIC distributor).
static inline bool ct_gic_window(uint64_t* base, uint64_t* size) {
  return ct_dt_gic_distributor(base, size);
}
