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
//   drivers.inject=<target>:<fault>[,<fault>...]  the fault campaign
//                           (docs/drivers.md, "Fault injection"): <target>
//                           is a driver name (every node bound to it) or a
//                           node path (starts with '/'); start i of a target
//                           node (0 the first) gets fault i of the list:
//                           crash, exit, hang go to the driver as the
//                           argument `inject=<fault>` (the runtime's hook);
//                           `kill` is a task_kill by the manager
//                           inject-kill-ms (1.5 s) after the start;
//                           `stall` is both (`inject=stall`, then
//                           the kill, which lands while the held request is
//                           in flight; the node's children started during
//                           that start get `inject=stall` too, so a bus
//                           driver is killed while its child holds a
//                           request); `none` is no fault
//   drivers.inject-kill-ms=<ms>  when that kill lands after the start
//                           (default 1500; e.g. later for a client that
//                           sends its request late)
//   drivers.inject-every=1  starts after the list get its last fault too (a
//                           driver that fails on every start)
//   drivers.kmem-ms=<ms>    print the kernel's free memory (once its
//                           reaper and collector are idle and it is
//                           steady) <ms> after each start of an inject or
//                           kill target, and between each of its ends and
//                           the restart (the campaign's memory check)
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
  char inject_fault[32] = {};   // the comma-separated list
  bool inject_every = false;
  uint64_t inject_kill_ms = 1500;  // the manager's kill for `kill` and `stall`
  uint64_t kmem_ms = 0;            // 0: no readings
};

// The fault word for start `start` (0 the first) of a node that is an
// inject target, copied into out (cap bytes): false if that start gets no
// fault ("none", past the list without inject-every, or no list).
bool FaultForStart(const Options& opts, uint32_t start, char* out, size_t cap);

// Whether drivers.inject= names this node (by path) or its driver.
bool IsInjectTarget(const Options& opts, const char* path, const char* driver);

// Applies the words of `text` (separated by spaces, tabs or newlines) to
// *out. Returns nullptr, or a static phrase naming the bad word's switch.
const char* ParseWords(const char* text, Options* out);

}  // namespace driver_manager
