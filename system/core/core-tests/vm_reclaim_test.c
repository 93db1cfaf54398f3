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
// the root VMAR), touched, unmapped; *addr is the address. A mapping whose
// unmap failed is unmapped again (the failure is recorded first, which
// ends fault injection for the test) so that nothing is left behind.
static mica_status_t map_touch_unmap(mica_handle_t vmo, uint32_t mark, mica_vaddr_t* addr) {
  *addr = 0;
  mica_status_t s = mica_vmar_map(mica_rt_vmar_root(), RW, 0, vmo, 0, PAGE, addr);
  if (s != MICA_OK) {
    return s;
  }
  *(volatile uint32_t*)(uintptr_t)*addr = mark;
  s = mica_vmar_unmap(mica_rt_vmar_root(), *addr, PAGE);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_vmar_unmap", s);
    (void)mica_vmar_unmap(mica_rt_vmar_root(), *addr, PAGE);
  }
  return s;
}

enum { kRounds = 4000 };

TEST(vm_reclaim, random_map_touch_unmap_returns_every_page) {
  mica_handle_t vmo CT_AUTO_CLOSE = vmo_of(PAGE);
  ASSERT_NE(vmo, MICA_HANDLE_INVALID);
  // A first round commits the VMO's page and warms the heap.
  mica_vaddr_t a = 0;
  ASSERT_OK(map_touch_unmap(vmo, 1, &a));
  uint64_t before = free_quiet();
  ASSERT_NE(before, 0u);
  mica_vaddr_t lo = ~(mica_vaddr_t)0, hi = 0;
  for (uint32_t i = 0; i < kRounds; i++) {
    ASSERT_OK(map_touch_unmap(vmo, i, &a));
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
  mica_handle_t vmo CT_AUTO_CLOSE = vmo_of(PAGE);
  ASSERT_NE(vmo, MICA_HANDLE_INVALID);
  mica_vaddr_t a = 0;
  ASSERT_OK(map_touch_unmap(vmo, 1, &a));
  for (int warm = 0; warm < 2; warm++) {
    uint64_t before = free_quiet();
    for (uint32_t i = 0; i < kRounds / 4; i++) {
      mica_vaddr_t base = 0, addr = 0;
      mica_handle_t v CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_RW, 0, 4 * PAGE, &base);
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
// Returns the first failure's status; one is recorded (ct_note_status)
// before the cleanup, so that under fault injection the cleanup itself is
// not injected and leaves no process behind.
static mica_status_t launch_one(mica_handle_t image, uint32_t n) {
  mica_handle_t proc = MICA_HANDLE_INVALID, vmar = MICA_HANDLE_INVALID;
  mica_status_t s = mica_process_create(mica_rt_job_default(), "prog", 4, 0, &proc, &vmar);
  if (s != MICA_OK) {
    return s;
  }
  mica_vaddr_t in_child = 0, in_self = 0;
  s = mica_vmar_map(vmar, MICA_VM_PERM_READ, 0, image, 0, 2 * PAGE, &in_child);
  if (s == MICA_OK) {
    s = map_touch_unmap(image, n, &in_self);
  }
  ct_note_status(__FILE_NAME__, __LINE__, "launch_one", s);
  mica_status_t k = mica_task_kill(proc);
  s = s != MICA_OK ? s : k;
  k = mica_object_wait_one(proc, MICA_TASK_TERMINATED, ct_patience(), NULL);
  s = s != MICA_OK ? s : k;
  k = mica_handle_close(vmar);
  s = s != MICA_OK ? s : k;
  k = mica_handle_close(proc);
  return s != MICA_OK ? s : k;
}

TEST(vm_reclaim, launcher_stays_flat) {
  mica_handle_t image CT_AUTO_CLOSE = vmo_of(2 * PAGE);
  ASSERT_NE(image, MICA_HANDLE_INVALID);
  ASSERT_OK(launch_one(image, 0));
  uint64_t before = free_quiet();
  enum { kPrograms = 10000 };
  for (uint32_t i = 0; i < kPrograms; i++) {
    ASSERT_OK(launch_one(image, i));
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

// Runs the touchers and joins every one that started; returns the first
// failure's status.
static mica_status_t run_touchers(mica_handle_t region, toucher_t* t) {
  mica_rt_thread_t* threads[kThreads];
  mica_status_t s = MICA_OK;
  uint32_t started = 0;
  for (; started < kThreads; started++) {
    t[started].region = region;
    t[started].id = started;
    t[started].bad = 0;
    t[started].status = MICA_OK;
    s = mica_rt_thread_create(&threads[started], run_toucher, &t[started], "vm-toucher", 0);
    if (s != MICA_OK) {
      break;
    }
  }
  for (uint32_t i = 0; i < started; i++) {
    mica_status_t j = mica_rt_thread_join(threads[i], NULL);
    s = s != MICA_OK ? s : j;
  }
  return s;
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
    mica_handle_t region CT_AUTO_DESTROY = sub(mica_rt_vmar_root(), CAN_RW, 0, 16ull << 20, &base);
    ASSERT_NE(region, MICA_HANDLE_INVALID);
    ASSERT_OK(run_touchers(region, t));
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
