// The block cache (block_cache.h) over a fake device in memory: reads
// byte-exact through hits and misses, write-through coherence, the bound
// and LRU eviction, read-ahead only for sequential reads and within the
// device, failed reads and writes not cached.
#include "system/core/fs/service/block_cache.h"

#include <string.h>

#include <vector>

#include <gtest/gtest.h>

namespace fs {
namespace {

constexpr size_t kB = BlockCache::kBlockBytes;

struct FakeDisk {
  std::vector<uint8_t> bytes;
  struct Request {
    uint64_t offset;
    size_t length;
  };
  std::vector<Request> reads;
  bool fail_reads = false;
  bool fail_writes = false;
  int flushes = 0;

  explicit FakeDisk(size_t size) : bytes(size) {
    for (size_t i = 0; i < size; ++i) {
      bytes[i] = static_cast<uint8_t>(i * 7 + (i >> 9));
    }
  }

  fat::BlockDevice device() {
    fat::BlockDevice d;
    d.context = this;
    d.size = bytes.size();
    d.read = [](void* c, uint64_t offset, void* buffer, size_t length) {
      auto* disk = static_cast<FakeDisk*>(c);
      EXPECT_EQ(offset % 512, 0u);
      EXPECT_EQ(length % 512, 0u);
      if (disk->fail_reads || offset + length > disk->bytes.size()) {
        return fat::Status::kIoError;
      }
      disk->reads.push_back({offset, length});
      memcpy(buffer, disk->bytes.data() + offset, length);
      return fat::Status::kOk;
    };
    d.write = [](void* c, uint64_t offset, const void* buffer, size_t length) {
      auto* disk = static_cast<FakeDisk*>(c);
      if (offset + length > disk->bytes.size()) {
        return fat::Status::kIoError;
      }
      if (disk->fail_writes) {
        // A failed write may have written part: the first sector.
        memset(disk->bytes.data() + offset, 0xEE, 512);
        return fat::Status::kIoError;
      }
      memcpy(disk->bytes.data() + offset, buffer, length);
      return fat::Status::kOk;
    };
    d.flush = [](void* c) {
      ++static_cast<FakeDisk*>(c)->flushes;
      return fat::Status::kOk;
    };
    return d;
  }
};

// A cache of `blocks` blocks and `readahead` over a fake disk of `bytes`.
struct CachedDisk {
  FakeDisk disk;
  BlockCache cache;
  fat::BlockDevice d;

  CachedDisk(size_t bytes, size_t blocks, size_t readahead) : disk(bytes) {
    EXPECT_TRUE(cache.Init(disk.device(), blocks, readahead));
    d = cache.device();
  }
};

std::vector<uint8_t> Read(fat::BlockDevice& d, uint64_t offset, size_t length,
                          fat::Status want = fat::Status::kOk) {
  std::vector<uint8_t> out(length);
  EXPECT_EQ(d.read(d.context, offset, out.data(), length), want);
  return out;
}

std::vector<uint8_t> Expected(const FakeDisk& disk, uint64_t offset, size_t length) {
  return std::vector<uint8_t>(disk.bytes.begin() + offset, disk.bytes.begin() + offset + length);
}

TEST(BlockCache, ReadsAreExactAndHitsDoNotReachTheDevice) {
  CachedDisk setup(64 * kB, 16, 4);
  auto& [disk, cache, d] = setup;
  // Unaligned to blocks: sectors 3..12 (two blocks, one request).
  EXPECT_EQ(Read(d, 3 * 512, 10 * 512), Expected(disk, 3 * 512, 10 * 512));
  ASSERT_EQ(disk.reads.size(), 1u);
  EXPECT_EQ(disk.reads[0].offset, 0u);
  EXPECT_EQ(disk.reads[0].length, 2 * kB);
  // Inside what was read: no device read.
  EXPECT_EQ(Read(d, 512, 3 * 512), Expected(disk, 512, 3 * 512));
  EXPECT_EQ(Read(d, 0, 2 * kB), Expected(disk, 0, 2 * kB));
  EXPECT_EQ(disk.reads.size(), 1u);
  EXPECT_EQ(cache.stats().misses, 2u);
  EXPECT_EQ(cache.stats().hits, 3u);
  // Partly cached: read from the missing block on (with the context
  // read-ahead of the two cached blocks before it: 2 + 1 blocks).
  EXPECT_EQ(Read(d, kB, 2 * kB), Expected(disk, kB, 2 * kB));
  ASSERT_EQ(disk.reads.size(), 2u);
  EXPECT_EQ(disk.reads[1].offset, 2 * kB);
  EXPECT_EQ(disk.reads[1].length, 3 * kB);
  // Flush passes through.
  ASSERT_NE(d.flush, nullptr);
  EXPECT_EQ(d.flush(d.context), fat::Status::kOk);
  EXPECT_EQ(disk.flushes, 1);
}

TEST(BlockCache, WritesThroughAndKeepsCachedBlocksCoherent) {
  CachedDisk setup(64 * kB, 16, 4);
  auto& [disk, cache, d] = setup;
  Read(d, 0, 2 * kB);  // blocks 0 and 1 cached
  std::vector<uint8_t> data(3 * 512, 0x5A);
  ASSERT_EQ(d.write(d.context, kB - 512, data.data(), data.size()), fat::Status::kOk);
  // On the disk at once (write-through) ...
  EXPECT_EQ(Expected(disk, kB - 512, data.size()), data);
  // ... and the cached blocks read it without a device read.
  const size_t reads = disk.reads.size();
  EXPECT_EQ(Read(d, 0, 2 * kB), Expected(disk, 0, 2 * kB));
  EXPECT_EQ(disk.reads.size(), reads);
  // A failed write drops the blocks it touched: the next read goes to the disk.
  disk.fail_writes = true;
  EXPECT_EQ(d.write(d.context, 0, data.data(), 512), fat::Status::kIoError);
  disk.fail_writes = false;
  EXPECT_EQ(Read(d, 0, 512), Expected(disk, 0, 512));
  EXPECT_EQ(disk.reads.size(), reads + 1);
}

TEST(BlockCache, BoundedWithLeastRecentlyUsedEviction) {
  CachedDisk setup(64 * kB, 4, 1);
  auto& [disk, cache, d] = setup;
  for (uint64_t b : {0, 10, 20, 30}) {
    Read(d, b * kB, 512);
  }
  Read(d, 0, 512);  // block 0 used again: 10 is now the oldest
  EXPECT_EQ(cache.cached_blocks(), 4u);
  Read(d, 40 * kB, 512);  // evicts 10
  EXPECT_EQ(cache.cached_blocks(), 4u);
  size_t reads = disk.reads.size();
  for (uint64_t b : {0, 20, 30, 40}) {
    EXPECT_EQ(Read(d, b * kB, 512), Expected(disk, b * kB, 512));
  }
  EXPECT_EQ(disk.reads.size(), reads);
  EXPECT_EQ(Read(d, 10 * kB, 512), Expected(disk, 10 * kB, 512));
  EXPECT_EQ(disk.reads.size(), reads + 1);
  EXPECT_LE(cache.memory_bytes(), 4 * kB + 4 * 64 + 4 * 4 + kB);
  // Many more blocks than slots: never more than the bound, still exact.
  for (uint64_t b = 0; b < 64; ++b) {
    EXPECT_EQ(Read(d, b * kB + 512, 1024), Expected(disk, b * kB + 512, 1024));
    EXPECT_LE(cache.cached_blocks(), 4u);
  }
}

TEST(BlockCache, ReadsAheadOnlyForSequentialReadsAndWithinTheDevice) {
  CachedDisk setup(40 * kB, 64, 8);
  auto& [disk, cache, d] = setup;
  // A random read: only its blocks.
  Read(d, 20 * kB, kB);
  ASSERT_EQ(disk.reads.size(), 1u);
  EXPECT_EQ(disk.reads[0].length, kB);
  Read(d, 3 * kB, kB);
  EXPECT_EQ(disk.reads.back().length, kB);
  // Continuing where the last read ended: 8 blocks from the miss.
  EXPECT_EQ(Read(d, 4 * kB, kB), Expected(disk, 4 * kB, kB));
  EXPECT_EQ(disk.reads.back().offset, 4 * kB);
  EXPECT_EQ(disk.reads.back().length, 8 * kB);
  EXPECT_EQ(cache.stats().readahead, 7u);
  // The stream goes on in what was read ahead: no device read ...
  size_t reads = disk.reads.size();
  for (uint64_t b = 5; b < 12; ++b) {
    EXPECT_EQ(Read(d, b * kB, kB), Expected(disk, b * kB, kB));
  }
  EXPECT_EQ(disk.reads.size(), reads);
  // ... and the next miss reads ahead again; never past the device's end.
  Read(d, 12 * kB, kB);
  EXPECT_EQ(disk.reads.back().length, 8 * kB);
  Read(d, 36 * kB, kB);  // random
  Read(d, 37 * kB, kB);  // sequential, 3 blocks left on the device
  EXPECT_EQ(disk.reads.back().offset, 37 * kB);
  EXPECT_EQ(disk.reads.back().length, 3 * kB);
  EXPECT_EQ(Read(d, 39 * kB, kB), Expected(disk, 39 * kB, kB));
}

TEST(BlockCache, ReadsAheadAfterMoreCachedBlocksThanItMisses) {
  CachedDisk setup(64 * kB, 64, 8);
  auto& [disk, cache, d] = setup;
  Read(d, 1 * kB, kB);
  Read(d, 0, kB);  // not where the last read ended: random, one block
  EXPECT_EQ(disk.reads.back().length, kB);
  // Block 2 follows two cached blocks: 2 + 1 blocks.
  EXPECT_EQ(Read(d, 2 * kB, kB), Expected(disk, 2 * kB, kB));
  EXPECT_EQ(disk.reads.back().offset, 2 * kB);
  EXPECT_EQ(disk.reads.back().length, 3 * kB);
  // One cached block before is not more than the one missed: no read-ahead.
  Read(d, 30 * kB, kB);
  Read(d, 20 * kB, kB);
  Read(d, 31 * kB - 512, 512);
  Read(d, 21 * kB, kB);
  EXPECT_EQ(disk.reads.back().offset, 21 * kB);
  EXPECT_EQ(disk.reads.back().length, kB);
}

TEST(BlockCache, FailedReadsAreNotCachedAndDropEmptiesIt) {
  CachedDisk setup(16 * kB, 8, 4);
  auto& [disk, cache, d] = setup;
  disk.fail_reads = true;
  Read(d, 0, kB, fat::Status::kIoError);
  EXPECT_EQ(cache.cached_blocks(), 0u);
  disk.fail_reads = false;
  EXPECT_EQ(Read(d, 0, kB), Expected(disk, 0, kB));
  EXPECT_EQ(disk.reads.size(), 1u);
  EXPECT_EQ(cache.cached_blocks(), 1u);
  cache.Drop();
  EXPECT_EQ(cache.cached_blocks(), 0u);
  EXPECT_EQ(Read(d, 0, kB), Expected(disk, 0, kB));
  EXPECT_EQ(disk.reads.size(), 2u);
  // Past the device: an error, nothing cached.
  Read(d, 16 * kB, 512, fat::Status::kIoError);
  EXPECT_EQ(cache.cached_blocks(), 1u);
}

TEST(BlockCache, MissesReadThroughTheDevicesOwnBufferWhenGiven) {
  struct Mapped {
    FakeDisk* disk;
    std::vector<uint8_t> buffer = std::vector<uint8_t>(2 * kB);
    int calls = 0;
  };
  CachedDisk setup(32 * kB, 16, 4);
  auto& [disk, cache, d] = setup;
  Mapped mapped{&disk};
  cache.set_mapped_read(
      [](void* c, uint64_t offset, size_t length, const uint8_t** data) {
        auto* m = static_cast<Mapped*>(c);
        ++m->calls;
        memcpy(m->buffer.data(), m->disk->bytes.data() + offset, length);
        *data = m->buffer.data();
        return fat::Status::kOk;
      },
      &mapped, 2 * kB);
  EXPECT_EQ(Read(d, 512, kB), Expected(disk, 512, kB));  // 2 blocks: the buffer
  EXPECT_EQ(mapped.calls, 1);
  EXPECT_TRUE(disk.reads.empty());
  EXPECT_EQ(Read(d, 8 * kB, 3 * kB), Expected(disk, 8 * kB, 3 * kB));  // 3: the device
  EXPECT_EQ(mapped.calls, 1);
  EXPECT_EQ(disk.reads.size(), 1u);
}

// A device that DMAs into an attached buffer: the cache's own storage.
struct DirectDisk {
  FakeDisk disk;
  std::vector<uint8_t> storage;
  std::vector<FakeDisk::Request> direct;  // reads straight into the storage
  std::vector<size_t> at;                 // their storage offsets
  bool fail = false;
  BlockCache cache;
  fat::BlockDevice d;

  DirectDisk(size_t bytes, size_t blocks, size_t readahead) : disk(bytes), storage(blocks * kB) {
    EXPECT_TRUE(cache.Init(disk.device(), blocks, readahead, storage.data()));
    cache.set_direct_read(
        [](void* c, uint64_t offset, size_t length, size_t storage_offset) {
          auto* self = static_cast<DirectDisk*>(c);
          EXPECT_LE(storage_offset + length, self->storage.size());
          if (self->fail) {
            memset(self->storage.data() + storage_offset, 0xEE, length);  // a partial DMA
            return fat::Status::kIoError;
          }
          self->direct.push_back({offset, length});
          self->at.push_back(storage_offset);
          memcpy(self->storage.data() + storage_offset, self->disk.bytes.data() + offset, length);
          return fat::Status::kOk;
        },
        this, 8 * kB);
    d = cache.device();
  }
};

TEST(BlockCache, MissesReadStraightIntoConsecutiveSlotsWithNoCopy) {
  DirectDisk setup(64 * kB, 8, 4);
  auto& [disk, storage, direct, at, fail, cache, d] = setup;
  // A sequential stream: block 0 (not yet a stream), then 1..4 read ahead
  // into slots 1..4, straight from the device with no copy; 5..8 take
  // slots 5..7 and the least recently used slot 0, not one run: the
  // device's read and a copy; 9..12 take slots 1..4 again: straight.
  for (uint64_t o = 0; o < 12 * kB; o += kB) {
    EXPECT_EQ(Read(d, o, kB), Expected(disk, o, kB));
  }
  ASSERT_EQ(direct.size(), 3u);
  EXPECT_EQ(direct[0].offset, 0u);
  EXPECT_EQ(direct[0].length, kB);
  EXPECT_EQ(at[0], 0u);
  EXPECT_EQ(direct[1].offset, kB);
  EXPECT_EQ(direct[1].length, 4 * kB);
  EXPECT_EQ(at[1], kB);
  EXPECT_EQ(direct[2].offset, 9 * kB);
  EXPECT_EQ(at[2], kB);
  ASSERT_EQ(disk.reads.size(), 1u);
  EXPECT_EQ(disk.reads[0].offset, 5 * kB);
  EXPECT_EQ(cache.stats().direct_reads, 3u);
  EXPECT_EQ(cache.stats().device_reads, 4u);
  EXPECT_EQ(cache.cached_blocks(), 8u);
  // Hits still read from the storage the device wrote.
  EXPECT_EQ(Read(d, 7 * kB + 100, 3 * kB - 200), Expected(disk, 7 * kB + 100, 3 * kB - 200));
  EXPECT_EQ(direct.size(), 3u);
  EXPECT_EQ(disk.reads.size(), 1u);
}

TEST(BlockCache, ScatteredSlotsFallBackToACopyAndFailedDirectReadsAreNotCached) {
  DirectDisk setup(64 * kB, 4, 2);
  auto& [disk, storage, direct, at, fail, cache, d] = setup;
  Read(d, 0, kB);        // slot 0
  Read(d, 8 * kB, kB);   // slot 1
  Read(d, 16 * kB, kB);  // slot 2
  Read(d, 0, kB);        // block 0 (slot 0) is now the most recent
  ASSERT_EQ(direct.size(), 3u);
  // Blocks 20..21 (a read-ahead after block 20's miss is not sequential:
  // 2 blocks asked) take the least recently used slots 1 and 3: not
  // consecutive, so the device's own read and a copy.
  EXPECT_EQ(Read(d, 20 * kB, 2 * kB), Expected(disk, 20 * kB, 2 * kB));
  EXPECT_EQ(direct.size(), 3u);
  EXPECT_EQ(disk.reads.size(), 1u);
  EXPECT_EQ(Read(d, 0, kB), Expected(disk, 0, kB));
  cache.Drop();
  fail = true;
  Read(d, 4 * kB, kB, fat::Status::kIoError);
  EXPECT_EQ(cache.cached_blocks(), 0u);
  fail = false;
  EXPECT_EQ(Read(d, 4 * kB, kB), Expected(disk, 4 * kB, kB));
  EXPECT_EQ(direct.size(), 4u);
}

TEST(BlockCache, ATailShorterThanABlockAndLargeReadsPassThrough) {
  CachedDisk setup(12 * kB + 1024, 8, 2);
  auto& [disk, cache, d] = setup;
  EXPECT_EQ(Read(d, 12 * kB, 1024), Expected(disk, 12 * kB, 1024));
  EXPECT_EQ(Read(d, 0, 3 * kB), Expected(disk, 0, 3 * kB));  // more than 2 blocks
  EXPECT_EQ(cache.cached_blocks(), 0u);
  EXPECT_EQ(disk.reads.size(), 2u);
}

}  // namespace
}  // namespace fs
