// libFuzzer target for the FAT reader: any bytes as a disk image. Finds the
// partitions, mounts each, walks every directory (bounded depth and count,
// since a corrupt directory may contain itself), reads every file in full
// and at a few offsets, and measures every chain. It must never crash or
// hang. Run: out/fuzzers/fat_fuzzer.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "system/core/fs/lib/fat.h"

namespace {

struct Disk {
  const uint8_t* data;
  size_t size;
};

fat::Status ReadDisk(void* context, uint64_t offset, void* buffer, size_t length) {
  const Disk* disk = static_cast<const Disk*>(context);
  if (offset % 512 != 0 || length % 512 != 0) {
    std::abort();  // the library promised sector-multiple reads
  }
  if (offset > disk->size || length > disk->size - offset) {
    return fat::Status::kIoError;
  }
  std::memcpy(buffer, disk->data + offset, length);
  return fat::Status::kOk;
}

constexpr int kMaxDepth = 6;
size_t budget;  // entries left to visit in this input

void ReadFile(fat::Volume& volume, const fat::Entry& file) {
  static uint8_t buffer[8192];
  size_t done = 0;
  for (uint64_t at = 0; at < file.size;) {
    if (volume.Read(file, at, buffer, sizeof(buffer), &done) != fat::Status::kOk) {
      break;
    }
    if (done == 0 || done > sizeof(buffer) || done > file.size - at) {
      std::abort();
    }
    at += done;
  }
  if (file.size > 3 && volume.Read(file, file.size - 3, buffer, 10, &done) == fat::Status::kOk &&
      done != 3) {
    std::abort();
  }
}

void Walk(fat::Volume& volume, const fat::Entry& dir, int depth) {
  fat::DirIterator it;
  if (volume.OpenDir(dir, &it) != fat::Status::kOk) {
    return;
  }
  // Entry is large: on the heap, so deep walks stay off the stack.
  auto entry = std::make_unique<fat::Entry>();
  for (;;) {
    if (budget == 0) {
      return;
    }
    --budget;
    fat::Status s = it.Next(entry.get());
    if (s == fat::Status::kBadDirEntry) {
      continue;
    }
    if (s != fat::Status::kOk) {
      return;
    }
    if (entry->name_length != std::strlen(entry->name) || entry->name_length == 0) {
      std::abort();
    }
    uint32_t length;
    if (entry->first_cluster != 0) {
      (void)volume.ChainLength(entry->first_cluster, &length);
    }
    (void)volume.CheckChain(*entry);
    if (entry->is_directory()) {
      if (depth < kMaxDepth) {
        Walk(volume, *entry, depth + 1);
      }
    } else {
      ReadFile(volume, *entry);
      fat::Entry found;
      if (depth == 0) {
        (void)volume.Lookup(entry->name, entry->name_length, &found);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exactly-sized copy, so ASan catches a read past the end.
  std::unique_ptr<uint8_t[]> copy(new uint8_t[size == 0 ? 1 : size]);
  if (size != 0) {
    std::memcpy(copy.get(), data, size);
  }
  Disk disk{copy.get(), size};
  fat::BlockDevice device{&disk, ReadDisk, size};
  fat::Partition partitions[fat::kMaxPartitions];
  size_t count = 0;
  if (fat::FindPartitions(device, partitions, &count) != fat::Status::kOk) {
    return 0;
  }
  auto volume = std::make_unique<fat::Volume>();
  for (size_t i = 0; i < count; ++i) {
    if (volume->Mount(device, partitions[i]) != fat::Status::kOk) {
      continue;
    }
    budget = 4096;
    Walk(*volume, volume->Root(), 0);
  }
  return 0;
}
