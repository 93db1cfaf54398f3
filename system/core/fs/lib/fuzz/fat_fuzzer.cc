// libFuzzer target for the FAT library: any bytes as a disk image. Finds the
// partitions, mounts each, walks every directory (bounded depth and count,
// since a corrupt directory may contain itself), reads every file in full
// and at a few offsets, and measures every chain; then mounts it writable
// (a small metadata cache) and creates, writes, truncates, renames and
// removes files and directories, syncs, and walks again. It must never
// crash, hang or touch the disk outside its bounds. Run:
// out/fuzzers/fat_fuzzer.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "system/core/fs/lib/fat.h"
#include "system/core/fs/lib/fuzz/fuzz_disk.h"

namespace {

using fat_fuzz::Disk;
using fat_fuzz::ReadDisk;
using fat_fuzz::WriteDisk;

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

// Write operations on whatever the image holds: a new file and directory,
// and the first file and directory of the root changed, moved and removed.
void WriteSome(fat::Volume& volume) {
  static uint8_t data[5000];
  for (size_t i = 0; i < sizeof(data); ++i) {
    data[i] = static_cast<uint8_t>(i * 7);
  }
  const fat::Entry root = volume.Root();
  auto entry = std::make_unique<fat::Entry>();
  auto file = std::make_unique<fat::Entry>();
  auto dir = std::make_unique<fat::Entry>();
  auto made = std::make_unique<fat::Entry>();
  auto moved = std::make_unique<fat::Entry>();
  bool have_file = false, have_dir = false;
  fat::DirIterator it;
  if (volume.OpenDir(root, &it) == fat::Status::kOk) {
    for (int i = 0; i < 64 && !(have_file && have_dir); ++i) {
      fat::Status s = it.Next(entry.get());
      if (s == fat::Status::kBadDirEntry) {
        continue;
      }
      if (s != fat::Status::kOk) {
        break;
      }
      if (entry->is_directory() && !have_dir) {
        *dir = *entry;
        have_dir = true;
      } else if (!entry->is_directory() && !have_file) {
        *file = *entry;
        have_file = true;
      }
    }
  }
  size_t done = 0;
  if (volume.Create(root, "fuzz created file.txt", 21, false, made.get()) == fat::Status::kOk) {
    if (volume.Write(made.get(), 100, data, sizeof(data), &done) == fat::Status::kOk &&
        (done != sizeof(data) || made->size != 100 + sizeof(data))) {
      std::abort();
    }
    (void)volume.Truncate(made.get(), 1000);
  }
  if (volume.Create(root, "FUZZDIR", 7, true, made.get()) == fat::Status::kOk) {
    (void)volume.Create(*made, "inner file", 10, false, moved.get());
    if (have_dir) {
      (void)volume.Rename(*dir, *made, "moved dir", 9, moved.get());
    }
  }
  if (have_file) {
    (void)volume.Write(file.get(), file->size / 2, data, 3000, &done);
    (void)volume.Truncate(file.get(), file->size / 3);
    if (volume.Rename(*file, root, "renamed file", 12, moved.get()) == fat::Status::kOk) {
      (void)volume.Remove(*moved);
    }
  }
  (void)volume.Sync();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exactly-sized copy, so ASan catches a read past the end.
  std::unique_ptr<uint8_t[]> copy(new uint8_t[size == 0 ? 1 : size]);
  if (size != 0) {
    std::memcpy(copy.get(), data, size);
  }
  Disk disk{copy.get(), size};
  fat::BlockDevice device{&disk, ReadDisk, size, WriteDisk};
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
  // The same volumes written, then read again.
  static uint8_t cache[fat::CacheBytes(fat::kMinCacheSectors)];
  for (size_t i = 0; i < count; ++i) {
    if (volume->Mount(device, partitions[i], cache, sizeof(cache)) != fat::Status::kOk) {
      continue;
    }
    WriteSome(*volume);
    budget = 4096;
    Walk(*volume, volume->Root(), 0);
  }
  return 0;
}
