// A freestanding FAT12/16/32 library with VFAT long names: MBR partitions,
// boot sector checks, FAT chains, directories, paths, file data, and
// writing (create, write, truncate, remove, rename, sync) in an order that
// keeps the volume consistent at every Sync. No syscalls, no heap: the
// caller owns every object (and the metadata cache's memory) and implements
// the block device. Format limits, errors and the write order:
// docs/storage.md.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace fat {

enum class Status : uint8_t {
  kOk = 0,
  kIoError,  // the block device failed or the read lies past its end
  // --- Partition table ---
  kNoVolume,      // sector 0 is neither a FAT boot sector nor an MBR with a FAT partition
  kBadPartition,  // an MBR entry lies outside the disk or is empty
  // --- Boot sector / BPB ---
  kBadSignature,          // no 0x55 0xAA at offset 510
  kBadJump,               // the first byte is neither 0xEB nor 0xE9
  kBadBytesPerSector,     // not a power of two in 512..4096
  kBadSectorsPerCluster,  // not a power of two in 1..128, or a cluster over 64 KiB
  kBadReservedSectors,    // 0
  kBadFatCount,           // 0
  kBadMedia,              // not 0xF0 or 0xF8..0xFF
  kBadFatSize,            // 0, or too small for the clusters
  kBadTotalSectors,       // 0, or not more than the metadata
  kVolumeTooLarge,        // larger than its device or partition
  kBadRootEntries,        // FAT12/16: 0 or not a whole number of sectors; FAT32: not 0
  kBadClusterCount,       // the cluster count does not fit the BPB's layout (FAT32 or not)
  kBadRootCluster,        // FAT32: the root directory cluster is out of range
  kBadFsVersion,          // FAT32: BPB_FSVer is not 0.0
  // --- Cluster chains ---
  kBadCluster,     // a chain points to cluster 0/1 or past the last cluster
  kFreeInChain,    // a chain runs into a free cluster
  kBadSectorMark,  // a chain runs into a cluster marked bad
  kChainLoop,      // a chain longer than the volume's cluster count
  kChainTooShort,  // a file's chain ends before its size
  kChainTooLong,   // a file's chain has clusters past its size
  // --- Directories and files ---
  kBadDirEntry,    // a directory entry with an invalid name, cluster or size
  kNotFound,       // no such name
  kNotADirectory,  // a path component is a file
  kIsADirectory,   // file data asked of a directory
  kBadPath,        // an empty, over-long or ".." component
  kNotMounted,
  // --- Writing ---
  kReadOnly,      // the device has no write, or the volume was mounted read-only
  kExists,        // the name is taken
  kNotEmpty,      // removing a directory with entries
  kNoSpace,       // no free cluster (or a FAT12/16 root directory is full)
  kFileTooLarge,  // past 4 GiB - 1 bytes
  kBadName,       // a name FAT cannot hold (empty, too long, a forbidden character)
  kInvalid,  // a request the volume cannot do (removing the root, moving a directory into itself)
};

// A short English description naming what is wrong ("bytes per sector not a
// power of two in 512..4096").
const char* StatusString(Status status);

// The disk, implemented by the caller. `read` reads `length` bytes at byte
// `offset` of the disk; both are multiples of 512. It returns kOk or
// kIoError. `write` likewise (null: a read-only disk); `flush` returns when
// every completed write is on stable storage (null: writes are stable when
// they complete).
struct BlockDevice {
  void* context;
  Status (*read)(void* context, uint64_t offset, void* buffer, size_t length);
  uint64_t size;  // bytes
  Status (*write)(void* context, uint64_t offset, const void* buffer, size_t length) = nullptr;
  Status (*flush)(void* context) = nullptr;
};

// --- Partitions ---

struct Partition {
  uint8_t type;     // the MBR type byte; 0 for a bare volume (no table)
  uint64_t offset;  // bytes
  uint64_t size;    // bytes
};

inline constexpr size_t kMaxPartitions = 4;

// Finds the FAT volumes on `device`: a bare volume (sector 0 is a valid FAT
// boot sector) gives one Partition covering the disk; otherwise each MBR
// primary entry of type 0x01, 0x04, 0x06, 0x0B, 0x0C or 0x0E. kNoVolume if
// there is none; kBadPartition if a FAT entry lies outside the disk.
Status FindPartitions(const BlockDevice& device, Partition (&out)[kMaxPartitions], size_t* count);

bool IsFatPartitionType(uint8_t type);

// --- Volumes ---

enum class FatType : uint8_t { kFat12, kFat16, kFat32 };

inline constexpr size_t kMaxSectorSize = 4096;
// A long name has at most 255 UTF-16 units, each at most 3 UTF-8 bytes.
inline constexpr size_t kMaxNameBytes = 255 * 3;

inline constexpr uint8_t kAttrReadOnly = 0x01;
inline constexpr uint8_t kAttrHidden = 0x02;
inline constexpr uint8_t kAttrSystem = 0x04;
inline constexpr uint8_t kAttrVolumeId = 0x08;
inline constexpr uint8_t kAttrDirectory = 0x10;
inline constexpr uint8_t kAttrArchive = 0x20;
inline constexpr uint8_t kAttrLongName = 0x0F;

// The write-back cache of FAT and directory sectors: each cached sector
// takes its size plus kCacheSlotOverhead bytes of the memory given to Mount.
// A volume is writable only with room for kMinCacheSectors sectors (an
// operation starts with room for the 16 sectors it may change, so it is
// never written half done but for a long write's FAT).
inline constexpr size_t kCacheSlotOverhead = 28;
inline constexpr size_t kMinCacheSectors = 20;
// The bytes Mount needs to cache `sectors` sectors of up to `sector_size`
// bytes (plus alignment).
constexpr size_t CacheBytes(size_t sectors, size_t sector_size = kMaxSectorSize) {
  return sectors * (sector_size + kCacheSlotOverhead) + 8;
}

// A file or directory found in a directory. The root directory has
// first_cluster 0 on FAT12/16 and is_root set.
struct Entry {
  char name[kMaxNameBytes + 1];  // UTF-8, NUL-terminated: the long name, else the 8.3 name
  size_t name_length;
  char short_name[13 * 3 + 1];  // the 8.3 name ("README.TXT"), NUL-terminated
  uint8_t attributes;
  uint32_t first_cluster;
  uint32_t size;
  bool is_root;
  bool has_long_name;
  // Last modification from the entry's date and time, seconds since
  // 1970-01-01 (0 for the root or a zero date).
  uint64_t modify_time;
  // Where the entry is: the directory holding it (its first cluster; 0 for
  // the FAT12/16 root region) and the slot index of its short entry (and of
  // its first long-name slot). Unique per live entry on a volume: the
  // service keys open nodes by (dir_cluster, slot). The root has both 0.
  uint32_t dir_cluster;
  uint32_t slot;
  uint32_t first_slot;

  bool is_directory() const { return is_root || (attributes & kAttrDirectory) != 0; }
};

class Volume;
struct NewName;  // a name being created (fat.cc)

// Walks a directory's entries in order, skipping deleted entries, volume
// labels, "." and "..". A bad entry gives kBadDirEntry and is skipped, so
// the caller may go on; other errors end the walk.
class DirIterator {
 public:
  // Next entry: kOk and *entry filled, or kNotFound at the end.
  Status Next(Entry* entry);

 private:
  friend class Volume;
  Status Slot(uint32_t index, const uint8_t** slot);

  Volume* volume_ = nullptr;
  bool fixed_root_ = false;  // FAT12/16 root region
  uint32_t first_cluster_ = 0;
  uint32_t index_ = 0;  // next 32-byte slot
  bool done_ = false;
  // Chain cursor: the cluster holding slot cursor_index_ * slots per cluster.
  uint32_t cursor_index_ = 0;
  uint32_t cursor_cluster_ = 0;
};

class Volume {
 public:
  // Checks the boot sector of the volume at `partition` and prepares to read
  // it (and write it, if the device can and `read_only` is false). Every BPB
  // error has its own Status. `cache`/`cache_bytes`: memory for the
  // write-back cache of FAT and directory sectors (bounded by its size;
  // without it, or with room for fewer than kMinCacheSectors sectors, the
  // volume is read-only). Any cached changes of an earlier mount are
  // dropped: Sync before mounting again.
  Status Mount(const BlockDevice& device, const Partition& partition, void* cache = nullptr,
               size_t cache_bytes = 0, bool read_only = false);

  FatType type() const { return type_; }
  uint32_t cluster_count() const { return cluster_count_; }
  uint32_t bytes_per_cluster() const { return bytes_per_cluster_; }
  uint32_t bytes_per_sector() const { return bytes_per_sector_; }

  Entry Root() const;
  Status OpenDir(const Entry& dir, DirIterator* it);

  // The FAT entry of `cluster` (2 <= cluster < cluster_count + 2), raw.
  Status FatEntry(uint32_t cluster, uint32_t* value);
  // The cluster after `cluster` in its chain: kOk with *next, or kNotFound at
  // the end of the chain; kBadCluster, kFreeInChain or kBadSectorMark if the
  // entry is not a valid link.
  Status NextCluster(uint32_t cluster, uint32_t* next);
  // The number of clusters in the chain from `first`: bounded by the
  // cluster count (kChainLoop beyond it).
  Status ChainLength(uint32_t first, uint32_t* length);

  // Checks the whole chain of `entry`: a file's holds exactly the clusters
  // its size needs (none if empty), a directory's is a valid chain. Read
  // follows only the clusters it needs, so a loop inside a file's size goes
  // unnoticed there: callers check a file here before trusting its data.
  Status CheckChain(const Entry& entry);

  // Looks up a '/'-separated path from the root, case-insensitively (ASCII)
  // against long and 8.3 names. "" and "/" are the root.
  Status Lookup(const char* path, size_t path_length, Entry* entry);

  // Reads up to `length` bytes of `file` at `offset` into `buffer`;
  // *done is the count read (short only at the end of the file).
  Status Read(const Entry& file, uint64_t offset, void* buffer, size_t length, size_t* done);

  // Looks up one name (no '/') in directory `dir`, as Lookup does.
  Status LookupIn(const Entry& dir, const char* name, size_t length, Entry* entry);

  // --- Writing: kReadOnly on a read-only volume ---
  //
  // Changes to the FAT and directories stay in the cache until Sync (or
  // until the cache needs the slot); file data is written to the disk as it
  // comes (into clusters no synced entry points to, or in place). Clusters
  // freed by Truncate or Remove are reused only after the Sync that records
  // the freeing, so a crash at any point leaves the disk as of the last
  // completed Sync plus data that nothing synced refers to.

  // The time stamped on what is created or written from now on (seconds
  // since 1970-01-01; before 1980 stamps 1980-01-01).
  void SetTime(uint64_t unix_seconds);

  // Creates `name` in `dir`: an empty file, or a directory (with "." and
  // ".."). A long name gets long-name slots and a unique 8.3 alias.
  // kExists if the name (or its alias) is taken.
  Status Create(const Entry& dir, const char* name, size_t length, bool directory, Entry* entry);
  // Writes `length` bytes at `offset` of `file`, growing it (a gap is
  // zero-filled) and updating *file (size, first cluster, time) and its
  // directory entry. *done is short only with kNoSpace or kFileTooLarge.
  Status Write(Entry* file, uint64_t offset, const void* data, size_t length, size_t* done);
  // Sets the size of `file`: shrinking frees the clusters past it, growing
  // zero-fills.
  Status Truncate(Entry* file, uint64_t size);
  // Removes a file, or an empty directory (kNotEmpty otherwise), with its
  // long-name slots; its clusters are freed. kInvalid for the root.
  Status Remove(const Entry& entry);
  // Moves `entry` into `to_dir` as `name` (kExists if taken; kInvalid if a
  // directory would move into itself or below itself), updating a moved
  // directory's "..". *moved is the entry at its new place.
  Status Rename(const Entry& entry, const Entry& to_dir, const char* name, size_t length,
                Entry* moved);
  // Writes every cached change in the consistent order (docs/storage.md,
  // "Crash safety"), then flushes the device. kOk at once on a read-only
  // volume (nothing to write).
  Status Sync();
  // Free space: the free clusters, counted once from the FAT, then kept.
  // FAT16/32 count with reads of kMaxSectorSize bytes straight from the
  // device (cached sectors, which may be newer, taken from the cache); the
  // count neither fills the cache nor dirties anything.
  Status FreeClusters(uint32_t* count);
  bool read_only() const;
  // The volume label from the boot sector, blank-trimmed, NUL-terminated.
  const char* label() const;

 private:
  friend class DirIterator;
  struct Scan;  // a directory search (fat.cc)
  // Whether the 8.3 name in `slot` reads as the scan's name but for case.
  static bool ShortMatches(const uint8_t* slot, const Scan& scan);
  struct CacheSlot {
    uint64_t sector;  // volume sector
    uint64_t stamp;   // last use, for LRU
    uint32_t next;    // the next slot in its hash bucket
    uint8_t state;    // 0 empty, 1 clean, 2 dirty
    uint8_t removes;  // dirty with a deleted entry: written before other directory sectors
  };
  static constexpr uint32_t kNoSlot = ~uint32_t{0};
  // A deferred free (Truncate, Remove): the chain from `first` is freed at the
  // next Sync, after the directory change; `keep` (0: none) is the cluster
  // that now ends the truncated chain, whose on-disk link still points to
  // `first` until then.
  struct PendingFree {
    uint32_t keep;
    uint32_t first;
  };
  // A remembered extent of a chain: cluster `cluster` is number `index` of
  // the chain starting at `first`, and the `contig` clusters after it are
  // consecutive (cluster + 1, ...).
  struct ChainMemo {
    uint32_t first;
    uint32_t index;
    uint32_t cluster;
    uint32_t contig;
  };
  static constexpr size_t kMaxPendingFrees = 32;
  static constexpr size_t kOpSectors = 16;  // clean slots an operation starts with
  static constexpr size_t kChainMemos = 4;
  static constexpr uint32_t kAliasTails = 32768;  // ~1 .. ~32767

  // Reads volume sector `sector` into sector_, cached (file data, and
  // metadata when there is no cache).
  Status LoadSector(uint64_t sector);
  // Metadata sector `sector` (FAT, root region, directory clusters): its
  // bytes in the cache (or sector_ without one), valid until the next
  // metadata access. MetaWrite marks it dirty.
  Status Meta(uint64_t sector, uint8_t** data);
  Status MetaWrite(uint64_t sector, uint8_t** data);
  Status CacheFind(uint64_t sector, size_t* index);
  // The slot holding `sector`, or slot_count_: a lookup only (nothing read
  // or evicted, the LRU order unchanged).
  size_t CachePeek(uint64_t sector) const;
  size_t Bucket(uint64_t sector) const;
  // Takes slot `index` out of its bucket and empties it.
  void Unlink(size_t index);
  Status WriteSlot(size_t index, bool patch);
  Status DevWrite(uint64_t sector, const void* data, size_t bytes);
  Status Flush();
  void DropCached(uint64_t first_sector, uint64_t count);
  bool IsFatSector(uint64_t sector) const {
    return sector >= fat_start_ && sector < uint64_t{fat_start_} + fat_sectors_;
  }
  bool ValidCluster(uint32_t cluster) const { return cluster >= 2 && cluster - 2 < cluster_count_; }
  uint64_t ClusterSector(uint32_t cluster) const;
  // Walks `steps` links from `cluster`.
  Status Advance(uint32_t* cluster, uint32_t steps);
  // The cluster number `index` of the chain from `first`, from the
  // remembered extents.
  Status Seek(uint32_t first, uint32_t index, uint32_t* cluster);
  void Remember(uint32_t first, uint32_t index, uint32_t cluster, uint32_t contig);
  void ForgetChains();
  uint32_t EndOfChain() const;
  Status SetFatEntry(uint32_t cluster, uint32_t value);
  Status Allocate(uint32_t previous, uint32_t* cluster);
  // Frees the chain from `first` now (bounded; stops at anything not a link).
  Status FreeChain(uint32_t first);
  // File data: bytes at volume byte `at` (sector reads/writes, large runs
  // straight from/to the caller's buffer; `data` null writes zeros).
  Status ReadData(uint64_t at, uint8_t* out, size_t length);
  Status WriteData(uint64_t at, const uint8_t* data, size_t length);
  // Writes file bytes [offset, offset + length) along the chain from `first`.
  Status WriteChain(uint32_t first, uint64_t offset, const uint8_t* data, size_t length);
  // The run of consecutive clusters from `cluster` (number `index` of the
  // chain from `first`) covering `span` bytes; *next follows the run if it
  // ends before.
  Status Run(uint32_t first, uint32_t index, uint32_t cluster, uint64_t span, uint32_t* run,
             uint32_t* next);
  // Write and Truncate's growth: allocates, zero-fills a gap, writes, updates
  // the entry.
  Status WriteFile(Entry* file, uint64_t offset, const uint8_t* data, size_t length, size_t* done);
  Status DeleteSlots(const Entry& entry);
  Status ZeroCluster(uint32_t cluster);
  // Directory slots: dir_cluster as in Entry (0: the FAT12/16 root region).
  uint32_t DirKey(const Entry& dir) const;
  Status SlotSector(uint32_t dir_cluster, uint32_t index, uint64_t* sector, uint32_t* offset);
  Status ReadSlot(uint32_t dir_cluster, uint32_t index, uint8_t* slot);
  // `removal`: the slot deletes an entry (Sync writes such sectors first).
  Status WriteSlotBytes(uint32_t dir_cluster, uint32_t index, const uint8_t* slot,
                        bool removal = false);
  Status EntryAt(uint32_t dir_cluster, uint32_t first_slot, uint32_t slot, Entry* entry);
  // Checks that `entry` still is at its slot; *slot gets its 32 bytes.
  Status CheckSlot(const Entry& entry, uint8_t* slot);
  Status UpdateEntry(const Entry& file, uint32_t old_first);
  Status ScanDir(const Entry& dir, Scan* scan);
  Status Place(const Entry& dir, uint32_t need, const Scan& scan, uint32_t* first);
  Status AddSlots(const Entry& dir, const NewName& name, uint8_t* short_slot, uint32_t ignore_slot,
                  Entry* entry);
  Status ReservePending();
  // Syncs first if fewer than kOpSectors slots are clean.
  Status Prepare();
  // kNotMounted, kReadOnly or kOk.
  Status Writable() const;
  // CheckSlot, then Prepare: the start of a change to `entry`.
  Status BeginChange(const Entry& entry, uint8_t* slot);
  void StampDate(uint8_t* slot, bool create) const;
  Status SyncSteps();
  Status WriteFsInfo();

  BlockDevice device_ = {};
  uint64_t offset_ = 0;
  bool mounted_ = false;
  bool writable_ = false;
  FatType type_ = FatType::kFat12;
  uint32_t bytes_per_sector_ = 0;
  uint32_t sectors_per_cluster_ = 0;
  uint32_t bytes_per_cluster_ = 0;
  uint32_t fat_start_ = 0;  // sectors from the volume start
  uint32_t fat_sectors_ = 0;
  uint32_t fat_count_ = 0;
  uint32_t root_start_ = 0;  // FAT12/16
  uint32_t root_entries_ = 0;
  uint32_t data_start_ = 0;
  uint32_t cluster_count_ = 0;
  uint32_t root_cluster_ = 0;  // FAT32
  uint64_t total_sectors_ = 0;
  uint32_t fsinfo_sector_ = 0;  // FAT32 with a valid FSInfo sector; else 0
  char label_[12] = {};
  // The cache, in the memory given to Mount.
  CacheSlot* slots_ = nullptr;
  uint8_t* slot_data_ = nullptr;
  size_t slot_count_ = 0;
  uint32_t* buckets_ = nullptr;
  size_t bucket_mask_ = 0;
  size_t dirty_count_ = 0;
  size_t last_slot_ = 0;
  uint64_t clock_ = 0;
  bool syncing_ = false;
  bool freeing_ = false;         // Sync's last step: evictions write at once
  bool data_unflushed_ = false;  // file data written since the last flush
  bool fsinfo_dirty_ = false;
  // Allocation.
  bool free_known_ = false;
  uint32_t free_count_ = 0;
  uint32_t next_free_ = 2;
  PendingFree pending_[kMaxPendingFrees] = {};
  size_t pending_count_ = 0;
  ChainMemo memos_[kChainMemos] = {};
  size_t next_memo_ = 0;
  uint16_t date_ = 0x21;  // 1980-01-01
  uint16_t time_ = 0;
  uint64_t cached_sector_ = ~uint64_t{0};
  uint8_t sector_[kMaxSectorSize];
  uint8_t scratch_[kMaxSectorSize];  // Sync's patched FAT sectors, FSInfo, new directories
  uint8_t tails_[kAliasTails / 8];   // alias numbers taken, during Create and Rename
};

}  // namespace fat
