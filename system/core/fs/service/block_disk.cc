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

}  // namespace

BlockDisk::~BlockDisk() {
  if (map_ != nullptr) {
    static_cast<void>(
        mica_vmar_unmap(mica_rt_vmar_root(), reinterpret_cast<uintptr_t>(map_), kVmoBytes));
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
  s = mica::Vmo::Create(kVmoBytes, 0, &vmo_);
  uintptr_t addr = 0;
  if (s == MICA_OK) {
    s = mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, vmo_.get(), 0,
                      kVmoBytes, &addr);
  }
  if (s != MICA_OK) {
    return s;
  }
  map_ = reinterpret_cast<uint8_t*>(addr);
  Block::AttachVmoRequest attach;
  s = mica_handle_duplicate(vmo_.get(), MICA_RIGHT_SAME_RIGHTS, attach.vmo.reset_and_get_address());
  Block::AttachVmoResponse attached;
  if (s == MICA_OK) {
    client_.set_deadline(Deadline());
    s = client_.AttachVmo(attach, &attached);
  }
  s = s == MICA_OK ? attached.status : s;
  vmo_id_ = attached.vmo_id;
  if (s == MICA_OK) {
    if (cache_.Init(raw_device())) {  // without its memory: uncached
      cache_.set_mapped_read(ReadMappedThunk, this, chunk_);
    }
  }
  return s;
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

fat::Status BlockDisk::FlushThunk(void* context) {
  auto* disk = static_cast<BlockDisk*>(context);
  disk->client_.set_deadline(disk->Deadline());
  Block::FlushRequest req;
  Block::FlushResponse r;
  mica_status_t s = disk->client_.Flush(req, &r);
  return s == MICA_OK && r.status == MICA_OK ? fat::Status::kOk : fat::Status::kIoError;
}

}  // namespace fs
