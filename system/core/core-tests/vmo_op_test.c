// vmo_op_range's cache maintenance (docs/syscalls.md, "vmo_op_range"): every
// operation on anonymous, contiguous and physical VMOs, the rights each
// needs, ranges and their overflow, uncommitted pages left uncommitted,
// and a DMA-like round trip on a contiguous VMO. QEMU executes the cache
// instructions architecturally (it models no caches), so these prove the
// checks, the walk and that no byte changes; the Pi 4 is where a device
// would see the difference.
#include <mica/rt/runtime.h>
#include <stdint.h>
#include <string.h>

#include "system/core/core-tests/dt.h"
#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define PAGE ((uint64_t)MICA_PAGE_SIZE)
#define RW (MICA_VM_PERM_READ | MICA_VM_PERM_WRITE)

static const uint32_t kOps[] = {MICA_VMO_OP_CACHE_CLEAN, MICA_VMO_OP_CACHE_INVALIDATE,
                                MICA_VMO_OP_CACHE_CLEAN_INVALIDATE, MICA_VMO_OP_CACHE_SYNC};
#define NUM_OPS (sizeof(kOps) / sizeof(kOps[0]))
static const char* const kOpNames[] = {"clean", "invalidate", "clean-invalidate", "sync"};

static mica_info_vmo_t info(mica_handle_t vmo) {
  mica_info_vmo_t i;
  memset(&i, 0, sizeof(i));
  mica_status_t s = mica_object_get_info(vmo, MICA_INFO_VMO, &i, sizeof(i), NULL, NULL);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_object_get_info", s);
  }
  return i;
}

static mica_handle_t contiguous(uint64_t size) {
  mica_handle_t v = MICA_HANDLE_INVALID;
  mica_status_t s = mica_vmo_create_contiguous(mica_rt_root_resource(), size, 0, &v);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_vmo_create_contiguous", s);
  }
  return v;
}

// Every op over whole, partial, unaligned and empty ranges; the bytes stay.
static void every_op_keeps_the_bytes(mica_handle_t vmo, uint64_t size) {
  uint8_t before[256], after[256];
  ct_fill(before, sizeof(before), 7);
  EXPECT_OK(mica_vmo_write(vmo, before, size - sizeof(before), sizeof(before)));
  for (size_t i = 0; i < NUM_OPS; i++) {
    ct_set_context(kOpNames[i]);
    EXPECT_OK(mica_vmo_op_range(vmo, kOps[i], 0, size));
    EXPECT_OK(mica_vmo_op_range(vmo, kOps[i], 3, size - 70));
    EXPECT_OK(mica_vmo_op_range(vmo, kOps[i], size - 1, 1));
    EXPECT_OK(mica_vmo_op_range(vmo, kOps[i], size, 0));
    EXPECT_OK(mica_vmo_op_range(vmo, kOps[i], 0, 0));
    memset(after, 0, sizeof(after));
    EXPECT_OK(mica_vmo_read(vmo, after, size - sizeof(after), sizeof(after)));
    EXPECT_EQ(memcmp(before, after, sizeof(after)), 0);
  }
  ct_set_context(NULL);
}

TEST(vmo_op_range, every_op_on_an_anonymous_vmo) {
  CT_AUTO_CLOSE mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(8 * PAGE, 0, &vmo));
  every_op_keeps_the_bytes(vmo, 8 * PAGE);
}

TEST(vmo_op_range, every_op_on_a_contiguous_vmo) {
  CT_AUTO_CLOSE mica_handle_t vmo = contiguous(4 * PAGE);
  ASSERT_NE(vmo, MICA_HANDLE_INVALID);
  every_op_keeps_the_bytes(vmo, 4 * PAGE);
}

TEST(vmo_op_range, every_op_on_a_physical_vmo) {
  uint64_t base, size;
  ASSERT_TRUE(ct_dt_gic_distributor(&base, &size));
  CT_AUTO_CLOSE mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create_physical(mica_rt_root_resource(), base, PAGE, &vmo));
  for (size_t i = 0; i < NUM_OPS; i++) {
    ct_set_context(kOpNames[i]);
    EXPECT_OK(mica_vmo_op_range(vmo, kOps[i], 0, PAGE));
    EXPECT_OK(mica_vmo_op_range(vmo, kOps[i], 12, 100));
    EXPECT_STATUS(mica_vmo_op_range(vmo, kOps[i], 0, PAGE + 1), MICA_ERR_OUT_OF_RANGE);
  }
  ct_set_context(NULL);
  // The registers still read as the GIC's (GICD_TYPER, as vmo_hw_test).
  mica_vaddr_t addr = 0;
  ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ, 0, vmo, 0, PAGE, &addr));
  uint32_t typer = *(volatile uint32_t*)(addr + 4);
  EXPECT_GE(((typer & 0x1f) + 1) * 32, 64u);
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), addr, PAGE));
}

TEST(vmo_op_range, unknown_ops_are_invalid) {
  CT_AUTO_CLOSE mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(PAGE, 0, &vmo));
  const uint32_t bad[] = {0, 1, 3, 4, 5, 10, 0x80000000u, UINT32_MAX};  // 2 is DECOMMIT
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    EXPECT_STATUS(mica_vmo_op_range(vmo, bad[i], 0, PAGE), MICA_ERR_INVALID_ARGS);
  }
}

TEST(vmo_op_range, clean_needs_read_invalidate_needs_write) {
  CT_AUTO_CLOSE mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(PAGE, 0, &vmo));
  const mica_rights_t base = MICA_RIGHT_DUPLICATE | MICA_RIGHT_TRANSFER;
  CT_AUTO_CLOSE mica_handle_t ro = ct_dup(vmo, base | MICA_RIGHT_READ);
  CT_AUTO_CLOSE mica_handle_t wo = ct_dup(vmo, base | MICA_RIGHT_WRITE);
  CT_AUTO_CLOSE mica_handle_t none = ct_dup(vmo, base);
  ASSERT_NE(ro, MICA_HANDLE_INVALID);
  ASSERT_NE(wo, MICA_HANDLE_INVALID);
  ASSERT_NE(none, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_vmo_op_range(ro, MICA_VMO_OP_CACHE_CLEAN, 0, PAGE));
  EXPECT_OK(mica_vmo_op_range(ro, MICA_VMO_OP_CACHE_SYNC, 0, PAGE));
  EXPECT_STATUS(mica_vmo_op_range(ro, MICA_VMO_OP_CACHE_INVALIDATE, 0, PAGE),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_vmo_op_range(ro, MICA_VMO_OP_CACHE_CLEAN_INVALIDATE, 0, PAGE),
                MICA_ERR_ACCESS_DENIED);
  for (size_t i = 0; i < NUM_OPS; i++) {
    ct_set_context(kOpNames[i]);
    EXPECT_STATUS(mica_vmo_op_range(wo, kOps[i], 0, PAGE), MICA_ERR_ACCESS_DENIED);
    EXPECT_STATUS(mica_vmo_op_range(none, kOps[i], 0, PAGE), MICA_ERR_ACCESS_DENIED);
    EXPECT_OK(mica_vmo_op_range(vmo, kOps[i], 0, PAGE));
  }
  ct_set_context(NULL);
  CT_AUTO_CLOSE mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_vmo_op_range(ev, MICA_VMO_OP_CACHE_CLEAN, 0, 1), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_vmo_op_range(MICA_HANDLE_INVALID, MICA_VMO_OP_CACHE_CLEAN, 0, 1),
                MICA_ERR_BAD_HANDLE);
}

TEST(vmo_op_range, ranges_past_the_end_or_overflowing_are_out_of_range) {
  CT_AUTO_CLOSE mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(2 * PAGE, 0, &vmo));
  const uint64_t bad[][2] = {{0, 2 * PAGE + 1},
                             {2 * PAGE, 1},
                             {2 * PAGE + 1, 0},
                             {UINT64_MAX, 0},
                             {UINT64_MAX, 2},
                             {1, UINT64_MAX},
                             {PAGE, UINT64_MAX - PAGE + 1}};
  for (size_t i = 0; i < NUM_OPS; i++) {
    ct_set_context(kOpNames[i]);
    for (size_t j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
      EXPECT_STATUS(mica_vmo_op_range(vmo, kOps[i], bad[j][0], bad[j][1]), MICA_ERR_OUT_OF_RANGE);
    }
  }
  ct_set_context(NULL);
}

TEST(vmo_op_range, uncommitted_pages_are_skipped_not_committed) {
  // The largest VMO, two pages committed far apart: the walk skips the
  // rest (one call over 64 GiB returns at once) and commits nothing.
  CT_AUTO_CLOSE mica_handle_t vmo = MICA_HANDLE_INVALID;
  const uint64_t size = 64ull << 30;
  ASSERT_OK(mica_vmo_create(size, 0, &vmo));
  EXPECT_OK(mica_vmo_write(vmo, "a", 5 * PAGE, 1));
  EXPECT_OK(mica_vmo_write(vmo, "b", size - PAGE, 1));
  EXPECT_EQ(info(vmo).committed_bytes, 2 * PAGE);
  mica_time_t start = ct_now();
  for (size_t i = 0; i < NUM_OPS; i++) {
    ct_set_context(kOpNames[i]);
    EXPECT_OK(mica_vmo_op_range(vmo, kOps[i], 0, size));
    EXPECT_OK(mica_vmo_op_range(vmo, kOps[i], 6 * PAGE, size - 7 * PAGE));
  }
  ct_set_context(NULL);
  EXPECT_LT(ct_now() - start, (mica_time_t)2000000000);
  EXPECT_EQ(info(vmo).committed_bytes, 2 * PAGE);
  char c = 0;
  EXPECT_OK(mica_vmo_read(vmo, &c, size - PAGE, 1));
  EXPECT_EQ(c, 'b');
}

TEST(vmo_op_range, dma_round_trip_on_a_contiguous_vmo) {
  // What a driver does around a device's DMA: the CPU fills the buffer
  // through its mapping, cleans it (the device would read memory now),
  // then invalidates it (the device would have written) and reads. The
  // CPU's own writes survive the invalidate: it never discards dirty lines.
  const uint64_t size = 3 * PAGE;
  CT_AUTO_CLOSE mica_handle_t vmo = contiguous(size);
  ASSERT_NE(vmo, MICA_HANDLE_INVALID);
  EXPECT_NE(info(vmo).paddr, 0u);
  mica_vaddr_t addr = 0;
  ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), RW, 0, vmo, 0, size, &addr));
  ct_fill((void*)addr, size, 42);
  EXPECT_OK(mica_vmo_op_range(vmo, MICA_VMO_OP_CACHE_CLEAN, 0, size));
  static uint8_t back[3 * MICA_PAGE_SIZE];
  memset(back, 0, sizeof(back));
  EXPECT_OK(mica_vmo_read(vmo, back, 0, size));
  EXPECT_TRUE(ct_check_fill(back, size, 42));
  // A write through vmo_write (the kernel's mapping), seen by the user mapping
  // after an invalidate of just that range.
  uint8_t patch[100];
  ct_fill(patch, sizeof(patch), 9);
  EXPECT_OK(mica_vmo_write(vmo, patch, PAGE + 17, sizeof(patch)));
  EXPECT_OK(mica_vmo_op_range(vmo, MICA_VMO_OP_CACHE_INVALIDATE, PAGE + 17, sizeof(patch)));
  EXPECT_EQ(memcmp((const void*)(addr + PAGE + 17), patch, sizeof(patch)), 0);
  ct_fill((void*)addr, PAGE, 43);
  EXPECT_OK(mica_vmo_op_range(vmo, MICA_VMO_OP_CACHE_CLEAN_INVALIDATE, 0, size));
  EXPECT_OK(mica_vmo_read(vmo, back, 0, PAGE));
  EXPECT_TRUE(ct_check_fill(back, PAGE, 43));
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), addr, size));
}

TEST(vmo_op_range, uncached_contiguous_vmo_round_trip) {
  // A DMA buffer mapped uncached (vmo_set_cache_policy before any mapping):
  // maintenance is still allowed, and the kernel's reads see the writes.
  const uint64_t size = PAGE;
  CT_AUTO_CLOSE mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(size, 0, &vmo));
  ASSERT_OK(mica_vmo_set_cache_policy(vmo, MICA_CACHE_POLICY_UNCACHED));
  mica_vaddr_t addr = 0;
  ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), RW, 0, vmo, 0, size, &addr));
  ct_fill((void*)addr, size, 5);
  for (size_t i = 0; i < NUM_OPS; i++) {
    EXPECT_OK(mica_vmo_op_range(vmo, kOps[i], 0, size));
  }
  static uint8_t back[MICA_PAGE_SIZE];
  EXPECT_OK(mica_vmo_read(vmo, back, 0, size));
  EXPECT_TRUE(ct_check_fill(back, size, 5));
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), addr, size));
}
