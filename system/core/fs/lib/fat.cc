// The FAT reader (fat.h). Layout and limits follow Microsoft's "FAT: General
// Overview of On-Disk Format" (the FAT type is decided by the cluster count).
#include "system/core/fs/lib/fat.h"

namespace fat {
namespace {

constexpr uint32_t kSectorSize = 512;
constexpr uint32_t kFat12MaxClusters = 4084;   // fewer than 4085
constexpr uint32_t kFat16MaxClusters = 65524;  // fewer than 65525
constexpr size_t kSlotSize = 32;
constexpr size_t kLongNameUnits = 255;

uint16_t Le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t Le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

bool PowerOfTwo(uint32_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

void CopyBytes(uint8_t* to, const uint8_t* from, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    to[i] = from[i];
  }
}

uint8_t AsciiUpper(uint8_t c) {
  return c >= 'a' && c <= 'z' ? static_cast<uint8_t>(c - 32) : c;
}

// Appends code point `cp` as UTF-8; false if it does not fit.
bool PutUtf8(char* out, size_t capacity, size_t* at, uint32_t cp) {
  uint8_t bytes[4];
  size_t n;
  if (cp < 0x80) {
    bytes[0] = static_cast<uint8_t>(cp);
    n = 1;
  } else if (cp < 0x800) {
    bytes[0] = static_cast<uint8_t>(0xC0 | (cp >> 6));
    bytes[1] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    bytes[0] = static_cast<uint8_t>(0xE0 | (cp >> 12));
    bytes[1] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    bytes[2] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    bytes[0] = static_cast<uint8_t>(0xF0 | (cp >> 18));
    bytes[1] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F));
    bytes[2] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    bytes[3] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    n = 4;
  }
  if (*at + n > capacity) {
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    out[(*at)++] = static_cast<char>(bytes[i]);
  }
  return true;
}

// UTF-16 (unpaired surrogates become U+FFFD) to UTF-8, NUL-terminated.
size_t Utf16ToUtf8(const uint16_t* units, size_t count, char* out, size_t capacity) {
  size_t at = 0;
  for (size_t i = 0; i < count; ++i) {
    uint32_t cp = units[i];
    if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < count && units[i + 1] >= 0xDC00 &&
        units[i + 1] < 0xE000) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (units[i + 1] - 0xDC00);
      ++i;
    } else if (cp >= 0xD800 && cp < 0xE000) {
      cp = 0xFFFD;
    }
    if (!PutUtf8(out, capacity - 1, &at, cp)) {
      break;
    }
  }
  out[at] = '\0';
  return at;
}

// The 8.3 name of a short entry as UTF-8, honouring the lower-case flags of
// byte 12 (0x08 base, 0x10 extension); OEM bytes >= 0x80 become U+FFFD.
size_t ShortName(const uint8_t* slot, char* out, size_t capacity) {
  size_t at = 0;
  const uint8_t flags = slot[12];
  auto put = [&](size_t first, size_t count, bool lower) {
    size_t end = first + count;
    while (end > first && slot[end - 1] == ' ') {
      --end;
    }
    for (size_t i = first; i < end; ++i) {
      uint8_t c = slot[i];
      if (i == 0 && c == 0x05) {
        c = 0xE5;
      }
      if (lower && c >= 'A' && c <= 'Z') {
        c = static_cast<uint8_t>(c + 32);
      }
      PutUtf8(out, capacity - 1, &at, c < 0x80 ? c : 0xFFFD);
    }
    return end > first;
  };
  put(0, 8, (flags & 0x08) != 0);
  size_t dot = at;
  PutUtf8(out, capacity - 1, &at, '.');
  if (!put(8, 3, (flags & 0x10) != 0)) {
    at = dot;
  }
  out[at] = '\0';
  return at;
}

uint8_t ShortNameChecksum(const uint8_t* slot) {
  uint8_t sum = 0;
  for (size_t i = 0; i < 11; ++i) {
    sum = static_cast<uint8_t>(((sum & 1) << 7) + (sum >> 1) + slot[i]);
  }
  return sum;
}

// A short name byte that no FAT driver writes.
bool BadShortNameByte(uint8_t c, size_t i) {
  if (i == 0 && c == 0x05) {
    return false;
  }
  if (c < 0x20) {
    return true;
  }
  for (const char* bad = "\"*+,/:;<=>?[\\]|"; *bad != '\0'; ++bad) {
    if (c == static_cast<uint8_t>(*bad)) {
      return true;
    }
  }
  return false;
}

bool NamesEqual(const char* a, size_t a_length, const char* b, size_t b_length) {
  if (a_length != b_length) {
    return false;
  }
  for (size_t i = 0; i < a_length; ++i) {
    if (AsciiUpper(static_cast<uint8_t>(a[i])) != AsciiUpper(static_cast<uint8_t>(b[i]))) {
      return false;
    }
  }
  return true;
}

size_t CStringLength(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') {
    ++n;
  }
  return n;
}

}  // namespace

const char* StatusString(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kIoError:
      return "read error (or a read past the end of the disk)";
    case Status::kNoVolume:
      return "no FAT volume: neither a FAT boot sector nor an MBR with a FAT partition";
    case Status::kBadPartition:
      return "MBR partition entry empty or outside the disk";
    case Status::kBadSignature:
      return "bad boot sector signature (no 55 AA at offset 510)";
    case Status::kBadJump:
      return "bad boot sector jump instruction (not EB or E9)";
    case Status::kBadBytesPerSector:
      return "bytes per sector not a power of two in 512..4096";
    case Status::kBadSectorsPerCluster:
      return "sectors per cluster not a power of two in 1..128, or a cluster over 64 KiB";
    case Status::kBadReservedSectors:
      return "reserved sector count is 0";
    case Status::kBadFatCount:
      return "number of FATs is 0";
    case Status::kBadMedia:
      return "media descriptor not F0 or F8..FF";
    case Status::kBadFatSize:
      return "FAT size 0 or too small for the cluster count";
    case Status::kBadTotalSectors:
      return "total sectors 0 or too small for the reserved sectors, FATs and root directory";
    case Status::kVolumeTooLarge:
      return "volume larger than its partition or disk";
    case Status::kBadRootEntries:
      return "root directory entries misaligned (not whole sectors), 0 on FAT12/16 or not 0 on "
             "FAT32";
    case Status::kBadClusterCount:
      return "cluster count inconsistent with the FAT type the BPB describes";
    case Status::kBadRootCluster:
      return "FAT32 root directory cluster out of range";
    case Status::kBadFsVersion:
      return "FAT32 file system version not 0.0";
    case Status::kBadCluster:
      return "cluster chain points outside the volume's clusters";
    case Status::kFreeInChain:
      return "cluster chain runs into a free cluster";
    case Status::kBadSectorMark:
      return "cluster chain runs into a cluster marked bad";
    case Status::kChainLoop:
      return "cluster chain loops (longer than the volume's cluster count)";
    case Status::kChainTooShort:
      return "cluster chain shorter than the file size";
    case Status::kChainTooLong:
      return "cluster chain longer than the file size";
    case Status::kBadDirEntry:
      return "bad directory entry (invalid name, cluster or size)";
    case Status::kNotFound:
      return "not found";
    case Status::kNotADirectory:
      return "not a directory";
    case Status::kIsADirectory:
      return "is a directory";
    case Status::kBadPath:
      return "bad path (empty, over-long or '..' component)";
    case Status::kNotMounted:
      return "volume not mounted";
    case Status::kReadOnly:
      return "read-only volume";
    case Status::kExists:
      return "name exists";
    case Status::kNotEmpty:
      return "directory not empty";
    case Status::kNoSpace:
      return "no space left on the volume";
    case Status::kFileTooLarge:
      return "file too large for FAT (4 GiB - 1 bytes at most)";
    case Status::kBadName:
      return "name FAT cannot hold (empty, over 255 characters or a forbidden character)";
    case Status::kInvalid:
      return "invalid request (the root, or a directory moved into itself)";
  }
  return "unknown status";
}

bool IsFatPartitionType(uint8_t type) {
  return type == 0x01 || type == 0x04 || type == 0x06 || type == 0x0B || type == 0x0C ||
         type == 0x0E;
}

// --- Boot sector ---

namespace {

struct Layout {
  FatType type;
  uint32_t bytes_per_sector, sectors_per_cluster, reserved, fat_sectors, fats;
  uint32_t root_entries, root_sectors, data_start, cluster_count, root_cluster;
};

// Checks the BPB in `bs` (the first 512 bytes of the volume) for a volume
// of `size` bytes.
Status ParseBootSector(const uint8_t* bs, uint64_t size, Layout* out) {
  if (bs[510] != 0x55 || bs[511] != 0xAA) {
    return Status::kBadSignature;
  }
  if (bs[0] != 0xEB && bs[0] != 0xE9) {
    return Status::kBadJump;
  }
  const uint32_t bps = Le16(bs + 11);
  if (!PowerOfTwo(bps) || bps < 512 || bps > kMaxSectorSize) {
    return Status::kBadBytesPerSector;
  }
  const uint32_t spc = bs[13];
  if (!PowerOfTwo(spc) || spc > 128 || bps * spc > 65536) {
    return Status::kBadSectorsPerCluster;
  }
  const uint32_t reserved = Le16(bs + 14);
  if (reserved == 0) {
    return Status::kBadReservedSectors;
  }
  const uint32_t fats = bs[16];
  if (fats == 0) {
    return Status::kBadFatCount;
  }
  const uint32_t root_entries = Le16(bs + 17);
  const uint8_t media = bs[21];
  if (media != 0xF0 && media < 0xF8) {
    return Status::kBadMedia;
  }
  const uint32_t fat16_size = Le16(bs + 22);
  const uint32_t fat_size = fat16_size != 0 ? fat16_size : Le32(bs + 36);
  if (fat_size == 0) {
    return Status::kBadFatSize;
  }
  const uint32_t total16 = Le16(bs + 19);
  const uint32_t total = total16 != 0 ? total16 : Le32(bs + 32);
  const bool fat32_layout = fat16_size == 0;
  if (fat32_layout ? root_entries != 0 : (root_entries == 0 || (root_entries * 32) % bps != 0)) {
    return Status::kBadRootEntries;
  }
  const uint32_t root_sectors = root_entries * 32 / bps;
  const uint64_t meta = reserved + uint64_t{fats} * fat_size + root_sectors;
  if (total == 0 || total <= meta) {
    return Status::kBadTotalSectors;
  }
  if (uint64_t{total} * bps > size) {
    return Status::kVolumeTooLarge;
  }
  const uint32_t clusters = static_cast<uint32_t>((total - meta) / spc);
  FatType type = clusters <= kFat12MaxClusters   ? FatType::kFat12
                 : clusters <= kFat16MaxClusters ? FatType::kFat16
                                                 : FatType::kFat32;
  if (clusters == 0 || (type == FatType::kFat32) != fat32_layout || clusters > 0x0FFFFFF5) {
    return Status::kBadClusterCount;
  }
  // The FAT must hold an entry for every cluster (and the two reserved).
  const uint64_t fat_bits = uint64_t{fat_size} * bps * 8;
  const uint32_t entry_bits = type == FatType::kFat12 ? 12 : type == FatType::kFat16 ? 16 : 32;
  if (fat_bits / entry_bits < uint64_t{clusters} + 2) {
    return Status::kBadFatSize;
  }
  uint32_t root_cluster = 0;
  if (type == FatType::kFat32) {
    if (Le16(bs + 42) != 0) {
      return Status::kBadFsVersion;
    }
    root_cluster = Le32(bs + 44);
    if (root_cluster < 2 || root_cluster - 2 >= clusters) {
      return Status::kBadRootCluster;
    }
  }
  *out = Layout{type,         bps,          spc,
                reserved,     fat_size,     fats,
                root_entries, root_sectors, static_cast<uint32_t>(meta),
                clusters,     root_cluster};
  return Status::kOk;
}

}  // namespace

Status FindPartitions(const BlockDevice& device, Partition (&out)[kMaxPartitions], size_t* count) {
  *count = 0;
  if (device.size < kSectorSize) {
    return Status::kNoVolume;
  }
  uint8_t sector[kSectorSize];
  if (device.read(device.context, 0, sector, kSectorSize) != Status::kOk) {
    return Status::kIoError;
  }
  Layout layout;
  if (ParseBootSector(sector, device.size, &layout) == Status::kOk) {
    out[0] = Partition{0, 0, device.size};
    *count = 1;
    return Status::kOk;
  }
  if (sector[510] != 0x55 || sector[511] != 0xAA) {
    return Status::kNoVolume;
  }
  for (size_t i = 0; i < 4; ++i) {
    const uint8_t* e = sector + 446 + 16 * i;
    if ((e[0] & 0x7F) != 0 || !IsFatPartitionType(e[4])) {
      continue;
    }
    const uint64_t first = uint64_t{Le32(e + 8)} * kSectorSize;
    const uint64_t length = uint64_t{Le32(e + 12)} * kSectorSize;
    if (first == 0 || length == 0 || first > device.size || length > device.size - first) {
      return Status::kBadPartition;
    }
    out[(*count)++] = Partition{e[4], first, length};
  }
  return *count != 0 ? Status::kOk : Status::kNoVolume;
}

// --- Volume ---

Status Volume::Mount(const BlockDevice& device, const Partition& partition, void* cache,
                     size_t cache_bytes, bool read_only) {
  mounted_ = false;
  cached_sector_ = ~uint64_t{0};
  if (partition.size < kSectorSize || partition.offset % kSectorSize != 0 ||
      partition.offset > device.size || partition.size > device.size - partition.offset) {
    return Status::kBadPartition;
  }
  uint8_t bs[kSectorSize];
  if (device.read(device.context, partition.offset, bs, kSectorSize) != Status::kOk) {
    return Status::kIoError;
  }
  Layout l;
  if (Status s = ParseBootSector(bs, partition.size, &l); s != Status::kOk) {
    return s;
  }
  device_ = device;
  offset_ = partition.offset;
  type_ = l.type;
  bytes_per_sector_ = l.bytes_per_sector;
  sectors_per_cluster_ = l.sectors_per_cluster;
  bytes_per_cluster_ = l.bytes_per_sector * l.sectors_per_cluster;
  fat_start_ = l.reserved;
  fat_sectors_ = l.fat_sectors;
  root_start_ = l.reserved + l.fats * l.fat_sectors;
  root_entries_ = l.root_entries;
  data_start_ = l.data_start;
  cluster_count_ = l.cluster_count;
  root_cluster_ = l.root_cluster;
  mounted_ = true;
  return Status::kOk;
}

Status Volume::LoadSector(uint64_t sector) {
  if (sector == cached_sector_) {
    return Status::kOk;
  }
  cached_sector_ = ~uint64_t{0};
  if (device_.read(device_.context, offset_ + sector * bytes_per_sector_, sector_,
                   bytes_per_sector_) != Status::kOk) {
    return Status::kIoError;
  }
  cached_sector_ = sector;
  return Status::kOk;
}

uint64_t Volume::ClusterSector(uint32_t cluster) const {
  return data_start_ + uint64_t{cluster - 2} * sectors_per_cluster_;
}

Status Volume::FatEntry(uint32_t cluster, uint32_t* value) {
  if (!mounted_) {
    return Status::kNotMounted;
  }
  if (!ValidCluster(cluster)) {
    return Status::kBadCluster;
  }
  uint64_t byte;
  switch (type_) {
    case FatType::kFat12:
      byte = cluster + cluster / 2;
      break;
    case FatType::kFat16:
      byte = uint64_t{cluster} * 2;
      break;
    case FatType::kFat32:
      byte = uint64_t{cluster} * 4;
      break;
  }
  // Bytes one at a time: a FAT12 entry may straddle two sectors.
  const size_t width = type_ == FatType::kFat32 ? 4 : 2;
  uint32_t raw = 0;
  for (size_t i = 0; i < width; ++i) {
    const uint64_t at = byte + i;
    if (Status s = LoadSector(fat_start_ + at / bytes_per_sector_); s != Status::kOk) {
      return s;
    }
    raw |= static_cast<uint32_t>(sector_[at % bytes_per_sector_]) << (8 * i);
  }
  switch (type_) {
    case FatType::kFat12:
      *value = (cluster & 1) != 0 ? raw >> 4 : raw & 0xFFF;
      break;
    case FatType::kFat16:
      *value = raw;
      break;
    case FatType::kFat32:
      *value = raw & 0x0FFFFFFF;
      break;
  }
  return Status::kOk;
}

Status Volume::NextCluster(uint32_t cluster, uint32_t* next) {
  uint32_t value;
  if (Status s = FatEntry(cluster, &value); s != Status::kOk) {
    return s;
  }
  const uint32_t bad = type_ == FatType::kFat12   ? 0xFF7
                       : type_ == FatType::kFat16 ? 0xFFF7
                                                  : 0x0FFFFFF7;
  if (value > bad) {
    return Status::kNotFound;  // end of chain
  }
  if (value == bad) {
    return Status::kBadSectorMark;
  }
  if (value == 0) {
    return Status::kFreeInChain;
  }
  if (!ValidCluster(value)) {
    return Status::kBadCluster;
  }
  *next = value;
  return Status::kOk;
}

Status Volume::Advance(uint32_t* cluster, uint32_t steps) {
  if (steps >= cluster_count_) {
    return Status::kChainLoop;
  }
  for (uint32_t i = 0; i < steps; ++i) {
    Status s = NextCluster(*cluster, cluster);
    if (s != Status::kOk) {
      return s == Status::kNotFound ? Status::kChainTooShort : s;
    }
  }
  return Status::kOk;
}

Status Volume::ChainLength(uint32_t first, uint32_t* length) {
  if (!mounted_) {
    return Status::kNotMounted;
  }
  if (!ValidCluster(first)) {
    return Status::kBadCluster;
  }
  uint32_t cluster = first;
  for (uint32_t n = 1; n <= cluster_count_; ++n) {
    Status s = NextCluster(cluster, &cluster);
    if (s == Status::kNotFound) {
      *length = n;
      return Status::kOk;
    }
    if (s != Status::kOk) {
      return s;
    }
  }
  return Status::kChainLoop;
}

Status Volume::CheckChain(const Entry& entry) {
  if (!mounted_) {
    return Status::kNotMounted;
  }
  if (entry.is_root && type_ != FatType::kFat32) {
    return Status::kOk;  // the fixed root region
  }
  const uint64_t needed = (uint64_t{entry.size} + bytes_per_cluster_ - 1) / bytes_per_cluster_;
  if (!entry.is_directory() && entry.first_cluster == 0) {
    return needed == 0 ? Status::kOk : Status::kChainTooShort;
  }
  uint32_t length;
  if (Status s = ChainLength(entry.first_cluster, &length); s != Status::kOk) {
    return s;
  }
  if (entry.is_directory()) {
    return Status::kOk;
  }
  return length < needed   ? Status::kChainTooShort
         : length > needed ? Status::kChainTooLong
                           : Status::kOk;
}

Entry Volume::Root() const {
  Entry root = {};
  root.name[0] = '/';
  root.name_length = 1;
  root.short_name[0] = '/';
  root.attributes = kAttrDirectory;
  root.first_cluster = type_ == FatType::kFat32 ? root_cluster_ : 0;
  root.is_root = true;
  return root;
}

Status Volume::OpenDir(const Entry& dir, DirIterator* it) {
  if (!mounted_) {
    return Status::kNotMounted;
  }
  if (!dir.is_directory()) {
    return Status::kNotADirectory;
  }
  *it = DirIterator{};
  it->volume_ = this;
  it->fixed_root_ = dir.is_root && type_ != FatType::kFat32;
  it->first_cluster_ = dir.first_cluster;
  it->cursor_cluster_ = dir.first_cluster;
  if (!it->fixed_root_ && !ValidCluster(dir.first_cluster)) {
    return Status::kBadCluster;
  }
  return Status::kOk;
}

Status DirIterator::Slot(uint32_t index, const uint8_t** slot) {
  Volume& v = *volume_;
  const uint64_t byte = uint64_t{index} * kSlotSize;
  uint64_t sector;
  if (fixed_root_) {
    if (index >= v.root_entries_) {
      return Status::kNotFound;
    }
    sector = v.root_start_ + byte / v.bytes_per_sector_;
  } else {
    const uint64_t cluster_index = byte / v.bytes_per_cluster_;
    if (cluster_index >= v.cluster_count_) {
      return Status::kChainLoop;
    }
    if (cluster_index < cursor_index_) {
      cursor_index_ = 0;
      cursor_cluster_ = first_cluster_;
    }
    while (cursor_index_ < cluster_index) {
      Status s = v.NextCluster(cursor_cluster_, &cursor_cluster_);
      if (s != Status::kOk) {
        return s;  // kNotFound: the directory's chain ends
      }
      ++cursor_index_;
    }
    sector = v.ClusterSector(cursor_cluster_) + (byte % v.bytes_per_cluster_) / v.bytes_per_sector_;
  }
  if (Status s = v.LoadSector(sector); s != Status::kOk) {
    return s;
  }
  *slot = v.sector_ + byte % v.bytes_per_sector_;
  return Status::kOk;
}

Status DirIterator::Next(Entry* entry) {
  if (volume_ == nullptr) {
    return Status::kNotMounted;
  }
  // The long name being gathered: its parts come last part first.
  uint16_t units[20 * 13];
  int expect = 0;  // the sequence number of the next part; 0 = none pending
  size_t unit_count = 0;
  uint8_t checksum = 0;
  while (!done_) {
    const uint8_t* where;
    Status s = Slot(index_, &where);
    if (s == Status::kNotFound) {
      done_ = true;
      break;
    }
    if (s != Status::kOk) {
      done_ = true;
      return s;
    }
    ++index_;
    uint8_t slot[kSlotSize];
    CopyBytes(slot, where, kSlotSize);
    if (slot[0] == 0x00) {
      done_ = true;
      break;
    }
    if (slot[0] == 0xE5) {
      expect = 0;
      continue;
    }
    const uint8_t attributes = slot[11];
    if ((attributes & 0x3F) == kAttrLongName) {
      const int seq = slot[0] & 0x1F;
      if ((slot[0] & 0x40) != 0 && seq >= 1 && seq <= 20) {
        expect = seq;
        checksum = slot[13];
        unit_count = static_cast<size_t>(seq) * 13;
      } else if (expect == 0 || seq != expect || slot[13] != checksum || (slot[0] & 0x40) != 0) {
        expect = 0;  // an orphan or out-of-order part: drop the long name
        continue;
      }
      static constexpr uint8_t kOffsets[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
      for (size_t i = 0; i < 13; ++i) {
        units[static_cast<size_t>(seq - 1) * 13 + i] = Le16(slot + kOffsets[i]);
      }
      --expect;
      if (expect == 0) {
        expect = -1;  // complete: waiting for its short entry
      }
      continue;
    }
    const bool long_name = expect == -1 && ShortNameChecksum(slot) == checksum;
    expect = 0;
    if ((attributes & kAttrVolumeId) != 0) {
      continue;
    }
    if (slot[0] == '.' && (slot[1] == ' ' || (slot[1] == '.' && slot[2] == ' '))) {
      continue;  // "." and ".."
    }
    *entry = Entry{};
    entry->attributes = attributes;
    entry->first_cluster =
        static_cast<uint32_t>(Le16(slot + 26)) |
        (volume_->type_ == FatType::kFat32 ? uint32_t{Le16(slot + 20)} << 16 : 0);
    entry->size = Le32(slot + 28);
    ShortName(slot, entry->short_name, sizeof(entry->short_name));
    size_t length = 0;
    if (long_name) {
      while (length < unit_count && length < kLongNameUnits && units[length] != 0) {
        ++length;
      }
    }
    if (length != 0) {
      entry->name_length = Utf16ToUtf8(units, length, entry->name, sizeof(entry->name));
      entry->has_long_name = true;
    } else {
      entry->name_length = CStringLength(entry->short_name);
      CopyBytes(reinterpret_cast<uint8_t*>(entry->name),
                reinterpret_cast<const uint8_t*>(entry->short_name), entry->name_length + 1);
    }
    // Garbage: a name no driver writes, a cluster outside the volume, a
    // directory without a cluster or a file larger than the volume.
    bool bad = false;
    for (size_t i = 0; i < 11; ++i) {
      bad = bad || BadShortNameByte(slot[i], i);
    }
    bad = bad || slot[0] == ' ';
    const uint32_t cluster = entry->first_cluster;
    const bool is_dir = (attributes & kAttrDirectory) != 0;
    if (cluster != 0 || is_dir) {
      bad = bad || !volume_->ValidCluster(cluster);
    }
    bad = bad || (cluster == 0 && entry->size != 0);
    bad = bad || (is_dir && entry->size != 0);
    bad = bad ||
          uint64_t{entry->size} > uint64_t{volume_->cluster_count_} * volume_->bytes_per_cluster_;
    return bad ? Status::kBadDirEntry : Status::kOk;
  }
  return Status::kNotFound;
}

Status Volume::Lookup(const char* path, size_t path_length, Entry* entry) {
  if (!mounted_) {
    return Status::kNotMounted;
  }
  Entry current = Root();
  size_t at = 0;
  while (at < path_length) {
    if (path[at] == '/') {
      ++at;
      continue;
    }
    size_t end = at;
    while (end < path_length && path[end] != '/') {
      ++end;
    }
    const char* name = path + at;
    const size_t length = end - at;
    at = end;
    if (length == 1 && name[0] == '.') {
      continue;
    }
    if (length > kMaxNameBytes || (length == 2 && name[0] == '.' && name[1] == '.')) {
      return Status::kBadPath;
    }
    if (!current.is_directory()) {
      return Status::kNotADirectory;
    }
    DirIterator it;
    if (Status s = OpenDir(current, &it); s != Status::kOk) {
      return s;
    }
    for (;;) {
      Entry candidate;
      Status s = it.Next(&candidate);
      if (s == Status::kBadDirEntry) {
        continue;  // never followed, but the rest of the directory is
      }
      if (s != Status::kOk) {
        return s;
      }
      if (NamesEqual(candidate.name, candidate.name_length, name, length) ||
          NamesEqual(candidate.short_name, CStringLength(candidate.short_name), name, length)) {
        current = candidate;
        break;
      }
    }
  }
  *entry = current;
  return Status::kOk;
}

Status Volume::Read(const Entry& file, uint64_t offset, void* buffer, size_t length, size_t* done) {
  *done = 0;
  if (!mounted_) {
    return Status::kNotMounted;
  }
  if (file.is_directory()) {
    return Status::kIsADirectory;
  }
  if (offset >= file.size || length == 0) {
    return Status::kOk;
  }
  if (length > file.size - offset) {
    length = static_cast<size_t>(file.size - offset);
  }
  if (!ValidCluster(file.first_cluster)) {
    return Status::kBadCluster;
  }
  uint32_t cluster = file.first_cluster;
  uint64_t cluster_index = offset / bytes_per_cluster_;
  if (cluster_index >= cluster_count_) {
    return Status::kChainLoop;
  }
  if (Status s = Advance(&cluster, static_cast<uint32_t>(cluster_index)); s != Status::kOk) {
    return s;
  }
  uint8_t* out = static_cast<uint8_t*>(buffer);
  while (*done < length) {
    const uint64_t at = offset + *done;
    const uint64_t index = at / bytes_per_cluster_;
    if (index != cluster_index) {
      if (Status s = Advance(&cluster, 1); s != Status::kOk) {
        return s;
      }
      cluster_index = index;
    }
    const uint32_t in_cluster = static_cast<uint32_t>(at % bytes_per_cluster_);
    if (Status s = LoadSector(ClusterSector(cluster) + in_cluster / bytes_per_sector_);
        s != Status::kOk) {
      return s;
    }
    const uint32_t in_sector = in_cluster % bytes_per_sector_;
    size_t n = bytes_per_sector_ - in_sector;
    if (n > length - *done) {
      n = length - *done;
    }
    CopyBytes(out + *done, sector_ + in_sector, n);
    *done += n;
  }
  return Status::kOk;
}

}  // namespace fat
