// See server.h.
#include "system/core/fs/service/server.h"

#include <string.h>

namespace fs {
namespace {

using idl::fs::Directory;
using idl::fs::File;
using idl::fs::Mounts;

uint32_t g_connections = 0;

// A NodeInfo that encodes (its type must be a valid enum value) when a
// request fails.
void ClearInfo(idl::fs::NodeInfo* info) {
  info->type = idl::fs::NodeType::FILE;
  info->size = 0;
  info->attributes = 0;
  info->modify_time = 0;
}

template <typename Response>
void SetOutcome(Response* r, const Outcome& o) {
  r->error = o.error;
  r->detail.SetLossy(o.detail, strlen(o.detail));
}

// Counts itself among the connections; deletes itself when its client goes.
template <typename Server>
class Counted : public Server {
 public:
  Counted(mica::async::Loop* loop, mica::Channel channel)
      : Server(loop, static_cast<mica::Channel&&>(channel)) {
    ++g_connections;
  }
  ~Counted() override { --g_connections; }

  // Starts serving (or deletes itself).
  void Serve() {
    Counted* self = this;
    this->set_error_handler([self](mica_status_t) { delete self; });
    if (this->Begin() != MICA_OK) {
      delete self;
    }
  }
};

class DirectoryConnection final : public Counted<idl::fs::DirectoryServer> {
 public:
  DirectoryConnection(mica::async::Loop* loop, FsVolume* volume, Node* node, uint32_t rights,
                      mica::Channel channel)
      : Counted(loop, static_cast<mica::Channel&&>(channel)),
        loop_(loop),
        volume_(volume),
        node_(node),
        rights_(rights) {
    cursor_ok_ = volume_->Rewind(node_, &cursor_).ok();
  }
  ~DirectoryConnection() override { volume_->Release(node_); }

  void Open(Directory::OpenRequest& req, OpenCompleter done) override {
    Directory::OpenResponse r;
    ClearInfo(&r.info);
    Node* node = nullptr;
    uint32_t rights = 0;
    Outcome o = volume_->Open(node_, rights_, req.path.data, req.path.size,
                              static_cast<uint32_t>(req.flags), &node, &rights);
    if (o.ok()) {
      ToNodeInfo(node->entry, &r.info);
      if (node->entry.is_directory()) {
        ServeDirectory(loop_, volume_, node, rights, static_cast<mica::Channel&&>(req.node));
      } else {
        ServeFile(node, rights,
                  (static_cast<uint32_t>(req.flags) &
                   static_cast<uint32_t>(idl::fs::OpenFlags::APPEND)) != 0,
                  static_cast<mica::Channel&&>(req.node));
      }
    }
    SetOutcome(&r, o);  // on an error req.node closes as req ends
    done.Reply(r);
  }

  void ReadDir(Directory::ReadDirRequest&, ReadDirCompleter done) override {
    static Directory::ReadDirResponse r;  // large: not on the stack
    r.entries.count = 0;
    Outcome o = cursor_ok_ ? Outcome{} : volume_->Rewind(node_, &cursor_);
    cursor_ok_ = o.ok();
    if (o.ok()) {
      o = volume_->ReadDir(node_, rights_, &cursor_, idl::fs::MAX_DIRENTS, [](const fat::Entry& e) {
        idl::fs::DirEntry& d = r.entries.items[r.entries.count++];
        d.name.SetLossy(e.name, e.name_length);
        idl::fs::NodeInfo info;
        ToNodeInfo(e, &info);
        d.type = info.type;
        d.size = info.size;
        d.attributes = info.attributes;
        d.modify_time = info.modify_time;
      });
    }
    SetOutcome(&r, o);
    done.Reply(r);
  }

  void Rewind(Directory::RewindRequest&, RewindCompleter done) override {
    Directory::RewindResponse r;
    Outcome o = volume_->Rewind(node_, &cursor_);
    cursor_ok_ = o.ok();
    r.error = o.error;
    done.Reply(r);
  }

  void Stat(Directory::StatRequest&, StatCompleter done) override {
    Directory::StatResponse r;
    ClearInfo(&r.info);
    r.error = volume_->Stat(node_, &r.info).error;
    done.Reply(r);
  }

  void MakeDirectory(Directory::MakeDirectoryRequest& req, MakeDirectoryCompleter done) override {
    Directory::MakeDirectoryResponse r;
    SetOutcome(&r, volume_->MakeDirectory(node_, rights_, req.path.data, req.path.size));
    done.Reply(r);
  }

  void Remove(Directory::RemoveRequest& req, RemoveCompleter done) override {
    Directory::RemoveResponse r;
    SetOutcome(&r, volume_->Remove(node_, rights_, req.path.data, req.path.size, req.directory));
    done.Reply(r);
  }

  void Rename(Directory::RenameRequest& req, RenameCompleter done) override {
    Directory::RenameResponse r;
    SetOutcome(&r, volume_->Rename(node_, rights_, req.from.data, req.from.size, req.to.data,
                                   req.to.size));
    done.Reply(r);
  }

  void Sync(Directory::SyncRequest&, SyncCompleter done) override {
    Directory::SyncResponse r;
    SetOutcome(&r, volume_->Sync());
    done.Reply(r);
  }

  void QueryFilesystem(Directory::QueryFilesystemRequest&, QueryFilesystemCompleter done) override {
    Directory::QueryFilesystemResponse r;
    r.error = volume_->Query(&r.info).error;
    done.Reply(r);
  }

 private:
  void ServeFile(Node* node, uint32_t rights, bool append, mica::Channel channel);

  mica::async::Loop* loop_;
  FsVolume* volume_;
  Node* node_;
  uint32_t rights_;
  fat::DirIterator cursor_;
  bool cursor_ok_ = false;
};

class FileConnection final : public Counted<idl::fs::FileServer> {
 public:
  FileConnection(mica::async::Loop* loop, FsVolume* volume, Node* node, uint32_t rights,
                 bool append, mica::Channel channel)
      : Counted(loop, static_cast<mica::Channel&&>(channel)),
        volume_(volume),
        node_(node),
        rights_(rights),
        append_(append) {}
  ~FileConnection() override { volume_->Release(node_); }

  void Read(File::ReadRequest& req, ReadCompleter done) override {
    alignas(8) static File::ReadResponse r;  // large: not on the stack; its bytes 8-aligned
    size_t n = 0;
    SetOutcome(&r, ReadInto(position_, req.count, r.data.items, &n));
    r.data.count = static_cast<uint32_t>(n);
    position_ += n;
    done.Reply(r);
  }

  void ReadAt(File::ReadAtRequest& req, ReadAtCompleter done) override {
    alignas(8) static File::ReadAtResponse r;
    size_t n = 0;
    SetOutcome(&r, ReadInto(req.offset, req.count, r.data.items, &n));
    r.data.count = static_cast<uint32_t>(n);
    done.Reply(r);
  }

  void Write(File::WriteRequest& req, WriteCompleter done) override {
    File::WriteResponse r;
    const uint64_t at = append_ ? node_->entry.size : position_;
    size_t n = 0;
    SetOutcome(&r, volume_->Write(node_, rights_, at, req.data.items, req.data.count, &n));
    r.written = n;
    position_ = at + n;
    done.Reply(r);
  }

  void WriteAt(File::WriteAtRequest& req, WriteAtCompleter done) override {
    File::WriteAtResponse r;
    size_t n = 0;
    SetOutcome(&r, volume_->Write(node_, rights_, req.offset, req.data.items, req.data.count, &n));
    r.written = n;
    done.Reply(r);
  }

  void Seek(File::SeekRequest& req, SeekCompleter done) override {
    File::SeekResponse r;
    r.error = Error::OK;
    r.position = position_;
    if (node_->removed) {
      r.error = Error::NOT_FOUND;
    } else {
      uint64_t base = 0;
      switch (req.whence) {
        case idl::fs::Whence::START:
          base = 0;
          break;
        case idl::fs::Whence::CURRENT:
          base = position_;
          break;
        case idl::fs::Whence::END:
          base = node_->entry.size;
          break;
      }
      if (req.offset < 0 ? static_cast<uint64_t>(-(req.offset + 1)) + 1 > base
                         : static_cast<uint64_t>(req.offset) > UINT64_MAX - base) {
        r.error = Error::INVALID;
      } else {
        position_ = req.offset < 0 ? base - (static_cast<uint64_t>(-(req.offset + 1)) + 1)
                                   : base + static_cast<uint64_t>(req.offset);
        r.position = position_;
      }
    }
    done.Reply(r);
  }

  void Truncate(File::TruncateRequest& req, TruncateCompleter done) override {
    File::TruncateResponse r;
    SetOutcome(&r, volume_->Truncate(node_, rights_, req.size));
    done.Reply(r);
  }

  void Stat(File::StatRequest&, StatCompleter done) override {
    File::StatResponse r;
    ClearInfo(&r.info);
    r.error = volume_->Stat(node_, &r.info).error;
    done.Reply(r);
  }

  void Sync(File::SyncRequest&, SyncCompleter done) override {
    File::SyncResponse r;
    SetOutcome(&r, node_->removed ? Fail(Error::NOT_FOUND) : volume_->Sync());
    done.Reply(r);
  }

 private:
  Outcome ReadInto(uint64_t offset, uint32_t count, uint8_t* buffer, size_t* n) {
    *n = 0;
    if (count > idl::fs::MAX_TRANSFER) {
      return Fail(Error::INVALID);
    }
    return volume_->Read(node_, rights_, offset, buffer, count, n);
  }

  FsVolume* volume_;
  Node* node_;
  uint32_t rights_;
  bool append_;
  uint64_t position_ = 0;
};

void DirectoryConnection::ServeFile(Node* node, uint32_t rights, bool append,
                                    mica::Channel channel) {
  if (g_connections >= kMaxConnections) {
    volume_->Release(node);
    return;  // the channel closes
  }
  (new FileConnection(loop_, volume_, node, rights, append, static_cast<mica::Channel&&>(channel)))
      ->Serve();
}

class UnmountedDirectory final : public Counted<idl::fs::DirectoryServer> {
 public:
  UnmountedDirectory(mica::async::Loop* loop, const char* detail, mica::Channel channel)
      : Counted(loop, static_cast<mica::Channel&&>(channel)) {
    outcome_.error = Error::NOT_MOUNTED;
    size_t n = strlen(detail);
    n = n < sizeof(detail_) - 1 ? n : sizeof(detail_) - 1;
    memcpy(detail_, detail, n);
    detail_[n] = '\0';
    outcome_.detail = detail_;
  }

  void Open(Directory::OpenRequest&, OpenCompleter done) override { Answer(&done); }
  void ReadDir(Directory::ReadDirRequest&, ReadDirCompleter done) override {
    static Directory::ReadDirResponse r;
    r.entries.count = 0;
    SetOutcome(&r, outcome_);
    done.Reply(r);
  }
  void Rewind(Directory::RewindRequest&, RewindCompleter done) override { Answer(&done); }
  void Stat(Directory::StatRequest&, StatCompleter done) override { Answer(&done); }
  void MakeDirectory(Directory::MakeDirectoryRequest&, MakeDirectoryCompleter done) override {
    Answer(&done);
  }
  void Remove(Directory::RemoveRequest&, RemoveCompleter done) override { Answer(&done); }
  void Rename(Directory::RenameRequest&, RenameCompleter done) override { Answer(&done); }
  void Sync(Directory::SyncRequest&, SyncCompleter done) override { Answer(&done); }
  void QueryFilesystem(Directory::QueryFilesystemRequest&, QueryFilesystemCompleter done) override {
    Answer(&done);
  }

 private:
  template <typename Response>
  void Answer(mica::idl::Completer<Response>* done) {
    Response r;
    if constexpr (requires { r.info.type; }) {
      ClearInfo(&r.info);
    }
    r.error = outcome_.error;
    if constexpr (requires { r.detail; }) {
      r.detail.SetLossy(outcome_.detail, strlen(outcome_.detail));
    }
    done->Reply(r);
  }

  char detail_[idl::fs::MAX_DETAIL + 1];
  Outcome outcome_;
};

class MountsConnection final : public Counted<idl::fs::MountsServer> {
 public:
  MountsConnection(mica::async::Loop* loop, MountTable* table, mica::Channel channel)
      : Counted(loop, static_cast<mica::Channel&&>(channel)), table_(table) {}

  void List(Mounts::ListRequest& req, ListCompleter done) override {
    static Mounts::ListResponse r;
    r.mounts.count = 0;
    const size_t total = table_->count();
    r.total = static_cast<uint32_t>(total);
    for (size_t i = req.start; i < total && r.mounts.count < idl::fs::MAX_MOUNTS; ++i) {
      ToMount(table_->record(i), &r.mounts.items[r.mounts.count++]);
    }
    done.Reply(r);
  }

  void Rescan(Mounts::RescanRequest&, RescanCompleter done) override {
    table_->Rescan();
    Mounts::RescanResponse r;
    r.error = Error::OK;
    done.Reply(r);
  }

  void DropCaches(Mounts::DropCachesRequest&, DropCachesCompleter done) override {
    Mounts::DropCachesResponse r;
    r.error = table_->DropCaches().error;
    done.Reply(r);
  }

 private:
  MountTable* table_;
};

}  // namespace

void ServeDirectory(mica::async::Loop* loop, FsVolume* volume, Node* node, uint32_t rights,
                    mica::Channel channel) {
  if (g_connections >= kMaxConnections) {
    volume->Release(node);
    return;
  }
  (new DirectoryConnection(loop, volume, node, rights, static_cast<mica::Channel&&>(channel)))
      ->Serve();
}

void ServeUnmounted(mica::async::Loop* loop, const char* detail, mica::Channel channel) {
  if (g_connections < kMaxConnections) {
    (new UnmountedDirectory(loop, detail, static_cast<mica::Channel&&>(channel)))->Serve();
  }
}

void ServeMounts(mica::async::Loop* loop, MountTable* table, mica::Channel channel) {
  if (g_connections < kMaxConnections) {
    (new MountsConnection(loop, table, static_cast<mica::Channel&&>(channel)))->Serve();
  }
}

}  // namespace fs
