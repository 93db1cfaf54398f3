// The driver manager's switches (docs/drivers.md, "Test boots"): words of
// the form `drivers.<name>=<value>`, read from its argv (userboot.arg=
// words) and from /chosen/bootargs, argv last so it wins. Pure and
// freestanding; host-tested (test/options_test.cc).
//   drivers.test=<set>      the test manifest set to use instead of the
//                           system's (the test sets: isolation,
//                           faults, fail, topology)
//   drivers.run-ms=<ms>     stop after this long: list the node tree, kill
//                           every driver, exit 0 (tests; default: forever)
//   drivers.then=<path>     a program to start once the drivers are bound,
//                           with a channel to the manager's inspection and
//                           service protocol (e.g. bin/drivers)
//   drivers.then-arg=<word> one argument for that program
//   drivers.kill=<ms>:<path> after <ms>, task_kill the process of the
//                           driver bound to <path>, as an outsider would
//                           (tests)
//   drivers.kill-times=<n>  repeat that kill n times, <ms> apart (default 1)
//   drivers.bind-console=0  leave the UART /chosen/stdout-path names to
//                           the kernel (by default its driver is bound and
//                           takes the console over, docs/drivers.md "The
//                           console"); =1 is the default
//   drivers.inject=<driver>:<fault>  the first start of every node bound to
//                           <driver> gets the argument `inject=<fault>` (a
//                           driver's fault-injection hook, docs/drivers.md)
// Other words are ignored; a malformed value is reported by Parse.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace driver_manager {

struct Options {
  char test_set[32] = {};
  uint64_t run_ms = 0;  // 0: forever
  char then[104] = {};
  char then_arg[64] = {};
  uint64_t kill_ms = 0;
  char kill_path[128] = {};  // "" if no kill is asked for
  uint64_t kill_times = 1;
  bool bind_console = true;
  char inject_driver[65] = {};  // "" if no fault is to be injected
  char inject_fault[32] = {};
};

// Applies the words of `text` (separated by spaces, tabs or newlines) to
// *out. Returns nullptr, or a static phrase naming the bad word's switch.
const char* ParseWords(const char* text, Options* out);

}  // namespace driver_manager
