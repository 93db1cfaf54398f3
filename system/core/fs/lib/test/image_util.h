// Test helpers: real FAT images made by mkfs.fat and filled by mtools, a
// block device over an image file or bytes, and a full walk of a volume.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "system/core/fs/lib/fat.h"

namespace fat_test {

// Runs argv[0] (from PATH) with stdout discarded; true if it exits 0.
bool Run(const std::vector<std::string>& argv);

// Runs argv[0] (from PATH) with stdout and stderr into *output; its exit
// status, or -1 if it could not run.
int RunCapture(const std::vector<std::string>& argv, std::string* output);

// A fresh directory under $TMPDIR (or /tmp), removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Deterministic pseudo-random bytes.
std::vector<uint8_t> Pattern(size_t size, uint32_t seed);

// An image made by `mkfs.fat -C <mkfs_args> <path> <kib>`, filled by mtools;
// it remembers what it put in (paths without a leading '/').
class ImageBuilder {
 public:
  ImageBuilder(std::string path, const std::vector<std::string>& mkfs_args, uint64_t kib);
  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }
  void Mkdir(const std::string& dir);
  void Put(const std::string& file, const std::vector<uint8_t>& data);
  void Remove(const std::string& file);
  // FAT32: sets the FSInfo "next free cluster" hint back to cluster 2, so
  // mtools fills freed holes first instead of allocating after the last
  // allocated cluster.
  void RewindFreeHint();
  const std::map<std::string, std::vector<uint8_t>>& files() const { return files_; }
  const std::set<std::string>& dirs() const { return dirs_; }

 private:
  std::string path_;
  bool ok_ = false;
  int serial_ = 0;
  std::map<std::string, std::vector<uint8_t>> files_;
  std::set<std::string> dirs_;
};

std::vector<uint8_t> ReadHostFile(const std::string& path);

// A block device over bytes held in memory (a copy, so tests may corrupt it).
class MemoryDisk {
 public:
  // One write (or, with empty data, a flush) as the device saw it.
  struct Op {
    uint64_t offset;
    std::vector<uint8_t> data;
  };

  explicit MemoryDisk(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  fat::BlockDevice device();  // read-only
  fat::BlockDevice writable_device();
  std::vector<uint8_t>& bytes() { return bytes_; }
  size_t reads() const { return reads_; }
  size_t read_bytes() const { return read_bytes_; }
  size_t writes() const { return writes_; }
  // Records every write and flush from now on into *log (null: stop).
  void Record(std::vector<Op>* log) { log_ = log; }
  // Fails every read and write after `count` more (SIZE_MAX: never).
  void FailAfter(size_t count) { fail_after_ = count; }

 private:
  static fat::Status ReadAt(void* context, uint64_t offset, void* buffer, size_t length);
  static fat::Status WriteAt(void* context, uint64_t offset, const void* buffer, size_t length);
  static fat::Status FlushAll(void* context);
  bool Fail();
  std::vector<uint8_t> bytes_;
  size_t reads_ = 0;
  size_t read_bytes_ = 0;
  size_t writes_ = 0;
  size_t fail_after_ = SIZE_MAX;
  std::vector<Op>* log_ = nullptr;
};

// A block device over an image file (pread), for large sparse images.
class FileDisk {
 public:
  explicit FileDisk(const std::string& path, bool writable = false);
  ~FileDisk();
  FileDisk(const FileDisk&) = delete;
  FileDisk& operator=(const FileDisk&) = delete;
  bool ok() const { return fd_ >= 0; }
  fat::BlockDevice device();

 private:
  static fat::Status ReadAt(void* context, uint64_t offset, void* buffer, size_t length);
  static fat::Status WriteAt(void* context, uint64_t offset, const void* buffer, size_t length);
  int fd_ = -1;
  bool writable_ = false;
  uint64_t size_ = 0;
};

// Everything a volume holds: file path -> bytes, and directory paths.
struct Tree {
  std::map<std::string, std::vector<uint8_t>> files;
  std::set<std::string> dirs;
};

// Walks every directory of a mounted volume, checks every entry's chain and
// reads every file in full (in `chunk`-byte reads); the first error is
// returned.
fat::Status WalkAll(fat::Volume& volume, Tree* tree, size_t chunk = 4096);

}  // namespace fat_test
