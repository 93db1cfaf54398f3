// object_get_info for threads and processes (MICA_INFO_THREAD,
// TASK_RUNTIME, PROCESS_THREADS, PROCESS_HANDLE_STATS) and the thread
// priority property (docs/syscalls.md: object_get_info,
// object_get/set_property).
#include <string.h>

#include "system/core/core-tests/task_util.h"
#include "system/core/core-tests/test.h"

uint8_t ct_raw_stacks[4][CT_RAW_STACK] __attribute__((aligned(16)));

// Raw thread bodies.
static _Noreturn void exit_at_once(uint64_t a, uint64_t b) {
  (void)a;
  (void)b;
  mica_thread_exit();
}

// Waits on the event handle in arg1 until it is SIGNALED, then exits.
static _Noreturn void wait_then_exit(uint64_t ev, uint64_t b) {
  (void)b;
  mica_object_wait_one((mica_handle_t)ev, MICA_EVENT_SIGNALED, MICA_TIME_INFINITE, NULL);
  mica_thread_exit();
}

static mica_info_thread_t thread_info(mica_handle_t t, mica_status_t* s) {
  mica_info_thread_t info;
  memset(&info, 0xee, sizeof(info));
  *s = mica_object_get_info(t, MICA_INFO_THREAD, &info, sizeof(info), NULL, NULL);
  return info;
}

TEST(info_thread, lifecycle) {
  mica_handle_t ev CT_AUTO_CLOSE = ct_event();  // closing it ends the waiters
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t t CT_AUTO_KILL = ct_raw_thread_create("ct-info");
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  mica_status_t s;
  mica_info_thread_t info = thread_info(t, &s);
  EXPECT_OK(s);
  EXPECT_EQ(info.state, MICA_THREAD_STATE_NEW);
  EXPECT_EQ(info.priority, MICA_PRIORITY_DEFAULT);
  ASSERT_OK(ct_raw_thread_start(t, wait_then_exit, 0, ev, 0));
  EXPECT_TRUE(ct_wait_blocked(t));
  info = thread_info(t, &s);
  EXPECT_OK(s);
  EXPECT_EQ(info.state, MICA_THREAD_STATE_BLOCKED);
  mica_system_info_basic_t sys;
  ASSERT_OK(mica_system_get_info(MICA_SYSTEM_INFO_BASIC, &sys, sizeof(sys)));
  EXPECT_LT(info.last_cpu, sys.num_cpus);
  EXPECT_EQ(info.reserved, 0);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  EXPECT_OK(ct_wait_terminated(t));
  info = thread_info(t, &s);
  EXPECT_OK(s);
  EXPECT_EQ(info.state, MICA_THREAD_STATE_DEAD);
  EXPECT_OK(mica_handle_close(t));
  EXPECT_OK(mica_handle_close(ev));
}

TEST(info_thread, running_thread_is_running) {
  mica_rt_thread_t* self = mica_rt_thread_self();
  (void)self;
  // The calling (main) thread has no handle from the launcher; a runtime
  // thread asks about itself.
  mica_handle_t t CT_AUTO_KILL = ct_raw_thread_create("ct-self");
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  mica_status_t s;
  mica_info_thread_t info = thread_info(t, &s);
  EXPECT_OK(s);
  EXPECT_EQ(info.state, MICA_THREAD_STATE_NEW);
  ASSERT_OK(ct_raw_thread_start(t, exit_at_once, 0, 0, 0));
  EXPECT_OK(ct_wait_terminated(t));
  EXPECT_EQ(ct_thread_state(t), MICA_THREAD_STATE_DEAD);
  EXPECT_OK(mica_handle_close(t));
}

TEST(info_thread, errors) {
  mica_handle_t t CT_AUTO_KILL = ct_raw_thread_create("ct-err");
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  mica_info_thread_t info;
  size_t actual = 9, avail = 9;
  EXPECT_STATUS(mica_object_get_info(t, MICA_INFO_THREAD, &info, sizeof(info) - 1, &actual, &avail),
                MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(avail, 1);
  mica_handle_t ev CT_AUTO_CLOSE = ct_event();  // closing it ends the waiters
  EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_THREAD, &info, sizeof(info), NULL, NULL),
                MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_object_get_info(mica_rt_process_self(), MICA_INFO_THREAD, &info, sizeof(info),
                                     NULL, NULL),
                MICA_ERR_WRONG_TYPE);
  mica_handle_t weak = ct_dup(t, MICA_RIGHT_WAIT);
  EXPECT_STATUS(mica_object_get_info(weak, MICA_INFO_THREAD, &info, sizeof(info), NULL, NULL),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_object_get_info(t, MICA_INFO_THREAD, (void*)ct_unmapped_addr(), sizeof(info),
                                     NULL, NULL),
                MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(t));
}

// ---- TASK_RUNTIME ------------------------------------------------------------

static mica_info_task_runtime_t runtime_of(mica_handle_t h, mica_status_t* s) {
  mica_info_task_runtime_t rt;
  memset(&rt, 0, sizeof(rt));
  *s = mica_object_get_info(h, MICA_INFO_TASK_RUNTIME, &rt, sizeof(rt), NULL, NULL);
  return rt;
}

static volatile uint64_t spin_sink;

static void spin_for(mica_time_t ns) {
  mica_time_t end = ct_now() + ns;
  while (ct_now() < end) {
    spin_sink++;
  }
}

TEST(info_runtime, process_grows_while_running) {
  mica_status_t s;
  mica_info_task_runtime_t before = runtime_of(mica_rt_process_self(), &s);
  ASSERT_OK(s);
  EXPECT_GT(before.cpu_time, 0);
  spin_for(20 * CT_MS);
  mica_info_task_runtime_t after = runtime_of(mica_rt_process_self(), &s);
  ASSERT_OK(s);
  EXPECT_GE(after.cpu_time, before.cpu_time + 10 * CT_MS);
  EXPECT_GE(after.queue_time, before.queue_time);
}

TEST(info_runtime, thread_and_job) {
  mica_handle_t t CT_AUTO_KILL = ct_raw_thread_create("ct-rt");
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  mica_status_t s;
  mica_info_task_runtime_t rt = runtime_of(t, &s);
  EXPECT_OK(s);
  EXPECT_EQ(rt.cpu_time, 0);  // never ran
  ASSERT_OK(ct_raw_thread_start(t, exit_at_once, 0, 0, 0));
  EXPECT_OK(ct_wait_terminated(t));
  rt = runtime_of(t, &s);
  EXPECT_OK(s);
  EXPECT_GT(rt.cpu_time, 0);
  EXPECT_OK(mica_handle_close(t));
  // The job holds this process: at least this process's time.
  mica_info_task_runtime_t proc = runtime_of(mica_rt_process_self(), &s);
  EXPECT_OK(s);
  mica_info_task_runtime_t job = runtime_of(mica_rt_job_default(), &s);
  EXPECT_OK(s);
  EXPECT_GE(job.cpu_time, proc.cpu_time);
}

TEST(info_runtime, errors) {
  mica_info_task_runtime_t rt;
  mica_handle_t ev CT_AUTO_CLOSE = ct_event();  // closing it ends the waiters
  EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_TASK_RUNTIME, &rt, sizeof(rt), NULL, NULL),
                MICA_ERR_WRONG_TYPE);
  size_t avail = 0;
  EXPECT_STATUS(
      mica_object_get_info(mica_rt_process_self(), MICA_INFO_TASK_RUNTIME, &rt, 8, NULL, &avail),
      MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(avail, 1);
  mica_handle_t weak = ct_dup(mica_rt_process_self(), MICA_RIGHT_WAIT);
  EXPECT_STATUS(mica_object_get_info(weak, MICA_INFO_TASK_RUNTIME, &rt, sizeof(rt), NULL, NULL),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_OK(mica_handle_close(ev));
}

// ---- PROCESS_THREADS -------------------------------------------------------------

static bool list_has(const mica_koid_t* list, size_t n, mica_koid_t koid) {
  for (size_t i = 0; i < n; i++) {
    if (list[i] == koid) {
      return true;
    }
  }
  return false;
}

TEST(info_process_threads, lists_created_threads) {
  mica_handle_t ev CT_AUTO_CLOSE = ct_event();  // closing it ends the waiters
  mica_handle_t t1 CT_AUTO_KILL = ct_raw_thread_create("ct-l1");
  mica_handle_t t2 CT_AUTO_KILL = ct_raw_thread_create("ct-l2");
  ASSERT_NE(t2, MICA_HANDLE_INVALID);
  mica_koid_t k1 = ct_basic(t1).koid, k2 = ct_basic(t2).koid;
  mica_koid_t list[64];
  size_t actual = 0, avail = 0;
  ASSERT_OK(mica_object_get_info(mica_rt_process_self(), MICA_INFO_PROCESS_THREADS, list,
                                 sizeof(list), &actual, &avail));
  EXPECT_EQ(actual, avail);
  EXPECT_FALSE(list_has(list, actual, k1));  // not started: not a thread of it yet
  size_t base = avail;
  ASSERT_OK(ct_raw_thread_start(t1, wait_then_exit, 0, ev, 0));
  ASSERT_OK(ct_raw_thread_start(t2, wait_then_exit, 1, ev, 0));
  ASSERT_OK(mica_object_get_info(mica_rt_process_self(), MICA_INFO_PROCESS_THREADS, list,
                                 sizeof(list), &actual, &avail));
  EXPECT_EQ(avail, base + 2);
  EXPECT_TRUE(list_has(list, actual, k1));
  EXPECT_TRUE(list_has(list, actual, k2));
  // A buffer for one entry: one written, all counted.
  mica_koid_t one = 0;
  ASSERT_OK(mica_object_get_info(mica_rt_process_self(), MICA_INFO_PROCESS_THREADS, &one,
                                 sizeof(one), &actual, &avail));
  EXPECT_EQ(actual, 1);
  EXPECT_EQ(avail, base + 2);
  ASSERT_OK(mica_object_get_info(mica_rt_process_self(), MICA_INFO_PROCESS_THREADS, NULL, 0,
                                 &actual, &avail));
  EXPECT_EQ(actual, 0);
  EXPECT_EQ(avail, base + 2);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  EXPECT_OK(ct_wait_terminated(t1));
  EXPECT_OK(ct_wait_terminated(t2));
  ASSERT_OK(mica_object_get_info(mica_rt_process_self(), MICA_INFO_PROCESS_THREADS, list,
                                 sizeof(list), &actual, &avail));
  EXPECT_EQ(avail, base);
  EXPECT_FALSE(list_has(list, actual, k1));
  EXPECT_FALSE(list_has(list, actual, k2));
  EXPECT_OK(mica_handle_close(t1));
  EXPECT_OK(mica_handle_close(t2));
  EXPECT_OK(mica_handle_close(ev));
}

TEST(info_process_threads, errors) {
  mica_koid_t list[4];
  mica_handle_t ev CT_AUTO_CLOSE = ct_event();  // closing it ends the waiters
  EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_PROCESS_THREADS, list, sizeof(list), NULL, NULL),
                MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_object_get_info(mica_rt_job_default(), MICA_INFO_PROCESS_THREADS, list,
                                     sizeof(list), NULL, NULL),
                MICA_ERR_WRONG_TYPE);
  mica_handle_t weak = ct_dup(mica_rt_process_self(), MICA_RIGHT_INSPECT);
  EXPECT_STATUS(
      mica_object_get_info(weak, MICA_INFO_PROCESS_THREADS, list, sizeof(list), NULL, NULL),
      MICA_ERR_ACCESS_DENIED);  // needs ENUMERATE
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_OK(mica_handle_close(ev));
}

// ---- PROCESS_HANDLE_STATS ------------------------------------------------------------

static mica_info_process_handle_stats_t handle_stats(mica_status_t* s) {
  mica_info_process_handle_stats_t st;
  memset(&st, 0, sizeof(st));
  *s = mica_object_get_info(mica_rt_process_self(), MICA_INFO_PROCESS_HANDLE_STATS, &st, sizeof(st),
                            NULL, NULL);
  return st;
}

TEST(info_handle_stats, counts_by_type) {
  mica_status_t s;
  mica_info_process_handle_stats_t before = handle_stats(&s);
  ASSERT_OK(s);
  EXPECT_GE(before.handle_count[MICA_OBJ_TYPE_PROCESS], 1);
  EXPECT_GE(before.handle_count[MICA_OBJ_TYPE_JOB], 1);
  EXPECT_EQ(before.handle_count[MICA_OBJ_TYPE_PMT], 0);
  mica_handle_t ev[3] = {ct_event(), ct_event(), ct_event()};
  mica_handle_t a, b;
  ct_channel(&a, &b);
  mica_handle_t port = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &port));
  mica_info_process_handle_stats_t after = handle_stats(&s);
  ASSERT_OK(s);
  EXPECT_EQ(after.handle_count[MICA_OBJ_TYPE_EVENT], before.handle_count[MICA_OBJ_TYPE_EVENT] + 3);
  EXPECT_EQ(after.handle_count[MICA_OBJ_TYPE_CHANNEL],
            before.handle_count[MICA_OBJ_TYPE_CHANNEL] + 2);
  EXPECT_EQ(after.handle_count[MICA_OBJ_TYPE_PORT], before.handle_count[MICA_OBJ_TYPE_PORT] + 1);
  EXPECT_EQ(after.handle_count[MICA_OBJ_TYPE_PROCESS], before.handle_count[MICA_OBJ_TYPE_PROCESS]);
  EXPECT_OK(mica_handle_close_many(ev, 3));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
  EXPECT_OK(mica_handle_close(port));
  after = handle_stats(&s);
  ASSERT_OK(s);
  EXPECT_EQ(after.handle_count[MICA_OBJ_TYPE_EVENT], before.handle_count[MICA_OBJ_TYPE_EVENT]);
  EXPECT_EQ(after.handle_count[MICA_OBJ_TYPE_CHANNEL], before.handle_count[MICA_OBJ_TYPE_CHANNEL]);
}

TEST(info_handle_stats, errors) {
  mica_info_process_handle_stats_t st;
  size_t avail = 0;
  EXPECT_STATUS(mica_object_get_info(mica_rt_process_self(), MICA_INFO_PROCESS_HANDLE_STATS, &st,
                                     sizeof(st) - 4, NULL, &avail),
                MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(avail, 1);
  mica_handle_t ev CT_AUTO_CLOSE = ct_event();  // closing it ends the waiters
  EXPECT_STATUS(
      mica_object_get_info(ev, MICA_INFO_PROCESS_HANDLE_STATS, &st, sizeof(st), NULL, NULL),
      MICA_ERR_WRONG_TYPE);
  mica_handle_t weak = ct_dup(mica_rt_process_self(), MICA_RIGHT_WAIT);
  EXPECT_STATUS(
      mica_object_get_info(weak, MICA_INFO_PROCESS_HANDLE_STATS, &st, sizeof(st), NULL, NULL),
      MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_OK(mica_handle_close(ev));
}

// ---- MICA_PROP_THREAD_PRIORITY ---------------------------------------------------------

TEST(thread_priority, default_set_get) {
  mica_handle_t t CT_AUTO_KILL = ct_raw_thread_create("ct-prio");
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  int32_t prio = -1;
  EXPECT_OK(mica_object_get_property(t, MICA_PROP_THREAD_PRIORITY, &prio, sizeof(prio)));
  EXPECT_EQ(prio, MICA_PRIORITY_DEFAULT);
  static const int32_t kValues[] = {MICA_PRIORITY_LOWEST + 1, MICA_PRIORITY_HIGHEST, 20};
  for (size_t i = 0; i < 3; i++) {
    EXPECT_OK(mica_object_set_property(t, MICA_PROP_THREAD_PRIORITY, &kValues[i], 4));
    EXPECT_OK(mica_object_get_property(t, MICA_PROP_THREAD_PRIORITY, &prio, sizeof(prio)));
    EXPECT_EQ(prio, kValues[i]);
  }
  // A started thread runs with it (get_info THREAD reports it).
  mica_handle_t ev CT_AUTO_CLOSE = ct_event();  // closing it ends the waiters
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  ASSERT_OK(ct_raw_thread_start(t, wait_then_exit, 0, ev, 0));
  EXPECT_TRUE(ct_wait_blocked(t));
  mica_status_t s;
  EXPECT_EQ(thread_info(t, &s).priority, 20);
  int32_t low = 8;
  EXPECT_OK(mica_object_set_property(t, MICA_PROP_THREAD_PRIORITY, &low, 4));
  EXPECT_EQ(thread_info(t, &s).priority, 8);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  EXPECT_OK(ct_wait_terminated(t));
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(t));
}

TEST(thread_priority, errors) {
  mica_handle_t t CT_AUTO_KILL = ct_raw_thread_create("ct-prio-err");
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  int32_t bad[] = {MICA_PRIORITY_LOWEST - 1, MICA_PRIORITY_HIGHEST + 1, 1000, -1000};
  for (size_t i = 0; i < 4; i++) {
    EXPECT_STATUS(mica_object_set_property(t, MICA_PROP_THREAD_PRIORITY, &bad[i], 4),
                  MICA_ERR_OUT_OF_RANGE);
  }
  int64_t wide = 10;
  EXPECT_STATUS(mica_object_set_property(t, MICA_PROP_THREAD_PRIORITY, &wide, 8),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_object_set_property(t, MICA_PROP_THREAD_PRIORITY, &wide, 2),
                MICA_ERR_INVALID_ARGS);
  int16_t small = 0;
  EXPECT_STATUS(mica_object_get_property(t, MICA_PROP_THREAD_PRIORITY, &small, sizeof(small)),
                MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_STATUS(
      mica_object_get_property(t, MICA_PROP_THREAD_PRIORITY, (void*)ct_unmapped_addr(), 4),
      MICA_ERR_INVALID_ARGS);
  int32_t prio = 0;
  EXPECT_OK(mica_object_get_property(t, MICA_PROP_THREAD_PRIORITY, &prio, sizeof(prio)));
  EXPECT_EQ(prio, MICA_PRIORITY_DEFAULT);  // nothing above changed it
  // Not a thread: WRONG_TYPE for both calls.
  mica_handle_t ev CT_AUTO_CLOSE = ct_event();  // closing it ends the waiters
  EXPECT_STATUS(mica_object_get_property(ev, MICA_PROP_THREAD_PRIORITY, &prio, sizeof(prio)),
                MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_object_set_property(ev, MICA_PROP_THREAD_PRIORITY, &prio, sizeof(prio)),
                MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_object_get_property(mica_rt_process_self(), MICA_PROP_THREAD_PRIORITY, &prio,
                                         sizeof(prio)),
                MICA_ERR_WRONG_TYPE);
  // An id that is no property at all stays INVALID_ARGS.
  EXPECT_STATUS(mica_object_get_property(t, 0x7777, &prio, sizeof(prio)), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_object_set_property(t, 0x7777, &prio, sizeof(prio)), MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(t));
}

// ---- TASK_STATS ------------------------------------------------------------------------

static mica_info_task_stats_t task_stats(mica_handle_t process, mica_status_t* s) {
  mica_info_task_stats_t st;
  memset(&st, 0, sizeof(st));
  *s = mica_object_get_info(process, MICA_INFO_TASK_STATS, &st, sizeof(st), NULL, NULL);
  return st;
}

TEST(info_task_stats, handle_count_matches_handle_stats) {
  mica_status_t s;
  mica_info_task_stats_t st = task_stats(mica_rt_process_self(), &s);
  ASSERT_OK(s);
  mica_info_process_handle_stats_t hs = handle_stats(&s);
  ASSERT_OK(s);
  uint64_t sum = 0;
  for (int i = 0; i < MICA_OBJ_TYPE_COUNT; i++) {
    sum += hs.handle_count[i];
  }
  EXPECT_EQ(st.handle_count, sum);
  EXPECT_GT(st.mem_mapped_bytes, 0);  // the program image at least
  EXPECT_GT(st.mem_private_bytes, 0);
  mica_handle_t ev CT_AUTO_CLOSE = ct_event();  // closing it ends the waiters
  mica_info_task_stats_t more = task_stats(mica_rt_process_self(), &s);
  EXPECT_EQ(more.handle_count, st.handle_count + 1);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(info_task_stats, mappings_private_then_shared) {
  const uint64_t page = MICA_PAGE_SIZE;
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_vmo_create(4 * page, 0, &vmo));
  mica_status_t s;
  mica_info_task_stats_t before = task_stats(mica_rt_process_self(), &s);
  ASSERT_OK(s);
  mica_vaddr_t addr = 0, addr2 = 0;
  ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, vmo, 0,
                          4 * page, &addr));
  ((volatile uint8_t*)addr)[0] = 1;  // commit two of the four pages
  ((volatile uint8_t*)addr)[2 * page] = 1;
  mica_info_task_stats_t one = task_stats(mica_rt_process_self(), &s);
  ASSERT_OK(s);
  EXPECT_EQ(one.mem_mapped_bytes, before.mem_mapped_bytes + 4 * page);
  EXPECT_EQ(one.mem_private_bytes, before.mem_private_bytes + 2 * page);
  EXPECT_EQ(one.mem_shared_bytes, before.mem_shared_bytes);
  // Mapped twice: mapped bytes twice, committed memory counted once.
  ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ, 0, vmo, 0, 4 * page, &addr2));
  mica_info_task_stats_t two = task_stats(mica_rt_process_self(), &s);
  EXPECT_EQ(two.mem_mapped_bytes, before.mem_mapped_bytes + 8 * page);
  EXPECT_EQ(two.mem_private_bytes, before.mem_private_bytes + 2 * page);
  // Another process maps it too: now shared.
  mica_handle_t child CT_AUTO_KILL = MICA_HANDLE_INVALID;
  mica_handle_t child_vmar CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_process_create(mica_rt_job_default(), "ct-stats", 8, 0, &child, &child_vmar));
  mica_vaddr_t child_addr = 0;
  ASSERT_OK(mica_vmar_map(child_vmar, MICA_VM_PERM_READ, 0, vmo, 0, 4 * page, &child_addr));
  mica_info_task_stats_t shared = task_stats(mica_rt_process_self(), &s);
  EXPECT_EQ(shared.mem_private_bytes, before.mem_private_bytes);
  EXPECT_EQ(shared.mem_shared_bytes, before.mem_shared_bytes + 2 * page);
  mica_info_task_stats_t theirs = task_stats(child, &s);
  EXPECT_OK(s);
  EXPECT_EQ(theirs.mem_mapped_bytes, 4 * page);
  EXPECT_EQ(theirs.mem_shared_bytes, 2 * page);
  EXPECT_EQ(theirs.mem_private_bytes, 0);
  EXPECT_EQ(theirs.handle_count, 0);
  EXPECT_OK(mica_task_kill(child));
  EXPECT_OK(mica_handle_close(child_vmar));
  EXPECT_OK(mica_handle_close(child));
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), addr, 4 * page));
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), addr2, 4 * page));
  mica_info_task_stats_t after = task_stats(mica_rt_process_self(), &s);
  EXPECT_EQ(after.mem_mapped_bytes, before.mem_mapped_bytes);
  EXPECT_EQ(after.mem_private_bytes, before.mem_private_bytes);
  EXPECT_OK(mica_handle_close(vmo));
}

TEST(info_task_stats, errors) {
  mica_info_task_stats_t st;
  size_t avail = 0;
  EXPECT_STATUS(mica_object_get_info(mica_rt_process_self(), MICA_INFO_TASK_STATS, &st,
                                     sizeof(st) - 1, NULL, &avail),
                MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(avail, 1);
  mica_handle_t t CT_AUTO_KILL = ct_raw_thread_create("ct-stats-err");
  EXPECT_STATUS(mica_object_get_info(t, MICA_INFO_TASK_STATS, &st, sizeof(st), NULL, NULL),
                MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_object_get_info(mica_rt_job_default(), MICA_INFO_TASK_STATS, &st, sizeof(st),
                                     NULL, NULL),
                MICA_ERR_WRONG_TYPE);
  mica_handle_t weak = ct_dup(mica_rt_process_self(), MICA_RIGHT_WAIT);
  EXPECT_STATUS(mica_object_get_info(weak, MICA_INFO_TASK_STATS, &st, sizeof(st), NULL, NULL),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_OK(mica_handle_close(t));
}
