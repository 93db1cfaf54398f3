// FP/SIMD registers are per thread (docs/kernel.md: switched lazily, loaded
// on a thread's first FP/SIMD instruction after a switch). Threads holding
// different values in their vector registers yield to each other across
// system calls and must each get their own values back.
#include <mica/rt/thread.h>
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

typedef struct {
  uint64_t seed;
  int bad_round;  // -1: every round kept its values
} fp_worker_t;

// Loads a pattern into v0, v7, v16 and v31 (both halves), yields with a raw
// nanosleep(0) (so no library code touches the registers), then reads them
// back.
static int fp_worker(void* arg) {
  fp_worker_t* w = arg;
  w->bad_round = -1;
  for (int round = 0; round < 300; round++) {
    uint64_t a = w->seed * 0x9e3779b97f4a7c15ull + (uint64_t)round;
    uint64_t b = ~a;
    uint64_t r0, r1, r2, r3, r4, r5, r6, r7;
    __asm__ volatile(
        "fmov d0, %[a]\n"
        "mov v0.d[1], %[b]\n"
        "fmov d7, %[b]\n"
        "mov v7.d[1], %[a]\n"
        "fmov d16, %[a]\n"
        "mov v16.d[1], %[a]\n"
        "fmov d31, %[b]\n"
        "mov v31.d[1], %[b]\n"
        "mov x0, #0\n"
        "mov x8, %[nr]\n"
        "svc #0\n"
        "fmov %[r0], d0\n"
        "mov %[r1], v0.d[1]\n"
        "fmov %[r2], d7\n"
        "mov %[r3], v7.d[1]\n"
        "fmov %[r4], d16\n"
        "mov %[r5], v16.d[1]\n"
        "fmov %[r6], d31\n"
        "mov %[r7], v31.d[1]\n"
        : [r0] "=&r"(r0), [r1] "=&r"(r1), [r2] "=&r"(r2), [r3] "=&r"(r3), [r4] "=&r"(r4),
          [r5] "=&r"(r5), [r6] "=&r"(r6), [r7] "=&r"(r7)
        : [a] "r"(a), [b] "r"(b), [nr] "i"(MICA_SYS_NANOSLEEP)
        : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x16", "x17", "v0", "v7", "v16",
          "v31", "memory");
    if (r0 != a || r1 != b || r2 != b || r3 != a || r4 != a || r5 != a || r6 != b || r7 != b) {
      w->bad_round = round;
      return 0;
    }
  }
  return 0;
}

TEST(fp, registers_are_per_thread_across_switches) {
  enum { kThreads = 3 };
  fp_worker_t w[kThreads];
  mica_rt_thread_t* t[kThreads];
  for (int i = 0; i < kThreads; i++) {
    w[i].seed = (uint64_t)i + 1;
    w[i].bad_round = -2;
    ASSERT_OK(mica_rt_thread_create(&t[i], fp_worker, &w[i], "core-tests-fp", 0));
  }
  // This thread takes part too, with its own values.
  fp_worker_t mine = {.seed = 77};
  fp_worker(&mine);
  EXPECT_EQ(mine.bad_round, -1);
  for (int i = 0; i < kThreads; i++) {
    EXPECT_OK(mica_rt_thread_join(t[i], NULL));
    EXPECT_EQ(w[i].bad_round, -1);
  }
}
