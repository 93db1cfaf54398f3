// Bitmap: a fixed-size array of bits over caller-provided 64-bit words
// (e.g. ASIDs, CPU masks, slot allocation). FixedBitmap<N> carries its own
// storage. Bit i lives in word i / 64, bit i % 64. Indices out of range
// assert (MICA_DEBUG_ASSERT); not thread-safe (the owner's lock protects it).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/assert.h"

namespace mica {

class Bitmap {
 public:
  static constexpr size_t kBitsPerWord = 64;
  // Returned by the Find functions when nothing is found.
  static constexpr size_t kNotFound = static_cast<size_t>(-1);

  static constexpr size_t WordsFor(size_t bits) { return (bits + kBitsPerWord - 1) / kBitsPerWord; }

  constexpr Bitmap() = default;
  // `words` must hold WordsFor(bits) words; the bitmap does not clear them.
  constexpr Bitmap(uint64_t* words, size_t bits) : words_(words), bits_(bits) {}

  size_t size() const { return bits_; }
  uint64_t* words() const { return words_; }

  bool Get(size_t i) const {
    MICA_DEBUG_ASSERT(i < bits_);
    return (words_[i / kBitsPerWord] >> (i % kBitsPerWord)) & 1;
  }
  void Set(size_t i) {
    MICA_DEBUG_ASSERT(i < bits_);
    words_[i / kBitsPerWord] |= uint64_t{1} << (i % kBitsPerWord);
  }
  void Clear(size_t i) {
    MICA_DEBUG_ASSERT(i < bits_);
    words_[i / kBitsPerWord] &= ~(uint64_t{1} << (i % kBitsPerWord));
  }
  // Sets / clears bits [start, start + count).
  void SetRange(size_t start, size_t count);
  void ClearRange(size_t start, size_t count);
  void ClearAll();
  void SetAll();

  // The first set / clear bit at index >= start, or kNotFound.
  size_t FindFirstSet(size_t start = 0) const;
  size_t FindFirstClear(size_t start = 0) const;
  // The lowest index >= start, a multiple of `align` (a power of two), where
  // `count` consecutive bits are clear; kNotFound if none.
  size_t FindClearRun(size_t count, size_t align = 1, size_t start = 0) const;
  // The number of set bits.
  size_t CountSet() const;
  // True if every bit in [start, start + count) is set / clear.
  bool AllSet(size_t start, size_t count) const;
  bool AllClear(size_t start, size_t count) const;

 private:
  // Scans for the first bit equal to `value` at index >= start.
  size_t FindFirst(size_t start, bool value) const;

  uint64_t* words_ = nullptr;
  size_t bits_ = 0;
};

template <size_t N>
class FixedBitmap : public Bitmap {
 public:
  FixedBitmap() : Bitmap(storage_, N) {}
  FixedBitmap(const FixedBitmap&) = delete;
  FixedBitmap& operator=(const FixedBitmap&) = delete;

 private:
  uint64_t storage_[WordsFor(N)] = {};
};

}  // namespace mica
