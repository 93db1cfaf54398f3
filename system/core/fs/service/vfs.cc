// See vfs.h.
#include "system/core/fs/service/vfs.h"

#include <new>

namespace fs {
namespace {

constexpr uint32_t kKnownFlags = idl::fs::kOpenFlagsMask;

constexpr uint32_t Flag(OpenFlags f) {
  return static_cast<uint32_t>(f);
}

bool Has(uint32_t flags, OpenFlags f) {
  return (flags & Flag(f)) != 0;
}

bool SameBytes(const char* a, size_t a_length, const char* b, size_t b_length) {
  if (a_length != b_length) {
    return false;
  }
  for (size_t i = 0; i < a_length; ++i) {
    if (a[i] != b[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

Outcome FromFat(fat::Status status) {
  using fat::Status;
  const char* words = fat::StatusString(status);
  switch (status) {
    case Status::kOk:
      return Outcome{};
    case Status::kIoError:
      return Outcome{Error::IO, words};
    case Status::kNoVolume:
    case Status::kBadPartition:
    case Status::kBadSignature:
    case Status::kBadJump:
    case Status::kBadBytesPerSector:
    case Status::kBadSectorsPerCluster:
    case Status::kBadReservedSectors:
    case Status::kBadFatCount:
    case Status::kBadMedia:
    case Status::kBadFatSize:
    case Status::kBadTotalSectors:
    case Status::kVolumeTooLarge:
    case Status::kBadRootEntries:
    case Status::kBadClusterCount:
    case Status::kBadRootCluster:
    case Status::kBadFsVersion:
    case Status::kNotMounted:
      return Outcome{Error::NOT_MOUNTED, words};
    case Status::kBadCluster:
    case Status::kFreeInChain:
    case Status::kBadSectorMark:
    case Status::kChainLoop:
    case Status::kChainTooShort:
    case Status::kChainTooLong:
    case Status::kBadDirEntry:
      return Outcome{Error::CORRUPT, words};
    case Status::kNotFound:
      return Fail(Error::NOT_FOUND);
    case Status::kNotADirectory:
      return Fail(Error::NOT_DIRECTORY);
    case Status::kIsADirectory:
      return Fail(Error::IS_DIRECTORY);
    case Status::kBadPath:
      return Fail(Error::BAD_PATH);
    case Status::kReadOnly:
      return Fail(Error::READ_ONLY);
    case Status::kExists:
      return Fail(Error::EXISTS);
    case Status::kNotEmpty:
      return Fail(Error::NOT_EMPTY);
    case Status::kNoSpace:
      return Fail(Error::NO_SPACE);
    case Status::kFileTooLarge:
      return Fail(Error::TOO_LARGE);
    case Status::kBadName:
      return Fail(Error::BAD_NAME);
    case Status::kInvalid:
      return Fail(Error::INVALID);
  }
  return Outcome{Error::IO, words};
}

Outcome CheckOpenFlags(uint32_t flags) {
  const bool bad = (flags & ~kKnownFlags) != 0 ||
                   (Has(flags, OpenFlags::EXCLUSIVE) && !Has(flags, OpenFlags::CREATE)) ||
                   (Has(flags, OpenFlags::TRUNCATE) && !Has(flags, OpenFlags::WRITE)) ||
                   (Has(flags, OpenFlags::APPEND) && !Has(flags, OpenFlags::WRITE)) ||
                   (Has(flags, OpenFlags::CREATE) && Has(flags, OpenFlags::DIRECTORY));
  return bad ? Fail(Error::INVALID) : Outcome{};
}

Outcome RightsFor(uint32_t flags, uint32_t dir_rights, bool volume_read_only, uint32_t* rights) {
  *rights = 0;
  if (Has(flags, OpenFlags::WRITE)) {
    if (volume_read_only || (dir_rights & kRightWrite) == 0) {
      return Fail(Error::READ_ONLY);
    }
    *rights |= kRightWrite;
  }
  if (Has(flags, OpenFlags::READ)) {
    if ((dir_rights & kRightRead) == 0) {
      return Fail(Error::ACCESS_DENIED);
    }
    *rights |= kRightRead;
  }
  return Outcome{};
}

// --- PathWalker ---

Outcome PathWalker::Check() const {
  if (length_ == 1 && path_[0] == '/') {
    return Fail(Error::BAD_PATH);  // absolute
  }
  const size_t length = trailing_slash() ? length_ - 1 : length_;
  size_t at = 0;
  while (at < length) {
    size_t end = at;
    while (end < length && path_[end] != '/') {
      ++end;
    }
    const size_t n = end - at;
    if (n == 0 || n > fat::kMaxNameBytes || (n == 2 && path_[at] == '.' && path_[at + 1] == '.')) {
      return Fail(Error::BAD_PATH);
    }
    at = end + 1;
    if (at == length) {
      return Fail(Error::BAD_PATH);  // "a//": an empty last component
    }
  }
  return Outcome{};
}

bool PathWalker::Next(const char** name, size_t* length) {
  for (;;) {
    if (at_ >= length_) {
      return false;
    }
    size_t end = at_;
    while (end < length_ && path_[end] != '/') {
      ++end;
    }
    const char* start = path_ + at_;
    const size_t n = end - at_;
    at_ = end < length_ ? end + 1 : end;
    if (n == 1 && start[0] == '.') {
      continue;
    }
    if (n == 0) {
      continue;  // the trailing '/' (Check refused any other)
    }
    *name = start;
    *length = n;
    return true;
  }
}

bool PathWalker::AtEnd() const {
  // Only "." components or a trailing '/' may follow.
  size_t at = at_;
  while (at < length_) {
    size_t end = at;
    while (end < length_ && path_[end] != '/') {
      ++end;
    }
    const size_t n = end - at;
    if (!(n == 0 || (n == 1 && path_[at] == '.'))) {
      return false;
    }
    at = end + 1;
  }
  return true;
}

// --- NodeTable ---

NodeTable::~NodeTable() {
  while (head_ != nullptr) {
    Node* n = head_;
    head_ = n->next;
    delete n;
  }
}

bool NodeTable::SameNode(const fat::Entry& a, const fat::Entry& b) {
  if (a.is_root || b.is_root) {
    return a.is_root && b.is_root;
  }
  // The place of the short entry: unique among live entries.
  return a.dir_cluster == b.dir_cluster && a.slot == b.slot;
}

Node* NodeTable::Find(const fat::Entry& entry) const {
  for (Node* n = head_; n != nullptr; n = n->next) {
    if (!n->removed && SameNode(n->entry, entry)) {
      return n;
    }
  }
  return nullptr;
}

Node* NodeTable::Acquire(const fat::Entry& entry, bool* created) {
  *created = false;
  Node* n = Find(entry);
  if (n == nullptr) {
    n = new (std::nothrow) Node;
    if (n == nullptr) {
      return nullptr;
    }
    n->entry = entry;
    n->next = head_;
    head_ = n;
    ++count_;
    *created = true;
  }
  ++n->refs;
  return n;
}

void NodeTable::Release(Node* node) {
  if (node == nullptr || --node->refs != 0) {
    return;
  }
  for (Node** p = &head_; *p != nullptr; p = &(*p)->next) {
    if (*p == node) {
      *p = node->next;
      --count_;
      delete node;
      return;
    }
  }
}

// --- FsVolume ---

const char* FatTypeName(fat::FatType type) {
  switch (type) {
    case fat::FatType::kFat12:
      return "fat12";
    case fat::FatType::kFat16:
      return "fat16";
    case fat::FatType::kFat32:
      return "fat32";
  }
  return "fat";
}

void ToNodeInfo(const fat::Entry& entry, idl::fs::NodeInfo* info) {
  info->type = entry.is_directory() ? idl::fs::NodeType::DIRECTORY : idl::fs::NodeType::FILE;
  info->size = entry.is_directory() ? 0 : entry.size;
  info->attributes = entry.attributes;
  info->modify_time = entry.modify_time;
}

fat::Status FsVolume::Mount(const fat::BlockDevice& device, const fat::Partition& partition,
                            void* cache, size_t cache_bytes, bool read_only) {
  fat::Status s = volume_.Mount(device, partition, cache, cache_bytes, read_only);
  if (s != fat::Status::kOk) {
    return s;
  }
  read_only_ = read_only || volume_.read_only();
  bool created = false;
  root_ = nodes_.Acquire(volume_.Root(), &created);
  return root_ != nullptr ? fat::Status::kOk : fat::Status::kNotMounted;
}

bool FsVolume::read_only() const {
  return read_only_;
}

Node* FsVolume::AcquireRoot() {
  bool created = false;
  return root_ == nullptr ? nullptr : nodes_.Acquire(root_->entry, &created);
}

Outcome FsVolume::WalkToParent(const fat::Entry& dir, const char* path, size_t length,
                               Target* target) {
  PathWalker walk(path, length);
  if (Outcome o = walk.Check(); !o.ok()) {
    return o;
  }
  *target = Target{};
  target->parent = dir;
  target->trailing_slash = walk.trailing_slash();
  const char* component = nullptr;
  size_t n = 0;
  while (walk.Next(&component, &n)) {
    if (walk.AtEnd()) {
      target->name = component;
      target->length = n;
      return Outcome{};
    }
    fat::Entry next;
    if (fat::Status s = volume_.LookupIn(target->parent, component, n, &next);
        s != fat::Status::kOk) {
      return FromFat(s);
    }
    if (!next.is_directory()) {
      return Fail(Error::NOT_DIRECTORY);
    }
    target->parent = next;
  }
  return Outcome{};
}

void FsVolume::Stamp() {
  if (clock_ != nullptr) {
    volume_.SetTime(clock_());
  }
}

Outcome FsVolume::WritableDir(const Node* dir, uint32_t dir_rights) {
  if (read_only_ || (dir_rights & kRightWrite) == 0) {
    return Fail(Error::READ_ONLY);
  }
  if (dir->removed) {
    return Fail(Error::NOT_FOUND);
  }
  Stamp();
  return Outcome{};
}

Outcome FsVolume::Open(Node* dir, uint32_t dir_rights, const char* path, size_t length,
                       uint32_t flags, Node** node, uint32_t* rights) {
  *node = nullptr;
  if (Outcome o = CheckOpenFlags(flags); !o.ok()) {
    return o;
  }
  if (Outcome o = RightsFor(flags, dir_rights, read_only_, rights); !o.ok()) {
    return o;
  }
  if (dir->removed) {
    return Fail(Error::NOT_FOUND);
  }
  Target t;
  if (Outcome o = WalkToParent(dir->entry, path, length, &t); !o.ok()) {
    return o;
  }
  const bool trailing_slash = t.trailing_slash;
  fat::Entry entry;
  if (t.length == 0) {
    entry = t.parent;  // the directory itself
  } else {
    fat::Status s = volume_.LookupIn(t.parent, t.name, t.length, &entry);
    if (s == fat::Status::kNotFound && Has(flags, OpenFlags::CREATE) && !trailing_slash) {
      if (Outcome o = WritableDir(dir, dir_rights); !o.ok()) {
        return o;
      }
      s = volume_.Create(t.parent, t.name, t.length, false, &entry);
      if (s != fat::Status::kOk) {
        return FromFat(s);
      }
    } else if (s != fat::Status::kOk) {
      return FromFat(s);
    } else if (Has(flags, OpenFlags::CREATE) && Has(flags, OpenFlags::EXCLUSIVE)) {
      return Fail(Error::EXISTS);
    }
  }
  const bool is_dir = entry.is_directory();
  if ((Has(flags, OpenFlags::DIRECTORY) || trailing_slash) && !is_dir) {
    return Fail(Error::NOT_DIRECTORY);
  }
  if (is_dir && (Has(flags, OpenFlags::TRUNCATE) || Has(flags, OpenFlags::APPEND))) {
    return Fail(Error::IS_DIRECTORY);
  }
  bool created = false;
  Node* n = nodes_.Acquire(entry, &created);
  if (n == nullptr) {
    return Fail(Error::NO_SPACE);
  }
  if (created && !is_dir) {
    // Read trusts only a checked chain (fat.h, CheckChain).
    if (fat::Status s = volume_.CheckChain(n->entry); s != fat::Status::kOk) {
      nodes_.Release(n);
      return FromFat(s);
    }
  }
  if (Has(flags, OpenFlags::TRUNCATE) && n->entry.size != 0) {
    Stamp();
    if (fat::Status s = volume_.Truncate(&n->entry, 0); s != fat::Status::kOk) {
      nodes_.Release(n);
      return FromFat(s);
    }
  }
  *node = n;
  return Outcome{};
}

Outcome FsVolume::ChangeTarget(Node* dir, uint32_t dir_rights, const char* path, size_t length,
                               Target* target) {
  if (Outcome o = WritableDir(dir, dir_rights); !o.ok()) {
    return o;
  }
  return WalkToParent(dir->entry, path, length, target);
}

Outcome FsVolume::MakeDirectory(Node* dir, uint32_t dir_rights, const char* path, size_t length) {
  Target t;
  if (Outcome o = ChangeTarget(dir, dir_rights, path, length, &t); !o.ok()) {
    return o;
  }
  if (t.length == 0) {
    return Fail(Error::EXISTS);  // the directory itself
  }
  fat::Entry made;
  return FromFat(volume_.Create(t.parent, t.name, t.length, true, &made));
}

Outcome FsVolume::Remove(Node* dir, uint32_t dir_rights, const char* path, size_t length,
                         bool directory) {
  Target t;
  if (Outcome o = ChangeTarget(dir, dir_rights, path, length, &t); !o.ok()) {
    return o;
  }
  if (t.length == 0) {
    return Fail(Error::BUSY);  // the directory the request came on is open
  }
  fat::Entry entry;
  if (fat::Status s = volume_.LookupIn(t.parent, t.name, t.length, &entry); s != fat::Status::kOk) {
    return FromFat(s);
  }
  if (entry.is_directory() != directory) {
    return Fail(directory ? Error::NOT_DIRECTORY : Error::IS_DIRECTORY);
  }
  Node* open = nodes_.Find(entry);
  if (open != nullptr && entry.is_directory()) {
    return Fail(Error::BUSY);
  }
  if (fat::Status s = volume_.Remove(entry); s != fat::Status::kOk) {
    return FromFat(s);
  }
  if (open != nullptr) {
    open->removed = true;
  }
  return Outcome{};
}

Outcome FsVolume::Rename(Node* dir, uint32_t dir_rights, const char* from, size_t from_length,
                         const char* to, size_t to_length) {
  Target from_t, to_t;
  if (Outcome o = ChangeTarget(dir, dir_rights, from, from_length, &from_t); !o.ok()) {
    return o;
  }
  if (Outcome o = WalkToParent(dir->entry, to, to_length, &to_t); !o.ok()) {
    return o;
  }
  if (from_t.length == 0 || to_t.length == 0) {
    return Fail(Error::BUSY);  // the directory the request came on, or into it
  }
  fat::Entry entry;
  if (fat::Status s = volume_.LookupIn(from_t.parent, from_t.name, from_t.length, &entry);
      s != fat::Status::kOk) {
    return FromFat(s);
  }
  if ((from_t.trailing_slash || to_t.trailing_slash) && !entry.is_directory()) {
    return Fail(Error::NOT_DIRECTORY);
  }
  Node* open = nodes_.Find(entry);
  if (open != nullptr && entry.is_directory()) {
    return Fail(Error::BUSY);
  }
  fat::Entry target;
  fat::Status s = volume_.LookupIn(to_t.parent, to_t.name, to_t.length, &target);
  if (s == fat::Status::kOk) {
    if (NodeTable::SameNode(target, entry)) {
      // The same entry under another spelling of its name.
      return SameBytes(from_t.name, from_t.length, to_t.name, to_t.length) ? Outcome{}
                                                                           : Fail(Error::EXISTS);
    }
    if (target.is_directory()) {
      return Fail(Error::EXISTS);
    }
    // A file target is replaced: removed first.
    if (fat::Status r = volume_.Remove(target); r != fat::Status::kOk) {
      return FromFat(r);
    }
    if (Node* t = nodes_.Find(target)) {
      t->removed = true;
    }
  } else if (s != fat::Status::kNotFound) {
    return FromFat(s);
  }
  fat::Entry moved;
  s = volume_.Rename(entry, to_t.parent, to_t.name, to_t.length, &moved);
  if (s == fat::Status::kInvalid) {
    return Fail(Error::BUSY);  // a directory into itself
  }
  if (s != fat::Status::kOk) {
    return FromFat(s);
  }
  if (open != nullptr) {
    open->entry = moved;
  }
  return Outcome{};
}

Outcome FsVolume::Rewind(Node* dir, fat::DirIterator* cursor) {
  if (dir->removed) {
    return Fail(Error::NOT_FOUND);
  }
  return FromFat(volume_.OpenDir(dir->entry, cursor));
}

Outcome FsVolume::Read(Node* file, uint32_t rights, uint64_t offset, void* buffer, size_t length,
                       size_t* done) {
  *done = 0;
  if ((rights & kRightRead) == 0) {
    return Fail(Error::ACCESS_DENIED);
  }
  if (file->removed) {
    return Fail(Error::NOT_FOUND);
  }
  return FromFat(volume_.Read(file->entry, offset, buffer, length, done));
}

Outcome FsVolume::Write(Node* file, uint32_t rights, uint64_t offset, const void* data,
                        size_t length, size_t* done) {
  *done = 0;
  if ((rights & kRightWrite) == 0 || read_only_) {
    return Fail(Error::READ_ONLY);
  }
  if (file->removed) {
    return Fail(Error::NOT_FOUND);
  }
  if (length == 0) {
    return Outcome{};
  }
  Stamp();
  return FromFat(volume_.Write(&file->entry, offset, data, length, done));
}

Outcome FsVolume::Truncate(Node* file, uint32_t rights, uint64_t size) {
  if ((rights & kRightWrite) == 0 || read_only_) {
    return Fail(Error::READ_ONLY);
  }
  if (file->removed) {
    return Fail(Error::NOT_FOUND);
  }
  if (size > UINT32_MAX) {
    return Fail(Error::TOO_LARGE);
  }
  Stamp();
  return FromFat(volume_.Truncate(&file->entry, size));
}

Outcome FsVolume::Stat(const Node* node, idl::fs::NodeInfo* info) const {
  if (node->removed) {
    return Fail(Error::NOT_FOUND);
  }
  ToNodeInfo(node->entry, info);
  return Outcome{};
}

Outcome FsVolume::Sync() {
  if (read_only_) {
    return Outcome{};  // nothing can have changed
  }
  return FromFat(volume_.Sync());
}

Outcome FsVolume::Query(idl::fs::FilesystemInfo* info) {
  info->fs_type.Set(FatTypeName(volume_.type()));
  const char* label = volume_.label();
  size_t label_length = 0;
  while (label[label_length] != '\0') {
    ++label_length;
  }
  info->label.SetLossy(label, label_length);
  info->cluster_size = volume_.bytes_per_cluster();
  info->total_bytes = uint64_t{volume_.cluster_count()} * volume_.bytes_per_cluster();
  info->read_only = read_only_;
  uint32_t free_clusters = 0;
  if (fat::Status s = volume_.FreeClusters(&free_clusters); s != fat::Status::kOk) {
    return FromFat(s);
  }
  info->free_bytes = uint64_t{free_clusters} * volume_.bytes_per_cluster();
  return Outcome{};
}

}  // namespace fs
