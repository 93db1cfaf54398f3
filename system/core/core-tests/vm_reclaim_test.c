// Page tables are reclaimed (R1 bug 4): a table page that no longer maps
// anything is freed by vmar_unmap, vmar_protect and vmar_destroy, so a
// process that maps and unmaps at random addresses all day (a launcher:
// userboot's loader maps each program into itself at a random address)
// keeps a flat footprint. Memory is read with KMEM_STATS through the root
// resource and must come back exactly to its baseline.
#include <mica/rt/runtime.h>
#include <mica/rt/thread.h>
#include <string.h>

#include "system/core/core-tests/task_util.h"
#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"
#include "system/core/core-tests/vm_util.h"

// The kernel's free memory: free pages plus free heap (objects come and go
// from the heap; page tables come from the free pages).
static uint64_t free_now(void) {
  mica_info_kmem_stats_t k;
  memset(&k, 0, sizeof(k));
  if (mica_object_get_info(mica_rt_root_resource(), MICA_INFO_KMEM_STATS, &k, sizeof(k), NULL,
                           NULL) != MICA_OK) {
    return 0;
  }
  return k.free_bytes + k.heap_free_bytes;
}

// The free memory once nothing changes it any more (work other threads
// finish, such as the reaper freeing processes that died earlier): two
// equal readings 20 ms apart, or the last reading after 5 s.
static uint64_t free_quiet(void) {
  mica_time_t end = ct_now() + 5000 * CT_MS;
  uint64_t last = free_now();
  for (;;) {
    mica_nanosleep(ct_now() + 20 * CT_MS);
    uint64_t now = free_now();
    if (now == last || ct_now() >= end) {
      return now;
    }
    last = now;
  }
}

// Polls until the free memory is `baseline` again or 5 s pass.
static uint64_t free_settled(uint64_t baseline) {
  mica_time_t end = ct_now() + 5000 * CT_MS;
  uint64_t now = free_now();
  while (now != baseline && ct_now() < end) {
    mica_nanosleep(ct_now() + 10 * CT_MS);
    now = free_now();
  }
  return now;
}

// One page mapped read-write at a random address (non-specific vmar_map in
// the root VMAR), touched, unmapped. Returns the address, 0 on failure.
static mica_vaddr_t map_touch_unmap(mica_handle_t vmo, uint32_t mark) {
  mica_vaddr_t addr = 0;
  if (mica_vmar_map(mica_rt_vmar_root(), RW, 0, vmo, 0, PAGE, &addr) != MICA_OK) {
    return 0;
  }
  *(volatile uint32_t*)(uintptr_t)addr = mark;
  if (mica_vmar_unmap(mica_rt_vmar_root(), addr, PAGE) != MICA_OK) {
    return 0;
  }
  return addr;
}

enum { kRounds = 4000 };

TEST(vm_reclaim, random_map_touch_unmap_returns_every_page) {
  mica_handle_t vmo = vmo_of(PAGE);
  ASSERT_NE(vmo, MICA_HANDLE_INVALID);
  // A first round commits the VMO's page and warms the heap.
  ASSERT_NE(map_touch_unmap(vmo, 1), 0u);
  uint64_t before = free_quiet();
  ASSERT_NE(before, 0u);
  mica_vaddr_t lo = ~(mica_vaddr_t)0, hi = 0;
  for (uint32_t i = 0; i < kRounds; i++) {
    mica_vaddr_t a = map_touch_unmap(vmo, i);
    ASSERT_NE(a, 0u);
    lo = a < lo ? a : lo;
    hi = a > hi ? a : hi;
  }
  // The addresses were spread: over a GiB, so the rounds needed tables of
  // their own (one level-3 table covers 2 MiB, a level-2 table 1 GiB).
  EXPECT_GT(hi - lo, (mica_vaddr_t)1 << 30);
  uint64_t after = free_settled(before);
  ct_set_context("free memory lost, in bytes");
  EXPECT_EQ((int64_t)(before - after), 0);
  ct_set_context(NULL);
  EXPECT_OK(mica_handle_close(vmo));
}

// vmar_protect (which unmaps the pages so they fault back with the new
// permissions) and vmar_destroy free the tables too.
TEST(vm_reclaim, protect_and_destroy_return_every_page) {
  mica_handle_t vmo = vmo_of(PAGE);
  ASSERT_NE(vmo, MICA_HANDLE_INVALID);
  ASSERT_NE(map_touch_unmap(vmo, 1), 0u);
  for (int warm = 0; warm < 2; warm++) {
    uint64_t before = free_quiet();
    for (uint32_t i = 0; i < kRounds / 4; i++) {
      mica_vaddr_t base = 0, addr = 0;
      mica_handle_t v = sub(mica_rt_vmar_root(), CAN_RW, 0, 4 * PAGE, &base);
      ASSERT_NE(v, MICA_HANDLE_INVALID);
      ASSERT_OK(mica_vmar_map(v, RW, 0, vmo, 0, PAGE, &addr));
      *(volatile uint32_t*)(uintptr_t)addr = i;
      ASSERT_OK(mica_vmar_protect(v, MICA_VM_PERM_READ, addr, PAGE));
      EXPECT_EQ(*(volatile uint32_t*)(uintptr_t)addr, i);  // faults back read-only
      ASSERT_OK(mica_vmar_destroy(v));
      ASSERT_OK(mica_handle_close(v));
    }
    if (warm == 1) {
      uint64_t after = free_settled(before);
      ct_set_context("free memory lost, in bytes");
      EXPECT_EQ((int64_t)(before - after), 0);
      ct_set_context(NULL);
    }
  }
  EXPECT_OK(mica_handle_close(vmo));
}

// A launcher's loop: per program, a process is created, a VMO (its image)
// is mapped into it at a random address and into the launcher at another
// (where a loader writes the segments), the launcher's mapping goes, and
// the program ends (killed here: it never needs to run for this). After
// many programs the launcher's own address space, and the kernel's free
// memory, are back where they were.
static bool launch_one(mica_handle_t image, uint32_t n) {
  mica_handle_t proc = MICA_HANDLE_INVALID, vmar = MICA_HANDLE_INVALID;
  if (mica_process_create(mica_rt_job_default(), "prog", 4, 0, &proc, &vmar) != MICA_OK) {
    return false;
  }
  mica_vaddr_t in_child = 0;
  bool ok = mica_vmar_map(vmar, MICA_VM_PERM_READ, 0, image, 0, 2 * PAGE, &in_child) == MICA_OK &&
            map_touch_unmap(image, n) != 0;
  ok = mica_task_kill(proc) == MICA_OK && ok;
  ok = mica_object_wait_one(proc, MICA_TASK_TERMINATED, ct_patience(), NULL) == MICA_OK && ok;
  ok = mica_handle_close(vmar) == MICA_OK && ok;
  ok = mica_handle_close(proc) == MICA_OK && ok;
  return ok;
}

TEST(vm_reclaim, launcher_stays_flat) {
  mica_handle_t image = vmo_of(2 * PAGE);
  ASSERT_NE(image, MICA_HANDLE_INVALID);
  ASSERT_TRUE(launch_one(image, 0));
  uint64_t before = free_quiet();
  enum { kPrograms = 10000 };
  for (uint32_t i = 0; i < kPrograms; i++) {
    ASSERT_TRUE(launch_one(image, i));
  }
  uint64_t after = free_settled(before);
  ct_set_context("free memory lost, in bytes");
  EXPECT_EQ((int64_t)(before - after), 0);
  ct_set_context(NULL);
  EXPECT_OK(mica_handle_close(image));
}

// Several threads map, touch, check and unmap pages in one small region at
// once (the region holds 8 level-3 tables, so their tables are shared and
// freed and made again under each other's feet): every thread sees its own
// bytes, nothing faults, and the memory comes back.
enum { kThreads = 4, kThreadRounds = 1500 };

typedef struct {
  mica_handle_t region;
  mica_handle_t vmo;
  uint32_t id;
  uint32_t bad;  // rounds whose bytes were wrong
  mica_status_t status;
} toucher_t;

static int run_toucher(void* arg) {
  toucher_t* t = (toucher_t*)arg;
  for (uint32_t i = 0; i < kThreadRounds && t->status == MICA_OK; i++) {
    mica_vaddr_t addr = 0;
    t->status = mica_vmar_map(t->region, RW, 0, t->vmo, 0, 2 * PAGE, &addr);
    if (t->status != MICA_OK) {
      break;
    }
    volatile uint32_t* p = (volatile uint32_t*)(uintptr_t)addr;
    uint32_t mark = t->id << 24 | i;
    p[0] = mark;
    p[PAGE / 4] = ~mark;
    if (p[0] != mark || p[PAGE / 4] != ~mark) {
      t->bad++;
    }
    t->status = mica_vmar_unmap(t->region, addr, 2 * PAGE);
  }
  return 0;
}

static bool run_touchers(mica_handle_t region, toucher_t* t) {
  mica_rt_thread_t* threads[kThreads];
  bool ok = true;
  for (uint32_t i = 0; i < kThreads; i++) {
    t[i].region = region;
    t[i].id = i;
    t[i].bad = 0;
    t[i].status = MICA_OK;
    if (mica_rt_thread_create(&threads[i], run_toucher, &t[i], "vm-toucher", 0) != MICA_OK) {
      return false;
    }
  }
  for (uint32_t i = 0; i < kThreads; i++) {
    ok = mica_rt_thread_join(threads[i], NULL) == MICA_OK && ok;
  }
  return ok;
}

TEST(vm_reclaim, threads_share_and_free_tables) {
  static toucher_t t[kThreads];
  for (uint32_t i = 0; i < kThreads; i++) {
    t[i].vmo = vmo_of(2 * PAGE);
    ASSERT_NE(t[i].vmo, MICA_HANDLE_INVALID);
  }
  for (int round = 0; round < 2; round++) {
    // The first round warms the runtime's thread structures and stacks.
    uint64_t before = free_quiet();
    mica_vaddr_t base = 0;
    mica_handle_t region = sub(mica_rt_vmar_root(), CAN_RW, 0, 16ull << 20, &base);
    ASSERT_NE(region, MICA_HANDLE_INVALID);
    ASSERT_TRUE(run_touchers(region, t));
    for (uint32_t i = 0; i < kThreads; i++) {
      EXPECT_OK(t[i].status);
      EXPECT_EQ(t[i].bad, 0u);
    }
    EXPECT_OK(mica_vmar_destroy(region));
    EXPECT_OK(mica_handle_close(region));
    if (round == 1) {
      uint64_t after = free_settled(before);
      ct_set_context("free memory lost, in bytes");
      EXPECT_EQ((int64_t)(before - after), 0);
      ct_set_context(NULL);
    }
  }
  for (uint32_t i = 0; i < kThreads; i++) {
    EXPECT_OK(mica_handle_close(t[i].vmo));
  }
}
