// An in-memory FileSystem (file_commands.h) for the file commands' host
// tests: the mounts "data" (writable), "boot" (read-only) and "bad" (a
// corrupt volume: its root answers Stat, everything below it CORRUPT with
// kCorruptDetail), each path a node in a map. It answers as fs.idl says
// the service does (NOT_FOUND, NOT_DIRECTORY, IS_DIRECTORY, EXISTS,
// NOT_EMPTY, BUSY, READ_ONLY), and counts Syncs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "system/core/shell/lib/file_commands.h"

namespace shell::test {

inline constexpr char kCorruptDetail[] = "the FAT entry of cluster 9 is out of range";
inline constexpr char kServiceDown[] = "the file system service is not available";

class FakeFs : public FileSystem {
 public:
  struct Node {
    bool dir = false;
    std::string data;
    uint64_t mtime = 0;
  };

  FakeFs();

  Status Open(const char* path, idl::fs::OpenFlags flags, std::unique_ptr<OpenedFile>* file,
              idl::fs::NodeInfo* info) override;
  Status OpenDir(const char* path, std::unique_ptr<OpenedDir>* dir) override;
  Status Stat(const char* path, idl::fs::NodeInfo* info) override;
  Status MakeDirectory(const char* path) override;
  Status Remove(const char* path, bool directory) override;
  Status Rename(const char* from, const char* to) override;
  Status Sync(const char* path) override;
  Status QueryFilesystem(const char* path, idl::fs::FilesystemInfo* info) override;
  size_t MountCount() const override { return mounts_.size(); }
  const char* MountName(size_t i) const override { return mounts_[i].c_str(); }
  Status ListMounts(uint32_t start, idl::fs::Mounts::ListResponse* page) override;

  // Test set-up and inspection.
  void AddFile(const std::string& path, const std::string& data, uint64_t mtime = 0);
  void AddDir(const std::string& path, uint64_t mtime = 0);
  bool Has(const std::string& path) const { return nodes_.count(path) != 0; }
  const Node& node(const std::string& path) const { return nodes_.at(path); }
  int syncs(const std::string& mount) const;
  uint64_t now = 1'765'162'800;  // 2025-12-08 03:00:00 UTC: new nodes' mtime
  bool mounts_down = false;      // fs.Mounts cannot be reached
  uint32_t mounts_page = 2;      // rows per ListMounts page
  // Fail a file's writes after this many bytes with NO_SPACE (-1: never).
  long long space = -1;

 private:
  friend class FakeFile;
  // NOT_FOUND / NOT_DIRECTORY for a missing or non-directory parent; the
  // mount's own errors (CORRUPT, READ_ONLY for `write`).
  Status Check(const std::string& path, bool write) const;
  std::vector<std::string> mounts_;
  std::map<std::string, Node> nodes_;
  std::map<std::string, int> syncs_;
};

}  // namespace shell::test
