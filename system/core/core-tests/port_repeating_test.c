// object_wait_async with MICA_WAIT_ASYNC_REPEATING: a registration that
// stays and queues its one packet on each rising edge (docs/syscalls.md,
// object_wait_async).
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define REPEAT MICA_WAIT_ASYNC_REPEATING

static mica_handle_t make_port(void) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  mica_status_t s = mica_port_create(0, &port);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_port_create", s);
    return MICA_HANDLE_INVALID;
  }
  return port;
}

// Takes one packet without waiting; MICA_ERR_TIMED_OUT if none.
static mica_status_t take(mica_handle_t port, mica_port_packet_t* out) {
  memset(out, 0, sizeof(*out));
  return mica_port_wait(port, 0, out);
}

// Each rise of a watched signal queues one packet; a change that raises
// nothing watched (the same bit set again, a bit cleared, another bit) does
// not; the registration outlives its packets.
TEST(wait_async_repeating, one_packet_per_edge) {
  mica_handle_t port = make_port();
  mica_handle_t ev = ct_event();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_wait_async(ev, port, 11, MICA_EVENT_SIGNALED | MICA_SIGNAL_USER1, REPEAT));
  mica_port_packet_t out;
  EXPECT_STATUS(take(port, &out), MICA_ERR_TIMED_OUT);
  for (int round = 0; round < 5; round++) {
    mica_time_t before = ct_now();
    ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
    ASSERT_OK(take(port, &out));
    EXPECT_EQ(out.key, 11);
    EXPECT_EQ(out.type, MICA_PKT_TYPE_SIGNAL);
    EXPECT_OK(out.status);
    EXPECT_EQ(out.signal.trigger, MICA_EVENT_SIGNALED | MICA_SIGNAL_USER1);
    EXPECT_EQ(out.signal.observed & MICA_EVENT_SIGNALED, MICA_EVENT_SIGNALED);
    EXPECT_EQ(out.signal.count, 1);
    EXPECT_GE(out.signal.timestamp, before);
    // No edge: set again, another bit, then the watched bit falls.
    ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
    ASSERT_OK(mica_object_signal(ev, 0, MICA_SIGNAL_USER3));
    ASSERT_OK(mica_object_signal(ev, MICA_SIGNAL_USER3 | MICA_EVENT_SIGNALED, 0));
    EXPECT_STATUS(take(port, &out), MICA_ERR_TIMED_OUT);
  }
  // The second watched bit rising while the first is up is an edge too.
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  ASSERT_OK(take(port, &out));
  ASSERT_OK(mica_object_signal(ev, 0, MICA_SIGNAL_USER1));
  ASSERT_OK(take(port, &out));
  EXPECT_EQ(out.signal.observed & (MICA_EVENT_SIGNALED | MICA_SIGNAL_USER1),
            MICA_EVENT_SIGNALED | MICA_SIGNAL_USER1);
  EXPECT_STATUS(take(port, &out), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(port));
}

// Edges while the packet is queued update it in place: one packet, the
// count of edges, the signals at the last edge; ordered behind what was queued first.
TEST(wait_async_repeating, edges_coalesce_while_queued) {
  mica_handle_t port = make_port();
  mica_handle_t ev = ct_event();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_wait_async(ev, port, 5, MICA_EVENT_SIGNALED, REPEAT));
  for (int i = 0; i < 7; i++) {
    ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
    if (i == 0) {
      mica_port_packet_t user;
      memset(&user, 0, sizeof(user));
      user.key = 99;
      user.type = MICA_PKT_TYPE_USER;
      ASSERT_OK(mica_port_queue(port, &user));
    }
    ASSERT_OK(mica_object_signal(ev, MICA_EVENT_SIGNALED, i == 6 ? MICA_SIGNAL_USER2 : 0));
  }
  mica_port_packet_t out;
  ASSERT_OK(take(port, &out));
  EXPECT_EQ(out.key, 5);
  EXPECT_EQ(out.signal.count, 7);
  // The signals at the last edge (the clear that set USER2 raised nothing
  // watched).
  EXPECT_EQ(out.signal.observed & (MICA_EVENT_SIGNALED | MICA_SIGNAL_USER2), MICA_EVENT_SIGNALED);
  ASSERT_OK(take(port, &out));
  EXPECT_EQ(out.key, 99);
  EXPECT_STATUS(take(port, &out), MICA_ERR_TIMED_OUT);
  // Taken: the next edge queues a fresh packet with count 1.
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  ASSERT_OK(take(port, &out));
  EXPECT_EQ(out.key, 5);
  EXPECT_EQ(out.signal.count, 1);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(port));
}

// Registering while a watched signal is up counts as an edge.
TEST(wait_async_repeating, already_asserted_fires_at_once_and_stays) {
  mica_handle_t port = make_port();
  mica_handle_t ev = ct_event();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  ASSERT_OK(mica_object_wait_async(ev, port, 3, MICA_EVENT_SIGNALED, REPEAT));
  mica_port_packet_t out;
  ASSERT_OK(take(port, &out));
  EXPECT_EQ(out.key, 3);
  EXPECT_STATUS(take(port, &out), MICA_ERR_TIMED_OUT);
  ASSERT_OK(mica_object_signal(ev, MICA_EVENT_SIGNALED, 0));
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  ASSERT_OK(take(port, &out));
  EXPECT_EQ(out.key, 3);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(port));
}

// A channel stays READABLE while messages are queued: a message behind
// another makes no packet, so a reader drains until MICA_ERR_SHOULD_WAIT;
// the first message after that does. PEER_CLOSED rising is an edge too.
TEST(wait_async_repeating, channel_drain_then_edge) {
  mica_handle_t port = make_port();
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  ASSERT_OK(
      mica_object_wait_async(b, port, 8, MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED, REPEAT));
  mica_port_packet_t out;
  for (int round = 0; round < 3; round++) {
    ASSERT_OK(mica_channel_write(a, 0, "m1", 2, NULL, 0));
    ASSERT_OK(take(port, &out));
    EXPECT_EQ(out.key, 8);
    char buf[4];
    uint32_t n = 0;
    ASSERT_OK(mica_channel_write(a, 0, "m2", 2, NULL, 0));  // READABLE stays up
    EXPECT_STATUS(take(port, &out), MICA_ERR_TIMED_OUT);
    ASSERT_OK(mica_channel_read(b, 0, buf, NULL, sizeof(buf), 0, &n, NULL));
    ASSERT_OK(mica_channel_read(b, 0, buf, NULL, sizeof(buf), 0, &n, NULL));
    EXPECT_STATUS(mica_channel_read(b, 0, buf, NULL, sizeof(buf), 0, &n, NULL),
                  MICA_ERR_SHOULD_WAIT);
    EXPECT_STATUS(take(port, &out), MICA_ERR_TIMED_OUT);
  }
  ASSERT_OK(mica_handle_close(a));
  ASSERT_OK(take(port, &out));
  EXPECT_EQ(out.key, 8);
  EXPECT_EQ(out.signal.observed & MICA_CHANNEL_PEER_CLOSED, MICA_CHANNEL_PEER_CLOSED);
  EXPECT_OK(mica_handle_close(b));
  EXPECT_OK(mica_handle_close(port));
}

// port_cancel ends a repeating registration and takes its queued packet;
// with nothing left it answers NOT_FOUND.
TEST(wait_async_repeating, cancel_removes_registration_and_packet) {
  mica_handle_t port = make_port();
  mica_handle_t ev = ct_event();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_wait_async(ev, port, 4, MICA_EVENT_SIGNALED, REPEAT));
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));  // queued
  EXPECT_STATUS(mica_port_cancel(port, ev, 5), MICA_ERR_NOT_FOUND);
  EXPECT_OK(mica_port_cancel(port, ev, 4));
  mica_port_packet_t out;
  EXPECT_STATUS(take(port, &out), MICA_ERR_TIMED_OUT);
  EXPECT_STATUS(mica_port_cancel(port, ev, 4), MICA_ERR_NOT_FOUND);
  ASSERT_OK(mica_object_signal(ev, MICA_EVENT_SIGNALED, 0));
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  EXPECT_STATUS(take(port, &out), MICA_ERR_TIMED_OUT);
  // Not queued at the time of the cancel.
  ASSERT_OK(mica_object_wait_async(ev, port, 6, MICA_EVENT_SIGNALED, REPEAT));
  ASSERT_OK(take(port, &out));  // already up
  EXPECT_OK(mica_port_cancel(port, ev, 6));
  ASSERT_OK(mica_object_signal(ev, MICA_EVENT_SIGNALED, 0));
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  EXPECT_STATUS(take(port, &out), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(port));
}

// Closing the handle the wait was made through, or the object's last
// handle, ends the registration and takes its queued packet.
TEST(wait_async_repeating, closing_source_removes_registration_and_packet) {
  mica_handle_t port = make_port();
  mica_handle_t a, b;
  ct_eventpair(&a, &b);
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  mica_handle_t a2 = ct_dup(a, MICA_DEFAULT_EVENTPAIR_RIGHTS);
  ASSERT_OK(mica_object_wait_async(a, port, 1, MICA_SIGNAL_USER0, REPEAT));
  ASSERT_OK(mica_object_signal_peer(b, 0, MICA_SIGNAL_USER0));  // queued
  ASSERT_OK(mica_handle_close(a));                              // a2 keeps the object alive
  mica_port_packet_t out;
  EXPECT_STATUS(take(port, &out), MICA_ERR_TIMED_OUT);
  ASSERT_OK(mica_object_signal_peer(b, MICA_SIGNAL_USER0, 0));
  ASSERT_OK(mica_object_signal_peer(b, 0, MICA_SIGNAL_USER0));
  EXPECT_STATUS(take(port, &out), MICA_ERR_TIMED_OUT);
  // Through a2, queued, then the object's last handle goes.
  ASSERT_OK(mica_object_wait_async(a2, port, 2, MICA_SIGNAL_USER1, REPEAT));
  ASSERT_OK(mica_object_signal_peer(b, 0, MICA_SIGNAL_USER1));
  ASSERT_OK(mica_handle_close(a2));
  EXPECT_STATUS(take(port, &out), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(b));
  EXPECT_OK(mica_handle_close(port));
}

// The port's last handle going: queued packets go, and the next edge ends
// the registration (it does not keep the port alive); the source works on.
TEST(wait_async_repeating, port_closed_first) {
  for (int queued = 0; queued < 2; queued++) {
    mica_handle_t port = make_port();
    mica_handle_t ev = ct_event();
    ASSERT_NE(port, MICA_HANDLE_INVALID);
    ASSERT_OK(mica_object_wait_async(ev, port, 1, MICA_EVENT_SIGNALED, REPEAT));
    if (queued) {
      ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
    }
    ASSERT_OK(mica_handle_close(port));
    for (int i = 0; i < 3; i++) {
      ASSERT_OK(mica_object_signal(ev, MICA_EVENT_SIGNALED, 0));
      ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
    }
    mica_signals_t seen = 0;
    EXPECT_OK(mica_object_wait_one(ev, MICA_EVENT_SIGNALED, 0, &seen));
    EXPECT_OK(mica_handle_close(ev));
  }
}

// A one-shot and a repeating wait on one object, and repeating waits on
// several objects: each delivers its own packets.
TEST(wait_async_repeating, beside_other_waits) {
  mica_handle_t port = make_port();
  mica_handle_t ev[3];
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  for (int i = 0; i < 3; i++) {
    ev[i] = ct_event();
    ASSERT_OK(mica_object_wait_async(ev[i], port, 10 + i, MICA_EVENT_SIGNALED, REPEAT));
  }
  ASSERT_OK(mica_object_wait_async(ev[0], port, 20, MICA_EVENT_SIGNALED, 0));
  for (int round = 0; round < 3; round++) {
    uint32_t seen = 0;
    for (int i = 0; i < 3; i++) {
      ASSERT_OK(mica_object_signal(ev[i], 0, MICA_EVENT_SIGNALED));
    }
    mica_port_packet_t out;
    while (take(port, &out) == MICA_OK) {
      ASSERT_GE(out.key, 10);
      ASSERT_LE(out.key, 20);
      seen |= 1u << (out.key - 10);
    }
    EXPECT_EQ(seen, round == 0 ? 0x407u : 0x7u);  // the one-shot only once
    for (int i = 0; i < 3; i++) {
      ASSERT_OK(mica_object_signal(ev[i], MICA_EVENT_SIGNALED, 0));
    }
  }
  for (int i = 0; i < 3; i++) {
    EXPECT_OK(mica_handle_close(ev[i]));
  }
  EXPECT_OK(mica_handle_close(port));
}
