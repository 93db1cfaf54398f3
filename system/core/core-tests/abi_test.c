// The calling convention (docs/syscalls.md, "Calling convention"): syscall
// numbers, the 32-bit argument check, the result register and the
// registers a call preserves. Raw `svc` with crafted registers, since the
// C stubs never produce these inputs.
#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

// ---- Numbers ------------------------------------------------------------

TEST(abi, number_zero_is_bad_syscall) {
  EXPECT_STATUS(ct_syscall(0, 0), MICA_ERR_BAD_SYSCALL);
}

TEST(abi, number_past_last_is_bad_syscall) {
  EXPECT_STATUS(ct_syscall(MICA_SYS_COUNT, 0), MICA_ERR_BAD_SYSCALL);
  EXPECT_STATUS(ct_syscall(MICA_SYS_COUNT + 1, 0), MICA_ERR_BAD_SYSCALL);
  EXPECT_STATUS(ct_syscall(1000, 0), MICA_ERR_BAD_SYSCALL);
  EXPECT_STATUS(ct_syscall(0x7fffffff, 0), MICA_ERR_BAD_SYSCALL);
  EXPECT_STATUS(ct_syscall(0xffffffff, 0), MICA_ERR_BAD_SYSCALL);
}

// A number with any bit above bit 31 set is no syscall, even when its low
// half names one.
TEST(abi, number_high_bits_are_bad_syscall) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  EXPECT_STATUS(ct_syscall(CT_HIGH_BIT32 | MICA_SYS_HANDLE_CLOSE, ev), MICA_ERR_BAD_SYSCALL);
  EXPECT_STATUS(ct_syscall(CT_HIGH_BIT63 | MICA_SYS_HANDLE_CLOSE, ev), MICA_ERR_BAD_SYSCALL);
  EXPECT_STATUS(ct_syscall(UINT64_MAX, ev), MICA_ERR_BAD_SYSCALL);
  EXPECT_STATUS(ct_syscall(0xffffffff00000001ull, ev), MICA_ERR_BAD_SYSCALL);
  EXPECT_TRUE(ct_valid(ev));  // none of them closed it
  EXPECT_OK(mica_handle_close(ev));
}

// The status is the whole 64-bit x0: a negative value is sign-extended.
TEST(abi, result_is_sign_extended_64_bit) {
  int64_t r = ct_syscall(0, 0);
  EXPECT_EQ(r, -13);
  EXPECT_EQ((uint64_t)r, 0xfffffffffffffff3ull);
}

// Every number from 1 to the last is a syscall (dense numbering): none
// answers BAD_SYSCALL. Only calls that cannot block or exit are issued,
// with arguments that fail their checks at once (a 32-bit argument with a
// high bit, or a NULL output).
TEST(abi, every_number_up_to_last_exists) {
  for (uint64_t n = 1; n < MICA_SYS_COUNT; n++) {
    if (n == MICA_SYS_PROCESS_EXIT || n == MICA_SYS_THREAD_EXIT || n == MICA_SYS_NANOSLEEP ||
        n == MICA_SYS_OBJECT_WAIT_MANY || n == MICA_SYS_FUTEX_WAIT ||
        n == MICA_SYS_HANDLE_CLOSE_MANY || n == MICA_SYS_CLOCK_GET_MONOTONIC) {
      continue;  // these either block, end the program or take no 32-bit argument
    }
    int64_t r = ct_syscall(n, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX,
                           UINT64_MAX, UINT64_MAX, UINT64_MAX);
    if (r == MICA_ERR_BAD_SYSCALL) {
      ct_fail(__FILE_NAME__, __LINE__, "syscall %llu answered BAD_SYSCALL", (unsigned long long)n);
    }
  }
}

// ---- 32-bit arguments ----------------------------------------------------

// A handle argument with bit 32 (or 63) set is rejected before anything
// else: the low half names a live handle, which stays open.
TEST(abi, handle_close_high_bits_invalid_args) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  EXPECT_STATUS(ct_syscall(MICA_SYS_HANDLE_CLOSE, CT_HIGH_BIT32 | ev), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(ct_syscall(MICA_SYS_HANDLE_CLOSE, CT_HIGH_BIT63 | ev), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(ct_syscall(MICA_SYS_HANDLE_CLOSE, 0xffffffff00000000ull | ev),
                MICA_ERR_INVALID_ARGS);
  EXPECT_TRUE(ct_valid(ev));
  // The same value zero-extended works.
  EXPECT_OK(ct_syscall(MICA_SYS_HANDLE_CLOSE, (uint64_t)ev));
  EXPECT_FALSE(ct_valid(ev));
}

// The check comes first: MICA_HANDLE_INVALID with a high bit is not the
// accepted no-op close of MICA_HANDLE_INVALID.
TEST(abi, high_bits_checked_before_handle) {
  EXPECT_STATUS(ct_syscall(MICA_SYS_HANDLE_CLOSE, CT_HIGH_BIT32), MICA_ERR_INVALID_ARGS);
  EXPECT_OK(ct_syscall(MICA_SYS_HANDLE_CLOSE, 0));
  // A bad handle with a high bit: INVALID_ARGS, not BAD_HANDLE.
  EXPECT_STATUS(ct_syscall(MICA_SYS_HANDLE_CLOSE, CT_HIGH_BIT32 | 0x12345678u),
                MICA_ERR_INVALID_ARGS);
}

TEST(abi, channel_create_options_high_bits) {
  mica_handle_t a = 0x5a5a5a5a, b = 0x5a5a5a5a;
  EXPECT_STATUS(ct_syscall(MICA_SYS_CHANNEL_CREATE, CT_HIGH_BIT32, &a, &b), MICA_ERR_INVALID_ARGS);
  // Outputs are written only on success.
  EXPECT_EQ(a, 0x5a5a5a5a);
  EXPECT_EQ(b, 0x5a5a5a5a);
}

TEST(abi, event_create_options_high_bits) {
  mica_handle_t h = 0x5a5a5a5a;
  EXPECT_STATUS(ct_syscall(MICA_SYS_EVENT_CREATE, CT_HIGH_BIT63, &h), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(h, 0x5a5a5a5a);
}

TEST(abi, eventpair_create_options_high_bits) {
  mica_handle_t a = 0x5a5a5a5a, b = 0x5a5a5a5a;
  EXPECT_STATUS(ct_syscall(MICA_SYS_EVENTPAIR_CREATE, CT_HIGH_BIT32, &a, &b),
                MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(a, 0x5a5a5a5a);
  EXPECT_EQ(b, 0x5a5a5a5a);
}

TEST(abi, duplicate_high_bits_in_handle_or_rights) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t out = 0x5a5a5a5a;
  EXPECT_STATUS(
      ct_syscall(MICA_SYS_HANDLE_DUPLICATE, CT_HIGH_BIT32 | ev, MICA_RIGHT_SAME_RIGHTS, &out),
      MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(
      ct_syscall(MICA_SYS_HANDLE_DUPLICATE, ev, CT_HIGH_BIT32 | MICA_RIGHT_SAME_RIGHTS, &out),
      MICA_ERR_INVALID_ARGS);
  // Rights NONE with a high bit must not turn into a handle with no rights.
  EXPECT_STATUS(ct_syscall(MICA_SYS_HANDLE_DUPLICATE, ev, CT_HIGH_BIT63, &out),
                MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(out, 0x5a5a5a5a);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(abi, replace_high_bits_keep_handle) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t out = 0x5a5a5a5a;
  EXPECT_STATUS(
      ct_syscall(MICA_SYS_HANDLE_REPLACE, CT_HIGH_BIT32 | ev, MICA_RIGHT_SAME_RIGHTS, &out),
      MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(ct_syscall(MICA_SYS_HANDLE_REPLACE, ev, CT_HIGH_BIT32, &out),
                MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(out, 0x5a5a5a5a);
  EXPECT_TRUE(ct_valid(ev));  // a failed replace leaves the handle alone
  EXPECT_EQ(ct_basic(ev).rights, MICA_DEFAULT_EVENT_RIGHTS);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(abi, get_info_high_bits) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_info_handle_basic_t info;
  EXPECT_STATUS(ct_syscall(MICA_SYS_OBJECT_GET_INFO, CT_HIGH_BIT32 | ev, MICA_INFO_HANDLE_BASIC,
                           &info, sizeof(info), 0, 0),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(ct_syscall(MICA_SYS_OBJECT_GET_INFO, ev, CT_HIGH_BIT32 | MICA_INFO_HANDLE_BASIC,
                           &info, sizeof(info), 0, 0),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(
      ct_syscall(MICA_SYS_OBJECT_GET_INFO, ev, CT_HIGH_BIT63 | MICA_INFO_HANDLE_VALID, 0, 0, 0, 0),
      MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(abi, properties_high_bits) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  char name[MICA_MAX_NAME_LEN] = "abc";
  EXPECT_STATUS(
      ct_syscall(MICA_SYS_OBJECT_SET_PROPERTY, CT_HIGH_BIT32 | ev, MICA_PROP_NAME, name, 4),
      MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(
      ct_syscall(MICA_SYS_OBJECT_SET_PROPERTY, ev, CT_HIGH_BIT32 | MICA_PROP_NAME, name, 4),
      MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(ct_syscall(MICA_SYS_OBJECT_GET_PROPERTY, CT_HIGH_BIT32 | ev, MICA_PROP_NAME, name,
                           sizeof(name)),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(ct_syscall(MICA_SYS_OBJECT_GET_PROPERTY, ev, CT_HIGH_BIT63 | MICA_PROP_NAME, name,
                           sizeof(name)),
                MICA_ERR_INVALID_ARGS);
  // Nothing was set.
  EXPECT_OK(mica_object_get_property(ev, MICA_PROP_NAME, name, sizeof(name)));
  EXPECT_EQ(name[0], 0);
  EXPECT_OK(mica_handle_close(ev));
}

// object_signal and object_signal_peer: each of the three 32-bit arguments.
TEST(abi, signal_high_bits) {
  mica_handle_t a, b;
  ct_eventpair(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  for (int arg = 0; arg < 3; arg++) {
    uint64_t args[3] = {a, 0, MICA_SIGNAL_USER0};
    args[arg] |= CT_HIGH_BIT32;
    EXPECT_STATUS(ct_syscall(MICA_SYS_OBJECT_SIGNAL, args[0], args[1], args[2]),
                  MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(ct_syscall(MICA_SYS_OBJECT_SIGNAL_PEER, args[0], args[1], args[2]),
                  MICA_ERR_INVALID_ARGS);
  }
  EXPECT_EQ(ct_signals(a), 0);
  EXPECT_EQ(ct_signals(b), 0);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(abi, wait_one_high_bits) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  mica_signals_t seen = 0;
  EXPECT_STATUS(ct_syscall(MICA_SYS_OBJECT_WAIT_ONE, CT_HIGH_BIT32 | ev, MICA_EVENT_SIGNALED,
                           MICA_TIME_INFINITE_PAST, &seen),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(ct_syscall(MICA_SYS_OBJECT_WAIT_ONE, ev, CT_HIGH_BIT32 | MICA_EVENT_SIGNALED,
                           MICA_TIME_INFINITE_PAST, &seen),
                MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(seen, 0);
  EXPECT_OK(mica_handle_close(ev));
}

// channel_write: a bad upper half in any 32-bit argument fails before the
// kernel looks at the handles, so the handle being sent stays the
// caller's and nothing is queued.
TEST(abi, channel_write_high_bits_nothing_consumed) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  char byte = 7;
  for (int arg = 0; arg < 4; arg++) {
    // handle, options, num_bytes, num_handles
    uint64_t h = a, options = 0, num_bytes = 1, num_handles = 1;
    uint64_t* target[4] = {&h, &options, &num_bytes, &num_handles};
    *target[arg] |= CT_HIGH_BIT32;
    EXPECT_STATUS(
        ct_syscall(MICA_SYS_CHANNEL_WRITE, h, options, &byte, num_bytes, &ev, num_handles),
        MICA_ERR_INVALID_ARGS);
  }
  EXPECT_TRUE(ct_valid(ev));
  EXPECT_EQ(ct_signals(b) & MICA_CHANNEL_READABLE, 0);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(abi, channel_read_high_bits_message_stays) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  char byte = 42;
  ASSERT_OK(mica_channel_write(a, 0, &byte, 1, NULL, 0));
  char got = 0;
  for (int arg = 0; arg < 4; arg++) {
    // handle, options, num_bytes, num_handles
    uint64_t h = b, options = 0, num_bytes = 1, num_handles = 0;
    uint64_t* target[4] = {&h, &options, &num_bytes, &num_handles};
    *target[arg] |= CT_HIGH_BIT32;
    EXPECT_STATUS(
        ct_syscall(MICA_SYS_CHANNEL_READ, h, options, &got, 0, num_bytes, num_handles, 0, 0),
        MICA_ERR_INVALID_ARGS);
  }
  EXPECT_EQ(got, 0);
  uint32_t n = 0;
  EXPECT_OK(mica_channel_read(b, 0, &got, NULL, 1, 0, &n, NULL));
  EXPECT_EQ(got, 42);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(abi, debuglog_write_high_bits) {
  mica_handle_t log = mica_rt_debuglog();
  ASSERT_NE(log, MICA_HANDLE_INVALID);
  static const char text[] = "core-tests: (this record must not be written)";
  EXPECT_STATUS(ct_syscall(MICA_SYS_DEBUGLOG_WRITE, CT_HIGH_BIT32 | log, 0, text, sizeof(text) - 1),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(ct_syscall(MICA_SYS_DEBUGLOG_WRITE, log, CT_HIGH_BIT63, text, sizeof(text) - 1),
                MICA_ERR_INVALID_ARGS);
}

// Registers a call does not use are ignored.
TEST(abi, unused_argument_registers_ignored) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  EXPECT_OK(
      ct_syscall8(MICA_SYS_HANDLE_CLOSE, ev, UINT64_MAX, 0x1234, UINT64_MAX, 1, 2, 3, UINT64_MAX));
  EXPECT_FALSE(ct_valid(ev));
  mica_time_t now = 0;
  EXPECT_OK(ct_syscall8(MICA_SYS_CLOCK_GET_MONOTONIC, (uint64_t)&now, UINT64_MAX, UINT64_MAX,
                        UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX));
  EXPECT_GT(now, 0);
}

// ---- Preserved registers -------------------------------------------------

TEST(abi, registers_preserved_by_fast_call) {
  mica_time_t now = 0;
  int64_t result = 1;
  EXPECT_EQ(ct_svc_check_preserved(MICA_SYS_CLOCK_GET_MONOTONIC, (uint64_t)&now, 0, &result), 0);
  EXPECT_OK(result);
  EXPECT_GT(now, 0);
}

TEST(abi, registers_preserved_by_failing_call) {
  int64_t result = 0;
  EXPECT_EQ(ct_svc_check_preserved(MICA_SYS_HANDLE_CLOSE, 0x7777777u, 0, &result), 0);
  EXPECT_STATUS(result, MICA_ERR_BAD_HANDLE);
}

TEST(abi, registers_preserved_by_bad_syscall) {
  int64_t result = 0;
  EXPECT_EQ(ct_svc_check_preserved(0, 0, 0, &result), 0);
  EXPECT_STATUS(result, MICA_ERR_BAD_SYSCALL);
  EXPECT_EQ(ct_svc_check_preserved(UINT64_MAX, 0, 0, &result), 0);
  EXPECT_STATUS(result, MICA_ERR_BAD_SYSCALL);
}

// A call that blocks: the thread is switched out and back in.
TEST(abi, registers_preserved_across_blocking_call) {
  int64_t result = 1;
  mica_time_t deadline = ct_now() + 2000000;  // 2 ms
  EXPECT_EQ(ct_svc_check_preserved(MICA_SYS_NANOSLEEP, (uint64_t)deadline, 0, &result), 0);
  EXPECT_OK(result);
  EXPECT_GE(ct_now(), deadline);
}
