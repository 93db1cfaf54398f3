// Handles in channel messages (docs/syscalls.md, channel_write and
// channel_read): they move atomically with the message, keep their rights,
// are consumed by a failed write, and are closed with an unread message.
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

// A handle sent is gone from the sender and arrives, as a new value for
// the same object with the same rights, at the reader.
TEST(channel_handles, move_with_message) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_info_handle_basic_t before = ct_basic(ev);
  ASSERT_OK(mica_channel_write(a, 0, "h", 1, &ev, 1));
  EXPECT_FALSE(ct_valid(ev));
  EXPECT_STATUS(mica_object_signal(ev, 0, MICA_SIGNAL_USER0), MICA_ERR_BAD_HANDLE);
  char c = 0;
  mica_handle_t got = MICA_HANDLE_INVALID;
  uint32_t nb = 0, nh = 0;
  ASSERT_OK(mica_channel_read(b, 0, &c, &got, 1, 1, &nb, &nh));
  EXPECT_EQ(nh, 1);
  EXPECT_EQ(c, 'h');
  mica_info_handle_basic_t after = ct_basic(got);
  EXPECT_EQ(after.koid, before.koid);
  EXPECT_EQ(after.rights, before.rights);
  EXPECT_EQ(after.type, MICA_OBJ_TYPE_EVENT);
  EXPECT_OK(mica_object_signal(got, 0, MICA_EVENT_SIGNALED));
  EXPECT_OK(mica_handle_close(got));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// Reduced rights travel unchanged.
TEST(channel_handles, rights_preserved) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t ev = ct_event();
  mica_rights_t rights = MICA_RIGHT_TRANSFER | MICA_RIGHT_WAIT;
  mica_handle_t weak = ct_dup(ev, rights);
  ASSERT_NE(weak, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_channel_write(a, 0, NULL, 0, &weak, 1));
  mica_handle_t got = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_channel_read(b, 0, NULL, &got, 0, 1, NULL, NULL));
  EXPECT_EQ(ct_basic(got).rights, rights);
  EXPECT_STATUS(mica_object_signal(got, 0, MICA_SIGNAL_USER0), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(got));
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// 64 handles in one message, in order.
TEST(channel_handles, max_handles) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t hs[MICA_CHANNEL_MAX_MSG_HANDLES];
  mica_koid_t koids[MICA_CHANNEL_MAX_MSG_HANDLES];
  for (uint32_t i = 0; i < MICA_CHANNEL_MAX_MSG_HANDLES; i++) {
    hs[i] = ct_event();
    ASSERT_NE(hs[i], MICA_HANDLE_INVALID);
    koids[i] = ct_basic(hs[i]).koid;
  }
  ASSERT_OK(mica_channel_write(a, 0, NULL, 0, hs, MICA_CHANNEL_MAX_MSG_HANDLES));
  for (uint32_t i = 0; i < MICA_CHANNEL_MAX_MSG_HANDLES; i++) {
    EXPECT_FALSE(ct_valid(hs[i]));
  }
  mica_handle_t got[MICA_CHANNEL_MAX_MSG_HANDLES];
  uint32_t nh = 0;
  ASSERT_OK(mica_channel_read(b, 0, NULL, got, 0, MICA_CHANNEL_MAX_MSG_HANDLES, NULL, &nh));
  EXPECT_EQ(nh, MICA_CHANNEL_MAX_MSG_HANDLES);
  for (uint32_t i = 0; i < MICA_CHANNEL_MAX_MSG_HANDLES; i++) {
    EXPECT_EQ(ct_basic(got[i]).koid, koids[i]);
  }
  EXPECT_OK(mica_handle_close_many(got, MICA_CHANNEL_MAX_MSG_HANDLES));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// Too many handles: OUT_OF_RANGE, and the kernel never took them.
TEST(channel_handles, too_many_handles_nothing_closed) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  enum { kCount = MICA_CHANNEL_MAX_MSG_HANDLES + 1 };
  mica_handle_t hs[kCount];
  for (uint32_t i = 0; i < kCount; i++) {
    hs[i] = ct_event();
    ASSERT_NE(hs[i], MICA_HANDLE_INVALID);
  }
  EXPECT_STATUS(mica_channel_write(a, 0, NULL, 0, hs, kCount), MICA_ERR_OUT_OF_RANGE);
  for (uint32_t i = 0; i < kCount; i++) {
    EXPECT_TRUE(ct_valid(hs[i]));
  }
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_READABLE, 0);
  EXPECT_OK(mica_handle_close_many(hs, MICA_CHANNEL_MAX_MSG_HANDLES));
  EXPECT_OK(mica_handle_close(hs[MICA_CHANNEL_MAX_MSG_HANDLES]));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// An unreadable handle array: the kernel never saw the handles.
TEST(channel_handles, unreadable_array_nothing_closed) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_channel_write(a, 0, "x", 1, (const mica_handle_t*)ct_bad_ptrs[i].addr, 1),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  // An array running into unmapped memory, its readable part a live handle.
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t* tail = (mica_handle_t*)ct_last_bytes_of_image(sizeof(mica_handle_t));
  *tail = ev;
  EXPECT_STATUS(mica_channel_write(a, 0, "x", 1, tail, 2), MICA_ERR_INVALID_ARGS);
  EXPECT_TRUE(ct_valid(ev));
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_READABLE, 0);
  *tail = 0;
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// Every other failure consumes the handles: check each documented error.
// `peer` is an event pair end whose other end was sent: when the sent
// handle is closed, the peer sees PEER_CLOSED.
static void expect_consumed(mica_handle_t sent, mica_handle_t peer) {
  EXPECT_FALSE(ct_valid(sent));
  EXPECT_EQ(ct_signals(peer) & MICA_EVENTPAIR_PEER_CLOSED, MICA_EVENTPAIR_PEER_CLOSED);
}

TEST(channel_handles, failed_write_peer_closed_consumes) {
  mica_handle_t a, b, p, q;
  ct_channel(&a, &b);
  ct_eventpair(&p, &q);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ASSERT_NE(p, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_handle_close(b));
  EXPECT_STATUS(mica_channel_write(a, 0, "x", 1, &p, 1), MICA_ERR_PEER_CLOSED);
  expect_consumed(p, q);
  EXPECT_OK(mica_handle_close(q));
  EXPECT_OK(mica_handle_close(a));
}

TEST(channel_handles, failed_write_options_consumes) {
  mica_handle_t a, b, p, q;
  ct_channel(&a, &b);
  ct_eventpair(&p, &q);
  ASSERT_NE(p, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_channel_write(a, 1, "x", 1, &p, 1), MICA_ERR_INVALID_ARGS);
  expect_consumed(p, q);
  EXPECT_OK(mica_handle_close(q));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_handles, failed_write_unreadable_bytes_consumes) {
  mica_handle_t a, b, p, q;
  ct_channel(&a, &b);
  ct_eventpair(&p, &q);
  ASSERT_NE(p, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_channel_write(a, 0, (const void*)ct_unmapped_addr(), 8, &p, 1),
                MICA_ERR_INVALID_ARGS);
  expect_consumed(p, q);
  EXPECT_OK(mica_handle_close(q));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_handles, failed_write_full_queue_consumes) {
  mica_handle_t a, b, p, q;
  ct_channel(&a, &b);
  ct_eventpair(&p, &q);
  ASSERT_NE(p, MICA_HANDLE_INVALID);
  for (uint32_t i = 0; i < MICA_CHANNEL_MAX_QUEUED_MSGS; i++) {
    ASSERT_OK(mica_channel_write(a, 0, NULL, 0, NULL, 0));
  }
  EXPECT_STATUS(mica_channel_write(a, 0, NULL, 0, &p, 1), MICA_ERR_SHOULD_WAIT);
  expect_consumed(p, q);
  EXPECT_OK(mica_handle_close(q));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_handles, failed_write_wrong_type_consumes) {
  mica_handle_t p, q;
  ct_eventpair(&p, &q);
  ASSERT_NE(p, MICA_HANDLE_INVALID);
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_channel_write(ev, 0, NULL, 0, &p, 1), MICA_ERR_WRONG_TYPE);
  expect_consumed(p, q);
  EXPECT_OK(mica_handle_close(q));
  EXPECT_OK(mica_handle_close(ev));
}

TEST(channel_handles, failed_write_no_write_right_consumes) {
  mica_handle_t a, b, p, q;
  ct_channel(&a, &b);
  ct_eventpair(&p, &q);
  ASSERT_NE(p, MICA_HANDLE_INVALID);
  mica_handle_t ro = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_replace(a, MICA_RIGHT_READ, &ro));
  EXPECT_STATUS(mica_channel_write(ro, 0, NULL, 0, &p, 1), MICA_ERR_ACCESS_DENIED);
  expect_consumed(p, q);
  EXPECT_OK(mica_handle_close(q));
  EXPECT_OK(mica_handle_close(ro));
  EXPECT_OK(mica_handle_close(b));
}

// A handle without TRANSFER fails the write: ACCESS_DENIED, and every
// handle of the array is closed, the untransferable one too.
TEST(channel_handles, missing_transfer_right_consumes_all) {
  mica_handle_t a, b, p, q;
  ct_channel(&a, &b);
  ct_eventpair(&p, &q);
  ASSERT_NE(p, MICA_HANDLE_INVALID);
  mica_handle_t ev = ct_event();
  mica_handle_t stuck = ct_dup(ev, MICA_RIGHT_WAIT);
  ASSERT_NE(stuck, MICA_HANDLE_INVALID);
  mica_handle_t hs[2] = {p, stuck};
  EXPECT_STATUS(mica_channel_write(a, 0, NULL, 0, hs, 2), MICA_ERR_ACCESS_DENIED);
  expect_consumed(p, q);
  EXPECT_FALSE(ct_valid(stuck));
  EXPECT_TRUE(ct_valid(ev));
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_READABLE, 0);
  EXPECT_OK(mica_handle_close(q));
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// A bad entry: BAD_HANDLE, and the good entries are closed.
TEST(channel_handles, bad_entry_consumes_others) {
  mica_handle_t a, b, p, q;
  ct_channel(&a, &b);
  ct_eventpair(&p, &q);
  ASSERT_NE(p, MICA_HANDLE_INVALID);
  mica_handle_t dead = ct_event();
  ASSERT_OK(mica_handle_close(dead));
  mica_handle_t hs[2] = {dead, p};
  EXPECT_STATUS(mica_channel_write(a, 0, NULL, 0, hs, 2), MICA_ERR_BAD_HANDLE);
  expect_consumed(p, q);
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_READABLE, 0);
  EXPECT_OK(mica_handle_close(q));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_handles, repeated_entry_invalid_args) {
  mica_handle_t a, b, p, q;
  ct_channel(&a, &b);
  ct_eventpair(&p, &q);
  ASSERT_NE(p, MICA_HANDLE_INVALID);
  mica_handle_t hs[2] = {p, p};
  EXPECT_STATUS(mica_channel_write(a, 0, NULL, 0, hs, 2), MICA_ERR_INVALID_ARGS);
  expect_consumed(p, q);
  EXPECT_OK(mica_handle_close(q));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// Sending the writing endpoint through itself is refused, and like every
// handle of the array it is closed.
TEST(channel_handles, sending_self_not_supported) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_channel_write(a, 0, NULL, 0, &a, 1), MICA_ERR_NOT_SUPPORTED);
  EXPECT_FALSE(ct_valid(a));
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_PEER_CLOSED, MICA_CHANNEL_PEER_CLOSED);
  EXPECT_OK(mica_handle_close(b));
}

// A message whose handle buffer is too small stays queued with its
// handles; nothing is installed.
TEST(channel_handles, handle_buffer_too_small_keeps_message) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t hs[3] = {ct_event(), ct_event(), ct_event()};
  mica_koid_t k2 = ct_basic(hs[2]).koid;
  ASSERT_OK(mica_channel_write(a, 0, "abc", 3, hs, 3));
  char buf[8];
  mica_handle_t got[3] = {0, 0, 0};
  uint32_t nb = 0, nh = 0;
  EXPECT_STATUS(mica_channel_read(b, 0, buf, got, sizeof(buf), 2, &nb, &nh),
                MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(nb, 3);
  EXPECT_EQ(nh, 3);
  EXPECT_EQ(got[0], MICA_HANDLE_INVALID);
  ASSERT_OK(mica_channel_read(b, 0, buf, got, sizeof(buf), 3, &nb, &nh));
  EXPECT_EQ(nh, 3);
  EXPECT_EQ(ct_basic(got[2]).koid, k2);
  EXPECT_OK(mica_handle_close_many(got, 3));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// Closing an endpoint with unread messages closes their handles.
TEST(channel_handles, unread_handles_closed_with_endpoint) {
  mica_handle_t a, b, p, q;
  ct_channel(&a, &b);
  ct_eventpair(&p, &q);
  ASSERT_NE(p, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_channel_write(a, 0, NULL, 0, &p, 1));
  EXPECT_EQ(ct_signals(q) & MICA_EVENTPAIR_PEER_CLOSED, 0);  // alive inside the message
  ASSERT_OK(mica_handle_close(b));
  EXPECT_EQ(ct_signals(q) & MICA_EVENTPAIR_PEER_CLOSED, MICA_EVENTPAIR_PEER_CLOSED);
  EXPECT_OK(mica_handle_close(q));
  EXPECT_OK(mica_handle_close(a));
}

// A channel endpoint can travel and keeps working on the other side.
TEST(channel_handles, endpoint_travels) {
  mica_handle_t a, b, x, y;
  ct_channel(&a, &b);
  ct_channel(&x, &y);
  ASSERT_NE(x, MICA_HANDLE_INVALID);
  mica_koid_t y_koid = ct_basic(y).koid;
  ASSERT_OK(mica_channel_write(a, 0, NULL, 0, &x, 1));
  mica_handle_t x2 = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_channel_read(b, 0, NULL, &x2, 0, 1, NULL, NULL));
  EXPECT_EQ(ct_basic(x2).related_koid, y_koid);
  EXPECT_OK(mica_channel_write(x2, 0, "via", 3, NULL, 0));
  char buf[4] = {0};
  EXPECT_OK(mica_channel_read(y, 0, buf, NULL, 3, 0, NULL, NULL));
  EXPECT_EQ(memcmp(buf, "via", 3), 0);
  EXPECT_OK(mica_handle_close(x2));
  EXPECT_EQ(ct_signals(y) & MICA_CHANNEL_PEER_CLOSED, MICA_CHANNEL_PEER_CLOSED);
  EXPECT_OK(mica_handle_close(y));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// Handle values the reader gets are new, distinct handles.
TEST(channel_handles, received_values_distinct) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t ev = ct_event();
  mica_handle_t d1 = ct_dup(ev, MICA_RIGHT_SAME_RIGHTS);
  mica_handle_t d2 = ct_dup(ev, MICA_RIGHT_SAME_RIGHTS);
  mica_handle_t hs[2] = {d1, d2};
  ASSERT_OK(mica_channel_write(a, 0, NULL, 0, hs, 2));
  mica_handle_t got[2];
  ASSERT_OK(mica_channel_read(b, 0, NULL, got, 0, 2, NULL, NULL));
  EXPECT_NE(got[0], got[1]);
  EXPECT_NE(got[0], ev);
  EXPECT_NE(got[1], ev);
  EXPECT_EQ(ct_basic(got[0]).koid, ct_basic(ev).koid);
  EXPECT_EQ(ct_basic(got[1]).koid, ct_basic(ev).koid);
  EXPECT_OK(mica_handle_close_many(got, 2));
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}
