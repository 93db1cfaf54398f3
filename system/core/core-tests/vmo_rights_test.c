// The rights of copy-on-write children: never a right the parent handle
// lacked, except WRITE (the child's writes land in its own pages;
// docs/syscalls.md, vmo_create_child).
#include <mica/rt/runtime.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define PAGE ((uint64_t)MICA_PAGE_SIZE)

static mica_rights_t rights_of(mica_handle_t h) {
  return ct_basic(h).rights;
}

// The child of a handle with `parent_rights` (a duplicate of a fresh VMO).
static mica_rights_t child_rights(mica_rights_t parent_rights) {
  // A failed call is noted (so that under allocation fault injection an
  // injected NO_MEMORY is told from a wrong answer).
  mica_handle_t vmo CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  mica_handle_t weak CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  mica_handle_t c CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  mica_status_t s = mica_vmo_create(PAGE, 0, &vmo);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_vmo_create", s);
    return 0;
  }
  weak = ct_dup(vmo, parent_rights);
  mica_rights_t r = 0;
  if (weak != MICA_HANDLE_INVALID) {
    s = mica_vmo_create_child(weak, MICA_VMO_CHILD_COPY_ON_WRITE, 0, PAGE, &c);
    if (s == MICA_OK) {
      r = rights_of(c);
    } else {
      ct_note_status(__FILE_NAME__, __LINE__, "mica_vmo_create_child", s);
    }
  }
  return r;
}

TEST(vmo_create_child, never_a_right_the_parent_lacked) {
  const mica_rights_t all = MICA_DEFAULT_VMO_RIGHTS;
  EXPECT_EQ(child_rights(all), all);
  // Each right the parent handle lacks (WRITE aside) the child lacks too.
  const mica_rights_t droppable[] = {
      MICA_RIGHT_EXECUTE,      MICA_RIGHT_MAP,     MICA_RIGHT_TRANSFER, MICA_RIGHT_GET_PROPERTY,
      MICA_RIGHT_SET_PROPERTY, MICA_RIGHT_INSPECT, MICA_RIGHT_WAIT,     MICA_RIGHT_SIGNAL};
  for (size_t i = 0; i < sizeof(droppable) / sizeof(droppable[0]); i++) {
    if ((all & droppable[i]) == 0) {
      continue;
    }
    ct_set_context("dropped right");
    EXPECT_EQ(child_rights(all & ~droppable[i]), all & ~droppable[i]);
  }
  // WRITE: the child's pages are its own copies.
  EXPECT_EQ(child_rights(all & ~MICA_RIGHT_WRITE), all);
  // The least a parent handle needs: DUPLICATE and READ.
  EXPECT_EQ(child_rights(MICA_RIGHT_DUPLICATE | MICA_RIGHT_READ),
            MICA_RIGHT_DUPLICATE | MICA_RIGHT_READ | MICA_RIGHT_WRITE);
  ct_set_context(NULL);
}

// Without EXECUTE on the parent handle, no executable mapping of a child,
// nor of a grandchild.
TEST(vmo_create_child, no_execute_through_a_child) {
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(PAGE, 0, &vmo));
  mica_handle_t nx = ct_dup(vmo, MICA_DEFAULT_VMO_RIGHTS & ~MICA_RIGHT_EXECUTE);
  ASSERT_NE(nx, MICA_HANDLE_INVALID);
  mica_handle_t c = MICA_HANDLE_INVALID, gc = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create_child(nx, MICA_VMO_CHILD_COPY_ON_WRITE, 0, PAGE, &c));
  ASSERT_OK(mica_vmo_create_child(c, MICA_VMO_CHILD_COPY_ON_WRITE, 0, PAGE, &gc));
  EXPECT_EQ(rights_of(c) & MICA_RIGHT_EXECUTE, 0);
  EXPECT_EQ(rights_of(gc) & MICA_RIGHT_EXECUTE, 0);
  mica_vaddr_t addr = 0;
  EXPECT_STATUS(mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_EXECUTE, 0, c,
                              0, PAGE, &addr),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_EXECUTE, 0, gc,
                              0, PAGE, &addr),
                MICA_ERR_ACCESS_DENIED);
  // A duplicate cannot add it back either.
  mica_handle_t up = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_handle_duplicate(c, MICA_DEFAULT_VMO_RIGHTS, &up), MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_handle_close(gc));
  EXPECT_OK(mica_handle_close(c));
  EXPECT_OK(mica_handle_close(nx));
  EXPECT_OK(mica_handle_close(vmo));
}
