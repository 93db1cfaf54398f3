// userboot's reading of the kernel command line (docs/kernel.md, "Starting
// programs"). Pure and freestanding (only <stddef.h>/<stdint.h>), so the
// host tests check it without a kernel.
//
// The command line is a list of words separated by spaces, tabs or
// newlines (no quoting, as the kernel's own parser). userboot looks at:
//   userboot.next=<path>   the bootfs file to start (the first one counts);
//                          kDefaultNext when absent
//   userboot.arg=<word>    one more argument for it (repeatable, in order;
//                          argv[0] is the path)
// and ignores every other word.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace userboot {

// What userboot starts when the command line names nothing: the driver
// manager (docs/drivers.md), which runs until the machine stops.
inline constexpr const char kDefaultNext[] = "bin/component-manager";
// The most `userboot.arg=` words.
inline constexpr size_t kMaxArgs = 32;
// The longest path (a bootfs name: docs/bootfs.md).
inline constexpr size_t kMaxPath = 103;

struct Options {
  // The program and its arguments; they point into the parser's storage
  // (or at kDefaultNext).
  const char* next = kDefaultNext;
  bool next_given = false;
  const char* args[kMaxArgs] = {};
  size_t arg_count = 0;
};

// Parses `cmdline` into `out`, copying the words it keeps into
// storage[0, storage_size) (which must hold the command line and its NUL).
// Returns nullptr on success, else a static phrase saying what is wrong
// ("userboot.next= is empty" ...), leaving *out unspecified.
const char* ParseCommandLine(const char* cmdline, char* storage, size_t storage_size, Options* out);

}  // namespace userboot
