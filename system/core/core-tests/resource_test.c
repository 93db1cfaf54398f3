// The root resource (MICA_BOOTSTRAP_ROOT_RESOURCE) and resource_create
// (docs/syscalls.md, "Interrupts and resources").
#include <mica/rt/runtime.h>
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define PAGE ((uint64_t)MICA_PAGE_SIZE)
// Any page-aligned physical range will do: resources only carry numbers.
#define MMIO_BASE ((uint64_t)0x40000000)

static mica_handle_t sub(mica_handle_t parent, uint32_t kind, uint64_t base, uint64_t size) {
  mica_handle_t out = MICA_HANDLE_INVALID;
  mica_status_t s = mica_resource_create(parent, kind, base, size, "t", 1, &out);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_resource_create", s);
    return MICA_HANDLE_INVALID;
  }
  return out;
}

TEST(resource, root_resource_is_given_to_the_first_process) {
  mica_handle_t root = mica_rt_root_resource();
  ASSERT_NE(root, MICA_HANDLE_INVALID);
  mica_info_handle_basic_t b = ct_basic(root);
  EXPECT_EQ(b.type, MICA_OBJ_TYPE_RESOURCE);
  EXPECT_EQ(b.rights, MICA_DEFAULT_RESOURCE_RIGHTS);
  // It can be duplicated (and so passed on), never with more rights.
  mica_handle_t dup = ct_dup(root, MICA_RIGHT_SAME_RIGHTS);
  ASSERT_NE(dup, MICA_HANDLE_INVALID);
  EXPECT_EQ(ct_basic(dup).koid, b.koid);
  mica_handle_t out = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_handle_duplicate(root, MICA_RIGHT_READ, &out), MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_handle_close(dup));
}

TEST(resource, create_mmio_and_irq) {
  mica_handle_t root = mica_rt_root_resource();
  mica_handle_t mmio = MICA_HANDLE_INVALID, irq = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_resource_create(root, MICA_RSRC_KIND_MMIO, MMIO_BASE, 4 * PAGE, "mmio", 4, &mmio));
  ASSERT_OK(mica_resource_create(root, MICA_RSRC_KIND_IRQ, 40, 8, "irq", 3, &irq));
  mica_info_handle_basic_t b = ct_basic(mmio);
  EXPECT_EQ(b.type, MICA_OBJ_TYPE_RESOURCE);
  EXPECT_EQ(b.rights, MICA_DEFAULT_RESOURCE_RIGHTS);
  EXPECT_EQ(ct_basic(irq).type, MICA_OBJ_TYPE_RESOURCE);
  EXPECT_NE(ct_basic(irq).koid, b.koid);
  EXPECT_OK(mica_handle_close(mmio));
  EXPECT_OK(mica_handle_close(irq));
}

TEST(resource, long_names_are_accepted) {
  // The name is truncated to MICA_MAX_NAME_LEN - 1 bytes.
  char long_name[100];
  memset(long_name, 'n', sizeof(long_name));
  mica_handle_t r = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_resource_create(mica_rt_root_resource(), MICA_RSRC_KIND_IRQ, 50, 1, long_name,
                                 sizeof(long_name), &r));
  EXPECT_EQ(ct_basic(r).type, MICA_OBJ_TYPE_RESOURCE);
  EXPECT_OK(mica_handle_close(r));
}

TEST(resource, bad_kind_or_zero_size_is_invalid) {
  mica_handle_t root = mica_rt_root_resource();
  mica_handle_t out = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_resource_create(root, MICA_RSRC_KIND_ROOT, 0, PAGE, "", 0, &out),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_resource_create(root, 4, 0, PAGE, "", 0, &out), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_resource_create(root, UINT32_MAX, 0, 1, "", 0, &out), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_resource_create(root, MICA_RSRC_KIND_MMIO, MMIO_BASE, 0, "", 0, &out),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_resource_create(root, MICA_RSRC_KIND_IRQ, 40, 0, "", 0, &out),
                MICA_ERR_INVALID_ARGS);
}

TEST(resource, unaligned_mmio_is_invalid) {
  mica_handle_t root = mica_rt_root_resource();
  mica_handle_t out = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_resource_create(root, MICA_RSRC_KIND_MMIO, MMIO_BASE + 8, PAGE, "", 0, &out),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_resource_create(root, MICA_RSRC_KIND_MMIO, MMIO_BASE, PAGE + 1, "", 0, &out),
                MICA_ERR_INVALID_ARGS);
  // IRQ ranges are interrupt numbers: no alignment.
  mica_handle_t irq = sub(root, MICA_RSRC_KIND_IRQ, 33, 3);
  EXPECT_NE(irq, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_handle_close(irq));
}

TEST(resource, overflowing_range_is_out_of_range) {
  mica_handle_t root = mica_rt_root_resource();
  mica_handle_t out = MICA_HANDLE_INVALID;
  EXPECT_STATUS(
      mica_resource_create(root, MICA_RSRC_KIND_MMIO, UINT64_MAX - PAGE + 1, 2 * PAGE, "", 0, &out),
      MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_resource_create(root, MICA_RSRC_KIND_IRQ, UINT64_MAX, 2, "", 0, &out),
                MICA_ERR_OUT_OF_RANGE);
}

TEST(resource, only_narrower_than_the_parent) {
  mica_handle_t parent = sub(mica_rt_root_resource(), MICA_RSRC_KIND_MMIO, MMIO_BASE, 4 * PAGE);
  ASSERT_NE(parent, MICA_HANDLE_INVALID);
  mica_handle_t out = MICA_HANDLE_INVALID;
  // The same range and parts of it are fine.
  mica_handle_t same = sub(parent, MICA_RSRC_KIND_MMIO, MMIO_BASE, 4 * PAGE);
  mica_handle_t part = sub(parent, MICA_RSRC_KIND_MMIO, MMIO_BASE + PAGE, 2 * PAGE);
  EXPECT_NE(same, MICA_HANDLE_INVALID);
  EXPECT_NE(part, MICA_HANDLE_INVALID);
  // A grandchild is bounded by its own parent.
  EXPECT_STATUS(mica_resource_create(part, MICA_RSRC_KIND_MMIO, MMIO_BASE, PAGE, "", 0, &out),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(
      mica_resource_create(parent, MICA_RSRC_KIND_MMIO, MMIO_BASE - PAGE, 2 * PAGE, "", 0, &out),
      MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_resource_create(parent, MICA_RSRC_KIND_MMIO, MMIO_BASE + 3 * PAGE, 2 * PAGE,
                                     "", 0, &out),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_resource_create(parent, MICA_RSRC_KIND_MMIO, MMIO_BASE, 5 * PAGE, "", 0, &out),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(same));
  EXPECT_OK(mica_handle_close(part));
  mica_handle_t irqs = sub(mica_rt_root_resource(), MICA_RSRC_KIND_IRQ, 40, 4);
  ASSERT_NE(irqs, MICA_HANDLE_INVALID);
  mica_handle_t one = sub(irqs, MICA_RSRC_KIND_IRQ, 43, 1);
  EXPECT_NE(one, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_resource_create(irqs, MICA_RSRC_KIND_IRQ, 43, 2, "", 0, &out),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_resource_create(irqs, MICA_RSRC_KIND_IRQ, 39, 1, "", 0, &out),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(one));
  EXPECT_OK(mica_handle_close(irqs));
  EXPECT_OK(mica_handle_close(parent));
}

TEST(resource, other_kind_is_denied) {
  mica_handle_t mmio = sub(mica_rt_root_resource(), MICA_RSRC_KIND_MMIO, MMIO_BASE, PAGE);
  mica_handle_t irq = sub(mica_rt_root_resource(), MICA_RSRC_KIND_IRQ, 40, 1);
  ASSERT_NE(mmio, MICA_HANDLE_INVALID);
  ASSERT_NE(irq, MICA_HANDLE_INVALID);
  mica_handle_t out = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_resource_create(mmio, MICA_RSRC_KIND_IRQ, 0, 1, "", 0, &out),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_resource_create(irq, MICA_RSRC_KIND_MMIO, 0, PAGE, "", 0, &out),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(mmio));
  EXPECT_OK(mica_handle_close(irq));
}

TEST(resource, handle_errors) {
  mica_handle_t out = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_resource_create(MICA_HANDLE_INVALID, MICA_RSRC_KIND_IRQ, 40, 1, "", 0, &out),
                MICA_ERR_BAD_HANDLE);
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_resource_create(ev, MICA_RSRC_KIND_IRQ, 40, 1, "", 0, &out),
                MICA_ERR_WRONG_TYPE);
  EXPECT_OK(mica_handle_close(ev));
  mica_handle_t weak = ct_dup(mica_rt_root_resource(), MICA_RIGHT_DUPLICATE | MICA_RIGHT_INSPECT);
  ASSERT_NE(weak, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_resource_create(weak, MICA_RSRC_KIND_IRQ, 40, 1, "", 0, &out),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(weak));
}

TEST(resource, bad_pointers_are_invalid_args) {
  mica_handle_t root = mica_rt_root_resource();
  for (int i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    mica_handle_t out = MICA_HANDLE_INVALID;
    EXPECT_STATUS(mica_resource_create(root, MICA_RSRC_KIND_IRQ, 40, 1,
                                       (const void*)ct_bad_ptrs[i].addr, 4, &out),
                  MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_resource_create(root, MICA_RSRC_KIND_IRQ, 40, 1, "x", 1,
                                       (mica_handle_t*)ct_bad_ptrs[i].addr),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
}
