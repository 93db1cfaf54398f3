// What a pin forbids (shrink, decommit, clone: MICA_ERR_BAD_STATE until the
// unpin), copy-on-write pages made private by a pin, and the quarantine:
// a PMT whose handle closes without pmt_unpin keeps its pages until
// bti_release_quarantine or the BTI's last handle, within the BTI's limits
// (docs/kernel.md "DMA: BTIs, PMTs and the quarantine").
#include <mica/rt/runtime.h>
#include <string.h>

#include "system/core/core-tests/bti_util.h"
#include "system/core/core-tests/task_util.h"
#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define RW (MICA_BTI_PERM_READ | MICA_BTI_PERM_WRITE)
// Slack for the kernel heap's own churn in free-memory comparisons.
#define HEAP_SLACK ((uint64_t)64 * 1024)

static uint64_t available(const mica_info_kmem_stats_t* k) {
  return k->free_bytes + k->heap_free_bytes;
}

TEST(bti_pinned, shrink_decommit_and_clone_wait_for_the_unpin) {
  mica_handle_t bti CT_AUTO_CLOSE = ct_bti();
  mica_handle_t vmo CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(4 * CT_PAGE, MICA_VMO_RESIZABLE, &vmo));
  ASSERT_OK(mica_vmo_write(vmo, "x", 0, 1));
  uint64_t addrs[2];
  mica_handle_t pmt = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_bti_pin(bti, RW, vmo, 2 * CT_PAGE, 2 * CT_PAGE, addrs, 2, &pmt));
  mica_handle_t child = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_vmo_set_size(vmo, 3 * CT_PAGE), MICA_ERR_BAD_STATE);
  EXPECT_STATUS(mica_vmo_set_size(vmo, 0), MICA_ERR_BAD_STATE);
  EXPECT_OK(mica_vmo_set_size(vmo, 8 * CT_PAGE));  // growing is fine
  EXPECT_OK(mica_vmo_set_size(vmo, 4 * CT_PAGE));  // and shrinking above the pin
  EXPECT_STATUS(mica_vmo_op_range(vmo, MICA_VMO_OP_DECOMMIT, 3 * CT_PAGE, CT_PAGE),
                MICA_ERR_BAD_STATE);
  EXPECT_STATUS(mica_vmo_op_range(vmo, MICA_VMO_OP_DECOMMIT, 0, 4 * CT_PAGE), MICA_ERR_BAD_STATE);
  EXPECT_EQ(ct_vmo_info(vmo).committed_bytes, 3 * CT_PAGE);  // nothing was decommitted
  EXPECT_OK(mica_vmo_op_range(vmo, MICA_VMO_OP_DECOMMIT, 0, 2 * CT_PAGE));
  EXPECT_EQ(ct_vmo_info(vmo).committed_bytes, 2 * CT_PAGE);
  EXPECT_STATUS(mica_vmo_create_child(vmo, MICA_VMO_CHILD_COPY_ON_WRITE, 0, 4 * CT_PAGE, &child),
                MICA_ERR_BAD_STATE);
  EXPECT_STATUS(
      mica_vmo_create_child(vmo, MICA_VMO_CHILD_COPY_ON_WRITE, 3 * CT_PAGE, CT_PAGE, &child),
      MICA_ERR_BAD_STATE);
  ASSERT_OK(mica_vmo_create_child(vmo, MICA_VMO_CHILD_COPY_ON_WRITE, 0, 2 * CT_PAGE, &child));
  EXPECT_OK(mica_handle_close(child));
  EXPECT_OK(mica_pmt_unpin(pmt));
  ASSERT_OK(mica_vmo_create_child(vmo, MICA_VMO_CHILD_COPY_ON_WRITE, 0, 4 * CT_PAGE, &child));
  EXPECT_OK(mica_handle_close(child));
  EXPECT_OK(mica_vmo_op_range(vmo, MICA_VMO_OP_DECOMMIT, 0, 4 * CT_PAGE));
  EXPECT_EQ(ct_vmo_info(vmo).committed_bytes, 0u);
  EXPECT_OK(mica_vmo_set_size(vmo, 0));
}

TEST(bti_pinned, decommit_checks_its_arguments) {
  mica_handle_t vmo CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(4 * CT_PAGE, 0, &vmo));
  EXPECT_STATUS(mica_vmo_op_range(vmo, MICA_VMO_OP_DECOMMIT, 1, CT_PAGE), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmo_op_range(vmo, MICA_VMO_OP_DECOMMIT, 0, 5), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_vmo_op_range(vmo, MICA_VMO_OP_DECOMMIT, 4 * CT_PAGE, CT_PAGE),
                MICA_ERR_OUT_OF_RANGE);
  mica_handle_t ro = ct_dup(vmo, MICA_DEFAULT_VMO_RIGHTS & ~MICA_RIGHT_WRITE);
  EXPECT_STATUS(mica_vmo_op_range(ro, MICA_VMO_OP_DECOMMIT, 0, CT_PAGE), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(ro));
  mica_handle_t contig CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create_contiguous(mica_rt_root_resource(), CT_PAGE, 0, &contig));
  EXPECT_STATUS(mica_vmo_op_range(contig, MICA_VMO_OP_DECOMMIT, 0, CT_PAGE),
                MICA_ERR_NOT_SUPPORTED);
  // Decommitted pages read as zeros again.
  ASSERT_OK(mica_vmo_write(vmo, "abc", CT_PAGE, 3));
  EXPECT_OK(mica_vmo_op_range(vmo, MICA_VMO_OP_DECOMMIT, CT_PAGE, CT_PAGE));
  char back[3] = {1, 1, 1};
  EXPECT_OK(mica_vmo_read(vmo, back, CT_PAGE, 3));
  EXPECT_EQ(back[0] | back[1] | back[2], 0);
}

// A pin makes copy-on-write pages private first (as a write fault would):
// the device's page is the pinning VMO's alone, and writes through either
// VMO never move it.
TEST(bti_pinned, copy_on_write_pages_become_private) {
  mica_handle_t bti CT_AUTO_CLOSE = ct_bti();
  mica_handle_t parent CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(2 * CT_PAGE, 0, &parent));
  ASSERT_OK(mica_vmo_write(parent, "A", 0, 1));
  ASSERT_OK(mica_vmo_write(parent, "A", CT_PAGE, 1));
  mica_handle_t child CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create_child(parent, MICA_VMO_CHILD_COPY_ON_WRITE, 0, 2 * CT_PAGE, &child));
  uint64_t addrs[2];
  mica_handle_t pc = MICA_HANDLE_INVALID, pp = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_bti_pin(bti, MICA_BTI_PERM_READ, child, 0, 2 * CT_PAGE, addrs, 2, &pc));
  uint64_t parent_addrs[2];
  ASSERT_OK(mica_bti_pin(bti, MICA_BTI_PERM_READ, parent, 0, 2 * CT_PAGE, parent_addrs, 2, &pp));
  for (int i = 0; i < 2; i++) {
    EXPECT_NE(addrs[i], parent_addrs[i]);  // no page is shared any more
  }
  ASSERT_OK(mica_vmo_write(parent, "B", 0, 1));
  ASSERT_OK(mica_vmo_write(child, "C", CT_PAGE, 1));
  char c = 0;
  EXPECT_OK(mica_vmo_read(child, &c, 0, 1));
  EXPECT_EQ(c, 'A');
  EXPECT_OK(mica_vmo_read(parent, &c, CT_PAGE, 1));
  EXPECT_EQ(c, 'A');
  // Pinning again gives the same pages: the writes moved nothing.
  uint64_t again[2];
  mica_handle_t pa = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_bti_pin(bti, MICA_BTI_PERM_READ, child, 0, 2 * CT_PAGE, again, 2, &pa));
  EXPECT_EQ(again[0], addrs[0]);
  EXPECT_EQ(again[1], addrs[1]);
  EXPECT_OK(mica_pmt_unpin(pa));
  EXPECT_OK(mica_pmt_unpin(pc));
  EXPECT_OK(mica_pmt_unpin(pp));
}

// Closing a PMT's handle without pmt_unpin quarantines it: its pages stay
// out of the free memory (even with their VMO gone) until
// bti_release_quarantine, which frees exactly them.
TEST(bti_quarantine, close_quarantines_and_release_frees) {
  enum { kPages = 64 };
  mica_handle_t bti CT_AUTO_CLOSE = ct_bti();
  mica_info_kmem_stats_t before = ct_kmem();
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(kPages * CT_PAGE, 0, &vmo));
  static uint64_t addrs[kPages];
  mica_handle_t pmt = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_bti_pin(bti, RW, vmo, 0, kPages * CT_PAGE, addrs, kPages, &pmt));
  EXPECT_OK(mica_handle_close(vmo));  // the pins keep the pages
  EXPECT_OK(mica_handle_close(pmt));  // quarantined
  mica_info_bti_t info = ct_bti_info(bti);
  EXPECT_EQ(info.pinned_pages, 0u);
  EXPECT_EQ(info.pmt_count, 0u);
  EXPECT_EQ(info.quarantined_pages, (uint64_t)kPages);
  EXPECT_EQ(info.quarantine_count, 1u);
  mica_info_kmem_stats_t during = ct_kmem();
  EXPECT_EQ(during.quarantined_bytes, before.quarantined_bytes + kPages * CT_PAGE);
  EXPECT_LE(available(&during) + kPages * CT_PAGE, available(&before) + HEAP_SLACK);
  EXPECT_OK(mica_bti_release_quarantine(bti));
  info = ct_bti_info(bti);
  EXPECT_EQ(info.quarantined_pages + info.quarantine_count, 0u);
  mica_info_kmem_stats_t after = ct_kmem();
  EXPECT_EQ(after.quarantined_bytes, before.quarantined_bytes);
  EXPECT_GE(available(&after) + HEAP_SLACK, available(&before));
  EXPECT_GE(available(&after), available(&during) + kPages * CT_PAGE - HEAP_SLACK);
}

// The BTI's last handle releases its quarantine; a PMT whose handle closes
// after that is unpinned at once (nobody could release it).
TEST(bti_quarantine, bti_close_releases) {
  mica_info_kmem_stats_t before = ct_kmem();
  mica_handle_t bti = ct_bti();
  mica_handle_t vmo CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(16 * CT_PAGE, 0, &vmo));
  uint64_t addrs[8];
  mica_handle_t quarantined = MICA_HANDLE_INVALID, live = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_bti_pin(bti, RW, vmo, 0, 8 * CT_PAGE, addrs, 8, &quarantined));
  ASSERT_OK(mica_bti_pin(bti, RW, vmo, 8 * CT_PAGE, 8 * CT_PAGE, addrs, 8, &live));
  EXPECT_OK(mica_handle_close(quarantined));
  EXPECT_EQ(ct_kmem().quarantined_bytes, before.quarantined_bytes + 8 * CT_PAGE);
  EXPECT_OK(mica_handle_close(bti));
  EXPECT_EQ(ct_kmem().quarantined_bytes, before.quarantined_bytes);
  EXPECT_OK(mica_handle_close(live));  // not quarantined: the BTI is gone
  EXPECT_EQ(ct_kmem().quarantined_bytes, before.quarantined_bytes);
  // The pages are free to go now.
  EXPECT_OK(mica_vmo_op_range(vmo, MICA_VMO_OP_DECOMMIT, 0, 16 * CT_PAGE));
}

// One BTI holds at most MICA_BTI_MAX_PMTS PMTs and MICA_BTI_MAX_PAGES
// pages, pinned and quarantined together.
TEST(bti_quarantine, limits_count_pinned_and_quarantined) {
  mica_handle_t bti CT_AUTO_CLOSE = ct_bti();
  mica_handle_t vmo CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(MICA_BTI_MAX_PIN_PAGES * CT_PAGE, 0, &vmo));
  uint64_t addr;
  static mica_handle_t pmts[MICA_BTI_MAX_PMTS];
  for (uint32_t i = 0; i < MICA_BTI_MAX_PMTS; i++) {
    ASSERT_OK(mica_bti_pin(bti, RW, vmo, 0, CT_PAGE, &addr, 1, &pmts[i]));
  }
  mica_handle_t extra = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_bti_pin(bti, RW, vmo, 0, CT_PAGE, &addr, 1, &extra), MICA_ERR_NO_RESOURCES);
  for (uint32_t i = 0; i < MICA_BTI_MAX_PMTS / 2; i++) {
    EXPECT_OK(mica_handle_close(pmts[i]));  // quarantined: still counted
  }
  EXPECT_STATUS(mica_bti_pin(bti, RW, vmo, 0, CT_PAGE, &addr, 1, &extra), MICA_ERR_NO_RESOURCES);
  mica_info_bti_t info = ct_bti_info(bti);
  EXPECT_EQ(info.quarantine_count, MICA_BTI_MAX_PMTS / 2);
  EXPECT_EQ(info.pmt_count, MICA_BTI_MAX_PMTS / 2);
  EXPECT_OK(mica_bti_release_quarantine(bti));
  EXPECT_OK(mica_bti_pin(bti, RW, vmo, 0, CT_PAGE, &addr, 1, &extra));
  EXPECT_OK(mica_pmt_unpin(extra));
  for (uint32_t i = MICA_BTI_MAX_PMTS / 2; i < MICA_BTI_MAX_PMTS; i++) {
    EXPECT_OK(mica_pmt_unpin(pmts[i]));
  }
  // Pages: MICA_BTI_MAX_PAGES / MICA_BTI_MAX_PIN_PAGES full pins, then one
  // page more is refused, quarantined or not.
  static uint64_t addrs[MICA_BTI_MAX_PIN_PAGES];
  enum { kFull = MICA_BTI_MAX_PAGES / MICA_BTI_MAX_PIN_PAGES };
  mica_handle_t big[kFull];
  for (int i = 0; i < kFull; i++) {
    ASSERT_OK(mica_bti_pin(bti, RW, vmo, 0, MICA_BTI_MAX_PIN_PAGES * CT_PAGE, addrs,
                           MICA_BTI_MAX_PIN_PAGES, &big[i]));
  }
  EXPECT_STATUS(mica_bti_pin(bti, RW, vmo, 0, CT_PAGE, &addr, 1, &extra), MICA_ERR_NO_RESOURCES);
  EXPECT_OK(mica_handle_close(big[0]));
  EXPECT_EQ(ct_bti_info(bti).quarantined_pages, MICA_BTI_MAX_PIN_PAGES);
  EXPECT_STATUS(mica_bti_pin(bti, RW, vmo, 0, CT_PAGE, &addr, 1, &extra), MICA_ERR_NO_RESOURCES);
  EXPECT_OK(mica_bti_release_quarantine(bti));
  EXPECT_OK(mica_bti_pin(bti, RW, vmo, 0, CT_PAGE, &addr, 1, &extra));
  EXPECT_OK(mica_pmt_unpin(extra));
  for (int i = 1; i < kFull; i++) {
    EXPECT_OK(mica_pmt_unpin(big[i]));
  }
  info = ct_bti_info(bti);
  EXPECT_EQ(info.pinned_pages + info.quarantined_pages, 0u);
}

// The driver case: a process pins through a BTI it was given and is
// killed; its PMT is quarantined on that BTI, which the parent still holds,
// until the parent releases it.
extern const char ct_bti_child_start[];
extern const char ct_bti_child_end[];

TEST(bti_quarantine, killed_child_leaves_its_pmt_quarantined) {
  mica_handle_t bti CT_AUTO_CLOSE = ct_bti();
  mica_info_kmem_stats_t before = ct_kmem();
  mica_handle_t process CT_AUTO_KILL = MICA_HANDLE_INVALID;
  mica_handle_t vmar CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_process_create(mica_rt_job_default(), "ct-bti", 6, 0, &process, &vmar));
  mica_handle_t code CT_AUTO_CLOSE = MICA_HANDLE_INVALID, data CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(CT_PAGE, 0, &code));
  ASSERT_OK(
      mica_vmo_write(code, ct_bti_child_start, 0, (size_t)(ct_bti_child_end - ct_bti_child_start)));
  ASSERT_OK(mica_vmo_create(CT_PAGE, 0, &data));
  uint64_t numbers[4] = {1, MICA_SYS_VMO_CREATE, MICA_SYS_BTI_PIN, MICA_SYS_NANOSLEEP};
  ASSERT_OK(mica_vmo_write(data, numbers, 72, sizeof(numbers)));  // [72] = 1: not done yet
  mica_vaddr_t code_at = 0, data_at = 0, mine = 0;
  ASSERT_OK(
      mica_vmar_map(vmar, MICA_VM_PERM_READ | MICA_VM_PERM_EXECUTE, 0, code, 0, CT_PAGE, &code_at));
  ASSERT_OK(
      mica_vmar_map(vmar, MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, data, 0, CT_PAGE, &data_at));
  ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ, 0, data, 0, CT_PAGE, &mine));
  mica_handle_t thread CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_thread_create(process, "ct-bti", 6, 0, &thread));
  mica_handle_t given = ct_dup(bti, MICA_DEFAULT_BTI_RIGHTS);
  ASSERT_OK(mica_process_start(process, thread, code_at, data_at + CT_PAGE, given, data_at));
  volatile uint64_t* status = (volatile uint64_t*)(uintptr_t)(mine + 72);
  mica_time_t end = ct_patience();
  while (*status == 1 && ct_now() < end) {
    mica_nanosleep(ct_now() + CT_MS);
  }
  EXPECT_EQ(*status, (uint64_t)MICA_OK);
  mica_info_bti_t info = ct_bti_info(bti);
  EXPECT_EQ(info.pinned_pages, 4u);
  EXPECT_EQ(info.pmt_count, 1u);
  EXPECT_OK(mica_task_kill(process));
  EXPECT_OK(mica_object_wait_one(process, MICA_PROCESS_TERMINATED, ct_patience(), NULL));
  end = ct_patience();  // its handles close as it dies, maybe just after TERMINATED
  while (ct_bti_info(bti).quarantine_count == 0 && ct_now() < end) {
    mica_nanosleep(ct_now() + CT_MS);
  }
  info = ct_bti_info(bti);
  EXPECT_EQ(info.pinned_pages, 0u);
  EXPECT_EQ(info.quarantined_pages, 4u);
  EXPECT_EQ(info.quarantine_count, 1u);
  EXPECT_EQ(ct_kmem().quarantined_bytes, before.quarantined_bytes + 4 * CT_PAGE);
  EXPECT_OK(mica_bti_release_quarantine(bti));
  EXPECT_EQ(ct_bti_info(bti).quarantined_pages, 0u);
  EXPECT_EQ(ct_kmem().quarantined_bytes, before.quarantined_bytes);
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), mine, CT_PAGE));
}
