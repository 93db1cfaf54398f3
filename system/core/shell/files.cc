// See files.h.
#include "system/core/shell/files.h"

#include <mica/async/loop.h>
#include <mica/component/component.h>
#include <mica/driver/status_name.h>
#include <stdio.h>
#include <string.h>

namespace shell {

namespace {

// The directories meta/shell.cml uses at the namespace's top.
const char* const kMounts[] = {"data", "boot"};

class File : public OpenedFile {
 public:
  explicit File(mica::fs::File f) : f_(static_cast<mica::fs::File&&>(f)) {}
  Status Read(void* buffer, size_t count, size_t* actual) override {
    return f_.Read(buffer, count, actual);
  }
  Status Write(const void* data, size_t count) override { return f_.Write(data, count); }

 private:
  mica::fs::File f_;
};

class Dir : public OpenedDir {
 public:
  explicit Dir(mica::fs::Dir d) : d_(static_cast<mica::fs::Dir&&>(d)) {}
  Status Next(const idl::fs::DirEntry** entry) override { return d_.Next(entry); }

 private:
  mica::fs::Dir d_;
};

}  // namespace

NamespaceFs::NamespaceFs() : ns_(kMounts, sizeof(kMounts) / sizeof(kMounts[0])) {}

Status NamespaceFs::Open(const char* path, idl::fs::OpenFlags flags,
                         std::unique_ptr<OpenedFile>* file, idl::fs::NodeInfo* info) {
  mica::fs::File f;
  Status st = ns_.Open(path, flags, &f, info);
  if (st.ok()) {
    *file = std::make_unique<File>(static_cast<mica::fs::File&&>(f));
  }
  return st;
}

Status NamespaceFs::OpenDir(const char* path, std::unique_ptr<OpenedDir>* dir) {
  mica::fs::Dir d;
  Status st = ns_.OpenDir(path, &d);
  if (st.ok()) {
    *dir = std::make_unique<Dir>(static_cast<mica::fs::Dir&&>(d));
  }
  return st;
}

Status NamespaceFs::Stat(const char* path, idl::fs::NodeInfo* info) {
  return ns_.Stat(path, info);
}

Status NamespaceFs::MakeDirectory(const char* path) {
  return ns_.MakeDirectory(path);
}

Status NamespaceFs::Remove(const char* path, bool directory) {
  return ns_.Remove(path, directory);
}

Status NamespaceFs::Rename(const char* from, const char* to) {
  return ns_.Rename(from, to);
}

Status NamespaceFs::Sync(const char* path) {
  return ns_.Sync(path);
}

Status NamespaceFs::QueryFilesystem(const char* path, idl::fs::FilesystemInfo* info) {
  return ns_.QueryFilesystem(path, info);
}

Status NamespaceFs::ListMounts(uint32_t start, idl::fs::Mounts::ListResponse* page) {
  // Connected again after an error (the service restarted).
  mica_status_t s = MICA_OK;
  if (!mounts_) {
    s = mica::component::Connect(idl::fs::Mounts::kName, &mounts_);
  }
  if (s == MICA_OK) {
    idl::fs::MountsSyncClient client(static_cast<mica::Channel&&>(mounts_));
    client.set_deadline(mica::async::Loop::Now() + mica::fs::kCallTimeout);
    idl::fs::Mounts::ListRequest req;
    req.start = start;
    s = client.List(req, page);
    if (s == MICA_OK) {
      mounts_ = client.TakeChannel();
    }
  }
  if (s == MICA_OK) {
    return Status();
  }
  char why[80];
  int n = snprintf(why, sizeof(why), "%s: %s", idl::fs::Mounts::kName, mica::driver::StatusName(s));
  Status st = Status::Of(mica::fs::Error::IO, why, n > 0 ? strlen(why) : 0);
  st.transport = s;
  return st;
}

}  // namespace shell
