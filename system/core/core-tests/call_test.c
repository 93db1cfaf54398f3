// channel_call (docs/syscalls.md, "Channels"): transaction ids, replies
// matched to their call, other messages left queued, deadlines, peer
// closed, replies that do not fit, and bad arguments. A server thread
// answers through the other endpoint.
#include <mica/rt/thread.h>
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define MS ((mica_time_t)1000000)

typedef struct {
  mica_handle_t endpoint;  // the server's end
  // What the server does with the one request it reads.
  bool send_unrelated_first;   // an ordinary message before the reply
  bool close_instead;          // close the endpoint instead of replying
  uint32_t reply_size;         // reply bytes (>= 4: txid + pattern)
  mica_handle_t reply_handle;  // sent with the reply if not invalid
  // What it saw.
  mica_txid_t txid;
  uint8_t request[64];
  uint32_t request_size;
  mica_handle_t request_handle;
  mica_status_t status;
} server_t;

static int serve_one(void* p) {
  server_t* s = p;
  s->status = mica_object_wait_one(s->endpoint, MICA_CHANNEL_READABLE, ct_now() + 2000 * MS, NULL);
  if (s->status != MICA_OK) {
    return 0;
  }
  uint32_t nh = 0;
  s->status = mica_channel_read(s->endpoint, 0, s->request, &s->request_handle, sizeof(s->request),
                                1, &s->request_size, &nh);
  if (s->status != MICA_OK) {
    return 0;
  }
  memcpy(&s->txid, s->request, sizeof(s->txid));
  if (s->close_instead) {
    s->status = mica_handle_close(s->endpoint);
    return 0;
  }
  if (s->send_unrelated_first) {
    uint32_t other = 5;  // a user-chosen txid: kernel bit clear
    s->status = mica_channel_write(s->endpoint, 0, &other, sizeof(other), NULL, 0);
  }
  memcpy(ct_big_buffer2, &s->txid, sizeof(s->txid));
  ct_fill(ct_big_buffer2 + 4, s->reply_size - 4, s->txid);
  uint32_t nhandles = s->reply_handle != MICA_HANDLE_INVALID ? 1 : 0;
  mica_status_t w =
      mica_channel_write(s->endpoint, 0, ct_big_buffer2, s->reply_size, &s->reply_handle, nhandles);
  if (s->status == MICA_OK) {
    s->status = w;
  }
  return 0;
}

static mica_rt_thread_t* start_server(server_t* s) {
  mica_rt_thread_t* t = NULL;
  mica_status_t s_ = mica_rt_thread_create(&t, serve_one, s, "core-tests-server", 0);
  if (s_ != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_rt_thread_create", s_);
    return NULL;
  }
  return t;
}

static mica_channel_call_args_t call_args(const void* wr, uint32_t wr_size, void* rd,
                                          uint32_t rd_size) {
  mica_channel_call_args_t args;
  memset(&args, 0, sizeof(args));
  args.wr_bytes = wr;
  args.wr_num_bytes = wr_size;
  args.rd_bytes = rd;
  args.rd_num_bytes = rd_size;
  return args;
}

TEST(channel_call, round_trip) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  server_t srv = {.endpoint = b, .reply_size = 40};
  mica_rt_thread_t* t = start_server(&srv);
  ASSERT_TRUE(t != NULL);
  uint8_t request[12] = {0, 0, 0, 0, 'q', 'u', 'e', 'r', 'y', '!', '!', '!'};
  uint8_t reply[64];
  mica_channel_call_args_t args = call_args(request, sizeof(request), reply, sizeof(reply));
  uint32_t nb = 0, nh = 99;
  EXPECT_OK(mica_channel_call(a, 0, ct_now() + 2000 * MS, &args, &nb, &nh));
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_OK(srv.status);
  // The kernel chose the transaction id: its bit is set.
  EXPECT_EQ(srv.txid & MICA_TXID_KERNEL_BIT, MICA_TXID_KERNEL_BIT);
  EXPECT_EQ(srv.request_size, sizeof(request));
  EXPECT_EQ(memcmp(srv.request + 4, request + 4, sizeof(request) - 4), 0);
  EXPECT_EQ(nb, 40);
  EXPECT_EQ(nh, 0);
  mica_txid_t reply_txid;
  memcpy(&reply_txid, reply, sizeof(reply_txid));
  EXPECT_EQ(reply_txid, srv.txid);
  EXPECT_TRUE(ct_check_fill(reply + 4, 36, srv.txid));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// Handles travel both ways.
TEST(channel_call, handles_both_ways) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t sent = ct_event(), answer = ct_event();
  mica_koid_t sent_koid = ct_basic(sent).koid, answer_koid = ct_basic(answer).koid;
  server_t srv = {.endpoint = b, .reply_size = 8, .reply_handle = answer};
  mica_rt_thread_t* t = start_server(&srv);
  ASSERT_TRUE(t != NULL);
  uint32_t request = 0;
  uint8_t reply[8];
  mica_handle_t got = MICA_HANDLE_INVALID;
  mica_channel_call_args_t args = call_args(&request, sizeof(request), reply, sizeof(reply));
  args.wr_handles = &sent;
  args.wr_num_handles = 1;
  args.rd_handles = &got;
  args.rd_num_handles = 1;
  uint32_t nh = 0;
  EXPECT_OK(mica_channel_call(a, 0, ct_now() + 2000 * MS, &args, NULL, &nh));
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_EQ(nh, 1);
  EXPECT_FALSE(ct_valid(sent));
  EXPECT_EQ(ct_basic(srv.request_handle).koid, sent_koid);
  EXPECT_EQ(ct_basic(got).koid, answer_koid);
  mica_handle_t all[4] = {srv.request_handle, got, a, b};
  EXPECT_OK(mica_handle_close_many(all, 4));
}

// Messages that are not the reply stay queued for channel_read.
TEST(channel_call, other_messages_stay_queued) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  server_t srv = {.endpoint = b, .reply_size = 4, .send_unrelated_first = true};
  mica_rt_thread_t* t = start_server(&srv);
  ASSERT_TRUE(t != NULL);
  uint32_t request = 0, reply = 0;
  mica_channel_call_args_t args = call_args(&request, 4, &reply, 4);
  EXPECT_OK(mica_channel_call(a, 0, ct_now() + 2000 * MS, &args, NULL, NULL));
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_EQ(reply, srv.txid);
  uint32_t other = 0;
  EXPECT_OK(mica_channel_read(a, 0, &other, NULL, sizeof(other), 0, NULL, NULL));
  EXPECT_EQ(other, 5);
  EXPECT_STATUS(mica_channel_read(a, 0, &other, NULL, sizeof(other), 0, NULL, NULL),
                MICA_ERR_SHOULD_WAIT);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// No reply before the deadline; a reply that comes later is discarded.
TEST(channel_call, timed_out_and_late_reply_discarded) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  uint32_t request = 0, reply = 0;
  mica_channel_call_args_t args = call_args(&request, 4, &reply, 4);
  mica_time_t deadline = ct_now() + 3 * MS;
  EXPECT_STATUS(mica_channel_call(a, 0, deadline, &args, NULL, NULL), MICA_ERR_TIMED_OUT);
  EXPECT_GE(ct_now(), deadline);
  // The request was delivered; answer it now.
  server_t srv = {.endpoint = b, .reply_size = 4};
  EXPECT_EQ(serve_one(&srv), 0);
  EXPECT_OK(srv.status);
  EXPECT_EQ(srv.txid & MICA_TXID_KERNEL_BIT, MICA_TXID_KERNEL_BIT);
  EXPECT_STATUS(mica_channel_read(a, 0, &reply, NULL, 4, 0, NULL, NULL), MICA_ERR_SHOULD_WAIT);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_call, peer_closed_before) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_OK(mica_handle_close(b));
  uint32_t request = 0, reply = 0;
  mica_channel_call_args_t args = call_args(&request, 4, &reply, 4);
  EXPECT_STATUS(mica_channel_call(a, 0, MICA_TIME_INFINITE, &args, NULL, NULL),
                MICA_ERR_PEER_CLOSED);
  EXPECT_OK(mica_handle_close(a));
}

TEST(channel_call, peer_closed_during) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  server_t srv = {.endpoint = b, .close_instead = true};
  mica_rt_thread_t* t = start_server(&srv);
  ASSERT_TRUE(t != NULL);
  uint32_t request = 0, reply = 0;
  mica_channel_call_args_t args = call_args(&request, 4, &reply, 4);
  EXPECT_STATUS(mica_channel_call(a, 0, ct_now() + 2000 * MS, &args, NULL, NULL),
                MICA_ERR_PEER_CLOSED);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_OK(srv.status);
  EXPECT_OK(mica_handle_close(a));
}

// A reply that does not fit is discarded with its handles; the sizes are
// reported.
TEST(channel_call, reply_too_small_discarded) {
  mica_handle_t a, b, p, q;
  ct_channel(&a, &b);
  ct_eventpair(&p, &q);
  ASSERT_NE(p, MICA_HANDLE_INVALID);
  server_t srv = {.endpoint = b, .reply_size = 100, .reply_handle = p};
  mica_rt_thread_t* t = start_server(&srv);
  ASSERT_TRUE(t != NULL);
  uint32_t request = 0;
  uint8_t reply[16];
  mica_channel_call_args_t args = call_args(&request, 4, reply, sizeof(reply));
  mica_handle_t got = MICA_HANDLE_INVALID;
  args.rd_handles = &got;
  args.rd_num_handles = 1;
  uint32_t nb = 0, nh = 0;
  EXPECT_STATUS(mica_channel_call(a, 0, ct_now() + 2000 * MS, &args, &nb, &nh),
                MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_EQ(nb, 100);
  EXPECT_EQ(nh, 1);
  EXPECT_EQ(got, MICA_HANDLE_INVALID);
  EXPECT_EQ(ct_signals(q) & MICA_EVENTPAIR_PEER_CLOSED, MICA_EVENTPAIR_PEER_CLOSED);
  EXPECT_STATUS(mica_channel_read(a, 0, reply, NULL, sizeof(reply), 0, NULL, NULL),
                MICA_ERR_SHOULD_WAIT);
  mica_handle_t all[3] = {q, a, b};
  EXPECT_OK(mica_handle_close_many(all, 3));
}

TEST(channel_call, invalid_args) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  uint32_t request = 0, reply = 0;
  mica_channel_call_args_t args = call_args(&request, 3, &reply, 4);  // shorter than a txid
  EXPECT_STATUS(mica_channel_call(a, 0, 0, &args, NULL, NULL), MICA_ERR_INVALID_ARGS);
  args.wr_num_bytes = 4;
  EXPECT_STATUS(mica_channel_call(a, 1, 0, &args, NULL, NULL), MICA_ERR_INVALID_ARGS);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_channel_call(a, 0, 0, (const mica_channel_call_args_t*)ct_bad_ptrs[i].addr,
                                    NULL, NULL),
                  MICA_ERR_INVALID_ARGS);
    mica_channel_call_args_t bad = call_args((const void*)ct_bad_ptrs[i].addr, 8, &reply, 4);
    EXPECT_STATUS(mica_channel_call(a, 0, 0, &bad, NULL, NULL), MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  mica_channel_call_args_t big =
      call_args(ct_big_buffer, MICA_CHANNEL_MAX_MSG_BYTES + 1, &reply, 4);
  EXPECT_STATUS(mica_channel_call(a, 0, 0, &big, NULL, NULL), MICA_ERR_OUT_OF_RANGE);
  // None of these reached the peer.
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_READABLE, 0);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// The 48-byte argument block is read with one unprivileged load per word
// when it is 8-byte aligned (kernel/arch/arm64/user_ptr.h): a block that runs
// into an unmapped page faults on a later word and must fail cleanly, and
// an unaligned block takes the general copy and works.
TEST(channel_call, args_block_crossing_into_unmapped_or_unaligned) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  uint32_t request = 0x1234, reply[4] = {0};
  uintptr_t page = ct_map_page_before_hole();
  ASSERT_NE(page, 0u);
  static const size_t kMapped[] = {8, 16, 40};  // the load of word 1, 2 or 5 faults
  for (size_t i = 0; i < sizeof(kMapped) / sizeof(kMapped[0]); i++) {
    mica_channel_call_args_t args = call_args(&request, 4, reply, sizeof(reply));
    void* tail = (void*)(page + MICA_PAGE_SIZE - kMapped[i]);
    memcpy(tail, &args, kMapped[i]);
    EXPECT_STATUS(mica_channel_call(a, 0, 0, (const mica_channel_call_args_t*)tail, NULL, NULL),
                  MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(
        mica_channel_write_read(a, 0, 0, (const mica_channel_call_args_t*)tail, NULL, NULL),
        MICA_ERR_INVALID_ARGS);
  }
  ct_unmap_page_before_hole(page);
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_READABLE, 0);  // nothing was sent
  // Unaligned (4 bytes past an 8-byte boundary): the call's request is
  // queued at the peer (past deadline: the call times out) ...
  _Alignas(8) uint8_t raw[sizeof(mica_channel_call_args_t) + 8];
  mica_channel_call_args_t args = call_args(&request, 4, reply, sizeof(reply));
  memcpy(raw + 4, &args, sizeof(args));
  const mica_channel_call_args_t* unaligned = (const mica_channel_call_args_t*)(raw + 4);
  EXPECT_STATUS(mica_channel_call(a, 0, 0, unaligned, NULL, NULL), MICA_ERR_TIMED_OUT);
  uint32_t got = 0, nb = 0;
  EXPECT_OK(mica_channel_read(b, 0, &got, NULL, sizeof(got), 0, &nb, NULL));
  EXPECT_EQ(nb, 4u);
  // ... and channel_write_read reads a queued message through it.
  const uint32_t msg[2] = {7, 8};
  EXPECT_OK(mica_channel_write(b, 0, msg, sizeof(msg), NULL, 0));
  EXPECT_OK(mica_channel_write_read(a, MICA_CHANNEL_WRITE_READ_NO_WRITE, 0, unaligned, &nb, NULL));
  EXPECT_EQ(nb, 8u);
  EXPECT_EQ(reply[0], 7u);
  EXPECT_EQ(reply[1], 8u);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_call, handles_and_rights) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  uint32_t request = 0, reply = 0;
  mica_channel_call_args_t args = call_args(&request, 4, &reply, 4);
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_channel_call(ev, 0, 0, &args, NULL, NULL), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_channel_call(MICA_HANDLE_INVALID, 0, 0, &args, NULL, NULL),
                MICA_ERR_BAD_HANDLE);
  mica_handle_t wo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_replace(a, MICA_RIGHT_WRITE | MICA_RIGHT_WAIT, &wo));
  EXPECT_STATUS(mica_channel_call(wo, 0, 0, &args, NULL, NULL), MICA_ERR_ACCESS_DENIED);
  // Sending the calling endpoint itself.
  mica_handle_t c, d;
  ct_channel(&c, &d);
  args.wr_handles = &c;
  args.wr_num_handles = 1;
  EXPECT_STATUS(mica_channel_call(c, 0, 0, &args, NULL, NULL), MICA_ERR_NOT_SUPPORTED);
  EXPECT_FALSE(ct_valid(c));
  mica_handle_t all[4] = {ev, wo, b, d};
  EXPECT_OK(mica_handle_close_many(all, 4));
}

// channel_call and channel_write_read look their endpoint up through the
// calling thread's one-entry handle cache (Process::GetHandleCached). Every
// way a handle value stops naming its endpoint must reach the cache: each
// case below first makes a call that resolves the value (a call with a
// past deadline: the request is queued at the peer and the call times out),
// then changes the handle and calls again.
static mica_status_t past_call(mica_handle_t h) {
  uint32_t request = 0, reply = 0;
  mica_channel_call_args_t args = call_args(&request, 4, &reply, 4);
  return mica_channel_call(h, 0, 0, &args, NULL, NULL);
}

static mica_status_t past_write_read(mica_handle_t h, uint32_t options) {
  uint32_t request = 0, reply = 0;
  mica_channel_call_args_t args = call_args(&request, 4, &reply, 4);
  return mica_channel_write_read(h, options, 0, &args, NULL, NULL);
}

static int close_it(void* p) {
  return mica_handle_close(*(mica_handle_t*)p);
}

// Closing a handle the calling thread's cache resolved lets go of its
// endpoint at once, however it is closed (handle_close, handle_close_many):
// the kernel's memory is back where it was before the channel was made,
// with no lookup after the close to replace the cache's entry. (Before,
// handle_close_many left the endpoint in the cache until the next call.)
static void call_then_close(bool many) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  EXPECT_STATUS(past_call(a), MICA_ERR_TIMED_OUT);
  if (many) {
    mica_handle_t both[2] = {a, b};
    EXPECT_OK(mica_handle_close_many(both, 2));
  } else {
    EXPECT_OK(mica_handle_close(a));
    EXPECT_OK(mica_handle_close(b));
  }
}

TEST(channel_call, closing_a_cached_handle_frees_its_endpoint) {
  for (int many = 0; many < 2; many++) {
    // The cache first holds an endpoint that stays open.
    mica_handle_t keep_a, keep_b;
    ct_channel(&keep_a, &keep_b);
    EXPECT_STATUS(past_call(keep_a), MICA_ERR_TIMED_OUT);
    uint64_t before = ct_quiet_available();
    ASSERT_NE(before, 0u);
    call_then_close(many != 0);
    EXPECT_EQ(ct_settled_available(before), before);
    EXPECT_OK(mica_handle_close(keep_a));
    EXPECT_OK(mica_handle_close(keep_b));
  }
}

TEST(channel_call, cached_handle_closed_replaced_or_sent) {
  mica_handle_t a, b, c, d;
  ct_channel(&a, &b);
  ct_channel(&c, &d);
  ASSERT_NE(c, MICA_HANDLE_INVALID);
  // Closed by this thread: both calls see it at once.
  EXPECT_STATUS(past_call(a), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_STATUS(past_call(a), MICA_ERR_BAD_HANDLE);
  EXPECT_STATUS(past_write_read(a, 0), MICA_ERR_BAD_HANDLE);
  // The cache holds the closed endpoint's memory, not the endpoint: its
  // peer saw it close.
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_PEER_CLOSED, MICA_CHANNEL_PEER_CLOSED);
  EXPECT_OK(mica_handle_close(b));

  // Closed by another thread of the process.
  ct_channel(&a, &b);
  EXPECT_STATUS(past_write_read(a, 0), MICA_ERR_TIMED_OUT);
  mica_rt_thread_t* t = NULL;
  ASSERT_OK(mica_rt_thread_create(&t, close_it, &a, "core-tests-closer", 0));
  int closed = -1;
  EXPECT_OK(mica_rt_thread_join(t, &closed));
  EXPECT_EQ(closed, MICA_OK);
  EXPECT_STATUS(past_write_read(a, 0), MICA_ERR_BAD_HANDLE);
  EXPECT_STATUS(past_call(a), MICA_ERR_BAD_HANDLE);
  EXPECT_OK(mica_handle_close(b));

  // Replaced with fewer rights: the old value is dead, the new one has
  // only what it was given (READ lets a no-write channel_write_read
  // through, nothing that writes).
  ct_channel(&a, &b);
  EXPECT_STATUS(past_call(a), MICA_ERR_TIMED_OUT);
  mica_handle_t r = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_replace(a, MICA_RIGHT_READ | MICA_RIGHT_WAIT | MICA_RIGHT_TRANSFER, &r));
  EXPECT_STATUS(past_call(a), MICA_ERR_BAD_HANDLE);
  EXPECT_STATUS(past_call(r), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(past_write_read(r, MICA_CHANNEL_WRITE_READ_NO_WRITE), MICA_ERR_TIMED_OUT);
  EXPECT_STATUS(past_write_read(r, 0), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(past_call(r), MICA_ERR_ACCESS_DENIED);

  // Sent away in a message: no longer the caller's.
  EXPECT_STATUS(past_write_read(r, MICA_CHANNEL_WRITE_READ_NO_WRITE), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_channel_write(c, 0, "x", 1, &r, 1));
  EXPECT_STATUS(past_write_read(r, MICA_CHANNEL_WRITE_READ_NO_WRITE), MICA_ERR_BAD_HANDLE);
  EXPECT_OK(mica_handle_close(b));

  // Two endpoints in turn: each call goes where its handle says.
  ct_channel(&a, &b);
  for (int i = 0; i < 3; i++) {
    EXPECT_STATUS(past_call(a), MICA_ERR_TIMED_OUT);
    EXPECT_STATUS(past_call(d), MICA_ERR_TIMED_OUT);
  }
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(past_call(ev), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(past_call(a), MICA_ERR_TIMED_OUT);
  // b got 4 requests, c 3, and d the message carrying r.
  uint32_t buf[4], nb, nh;
  int at_b = 0, at_c = 0;
  while (mica_channel_read(b, 0, buf, NULL, sizeof(buf), 0, &nb, &nh) == MICA_OK) {
    EXPECT_EQ(nb, 4);
    at_b++;
  }
  while (mica_channel_read(c, 0, buf, NULL, sizeof(buf), 0, &nb, &nh) == MICA_OK) {
    EXPECT_EQ(nb, 4);
    at_c++;
  }
  EXPECT_EQ(at_b, 4);
  EXPECT_EQ(at_c, 3);
  mica_handle_t got = MICA_HANDLE_INVALID;
  EXPECT_OK(mica_channel_read(d, 0, buf, &got, sizeof(buf), 1, &nb, &nh));
  EXPECT_EQ(nh, 1);
  // The endpoint arrived under its new value (its peer was closed above).
  EXPECT_STATUS(past_write_read(got, MICA_CHANNEL_WRITE_READ_NO_WRITE), MICA_ERR_PEER_CLOSED);
  EXPECT_OK(mica_handle_close(got));
  mica_handle_t all[5] = {a, b, c, d, ev};
  EXPECT_OK(mica_handle_close_many(all, 5));
}
