// The pure half of the logging API (host-tested): building a log.Sink
// Entry from the caller's arguments, and the debug log fallback line.
#pragma once

#include <idl/log.h>
#include <mica/log/log.h>
#include <stdarg.h>

namespace mica_log_internal {

// Fills *e (time, pid and tid left to the caller): the severity clamped to
// TRACE..FATAL, tag and message (formatted) cut to their limits at a UTF-8
// boundary with bad bytes made '?', at most MAX_PAIRS pairs (NULL keys or
// values become ""). Returns the clamped severity.
int BuildEntry(idl::log::Entry* e, int severity, const char* tag, const mica_log_kv_t* pairs,
               size_t pair_count, const char* fmt, va_list args);

// `[tag] SEV: message k=v ...` (no tag: `SEV: message ...`), cut to cap - 1
// bytes and NUL-terminated; returns its length.
size_t FormatFallback(const idl::log::Entry& e, char* out, size_t cap);

}  // namespace mica_log_internal
