// A counting Allocator for host tests: every allocation is tracked, so tests
// check that structures give back everything they took, and failures can be
// injected to exercise kNoMemory paths. One global instance (Allocator holds
// plain function pointers); thread safe.
#pragma once

#include <stddef.h>

#include "kernel/object/core/allocator.h"

namespace mica::core::test {

class TestHeap {
 public:
  static const Allocator* allocator();
  // Live allocations and their total requested size.
  static size_t live();
  static size_t live_bytes();
  static size_t total_allocs();
  // The next `n` allocations succeed, then every one fails until Reset or
  // FailAfter(-1) (unlimited).
  static void FailAfter(long n);
  // Asserts (in the gtest sense) nothing is live, and clears failure
  // injection. Call at the end of each test.
  static void ExpectNoLeaks();
};

}  // namespace mica::core::test
