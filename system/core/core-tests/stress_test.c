// Stress: many messages and handles through one channel pair or port, from
// several threads (on every CPU the machine has), checking that nothing is
// lost, duplicated or leaked; and a handle table filled to the brim.
#include <mica/rt/thread.h>
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define MS ((mica_time_t)1000000)

// ---- One thread, many round trips ----------------------------------------------

// 2000 round trips, each carrying a handle there and back: every message
// and handle arrives once, in order, and at the end every value that was
// ever handed out is dead.
TEST(stress, round_trips_with_handles) {
  enum { kRounds = 2000 };
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t base = ct_event();
  ASSERT_NE(base, MICA_HANDLE_INVALID);
  mica_koid_t koid = ct_basic(base).koid;
  static mica_handle_t used[3 * kRounds];
  size_t nused = 0;
  for (uint32_t i = 0; i < kRounds; i++) {
    mica_handle_t h = ct_dup(base, MICA_RIGHT_SAME_RIGHTS);
    ASSERT_NE(h, MICA_HANDLE_INVALID);
    used[nused++] = h;
    ASSERT_OK(mica_channel_write(a, 0, &i, sizeof(i), &h, 1));
    uint32_t seq = 0, nb = 0, nh = 0;
    mica_handle_t got = MICA_HANDLE_INVALID;
    ASSERT_OK(mica_channel_read(b, 0, &seq, &got, sizeof(seq), 1, &nb, &nh));
    ASSERT_EQ(seq, i);
    ASSERT_EQ(nh, 1);
    ASSERT_EQ(ct_basic(got).koid, koid);
    used[nused++] = got;
    ASSERT_OK(mica_channel_write(b, 0, &seq, sizeof(seq), &got, 1));
    mica_handle_t back = MICA_HANDLE_INVALID;
    ASSERT_OK(mica_channel_read(a, 0, &seq, &back, sizeof(seq), 1, NULL, NULL));
    ASSERT_EQ(seq, i);
    used[nused++] = back;
    ASSERT_OK(mica_handle_close(back));
  }
  // Nothing is left in either queue.
  EXPECT_EQ(ct_signals(a) & MICA_CHANNEL_READABLE, 0);
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_READABLE, 0);
  for (size_t i = 0; i < nused; i++) {
    if (ct_valid(used[i])) {
      ct_fail(__FILE_NAME__, __LINE__, "value 0x%x (use %zu) still resolves", (unsigned)used[i], i);
      break;
    }
  }
  EXPECT_OK(mica_handle_close(base));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// ---- Several writers, one reader -----------------------------------------------

enum { kWriters = 4, kPerWriter = 100, kHandleEvery = 4 };

typedef struct {
  uint32_t writer;
  mica_handle_t endpoint;  // shared by every writer
  // The kept end of each event pair whose other end was sent, by sequence
  // number (only every kHandleEvery-th message carries one).
  mica_handle_t kept[kPerWriter];
  mica_koid_t sent_koid[kPerWriter];
  mica_status_t status;
} writer_t;

typedef struct {
  uint32_t writer;
  uint32_t seq;
} stamp_t;

static int run_writer(void* p) {
  writer_t* w = p;
  for (uint32_t seq = 0; seq < kPerWriter; seq++) {
    stamp_t stamp = {w->writer, seq};
    mica_handle_t send = MICA_HANDLE_INVALID;
    uint32_t nh = 0;
    if (seq % kHandleEvery == 0) {
      ct_eventpair(&w->kept[seq], &send);
      w->sent_koid[seq] = ct_basic(send).koid;
      nh = 1;
    }
    for (;;) {
      mica_status_t s = mica_channel_write(w->endpoint, 0, &stamp, sizeof(stamp), &send, nh);
      if (s == MICA_OK) {
        break;
      }
      if (s != MICA_ERR_SHOULD_WAIT) {
        w->status = s;
        return 0;
      }
      // A refused write consumed the handle: make a new pair and retry
      // once there is room.
      if (nh != 0) {
        mica_handle_close(w->kept[seq]);
        ct_eventpair(&w->kept[seq], &send);
        w->sent_koid[seq] = ct_basic(send).koid;
      }
      mica_object_wait_one(w->endpoint, MICA_CHANNEL_WRITABLE | MICA_CHANNEL_PEER_CLOSED,
                           ct_now() + 100 * MS, NULL);
    }
  }
  return 0;
}

// After a test that gave up early (an ASSERT returned, as under fault
// injection), the `started` worker threads may still run: closing the
// handles they use ends them (their next call fails), then they are joined,
// so no worker outlives its test.
static void stop_workers(mica_handle_t h1, mica_handle_t h2, mica_rt_thread_t** threads,
                         uint32_t started) {
  if (started == 0) {
    return;
  }
  (void)mica_handle_close(h1);
  (void)mica_handle_close(h2);
  for (uint32_t i = 0; i < started; i++) {
    (void)mica_rt_thread_join(threads[i], NULL);
  }
}

static writer_t writers[kWriters];

// The test below; `*started` is how many writers run and are not joined.
static void writers_run(mica_handle_t a, mica_handle_t b, mica_rt_thread_t** threads,
                        uint32_t* started) {
  for (uint32_t i = 0; i < kWriters; i++) {
    memset(&writers[i], 0, sizeof(writers[i]));
    writers[i].writer = i;
    writers[i].endpoint = a;
    ASSERT_OK(mica_rt_thread_create(&threads[i], run_writer, &writers[i], "core-tests-writer", 0));
    ++*started;
  }
  uint32_t next[kWriters] = {0};
  static mica_handle_t received[kWriters][kPerWriter];
  uint32_t total = 0;
  mica_time_t give_up = ct_now() + 20000 * MS;
  while (total < kWriters * kPerWriter && ct_now() < give_up) {
    stamp_t stamp;
    mica_handle_t h = MICA_HANDLE_INVALID;
    uint32_t nb = 0, nh = 0;
    mica_status_t s = mica_channel_read(b, 0, &stamp, &h, sizeof(stamp), 1, &nb, &nh);
    if (s == MICA_ERR_SHOULD_WAIT) {
      mica_object_wait_one(b, MICA_CHANNEL_READABLE, ct_now() + 100 * MS, NULL);
      continue;
    }
    ASSERT_OK(s);
    ASSERT_EQ(nb, sizeof(stamp));
    ASSERT_LT(stamp.writer, kWriters);
    // Each writer's messages arrive in its order, none lost or repeated.
    ASSERT_EQ(stamp.seq, next[stamp.writer]);
    next[stamp.writer]++;
    ASSERT_EQ(nh, stamp.seq % kHandleEvery == 0 ? 1 : 0);
    received[stamp.writer][stamp.seq] = h;
    total++;
  }
  for (uint32_t i = 0; i < kWriters; i++) {
    EXPECT_OK(mica_rt_thread_join(threads[i], NULL));
    EXPECT_OK(writers[i].status);
  }
  *started = 0;
  ASSERT_EQ(total, kWriters * kPerWriter);
  // Every received handle is the end that was sent; closing it is seen by
  // the kept end, so it was the only handle left to that end.
  for (uint32_t w = 0; w < kWriters; w++) {
    for (uint32_t seq = 0; seq < kPerWriter; seq += kHandleEvery) {
      mica_handle_t h = received[w][seq];
      if (ct_basic(h).koid != writers[w].sent_koid[seq]) {
        ct_fail(__FILE_NAME__, __LINE__, "writer %u seq %u: wrong handle", w, seq);
      }
      EXPECT_OK(mica_handle_close(h));
      EXPECT_EQ(ct_signals(writers[w].kept[seq]) & MICA_EVENTPAIR_PEER_CLOSED,
                MICA_EVENTPAIR_PEER_CLOSED);
      EXPECT_OK(mica_handle_close(writers[w].kept[seq]));
    }
  }
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(stress, writers_share_one_endpoint) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_rt_thread_t* threads[kWriters];
  uint32_t started = 0;
  writers_run(a, b, threads, &started);
  stop_workers(a, b, threads, started);
}

// ---- Several producers, one port ---------------------------------------------------

enum { kProducers = 4, kPerProducer = 150 };

typedef struct {
  mica_handle_t port;
  uint32_t producer;
  mica_status_t status;
} producer_t;

static int run_producer(void* p) {
  producer_t* pr = p;
  for (uint32_t seq = 0; seq < kPerProducer; seq++) {
    mica_port_packet_t pkt;
    memset(&pkt, 0, sizeof(pkt));
    pkt.type = MICA_PKT_TYPE_USER;
    pkt.key = ((uint64_t)pr->producer << 32) | seq;
    pkt.user.u32[0] = seq ^ 0xa5a5a5a5u;
    mica_status_t s;
    while ((s = mica_port_queue(pr->port, &pkt)) == MICA_ERR_SHOULD_WAIT) {
      mica_nanosleep(ct_now() + MS / 10);
    }
    if (s != MICA_OK) {
      pr->status = s;
      return 0;
    }
  }
  return 0;
}

static producer_t producers[kProducers];

static void producers_run(mica_handle_t port, mica_rt_thread_t** threads, uint32_t* started) {
  for (uint32_t i = 0; i < kProducers; i++) {
    producers[i] = (producer_t){port, i, MICA_OK};
    ASSERT_OK(
        mica_rt_thread_create(&threads[i], run_producer, &producers[i], "core-tests-producer", 0));
    ++*started;
  }
  uint32_t next[kProducers] = {0};
  for (uint32_t n = 0; n < kProducers * kPerProducer; n++) {
    mica_port_packet_t pkt;
    ASSERT_OK(mica_port_wait(port, ct_now() + 20000 * MS, &pkt));
    uint32_t producer = (uint32_t)(pkt.key >> 32), seq = (uint32_t)pkt.key;
    ASSERT_LT(producer, kProducers);
    ASSERT_EQ(seq, next[producer]);
    ASSERT_EQ(pkt.user.u32[0], seq ^ 0xa5a5a5a5u);
    next[producer]++;
  }
  mica_port_packet_t pkt;
  EXPECT_STATUS(mica_port_wait(port, 0, &pkt), MICA_ERR_TIMED_OUT);
  for (uint32_t i = 0; i < kProducers; i++) {
    EXPECT_OK(mica_rt_thread_join(threads[i], NULL));
    EXPECT_OK(producers[i].status);
  }
  *started = 0;
  EXPECT_OK(mica_handle_close(port));
}

TEST(stress, producers_share_one_port) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &port));
  mica_rt_thread_t* threads[kProducers];
  uint32_t started = 0;
  producers_run(port, threads, &started);
  stop_workers(port, MICA_HANDLE_INVALID, threads, started);
}

// ---- Calls from several threads -----------------------------------------------

enum { kCallers = 3, kCallsEach = 50 };

typedef struct {
  mica_handle_t endpoint;
  uint32_t id;
  mica_status_t status;
} caller_t;

static int run_caller(void* p) {
  caller_t* c = p;
  for (uint32_t i = 0; i < kCallsEach; i++) {
    uint32_t req[3] = {0, c->id, i};
    uint32_t rep[3] = {0, 0, 0};
    mica_channel_call_args_t args;
    memset(&args, 0, sizeof(args));
    args.wr_bytes = req;
    args.wr_num_bytes = sizeof(req);
    args.rd_bytes = rep;
    args.rd_num_bytes = sizeof(rep);
    mica_status_t s = mica_channel_call(c->endpoint, 0, ct_now() + 10000 * MS, &args, NULL, NULL);
    if (s == MICA_OK && (rep[1] != c->id || rep[2] != i + 1)) {
      s = MICA_ERR_INTERNAL;  // someone else's reply
    }
    if (s != MICA_OK) {
      c->status = s;
      return 0;
    }
  }
  return 0;
}

// Concurrent calls through one endpoint each get their own reply.
static caller_t callers[kCallers];

static void callers_run(mica_handle_t a, mica_handle_t b, mica_rt_thread_t** threads,
                        uint32_t* started) {
  for (uint32_t i = 0; i < kCallers; i++) {
    callers[i] = (caller_t){a, i, MICA_OK};
    ASSERT_OK(mica_rt_thread_create(&threads[i], run_caller, &callers[i], "core-tests-caller", 0));
    ++*started;
  }
  // The server answers each request with (txid, id, seq + 1).
  for (uint32_t n = 0; n < kCallers * kCallsEach; n++) {
    uint32_t req[3];
    mica_status_t s;
    while ((s = mica_channel_read(b, 0, req, NULL, sizeof(req), 0, NULL, NULL)) ==
           MICA_ERR_SHOULD_WAIT) {
      ASSERT_OK(mica_object_wait_one(b, MICA_CHANNEL_READABLE, ct_now() + 10000 * MS, NULL));
    }
    ASSERT_OK(s);
    req[2]++;
    ASSERT_OK(mica_channel_write(b, 0, req, sizeof(req), NULL, 0));
  }
  for (uint32_t i = 0; i < kCallers; i++) {
    EXPECT_OK(mica_rt_thread_join(threads[i], NULL));
    EXPECT_OK(callers[i].status);
  }
  *started = 0;
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(stress, concurrent_calls_get_their_replies) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_rt_thread_t* threads[kCallers];
  uint32_t started = 0;
  callers_run(a, b, threads, &started);
  stop_workers(a, b, threads, started);
}

// ---- A full handle table ---------------------------------------------------------

// Fill the table with duplicates until the kernel says NO_RESOURCES; then
// every call that adds a handle reports it, a message whose handles do not
// fit stays queued, and after closing everything the process works again.
TEST(stress, handle_table_full) {
  enum { kMax = 1 << 17 };
  static mica_handle_t filler[kMax];
  mica_handle_t base = ct_event();
  ASSERT_NE(base, MICA_HANDLE_INVALID);
  // A message with a handle, queued before the table fills.
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t carried = ct_dup(base, MICA_RIGHT_SAME_RIGHTS);
  ASSERT_OK(mica_channel_write(a, 0, "h", 1, &carried, 1));
  size_t n = 0;
  mica_status_t s = MICA_OK;
  while (n < kMax) {
    s = mica_handle_duplicate(base, MICA_RIGHT_SAME_RIGHTS, &filler[n]);
    if (s != MICA_OK) {
      break;
    }
    n++;
  }
  EXPECT_STATUS(s, MICA_ERR_NO_RESOURCES);
  EXPECT_GT(n, 1000);
  mica_handle_t h = 0x5a5a5a5a, h2 = 0x5a5a5a5a;
  EXPECT_STATUS(mica_event_create(0, &h), MICA_ERR_NO_RESOURCES);
  EXPECT_STATUS(mica_channel_create(0, &h, &h2), MICA_ERR_NO_RESOURCES);
  EXPECT_STATUS(mica_eventpair_create(0, &h, &h2), MICA_ERR_NO_RESOURCES);
  EXPECT_STATUS(mica_port_create(0, &h), MICA_ERR_NO_RESOURCES);
  EXPECT_STATUS(mica_timer_create(0, &h), MICA_ERR_NO_RESOURCES);
  EXPECT_EQ(h, 0x5a5a5a5a);
  EXPECT_EQ(h2, 0x5a5a5a5a);
  char c = 0;
  mica_handle_t got = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_channel_read(b, 0, &c, &got, 1, 1, NULL, NULL), MICA_ERR_NO_RESOURCES);
  // With one slot free again the message (still queued) can be read.
  EXPECT_OK(mica_handle_close(filler[--n]));
  EXPECT_OK(mica_channel_read(b, 0, &c, &got, 1, 1, NULL, NULL));
  EXPECT_EQ(c, 'h');
  EXPECT_EQ(ct_basic(got).koid, ct_basic(base).koid);
  for (size_t i = 0; i < n; i += MICA_CHANNEL_MAX_MSG_HANDLES) {
    size_t count = n - i < MICA_CHANNEL_MAX_MSG_HANDLES ? n - i : MICA_CHANNEL_MAX_MSG_HANDLES;
    ASSERT_OK(mica_handle_close_many(&filler[i], count));
  }
  EXPECT_FALSE(ct_valid(filler[0]));
  EXPECT_FALSE(ct_valid(filler[n / 2]));
  mica_handle_t ev = ct_event();
  EXPECT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t all[5] = {ev, got, base, a, b};
  EXPECT_OK(mica_handle_close_many(all, 5));
}

// ---- A signal packet queued while its port's last handle closes -----------------

// One thread keeps making wait_asyncs on an event that is already signaled
// (each fires at once, queuing a packet on the port) while the main thread
// keeps closing the port's only handle and making a new port. When the
// close lands between the packet's queuing and the waiter's wake-up, the
// closed port drops the queued packet, and with it the only reference
// left: the wake-up must not touch the port after that (it did: a kernel
// panic reading freed memory, found by the fault-injection fuzzer).
typedef struct {
  mica_handle_t event;
  mica_handle_t port;  // the current port (__atomic: the main thread replaces it)
  bool stop;           // __atomic
  uint64_t queued;     // wait_asyncs that succeeded
} async_closer_t;

static int queue_forever(void* arg) {
  async_closer_t* c = arg;
  while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
    mica_handle_t port = __atomic_load_n(&c->port, __ATOMIC_ACQUIRE);
    if (mica_object_wait_async(c->event, port, 1, MICA_EVENT_SIGNALED, 0) == MICA_OK) {
      __atomic_fetch_add(&c->queued, 1, __ATOMIC_RELAXED);
    }
  }
  return 0;
}

TEST(stress, wait_async_while_its_port_closes) {
  async_closer_t c = {.event = ct_event()};
  ASSERT_NE(c.event, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_signal(c.event, 0, MICA_EVENT_SIGNALED));
  ASSERT_OK(mica_port_create(0, &c.port));
  enum { kThreads = 3 };
  mica_rt_thread_t* threads[kThreads] = {NULL};
  for (int i = 0; i < kThreads; i++) {
    ASSERT_OK(mica_rt_thread_create(&threads[i], queue_forever, &c, "core-tests-queuer", 0));
  }
  mica_time_t end = ct_now() + 1500 * MS;
  uint32_t rounds = 0;
  while (ct_now() < end) {
    mica_handle_t fresh;
    mica_status_t s = mica_port_create(0, &fresh);
    EXPECT_OK(s);  // (under fault injection, NO_MEMORY ends the test as injected)
    if (s != MICA_OK) {
      break;
    }
    mica_handle_t old = __atomic_exchange_n(&c.port, fresh, __ATOMIC_ACQ_REL);
    for (volatile int spin = 0; spin < (int)(rounds % 64); spin++) {
    }
    EXPECT_OK(mica_handle_close(old));
    rounds++;
  }
  __atomic_store_n(&c.stop, true, __ATOMIC_RELEASE);
  for (int i = 0; i < kThreads; i++) {
    EXPECT_OK(mica_rt_thread_join(threads[i], NULL));
  }
  EXPECT_GT(rounds, 100u);
  EXPECT_GT(c.queued, 100u);
  EXPECT_OK(mica_handle_close(c.port));
  EXPECT_OK(mica_handle_close(c.event));
}
