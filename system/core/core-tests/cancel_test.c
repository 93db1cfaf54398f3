// Closing a handle that another thread is blocked on ends the wait with
// MICA_ERR_CANCELED (docs/syscalls.md, "Time and blocking", handle_close):
// object_wait_one, object_wait_many, port_wait and channel_call; and
// object_wait_async registrations made through a closed handle are
// removed even while other handles keep the object alive.
#include <string.h>

#include "system/core/core-tests/task_util.h"
#include "system/core/core-tests/test.h"

static void close_it(void* arg) {
  mica_handle_close(*(mica_handle_t*)arg);
}

TEST(close_cancels, wait_one_through_closed_handle) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t waiter = ct_dup(ev, MICA_RIGHT_SAME_RIGHTS);
  ASSERT_NE(waiter, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_SIGNAL_USER1));
  ct_delayed_t d = {2 * CT_MS, close_it, &waiter};
  mica_rt_thread_t* t = ct_start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  mica_signals_t seen = 0;
  mica_time_t limit = ct_patience();
  EXPECT_STATUS(mica_object_wait_one(waiter, MICA_EVENT_SIGNALED, limit, &seen), MICA_ERR_CANCELED);
  EXPECT_LT(ct_now(), limit);
  EXPECT_EQ(seen, MICA_SIGNAL_USER1);  // observed is written for CANCELED
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_FALSE(ct_valid(waiter));
  EXPECT_TRUE(ct_valid(ev));
  EXPECT_OK(mica_handle_close(ev));
}

TEST(close_cancels, wait_one_last_handle) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ct_delayed_t d = {2 * CT_MS, close_it, &a};
  mica_rt_thread_t* t = ct_start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  EXPECT_STATUS(mica_object_wait_one(a, MICA_CHANNEL_READABLE, ct_patience(), NULL),
                MICA_ERR_CANCELED);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_PEER_CLOSED, MICA_CHANNEL_PEER_CLOSED);
  EXPECT_OK(mica_handle_close(b));
}

// Closing another handle to the same object does not end the wait.
TEST(close_cancels, wait_one_other_handle_closed) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t other = ct_dup(ev, MICA_RIGHT_SAME_RIGHTS);
  ASSERT_NE(other, MICA_HANDLE_INVALID);
  ct_delayed_t d = {2 * CT_MS, close_it, &other};
  mica_rt_thread_t* t = ct_start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  mica_time_t deadline = ct_now() + 30 * CT_MS;
  EXPECT_STATUS(mica_object_wait_one(ev, MICA_EVENT_SIGNALED, deadline, NULL), MICA_ERR_TIMED_OUT);
  EXPECT_GE(ct_now(), deadline);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_FALSE(ct_valid(other));
  EXPECT_OK(mica_handle_close(ev));
}

TEST(close_cancels, wait_many_one_handle_closed) {
  mica_handle_t ev[3] = {ct_event(), ct_event(), ct_event()};
  mica_handle_t dup = ct_dup(ev[2], MICA_RIGHT_SAME_RIGHTS);
  ASSERT_NE(dup, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_signal(ev[0], 0, MICA_SIGNAL_USER0));
  mica_wait_item_t items[3] = {
      {ev[0], MICA_EVENT_SIGNALED, 0, 0},
      {ev[1], MICA_EVENT_SIGNALED, 0, 0},
      {dup, MICA_EVENT_SIGNALED, 0, 0},
  };
  ct_delayed_t d = {2 * CT_MS, close_it, &dup};
  mica_rt_thread_t* t = ct_start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  mica_time_t limit = ct_patience();
  EXPECT_STATUS(mica_object_wait_many(items, 3, limit), MICA_ERR_CANCELED);
  EXPECT_LT(ct_now(), limit);
  EXPECT_EQ(items[0].pending, MICA_SIGNAL_USER0);  // every pending is written
  EXPECT_EQ(items[1].pending, 0);
  EXPECT_EQ(items[2].pending, 0);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  // The events are intact and can still be waited on.
  ASSERT_OK(mica_object_signal(ev[2], 0, MICA_EVENT_SIGNALED));
  EXPECT_OK(mica_object_wait_one(ev[2], MICA_EVENT_SIGNALED, 0, NULL));
  EXPECT_OK(mica_handle_close_many(ev, 3));
}

TEST(close_cancels, port_wait_through_closed_handle) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &port));
  mica_handle_t waiter = ct_dup(port, MICA_RIGHT_SAME_RIGHTS);
  ASSERT_NE(waiter, MICA_HANDLE_INVALID);
  ct_delayed_t d = {2 * CT_MS, close_it, &waiter};
  mica_rt_thread_t* t = ct_start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  mica_port_packet_t pkt;
  mica_time_t limit = ct_patience();
  EXPECT_STATUS(mica_port_wait(waiter, limit, &pkt), MICA_ERR_CANCELED);
  EXPECT_LT(ct_now(), limit);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  // The port still works through the other handle.
  memset(&pkt, 0, sizeof(pkt));
  pkt.type = MICA_PKT_TYPE_USER;
  pkt.key = 77;
  EXPECT_OK(mica_port_queue(port, &pkt));
  memset(&pkt, 0, sizeof(pkt));
  EXPECT_OK(mica_port_wait(port, 0, &pkt));
  EXPECT_EQ(pkt.key, 77);
  EXPECT_OK(mica_handle_close(port));
}

TEST(close_cancels, port_wait_last_handle) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &port));
  ct_delayed_t d = {2 * CT_MS, close_it, &port};
  mica_rt_thread_t* t = ct_start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  mica_port_packet_t pkt;
  EXPECT_STATUS(mica_port_wait(port, ct_patience(), &pkt), MICA_ERR_CANCELED);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_FALSE(ct_valid(port));
}

TEST(close_cancels, port_wait_other_handle_closed) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &port));
  mica_handle_t other = ct_dup(port, MICA_RIGHT_SAME_RIGHTS);
  ASSERT_NE(other, MICA_HANDLE_INVALID);
  ct_delayed_t d = {2 * CT_MS, close_it, &other};
  mica_rt_thread_t* t = ct_start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  mica_port_packet_t pkt;
  mica_time_t deadline = ct_now() + 30 * CT_MS;
  EXPECT_STATUS(mica_port_wait(port, deadline, &pkt), MICA_ERR_TIMED_OUT);
  EXPECT_GE(ct_now(), deadline);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_OK(mica_handle_close(port));
}

TEST(close_cancels, channel_call_through_closed_handle) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ct_delayed_t d = {2 * CT_MS, close_it, &a};
  mica_rt_thread_t* t = ct_start_delayed(&d);
  ASSERT_TRUE(t != NULL);
  uint32_t request = 0, reply = 0;
  mica_channel_call_args_t args = {&request, NULL, &reply, NULL, 4, 0, 4, 0};
  mica_time_t limit = ct_patience();
  EXPECT_STATUS(mica_channel_call(a, 0, limit, &args, NULL, NULL), MICA_ERR_CANCELED);
  EXPECT_LT(ct_now(), limit);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  // The request was delivered before the endpoint closed.
  uint32_t got = 0;
  EXPECT_OK(mica_channel_read(b, 0, &got, NULL, 4, 0, NULL, NULL));
  EXPECT_EQ(got & MICA_TXID_KERNEL_BIT, MICA_TXID_KERNEL_BIT);
  EXPECT_OK(mica_handle_close(b));
}

TEST(close_cancels, wait_async_through_closed_handle_removed) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &port));
  mica_handle_t ev = ct_event();
  mica_handle_t dup = ct_dup(ev, MICA_RIGHT_SAME_RIGHTS);
  ASSERT_NE(dup, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_wait_async(dup, port, 1, MICA_EVENT_SIGNALED, 0));
  ASSERT_OK(mica_object_wait_async(ev, port, 2, MICA_EVENT_SIGNALED, 0));
  EXPECT_OK(mica_handle_close(dup));  // `ev` keeps the event alive
  EXPECT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  mica_port_packet_t pkt;
  memset(&pkt, 0, sizeof(pkt));
  EXPECT_OK(mica_port_wait(port, 0, &pkt));
  EXPECT_EQ(pkt.key, 2);  // only the registration made through `ev`
  EXPECT_STATUS(mica_port_wait(port, 0, &pkt), MICA_ERR_TIMED_OUT);
  // Nothing left to cancel for key 1.
  EXPECT_STATUS(mica_port_cancel(port, ev, 1), MICA_ERR_NOT_FOUND);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(port));
}

// A queued signal packet stays: only pending registrations are removed.
TEST(close_cancels, queued_signal_packet_survives_close) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &port));
  mica_handle_t ev = ct_event();
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  ASSERT_OK(mica_object_wait_async(ev, port, 3, MICA_EVENT_SIGNALED, 0));
  EXPECT_OK(mica_handle_close(ev));
  mica_port_packet_t pkt;
  memset(&pkt, 0, sizeof(pkt));
  EXPECT_OK(mica_port_wait(port, 0, &pkt));
  EXPECT_EQ(pkt.key, 3);
  EXPECT_EQ(pkt.type, MICA_PKT_TYPE_SIGNAL);
  EXPECT_OK(mica_handle_close(port));
}
