// Channel endpoints kept alive only by handles in flight (R1, docs/kernel.md
// "Cycle collection" and "Destruction order"): unreachable sets are freed
// once the last handle from outside goes, with everything they carry;
// reachable ones keep every message; nesting of any depth is destroyed
// without recursion. Each test checks the kernel's available memory
// (free pages + free heap, KMEM_STATS) comes back exactly.
#include <mica/rt/thread.h>
#include <stdio.h>
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

static void self_queued(void) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  // b travels inside a message queued at b itself.
  EXPECT_OK(mica_channel_write(a, 0, "x", 1, &b, 1));
  EXPECT_OK(mica_handle_close(a));
}

// R1 bug 3: this leaked ~0.9 KiB a round, for ever.
TEST(channel_gc, endpoint_queued_into_itself_is_freed) {
  ct_expect_no_leak(self_queued, 50);
}

// Garbage that appears only when another queue is drained: a is queued at
// itself (written through its peer b), b is queued at d; closing c and d
// destroys d's queue, which releases b, which leaves a unreachable.
static void garbage_from_a_drained_queue(void) {
  mica_handle_t a, b, c, d;
  ct_channel(&a, &b);
  ct_channel(&c, &d);
  EXPECT_OK(mica_channel_write(b, 0, "a", 1, &a, 1));
  EXPECT_OK(mica_channel_write(c, 0, "b", 1, &b, 1));
  EXPECT_OK(mica_handle_close(c));
  EXPECT_OK(mica_handle_close(d));
}

TEST(channel_gc, garbage_left_by_a_drained_queue_is_freed) {
  ct_expect_no_leak(garbage_from_a_drained_queue, 30);
}

// Things a cycle may carry, each holding memory of its own, by kind: a
// port with a timer bound to it (armed), an event pair, an unstarted
// process with its root VMAR and a thread, a job, a VMO with a committed
// page. Returns how many handles it put in out[].
enum {
  kCarryNothing,
  kCarryPortTimer,
  kCarryEventPair,
  kCarryProcess,
  kCarryProcessAlone,
  kCarryJob,
  kCarryVmo,
  kCarryKinds
};
static const char* const kCarryNames[kCarryKinds] = {
    "nothing", "port+timer", "eventpair", "process+thread", "process", "job", "vmo"};

static int carried(int kind, mica_handle_t out[4]) {
  int n = 0;
  switch (kind) {
    case kCarryPortTimer: {
      mica_handle_t port, timer;
      if (mica_port_create(0, &port) != MICA_OK) {
        break;
      }
      out[n++] = port;
      if (mica_timer_create(0, &timer) != MICA_OK) {
        break;
      }
      out[n++] = timer;
      EXPECT_OK(mica_timer_bind(timer, port, 7, 0));
      EXPECT_OK(mica_timer_set(timer, ct_now() + 1000000000000ull, 0));
      break;
    }
    case kCarryEventPair: {
      mica_handle_t e0, e1;
      ct_eventpair(&e0, &e1);
      out[n++] = e0;
      EXPECT_OK(mica_handle_close(e1));
      break;
    }
    case kCarryProcess:
    case kCarryProcessAlone: {
      mica_handle_t proc, vmar, thread;
      if (mica_process_create(mica_rt_job_default(), "gc", 2, 0, &proc, &vmar) != MICA_OK) {
        break;
      }
      out[n++] = proc;
      out[n++] = vmar;
      if (kind == kCarryProcess && mica_thread_create(proc, "t", 1, 0, &thread) == MICA_OK) {
        out[n++] = thread;
      }
      break;
    }
    case kCarryJob: {
      mica_handle_t job;
      if (mica_job_create(mica_rt_job_default(), 0, &job) == MICA_OK) {
        out[n++] = job;
      }
      break;
    }
    case kCarryVmo: {
      mica_handle_t vmo;
      if (mica_vmo_create(MICA_PAGE_SIZE, 0, &vmo) == MICA_OK) {
        EXPECT_OK(mica_vmo_write(vmo, "p", 0, 1));
        out[n++] = vmo;
      }
      break;
    }
    default:
      break;
  }
  return n;
}

// A ring of `g_ring_len` channels: endpoint i's far end travels in a
// message on channel i+1's near end (so it is queued at channel i+1's far
// end), the last one's far end at channel 0's; every near end closed. Each
// message also carries objects of kind `g_ring_kind`.
static int g_ring_len;
static int g_ring_kind;

static void ring(void) {
  enum { kMax = 8 };
  mica_handle_t near[kMax], far[kMax];
  for (int i = 0; i < g_ring_len; i++) {
    ct_channel(&near[i], &far[i]);
  }
  for (int i = 0; i < g_ring_len; i++) {
    mica_handle_t hs[5];
    int n = carried(g_ring_kind, hs);
    hs[n++] = far[i];
    EXPECT_OK(mica_channel_write(near[(i + 1) % g_ring_len], 0, "ring", 4, hs, (uint32_t)n));
  }
  for (int i = 0; i < g_ring_len; i++) {
    EXPECT_OK(mica_handle_close(near[i]));
  }
}

// The same objects closed directly, without channels (the baseline the
// rings are compared with).
static void carried_and_closed(void) {
  mica_handle_t hs[4];
  int n = carried(g_ring_kind, hs);
  for (int i = 0; i < n; i++) {
    EXPECT_OK(mica_handle_close(hs[i]));
  }
}

// The process kinds: an unstarted process whose last handle closed was
// never freed at 33de916 (it lived until its job was killed); it is killed
// then now (process_unstarted_test.c).
TEST(channel_gc, carried_objects_closed_directly_are_freed) {
  static char label[48];
  for (int k = 0; k < kCarryKinds; k++) {
    g_ring_kind = k;
    snprintf(label, sizeof(label), "%s", kCarryNames[k]);
    ct_set_context(label);
    ct_expect_no_leak(carried_and_closed, 5);
  }
  ct_set_context(NULL);
}

TEST(channel_gc, rings_carrying_every_kind_of_object_are_freed) {
  static const int kLens[] = {1, 2, 7};
  static char label[48];
  for (int k = 0; k < kCarryKinds; k++) {
    for (size_t l = 0; l < sizeof(kLens) / sizeof(kLens[0]); l++) {
      g_ring_kind = k;
      g_ring_len = kLens[l];
      snprintf(label, sizeof(label), "ring of %d carrying %s", kLens[l], kCarryNames[k]);
      ct_set_context(label);
      ct_expect_no_leak(ring, 5);
    }
  }
  ct_set_context(NULL);
}

// An endpoint whose only handle is queued at an endpoint a process holds is
// reachable: collections never take its messages. Here b's handle is
// queued at d (held), b's own queue holds data and an endpoint f whose
// queue holds data: everything must still be readable.
TEST(channel_gc, reachable_endpoints_keep_their_messages) {
  mica_handle_t a, b, c, d, e, f;
  ct_channel(&a, &b);
  ct_channel(&c, &d);
  ct_channel(&e, &f);
  ASSERT_OK(mica_channel_write(e, 0, "deep", 4, NULL, 0));
  ASSERT_OK(mica_channel_write(a, 0, "data", 4, &f, 1));  // f queued at b
  ASSERT_OK(mica_channel_write(c, 0, "b", 1, &b, 1));     // b queued at d
  // Closing a and e triggers collections; b and f are candidates.
  ASSERT_OK(mica_handle_close(a));
  ASSERT_OK(mica_handle_close(e));
  self_queued();  // garbage elsewhere, collected meanwhile
  char buf[8];
  mica_handle_t got = MICA_HANDLE_INVALID;
  uint32_t nb = 0, nh = 0;
  ASSERT_OK(mica_channel_read(d, 0, buf, &got, sizeof(buf), 1, &nb, &nh));
  ASSERT_EQ(nh, 1u);
  mica_handle_t f2 = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_channel_read(got, 0, buf, &f2, sizeof(buf), 1, &nb, &nh));
  EXPECT_EQ(nb, 4u);
  EXPECT_EQ(memcmp(buf, "data", 4), 0);
  ASSERT_EQ(nh, 1u);
  ASSERT_OK(mica_channel_read(f2, 0, buf, NULL, sizeof(buf), 0, &nb, &nh));
  EXPECT_EQ(memcmp(buf, "deep", 4), 0);
  EXPECT_TRUE((ct_signals(got) & MICA_CHANNEL_PEER_CLOSED) != 0);
  EXPECT_OK(mica_handle_close(got));
  EXPECT_OK(mica_handle_close(f2));
  EXPECT_OK(mica_handle_close(c));
  EXPECT_OK(mica_handle_close(d));
}

// R1 bug 2: an endpoint in a message on a channel whose peer is in a
// message on another, and so on, then the outermost handle closed. At
// 33de916 a couple of hundred levels overflowed the kernel stack.
static void nest(int depth) {
  mica_handle_t x, carried_end;
  ct_channel(&x, &carried_end);
  EXPECT_OK(mica_handle_close(x));
  for (int i = 0; i < depth && !ct_failed(); i++) {
    mica_handle_t a, ap;
    ct_channel(&a, &ap);
    // carried_end goes into a message queued at ap; ap is carried next.
    EXPECT_OK(mica_channel_write(a, 0, "n", 1, &carried_end, 1));
    EXPECT_OK(mica_handle_close(a));
    carried_end = ap;
  }
  EXPECT_OK(mica_handle_close(carried_end));
}

static void nest_deep(void) {
  nest(20000);
}

TEST(channel_gc, nesting_20000_deep_is_destroyed_without_recursion) {
  ct_expect_no_leak(nest_deep, 1);
}

// The nesting again, each level also holding a self-queued endpoint, so
// the destruction of the chain and collections interleave.
static void nest_with_cycles(void) {
  mica_handle_t x, carried_end;
  ct_channel(&x, &carried_end);
  EXPECT_OK(mica_handle_close(x));
  for (int i = 0; i < 500 && !ct_failed(); i++) {
    mica_handle_t a, ap, s0, s1;
    ct_channel(&a, &ap);
    ct_channel(&s0, &s1);
    EXPECT_OK(mica_channel_write(s0, 0, "s", 1, &s1, 1));  // s1 at itself
    mica_handle_t hs[2] = {carried_end, s0};
    EXPECT_OK(mica_channel_write(a, 0, "n", 1, hs, 2));
    EXPECT_OK(mica_handle_close(a));
    carried_end = ap;
  }
  EXPECT_OK(mica_handle_close(carried_end));
}

TEST(channel_gc, nesting_with_cycles_inside_is_freed) {
  ct_expect_no_leak(nest_with_cycles, 2);
}

// ---- Collections racing with endpoints on the move -----------------------------

// Three threads pass a parcel round a ring of relay channels. The parcel
// is two endpoints W, W' (one message); W's queue holds one message with
// T and T'; T's queue holds a token with the hop count. Every hop lands
// W, W', then T, T' (a read out of a candidate's queue: exactly the race
// the collector's generation check covers), checks the token, writes the
// next one through T', puts T and T' back through W' and forwards W, W'.
// Meanwhile a fourth thread keeps making garbage, so collections run all
// the time, also from the collector thread. Nothing reachable may be
// collected: every hop finds its token.
enum { kRelays = 3, kHops = 600 };

typedef struct {
  mica_handle_t in;   // read end of this relay's channel
  mica_handle_t out;  // write end of the next relay's channel
  int errors;
  int hops;
} relay_t;

static volatile int g_relays_done;

static bool read_one(mica_handle_t ch, void* buf, uint32_t cap, mica_handle_t* hs, uint32_t hcap,
                     uint32_t* nb, uint32_t* nh) {
  for (int tries = 0; tries < 2000; tries++) {
    mica_status_t s = mica_channel_read(ch, 0, buf, hs, cap, hcap, nb, nh);
    if (s == MICA_OK) {
      return true;
    }
    if (s != MICA_ERR_SHOULD_WAIT) {
      return false;
    }
    mica_object_wait_one(ch, MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED,
                         ct_now() + 10 * 1000 * 1000, NULL);
  }
  return false;
}

static int run_relay(void* arg) {
  relay_t* r = arg;
  for (;;) {
    uint32_t hop = 0, nb = 0, nh = 0;
    mica_handle_t w[2];
    if (!read_one(r->in, &hop, sizeof(hop), w, 2, &nb, &nh) || nh != 2) {
      r->errors++;
      return 1;
    }
    if (hop >= kHops) {
      // The end: pass it on once so every relay sees it, then stop.
      if (mica_channel_write(r->out, 0, &hop, sizeof(hop), w, 2) != MICA_OK) {
        r->errors++;
      }
      return 0;
    }
    mica_handle_t t[2];
    uint32_t token = 0;
    if (!read_one(w[0], NULL, 0, t, 2, &nb, &nh) || nh != 2 ||
        !read_one(t[0], &token, sizeof(token), NULL, 0, &nb, &nh) || token != hop) {
      r->errors++;
      return 1;
    }
    hop++;
    r->hops++;
    if (mica_channel_write(t[1], 0, &hop, sizeof(hop), NULL, 0) != MICA_OK ||
        mica_channel_write(w[1], 0, NULL, 0, t, 2) != MICA_OK ||
        mica_channel_write(r->out, 0, &hop, sizeof(hop), w, 2) != MICA_OK) {
      r->errors++;
      return 1;
    }
  }
}

static int run_garbage_maker(void* arg) {
  (void)arg;
  while (!g_relays_done) {
    self_queued();
    garbage_from_a_drained_queue();
    mica_nanosleep(ct_now() + 200 * 1000);  // leave the relays most of a CPU
  }
  return 0;
}

static void relay_round(void) {
  static relay_t relays[kRelays];
  mica_handle_t wr[kRelays], rd[kRelays];
  for (int i = 0; i < kRelays; i++) {
    ct_channel(&wr[i], &rd[i]);
  }
  for (int i = 0; i < kRelays; i++) {
    relays[i] = (relay_t){.in = rd[i], .out = wr[(i + 1) % kRelays]};
  }
  // The parcel, hop 0.
  mica_handle_t w0, w1, t0, t1;
  ct_channel(&w0, &w1);
  ct_channel(&t0, &t1);
  uint32_t hop = 0;
  ASSERT_OK(mica_channel_write(t1, 0, &hop, sizeof(hop), NULL, 0));
  mica_handle_t ts[2] = {t0, t1};
  ASSERT_OK(mica_channel_write(w1, 0, NULL, 0, ts, 2));
  mica_handle_t ws[2] = {w0, w1};
  ASSERT_OK(mica_channel_write(wr[0], 0, &hop, sizeof(hop), ws, 2));

  g_relays_done = 0;
  mica_rt_thread_t* threads[kRelays + 1];
  int started = 0;
  mica_status_t s = MICA_OK;
  for (; started < kRelays && s == MICA_OK; started += s == MICA_OK) {
    s = mica_rt_thread_create(&threads[started], run_relay, &relays[started], "gc-relay", 0);
  }
  if (s == MICA_OK) {
    s = mica_rt_thread_create(&threads[kRelays], run_garbage_maker, NULL, "gc-garbage", 0);
  }
  if (s != MICA_OK) {
    EXPECT_OK(s);  // under failalloc, an injected failure
    // The relays already started wait on their channels: closing every
    // end ends them (a read of a closed handle fails), so none is left.
    for (int i = 0; i < kRelays; i++) {
      EXPECT_OK(mica_handle_close(wr[i]));
      EXPECT_OK(mica_handle_close(rd[i]));
    }
    for (int i = 0; i < started; i++) {
      EXPECT_OK(mica_rt_thread_join(threads[i], NULL));
    }
    return;
  }
  int hops = 0;
  for (int i = 0; i < kRelays; i++) {
    EXPECT_OK(mica_rt_thread_join(threads[i], NULL));
    EXPECT_EQ(relays[i].errors, 0);
    hops += relays[i].hops;
  }
  g_relays_done = 1;
  EXPECT_OK(mica_rt_thread_join(threads[kRelays], NULL));
  EXPECT_EQ(hops, kHops);
  // The parcel is queued at one of the relays; closing everything frees it.
  for (int i = 0; i < kRelays; i++) {
    EXPECT_OK(mica_handle_close(wr[i]));
    EXPECT_OK(mica_handle_close(rd[i]));
  }
}

TEST(channel_gc, endpoints_on_the_move_are_never_collected) {
  ct_expect_no_leak(relay_round, 1);
}
