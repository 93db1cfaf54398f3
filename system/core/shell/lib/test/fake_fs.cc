// See fake_fs.h.
#include "system/core/shell/lib/test/fake_fs.h"

#include <string.h>

namespace shell::test {

namespace {

using idl::fs::NodeType;
using idl::fs::OpenFlags;
using mica::fs::Error;

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string MountOf(const std::string& path) {
  size_t end = path.find('/', 1);
  return path.substr(1, end == std::string::npos ? std::string::npos : end - 1);
}

bool Below(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

Status Err(Error e, const char* detail = "") {
  return Status::Of(e, detail, strlen(detail));
}

}  // namespace

class FakeFile : public OpenedFile {
 public:
  FakeFile(FakeFs* fs, std::string path, bool append) : fs_(fs), path_(path), append_(append) {}
  Status Read(void* buffer, size_t count, size_t* actual) override {
    const std::string& d = fs_->nodes_.at(path_).data;
    size_t n = pos_ < d.size() ? std::min(count, d.size() - pos_) : 0;
    memcpy(buffer, d.data() + pos_, n);
    pos_ += n;
    *actual = n;
    return Status();
  }
  Status Write(const void* data, size_t count) override {
    FakeFs::Node& node = fs_->nodes_.at(path_);
    if (append_) {
      pos_ = node.data.size();
    }
    size_t n = count;
    if (fs_->space >= 0 && static_cast<long long>(n) > fs_->space) {
      n = static_cast<size_t>(fs_->space);
    }
    if (node.data.size() < pos_ + n) {
      node.data.resize(pos_ + n);
    }
    memcpy(node.data.data() + pos_, data, n);
    pos_ += n;
    node.mtime = fs_->now;
    if (fs_->space >= 0) {
      fs_->space -= static_cast<long long>(n);
    }
    return n < count ? Err(Error::NO_SPACE) : Status();
  }

 private:
  FakeFs* fs_;
  std::string path_;
  bool append_;
  size_t pos_ = 0;
};

class FakeDir : public OpenedDir {
 public:
  explicit FakeDir(std::vector<idl::fs::DirEntry> entries) : entries_(std::move(entries)) {}
  Status Next(const idl::fs::DirEntry** entry) override {
    *entry = next_ < entries_.size() ? &entries_[next_++] : nullptr;
    return Status();
  }

 private:
  std::vector<idl::fs::DirEntry> entries_;
  size_t next_ = 0;
};

FakeFs::FakeFs() : mounts_{"data", "boot", "bad"} {
  for (const auto& m : mounts_) {
    nodes_["/" + m].dir = true;
  }
}

void FakeFs::AddFile(const std::string& path, const std::string& data, uint64_t mtime) {
  nodes_[path] = Node{false, data, mtime};
}

void FakeFs::AddDir(const std::string& path, uint64_t mtime) {
  nodes_[path] = Node{true, "", mtime};
}

int FakeFs::syncs(const std::string& mount) const {
  auto it = syncs_.find(mount);
  return it == syncs_.end() ? 0 : it->second;
}

Status FakeFs::Check(const std::string& path, bool write) const {
  std::string mount = MountOf(path);
  if (nodes_.count("/" + mount) == 0) {
    return Err(Error::NOT_FOUND);
  }
  if (mount == "bad" && path != "/bad") {
    return Err(Error::CORRUPT, kCorruptDetail);
  }
  // Every ancestor below the mount is a directory.
  for (std::string p = Parent(path); p.size() > mount.size() + 1; p = Parent(p)) {
    auto it = nodes_.find(p);
    if (it == nodes_.end()) {
      return Err(Error::NOT_FOUND);
    }
    if (!it->second.dir) {
      return Err(Error::NOT_DIRECTORY);
    }
  }
  if (write && mount == "boot") {
    return Err(Error::READ_ONLY);
  }
  return Status();
}

Status FakeFs::Stat(const char* path, idl::fs::NodeInfo* info) {
  if (strcmp(path, "/") == 0) {
    *info = idl::fs::NodeInfo();
    info->type = NodeType::DIRECTORY;
    return Status();
  }
  Status st = Check(path, false);
  auto it = nodes_.find(path);
  if (st.ok() && it == nodes_.end()) {
    st = Err(Error::NOT_FOUND);
  }
  if (st.ok()) {
    *info = idl::fs::NodeInfo();
    info->type = it->second.dir ? NodeType::DIRECTORY : NodeType::FILE;
    info->size = it->second.data.size();
    info->modify_time = it->second.mtime;
  }
  return st;
}

Status FakeFs::Open(const char* path, OpenFlags flags, std::unique_ptr<OpenedFile>* file,
                    idl::fs::NodeInfo* info) {
  bool write = (flags & OpenFlags::WRITE) == OpenFlags::WRITE;
  Status st = Check(path, write);
  if (!st.ok()) {
    return st;
  }
  auto it = nodes_.find(path);
  if (it == nodes_.end()) {
    if ((flags & OpenFlags::CREATE) != OpenFlags::CREATE) {
      return Err(Error::NOT_FOUND);
    }
    it = nodes_.emplace(path, Node{false, "", now}).first;
  } else if ((flags & (OpenFlags::CREATE | OpenFlags::EXCLUSIVE)) ==
             (OpenFlags::CREATE | OpenFlags::EXCLUSIVE)) {
    return Err(Error::EXISTS);
  }
  if (it->second.dir && write) {
    return Err(Error::IS_DIRECTORY);
  }
  if ((flags & OpenFlags::TRUNCATE) == OpenFlags::TRUNCATE) {
    it->second.data.clear();
    it->second.mtime = now;
  }
  *file = std::make_unique<FakeFile>(this, path, (flags & OpenFlags::APPEND) == OpenFlags::APPEND);
  return Stat(path, info);
}

Status FakeFs::OpenDir(const char* path, std::unique_ptr<OpenedDir>* dir) {
  if (MountOf(path) == "bad") {
    return Err(Error::CORRUPT, kCorruptDetail);
  }
  idl::fs::NodeInfo info;
  Status st = Stat(path, &info);
  if (st.ok() && info.type != NodeType::DIRECTORY) {
    st = Err(Error::NOT_DIRECTORY);
  }
  if (!st.ok()) {
    return st;
  }
  std::vector<idl::fs::DirEntry> entries;
  for (const auto& [p, node] : nodes_) {
    if (Parent(p) == path && p != path) {
      idl::fs::DirEntry e;
      e.name.Set(p.c_str() + strlen(path) + 1);
      e.type = node.dir ? NodeType::DIRECTORY : NodeType::FILE;
      e.size = node.data.size();
      e.modify_time = node.mtime;
      entries.push_back(e);
    }
  }
  *dir = std::make_unique<FakeDir>(std::move(entries));
  return Status();
}

Status FakeFs::MakeDirectory(const char* path) {
  Status st = Check(path, true);
  if (st.ok() && nodes_.count(path) != 0) {
    st = Err(Error::EXISTS);
  }
  if (st.ok()) {
    nodes_[path] = Node{true, "", now};
  }
  return st;
}

Status FakeFs::Remove(const char* path, bool directory) {
  Status st = Check(path, true);
  auto it = nodes_.find(path);
  if (st.ok() && (it == nodes_.end() || MountOf(path).size() + 1 == strlen(path))) {
    st = it == nodes_.end() ? Err(Error::NOT_FOUND) : Err(Error::BUSY, "a mount point");
  }
  if (st.ok() && it->second.dir != directory) {
    st = Err(directory ? Error::NOT_DIRECTORY : Error::IS_DIRECTORY);
  }
  if (st.ok() && directory) {
    for (const auto& [p, node] : nodes_) {
      if (Below(p, path)) {
        st = Err(Error::NOT_EMPTY);
      }
    }
  }
  if (st.ok()) {
    nodes_.erase(it);
  }
  return st;
}

Status FakeFs::Rename(const char* from, const char* to) {
  if (MountOf(from) != MountOf(to)) {
    return Err(Error::NOT_SUPPORTED, "a rename across volumes");
  }
  Status st = Check(from, true);
  if (st.ok()) {
    st = Check(to, true);
  }
  auto src = nodes_.find(from);
  if (st.ok() && src == nodes_.end()) {
    st = Err(Error::NOT_FOUND);
  }
  if (st.ok() && Below(to, from)) {
    st = Err(Error::BUSY);
  }
  auto dst = nodes_.find(to);
  if (st.ok() && dst != nodes_.end() && (dst->second.dir || src->second.dir)) {
    st = Err(Error::EXISTS);
  }
  if (!st.ok()) {
    return st;
  }
  std::map<std::string, Node> moved;
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    if (it->first == from || Below(it->first, from)) {
      moved[to + it->first.substr(strlen(from))] = it->second;
      it = nodes_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [p, node] : moved) {
    nodes_[p] = node;
  }
  return Status();
}

Status FakeFs::Sync(const char* path) {
  Status st = Check(path, false);
  if (st.ok()) {
    syncs_[MountOf(path)]++;
  }
  return st;
}

Status FakeFs::QueryFilesystem(const char* path, idl::fs::FilesystemInfo* info) {
  std::string mount = MountOf(path);
  if (mount == "bad") {
    return Err(Error::CORRUPT, kCorruptDetail);
  }
  Status st = Check(path, false);
  if (!st.ok()) {
    return st;
  }
  *info = idl::fs::FilesystemInfo();
  info->fs_type.Set(mount == "data" ? "fat32" : "fat16");
  info->cluster_size = 4096;
  info->total_bytes = mount == "data" ? 64 << 20 : 32 << 20;
  uint64_t used = 0;
  for (const auto& [p, node] : nodes_) {
    if (Below(p, "/" + mount)) {
      used += 4096 * ((node.data.size() + 4095) / 4096 + (node.dir ? 1 : 0));
    }
  }
  info->free_bytes = info->total_bytes - used;
  info->read_only = mount == "boot";
  return Status();
}

Status FakeFs::ListMounts(uint32_t start, idl::fs::Mounts::ListResponse* page) {
  if (mounts_down) {
    return Err(Error::NOT_MOUNTED, kServiceDown);
  }
  struct Row {
    const char* name;
    const char* device;
    uint32_t partition;
    idl::fs::MountState state;
    uint64_t size;
    const char* detail;
  };
  const Row rows[] = {
      {"data", "block/0", 0, idl::fs::MountState::MOUNTED, 64 << 20, ""},
      {"boot", "block/1", 1, idl::fs::MountState::MOUNTED, 32 << 20, ""},
      {"", "block/1", 2, idl::fs::MountState::MOUNTED, 16 << 20, ""},
      {"", "block/2", 0, idl::fs::MountState::FAILED, 1 << 20,
       "bad boot sector: no 55 AA signature"},
  };
  constexpr uint32_t kRows = sizeof(rows) / sizeof(rows[0]);
  page->mounts.count = 0;
  page->total = kRows;
  for (uint32_t i = start; i < kRows && page->mounts.count < mounts_page; i++) {
    idl::fs::Mount m;
    m.name.Set(rows[i].name);
    m.device.Set(rows[i].device);
    m.partition = rows[i].partition;
    m.state = rows[i].state;
    m.size = rows[i].size;
    m.detail.Set(rows[i].detail);
    page->mounts.Push(m);
  }
  return Status();
}

}  // namespace shell::test
