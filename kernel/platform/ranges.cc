#include "kernel/platform/ranges.h"

namespace platform {

void RangeSet::Erase(size_t i) {
  for (size_t j = i; j + 1 < count_; j++) {
    ranges_[j] = ranges_[j + 1];
  }
  count_--;
}

bool RangeSet::Insert(size_t i, Range r) {
  if (count_ == kCapacity) {
    return false;
  }
  for (size_t j = count_; j > i; j--) {
    ranges_[j] = ranges_[j - 1];
  }
  ranges_[i] = r;
  count_++;
  return true;
}

bool RangeSet::Add(uint64_t base, uint64_t size) {
  if (size == 0) {
    return true;
  }
  if (base + size < base) {
    size = ~base;  // clip at the top of the address space
  }
  uint64_t end = base + size;
  // Find the first range that ends at or after `base` (adjacent merges).
  size_t i = 0;
  while (i < count_ && ranges_[i].end() < base) {
    i++;
  }
  if (i == count_ || ranges_[i].base > end) {
    return Insert(i, Range{base, size});
  }
  // Merge with ranges_[i] and every following range that touches.
  uint64_t nb = base < ranges_[i].base ? base : ranges_[i].base;
  uint64_t ne = end;
  while (i < count_ && ranges_[i].base <= ne) {
    if (ranges_[i].end() > ne) {
      ne = ranges_[i].end();
    }
    Erase(i);
  }
  return Insert(i, Range{nb, ne - nb});
}

bool RangeSet::Remove(uint64_t base, uint64_t size) {
  if (size == 0) {
    return true;
  }
  if (base + size < base) {
    size = ~base;
  }
  uint64_t end = base + size;
  for (size_t i = 0; i < count_;) {
    Range r = ranges_[i];
    if (r.end() <= base || r.base >= end) {
      i++;
      continue;
    }
    bool keep_low = r.base < base;
    bool keep_high = r.end() > end;
    if (keep_low && keep_high) {
      ranges_[i] = Range{r.base, base - r.base};
      if (!Insert(i + 1, Range{end, r.end() - end})) {
        return false;
      }
      i += 2;
    } else if (keep_low) {
      ranges_[i].size = base - r.base;
      i++;
    } else if (keep_high) {
      ranges_[i] = Range{end, r.end() - end};
      i++;
    } else {
      Erase(i);
    }
  }
  return true;
}

void RangeSet::AlignInward(uint64_t align) {
  for (size_t i = 0; i < count_;) {
    uint64_t b = (ranges_[i].base + align - 1) & ~(align - 1);
    uint64_t e = ranges_[i].end() & ~(align - 1);
    if (b < ranges_[i].base || e <= b) {  // overflow or vanished
      Erase(i);
      continue;
    }
    ranges_[i] = Range{b, e - b};
    i++;
  }
}

uint64_t RangeSet::TotalSize() const {
  uint64_t total = 0;
  for (size_t i = 0; i < count_; i++) {
    total += ranges_[i].size;
  }
  return total;
}

bool RangeSet::Contains(uint64_t base, uint64_t size) const {
  for (size_t i = 0; i < count_; i++) {
    if (base >= ranges_[i].base && base + size <= ranges_[i].end() && base + size >= base) {
      return true;
    }
  }
  return false;
}

}  // namespace platform
