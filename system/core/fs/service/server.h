// The file system service's servers (docs/storage.md, "The protocol"):
// fs.Directory and fs.File connections over FsVolume nodes, fs.Mounts over
// the mount table, all on one loop. See main.cc for the service.
#pragma once

#include <idl/fs_ipc.h>
#include <mica/async/loop.h>
#include <mica/cpp/objects.h>

#include "system/core/fs/service/mounts.h"
#include "system/core/fs/service/vfs.h"

namespace fs {

// The most connections (directories, files, mount tables) open at once;
// more are closed at once (the client sees PEER_CLOSED).
inline constexpr uint32_t kMaxConnections = 256;

// Serves fs.Directory on `channel` for `node` (one reference, now the
// connection's) with `rights`; closes the channel if there are too many.
void ServeDirectory(mica::async::Loop* loop, FsVolume* volume, Node* node, uint32_t rights,
                    mica::Channel channel);

// Serves fs.Directory answering every request with NOT_MOUNTED and
// `detail` (a mount whose volume did not mount).
void ServeUnmounted(mica::async::Loop* loop, const char* detail, mica::Channel channel);

// What fs.Mounts asks of the service.
class MountTable {
 public:
  virtual ~MountTable() = default;
  virtual size_t count() const = 0;
  virtual const MountRecord& record(size_t i) const = 0;
  virtual void Rescan() = 0;
  // Syncs every volume, then empties the block caches: the first error.
  virtual Outcome DropCaches() = 0;
};

void ServeMounts(mica::async::Loop* loop, MountTable* table, mica::Channel channel);

}  // namespace fs
