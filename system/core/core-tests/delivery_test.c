// Messages and packets are never lost or reordered by a failed read, any
// bytes can be sent, and ports signal queued packets (docs/syscalls.md:
// channel_read, channel_write, channel_call, ports, MICA_SIGNAL_READABLE).
#include <string.h>

#include "system/core/core-tests/task_util.h"
#include "system/core/core-tests/test.h"

static uint32_t read_u32(mica_handle_t h, mica_status_t* status) {
  uint32_t v = 0;
  *status = mica_channel_read(h, 0, &v, NULL, sizeof(v), 0, NULL, NULL);
  return v;
}

// ---- A read that cannot write its outputs keeps the message ---------------

TEST(channel_read_fails_keeps, bad_actual_bytes) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  uint32_t m = 0x1234;
  ASSERT_OK(mica_channel_write(a, 0, &m, 4, NULL, 0));
  uint32_t got = 0, nh = 0;
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    if (ct_bad_ptrs[i].addr == 0) {
      continue;
    }
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_channel_read(b, 0, &got, NULL, 4, 0, (uint32_t*)ct_bad_ptrs[i].addr, &nh),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_STATUS(mica_channel_read(b, 0, &got, NULL, 4, 0, (uint32_t*)ct_readonly_ptrs[0].addr, &nh),
                MICA_ERR_INVALID_ARGS);
  mica_status_t s;
  EXPECT_EQ(read_u32(b, &s), 0x1234);
  EXPECT_OK(s);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_read_fails_keeps, bad_actual_handles) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  uint32_t m = 0x4321;
  ASSERT_OK(mica_channel_write(a, 0, &m, 4, NULL, 0));
  uint32_t got = 0, nb = 0;
  EXPECT_STATUS(mica_channel_read(b, 0, &got, NULL, 4, 0, &nb, (uint32_t*)ct_unmapped_addr()),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_channel_read(b, 0, &got, NULL, 4, 0, &nb, (uint32_t*)ct_readonly_ptrs[1].addr),
                MICA_ERR_INVALID_ARGS);
  EXPECT_TRUE((ct_signals(b) & MICA_CHANNEL_READABLE) != 0);
  mica_status_t s;
  EXPECT_EQ(read_u32(b, &s), 0x4321);
  EXPECT_OK(s);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// A faulting bytes buffer puts the message back at the head: order kept.
TEST(channel_read_fails_keeps, bad_bytes_buffer_keeps_order) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  for (uint32_t i = 1; i <= 3; i++) {
    ASSERT_OK(mica_channel_write(a, 0, &i, 4, NULL, 0));
  }
  EXPECT_STATUS(mica_channel_read(b, 0, (void*)ct_unmapped_addr(), NULL, 4, 0, NULL, NULL),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_channel_read(b, 0, (void*)ct_readonly_ptrs[0].addr, NULL, 4, 0, NULL, NULL),
                MICA_ERR_INVALID_ARGS);
  for (uint32_t i = 1; i <= 3; i++) {
    mica_status_t s;
    ct_set_context(i == 1 ? "first" : i == 2 ? "second" : "third");
    EXPECT_EQ(read_u32(b, &s), i);
    EXPECT_OK(s);
  }
  ct_set_context(NULL);
  EXPECT_STATUS(mica_channel_read(b, 0, NULL, NULL, 0, 0, NULL, NULL), MICA_ERR_SHOULD_WAIT);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// A faulting handle buffer: the message and its handle stay queued (the
// handle is not installed in the reader's table and lost).
TEST(channel_read_fails_keeps, bad_handle_buffer_keeps_handles) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t ev = ct_event();
  mica_handle_t keep = ct_dup(ev, MICA_RIGHT_SAME_RIGHTS);
  uint32_t first = 1, second = 2;
  ASSERT_OK(mica_channel_write(a, 0, &first, 4, &ev, 1));
  ASSERT_OK(mica_channel_write(a, 0, &second, 4, NULL, 0));
  uint32_t got = 0;
  EXPECT_STATUS(mica_channel_read(b, 0, &got, (mica_handle_t*)ct_unmapped_addr(), 4, 1, NULL, NULL),
                MICA_ERR_INVALID_ARGS);
  mica_info_handle_count_t count;
  ASSERT_OK(mica_object_get_info(keep, MICA_INFO_HANDLE_COUNT, &count, sizeof(count), NULL, NULL));
  EXPECT_EQ(count.handle_count, 2);  // `keep` and the one in the message
  mica_handle_t h = MICA_HANDLE_INVALID;
  uint32_t nh = 0;
  EXPECT_OK(mica_channel_read(b, 0, &got, &h, 4, 1, NULL, &nh));
  EXPECT_EQ(got, 1);
  EXPECT_EQ(nh, 1);
  EXPECT_EQ(ct_basic(h).koid, ct_basic(keep).koid);
  mica_status_t s;
  EXPECT_EQ(read_u32(b, &s), 2);
  EXPECT_OK(s);
  EXPECT_OK(mica_handle_close(h));
  EXPECT_OK(mica_handle_close(keep));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// A read that fails on a full queue leaves it full (WRITABLE stays clear on
// the writer) and every message in order.
TEST(channel_read_fails_keeps, full_queue_stays_full) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  uint32_t n = 0;
  for (;;) {
    mica_status_t s = mica_channel_write(a, 0, &n, 4, NULL, 0);
    if (s != MICA_OK) {
      EXPECT_STATUS(s, MICA_ERR_SHOULD_WAIT);
      break;
    }
    n++;
  }
  EXPECT_EQ(n, MICA_CHANNEL_MAX_QUEUED_MSGS);
  EXPECT_EQ(ct_signals(a) & MICA_CHANNEL_WRITABLE, 0);
  EXPECT_STATUS(mica_channel_read(b, 0, (void*)ct_unmapped_addr(), NULL, 4, 0, NULL, NULL),
                MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(ct_signals(a) & MICA_CHANNEL_WRITABLE, 0);
  EXPECT_STATUS(mica_channel_write(a, 0, &n, 4, NULL, 0), MICA_ERR_SHOULD_WAIT);
  for (uint32_t i = 0; i < n; i++) {
    mica_status_t s;
    uint32_t v = read_u32(b, &s);
    if (s != MICA_OK || v != i) {
      EXPECT_OK(s);
      EXPECT_EQ(v, i);
      break;
    }
  }
  EXPECT_EQ(ct_signals(a) & MICA_CHANNEL_WRITABLE, MICA_CHANNEL_WRITABLE);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// ---- Any bytes can be written --------------------------------------------

TEST(channel_write_any_bytes, kernel_txid_bit_delivered) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  static const uint32_t kWords[] = {MICA_TXID_KERNEL_BIT, MICA_TXID_KERNEL_BIT | 1u, 0xffffffffu,
                                    0x80001234u};
  for (size_t i = 0; i < sizeof(kWords) / sizeof(kWords[0]); i++) {
    EXPECT_OK(mica_channel_write(a, 0, &kWords[i], 4, NULL, 0));
  }
  for (size_t i = 0; i < sizeof(kWords) / sizeof(kWords[0]); i++) {
    mica_status_t s;
    EXPECT_EQ(read_u32(b, &s), kWords[i]);
    EXPECT_OK(s);
  }
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_write_any_bytes, both_directions_with_handles) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  uint8_t msg[16];
  memset(msg, 0xff, sizeof(msg));
  mica_handle_t ev = ct_event();
  EXPECT_OK(mica_channel_write(b, 0, msg, sizeof(msg), &ev, 1));
  uint8_t got[16];
  mica_handle_t h = MICA_HANDLE_INVALID;
  uint32_t nb = 0, nh = 0;
  EXPECT_OK(mica_channel_read(a, 0, got, &h, sizeof(got), 1, &nb, &nh));
  EXPECT_EQ(nb, 16);
  EXPECT_EQ(nh, 1);
  EXPECT_EQ(memcmp(got, msg, sizeof(msg)), 0);
  EXPECT_EQ(ct_basic(h).type, MICA_OBJ_TYPE_EVENT);
  EXPECT_OK(mica_handle_close(h));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// While a call waits, a message with the kernel bit but another id is an
// ordinary message: it is queued, and the call still gets its own reply.
typedef struct {
  mica_handle_t endpoint;
  mica_status_t status;
  uint32_t reply;
} caller_t;

static int call_once(void* p) {
  caller_t* c = p;
  uint32_t request = 7;
  mica_channel_call_args_t args = {&request, NULL, &c->reply, NULL, 4, 0, 4, 0};
  c->status = mica_channel_call(c->endpoint, 0, ct_patience(), &args, NULL, NULL);
  return 0;
}

TEST(channel_write_any_bytes, foreign_txid_during_call_is_queued) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  caller_t c = {a, 1, 0};
  mica_rt_thread_t* t = NULL;
  ASSERT_OK(mica_rt_thread_create(&t, call_once, &c, "core-tests-caller", 0));
  ASSERT_OK(mica_object_wait_one(b, MICA_CHANNEL_READABLE, ct_patience(), NULL));
  mica_status_t s;
  uint32_t txid = read_u32(b, &s);
  ASSERT_OK(s);
  EXPECT_EQ(txid & MICA_TXID_KERNEL_BIT, MICA_TXID_KERNEL_BIT);
  uint32_t foreign = txid ^ 0x40000000u;  // kernel bit kept, another id
  EXPECT_OK(mica_channel_write(b, 0, &foreign, 4, NULL, 0));
  EXPECT_OK(mica_channel_write(b, 0, &txid, 4, NULL, 0));
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_OK(c.status);
  EXPECT_EQ(c.reply, txid);
  EXPECT_EQ(read_u32(a, &s), foreign);
  EXPECT_OK(s);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// ---- Ports assert READABLE while a packet is queued ------------------------

static mica_port_packet_t user_packet(uint64_t key) {
  mica_port_packet_t pkt;
  memset(&pkt, 0, sizeof(pkt));
  pkt.type = MICA_PKT_TYPE_USER;
  pkt.key = key;
  return pkt;
}

TEST(port_readable, follows_user_packets) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &port));
  EXPECT_EQ(ct_signals(port) & MICA_PORT_READABLE, 0);
  mica_port_packet_t pkt = user_packet(1);
  EXPECT_OK(mica_port_queue(port, &pkt));
  pkt = user_packet(2);
  EXPECT_OK(mica_port_queue(port, &pkt));
  EXPECT_EQ(ct_signals(port) & MICA_PORT_READABLE, MICA_PORT_READABLE);
  EXPECT_OK(mica_port_wait(port, 0, &pkt));
  EXPECT_EQ(ct_signals(port) & MICA_PORT_READABLE, MICA_PORT_READABLE);
  EXPECT_OK(mica_port_wait(port, 0, &pkt));
  EXPECT_EQ(pkt.key, 2);
  EXPECT_EQ(ct_signals(port) & MICA_PORT_READABLE, 0);
  EXPECT_OK(mica_handle_close(port));
}

TEST(port_readable, follows_signal_packets_and_cancel) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &port));
  mica_handle_t ev = ct_event();
  ASSERT_OK(mica_object_wait_async(ev, port, 9, MICA_EVENT_SIGNALED, 0));
  EXPECT_EQ(ct_signals(port) & MICA_PORT_READABLE, 0);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  EXPECT_EQ(ct_signals(port) & MICA_PORT_READABLE, MICA_PORT_READABLE);
  EXPECT_OK(mica_port_cancel(port, ev, 9));  // removes the queued packet
  EXPECT_EQ(ct_signals(port) & MICA_PORT_READABLE, 0);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(port));
}

static void queue_one(void* arg) {
  mica_port_packet_t pkt = user_packet(0xabc);
  mica_port_queue(*(mica_handle_t*)arg, &pkt);
}

TEST(port_readable, wait_one_woken_by_queue) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &port));
  ct_delayed_t d = {2 * CT_MS, queue_one, &port};
  mica_rt_thread_t* t = ct_start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  mica_signals_t seen = 0;
  EXPECT_OK(mica_object_wait_one(port, MICA_PORT_READABLE, ct_patience(), &seen));
  EXPECT_EQ(seen & MICA_PORT_READABLE, MICA_PORT_READABLE);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  mica_port_packet_t pkt;
  EXPECT_OK(mica_port_wait(port, 0, &pkt));
  EXPECT_EQ(pkt.key, 0xabc);
  EXPECT_OK(mica_handle_close(port));
}

// A port cannot be the source of a wait_async (its signals change inside
// other objects' notifications): documented MICA_ERR_NOT_SUPPORTED.
TEST(port_readable, wait_async_on_port_not_supported) {
  mica_handle_t p1 = MICA_HANDLE_INVALID, p2 = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &p1));
  ASSERT_OK(mica_port_create(0, &p2));
  EXPECT_STATUS(mica_object_wait_async(p1, p2, 1, MICA_PORT_READABLE, 0), MICA_ERR_NOT_SUPPORTED);
  EXPECT_STATUS(mica_object_wait_async(p1, p1, 1, MICA_PORT_READABLE, 0), MICA_ERR_NOT_SUPPORTED);
  EXPECT_OK(mica_handle_close(p1));
  EXPECT_OK(mica_handle_close(p2));
}

// ---- The launcher's debug log handle is write-only -------------------------

TEST(bootstrap, debuglog_handle_write_only) {
  mica_handle_t log = mica_rt_debuglog();
  ASSERT_NE(log, MICA_HANDLE_INVALID);
  mica_info_handle_basic_t info = ct_basic(log);
  EXPECT_EQ(info.type, MICA_OBJ_TYPE_DEBUGLOG);
  EXPECT_EQ(info.rights & MICA_RIGHT_READ, 0);
  EXPECT_EQ(info.rights & MICA_RIGHT_WRITE, MICA_RIGHT_WRITE);
}

// A registration whose port lost its last handle fires into nothing: the
// kernel drops the packet (and the port with it); the source is unharmed.
TEST(port_readable, wait_async_into_closed_port_dropped) {
  mica_handle_t ev = ct_event();
  for (int i = 0; i < 8; i++) {
    mica_handle_t port = MICA_HANDLE_INVALID;
    ASSERT_OK(mica_port_create(0, &port));
    ASSERT_OK(mica_object_wait_async(ev, port, (uint64_t)i, MICA_EVENT_SIGNALED, 0));
    EXPECT_OK(mica_handle_close(port));
  }
  EXPECT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  EXPECT_EQ(ct_signals(ev), MICA_EVENT_SIGNALED);
  // The event still serves new registrations.
  mica_handle_t port = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &port));
  EXPECT_OK(mica_object_wait_async(ev, port, 99, MICA_EVENT_SIGNALED, 0));
  mica_port_packet_t pkt;
  memset(&pkt, 0, sizeof(pkt));
  EXPECT_OK(mica_port_wait(port, 0, &pkt));
  EXPECT_EQ(pkt.key, 99);
  EXPECT_OK(mica_handle_close(port));
  EXPECT_OK(mica_handle_close(ev));
}

// A read whose handles do not fit the reader's full handle table leaves the
// message first in the queue (NO_RESOURCES), ahead of later messages.
TEST(channel_read_fails_keeps, full_handle_table_keeps_order) {
  enum { kMax = 1 << 17 };
  static mica_handle_t filler[kMax];
  mica_handle_t base = ct_event();
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t carried = ct_dup(base, MICA_RIGHT_SAME_RIGHTS);
  ASSERT_OK(mica_channel_write(a, 0, "1", 1, &carried, 1));
  ASSERT_OK(mica_channel_write(a, 0, "2", 1, NULL, 0));
  size_t n = 0;
  mica_status_t s = MICA_OK;
  while (n < kMax &&
         (s = mica_handle_duplicate(base, MICA_RIGHT_SAME_RIGHTS, &filler[n])) == MICA_OK) {
    n++;
  }
  ASSERT_GT(n, 0);
  ASSERT_STATUS(s, MICA_ERR_NO_RESOURCES);  // the table is full
  char c = 0;
  mica_handle_t got = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_channel_read(b, 0, &c, &got, 1, 1, NULL, NULL), MICA_ERR_NO_RESOURCES);
  EXPECT_STATUS(mica_channel_read(b, 0, &c, &got, 1, 1, NULL, NULL), MICA_ERR_NO_RESOURCES);
  EXPECT_OK(mica_handle_close(filler[--n]));
  EXPECT_OK(mica_channel_read(b, 0, &c, &got, 1, 1, NULL, NULL));
  EXPECT_EQ(c, '1');
  EXPECT_EQ(ct_basic(got).koid, ct_basic(base).koid);
  EXPECT_OK(mica_channel_read(b, 0, &c, NULL, 1, 0, NULL, NULL));
  EXPECT_EQ(c, '2');
  for (size_t i = 0; i < n; i += MICA_CHANNEL_MAX_MSG_HANDLES) {
    size_t count = n - i < MICA_CHANNEL_MAX_MSG_HANDLES ? n - i : MICA_CHANNEL_MAX_MSG_HANDLES;
    ASSERT_OK(mica_handle_close_many(&filler[i], count));
  }
  mica_handle_t all[4] = {got, base, a, b};
  EXPECT_OK(mica_handle_close_many(all, 4));
}
