// The console hand-over (debuglog_create with MICA_LOG_FLAG_CONSOLE,
// system_get_info MICA_SYSTEM_INFO_CONSOLE; docs/syscalls.md,
// docs/kernel.md "Console hand-over"): who may take it, that the kernel
// stops writing the UART while it is taken, that the console log starts at
// the first record the kernel did not print, and that closing it gives the
// console back. The line this test reads is lost from the serial log by
// design (a driver would print it); the harness's power/ console case shows
// what reaches the UART.
#include <mica/rt/runtime.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define PAGE ((uint64_t)MICA_PAGE_SIZE)
#define CONSOLE (MICA_LOG_FLAG_READABLE | MICA_LOG_FLAG_CONSOLE)

static mica_system_info_console_t console_info(void) {
  mica_system_info_console_t info;
  memset(&info, 0xa5, sizeof(info));
  mica_status_t s = mica_system_get_info(MICA_SYSTEM_INFO_CONSOLE, &info, sizeof(info));
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_system_get_info", s);
  }
  return info;
}

static mica_handle_t make(uint32_t kind, uint64_t base, uint64_t size) {
  mica_handle_t out = MICA_HANDLE_INVALID;
  mica_status_t s =
      mica_resource_create(mica_rt_root_resource(), kind, base, size, "console", 7, &out);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_resource_create", s);
  }
  return out;
}

static bool record_has(const mica_log_record_t* r, const char* what) {
  size_t n = strlen(what);
  for (size_t i = 0; i + n <= r->data_size && r->data_size <= MICA_LOG_MAX_DATA; i++) {
    if (memcmp(r->data + i, what, n) == 0) {
      return true;
    }
  }
  return false;
}

TEST(console, info_topic) {
  mica_system_info_console_t info = console_info();
  EXPECT_EQ(info.owner, 0u);  // nobody else takes it during core-tests
  EXPECT_GT(info.kernel_bytes, 0u);
  EXPECT_EQ(info.reserved, 0u);
  char small[sizeof(mica_system_info_console_t) - 1];
  EXPECT_STATUS(mica_system_get_info(MICA_SYSTEM_INFO_CONSOLE, small, sizeof(small)),
                MICA_ERR_BUFFER_TOO_SMALL);
  // The topic after the last one (MICA_SYSTEM_INFO_FEATURES) is unknown.
  EXPECT_STATUS(mica_system_get_info(MICA_SYSTEM_INFO_FEATURES + 1, &info, sizeof(info)),
                MICA_ERR_INVALID_ARGS);
}

TEST(console, who_may_take_it) {
  CT_AUTO_CLOSE mica_handle_t power = make(MICA_RSRC_KIND_SYSTEM, MICA_RSRC_SYSTEM_POWER, 1);
  CT_AUTO_CLOSE mica_handle_t mmio = make(MICA_RSRC_KIND_MMIO, 0x09000000, PAGE);
  CT_AUTO_CLOSE mica_handle_t irq = make(MICA_RSRC_KIND_IRQ, 33, 1);
  CT_AUTO_CLOSE mica_handle_t cons = make(MICA_RSRC_KIND_SYSTEM, MICA_RSRC_SYSTEM_CONSOLE, 1);
  ASSERT_NE(cons, MICA_HANDLE_INVALID);
  mica_handle_t out = MICA_HANDLE_INVALID;
  const mica_handle_t denied[] = {MICA_HANDLE_INVALID, power, mmio, irq};
  for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
    EXPECT_STATUS(mica_debuglog_create(denied[i], CONSOLE, &out), MICA_ERR_ACCESS_DENIED);
  }
  // CONSOLE without READABLE, and undefined bits.
  EXPECT_STATUS(mica_debuglog_create(cons, MICA_LOG_FLAG_CONSOLE, &out), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_debuglog_create(cons, CONSOLE | (1u << 2), &out), MICA_ERR_INVALID_ARGS);
  // The console capability alone does not read the log without taking it.
  EXPECT_STATUS(mica_debuglog_create(cons, MICA_LOG_FLAG_READABLE, &out), MICA_ERR_ACCESS_DENIED);
  EXPECT_EQ(console_info().owner, 0u);
}

TEST(console, take_read_and_give_back) {
  CT_AUTO_CLOSE mica_handle_t cons = make(MICA_RSRC_KIND_SYSTEM, MICA_RSRC_SYSTEM_CONSOLE, 1);
  ASSERT_NE(cons, MICA_HANDLE_INVALID);
  mica_system_info_console_t before = console_info();
  CT_AUTO_CLOSE mica_handle_t log = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_debuglog_create(cons, CONSOLE, &log));
  mica_info_handle_basic_t b = ct_basic(log);
  EXPECT_EQ(b.type, MICA_OBJ_TYPE_DEBUGLOG);
  EXPECT_EQ(b.rights, MICA_DEFAULT_DEBUGLOG_RIGHTS);
  mica_system_info_console_t taken = console_info();
  EXPECT_EQ(taken.owner, b.koid);
  EXPECT_EQ(taken.handovers, before.handovers + 1);
  // Only one console log at a time, whatever the resource.
  mica_handle_t second = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_debuglog_create(mica_rt_root_resource(), CONSOLE, &second),
                MICA_ERR_ALREADY_BOUND);
  // The kernel writes nothing to the UART now: the line goes to the rings.
  printf("core-tests: console test line, read by the console log\n");
  EXPECT_EQ(console_info().kernel_bytes, taken.kernel_bytes);
  // The console log's first record is that line (nothing the kernel had
  // printed before the hand-over is read again).
  static mica_log_record_t rec;
  size_t actual = 0;
  EXPECT_TRUE((ct_signals(log) & MICA_SIGNAL_READABLE) != 0);
  ASSERT_OK(mica_debuglog_read(log, 0, &rec, sizeof(rec), &actual));
  EXPECT_TRUE(record_has(&rec, "console test line, read by"));
  EXPECT_EQ(mica_debuglog_read(log, 0, &rec, sizeof(rec), &actual), MICA_ERR_SHOULD_WAIT);
  // A line the log does not read is printed by the kernel once it is back.
  printf("core-tests: console test line, printed by the kernel after the hand-back\n");
  EXPECT_EQ(console_info().kernel_bytes, taken.kernel_bytes);
  EXPECT_OK(mica_handle_close(log));
  mica_system_info_console_t back = console_info();
  EXPECT_EQ(back.owner, 0u);
  EXPECT_GT(back.kernel_bytes, taken.kernel_bytes + 60);
  // And it can be taken again (by the root resource, too).
  ASSERT_OK(mica_debuglog_create(mica_rt_root_resource(), CONSOLE, &second));
  EXPECT_EQ(console_info().owner, ct_basic(second).koid);
  EXPECT_OK(mica_handle_close(second));
  EXPECT_EQ(console_info().owner, 0u);
}

TEST(console, kernel_lines_wake_the_console_log) {
  // A kernel line (a process killed by a fault: `process ... killed: ...`)
  // is logged where no signal can be raised; the console log still becomes
  // READABLE (the notifier looks every 10 ms) and reads it.
  CT_AUTO_CLOSE mica_handle_t log = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_debuglog_create(mica_rt_root_resource(), CONSOLE, &log));
  static mica_log_record_t rec;
  size_t actual = 0;
  while (mica_debuglog_read(log, 0, &rec, sizeof(rec), &actual) == MICA_OK) {
  }
  CT_AUTO_KILL mica_handle_t proc = MICA_HANDLE_INVALID;
  CT_AUTO_CLOSE mica_handle_t vmar = MICA_HANDLE_INVALID;
  CT_AUTO_CLOSE mica_handle_t thread = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_process_create(mica_rt_job_default(), "console-fault", 13, 0, &proc, &vmar));
  ASSERT_OK(mica_thread_create(proc, "t", 1, 0, &thread));
  // Entry at an address nothing is mapped at: an instruction abort at once.
  ASSERT_OK(mica_process_start(proc, thread, 0x10000, 0x20000, MICA_HANDLE_INVALID, 0));
  mica_signals_t got = 0;
  EXPECT_OK(mica_object_wait_one(proc, MICA_SIGNAL_TERMINATED, ct_now() + 5000 * 1000000ll, &got));
  bool found = false;
  mica_time_t deadline = ct_now() + 2000 * 1000000ll;
  while (!found && ct_now() < deadline) {
    if (mica_object_wait_one(log, MICA_SIGNAL_READABLE, deadline, &got) != MICA_OK) {
      break;
    }
    while (mica_debuglog_read(log, 0, &rec, sizeof(rec), &actual) == MICA_OK) {
      found = found || (rec.pid == 0 && record_has(&rec, "console-fault"));
    }
  }
  EXPECT_TRUE(found);
  EXPECT_OK(mica_handle_close(log));
  EXPECT_EQ(console_info().owner, 0u);
}

TEST(console, read_line_gives_the_kernels_console_line) {
  // MICA_LOG_READ_LINE: the record's data is its console line, as the
  // kernel writes it to the UART (what a console driver prints).
  CT_AUTO_CLOSE mica_handle_t log = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_debuglog_create(mica_rt_root_resource(), CONSOLE, &log));
  static struct {
    mica_log_record_t rec;
    char more[512];
  } big;
  size_t actual = 0;
  while (mica_debuglog_read(log, MICA_LOG_READ_LINE, &big, sizeof(big), &actual) == MICA_OK) {
  }
  printf("core-tests: a console line read whole\n");
  ASSERT_OK(mica_debuglog_read(log, MICA_LOG_READ_LINE, &big, sizeof(big), &actual));
  const size_t header = sizeof(mica_log_record_t) - MICA_LOG_MAX_DATA;
  EXPECT_EQ(actual, header + big.rec.data_size);
  ASSERT_GT(big.rec.data_size, 20u);
  const char* d = big.rec.data;
  EXPECT_EQ(d[0], '[');
  EXPECT_EQ(d[big.rec.data_size - 1], '\n');
  EXPECT_TRUE(record_has(&big.rec, "] core-tests("));
  EXPECT_TRUE(record_has(&big.rec, "): core-tests: a console line read whole\n"));
  mica_info_handle_basic_t self = ct_basic(mica_rt_process_self());
  EXPECT_EQ(big.rec.pid, self.koid);
  // A buffer of one record: the line is cut to it, never overrun.
  printf("core-tests: %0200d\n", 7);
  static mica_log_record_t small;
  ASSERT_OK(mica_debuglog_read(log, MICA_LOG_READ_LINE, &small, sizeof(small), &actual));
  EXPECT_EQ(small.data_size, MICA_LOG_MAX_DATA);
  EXPECT_EQ(actual, sizeof(small));
  // Undefined option bits.
  EXPECT_STATUS(mica_debuglog_read(log, 2, &small, sizeof(small), &actual), MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_handle_close(log));
}

TEST(console, a_line_reader_gets_its_last_line_printed_again) {
  // A console log that read console lines may have died in the middle of
  // printing the last one: giving the console back, the kernel writes a
  // newline and that line again.
  CT_AUTO_CLOSE mica_handle_t log = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_debuglog_create(mica_rt_root_resource(), CONSOLE, &log));
  static struct {
    mica_log_record_t rec;
    char more[512];
  } big;
  size_t actual = 0;
  printf("core-tests: this line is printed again by the kernel\n");
  while (mica_debuglog_read(log, MICA_LOG_READ_LINE, &big, sizeof(big), &actual) == MICA_OK) {
  }
  mica_system_info_console_t taken = console_info();
  EXPECT_OK(mica_handle_close(log));
  mica_system_info_console_t back = console_info();
  EXPECT_EQ(back.owner, 0u);
  // The newline (CR LF) and the line (with CR LF) at least.
  EXPECT_GE(back.kernel_bytes, taken.kernel_bytes + 2 + 50);
}
