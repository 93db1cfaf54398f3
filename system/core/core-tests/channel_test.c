// channel_create, channel_write and channel_read: bytes, limits, queues,
// signals, peer closed and bad arguments (docs/syscalls.md, "Channels").
// Handles carried by messages: channel_handles_test.c.
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

// ---- channel_create ----------------------------------------------------------

TEST(channel_create, endpoints) {
  mica_handle_t a = MICA_HANDLE_INVALID, b = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_channel_create(0, &a, &b));
  EXPECT_NE(a, MICA_HANDLE_INVALID);
  EXPECT_NE(b, MICA_HANDLE_INVALID);
  EXPECT_NE(a, b);
  EXPECT_EQ(ct_basic(a).rights, MICA_DEFAULT_CHANNEL_RIGHTS);
  EXPECT_EQ(ct_basic(b).rights, MICA_DEFAULT_CHANNEL_RIGHTS);
  // Each endpoint starts WRITABLE, nothing else.
  EXPECT_EQ(ct_signals(a), MICA_CHANNEL_WRITABLE);
  EXPECT_EQ(ct_signals(b), MICA_CHANNEL_WRITABLE);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_create, options_invalid_args) {
  mica_handle_t a = 0x5a5a5a5a, b = 0x5a5a5a5a;
  EXPECT_STATUS(mica_channel_create(1, &a, &b), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_channel_create(0x80000000u, &a, &b), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(a, 0x5a5a5a5a);
  EXPECT_EQ(b, 0x5a5a5a5a);
}

TEST(channel_create, bad_out_pointers) {
  mica_handle_t ok = 0x5a5a5a5a;
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    mica_handle_t* bad = (mica_handle_t*)ct_bad_ptrs[i].addr;
    EXPECT_STATUS(mica_channel_create(0, bad, &ok), MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_channel_create(0, &ok, bad), MICA_ERR_INVALID_ARGS);
  }
  for (size_t i = 0; i < CT_READONLY_PTR_COUNT; i++) {
    ct_set_context(ct_readonly_ptrs[i].name);
    mica_handle_t* ro = (mica_handle_t*)ct_readonly_ptrs[i].addr;
    EXPECT_STATUS(mica_channel_create(0, ro, &ok), MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_channel_create(0, &ok, ro), MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
}

// ---- Messages ------------------------------------------------------------

TEST(channel, round_trip_both_directions) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_channel_write(a, 0, "ping", 4, NULL, 0));
  ASSERT_OK(mica_channel_write(b, 0, "pong!", 5, NULL, 0));
  char buf[16] = {0};
  uint32_t nb = 0, nh = 99;
  ASSERT_OK(mica_channel_read(b, 0, buf, NULL, sizeof(buf), 0, &nb, &nh));
  EXPECT_EQ(nb, 4);
  EXPECT_EQ(nh, 0);
  EXPECT_EQ(memcmp(buf, "ping", 4), 0);
  ASSERT_OK(mica_channel_read(a, 0, buf, NULL, sizeof(buf), 0, &nb, &nh));
  EXPECT_EQ(nb, 5);
  EXPECT_EQ(memcmp(buf, "pong!", 5), 0);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel, messages_in_order) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  for (uint32_t i = 0; i < 100; i++) {
    ASSERT_OK(mica_channel_write(a, 0, &i, sizeof(i), NULL, 0));
  }
  for (uint32_t i = 0; i < 100; i++) {
    uint32_t got = 0xffffffff, nb = 0;
    ASSERT_OK(mica_channel_read(b, 0, &got, NULL, sizeof(got), 0, &nb, NULL));
    EXPECT_EQ(got, i);
    EXPECT_EQ(nb, sizeof(got));
  }
  EXPECT_STATUS(mica_channel_read(b, 0, NULL, NULL, 0, 0, NULL, NULL), MICA_ERR_SHOULD_WAIT);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel, empty_message) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  // Zero-sized buffers are not accessed and may be NULL.
  ASSERT_OK(mica_channel_write(a, 0, NULL, 0, NULL, 0));
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_READABLE, MICA_CHANNEL_READABLE);
  uint32_t nb = 99, nh = 99;
  EXPECT_OK(mica_channel_read(b, 0, NULL, NULL, 0, 0, &nb, &nh));
  EXPECT_EQ(nb, 0);
  EXPECT_EQ(nh, 0);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel, readable_signal_follows_queue) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  EXPECT_EQ(ct_signals(b), MICA_CHANNEL_WRITABLE);
  ASSERT_OK(mica_channel_write(a, 0, "1", 1, NULL, 0));
  ASSERT_OK(mica_channel_write(a, 0, "2", 1, NULL, 0));
  EXPECT_EQ(ct_signals(b), MICA_CHANNEL_WRITABLE | MICA_CHANNEL_READABLE);
  EXPECT_EQ(ct_signals(a), MICA_CHANNEL_WRITABLE);  // the writer's side has nothing to read
  char c;
  ASSERT_OK(mica_channel_read(b, 0, &c, NULL, 1, 0, NULL, NULL));
  EXPECT_EQ(ct_signals(b), MICA_CHANNEL_WRITABLE | MICA_CHANNEL_READABLE);
  ASSERT_OK(mica_channel_read(b, 0, &c, NULL, 1, 0, NULL, NULL));
  EXPECT_EQ(ct_signals(b), MICA_CHANNEL_WRITABLE);
  mica_signals_t seen = 0;
  EXPECT_STATUS(mica_object_wait_one(b, MICA_CHANNEL_READABLE, 0, &seen), MICA_ERR_TIMED_OUT);
  EXPECT_EQ(seen, MICA_CHANNEL_WRITABLE);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel, largest_message) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ct_fill_msg(ct_big_buffer, MICA_CHANNEL_MAX_MSG_BYTES, 17);
  ASSERT_OK(mica_channel_write(a, 0, ct_big_buffer, MICA_CHANNEL_MAX_MSG_BYTES, NULL, 0));
  memset(ct_big_buffer2, 0, MICA_CHANNEL_MAX_MSG_BYTES);
  uint32_t nb = 0;
  ASSERT_OK(
      mica_channel_read(b, 0, ct_big_buffer2, NULL, MICA_CHANNEL_MAX_MSG_BYTES, 0, &nb, NULL));
  EXPECT_EQ(nb, MICA_CHANNEL_MAX_MSG_BYTES);
  EXPECT_EQ(memcmp(ct_big_buffer2, ct_big_buffer, MICA_CHANNEL_MAX_MSG_BYTES), 0);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel, oversized_message_out_of_range) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_channel_write(a, 0, ct_big_buffer, MICA_CHANNEL_MAX_MSG_BYTES + 1, NULL, 0),
                MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_channel_write(a, 0, ct_big_buffer, 0xffffffffu, NULL, 0),
                MICA_ERR_OUT_OF_RANGE);
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_READABLE, 0);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// The peer's queue holds MICA_CHANNEL_MAX_QUEUED_MSGS messages; the next
// write gets SHOULD_WAIT and the writer is no longer WRITABLE until the
// reader makes room.
TEST(channel, full_queue_should_wait) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  for (uint32_t i = 0; i < MICA_CHANNEL_MAX_QUEUED_MSGS; i++) {
    ASSERT_OK(mica_channel_write(a, 0, &i, sizeof(i), NULL, 0));
  }
  uint32_t extra = 0xabcd;
  EXPECT_STATUS(mica_channel_write(a, 0, &extra, sizeof(extra), NULL, 0), MICA_ERR_SHOULD_WAIT);
  EXPECT_STATUS(mica_channel_write(a, 0, NULL, 0, NULL, 0), MICA_ERR_SHOULD_WAIT);
  EXPECT_EQ(ct_signals(a) & MICA_CHANNEL_WRITABLE, 0);
  // The other direction is independent.
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_WRITABLE, MICA_CHANNEL_WRITABLE);
  EXPECT_OK(mica_channel_write(b, 0, "r", 1, NULL, 0));
  uint32_t got = 0;
  ASSERT_OK(mica_channel_read(b, 0, &got, NULL, sizeof(got), 0, NULL, NULL));
  EXPECT_EQ(got, 0);
  EXPECT_EQ(ct_signals(a) & MICA_CHANNEL_WRITABLE, MICA_CHANNEL_WRITABLE);
  EXPECT_OK(mica_channel_write(a, 0, &extra, sizeof(extra), NULL, 0));
  // Everything arrives once, in order, the refused writes nowhere.
  for (uint32_t i = 1; i < MICA_CHANNEL_MAX_QUEUED_MSGS; i++) {
    ASSERT_OK(mica_channel_read(b, 0, &got, NULL, sizeof(got), 0, NULL, NULL));
    EXPECT_EQ(got, i);
  }
  ASSERT_OK(mica_channel_read(b, 0, &got, NULL, sizeof(got), 0, NULL, NULL));
  EXPECT_EQ(got, extra);
  EXPECT_STATUS(mica_channel_read(b, 0, &got, NULL, sizeof(got), 0, NULL, NULL),
                MICA_ERR_SHOULD_WAIT);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// ---- Reading ---------------------------------------------------------------

TEST(channel_read, empty_should_wait) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  char buf[8];
  EXPECT_STATUS(mica_channel_read(b, 0, buf, NULL, sizeof(buf), 0, NULL, NULL),
                MICA_ERR_SHOULD_WAIT);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// Too small a byte buffer: the sizes needed, and the message stays.
TEST(channel_read, bytes_buffer_too_small_keeps_message) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_channel_write(a, 0, "0123456789", 10, NULL, 0));
  char buf[16] = {0};
  uint32_t nb = 0, nh = 99;
  EXPECT_STATUS(mica_channel_read(b, 0, buf, NULL, 9, 0, &nb, &nh), MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(nb, 10);
  EXPECT_EQ(nh, 0);
  EXPECT_STATUS(mica_channel_read(b, 0, NULL, NULL, 0, 0, &nb, NULL), MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(nb, 10);
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_READABLE, MICA_CHANNEL_READABLE);
  EXPECT_OK(mica_channel_read(b, 0, buf, NULL, 10, 0, &nb, NULL));
  EXPECT_EQ(memcmp(buf, "0123456789", 10), 0);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_read, actual_pointers_may_be_null) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_channel_write(a, 0, "abc", 3, NULL, 0));
  ASSERT_OK(mica_channel_write(a, 0, "abc", 3, NULL, 0));
  char buf[4];
  EXPECT_STATUS(mica_channel_read(b, 0, buf, NULL, 2, 0, NULL, NULL), MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_OK(mica_channel_read(b, 0, buf, NULL, 3, 0, NULL, NULL));
  EXPECT_OK(mica_channel_read(b, 0, buf, NULL, sizeof(buf), 0, NULL, NULL));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_read, misaligned_buffers) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_koid_t koid = ct_basic(ev).koid;
  _Alignas(8) uint8_t src[40];
  ct_fill_msg(src + 1, sizeof(src) - 1, 3);
  ASSERT_OK(mica_channel_write(a, 0, src + 1, 33, &ev, 1));
  _Alignas(8) uint8_t dst[40], hbuf[12], sizes[12];
  ASSERT_OK(mica_channel_read(b, 0, dst + 3, (mica_handle_t*)(hbuf + 1), 33, 1,
                              (uint32_t*)(sizes + 1), (uint32_t*)(sizes + 6)));
  EXPECT_EQ(memcmp(dst + 3, src + 1, 33), 0);
  mica_handle_t got;
  uint32_t nb, nh;
  memcpy(&got, hbuf + 1, sizeof(got));
  memcpy(&nb, sizes + 1, sizeof(nb));
  memcpy(&nh, sizes + 6, sizeof(nh));
  EXPECT_EQ(nb, 33);
  EXPECT_EQ(nh, 1);
  EXPECT_EQ(ct_basic(got).koid, koid);
  EXPECT_OK(mica_handle_close(got));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// The user-copy routines (kernel/arch/arm64/vectors.S) copy 64 bytes a
// step while both sides are 8-byte aligned, then 32, 16 and 8 as the
// remaining length's bits say, then bytes; unaligned, bytes. Every length
// up to 200, at aligned and unaligned offsets on either side, must arrive
// exactly (channel_write copies in, channel_read copies out), with nothing
// written around the reader's buffer.
TEST(channel, every_length_and_alignment_copies_exactly) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  static const uint32_t kSrcOffsets[] = {0, 8, 1, 4, 7};
  static const uint32_t kDstOffsets[] = {0, 16, 3, 5};
  _Alignas(16) uint8_t src[256 + 16];
  _Alignas(16) uint8_t dst[256 + 32];
  uint32_t failures = 0;
  for (uint32_t n = 0; n <= 200; n++) {
    for (size_t i = 0; i < sizeof(kSrcOffsets) / sizeof(kSrcOffsets[0]); i++) {
      for (size_t j = 0; j < sizeof(kDstOffsets) / sizeof(kDstOffsets[0]); j++) {
        uint32_t so = kSrcOffsets[i], doff = kDstOffsets[j];
        for (uint32_t k = 0; k < n; k++) {
          src[so + k] = (uint8_t)(n * 7 + k * 13 + so);
        }
        memset(dst, 0xa5, sizeof(dst));
        uint32_t nb = 0xffffffffu;
        mica_status_t st;
        if ((st = mica_channel_write(a, 0, src + so, n, NULL, 0)) != MICA_OK ||
            (st = mica_channel_read(b, 0, dst + doff, NULL, n, 0, &nb, NULL)) != MICA_OK ||
            nb != n) {
          if (failures++ == 0) {
            EXPECT_OK(st);  // names the status of the first failing call
          }
          continue;
        }
        for (uint32_t k = 0; k < sizeof(dst); k++) {
          uint8_t want = k >= doff && k < doff + n ? src[so + k - doff] : 0xa5;
          if (dst[k] != want) {
            failures++;
            break;
          }
        }
      }
    }
  }
  EXPECT_EQ(failures, 0u);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// A buffer that runs into an unmapped page faults at some step of the copy
// routines (the 64-, 32-, 16-, 8-byte or byte steps, by the length mapped):
// each must fail cleanly, a write sending nothing and a read leaving the
// message queued.
TEST(channel, buffers_running_into_unmapped_fail_at_every_step) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  uintptr_t page = ct_map_page_before_hole();
  ASSERT_NE(page, 0u);
  // Every length that reaches each step, with the fault at the start of
  // each step the length takes (a multiple of 8 mapped) or inside a byte
  // run (unaligned).
  static const uint32_t kLengths[] = {1,  7,  8,  15, 16, 24, 31,  32,
                                      40, 48, 56, 63, 64, 72, 100, 128};
  _Alignas(16) uint8_t msg[128];
  for (uint32_t k = 0; k < sizeof(msg); k++) {
    msg[k] = (uint8_t)(k + 1);
  }
  uint32_t failures = 0, cases = 0;
  for (size_t i = 0; i < sizeof(kLengths) / sizeof(kLengths[0]); i++) {
    uint32_t n = kLengths[i];
    for (uint32_t mapped = 0; mapped < n; mapped += (mapped % 8 == 0 && mapped + 1 < n) ? 1 : 7) {
      void* tail = (void*)(page + MICA_PAGE_SIZE - mapped);
      cases++;
      mica_status_t st, want = MICA_ERR_INVALID_ARGS;
      if ((st = mica_channel_write(a, 0, tail, n, NULL, 0)) != want ||
          (ct_signals(b) & MICA_CHANNEL_READABLE) != 0 ||
          (st = mica_channel_write(a, 0, msg, n, NULL, 0)) != (want = MICA_OK) ||
          (st = mica_channel_read(b, 0, tail, NULL, n, 0, NULL, NULL)) !=
              (want = MICA_ERR_INVALID_ARGS)) {
        if (failures++ == 0) {
          EXPECT_STATUS(st, want);  // names the status of the first failing call
        }
        continue;
      }
      uint8_t got[128];
      uint32_t nb = 0;
      if ((st = mica_channel_read(b, 0, got, NULL, sizeof(got), 0, &nb, NULL)) != MICA_OK ||
          nb != n || memcmp(got, msg, n) != 0) {
        if (failures++ == 0) {
          EXPECT_OK(st);
        }
      }
    }
  }
  EXPECT_GT(cases, 100u);
  EXPECT_EQ(failures, 0u);
  ct_unmap_page_before_hole(page);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_read, options_invalid_args) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_channel_write(a, 0, "x", 1, NULL, 0));
  char c = 0;
  EXPECT_STATUS(mica_channel_read(b, 1, &c, NULL, 1, 0, NULL, NULL), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_channel_read(b, 0x80000000u, &c, NULL, 1, 0, NULL, NULL),
                MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_channel_read(b, 0, &c, NULL, 1, 0, NULL, NULL));
  EXPECT_EQ(c, 'x');
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_read, bad_buffers_invalid_args) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_channel_write(a, 0, "12345678", 8, NULL, 0));
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_channel_read(b, 0, (void*)ct_bad_ptrs[i].addr, NULL, 8, 0, NULL, NULL),
                  MICA_ERR_INVALID_ARGS);
  }
  for (size_t i = 0; i < CT_READONLY_PTR_COUNT; i++) {
    ct_set_context(ct_readonly_ptrs[i].name);
    EXPECT_STATUS(mica_channel_read(b, 0, (void*)ct_readonly_ptrs[i].addr, NULL, 8, 0, NULL, NULL),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_STATUS(mica_channel_read(b, 0, (void*)ct_last_bytes_of_image(7), NULL, 8, 0, NULL, NULL),
                MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_read, bad_handle_buffer_invalid_args) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ct_bad_ptr_t cases[CT_BAD_PTR_COUNT + CT_READONLY_PTR_COUNT];
  memcpy(cases, ct_bad_ptrs, sizeof(ct_bad_ptrs));
  memcpy(cases + CT_BAD_PTR_COUNT, ct_readonly_ptrs, sizeof(ct_readonly_ptrs));
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    ct_set_context(cases[i].name);
    // A fresh message each time: whether a failed read keeps it is not
    // specified.
    mica_handle_t ev = ct_event();
    ASSERT_NE(ev, MICA_HANDLE_INVALID);
    ASSERT_OK(mica_channel_write(a, 0, NULL, 0, &ev, 1));
    EXPECT_STATUS(mica_channel_read(b, 0, NULL, (mica_handle_t*)cases[i].addr, 0, 1, NULL, NULL),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// With a message that does not fit, the sizes are outputs the call must
// write: an unwritable pointer for them is refused.
TEST(channel_read, bad_actual_pointers_invalid_args) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_channel_write(a, 0, "12345678", 8, NULL, 0));
  uint32_t ok = 0;
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    if (ct_bad_ptrs[i].addr == 0) {
      continue;  // NULL: not written
    }
    ct_set_context(ct_bad_ptrs[i].name);
    uint32_t* bad = (uint32_t*)ct_bad_ptrs[i].addr;
    EXPECT_STATUS(mica_channel_read(b, 0, NULL, NULL, 0, 0, bad, &ok), MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_channel_read(b, 0, NULL, NULL, 0, 0, &ok, bad), MICA_ERR_INVALID_ARGS);
  }
  for (size_t i = 0; i < CT_READONLY_PTR_COUNT; i++) {
    ct_set_context(ct_readonly_ptrs[i].name);
    uint32_t* ro = (uint32_t*)ct_readonly_ptrs[i].addr;
    EXPECT_STATUS(mica_channel_read(b, 0, NULL, NULL, 0, 0, ro, &ok), MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_channel_read(b, 0, NULL, NULL, 0, 0, &ok, ro), MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_read, access_denied_without_read_right) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t wo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_replace(b, MICA_DEFAULT_CHANNEL_RIGHTS & ~MICA_RIGHT_READ, &wo));
  ASSERT_OK(mica_channel_write(a, 0, "x", 1, NULL, 0));
  char c;
  EXPECT_STATUS(mica_channel_read(wo, 0, &c, NULL, 1, 0, NULL, NULL), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(wo));
}

TEST(channel_read, wrong_type) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  char c;
  EXPECT_STATUS(mica_channel_read(ev, 0, &c, NULL, 1, 0, NULL, NULL), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_channel_read(mica_rt_debuglog(), 0, &c, NULL, 1, 0, NULL, NULL),
                MICA_ERR_WRONG_TYPE);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(channel_read, bad_handle) {
  char c;
  EXPECT_STATUS(mica_channel_read(MICA_HANDLE_INVALID, 0, &c, NULL, 1, 0, NULL, NULL),
                MICA_ERR_BAD_HANDLE);
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_OK(mica_handle_close(b));
  EXPECT_STATUS(mica_channel_read(b, 0, &c, NULL, 1, 0, NULL, NULL), MICA_ERR_BAD_HANDLE);
  EXPECT_OK(mica_handle_close(a));
}

// ---- Peer closed -----------------------------------------------------------

// Messages queued before the peer closed can still be read; then the read
// reports PEER_CLOSED.
TEST(channel, peer_closed_read_drains_then_fails) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_channel_write(a, 0, "last", 4, NULL, 0));
  ASSERT_OK(mica_handle_close(a));
  EXPECT_EQ(ct_signals(b) & (MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED),
            MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED);
  char buf[8];
  uint32_t nb = 0;
  EXPECT_OK(mica_channel_read(b, 0, buf, NULL, sizeof(buf), 0, &nb, NULL));
  EXPECT_EQ(nb, 4);
  EXPECT_STATUS(mica_channel_read(b, 0, buf, NULL, sizeof(buf), 0, NULL, NULL),
                MICA_ERR_PEER_CLOSED);
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_READABLE, 0);
  EXPECT_OK(mica_handle_close(b));
}

// Both directions: whichever end closes, the other's writes fail.
TEST(channel, peer_closed_write_fails_both_directions) {
  for (int which = 0; which < 2; which++) {
    mica_handle_t ends[2];
    ct_channel(&ends[0], &ends[1]);
    ASSERT_NE(ends[0], MICA_HANDLE_INVALID);
    ASSERT_OK(mica_handle_close(ends[which]));
    mica_handle_t alive = ends[1 - which];
    EXPECT_STATUS(mica_channel_write(alive, 0, "x", 1, NULL, 0), MICA_ERR_PEER_CLOSED);
    EXPECT_STATUS(mica_channel_read(alive, 0, NULL, NULL, 0, 0, NULL, NULL), MICA_ERR_PEER_CLOSED);
    mica_signals_t seen = 0;
    EXPECT_OK(mica_object_wait_one(alive, MICA_CHANNEL_PEER_CLOSED, MICA_TIME_INFINITE, &seen));
    EXPECT_EQ(seen & MICA_CHANNEL_PEER_CLOSED, MICA_CHANNEL_PEER_CLOSED);
    EXPECT_OK(mica_handle_close(alive));
  }
}

// ---- Writing: bad arguments --------------------------------------------------

TEST(channel_write, options_invalid_args) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_channel_write(a, 1, "x", 1, NULL, 0), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_channel_write(a, 0x80000000u, "x", 1, NULL, 0), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_READABLE, 0);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_write, bad_bytes_invalid_args) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_channel_write(a, 0, (const void*)ct_bad_ptrs[i].addr, 8, NULL, 0),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  // The last 7 bytes of the image and one past it.
  EXPECT_STATUS(mica_channel_write(a, 0, (const void*)ct_last_bytes_of_image(7), 8, NULL, 0),
                MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_READABLE, 0);
  EXPECT_OK(mica_channel_write(a, 0, (const void*)ct_last_bytes_of_image(7), 7, NULL, 0));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// The first offset at or after `p` whose 4 bytes read as a user txid (bit
// 31 clear), so that the message is an ordinary one.
static const uint8_t* ordinary_start(uintptr_t p) {
  const uint8_t* b = (const uint8_t*)p;
  while (b[3] & 0x80) {
    b += 4;
  }
  return b;
}

// Any readable memory can be sent: read-only data, even code.
TEST(channel_write, from_read_only_memory) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  const uint8_t* sources[CT_READONLY_PTR_COUNT + 1];
  for (size_t i = 0; i < CT_READONLY_PTR_COUNT; i++) {
    sources[i] = ordinary_start(ct_readonly_ptrs[i].addr);
  }
  sources[CT_READONLY_PTR_COUNT] = ordinary_start((uintptr_t)&mica_channel_write);
  for (size_t i = 0; i <= CT_READONLY_PTR_COUNT; i++) {
    ct_set_context(i < CT_READONLY_PTR_COUNT ? ct_readonly_ptrs[i].name : "code");
    EXPECT_OK(mica_channel_write(a, 0, sources[i], 16, NULL, 0));
  }
  for (size_t i = 0; i <= CT_READONLY_PTR_COUNT; i++) {
    ct_set_context(i < CT_READONLY_PTR_COUNT ? ct_readonly_ptrs[i].name : "code");
    uint8_t buf[16];
    EXPECT_OK(mica_channel_read(b, 0, buf, NULL, sizeof(buf), 0, NULL, NULL));
    EXPECT_EQ(memcmp(buf, sources[i], 16), 0);
  }
  ct_set_context(NULL);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_write, access_denied_without_write_right) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t ro = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_replace(a, MICA_DEFAULT_CHANNEL_RIGHTS & ~MICA_RIGHT_WRITE, &ro));
  EXPECT_STATUS(mica_channel_write(ro, 0, "x", 1, NULL, 0), MICA_ERR_ACCESS_DENIED);
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_READABLE, 0);
  EXPECT_OK(mica_handle_close(ro));
  EXPECT_OK(mica_handle_close(b));
}

TEST(channel_write, wrong_type) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_channel_write(ev, 0, "x", 1, NULL, 0), MICA_ERR_WRONG_TYPE);
  mica_handle_t p, q;
  ct_eventpair(&p, &q);
  EXPECT_STATUS(mica_channel_write(p, 0, "x", 1, NULL, 0), MICA_ERR_WRONG_TYPE);
  EXPECT_OK(mica_handle_close(p));
  EXPECT_OK(mica_handle_close(q));
  EXPECT_OK(mica_handle_close(ev));
}

TEST(channel_write, bad_handle) {
  EXPECT_STATUS(mica_channel_write(MICA_HANDLE_INVALID, 0, "x", 1, NULL, 0), MICA_ERR_BAD_HANDLE);
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_OK(mica_handle_close(a));
  EXPECT_STATUS(mica_channel_write(a, 0, "x", 1, NULL, 0), MICA_ERR_BAD_HANDLE);
  EXPECT_OK(mica_handle_close(b));
}
