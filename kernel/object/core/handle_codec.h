// HandleCodec: turns (slot index, generation) into a 32-bit handle value and
// back, through a per-table secret permutation.
//
// raw   = generation << index_bits | index                 (a 32-bit word)
// value = Mix(raw)                                         (a keyed bijection)
//
// Mix is a composition of invertible steps on 32-bit words (XOR with a key,
// multiplication by an odd key, xorshift by 16), with four keys derived from
// the table's 64-bit seed by splitmix64. Because Mix is a bijection, two
// different (index, generation) pairs never share a value, and decoding is
// exact: Unmix applies the inverse steps in reverse order (multiplication by
// the inverse of the odd key modulo 2^32). Both directions are a handful of
// integer operations, so lookups stay O(1).
//
// The permutation is not a cryptographic cipher: it hides the slot layout
// and makes values differ between tables (processes) and between boots; it
// does not resist an attacker who collects many values and solves for the
// keys. Safety does not depend on secrecy: a value only ever resolves in the
// table that issued it while its generation is current.
//
// Exactly one raw word maps to the value 0 (MICA_HANDLE_INVALID); the table
// never issues the (index, generation) pair behind it (see IsZero()).
#pragma once

#include <stdint.h>

namespace mica::core {

class HandleCodec {
 public:
  static constexpr uint32_t kMaxIndexBits = 24;  // leaves >= 8 generation bits

  // `index_bits` in [0, kMaxIndexBits].
  HandleCodec(uint64_t seed, uint32_t index_bits);

  uint32_t index_bits() const { return index_bits_; }
  uint32_t generation_bits() const { return 32 - index_bits_; }
  // Generations live in [0, generation_mask()].
  uint32_t generation_mask() const { return generation_mask_; }

  // `index` < 2^index_bits, `generation` <= generation_mask().
  uint32_t Encode(uint32_t index, uint32_t generation) const;
  // Inline: every handle lookup decodes.
  void Decode(uint32_t value, uint32_t* index, uint32_t* generation) const {
    uint32_t raw = Unmix(value);
    *index = raw & index_mask_;
    // index_bits_ <= 24, so the shift is always < 32.
    *generation = raw >> index_bits_;
  }
  // True if Encode(index, generation) == 0.
  bool IsZero(uint32_t index, uint32_t generation) const { return Encode(index, generation) == 0; }

 private:
  uint32_t Mix(uint32_t x) const;
  // x ^= x >> 16 is its own inverse on 32-bit words: the high half is
  // unchanged and the low half is XORed with it again.
  uint32_t Unmix(uint32_t x) const {
    x ^= xor_out_;
    x ^= x >> 16;
    x *= mul2_inverse_;
    x ^= x >> 16;
    x *= mul1_inverse_;
    return x ^ xor_in_;
  }

  uint32_t index_bits_;
  uint32_t index_mask_;
  uint32_t generation_mask_;
  uint32_t xor_in_;
  uint32_t mul1_;  // odd
  uint32_t mul1_inverse_;
  uint32_t mul2_;  // odd
  uint32_t mul2_inverse_;
  uint32_t xor_out_;
};

}  // namespace mica::core
