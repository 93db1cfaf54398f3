// Sub-VMARs (vmar_allocate, vmar_destroy), mappings inside them, partial
// vmar_protect, and MICA_INFO_VMAR (docs/syscalls.md, "VMARs"). Whether a
// page is mapped and how is seen through the kernel's own copies: a write
// to a user address (clock_get_monotonic) needs a writable mapping, a read
// (vmo_write from it) a readable one.
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define PAGE ((uint64_t)MICA_PAGE_SIZE)
#define RW (MICA_VM_PERM_READ | MICA_VM_PERM_WRITE)
#define CAN_RW (MICA_VM_CAN_MAP_READ | MICA_VM_CAN_MAP_WRITE)
#define CAN_ALL (CAN_RW | MICA_VM_CAN_MAP_SPECIFIC)
#define IO_RIGHTS (MICA_RIGHT_READ | MICA_RIGHT_WRITE | MICA_RIGHT_EXECUTE)

static mica_handle_t vmo_of(uint64_t size) {
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  (void)mica_vmo_create(size, 0, &vmo);
  return vmo;
}

// A sub-VMAR of `parent`; MICA_HANDLE_INVALID on failure.
static mica_handle_t sub(mica_handle_t parent, uint32_t options, uint64_t offset, uint64_t size,
                         mica_vaddr_t* addr) {
  mica_handle_t h = MICA_HANDLE_INVALID;
  mica_vaddr_t a = 0;
  if (mica_vmar_allocate(parent, options, offset, size, &h, &a) != MICA_OK) {
    return MICA_HANDLE_INVALID;
  }
  if (addr != NULL) {
    *addr = a;
  }
  return h;
}

static mica_info_vmar_t vmar_info(mica_handle_t vmar) {
  mica_info_vmar_t info = {0, 0};
  (void)mica_object_get_info(vmar, MICA_INFO_VMAR, &info, sizeof(info), NULL, NULL);
  return info;
}

// The kernel can write 8 bytes in the page at `addr` (a writable mapping);
// the bytes written are in the middle of the page, the tests keep their
// marks at its start.
static bool writable(mica_vaddr_t addr) {
  return mica_clock_get_monotonic((mica_time_t*)(uintptr_t)(addr + PAGE / 2)) == MICA_OK;
}

// The kernel can read 8 bytes in the page at `addr`.
static bool readable(mica_vaddr_t addr) {
  mica_handle_t scratch = vmo_of(PAGE);
  bool ok = mica_vmo_write(scratch, (const void*)(uintptr_t)(addr + PAGE / 2), 0, 8) == MICA_OK;
  (void)mica_handle_close(scratch);
  return ok;
}

// ---- vmar_allocate ---------------------------------------------------------

TEST(vmar_allocate, basic) {
  mica_vaddr_t addr = 0;
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_RW, 0, 16 * PAGE, &addr);
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
  mica_handle_t r = sub(root, MICA_VM_CAN_MAP_READ, 0, PAGE, NULL);
  mica_handle_t x = sub(root, MICA_VM_CAN_MAP_READ | MICA_VM_CAN_MAP_EXECUTE, 0, PAGE, NULL);
  mica_handle_t none = sub(root, 0, 0, PAGE, NULL);
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
  mica_handle_t r = sub(root, MICA_VM_CAN_MAP_READ, 0, 8 * PAGE, NULL);
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
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_ALL, 0, 8 * PAGE, NULL);
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
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_ALL, 0, 16 * PAGE, &base);
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
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_ALL, 0, 8 * PAGE, NULL);
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
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_RW, 0, 4 * PAGE, NULL);
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
  mica_handle_t v = sub(root, CAN_RW, 0, 2 * PAGE, NULL);
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
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_RW, 0, 1024 * PAGE, &base);
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
  mica_handle_t v0 = sub(mica_rt_vmar_root(), CAN_ALL, 0, 64 * PAGE, &b0);
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
// larger than the address space is refused.
TEST(vmar_allocate, large_regions) {
  mica_vaddr_t base = 0;
  mica_handle_t big = sub(mica_rt_vmar_root(), CAN_RW, 0, 64ull << 30, &base);
  ASSERT_NE(big, MICA_HANDLE_INVALID);
  mica_handle_t vmo = vmo_of(PAGE);
  mica_vaddr_t m = 0;
  ASSERT_OK(mica_vmar_map(big, RW, 0, vmo, 0, PAGE, &m));
  EXPECT_TRUE(m >= base && m < base + (64ull << 30));
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
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_RW, 0, 64 * PAGE, &base);
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
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_ALL, 0, 8 * PAGE, &base);
  mica_handle_t ns = sub(mica_rt_vmar_root(), CAN_RW, 0, 8 * PAGE, NULL);
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
  mica_handle_t r = sub(mica_rt_vmar_root(), MICA_VM_CAN_MAP_READ, 0, 8 * PAGE, NULL);
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
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_ALL, 0, 4 * PAGE, &base);
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

// The program's own pages (mapped by the loader, in no VMO mapping) are
// never replaced: the call fails and changes nothing.
TEST(vmar_map, overwrite_refuses_loader_pages) {
  mica_handle_t root = mica_rt_vmar_root();
  mica_vaddr_t page = (mica_vaddr_t)ct_last_bytes_of_image(8) & ~(PAGE - 1);
  mica_handle_t vmo = vmo_of(2 * PAGE);
  mica_vaddr_t m = 0;
  EXPECT_STATUS(mica_vmar_map(root, MICA_VM_PERM_READ | MICA_VM_SPECIFIC_OVERWRITE,
                              page - vmar_info(root).base, vmo, 0, 2 * PAGE, &m),
                MICA_ERR_ALREADY_EXISTS);
  EXPECT_TRUE(readable(page));
  EXPECT_OK(mica_handle_close(vmo));
}

// ---- vmar_unmap ----------------------------------------------------------------

TEST(vmar_unmap, sub_regions) {
  mica_vaddr_t base = 0;
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_ALL, 0, 16 * PAGE, &base);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  mica_handle_t c = sub(v, CAN_RW | MICA_VM_SPECIFIC, 4 * PAGE, 4 * PAGE, NULL);
  ASSERT_NE(c, MICA_HANDLE_INVALID);
  mica_handle_t vmo = vmo_of(4 * PAGE);
  mica_vaddr_t m = 0;
  ASSERT_OK(mica_vmar_map(c, RW, 0, vmo, 0, 4 * PAGE, &m));
  EXPECT_TRUE(writable(m));
  // Cutting the sub-region is refused and changes nothing.
  EXPECT_STATUS(mica_vmar_unmap(v, base + 2 * PAGE, 4 * PAGE), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmar_unmap(v, base + 5 * PAGE, PAGE), MICA_ERR_INVALID_ARGS);
  EXPECT_TRUE(writable(m));
  // Covering it destroys it.
  EXPECT_OK(mica_vmar_unmap(v, base + 2 * PAGE, 8 * PAGE));
  EXPECT_FALSE(writable(m));
  mica_vaddr_t a;
  mica_handle_t h;
  EXPECT_STATUS(mica_vmar_map(c, RW, 0, vmo, 0, PAGE, &m), MICA_ERR_BAD_STATE);
  EXPECT_STATUS(mica_vmar_allocate(c, CAN_RW, 0, PAGE, &h, &a), MICA_ERR_BAD_STATE);
  // Its range is free again.
  mica_handle_t again = sub(v, CAN_RW | MICA_VM_SPECIFIC, 4 * PAGE, 4 * PAGE, NULL);
  EXPECT_NE(again, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_vmar_destroy(v));
  mica_handle_t all[4] = {v, c, vmo, again};
  EXPECT_OK(mica_handle_close_many(all, 4));
}

TEST(vmar_unmap, errors) {
  mica_vaddr_t base = 0;
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_ALL, 0, 8 * PAGE, &base);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_vmar_unmap(v, base, 8 * PAGE), MICA_ERR_NOT_FOUND);
  EXPECT_STATUS(mica_vmar_unmap(v, base + 1, PAGE), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmar_unmap(v, base, 0), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmar_unmap(v, base + 4 * PAGE, 5 * PAGE), MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_vmar_unmap(v, base - PAGE, PAGE), MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_vmar_unmap(v, base, UINT64_MAX - PAGE), MICA_ERR_OUT_OF_RANGE);
  // A mapping in the root outside `v` is not reachable through `v`.
  mica_handle_t vmo = vmo_of(PAGE);
  mica_vaddr_t m = 0;
  ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), RW, 0, vmo, 0, PAGE, &m));
  EXPECT_STATUS(mica_vmar_unmap(v, m, PAGE), MICA_ERR_OUT_OF_RANGE);
  EXPECT_TRUE(writable(m));
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), m, PAGE));
  EXPECT_OK(mica_vmar_destroy(v));
  EXPECT_STATUS(mica_vmar_unmap(v, base, PAGE), MICA_ERR_BAD_STATE);
  mica_handle_t all[2] = {v, vmo};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

// ---- vmar_protect on parts of mappings -----------------------------------------

// A 4-page RW mapping at the start of a fresh region, with content.
static mica_handle_t rw_setup(mica_handle_t* vmo, mica_vaddr_t* m) {
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_ALL, 0, 8 * PAGE, NULL);
  *vmo = vmo_of(4 * PAGE);
  *m = 0;
  if (mica_vmar_map(v, RW | MICA_VM_SPECIFIC, 0, *vmo, 0, 4 * PAGE, m) != MICA_OK) {
    return MICA_HANDLE_INVALID;
  }
  for (int i = 0; i < 4; i++) {
    ((volatile char*)(uintptr_t)*m)[i * PAGE] = (char)('0' + i);
  }
  return v;
}

static void rw_teardown(mica_handle_t v, mica_handle_t vmo) {
  EXPECT_OK(mica_vmar_destroy(v));
  mica_handle_t all[2] = {v, vmo};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

TEST(vmar_protect, middle_of_mapping) {
  mica_handle_t vmo;
  mica_vaddr_t m;
  mica_handle_t v = rw_setup(&vmo, &m);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_vmar_protect(v, MICA_VM_PERM_READ, m + PAGE, 2 * PAGE));
  EXPECT_TRUE(writable(m));
  EXPECT_FALSE(writable(m + PAGE));
  EXPECT_FALSE(writable(m + 2 * PAGE));
  EXPECT_TRUE(writable(m + 3 * PAGE));
  EXPECT_TRUE(readable(m + PAGE) && readable(m + 2 * PAGE));
  EXPECT_EQ(((volatile char*)(uintptr_t)m)[PAGE], '1');
  EXPECT_EQ(((volatile char*)(uintptr_t)m)[2 * PAGE], '2');
  // And back: the pieces all work.
  ASSERT_OK(mica_vmar_protect(v, RW, m, 4 * PAGE));
  for (int i = 0; i < 4; i++) {
    EXPECT_TRUE(writable(m + i * PAGE));
  }
  rw_teardown(v, vmo);
}

TEST(vmar_protect, ends_of_mapping) {
  mica_handle_t vmo;
  mica_vaddr_t m;
  mica_handle_t v = rw_setup(&vmo, &m);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_vmar_protect(v, MICA_VM_PERM_READ, m, PAGE));
  ASSERT_OK(mica_vmar_protect(v, MICA_VM_PERM_READ, m + 3 * PAGE, PAGE));
  EXPECT_FALSE(writable(m));
  EXPECT_TRUE(writable(m + PAGE) && writable(m + 2 * PAGE));
  EXPECT_FALSE(writable(m + 3 * PAGE));
  EXPECT_EQ(((volatile char*)(uintptr_t)m)[3 * PAGE], '3');
  // No access at all: neither readable nor writable.
  ASSERT_OK(mica_vmar_protect(v, 0, m + PAGE, PAGE));
  EXPECT_FALSE(readable(m + PAGE));
  EXPECT_TRUE(readable(m + 2 * PAGE));
  // The pieces unmap separately.
  EXPECT_OK(mica_vmar_unmap(v, m + 2 * PAGE, PAGE));
  EXPECT_FALSE(readable(m + 2 * PAGE));
  EXPECT_TRUE(readable(m) && readable(m + 3 * PAGE));
  char c = 0;
  EXPECT_OK(mica_vmo_read(vmo, &c, 2 * PAGE, 1));
  EXPECT_EQ(c, '2');
  rw_teardown(v, vmo);
}

TEST(vmar_protect, across_mappings) {
  mica_vaddr_t base = 0;
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_ALL, 0, 8 * PAGE, &base);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  mica_handle_t a = vmo_of(2 * PAGE), b = vmo_of(2 * PAGE);
  mica_vaddr_t m;
  ASSERT_OK(mica_vmar_map(v, RW | MICA_VM_SPECIFIC, 0, a, 0, 2 * PAGE, &m));
  ASSERT_OK(mica_vmar_map(v, RW | MICA_VM_SPECIFIC, 2 * PAGE, b, 0, 2 * PAGE, &m));
  ASSERT_OK(mica_vmar_protect(v, MICA_VM_PERM_READ, base + PAGE, 2 * PAGE));
  EXPECT_TRUE(writable(base));
  EXPECT_FALSE(writable(base + PAGE));
  EXPECT_FALSE(writable(base + 2 * PAGE));
  EXPECT_TRUE(writable(base + 3 * PAGE));
  // A hole in the range: NOT_FOUND, nothing changed.
  EXPECT_STATUS(mica_vmar_protect(v, MICA_VM_PERM_READ, base, 5 * PAGE), MICA_ERR_NOT_FOUND);
  EXPECT_TRUE(writable(base) && writable(base + 3 * PAGE));
  EXPECT_OK(mica_vmar_destroy(v));
  mica_handle_t all[3] = {v, a, b};
  EXPECT_OK(mica_handle_close_many(all, 3));
}

// A VMAR's protect covers its own mappings: pages in a sub-region are not
// mapped as far as its parent is concerned.
TEST(vmar_protect, not_through_sub_regions) {
  mica_vaddr_t base = 0;
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_ALL, 0, 8 * PAGE, &base);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  mica_handle_t c = sub(v, CAN_RW | MICA_VM_SPECIFIC, 0, 4 * PAGE, NULL);
  mica_handle_t vmo = vmo_of(4 * PAGE);
  mica_vaddr_t m = 0;
  ASSERT_OK(mica_vmar_map(c, RW, 0, vmo, 0, 4 * PAGE, &m));
  EXPECT_STATUS(mica_vmar_protect(v, MICA_VM_PERM_READ, m, PAGE), MICA_ERR_NOT_FOUND);
  EXPECT_TRUE(writable(m));
  EXPECT_OK(mica_vmar_protect(c, MICA_VM_PERM_READ, m, PAGE));
  EXPECT_FALSE(writable(m));
  EXPECT_OK(mica_vmar_destroy(v));
  mica_handle_t all[3] = {v, c, vmo};
  EXPECT_OK(mica_handle_close_many(all, 3));
}

TEST(vmar_protect, errors) {
  mica_handle_t vmo;
  mica_vaddr_t m;
  mica_handle_t v = rw_setup(&vmo, &m);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_vmar_protect(v, MICA_VM_PERM_READ, m + 1, PAGE), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmar_protect(v, MICA_VM_PERM_READ, m, 0), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmar_protect(v, MICA_VM_SPECIFIC, m, PAGE), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmar_protect(v, RW | MICA_VM_PERM_EXECUTE, m, PAGE), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_vmar_protect(v, MICA_VM_PERM_READ, m + 6 * PAGE, 4 * PAGE),
                MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_vmar_protect(v, MICA_VM_PERM_READ, m + 4 * PAGE, PAGE), MICA_ERR_NOT_FOUND);
  // More than the handle it was mapped with allowed.
  mica_handle_t ro = ct_dup(vmo, MICA_DEFAULT_VMO_RIGHTS & ~MICA_RIGHT_WRITE);
  mica_vaddr_t r = 0;
  ASSERT_OK(mica_vmar_map(v, MICA_VM_PERM_READ, 0, ro, 0, PAGE, &r));
  EXPECT_STATUS(mica_vmar_protect(v, RW, r, PAGE), MICA_ERR_ACCESS_DENIED);
  EXPECT_FALSE(writable(r));
  // More than the VMAR handle allows.
  mica_handle_t vr = ct_dup(v, ct_basic(v).rights & ~MICA_RIGHT_WRITE);
  ASSERT_NE(vr, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_vmar_protect(vr, RW, m, PAGE), MICA_ERR_ACCESS_DENIED);
  EXPECT_TRUE(writable(m));
  EXPECT_OK(mica_vmar_destroy(v));
  EXPECT_STATUS(mica_vmar_protect(v, MICA_VM_PERM_READ, m, PAGE), MICA_ERR_BAD_STATE);
  mica_handle_t all[4] = {ro, vr, v, vmo};
  EXPECT_OK(mica_handle_close_many(all, 4));
}

// ---- vmar_destroy --------------------------------------------------------------

TEST(vmar_destroy, unmaps_and_kills_descendants) {
  mica_vaddr_t base = 0;
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_ALL, 0, 32 * PAGE, &base);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  mica_handle_t c = sub(v, CAN_ALL, 0, 8 * PAGE, NULL);
  mica_handle_t g = sub(c, CAN_RW, 0, 4 * PAGE, NULL);
  ASSERT_NE(g, MICA_HANDLE_INVALID);
  mica_handle_t vmo = vmo_of(2 * PAGE);
  mica_vaddr_t m0 = 0, m2 = 0;
  ASSERT_OK(mica_vmar_map(v, RW, 0, vmo, 0, 2 * PAGE, &m0));
  ASSERT_OK(mica_vmar_map(g, RW, 0, vmo, 0, 2 * PAGE, &m2));
  ((volatile char*)(uintptr_t)m0)[0] = 'd';
  EXPECT_EQ(((volatile char*)(uintptr_t)m2)[0], 'd');
  EXPECT_OK(mica_vmar_destroy(v));
  EXPECT_FALSE(readable(m0));
  EXPECT_FALSE(readable(m2));
  mica_handle_t hs[3] = {v, c, g};
  for (int i = 0; i < 3; i++) {
    mica_vaddr_t m;
    mica_handle_t h;
    EXPECT_STATUS(mica_vmar_map(hs[i], RW, 0, vmo, 0, PAGE, &m), MICA_ERR_BAD_STATE);
    EXPECT_STATUS(mica_vmar_allocate(hs[i], CAN_RW, 0, PAGE, &h, &m), MICA_ERR_BAD_STATE);
    EXPECT_STATUS(mica_vmar_destroy(hs[i]), MICA_ERR_BAD_STATE);
    // get_info still describes the range it had.
    EXPECT_NE(vmar_info(hs[i]).len, 0);
  }
  // The VMO itself lives on.
  char ch = 0;
  EXPECT_OK(mica_vmo_read(vmo, &ch, 0, 1));
  EXPECT_EQ(ch, 'd');
  // The range is free in the root again.
  mica_vaddr_t m = 0;
  EXPECT_OK(
      mica_vmar_map(mica_rt_vmar_root(), RW | MICA_VM_SPECIFIC, base - 0x10000, vmo, 0, PAGE, &m));
  EXPECT_EQ(m, base);
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), m, PAGE));
  mica_handle_t all[4] = {v, c, g, vmo};
  EXPECT_OK(mica_handle_close_many(all, 4));
}

TEST(vmar_destroy, errors) {
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_RW, 0, PAGE, NULL);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  mica_handle_t weak = ct_dup(v, ct_basic(v).rights & ~MICA_RIGHT_DESTROY);
  ASSERT_NE(weak, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_vmar_destroy(weak), MICA_ERR_ACCESS_DENIED);
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_vmar_destroy(ev), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_vmar_destroy(MICA_HANDLE_INVALID), MICA_ERR_BAD_HANDLE);
  EXPECT_OK(mica_vmar_destroy(v));
  EXPECT_STATUS(mica_vmar_destroy(v), MICA_ERR_BAD_STATE);
  mica_handle_t all[3] = {v, weak, ev};
  EXPECT_OK(mica_handle_close_many(all, 3));
}

// Closing the last handle does not destroy a region: its mappings stay.
TEST(vmar_destroy, close_keeps_region) {
  mica_vaddr_t base = 0;
  mica_handle_t v = sub(mica_rt_vmar_root(), CAN_RW, 0, 2 * PAGE, &base);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  mica_handle_t vmo = vmo_of(2 * PAGE);
  mica_vaddr_t m = 0;
  ASSERT_OK(mica_vmar_map(v, RW, 0, vmo, 0, 2 * PAGE, &m));
  EXPECT_OK(mica_handle_close(v));
  EXPECT_TRUE(writable(m));
  // The root cannot cut it, but unmapping all of it destroys it.
  EXPECT_STATUS(mica_vmar_unmap(mica_rt_vmar_root(), base, PAGE), MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), base, 2 * PAGE));
  EXPECT_FALSE(writable(m));
  EXPECT_OK(mica_handle_close(vmo));
}

// A process's death destroys its root VMAR.
TEST(vmar_destroy, process_death) {
  mica_handle_t proc = MICA_HANDLE_INVALID, vmar = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_process_create(mica_rt_job_default(), "vmar-victim", 11, 0, &proc, &vmar));
  mica_handle_t vmo = vmo_of(PAGE);
  mica_vaddr_t m = 0;
  EXPECT_OK(mica_vmar_map(vmar, RW, 0, vmo, 0, PAGE, &m));
  mica_handle_t c = sub(vmar, CAN_RW, 0, 4 * PAGE, NULL);
  EXPECT_NE(c, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_task_kill(proc));
  EXPECT_OK(mica_object_wait_one(proc, MICA_TASK_TERMINATED, MICA_TIME_INFINITE, NULL));
  EXPECT_STATUS(mica_vmar_map(vmar, RW, 0, vmo, 0, PAGE, &m), MICA_ERR_BAD_STATE);
  EXPECT_STATUS(mica_vmar_map(c, RW, 0, vmo, 0, PAGE, &m), MICA_ERR_BAD_STATE);
  EXPECT_STATUS(mica_vmar_destroy(vmar), MICA_ERR_BAD_STATE);
  mica_handle_t all[4] = {proc, vmar, vmo, c};
  EXPECT_OK(mica_handle_close_many(all, 4));
}

// ---- MICA_INFO_VMAR ------------------------------------------------------------

TEST(get_info, vmar) {
  mica_handle_t root = mica_rt_vmar_root();
  mica_info_vmar_t info = {0, 0};
  size_t actual = 0, avail = 0;
  ASSERT_OK(mica_object_get_info(root, MICA_INFO_VMAR, &info, sizeof(info), &actual, &avail));
  EXPECT_EQ(actual, 1);
  EXPECT_EQ(avail, 1);
  EXPECT_GT(info.len, 0);
  EXPECT_STATUS(mica_object_get_info(root, MICA_INFO_VMAR, &info, sizeof(info) - 1, NULL, NULL),
                MICA_ERR_BUFFER_TOO_SMALL);
  mica_handle_t vmo = vmo_of(PAGE);
  EXPECT_STATUS(mica_object_get_info(vmo, MICA_INFO_VMAR, &info, sizeof(info), NULL, NULL),
                MICA_ERR_WRONG_TYPE);
  mica_handle_t blind = ct_dup(root, MICA_DEFAULT_VMAR_RIGHTS & ~MICA_RIGHT_INSPECT);
  EXPECT_STATUS(mica_object_get_info(blind, MICA_INFO_VMAR, &info, sizeof(info), NULL, NULL),
                MICA_ERR_ACCESS_DENIED);
  mica_handle_t all[2] = {vmo, blind};
  EXPECT_OK(mica_handle_close_many(all, 2));
}
