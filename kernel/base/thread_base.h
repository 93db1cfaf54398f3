// The part of a thread that the base room's services keep per thread: the
// memory account its allocations are charged to (memory.h), its allocation
// fault-injection state (fail_alloc.h) and the word the syscall return path
// reads (vectors.S). sched::Thread derives from it (through sched::QueueLink,
// each the only base of the next), so the scheduler's thread and this are at
// the same address, and PerCpu::current points at it: kernel/base reaches the current thread's state without knowing the
// scheduler (includes run downwards only; docs/kernel.md "Layout").
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/arch/arm64/include_asm.h"

namespace mica {
class MemAccount;
}

struct ThreadBase {
  // `interrupted`, `fail_alloc_hit` and `copy_fault_no_memory` share one
  // 4-byte aligned word (with a spare byte): the syscall return path
  // (vectors.S) reads them with one load.
  bool interrupted = false;  // killed: blocking calls return kCanceled
  // Allocation fault injection (fail_alloc.h): a failure was injected since
  // the syscall began.
  bool fail_alloc_hit = false;
  // A user copy in this syscall faulted on a page there was no memory (or
  // no room under its job's limit) for: the syscall's MICA_ERR_INVALID_ARGS
  // becomes MICA_ERR_NO_MEMORY on the way out (arm64_syscall_return_work).
  bool copy_fault_no_memory = false;
  bool syscall_word_spare = false;
  // Allocation fault injection: the thread opted in; while nonzero, nothing
  // is injected.
  bool fail_alloc_on = false;
  uint16_t fail_alloc_suppressed = 0;
  // What its allocations are charged to (memory.h): its job's account, or
  // nullptr (kernel threads, unaccounted jobs).
  mica::MemAccount* mem_account = nullptr;
};

static_assert(offsetof(ThreadBase, interrupted) == THREAD_INTERRUPTED);
static_assert(offsetof(ThreadBase, fail_alloc_hit) == THREAD_FAIL_ALLOC_HIT);
static_assert(offsetof(ThreadBase, copy_fault_no_memory) == THREAD_COPY_FAULT_NO_MEMORY);
// One 4-byte load reads them all (vectors.S), with the spare byte.
static_assert(THREAD_FAIL_ALLOC_HIT == THREAD_INTERRUPTED + 1 &&
                  THREAD_COPY_FAULT_NO_MEMORY == THREAD_INTERRUPTED + 2 &&
                  offsetof(ThreadBase, syscall_word_spare) == THREAD_INTERRUPTED + 3 &&
                  THREAD_INTERRUPTED % 4 == 0,
              "the syscall-return word");
static_assert(sizeof(ThreadBase::interrupted) == 1 && sizeof(ThreadBase::fail_alloc_hit) == 1 &&
              sizeof(ThreadBase::copy_fault_no_memory) == 1);
