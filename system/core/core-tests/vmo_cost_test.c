// What a VMO costs the kernel: its kernel memory follows the pages it
// commits, not its size (the committed pages are kept in a sparse tree:
// docs/kernel.md, "VMO bookkeeping"); KMEM_STATS, read through the root
// resource, must show that and come back exactly to its baseline.
#include <mica/rt/runtime.h>
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define PAGE ((uint64_t)MICA_PAGE_SIZE)
#define GIB ((uint64_t)1 << 30)
#define LARGEST (64 * GIB)

static mica_info_kmem_stats_t kstats(void) {
  mica_info_kmem_stats_t k;
  memset(&k, 0, sizeof(k));
  (void)mica_object_get_info(mica_rt_root_resource(), MICA_INFO_KMEM_STATS, &k, sizeof(k), NULL,
                             NULL);
  return k;
}

static uint64_t available(const mica_info_kmem_stats_t* k) {
  return k->free_bytes + k->heap_free_bytes;
}

static void put(mica_handle_t vmo, uint64_t offset) {
  uint8_t b = 0x5a;
  EXPECT_OK(mica_vmo_write(vmo, &b, offset, 1));
}

TEST(vmo_cost, largest_vmo_costs_a_small_constant) {
  // Warm the handle table and the heap's size classes.
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(PAGE, 0, &vmo));
  EXPECT_OK(mica_handle_close(vmo));
  mica_info_kmem_stats_t before = kstats();
  ASSERT_OK(mica_vmo_create(LARGEST, 0, &vmo));
  mica_info_kmem_stats_t empty = kstats();
  uint64_t size = 0;
  EXPECT_OK(mica_vmo_get_size(vmo, &size));
  EXPECT_EQ(size, LARGEST);
  // The dispatcher only (it was 128 MiB of page array).
  ct_set_context("heap bytes for an empty 64 GiB VMO");
  EXPECT_LE(empty.heap_bytes - before.heap_bytes, 1024u);
  EXPECT_EQ(empty.free_bytes + 64 * 1024 >= before.free_bytes, true);
  // One page at each end: a few tree nodes.
  put(vmo, 0);
  put(vmo, LARGEST - 1);
  mica_info_kmem_stats_t two = kstats();
  ct_set_context("heap bytes for 2 pages 64 GiB apart");
  EXPECT_LE(two.heap_bytes - empty.heap_bytes, 8 * 1024u);
  // 1024 dense pages: about 8 bytes each, plus a node per 64.
  for (uint64_t i = 0; i < 1024; i++) {
    put(vmo, 32 * GIB + i * PAGE);
  }
  mica_info_kmem_stats_t dense = kstats();
  ct_set_context("heap bytes for 1024 dense pages");
  EXPECT_LE(dense.heap_bytes - two.heap_bytes, 16 * 1024u);
  ct_set_context("free bytes for 1024 dense pages");
  EXPECT_GE(two.free_bytes - dense.free_bytes, 1024 * PAGE);
  // 64 pages 1 GiB apart (clear of the pages above): up to three nodes
  // each, still in proportion.
  for (uint64_t i = 0; i < 64; i++) {
    put(vmo, i * GIB + 8 * 1024 * 1024);
  }
  mica_info_kmem_stats_t sparse = kstats();
  ct_set_context("heap bytes for 64 sparse pages");
  EXPECT_LE(sparse.heap_bytes - dense.heap_bytes, 64 * 3 * 1024u);
  mica_info_vmo_t info;
  ASSERT_OK(mica_object_get_info(vmo, MICA_INFO_VMO, &info, sizeof(info), NULL, NULL));
  EXPECT_EQ(info.committed_bytes, (2 + 1024 + 64) * PAGE);
  EXPECT_OK(mica_handle_close(vmo));
  mica_info_kmem_stats_t after = kstats();
  ct_set_context("kernel memory back to its baseline");
  EXPECT_EQ(after.heap_bytes, before.heap_bytes);
  EXPECT_EQ(available(&after), available(&before));
  ct_set_context(NULL);
}

// Children of a large sparse VMO cost what they share, and shrinking gives
// the bookkeeping back.
TEST(vmo_cost, children_and_resize_follow_commits) {
  mica_handle_t warm = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(PAGE, MICA_VMO_RESIZABLE, &warm));
  mica_handle_t warm_child = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create_child(warm, MICA_VMO_CHILD_COPY_ON_WRITE, 0, PAGE, &warm_child));
  EXPECT_OK(mica_handle_close(warm_child));
  EXPECT_OK(mica_handle_close(warm));
  mica_info_kmem_stats_t before = kstats();
  mica_handle_t parent = MICA_HANDLE_INVALID, child = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(LARGEST, MICA_VMO_RESIZABLE, &parent));
  put(parent, 3 * GIB);
  put(parent, 60 * GIB);
  ASSERT_OK(mica_vmo_create_child(parent, MICA_VMO_CHILD_COPY_ON_WRITE | MICA_VMO_CHILD_RESIZABLE,
                                  0, LARGEST, &child));
  mica_info_vmo_t info;
  ASSERT_OK(mica_object_get_info(child, MICA_INFO_VMO, &info, sizeof(info), NULL, NULL));
  EXPECT_EQ(info.committed_bytes, 2 * PAGE);
  mica_info_kmem_stats_t shared = kstats();
  ct_set_context("heap bytes for two 64 GiB VMOs sharing 2 pages");
  EXPECT_LE(shared.heap_bytes - before.heap_bytes, 24 * 1024u);
  // The child's copy is its own; the parent keeps its byte.
  uint8_t b = 0x77, got = 0;
  EXPECT_OK(mica_vmo_write(child, &b, 60 * GIB, 1));
  EXPECT_OK(mica_vmo_read(parent, &got, 60 * GIB, 1));
  EXPECT_EQ(got, 0x5a);
  // Shrinking both under the second page frees it and its nodes.
  EXPECT_OK(mica_vmo_set_size(child, 4 * GIB));
  EXPECT_OK(mica_vmo_set_size(parent, 4 * GIB));
  ASSERT_OK(mica_object_get_info(parent, MICA_INFO_VMO, &info, sizeof(info), NULL, NULL));
  EXPECT_EQ(info.committed_bytes, PAGE);
  EXPECT_OK(mica_vmo_set_size(parent, LARGEST));  // growing commits nothing
  EXPECT_OK(mica_vmo_read(parent, &got, 60 * GIB, 1));
  EXPECT_EQ(got, 0);
  EXPECT_OK(mica_handle_close(child));
  EXPECT_OK(mica_handle_close(parent));
  mica_info_kmem_stats_t after = kstats();
  ct_set_context("kernel memory back to its baseline");
  EXPECT_EQ(after.heap_bytes, before.heap_bytes);
  EXPECT_EQ(available(&after), available(&before));
  ct_set_context(NULL);
}
