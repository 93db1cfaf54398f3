// The mount table of the file system service (docs/storage.md, "The mount
// table"): every partition found on every block device, mounted or not,
// and which capability (`data`, `boot`) serves which volume. Pure C++
// (host-tested: test/mounts_test.cc); the service fills it (main.cc).
#pragma once

#include <idl/fs.h>
#include <stddef.h>
#include <stdint.h>

#include "system/core/fs/lib/fat.h"
#include "system/core/fs/service/vfs.h"

namespace fs {

inline constexpr size_t kMaxMounts = idl::fs::MAX_MOUNTS;
// The fat library's metadata cache per mounted volume.
inline constexpr size_t kCacheBytes = 256 * 1024;

struct MountRecord {
  char name[33] = {};      // "data", "boot" or "" (listed only)
  char device[33] = {};    // "block/0"
  uint32_t partition = 0;  // 1-based; 0: the whole disk (no table)
  fat::Partition part = {};
  bool mounted = false;
  char detail[idl::fs::MAX_DETAIL + 1] = {};  // why it is not mounted
  // Mounted only: its root holds the U-Boot boot files (boot.scr, Image).
  bool boot_files = false;
  char label[12] = {};
  FsVolume* volume = nullptr;  // owned by the service
};

// The name rule: `boot` is the first mounted volume whose root holds the
// boot files, `data` the first other mounted one, one labelled MICADATA
// before the rest. Names already given stay (a rescan never moves a
// mount); only unnamed records are considered.
void AssignNames(MountRecord* records, size_t count);

// The record named `name`, or nullptr.
MountRecord* FindByName(MountRecord* records, size_t count, const char* name);

// Whether `volume`'s root holds the U-Boot boot files: boot.scr, or the
// kernel image `Image` (images/uboot/boot-virt.cmd).
bool HasBootFiles(fat::Volume& volume);

// The record as fs.Mounts.List answers it.
void ToMount(const MountRecord& record, idl::fs::Mount* out);

// `detail` for a volume that did not mount: "<StatusString>".
void SetDetail(MountRecord* record, const char* text);

}  // namespace fs
