// A small fixed-capacity set of disjoint, sorted physical address ranges,
// used to compute usable RAM (memory minus every reservation). Pure logic,
// host-tested (platform/ranges_test.cc).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace platform {

struct Range {
  uint64_t base = 0;
  uint64_t size = 0;
  uint64_t end() const { return base + size; }
};

class RangeSet {
 public:
  static constexpr size_t kCapacity = 64;

  // Adds [base, base+size), merging with overlapping or adjacent ranges.
  // Ranges that wrap past 2^64 are clipped. Returns false if the set is full
  // (the range is then not added).
  bool Add(uint64_t base, uint64_t size);
  // Removes [base, base+size) from every range. Returns false if a split
  // would exceed the capacity (the set is then left with the removal applied
  // as far as it fitted: never with the removed range present).
  bool Remove(uint64_t base, uint64_t size);
  // Shrinks every range inward to `align` (a power of two) boundaries,
  // dropping ranges that vanish.
  void AlignInward(uint64_t align);

  size_t count() const { return count_; }
  const Range& operator[](size_t i) const { return ranges_[i]; }
  uint64_t TotalSize() const;
  bool Contains(uint64_t base, uint64_t size) const;

 private:
  void Erase(size_t i);
  bool Insert(size_t i, Range r);

  Range ranges_[kCapacity];
  size_t count_ = 0;
};

}  // namespace platform
