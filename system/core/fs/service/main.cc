// bin/fs-service (README.md here; docs/storage.md, "The file system
// service"): finds the block devices through directory.Directory, the FAT
// volumes on them, mounts each, and serves the mounts as the directory
// capabilities `data` and `boot` (fs.Directory) and the table as fs.Mounts.
// Everything runs on one loop; each request is bounded (block calls have
// deadlines, directory walks are bounded by the volume). Exits 0 on
// Lifecycle.Stop after syncing every volume.
#include <idl/directory_ipc.h>
#include <idl/rtc_ipc.h>
#include <mica/async/loop.h>
#include <mica/component/component.h>
#include <mica/driver/service.h>
#include <mica/driver/status_name.h>
#include <mica/idl/pages.h>
#include <mica/log/log.h>
#include <stdio.h>
#include <string.h>
#include <new>

#include "system/core/fs/lib/partition.h"
#include "system/core/fs/service/block_disk.h"
#include "system/core/fs/service/mounts.h"
#include "system/core/fs/service/server.h"

namespace fs {
namespace {

constexpr char kTag[] = "fs";
constexpr size_t kMaxDisks = 8;
// Partitions looked at per disk.
constexpr size_t kMaxPartitions = 16;

struct Disk {
  char name[33] = {};
  BlockDisk* block = nullptr;
};

// The wall clock: the RTC's reading at start plus the monotonic time since.
int64_t g_utc_at_start = -1;
mica_time_t g_monotonic_at_start = 0;

uint64_t WallClock() {
  mica_time_t now = 0;
  mica_clock_get_monotonic(&now);
  return static_cast<uint64_t>(g_utc_at_start) +
         static_cast<uint64_t>((now - g_monotonic_at_start) / 1'000'000'000);
}

class Service final : public MountTable {
 public:
  explicit Service(mica::async::Loop* loop) : loop_(loop) {}

  size_t count() const override { return count_; }
  const MountRecord& record(size_t i) const override { return records_[i]; }

  void Rescan() override {
    mica_status_t s = ScanDevices();
    if (s != MICA_OK) {
      MICA_LOGF(WARN, kTag, "cannot list the block devices: %s", mica::driver::StatusName(s));
    }
    AssignNames(records_, count_);
    for (size_t i = 0; i < count_; ++i) {
      MountRecord& r = records_[i];
      if (r.mounted && r.name[0] != '\0' && !announced_[i]) {
        announced_[i] = true;
        MICA_LOGF(INFO, kTag, "%s partition %u (label \"%s\") is /%s", r.device, r.partition,
                  r.label, r.name);
      }
    }
  }

  // A client opened the capability `name` (a mount).
  void ServeMount(const char* name, mica::Channel channel) {
    MountRecord* r = FindByName(records_, count_, name);
    if (r == nullptr) {
      Rescan();  // a disk that came late
      r = FindByName(records_, count_, name);
    }
    if (r != nullptr) {
      Node* root = r->volume->AcquireRoot();
      if (root != nullptr) {
        ServeDirectory(loop_, r->volume, root,
                       kRightRead | (r->volume->read_only() ? 0 : kRightWrite),
                       static_cast<mica::Channel&&>(channel));
      }
      return;
    }
    // No such volume: a volume that did not mount explains why.
    for (size_t i = 0; i < count_; ++i) {
      if (!records_[i].mounted) {
        char detail[idl::fs::MAX_DETAIL + 1];
        snprintf(detail, sizeof(detail), "%s partition %u: %s", records_[i].device,
                 records_[i].partition, records_[i].detail);
        ServeUnmounted(loop_, detail, static_cast<mica::Channel&&>(channel));
        return;
      }
    }
    MICA_LOGF(WARN, kTag, "no volume to serve as %s", name);
  }

  // Reads the RTC (rtc/0) once, for the time stamped on changes.
  void ReadClock() {
    if (!directory_.is_valid() &&
        mica::component::Connect(idl::directory::Directory::kName, &directory_) != MICA_OK) {
      return;
    }
    mica::Channel ch;
    if (mica::driver::OpenServiceIn(directory_.get(), "rtc", 0, idl::rtc::Rtc::kName,
                                    idl::rtc::Rtc::kVersion, &ch) != MICA_OK) {
      MICA_LOGF(INFO, kTag, "no real-time clock: changes are stamped 1980-01-01");
      return;
    }
    idl::rtc::RtcSyncClient rtc(static_cast<mica::Channel&&>(ch));
    mica_clock_get_monotonic(&g_monotonic_at_start);
    rtc.set_deadline(g_monotonic_at_start + 1'000'000'000);
    idl::rtc::Rtc::GetRequest req;
    idl::rtc::Rtc::GetResponse resp;
    if (rtc.Get(req, &resp) == MICA_OK && resp.status == MICA_OK && resp.utc_seconds >= 0) {
      g_utc_at_start = resp.utc_seconds;
    }
  }

  Outcome SyncAll() {
    Outcome first;
    for (size_t i = 0; i < count_; ++i) {
      if (records_[i].mounted) {
        Outcome o = records_[i].volume->Sync();
        if (!o.ok()) {
          MICA_LOGF(ERROR, kTag, "%s partition %u: sync failed: %s", records_[i].device,
                    records_[i].partition, o.detail);
          first = first.ok() ? o : first;
        }
      }
    }
    return first;
  }

  Outcome DropCaches() override {
    Outcome o = SyncAll();
    for (size_t i = 0; i < disk_count_; ++i) {
      if (disks_[i].block != nullptr) {
        disks_[i].block->cache().Drop();
      }
    }
    return o;
  }

 private:
  mica_status_t ScanDevices() {
    if (!directory_.is_valid()) {
      mica_status_t s = mica::component::Connect(idl::directory::Directory::kName, &directory_);
      if (s != MICA_OK) {
        return s;
      }
    }
    using Response = idl::directory::Directory::ListResponse;
    static Response page;
    idl::directory::DirectorySyncClient dir{mica::Channel(directory_.get())};
    mica_time_t now = 0;
    mica_clock_get_monotonic(&now);
    dir.set_deadline(now + 5'000'000'000);
    uint32_t instances[kMaxDisks];
    size_t found = 0;
    uint32_t total = 0;
    mica_status_t s = mica::idl::ForEachPage(
        dir, &idl::directory::DirectorySyncClient::List, &page, &Response::services,
        [&](const idl::directory::ServiceEntry& e) {
          if (e.service_class.Equals("block") && e.protocol_name.Equals(idl::block::Block::kName) &&
              found < kMaxDisks) {
            instances[found++] = e.instance;
          }
        },
        &total);
    static_cast<void>(dir.TakeChannel().release());  // borrowed
    if (s == MICA_ERR_PEER_CLOSED) {
      directory_.reset();  // the next scan connects again
    }
    if (s != MICA_OK) {
      return s;
    }
    for (size_t i = 0; i < found; ++i) {
      char name[33];
      snprintf(name, sizeof(name), "block/%u", instances[i]);
      if (!Known(name) && disk_count_ < kMaxDisks) {
        AddDisk(name, instances[i]);
      }
    }
    return MICA_OK;
  }

  bool Known(const char* name) const {
    for (size_t i = 0; i < disk_count_; ++i) {
      if (strcmp(disks_[i].name, name) == 0) {
        return true;
      }
    }
    return false;
  }

  MountRecord* NewRecord(const char* device, uint32_t partition) {
    if (count_ >= kMaxMounts) {
      MICA_LOGF(WARN, kTag, "%s partition %u: not listed (more than %zu volumes)", device,
                partition, kMaxMounts);
      return nullptr;
    }
    MountRecord* r = &records_[count_++];
    snprintf(r->device, sizeof(r->device), "%s", device);
    r->partition = partition;
    return r;
  }

  void Failed(MountRecord* r, const char* why) {
    SetDetail(r, why);
    MICA_LOGF(ERROR, kTag, "%s partition %u: not mounted: %s", r->device, r->partition, why);
  }

  void AddDisk(const char* name, uint32_t instance) {
    Disk& d = disks_[disk_count_++];
    snprintf(d.name, sizeof(d.name), "%s", name);
    mica::Channel ch;
    mica_status_t s = mica::driver::OpenServiceIn(directory_.get(), "block", instance,
                                                  idl::block::Block::kName, 1, &ch);
    d.block = new (std::nothrow) BlockDisk;
    if (d.block == nullptr) {
      s = MICA_ERR_NO_MEMORY;
    } else if (s == MICA_OK) {
      s = d.block->Open(static_cast<mica::Channel&&>(ch));
    }
    if (s != MICA_OK) {
      if (MountRecord* r = NewRecord(name, 0)) {
        char why[96];
        snprintf(why, sizeof(why), "cannot open the block device: %s", mica::driver::StatusName(s));
        Failed(r, why);
      }
      return;
    }
    const fat::BlockDevice device = d.block->device();
    partition::Entry parts[kMaxPartitions];
    partition::Table table;
    partition::Status listed = partition::List(device, parts, kMaxPartitions, &table);
    if (listed != partition::Status::kOk) {
      if (MountRecord* r = NewRecord(name, 0)) {
        // No table: why sector 0 is not a FAT volume either says more.
        Failed(r, listed == partition::Status::kNoTable ? fat::StatusString(table.bare)
                                                        : partition::StatusString(listed));
      }
      return;
    }
    if (table.truncated) {
      MICA_LOGF(WARN, kTag, "%s: more than %zu partitions; the rest are not looked at", name,
                kMaxPartitions);
    }
    for (size_t i = 0; i < table.count; ++i) {
      const partition::Entry& p = parts[i];
      if (p.extended || (p.status == partition::Status::kOk && !p.fat_candidate)) {
        continue;  // a container, or not a FAT type
      }
      MountRecord* r = NewRecord(name, p.number);
      if (r == nullptr) {
        return;
      }
      r->part = p.fat();
      if (p.status != partition::Status::kOk) {
        Failed(r, partition::StatusString(p.status));
      } else {
        MountVolume(r, device, d.block->read_only());
      }
    }
  }

  void MountVolume(MountRecord* r, const fat::BlockDevice& device, bool read_only) {
    auto* cache = new (std::nothrow) uint8_t[kCacheBytes];
    auto* volume = new (std::nothrow) FsVolume;
    fat::Status s = cache == nullptr || volume == nullptr
                        ? fat::Status::kNotMounted
                        : volume->Mount(device, r->part, cache, kCacheBytes, read_only);
    if (s != fat::Status::kOk) {
      delete volume;
      delete[] cache;
      Failed(r, fat::StatusString(s));
      return;
    }
    if (g_utc_at_start >= 0) {
      volume->set_clock(WallClock);
    }
    r->volume = volume;
    r->mounted = true;
    snprintf(r->label, sizeof(r->label), "%s", volume->fat().label());
    r->boot_files = HasBootFiles(volume->fat());
    MICA_LOGF(INFO, kTag, "%s partition %u: mounted %s, %llu KiB%s", r->device, r->partition,
              FatTypeName(volume->fat().type()),
              static_cast<unsigned long long>(r->part.size / 1024),
              volume->read_only() ? ", read-only" : "");
  }

  mica::async::Loop* loop_;
  mica::Channel directory_;
  Disk disks_[kMaxDisks];
  size_t disk_count_ = 0;
  MountRecord records_[kMaxMounts];
  bool announced_[kMaxMounts] = {};
  size_t count_ = 0;
};

}  // namespace
}  // namespace fs

int main() {
  static mica::async::Loop loop;
  if (loop.status() != MICA_OK) {
    printf("fs-service: no loop (status %d)\n", static_cast<int>(loop.status()));
    return 1;
  }
  static fs::Service service(&loop);
  static mica::component::Outgoing out(&loop);
  for (const char* name : {"data", "boot"}) {
    (void)out.AddProtocol(name, [name](mica::Channel c) {
      service.ServeMount(name, static_cast<mica::Channel&&>(c));
    });
  }
  (void)out.AddProtocol(idl::fs::Mounts::kName, [](mica::Channel c) {
    fs::ServeMounts(&loop, &service, static_cast<mica::Channel&&>(c));
  });
  if (out.ServeFromStartup() != MICA_OK) {
    printf("fs-service: not started as a component (no outgoing handle)\n");
    return 1;
  }
  (void)out.ServeLifecycle([] {
    static_cast<void>(service.SyncAll());
    loop.Quit();
  });
  service.ReadClock();
  service.Rescan();
  loop.Run();
  return 0;
}
