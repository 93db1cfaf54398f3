// The shell's formatting of times: pure, host-tested (format_test.cc).
//
// - FormatUtc writes seconds since the Unix epoch (UTC, proleptic
//   Gregorian, no leap seconds) as "YYYY-MM-DD HH:MM:SS UTC"; negative
//   times (before 1970) too, down to year 0000 (earlier: "?").
// - FormatUptime writes nanoseconds as "<d>d <h>h <m>m <s>.<ms>s", leaving
//   out leading zero units (e.g. "3.042s", "1h 0m 5.000s").
// Both NUL-terminate within `size` (cut to fit) and return `out`.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace shell {

char* FormatUtc(int64_t seconds, char* out, size_t size);
char* FormatUptime(uint64_t ns, char* out, size_t size);

}  // namespace shell
