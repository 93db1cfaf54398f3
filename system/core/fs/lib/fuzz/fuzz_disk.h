// The fuzzers' disk: the input's bytes as a fat::BlockDevice that aborts on
// a transfer the libraries promise never to make (not whole 512-byte
// sectors) and fails one past the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "system/core/fs/lib/fat.h"

namespace fat_fuzz {

struct Disk {
  uint8_t* data;
  size_t size;
};

inline fat::Status ReadDisk(void* context, uint64_t offset, void* buffer, size_t length) {
  const Disk* disk = static_cast<const Disk*>(context);
  if (offset % 512 != 0 || length % 512 != 0) {
    std::abort();  // the libraries promised sector-multiple reads
  }
  if (offset > disk->size || length > disk->size - offset) {
    return fat::Status::kIoError;
  }
  std::memcpy(buffer, disk->data + offset, length);
  return fat::Status::kOk;
}

inline fat::Status WriteDisk(void* context, uint64_t offset, const void* buffer, size_t length) {
  Disk* disk = static_cast<Disk*>(context);
  if (offset % 512 != 0 || length % 512 != 0 || length == 0) {
    std::abort();  // the library promised sector-multiple writes
  }
  if (offset > disk->size || length > disk->size - offset) {
    return fat::Status::kIoError;
  }
  std::memcpy(disk->data + offset, buffer, length);
  return fat::Status::kOk;
}

}  // namespace fat_fuzz
