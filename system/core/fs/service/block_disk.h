// A block.Block service as the fat library's BlockDevice (docs/storage.md,
// "The file system service"): one VMO attached once and mapped; a read
// moves the blocks into it (the device writes it by DMA) and copies them
// once to the caller's buffer, a write the other way; requests are split at
// the driver's max_transfer and the VMO's size. Every call has a deadline,
// so a driver that stops answering makes requests fail with kIoError
// instead of hanging the service.
#pragma once

#include <idl/block_ipc.h>
#include <mica/cpp/objects.h>
#include <stddef.h>
#include <stdint.h>

#include "system/core/fs/lib/fat.h"
#include "system/core/fs/service/block_cache.h"

namespace fs {

class BlockDisk {
 public:
  // The transfer VMO: what one block request moves at most (the block
  // cache's 128 KiB read-ahead in one request, plus room for Transfer's
  // alignment skew).
  static constexpr uint64_t kVmoBytes = 132 * 1024;

  BlockDisk() = default;
  ~BlockDisk();
  BlockDisk(const BlockDisk&) = delete;
  BlockDisk& operator=(const BlockDisk&) = delete;

  // Takes the channel to the service, asks for its geometry, attaches and
  // maps the VMO.
  mica_status_t Open(mica::Channel channel);
  // The device through the block cache (block_cache.h; uncached if its
  // memory could not be had).
  fat::BlockDevice device() { return cache_.device(); }
  BlockCache& cache() { return cache_; }
  uint64_t size() const { return size_; }
  bool read_only() const { return read_only_; }

 private:
  fat::BlockDevice raw_device();
  static fat::Status ReadThunk(void* context, uint64_t offset, void* buffer, size_t length);
  static fat::Status WriteThunk(void* context, uint64_t offset, const void* buffer, size_t length);
  static fat::Status FlushThunk(void* context);
  static fat::Status ReadDirectThunk(void* context, uint64_t offset, size_t length,
                                     size_t storage_offset);
  // Maps and attaches the block cache's storage VMO; initialises the cache
  // over it (DMA straight into its slots) or, failing that, on the heap.
  void InitCache();
  // Creates a VMO of `bytes`, maps it and attaches it to the driver.
  mica_status_t AttachMapped(uint64_t bytes, mica::Vmo* vmo, uint8_t** map, uint32_t* vmo_id);
  static fat::Status ReadMappedThunk(void* context, uint64_t offset, size_t length,
                                     const uint8_t** data);
  fat::Status Transfer(bool write, uint64_t offset, uint8_t* buffer, size_t length);
  mica_time_t Deadline() const;

  idl::block::BlockSyncClient client_;
  mica::Vmo vmo_;
  uint8_t* map_ = nullptr;
  uint32_t vmo_id_ = 0;
  mica::Vmo cache_vmo_;  // the block cache's storage, attached for DMA
  uint8_t* cache_map_ = nullptr;
  uint32_t cache_vmo_id_ = 0;
  uint64_t size_ = 0;
  uint32_t block_size_ = 512;
  uint64_t chunk_ = 0;  // bytes per request
  bool read_only_ = false;
  bool can_flush_ = false;
  BlockCache cache_;
};

}  // namespace fs
