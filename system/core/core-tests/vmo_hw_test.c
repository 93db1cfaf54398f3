// vmo_create_physical, vmo_create_contiguous and vmo_set_cache_policy
// (docs/syscalls.md, "Virtual memory objects").
#include <mica/rt/runtime.h>
#include <string.h>

#include "system/core/core-tests/dt.h"
#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define PAGE ((uint64_t)MICA_PAGE_SIZE)
#define RW (MICA_VM_PERM_READ | MICA_VM_PERM_WRITE)

// The GIC distributor: device memory every machine has.
static bool gic(uint64_t* base, uint64_t* size) {
  if (!ct_dt_gic_distributor(base, size)) {
    return false;
  }
  *size = (*size + PAGE - 1) & ~(PAGE - 1);
  return true;
}

static mica_handle_t resource(uint32_t kind, uint64_t base, uint64_t size) {
  mica_handle_t out = MICA_HANDLE_INVALID;
  if (mica_resource_create(mica_rt_root_resource(), kind, base, size, "t", 1, &out) != MICA_OK) {
    return MICA_HANDLE_INVALID;
  }
  return out;
}

TEST(vmo_physical, maps_device_registers) {
  uint64_t base, size;
  ASSERT_TRUE(gic(&base, &size));
  mica_handle_t mmio = resource(MICA_RSRC_KIND_MMIO, base, size);
  ASSERT_NE(mmio, MICA_HANDLE_INVALID);
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create_physical(mmio, base, PAGE, &vmo));
  mica_info_handle_basic_t b = ct_basic(vmo);
  EXPECT_EQ(b.type, MICA_OBJ_TYPE_VMO);
  EXPECT_EQ(b.rights, MICA_DEFAULT_VMO_RIGHTS & ~MICA_RIGHT_EXECUTE);
  uint64_t vmo_size = 0;
  EXPECT_OK(mica_vmo_get_size(vmo, &vmo_size));
  EXPECT_EQ(vmo_size, PAGE);
  mica_vaddr_t addr = 0;
  ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ, 0, vmo, 0, PAGE, &addr));
  // GICD_TYPER.ITLinesNumber: (N + 1) * 32 lines, at least the 32 private ones and some SPIs.
  uint32_t typer = *(volatile uint32_t*)(addr + 4);
  EXPECT_GE(((typer & 0x1f) + 1) * 32, 64u);
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), addr, PAGE));
  EXPECT_OK(mica_handle_close(vmo));
  // The root resource covers it too.
  ASSERT_OK(mica_vmo_create_physical(mica_rt_root_resource(), base, size, &vmo));
  EXPECT_OK(mica_handle_close(vmo));
  EXPECT_OK(mica_handle_close(mmio));
}

TEST(vmo_physical, unaligned_or_empty_is_invalid) {
  uint64_t base, size;
  ASSERT_TRUE(gic(&base, &size));
  mica_handle_t root = mica_rt_root_resource();
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_vmo_create_physical(root, base + 16, PAGE, &vmo), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmo_create_physical(root, base, PAGE - 1, &vmo), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmo_create_physical(root, base, 0, &vmo), MICA_ERR_INVALID_ARGS);
}

TEST(vmo_physical, overflow_is_out_of_range) {
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  EXPECT_STATUS(
      mica_vmo_create_physical(mica_rt_root_resource(), UINT64_MAX - PAGE + 1, 2 * PAGE, &vmo),
      MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_vmo_create_physical(mica_rt_root_resource(), (uint64_t)1 << 40,
                                         ((uint64_t)64 << 30) + PAGE, &vmo),
                MICA_ERR_OUT_OF_RANGE);
}

TEST(vmo_physical, outside_the_resource_is_denied) {
  uint64_t base, size;
  ASSERT_TRUE(gic(&base, &size));
  mica_handle_t mmio = resource(MICA_RSRC_KIND_MMIO, base, PAGE);
  mica_handle_t irq = resource(MICA_RSRC_KIND_IRQ, 32, 1);
  ASSERT_NE(mmio, MICA_HANDLE_INVALID);
  ASSERT_NE(irq, MICA_HANDLE_INVALID);
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_vmo_create_physical(mmio, base, 2 * PAGE, &vmo), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_vmo_create_physical(mmio, base + PAGE, PAGE, &vmo), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_vmo_create_physical(irq, base, PAGE, &vmo), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(mmio));
  EXPECT_OK(mica_handle_close(irq));
}

TEST(vmo_physical, ram_is_refused) {
  uint64_t base, size;
  ASSERT_TRUE(ct_dt_first_ram(&base, &size));
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_vmo_create_physical(mica_rt_root_resource(), base & ~(PAGE - 1), PAGE, &vmo),
                MICA_ERR_ACCESS_DENIED);
  uint64_t mid = (base + size / 2) & ~(PAGE - 1);
  EXPECT_STATUS(mica_vmo_create_physical(mica_rt_root_resource(), mid, 4 * PAGE, &vmo),
                MICA_ERR_ACCESS_DENIED);
}

TEST(vmo_physical, handle_errors) {
  uint64_t base, size;
  ASSERT_TRUE(gic(&base, &size));
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_vmo_create_physical(MICA_HANDLE_INVALID, base, PAGE, &vmo),
                MICA_ERR_BAD_HANDLE);
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_vmo_create_physical(ev, base, PAGE, &vmo), MICA_ERR_WRONG_TYPE);
  EXPECT_OK(mica_handle_close(ev));
  mica_handle_t weak = ct_dup(mica_rt_root_resource(), MICA_RIGHT_DUPLICATE | MICA_RIGHT_INSPECT);
  EXPECT_STATUS(mica_vmo_create_physical(weak, base, PAGE, &vmo), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(weak));
  for (int i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_vmo_create_physical(mica_rt_root_resource(), base, PAGE,
                                           (mica_handle_t*)ct_bad_ptrs[i].addr),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
}

TEST(vmo_physical, no_read_write_resize_or_execute) {
  uint64_t base, size;
  ASSERT_TRUE(gic(&base, &size));
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create_physical(mica_rt_root_resource(), base, PAGE, &vmo));
  uint32_t word = 0;
  EXPECT_STATUS(mica_vmo_read(vmo, &word, 0, sizeof(word)), MICA_ERR_NOT_SUPPORTED);
  EXPECT_STATUS(mica_vmo_write(vmo, &word, 0, sizeof(word)), MICA_ERR_NOT_SUPPORTED);
  EXPECT_STATUS(mica_vmo_set_size(vmo, 2 * PAGE), MICA_ERR_NOT_SUPPORTED);
  mica_vaddr_t addr = 0;
  EXPECT_STATUS(mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_EXECUTE, 0, vmo,
                              0, PAGE, &addr),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(vmo));
}

TEST(vmo_contiguous, committed_zeroed_and_usable) {
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create_contiguous(mica_rt_root_resource(), 3 * PAGE - 100, 0, &vmo));
  EXPECT_EQ(ct_basic(vmo).rights, MICA_DEFAULT_VMO_RIGHTS);
  uint64_t size = 0;
  EXPECT_OK(mica_vmo_get_size(vmo, &size));
  EXPECT_EQ(size, 3 * PAGE);
  uint8_t buf[64];
  memset(buf, 0xaa, sizeof(buf));
  EXPECT_OK(mica_vmo_read(vmo, buf, 2 * PAGE + 8, sizeof(buf)));
  bool zero = true;
  for (size_t i = 0; i < sizeof(buf); i++) {
    zero = zero && buf[i] == 0;
  }
  EXPECT_TRUE(zero);
  mica_vaddr_t addr = 0;
  ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), RW, 0, vmo, 0, 3 * PAGE, &addr));
  ct_fill((void*)(addr + PAGE), 128, 7);
  EXPECT_OK(mica_vmo_read(vmo, buf, PAGE, sizeof(buf)));
  EXPECT_TRUE(ct_check_fill(buf, sizeof(buf), 7));
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), addr, 3 * PAGE));
  EXPECT_OK(mica_handle_close(vmo));
}

TEST(vmo_contiguous, aligned_and_mmio_resource) {
  uint64_t base, size;
  ASSERT_TRUE(gic(&base, &size));
  mica_handle_t mmio = resource(MICA_RSRC_KIND_MMIO, base, 2 * PAGE);
  ASSERT_NE(mmio, MICA_HANDLE_INVALID);
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create_contiguous(mmio, 2 * PAGE, 16, &vmo));
  EXPECT_OK(mica_handle_close(vmo));
  ASSERT_OK(mica_vmo_create_contiguous(mmio, PAGE, 12, &vmo));
  EXPECT_OK(mica_handle_close(vmo));
  EXPECT_OK(mica_handle_close(mmio));
}

// An MMIO resource allows a contiguous VMO no larger than its own range
// (rounded up to pages); the root resource any size the RAM allows.
TEST(vmo_contiguous, bounded_by_the_mmio_resource) {
  uint64_t base, size;
  ASSERT_TRUE(gic(&base, &size));
  mica_handle_t one = resource(MICA_RSRC_KIND_MMIO, base, PAGE);
  mica_handle_t two = resource(MICA_RSRC_KIND_MMIO, base, 2 * PAGE);
  ASSERT_NE(one, MICA_HANDLE_INVALID);
  ASSERT_NE(two, MICA_HANDLE_INVALID);
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create_contiguous(one, PAGE, 0, &vmo));
  EXPECT_OK(mica_handle_close(vmo));
  ASSERT_OK(mica_vmo_create_contiguous(one, PAGE - 100, 0, &vmo));  // one page, rounded
  EXPECT_OK(mica_handle_close(vmo));
  EXPECT_STATUS(mica_vmo_create_contiguous(one, PAGE + 1, 0, &vmo), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_vmo_create_contiguous(one, 2 * PAGE, 0, &vmo), MICA_ERR_ACCESS_DENIED);
  ASSERT_OK(mica_vmo_create_contiguous(two, 2 * PAGE, 0, &vmo));
  EXPECT_OK(mica_handle_close(vmo));
  EXPECT_STATUS(mica_vmo_create_contiguous(two, 3 * PAGE, 0, &vmo), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_vmo_create_contiguous(two, (uint64_t)1 << 30, 0, &vmo),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_vmo_create_contiguous(two, ~(uint64_t)0, 0, &vmo), MICA_ERR_ACCESS_DENIED);
  // The bound comes from the resource's range, whatever the call's other
  // arguments: size 0 is still refused as such.
  EXPECT_STATUS(mica_vmo_create_contiguous(two, 0, 0, &vmo), MICA_ERR_INVALID_ARGS);
  // The root resource: more than any MMIO resource here allows.
  ASSERT_OK(mica_vmo_create_contiguous(mica_rt_root_resource(), 16 * PAGE, 0, &vmo));
  EXPECT_OK(mica_handle_close(vmo));
  EXPECT_OK(mica_handle_close(one));
  EXPECT_OK(mica_handle_close(two));
}

TEST(vmo_contiguous, argument_errors) {
  mica_handle_t root = mica_rt_root_resource();
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_vmo_create_contiguous(root, 0, 0, &vmo), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmo_create_contiguous(root, PAGE, 11, &vmo), MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_vmo_create_contiguous(root, PAGE, 1, &vmo), MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_vmo_create_contiguous(root, PAGE, 31, &vmo), MICA_ERR_OUT_OF_RANGE);
  // More than any machine it runs on has.
  EXPECT_STATUS(mica_vmo_create_contiguous(root, (uint64_t)1 << 40, 0, &vmo), MICA_ERR_NO_MEMORY);
  mica_handle_t irq = resource(MICA_RSRC_KIND_IRQ, 32, 1);
  EXPECT_STATUS(mica_vmo_create_contiguous(irq, PAGE, 0, &vmo), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(irq));
  mica_handle_t weak = ct_dup(root, MICA_RIGHT_DUPLICATE | MICA_RIGHT_INSPECT);
  EXPECT_STATUS(mica_vmo_create_contiguous(weak, PAGE, 0, &vmo), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(weak));
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_vmo_create_contiguous(ev, PAGE, 0, &vmo), MICA_ERR_WRONG_TYPE);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_STATUS(mica_vmo_create_contiguous(MICA_HANDLE_INVALID, PAGE, 0, &vmo),
                MICA_ERR_BAD_HANDLE);
}

TEST(vmo_contiguous, cannot_be_resized) {
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create_contiguous(mica_rt_root_resource(), PAGE, 0, &vmo));
  EXPECT_STATUS(mica_vmo_set_size(vmo, 2 * PAGE), MICA_ERR_NOT_SUPPORTED);
  EXPECT_OK(mica_handle_close(vmo));
}

TEST(vmo_cache_policy, every_policy_on_a_fresh_vmo) {
  static const uint32_t kPolicies[] = {MICA_CACHE_POLICY_CACHED, MICA_CACHE_POLICY_UNCACHED,
                                       MICA_CACHE_POLICY_UNCACHED_DEVICE,
                                       MICA_CACHE_POLICY_WRITE_COMBINING};
  for (size_t i = 0; i < sizeof(kPolicies) / sizeof(kPolicies[0]); i++) {
    mica_handle_t vmo = MICA_HANDLE_INVALID;
    ASSERT_OK(mica_vmo_create(PAGE, 0, &vmo));
    EXPECT_OK(mica_vmo_set_cache_policy(vmo, kPolicies[i]));
    EXPECT_OK(mica_vmo_set_cache_policy(vmo, kPolicies[i]));  // again: still nothing committed
    EXPECT_OK(mica_handle_close(vmo));
  }
}

TEST(vmo_cache_policy, uncached_memory_works) {
  static const uint32_t kPolicies[] = {MICA_CACHE_POLICY_UNCACHED,
                                       MICA_CACHE_POLICY_WRITE_COMBINING};
  for (size_t i = 0; i < 2; i++) {
    mica_handle_t vmo = MICA_HANDLE_INVALID;
    ASSERT_OK(mica_vmo_create(2 * PAGE, 0, &vmo));
    ASSERT_OK(mica_vmo_set_cache_policy(vmo, kPolicies[i]));
    mica_vaddr_t addr = 0;
    ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), RW, 0, vmo, 0, 2 * PAGE, &addr));
    ct_fill((void*)addr, 2 * PAGE, 11);
    EXPECT_TRUE(ct_check_fill((void*)addr, 2 * PAGE, 11));
    EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), addr, 2 * PAGE));
    EXPECT_OK(mica_handle_close(vmo));
  }
}

TEST(vmo_cache_policy, contiguous_uncached_round_trip) {
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create_contiguous(mica_rt_root_resource(), PAGE, 0, &vmo));
  uint8_t in[256], out[256];
  ct_fill(in, sizeof(in), 3);
  ASSERT_OK(mica_vmo_write(vmo, in, 0, sizeof(in)));
  // Contiguous memory is committed from the start but may change policy.
  ASSERT_OK(mica_vmo_set_cache_policy(vmo, MICA_CACHE_POLICY_UNCACHED));
  mica_vaddr_t addr = 0;
  ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), RW, 0, vmo, 0, PAGE, &addr));
  EXPECT_EQ(memcmp((const void*)addr, in, sizeof(in)), 0);  // written before: reached memory
  ct_fill((void*)(addr + 1024), sizeof(in), 4);
  EXPECT_OK(mica_vmo_read(vmo, out, 1024, sizeof(out)));
  EXPECT_TRUE(ct_check_fill(out, sizeof(out), 4));
  ct_fill(in, sizeof(in), 5);
  EXPECT_OK(mica_vmo_write(vmo, in, 2048, sizeof(in)));
  EXPECT_EQ(memcmp((const void*)(addr + 2048), in, sizeof(in)), 0);
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), addr, PAGE));
  EXPECT_OK(mica_handle_close(vmo));
}

TEST(vmo_cache_policy, unknown_policy_is_invalid) {
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(PAGE, 0, &vmo));
  EXPECT_STATUS(mica_vmo_set_cache_policy(vmo, 4), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmo_set_cache_policy(vmo, UINT32_MAX), MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_handle_close(vmo));
}

TEST(vmo_cache_policy, committed_or_mapped_is_bad_state) {
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(2 * PAGE, 0, &vmo));
  mica_vaddr_t addr = 0;
  ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), RW, 0, vmo, 0, 2 * PAGE, &addr));
  EXPECT_STATUS(mica_vmo_set_cache_policy(vmo, MICA_CACHE_POLICY_UNCACHED), MICA_ERR_BAD_STATE);
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), addr, 2 * PAGE));
  EXPECT_OK(mica_vmo_set_cache_policy(vmo, MICA_CACHE_POLICY_UNCACHED));  // nothing committed
  EXPECT_OK(mica_vmo_write(vmo, "x", PAGE, 1));
  EXPECT_STATUS(mica_vmo_set_cache_policy(vmo, MICA_CACHE_POLICY_CACHED), MICA_ERR_BAD_STATE);
  EXPECT_OK(mica_handle_close(vmo));
  // A physical VMO: only while unmapped.
  uint64_t base, size;
  ASSERT_TRUE(gic(&base, &size));
  ASSERT_OK(mica_vmo_create_physical(mica_rt_root_resource(), base, PAGE, &vmo));
  ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ, 0, vmo, 0, PAGE, &addr));
  EXPECT_STATUS(mica_vmo_set_cache_policy(vmo, MICA_CACHE_POLICY_UNCACHED), MICA_ERR_BAD_STATE);
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), addr, PAGE));
  EXPECT_OK(mica_vmo_set_cache_policy(vmo, MICA_CACHE_POLICY_UNCACHED_DEVICE));
  EXPECT_OK(mica_handle_close(vmo));
}

TEST(vmo_cache_policy, needs_the_map_right) {
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(PAGE, 0, &vmo));
  mica_handle_t weak = ct_dup(vmo, MICA_DEFAULT_VMO_RIGHTS & ~MICA_RIGHT_MAP);
  EXPECT_STATUS(mica_vmo_set_cache_policy(weak, MICA_CACHE_POLICY_UNCACHED),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_vmo_set_cache_policy(MICA_HANDLE_INVALID, MICA_CACHE_POLICY_UNCACHED),
                MICA_ERR_BAD_HANDLE);
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_vmo_set_cache_policy(ev, MICA_CACHE_POLICY_UNCACHED), MICA_ERR_WRONG_TYPE);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_OK(mica_handle_close(vmo));
}
