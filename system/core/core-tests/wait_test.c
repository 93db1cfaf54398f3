// object_wait_many and timers (docs/syscalls.md, "Objects", "Timers"),
// single-threaded: what can be observed without another thread signaling.
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

// ---- object_wait_many ------------------------------------------------------

TEST(wait_many, satisfied_writes_every_pending) {
  mica_handle_t ev1 = ct_event(), ev2 = ct_event();
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_signal(ev2, 0, MICA_EVENT_SIGNALED | MICA_SIGNAL_USER2));
  mica_wait_item_t items[3] = {
      {ev1, MICA_EVENT_SIGNALED, 0xdead, 0},
      {ev2, MICA_EVENT_SIGNALED, 0xdead, 0},
      {a, MICA_CHANNEL_READABLE, 0xdead, 0},
  };
  EXPECT_OK(mica_object_wait_many(items, 3, MICA_TIME_INFINITE));
  EXPECT_EQ(items[0].pending, 0);
  EXPECT_EQ(items[1].pending, MICA_EVENT_SIGNALED | MICA_SIGNAL_USER2);
  EXPECT_EQ(items[2].pending, MICA_CHANNEL_WRITABLE);
  // The inputs are unchanged.
  EXPECT_EQ(items[0].handle, ev1);
  EXPECT_EQ(items[2].waitfor, MICA_CHANNEL_READABLE);
  mica_handle_t all[4] = {ev1, ev2, a, b};
  EXPECT_OK(mica_handle_close_many(all, 4));
}

TEST(wait_many, times_out_with_pending) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_SIGNAL_USER6));
  mica_wait_item_t items[1] = {{ev, MICA_EVENT_SIGNALED, 0, 0}};
  EXPECT_STATUS(mica_object_wait_many(items, 1, 0), MICA_ERR_TIMED_OUT);
  EXPECT_EQ(items[0].pending, MICA_SIGNAL_USER6);
  mica_time_t deadline = ct_now() + 3000000;  // 3 ms
  items[0].pending = 0;
  EXPECT_STATUS(mica_object_wait_many(items, 1, deadline), MICA_ERR_TIMED_OUT);
  EXPECT_GE(ct_now(), deadline);
  EXPECT_EQ(items[0].pending, MICA_SIGNAL_USER6);
  EXPECT_OK(mica_handle_close(ev));
}

// No items: a sleep until the deadline.
TEST(wait_many, no_items_sleeps) {
  EXPECT_STATUS(mica_object_wait_many(NULL, 0, MICA_TIME_INFINITE_PAST), MICA_ERR_TIMED_OUT);
  mica_time_t deadline = ct_now() + 2000000;
  EXPECT_STATUS(mica_object_wait_many(NULL, 0, deadline), MICA_ERR_TIMED_OUT);
  EXPECT_GE(ct_now(), deadline);
}

TEST(wait_many, max_items_and_one_more) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  mica_wait_item_t items[MICA_WAIT_MANY_MAX_ITEMS + 1];
  for (size_t i = 0; i <= MICA_WAIT_MANY_MAX_ITEMS; i++) {
    items[i] = (mica_wait_item_t){ev, MICA_EVENT_SIGNALED, 0, 0};
  }
  EXPECT_OK(mica_object_wait_many(items, MICA_WAIT_MANY_MAX_ITEMS, 0));
  EXPECT_EQ(items[MICA_WAIT_MANY_MAX_ITEMS - 1].pending, MICA_EVENT_SIGNALED);
  EXPECT_STATUS(mica_object_wait_many(items, MICA_WAIT_MANY_MAX_ITEMS + 1, 0),
                MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_object_wait_many(items, SIZE_MAX, 0), MICA_ERR_OUT_OF_RANGE);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(wait_many, reserved_must_be_zero) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_wait_item_t items[2] = {{ev, MICA_EVENT_SIGNALED, 0, 0}, {ev, MICA_EVENT_SIGNALED, 0, 1}};
  EXPECT_STATUS(mica_object_wait_many(items, 2, 0), MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(wait_many, bad_handle_and_rights) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t dead = ct_event();
  ASSERT_OK(mica_handle_close(dead));
  mica_wait_item_t items[2] = {{ev, MICA_EVENT_SIGNALED, 0, 0}, {dead, MICA_EVENT_SIGNALED, 0, 0}};
  EXPECT_STATUS(mica_object_wait_many(items, 2, 0), MICA_ERR_BAD_HANDLE);
  items[1].handle = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_object_wait_many(items, 2, 0), MICA_ERR_BAD_HANDLE);
  mica_handle_t no_wait = ct_dup(ev, MICA_DEFAULT_EVENT_RIGHTS & ~MICA_RIGHT_WAIT);
  ASSERT_NE(no_wait, MICA_HANDLE_INVALID);
  items[1].handle = no_wait;
  EXPECT_STATUS(mica_object_wait_many(items, 2, MICA_TIME_INFINITE), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(no_wait));
  EXPECT_OK(mica_handle_close(ev));
}

// The items are read and written back: both accesses are checked.
TEST(wait_many, bad_items_pointer) {
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_object_wait_many((mica_wait_item_t*)ct_bad_ptrs[i].addr, 1, 0),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  // Items in read-only memory can be read but not written back. (Their
  // handle, fixed at build time, cannot be a live one: two errors apply.)
  static const mica_wait_item_t kReadOnly[1] = {{0, 0, 0, 0}};
  EXPECT_STATUS_EITHER(mica_object_wait_many((mica_wait_item_t*)kReadOnly, 1, 0),
                       MICA_ERR_INVALID_ARGS, MICA_ERR_BAD_HANDLE);
  mica_wait_item_t* tail = (mica_wait_item_t*)ct_last_bytes_of_image(sizeof(mica_wait_item_t) + 8);
  EXPECT_STATUS(mica_object_wait_many(tail, 2, 0), MICA_ERR_INVALID_ARGS);
}

// ---- Timers -----------------------------------------------------------------

static mica_handle_t make_timer(void) {
  mica_handle_t t = MICA_HANDLE_INVALID;
  mica_status_t s = mica_timer_create(0, &t);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_timer_create", s);
    return MICA_HANDLE_INVALID;
  }
  return t;
}

TEST(timer_create, not_set) {
  mica_handle_t t = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_timer_create(0, &t));
  EXPECT_EQ(ct_basic(t).type, MICA_OBJ_TYPE_TIMER);
  EXPECT_EQ(ct_basic(t).rights, MICA_DEFAULT_TIMER_RIGHTS);
  EXPECT_EQ(ct_signals(t), 0);
  EXPECT_OK(mica_handle_close(t));
}

TEST(timer_create, options_and_bad_out) {
  mica_handle_t t = 0x5a5a5a5a;
  EXPECT_STATUS(mica_timer_create(1, &t), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(t, 0x5a5a5a5a);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_timer_create(0, (mica_handle_t*)ct_bad_ptrs[i].addr), MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
}

TEST(timer, fires_at_deadline) {
  mica_handle_t t = make_timer();
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  mica_time_t deadline = ct_now() + 5000000;  // 5 ms
  ASSERT_OK(mica_timer_set(t, deadline, 0));
  mica_signals_t seen = 0;
  EXPECT_OK(mica_object_wait_one(t, MICA_TIMER_SIGNALED, MICA_TIME_INFINITE, &seen));
  EXPECT_GE(ct_now(), deadline);
  EXPECT_EQ(seen & MICA_TIMER_SIGNALED, MICA_TIMER_SIGNALED);
  EXPECT_OK(mica_handle_close(t));
}

TEST(timer, past_deadline_fires_at_once) {
  mica_handle_t t = make_timer();
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_timer_set(t, 0, 0));
  EXPECT_OK(mica_object_wait_one(t, MICA_TIMER_SIGNALED, MICA_TIME_INFINITE, NULL));
  EXPECT_OK(mica_handle_close(t));
}

// Setting clears SIGNALED and replaces the earlier deadline.
TEST(timer, set_clears_and_replaces) {
  mica_handle_t t = make_timer();
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_timer_set(t, 0, 0));
  ASSERT_OK(mica_object_wait_one(t, MICA_TIMER_SIGNALED, MICA_TIME_INFINITE, NULL));
  ASSERT_OK(mica_timer_set(t, MICA_TIME_INFINITE, 0));
  EXPECT_EQ(ct_signals(t) & MICA_TIMER_SIGNALED, 0);
  // A far deadline replaced by a near one: fires at the near one.
  mica_time_t near = ct_now() + 2000000;
  ASSERT_OK(mica_timer_set(t, near, 1000));
  EXPECT_OK(mica_object_wait_one(t, MICA_TIMER_SIGNALED, MICA_TIME_INFINITE, NULL));
  EXPECT_GE(ct_now(), near);
  EXPECT_OK(mica_handle_close(t));
}

TEST(timer, cancel_clears_and_stops) {
  mica_handle_t t = make_timer();
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_timer_cancel(t));  // not set: not an error
  ASSERT_OK(mica_timer_set(t, 0, 0));
  ASSERT_OK(mica_object_wait_one(t, MICA_TIMER_SIGNALED, MICA_TIME_INFINITE, NULL));
  EXPECT_OK(mica_timer_cancel(t));
  EXPECT_EQ(ct_signals(t) & MICA_TIMER_SIGNALED, 0);
  mica_time_t deadline = ct_now() + 2000000;
  ASSERT_OK(mica_timer_set(t, deadline, 0));
  EXPECT_OK(mica_timer_cancel(t));
  // It never fires.
  EXPECT_STATUS(mica_object_wait_one(t, MICA_TIMER_SIGNALED, deadline + 5000000, NULL),
                MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(t));
}

// Waiting on a timer through a port.
TEST(timer, wait_async_packet) {
  mica_handle_t t = make_timer();
  mica_handle_t port = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_port_create(0, &port));
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_wait_async(t, port, 77, MICA_TIMER_SIGNALED, 0));
  mica_time_t deadline = ct_now() + 2000000;
  ASSERT_OK(mica_timer_set(t, deadline, 0));
  mica_port_packet_t pkt;
  ASSERT_OK(mica_port_wait(port, MICA_TIME_INFINITE, &pkt));
  EXPECT_EQ(pkt.key, 77);
  EXPECT_EQ(pkt.type, MICA_PKT_TYPE_SIGNAL);
  EXPECT_GE(pkt.signal.timestamp, deadline);
  EXPECT_OK(mica_handle_close(t));
  EXPECT_OK(mica_handle_close(port));
}

TEST(timer, errors) {
  mica_handle_t t = make_timer();
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  mica_handle_t ro = ct_dup(t, MICA_DEFAULT_TIMER_RIGHTS & ~MICA_RIGHT_WRITE);
  ASSERT_NE(ro, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_timer_set(ro, 0, 0), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_timer_cancel(ro), MICA_ERR_ACCESS_DENIED);
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_timer_set(ev, 0, 0), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_timer_cancel(ev), MICA_ERR_WRONG_TYPE);
  ASSERT_OK(mica_handle_close(ev));
  EXPECT_STATUS(mica_timer_set(ev, 0, 0), MICA_ERR_BAD_HANDLE);
  EXPECT_STATUS(mica_timer_cancel(ev), MICA_ERR_BAD_HANDLE);
  EXPECT_EQ(ct_signals(t), 0);
  EXPECT_OK(mica_handle_close(ro));
  EXPECT_OK(mica_handle_close(t));
}

// Like any object, a timer takes user signals; the others are the
// kernel's.
TEST(timer, user_signals) {
  mica_handle_t t = make_timer();
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_object_signal(t, 0, MICA_SIGNAL_USER0));
  EXPECT_EQ(ct_signals(t), MICA_SIGNAL_USER0);
  EXPECT_STATUS(mica_object_signal(t, 0, MICA_SIGNAL_READABLE), MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_handle_close(t));
}
