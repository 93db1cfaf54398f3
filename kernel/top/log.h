// The kernel log: lines with a timestamp (seconds since boot, from the
// generic counter) kept in a ring buffer and written to the console. Lines
// logged before the console exists are replayed when it comes up.
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/dev/uart.h"

void LogSetConsole(const dev::Uart& uart);
const dev::Uart& LogConsole();
void KLog(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void KLogV(const char* fmt, va_list ap);
// Unformatted, untimestamped output (still recorded in the ring).
void KPuts(const char* s);
// Panic mode: output no longer waits for the log lock for long, so a CPU
// that panics while another holds it still gets its report out.
void LogEnterPanicMode();
// Copies the most recent `size` bytes of the log ring into `out`; returns the
// number of bytes copied.
size_t LogSnapshot(char* out, size_t size);

// Nanoseconds since the counter started (CNTVCT_EL0 / CNTFRQ_EL0).
uint64_t CurrentTimeNs();
