// Blocking calls woken by another thread, waits ended by closing the
// handle, futexes, and thread_create/thread_start/thread_exit
// (docs/syscalls.md, "Time and blocking", "Futexes", "Tasks"). Threads
// come from the runtime (<mica/rt/thread.h>) unless a test needs the raw
// calls.
#include <mica/rt/thread.h>
#include <string.h>

#include "system/core/core-tests/task_util.h"
#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define MS ((mica_time_t)1000000)

// A helper thread that sleeps `delay` and then runs `action(arg)`.
typedef struct {
  mica_time_t delay;
  void (*action)(void* arg);
  void* arg;
} delayed_t;

static int run_delayed(void* p) {
  delayed_t* d = p;
  mica_nanosleep(ct_now() + d->delay);
  d->action(d->arg);
  return 0;
}

// The deadline of a wait another thread will end: far enough to never be
// reached when the kernel works, near enough that a lost wakeup fails the
// test instead of hanging the suite.
static mica_time_t patience(void) {
  return ct_now() + 10000 * MS;
}

static mica_rt_thread_t* start_delayed(delayed_t* d) {
  mica_rt_thread_t* t = NULL;
  mica_status_t s_ = mica_rt_thread_create(&t, run_delayed, d, "core-tests-helper", 0);
  if (s_ != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_rt_thread_create", s_);
    return NULL;
  }
  return t;
}

static void signal_event(void* arg) {
  mica_object_signal(*(mica_handle_t*)arg, 0, MICA_EVENT_SIGNALED);
}

TEST(blocking, wait_one_woken_by_signal) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  delayed_t d = {2 * MS, signal_event, &ev};
  mica_rt_thread_t* t = start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  mica_signals_t seen = 0;
  EXPECT_OK(mica_object_wait_one(ev, MICA_EVENT_SIGNALED, patience(), &seen));
  EXPECT_EQ(seen, MICA_EVENT_SIGNALED);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_OK(mica_handle_close(ev));
}

static void close_handle(void* arg) {
  mica_handle_close(*(mica_handle_t*)arg);
}

TEST(blocking, wait_one_woken_by_peer_closed) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  delayed_t d = {2 * MS, close_handle, &b};
  mica_rt_thread_t* t = start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  mica_signals_t seen = 0;
  EXPECT_OK(mica_object_wait_one(a, MICA_CHANNEL_PEER_CLOSED, patience(), &seen));
  EXPECT_EQ(seen & MICA_CHANNEL_PEER_CLOSED, MICA_CHANNEL_PEER_CLOSED);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_OK(mica_handle_close(a));
}

static void write_message(void* arg) {
  mica_channel_write(*(mica_handle_t*)arg, 0, "late", 4, NULL, 0);
}

TEST(blocking, channel_readable_woken_by_write) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  delayed_t d = {2 * MS, write_message, &a};
  mica_rt_thread_t* t = start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  EXPECT_OK(mica_object_wait_one(b, MICA_CHANNEL_READABLE, patience(), NULL));
  char buf[4];
  EXPECT_OK(mica_channel_read(b, 0, buf, NULL, sizeof(buf), 0, NULL, NULL));
  EXPECT_EQ(memcmp(buf, "late", 4), 0);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

static void queue_packet(void* arg) {
  mica_port_packet_t pkt;
  memset(&pkt, 0, sizeof(pkt));
  pkt.key = 0x600d;
  pkt.type = MICA_PKT_TYPE_USER;
  mica_port_queue(*(mica_handle_t*)arg, &pkt);
}

TEST(blocking, port_wait_woken_by_queue) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &port));
  delayed_t d = {2 * MS, queue_packet, &port};
  mica_rt_thread_t* t = start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  mica_port_packet_t pkt;
  EXPECT_OK(mica_port_wait(port, patience(), &pkt));
  EXPECT_EQ(pkt.key, 0x600d);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_OK(mica_handle_close(port));
}

TEST(blocking, port_wait_woken_by_wait_async) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &port));
  mica_handle_t ev = ct_event();
  ASSERT_OK(mica_object_wait_async(ev, port, 5, MICA_EVENT_SIGNALED, 0));
  delayed_t d = {2 * MS, signal_event, &ev};
  mica_rt_thread_t* t = start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  mica_port_packet_t pkt;
  EXPECT_OK(mica_port_wait(port, patience(), &pkt));
  EXPECT_EQ(pkt.key, 5);
  EXPECT_EQ(pkt.type, MICA_PKT_TYPE_SIGNAL);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(port));
}

TEST(blocking, wait_many_woken_by_one) {
  mica_handle_t ev[3] = {ct_event(), ct_event(), ct_event()};
  delayed_t d = {2 * MS, signal_event, &ev[1]};
  mica_rt_thread_t* t = start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  mica_wait_item_t items[3];
  for (int i = 0; i < 3; i++) {
    items[i] = (mica_wait_item_t){ev[i], MICA_EVENT_SIGNALED, 0, 0};
  }
  EXPECT_OK(mica_object_wait_many(items, 3, patience()));
  EXPECT_EQ(items[0].pending, 0);
  EXPECT_EQ(items[1].pending, MICA_EVENT_SIGNALED);
  EXPECT_EQ(items[2].pending, 0);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_OK(mica_handle_close_many(ev, 3));
}

// ---- Futexes -------------------------------------------------------------------

static mica_futex_t futex_word;
static mica_futex_t futex_word2;

TEST(futex, wait_value_mismatch_bad_state) {
  futex_word = 5;
  EXPECT_STATUS(mica_futex_wait(&futex_word, 4, MICA_TIME_INFINITE), MICA_ERR_BAD_STATE);
}

TEST(futex, wait_times_out) {
  futex_word = 1;
  EXPECT_STATUS(mica_futex_wait(&futex_word, 1, 0), MICA_ERR_TIMED_OUT);
  mica_time_t deadline = ct_now() + 2 * MS;
  EXPECT_STATUS(mica_futex_wait(&futex_word, 1, deadline), MICA_ERR_TIMED_OUT);
  EXPECT_GE(ct_now(), deadline);
}

TEST(futex, bad_pointers) {
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    const mica_futex_t* bad = (const mica_futex_t*)ct_bad_ptrs[i].addr;
    EXPECT_STATUS(mica_futex_wait(bad, 0, 0), MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_futex_requeue(bad, 1, 0, &futex_word2, 1), MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  // futex_wake and a requeue target need only a user-space address.
  static const uintptr_t kNotUser[] = {0xffffff8000001000ull, 0xfffffffffffff000ull,
                                       0x0010000000000000ull};
  for (size_t i = 0; i < sizeof(kNotUser) / sizeof(kNotUser[0]); i++) {
    futex_word = 0;
    EXPECT_STATUS(mica_futex_wake((const mica_futex_t*)kNotUser[i], 1), MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_futex_requeue(&futex_word, 1, 0, (const mica_futex_t*)kNotUser[i], 1),
                  MICA_ERR_INVALID_ARGS);
  }
  // Misaligned words.
  _Alignas(8) mica_futex_t words[2] = {0, 0};
  const mica_futex_t* odd = (const mica_futex_t*)((uintptr_t)words + 2);
  EXPECT_STATUS(mica_futex_wait(odd, 0, 0), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_futex_wake(odd, 1), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_futex_requeue(odd, 1, 0, &futex_word2, 1), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_futex_requeue(&words[0], 1, 0, odd, 1), MICA_ERR_INVALID_ARGS);
}

// A word in read-only memory can be waited on: it is only read.
TEST(futex, read_only_word) {
  static const mica_futex_t kConst = 3;
  EXPECT_STATUS(mica_futex_wait(&kConst, 3, 0), MICA_ERR_TIMED_OUT);
  EXPECT_STATUS(mica_futex_wait(&kConst, 2, 0), MICA_ERR_BAD_STATE);
  EXPECT_OK(mica_futex_wake(&kConst, 1));
}

TEST(futex, wake_without_waiters) {
  EXPECT_OK(mica_futex_wake(&futex_word, 1));
  EXPECT_OK(mica_futex_wake(&futex_word, UINT32_MAX));
  EXPECT_OK(mica_futex_wake(&futex_word, 0));
}

TEST(futex, requeue_errors) {
  futex_word = 7;
  EXPECT_STATUS(mica_futex_requeue(&futex_word, 1, 7, &futex_word, 1), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_futex_requeue(&futex_word, 1, 6, &futex_word2, 1), MICA_ERR_BAD_STATE);
  EXPECT_OK(mica_futex_requeue(&futex_word, 1, 7, &futex_word2, 1));
}

static void set_and_wake(void* arg) {
  (void)arg;
  __atomic_store_n(&futex_word, 1, __ATOMIC_SEQ_CST);
  mica_futex_wake(&futex_word, 1);
}

TEST(futex, woken_by_other_thread) {
  futex_word = 0;
  delayed_t d = {2 * MS, set_and_wake, NULL};
  mica_rt_thread_t* t = start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  // Either the wake comes while blocked (OK) or the value changed first
  // (BAD_STATE); loop until the value is seen.
  mica_time_t deadline = ct_now() + 2000 * MS;
  while (__atomic_load_n(&futex_word, __ATOMIC_SEQ_CST) == 0) {
    mica_status_t s = mica_futex_wait(&futex_word, 0, deadline);
    if (s != MICA_OK && s != MICA_ERR_BAD_STATE) {
      EXPECT_OK(s);
      break;
    }
  }
  EXPECT_EQ(futex_word, 1);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
}

// A contended runtime mutex (futex waits and wakes underneath) keeps a
// counter exact across threads.
typedef struct {
  mica_rt_mutex_t* mutex;
  volatile uint64_t* counter;
  int rounds;
} counter_job_t;

static int count_up(void* p) {
  counter_job_t* j = p;
  for (int i = 0; i < j->rounds; i++) {
    mica_rt_mutex_lock(j->mutex);
    uint64_t v = *j->counter;
    if ((i & 63) == 0) {
      mica_nanosleep(0);  // a chance to be switched out while holding it
    }
    *j->counter = v + 1;
    mica_rt_mutex_unlock(j->mutex);
  }
  return 0;
}

TEST(futex, mutex_counts_exactly) {
  mica_rt_mutex_t mutex = MICA_RT_MUTEX_INIT;
  volatile uint64_t counter = 0;
  enum { kThreads = 4, kRounds = 2000 };
  counter_job_t job = {&mutex, &counter, kRounds};
  mica_rt_thread_t* t[kThreads];
  // The threads use this frame: every one started is joined before it ends.
  int started = 0;
  for (; started < kThreads; started++) {
    mica_status_t s = mica_rt_thread_create(&t[started], count_up, &job, "core-tests-count", 0);
    EXPECT_OK(s);
    if (s != MICA_OK) {
      break;
    }
  }
  for (int i = 0; i < started; i++) {
    EXPECT_OK(mica_rt_thread_join(t[i], NULL));
  }
  EXPECT_EQ(counter, (uint64_t)started * kRounds);
}

// ---- Raw threads -------------------------------------------------------------

// What a raw thread saw: its x0/x1 and where it ran. It uses no TLS (its
// TPIDR_EL0 is 0) and ends with thread_exit.
typedef struct {
  mica_handle_t done;  // an event it signals before exiting
  uint64_t arg2;
} raw_state_t;

static _Alignas(16) uint8_t raw_stack[16384];

__attribute__((noreturn)) static void raw_entry(uint64_t arg1, uint64_t arg2) {
  raw_state_t* st = (raw_state_t*)arg1;
  st->arg2 = arg2;
  mica_object_signal(st->done, 0, MICA_EVENT_SIGNALED);
  mica_thread_exit();
}

TEST(thread, create_start_exit) {
  mica_handle_t self = mica_rt_process_self();
  ASSERT_NE(self, MICA_HANDLE_INVALID);
  mica_handle_t th = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_thread_create(self, "raw", 3, 0, &th));
  EXPECT_EQ(ct_basic(th).type, MICA_OBJ_TYPE_THREAD);
  EXPECT_EQ(ct_basic(th).rights, MICA_DEFAULT_THREAD_RIGHTS);
  EXPECT_EQ(ct_signals(th) & MICA_THREAD_TERMINATED, 0);
  raw_state_t st = {ct_event(), 0};
  ASSERT_OK(mica_thread_start(th, (mica_vaddr_t)(uintptr_t)raw_entry,
                              (mica_vaddr_t)(uintptr_t)(raw_stack + sizeof(raw_stack)),
                              (uint64_t)(uintptr_t)&st, 0x1234567890abcdefull));
  EXPECT_OK(mica_object_wait_one(th, MICA_THREAD_TERMINATED, ct_now() + 2000 * MS, NULL));
  EXPECT_EQ(ct_signals(st.done), MICA_EVENT_SIGNALED);
  EXPECT_EQ(st.arg2, 0x1234567890abcdefull);
  // A thread starts once.
  EXPECT_STATUS(mica_thread_start(th, (mica_vaddr_t)(uintptr_t)raw_entry,
                                  (mica_vaddr_t)(uintptr_t)(raw_stack + sizeof(raw_stack)), 0, 0),
                MICA_ERR_BAD_STATE);
  EXPECT_OK(mica_handle_close(st.done));
  EXPECT_OK(mica_handle_close(th));
}

TEST(thread_create, errors) {
  mica_handle_t self = mica_rt_process_self();
  ASSERT_NE(self, MICA_HANDLE_INVALID);
  mica_handle_t th = 0x5a5a5a5a;
  EXPECT_STATUS(mica_thread_create(self, "x", 1, 1, &th), MICA_ERR_INVALID_ARGS);
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_thread_create(ev, "x", 1, 0, &th), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_thread_create(MICA_HANDLE_INVALID, "x", 1, 0, &th), MICA_ERR_BAD_HANDLE);
  mica_handle_t weak = ct_dup(self, MICA_RIGHT_WAIT | MICA_RIGHT_INSPECT);
  ASSERT_NE(weak, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_thread_create(weak, "x", 1, 0, &th), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_thread_create(self, (const void*)ct_unmapped_addr(), 4, 0, &th),
                MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(th, 0x5a5a5a5a);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_thread_create(self, "x", 1, 0, (mica_handle_t*)ct_bad_ptrs[i].addr),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_OK(mica_handle_close(ev));
}

TEST(thread_start, errors) {
  mica_handle_t self = mica_rt_process_self();
  ASSERT_NE(self, MICA_HANDLE_INVALID);
  mica_handle_t th = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_thread_create(self, "never", 5, 0, &th));
  mica_vaddr_t entry = (mica_vaddr_t)(uintptr_t)raw_entry;
  mica_vaddr_t stack = (mica_vaddr_t)(uintptr_t)(raw_stack + sizeof(raw_stack));
  EXPECT_STATUS(mica_thread_start(th, entry + 2, stack, 0, 0), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_thread_start(th, entry, stack - 8, 0, 0), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_thread_start(th, 0xffffff8000000000ull, stack, 0, 0), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_thread_start(th, entry, 0xffffff8000001000ull, 0, 0), MICA_ERR_INVALID_ARGS);
  mica_handle_t weak = ct_dup(th, MICA_RIGHT_WAIT);
  ASSERT_NE(weak, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_thread_start(weak, entry, stack, 0, 0), MICA_ERR_ACCESS_DENIED);
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_thread_start(ev, entry, stack, 0, 0), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_thread_start(MICA_HANDLE_INVALID, entry, stack, 0, 0), MICA_ERR_BAD_HANDLE);
  // None of these started it.
  EXPECT_EQ(ct_signals(th) & MICA_THREAD_TERMINATED, 0);
  mica_handle_t all[3] = {weak, ev, th};
  EXPECT_OK(mica_handle_close_many(all, 3));
}

TEST(task_kill, errors) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  // An event is no task, and its handle has no DESTROY right: either error.
  EXPECT_STATUS_EITHER(mica_task_kill(ev), MICA_ERR_WRONG_TYPE, MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_task_kill(MICA_HANDLE_INVALID), MICA_ERR_BAD_HANDLE);
  mica_handle_t weak = ct_dup(mica_rt_process_self(), MICA_RIGHT_WAIT);
  ASSERT_NE(weak, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_task_kill(weak), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_OK(mica_handle_close(ev));
}

static int return_arg(void* arg) {
  return (int)(uintptr_t)arg;
}

// A process may start any number of threads over its life, not just as
// many as it can have at once (the kernel reuses the slots of threads that
// have ended; bin/syscall-fuzz found them leaking after 64 threads).
TEST(thread, many_more_threads_over_time_than_at_once) {
  for (uintptr_t i = 0; i < 200; i++) {
    mica_rt_thread_t* t = NULL;
    ASSERT_OK(mica_rt_thread_create(&t, return_arg, (void*)(i + 1), "core-tests-churn", 0));
    int result = 0;
    ASSERT_OK(mica_rt_thread_join(t, &result));
    ASSERT_EQ(result, (int)(i + 1));
  }
  mica_info_task_runtime_t rt;
  ASSERT_OK(mica_object_get_info(mica_rt_process_self(), MICA_INFO_TASK_RUNTIME, &rt, sizeof(rt),
                                 NULL, NULL));
  EXPECT_GT(rt.cpu_time, 0);
}

static _Noreturn void exit_at_once(uint64_t a, uint64_t b) {
  (void)a;
  (void)b;
  mica_thread_exit();
}

// Threads that exit at once, started four at a time: starting a thread
// reaps the ended ones, and one that has just raised TERMINATED, or is
// exiting on another CPU, may not have switched away for the last time
// yet. The start must not wait for it: it runs under the process's task
// lock, a spin lock (waiting there switched threads with the lock held,
// and the lock was then released on another CPU: a panic on the SMP
// boards).
TEST(thread, start_while_others_end) {
  for (int round = 0; round < 400; round++) {
    mica_handle_t t[4];
    for (int i = 0; i < 4; i++) {
      t[i] = ct_raw_thread_create("ct-reap");
      ASSERT_NE(t[i], MICA_HANDLE_INVALID);
      ASSERT_OK(ct_raw_thread_start(t[i], exit_at_once, i, 0, 0));
    }
    for (int i = 0; i < 4; i++) {
      ASSERT_OK(ct_wait_terminated(t[i]));
      ASSERT_OK(mica_handle_close(t[i]));
    }
  }
}
