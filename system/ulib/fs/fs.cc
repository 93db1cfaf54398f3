// See <mica/fs/fs.h>.
#include "mica/fs/fs.h"

#include <mica/async/loop.h>
#include <mica/component/component.h>
#include <mica/driver/status_name.h>
#include <mica/syscalls.h>
#include <string.h>

namespace mica::fs {

namespace {

using ::idl::fs::MAX_TRANSFER;

mica_time_t Deadline() {
  return mica::async::Loop::Now() + kCallTimeout;
}

// A call that did not reach the service (or got no answer): IO, with the
// kernel's status in `transport` and in words in `detail`.
Status TransportError(mica_status_t s) {
  const char* name = mica::driver::StatusName(s);
  static constexpr char kWho[] = "the file system service: ";
  Status st = Status::Of(Error::IO, kWho, sizeof(kWho) - 1);
  size_t used = strlen(st.detail);
  size_t n = strlen(name);
  if (used + n < sizeof(st.detail)) {
    memcpy(st.detail + used, name, n + 1);
  }
  st.transport = s;
  return st;
}

// A sync call's outcome: the transport's error, else the answer's.
template <typename Client, typename Req, typename Resp>
Status Call(Client& client, mica_status_t (Client::*method)(Req&, Resp*), Req& req, Resp* resp) {
  client.set_deadline(Deadline());
  mica_status_t s = (client.*method)(req, resp);
  if (s != MICA_OK) {
    return TransportError(s);
  }
  if constexpr (requires { resp->detail; }) {
    return Status::Of(resp->error, resp->detail);
  } else {
    return Status::Of(resp->error);
  }
}

Status BadPath(const char* why) {
  return Status::Of(Error::BAD_PATH, why, strlen(why));
}

template <typename S>
bool SetPath(S* field, const char* path) {
  return field->Set(path);
}

}  // namespace

// --- File ---------------------------------------------------------------

// One Read/ReadAt/Write/WriteAt of at most MAX_TRANSFER bytes: *moved is
// what it moved.
Status File::Chunk(bool write, bool at, uint64_t offset, uint8_t* bytes, uint32_t count,
                   size_t* moved) {
  using F = ::idl::fs::File;
  using C = ::idl::fs::FileSyncClient;
  Status st;
  uint64_t n = 0;
  if (write) {
    // 32 KiB requests and answers: static, not on the caller's stack (a
    // File is used by one thread at a time).
    static F::WriteAtRequest req;
    static F::WriteRequest plain;
    auto& data = at ? req.data : plain.data;
    memcpy(data.items, bytes, count);
    data.count = count;
    if (at) {
      req.offset = offset;
      F::WriteAtResponse resp;
      st = Call(client_, &C::WriteAt, req, &resp);
      n = resp.written;
    } else {
      F::WriteResponse resp;
      st = Call(client_, &C::Write, plain, &resp);
      n = resp.written;
    }
  } else {
    static F::ReadResponse resp;
    static F::ReadAtResponse resp_at;
    const uint8_t* got = nullptr;
    if (at) {
      F::ReadAtRequest req;
      req.offset = offset;
      req.count = count;
      st = Call(client_, &C::ReadAt, req, &resp_at);
      n = resp_at.data.count;
      got = resp_at.data.items;
    } else {
      F::ReadRequest req;
      req.count = count;
      st = Call(client_, &C::Read, req, &resp);
      n = resp.data.count;
      got = resp.data.items;
    }
    if (st.ok() && n <= count) {
      memcpy(bytes, got, static_cast<size_t>(n));
    }
  }
  *moved = st.transport == MICA_OK && n <= count ? static_cast<size_t>(n) : 0;
  return st;
}

Status File::Transfer(bool write, bool at, uint64_t offset, void* buffer, size_t count,
                      size_t* done) {
  auto* bytes = static_cast<uint8_t*>(buffer);
  size_t total = 0;
  Status st;
  while (total < count) {
    size_t left = count - total;
    uint32_t chunk = left < MAX_TRANSFER ? static_cast<uint32_t>(left) : MAX_TRANSFER;
    size_t moved = 0;
    st = Chunk(write, at, offset + total, bytes + total, chunk, &moved);
    total += moved;
    if (!st.ok() || moved < chunk) {
      break;  // the end of the file (a read), or the error
    }
  }
  if (done != nullptr) {
    *done = total;
  }
  return st;
}

Status File::Read(void* buffer, size_t count, size_t* actual) {
  return Transfer(false, false, 0, buffer, count, actual);
}

Status File::ReadAt(uint64_t offset, void* buffer, size_t count, size_t* actual) {
  return Transfer(false, true, offset, buffer, count, actual);
}

Status File::Write(const void* data, size_t count, size_t* written) {
  return Transfer(true, false, 0, const_cast<void*>(data), count, written);
}

Status File::WriteAt(uint64_t offset, const void* data, size_t count, size_t* written) {
  return Transfer(true, true, offset, const_cast<void*>(data), count, written);
}

Status File::Seek(Whence whence, int64_t offset, uint64_t* position) {
  ::idl::fs::File::SeekRequest req;
  req.whence = whence;
  req.offset = offset;
  ::idl::fs::File::SeekResponse resp;
  Status st = Call(client_, &::idl::fs::FileSyncClient::Seek, req, &resp);
  if (st.ok() && position != nullptr) {
    *position = resp.position;
  }
  return st;
}

Status File::Truncate(uint64_t size) {
  ::idl::fs::File::TruncateRequest req;
  req.size = size;
  ::idl::fs::File::TruncateResponse resp;
  return Call(client_, &::idl::fs::FileSyncClient::Truncate, req, &resp);
}

Status File::Stat(NodeInfo* info) {
  ::idl::fs::File::StatRequest req;
  ::idl::fs::File::StatResponse resp;
  Status st = Call(client_, &::idl::fs::FileSyncClient::Stat, req, &resp);
  if (st.ok()) {
    *info = resp.info;
  }
  return st;
}

Status File::Sync() {
  ::idl::fs::File::SyncRequest req;
  ::idl::fs::File::SyncResponse resp;
  return Call(client_, &::idl::fs::FileSyncClient::Sync, req, &resp);
}

// --- Dir ----------------------------------------------------------------

Status Dir::Next(const DirEntry** entry) {
  *entry = nullptr;
  if (!page_) {
    page_ = std::make_unique<::idl::fs::Directory::ReadDirResponse>();
    page_->entries.count = 0;
  }
  if (next_ >= page_->entries.count) {
    if (end_) {
      return Status();
    }
    ::idl::fs::Directory::ReadDirRequest req;
    next_ = 0;
    Status st = Call(client_, &::idl::fs::DirectorySyncClient::ReadDir, req, page_.get());
    if (!st.ok()) {
      page_->entries.count = 0;
      return st;
    }
    end_ = page_->entries.count == 0;
    if (end_) {
      return Status();
    }
  }
  *entry = &page_->entries[next_++];
  return Status();
}

Status Dir::Rewind() {
  ::idl::fs::Directory::RewindRequest req;
  ::idl::fs::Directory::RewindResponse resp;
  Status st = Call(client_, &::idl::fs::DirectorySyncClient::Rewind, req, &resp);
  if (page_) {
    page_->entries.count = 0;
  }
  next_ = 0;
  end_ = false;
  return st;
}

Status Dir::Stat(NodeInfo* info) {
  ::idl::fs::Directory::StatRequest req;
  ::idl::fs::Directory::StatResponse resp;
  Status st = Call(client_, &::idl::fs::DirectorySyncClient::Stat, req, &resp);
  if (st.ok()) {
    *info = resp.info;
  }
  return st;
}

Status Dir::Open(const char* path, OpenFlags flags, mica::Channel* node, NodeInfo* info) {
  ::idl::fs::Directory::OpenRequest req;
  if (!SetPath(&req.path, path)) {
    return BadPath("too long");
  }
  req.flags = flags;
  mica::Channel mine;
  mica_status_t s = mica::Channel::Create(0, &mine, &req.node);
  if (s != MICA_OK) {
    return TransportError(s);
  }
  ::idl::fs::Directory::OpenResponse resp;
  Status st = Call(client_, &::idl::fs::DirectorySyncClient::Open, req, &resp);
  if (st.ok()) {
    *node = static_cast<mica::Channel&&>(mine);
    if (info != nullptr) {
      *info = resp.info;
    }
  }
  return st;
}

Status Dir::OpenFile(const char* path, OpenFlags flags, File* file, NodeInfo* info) {
  mica::Channel node;
  NodeInfo got;
  Status st = Open(path, flags, &node, &got);
  if (st.ok() && got.type != NodeType::FILE) {
    return Status::Of(Error::IS_DIRECTORY);
  }
  if (st.ok()) {
    *file = File(static_cast<mica::Channel&&>(node));
    if (info != nullptr) {
      *info = got;
    }
  }
  return st;
}

Status Dir::OpenDir(const char* path, Dir* dir, NodeInfo* info) {
  mica::Channel node;
  NodeInfo got;
  Status st = Open(path, OpenFlags::READ | OpenFlags::DIRECTORY, &node, &got);
  if (st.ok()) {
    *dir = Dir(static_cast<mica::Channel&&>(node));
    if (info != nullptr) {
      *info = got;
    }
  }
  return st;
}

Status Dir::MakeDirectory(const char* path) {
  ::idl::fs::Directory::MakeDirectoryRequest req;
  if (!SetPath(&req.path, path)) {
    return BadPath("too long");
  }
  ::idl::fs::Directory::MakeDirectoryResponse resp;
  return Call(client_, &::idl::fs::DirectorySyncClient::MakeDirectory, req, &resp);
}

Status Dir::Remove(const char* path, bool directory) {
  ::idl::fs::Directory::RemoveRequest req;
  if (!SetPath(&req.path, path)) {
    return BadPath("too long");
  }
  req.directory = directory;
  ::idl::fs::Directory::RemoveResponse resp;
  return Call(client_, &::idl::fs::DirectorySyncClient::Remove, req, &resp);
}

Status Dir::Rename(const char* from, const char* to) {
  ::idl::fs::Directory::RenameRequest req;
  if (!SetPath(&req.from, from) || !SetPath(&req.to, to)) {
    return BadPath("too long");
  }
  ::idl::fs::Directory::RenameResponse resp;
  return Call(client_, &::idl::fs::DirectorySyncClient::Rename, req, &resp);
}

Status Dir::Sync() {
  ::idl::fs::Directory::SyncRequest req;
  ::idl::fs::Directory::SyncResponse resp;
  return Call(client_, &::idl::fs::DirectorySyncClient::Sync, req, &resp);
}

Status Dir::QueryFilesystem(FilesystemInfo* info) {
  ::idl::fs::Directory::QueryFilesystemRequest req;
  ::idl::fs::Directory::QueryFilesystemResponse resp;
  Status st = Call(client_, &::idl::fs::DirectorySyncClient::QueryFilesystem, req, &resp);
  if (st.ok()) {
    *info = resp.info;
  }
  return st;
}

// --- Namespace ----------------------------------------------------------

Namespace::Namespace(const char* const* mounts, size_t count, Opener opener)
    : opener_(opener != nullptr ? opener : &mica::component::Open) {
  for (size_t i = 0; i < count && count_ < kMaxMounts; i++) {
    size_t n = strlen(mounts[i]);
    if (n != 0 && n <= kMaxMountName) {
      memcpy(mounts_[count_++].name, mounts[i], n + 1);
    }
  }
}

Status Namespace::Reopen(Mount* m) {
  char path[kMaxMountName + 2] = "/";
  memcpy(path + 1, m->name, strlen(m->name) + 1);
  mica::Channel ch;
  mica_status_t s = opener_(path, &ch);
  if (s == MICA_ERR_NOT_FOUND) {
    static constexpr char kWhy[] = "not in this component's namespace";
    return Status::Of(Error::NOT_FOUND, kWhy, sizeof(kWhy) - 1);
  }
  if (s == MICA_ERR_UNAVAILABLE) {
    static constexpr char kWhy[] = "the file system service is not available";
    Status st = Status::Of(Error::NOT_MOUNTED, kWhy, sizeof(kWhy) - 1);
    st.transport = s;
    return st;
  }
  if (s != MICA_OK) {
    return TransportError(s);
  }
  m->root = Dir(static_cast<mica::Channel&&>(ch));
  return Status();
}

template <typename F>
Status Namespace::OnMount(const char* path, F call) {
  char name[kMaxMountName + 1];
  const char* rest = nullptr;
  if (!SplitMount(path, name, sizeof(name), &rest)) {
    return path[0] == '/' && path[1] == '\0' ? Status::Of(Error::NOT_SUPPORTED)
                                             : Status::Of(Error::NOT_FOUND);
  }
  Mount* m = nullptr;
  for (size_t i = 0; i < count_; i++) {
    if (strcmp(mounts_[i].name, name) == 0) {
      m = &mounts_[i];
    }
  }
  if (m == nullptr) {
    return Status::Of(Error::NOT_FOUND);
  }
  bool fresh = false;
  if (!m->root.is_valid()) {
    Status st = Reopen(m);
    if (!st.ok()) {
      return st;
    }
    fresh = true;
  }
  Status st = call(m->root, rest);
  if (st.transport == MICA_ERR_PEER_CLOSED && !fresh) {
    // The service restarted since the mount was opened: once more.
    st = Reopen(m);
    if (st.ok()) {
      st = call(m->root, rest);
    }
  }
  if (st.transport == MICA_ERR_PEER_CLOSED) {
    m->root = Dir();  // opened afresh by the next call
    static constexpr char kWhy[] = "the file system service closed the mount";
    Status closed = Status::Of(Error::NOT_MOUNTED, kWhy, sizeof(kWhy) - 1);
    closed.transport = st.transport;
    return closed;
  }
  return st;
}

Status Namespace::Open(const char* path, OpenFlags flags, File* file, NodeInfo* info) {
  return OnMount(
      path, [&](Dir& root, const char* rest) { return root.OpenFile(rest, flags, file, info); });
}

Status Namespace::OpenDir(const char* path, Dir* dir) {
  return OnMount(path, [&](Dir& root, const char* rest) { return root.OpenDir(rest, dir); });
}

Status Namespace::Stat(const char* path, NodeInfo* info) {
  if (path[0] == '/' && path[1] == '\0') {
    *info = NodeInfo();
    info->type = NodeType::DIRECTORY;
    info->attributes = 0x10;
    return Status();
  }
  return OnMount(path, [&](Dir& root, const char* rest) {
    if (rest[0] == '\0') {
      return root.Stat(info);
    }
    mica::Channel node;
    return root.Open(rest, OpenFlags::READ, &node, info);
  });
}

Status Namespace::MakeDirectory(const char* path) {
  return OnMount(path, [&](Dir& root, const char* rest) {
    return rest[0] == '\0' ? Status::Of(Error::EXISTS) : root.MakeDirectory(rest);
  });
}

Status Namespace::Remove(const char* path, bool directory) {
  return OnMount(path, [&](Dir& root, const char* rest) {
    static constexpr char kWhy[] = "a mount point";
    return rest[0] == '\0' ? Status::Of(Error::BUSY, kWhy, sizeof(kWhy) - 1)
                           : root.Remove(rest, directory);
  });
}

Status Namespace::Rename(const char* from, const char* to) {
  char a[kMaxMountName + 1], b[kMaxMountName + 1];
  const char* rest_from = nullptr;
  const char* rest_to = nullptr;
  if (SplitMount(from, a, sizeof(a), &rest_from) && SplitMount(to, b, sizeof(b), &rest_to) &&
      strcmp(a, b) != 0) {
    static constexpr char kWhy[] = "a rename across volumes";
    return Status::Of(Error::NOT_SUPPORTED, kWhy, sizeof(kWhy) - 1);
  }
  return OnMount(from, [&](Dir& root, const char* rest) {
    static constexpr char kWhy[] = "a mount point";
    if (rest[0] == '\0' || rest_to == nullptr || rest_to[0] == '\0') {
      return Status::Of(Error::BUSY, kWhy, sizeof(kWhy) - 1);
    }
    return root.Rename(rest, rest_to);
  });
}

Status Namespace::Sync(const char* path) {
  return OnMount(path, [](Dir& root, const char*) { return root.Sync(); });
}

Status Namespace::QueryFilesystem(const char* path, FilesystemInfo* info) {
  return OnMount(path, [&](Dir& root, const char*) { return root.QueryFilesystem(info); });
}

}  // namespace mica::fs
