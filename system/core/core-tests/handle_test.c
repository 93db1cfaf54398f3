// handle_close, handle_close_many, handle_duplicate, handle_replace
// (docs/syscalls.md, "Handles"): every documented error, rights that only
// shrink, and handle values that never come back to life.
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

// Values that are not handles of this process: a value names a handle only
// if it is exactly the value of a live one, so these are checked against
// the few handles that are live (the runtime's, and those of the test).
static const mica_handle_t kNotHandles[] = {1,          2,          0x7fffffff, 0x80000000u,
                                            0xfffffffe, 0xffffffff, 0xdeadbeef, 0x12345678};

static bool is_runtime_handle(mica_handle_t h) {
  return h == mica_rt_bootstrap_channel() || h == mica_rt_debuglog() ||
         h == mica_rt_process_self() || h == mica_rt_vmar_root() || h == mica_rt_job_default();
}

// ---- handle_close ----------------------------------------------------------

TEST(handle_close, closes) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  EXPECT_TRUE(ct_valid(ev));
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_FALSE(ct_valid(ev));
}

TEST(handle_close, invalid_handle_is_a_no_op) {
  EXPECT_OK(mica_handle_close(MICA_HANDLE_INVALID));
}

TEST(handle_close, twice_is_bad_handle) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_STATUS(mica_handle_close(ev), MICA_ERR_BAD_HANDLE);
}

TEST(handle_close, values_that_are_not_handles) {
  for (size_t i = 0; i < sizeof(kNotHandles) / sizeof(kNotHandles[0]); i++) {
    if (is_runtime_handle(kNotHandles[i])) {
      continue;
    }
    EXPECT_STATUS(mica_handle_close(kNotHandles[i]), MICA_ERR_BAD_HANDLE);
  }
}

// Another handle to the object keeps it alive.
TEST(handle_close, duplicate_keeps_object) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t dup = ct_dup(ev, MICA_RIGHT_SAME_RIGHTS);
  ASSERT_NE(dup, MICA_HANDLE_INVALID);
  mica_koid_t koid = ct_basic(ev).koid;
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_EQ(ct_basic(dup).koid, koid);
  EXPECT_OK(mica_object_signal(dup, 0, MICA_EVENT_SIGNALED));
  EXPECT_EQ(ct_signals(dup), MICA_EVENT_SIGNALED);
  EXPECT_OK(mica_handle_close(dup));
}

// Closing a channel endpoint raises PEER_CLOSED on the other.
TEST(handle_close, channel_end_raises_peer_closed) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_PEER_CLOSED, 0);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_PEER_CLOSED, MICA_CHANNEL_PEER_CLOSED);
  EXPECT_OK(mica_handle_close(b));
}

// ---- handle_close_many -----------------------------------------------------

TEST(handle_close_many, closes_all) {
  mica_handle_t hs[8];
  for (int i = 0; i < 8; i++) {
    hs[i] = ct_event();
    ASSERT_NE(hs[i], MICA_HANDLE_INVALID);
  }
  EXPECT_OK(mica_handle_close_many(hs, 8));
  for (int i = 0; i < 8; i++) {
    EXPECT_FALSE(ct_valid(hs[i]));
  }
}

TEST(handle_close_many, empty_array_may_be_null) {
  EXPECT_OK(mica_handle_close_many(NULL, 0));
}

TEST(handle_close_many, invalid_entries_skipped) {
  mica_handle_t hs[4] = {MICA_HANDLE_INVALID, ct_event(), MICA_HANDLE_INVALID, ct_event()};
  ASSERT_NE(hs[1], MICA_HANDLE_INVALID);
  ASSERT_NE(hs[3], MICA_HANDLE_INVALID);
  EXPECT_OK(mica_handle_close_many(hs, 4));
  EXPECT_FALSE(ct_valid(hs[1]));
  EXPECT_FALSE(ct_valid(hs[3]));
}

// A bad entry is reported, and the good ones are closed anyway.
TEST(handle_close_many, bad_entry_others_still_closed) {
  mica_handle_t a = ct_event();
  mica_handle_t b = ct_event();
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ASSERT_NE(b, MICA_HANDLE_INVALID);
  mica_handle_t closed = ct_event();
  ASSERT_OK(mica_handle_close(closed));
  mica_handle_t hs[3] = {a, closed, b};
  EXPECT_STATUS(mica_handle_close_many(hs, 3), MICA_ERR_BAD_HANDLE);
  EXPECT_FALSE(ct_valid(a));
  EXPECT_FALSE(ct_valid(b));
}

// The second occurrence of a value is no longer a handle when it is
// reached.
TEST(handle_close_many, repeated_entry_is_bad_handle) {
  mica_handle_t a = ct_event();
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t hs[2] = {a, a};
  EXPECT_STATUS(mica_handle_close_many(hs, 2), MICA_ERR_BAD_HANDLE);
  EXPECT_FALSE(ct_valid(a));
}

TEST(handle_close_many, max_entries) {
  mica_handle_t hs[MICA_CHANNEL_MAX_MSG_HANDLES];
  for (uint32_t i = 0; i < MICA_CHANNEL_MAX_MSG_HANDLES; i++) {
    hs[i] = ct_event();
    ASSERT_NE(hs[i], MICA_HANDLE_INVALID);
  }
  EXPECT_OK(mica_handle_close_many(hs, MICA_CHANNEL_MAX_MSG_HANDLES));
  for (uint32_t i = 0; i < MICA_CHANNEL_MAX_MSG_HANDLES; i++) {
    EXPECT_FALSE(ct_valid(hs[i]));
  }
}

// An unreadable array: nothing is closed.
TEST(handle_close_many, bad_pointer_invalid_args) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_handle_close_many((const mica_handle_t*)ct_bad_ptrs[i].addr, 1),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_TRUE(ct_valid(ev));
  EXPECT_OK(mica_handle_close(ev));
}

// An array that runs off the end of mapped memory.
TEST(handle_close_many, array_crossing_into_unmapped) {
  mica_handle_t* tail = (mica_handle_t*)ct_last_bytes_of_image(sizeof(mica_handle_t));
  *tail = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_handle_close_many(tail, 2), MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_handle_close_many(tail, 1));
}

// The array may live in read-only memory: it is only read.
TEST(handle_close_many, read_only_array) {
  static const mica_handle_t invalid[3] = {0, 0, 0};
  EXPECT_OK(mica_handle_close_many(invalid, 3));
}

// ---- handle_duplicate ------------------------------------------------------

TEST(handle_duplicate, same_rights) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t dup = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_duplicate(ev, MICA_RIGHT_SAME_RIGHTS, &dup));
  EXPECT_NE(dup, ev);
  EXPECT_NE(dup, MICA_HANDLE_INVALID);
  mica_info_handle_basic_t a = ct_basic(ev), b = ct_basic(dup);
  EXPECT_EQ(a.koid, b.koid);
  EXPECT_EQ(b.rights, MICA_DEFAULT_EVENT_RIGHTS);
  EXPECT_EQ(b.type, MICA_OBJ_TYPE_EVENT);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(dup));
}

TEST(handle_duplicate, fewer_rights) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_rights_t want = MICA_RIGHT_WAIT | MICA_RIGHT_DUPLICATE;
  mica_handle_t dup = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_duplicate(ev, want, &dup));
  EXPECT_EQ(ct_basic(dup).rights, want);
  EXPECT_EQ(ct_basic(ev).rights, MICA_DEFAULT_EVENT_RIGHTS);  // the original keeps its own
  // A reduced handle enforces its rights: no SIGNAL.
  EXPECT_STATUS(mica_object_signal(dup, 0, MICA_EVENT_SIGNALED), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(dup));
}

TEST(handle_duplicate, no_rights) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t dup = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_duplicate(ev, MICA_RIGHT_NONE, &dup));
  // HANDLE_BASIC needs no rights.
  EXPECT_EQ(ct_basic(dup).rights, MICA_RIGHT_NONE);
  EXPECT_EQ(ct_basic(dup).koid, ct_basic(ev).koid);
  EXPECT_STATUS(mica_object_wait_one(dup, 0, 0, NULL), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(dup));
  EXPECT_OK(mica_handle_close(ev));
}

// Rights only shrink: asking for any right the handle lacks fails, and
// the original is untouched.
TEST(handle_duplicate, more_rights_invalid_args) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t weak = ct_dup(ev, MICA_RIGHT_DUPLICATE | MICA_RIGHT_WAIT);
  ASSERT_NE(weak, MICA_HANDLE_INVALID);
  mica_handle_t out = 0x5a5a5a5a;
  EXPECT_STATUS(
      mica_handle_duplicate(weak, MICA_RIGHT_DUPLICATE | MICA_RIGHT_WAIT | MICA_RIGHT_SIGNAL, &out),
      MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_handle_duplicate(weak, MICA_DEFAULT_EVENT_RIGHTS, &out),
                MICA_ERR_INVALID_ARGS);
  // A right no event handle has.
  EXPECT_STATUS(mica_handle_duplicate(ev, MICA_RIGHT_MANAGE_JOB, &out), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(out, 0x5a5a5a5a);
  EXPECT_EQ(ct_basic(weak).rights, MICA_RIGHT_DUPLICATE | MICA_RIGHT_WAIT);
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_OK(mica_handle_close(ev));
}

TEST(handle_duplicate, undefined_rights_bits_invalid_args) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t out = 0x5a5a5a5a;
  EXPECT_STATUS(mica_handle_duplicate(ev, 1u << 20, &out), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_handle_duplicate(ev, MICA_RIGHT_WAIT | (1u << 30), &out),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_handle_duplicate(ev, ~MICA_RIGHT_SAME_RIGHTS, &out), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(out, 0x5a5a5a5a);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(handle_duplicate, same_rights_with_other_bits_invalid_args) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t out = 0x5a5a5a5a;
  EXPECT_STATUS(mica_handle_duplicate(ev, MICA_RIGHT_SAME_RIGHTS | MICA_RIGHT_WAIT, &out),
                MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(out, 0x5a5a5a5a);
  EXPECT_OK(mica_handle_close(ev));
}

// Channel endpoints have no DUPLICATE right.
TEST(handle_duplicate, channel_access_denied) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t out = 0x5a5a5a5a;
  EXPECT_STATUS(mica_handle_duplicate(a, MICA_RIGHT_SAME_RIGHTS, &out), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_handle_duplicate(a, MICA_RIGHT_NONE, &out), MICA_ERR_ACCESS_DENIED);
  EXPECT_EQ(out, 0x5a5a5a5a);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(handle_duplicate, without_duplicate_right_access_denied) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t weak = ct_dup(ev, MICA_RIGHT_WAIT | MICA_RIGHT_SIGNAL);
  ASSERT_NE(weak, MICA_HANDLE_INVALID);
  mica_handle_t out = 0x5a5a5a5a;
  EXPECT_STATUS(mica_handle_duplicate(weak, MICA_RIGHT_SAME_RIGHTS, &out), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_handle_duplicate(weak, MICA_RIGHT_WAIT, &out), MICA_ERR_ACCESS_DENIED);
  EXPECT_EQ(out, 0x5a5a5a5a);
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_OK(mica_handle_close(ev));
}

TEST(handle_duplicate, bad_handle) {
  mica_handle_t out = 0x5a5a5a5a;
  EXPECT_STATUS(mica_handle_duplicate(MICA_HANDLE_INVALID, MICA_RIGHT_SAME_RIGHTS, &out),
                MICA_ERR_BAD_HANDLE);
  mica_handle_t ev = ct_event();
  ASSERT_OK(mica_handle_close(ev));
  EXPECT_STATUS(mica_handle_duplicate(ev, MICA_RIGHT_SAME_RIGHTS, &out), MICA_ERR_BAD_HANDLE);
  EXPECT_EQ(out, 0x5a5a5a5a);
}

TEST(handle_duplicate, bad_out_pointer) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(
        mica_handle_duplicate(ev, MICA_RIGHT_SAME_RIGHTS, (mica_handle_t*)ct_bad_ptrs[i].addr),
        MICA_ERR_INVALID_ARGS);
  }
  for (size_t i = 0; i < CT_READONLY_PTR_COUNT; i++) {
    ct_set_context(ct_readonly_ptrs[i].name);
    EXPECT_STATUS(
        mica_handle_duplicate(ev, MICA_RIGHT_SAME_RIGHTS, (mica_handle_t*)ct_readonly_ptrs[i].addr),
        MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_OK(mica_handle_close(ev));
}

// An output at an odd address is still user memory.
TEST(handle_duplicate, misaligned_out_pointer) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  _Alignas(8) uint8_t buf[16];
  memset(buf, 0xee, sizeof(buf));
  ASSERT_OK(mica_handle_duplicate(ev, MICA_RIGHT_SAME_RIGHTS, (mica_handle_t*)(buf + 3)));
  mica_handle_t dup;
  memcpy(&dup, buf + 3, sizeof(dup));
  EXPECT_EQ(buf[2], 0xee);
  EXPECT_EQ(buf[7], 0xee);
  EXPECT_EQ(ct_basic(dup).koid, ct_basic(ev).koid);
  EXPECT_OK(mica_handle_close(dup));
  EXPECT_OK(mica_handle_close(ev));
}

// Every duplicate gets its own value.
TEST(handle_duplicate, values_distinct) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  enum { kCount = 48 };
  mica_handle_t dups[kCount];
  for (int i = 0; i < kCount; i++) {
    ASSERT_OK(mica_handle_duplicate(ev, MICA_RIGHT_SAME_RIGHTS, &dups[i]));
    EXPECT_NE(dups[i], ev);
    for (int j = 0; j < i; j++) {
      EXPECT_NE(dups[i], dups[j]);
    }
  }
  EXPECT_OK(mica_handle_close_many(dups, kCount));
  EXPECT_TRUE(ct_valid(ev));
  EXPECT_OK(mica_handle_close(ev));
}

// ---- handle_replace --------------------------------------------------------

TEST(handle_replace, same_rights_new_value) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_koid_t koid = ct_basic(ev).koid;
  mica_handle_t out = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_replace(ev, MICA_RIGHT_SAME_RIGHTS, &out));
  EXPECT_NE(out, ev);
  EXPECT_FALSE(ct_valid(ev));
  EXPECT_EQ(ct_basic(out).koid, koid);
  EXPECT_EQ(ct_basic(out).rights, MICA_DEFAULT_EVENT_RIGHTS);
  EXPECT_OK(mica_handle_close(out));
}

TEST(handle_replace, fewer_rights) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t out = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_replace(ev, MICA_RIGHT_WAIT, &out));
  EXPECT_FALSE(ct_valid(ev));
  EXPECT_EQ(ct_basic(out).rights, MICA_RIGHT_WAIT);
  EXPECT_STATUS(mica_object_signal(out, 0, MICA_SIGNAL_USER0), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(out));
}

// Replace needs no right: a channel endpoint (no DUPLICATE) can be reduced.
TEST(handle_replace, channel_without_duplicate_right) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t ro = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_replace(a, MICA_RIGHT_READ | MICA_RIGHT_WAIT, &ro));
  EXPECT_FALSE(ct_valid(a));
  EXPECT_EQ(ct_basic(ro).rights, MICA_RIGHT_READ | MICA_RIGHT_WAIT);
  EXPECT_EQ(ct_basic(ro).related_koid, ct_basic(b).koid);
  EXPECT_STATUS(mica_channel_write(ro, 0, "x", 1, NULL, 0), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(ro));
  EXPECT_OK(mica_handle_close(b));
}

// Asking for more rights fails and the handle is left unchanged.
TEST(handle_replace, more_rights_leaves_handle) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t weak = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_replace(ev, MICA_RIGHT_WAIT | MICA_RIGHT_INSPECT, &weak));
  mica_handle_t out = 0x5a5a5a5a;
  EXPECT_STATUS(mica_handle_replace(weak, MICA_RIGHT_WAIT | MICA_RIGHT_SIGNAL, &out),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_handle_replace(weak, MICA_RIGHT_SAME_RIGHTS | MICA_RIGHT_WAIT, &out),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_handle_replace(weak, 1u << 25, &out), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(out, 0x5a5a5a5a);
  EXPECT_TRUE(ct_valid(weak));
  EXPECT_EQ(ct_basic(weak).rights, MICA_RIGHT_WAIT | MICA_RIGHT_INSPECT);
  EXPECT_OK(mica_handle_close(weak));
}

TEST(handle_replace, bad_handle) {
  mica_handle_t out = 0x5a5a5a5a;
  EXPECT_STATUS(mica_handle_replace(MICA_HANDLE_INVALID, MICA_RIGHT_SAME_RIGHTS, &out),
                MICA_ERR_BAD_HANDLE);
  mica_handle_t ev = ct_event();
  mica_handle_t replaced = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_replace(ev, MICA_RIGHT_SAME_RIGHTS, &replaced));
  // The old value is dead at once.
  EXPECT_STATUS(mica_handle_replace(ev, MICA_RIGHT_SAME_RIGHTS, &out), MICA_ERR_BAD_HANDLE);
  EXPECT_EQ(out, 0x5a5a5a5a);
  EXPECT_OK(mica_handle_close(replaced));
}

// A bad output pointer fails the call and leaves the original valid.
TEST(handle_replace, bad_out_pointer_leaves_handle) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(
        mica_handle_replace(ev, MICA_RIGHT_SAME_RIGHTS, (mica_handle_t*)ct_bad_ptrs[i].addr),
        MICA_ERR_INVALID_ARGS);
    EXPECT_TRUE(ct_valid(ev));
  }
  for (size_t i = 0; i < CT_READONLY_PTR_COUNT; i++) {
    ct_set_context(ct_readonly_ptrs[i].name);
    EXPECT_STATUS(
        mica_handle_replace(ev, MICA_RIGHT_WAIT, (mica_handle_t*)ct_readonly_ptrs[i].addr),
        MICA_ERR_INVALID_ARGS);
    EXPECT_TRUE(ct_valid(ev));
  }
  ct_set_context(NULL);
  EXPECT_EQ(ct_basic(ev).rights, MICA_DEFAULT_EVENT_RIGHTS);
  EXPECT_OK(mica_handle_close(ev));
}

// ---- Stale values ------------------------------------------------------------

// A closed value never names a later object: create and close many
// objects, and none of them gets a value seen before, nor does an old
// value resolve again.
TEST(handle_values, never_reused_after_close) {
  enum { kCycles = 2000 };
  static mica_handle_t seen[kCycles];
  for (int i = 0; i < kCycles; i++) {
    mica_handle_t h = ct_event();
    ASSERT_NE(h, MICA_HANDLE_INVALID);
    seen[i] = h;
    ASSERT_OK(mica_handle_close(h));
  }
  // Sort (insertion sort on an almost random array is too slow; shell sort).
  for (int gap = kCycles / 2; gap > 0; gap /= 2) {
    for (int i = gap; i < kCycles; i++) {
      mica_handle_t v = seen[i];
      int j = i;
      for (; j >= gap && seen[j - gap] > v; j -= gap) {
        seen[j] = seen[j - gap];
      }
      seen[j] = v;
    }
  }
  for (int i = 1; i < kCycles; i++) {
    if (seen[i] == seen[i - 1]) {
      ct_fail(__FILE_NAME__, __LINE__, "value 0x%x handed out twice", (unsigned)seen[i]);
      break;
    }
  }
  for (int i = 0; i < kCycles; i++) {
    if (ct_valid(seen[i])) {
      ct_fail(__FILE_NAME__, __LINE__, "closed value 0x%x resolves", (unsigned)seen[i]);
      break;
    }
  }
}

// A value stays dead while new objects are made around it.
TEST(handle_values, stale_value_stays_dead) {
  mica_handle_t old = ct_event();
  ASSERT_NE(old, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_handle_close(old));
  mica_handle_t fresh[64];
  for (int i = 0; i < 64; i++) {
    fresh[i] = ct_event();
    ASSERT_NE(fresh[i], MICA_HANDLE_INVALID);
    EXPECT_NE(fresh[i], old);
  }
  EXPECT_FALSE(ct_valid(old));
  EXPECT_STATUS(mica_object_signal(old, 0, MICA_SIGNAL_USER0), MICA_ERR_BAD_HANDLE);
  EXPECT_OK(mica_handle_close_many(fresh, 64));
}
