// Futexes: threads of one process block on a 32-bit word of their memory.
// Waiters are kept in a fixed hash of buckets keyed by (process, address);
// the bucket lock makes "read the word, then sleep" atomic with respect to
// wakes, as the ABI promises.
#pragma once

#include <mica/types.h>
#include <stdint.h>

#include "kernel/arch/arm64/user_ptr.h"
#include "kernel/lib/status.h"

class Process;

namespace futex {

// futex_wait: kBadState if the word does not hold `expected`, kTimedOut.
mica::Status Wait(Process* process, user_in_ptr<const mica_futex_t> word, int32_t expected,
                  uint64_t deadline);
// futex_wake: wakes up to `count` waiters, oldest first; returns how many.
uint32_t Wake(Process* process, uint64_t addr, uint32_t count);
// futex_requeue: wakes `wake_count` waiters of `word` and moves up to
// `requeue_count` others to `target`, if the word holds `expected`.
mica::Status Requeue(Process* process, user_in_ptr<const mica_futex_t> word, int32_t expected,
                     uint32_t wake_count, user_in_ptr<const mica_futex_t> target,
                     uint32_t requeue_count);
// A dying process's waiters are woken (they exit on their way out).
void WakeAll(Process* process);

}  // namespace futex
