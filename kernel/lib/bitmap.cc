#include "kernel/lib/bitmap.h"

namespace mica {
namespace {

// Mask of bits [lo, hi) of a word, 0 <= lo < hi <= 64.
inline uint64_t Mask(size_t lo, size_t hi) {
  uint64_t upper = hi == 64 ? ~uint64_t{0} : (uint64_t{1} << hi) - 1;
  return upper & ~((uint64_t{1} << lo) - 1);
}

}  // namespace

void Bitmap::SetRange(size_t start, size_t count) {
  MICA_DEBUG_ASSERT(start <= bits_ && count <= bits_ - start);
  size_t end = start + count;
  while (start < end) {
    size_t word = start / kBitsPerWord;
    size_t lo = start % kBitsPerWord;
    size_t hi = end - word * kBitsPerWord < kBitsPerWord ? end - word * kBitsPerWord : kBitsPerWord;
    words_[word] |= Mask(lo, hi);
    start = word * kBitsPerWord + hi;
  }
}

void Bitmap::ClearRange(size_t start, size_t count) {
  MICA_DEBUG_ASSERT(start <= bits_ && count <= bits_ - start);
  size_t end = start + count;
  while (start < end) {
    size_t word = start / kBitsPerWord;
    size_t lo = start % kBitsPerWord;
    size_t hi = end - word * kBitsPerWord < kBitsPerWord ? end - word * kBitsPerWord : kBitsPerWord;
    words_[word] &= ~Mask(lo, hi);
    start = word * kBitsPerWord + hi;
  }
}

void Bitmap::ClearAll() {
  for (size_t i = 0; i < WordsFor(bits_); i++) {
    words_[i] = 0;
  }
}

void Bitmap::SetAll() {
  ClearAll();
  SetRange(0, bits_);
}

size_t Bitmap::FindFirst(size_t start, bool value) const {
  if (start >= bits_) {
    return kNotFound;
  }
  size_t word = start / kBitsPerWord;
  // Bits below `start` in the first word are masked off.
  uint64_t w =
      (value ? words_[word] : ~words_[word]) & ~((uint64_t{1} << (start % kBitsPerWord)) - 1);
  const size_t nwords = WordsFor(bits_);
  while (true) {
    if (w != 0) {
      size_t bit = word * kBitsPerWord + static_cast<size_t>(__builtin_ctzll(w));
      return bit < bits_ ? bit : kNotFound;
    }
    if (++word == nwords) {
      return kNotFound;
    }
    w = value ? words_[word] : ~words_[word];
  }
}

size_t Bitmap::FindFirstSet(size_t start) const {
  return FindFirst(start, true);
}
size_t Bitmap::FindFirstClear(size_t start) const {
  return FindFirst(start, false);
}

size_t Bitmap::FindClearRun(size_t count, size_t align, size_t start) const {
  MICA_DEBUG_ASSERT(align != 0 && (align & (align - 1)) == 0);
  if (count == 0 || count > bits_) {
    return kNotFound;
  }
  size_t candidate = (start + align - 1) & ~(align - 1);
  while (candidate < bits_ && count <= bits_ - candidate) {
    // The first set bit inside the candidate run, if any, tells where the
    // next candidate can start.
    size_t set = FindFirstSet(candidate);
    if (set == kNotFound || set >= candidate + count) {
      return candidate;
    }
    candidate = (set + 1 + align - 1) & ~(align - 1);
  }
  return kNotFound;
}

size_t Bitmap::CountSet() const {
  size_t n = 0;
  const size_t nwords = WordsFor(bits_);
  for (size_t i = 0; i < nwords; i++) {
    uint64_t w = words_[i];
    if (i == nwords - 1 && bits_ % kBitsPerWord != 0) {
      w &= Mask(0, bits_ % kBitsPerWord);
    }
    n += static_cast<size_t>(__builtin_popcountll(w));
  }
  return n;
}

bool Bitmap::AllSet(size_t start, size_t count) const {
  MICA_DEBUG_ASSERT(start <= bits_ && count <= bits_ - start);
  size_t clear = FindFirstClear(start);
  return clear == kNotFound || clear >= start + count;
}

bool Bitmap::AllClear(size_t start, size_t count) const {
  MICA_DEBUG_ASSERT(start <= bits_ && count <= bits_ - start);
  size_t set = FindFirstSet(start);
  return set == kNotFound || set >= start + count;
}

}  // namespace mica
