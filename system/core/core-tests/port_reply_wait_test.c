// port_reply_wait and MICA_WAIT_ASYNC_READ (docs/syscalls.md, "Ports"): a
// server's reply and its next packet in one call, the packet of a READ
// registration bringing the channel's next message. Replies to
// channel_call callers, packets already queued, messages that do not fit,
// handles, the signals after the read, write errors (nothing dequeued,
// handles consumed), registration checks, bad buffers (no message lost),
// cancellation and leaks.
#include <mica/rt/thread.h>
#include <string.h>

#include "system/core/core-tests/task_util.h"
#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define MS ((mica_time_t)1000000)
#define READ_WAIT (MICA_WAIT_ASYNC_REPEATING | MICA_WAIT_ASYNC_READ)
#define KEY 0x5eed

static mica_handle_t rw_port(void) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  mica_status_t s = mica_port_create(0, &port);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_port_create", s);
    return MICA_HANDLE_INVALID;
  }
  return port;
}

static mica_channel_call_args_t rw_args(const void* wr, uint32_t wr_size, void* rd,
                                        uint32_t rd_size) {
  mica_channel_call_args_t args;
  memset(&args, 0, sizeof(args));
  args.wr_bytes = wr;
  args.wr_num_bytes = wr_size;
  args.rd_bytes = rd;
  args.rd_num_bytes = rd_size;
  return args;
}

// A server endpoint `a` watched with a READ registration on `port`.
typedef struct {
  mica_handle_t port;
  mica_handle_t a;  // the server's end
  mica_handle_t b;  // the client's end
} rw_setup_t;

static bool rw_setup(rw_setup_t* s, uint32_t options) {
  s->port = rw_port();
  ct_channel(&s->a, &s->b);
  if (s->port == MICA_HANDLE_INVALID || s->a == MICA_HANDLE_INVALID) {
    return false;
  }
  mica_status_t st = mica_object_wait_async(
      s->a, s->port, KEY, MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED, options);
  if (st != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_object_wait_async", st);
    return false;
  }
  return true;
}

static void rw_teardown(rw_setup_t* s) {
  mica_handle_close(s->a);
  mica_handle_close(s->b);
  mica_handle_close(s->port);
}

// A client making `rounds` channel_calls of 16 bytes (seed = round), each
// reply checked to be 24 bytes of seed round + 100.
typedef struct {
  mica_handle_t endpoint;
  int rounds;
  int good;
  mica_status_t status;
} rw_client_t;

static int rw_client(void* p) {
  rw_client_t* c = p;
  for (int i = 0; i < c->rounds; i++) {
    uint8_t req[16], rep[64];
    ct_fill_msg(req, sizeof(req), (uint32_t)i);
    mica_channel_call_args_t args = rw_args(req, sizeof(req), rep, sizeof(rep));
    uint32_t nb = 0, nh = 0;
    c->status = mica_channel_call(c->endpoint, 0, ct_now() + 5000 * MS, &args, &nb, &nh);
    if (c->status != MICA_OK) {
      return 1;
    }
    if (nb == 24 && nh == 0 && ct_check_fill(rep + 4, 20, (uint32_t)i + 100)) {
      c->good++;
    }
  }
  mica_handle_close(c->endpoint);  // the server's last wait sees PEER_CLOSED
  return 0;
}

// The server loop of a call: each request comes with its packet
// (MICA_PKT_TYPE_MESSAGE), each reply goes with the next wait, and the
// client gets every reply right.
TEST(port_reply_wait, serves_calls_with_one_call_per_round) {
  rw_setup_t s;
  ASSERT_TRUE(rw_setup(&s, READ_WAIT));
  rw_client_t c = {.endpoint = s.b, .rounds = 20};
  mica_rt_thread_t* t = NULL;
  ASSERT_OK(mica_rt_thread_create(&t, rw_client, &c, "prw-client", 0));
  uint8_t in[64], out[24];
  bool have_reply = false;
  int served = 0;
  for (;;) {
    mica_channel_call_args_t args = rw_args(out, sizeof(out), in, sizeof(in));
    mica_port_packet_t pkt;
    memset(&pkt, 0, sizeof(pkt));
    uint32_t nb = 0, nh = 99;
    mica_status_t st =
        mica_port_reply_wait(s.port, ct_now() + 2000 * MS, have_reply ? s.a : MICA_HANDLE_INVALID,
                             &args, &pkt, &nb, &nh);
    have_reply = false;
    ASSERT_OK(st);
    EXPECT_EQ(pkt.key, KEY);
    if (pkt.type == MICA_PKT_TYPE_SIGNAL) {
      // The client ended: only PEER_CLOSED is left.
      EXPECT_NE(pkt.signal.observed & MICA_CHANNEL_PEER_CLOSED, 0);
      break;
    }
    ASSERT_EQ(pkt.type, MICA_PKT_TYPE_MESSAGE);
    EXPECT_EQ(nb, 16);
    EXPECT_EQ(nh, 0);
    EXPECT_EQ(pkt.signal.observed & MICA_CHANNEL_READABLE, 0);  // nothing else queued
    uint32_t round = (uint32_t)served;
    uint8_t want[16];
    ct_fill_msg(want, sizeof(want), round);
    EXPECT_EQ(memcmp(in + 4, want + 4, 12), 0);
    memcpy(out, in, 4);  // the txid
    ct_fill(out + 4, 20, round + 100);
    have_reply = true;
    served++;
  }
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_OK(c.status);
  EXPECT_EQ(served, 20);
  EXPECT_EQ(c.good, 20);
  s.b = MICA_HANDLE_INVALID;  // closed by the client
  rw_teardown(&s);
}

// A packet already queued: the reply is written and the call returns at
// once with the packet and its message.
TEST(port_reply_wait, packet_already_queued) {
  rw_setup_t s;
  ASSERT_TRUE(rw_setup(&s, READ_WAIT));
  uint8_t msg[40];
  ct_fill(msg, sizeof(msg), 3);
  ASSERT_OK(mica_channel_write(s.b, 0, msg, sizeof(msg), NULL, 0));
  uint8_t out[12], in[64];
  ct_fill(out, sizeof(out), 4);
  mica_channel_call_args_t args = rw_args(out, sizeof(out), in, sizeof(in));
  mica_port_packet_t pkt;
  uint32_t nb = 0, nh = 0;
  ASSERT_OK(mica_port_reply_wait(s.port, MICA_TIME_INFINITE, s.a, &args, &pkt, &nb, &nh));
  EXPECT_EQ(pkt.type, MICA_PKT_TYPE_MESSAGE);
  EXPECT_EQ(pkt.key, KEY);
  EXPECT_EQ(pkt.signal.count, 1);
  EXPECT_EQ(nb, sizeof(msg));
  EXPECT_TRUE(ct_check_fill(in, sizeof(msg), 3));
  uint8_t peer[32];
  uint32_t pnb = 0;
  EXPECT_OK(mica_channel_read(s.b, 0, peer, NULL, sizeof(peer), 0, &pnb, NULL));
  EXPECT_EQ(pnb, sizeof(out));
  EXPECT_TRUE(ct_check_fill(peer, sizeof(out), 4));
  rw_teardown(&s);
}

// Without MICA_WAIT_ASYNC_READ, or waited with port_wait, the packet comes
// alone and the message stays queued.
TEST(port_reply_wait, plain_registrations_and_port_wait_read_nothing) {
  for (int mode = 0; mode < 2; mode++) {
    rw_setup_t s;
    ASSERT_TRUE(rw_setup(&s, mode == 0 ? MICA_WAIT_ASYNC_REPEATING : READ_WAIT));
    uint8_t msg[8];
    ct_fill(msg, sizeof(msg), 9);
    ASSERT_OK(mica_channel_write(s.b, 0, msg, sizeof(msg), NULL, 0));
    mica_port_packet_t pkt;
    uint8_t in[64];
    uint32_t nb = 77;
    if (mode == 0) {
      mica_channel_call_args_t args = rw_args(NULL, 0, in, sizeof(in));
      ASSERT_OK(mica_port_reply_wait(s.port, 0, MICA_HANDLE_INVALID, &args, &pkt, &nb, NULL));
      EXPECT_EQ(nb, 77);  // untouched
    } else {
      ASSERT_OK(mica_port_wait(s.port, 0, &pkt));
    }
    EXPECT_EQ(pkt.type, MICA_PKT_TYPE_SIGNAL);
    EXPECT_NE(pkt.signal.observed & MICA_CHANNEL_READABLE, 0);
    EXPECT_OK(mica_channel_read(s.a, 0, in, NULL, sizeof(in), 0, &nb, NULL));
    EXPECT_EQ(nb, sizeof(msg));
    EXPECT_TRUE(ct_check_fill(in, sizeof(msg), 9));
    rw_teardown(&s);
  }
}

// A message bigger than the byte buffer, or with more handles than the
// handle buffer: a plain signal packet, the message stays queued intact.
TEST(port_reply_wait, message_that_does_not_fit_stays_queued) {
  for (int which = 0; which < 2; which++) {
    rw_setup_t s;
    ASSERT_TRUE(rw_setup(&s, READ_WAIT));
    uint8_t msg[48];
    ct_fill(msg, sizeof(msg), 12);
    mica_handle_t ev = ct_event();
    ASSERT_OK(mica_channel_write(s.b, 0, msg, sizeof(msg), &ev, 1));
    uint8_t in[64];
    mica_handle_t got[2] = {MICA_HANDLE_INVALID, MICA_HANDLE_INVALID};
    mica_channel_call_args_t args = rw_args(NULL, 0, in, which == 0 ? 47 : sizeof(in));
    args.rd_handles = got;
    args.rd_num_handles = which == 0 ? 2 : 0;
    mica_port_packet_t pkt;
    ASSERT_OK(mica_port_reply_wait(s.port, 0, MICA_HANDLE_INVALID, &args, &pkt, NULL, NULL));
    EXPECT_EQ(pkt.type, MICA_PKT_TYPE_SIGNAL);
    EXPECT_EQ(got[0], MICA_HANDLE_INVALID);
    uint32_t nb = 0, nh = 0;
    EXPECT_OK(mica_channel_read(s.a, 0, in, got, sizeof(in), 2, &nb, &nh));
    EXPECT_EQ(nb, sizeof(msg));
    EXPECT_EQ(nh, 1);
    EXPECT_TRUE(ct_check_fill(in, sizeof(msg), 12));
    EXPECT_OK(mica_object_signal(got[0], 0, MICA_EVENT_SIGNALED));
    EXPECT_OK(mica_handle_close(got[0]));
    rw_teardown(&s);
  }
}

// Handles travel with the message into the caller's table.
TEST(port_reply_wait, reads_handles) {
  rw_setup_t s;
  ASSERT_TRUE(rw_setup(&s, READ_WAIT));
  mica_handle_t evs[3] = {ct_event(), ct_event(), ct_event()};
  uint8_t msg[16];
  ct_fill(msg, sizeof(msg), 5);
  ASSERT_OK(mica_channel_write(s.b, 0, msg, sizeof(msg), evs, 3));
  uint8_t in[16];
  mica_handle_t got[4];
  mica_channel_call_args_t args = rw_args(NULL, 0, in, sizeof(in));
  args.rd_handles = got;
  args.rd_num_handles = 4;
  mica_port_packet_t pkt;
  uint32_t nb = 0, nh = 0;
  ASSERT_OK(mica_port_reply_wait(s.port, 0, MICA_HANDLE_INVALID, &args, &pkt, &nb, &nh));
  EXPECT_EQ(pkt.type, MICA_PKT_TYPE_MESSAGE);
  EXPECT_EQ(nb, sizeof(msg));
  ASSERT_EQ(nh, 3);
  for (int i = 0; i < 3; i++) {
    EXPECT_OK(mica_object_signal(got[i], 0, MICA_EVENT_SIGNALED));
    EXPECT_OK(mica_handle_close(got[i]));
  }
  rw_teardown(&s);
}

// With more messages queued, `observed` says READABLE and no new packet
// comes until the queue has been emptied; the next message then makes one.
TEST(port_reply_wait, signals_after_the_read_and_the_next_edge) {
  rw_setup_t s;
  ASSERT_TRUE(rw_setup(&s, READ_WAIT));
  for (uint32_t i = 0; i < 3; i++) {
    uint8_t msg[8];
    ct_fill(msg, sizeof(msg), i);
    ASSERT_OK(mica_channel_write(s.b, 0, msg, sizeof(msg), NULL, 0));
  }
  uint8_t in[8];
  mica_channel_call_args_t args = rw_args(NULL, 0, in, sizeof(in));
  mica_port_packet_t pkt;
  uint32_t nb = 0;
  ASSERT_OK(mica_port_reply_wait(s.port, 0, MICA_HANDLE_INVALID, &args, &pkt, &nb, NULL));
  EXPECT_EQ(pkt.type, MICA_PKT_TYPE_MESSAGE);
  EXPECT_TRUE(ct_check_fill(in, sizeof(in), 0));
  EXPECT_NE(pkt.signal.observed & MICA_CHANNEL_READABLE, 0);
  EXPECT_STATUS(mica_port_reply_wait(s.port, 0, MICA_HANDLE_INVALID, &args, &pkt, &nb, NULL),
                MICA_ERR_TIMED_OUT);
  for (uint32_t i = 1; i < 3; i++) {
    EXPECT_OK(mica_channel_read(s.a, 0, in, NULL, sizeof(in), 0, &nb, NULL));
    EXPECT_TRUE(ct_check_fill(in, sizeof(in), i));
  }
  uint8_t last[8];
  ct_fill(last, sizeof(last), 7);
  ASSERT_OK(mica_channel_write(s.b, 0, last, sizeof(last), NULL, 0));
  ASSERT_OK(mica_port_reply_wait(s.port, 0, MICA_HANDLE_INVALID, &args, &pkt, &nb, NULL));
  EXPECT_EQ(pkt.type, MICA_PKT_TYPE_MESSAGE);
  EXPECT_TRUE(ct_check_fill(in, sizeof(in), 7));
  EXPECT_EQ(pkt.signal.observed & MICA_CHANNEL_READABLE, 0);
  rw_teardown(&s);
}

// A write that fails returns its error before any wait: the queued packet
// stays, the message's handles are consumed.
TEST(port_reply_wait, write_errors_dequeue_nothing) {
  rw_setup_t s;
  ASSERT_TRUE(rw_setup(&s, READ_WAIT));
  mica_handle_t c, d;
  ct_channel(&c, &d);
  ASSERT_OK(mica_handle_close(d));  // c's peer is gone
  uint8_t msg[8] = {0};
  ASSERT_OK(mica_channel_write(s.b, 0, msg, sizeof(msg), NULL, 0));
  uint8_t out[8] = {0}, in[8];
  mica_handle_t ev = ct_event();
  mica_channel_call_args_t args = rw_args(out, sizeof(out), in, sizeof(in));
  args.wr_handles = &ev;
  args.wr_num_handles = 1;
  mica_port_packet_t pkt;
  EXPECT_STATUS(mica_port_reply_wait(s.port, 0, c, &args, &pkt, NULL, NULL), MICA_ERR_PEER_CLOSED);
  EXPECT_FALSE(ct_valid(ev));  // consumed
  // No write right: denied; a port given as the channel: wrong type; a
  // bad handle; the reply's own channel among its handles.
  // (Channels cannot be duplicated: a second pair, its end replaced.)
  mica_handle_t ro = MICA_HANDLE_INVALID, ro_peer = MICA_HANDLE_INVALID;
  ct_channel(&ro, &ro_peer);
  ASSERT_OK(mica_handle_replace(ro, MICA_RIGHT_READ | MICA_RIGHT_WAIT, &ro));
  args.wr_handles = NULL;
  args.wr_num_handles = 0;
  EXPECT_STATUS(mica_port_reply_wait(s.port, 0, ro, &args, &pkt, NULL, NULL),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_port_reply_wait(s.port, 0, s.port, &args, &pkt, NULL, NULL),
                MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_port_reply_wait(s.port, 0, (mica_handle_t)0x7ffffff0, &args, &pkt, NULL, NULL),
                MICA_ERR_BAD_HANDLE);
  // Over the limits (nothing consumed).
  args.wr_num_bytes = MICA_CHANNEL_MAX_MSG_BYTES + 1;
  EXPECT_STATUS(mica_port_reply_wait(s.port, 0, s.a, &args, &pkt, NULL, NULL),
                MICA_ERR_OUT_OF_RANGE);
  // The packet and its message are still there for a good call.
  args = rw_args(NULL, 0, in, sizeof(in));
  uint32_t nb = 0;
  ASSERT_OK(mica_port_reply_wait(s.port, 0, MICA_HANDLE_INVALID, &args, &pkt, &nb, NULL));
  EXPECT_EQ(pkt.type, MICA_PKT_TYPE_MESSAGE);
  EXPECT_EQ(nb, sizeof(msg));
  // The reply's own channel among its handles: not supported, and every
  // handle named is consumed (the endpoint too, as for channel_write).
  mica_handle_t self = s.a;
  args = rw_args(out, sizeof(out), in, sizeof(in));
  args.wr_handles = &self;
  args.wr_num_handles = 1;
  EXPECT_STATUS(mica_port_reply_wait(s.port, 0, s.a, &args, &pkt, NULL, NULL),
                MICA_ERR_NOT_SUPPORTED);
  EXPECT_FALSE(ct_valid(s.a));
  mica_handle_close(ro);
  mica_handle_close(ro_peer);
  mica_handle_close(c);
  mica_handle_close(s.b);
  mica_handle_close(s.port);
}

// Bad user buffers: the args, the packet (no message is taken), the read
// buffers (the message stays queued).
TEST(port_reply_wait, bad_buffers_lose_nothing) {
  rw_setup_t s;
  ASSERT_TRUE(rw_setup(&s, READ_WAIT));
  uint8_t msg[20];
  ct_fill(msg, sizeof(msg), 21);
  ASSERT_OK(mica_channel_write(s.b, 0, msg, sizeof(msg), NULL, 0));
  uint8_t in[32];
  mica_channel_call_args_t args = rw_args(NULL, 0, in, sizeof(in));
  mica_port_packet_t pkt;
  EXPECT_STATUS(
      mica_port_reply_wait(s.port, 0, MICA_HANDLE_INVALID,
                           (const mica_channel_call_args_t*)ct_unmapped_addr(), &pkt, NULL, NULL),
      MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_port_reply_wait(s.port, 0, MICA_HANDLE_INVALID, &args,
                                     (mica_port_packet_t*)ct_unmapped_addr(), NULL, NULL),
                MICA_ERR_INVALID_ARGS);
  // (The packet was taken by that call: the message is still queued, so
  // write another to make the next edge after draining.)
  uint32_t nb = 0;
  EXPECT_OK(mica_channel_read(s.a, 0, in, NULL, sizeof(in), 0, &nb, NULL));
  EXPECT_TRUE(ct_check_fill(in, sizeof(msg), 21));
  ASSERT_OK(mica_channel_write(s.b, 0, msg, sizeof(msg), NULL, 0));
  args.rd_bytes = (void*)ct_unmapped_addr();
  ASSERT_OK(mica_port_reply_wait(s.port, 0, MICA_HANDLE_INVALID, &args, &pkt, &nb, NULL));
  EXPECT_EQ(pkt.type, MICA_PKT_TYPE_SIGNAL);
  memset(in, 0, sizeof(in));
  EXPECT_OK(mica_channel_read(s.a, 0, in, NULL, sizeof(in), 0, &nb, NULL));
  EXPECT_EQ(nb, sizeof(msg));
  EXPECT_TRUE(ct_check_fill(in, sizeof(msg), 21));
  rw_teardown(&s);
}

// MICA_WAIT_ASYNC_READ's conditions.
TEST(port_reply_wait, read_registration_checks) {
  mica_handle_t port = rw_port();
  mica_handle_t a, b;
  ct_channel(&a, &b);
  mica_handle_t ev = ct_event();
  const mica_signals_t r = MICA_CHANNEL_READABLE;
  EXPECT_STATUS(mica_object_wait_async(a, port, 1, r, MICA_WAIT_ASYNC_READ),
                MICA_ERR_INVALID_ARGS);  // not repeating
  EXPECT_STATUS(mica_object_wait_async(a, port, 1, MICA_CHANNEL_PEER_CLOSED, READ_WAIT),
                MICA_ERR_INVALID_ARGS);  // no READABLE
  EXPECT_STATUS(mica_object_wait_async(a, port, 1, r, READ_WAIT | 4), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_object_wait_async(ev, port, 1, r, READ_WAIT), MICA_ERR_WRONG_TYPE);
  EXPECT_OK(mica_object_wait_async(a, port, 1, r, READ_WAIT));
  mica_handle_t wait_only = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_replace(b, MICA_RIGHT_WAIT, &wait_only));
  b = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_object_wait_async(wait_only, port, 1, r, READ_WAIT), MICA_ERR_ACCESS_DENIED);
  mica_handle_close(wait_only);
  mica_handle_close(ev);
  mica_handle_close(a);
  mica_handle_close(b);
  mica_handle_close(port);
}

// The registration's handle closed after its packet was queued: the
// registration and its packet go (as for any repeating wait), so a wait
// times out; a packet of a registration made through a handle the caller
// replaced reads nothing.
TEST(port_reply_wait, closed_source_handle) {
  rw_setup_t s;
  ASSERT_TRUE(rw_setup(&s, READ_WAIT));
  uint8_t msg[8] = {1};
  ASSERT_OK(mica_channel_write(s.b, 0, msg, sizeof(msg), NULL, 0));
  ASSERT_OK(mica_handle_close(s.a));
  uint8_t in[8];
  mica_channel_call_args_t args = rw_args(NULL, 0, in, sizeof(in));
  mica_port_packet_t pkt;
  EXPECT_STATUS(mica_port_reply_wait(s.port, 0, MICA_HANDLE_INVALID, &args, &pkt, NULL, NULL),
                MICA_ERR_TIMED_OUT);
  mica_handle_close(s.b);
  mica_handle_close(s.port);
}

static void close_handle(void* p) {
  mica_handle_close(*(mica_handle_t*)p);
}

// Closing the port ends a blocked call (after its reply was written) with
// MICA_ERR_CANCELED; the deadline ends it with MICA_ERR_TIMED_OUT.
TEST(port_reply_wait, canceled_and_timed_out) {
  rw_setup_t s;
  ASSERT_TRUE(rw_setup(&s, READ_WAIT));
  uint8_t out[8], in[8];
  ct_fill(out, sizeof(out), 31);
  mica_channel_call_args_t args = rw_args(out, sizeof(out), in, sizeof(in));
  mica_port_packet_t pkt;
  mica_time_t deadline = ct_now() + 20 * MS;
  EXPECT_STATUS(mica_port_reply_wait(s.port, deadline, s.a, &args, &pkt, NULL, NULL),
                MICA_ERR_TIMED_OUT);
  EXPECT_GE(ct_now(), deadline);
  mica_handle_t port2 = ct_dup(s.port, MICA_DEFAULT_PORT_RIGHTS);
  ct_delayed_t d = {.delay = 20 * MS, .action = close_handle, .arg = &port2};
  mica_rt_thread_t* t = ct_start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  EXPECT_STATUS(mica_port_reply_wait(port2, ct_now() + 5000 * MS, s.a, &args, &pkt, NULL, NULL),
                MICA_ERR_CANCELED);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  // Both replies reached the peer.
  for (int i = 0; i < 2; i++) {
    uint32_t nb = 0;
    EXPECT_OK(mica_channel_read(s.b, 0, in, NULL, sizeof(in), 0, &nb, NULL));
    EXPECT_TRUE(ct_check_fill(in, sizeof(in), 31));
  }
  rw_teardown(&s);
}

static void serve_rounds(void) {
  rw_setup_t s;
  if (!rw_setup(&s, READ_WAIT)) {
    return;
  }
  mica_handle_t ev = ct_event();
  uint8_t msg[16] = {0};
  mica_channel_write(s.b, 0, msg, sizeof(msg), &ev, 1);
  uint8_t in[16];
  mica_handle_t got = MICA_HANDLE_INVALID;
  mica_channel_call_args_t args = rw_args(msg, sizeof(msg), in, sizeof(in));
  args.rd_handles = &got;
  args.rd_num_handles = 1;
  mica_port_packet_t pkt;
  mica_port_reply_wait(s.port, 0, MICA_HANDLE_INVALID, &args, &pkt, NULL, NULL);
  mica_handle_close(got);
  mica_port_reply_wait(s.port, 0, s.a, &args, &pkt, NULL, NULL);
  rw_teardown(&s);
}

// Nothing leaks: registrations, packets, messages, handles.
TEST(port_reply_wait, no_leak) {
  ct_expect_no_leak(serve_rounds, 50);
}
