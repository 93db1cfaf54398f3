#include "test/bench/lib/common.h"

#include <mica/driver/status_name.h>
#include <mica/syscalls.h>
#include <stdio.h>

namespace bench {
namespace {

// Instructions counted around a loop of n iterations; the same code runs
// for every n, so two lengths differ by exactly their loops.
__attribute__((noinline)) uint64_t Interval(uint64_t n) {
  uint64_t a = 0, b = 0;
  Instructions(&a);
  Spin(n);
  Instructions(&b);
  return b - a;
}

}  // namespace

__attribute__((noinline)) void Spin(uint64_t n) {
  __asm__ volatile(
      "1: subs %0, %0, #1\n"
      "   b.ne 1b\n"
      : "+r"(n)::"cc");
}

bool Instructions(uint64_t* out) {
  mica_system_info_instructions_t info = {};
  mica_status_t s = mica_system_get_info(MICA_SYSTEM_INFO_INSTRUCTIONS, &info, sizeof(info));
  if (s != MICA_OK) {
    printf("bench: error system_get_info(MICA_SYSTEM_INFO_INSTRUCTIONS): %s\n",
           mica::driver::StatusName(s));
    return false;
  }
  *out = info.retired;
  return true;
}

bool Calibrate() {
  uint64_t probe = 0;
  if (!Instructions(&probe)) {
    return false;
  }
  uint64_t short_loop = UINT64_MAX, long_loop = UINT64_MAX;
  for (int i = 0; i < 9; i++) {
    uint64_t s = Interval(1000), l = Interval(11000);
    short_loop = s < short_loop ? s : short_loop;
    long_loop = l < long_loop ? l : long_loop;
  }
  const uint64_t diff = long_loop - short_loop;
  printf("bench: calibration counter=pmu-inst-retired loop_of_20000_instructions=%llu\n",
         static_cast<unsigned long long>(diff));
  if (diff != 20000) {
    printf("bench: error calibration: the counter saw %llu instructions for 20000\n",
           static_cast<unsigned long long>(diff));
    return false;
  }
  return true;
}

uint64_t Median(uint64_t* v, uint32_t n) {
  for (uint32_t i = 1; i < n; i++) {
    for (uint32_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
      uint64_t t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  }
  return v[n / 2];
}

uint64_t NextSlot(uint64_t* state, uint64_t slots) {
  *state = *state * 6364136223846793005ull + 1442695040888963407ull;
  return (*state >> 33) % slots;
}

}  // namespace bench
