// object_get_info MICA_INFO_KMEM_STATS: the kernel's memory, read through
// the root resource (docs/syscalls.md, object_get_info).
#include <mica/rt/runtime.h>
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

static mica_status_t kmem(mica_handle_t h, mica_info_kmem_stats_t* out) {
  memset(out, 0, sizeof(*out));
  return mica_object_get_info(h, MICA_INFO_KMEM_STATS, out, sizeof(*out), NULL, NULL);
}

TEST(info_kmem_stats, root_resource_reads_consistent_figures) {
  mica_info_kmem_stats_t k;
  size_t actual = 0, avail = 0;
  ASSERT_OK(mica_object_get_info(mica_rt_root_resource(), MICA_INFO_KMEM_STATS, &k, sizeof(k),
                                 &actual, &avail));
  EXPECT_EQ(actual, 1u);
  EXPECT_EQ(avail, 1u);
  mica_system_info_basic_t sys;
  ASSERT_OK(mica_system_get_info(MICA_SYSTEM_INFO_BASIC, &sys, sizeof(sys)));
  // The kernel manages at most the machine's RAM, and most of it is free
  // while only the tests run.
  EXPECT_GT(k.total_bytes, 0u);
  EXPECT_LE(k.total_bytes, sys.memory_bytes);
  EXPECT_GT(k.free_bytes, k.total_bytes / 2);
  EXPECT_GT(k.heap_bytes, 0u);
  EXPECT_LE(k.free_bytes + k.heap_bytes + k.heap_free_bytes + k.other_bytes, k.total_bytes);
  EXPECT_EQ(k.free_bytes % MICA_PAGE_SIZE, 0u);
}

TEST(info_kmem_stats, committed_pages_leave_free_memory_and_come_back) {
  mica_handle_t root = mica_rt_root_resource();
  mica_info_kmem_stats_t before, during, after;
  enum { kBytes = 1 << 20 };
  ASSERT_OK(kmem(root, &before));
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(kBytes, 0, &vmo));
  static uint8_t page[MICA_PAGE_SIZE];
  memset(page, 0x5a, sizeof(page));
  for (uint64_t off = 0; off < kBytes; off += MICA_PAGE_SIZE) {
    ASSERT_OK(mica_vmo_write(vmo, page, off, sizeof(page)));
  }
  ASSERT_OK(kmem(root, &during));
  EXPECT_LE(during.free_bytes + kBytes, before.free_bytes);
  EXPECT_OK(mica_handle_close(vmo));
  ASSERT_OK(kmem(root, &after));
  EXPECT_GE(after.free_bytes + after.heap_free_bytes + 64 * 1024,
            before.free_bytes + before.heap_free_bytes);
}

TEST(info_kmem_stats, only_the_root_resource_with_inspect) {
  mica_handle_t root = mica_rt_root_resource();
  mica_info_kmem_stats_t k;
  mica_handle_t sub = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_resource_create(root, MICA_RSRC_KIND_IRQ, 40, 4, "irq", 3, &sub));
  EXPECT_STATUS(kmem(sub, &k), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(sub));
  mica_handle_t weak = ct_dup(root, MICA_DEFAULT_RESOURCE_RIGHTS & ~MICA_RIGHT_INSPECT);
  ASSERT_NE(weak, MICA_HANDLE_INVALID);
  EXPECT_STATUS(kmem(weak, &k), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(weak));
  mica_handle_t ev = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_event_create(0, &ev));
  EXPECT_STATUS(kmem(ev, &k), MICA_ERR_WRONG_TYPE);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(info_kmem_stats, buffer_too_small_still_writes_avail) {
  mica_info_kmem_stats_t k;
  size_t avail = 0;
  EXPECT_STATUS(mica_object_get_info(mica_rt_root_resource(), MICA_INFO_KMEM_STATS, &k,
                                     sizeof(k) - 1, NULL, &avail),
                MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(avail, 1u);
  for (int i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_object_get_info(mica_rt_root_resource(), MICA_INFO_KMEM_STATS,
                                       (void*)ct_bad_ptrs[i].addr, sizeof(k), NULL, NULL),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
}
