// bti_create, bti_pin, pmt_unpin, bti_release_quarantine and MICA_INFO_BTI
// (docs/syscalls.md section DMA; docs/kernel.md "DMA: BTIs, PMTs and the
// quarantine"): pins of anonymous and contiguous VMOs, every refused
// argument, what a pin forbids, and the quarantine of PMTs whose handle
// closed without an unpin (bti_child_test.c: a killed child's).
#include <mica/rt/runtime.h>
#include <string.h>

#include "system/core/core-tests/bti_util.h"
#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define RW (MICA_BTI_PERM_READ | MICA_BTI_PERM_WRITE)

TEST(bti, create_from_root_or_mmio_resource) {
  mica_handle_t bti = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_bti_create(mica_rt_root_resource(), 0, &bti));
  mica_info_handle_basic_t b = ct_basic(bti);
  EXPECT_EQ(b.type, MICA_OBJ_TYPE_BTI);
  EXPECT_EQ(b.rights, MICA_DEFAULT_BTI_RIGHTS);
  mica_info_bti_t info = ct_bti_info(bti);
  EXPECT_EQ(info.pinned_pages + info.quarantined_pages, 0u);
  EXPECT_EQ(info.pmt_count + info.quarantine_count, 0u);
  EXPECT_OK(mica_handle_close(bti));
  mica_handle_t mmio = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_resource_create(mica_rt_root_resource(), MICA_RSRC_KIND_MMIO, 0x10000000,
                                 MICA_PAGE_SIZE, "m", 1, &mmio));
  EXPECT_OK(mica_bti_create(mmio, 0, &bti));
  EXPECT_OK(mica_handle_close(bti));
  EXPECT_STATUS(mica_bti_create(mmio, 1, &bti), MICA_ERR_INVALID_ARGS);
  mica_handle_t weak = ct_dup(mmio, MICA_DEFAULT_RESOURCE_RIGHTS & ~MICA_RIGHT_MANAGE_RESOURCE);
  EXPECT_STATUS(mica_bti_create(weak, 0, &bti), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_OK(mica_handle_close(mmio));
  mica_handle_t irq = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_resource_create(mica_rt_root_resource(), MICA_RSRC_KIND_IRQ, 40, 1, "i", 1, &irq));
  EXPECT_STATUS(mica_bti_create(irq, 0, &bti), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(irq));
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_bti_create(ev, 0, &bti), MICA_ERR_WRONG_TYPE);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_STATUS(mica_bti_create(mica_rt_root_resource(), 0, NULL), MICA_ERR_INVALID_ARGS);
}

TEST(bti, pin_anonymous_commits_and_unpin_consumes) {
  mica_handle_t bti CT_AUTO_CLOSE = ct_bti();
  mica_handle_t vmo CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(8 * CT_PAGE, 0, &vmo));
  ASSERT_OK(mica_vmo_write(vmo, "dma", CT_PAGE, 3));
  uint64_t addrs[4] = {0};
  mica_handle_t pmt = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_bti_pin(bti, RW, vmo, CT_PAGE, 4 * CT_PAGE, addrs, 4, &pmt));
  mica_info_handle_basic_t b = ct_basic(pmt);
  EXPECT_EQ(b.type, MICA_OBJ_TYPE_PMT);
  EXPECT_EQ(b.rights, MICA_DEFAULT_PMT_RIGHTS);
  for (int i = 0; i < 4; i++) {
    EXPECT_NE(addrs[i], 0u);
    EXPECT_EQ(addrs[i] % CT_PAGE, 0u);
    for (int j = 0; j < i; j++) {
      EXPECT_NE(addrs[i], addrs[j]);
    }
  }
  EXPECT_EQ(ct_vmo_info(vmo).committed_bytes, 4 * CT_PAGE);  // pinning commits
  char back[3] = {0};
  EXPECT_OK(mica_vmo_read(vmo, back, CT_PAGE, 3));
  EXPECT_EQ(memcmp(back, "dma", 3), 0);  // the committed page kept its bytes
  mica_info_bti_t info = ct_bti_info(bti);
  EXPECT_EQ(info.pinned_pages, 4u);
  EXPECT_EQ(info.pmt_count, 1u);
  mica_handle_t dup = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_handle_duplicate(pmt, MICA_RIGHT_SAME_RIGHTS, &dup), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_pmt_unpin(pmt));
  EXPECT_FALSE(ct_valid(pmt));
  EXPECT_STATUS(mica_pmt_unpin(pmt), MICA_ERR_BAD_HANDLE);
  info = ct_bti_info(bti);
  EXPECT_EQ(info.pinned_pages + info.quarantined_pages, 0u);
  EXPECT_EQ(info.pmt_count + info.quarantine_count, 0u);
}

TEST(bti, pin_contiguous_gives_the_vmo_paddr) {
  mica_handle_t bti CT_AUTO_CLOSE = ct_bti();
  mica_handle_t vmo CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create_contiguous(mica_rt_root_resource(), 8 * CT_PAGE, 0, &vmo));
  uint64_t paddr = ct_vmo_info(vmo).paddr;
  ASSERT_NE(paddr, 0u);
  uint64_t one = 0;
  mica_handle_t pmt = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_bti_pin(bti, MICA_BTI_PERM_READ | MICA_BTI_CONTIGUOUS, vmo, 0, 8 * CT_PAGE, &one,
                         1, &pmt));
  EXPECT_EQ(one, paddr);
  EXPECT_OK(mica_pmt_unpin(pmt));
  ASSERT_OK(mica_bti_pin(bti, MICA_BTI_PERM_WRITE | MICA_BTI_CONTIGUOUS, vmo, 2 * CT_PAGE,
                         3 * CT_PAGE, &one, 1, &pmt));
  EXPECT_EQ(one, paddr + 2 * CT_PAGE);
  EXPECT_OK(mica_pmt_unpin(pmt));
  uint64_t addrs[8] = {0};
  ASSERT_OK(mica_bti_pin(bti, RW, vmo, 0, 8 * CT_PAGE, addrs, 8, &pmt));
  for (int i = 0; i < 8; i++) {
    EXPECT_EQ(addrs[i], paddr + (uint64_t)i * CT_PAGE);
  }
  EXPECT_EQ(ct_bti_info(bti).pinned_pages, 8u);
  EXPECT_OK(mica_pmt_unpin(pmt));
  EXPECT_EQ(ct_bti_info(bti).pinned_pages, 0u);
}

// Every refused argument leaves nothing pinned.
TEST(bti, pin_refuses_bad_arguments) {
  mica_handle_t bti CT_AUTO_CLOSE = ct_bti();
  mica_handle_t vmo CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(8 * CT_PAGE, 0, &vmo));
  uint64_t addrs[8];
  mica_handle_t pmt = MICA_HANDLE_INVALID;
  const uint64_t P = CT_PAGE;
  EXPECT_STATUS(mica_bti_pin(bti, 0, vmo, 0, P, addrs, 1, &pmt), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_bti_pin(bti, MICA_BTI_CONTIGUOUS, vmo, 0, P, addrs, 1, &pmt),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_bti_pin(bti, RW | (1u << 2), vmo, 0, P, addrs, 1, &pmt),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_bti_pin(bti, RW | (1u << 31), vmo, 0, P, addrs, 1, &pmt),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_bti_pin(bti, RW, vmo, 1, P, addrs, 1, &pmt), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_bti_pin(bti, RW, vmo, 0, P + 1, addrs, 1, &pmt), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_bti_pin(bti, RW, vmo, 0, 0, addrs, 0, &pmt), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_bti_pin(bti, RW, vmo, 0, 2 * P, addrs, 1, &pmt), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_bti_pin(bti, RW, vmo, 0, 2 * P, addrs, 3, &pmt), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_bti_pin(bti, RW, vmo, 7 * P, 2 * P, addrs, 2, &pmt), MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_bti_pin(bti, RW, vmo, 8 * P, P, addrs, 1, &pmt), MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_bti_pin(bti, RW, vmo, UINT64_MAX - P + 1, 2 * P, addrs, 2, &pmt),
                MICA_ERR_OUT_OF_RANGE);
  // Past MICA_BTI_MAX_PIN_PAGES, however large the VMO.
  mica_handle_t big CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create((MICA_BTI_MAX_PIN_PAGES + 1) * P, 0, &big));
  EXPECT_STATUS(mica_bti_pin(bti, RW, big, 0, (MICA_BTI_MAX_PIN_PAGES + 1) * P, addrs,
                             MICA_BTI_MAX_PIN_PAGES + 1, &pmt),
                MICA_ERR_OUT_OF_RANGE);
  // CONTIGUOUS needs a contiguous VMO.
  EXPECT_STATUS(mica_bti_pin(bti, RW | MICA_BTI_CONTIGUOUS, vmo, 0, P, addrs, 1, &pmt),
                MICA_ERR_NOT_SUPPORTED);
  // Rights: READ for PERM_READ, WRITE for PERM_WRITE, MAP always.
  mica_handle_t ro = ct_dup(vmo, MICA_DEFAULT_VMO_RIGHTS & ~MICA_RIGHT_WRITE);
  EXPECT_STATUS(mica_bti_pin(bti, MICA_BTI_PERM_WRITE, ro, 0, P, addrs, 1, &pmt),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_bti_pin(bti, MICA_BTI_PERM_READ, ro, 0, P, addrs, 1, &pmt));
  EXPECT_OK(mica_pmt_unpin(pmt));
  EXPECT_OK(mica_handle_close(ro));
  mica_handle_t wo = ct_dup(vmo, MICA_DEFAULT_VMO_RIGHTS & ~MICA_RIGHT_READ);
  EXPECT_STATUS(mica_bti_pin(bti, MICA_BTI_PERM_READ, wo, 0, P, addrs, 1, &pmt),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(wo));
  mica_handle_t nomap = ct_dup(vmo, MICA_DEFAULT_VMO_RIGHTS & ~MICA_RIGHT_MAP);
  EXPECT_STATUS(mica_bti_pin(bti, RW, nomap, 0, P, addrs, 1, &pmt), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(nomap));
  mica_handle_t weak = ct_dup(bti, MICA_DEFAULT_BTI_RIGHTS & ~MICA_RIGHT_MAP);
  EXPECT_STATUS(mica_bti_pin(weak, RW, vmo, 0, P, addrs, 1, &pmt), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_STATUS(mica_bti_pin(vmo, RW, vmo, 0, P, addrs, 1, &pmt), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_bti_pin(bti, RW, bti, 0, P, addrs, 1, &pmt), MICA_ERR_WRONG_TYPE);
  // Bad output pointers: refused, and nothing stays pinned.
  for (int i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_bti_pin(bti, RW, vmo, 0, P, (uint64_t*)ct_bad_ptrs[i].addr, 1, &pmt),
                  MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_bti_pin(bti, RW, vmo, 0, P, addrs, 1, (mica_handle_t*)ct_bad_ptrs[i].addr),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  mica_info_bti_t info = ct_bti_info(bti);
  EXPECT_EQ(info.pinned_pages + info.quarantined_pages, 0u);
  EXPECT_EQ(info.pmt_count + info.quarantine_count, 0u);
}

TEST(bti, physical_vmo_is_not_pinned) {
  mica_handle_t bti CT_AUTO_CLOSE = ct_bti();
  uint64_t base, size;
  ASSERT_TRUE(ct_gic_window(&base, &size));
  mica_handle_t vmo CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create_physical(mica_rt_root_resource(), base, CT_PAGE, &vmo));
  uint64_t addr;
  mica_handle_t pmt = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_bti_pin(bti, RW, vmo, 0, CT_PAGE, &addr, 1, &pmt), MICA_ERR_NOT_SUPPORTED);
}

TEST(bti, unpin_and_release_refuse_bad_handles) {
  mica_handle_t bti CT_AUTO_CLOSE = ct_bti();
  mica_handle_t ev CT_AUTO_CLOSE = ct_event();
  EXPECT_STATUS(mica_pmt_unpin(ev), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_pmt_unpin(bti), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_pmt_unpin(MICA_HANDLE_INVALID), MICA_ERR_BAD_HANDLE);
  EXPECT_STATUS(mica_bti_release_quarantine(ev), MICA_ERR_WRONG_TYPE);
  mica_handle_t weak = ct_dup(bti, MICA_DEFAULT_BTI_RIGHTS & ~MICA_RIGHT_WRITE);
  EXPECT_STATUS(mica_bti_release_quarantine(weak), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_OK(mica_bti_release_quarantine(bti));  // an empty quarantine
  mica_info_bti_t info;
  mica_handle_t nosee = ct_dup(bti, MICA_DEFAULT_BTI_RIGHTS & ~MICA_RIGHT_INSPECT);
  EXPECT_STATUS(mica_object_get_info(nosee, MICA_INFO_BTI, &info, sizeof(info), NULL, NULL),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(nosee));
  EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_BTI, &info, sizeof(info), NULL, NULL),
                MICA_ERR_WRONG_TYPE);
}
