// The virtual counter CNTVCT_EL0 is readable from user mode (the kernel sets
// CNTKCTL_EL1.EL0VCTEN; docs/kernel.md, "User mode"): bin/bench counts
// instructions with it (docs/performance.md).
#include <mica/syscalls.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

static uint64_t read_cntvct(void) {
  uint64_t v;
  __asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(v)::"memory");
  return v;
}

TEST(counter, user_reads_never_go_back) {
  uint64_t prev = read_cntvct();
  for (int i = 0; i < 1000; i++) {
    mica_time_t t;
    ASSERT_OK(mica_clock_get_monotonic(&t));  // a trip through the kernel between reads
    uint64_t now = read_cntvct();
    if (now < prev) {
      ct_fail(__FILE_NAME__, __LINE__, "CNTVCT_EL0 went back from %llu to %llu",
              (unsigned long long)prev, (unsigned long long)now);
      break;
    }
    prev = now;
  }
}

TEST(counter, advances_with_the_monotonic_clock) {
  mica_system_info_basic_t info = {0};
  ASSERT_OK(mica_system_get_info(MICA_SYSTEM_INFO_BASIC, &info, sizeof(info)));
  ASSERT_GT(info.ticks_per_second, 0);
  uint64_t before = read_cntvct();
  mica_time_t now = 0;
  ASSERT_OK(mica_clock_get_monotonic(&now));
  ASSERT_OK(mica_nanosleep(now + 2000000));  // 2 ms
  uint64_t after = read_cntvct();
  // At least 2 ms of ticks passed (QEMU may be slow, never early).
  EXPECT_GE(after - before, info.ticks_per_second / 500);
}
