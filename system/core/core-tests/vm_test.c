// VMOs (create, read, write, size) and mappings in the root VMAR (map,
// unmap, protect) (docs/syscalls.md, "Virtual memory"). A mapping's memory
// is then used as user memory by other calls: the kernel's copies see
// exactly what the mapping allows.
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define PAGE ((uint64_t)MICA_PAGE_SIZE)

static mica_handle_t make_vmo(uint64_t size, uint32_t options) {
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  mica_status_t s = mica_vmo_create(size, options, &vmo);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_vmo_create", s);
    return MICA_HANDLE_INVALID;
  }
  return vmo;
}

static uint64_t vmo_size(mica_handle_t vmo) {
  uint64_t size = 0;
  (void)mica_vmo_get_size(vmo, &size);
  return size;
}

// ---- VMOs ------------------------------------------------------------------

TEST(vmo_create, size_rounded_up) {
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(1, 0, &vmo));
  EXPECT_EQ(ct_basic(vmo).type, MICA_OBJ_TYPE_VMO);
  EXPECT_EQ(ct_basic(vmo).rights, MICA_DEFAULT_VMO_RIGHTS);
  EXPECT_EQ(vmo_size(vmo), PAGE);
  EXPECT_OK(mica_handle_close(vmo));
  vmo = make_vmo(3 * PAGE, 0);
  EXPECT_EQ(vmo_size(vmo), 3 * PAGE);
  EXPECT_OK(mica_handle_close(vmo));
}

TEST(vmo_create, errors) {
  mica_handle_t vmo = 0x5a5a5a5a;
  EXPECT_STATUS(mica_vmo_create(PAGE, 1u << 7, &vmo), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmo_create(UINT64_MAX, 0, &vmo), MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_vmo_create(UINT64_MAX - PAGE + 2, 0, &vmo), MICA_ERR_OUT_OF_RANGE);
  EXPECT_EQ(vmo, 0x5a5a5a5a);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_vmo_create(PAGE, 0, (mica_handle_t*)ct_bad_ptrs[i].addr),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
}

// A new VMO reads as zeros; writes read back, across page boundaries.
TEST(vmo, read_write) {
  mica_handle_t vmo = make_vmo(4 * PAGE, 0);
  ASSERT_NE(vmo, MICA_HANDLE_INVALID);
  static uint8_t buf[4 * MICA_PAGE_SIZE];
  memset(buf, 0xff, sizeof(buf));
  ASSERT_OK(mica_vmo_read(vmo, buf, 0, sizeof(buf)));
  for (size_t i = 0; i < sizeof(buf); i++) {
    if (buf[i] != 0) {
      ct_fail(__FILE_NAME__, __LINE__, "byte %zu of a new VMO is %u", i, buf[i]);
      break;
    }
  }
  uint8_t pattern[5000];
  ct_fill(pattern, sizeof(pattern), 11);
  ASSERT_OK(mica_vmo_write(vmo, pattern, PAGE - 100, sizeof(pattern)));
  uint8_t back[5000];
  ASSERT_OK(mica_vmo_read(vmo, back, PAGE - 100, sizeof(back)));
  EXPECT_EQ(memcmp(back, pattern, sizeof(back)), 0);
  // The last byte, and zero-sized accesses anywhere inside.
  EXPECT_OK(mica_vmo_write(vmo, "z", 4 * PAGE - 1, 1));
  EXPECT_OK(mica_vmo_read(vmo, NULL, 4 * PAGE, 0));
  EXPECT_OK(mica_handle_close(vmo));
}

TEST(vmo, out_of_range) {
  mica_handle_t vmo = make_vmo(PAGE, 0);
  ASSERT_NE(vmo, MICA_HANDLE_INVALID);
  uint8_t buf[16];
  EXPECT_STATUS(mica_vmo_read(vmo, buf, PAGE - 8, 16), MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_vmo_write(vmo, buf, PAGE, 1), MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_vmo_read(vmo, buf, UINT64_MAX - 4, 16), MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_vmo_write(vmo, buf, UINT64_MAX, 2), MICA_ERR_OUT_OF_RANGE);
  EXPECT_OK(mica_handle_close(vmo));
}

TEST(vmo, bad_buffers) {
  mica_handle_t vmo = make_vmo(PAGE, 0);
  ASSERT_NE(vmo, MICA_HANDLE_INVALID);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_vmo_read(vmo, (void*)ct_bad_ptrs[i].addr, 0, 8), MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_vmo_write(vmo, (const void*)ct_bad_ptrs[i].addr, 0, 8),
                  MICA_ERR_INVALID_ARGS);
  }
  for (size_t i = 0; i < CT_READONLY_PTR_COUNT; i++) {
    ct_set_context(ct_readonly_ptrs[i].name);
    EXPECT_STATUS(mica_vmo_read(vmo, (void*)ct_readonly_ptrs[i].addr, 0, 8), MICA_ERR_INVALID_ARGS);
    // Writing into the VMO from read-only memory is fine.
    EXPECT_OK(mica_vmo_write(vmo, (const void*)ct_readonly_ptrs[i].addr, 0, 8));
  }
  ct_set_context(NULL);
  uint64_t size = 0;
  EXPECT_STATUS(mica_vmo_get_size(vmo, (uint64_t*)ct_unmapped_addr()), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmo_get_size(vmo, (uint64_t*)ct_readonly_ptrs[0].addr), MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_vmo_get_size(vmo, &size));
  EXPECT_OK(mica_handle_close(vmo));
}

TEST(vmo, rights_types_handles) {
  mica_handle_t vmo = make_vmo(PAGE, MICA_VMO_RESIZABLE);
  ASSERT_NE(vmo, MICA_HANDLE_INVALID);
  mica_handle_t ro = ct_dup(vmo, MICA_RIGHT_READ);
  mica_handle_t wo = ct_dup(vmo, MICA_RIGHT_WRITE);
  uint8_t buf[8] = {0};
  EXPECT_STATUS(mica_vmo_write(ro, buf, 0, 8), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_vmo_set_size(ro, 2 * PAGE), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_vmo_read(wo, buf, 0, 8), MICA_ERR_ACCESS_DENIED);
  EXPECT_EQ(vmo_size(ro), PAGE);  // get_size needs no right
  mica_handle_t ev = ct_event();
  uint64_t size;
  EXPECT_STATUS(mica_vmo_read(ev, buf, 0, 8), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_vmo_write(ev, buf, 0, 8), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_vmo_get_size(ev, &size), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_vmo_set_size(ev, PAGE), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_vmo_read(MICA_HANDLE_INVALID, buf, 0, 8), MICA_ERR_BAD_HANDLE);
  EXPECT_STATUS(mica_vmo_get_size(MICA_HANDLE_INVALID, &size), MICA_ERR_BAD_HANDLE);
  mica_handle_t all[4] = {vmo, ro, wo, ev};
  EXPECT_OK(mica_handle_close_many(all, 4));
}

TEST(vmo, set_size) {
  mica_handle_t vmo = make_vmo(2 * PAGE, MICA_VMO_RESIZABLE);
  ASSERT_NE(vmo, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_vmo_write(vmo, "abcd", PAGE, 4));
  EXPECT_OK(mica_vmo_set_size(vmo, PAGE + 1));  // rounded up: the data stays
  EXPECT_EQ(vmo_size(vmo), 2 * PAGE);
  EXPECT_OK(mica_vmo_set_size(vmo, PAGE));
  EXPECT_EQ(vmo_size(vmo), PAGE);
  char c;
  EXPECT_STATUS(mica_vmo_read(vmo, &c, PAGE, 1), MICA_ERR_OUT_OF_RANGE);
  // Growing adds zero pages: the old bytes are gone.
  EXPECT_OK(mica_vmo_set_size(vmo, 3 * PAGE));
  char back[4] = {1, 1, 1, 1};
  EXPECT_OK(mica_vmo_read(vmo, back, PAGE, 4));
  EXPECT_EQ(back[0] | back[1] | back[2] | back[3], 0);
  EXPECT_STATUS(mica_vmo_set_size(vmo, UINT64_MAX), MICA_ERR_OUT_OF_RANGE);
  EXPECT_EQ(vmo_size(vmo), 3 * PAGE);
  EXPECT_OK(mica_handle_close(vmo));
  // Not created resizable.
  vmo = make_vmo(PAGE, 0);
  EXPECT_STATUS(mica_vmo_set_size(vmo, 2 * PAGE), MICA_ERR_NOT_SUPPORTED);
  EXPECT_EQ(vmo_size(vmo), PAGE);
  EXPECT_OK(mica_handle_close(vmo));
}

// ---- Mappings ------------------------------------------------------------------

TEST(vmar_map, read_write_mapping) {
  mica_handle_t root = mica_rt_vmar_root();
  ASSERT_NE(root, MICA_HANDLE_INVALID);
  mica_handle_t vmo = make_vmo(2 * PAGE, 0);
  ASSERT_OK(mica_vmo_write(vmo, "mapped", 0, 6));
  mica_vaddr_t addr = 0;
  ASSERT_OK(
      mica_vmar_map(root, MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, vmo, 0, 2 * PAGE, &addr));
  EXPECT_NE(addr, 0);
  EXPECT_EQ(addr % PAGE, 0);
  volatile char* p = (volatile char*)(uintptr_t)addr;
  EXPECT_EQ(p[0], 'm');
  p[PAGE + 5] = 'x';
  char c = 0;
  EXPECT_OK(mica_vmo_read(vmo, &c, PAGE + 5, 1));
  EXPECT_EQ(c, 'x');
  // The kernel's copies use the mapping like any user memory.
  EXPECT_OK(mica_clock_get_monotonic((mica_time_t*)(uintptr_t)(addr + 64)));
  EXPECT_OK(mica_vmar_unmap(root, addr, 2 * PAGE));
  EXPECT_STATUS(mica_clock_get_monotonic((mica_time_t*)(uintptr_t)(addr + 64)),
                MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_handle_close(vmo));
}

// A read-only mapping: the kernel may read it, not write it; protect
// changes that.
TEST(vmar_map, read_only_then_protect) {
  mica_handle_t root = mica_rt_vmar_root();
  ASSERT_NE(root, MICA_HANDLE_INVALID);
  mica_handle_t vmo = make_vmo(PAGE, 0);
  mica_vaddr_t addr = 0;
  ASSERT_OK(mica_vmar_map(root, MICA_VM_PERM_READ, 0, vmo, 0, PAGE, &addr));
  mica_time_t* t = (mica_time_t*)(uintptr_t)addr;
  EXPECT_STATUS(mica_clock_get_monotonic(t), MICA_ERR_INVALID_ARGS);
  mica_handle_t a, b;
  ct_channel(&a, &b);
  EXPECT_OK(mica_channel_write(a, 0, t, 8, NULL, 0));  // readable
  EXPECT_OK(mica_vmar_protect(root, MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, addr, PAGE));
  EXPECT_OK(mica_clock_get_monotonic(t));
  EXPECT_GT(*t, 0);
  EXPECT_OK(mica_vmar_unmap(root, addr, PAGE));
  mica_handle_t all[3] = {vmo, a, b};
  EXPECT_OK(mica_handle_close_many(all, 3));
}

TEST(vmar_map, errors) {
  mica_handle_t root = mica_rt_vmar_root();
  ASSERT_NE(root, MICA_HANDLE_INVALID);
  mica_handle_t vmo = make_vmo(PAGE, 0);
  mica_vaddr_t addr = 0x5a5a;
  EXPECT_STATUS(mica_vmar_map(root, MICA_VM_PERM_READ, 0, vmo, 0, 0, &addr), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmar_map(root, MICA_VM_PERM_READ | (1u << 20), 0, vmo, 0, PAGE, &addr),
                MICA_ERR_INVALID_ARGS);
  // W^X.
  EXPECT_STATUS(mica_vmar_map(root, MICA_VM_PERM_READ | MICA_VM_PERM_WRITE | MICA_VM_PERM_EXECUTE,
                              0, vmo, 0, PAGE, &addr),
                MICA_ERR_ACCESS_DENIED);
  mica_handle_t no_map = ct_dup(vmo, MICA_DEFAULT_VMO_RIGHTS & ~MICA_RIGHT_MAP);
  EXPECT_STATUS(mica_vmar_map(root, MICA_VM_PERM_READ, 0, no_map, 0, PAGE, &addr),
                MICA_ERR_ACCESS_DENIED);
  mica_handle_t no_write = ct_dup(vmo, MICA_DEFAULT_VMO_RIGHTS & ~MICA_RIGHT_WRITE);
  EXPECT_STATUS(
      mica_vmar_map(root, MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, no_write, 0, PAGE, &addr),
      MICA_ERR_ACCESS_DENIED);
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_vmar_map(ev, MICA_VM_PERM_READ, 0, vmo, 0, PAGE, &addr), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_vmar_map(root, MICA_VM_PERM_READ, 0, ev, 0, PAGE, &addr), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_vmar_map(root, MICA_VM_PERM_READ, 0, MICA_HANDLE_INVALID, 0, PAGE, &addr),
                MICA_ERR_BAD_HANDLE);
  EXPECT_STATUS(mica_vmar_map(MICA_HANDLE_INVALID, MICA_VM_PERM_READ, 0, vmo, 0, PAGE, &addr),
                MICA_ERR_BAD_HANDLE);
  EXPECT_EQ(addr, 0x5a5a);
  EXPECT_STATUS(mica_vmar_unmap(ev, 0x100000, PAGE), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_vmar_protect(ev, MICA_VM_PERM_READ, 0x100000, PAGE), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_vmar_protect(root, 1u << 3, 0x100000, PAGE), MICA_ERR_INVALID_ARGS);
  mica_handle_t all[4] = {vmo, no_map, no_write, ev};
  EXPECT_OK(mica_handle_close_many(all, 4));
}

// A mapping made and its address written to an unwritable pointer: the
// call fails (and leaves no mapping the caller cannot know about).
TEST(vmar_map, bad_out_pointer) {
  mica_handle_t root = mica_rt_vmar_root();
  ASSERT_NE(root, MICA_HANDLE_INVALID);
  mica_handle_t vmo = make_vmo(PAGE, 0);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(
        mica_vmar_map(root, MICA_VM_PERM_READ, 0, vmo, 0, PAGE, (mica_vaddr_t*)ct_bad_ptrs[i].addr),
        MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_OK(mica_handle_close(vmo));
}
