// channel_write_read (docs/syscalls.md, "Channels"): a write and a blocking
// read in one call, the server side of channel_call. Messages already
// queued, messages handed straight to a waiting reader, deadlines,
// messages that do not fit, peer and handle closes, several readers,
// rights and bad arguments.
#include <mica/rt/thread.h>
#include <string.h>

#include "system/core/core-tests/task_util.h"
#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define MS ((mica_time_t)1000000)

static mica_channel_call_args_t wr_args(const void* wr, uint32_t wr_size, void* rd,
                                        uint32_t rd_size) {
  mica_channel_call_args_t args;
  memset(&args, 0, sizeof(args));
  args.wr_bytes = wr;
  args.wr_num_bytes = wr_size;
  args.rd_bytes = rd;
  args.rd_num_bytes = rd_size;
  return args;
}

// A message already queued is read at once; the written one reaches the
// peer.
TEST(channel_write_read, writes_then_reads_a_queued_message) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  uint8_t first[24];
  ct_fill(first, sizeof(first), 1);
  ASSERT_OK(mica_channel_write(b, 0, first, sizeof(first), NULL, 0));
  uint8_t out[40], in[64];
  ct_fill(out, sizeof(out), 2);
  mica_channel_call_args_t args = wr_args(out, sizeof(out), in, sizeof(in));
  uint32_t nb = 0, nh = 99;
  EXPECT_OK(mica_channel_write_read(a, 0, MICA_TIME_INFINITE, &args, &nb, &nh));
  EXPECT_EQ(nb, sizeof(first));
  EXPECT_EQ(nh, 0);
  EXPECT_TRUE(ct_check_fill(in, sizeof(first), 1));
  uint8_t peer[64];
  uint32_t pnb = 0;
  EXPECT_OK(mica_channel_read(b, 0, peer, NULL, sizeof(peer), 0, &pnb, NULL));
  EXPECT_EQ(pnb, sizeof(out));
  EXPECT_TRUE(ct_check_fill(peer, sizeof(out), 2));
  // Nothing left on either side.
  EXPECT_STATUS(mica_channel_read(a, 0, in, NULL, sizeof(in), 0, NULL, NULL), MICA_ERR_SHOULD_WAIT);
  EXPECT_STATUS(mica_channel_read(b, 0, in, NULL, sizeof(in), 0, NULL, NULL), MICA_ERR_SHOULD_WAIT);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

typedef struct {
  mica_handle_t endpoint;
  uint32_t size;
  uint32_t seed;
  mica_handle_t handle;  // sent along if valid
  mica_status_t status;
} writer_t;

static void write_msg(void* p) {
  writer_t* w = p;
  uint8_t buf[256];
  ct_fill(buf, w->size, w->seed);
  uint32_t nh = w->handle != MICA_HANDLE_INVALID ? 1 : 0;
  w->status = mica_channel_write(w->endpoint, 0, buf, w->size, &w->handle, nh);
}

// With nothing queued the call waits; a message written meanwhile (handed
// to the waiting reader) ends it, with its handle.
TEST(channel_write_read, waits_for_a_message_with_handles) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  writer_t w = {.endpoint = b, .size = 48, .seed = 7, .handle = ev};
  ct_delayed_t d = {.delay = 20 * MS, .action = write_msg, .arg = &w};
  mica_rt_thread_t* t = ct_start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  uint8_t in[64];
  mica_handle_t got = MICA_HANDLE_INVALID;
  mica_channel_call_args_t args = wr_args(NULL, 0, in, sizeof(in));
  args.rd_handles = &got;
  args.rd_num_handles = 1;
  uint32_t nb = 0, nh = 0;
  mica_time_t start = ct_now();
  EXPECT_OK(mica_channel_write_read(a, MICA_CHANNEL_WRITE_READ_NO_WRITE, ct_now() + 5000 * MS,
                                    &args, &nb, &nh));
  EXPECT_GE(ct_now() - start, 10 * MS);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_OK(w.status);
  EXPECT_EQ(nb, 48);
  EXPECT_EQ(nh, 1);
  EXPECT_TRUE(ct_check_fill(in, 48, 7));
  EXPECT_OK(mica_object_signal(got, 0, MICA_EVENT_SIGNALED));  // a live handle of ours
  EXPECT_OK(mica_handle_close(got));
  // The handed message never made the endpoint readable.
  mica_signals_t seen = 0;
  EXPECT_STATUS(mica_object_wait_one(a, MICA_CHANNEL_READABLE, 0, &seen), MICA_ERR_TIMED_OUT);
  EXPECT_EQ(seen & MICA_CHANNEL_READABLE, 0);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// The deadline ends the wait; the message written before it stays with the
// peer.
TEST(channel_write_read, deadline) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  uint8_t out[8] = {1, 2, 3, 4, 5, 6, 7, 8}, in[16];
  mica_channel_call_args_t args = wr_args(out, sizeof(out), in, sizeof(in));
  mica_time_t deadline = ct_now() + 20 * MS;
  EXPECT_STATUS(mica_channel_write_read(a, 0, deadline, &args, NULL, NULL), MICA_ERR_TIMED_OUT);
  EXPECT_GE(ct_now(), deadline);
  uint32_t nb = 0;
  EXPECT_OK(mica_channel_read(b, 0, in, NULL, sizeof(in), 0, &nb, NULL));
  EXPECT_EQ(nb, sizeof(out));
  EXPECT_EQ(memcmp(in, out, sizeof(out)), 0);
  // A deadline already passed does not wait.
  EXPECT_STATUS(mica_channel_write_read(a, MICA_CHANNEL_WRITE_READ_NO_WRITE, 0, &args, NULL, NULL),
                MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// A message that does not fit stays queued (whether it was queued before
// or arrived during the wait) and the sizes it needs are written.
TEST(channel_write_read, too_small_keeps_the_message) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  writer_t w = {.endpoint = b, .size = 100, .seed = 3, .handle = MICA_HANDLE_INVALID};
  ct_delayed_t d = {.delay = 20 * MS, .action = write_msg, .arg = &w};
  mica_rt_thread_t* t = ct_start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  uint8_t in[128];
  mica_channel_call_args_t args = wr_args(NULL, 0, in, 50);
  uint32_t nb = 0, nh = 9;
  EXPECT_STATUS(mica_channel_write_read(a, MICA_CHANNEL_WRITE_READ_NO_WRITE, ct_now() + 5000 * MS,
                                        &args, &nb, &nh),
                MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_EQ(nb, 100);
  EXPECT_EQ(nh, 0);
  // Still queued: again too small, then read whole.
  nb = 0;
  EXPECT_STATUS(mica_channel_write_read(a, MICA_CHANNEL_WRITE_READ_NO_WRITE, MICA_TIME_INFINITE,
                                        &args, &nb, NULL),
                MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(nb, 100);
  args.rd_num_bytes = sizeof(in);
  EXPECT_OK(mica_channel_write_read(a, MICA_CHANNEL_WRITE_READ_NO_WRITE, MICA_TIME_INFINITE, &args,
                                    &nb, NULL));
  EXPECT_EQ(nb, 100);
  EXPECT_TRUE(ct_check_fill(in, 100, 3));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

static void close_handle(void* p) {
  mica_handle_close(*(mica_handle_t*)p);
}

// The peer closing ends the wait with PEER_CLOSED; queued messages are
// still read first.
TEST(channel_write_read, peer_closed) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  uint8_t in[16];
  mica_channel_call_args_t args = wr_args(NULL, 0, in, sizeof(in));
  ct_delayed_t d = {.delay = 20 * MS, .action = close_handle, .arg = &b};
  mica_rt_thread_t* t = ct_start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  EXPECT_STATUS(mica_channel_write_read(a, MICA_CHANNEL_WRITE_READ_NO_WRITE, ct_now() + 5000 * MS,
                                        &args, NULL, NULL),
                MICA_ERR_PEER_CLOSED);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  // The write half sees the closed peer and reads nothing.
  uint8_t out[4] = {0};
  args = wr_args(out, sizeof(out), in, sizeof(in));
  EXPECT_STATUS(mica_channel_write_read(a, 0, MICA_TIME_INFINITE, &args, NULL, NULL),
                MICA_ERR_PEER_CLOSED);
  EXPECT_OK(mica_handle_close(a));

  // Queued before the close: read, then PEER_CLOSED.
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_channel_write(b, 0, out, sizeof(out), NULL, 0));
  ASSERT_OK(mica_handle_close(b));
  args = wr_args(NULL, 0, in, sizeof(in));
  uint32_t nb = 0;
  EXPECT_OK(mica_channel_write_read(a, MICA_CHANNEL_WRITE_READ_NO_WRITE, MICA_TIME_INFINITE, &args,
                                    &nb, NULL));
  EXPECT_EQ(nb, sizeof(out));
  EXPECT_STATUS(mica_channel_write_read(a, MICA_CHANNEL_WRITE_READ_NO_WRITE, MICA_TIME_INFINITE,
                                        &args, NULL, NULL),
                MICA_ERR_PEER_CLOSED);
  EXPECT_OK(mica_handle_close(a));
}

typedef struct {
  mica_handle_t endpoint;
  mica_status_t status;
  uint32_t bytes;
  uint8_t in[64];
} reader_t;

static int read_wait(void* p) {
  reader_t* r = p;
  mica_channel_call_args_t args = wr_args(NULL, 0, r->in, sizeof(r->in));
  r->status = mica_channel_write_read(r->endpoint, MICA_CHANNEL_WRITE_READ_NO_WRITE,
                                      ct_now() + 5000 * MS, &args, &r->bytes, NULL);
  return 0;
}

// Closing the handle a thread waits through ends its wait with CANCELED.
TEST(channel_write_read, handle_closed_during_wait) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  reader_t r = {.endpoint = a};
  mica_rt_thread_t* t = NULL;
  ASSERT_OK(mica_rt_thread_create(&t, read_wait, &r, "core-tests-reader", 0));
  EXPECT_TRUE(ct_wait_blocked(mica_rt_thread_handle(t)));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_STATUS(r.status, MICA_ERR_CANCELED);
  EXPECT_OK(mica_handle_close(b));
}

// Several readers: each message goes to one of them, in the order they
// started waiting; none is lost or read twice.
TEST(channel_write_read, several_readers_one_message_each) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  reader_t r[3];
  mica_rt_thread_t* t[3];
  for (int i = 0; i < 3; i++) {
    memset(&r[i], 0, sizeof(r[i]));
    r[i].endpoint = a;
    ASSERT_OK(mica_rt_thread_create(&t[i], read_wait, &r[i], "core-tests-reader", 0));
    EXPECT_TRUE(ct_wait_blocked(mica_rt_thread_handle(t[i])));
  }
  for (uint32_t i = 0; i < 3; i++) {
    uint8_t msg[16];
    ct_fill(msg, sizeof(msg), 100 + i);
    ASSERT_OK(mica_channel_write(b, 0, msg, 8 + i, NULL, 0));
  }
  for (int i = 0; i < 3; i++) {
    EXPECT_OK(mica_rt_thread_join(t[i], NULL));
    EXPECT_OK(r[i].status);
    // FIFO: the first to wait got the first message.
    EXPECT_EQ(r[i].bytes, 8 + (uint32_t)i);
    EXPECT_TRUE(ct_check_fill(r[i].in, r[i].bytes, 100 + (uint32_t)i));
  }
  EXPECT_STATUS(mica_channel_read(a, 0, NULL, NULL, 0, 0, NULL, NULL), MICA_ERR_SHOULD_WAIT);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

typedef struct {
  mica_handle_t endpoint;
  int rounds;
  mica_status_t status;
} echo_server_t;

// Echoes every request with channel_write_read until the peer goes.
static int echo_server(void* p) {
  echo_server_t* s = p;
  uint8_t buf[64];
  mica_channel_call_args_t args = wr_args(buf, 0, buf, sizeof(buf));
  uint32_t options = MICA_CHANNEL_WRITE_READ_NO_WRITE;
  for (;;) {
    uint32_t nb = 0;
    mica_status_t st =
        mica_channel_write_read(s->endpoint, options, ct_now() + 5000 * MS, &args, &nb, NULL);
    if (st != MICA_OK) {
      s->status = st;
      return 0;
    }
    s->rounds++;
    args.wr_num_bytes = nb;
    options = 0;
  }
}

// channel_call against a channel_write_read server: every reply matches
// its call.
TEST(channel_write_read, serves_channel_calls) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  echo_server_t srv = {.endpoint = b};
  mica_rt_thread_t* t = NULL;
  ASSERT_OK(mica_rt_thread_create(&t, echo_server, &srv, "core-tests-echo", 0));
  for (uint32_t i = 0; i < 200; i++) {
    uint8_t req[32], rep[64];
    ct_fill(req, sizeof(req), i);
    mica_channel_call_args_t args;
    memset(&args, 0, sizeof(args));
    args.wr_bytes = req;
    args.wr_num_bytes = 4 + i % 28;
    args.rd_bytes = rep;
    args.rd_num_bytes = sizeof(rep);
    uint32_t nb = 0;
    ASSERT_OK(mica_channel_call(a, 0, ct_now() + 5000 * MS, &args, &nb, NULL));
    ASSERT_EQ(nb, 4 + i % 28);
    // The echo carries the kernel's txid, then our bytes.
    EXPECT_EQ(rep[3] & 0x80, 0x80);
    EXPECT_EQ(memcmp(rep + 4, req + 4, nb - 4), 0);
  }
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_STATUS(srv.status, MICA_ERR_PEER_CLOSED);
  EXPECT_EQ(srv.rounds, 200);
  EXPECT_OK(mica_handle_close(b));
}

// Rights: reading needs READ, writing WRITE too; options and pointers are
// checked.
TEST(channel_write_read, rights_and_bad_arguments) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  uint8_t out[4] = {0}, in[8];
  mica_channel_call_args_t args = wr_args(out, sizeof(out), in, sizeof(in));
  // Channels cannot be duplicated: narrow the rights of fresh ones.
  mica_handle_t ro = MICA_HANDLE_INVALID, ro_peer = MICA_HANDLE_INVALID;
  ct_channel(&ro, &ro_peer);
  ASSERT_OK(mica_handle_replace(ro, MICA_RIGHT_READ | MICA_RIGHT_WAIT, &ro));
  EXPECT_STATUS(mica_channel_write_read(ro, 0, 0, &args, NULL, NULL), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_channel_write_read(ro, MICA_CHANNEL_WRITE_READ_NO_WRITE, 0, &args, NULL, NULL),
                MICA_ERR_TIMED_OUT);
  mica_handle_t wo = MICA_HANDLE_INVALID, wo_peer = MICA_HANDLE_INVALID;
  ct_channel(&wo, &wo_peer);
  ASSERT_OK(mica_handle_replace(wo, MICA_RIGHT_WRITE, &wo));
  EXPECT_STATUS(mica_channel_write_read(wo, MICA_CHANNEL_WRITE_READ_NO_WRITE, 0, &args, NULL, NULL),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_channel_write_read(wo, 0, 0, &args, NULL, NULL), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_channel_write_read(a, 2, 0, &args, NULL, NULL), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_channel_write_read(a, 0, 0, NULL, NULL, NULL), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_channel_write_read(MICA_HANDLE_INVALID, 0, 0, &args, NULL, NULL),
                MICA_ERR_BAD_HANDLE);
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_channel_write_read(ev, 0, 0, &args, NULL, NULL), MICA_ERR_WRONG_TYPE);
  EXPECT_OK(mica_handle_close(ev));
  // A failed write (too big) reads nothing: the queued message stays.
  ASSERT_OK(mica_channel_write(b, 0, out, sizeof(out), NULL, 0));
  args.wr_num_bytes = MICA_CHANNEL_MAX_MSG_BYTES + 1;
  EXPECT_STATUS(mica_channel_write_read(a, 0, 0, &args, NULL, NULL), MICA_ERR_OUT_OF_RANGE);
  // An unwritable read buffer: the message stays queued.
  args = wr_args(NULL, 0, (void*)ct_unmapped_addr(), sizeof(in));
  EXPECT_STATUS(mica_channel_write_read(a, MICA_CHANNEL_WRITE_READ_NO_WRITE, 0, &args, NULL, NULL),
                MICA_ERR_INVALID_ARGS);
  uint32_t nb = 0;
  EXPECT_OK(mica_channel_read(a, 0, in, NULL, sizeof(in), 0, &nb, NULL));
  EXPECT_EQ(nb, sizeof(out));
  EXPECT_OK(mica_handle_close(ro));
  EXPECT_OK(mica_handle_close(ro_peer));
  EXPECT_OK(mica_handle_close(wo));
  EXPECT_OK(mica_handle_close(wo_peer));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

typedef struct {
  mica_handle_t endpoint;
  bool stop;  // read and written with __atomic builtins (another thread reads it)
  uint32_t served;
  uint32_t bad;  // requests that were not what a client sends
} racing_server_t;

// Echoes requests with channel_write_read and a deadline so short that many
// waits end by timeout just as a request is handed over.
static int racing_server(void* p) {
  racing_server_t* s = p;
  uint8_t buf[64];
  mica_channel_call_args_t args = wr_args(buf, 0, buf, sizeof(buf));
  uint32_t options = MICA_CHANNEL_WRITE_READ_NO_WRITE;
  while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
    uint32_t nb = 0;
    mica_status_t st =
        mica_channel_write_read(s->endpoint, options, ct_now() + MS / 4, &args, &nb, NULL);
    if (st == MICA_ERR_TIMED_OUT) {
      options = MICA_CHANNEL_WRITE_READ_NO_WRITE;  // the reply (if any) went out
      continue;
    }
    if (st != MICA_OK) {
      return 0;  // the clients' endpoint is gone
    }
    if (nb != 16) {
      __atomic_fetch_add(&s->bad, 1, __ATOMIC_RELAXED);
    }
    __atomic_fetch_add(&s->served, 1, __ATOMIC_RELAXED);
    args.wr_num_bytes = nb;
    options = 0;
  }
  return 0;
}

typedef struct {
  mica_handle_t endpoint;
  uint32_t id;
  uint32_t ok, timed_out, wrong;
  bool timed_out_call[300];  // which calls timed out
} racing_client_t;

// Calls with deadlines from 0 to 1 ms: replies race with the deadline, and
// the server's waits race with the requests.
static int racing_client(void* p) {
  racing_client_t* c = p;
  for (uint32_t i = 0; i < 300; i++) {
    uint32_t req[4] = {0, c->id, i, c->id ^ (i * 2654435761u)}, rep[16];
    mica_channel_call_args_t args = wr_args(req, sizeof(req), rep, sizeof(rep));
    uint32_t nb = 0;
    mica_status_t st = mica_channel_call(c->endpoint, 0, ct_now() + (mica_time_t)(i % 5) * MS / 4,
                                         &args, &nb, NULL);
    if (st == MICA_OK) {
      // Our own request came back, never another call's.
      if (nb != sizeof(req) || rep[1] != c->id || rep[2] != i || rep[3] != req[3]) {
        c->wrong++;
      }
      c->ok++;
    } else if (st == MICA_ERR_TIMED_OUT) {
      c->timed_out++;
      c->timed_out_call[i] = true;
    } else {
      c->wrong++;
    }
  }
  return 0;
}

// Calls and server waits that end by deadline while the hand-off between
// them happens (on one CPU the hand-off switches directly): every call ends
// with its own reply or a timeout, no server sees a request that is not
// one, and late replies are dropped (or, past the remembered ones, queued
// as what they are).
TEST(channel_write_read, calls_racing_deadlines_get_their_own_replies) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  racing_server_t srv = {.endpoint = b};
  racing_client_t cl[3];
  mica_rt_thread_t *st[2], *ctt[3];
  // The threads use this frame: every one started is joined before it ends.
  int servers = 0, clients = 0;
  mica_status_t s = MICA_OK;
  for (; servers < 2 && s == MICA_OK; servers += s == MICA_OK) {
    s = mica_rt_thread_create(&st[servers], racing_server, &srv, "core-tests-race-srv", 0);
    EXPECT_OK(s);
  }
  for (; clients < 3 && s == MICA_OK; clients += s == MICA_OK) {
    memset(&cl[clients], 0, sizeof(cl[clients]));
    cl[clients].endpoint = a;
    cl[clients].id = 0x100 + (uint32_t)clients;
    s = mica_rt_thread_create(&ctt[clients], racing_client, &cl[clients], "core-tests-race-cl", 0);
    EXPECT_OK(s);
  }
  uint32_t ok = 0;
  for (int i = 0; i < clients; i++) {
    EXPECT_OK(mica_rt_thread_join(ctt[i], NULL));
    EXPECT_EQ(cl[i].wrong, 0u);
    EXPECT_EQ(cl[i].ok + cl[i].timed_out, 300u);
    ok += cl[i].ok;
  }
  __atomic_store_n(&srv.stop, true, __ATOMIC_RELEASE);
  for (int i = 0; i < servers; i++) {
    EXPECT_OK(mica_rt_thread_join(st[i], NULL));
  }
  ASSERT_EQ(clients, 3);
  EXPECT_EQ(srv.bad, 0u);
  // Every answered call was served; a served call may have timed out.
  EXPECT_GE(srv.served, ok);
  EXPECT_GT(ok, 0u);
  // Late replies are dropped, not queued as ordinary messages, as long as
  // the endpoint remembers the call (the last kAbandonedTxids = 64
  // abandoned calls; when a loaded host stalls a server's vCPU, the
  // callers can abandon more than that before it answers). Whatever is
  // queued at a is such a reply: a kernel txid and a caller's request,
  // never anything else, and never more than the calls that timed out.
  uint32_t timed_out = cl[0].timed_out + cl[1].timed_out + cl[2].timed_out;
  uint32_t stray = 0;
  for (;;) {
    uint32_t msg[16], nb = 0;
    mica_status_t rs = mica_channel_read(a, 0, msg, NULL, sizeof(msg), 0, &nb, NULL);
    if (rs == MICA_ERR_SHOULD_WAIT) {
      break;
    }
    ASSERT_OK(rs);
    EXPECT_EQ(nb, 16u);
    EXPECT_EQ(msg[0] & 0x80000000u, 0x80000000u);
    EXPECT_TRUE(msg[1] >= 0x100 && msg[1] <= 0x102);
    EXPECT_EQ(msg[3], msg[1] ^ (msg[2] * 2654435761u));
    // ... the reply to a call that timed out, not to one that got its own.
    if (msg[1] >= 0x100 && msg[1] <= 0x102 && msg[2] < 300) {
      EXPECT_TRUE(cl[msg[1] - 0x100].timed_out_call[msg[2]]);
    }
    stray++;
  }
  EXPECT_LE(stray, timed_out);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}
