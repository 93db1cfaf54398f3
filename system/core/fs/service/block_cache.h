// The fs service's block cache (docs/storage.md, "The block cache"): a
// bounded LRU cache of 4 KiB disk blocks between the fat library and the
// block device, with read-ahead for sequential reads, as Linux's page cache
// and readahead sit under vfat. Pure C++ (no syscalls; host-tested with a
// fake device: test/block_cache_test.cc).
//
// - Keyed by disk block (byte offset / kBlockBytes); every read the fat
//   library makes goes through it: file data, FAT and directory sectors.
// - Write-through: a write goes to the device first, then updates the
//   cached blocks it covers (a failed write drops them: their contents are
//   unknown), so the cache never holds what the disk does not.
// - A read that misses reads the missing blocks in one device request; if
//   it starts where the previous read ended (a sequential stream, as
//   Linux's readahead detects it), the request grows to `readahead` blocks
//   (clipped to the device's end); so does one that follows more cached
//   blocks than it misses (Linux's context read-ahead: by their number plus
//   its own, at most `readahead`). Any other read reads only what it
//   needs.
// - A failed device read caches nothing.
// - Drop() empties it (fs.Mounts.DropCaches, Linux's drop_caches).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "system/core/fs/lib/fat.h"

namespace fs {

class BlockCache {
 public:
  static constexpr size_t kBlockBytes = 4096;
  // Default size: 1,024 blocks (4 MiB of data) and 32 blocks (128 KiB, as
  // Linux's read_ahead_kb) of read-ahead.
  static constexpr size_t kDefaultBlocks = 1024;
  static constexpr size_t kDefaultReadahead = 32;

  struct Stats {
    uint64_t hits = 0;          // blocks found
    uint64_t misses = 0;        // blocks read from the device for a request
    uint64_t readahead = 0;     // blocks read ahead of a request
    uint64_t device_reads = 0;  // device read requests
    uint64_t direct_reads = 0;  // of which straight into the slots
  };

  BlockCache() = default;
  ~BlockCache();
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // Caches `device` in `blocks` blocks with `readahead` blocks of
  // read-ahead (at least 1; at most `blocks`). False if out of memory (the
  // cache then passes every request through).
  // `storage`, if given, holds the blocks (`blocks` * kBlockBytes bytes,
  // not owned: the VMO the device DMAs into, set_direct_read).
  bool Init(const fat::BlockDevice& device, size_t blocks = kDefaultBlocks,
            size_t readahead = kDefaultReadahead, uint8_t* storage = nullptr);
  // Optional, after Init: the device's own read buffer. `read` reads
  // `length` bytes (at most `max_bytes`) at `offset` into it and gives its
  // address, valid until the next request; misses then copy from there
  // into the cache, not through a staging buffer of the cache's.
  using MappedRead = fat::Status (*)(void* context, uint64_t offset, size_t length,
                                     const uint8_t** data);
  void set_mapped_read(MappedRead read, void* context, size_t max_bytes) {
    mapped_read_ = read;
    mapped_context_ = context;
    mapped_max_ = max_bytes;
  }
  // Optional, after Init with `storage` the device can write: `read`
  // reads `length` bytes (at most `max_bytes`) at `offset` straight into
  // the storage at `storage_offset` (the driver's DMA into the attached
  // VMO). A miss whose blocks land in consecutive slots is then read with
  // no copy; any other goes through the mapped read or the staging buffer.
  using DirectRead = fat::Status (*)(void* context, uint64_t offset, size_t length,
                                     size_t storage_offset);
  void set_direct_read(DirectRead read, void* context, size_t max_bytes) {
    direct_read_ = read;
    direct_context_ = context;
    direct_max_ = max_bytes;
  }
  // The cached device (the uncached one if Init failed).
  fat::BlockDevice device();
  void Drop();
  // The memory it holds (data and bookkeeping), for the docs and df.
  size_t memory_bytes() const;
  size_t cached_blocks() const { return used_; }
  const Stats& stats() const { return stats_; }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Slot {
    uint64_t block;
    uint32_t prev, next;  // LRU list (head: most recent)
    uint32_t chain;       // hash bucket chain
    bool valid;
  };

  static fat::Status ReadThunk(void* context, uint64_t offset, void* buffer, size_t length);
  static fat::Status WriteThunk(void* context, uint64_t offset, const void* buffer, size_t length);
  static fat::Status FlushThunk(void* context);
  fat::Status Read(uint64_t offset, uint8_t* buffer, size_t length);
  fat::Status Write(uint64_t offset, const uint8_t* buffer, size_t length);
  // Reads blocks [first, first + count) from the device into the cache.
  fat::Status Fill(uint64_t first, uint64_t count);
  // Reads blocks [first, first + n) straight into their slots if these
  // are consecutive; kNotFound if they are not (the slots are then taken
  // and valid, awaiting a copy); on failure they are forgotten.
  fat::Status FillDirect(uint64_t first, size_t n);
  void ForgetRange(uint64_t first, size_t n);  // the cached ones of these blocks
  uint32_t Find(uint64_t block) const;
  // The slot for `block`: its own if cached, else a free or the least
  // recently used one, now holding `block` (contents to be filled).
  uint32_t Take(uint64_t block);
  void Unlink(uint32_t slot);     // from the LRU list
  void PushFront(uint32_t slot);  // to the LRU list's head
  void Forget(uint32_t slot);     // out of the hash and LRU list: free
  uint8_t* Data(uint32_t slot) { return data_ + size_t{slot} * kBlockBytes; }
  size_t Bucket(uint64_t block) const { return (block * 0x9E3779B97F4A7C15ull) >> shift_; }

  fat::BlockDevice device_ = {};
  Slot* slots_ = nullptr;
  uint32_t* buckets_ = nullptr;
  uint8_t* data_ = nullptr;
  bool owns_data_ = true;
  uint8_t* staging_ = nullptr;  // one device request, readahead_ blocks
  size_t count_ = 0;
  size_t bucket_count_ = 0;
  unsigned shift_ = 64;
  size_t readahead_ = 1;
  size_t used_ = 0;
  uint32_t head_ = kNone, tail_ = kNone;
  uint32_t free_ = kNone;  // free slots, through Slot::next
  uint64_t blocks_on_device_ = 0;
  uint64_t next_offset_ = UINT64_MAX;  // where the last read ended
  Stats stats_;
  MappedRead mapped_read_ = nullptr;
  void* mapped_context_ = nullptr;
  size_t mapped_max_ = 0;
  DirectRead direct_read_ = nullptr;
  void* direct_context_ = nullptr;
  size_t direct_max_ = 0;
};

}  // namespace fs
