// The kernel log: lines with a timestamp (seconds since boot, from the
// generic counter) kept in a ring buffer and written to the console. Lines
// logged before the console exists are replayed when it comes up.
//
// Console hand-over (debuglog_create with MICA_LOG_FLAG_CONSOLE): a console
// driver takes the UART over. The kernel first writes out what it has not,
// then only fills its rings; the driver prints the records it reads. Each
// record remembers where its line starts in the byte ring (records and
// lines are added together, under the log lock, so their orders agree), so
// when the console comes back (LogReturnConsole) the kernel resumes with
// the line of the first record the driver had not read. A panic takes the
// console back the same way, without waiting for locks.
//
// Lock order: the log lock -> the record lock.
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/types.h>

#include "kernel/dev/uart.h"
#include "kernel/lib/status.h"

void LogSetConsole(const dev::Uart& uart);
const dev::Uart& LogConsole();
void KLog(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void KLogV(const char* fmt, va_list ap);
// As KLog, with the record (pid, tid 0, data) in place of the line's own
// (debuglog_write: the record holds the text, the line names the writer).
void KLogRecord(uint64_t pid, const char* data, size_t len, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));
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
// Copies the oldest record numbered `*cursor` or later still in the ring
// and moves `*cursor` past it; false if there is none.
bool LogReadRecord(uint64_t* cursor, mica_log_record_t* out);
// As LogReadRecord, but out's data is the record's console line: the bytes
// the kernel wrote (or, with the console taken, would have written) to the
// UART for it, timestamp, writer and newline included, cut to `cap` bytes.
// If the byte ring no longer holds the line, the record's text and a
// newline. Returns the data size through *len.
bool LogReadLine(uint64_t* cursor, mica_log_record_t* header, char* line, size_t cap, size_t* len);
// The longest console line LogLine writes (its buffer).
constexpr size_t kLogLineMax = 512;
// The number the next record will get.
uint64_t LogNextRecord();

// Console hand-over. LogTakeConsole: writes out everything logged so far,
// then stops writing the UART for `owner` (a koid); *first_record is the
// first record not printed. kAlreadyBound if another owner has it.
mica::Status LogTakeConsole(uint64_t owner, uint64_t* first_record);
// The owner has read every record before `next` (its read position);
// `prints`: it reads console lines (LogReadLine) to print them.
void LogConsoleOwnerRead(uint64_t owner, uint64_t next, bool prints = false);
// Gives the console back if `owner` has it (0: whoever has it): the kernel
// prints from the owner's read position on and writes as before. An owner
// that printed the lines it read may have died in the middle of its last
// one: the kernel then starts a new line and prints that one again, so no
// line is lost or cut (at most one shows twice).
void LogReturnConsole(uint64_t owner);
// Waits (bounded) until the UART has sent everything written to it.
void LogDrainConsole();
// MICA_SYSTEM_INFO_CONSOLE.
mica_system_info_console_t LogConsoleInfo();

// Nanoseconds since the counter started (CNTVCT_EL0 / CNTFRQ_EL0).
uint64_t CurrentTimeNs();
