// vmar_unmap over sub-regions, vmar_protect on parts of mappings,
// vmar_destroy and MICA_INFO_VMAR (docs/syscalls.md, "VMARs").
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"
#include "system/core/core-tests/vm_util.h"

// ---- vmar_unmap ----------------------------------------------------------------

TEST(vmar_unmap, sub_regions) {
  mica_vaddr_t base = 0;
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_ALL, 0, 16 * PAGE, &base);
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
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_ALL, 0, 8 * PAGE, &base);
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
  mica_status_t s = mica_vmar_map(v, RW | MICA_VM_SPECIFIC, 0, *vmo, 0, 4 * PAGE, m);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_vmar_map", s);
    ct_destroy_on_return(&v);
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
  mica_handle_t v CT_AUTO_DESTROY = rw_setup(&vmo, &m);
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
  mica_handle_t v CT_AUTO_DESTROY = rw_setup(&vmo, &m);
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
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_ALL, 0, 8 * PAGE, &base);
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
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_ALL, 0, 8 * PAGE, &base);
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
  mica_handle_t v CT_AUTO_DESTROY = rw_setup(&vmo, &m);
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
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_ALL, 0, 32 * PAGE, &base);
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
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_RW, 0, PAGE, NULL);
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
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_RW, 0, 2 * PAGE, &base);
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
  mica_handle_t proc CT_AUTO_KILL = MICA_HANDLE_INVALID;
  mica_handle_t vmar = MICA_HANDLE_INVALID;
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

// What a child process runs: loads 8 bytes from the address in x1 and
// exits with them as its status.
static const uint32_t kLoadAndExit[4] = {
    0xf9400022,  // ldr x2, [x1]
    0xaa0203e0,  // mov x0, x2
    0xd2800468,  // mov x8, #35 (process_exit)
    0xd4000001,  // svc #0
};

// Runs kLoadAndExit in a new process, loading from a mapping in a
// sub-region of it that is destroyed first if `destroy`. Fills `info`.
static void run_loader(bool destroy, mica_info_process_t* info) {
  memset(info, 0, sizeof(*info));
  mica_handle_t proc CT_AUTO_KILL = MICA_HANDLE_INVALID;
  mica_handle_t vmar = MICA_HANDLE_INVALID, thread = 0;
  ASSERT_OK(mica_process_create(mica_rt_job_default(), "vmar-loader", 11, 0, &proc, &vmar));
  mica_handle_t code = vmo_of(PAGE), data = vmo_of(PAGE);
  uint64_t value = 0x1234;
  EXPECT_OK(mica_vmo_write(code, kLoadAndExit, 0, sizeof(kLoadAndExit)));
  EXPECT_OK(mica_vmo_write(data, &value, 0, sizeof(value)));
  mica_vaddr_t entry = 0, addr = 0;
  EXPECT_OK(
      mica_vmar_map(vmar, MICA_VM_PERM_READ | MICA_VM_PERM_EXECUTE, 0, code, 0, PAGE, &entry));
  mica_handle_t region = sub(vmar, CAN_RW, 0, 4 * PAGE, NULL);
  EXPECT_NE(region, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_vmar_map(region, MICA_VM_PERM_READ, 0, data, 0, PAGE, &addr));
  if (destroy) {
    EXPECT_OK(mica_vmar_destroy(region));
  }
  EXPECT_OK(mica_thread_create(proc, "loader", 6, 0, &thread));
  mica_status_t started =
      mica_process_start(proc, thread, entry, entry + PAGE, MICA_HANDLE_INVALID, addr);
  EXPECT_OK(started);
  if (started == MICA_OK) {
    EXPECT_OK(mica_object_wait_one(proc, MICA_TASK_TERMINATED, ct_now() + 10000000000ll, NULL));
  }
  EXPECT_OK(mica_object_get_info(proc, MICA_INFO_PROCESS, info, sizeof(*info), NULL, NULL));
  (void)mica_task_kill(proc);  // one that never started would stay in the job
  mica_handle_t all[6] = {proc, vmar, code, data, region, thread};
  EXPECT_OK(mica_handle_close_many(all, 6));
}

// A process touching a mapping of a destroyed region faults.
TEST(vmar_destroy, mappings_fault_afterwards) {
  mica_info_process_t info;
  run_loader(false, &info);
  EXPECT_EQ(info.return_code, 0x1234);
  EXPECT_EQ(info.flags & MICA_INFO_PROCESS_FLAG_FAULTED, 0);
  run_loader(true, &info);
  EXPECT_EQ(info.return_code, MICA_TASK_RETCODE_FAULT);
  EXPECT_NE(info.flags & MICA_INFO_PROCESS_FLAG_FAULTED, 0);
}

// ---- Limits ------------------------------------------------------------------

// An address space holds at most 8192 mappings and sub-regions: past that
// vmar_map and vmar_allocate fail with NO_RESOURCES and splits with
// NO_MEMORY, changing nothing; destroying gives the room back.
TEST(vmar_limits, entries) {
  const uint64_t kMax = 8192;
  mica_vaddr_t base = 0;
  mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_ALL, 0, (kMax + 16) * PAGE, &base);
  ASSERT_NE(v, MICA_HANDLE_INVALID);
  mica_handle_t vmo = vmo_of(3 * PAGE);
  mica_vaddr_t m = 0;
  ASSERT_OK(mica_vmar_map(v, RW | MICA_VM_SPECIFIC, 0, vmo, 0, 3 * PAGE, &m));
  uint64_t made = 0;
  mica_status_t last = MICA_OK;
  for (uint64_t i = 3; i < kMax + 16; i++) {
    mica_vaddr_t a;
    last = mica_vmar_map(v, MICA_VM_PERM_READ | MICA_VM_SPECIFIC, i * PAGE, vmo, 0, PAGE, &a);
    if (last != MICA_OK) {
      break;
    }
    made++;
  }
  EXPECT_STATUS(last, MICA_ERR_NO_RESOURCES);
  // Everything else in this process's tree takes the rest.
  EXPECT_GT(made, kMax - 64);
  EXPECT_LT(made, kMax);
  mica_handle_t h;
  mica_vaddr_t a;
  EXPECT_STATUS(mica_vmar_allocate(v, CAN_RW, 0, PAGE, &h, &a), MICA_ERR_NO_RESOURCES);
  // Splitting the 3-page mapping needs two more entries.
  EXPECT_STATUS(mica_vmar_protect(v, MICA_VM_PERM_READ, m + PAGE, PAGE), MICA_ERR_NO_MEMORY);
  EXPECT_STATUS(mica_vmar_unmap(v, m + PAGE, PAGE), MICA_ERR_NO_MEMORY);
  EXPECT_TRUE(writable(m + PAGE));
  EXPECT_OK(mica_vmar_unmap(v, m + 3 * PAGE, 2 * PAGE));
  EXPECT_OK(mica_vmar_protect(v, MICA_VM_PERM_READ, m + PAGE, PAGE));
  EXPECT_FALSE(writable(m + PAGE));
  EXPECT_TRUE(writable(m + 2 * PAGE));
  EXPECT_OK(mica_vmar_destroy(v));
  mica_handle_t again CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_RW, 0, PAGE, NULL);
  EXPECT_NE(again, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_vmar_destroy(again));
  mica_handle_t all[3] = {v, vmo, again};
  EXPECT_OK(mica_handle_close_many(all, 3));
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
