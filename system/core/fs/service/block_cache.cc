// See block_cache.h.
#include "system/core/fs/service/block_cache.h"

#include <string.h>

#include <new>

namespace fs {

BlockCache::~BlockCache() {
  delete[] slots_;
  delete[] buckets_;
  if (owns_data_) {
    delete[] data_;
  }
  delete[] staging_;
}

bool BlockCache::Init(const fat::BlockDevice& device, size_t blocks, size_t readahead,
                      uint8_t* storage) {
  device_ = device;
  blocks_on_device_ = device.size / kBlockBytes;
  if (blocks == 0 || blocks > UINT32_MAX / 2) {
    return false;
  }
  readahead_ = readahead == 0 ? 1 : (readahead > blocks ? blocks : readahead);
  size_t buckets = 1;
  unsigned bits = 0;
  while (buckets < blocks) {
    buckets *= 2;
    ++bits;
  }
  slots_ = new (std::nothrow) Slot[blocks];
  buckets_ = new (std::nothrow) uint32_t[buckets];
  owns_data_ = storage == nullptr;
  data_ = owns_data_ ? new (std::nothrow) uint8_t[blocks * kBlockBytes] : storage;
  staging_ = new (std::nothrow) uint8_t[readahead_ * kBlockBytes];
  if (slots_ == nullptr || buckets_ == nullptr || data_ == nullptr || staging_ == nullptr) {
    delete[] slots_;
    delete[] buckets_;
    if (owns_data_) {
      delete[] data_;
    }
    delete[] staging_;
    slots_ = nullptr;
    buckets_ = nullptr;
    data_ = staging_ = nullptr;
    return false;
  }
  count_ = blocks;
  bucket_count_ = buckets;
  shift_ = 64 - bits;
  Drop();
  return true;
}

fat::BlockDevice BlockCache::device() {
  if (slots_ == nullptr) {
    return device_;
  }
  fat::BlockDevice d;
  d.context = this;
  d.read = ReadThunk;
  d.size = device_.size;
  d.write = device_.write != nullptr ? WriteThunk : nullptr;
  d.flush = device_.flush != nullptr ? FlushThunk : nullptr;
  return d;
}

void BlockCache::Drop() {
  for (size_t i = 0; i < bucket_count_; ++i) {
    buckets_[i] = kNone;
  }
  for (size_t i = 0; i < count_; ++i) {
    slots_[i] = Slot{0, kNone, i + 1 < count_ ? static_cast<uint32_t>(i + 1) : kNone, kNone, false};
  }
  free_ = count_ != 0 ? 0 : kNone;
  head_ = tail_ = kNone;
  used_ = 0;
  next_offset_ = UINT64_MAX;
}

size_t BlockCache::memory_bytes() const {
  return count_ * (kBlockBytes + sizeof(Slot)) + bucket_count_ * sizeof(uint32_t) +
         (slots_ != nullptr ? readahead_ * kBlockBytes : 0);
}

uint32_t BlockCache::Find(uint64_t block) const {
  for (uint32_t s = buckets_[Bucket(block)]; s != kNone; s = slots_[s].chain) {
    if (slots_[s].block == block) {
      return s;
    }
  }
  return kNone;
}

void BlockCache::Unlink(uint32_t s) {
  Slot& slot = slots_[s];
  (slot.prev != kNone ? slots_[slot.prev].next : head_) = slot.next;
  (slot.next != kNone ? slots_[slot.next].prev : tail_) = slot.prev;
  slot.prev = slot.next = kNone;
}

void BlockCache::PushFront(uint32_t s) {
  Slot& slot = slots_[s];
  slot.prev = kNone;
  slot.next = head_;
  (head_ != kNone ? slots_[head_].prev : tail_) = s;
  head_ = s;
}

void BlockCache::Forget(uint32_t s) {
  Slot& slot = slots_[s];
  for (uint32_t* link = &buckets_[Bucket(slot.block)]; *link != kNone;
       link = &slots_[*link].chain) {
    if (*link == s) {
      *link = slot.chain;
      break;
    }
  }
  Unlink(s);
  slot.valid = false;
  slot.chain = kNone;
  slot.next = free_;  // the free list runs through `next`
  free_ = s;
  --used_;
}

uint32_t BlockCache::Take(uint64_t block) {
  uint32_t s = Find(block);
  if (s != kNone) {
    Unlink(s);
    PushFront(s);
    return s;
  }
  if (free_ == kNone) {
    Forget(tail_);  // the least recently used
  }
  s = free_;
  free_ = slots_[s].next;
  Slot& slot = slots_[s];
  slot.block = block;
  slot.valid = true;
  const size_t b = Bucket(block);
  slot.chain = buckets_[b];
  buckets_[b] = s;
  PushFront(s);
  ++used_;
  return s;
}

void BlockCache::ForgetRange(uint64_t first, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (const uint32_t s = Find(first + i); s != kNone) {
      Forget(s);
    }
  }
}

fat::Status BlockCache::FillDirect(uint64_t first, size_t n) {
  // n <= readahead_ <= count_: taking these slots evicts none of them.
  const uint32_t s0 = Take(first);
  bool run = true;
  for (size_t i = 1; i < n; ++i) {
    run = Take(first + i) == s0 + i && run;
  }
  if (!run) {
    return fat::Status::kNotFound;
  }
  ++stats_.direct_reads;
  const fat::Status st =
      direct_read_(direct_context_, first * kBlockBytes, n * kBlockBytes, size_t{s0} * kBlockBytes);
  if (st != fat::Status::kOk) {
    ForgetRange(first, n);  // their contents are unknown
    return fat::Status::kIoError;
  }
  return fat::Status::kOk;
}

fat::Status BlockCache::Fill(uint64_t first, uint64_t count) {
  while (count != 0) {
    const size_t n = count < readahead_ ? static_cast<size_t>(count) : readahead_;
    ++stats_.device_reads;
    const bool direct = direct_read_ != nullptr && n * kBlockBytes <= direct_max_;
    if (direct) {
      const fat::Status st = FillDirect(first, n);
      if (st == fat::Status::kOk) {
        first += n;
        count -= n;
        continue;
      }
      if (st != fat::Status::kNotFound) {
        return st;
      }
    }
    const uint8_t* from = staging_;
    fat::Status st;
    if (mapped_read_ != nullptr && n * kBlockBytes <= mapped_max_) {
      st = mapped_read_(mapped_context_, first * kBlockBytes, n * kBlockBytes, &from);
    } else {
      st = device_.read(device_.context, first * kBlockBytes, staging_, n * kBlockBytes);
    }
    if (st != fat::Status::kOk) {
      if (direct) {
        ForgetRange(first, n);  // FillDirect took their slots
      }
      return fat::Status::kIoError;  // nothing of this request is cached
    }
    for (size_t i = 0; i < n; ++i) {
      memcpy(Data(Take(first + i)), from + i * kBlockBytes, kBlockBytes);
    }
    first += n;
    count -= n;
  }
  return fat::Status::kOk;
}

fat::Status BlockCache::Read(uint64_t offset, uint8_t* buffer, size_t length) {
  if (length == 0) {
    return fat::Status::kOk;
  }
  const uint64_t end = offset + length;
  if (end < offset || end > blocks_on_device_ * kBlockBytes) {
    // Past the last whole block (or the disk): not cached.
    return device_.read(device_.context, offset, buffer, length);
  }
  if ((end - 1) / kBlockBytes - offset / kBlockBytes >= readahead_) {
    // Larger than one device request of the cache: straight from the disk
    // (the cache holds nothing newer: it is written through).
    next_offset_ = end;
    return device_.read(device_.context, offset, buffer, length);
  }
  const bool sequential = offset == next_offset_;
  next_offset_ = end;
  const uint64_t last = (end - 1) / kBlockBytes;
  uint64_t filled = 0;  // blocks before this one were just read in
  for (uint64_t b = offset / kBlockBytes; b <= last;) {
    uint32_t s = Find(b);
    if (s == kNone) {
      // The missing blocks from here to the request's end (or the next
      // cached one), one device request; more ahead for a stream.
      uint64_t e = b + 1;
      while (e <= last && Find(e) == kNone) {
        ++e;
      }
      uint64_t count = e - b;
      stats_.misses += count;
      uint64_t want = count;
      if (sequential && e > last) {
        want = readahead_;
      } else if (e > last) {
        // Linux's context read-ahead (page_cache_sync_ra): more cached
        // blocks right before the miss than it needs make a stream too,
        // read ahead by their number plus the request's.
        uint64_t before = 0;
        while (before < readahead_ && before < b && Find(b - 1 - before) != kNone) {
          ++before;
        }
        if (before > count) {
          want = before + count < readahead_ ? before + count : readahead_;
        }
      }
      if (want > count) {
        const uint64_t room = blocks_on_device_ - b;
        want = want < room ? want : room;
        stats_.readahead += want > count ? want - count : 0;
        count = want > count ? want : count;
      }
      if (fat::Status st = Fill(b, count); st != fat::Status::kOk) {
        return st;
      }
      filled = e;
      s = Find(b);
      if (s == kNone) {
        return fat::Status::kIoError;  // not reached: Fill's count <= readahead_ <= the slots
      }
    } else {
      stats_.hits += b >= filled ? 1 : 0;
      Unlink(s);
      PushFront(s);
    }
    const uint64_t block_start = b * kBlockBytes;
    const uint64_t from = offset > block_start ? offset : block_start;
    const uint64_t to = end < block_start + kBlockBytes ? end : block_start + kBlockBytes;
    memcpy(buffer + (from - offset), Data(s) + (from - block_start), to - from);
    ++b;
  }
  return fat::Status::kOk;
}

fat::Status BlockCache::Write(uint64_t offset, const uint8_t* buffer, size_t length) {
  const fat::Status st = device_.write(device_.context, offset, buffer, length);
  const uint64_t end = offset + length;
  if (length == 0 || end < offset) {
    return st;
  }
  const uint64_t last = (end - 1) / kBlockBytes;
  for (uint64_t b = offset / kBlockBytes; b <= last && b < blocks_on_device_; ++b) {
    const uint32_t s = Find(b);
    if (s == kNone) {
      continue;
    }
    if (st != fat::Status::kOk) {
      Forget(s);  // what the disk holds now is unknown
      continue;
    }
    const uint64_t block_start = b * kBlockBytes;
    const uint64_t from = offset > block_start ? offset : block_start;
    const uint64_t to = end < block_start + kBlockBytes ? end : block_start + kBlockBytes;
    memcpy(Data(s) + (from - block_start), buffer + (from - offset), to - from);
  }
  return st;
}

fat::Status BlockCache::ReadThunk(void* context, uint64_t offset, void* buffer, size_t length) {
  return static_cast<BlockCache*>(context)->Read(offset, static_cast<uint8_t*>(buffer), length);
}

fat::Status BlockCache::WriteThunk(void* context, uint64_t offset, const void* buffer,
                                   size_t length) {
  return static_cast<BlockCache*>(context)->Write(offset, static_cast<const uint8_t*>(buffer),
                                                  length);
}

fat::Status BlockCache::FlushThunk(void* context) {
  auto* cache = static_cast<BlockCache*>(context);
  return cache->device_.flush(cache->device_.context);
}

}  // namespace fs
