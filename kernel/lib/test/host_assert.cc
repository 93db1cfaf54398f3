// mica_assert_fail() for host tests: report and abort, so that a failed
// MICA_ASSERT kills the test (or satisfies an EXPECT_DEATH).
#include <stdio.h>
#include <stdlib.h>

#include "kernel/lib/assert.h"

extern "C" void mica_assert_fail(const char* file, int line, const char* expr) {
  fprintf(stderr, "ASSERT FAILED at %s:%d: %s\n", file, line, expr);
  fflush(stderr);
  abort();
}
