// The shell's argument parsing: pure, host-tested (args_test.cc).
//
// - Split cuts a line into words at blanks (spaces and tabs), in place
//   (NUL-terminating each word), at most `max` words; returns the count, or
//   max + 1 when there were more (the caller reports "too many arguments").
// - ParseU64 takes a decimal number (no sign, no blanks, no overflow).
// - ParseDuration takes "<n>" or "<n>ms" (milliseconds) or "<n>s"
//   (seconds) and gives nanoseconds; at most kMaxSleepNs.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace shell {

constexpr uint64_t kMaxSleepNs = 3600ull * 1'000'000'000ull;  // an hour

size_t Split(char* line, char** words, size_t max);
bool ParseU64(const char* s, uint64_t* out);
bool ParseDuration(const char* s, uint64_t* ns);

}  // namespace shell
