// Allocation fault injection, in the spirit of Linux's failslab and
// fail_page_alloc (docs/kernel.md "Allocation failure").
//
// The boot option `kernel.failalloc=random:<seed>:<percent>` (percent may
// have two decimals, e.g. 0.5) or `kernel.failalloc=every:<N>`, optionally
// followed by `,heap` or `,pages` (only that kind, as Linux's failslab and
// fail_page_alloc are separate), arms it. It then makes kmem's heap
// allocations (Malloc, MallocAligned, fast blocks) and page allocations
// (AllocPage, AllocContiguous) fail, but only:
//   - on a user thread that opted in (MICA_PROP_THREAD_FAIL_ALLOC, set by
//     the thread's own tests: the boot, userboot and every kernel thread are
//     never disturbed; like Linux's per-task make-it-fail),
//   - outside interrupt handlers and page-fault handling (a fault that
//     cannot get a page kills the faulting thread's process, which is not a
//     status a caller could see), so in effect only inside system calls.
// The decision sequence is global: the n-th candidate allocation fails when
// a hash of (seed, n) falls under the probability, or when n is a multiple
// of N.
//
// A system call in which a failure was injected must return
// MICA_ERR_NO_MEMORY: the syscall return path reports it to SyscallEnd,
// which counts what the call returned, and logs every call that returned
// something else (a failure absorbed by returning MICA_OK included), so
// tests can prove it (MICA_INFO_FAIL_ALLOC).
#pragma once

#include <stdint.h>

#include <mica/types.h>

struct ThreadBase;

namespace fail_alloc {

// Parses the boot option (an empty or absent `spec` leaves it off). Returns
// false, with `*why` set, for a malformed one.
bool Init(const char* spec, const char** why);
bool Enabled();

enum class Kind { kHeap, kPages };
// True if the allocation being made now is to fail (counted as injected).
bool ShouldFail(Kind kind);

// Opts the thread `t` in or out.
void SetForThread(ThreadBase* t, bool on);

// While one lives, no failure is injected on this thread (fault handling).
class Suppress {
 public:
  Suppress();
  ~Suppress();
  Suppress(const Suppress&) = delete;
  Suppress& operator=(const Suppress&) = delete;
};

// The syscall return path: the current thread's syscall `number` returned
// `status` after at least one injected failure.
void SyscallEnd(uint64_t number, int64_t status);

mica_info_fail_alloc_t Info();

}  // namespace fail_alloc
