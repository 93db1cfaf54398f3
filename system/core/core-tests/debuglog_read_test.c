// debuglog_create with MICA_LOG_FLAG_READABLE and debuglog_read
// (docs/syscalls.md, "Debug log").
#include <mica/rt/runtime.h>
#include <stdio.h>
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define MS ((mica_time_t)1000000)
#define HEADER_SIZE (sizeof(mica_log_record_t) - MICA_LOG_MAX_DATA)

static mica_handle_t readable_log(void) {
  mica_handle_t log = MICA_HANDLE_INVALID;
  mica_status_t s = mica_debuglog_create(mica_rt_root_resource(), MICA_LOG_FLAG_READABLE, &log);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_debuglog_create", s);
    return MICA_HANDLE_INVALID;
  }
  return log;
}

// Reads records until one carries `text`; false if the log runs dry first.
static bool find_record(mica_handle_t log, const char* text, mica_log_record_t* out) {
  for (int i = 0; i < 100000; i++) {
    size_t actual = 0;
    mica_status_t s = mica_debuglog_read(log, 0, out, sizeof(*out), &actual);
    if (s != MICA_OK) {
      return false;
    }
    if (actual != HEADER_SIZE + out->data_size) {
      return false;
    }
    if (out->data_size == strlen(text) && memcmp(out->data, text, out->data_size) == 0) {
      return true;
    }
  }
  return false;
}

TEST(debuglog_read, readable_needs_the_root_resource_with_inspect) {
  mica_handle_t log = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_debuglog_create(MICA_HANDLE_INVALID, MICA_LOG_FLAG_READABLE, &log),
                MICA_ERR_ACCESS_DENIED);
  mica_handle_t irq = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_resource_create(mica_rt_root_resource(), MICA_RSRC_KIND_IRQ, 40, 1, "i", 1, &irq));
  EXPECT_STATUS(mica_debuglog_create(irq, MICA_LOG_FLAG_READABLE, &log), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(irq));
  // The root resource without INSPECT (everything else it has) does not
  // read the kernel's log; INSPECT alone does.
  mica_handle_t blind = MICA_HANDLE_INVALID;
  mica_rights_t all = ct_basic(mica_rt_root_resource()).rights;
  ASSERT_OK(mica_handle_duplicate(mica_rt_root_resource(), all & ~MICA_RIGHT_INSPECT, &blind));
  EXPECT_STATUS(mica_debuglog_create(blind, MICA_LOG_FLAG_READABLE, &log), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(blind));
  mica_handle_t inspect = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_duplicate(mica_rt_root_resource(), MICA_RIGHT_INSPECT, &inspect));
  ASSERT_OK(mica_debuglog_create(inspect, MICA_LOG_FLAG_READABLE, &log));
  EXPECT_OK(mica_handle_close(log));
  EXPECT_OK(mica_handle_close(inspect));
  ASSERT_OK(mica_debuglog_create(mica_rt_root_resource(), MICA_LOG_FLAG_READABLE, &log));
  EXPECT_EQ(ct_basic(log).rights, MICA_DEFAULT_DEBUGLOG_RIGHTS);
  EXPECT_OK(mica_handle_close(log));
  // Without the flag, even the root resource gives a write-only handle.
  ASSERT_OK(mica_debuglog_create(mica_rt_root_resource(), 0, &log));
  EXPECT_EQ(ct_basic(log).rights, MICA_DEFAULT_DEBUGLOG_RIGHTS & ~MICA_RIGHT_READ);
  EXPECT_OK(mica_handle_close(log));
}

TEST(debuglog_read, reads_what_was_written) {
  mica_handle_t reader = readable_log();
  ASSERT_NE(reader, MICA_HANDLE_INVALID);
  mica_handle_t writer = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_debuglog_create(MICA_HANDLE_INVALID, 0, &writer));
  char text[64];
  snprintf(text, sizeof(text), "debuglog_read marker %lld", (long long)ct_now());
  mica_time_t before = ct_now();
  ASSERT_OK(mica_debuglog_write(writer, 0, text, strlen(text)));
  mica_log_record_t rec;
  ASSERT_TRUE(find_record(reader, text, &rec));
  mica_info_handle_basic_t self = ct_basic(mica_rt_process_self());
  EXPECT_EQ(rec.pid, self.koid);
  EXPECT_GE(rec.timestamp, before);
  EXPECT_EQ(rec.flags, 0);
  // A second reader starts at the oldest record and finds it too.
  mica_handle_t other = readable_log();
  mica_log_record_t rec2;
  ASSERT_TRUE(find_record(other, text, &rec2));
  EXPECT_EQ(rec2.sequence, rec.sequence);
  EXPECT_OK(mica_handle_close(other));
  EXPECT_OK(mica_handle_close(writer));
  EXPECT_OK(mica_handle_close(reader));
}

TEST(debuglog_read, sequence_numbers_increase_and_the_end_is_should_wait) {
  mica_handle_t log = readable_log();
  ASSERT_NE(log, MICA_HANDLE_INVALID);
  mica_log_record_t rec;
  uint64_t last = 0;
  bool first = true, ordered = true;
  mica_status_t s = MICA_OK;
  for (int i = 0; i < 100000 && s == MICA_OK; i++) {
    s = mica_debuglog_read(log, 0, &rec, sizeof(rec), NULL);  // actual is optional
    if (s == MICA_OK) {
      ordered = ordered && (first || rec.sequence > last);
      first = false;
      last = rec.sequence;
    }
  }
  EXPECT_FALSE(first);
  EXPECT_TRUE(ordered);
  EXPECT_STATUS(s, MICA_ERR_SHOULD_WAIT);
  // A write makes it readable again, with the next number.
  ASSERT_OK(mica_debuglog_write(log, 0, "after the end", 13));
  mica_signals_t seen = 0;
  EXPECT_OK(mica_object_wait_one(log, MICA_SIGNAL_READABLE, ct_now() + 2000 * MS, &seen));
  ASSERT_TRUE(find_record(log, "after the end", &rec));
  EXPECT_GT(rec.sequence, last);
  EXPECT_OK(mica_handle_close(log));
}

TEST(debuglog_read, argument_errors) {
  mica_handle_t log = readable_log();
  ASSERT_NE(log, MICA_HANDLE_INVALID);
  mica_log_record_t rec;
  size_t actual;
  // Every bit but MICA_LOG_READ_LINE is undefined.
  EXPECT_STATUS(mica_debuglog_read(log, 2, &rec, sizeof(rec), &actual), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_debuglog_read(log, ~MICA_LOG_READ_LINE, &rec, sizeof(rec), &actual),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_debuglog_read(log, 0, &rec, sizeof(rec) - 1, &actual),
                MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_STATUS(mica_debuglog_read(log, MICA_LOG_READ_LINE, &rec, sizeof(rec) - 1, &actual),
                MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_STATUS(mica_debuglog_read(log, 0, &rec, 0, &actual), MICA_ERR_BUFFER_TOO_SMALL);
  for (int i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_debuglog_read(log, 0, (void*)ct_bad_ptrs[i].addr, sizeof(rec), &actual),
                  MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_debuglog_read(log, MICA_LOG_READ_LINE, (void*)ct_bad_ptrs[i].addr,
                                     sizeof(rec), &actual),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_OK(mica_handle_close(log));
}

TEST(debuglog_read, handle_errors) {
  mica_log_record_t rec;
  mica_handle_t wo = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_debuglog_create(MICA_HANDLE_INVALID, 0, &wo));
  EXPECT_STATUS(mica_debuglog_read(wo, 0, &rec, sizeof(rec), NULL), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_debuglog_read(MICA_HANDLE_INVALID, 0, &rec, sizeof(rec), NULL),
                MICA_ERR_BAD_HANDLE);
  mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_debuglog_read(ev, 0, &rec, sizeof(rec), NULL), MICA_ERR_WRONG_TYPE);
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(wo));
}

TEST(debuglog_read, a_new_reader_is_readable_and_lines_are_records) {
  mica_handle_t log = readable_log();
  ASSERT_NE(log, MICA_HANDLE_INVALID);
  // The ring is never empty by now: the kernel logged its boot.
  EXPECT_EQ(ct_signals(log) & MICA_SIGNAL_READABLE, MICA_SIGNAL_READABLE);
  char text[80];
  snprintf(text, sizeof(text), "first line %lld\nsecond line", (long long)ct_now());
  ASSERT_OK(mica_debuglog_write(log, 0, text, strlen(text)));
  char* newline = strchr(text, '\n');
  *newline = '\0';
  mica_log_record_t rec;
  ASSERT_TRUE(find_record(log, text, &rec));
  uint64_t first = rec.sequence;
  size_t actual = 0;
  ASSERT_OK(mica_debuglog_read(log, 0, &rec, sizeof(rec), &actual));
  EXPECT_EQ(rec.sequence, first + 1);
  EXPECT_EQ(rec.data_size, strlen("second line"));
  EXPECT_EQ(memcmp(rec.data, "second line", rec.data_size), 0);
  EXPECT_EQ(actual, HEADER_SIZE + rec.data_size);
  EXPECT_OK(mica_handle_close(log));
}

TEST(debuglog_read, overwritten_records_show_as_a_gap) {
  mica_handle_t log = readable_log();
  ASSERT_NE(log, MICA_HANDLE_INVALID);
  mica_log_record_t rec;
  ASSERT_OK(mica_debuglog_read(log, 0, &rec, sizeof(rec), NULL));
  uint64_t seen = rec.sequence;
  // More records than the ring holds (256): this reader's next ones are gone.
  for (int i = 0; i < 300; i++) {
    ASSERT_OK(mica_debuglog_write(log, 0, "ring filler", 11));
  }
  ASSERT_OK(mica_debuglog_read(log, 0, &rec, sizeof(rec), NULL));
  EXPECT_GT(rec.sequence, seen + 1);
  EXPECT_OK(mica_handle_close(log));
}

// A read whose buffer the kernel cannot write fails and loses nothing: the
// same record is the next one read.
TEST(debuglog_read, a_failed_read_keeps_the_record) {
  mica_handle_t reader = readable_log();
  ASSERT_NE(reader, MICA_HANDLE_INVALID);
  mica_handle_t writer = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_debuglog_create(MICA_HANDLE_INVALID, 0, &writer));
  char text[64];
  snprintf(text, sizeof(text), "debuglog_read keep %lld", (long long)ct_now());
  ASSERT_OK(mica_debuglog_write(writer, 0, text, strlen(text)));
  mica_log_record_t rec;
  ASSERT_TRUE(find_record(reader, text, &rec));  // the reader is now just past it
  snprintf(text, sizeof(text), "debuglog_read keep2 %lld", (long long)ct_now());
  ASSERT_OK(mica_debuglog_write(writer, 0, text, strlen(text)));
  // Reads into memory the kernel cannot write.
  for (int i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_debuglog_read(reader, 0, (void*)ct_bad_ptrs[i].addr, sizeof(rec), NULL),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  // An unwritable `actual` (the zero page) fails the same way.
  EXPECT_STATUS(mica_debuglog_read(reader, 0, &rec, sizeof(rec), (size_t*)8),
                MICA_ERR_INVALID_ARGS);
  // Nothing was lost: the next good read still finds the second line.
  ASSERT_TRUE(find_record(reader, text, &rec));
  EXPECT_OK(mica_handle_close(writer));
  EXPECT_OK(mica_handle_close(reader));
}
