// See block_disk.h.
#include "system/core/fs/service/block_disk.h"

#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <string.h>

namespace fs {
namespace {

using idl::block::Block;

// A block request answers within this (the driver's own timeouts are
// shorter); past it the service sees an I/O error.
constexpr mica_duration_t kCallTimeout = 10'000'000'000;

// The block cache's storage: its 1,024 slots, page-aligned as mapped.
constexpr uint64_t kCacheBytes = BlockCache::kDefaultBlocks * BlockCache::kBlockBytes;

}  // namespace

BlockDisk::~BlockDisk() {
  if (map_ != nullptr) {
    static_cast<void>(
        mica_vmar_unmap(mica_rt_vmar_root(), reinterpret_cast<uintptr_t>(map_), kVmoBytes));
  }
  if (cache_map_ != nullptr) {
    static_cast<void>(
        mica_vmar_unmap(mica_rt_vmar_root(), reinterpret_cast<uintptr_t>(cache_map_), kCacheBytes));
  }
}

mica_time_t BlockDisk::Deadline() const {
  mica_time_t now = 0;
  mica_clock_get_monotonic(&now);
  return now + kCallTimeout;
}

mica_status_t BlockDisk::Open(mica::Channel channel) {
  client_ = idl::block::BlockSyncClient(static_cast<mica::Channel&&>(channel));
  client_.set_deadline(Deadline());
  Block::GetInfoRequest ireq;
  Block::GetInfoResponse info;
  mica_status_t s = client_.GetInfo(ireq, &info);
  s = s == MICA_OK ? info.status : s;
  if (s != MICA_OK) {
    return s;
  }
  block_size_ = info.info.block_size;
  if (block_size_ == 0 || block_size_ > fat::kMaxSectorSize || 512 % block_size_ != 0 ||
      info.info.max_transfer < 512) {
    return MICA_ERR_NOT_SUPPORTED;  // the fat library reads whole 512-byte sectors
  }
  if (info.info.block_count > UINT64_MAX / block_size_) {
    return MICA_ERR_OUT_OF_RANGE;
  }
  size_ = info.info.block_count * block_size_;
  chunk_ = info.info.max_transfer / 512 * 512;
  // The VMO holds a chunk at any of 8 byte offsets (Transfer).
  chunk_ = chunk_ < kVmoBytes - 512 ? chunk_ : kVmoBytes - 512;
  read_only_ = (info.info.flags & idl::block::Flags::READ_ONLY) == idl::block::Flags::READ_ONLY;
  can_flush_ = (info.info.flags & idl::block::Flags::FLUSH) == idl::block::Flags::FLUSH;
  s = AttachMapped(kVmoBytes, &vmo_, &map_, &vmo_id_);
  if (s == MICA_OK) {
    InitCache();
  }
  return s;
}

mica_status_t BlockDisk::AttachMapped(uint64_t bytes, mica::Vmo* vmo, uint8_t** map,
                                      uint32_t* vmo_id) {
  mica_status_t s = mica::Vmo::Create(bytes, 0, vmo);
  uintptr_t addr = 0;
  if (s == MICA_OK) {
    s = mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, vmo->get(), 0,
                      bytes, &addr);
  }
  if (s != MICA_OK) {
    return s;
  }
  *map = reinterpret_cast<uint8_t*>(addr);
  Block::AttachVmoRequest attach;
  s = mica_handle_duplicate(vmo->get(), MICA_RIGHT_SAME_RIGHTS, attach.vmo.reset_and_get_address());
  Block::AttachVmoResponse attached;
  if (s == MICA_OK) {
    client_.set_deadline(Deadline());
    s = client_.AttachVmo(attach, &attached);
  }
  s = s == MICA_OK ? attached.status : s;
  *vmo_id = attached.vmo_id;
  return s;
}

void BlockDisk::InitCache() {
  // Without the storage VMO (or the driver's room for it) the cache lives
  // on the heap and misses copy out of the transfer VMO; without memory at
  // all, the device is uncached.
  if (AttachMapped(kCacheBytes, &cache_vmo_, &cache_map_, &cache_vmo_id_) == MICA_OK &&
      cache_.Init(raw_device(), BlockCache::kDefaultBlocks, BlockCache::kDefaultReadahead,
                  cache_map_)) {
    cache_.set_direct_read(ReadDirectThunk, this, chunk_);
  } else if (cache_.Init(raw_device())) {
    cache_.set_mapped_read(ReadMappedThunk, this, chunk_);
  }
}

fat::BlockDevice BlockDisk::raw_device() {
  fat::BlockDevice d;
  d.context = this;
  d.read = ReadThunk;
  d.size = size_;
  d.write = read_only_ ? nullptr : WriteThunk;
  d.flush = can_flush_ ? FlushThunk : nullptr;
  return d;
}

fat::Status BlockDisk::Transfer(bool write, uint64_t offset, uint8_t* buffer, size_t length) {
  if (map_ == nullptr || offset > size_ || length > size_ - offset || offset % block_size_ != 0 ||
      length % block_size_ != 0) {
    return fat::Status::kIoError;
  }
  for (size_t done = 0; done < length;) {
    // The data sits in the VMO at the caller's buffer's offset modulo 8
    // (the driver takes any byte offset), so the copy between them moves
    // whole words: memcpy moves bytes one at a time between buffers that
    // are not equally aligned (system/ulib/c/string.S), which costs about
    // four instructions a byte.
    const uint64_t skew = reinterpret_cast<uintptr_t>(buffer + done) % 8;
    const size_t n = length - done < chunk_ ? length - done : static_cast<size_t>(chunk_);
    const uint64_t block = (offset + done) / block_size_;
    const uint32_t count = static_cast<uint32_t>(n / block_size_);
    mica_status_t s;
    int32_t status = MICA_OK;
    client_.set_deadline(Deadline());
    if (write) {
      memcpy(map_ + skew, buffer + done, n);
      Block::WriteRequest req{vmo_id_, skew, block, count};
      Block::WriteResponse r;
      s = client_.Write(req, &r);
      status = r.status;
    } else {
      Block::ReadRequest req{vmo_id_, skew, block, count};
      Block::ReadResponse r;
      s = client_.Read(req, &r);
      status = r.status;
      if (s == MICA_OK && status == MICA_OK && buffer != nullptr) {
        memcpy(buffer + done, map_ + skew, n);
      }
    }
    if (s != MICA_OK || status != MICA_OK) {
      return fat::Status::kIoError;
    }
    done += n;
  }
  return fat::Status::kOk;
}

fat::Status BlockDisk::ReadThunk(void* context, uint64_t offset, void* buffer, size_t length) {
  return static_cast<BlockDisk*>(context)->Transfer(false, offset, static_cast<uint8_t*>(buffer),
                                                    length);
}

fat::Status BlockDisk::WriteThunk(void* context, uint64_t offset, const void* buffer,
                                  size_t length) {
  // Transfer only reads from the buffer when writing.
  return static_cast<BlockDisk*>(context)->Transfer(
      true, offset, static_cast<uint8_t*>(const_cast<void*>(buffer)), length);
}

fat::Status BlockDisk::ReadMappedThunk(void* context, uint64_t offset, size_t length,
                                       const uint8_t** data) {
  // One request (length <= chunk_): Transfer with no buffer leaves the
  // blocks in the VMO.
  auto* disk = static_cast<BlockDisk*>(context);
  *data = disk->map_;
  return disk->Transfer(false, offset, nullptr, length);
}

fat::Status BlockDisk::ReadDirectThunk(void* context, uint64_t offset, size_t length,
                                       size_t storage_offset) {
  // The driver DMAs the blocks straight into the cache's slots.
  auto* disk = static_cast<BlockDisk*>(context);
  if (disk->cache_map_ == nullptr || offset > disk->size_ || length > disk->size_ - offset ||
      offset % disk->block_size_ != 0 || length % disk->block_size_ != 0 || length > disk->chunk_ ||
      storage_offset > kCacheBytes || length > kCacheBytes - storage_offset) {
    return fat::Status::kIoError;
  }
  disk->client_.set_deadline(disk->Deadline());
  Block::ReadRequest req{disk->cache_vmo_id_, storage_offset, offset / disk->block_size_,
                         static_cast<uint32_t>(length / disk->block_size_)};
  Block::ReadResponse r;
  const mica_status_t s = disk->client_.Read(req, &r);
  return s == MICA_OK && r.status == MICA_OK ? fat::Status::kOk : fat::Status::kIoError;
}

fat::Status BlockDisk::FlushThunk(void* context) {
  auto* disk = static_cast<BlockDisk*>(context);
  disk->client_.set_deadline(disk->Deadline());
  Block::FlushRequest req;
  Block::FlushResponse r;
  mica_status_t s = disk->client_.Flush(req, &r);
  return s == MICA_OK && r.status == MICA_OK ? fat::Status::kOk : fat::Status::kIoError;
}

}  // namespace fs
