// Sub-VMARs (vmar_allocate) and mappings inside them (docs/syscalls.md,
// "VMARs"); vmar_protect_test.c has unmap, protect, destroy and get_info.
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"
#include "system/core/core-tests/vm_util.h"

// ---- vmar_allocate ---------------------------------------------------------

TEST(vmar_allocate, basic) {
  mica_vaddr_t addr = 0;
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_RW, 0, 16 * PAGE, &addr);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  EXPECT_EQ(addr % PAGE, 0);
  EXPECT_NE(addr, 0);
  EXPECT_EQ(ct_basic(v).type, MICA_OBJ_TYPE_VMAR);
  EXPECT_EQ(ct_basic(v).rights,
            (MICA_DEFAULT_VMAR_RIGHTS & ~IO_RIGHTS) | MICA_RIGHT_READ | MICA_RIGHT_WRITE);
  mica_info_vmar_t info = vmar_info(v);
  EXPECT_EQ(info.base, addr);
  EXPECT_EQ(info.len, 16 * PAGE);
  // Reserved, not mapped.
  EXPECT_FALSE(readable(addr));
  EXPECT_OK(mica_vmar_destroy(v));
  EXPECT_OK(mica_handle_close(v));
}

TEST(vmar_allocate, rights_follow_can_map) {
  mica_handle_t root = mica_rt_vmar_root();
  mica_handle_t r CT_AUTO_DESTROY = sub(root, MICA_VM_CAN_MAP_READ, 0, PAGE, NULL);
  mica_handle_t x CT_AUTO_DESTROY =
      sub(root, MICA_VM_CAN_MAP_READ | MICA_VM_CAN_MAP_EXECUTE, 0, PAGE, NULL);
  mica_handle_t none CT_AUTO_DESTROY = sub(root, 0, 0, PAGE, NULL);
  ASSERT_NE(r, MICA_HANDLE_INVALID);
  ASSERT_NE(x, MICA_HANDLE_INVALID);
  ASSERT_NE(none, MICA_HANDLE_INVALID);
  EXPECT_EQ(ct_basic(r).rights & IO_RIGHTS, MICA_RIGHT_READ);
  EXPECT_EQ(ct_basic(x).rights & IO_RIGHTS, MICA_RIGHT_READ | MICA_RIGHT_EXECUTE);
  EXPECT_EQ(ct_basic(none).rights & IO_RIGHTS, 0);
  EXPECT_EQ(ct_basic(none).rights & MICA_RIGHT_DESTROY, MICA_RIGHT_DESTROY);
  mica_handle_t all[3] = {r, x, none};
  for (int i = 0; i < 3; i++) {
    EXPECT_OK(mica_vmar_destroy(all[i]));
  }
  EXPECT_OK(mica_handle_close_many(all, 3));
}

TEST(vmar_allocate, invalid_args) {
  mica_handle_t root = mica_rt_vmar_root();
  mica_handle_t h = 0x5a5a;
  mica_vaddr_t a = 0x5a5a;
  EXPECT_STATUS(mica_vmar_allocate(root, CAN_RW, 0, 0, &h, &a), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmar_allocate(root, CAN_RW, 0, PAGE + 1, &h, &a), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmar_allocate(root, CAN_RW, 0, 100, &h, &a), MICA_ERR_INVALID_ARGS);
  uint32_t bad[4] = {MICA_VM_PERM_READ, MICA_VM_SPECIFIC_OVERWRITE, MICA_VM_MAP_RANGE, 1u << 20};
  for (int i = 0; i < 4; i++) {
    EXPECT_STATUS(mica_vmar_allocate(root, CAN_RW | bad[i], 0, PAGE, &h, &a),
                  MICA_ERR_INVALID_ARGS);
  }
  EXPECT_STATUS(mica_vmar_allocate(root, CAN_RW | MICA_VM_SPECIFIC, 1 << 30 | 12, PAGE, &h, &a),
                MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(h, 0x5a5a);
  EXPECT_EQ(a, 0x5a5a);
}

TEST(vmar_allocate, access_denied) {
  mica_handle_t root = mica_rt_vmar_root();
  mica_handle_t h;
  mica_vaddr_t a;
  // CAN_MAP_* needs the matching right on the parent handle.
  mica_handle_t ro = ct_dup(root, MICA_DEFAULT_VMAR_RIGHTS & ~MICA_RIGHT_WRITE);
  EXPECT_STATUS(mica_vmar_allocate(ro, CAN_RW, 0, PAGE, &h, &a), MICA_ERR_ACCESS_DENIED);
  mica_handle_t nx = ct_dup(root, MICA_DEFAULT_VMAR_RIGHTS & ~MICA_RIGHT_EXECUTE);
  EXPECT_STATUS(mica_vmar_allocate(nx, MICA_VM_CAN_MAP_EXECUTE, 0, PAGE, &h, &a),
                MICA_ERR_ACCESS_DENIED);
  // A region without CAN_MAP_WRITE cannot give it to a child.
  mica_handle_t r CT_AUTO_DESTROY = sub(root, MICA_VM_CAN_MAP_READ, 0, 8 * PAGE, NULL);
  ASSERT_NE(r, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_vmar_allocate(r, CAN_RW, 0, PAGE, &h, &a), MICA_ERR_ACCESS_DENIED);
  // MICA_VM_SPECIFIC needs CAN_MAP_SPECIFIC on the parent.
  EXPECT_STATUS(mica_vmar_allocate(r, MICA_VM_CAN_MAP_READ | MICA_VM_SPECIFIC, 0, PAGE, &h, &a),
                MICA_ERR_ACCESS_DENIED);
  // Without SPECIFIC it works.
  mica_handle_t ok = sub(r, MICA_VM_CAN_MAP_READ, 0, PAGE, NULL);
  EXPECT_NE(ok, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_vmar_destroy(r));
  mica_handle_t all[4] = {ro, nx, r, ok};
  EXPECT_OK(mica_handle_close_many(all, 4));
}

TEST(vmar_allocate, out_of_range) {
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_ALL, 0, 8 * PAGE, NULL);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  mica_handle_t h;
  mica_vaddr_t a;
  EXPECT_STATUS(mica_vmar_allocate(v, CAN_RW | MICA_VM_SPECIFIC, 4 * PAGE, 5 * PAGE, &h, &a),
                MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_vmar_allocate(v, CAN_RW | MICA_VM_SPECIFIC, 8 * PAGE, PAGE, &h, &a),
                MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_vmar_allocate(v, CAN_RW | MICA_VM_SPECIFIC, 1ull << 62, PAGE, &h, &a),
                MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(
      mica_vmar_allocate(v, CAN_RW | MICA_VM_SPECIFIC, PAGE, UINT64_MAX & ~(PAGE - 1), &h, &a),
      MICA_ERR_OUT_OF_RANGE);
  // The last fitting range works.
  mica_handle_t last = sub(v, CAN_RW | MICA_VM_SPECIFIC, 4 * PAGE, 4 * PAGE, NULL);
  EXPECT_NE(last, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_vmar_destroy(v));
  mica_handle_t all[2] = {v, last};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

TEST(vmar_allocate, specific_and_already_exists) {
  mica_vaddr_t base = 0;
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_ALL, 0, 16 * PAGE, &base);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  mica_vaddr_t a = 0;
  mica_handle_t c = sub(v, CAN_RW | MICA_VM_SPECIFIC, 4 * PAGE, 4 * PAGE, &a);
  ASSERT_NE(c, MICA_HANDLE_INVALID);
  EXPECT_EQ(a, base + 4 * PAGE);
  mica_handle_t h;
  // Overlapping the sub-region, at either end or inside.
  EXPECT_STATUS(mica_vmar_allocate(v, CAN_RW | MICA_VM_SPECIFIC, 2 * PAGE, 3 * PAGE, &h, &a),
                MICA_ERR_ALREADY_EXISTS);
  EXPECT_STATUS(mica_vmar_allocate(v, CAN_RW | MICA_VM_SPECIFIC, 7 * PAGE, 2 * PAGE, &h, &a),
                MICA_ERR_ALREADY_EXISTS);
  EXPECT_STATUS(mica_vmar_allocate(v, CAN_RW | MICA_VM_SPECIFIC, 5 * PAGE, PAGE, &h, &a),
                MICA_ERR_ALREADY_EXISTS);
  // Overlapping a mapping.
  mica_handle_t vmo = vmo_of(PAGE);
  mica_vaddr_t m = 0;
  ASSERT_OK(mica_vmar_map(v, RW | MICA_VM_SPECIFIC, 12 * PAGE, vmo, 0, PAGE, &m));
  EXPECT_STATUS(mica_vmar_allocate(v, CAN_RW | MICA_VM_SPECIFIC, 11 * PAGE, 2 * PAGE, &h, &a),
                MICA_ERR_ALREADY_EXISTS);
  // Adjacent ranges are fine.
  mica_handle_t left = sub(v, CAN_RW | MICA_VM_SPECIFIC, 0, 4 * PAGE, NULL);
  mica_handle_t right = sub(v, CAN_RW | MICA_VM_SPECIFIC, 8 * PAGE, 4 * PAGE, NULL);
  EXPECT_NE(left, MICA_HANDLE_INVALID);
  EXPECT_NE(right, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_vmar_destroy(v));
  mica_handle_t all[5] = {v, c, vmo, left, right};
  EXPECT_OK(mica_handle_close_many(all, 5));
}

TEST(vmar_allocate, bad_state_after_destroy) {
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_ALL, 0, 8 * PAGE, NULL);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_vmar_destroy(v));
  mica_handle_t h;
  mica_vaddr_t a;
  EXPECT_STATUS(mica_vmar_allocate(v, CAN_RW, 0, PAGE, &h, &a), MICA_ERR_BAD_STATE);
  EXPECT_STATUS(mica_vmar_allocate(v, CAN_RW | MICA_VM_SPECIFIC, 0, PAGE, &h, &a),
                MICA_ERR_BAD_STATE);
  EXPECT_OK(mica_handle_close(v));
}

TEST(vmar_allocate, no_resources) {
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_RW, 0, 4 * PAGE, NULL);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  mica_handle_t h;
  mica_vaddr_t a;
  EXPECT_STATUS(mica_vmar_allocate(v, CAN_RW, 0, 5 * PAGE, &h, &a), MICA_ERR_NO_RESOURCES);
  // Four one-page regions fill it exactly (random placement, then first
  // fit); a fifth does not fit.
  mica_handle_t c[4];
  for (int i = 0; i < 4; i++) {
    c[i] = sub(v, CAN_RW, 0, PAGE, NULL);
    EXPECT_NE(c[i], MICA_HANDLE_INVALID);
  }
  EXPECT_STATUS(mica_vmar_allocate(v, CAN_RW, 0, PAGE, &h, &a), MICA_ERR_NO_RESOURCES);
  EXPECT_OK(mica_vmar_destroy(v));
  EXPECT_OK(mica_handle_close_many(c, 4));
  EXPECT_OK(mica_handle_close(v));
}

TEST(vmar_allocate, handles_and_pointers) {
  mica_handle_t root = mica_rt_vmar_root();
  mica_handle_t h;
  mica_vaddr_t a;
  mica_handle_t ev = ct_event();
  mica_handle_t vmo = vmo_of(PAGE);
  EXPECT_STATUS(mica_vmar_allocate(ev, CAN_RW, 0, PAGE, &h, &a), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_vmar_allocate(vmo, CAN_RW, 0, PAGE, &h, &a), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_vmar_allocate(MICA_HANDLE_INVALID, CAN_RW, 0, PAGE, &h, &a),
                MICA_ERR_BAD_HANDLE);
  // A small parent: a child written nowhere is destroyed again, so the
  // whole range stays free.
  mica_handle_t v CT_AUTO_DESTROY = sub(root, CAN_RW, 0, 2 * PAGE, NULL);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(
        mica_vmar_allocate(v, CAN_RW, 0, 2 * PAGE, (mica_handle_t*)ct_bad_ptrs[i].addr, &a),
        MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(
        mica_vmar_allocate(v, CAN_RW, 0, 2 * PAGE, &h, (mica_vaddr_t*)ct_bad_ptrs[i].addr),
        MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  mica_handle_t whole = sub(v, CAN_RW, 0, 2 * PAGE, NULL);
  EXPECT_NE(whole, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_vmar_destroy(v));
  mica_handle_t all[4] = {ev, vmo, v, whole};
  EXPECT_OK(mica_handle_close_many(all, 4));
}

// Random placement (ASLR): regions land at different, page-aligned,
// non-overlapping addresses inside the parent.
TEST(vmar_allocate, random_placement) {
  mica_vaddr_t base = 0;
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_RW, 0, 1024 * PAGE, &base);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  mica_handle_t c[16];
  mica_vaddr_t a[16];
  int below_middle = 0;
  for (int i = 0; i < 16; i++) {
    c[i] = sub(v, CAN_RW, 0, 2 * PAGE, &a[i]);
    ASSERT_NE(c[i], MICA_HANDLE_INVALID);
    EXPECT_EQ(a[i] % PAGE, 0);
    EXPECT_GE(a[i], base);
    EXPECT_LE(a[i] + 2 * PAGE, base + 1024 * PAGE);
    for (int j = 0; j < i; j++) {
      EXPECT_TRUE(a[i] + 2 * PAGE <= a[j] || a[j] + 2 * PAGE <= a[i]);
    }
    below_middle += a[i] < base + 512 * PAGE;
  }
  // Not packed at one end (each half gets one of 16 but with odds 2^-15).
  EXPECT_TRUE(below_middle > 0 && below_middle < 16);
  EXPECT_OK(mica_vmar_destroy(v));
  EXPECT_OK(mica_handle_close_many(c, 16));
  EXPECT_OK(mica_handle_close(v));
}

TEST(vmar_allocate, nested) {
  mica_vaddr_t b0 = 0, b1 = 0, b2 = 0;
  mica_handle_t v0 CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_ALL, 0, 64 * PAGE, &b0);
  ASSERT_NE(v0, MICA_HANDLE_INVALID);
  mica_handle_t v1 = sub(v0, CAN_ALL, 0, 16 * PAGE, &b1);
  ASSERT_NE(v1, MICA_HANDLE_INVALID);
  mica_handle_t v2 = sub(v1, CAN_RW | MICA_VM_SPECIFIC, 8 * PAGE, 4 * PAGE, &b2);
  ASSERT_NE(v2, MICA_HANDLE_INVALID);
  EXPECT_TRUE(b1 >= b0 && b1 + 16 * PAGE <= b0 + 64 * PAGE);
  EXPECT_EQ(b2, b1 + 8 * PAGE);
  // A mapping in the grandchild works as memory.
  mica_handle_t vmo = vmo_of(4 * PAGE);
  mica_vaddr_t m = 0;
  ASSERT_OK(mica_vmar_map(v2, RW, 0, vmo, 0, 4 * PAGE, &m));
  EXPECT_TRUE(m >= b2 && m + 4 * PAGE <= b2 + 4 * PAGE);
  ((volatile char*)(uintptr_t)m)[PAGE] = 'n';
  char c = 0;
  EXPECT_OK(mica_vmo_read(vmo, &c, PAGE, 1));
  EXPECT_EQ(c, 'n');
  EXPECT_OK(mica_vmar_destroy(v0));
  mica_handle_t all[4] = {v0, v1, v2, vmo};
  EXPECT_OK(mica_handle_close_many(all, 4));
}

// Sub-regions nest 32 deep below the root, no deeper.
TEST(vmar_allocate, nesting_limit) {
  mica_handle_t chain[33];
  mica_handle_t parent = mica_rt_vmar_root();
  int made = 0;
  for (int i = 0; i < 32; i++) {
    chain[i] = sub(parent, CAN_RW, 0, (uint64_t)(64 - i) * PAGE, NULL);
    if (chain[i] == MICA_HANDLE_INVALID) {
      break;
    }
    parent = chain[i];
    made++;
  }
  EXPECT_EQ(made, 32);
  mica_handle_t h;
  mica_vaddr_t a;
  EXPECT_STATUS(mica_vmar_allocate(parent, CAN_RW, 0, PAGE, &h, &a), MICA_ERR_NO_RESOURCES);
  if (made > 0) {
    EXPECT_OK(mica_vmar_destroy(chain[0]));
    EXPECT_OK(mica_handle_close_many(chain, (size_t)made));
  }
}

// A region far larger than any mapping: placed at once, and a region
// larger than the address space is refused. 16 GiB, not more: under fault
// injection the tests before may have left small mappings at random places
// (a test that gives up early does not unmap what it mapped), and the
// address space must still have room for it.
TEST(vmar_allocate, large_regions) {
  mica_vaddr_t base = 0;
  mica_handle_t big = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmar_allocate(mica_rt_vmar_root(), CAN_RW, 0, 16ull << 30, &big, &base));
  mica_handle_t vmo = vmo_of(PAGE);
  mica_vaddr_t m = 0;
  ASSERT_OK(mica_vmar_map(big, RW, 0, vmo, 0, PAGE, &m));
  EXPECT_TRUE(m >= base && m < base + (16ull << 30));
  EXPECT_TRUE(writable(m));
  EXPECT_OK(mica_vmar_destroy(big));
  EXPECT_FALSE(writable(m));
  mica_handle_t h;
  mica_vaddr_t a;
  EXPECT_STATUS(mica_vmar_allocate(mica_rt_vmar_root(), CAN_RW, 0, 1ull << 40, &h, &a),
                MICA_ERR_NO_RESOURCES);
  mica_handle_t all[2] = {big, vmo};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

// ---- vmar_map in sub-regions ------------------------------------------------

TEST(vmar_map, inside_sub_region) {
  mica_vaddr_t base = 0;
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_RW, 0, 64 * PAGE, &base);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  mica_handle_t vmo = vmo_of(4 * PAGE);
  // Six 4-page mappings: however the first five land, 44 free pages in at
  // most six holes leave room for the sixth.
  for (int i = 0; i < 6; i++) {
    mica_vaddr_t m = 0;
    ASSERT_OK(mica_vmar_map(v, RW, 0, vmo, 0, 4 * PAGE, &m));
    EXPECT_TRUE(m >= base && m + 4 * PAGE <= base + 64 * PAGE);
    EXPECT_TRUE(writable(m) && writable(m + 3 * PAGE));
  }
  // A mapping larger than the region cannot be placed.
  mica_handle_t big = vmo_of(65 * PAGE);
  mica_vaddr_t m = 0;
  EXPECT_STATUS(mica_vmar_map(v, RW, 0, big, 0, 65 * PAGE, &m), MICA_ERR_NO_RESOURCES);
  EXPECT_OK(mica_vmar_destroy(v));
  mica_handle_t all[3] = {v, vmo, big};
  EXPECT_OK(mica_handle_close_many(all, 3));
}

TEST(vmar_map, specific_in_sub_region) {
  mica_vaddr_t base = 0;
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_ALL, 0, 8 * PAGE, &base);
  mica_handle_t ns CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_RW, 0, 8 * PAGE, NULL);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  ASSERT_NE(ns, MICA_HANDLE_INVALID);
  mica_handle_t vmo = vmo_of(2 * PAGE);
  mica_vaddr_t m = 0;
  ASSERT_OK(mica_vmar_map(v, RW | MICA_VM_SPECIFIC, 3 * PAGE, vmo, 0, 2 * PAGE, &m));
  EXPECT_EQ(m, base + 3 * PAGE);
  EXPECT_STATUS(mica_vmar_map(v, RW | MICA_VM_SPECIFIC, 4 * PAGE, vmo, 0, PAGE, &m),
                MICA_ERR_ALREADY_EXISTS);
  EXPECT_STATUS(mica_vmar_map(v, RW | MICA_VM_SPECIFIC, 7 * PAGE, vmo, 0, 2 * PAGE, &m),
                MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_vmar_map(v, RW | MICA_VM_SPECIFIC, 8 * PAGE, vmo, 0, PAGE, &m),
                MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_vmar_map(v, RW | MICA_VM_SPECIFIC, 100, vmo, 0, PAGE, &m),
                MICA_ERR_INVALID_ARGS);
  // Without CAN_MAP_SPECIFIC.
  EXPECT_STATUS(mica_vmar_map(ns, RW | MICA_VM_SPECIFIC, 0, vmo, 0, PAGE, &m),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_vmar_map(ns, RW | MICA_VM_SPECIFIC_OVERWRITE, 0, vmo, 0, PAGE, &m),
                MICA_ERR_ACCESS_DENIED);
  // The root sees the sub-region as taken.
  EXPECT_STATUS(
      mica_vmar_map(mica_rt_vmar_root(), RW | MICA_VM_SPECIFIC, base - 0x10000, vmo, 0, PAGE, &m),
      MICA_ERR_ALREADY_EXISTS);
  EXPECT_OK(mica_vmar_destroy(v));
  EXPECT_OK(mica_vmar_destroy(ns));
  mica_handle_t all[3] = {v, ns, vmo};
  EXPECT_OK(mica_handle_close_many(all, 3));
}

TEST(vmar_map, perms_follow_region) {
  mica_handle_t r CT_AUTO_DESTROY =
      sub(mica_rt_vmar_root(), MICA_VM_CAN_MAP_READ, 0, 8 * PAGE, NULL);
  ASSERT_NE(r, MICA_HANDLE_INVALID);
  mica_handle_t vmo = vmo_of(PAGE);
  mica_vaddr_t m = 0;
  EXPECT_STATUS(mica_vmar_map(r, RW, 0, vmo, 0, PAGE, &m), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_vmar_map(r, MICA_VM_PERM_READ | MICA_VM_PERM_EXECUTE, 0, vmo, 0, PAGE, &m),
                MICA_ERR_ACCESS_DENIED);
  ASSERT_OK(mica_vmar_map(r, MICA_VM_PERM_READ, 0, vmo, 0, PAGE, &m));
  EXPECT_TRUE(readable(m));
  // CAN_MAP_EXECUTE allows executable mappings.
  mica_handle_t rx =
      sub(mica_rt_vmar_root(), MICA_VM_CAN_MAP_READ | MICA_VM_CAN_MAP_EXECUTE, 0, PAGE, NULL);
  mica_vaddr_t x = 0;
  EXPECT_OK(mica_vmar_map(rx, MICA_VM_PERM_READ | MICA_VM_PERM_EXECUTE, 0, vmo, 0, PAGE, &x));
  EXPECT_OK(mica_vmar_destroy(rx));
  EXPECT_OK(mica_handle_close(rx));
  EXPECT_FALSE(writable(m));
  EXPECT_STATUS(mica_vmar_protect(r, RW, m, PAGE), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_vmar_destroy(r));
  mica_handle_t all[2] = {r, vmo};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

TEST(vmar_map, overwrite_in_sub_region) {
  mica_vaddr_t base = 0;
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_ALL, 0, 4 * PAGE, &base);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  mica_handle_t a = vmo_of(4 * PAGE), b = vmo_of(PAGE);
  ASSERT_OK(mica_vmo_write(a, "aaaa", PAGE, 4));
  ASSERT_OK(mica_vmo_write(b, "bbbb", 0, 4));
  mica_vaddr_t m = 0;
  ASSERT_OK(mica_vmar_map(v, RW | MICA_VM_SPECIFIC, 0, a, 0, 4 * PAGE, &m));
  EXPECT_EQ(((volatile char*)(uintptr_t)(base + PAGE))[0], 'a');
  ASSERT_OK(mica_vmar_map(v, RW | MICA_VM_SPECIFIC_OVERWRITE, PAGE, b, 0, PAGE, &m));
  EXPECT_EQ(m, base + PAGE);
  EXPECT_EQ(((volatile char*)(uintptr_t)(base + PAGE))[0], 'b');
  // The rest of the first mapping is still there.
  EXPECT_TRUE(writable(base) && writable(base + 2 * PAGE) && writable(base + 3 * PAGE));
  // OVERWRITE never replaces a sub-region.
  mica_handle_t c = sub(v, CAN_RW, 0, PAGE, NULL);
  EXPECT_EQ(c, MICA_HANDLE_INVALID);  // full
  EXPECT_OK(mica_vmar_unmap(v, base + 3 * PAGE, PAGE));
  c = sub(v, CAN_RW | MICA_VM_SPECIFIC, 3 * PAGE, PAGE, NULL);
  ASSERT_NE(c, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_vmar_map(v, RW | MICA_VM_SPECIFIC_OVERWRITE, 2 * PAGE, a, 0, 2 * PAGE, &m),
                MICA_ERR_ALREADY_EXISTS);
  EXPECT_OK(mica_vmar_destroy(v));
  mica_handle_t all[4] = {v, a, b, c};
  EXPECT_OK(mica_handle_close_many(all, 4));
}
