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

// Takes an output redirection out of the words of a line (argv[0] the
// command): a word ">" or ">>" and the file's word after it, or one word
// ">file" / ">>file" (">" truncates, ">>" appends). The words after it
// move up (*argc shrinks). Returns nullptr and *target (the file, or null
// if there is no redirection) and *append; or what is wrong ("> needs a
// file", "one redirection at a time"), argv then unchanged.
const char* TakeRedirect(size_t* argc, char** argv, const char** target, bool* append);
bool ParseDuration(const char* s, uint64_t* ns);

// `log`'s arguments (argv without the command's name):
//   -f                  follow (the records stored now, then new ones)
//   --severity <s>      at least <s>: trace debug info warn error fatal
//   --moniker <m>       that component (or a prefix ending at a '/')
//   --tag <t>           exactly that tag
// (each also as --name=value). Returns nullptr, or what is wrong; the
// strings point into argv.
struct LogArgs {
  bool follow = false;
  uint8_t min_severity = 0;  // 0: any; else log.Severity (1 TRACE .. 6 FATAL)
  const char* moniker = "";
  const char* tag = "";
};
const char* ParseLogArgs(int argc, char** argv, LogArgs* out);
// The severity's name ("trace".."fatal"): 1..6, else 0.
uint8_t ParseSeverity(const char* s);

}  // namespace shell
