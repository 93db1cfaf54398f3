// The file commands' FileSystem (lib/file_commands.h) in the shell:
// mica::fs::Namespace over the component's namespace (the mounts /data
// and /boot of meta/shell.cml) and fs.Mounts for df.
#pragma once

#include <mica/fs/fs.h>

#include "system/core/shell/lib/file_commands.h"

namespace shell {

class NamespaceFs : public FileSystem {
 public:
  NamespaceFs();

  Status Open(const char* path, idl::fs::OpenFlags flags, std::unique_ptr<OpenedFile>* file,
              idl::fs::NodeInfo* info) override;
  Status OpenDir(const char* path, std::unique_ptr<OpenedDir>* dir) override;
  Status Stat(const char* path, idl::fs::NodeInfo* info) override;
  Status MakeDirectory(const char* path) override;
  Status Remove(const char* path, bool directory) override;
  Status Rename(const char* from, const char* to) override;
  Status Sync(const char* path) override;
  Status QueryFilesystem(const char* path, idl::fs::FilesystemInfo* info) override;
  size_t MountCount() const override { return ns_.mount_count(); }
  const char* MountName(size_t i) const override { return ns_.mount_name(i); }
  Status ListMounts(uint32_t start, idl::fs::Mounts::ListResponse* page) override;

 private:
  mica::fs::Namespace ns_;
  mica::Channel mounts_;  // fs.Mounts, connected by the first df
};

}  // namespace shell
