#include "kernel/object/core/handle_codec.h"

#include "kernel/lib/assert.h"

namespace mica::core {
namespace {

// splitmix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number
// generators", OOPSLA 2014): spreads one seed over several key words, so
// that nearby seeds still give unrelated keys.
uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The inverse of an odd number modulo 2^32 by Newton's iteration: if
// a*x == 1 mod 2^k then a*x*(2 - a*x) == 1 mod 2^2k. x = a is correct to 3
// bits (a*a == 1 mod 8 for odd a), so four steps reach 48 >= 32 bits.
uint32_t InverseOdd(uint32_t a) {
  uint32_t x = a;
  for (int i = 0; i < 4; ++i) {
    x *= 2u - a * x;
  }
  return x;
}

}  // namespace

HandleCodec::HandleCodec(uint64_t seed, uint32_t index_bits) : index_bits_(index_bits) {
  MICA_ASSERT(index_bits <= kMaxIndexBits);
  index_mask_ = (1u << index_bits) - 1;
  generation_mask_ = 0xffffffffu >> index_bits;
  uint64_t state = seed;
  uint64_t a = SplitMix64(&state);
  uint64_t b = SplitMix64(&state);
  xor_in_ = static_cast<uint32_t>(a);
  xor_out_ = static_cast<uint32_t>(a >> 32);
  mul1_ = static_cast<uint32_t>(b) | 1u;
  mul2_ = static_cast<uint32_t>(b >> 32) | 1u;
  mul1_inverse_ = InverseOdd(mul1_);
  mul2_inverse_ = InverseOdd(mul2_);
  MICA_DEBUG_ASSERT(mul1_ * mul1_inverse_ == 1u && mul2_ * mul2_inverse_ == 1u);
}

// x ^= x >> 16 is its own inverse on 32-bit words: the high half is
// unchanged and the low half is XORed with it again.
uint32_t HandleCodec::Mix(uint32_t x) const {
  x ^= xor_in_;
  x *= mul1_;
  x ^= x >> 16;
  x *= mul2_;
  x ^= x >> 16;
  return x ^ xor_out_;
}

uint32_t HandleCodec::Encode(uint32_t index, uint32_t generation) const {
  MICA_DEBUG_ASSERT((index & ~index_mask_) == 0 && (generation & ~generation_mask_) == 0);
  // index_bits_ <= 24, so the shift is always < 32 (and 0 bits of index
  // leave the whole word to the generation).
  return Mix((generation << index_bits_) | index);
}

}  // namespace mica::core
