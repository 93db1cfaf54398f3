// Copy-on-write children (vmo_create_child) and MICA_INFO_VMO
// (docs/syscalls.md, "VMOs"): a child starts with its parent's contents;
// later writes, through vmo_write or through mappings, are private to the
// writer, in either direction, across generations.
#include <string.h>

#include "system/core/core-tests/dt.h"
#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define PAGE ((uint64_t)MICA_PAGE_SIZE)
#define RW (MICA_VM_PERM_READ | MICA_VM_PERM_WRITE)
#define COW MICA_VMO_CHILD_COPY_ON_WRITE

static mica_handle_t vmo_of(uint64_t size, uint32_t options) {
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ct_note_status(__FILE_NAME__, __LINE__, "mica_vmo_create", mica_vmo_create(size, options, &vmo));
  return vmo;
}

static mica_handle_t child_of(mica_handle_t parent, uint32_t options, uint64_t offset,
                              uint64_t size) {
  mica_handle_t c = MICA_HANDLE_INVALID;
  ct_note_status(__FILE_NAME__, __LINE__, "mica_vmo_create_child",
                 mica_vmo_create_child(parent, options, offset, size, &c));
  return c;
}

// The byte at `offset` (0xee if the read fails).
static uint8_t byte_at(mica_handle_t vmo, uint64_t offset) {
  uint8_t b = 0xee;
  ct_note_status(__FILE_NAME__, __LINE__, "mica_vmo_read", mica_vmo_read(vmo, &b, offset, 1));
  return b;
}

static void put(mica_handle_t vmo, uint64_t offset, uint8_t value) {
  EXPECT_OK(mica_vmo_write(vmo, &value, offset, 1));
}

static mica_info_vmo_t vmo_info(mica_handle_t vmo) {
  mica_info_vmo_t info;
  memset(&info, 0, sizeof(info));
  (void)mica_object_get_info(vmo, MICA_INFO_VMO, &info, sizeof(info), NULL, NULL);
  return info;
}

static volatile uint8_t* map_rw(mica_handle_t vmo, uint64_t len) {
  mica_vaddr_t addr = 0;
  mica_status_t s = mica_vmar_map(mica_rt_vmar_root(), RW, 0, vmo, 0, len, &addr);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_vmar_map", s);
    return NULL;
  }
  return (volatile uint8_t*)(uintptr_t)addr;
}

static void unmap(volatile uint8_t* p, uint64_t len) {
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), (mica_vaddr_t)(uintptr_t)p, len));
}

// A 4-page parent whose page i starts with 'A' + i.
static mica_handle_t lettered_parent(void) {
  mica_handle_t p = vmo_of(4 * PAGE, 0);
  for (uint64_t i = 0; i < 4; i++) {
    put(p, i * PAGE, (uint8_t)('A' + i));
  }
  return p;
}

// ---- Semantics ---------------------------------------------------------------

TEST(vmo_create_child, sees_parent_contents) {
  mica_handle_t p = lettered_parent();
  mica_handle_t c = child_of(p, COW, 0, 4 * PAGE);
  ASSERT_NE(c, MICA_HANDLE_INVALID);
  EXPECT_EQ(ct_basic(c).type, MICA_OBJ_TYPE_VMO);
  EXPECT_EQ(ct_basic(c).rights, MICA_DEFAULT_VMO_RIGHTS);
  EXPECT_EQ(vmo_info(c).parent_koid, ct_basic(p).koid);
  uint64_t size = 0;
  EXPECT_OK(mica_vmo_get_size(c, &size));
  EXPECT_EQ(size, 4 * PAGE);
  for (uint64_t i = 0; i < 4; i++) {
    EXPECT_EQ(byte_at(c, i * PAGE), 'A' + i);
  }
  mica_handle_t all[2] = {p, c};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

TEST(vmo_create_child, child_writes_are_private) {
  mica_handle_t p = lettered_parent();
  mica_handle_t c = child_of(p, COW, 0, 4 * PAGE);
  ASSERT_NE(c, MICA_HANDLE_INVALID);
  put(c, PAGE, 'x');
  put(c, 3 * PAGE + 7, 'y');
  EXPECT_EQ(byte_at(c, PAGE), 'x');
  EXPECT_EQ(byte_at(p, PAGE), 'B');
  EXPECT_EQ(byte_at(p, 3 * PAGE + 7), 0);
  // The rest of the copied page came along.
  EXPECT_EQ(byte_at(c, 3 * PAGE), 'D');
  mica_handle_t all[2] = {p, c};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

TEST(vmo_create_child, parent_writes_are_private) {
  mica_handle_t p = lettered_parent();
  mica_handle_t c = child_of(p, COW, 0, 4 * PAGE);
  ASSERT_NE(c, MICA_HANDLE_INVALID);
  put(p, 0, 'p');
  put(p, 2 * PAGE + 1, 'q');
  EXPECT_EQ(byte_at(p, 0), 'p');
  EXPECT_EQ(byte_at(c, 0), 'A');
  EXPECT_EQ(byte_at(c, 2 * PAGE), 'C');
  EXPECT_EQ(byte_at(c, 2 * PAGE + 1), 0);
  // Then the child writes the same page: both keep their own.
  put(c, 0, 'c');
  EXPECT_EQ(byte_at(p, 0), 'p');
  EXPECT_EQ(byte_at(c, 0), 'c');
  mica_handle_t all[2] = {p, c};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

// Pages the parent had not committed at clone time are zeros in the child,
// whatever the parent writes there later.
TEST(vmo_create_child, uncommitted_pages) {
  mica_handle_t p = vmo_of(4 * PAGE, 0);
  put(p, 0, 'z');
  mica_handle_t c = child_of(p, COW, 0, 4 * PAGE);
  ASSERT_NE(c, MICA_HANDLE_INVALID);
  put(p, 2 * PAGE, 'l');
  EXPECT_EQ(byte_at(c, 2 * PAGE), 0);
  EXPECT_EQ(byte_at(c, 0), 'z');
  put(c, 3 * PAGE, 'm');
  EXPECT_EQ(byte_at(p, 3 * PAGE), 0);
  mica_handle_t all[2] = {p, c};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

TEST(vmo_create_child, offset_and_beyond_parent) {
  mica_handle_t p = lettered_parent();
  // From page 2 on, 4 pages: the last two are past the parent's end.
  mica_handle_t c = child_of(p, COW, 2 * PAGE, 4 * PAGE);
  ASSERT_NE(c, MICA_HANDLE_INVALID);
  EXPECT_EQ(byte_at(c, 0), 'C');
  EXPECT_EQ(byte_at(c, PAGE), 'D');
  EXPECT_EQ(byte_at(c, 2 * PAGE), 0);
  EXPECT_EQ(byte_at(c, 3 * PAGE), 0);
  // Entirely past the end: all zeros.
  mica_handle_t far = child_of(p, COW, 16 * PAGE, 2 * PAGE);
  ASSERT_NE(far, MICA_HANDLE_INVALID);
  EXPECT_EQ(byte_at(far, 0), 0);
  EXPECT_EQ(byte_at(far, PAGE), 0);
  // Size rounded up; size 0 is a valid empty child.
  mica_handle_t small = child_of(p, COW, 0, 1);
  uint64_t size = 0;
  EXPECT_OK(mica_vmo_get_size(small, &size));
  EXPECT_EQ(size, PAGE);
  EXPECT_EQ(byte_at(small, 0), 'A');
  mica_handle_t empty = child_of(p, COW, 0, 0);
  EXPECT_NE(empty, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_vmo_get_size(empty, &size));
  EXPECT_EQ(size, 0);
  mica_handle_t all[5] = {p, c, far, small, empty};
  EXPECT_OK(mica_handle_close_many(all, 5));
}

TEST(vmo_create_child, parent_closed_first) {
  mica_handle_t p = lettered_parent();
  mica_handle_t c = child_of(p, COW, 0, 4 * PAGE);
  ASSERT_NE(c, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_handle_close(p));
  for (uint64_t i = 0; i < 4; i++) {
    EXPECT_EQ(byte_at(c, i * PAGE), 'A' + i);
  }
  put(c, PAGE, 'k');
  EXPECT_EQ(byte_at(c, PAGE), 'k');
  EXPECT_OK(mica_handle_close(c));
}

TEST(vmo_create_child, grandchildren) {
  mica_handle_t p = lettered_parent();
  mica_handle_t c = child_of(p, COW, 0, 4 * PAGE);
  put(c, PAGE, '1');
  mica_handle_t g = child_of(c, COW, 0, 4 * PAGE);
  ASSERT_NE(g, MICA_HANDLE_INVALID);
  EXPECT_EQ(vmo_info(g).parent_koid, ct_basic(c).koid);
  EXPECT_EQ(byte_at(g, 0), 'A');
  EXPECT_EQ(byte_at(g, PAGE), '1');
  put(g, 0, 'g');
  put(c, 2 * PAGE, 'c');
  put(p, 3 * PAGE, 'p');
  EXPECT_EQ(byte_at(p, 0), 'A');
  EXPECT_EQ(byte_at(c, 0), 'A');
  EXPECT_EQ(byte_at(g, 0), 'g');
  EXPECT_EQ(byte_at(g, 2 * PAGE), 'C');
  EXPECT_EQ(byte_at(p, 2 * PAGE), 'C');
  EXPECT_EQ(byte_at(c, 3 * PAGE), 'D');
  EXPECT_EQ(byte_at(g, 3 * PAGE), 'D');
  // The middle generation goes first; the others keep their contents.
  EXPECT_OK(mica_handle_close(c));
  EXPECT_EQ(byte_at(g, PAGE), '1');
  EXPECT_EQ(byte_at(p, PAGE), 'B');
  mica_handle_t all[2] = {p, g};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

TEST(vmo_create_child, many_siblings) {
  mica_handle_t p = lettered_parent();
  mica_handle_t c[8];
  for (int i = 0; i < 8; i++) {
    c[i] = child_of(p, COW, 0, 4 * PAGE);
    ASSERT_NE(c[i], MICA_HANDLE_INVALID);
    put(c[i], PAGE, (uint8_t)('0' + i));
  }
  for (int i = 0; i < 8; i++) {
    EXPECT_EQ(byte_at(c[i], PAGE), '0' + i);
    EXPECT_EQ(byte_at(c[i], 2 * PAGE), 'C');
  }
  EXPECT_EQ(byte_at(p, PAGE), 'B');
  EXPECT_OK(mica_handle_close_many(c, 8));
  EXPECT_OK(mica_handle_close(p));
}

TEST(vmo_create_child, resize) {
  mica_handle_t p = lettered_parent();
  mica_handle_t fixed = child_of(p, COW, 0, 4 * PAGE);
  EXPECT_STATUS(mica_vmo_set_size(fixed, 8 * PAGE), MICA_ERR_NOT_SUPPORTED);
  mica_handle_t c = child_of(p, COW | MICA_VMO_CHILD_RESIZABLE, 0, 4 * PAGE);
  ASSERT_NE(c, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_vmo_set_size(c, 2 * PAGE));
  EXPECT_STATUS(mica_vmo_read(c, (uint8_t[1]){0}, 2 * PAGE, 1), MICA_ERR_OUT_OF_RANGE);
  EXPECT_OK(mica_vmo_set_size(c, 6 * PAGE));
  EXPECT_EQ(byte_at(c, PAGE), 'B');
  EXPECT_EQ(byte_at(c, 2 * PAGE), 0);  // not the parent's page again
  EXPECT_EQ(byte_at(c, 5 * PAGE), 0);
  EXPECT_EQ(byte_at(p, 2 * PAGE), 'C');
  EXPECT_EQ(byte_at(p, 3 * PAGE), 'D');
  mica_handle_t all[3] = {p, fixed, c};
  EXPECT_OK(mica_handle_close_many(all, 3));
}

TEST(vmo_create_child, parent_shrinks) {
  mica_handle_t p = vmo_of(4 * PAGE, MICA_VMO_RESIZABLE);
  for (uint64_t i = 0; i < 4; i++) {
    put(p, i * PAGE, (uint8_t)('A' + i));
  }
  mica_handle_t c = child_of(p, COW, 0, 4 * PAGE);
  ASSERT_NE(c, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_vmo_set_size(p, PAGE));
  EXPECT_EQ(byte_at(c, 3 * PAGE), 'D');
  EXPECT_OK(mica_vmo_set_size(p, 4 * PAGE));
  EXPECT_EQ(byte_at(p, 3 * PAGE), 0);
  EXPECT_EQ(byte_at(c, 3 * PAGE), 'D');
  mica_handle_t all[2] = {p, c};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

// A child of a large, sparse parent costs only the committed pages.
TEST(vmo_create_child, large_sparse) {
  uint64_t size = 256ull << 20;
  mica_handle_t p = vmo_of(size, 0);
  ASSERT_NE(p, MICA_HANDLE_INVALID);
  put(p, size - PAGE, 's');
  mica_handle_t c = child_of(p, COW, 0, size);
  ASSERT_NE(c, MICA_HANDLE_INVALID);
  EXPECT_EQ(byte_at(c, size - PAGE), 's');
  EXPECT_EQ(byte_at(c, size / 2), 0);
  EXPECT_EQ(vmo_info(c).committed_bytes, PAGE);
  mica_handle_t all[2] = {p, c};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

// ---- Through mappings ----------------------------------------------------------

TEST(vmo_create_child, parent_mapping_after_clone) {
  mica_handle_t p = vmo_of(2 * PAGE, 0);
  volatile uint8_t* m = map_rw(p, 2 * PAGE);
  ASSERT_TRUE(m != NULL);
  m[0] = 'a';
  m[PAGE] = 'b';
  mica_handle_t c = child_of(p, COW, 0, 2 * PAGE);
  ASSERT_NE(c, MICA_HANDLE_INVALID);
  // The parent's writable mapping now copies on write.
  m[0] = 'P';
  EXPECT_EQ(m[0], 'P');
  EXPECT_EQ(byte_at(p, 0), 'P');
  EXPECT_EQ(byte_at(c, 0), 'a');
  EXPECT_EQ(m[PAGE], 'b');
  // A child write is not seen through the parent's mapping.
  put(c, PAGE, 'C');
  EXPECT_EQ(m[PAGE], 'b');
  m[PAGE] = 'B';
  EXPECT_EQ(byte_at(c, PAGE), 'C');
  unmap(m, 2 * PAGE);
  mica_handle_t all[2] = {p, c};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

TEST(vmo_create_child, child_mapping) {
  mica_handle_t p = lettered_parent();
  mica_handle_t c = child_of(p, COW, 0, 4 * PAGE);
  volatile uint8_t* m = map_rw(c, 4 * PAGE);
  ASSERT_TRUE(m != NULL);
  // Reads map the shared pages; a write copies.
  EXPECT_EQ(m[0], 'A');
  EXPECT_EQ(m[PAGE], 'B');
  m[0] = 'x';
  EXPECT_EQ(m[0], 'x');
  EXPECT_EQ(byte_at(c, 0), 'x');
  EXPECT_EQ(byte_at(p, 0), 'A');
  // The parent's later write is not seen through the child's mapping.
  put(p, PAGE, 'y');
  EXPECT_EQ(m[PAGE], 'B');
  // Uncommitted in the parent: zeros, and private.
  m[2 * PAGE + 5] = 'z';
  EXPECT_EQ(byte_at(p, 2 * PAGE + 5), 0);
  unmap(m, 4 * PAGE);
  mica_handle_t all[2] = {p, c};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

TEST(vmo_create_child, both_mapped) {
  mica_handle_t p = lettered_parent();
  volatile uint8_t* mp = map_rw(p, 4 * PAGE);
  ASSERT_TRUE(mp != NULL);
  EXPECT_EQ(mp[0], 'A');  // mapped before the clone
  mica_handle_t c = child_of(p, COW, 0, 4 * PAGE);
  volatile uint8_t* mc = map_rw(c, 4 * PAGE);
  ASSERT_TRUE(mc != NULL);
  // Two mappings of the child see the same private copy.
  volatile uint8_t* mc2 = map_rw(c, 4 * PAGE);
  ASSERT_TRUE(mc2 != NULL);
  EXPECT_EQ(mc2[3 * PAGE], 'D');
  mc[3 * PAGE] = '3';
  EXPECT_EQ(mc2[3 * PAGE], '3');
  EXPECT_EQ(mp[3 * PAGE], 'D');
  mp[0] = '0';
  EXPECT_EQ(mc[0], 'A');
  EXPECT_EQ(mc2[0], 'A');
  unmap(mp, 4 * PAGE);
  unmap(mc, 4 * PAGE);
  unmap(mc2, 4 * PAGE);
  mica_handle_t all[2] = {p, c};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

// The kernel writing into a shared page through a mapping (a user copy)
// copies it like a user write does.
TEST(vmo_create_child, kernel_copy_into_shared_page) {
  mica_handle_t p = lettered_parent();
  mica_handle_t c = child_of(p, COW, 0, 4 * PAGE);
  volatile uint8_t* m = map_rw(c, 4 * PAGE);
  ASSERT_TRUE(m != NULL);
  EXPECT_EQ(m[PAGE], 'B');  // mapped read-only (shared)
  mica_time_t* t = (mica_time_t*)(uintptr_t)(m + PAGE + 8);
  EXPECT_OK(mica_clock_get_monotonic(t));
  EXPECT_GT(*t, 0);
  EXPECT_EQ(m[PAGE], 'B');
  mica_time_t in_parent = 1;
  EXPECT_OK(mica_vmo_read(p, &in_parent, PAGE + 8, sizeof(in_parent)));
  EXPECT_EQ(in_parent, 0);
  // A read-only mapping of the child is still refused.
  mica_vaddr_t ro = 0;
  ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ, 0, c, 0, PAGE, &ro));
  EXPECT_STATUS(mica_clock_get_monotonic((mica_time_t*)(uintptr_t)ro), MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), ro, PAGE));
  unmap(m, 4 * PAGE);
  mica_handle_t all[2] = {p, c};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

TEST(vmo_create_child, map_range_and_protect) {
  mica_handle_t p = lettered_parent();
  mica_handle_t c = child_of(p, COW, 0, 4 * PAGE);
  mica_vaddr_t a = 0;
  ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_MAP_RANGE, 0, c, 0,
                          4 * PAGE, &a));
  volatile uint8_t* m = (volatile uint8_t*)(uintptr_t)a;
  EXPECT_EQ(m[2 * PAGE], 'C');
  // Made writable later: writes still copy.
  ASSERT_OK(mica_vmar_protect(mica_rt_vmar_root(), RW, a + 2 * PAGE, PAGE));
  m[2 * PAGE] = 'w';
  EXPECT_EQ(byte_at(c, 2 * PAGE), 'w');
  EXPECT_EQ(byte_at(p, 2 * PAGE), 'C');
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), a, 4 * PAGE));
  mica_handle_t all[2] = {p, c};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

// A mapped child shrinks: its pages past the new end go from the mapping;
// the parent keeps them.
TEST(vmo_create_child, mapped_child_shrinks) {
  mica_handle_t p = lettered_parent();
  mica_handle_t c = child_of(p, COW | MICA_VMO_CHILD_RESIZABLE, 0, 4 * PAGE);
  volatile uint8_t* m = map_rw(c, 4 * PAGE);
  ASSERT_TRUE(m != NULL);
  EXPECT_EQ(m[3 * PAGE], 'D');
  m[2 * PAGE] = 'w';
  ASSERT_OK(mica_vmo_set_size(c, 2 * PAGE));
  EXPECT_STATUS(mica_clock_get_monotonic((mica_time_t*)(uintptr_t)(m + 3 * PAGE + 8)),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_clock_get_monotonic((mica_time_t*)(uintptr_t)(m + 2 * PAGE + 8)),
                MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(m[PAGE], 'B');
  EXPECT_EQ(byte_at(p, 2 * PAGE), 'C');
  EXPECT_EQ(byte_at(p, 3 * PAGE), 'D');
  // Grown again: zeros, not the old pages.
  ASSERT_OK(mica_vmo_set_size(c, 4 * PAGE));
  EXPECT_EQ(m[2 * PAGE], 0);
  EXPECT_EQ(m[3 * PAGE], 0);
  unmap(m, 4 * PAGE);
  mica_handle_t all[2] = {p, c};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

// After the other holder goes, a page mapped read-only while shared is
// written in place on the next write (no copy: the VMO's page stays).
TEST(vmo_create_child, sole_holder_writes_in_place) {
  mica_handle_t p = lettered_parent();
  mica_handle_t c = child_of(p, COW, 0, 4 * PAGE);
  volatile uint8_t* m = map_rw(c, 4 * PAGE);
  ASSERT_TRUE(m != NULL);
  EXPECT_EQ(m[0], 'A');  // mapped read-only: shared
  EXPECT_OK(mica_handle_close(p));
  m[0] = 'a';
  EXPECT_EQ(byte_at(c, 0), 'a');
  EXPECT_EQ(vmo_info(c).committed_bytes, 4 * PAGE);
  put(c, 0, 'b');
  EXPECT_EQ(m[0], 'b');
  unmap(m, 4 * PAGE);
  EXPECT_OK(mica_handle_close(c));
}

// ---- Errors --------------------------------------------------------------------

TEST(vmo_create_child, errors) {
  mica_handle_t p = vmo_of(PAGE, 0);
  mica_handle_t c = 0x5a5a;
  EXPECT_STATUS(mica_vmo_create_child(p, 0, 0, PAGE, &c), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmo_create_child(p, MICA_VMO_CHILD_RESIZABLE, 0, PAGE, &c),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmo_create_child(p, COW | (1u << 5), 0, PAGE, &c), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmo_create_child(p, COW, 100, PAGE, &c), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmo_create_child(p, COW, UINT64_MAX & ~(PAGE - 1), 2 * PAGE, &c),
                MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_vmo_create_child(p, COW, 0, UINT64_MAX, &c), MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_vmo_create_child(p, COW, 0, 1ull << 40, &c), MICA_ERR_OUT_OF_RANGE);
  EXPECT_EQ(c, 0x5a5a);
  mica_handle_t no_read = ct_dup(p, MICA_DEFAULT_VMO_RIGHTS & ~MICA_RIGHT_READ);
  mica_handle_t no_dup = ct_dup(p, MICA_DEFAULT_VMO_RIGHTS & ~MICA_RIGHT_DUPLICATE);
  EXPECT_STATUS(mica_vmo_create_child(no_read, COW, 0, PAGE, &c), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_vmo_create_child(no_dup, COW, 0, PAGE, &c), MICA_ERR_ACCESS_DENIED);
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_vmo_create_child(ev, COW, 0, PAGE, &c), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_vmo_create_child(MICA_HANDLE_INVALID, COW, 0, PAGE, &c), MICA_ERR_BAD_HANDLE);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_vmo_create_child(p, COW, 0, PAGE, (mica_handle_t*)ct_bad_ptrs[i].addr),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_EQ(c, 0x5a5a);
  mica_handle_t all[4] = {p, no_read, no_dup, ev};
  EXPECT_OK(mica_handle_close_many(all, 4));
}

// Contiguous and physical VMOs are never cloned.
TEST(vmo_create_child, not_for_contiguous_or_physical) {
  mica_handle_t contig = MICA_HANDLE_INVALID, phys = MICA_HANDLE_INVALID, c = 0x5a5a;
  ASSERT_OK(mica_vmo_create_contiguous(mica_rt_root_resource(), 2 * PAGE, 0, &contig));
  EXPECT_STATUS(mica_vmo_create_child(contig, COW, 0, PAGE, &c), MICA_ERR_NOT_SUPPORTED);
  uint64_t base = 0, size = 0;
  ASSERT_TRUE(ct_dt_gic_distributor(&base, &size));
  ASSERT_OK(mica_vmo_create_physical(mica_rt_root_resource(), base, PAGE, &phys));
  EXPECT_STATUS(mica_vmo_create_child(phys, COW, 0, PAGE, &c), MICA_ERR_NOT_SUPPORTED);
  EXPECT_EQ(c, 0x5a5a);
  // get_info tells the kinds apart and gives their physical base.
  mica_info_vmo_t info = vmo_info(contig);
  EXPECT_EQ(info.flags, MICA_INFO_VMO_FLAG_CONTIGUOUS);
  EXPECT_NE(info.paddr, 0);
  EXPECT_EQ(info.paddr % PAGE, 0);
  EXPECT_EQ(info.committed_bytes, 2 * PAGE);
  info = vmo_info(phys);
  EXPECT_EQ(info.flags, MICA_INFO_VMO_FLAG_PHYSICAL);
  EXPECT_EQ(info.paddr, base);
  EXPECT_EQ(info.committed_bytes, 0);
  EXPECT_EQ(info.cache_policy, MICA_CACHE_POLICY_UNCACHED_DEVICE);
  mica_handle_t all[2] = {contig, phys};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

// A child shares its parent's pages, and so their memory type.
TEST(vmo_create_child, keeps_cache_policy) {
  mica_handle_t p = vmo_of(2 * PAGE, 0);
  ASSERT_OK(mica_vmo_set_cache_policy(p, MICA_CACHE_POLICY_UNCACHED));
  put(p, PAGE, 'u');
  mica_handle_t c = child_of(p, COW, 0, 2 * PAGE);
  ASSERT_NE(c, MICA_HANDLE_INVALID);
  EXPECT_EQ(vmo_info(c).cache_policy, MICA_CACHE_POLICY_UNCACHED);
  volatile uint8_t* m = map_rw(c, 2 * PAGE);
  ASSERT_TRUE(m != NULL);
  EXPECT_EQ(m[PAGE], 'u');
  m[PAGE] = 'v';
  EXPECT_EQ(byte_at(c, PAGE), 'v');
  EXPECT_EQ(byte_at(p, PAGE), 'u');
  unmap(m, 2 * PAGE);
  mica_handle_t all[2] = {p, c};
  EXPECT_OK(mica_handle_close_many(all, 2));
}

// ---- MICA_INFO_VMO -------------------------------------------------------------

TEST(get_info, vmo) {
  mica_handle_t p = vmo_of(3 * PAGE, MICA_VMO_RESIZABLE);
  ASSERT_OK(mica_object_set_property(p, MICA_PROP_NAME, "infovmo", 7));
  put(p, PAGE, 1);
  mica_info_vmo_t info;
  size_t actual = 0, avail = 0;
  ASSERT_OK(mica_object_get_info(p, MICA_INFO_VMO, &info, sizeof(info), &actual, &avail));
  EXPECT_EQ(actual, 1);
  EXPECT_EQ(avail, 1);
  EXPECT_EQ(info.koid, ct_basic(p).koid);
  EXPECT_EQ(info.parent_koid, 0);
  EXPECT_EQ(info.size_bytes, 3 * PAGE);
  EXPECT_EQ(info.committed_bytes, PAGE);
  EXPECT_EQ(info.paddr, 0);
  EXPECT_EQ(info.flags, MICA_INFO_VMO_FLAG_RESIZABLE);
  EXPECT_EQ(info.cache_policy, MICA_CACHE_POLICY_CACHED);
  EXPECT_EQ(strcmp(info.name, "infovmo"), 0);
  mica_handle_t c = child_of(p, COW, 0, 2 * PAGE);
  info = vmo_info(c);
  EXPECT_EQ(info.parent_koid, ct_basic(p).koid);
  EXPECT_EQ(info.flags, MICA_INFO_VMO_FLAG_COW_CHILD);
  EXPECT_EQ(info.committed_bytes, PAGE);  // the shared page
  EXPECT_EQ(info.size_bytes, 2 * PAGE);
  EXPECT_STATUS(mica_object_get_info(p, MICA_INFO_VMO, &info, sizeof(info) - 1, NULL, NULL),
                MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_STATUS(
      mica_object_get_info(mica_rt_vmar_root(), MICA_INFO_VMO, &info, sizeof(info), NULL, NULL),
      MICA_ERR_WRONG_TYPE);
  mica_handle_t blind = ct_dup(p, MICA_DEFAULT_VMO_RIGHTS & ~MICA_RIGHT_INSPECT);
  EXPECT_STATUS(mica_object_get_info(blind, MICA_INFO_VMO, &info, sizeof(info), NULL, NULL),
                MICA_ERR_ACCESS_DENIED);
  mica_handle_t all[3] = {p, c, blind};
  EXPECT_OK(mica_handle_close_many(all, 3));
}
