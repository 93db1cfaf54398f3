// Processes and jobs killed while their threads are blocked: the threads
// end, the process's handles are closed (peers see PEER_CLOSED) and every
// waiter on the process wakes (docs/syscalls.md: task_kill, "Tasks").
// The child processes run a few hand-assembled instructions from a VMO.
#include <string.h>

#include "system/core/core-tests/task_util.h"
#include "system/core/core-tests/test.h"

#define PAGE 4096u

// x19 = x0 (a handle), x20 = x1 (signals); loop: object_wait_one(x19, x20,
// MICA_TIME_INFINITE, NULL).
static const uint32_t kWaitForever[] = {
    0xaa0003f3,  // mov x19, x0
    0xaa0103f4,  // mov x20, x1
    0xaa1303e0,  // 1: mov x0, x19
    0xaa1403e1,  // mov x1, x20
    0x92800002,  // movn x2, #0
    0xd341fc42,  // lsr x2, x2, #1   (INT64_MAX: MICA_TIME_INFINITE)
    0xd2800003,  // mov x3, #0
    0xd2800148,  // mov x8, #10      (object_wait_one)
    0xd4000001,  // svc #0
    0x17fffff9,  // b 1b
};

// x19 = x0 (a channel); loop: channel_call(x19, 0, MICA_TIME_INFINITE,
// &args, NULL, NULL) with the args at CALL_ARGS_OFFSET of the same page.
#define CALL_ARGS_OFFSET 256u
static const uint32_t kCallForever[] = {
    0xaa0003f3,  // mov x19, x0
    0xaa1303e0,  // 1: mov x0, x19
    0x52800001,  // mov w1, #0
    0x92800002,  // movn x2, #0
    0xd341fc42,  // lsr x2, x2, #1
    0x10000763,  // adr x3, . + 236  (the args; this is at offset 20)
    0xd2800004,  // mov x4, #0
    0xd2800005,  // mov x5, #0
    0xd2800208,  // mov x8, #16      (channel_call)
    0xd4000001,  // svc #0
    0x17fffff7,  // b 1b
};

// Loop: handle_close(MICA_HANDLE_INVALID) for ever. Never blocks: a kill
// reaches it on its way out of a syscall (or in user mode).
static const uint32_t kSyscallForever[] = {
    0xd2800000,  // 1: mov x0, #0
    0xd2800028,  // mov x8, #1       (handle_close)
    0xd4000001,  // svc #0
    0x17fffffd,  // b 1b
};

typedef struct {
  mica_handle_t process;
  mica_handle_t thread;
  mica_handle_t vmar;
  mica_vaddr_t base;
} child_t;

static void close_child(child_t* c) {
  mica_handle_close(c->thread);
  mica_handle_close(c->vmar);
  mica_handle_close(c->process);
}

// For __attribute__((cleanup)) on a zero-initialised child_t: a test that
// returns early (an ASSERT, as under fault injection) leaves no child
// running. After close_child the handles are refused harmlessly.
static void kill_child(child_t* c) {
  if (c->process != MICA_HANDLE_INVALID) {
    (void)mica_task_kill(c->process);
  }
  close_child(c);
}
#define CHILD_AUTO_KILL __attribute__((cleanup(kill_child)))

// Starts a child in `job` running `code`, with x0 = `arg` (moved into it)
// and x1 = arg2. The call arguments (for kCallForever) are filled in.
static mica_status_t start_child(child_t* c, mica_handle_t job, const uint32_t* code, size_t size,
                                 mica_handle_t arg, uint64_t arg2) {
  memset(c, 0, sizeof(*c));
  mica_status_t s = mica_process_create(job, "ct-child", 8, 0, &c->process, &c->vmar);
  if (s != MICA_OK) {
    return s;
  }
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  s = mica_vmo_create(PAGE, 0, &vmo);
  if (s == MICA_OK) {
    s = mica_vmo_write(vmo, code, 0, size);
  }
  if (s == MICA_OK) {
    s = mica_vmar_map(c->vmar, MICA_VM_PERM_READ | MICA_VM_PERM_EXECUTE, 0, vmo, 0, PAGE, &c->base);
  }
  if (s == MICA_OK) {
    // The request (4 bytes at offset 128) and args for kCallForever; a
    // reply does not fit (0 bytes) and is discarded, which is fine.
    mica_channel_call_args_t args = {
        (const void*)(uintptr_t)(c->base + 128), NULL, NULL, NULL, 4, 0, 0, 0};
    s = mica_vmo_write(vmo, &args, CALL_ARGS_OFFSET, sizeof(args));
  }
  mica_handle_close(vmo);
  if (s == MICA_OK) {
    s = mica_thread_create(c->process, "ct-child-main", 13, 0, &c->thread);
  }
  if (s == MICA_OK) {
    s = mica_process_start(c->process, c->thread, c->base, c->base + PAGE, arg, arg2);
  }
  if (s != MICA_OK) {
    // Never started: killed, or it would stay in the job (the kernel frees
    // an unstarted process only with its job, docs/kernel.md).
    if (c->process != MICA_HANDLE_INVALID) {
      (void)mica_task_kill(c->process);
    }
    close_child(c);
  }
  return s;
}

static mica_info_process_t process_info(mica_handle_t p) {
  mica_info_process_t info;
  memset(&info, 0, sizeof(info));
  (void)mica_object_get_info(p, MICA_INFO_PROCESS, &info, sizeof(info), NULL, NULL);
  return info;
}

TEST(process_kill, blocked_child_ends_and_closes_handles) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  child_t c CHILD_AUTO_KILL = {0};
  ASSERT_OK(start_child(&c, mica_rt_job_default(), kWaitForever, sizeof(kWaitForever), b,
                        MICA_SIGNAL_USER0));
  ASSERT_TRUE(ct_wait_blocked(c.thread));
  EXPECT_EQ(ct_signals(a) & MICA_CHANNEL_PEER_CLOSED, 0);
  EXPECT_OK(mica_task_kill(c.process));
  EXPECT_OK(mica_object_wait_one(c.process, MICA_PROCESS_TERMINATED, ct_patience(), NULL));
  EXPECT_OK(ct_wait_terminated(c.thread));
  // Its handle to the other endpoint was closed.
  EXPECT_OK(mica_object_wait_one(a, MICA_CHANNEL_PEER_CLOSED, ct_patience(), NULL));
  mica_info_process_t info = process_info(c.process);
  EXPECT_EQ(info.flags & MICA_INFO_PROCESS_FLAG_KILLED, MICA_INFO_PROCESS_FLAG_KILLED);
  EXPECT_EQ(info.flags & MICA_INFO_PROCESS_FLAG_EXITED, MICA_INFO_PROCESS_FLAG_EXITED);
  EXPECT_EQ(info.return_code, MICA_TASK_RETCODE_KILLED);
  EXPECT_EQ(ct_thread_state(c.thread), MICA_THREAD_STATE_DEAD);
  EXPECT_OK(mica_handle_close(a));
  close_child(&c);
}

TEST(process_kill, child_spinning_in_syscalls) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  child_t c CHILD_AUTO_KILL = {0};
  ASSERT_OK(start_child(&c, mica_rt_job_default(), kSyscallForever, sizeof(kSyscallForever), b, 0));
  mica_nanosleep(ct_now() + 2 * CT_MS);  // let it run (on one CPU too)
  EXPECT_EQ(ct_signals(c.process) & MICA_PROCESS_TERMINATED, 0);
  EXPECT_OK(mica_task_kill(c.process));
  EXPECT_OK(mica_object_wait_one(c.process, MICA_PROCESS_TERMINATED, ct_patience(), NULL));
  EXPECT_OK(ct_wait_terminated(c.thread));
  EXPECT_OK(mica_object_wait_one(a, MICA_CHANNEL_PEER_CLOSED, ct_patience(), NULL));
  EXPECT_EQ(process_info(c.process).return_code, MICA_TASK_RETCODE_KILLED);
  EXPECT_EQ(ct_thread_state(c.thread), MICA_THREAD_STATE_DEAD);
  EXPECT_OK(mica_handle_close(a));
  close_child(&c);
}

static void kill_it(void* arg) {
  mica_task_kill(*(mica_handle_t*)arg);
}

static int wait_terminated(void* arg) {
  return mica_object_wait_one(*(mica_handle_t*)arg, MICA_PROCESS_TERMINATED, ct_patience(), NULL);
}

TEST(process_kill, wakes_every_waiter) {
  mica_handle_t ev = ct_event();
  mica_handle_t ev_child = ct_dup(ev, MICA_RIGHT_SAME_RIGHTS);
  child_t c CHILD_AUTO_KILL = {0};
  ASSERT_OK(start_child(&c, mica_rt_job_default(), kWaitForever, sizeof(kWaitForever), ev_child,
                        MICA_EVENT_SIGNALED));
  ASSERT_TRUE(ct_wait_blocked(c.thread));
  mica_handle_t port = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &port));
  ASSERT_OK(mica_object_wait_async(c.process, port, 21, MICA_PROCESS_TERMINATED, 0));
  ASSERT_OK(mica_object_wait_async(c.thread, port, 22, MICA_THREAD_TERMINATED, 0));
  mica_rt_thread_t* waiter = NULL;
  ASSERT_OK(mica_rt_thread_create(&waiter, wait_terminated, &c.process, "ct-waiter", 0));
  ct_delayed_t d = {2 * CT_MS, kill_it, &c.process};
  mica_rt_thread_t* killer = ct_start_delayed(&d);
  ASSERT_TRUE(killer != NULL);
  mica_wait_item_t items[2] = {{c.process, MICA_PROCESS_TERMINATED, 0, 0},
                               {ev, MICA_EVENT_SIGNALED, 0, 0}};
  EXPECT_OK(mica_object_wait_many(items, 2, ct_patience()));
  EXPECT_EQ(items[0].pending & MICA_PROCESS_TERMINATED, MICA_PROCESS_TERMINATED);
  int result = -1;
  EXPECT_OK(mica_rt_thread_join(waiter, &result));
  EXPECT_EQ(result, MICA_OK);
  EXPECT_OK(mica_rt_thread_join(killer, NULL));
  bool got21 = false, got22 = false;
  for (int i = 0; i < 2; i++) {
    mica_port_packet_t pkt;
    memset(&pkt, 0, sizeof(pkt));
    EXPECT_OK(mica_port_wait(port, ct_patience(), &pkt));
    got21 = got21 || pkt.key == 21;
    got22 = got22 || pkt.key == 22;
  }
  EXPECT_TRUE(got21);
  EXPECT_TRUE(got22);
  // The child's handle to the event is gone: only ours is left.
  mica_info_handle_count_t count;
  EXPECT_OK(mica_object_get_info(ev, MICA_INFO_HANDLE_COUNT, &count, sizeof(count), NULL, NULL));
  EXPECT_EQ(count.handle_count, 1);
  EXPECT_OK(mica_handle_close(port));
  EXPECT_OK(mica_handle_close(ev));
  close_child(&c);
}

TEST(process_kill, blocked_in_channel_call) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  child_t c CHILD_AUTO_KILL = {0};
  ASSERT_OK(start_child(&c, mica_rt_job_default(), kCallForever, sizeof(kCallForever), b, 0));
  ASSERT_OK(mica_object_wait_one(a, MICA_CHANNEL_READABLE, ct_patience(), NULL));
  uint32_t txid = 0;
  ASSERT_OK(mica_channel_read(a, 0, &txid, NULL, 4, 0, NULL, NULL));
  EXPECT_EQ(txid & MICA_TXID_KERNEL_BIT, MICA_TXID_KERNEL_BIT);
  ASSERT_TRUE(ct_wait_blocked(c.thread));
  EXPECT_OK(mica_task_kill(c.process));
  EXPECT_OK(mica_object_wait_one(c.process, MICA_PROCESS_TERMINATED, ct_patience(), NULL));
  EXPECT_OK(mica_object_wait_one(a, MICA_CHANNEL_PEER_CLOSED, ct_patience(), NULL));
  EXPECT_STATUS(mica_channel_write(a, 0, &txid, 4, NULL, 0), MICA_ERR_PEER_CLOSED);
  EXPECT_OK(mica_handle_close(a));
  close_child(&c);
}

// A process of a job holding the last handle to a child job of that job:
// killing the job frees the child job while the kill walks (its handle goes
// with the dead process). The kernel once panicked there, the child job's
// destructor taking the lock the kill held (syscall-fuzz under fault
// injection found it).
TEST(process_kill, job_kill_frees_a_job_only_its_process_held) {
  for (int nested = 0; nested < 2; nested++) {
    mica_handle_t job = MICA_HANDLE_INVALID, inner = MICA_HANDLE_INVALID;
    mica_handle_t held = MICA_HANDLE_INVALID;
    ASSERT_OK(mica_job_create(mica_rt_job_default(), 0, &job));
    // The process is in `job` itself, or in a job below it.
    if (nested) {
      ASSERT_OK(mica_job_create(job, 0, &inner));
    }
    ASSERT_OK(mica_job_create(job, 0, &held));
    // The child runs (not waiting on `held`, which a wait would pin) with
    // the only handle to `held`, moved into it.
    child_t c CHILD_AUTO_KILL = {0};
    ASSERT_OK(
        start_child(&c, nested ? inner : job, kSyscallForever, sizeof(kSyscallForever), held, 0));
    mica_nanosleep(ct_now() + 2 * CT_MS);
    EXPECT_OK(mica_task_kill(job));
    EXPECT_OK(mica_object_wait_one(job, MICA_JOB_TERMINATED, ct_patience(), NULL));
    EXPECT_OK(mica_object_wait_one(c.process, MICA_PROCESS_TERMINATED, ct_patience(), NULL));
    close_child(&c);
    if (nested) {
      EXPECT_OK(mica_handle_close(inner));
    }
    EXPECT_OK(mica_handle_close(job));
  }
}

TEST(process_kill, job_kill_ends_blocked_child) {
  mica_handle_t job = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_job_create(mica_rt_job_default(), 0, &job));
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  child_t c CHILD_AUTO_KILL = {0};
  ASSERT_OK(start_child(&c, job, kWaitForever, sizeof(kWaitForever), b, MICA_SIGNAL_USER0));
  ASSERT_TRUE(ct_wait_blocked(c.thread));
  EXPECT_OK(mica_task_kill(job));
  EXPECT_OK(mica_object_wait_one(job, MICA_JOB_TERMINATED, ct_patience(), NULL));
  EXPECT_OK(mica_object_wait_one(c.process, MICA_PROCESS_TERMINATED, ct_patience(), NULL));
  EXPECT_OK(mica_object_wait_one(a, MICA_CHANNEL_PEER_CLOSED, ct_patience(), NULL));
  EXPECT_EQ(process_info(c.process).return_code, MICA_TASK_RETCODE_KILLED);
  EXPECT_OK(mica_handle_close(a));
  close_child(&c);
  EXPECT_OK(mica_handle_close(job));
}

// Killing the only thread of a process ends the process with 0.
TEST(process_kill, last_thread_killed_process_exits_zero) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  child_t c CHILD_AUTO_KILL = {0};
  ASSERT_OK(start_child(&c, mica_rt_job_default(), kWaitForever, sizeof(kWaitForever), b,
                        MICA_SIGNAL_USER0));
  ASSERT_TRUE(ct_wait_blocked(c.thread));
  EXPECT_OK(mica_task_kill(c.thread));
  EXPECT_OK(ct_wait_terminated(c.thread));
  EXPECT_OK(mica_object_wait_one(c.process, MICA_PROCESS_TERMINATED, ct_patience(), NULL));
  mica_info_process_t info = process_info(c.process);
  EXPECT_EQ(info.return_code, 0);
  EXPECT_EQ(info.flags & MICA_INFO_PROCESS_FLAG_KILLED, 0);
  EXPECT_OK(mica_object_wait_one(a, MICA_CHANNEL_PEER_CLOSED, ct_patience(), NULL));
  EXPECT_OK(mica_handle_close(a));
  close_child(&c);
}

TEST(process_kill, info_of_child_before_and_after) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  child_t c CHILD_AUTO_KILL = {0};
  ASSERT_OK(start_child(&c, mica_rt_job_default(), kWaitForever, sizeof(kWaitForever), b,
                        MICA_SIGNAL_USER0));
  ASSERT_TRUE(ct_wait_blocked(c.thread));
  mica_koid_t list[4];
  size_t actual = 0, avail = 0;
  EXPECT_OK(mica_object_get_info(c.process, MICA_INFO_PROCESS_THREADS, list, sizeof(list), &actual,
                                 &avail));
  EXPECT_EQ(avail, 1);
  EXPECT_EQ(actual, 1);
  EXPECT_EQ(list[0], ct_basic(c.thread).koid);
  mica_info_process_handle_stats_t st;
  memset(&st, 0xff, sizeof(st));
  EXPECT_OK(
      mica_object_get_info(c.process, MICA_INFO_PROCESS_HANDLE_STATS, &st, sizeof(st), NULL, NULL));
  EXPECT_EQ(st.handle_count[MICA_OBJ_TYPE_CHANNEL], 1);
  EXPECT_EQ(st.handle_count[MICA_OBJ_TYPE_EVENT], 0);
  mica_info_task_runtime_t rt;
  memset(&rt, 0, sizeof(rt));
  EXPECT_OK(mica_object_get_info(c.process, MICA_INFO_TASK_RUNTIME, &rt, sizeof(rt), NULL, NULL));
  EXPECT_GT(rt.cpu_time, 0);
  EXPECT_OK(mica_task_kill(c.process));
  EXPECT_OK(mica_object_wait_one(c.process, MICA_PROCESS_TERMINATED, ct_patience(), NULL));
  EXPECT_OK(mica_object_get_info(c.process, MICA_INFO_PROCESS_THREADS, list, sizeof(list), &actual,
                                 &avail));
  EXPECT_EQ(avail, 0);
  EXPECT_OK(
      mica_object_get_info(c.process, MICA_INFO_PROCESS_HANDLE_STATS, &st, sizeof(st), NULL, NULL));
  EXPECT_EQ(st.handle_count[MICA_OBJ_TYPE_CHANNEL], 0);
  mica_info_task_runtime_t after;
  memset(&after, 0, sizeof(after));
  EXPECT_OK(
      mica_object_get_info(c.process, MICA_INFO_TASK_RUNTIME, &after, sizeof(after), NULL, NULL));
  EXPECT_GE(after.cpu_time, rt.cpu_time);
  EXPECT_OK(mica_handle_close(a));
  close_child(&c);
}
