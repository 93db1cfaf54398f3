// The file system service's core (README.md here; docs/storage.md, "The
// file system service"): one mounted FAT volume with its open nodes, and
// every fs.Directory / fs.File request as a plain call. Pure C++ over
// fat::Volume and <idl/fs.h> (no syscalls), host-tested on mkfs.fat images
// (test/vfs_test.cc); the IPC servers (server.cc) only decode, call and
// encode.
//
// A node is one open file or directory, shared by every connection to it:
// it holds the entry's current copy (size, first cluster, place), so a
// write through one connection is seen by the others. Nodes are found by
// the entry's place on the volume (NodeTable). Each connection keeps its
// own rights, position and ReadDir cursor.
#pragma once

#include <idl/fs.h>
#include <stddef.h>
#include <stdint.h>

#include "system/core/fs/lib/fat.h"

namespace fs {

using idl::fs::Error;
using idl::fs::OpenFlags;

// What a request ended with: an fs.Error and, for the errors that need
// one (CORRUPT, NOT_MOUNTED, IO), the fat library's words.
struct Outcome {
  Error error = Error::OK;
  const char* detail = "";

  bool ok() const { return error == Error::OK; }
};

// fat::Status -> fs.Error (docs/storage.md, "The protocol").
Outcome FromFat(fat::Status status);
inline Outcome Fail(Error error) {
  return Outcome{error, ""};
}

// A connection's rights on its node.
inline constexpr uint32_t kRightRead = 0x1;
inline constexpr uint32_t kRightWrite = 0x2;

// Checks an Open's flags on their own: unknown bits, EXCLUSIVE without
// CREATE, TRUNCATE or APPEND without WRITE, CREATE with DIRECTORY (use
// MakeDirectory): INVALID.
Outcome CheckOpenFlags(uint32_t flags);

// The rights an Open with `flags` asks for, checked against the rights of
// the directory connection it is sent on and the volume: WRITE needs the
// directory's WRITE and a writable volume (READ_ONLY), READ the
// directory's READ (ACCESS_DENIED).
Outcome RightsFor(uint32_t flags, uint32_t dir_rights, bool volume_read_only, uint32_t* rights);

// A '/'-separated relative path cut into components: "" and "." name the
// directory itself; "." components are skipped; "..", an empty component
// (a leading '/', "a//b") or one over fat::kMaxNameBytes is BAD_PATH. One
// trailing '/' is allowed (the node must then be a directory).
class PathWalker {
 public:
  PathWalker(const char* path, size_t length) : path_(path), length_(length) {}
  // Checks the whole path: OK or BAD_PATH.
  Outcome Check() const;
  // The next component (*name, *length), or false at the end.
  bool Next(const char** name, size_t* length);
  // Whether the component Next gave last is the path's last.
  bool AtEnd() const;
  bool trailing_slash() const { return length_ != 0 && path_[length_ - 1] == '/'; }

 private:
  const char* path_;
  size_t length_;
  size_t at_ = 0;
};

struct Node {
  fat::Entry entry;
  uint32_t refs = 0;
  // Removed while open: every later request fails with NOT_FOUND.
  bool removed = false;
  Node* next = nullptr;  // in the NodeTable
};

// The open nodes of one volume, found by the place of their entry.
class NodeTable {
 public:
  NodeTable() = default;
  ~NodeTable();
  NodeTable(const NodeTable&) = delete;
  NodeTable& operator=(const NodeTable&) = delete;

  // Whether two entries are the same file or directory.
  static bool SameNode(const fat::Entry& a, const fat::Entry& b);
  // The open node of `entry`, or nullptr.
  Node* Find(const fat::Entry& entry) const;
  // The node of `entry` with one more reference (a new one if none is
  // open; *created says so). nullptr if out of memory.
  Node* Acquire(const fat::Entry& entry, bool* created);
  // Drops a reference; the last one frees the node.
  void Release(Node* node);
  size_t size() const { return count_; }

 private:
  Node* head_ = nullptr;
  size_t count_ = 0;
};

// One mounted volume and everything done on it.
class FsVolume {
 public:
  FsVolume() = default;
  FsVolume(const FsVolume&) = delete;
  FsVolume& operator=(const FsVolume&) = delete;

  // Mounts the volume; `cache` (cache_bytes) is the fat library's metadata
  // cache and must outlive this object.
  fat::Status Mount(const fat::BlockDevice& device, const fat::Partition& partition, void* cache,
                    size_t cache_bytes, bool read_only);
  fat::Volume& fat() { return volume_; }
  bool read_only() const;
  // Where the time stamped on what changes comes from (seconds since
  // 1970-01-01 UTC); without one the library's default (1980-01-01).
  void set_clock(uint64_t (*now)()) { clock_ = now; }
  // The root directory's node (held by the volume itself): a new
  // reference for a mount capability's connection.
  Node* AcquireRoot();
  void Release(Node* node) { nodes_.Release(node); }
  const NodeTable& nodes() const { return nodes_; }

  // Directory.Open from `dir` (opened with `dir_rights`): *node (one
  // reference, the caller releases it) and *rights on OK.
  Outcome Open(Node* dir, uint32_t dir_rights, const char* path, size_t length, uint32_t flags,
               Node** node, uint32_t* rights);
  Outcome MakeDirectory(Node* dir, uint32_t dir_rights, const char* path, size_t length);
  Outcome Remove(Node* dir, uint32_t dir_rights, const char* path, size_t length, bool directory);
  Outcome Rename(Node* dir, uint32_t dir_rights, const char* from, size_t from_length,
                 const char* to, size_t to_length);
  // The next entries of a directory cursor, at most `max` (each given to
  // `each`); *count is how many.
  template <typename Each>
  Outcome ReadDir(Node* dir, uint32_t rights, fat::DirIterator* cursor, size_t max, Each&& each);
  Outcome Rewind(Node* dir, fat::DirIterator* cursor);

  Outcome Read(Node* file, uint32_t rights, uint64_t offset, void* buffer, size_t length,
               size_t* done);
  Outcome Write(Node* file, uint32_t rights, uint64_t offset, const void* data, size_t length,
                size_t* done);
  Outcome Truncate(Node* file, uint32_t rights, uint64_t size);
  Outcome Stat(const Node* node, idl::fs::NodeInfo* info) const;
  Outcome Sync();
  Outcome Query(idl::fs::FilesystemInfo* info);

 private:
  // Where a path leads: the directory holding its last component and that
  // name (empty when the path names the directory it starts from).
  struct Target {
    fat::Entry parent;
    const char* name = "";
    size_t length = 0;
    bool trailing_slash = false;
  };
  // Walks `path` from `dir` to *target.
  Outcome WalkToParent(const fat::Entry& dir, const char* path, size_t length, Target* target);
  // Checks that `dir` may be changed, and sets the volume's time for it.
  Outcome WritableDir(const Node* dir, uint32_t dir_rights);
  void Stamp();
  // WritableDir, then WalkToParent: where a change to `dir` lands.
  Outcome ChangeTarget(Node* dir, uint32_t dir_rights, const char* path, size_t length,
                       Target* target);

  fat::Volume volume_;
  uint64_t (*clock_)() = nullptr;
  bool read_only_ = true;
  NodeTable nodes_;
  Node* root_ = nullptr;
};

void ToNodeInfo(const fat::Entry& entry, idl::fs::NodeInfo* info);
// "fat12", "fat16", "fat32" (FilesystemInfo.fs_type).
const char* FatTypeName(fat::FatType type);

template <typename Each>
Outcome FsVolume::ReadDir(Node* dir, uint32_t rights, fat::DirIterator* cursor, size_t max,
                          Each&& each) {
  if ((rights & kRightRead) == 0) {
    return Fail(Error::ACCESS_DENIED);
  }
  if (dir->removed) {
    return Fail(Error::NOT_FOUND);
  }
  size_t count = 0;
  while (count < max) {
    fat::Entry entry;
    fat::Status s = cursor->Next(&entry);
    if (s == fat::Status::kBadDirEntry) {
      continue;  // never shown; the rest of the directory is
    }
    if (s == fat::Status::kNotFound) {
      break;
    }
    if (s != fat::Status::kOk) {
      return FromFat(s);
    }
    each(entry);
    ++count;
  }
  return Outcome{};
}

}  // namespace fs
