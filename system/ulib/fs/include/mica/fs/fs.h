// mica::fs: files through the file system service (docs/storage.md, "The
// client library"; system/idl/fs.idl).
//
//   const char* mounts[] = {"data", "boot"};      // the manifest's directory uses
//   mica::fs::Namespace ns(mounts, 2);
//   mica::fs::File f;
//   mica::fs::Status s = ns.Open("/data/notes.txt", OpenFlags::READ, &f);
//   char buf[100];
//   size_t n = 0;
//   if (s.ok()) s = f.Read(buf, sizeof(buf), &n);
//   if (!s.ok()) printf("cat: /data/notes.txt: %s\n", s.Describe(why, sizeof(why)));
//
// A Namespace resolves absolute, normalised paths (NormalizePath,
// <mica/fs/path.h>): the first component names a mount, a directory in the
// component's namespace opened once with Namespace.Open (`/data`) and
// cached; the rest goes to that directory's fs.Directory calls. If a call
// on a mount finds its channel closed (MICA_ERR_PEER_CLOSED: the service
// was restarted), the mount is opened again and the call made once more;
// the request may then have been carried out twice (a MakeDirectory that
// reached the disk before the crash now answers EXISTS). Open files and
// directories are channels of their own: after a restart they answer IO
// (transport MICA_ERR_PEER_CLOSED) and are opened again by the caller.
//
// File and Dir own their channel (closing it closes the node) and are
// move-only. Every call waits at most kCallTimeout. Not thread-safe: one
// thread uses a Namespace (and each File or Dir) at a time.
#pragma once

#include <idl/fs.h>
#include <idl/fs_ipc.h>
#include <mica/cpp/objects.h>
#include <mica/fs/path.h>
#include <mica/fs/status.h>
#include <stddef.h>
#include <stdint.h>

#include <memory>

namespace mica::fs {

using ::idl::fs::DirEntry;
using ::idl::fs::FilesystemInfo;
using ::idl::fs::NodeInfo;
using ::idl::fs::NodeType;
using ::idl::fs::OpenFlags;
using ::idl::fs::Whence;

// How long one call to the service may take (a Sync of a large cache).
inline constexpr mica_duration_t kCallTimeout = 30'000'000'000;

class File {
 public:
  File() = default;
  explicit File(mica::Channel channel) : client_(static_cast<mica::Channel&&>(channel)) {}

  bool is_valid() const { return client_.channel().is_valid(); }
  // Reads up to `count` bytes at the position (several calls of at most
  // MAX_TRANSFER); *actual is short only at the end of the file.
  Status Read(void* buffer, size_t count, size_t* actual);
  Status ReadAt(uint64_t offset, void* buffer, size_t count, size_t* actual);
  // Writes all `count` bytes (at the end with APPEND); *written (optional)
  // is short only on an error (NO_SPACE).
  Status Write(const void* data, size_t count, size_t* written = nullptr);
  Status WriteAt(uint64_t offset, const void* data, size_t count, size_t* written = nullptr);
  Status Seek(Whence whence, int64_t offset, uint64_t* position = nullptr);
  Status Truncate(uint64_t size);
  Status Stat(NodeInfo* info);
  Status Sync();
  mica::Channel TakeChannel() { return client_.TakeChannel(); }

 private:
  Status Transfer(bool write, bool at, uint64_t offset, void* buffer, size_t count, size_t* done);
  Status Chunk(bool write, bool at, uint64_t offset, uint8_t* bytes, uint32_t count, size_t* moved);
  ::idl::fs::FileSyncClient client_;
};

class Dir {
 public:
  Dir() = default;
  explicit Dir(mica::Channel channel) : client_(static_cast<mica::Channel&&>(channel)) {}

  bool is_valid() const { return client_.channel().is_valid(); }
  // The next entry (ReadDir a page at a time): *entry points at it, valid
  // until the next call, or is null at the end.
  Status Next(const DirEntry** entry);
  // Next starts again from the first entry.
  Status Rewind();
  Status Stat(NodeInfo* info);

  // `path` is relative to this directory (no ".."). Open gives the node's
  // channel; OpenFile and OpenDir check its type (IS_DIRECTORY,
  // NOT_DIRECTORY).
  Status Open(const char* path, OpenFlags flags, mica::Channel* node, NodeInfo* info = nullptr);
  Status OpenFile(const char* path, OpenFlags flags, File* file, NodeInfo* info = nullptr);
  Status OpenDir(const char* path, Dir* dir, NodeInfo* info = nullptr);
  Status MakeDirectory(const char* path);
  // A file, or with `directory` an empty directory.
  Status Remove(const char* path, bool directory);
  Status Rename(const char* from, const char* to);
  Status Sync();
  Status QueryFilesystem(FilesystemInfo* info);

  mica::Channel TakeChannel() { return client_.TakeChannel(); }

 private:
  ::idl::fs::DirectorySyncClient client_;
  // The ReadDir page Next walks (26 KiB: on the heap, made by the first Next).
  std::unique_ptr<::idl::fs::Directory::ReadDirResponse> page_;
  uint32_t next_ = 0;
  bool end_ = false;
};

class Namespace {
 public:
  static constexpr size_t kMaxMounts = 8;
  static constexpr size_t kMaxMountName = 32;
  // Opens a namespace path ("/data") into *out: mica::component::Open.
  using Opener = mica_status_t (*)(const char* path, mica::Channel* out);

  // `mounts`: the names of the directories the component's namespace has
  // at its top (its manifest's directory uses, e.g. "data", "boot"); a
  // path under any other name is NOT_FOUND without asking.
  Namespace(const char* const* mounts, size_t count, Opener opener = nullptr);

  // Paths are absolute and normalised. "/" itself is a directory that
  // only Stat knows (its entries are the mounts: mount_name()).
  Status Open(const char* path, OpenFlags flags, File* file, NodeInfo* info = nullptr);
  Status OpenDir(const char* path, Dir* dir);
  Status Stat(const char* path, NodeInfo* info);
  Status MakeDirectory(const char* path);
  Status Remove(const char* path, bool directory);
  // Both on the same mount (NOT_SUPPORTED otherwise).
  Status Rename(const char* from, const char* to);
  // The volume `path` is on.
  Status Sync(const char* path);
  Status QueryFilesystem(const char* path, FilesystemInfo* info);

  size_t mount_count() const { return count_; }
  const char* mount_name(size_t i) const { return mounts_[i].name; }

 private:
  struct Mount {
    char name[kMaxMountName + 1] = {};
    Dir root;
  };
  // Calls call(root, rest) on the mount of `path` (opening it first),
  // once more after reopening it if the channel was closed.
  template <typename F>
  Status OnMount(const char* path, F call);
  Status Reopen(Mount* m);

  Mount mounts_[kMaxMounts];
  size_t count_ = 0;
  Opener opener_;
};

}  // namespace mica::fs
