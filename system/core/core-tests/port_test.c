// port_create, port_queue, port_wait, port_cancel and object_wait_async
// (docs/syscalls.md, "Ports").
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

static mica_handle_t make_port(void) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  mica_status_t s = mica_port_create(0, &port);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_port_create", s);
    return MICA_HANDLE_INVALID;
  }
  return port;
}

static mica_port_packet_t user_packet(uint64_t key, uint32_t seed) {
  mica_port_packet_t pkt;
  memset(&pkt, 0, sizeof(pkt));
  pkt.key = key;
  pkt.type = MICA_PKT_TYPE_USER;
  ct_fill(pkt.user.u8, sizeof(pkt.user.u8), seed);
  return pkt;
}

// ---- port_create -----------------------------------------------------------

TEST(port_create, rights) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &port));
  EXPECT_EQ(ct_basic(port).type, MICA_OBJ_TYPE_PORT);
  EXPECT_EQ(ct_basic(port).rights, MICA_DEFAULT_PORT_RIGHTS);
  EXPECT_OK(mica_handle_close(port));
}

TEST(port_create, options_and_bad_out) {
  mica_handle_t port = 0x5a5a5a5a;
  EXPECT_STATUS(mica_port_create(1, &port), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(port, 0x5a5a5a5a);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_port_create(0, (mica_handle_t*)ct_bad_ptrs[i].addr), MICA_ERR_INVALID_ARGS);
  }
  for (size_t i = 0; i < CT_READONLY_PTR_COUNT; i++) {
    ct_set_context(ct_readonly_ptrs[i].name);
    EXPECT_STATUS(mica_port_create(0, (mica_handle_t*)ct_readonly_ptrs[i].addr),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
}

// ---- port_queue / port_wait ------------------------------------------------

TEST(port, user_packet_round_trip) {
  mica_handle_t port = make_port();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  mica_port_packet_t in = user_packet(0x1122334455667788ull, 5);
  ASSERT_OK(mica_port_queue(port, &in));
  mica_port_packet_t out;
  memset(&out, 0xcc, sizeof(out));
  ASSERT_OK(mica_port_wait(port, 0, &out));
  EXPECT_EQ(out.key, in.key);
  EXPECT_EQ(out.type, MICA_PKT_TYPE_USER);
  EXPECT_EQ(memcmp(out.user.u8, in.user.u8, sizeof(in.user.u8)), 0);
  EXPECT_OK(mica_handle_close(port));
}

TEST(port, packets_in_order) {
  mica_handle_t port = make_port();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  for (uint64_t i = 0; i < 50; i++) {
    mica_port_packet_t in = user_packet(i, (uint32_t)i);
    ASSERT_OK(mica_port_queue(port, &in));
  }
  for (uint64_t i = 0; i < 50; i++) {
    mica_port_packet_t out;
    ASSERT_OK(mica_port_wait(port, MICA_TIME_INFINITE, &out));
    EXPECT_EQ(out.key, i);
    EXPECT_TRUE(ct_check_fill(out.user.u8, sizeof(out.user.u8), (uint32_t)i));
  }
  mica_port_packet_t out;
  EXPECT_STATUS(mica_port_wait(port, 0, &out), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(port));
}

TEST(port, wait_deadline) {
  mica_handle_t port = make_port();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  mica_port_packet_t out;
  EXPECT_STATUS(mica_port_wait(port, MICA_TIME_INFINITE_PAST, &out), MICA_ERR_TIMED_OUT);
  mica_time_t deadline = ct_now() + 3000000;  // 3 ms
  EXPECT_STATUS(mica_port_wait(port, deadline, &out), MICA_ERR_TIMED_OUT);
  EXPECT_GE(ct_now(), deadline);
  EXPECT_OK(mica_handle_close(port));
}

// The port holds at most MICA_PORT_MAX_USER_PACKETS user packets.
TEST(port, full_should_wait) {
  mica_handle_t port = make_port();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  for (uint32_t i = 0; i < MICA_PORT_MAX_USER_PACKETS; i++) {
    mica_port_packet_t in = user_packet(i, 0);
    ASSERT_OK(mica_port_queue(port, &in));
  }
  mica_port_packet_t extra = user_packet(99999, 0);
  EXPECT_STATUS(mica_port_queue(port, &extra), MICA_ERR_SHOULD_WAIT);
  mica_port_packet_t out;
  ASSERT_OK(mica_port_wait(port, 0, &out));
  EXPECT_EQ(out.key, 0);
  EXPECT_OK(mica_port_queue(port, &extra));
  for (uint32_t i = 1; i < MICA_PORT_MAX_USER_PACKETS; i++) {
    ASSERT_OK(mica_port_wait(port, 0, &out));
    EXPECT_EQ(out.key, i);
  }
  ASSERT_OK(mica_port_wait(port, 0, &out));
  EXPECT_EQ(out.key, 99999);
  EXPECT_OK(mica_handle_close(port));
}

TEST(port_queue, type_must_be_user) {
  mica_handle_t port = make_port();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  static const uint32_t kTypes[] = {MICA_PKT_TYPE_SIGNAL, MICA_PKT_TYPE_INTERRUPT,
                                    MICA_PKT_TYPE_TIMER, 4, 0xffffffffu};
  for (size_t i = 0; i < sizeof(kTypes) / sizeof(kTypes[0]); i++) {
    mica_port_packet_t in = user_packet(1, 1);
    in.type = kTypes[i];
    EXPECT_STATUS(mica_port_queue(port, &in), MICA_ERR_INVALID_ARGS);
  }
  mica_port_packet_t out;
  EXPECT_STATUS(mica_port_wait(port, 0, &out), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(port));
}

TEST(port_queue, bad_packet_pointer) {
  mica_handle_t port = make_port();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_port_queue(port, (const mica_port_packet_t*)ct_bad_ptrs[i].addr),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_STATUS(mica_port_queue(port, (const mica_port_packet_t*)ct_last_bytes_of_image(
                                          sizeof(mica_port_packet_t) - 8)),
                MICA_ERR_INVALID_ARGS);
  mica_port_packet_t out;
  EXPECT_STATUS(mica_port_wait(port, 0, &out), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(port));
}

TEST(port_wait, bad_packet_pointer) {
  mica_handle_t port = make_port();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  ct_bad_ptr_t cases[CT_BAD_PTR_COUNT + CT_READONLY_PTR_COUNT];
  memcpy(cases, ct_bad_ptrs, sizeof(ct_bad_ptrs));
  memcpy(cases + CT_BAD_PTR_COUNT, ct_readonly_ptrs, sizeof(ct_readonly_ptrs));
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    ct_set_context(cases[i].name);
    mica_port_packet_t in = user_packet(i, 0);
    ASSERT_OK(mica_port_queue(port, &in));  // a packet to deliver
    EXPECT_STATUS(mica_port_wait(port, 0, (mica_port_packet_t*)cases[i].addr),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_OK(mica_handle_close(port));
}

TEST(port, rights_required) {
  mica_handle_t port = make_port();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  mica_handle_t no_write = ct_dup(port, MICA_DEFAULT_PORT_RIGHTS & ~MICA_RIGHT_WRITE);
  mica_handle_t no_read = ct_dup(port, MICA_DEFAULT_PORT_RIGHTS & ~MICA_RIGHT_READ);
  ASSERT_NE(no_write, MICA_HANDLE_INVALID);
  ASSERT_NE(no_read, MICA_HANDLE_INVALID);
  mica_port_packet_t in = user_packet(7, 7), out;
  EXPECT_STATUS(mica_port_queue(no_write, &in), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_port_queue(no_read, &in));
  EXPECT_STATUS(mica_port_wait(no_read, 0, &out), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_port_wait(no_write, 0, &out));
  EXPECT_EQ(out.key, 7);
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_port_cancel(no_write, ev, 1), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(no_write));
  EXPECT_OK(mica_handle_close(no_read));
  EXPECT_OK(mica_handle_close(port));
}

TEST(port, wrong_type_and_bad_handle) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_port_packet_t in = user_packet(1, 1), out;
  EXPECT_STATUS(mica_port_queue(ev, &in), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_port_wait(ev, 0, &out), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_port_cancel(ev, ev, 1), MICA_ERR_WRONG_TYPE);
  mica_handle_t port = make_port();
  ASSERT_OK(mica_handle_close(port));
  EXPECT_STATUS(mica_port_queue(port, &in), MICA_ERR_BAD_HANDLE);
  EXPECT_STATUS(mica_port_wait(port, 0, &out), MICA_ERR_BAD_HANDLE);
  EXPECT_STATUS(mica_port_cancel(port, ev, 1), MICA_ERR_BAD_HANDLE);
  EXPECT_OK(mica_handle_close(ev));
}

// ---- object_wait_async -------------------------------------------------------

TEST(wait_async, packet_when_signal_asserts) {
  mica_handle_t port = make_port();
  mica_handle_t ev = ct_event();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_wait_async(ev, port, 42, MICA_EVENT_SIGNALED | MICA_SIGNAL_USER1, 0));
  mica_port_packet_t out;
  EXPECT_STATUS(mica_port_wait(port, 0, &out), MICA_ERR_TIMED_OUT);
  mica_time_t before = ct_now();
  ASSERT_OK(mica_object_signal(ev, 0, MICA_SIGNAL_USER1 | MICA_SIGNAL_USER3));
  ASSERT_OK(mica_port_wait(port, 0, &out));
  EXPECT_EQ(out.key, 42);
  EXPECT_EQ(out.type, MICA_PKT_TYPE_SIGNAL);
  EXPECT_OK(out.status);
  EXPECT_EQ(out.signal.trigger, MICA_EVENT_SIGNALED | MICA_SIGNAL_USER1);
  EXPECT_EQ(out.signal.observed & (MICA_SIGNAL_USER1 | MICA_SIGNAL_USER3),
            MICA_SIGNAL_USER1 | MICA_SIGNAL_USER3);
  EXPECT_EQ(out.signal.count, 1);
  EXPECT_GE(out.signal.timestamp, before);
  EXPECT_LE(out.signal.timestamp, ct_now());
  // One-shot: no second packet.
  ASSERT_OK(mica_object_signal(ev, MICA_SIGNAL_USER1, 0));
  ASSERT_OK(mica_object_signal(ev, 0, MICA_SIGNAL_USER1));
  EXPECT_STATUS(mica_port_wait(port, 0, &out), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(port));
}

TEST(wait_async, already_asserted_fires_at_once) {
  mica_handle_t port = make_port();
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  // A new channel endpoint is WRITABLE.
  ASSERT_OK(mica_object_wait_async(a, port, 7, MICA_CHANNEL_WRITABLE, 0));
  mica_port_packet_t out;
  ASSERT_OK(mica_port_wait(port, 0, &out));
  EXPECT_EQ(out.key, 7);
  EXPECT_EQ(out.type, MICA_PKT_TYPE_SIGNAL);
  EXPECT_EQ(out.signal.observed & MICA_CHANNEL_WRITABLE, MICA_CHANNEL_WRITABLE);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
  EXPECT_OK(mica_handle_close(port));
}

TEST(wait_async, channel_readable_and_peer_closed) {
  mica_handle_t port = make_port();
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_wait_async(b, port, 1, MICA_CHANNEL_READABLE, 0));
  ASSERT_OK(mica_object_wait_async(b, port, 2, MICA_CHANNEL_PEER_CLOSED, 0));
  ASSERT_OK(mica_channel_write(a, 0, "m", 1, NULL, 0));
  mica_port_packet_t out;
  ASSERT_OK(mica_port_wait(port, 0, &out));
  EXPECT_EQ(out.key, 1);
  EXPECT_STATUS(mica_port_wait(port, 0, &out), MICA_ERR_TIMED_OUT);
  ASSERT_OK(mica_handle_close(a));
  ASSERT_OK(mica_port_wait(port, 0, &out));
  EXPECT_EQ(out.key, 2);
  EXPECT_EQ(out.signal.observed & MICA_CHANNEL_PEER_CLOSED, MICA_CHANNEL_PEER_CLOSED);
  EXPECT_OK(mica_handle_close(b));
  EXPECT_OK(mica_handle_close(port));
}

TEST(wait_async, invalid_args) {
  mica_handle_t port = make_port();
  mica_handle_t ev = ct_event();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_object_wait_async(ev, port, 1, 0, 0), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_object_wait_async(ev, port, 1, MICA_EVENT_SIGNALED, 2), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(
      mica_object_wait_async(ev, port, 1, MICA_EVENT_SIGNALED, ~MICA_WAIT_ASYNC_REPEATING),
      MICA_ERR_INVALID_ARGS);
  // Neither made a registration.
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  mica_port_packet_t out;
  EXPECT_STATUS(mica_port_wait(port, 0, &out), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(port));
}

TEST(wait_async, handles_and_rights) {
  mica_handle_t port = make_port();
  mica_handle_t ev = ct_event();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  mica_handle_t other = ct_event();
  EXPECT_STATUS(mica_object_wait_async(ev, other, 1, MICA_EVENT_SIGNALED, 0), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_object_wait_async(MICA_HANDLE_INVALID, port, 1, MICA_EVENT_SIGNALED, 0),
                MICA_ERR_BAD_HANDLE);
  EXPECT_STATUS(mica_object_wait_async(ev, MICA_HANDLE_INVALID, 1, MICA_EVENT_SIGNALED, 0),
                MICA_ERR_BAD_HANDLE);
  mica_handle_t no_wait = ct_dup(ev, MICA_DEFAULT_EVENT_RIGHTS & ~MICA_RIGHT_WAIT);
  EXPECT_STATUS(mica_object_wait_async(no_wait, port, 1, MICA_EVENT_SIGNALED, 0),
                MICA_ERR_ACCESS_DENIED);
  mica_handle_t no_write = ct_dup(port, MICA_DEFAULT_PORT_RIGHTS & ~MICA_RIGHT_WRITE);
  EXPECT_STATUS(mica_object_wait_async(ev, no_write, 1, MICA_EVENT_SIGNALED, 0),
                MICA_ERR_ACCESS_DENIED);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  mica_port_packet_t out;
  EXPECT_STATUS(mica_port_wait(port, 0, &out), MICA_ERR_TIMED_OUT);
  mica_handle_t all[5] = {port, ev, other, no_wait, no_write};
  EXPECT_OK(mica_handle_close_many(all, 5));
}

// Several registrations on one object each deliver their own packet.
TEST(wait_async, several_keys) {
  mica_handle_t port = make_port();
  mica_handle_t ev = ct_event();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  for (uint64_t k = 1; k <= 8; k++) {
    ASSERT_OK(mica_object_wait_async(ev, port, k, MICA_EVENT_SIGNALED, 0));
  }
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  uint32_t seen = 0;
  for (int i = 0; i < 8; i++) {
    mica_port_packet_t out;
    ASSERT_OK(mica_port_wait(port, 0, &out));
    ASSERT_GE(out.key, 1);
    ASSERT_LE(out.key, 8);
    seen |= 1u << out.key;
  }
  EXPECT_EQ(seen, 0x1feu);
  mica_port_packet_t out;
  EXPECT_STATUS(mica_port_wait(port, 0, &out), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(port));
}

// Closing the watched object's handle removes the registration without a
// packet.
TEST(wait_async, closing_handle_removes_registration) {
  mica_handle_t port = make_port();
  mica_handle_t a, b;
  ct_eventpair(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_wait_async(a, port, 3, MICA_SIGNAL_USER0, 0));
  ASSERT_OK(mica_handle_close(a));
  EXPECT_STATUS(mica_object_signal_peer(b, 0, MICA_SIGNAL_USER0), MICA_ERR_PEER_CLOSED);
  mica_port_packet_t out;
  EXPECT_STATUS(mica_port_wait(port, 0, &out), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(b));
  EXPECT_OK(mica_handle_close(port));
}

// ---- port_cancel -------------------------------------------------------------

TEST(port_cancel, pending_registration) {
  mica_handle_t port = make_port();
  mica_handle_t ev = ct_event();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_wait_async(ev, port, 5, MICA_EVENT_SIGNALED, 0));
  EXPECT_STATUS(mica_port_cancel(port, ev, 6), MICA_ERR_NOT_FOUND);  // another key
  EXPECT_OK(mica_port_cancel(port, ev, 5));
  EXPECT_STATUS(mica_port_cancel(port, ev, 5), MICA_ERR_NOT_FOUND);  // nothing left
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  mica_port_packet_t out;
  EXPECT_STATUS(mica_port_wait(port, 0, &out), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(port));
}

// A signal packet already queued is removed too.
TEST(port_cancel, queued_packet) {
  mica_handle_t port = make_port();
  mica_handle_t ev = ct_event();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  ASSERT_OK(mica_object_wait_async(ev, port, 9, MICA_EVENT_SIGNALED, 0));
  mica_port_packet_t user = user_packet(10, 1);
  ASSERT_OK(mica_port_queue(port, &user));
  EXPECT_OK(mica_port_cancel(port, ev, 9));
  mica_port_packet_t out;
  ASSERT_OK(mica_port_wait(port, 0, &out));  // the user packet stays
  EXPECT_EQ(out.key, 10);
  EXPECT_STATUS(mica_port_wait(port, 0, &out), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(port));
}

TEST(port_cancel, bad_source) {
  mica_handle_t port = make_port();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_port_cancel(port, MICA_HANDLE_INVALID, 1), MICA_ERR_BAD_HANDLE);
  mica_handle_t ev = ct_event();
  ASSERT_OK(mica_handle_close(ev));
  EXPECT_STATUS(mica_port_cancel(port, ev, 1), MICA_ERR_BAD_HANDLE);
  EXPECT_OK(mica_handle_close(port));
}
