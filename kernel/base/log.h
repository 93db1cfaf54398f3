// The kernel log: lines with a timestamp (seconds since boot, from the
// generic counter) kept in a ring buffer and written to the console. Lines
// logged before the console exists are replayed when it comes up.
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/types.h>

#include "kernel/dev/uart.h"

void LogSetConsole(const dev::Uart& uart);
const dev::Uart& LogConsole();
void KLog(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void KLogV(const char* fmt, va_list ap);
// As KLog, without adding a debug log record (the caller adds its own).
void KLogNoRecord(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Unformatted, untimestamped output (still recorded in the ring).
void KPuts(const char* s);
// Panic mode: output no longer waits for the log lock for long, so a CPU
// that panics while another holds it still gets its report out.
void LogEnterPanicMode();
// Copies the most recent `size` bytes of the log ring into `out`; returns the
// number of bytes copied.
size_t LogSnapshot(char* out, size_t size);

// The debug log's record ring (debuglog_read): every KLog line (pid 0) and
// every debuglog_write record. Records are numbered from 0; the ring keeps
// the most recent kLogRecords.
constexpr size_t kLogRecords = 256;
void LogAddRecord(uint64_t pid, uint64_t tid, const char* data, size_t len);
// Copies the oldest record numbered `*cursor` or later still in the ring
// and moves `*cursor` past it; false if there is none.
bool LogReadRecord(uint64_t* cursor, mica_log_record_t* out);
// The number the next record will get.
uint64_t LogNextRecord();

// Nanoseconds since the counter started (CNTVCT_EL0 / CNTFRQ_EL0).
uint64_t CurrentTimeNs();
