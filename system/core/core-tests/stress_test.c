// Stress: many messages and handles through one channel pair, checking
// that nothing is lost, duplicated or leaked; and a handle table filled to
// the brim.
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

// ---- One thread, many round trips ----------------------------------------------

// 2000 round trips, each carrying a handle there and back: every message
// and handle arrives once, in order, and at the end every value that was
// ever handed out is dead.
TEST(stress, round_trips_with_handles) {
  enum { kRounds = 2000 };
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t base = ct_event();
  ASSERT_NE(base, MICA_HANDLE_INVALID);
  mica_koid_t koid = ct_basic(base).koid;
  static mica_handle_t used[3 * kRounds];
  size_t nused = 0;
  for (uint32_t i = 0; i < kRounds; i++) {
    mica_handle_t h = ct_dup(base, MICA_RIGHT_SAME_RIGHTS);
    ASSERT_NE(h, MICA_HANDLE_INVALID);
    used[nused++] = h;
    ASSERT_OK(mica_channel_write(a, 0, &i, sizeof(i), &h, 1));
    uint32_t seq = 0, nb = 0, nh = 0;
    mica_handle_t got = MICA_HANDLE_INVALID;
    ASSERT_OK(mica_channel_read(b, 0, &seq, &got, sizeof(seq), 1, &nb, &nh));
    ASSERT_EQ(seq, i);
    ASSERT_EQ(nh, 1);
    ASSERT_EQ(ct_basic(got).koid, koid);
    used[nused++] = got;
    ASSERT_OK(mica_channel_write(b, 0, &seq, sizeof(seq), &got, 1));
    mica_handle_t back = MICA_HANDLE_INVALID;
    ASSERT_OK(mica_channel_read(a, 0, &seq, &back, sizeof(seq), 1, NULL, NULL));
    ASSERT_EQ(seq, i);
    used[nused++] = back;
    ASSERT_OK(mica_handle_close(back));
  }
  // Nothing is left in either queue.
  EXPECT_EQ(ct_signals(a) & MICA_CHANNEL_READABLE, 0);
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_READABLE, 0);
  for (size_t i = 0; i < nused; i++) {
    if (ct_valid(used[i])) {
      ct_fail(__FILE_NAME__, __LINE__, "value 0x%x (use %zu) still resolves", (unsigned)used[i], i);
      break;
    }
  }
  EXPECT_OK(mica_handle_close(base));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// ---- A full handle table ---------------------------------------------------------

// Fill the table with duplicates until the kernel says NO_RESOURCES; then
// every call that adds a handle reports it, a message whose handles do not
// fit stays queued, and after closing everything the process works again.
TEST(stress, handle_table_full) {
  enum { kMax = 1 << 17 };
  static mica_handle_t filler[kMax];
  mica_handle_t base = ct_event();
  ASSERT_NE(base, MICA_HANDLE_INVALID);
  // A message with a handle, queued before the table fills.
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t carried = ct_dup(base, MICA_RIGHT_SAME_RIGHTS);
  ASSERT_OK(mica_channel_write(a, 0, "h", 1, &carried, 1));
  size_t n = 0;
  mica_status_t s = MICA_OK;
  while (n < kMax) {
    s = mica_handle_duplicate(base, MICA_RIGHT_SAME_RIGHTS, &filler[n]);
    if (s != MICA_OK) {
      break;
    }
    n++;
  }
  EXPECT_STATUS(s, MICA_ERR_NO_RESOURCES);
  EXPECT_GT(n, 1000);
  mica_handle_t h = 0x5a5a5a5a, h2 = 0x5a5a5a5a;
  EXPECT_STATUS(mica_event_create(0, &h), MICA_ERR_NO_RESOURCES);
  EXPECT_STATUS(mica_channel_create(0, &h, &h2), MICA_ERR_NO_RESOURCES);
  EXPECT_STATUS(mica_eventpair_create(0, &h, &h2), MICA_ERR_NO_RESOURCES);
  EXPECT_STATUS(mica_port_create(0, &h), MICA_ERR_NO_RESOURCES);
  EXPECT_STATUS(mica_timer_create(0, &h), MICA_ERR_NO_RESOURCES);
  EXPECT_EQ(h, 0x5a5a5a5a);
  EXPECT_EQ(h2, 0x5a5a5a5a);
  char c = 0;
  mica_handle_t got = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_channel_read(b, 0, &c, &got, 1, 1, NULL, NULL), MICA_ERR_NO_RESOURCES);
  // With one slot free again the message (still queued) can be read.
  EXPECT_OK(mica_handle_close(filler[--n]));
  EXPECT_OK(mica_channel_read(b, 0, &c, &got, 1, 1, NULL, NULL));
  EXPECT_EQ(c, 'h');
  EXPECT_EQ(ct_basic(got).koid, ct_basic(base).koid);
  for (size_t i = 0; i < n; i += MICA_CHANNEL_MAX_MSG_HANDLES) {
    size_t count = n - i < MICA_CHANNEL_MAX_MSG_HANDLES ? n - i : MICA_CHANNEL_MAX_MSG_HANDLES;
    ASSERT_OK(mica_handle_close_many(&filler[i], count));
  }
  EXPECT_FALSE(ct_valid(filler[0]));
  EXPECT_FALSE(ct_valid(filler[n / 2]));
  mica_handle_t ev = ct_event();
  EXPECT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t all[5] = {ev, got, base, a, b};
  EXPECT_OK(mica_handle_close_many(all, 5));
}
