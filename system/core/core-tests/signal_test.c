// object_signal, object_signal_peer and object_wait_one (docs/syscalls.md,
// "Objects"), and the signals events, event pairs and channels raise.
#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

// Signal bits no object lets object_signal change.
static const mica_signals_t kSystemSignals[] = {MICA_SIGNAL_READABLE,
                                                MICA_SIGNAL_WRITABLE,
                                                MICA_SIGNAL_PEER_CLOSED,
                                                MICA_SIGNAL_TERMINATED,
                                                1u << 5,
                                                1u << 12,
                                                1u << 23};
#define NUM_SYSTEM_SIGNALS (sizeof(kSystemSignals) / sizeof(kSystemSignals[0]))

// ---- object_signal -----------------------------------------------------------

TEST(signal, event_user_signals_each) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  for (int i = 0; i < 8; i++) {
    mica_signals_t bit = MICA_SIGNAL_USER0 << i;
    EXPECT_OK(mica_object_signal(ev, 0, bit));
    EXPECT_EQ(ct_signals(ev), bit | (bit - MICA_SIGNAL_USER0));  // and the ones below
  }
  EXPECT_EQ(ct_signals(ev), MICA_SIGNAL_USER_ALL);
  EXPECT_OK(mica_object_signal(ev, MICA_SIGNAL_USER_ALL, 0));
  EXPECT_EQ(ct_signals(ev), 0);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(signal, event_signaled) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  EXPECT_EQ(ct_signals(ev), 0);  // a new event has no signal set
  EXPECT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  EXPECT_EQ(ct_signals(ev), MICA_EVENT_SIGNALED);
  EXPECT_OK(mica_object_signal(ev, MICA_EVENT_SIGNALED, 0));
  EXPECT_EQ(ct_signals(ev), 0);
  EXPECT_OK(mica_handle_close(ev));
}

// The clear happens first, then the set.
TEST(signal, clear_then_set) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_SIGNAL_USER0 | MICA_SIGNAL_USER1));
  EXPECT_OK(mica_object_signal(ev, MICA_SIGNAL_USER0 | MICA_SIGNAL_USER1,
                               MICA_SIGNAL_USER1 | MICA_SIGNAL_USER2));
  EXPECT_EQ(ct_signals(ev), MICA_SIGNAL_USER1 | MICA_SIGNAL_USER2);
  EXPECT_OK(mica_object_signal(ev, 0, 0));  // no change
  EXPECT_EQ(ct_signals(ev), MICA_SIGNAL_USER1 | MICA_SIGNAL_USER2);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(signal, event_system_bits_invalid_args) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  for (size_t i = 0; i < NUM_SYSTEM_SIGNALS; i++) {
    EXPECT_STATUS(mica_object_signal(ev, 0, kSystemSignals[i]), MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_object_signal(ev, kSystemSignals[i], 0), MICA_ERR_INVALID_ARGS);
  }
  EXPECT_EQ(ct_signals(ev), 0);
  EXPECT_OK(mica_handle_close(ev));
}

// Channels accept user signals only, not SIGNALED.
TEST(signal, channel_user_signals_only) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_object_signal(a, 0, MICA_SIGNAL_USER3));
  EXPECT_EQ(ct_signals(a), MICA_CHANNEL_WRITABLE | MICA_SIGNAL_USER3);
  EXPECT_EQ(ct_signals(b), MICA_CHANNEL_WRITABLE);  // the peer's signals are its own
  EXPECT_STATUS(mica_object_signal(a, 0, MICA_SIGNAL_SIGNALED), MICA_ERR_INVALID_ARGS);
  for (size_t i = 0; i < NUM_SYSTEM_SIGNALS; i++) {
    EXPECT_STATUS(mica_object_signal(a, kSystemSignals[i], 0), MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_object_signal(a, 0, kSystemSignals[i]), MICA_ERR_INVALID_ARGS);
  }
  // WRITABLE is the kernel's: still set.
  EXPECT_EQ(ct_signals(a), MICA_CHANNEL_WRITABLE | MICA_SIGNAL_USER3);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(signal, eventpair_signaled_local_only) {
  mica_handle_t a, b;
  ct_eventpair(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_object_signal(a, 0, MICA_EVENTPAIR_SIGNALED | MICA_SIGNAL_USER7));
  EXPECT_EQ(ct_signals(a), MICA_EVENTPAIR_SIGNALED | MICA_SIGNAL_USER7);
  EXPECT_EQ(ct_signals(b), 0);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(signal, access_denied_without_signal_right) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t weak = ct_dup(ev, MICA_DEFAULT_EVENT_RIGHTS & ~MICA_RIGHT_SIGNAL);
  ASSERT_NE(weak, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_object_signal(weak, 0, MICA_SIGNAL_USER0), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_object_signal(weak, 0, 0), MICA_ERR_ACCESS_DENIED);
  EXPECT_EQ(ct_signals(ev), 0);
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_OK(mica_handle_close(ev));
}

TEST(signal, bad_handle) {
  EXPECT_STATUS(mica_object_signal(MICA_HANDLE_INVALID, 0, MICA_SIGNAL_USER0), MICA_ERR_BAD_HANDLE);
  mica_handle_t ev = ct_event();
  ASSERT_OK(mica_handle_close(ev));
  EXPECT_STATUS(mica_object_signal(ev, 0, MICA_SIGNAL_USER0), MICA_ERR_BAD_HANDLE);
}

// ---- object_signal_peer ----------------------------------------------------

TEST(signal_peer, eventpair) {
  mica_handle_t a, b;
  ct_eventpair(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_object_signal_peer(a, 0, MICA_EVENTPAIR_SIGNALED | MICA_SIGNAL_USER1));
  EXPECT_EQ(ct_signals(b), MICA_EVENTPAIR_SIGNALED | MICA_SIGNAL_USER1);
  EXPECT_EQ(ct_signals(a), 0);
  EXPECT_OK(mica_object_signal_peer(b, 0, MICA_SIGNAL_USER2));
  EXPECT_EQ(ct_signals(a), MICA_SIGNAL_USER2);
  // Clear then set, on the peer.
  EXPECT_OK(
      mica_object_signal_peer(a, MICA_EVENTPAIR_SIGNALED | MICA_SIGNAL_USER1, MICA_SIGNAL_USER0));
  EXPECT_EQ(ct_signals(b), MICA_SIGNAL_USER0);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(signal_peer, channel_user_signals) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  for (int i = 0; i < 8; i++) {
    EXPECT_OK(mica_object_signal_peer(a, 0, MICA_SIGNAL_USER0 << i));
  }
  EXPECT_EQ(ct_signals(b), MICA_CHANNEL_WRITABLE | MICA_SIGNAL_USER_ALL);
  EXPECT_EQ(ct_signals(a), MICA_CHANNEL_WRITABLE);
  EXPECT_OK(mica_object_signal_peer(a, MICA_SIGNAL_USER_ALL, 0));
  EXPECT_EQ(ct_signals(b), MICA_CHANNEL_WRITABLE);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(signal_peer, channel_system_bits_invalid_args) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_object_signal_peer(a, 0, MICA_SIGNAL_SIGNALED), MICA_ERR_INVALID_ARGS);
  for (size_t i = 0; i < NUM_SYSTEM_SIGNALS; i++) {
    EXPECT_STATUS(mica_object_signal_peer(a, 0, kSystemSignals[i]), MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_object_signal_peer(a, kSystemSignals[i], 0), MICA_ERR_INVALID_ARGS);
  }
  EXPECT_EQ(ct_signals(b), MICA_CHANNEL_WRITABLE);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(signal_peer, eventpair_system_bits_invalid_args) {
  mica_handle_t a, b;
  ct_eventpair(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  for (size_t i = 0; i < NUM_SYSTEM_SIGNALS; i++) {
    EXPECT_STATUS(mica_object_signal_peer(a, 0, kSystemSignals[i]), MICA_ERR_INVALID_ARGS);
  }
  EXPECT_EQ(ct_signals(b), 0);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// An object without a peer. No event handle can carry SIGNAL_PEER, so two
// errors apply (wrong type, missing right) and either may be reported.
TEST(signal_peer, event_has_no_peer) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  EXPECT_STATUS_EITHER(mica_object_signal_peer(ev, 0, MICA_SIGNAL_USER0), MICA_ERR_WRONG_TYPE,
                       MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS_EITHER(mica_object_signal_peer(mica_rt_debuglog(), 0, MICA_SIGNAL_USER0),
                       MICA_ERR_WRONG_TYPE, MICA_ERR_ACCESS_DENIED);
  EXPECT_EQ(ct_signals(ev), 0);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(signal_peer, access_denied_without_right) {
  mica_handle_t a, b;
  ct_eventpair(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t weak = ct_dup(a, MICA_DEFAULT_EVENTPAIR_RIGHTS & ~MICA_RIGHT_SIGNAL_PEER);
  ASSERT_NE(weak, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_object_signal_peer(weak, 0, MICA_SIGNAL_USER0), MICA_ERR_ACCESS_DENIED);
  EXPECT_EQ(ct_signals(b), 0);
  // The SIGNAL right alone is about the object itself.
  EXPECT_OK(mica_object_signal(weak, 0, MICA_SIGNAL_USER0));
  EXPECT_EQ(ct_signals(a), MICA_SIGNAL_USER0);
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(signal_peer, eventpair_peer_closed) {
  mica_handle_t a, b;
  ct_eventpair(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_handle_close(b));
  EXPECT_STATUS(mica_object_signal_peer(a, 0, MICA_SIGNAL_USER0), MICA_ERR_PEER_CLOSED);
  EXPECT_EQ(ct_signals(a), MICA_EVENTPAIR_PEER_CLOSED);
  // The local object still takes signals.
  EXPECT_OK(mica_object_signal(a, 0, MICA_EVENTPAIR_SIGNALED));
  EXPECT_EQ(ct_signals(a), MICA_EVENTPAIR_PEER_CLOSED | MICA_EVENTPAIR_SIGNALED);
  EXPECT_OK(mica_handle_close(a));
}

TEST(signal_peer, channel_peer_closed) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_handle_close(a));
  EXPECT_STATUS(mica_object_signal_peer(b, 0, MICA_SIGNAL_USER0), MICA_ERR_PEER_CLOSED);
  EXPECT_OK(mica_handle_close(b));
}

TEST(signal_peer, bad_handle) {
  EXPECT_STATUS(mica_object_signal_peer(MICA_HANDLE_INVALID, 0, MICA_SIGNAL_USER0),
                MICA_ERR_BAD_HANDLE);
  mica_handle_t a, b;
  ct_eventpair(&a, &b);
  ASSERT_OK(mica_handle_close(a));
  EXPECT_STATUS(mica_object_signal_peer(a, 0, MICA_SIGNAL_USER0), MICA_ERR_BAD_HANDLE);
  EXPECT_OK(mica_handle_close(b));
}

// ---- object_wait_one -----------------------------------------------------------

TEST(wait_one, satisfied_immediately) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED | MICA_SIGNAL_USER4));
  mica_signals_t seen = 0;
  // Even with no deadline: it returns at once.
  EXPECT_OK(mica_object_wait_one(ev, MICA_EVENT_SIGNALED, MICA_TIME_INFINITE, &seen));
  // observed has every signal of the object, not just the awaited one.
  EXPECT_EQ(seen, MICA_EVENT_SIGNALED | MICA_SIGNAL_USER4);
  seen = 0;
  // Any one of the awaited signals is enough.
  EXPECT_OK(mica_object_wait_one(ev, MICA_SIGNAL_USER0 | MICA_SIGNAL_USER4, 0, &seen));
  EXPECT_EQ(seen, MICA_EVENT_SIGNALED | MICA_SIGNAL_USER4);
  EXPECT_OK(mica_handle_close(ev));
}

// A deadline in the past polls once: TIMED_OUT with the current signals.
TEST(wait_one, past_deadline_times_out) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_SIGNAL_USER5));
  static const mica_time_t kPast[] = {MICA_TIME_INFINITE_PAST, -1, 0, 1};
  for (size_t i = 0; i < sizeof(kPast) / sizeof(kPast[0]); i++) {
    mica_signals_t seen = 0;
    EXPECT_STATUS(mica_object_wait_one(ev, MICA_EVENT_SIGNALED, kPast[i], &seen),
                  MICA_ERR_TIMED_OUT);
    EXPECT_EQ(seen, MICA_SIGNAL_USER5);
  }
  EXPECT_OK(mica_handle_close(ev));
}

TEST(wait_one, deadline_passes) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_time_t start = ct_now();
  mica_time_t deadline = start + 5000000;  // 5 ms
  mica_signals_t seen = 0;
  EXPECT_STATUS(mica_object_wait_one(a, MICA_CHANNEL_READABLE, deadline, &seen),
                MICA_ERR_TIMED_OUT);
  EXPECT_GE(ct_now(), deadline);
  EXPECT_EQ(seen, MICA_CHANNEL_WRITABLE);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// With no signals to wait for, the call waits for the deadline.
TEST(wait_one, no_signals_waits_for_deadline) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  mica_time_t deadline = ct_now() + 2000000;  // 2 ms
  mica_signals_t seen = 0;
  EXPECT_STATUS(mica_object_wait_one(ev, 0, deadline, &seen), MICA_ERR_TIMED_OUT);
  EXPECT_GE(ct_now(), deadline);
  EXPECT_EQ(seen, MICA_EVENT_SIGNALED);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(wait_one, observed_may_be_null) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_object_wait_one(ev, MICA_EVENT_SIGNALED, 0, NULL), MICA_ERR_TIMED_OUT);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  EXPECT_OK(mica_object_wait_one(ev, MICA_EVENT_SIGNALED, 0, NULL));
  EXPECT_OK(mica_handle_close(ev));
}

TEST(wait_one, bad_observed_pointer) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    if (ct_bad_ptrs[i].addr == 0) {
      continue;  // NULL is allowed
    }
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(
        mica_object_wait_one(ev, MICA_EVENT_SIGNALED, 0, (mica_signals_t*)ct_bad_ptrs[i].addr),
        MICA_ERR_INVALID_ARGS);
  }
  for (size_t i = 0; i < CT_READONLY_PTR_COUNT; i++) {
    ct_set_context(ct_readonly_ptrs[i].name);
    EXPECT_STATUS(
        mica_object_wait_one(ev, MICA_EVENT_SIGNALED, 0, (mica_signals_t*)ct_readonly_ptrs[i].addr),
        MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(wait_one, access_denied_without_wait_right) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t weak = ct_dup(ev, MICA_DEFAULT_EVENT_RIGHTS & ~MICA_RIGHT_WAIT);
  ASSERT_NE(weak, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  EXPECT_STATUS(mica_object_wait_one(weak, MICA_EVENT_SIGNALED, MICA_TIME_INFINITE, NULL),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_OK(mica_handle_close(ev));
}

TEST(wait_one, bad_handle) {
  EXPECT_STATUS(mica_object_wait_one(MICA_HANDLE_INVALID, MICA_EVENT_SIGNALED, 0, NULL),
                MICA_ERR_BAD_HANDLE);
  mica_handle_t ev = ct_event();
  ASSERT_OK(mica_handle_close(ev));
  EXPECT_STATUS(mica_object_wait_one(ev, MICA_EVENT_SIGNALED, MICA_TIME_INFINITE, NULL),
                MICA_ERR_BAD_HANDLE);
}

TEST(wait_one, eventpair_peer_closed) {
  mica_handle_t a, b;
  ct_eventpair(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  EXPECT_EQ(ct_signals(a), 0);
  ASSERT_OK(mica_handle_close(b));
  mica_signals_t seen = 0;
  EXPECT_OK(mica_object_wait_one(a, MICA_EVENTPAIR_PEER_CLOSED, MICA_TIME_INFINITE, &seen));
  EXPECT_EQ(seen, MICA_EVENTPAIR_PEER_CLOSED);
  EXPECT_OK(mica_handle_close(a));
}

// A duplicate closed while another handle stays open: no PEER_CLOSED.
TEST(wait_one, eventpair_peer_alive_through_duplicate) {
  mica_handle_t a, b;
  ct_eventpair(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t b2 = ct_dup(b, MICA_RIGHT_SAME_RIGHTS);
  ASSERT_NE(b2, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_handle_close(b));
  EXPECT_EQ(ct_signals(a) & MICA_EVENTPAIR_PEER_CLOSED, 0);
  ASSERT_OK(mica_handle_close(b2));
  EXPECT_EQ(ct_signals(a) & MICA_EVENTPAIR_PEER_CLOSED, MICA_EVENTPAIR_PEER_CLOSED);
  EXPECT_OK(mica_handle_close(a));
}
