// libFuzzer target for the partition tables: any bytes as a disk. Lists the
// partitions and checks what List promises: every kept partition lies inside
// the disk, no two kept volumes overlap, a FAT candidate is kept and no
// container, every status has its string, and a smaller output array holds
// the same first entries. Each FAT candidate is mounted and its root listed.
// It must never crash or hang. Run: out/fuzzers/partition_fuzzer.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "system/core/fs/lib/fat.h"
#include "system/core/fs/lib/fuzz/fuzz_disk.h"
#include "system/core/fs/lib/partition.h"

namespace {

using fat_fuzz::Disk;
using fat_fuzz::ReadDisk;

void CheckString(partition::Status status) {
  if (std::strcmp(partition::StatusString(status), "unknown status") == 0) {
    std::abort();
  }
}

constexpr size_t kCapacity = 256;
constexpr size_t kSmallCapacity = 3;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exactly-sized copy, so ASan catches a read past the end.
  std::unique_ptr<uint8_t[]> copy(new uint8_t[size == 0 ? 1 : size]);
  if (size != 0) {
    std::memcpy(copy.get(), data, size);
  }
  Disk disk{copy.get(), size};
  fat::BlockDevice device{&disk, ReadDisk, size};
  auto entries = std::make_unique<partition::Entry[]>(kCapacity);
  partition::Table table;
  const partition::Status status = partition::List(device, entries.get(), kCapacity, &table);
  CheckString(status);
  CheckString(table.gpt_primary);
  CheckString(table.gpt_backup);
  if (status != partition::Status::kOk) {
    if (table.count != 0) {
      std::abort();
    }
    return 0;
  }
  if (table.count > kCapacity) {
    std::abort();
  }
  for (size_t i = 0; i < table.count; ++i) {
    const partition::Entry& e = entries[i];
    CheckString(e.status);
    if (e.fat_candidate && (e.status != partition::Status::kOk || e.extended)) {
      std::abort();
    }
    if (e.status != partition::Status::kOk) {
      continue;
    }
    if (e.size == 0 || e.offset > size || e.size > size - e.offset) {
      std::abort();
    }
    for (size_t j = 0; j < i; ++j) {
      const partition::Entry& o = entries[j];
      if (o.status == partition::Status::kOk && !o.extended && !e.extended &&
          e.offset < o.offset + o.size && o.offset < e.offset + e.size) {
        std::abort();
      }
    }
  }

  // The same disk into a smaller array: the same first entries.
  partition::Entry small[kSmallCapacity];
  partition::Table small_table;
  if (partition::List(device, small, kSmallCapacity, &small_table) != status ||
      small_table.count != (table.count < kSmallCapacity ? table.count : kSmallCapacity) ||
      small_table.truncated != (table.truncated || table.count > kSmallCapacity)) {
    std::abort();
  }
  for (size_t i = 0; i < small_table.count; ++i) {
    if (small[i].number != entries[i].number || small[i].offset != entries[i].offset ||
        small[i].size != entries[i].size) {
      std::abort();
    }
  }

  auto volume = std::make_unique<fat::Volume>();
  auto entry = std::make_unique<fat::Entry>();
  for (size_t i = 0; i < table.count; ++i) {
    if (!entries[i].fat_candidate || volume->Mount(device, entries[i].fat()) != fat::Status::kOk) {
      continue;
    }
    fat::DirIterator it;
    if (volume->OpenDir(volume->Root(), &it) != fat::Status::kOk) {
      continue;
    }
    for (int budget = 64; budget > 0; --budget) {
      const fat::Status s = it.Next(entry.get());
      if (s != fat::Status::kOk && s != fat::Status::kBadDirEntry) {
        break;
      }
    }
  }
  return 0;
}
