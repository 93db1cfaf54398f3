// What bin/bench, bin/blockbench and bin/fsbench share: the instruction counter
// (docs/performance.md, "The counter: retired instructions, idle
// excluded"): system_get_info MICA_SYSTEM_INFO_INSTRUCTIONS, everything the
// machine executed (every process and the kernel, idle excluded), checked
// against a loop of known length; and what they share with their Linux
// counterpart (test/bench/linux_block.c): the median, the pseudo-random
// slots and the disk images' byte pattern.
#pragma once

#include <stdint.h>

namespace bench {

// The machine's retired instructions so far; false (and a `bench: error`
// line) if the counter is missing.
bool Instructions(uint64_t* out);

// Loops of 1,000 and 11,000 iterations (2 instructions each) must count
// 20,000 apart; the smallest of 9 tries of each (a timer interrupt may land
// in one). Prints `bench: calibration ...`; false (and a `bench: error`
// line) unless exact.
bool Calibrate();

// `subs; b.ne`: exactly 2 * n instructions after the `mov`.
void Spin(uint64_t n);

// The median of v[0..n), sorted in place.
uint64_t Median(uint64_t* v, uint32_t n);

// The pseudo-random sequence linux_block.c uses too (a 64-bit LCG, Knuth's
// MMIX constants): a slot in [0, slots) per call.
uint64_t NextSlot(uint64_t* state, uint64_t slots);

// Byte i of the pattern bench.py writes (the block disk; the fs disk's
// 4 MiB file): i * 7 + (i >> 9).
inline uint8_t ImageByte(uint64_t i) {
  return static_cast<uint8_t>(i * 7 + (i >> 9));
}

}  // namespace bench
