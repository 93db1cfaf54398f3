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

void Put16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void Put32(uint8_t* p, uint32_t v) {
  Put16(p, v);
  Put16(p + 2, v >> 16);
}

bool PowerOfTwo(uint32_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

void CopyBytes(uint8_t* to, const uint8_t* from, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    to[i] = from[i];
  }
}

void FillBytes(uint8_t* to, uint8_t value, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    to[i] = value;
  }
}

bool BytesEqual(const uint8_t* a, const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) {
      return false;
    }
  }
  return true;
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

size_t CStringLength(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') {
    ++n;
  }
  return n;
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

constexpr uint8_t kLongNameOffsets[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};

// A long name gathered from its slots, which come last part first.
struct LongName {
  uint16_t units[20 * 13];
  int expect = 0;  // the sequence number of the next part; 0 = none pending, -1 = complete
  size_t unit_count = 0;
  uint8_t checksum = 0;
  uint32_t first_slot = 0;

  // Gathers a long-name slot (index `index`) and returns true; false for
  // any other slot. A part out of order drops the name.
  bool Feed(const uint8_t* slot, uint32_t index) {
    if ((slot[11] & 0x3F) != kAttrLongName) {
      return false;
    }
    const int seq = slot[0] & 0x1F;
    if ((slot[0] & 0x40) != 0 && seq >= 1 && seq <= 20) {
      expect = seq;
      checksum = slot[13];
      unit_count = static_cast<size_t>(seq) * 13;
      first_slot = index;
    } else if (expect <= 0 || seq != expect || slot[13] != checksum || (slot[0] & 0x40) != 0) {
      expect = 0;  // an orphan or out-of-order part: drop the long name
      return true;
    }
    for (size_t i = 0; i < 13; ++i) {
      units[static_cast<size_t>(seq - 1) * 13 + i] = Le16(slot + kLongNameOffsets[i]);
    }
    --expect;
    if (expect == 0) {
      expect = -1;  // complete: waiting for its short entry
    }
    return true;
  }

  // The length in UTF-16 units of the long name belonging to the short
  // entry `slot` (0: none); starts over.
  size_t Take(const uint8_t* slot) {
    const bool complete = expect == -1 && ShortNameChecksum(slot) == checksum;
    expect = 0;
    size_t length = 0;
    if (complete) {
      while (length < unit_count && length < kLongNameUnits && units[length] != 0) {
        ++length;
      }
    }
    return length;
  }
};

bool IsDotEntry(const uint8_t* slot) {
  return slot[0] == '.' && (slot[1] == ' ' || (slot[1] == '.' && slot[2] == ' '));
}

// Days since 1970-01-01 of a civil date, and back (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, uint32_t m, uint32_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const uint32_t yoe = static_cast<uint32_t>(y - era * 400);
  const uint32_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const uint32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* year, uint32_t* month, uint32_t* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const uint32_t doe = static_cast<uint32_t>(z - era * 146097);
  const uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const uint32_t mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int64_t>(yoe) + era * 400 + (*month <= 2 ? 1 : 0);
}

// A FAT date and time as seconds since 1970 (0 for an invalid date).
uint64_t FatToUnix(uint16_t date, uint16_t time) {
  const uint32_t month = (date >> 5) & 15, day = date & 31;
  if (month < 1 || month > 12 || day < 1) {
    return 0;
  }
  const int64_t days = DaysFromCivil(1980 + (date >> 9), month, day);
  const uint32_t seconds = (time >> 11) * 3600 + ((time >> 5) & 63) * 60 + (time & 31) * 2;
  return static_cast<uint64_t>(days) * 86400 + seconds;
}

// Fills *entry from short entry `slot` (index `index` of directory
// `dir_cluster`) and its long name; kBadDirEntry for garbage: a name no
// driver writes, a cluster outside the volume, a directory without a
// cluster or a file larger than the volume.
Status MakeEntry(const uint8_t* slot, const uint16_t* units, size_t unit_length,
                 uint32_t first_slot, uint32_t dir_cluster, uint32_t index, bool fat32,
                 uint32_t cluster_count, uint32_t bytes_per_cluster, Entry* entry) {
  *entry = Entry{};
  const uint8_t attributes = slot[11];
  entry->attributes = attributes;
  entry->first_cluster =
      static_cast<uint32_t>(Le16(slot + 26)) | (fat32 ? uint32_t{Le16(slot + 20)} << 16 : 0);
  entry->size = Le32(slot + 28);
  entry->modify_time = FatToUnix(Le16(slot + 24), Le16(slot + 22));
  entry->dir_cluster = dir_cluster;
  entry->slot = index;
  entry->first_slot = unit_length != 0 ? first_slot : index;
  ShortName(slot, entry->short_name, sizeof(entry->short_name));
  if (unit_length != 0) {
    entry->name_length = Utf16ToUtf8(units, unit_length, entry->name, sizeof(entry->name));
    entry->has_long_name = true;
  } else {
    entry->name_length = CStringLength(entry->short_name);
    CopyBytes(reinterpret_cast<uint8_t*>(entry->name),
              reinterpret_cast<const uint8_t*>(entry->short_name), entry->name_length + 1);
  }
  bool bad = false;
  for (size_t i = 0; i < 11; ++i) {
    bad = bad || BadShortNameByte(slot[i], i);
  }
  bad = bad || slot[0] == ' ';
  const uint32_t cluster = entry->first_cluster;
  const bool is_dir = (attributes & kAttrDirectory) != 0;
  if (cluster != 0 || is_dir) {
    bad = bad || cluster < 2 || cluster - 2 >= cluster_count;
  }
  bad = bad || (cluster == 0 && entry->size != 0);
  bad = bad || (is_dir && entry->size != 0);
  bad = bad || uint64_t{entry->size} > uint64_t{cluster_count} * bytes_per_cluster;
  return bad ? Status::kBadDirEntry : Status::kOk;
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
  uint32_t root_entries, root_sectors, data_start, cluster_count, root_cluster, total_sectors;
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
                clusters,     root_cluster, total};
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

// --- Names to write ---

namespace {

constexpr uint32_t kMaxDirSlots = 65536;  // a directory is at most 2 MiB
constexpr uint8_t kDeleted = 0xE5;
constexpr uint64_t kMaxFileSize = 0xFFFFFFFF;

// A character an 8.3 name may hold as it is.
bool ShortNameChar(uint32_t c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
    return true;
  }
  for (const char* ok = "$%'-_@~`!(){}^#&"; *ok != '\0'; ++ok) {
    if (c == static_cast<uint8_t>(*ok)) {
      return true;
    }
  }
  return false;
}

// An ASCII letter folded to upper case; any other unit as it is.
uint32_t FoldUnit(uint32_t u) {
  return u < 0x80 ? AsciiUpper(static_cast<uint8_t>(u)) : u;
}

// Whether long name `units` (as stored: unpaired surrogates compare as
// U+FFFD, as they read) equals `name`, ASCII-case-insensitively.
bool LongNameEqual(const uint16_t* units, size_t length, const uint16_t* name, size_t name_length) {
  if (length != name_length) {
    return false;
  }
  for (size_t i = 0; i < length; ++i) {
    uint32_t u = units[i];
    const bool high = u >= 0xD800 && u < 0xDC00;
    if (high && i + 1 < length && units[i + 1] >= 0xDC00 && units[i + 1] < 0xE000) {
      if (name[i] != u || name[i + 1] != units[i + 1]) {
        return false;
      }
      ++i;
      continue;
    }
    if (u >= 0xD800 && u < 0xE000) {
      u = 0xFFFD;
    }
    if (FoldUnit(u) != FoldUnit(name[i])) {
      return false;
    }
  }
  return true;
}

// Whether the 8.3 name of `slot`, as read ("README.TXT"), equals `name`,
// ASCII-case-insensitively.
bool ShortNameEqual(const uint8_t* slot, const uint16_t* name, size_t length) {
  char text[13 * 3 + 1];
  const size_t bytes = ShortName(slot, text, sizeof(text));
  size_t at = 0;
  for (size_t i = 0; i < bytes; ++i, ++at) {
    const uint8_t c = static_cast<uint8_t>(text[i]);
    uint32_t unit = c;
    if (c >= 0x80) {
      unit = 0xFFFD;  // ShortName's only non-ASCII output (3 bytes)
      i += 2;
    }
    if (at >= length || FoldUnit(unit) != FoldUnit(name[at])) {
      return false;
    }
  }
  return at == length;
}

// The 8.3 slot bytes ("README  TXT", upper case) whose name reads as
// `name` but for case; false if no 8.3 name reads so.
bool ShortForm(const uint16_t* name, size_t length, uint8_t* out) {
  FillBytes(out, ' ', 11);
  size_t dot = length;
  for (size_t i = 0; i < length; ++i) {
    if (name[i] >= 0x80) {
      return false;
    }
    if (name[i] == '.') {
      if (dot != length) {
        return false;
      }
      dot = i;
    }
  }
  const size_t ext = dot == length ? 0 : length - dot - 1;
  if (dot == 0 || dot > 8 || ext > 3 || (dot != length && ext == 0)) {
    return false;
  }
  for (size_t i = 0; i < length; ++i) {
    if (i != dot) {
      out[i < dot ? i : 8 + (i - dot - 1)] = AsciiUpper(static_cast<uint8_t>(name[i]));
    }
  }
  return true;
}

}  // namespace

// A name to create: its UTF-16 units and its 8.3 form.
struct NewName {
  uint16_t units[kLongNameUnits];
  size_t length;
  uint8_t short_name[11];  // the name itself, or the basis of a "~N" alias
  size_t basis_length;     // the basis's base characters (1..8)
  uint8_t case_flags;      // byte 12: lower-case base 0x08, extension 0x10
  bool needs_long;         // long-name slots
  bool needs_tail;         // a "~N" alias
};

namespace {

// Checks and converts a UTF-8 name: trailing dots and spaces are dropped
// (as Windows does); kBadName for an empty result, invalid UTF-8, over 255
// UTF-16 units, a control character or one of / \ : * ? " < > |.
Status ParseName(const char* text, size_t length, NewName* out) {
  const uint8_t* name = reinterpret_cast<const uint8_t*>(text);
  while (length != 0 && (name[length - 1] == '.' || name[length - 1] == ' ')) {
    --length;
  }
  if (length == 0 || length > kMaxNameBytes) {
    return Status::kBadName;
  }
  size_t n = 0;
  for (size_t i = 0; i < length;) {
    const uint8_t c = name[i++];
    uint32_t cp;
    size_t extra;
    uint32_t min;
    if (c < 0x80) {
      cp = c, extra = 0, min = 0;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F, extra = 1, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F, extra = 2, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07, extra = 3, min = 0x10000;
    } else {
      return Status::kBadName;
    }
    for (; extra != 0; --extra) {
      if (i >= length || (name[i] & 0xC0) != 0x80) {
        return Status::kBadName;
      }
      cp = (cp << 6) | (name[i++] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000) || cp < 0x20 || cp == 0x7F) {
      return Status::kBadName;
    }
    for (const char* bad = "/\\:*?\"<>|"; *bad != '\0'; ++bad) {
      if (cp == static_cast<uint8_t>(*bad)) {
        return Status::kBadName;
      }
    }
    if (n + (cp >= 0x10000 ? 2 : 1) > kLongNameUnits) {
      return Status::kBadName;
    }
    if (cp >= 0x10000) {
      out->units[n++] = static_cast<uint16_t>(0xD800 + ((cp - 0x10000) >> 10));
      out->units[n++] = static_cast<uint16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      out->units[n++] = static_cast<uint16_t>(cp);
    }
  }
  out->length = n;
  const uint16_t* u = out->units;
  FillBytes(out->short_name, ' ', 11);
  out->case_flags = 0;

  // A valid 8.3 name: upper case needs nothing more; an all-lower-case base
  // or extension gets the lower-case flags (as Windows NT and mtools); mixed
  // case gets a long name and itself in upper case as the alias.
  size_t dot = n;
  bool fits = true;
  for (size_t i = 0; i < n; ++i) {
    if (u[i] == '.') {
      fits = fits && dot == n && i != 0;
      dot = i;
    } else {
      fits = fits && ShortNameChar(u[i]);
    }
  }
  const size_t base = dot, ext = dot == n ? 0 : n - dot - 1;
  fits = fits && base >= 1 && base <= 8 && ext <= 3;
  if (fits) {
    bool lower[2] = {}, upper[2] = {};
    for (size_t i = 0; i < n; ++i) {
      if (i == dot) {
        continue;
      }
      const size_t part = i < dot ? 0 : 1;
      lower[part] = lower[part] || (u[i] >= 'a' && u[i] <= 'z');
      upper[part] = upper[part] || (u[i] >= 'A' && u[i] <= 'Z');
      out->short_name[i < dot ? i : 8 + (i - dot - 1)] = AsciiUpper(static_cast<uint8_t>(u[i]));
    }
    out->needs_long = (lower[0] && upper[0]) || (lower[1] && upper[1]);
    out->needs_tail = false;
    out->basis_length = base;
    if (!out->needs_long) {
      out->case_flags = static_cast<uint8_t>((lower[0] ? 0x08 : 0) | (lower[1] ? 0x10 : 0));
    }
    return Status::kOk;
  }

  // Otherwise the basis of a "~N" alias, as Windows makes it: upper case,
  // spaces and leading dots dropped, characters an 8.3 name cannot hold
  // become '_', the base up to the last dot (its other dots dropped) cut to
  // 8 and the extension after it to 3.
  size_t start = 0;
  while (start < n && (u[start] == '.' || u[start] == ' ')) {
    ++start;
  }
  size_t last_dot = n;
  for (size_t i = start; i < n; ++i) {
    if (u[i] == '.') {
      last_dot = i;
    }
  }
  auto basis_char = [](uint32_t c) -> uint8_t {
    return c < 0x80 && ShortNameChar(c) ? AsciiUpper(static_cast<uint8_t>(c)) : '_';
  };
  size_t count = 0;
  for (size_t i = start; i < last_dot && count < 8; ++i) {
    if (u[i] != '.' && u[i] != ' ' && !(u[i] >= 0xDC00 && u[i] < 0xE000)) {
      out->short_name[count++] = basis_char(u[i]);
    }
  }
  if (count == 0) {
    out->short_name[count++] = '_';
  }
  size_t ext_count = 0;
  for (size_t i = last_dot + 1; i < n && ext_count < 3; ++i) {
    if (u[i] != ' ' && !(u[i] >= 0xDC00 && u[i] < 0xE000)) {
      out->short_name[8 + ext_count++] = basis_char(u[i]);
    }
  }
  out->basis_length = count;
  out->needs_long = true;
  out->needs_tail = true;
  return Status::kOk;
}

// If the 8.3 name in `slot` is `basis` with a "~N" tail (the base cut to
// leave room for it, as made below), marks N in `tails`.
void MarkTail(const uint8_t* slot, const uint8_t* basis, size_t basis_length, uint8_t* tails,
              uint32_t tail_limit) {
  if (!BytesEqual(slot + 8, basis + 8, 3)) {
    return;
  }
  size_t end = 8;
  while (end > 0 && slot[end - 1] == ' ') {
    --end;
  }
  size_t tilde = end;
  while (tilde > 0 && slot[tilde - 1] >= '0' && slot[tilde - 1] <= '9') {
    --tilde;
  }
  const size_t digits = end - tilde;
  if (digits == 0 || tilde == 0 || slot[tilde - 1] != '~' || slot[tilde] == '0') {
    return;
  }
  --tilde;
  const size_t prefix = basis_length < 7 - digits ? basis_length : 7 - digits;
  if (tilde != prefix || !BytesEqual(slot, basis, prefix)) {
    return;
  }
  uint32_t number = 0;
  for (size_t i = tilde + 1; i < end; ++i) {
    number = number * 10 + (slot[i] - '0');
  }
  if (number < tail_limit) {
    tails[number / 8] = static_cast<uint8_t>(tails[number / 8] | (1u << (number % 8)));
  }
}

// Writes `value` into the bytes of `cluster`'s entry that lie in FAT sector
// `fat_sector` (held in `data`): a FAT12 entry may straddle two sectors.
void PutFatBytes(FatType type, uint32_t bytes_per_sector, uint8_t* data, uint64_t fat_sector,
                 uint32_t cluster, uint32_t value) {
  const uint64_t byte = type == FatType::kFat12   ? cluster + cluster / 2
                        : type == FatType::kFat16 ? uint64_t{cluster} * 2
                                                  : uint64_t{cluster} * 4;
  const size_t width = type == FatType::kFat32 ? 4 : 2;
  for (size_t i = 0; i < width; ++i) {
    const uint64_t at = byte + i;
    if (at / bytes_per_sector != fat_sector) {
      continue;
    }
    uint8_t* b = data + at % bytes_per_sector;
    switch (type) {
      case FatType::kFat12:
        if ((cluster & 1) != 0) {
          *b = i == 0 ? static_cast<uint8_t>((*b & 0x0F) | ((value << 4) & 0xF0))
                      : static_cast<uint8_t>(value >> 4);
        } else {
          *b = i == 0 ? static_cast<uint8_t>(value)
                      : static_cast<uint8_t>((*b & 0xF0) | ((value >> 8) & 0x0F));
        }
        break;
      case FatType::kFat16:
        *b = static_cast<uint8_t>(value >> (8 * i));
        break;
      case FatType::kFat32:  // the top 4 bits are reserved: kept
        *b = i < 3 ? static_cast<uint8_t>(value >> (8 * i))
                   : static_cast<uint8_t>((*b & 0xF0) | ((value >> 24) & 0x0F));
        break;
    }
  }
}

}  // namespace

// A directory search: one pass finds the name (against long names and
// 8.3 names), a run of free slots, the directory's end and the alias
// numbers taken.
struct Volume::Scan {
  const uint16_t* name = nullptr;
  size_t length = 0;
  uint32_t ignore_slot = ~uint32_t{0};  // an entry that does not count (the one renamed)
  uint32_t need = 0;                    // free slots wanted; 0: a lookup, ends at the name
  const uint8_t* basis = nullptr;       // mark "~N" aliases of this basis in tails_
  size_t basis_length = 0;
  bool has_short = false;  // the name as 8.3 slot bytes, if it can be one
  uint8_t short_form[11];
  // Results.
  bool found = false;
  uint32_t found_slot = 0, found_first = 0;
  bool free_found = false;
  uint32_t free_first = 0;
  uint32_t end = 0;  // the first never-used slot (or the end of the directory's clusters)
};

// Whether the 8.3 name of `slot` reads as the scan's name but for case:
// compared as slot bytes, unless the slot has bytes an 8.3 name reads
// differently (0x05, 0x80 and up).
bool Volume::ShortMatches(const uint8_t* slot, const Scan& scan) {
  bool plain = slot[0] != 0x05;
  for (size_t i = 0; i < 11 && plain; ++i) {
    plain = slot[i] < 0x80;
  }
  if (!plain) {
    return ShortNameEqual(slot, scan.name, scan.length);
  }
  if (!scan.has_short) {
    return false;
  }
  for (size_t i = 0; i < 11; ++i) {
    if (AsciiUpper(slot[i]) != scan.short_form[i]) {
      return false;
    }
  }
  return true;
}

// --- Volume ---

Status Volume::Mount(const BlockDevice& device, const Partition& partition, void* cache,
                     size_t cache_bytes, bool read_only) {
  mounted_ = false;
  writable_ = false;
  cached_sector_ = ~uint64_t{0};
  slots_ = nullptr;
  slot_data_ = nullptr;
  slot_count_ = 0;
  dirty_count_ = 0;
  last_slot_ = 0;
  clock_ = 0;
  syncing_ = freeing_ = data_unflushed_ = fsinfo_dirty_ = false;
  free_known_ = false;
  free_count_ = 0;
  next_free_ = 2;
  pending_count_ = 0;
  ForgetChains();
  fsinfo_sector_ = 0;
  label_[0] = '\0';
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
  fat_count_ = l.fats;
  root_start_ = l.reserved + l.fats * l.fat_sectors;
  root_entries_ = l.root_entries;
  data_start_ = l.data_start;
  cluster_count_ = l.cluster_count;
  root_cluster_ = l.root_cluster;
  total_sectors_ = l.total_sectors;

  // The label, if the extended boot signature says there is one.
  const size_t ext = type_ == FatType::kFat32 ? 64 : 36;
  if (bs[ext + 2] == 0x29) {
    size_t n = 11;
    while (n > 0 && bs[ext + 7 + n - 1] == ' ') {
      --n;
    }
    for (size_t i = 0; i < n; ++i) {
      const uint8_t c = bs[ext + 7 + i];
      label_[i] = c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?';
    }
    label_[n] = '\0';
  }

  // The cache: slot headers, the hash buckets (a power of two, at most one
  // per slot), then the sectors.
  static_assert(sizeof(CacheSlot) + sizeof(uint32_t) <= kCacheSlotOverhead);
  if (cache != nullptr) {
    const uintptr_t base = reinterpret_cast<uintptr_t>(cache);
    const uintptr_t aligned = (base + 7) & ~uintptr_t{7};
    if (cache_bytes > aligned - base) {
      size_t n = (cache_bytes - (aligned - base)) /
                 (sizeof(CacheSlot) + sizeof(uint32_t) + bytes_per_sector_);
      if (n > 0xFFFF) {
        n = 0xFFFF;
      }
      size_t buckets = 1;
      while (buckets * 2 <= n) {
        buckets *= 2;
      }
      slots_ = reinterpret_cast<CacheSlot*>(aligned);
      buckets_ = reinterpret_cast<uint32_t*>(slots_ + n);
      slot_data_ = reinterpret_cast<uint8_t*>(buckets_ + buckets);
      bucket_mask_ = buckets - 1;
      slot_count_ = n;
      for (size_t i = 0; i < n; ++i) {
        slots_[i] = CacheSlot{0, 0, kNoSlot, 0, 0};
      }
      for (size_t i = 0; i < buckets; ++i) {
        buckets_[i] = kNoSlot;
      }
    }
  }
  writable_ = !read_only && device.write != nullptr && slot_count_ >= kMinCacheSectors;

  // FAT32's FSInfo sector: kept up to date only if it is valid.
  if (writable_ && type_ == FatType::kFat32) {
    const uint32_t sector = Le16(bs + 48);
    if (sector >= 1 && sector < fat_start_ &&
        device.read(device.context, offset_ + uint64_t{sector} * bytes_per_sector_, scratch_,
                    bytes_per_sector_) == Status::kOk &&
        Le32(scratch_) == 0x41615252 && Le32(scratch_ + 484) == 0x61417272 &&
        Le32(scratch_ + 508) == 0xAA550000) {
      fsinfo_sector_ = sector;
      const uint32_t hint = Le32(scratch_ + 492);
      if (ValidCluster(hint)) {
        next_free_ = hint;
      }
    }
  }
  mounted_ = true;
  return Status::kOk;
}

bool Volume::read_only() const {
  return !writable_;
}

const char* Volume::label() const {
  return label_;
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

// --- The metadata cache ---

size_t Volume::Bucket(uint64_t sector) const {
  return static_cast<size_t>((sector ^ (sector >> 13)) & bucket_mask_);
}

void Volume::Unlink(size_t index) {
  uint32_t* link = &buckets_[Bucket(slots_[index].sector)];
  while (*link != kNoSlot && *link != index) {
    link = &slots_[*link].next;
  }
  if (*link == index) {
    *link = slots_[index].next;
  }
  if (slots_[index].state == 2) {
    --dirty_count_;
  }
  slots_[index].state = 0;
}

size_t Volume::CachePeek(uint64_t sector) const {
  if (slot_count_ == 0) {
    return slot_count_;
  }
  for (uint32_t i = buckets_[Bucket(sector)]; i != kNoSlot; i = slots_[i].next) {
    if (slots_[i].sector == sector && slots_[i].state != 0) {
      return i;
    }
  }
  return slot_count_;
}

Status Volume::CacheFind(uint64_t sector, size_t* index) {
  if (last_slot_ < slot_count_ && slots_[last_slot_].state != 0 &&
      slots_[last_slot_].sector == sector) {
    slots_[last_slot_].stamp = ++clock_;
    *index = last_slot_;
    return Status::kOk;
  }
  if (const size_t i = CachePeek(sector); i < slot_count_) {
    slots_[i].stamp = ++clock_;
    *index = last_slot_ = i;
    return Status::kOk;
  }
  // The victim: an empty slot, else the least recently used clean one; only
  // when every slot is dirty, everything is synced in order first (in
  // Sync's last step a dirty sector may be written at once).
  size_t victim = slot_count_;
  uint64_t oldest = ~uint64_t{0};
  for (size_t i = 0; i < slot_count_ && oldest != 0; ++i) {
    const CacheSlot& slot = slots_[i];
    if (slot.state == 0) {
      victim = i;
      oldest = 0;
    } else if (slot.state == 1 && slot.stamp < oldest) {
      victim = i;
      oldest = slot.stamp;
    }
  }
  if (victim == slot_count_) {
    for (size_t i = 0; i < slot_count_; ++i) {
      if (victim == slot_count_ || slots_[i].stamp < slots_[victim].stamp) {
        victim = i;
      }
    }
    if (syncing_) {
      if (Status s = WriteSlot(victim, false); s != Status::kOk) {
        return s;
      }
      slots_[victim].state = 1;
      --dirty_count_;
    } else if (Status s = SyncSteps(); s != Status::kOk) {
      return s;
    }
  }
  if (slots_[victim].state != 0) {
    Unlink(victim);
  }
  if (device_.read(device_.context, offset_ + sector * bytes_per_sector_,
                   slot_data_ + victim * bytes_per_sector_, bytes_per_sector_) != Status::kOk) {
    return Status::kIoError;
  }
  const size_t bucket = Bucket(sector);
  slots_[victim] = CacheSlot{sector, ++clock_, buckets_[bucket], 1, 0};
  buckets_[bucket] = static_cast<uint32_t>(victim);
  *index = last_slot_ = victim;
  return Status::kOk;
}

Status Volume::Meta(uint64_t sector, uint8_t** data) {
  if (slot_count_ == 0) {
    if (Status s = LoadSector(sector); s != Status::kOk) {
      return s;
    }
    *data = sector_;
    return Status::kOk;
  }
  size_t index;
  if (Status s = CacheFind(sector, &index); s != Status::kOk) {
    return s;
  }
  *data = slot_data_ + index * bytes_per_sector_;
  return Status::kOk;
}

Status Volume::MetaWrite(uint64_t sector, uint8_t** data) {
  if (!writable_) {
    return Status::kReadOnly;
  }
  size_t index;
  if (Status s = CacheFind(sector, &index); s != Status::kOk) {
    return s;
  }
  if (slots_[index].state != 2) {
    slots_[index].state = 2;
    ++dirty_count_;
  }
  *data = slot_data_ + index * bytes_per_sector_;
  return Status::kOk;
}

Status Volume::DevWrite(uint64_t sector, const void* data, size_t bytes) {
  if (sector > total_sectors_ || bytes > (total_sectors_ - sector) * bytes_per_sector_) {
    return Status::kIoError;
  }
  return device_.write(device_.context, offset_ + sector * bytes_per_sector_, data, bytes) ==
                 Status::kOk
             ? Status::kOk
             : Status::kIoError;
}

Status Volume::Flush() {
  if (device_.flush == nullptr) {
    return Status::kOk;
  }
  return device_.flush(device_.context) == Status::kOk ? Status::kOk : Status::kIoError;
}

// Writes cache slot `index` to the disk: a FAT sector to every FAT copy,
// with `patch` the links that deferred truncations cut still as they are on
// the disk (they change only after the directory entries are written).
Status Volume::WriteSlot(size_t index, bool patch) {
  const uint64_t sector = slots_[index].sector;
  const uint8_t* data = slot_data_ + index * bytes_per_sector_;
  if (!IsFatSector(sector)) {
    return DevWrite(sector, data, bytes_per_sector_);
  }
  if (patch && pending_count_ != 0) {
    CopyBytes(scratch_, data, bytes_per_sector_);
    for (size_t i = 0; i < pending_count_; ++i) {
      if (pending_[i].keep != 0) {
        PutFatBytes(type_, bytes_per_sector_, scratch_, sector - fat_start_, pending_[i].keep,
                    pending_[i].first);
      }
    }
    data = scratch_;
  }
  for (uint32_t copy = 0; copy < fat_count_; ++copy) {
    if (Status s = DevWrite(sector + uint64_t{copy} * fat_sectors_, data, bytes_per_sector_);
        s != Status::kOk) {
      return s;
    }
  }
  return Status::kOk;
}

void Volume::DropCached(uint64_t first_sector, uint64_t count) {
  for (size_t i = 0; i < slot_count_; ++i) {
    if (slots_[i].state != 0 && slots_[i].sector - first_sector < count) {
      Unlink(i);
    }
  }
}

// --- FAT ---

uint64_t Volume::ClusterSector(uint32_t cluster) const {
  return data_start_ + uint64_t{cluster - 2} * sectors_per_cluster_;
}

uint32_t Volume::EndOfChain() const {
  return type_ == FatType::kFat12 ? 0xFFF : type_ == FatType::kFat16 ? 0xFFFF : 0x0FFFFFFF;
}

Status Volume::FatEntry(uint32_t cluster, uint32_t* value) {
  if (!mounted_) {
    return Status::kNotMounted;
  }
  if (!ValidCluster(cluster)) {
    return Status::kBadCluster;
  }
  const uint64_t byte = type_ == FatType::kFat12   ? cluster + cluster / 2
                        : type_ == FatType::kFat16 ? uint64_t{cluster} * 2
                                                   : uint64_t{cluster} * 4;
  const size_t width = type_ == FatType::kFat32 ? 4 : 2;
  uint32_t raw = 0;
  uint8_t* data = nullptr;
  uint64_t loaded = ~uint64_t{0};
  // Byte by byte: a FAT12 entry may straddle two sectors.
  for (size_t i = 0; i < width; ++i) {
    const uint64_t at = byte + i;
    if (at / bytes_per_sector_ != loaded) {
      loaded = at / bytes_per_sector_;
      if (Status s = Meta(fat_start_ + loaded, &data); s != Status::kOk) {
        return s;
      }
    }
    raw |= static_cast<uint32_t>(data[at % bytes_per_sector_]) << (8 * i);
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

Status Volume::SetFatEntry(uint32_t cluster, uint32_t value) {
  if (!ValidCluster(cluster)) {
    return Status::kBadCluster;
  }
  const uint64_t byte = type_ == FatType::kFat12   ? cluster + cluster / 2
                        : type_ == FatType::kFat16 ? uint64_t{cluster} * 2
                                                   : uint64_t{cluster} * 4;
  const uint64_t first = byte / bytes_per_sector_;
  const uint64_t last = (byte + (type_ == FatType::kFat32 ? 3 : 1)) / bytes_per_sector_;
  for (uint64_t sector = first; sector <= last; ++sector) {
    uint8_t* data;
    if (Status s = MetaWrite(fat_start_ + sector, &data); s != Status::kOk) {
      return s;
    }
    PutFatBytes(type_, bytes_per_sector_, data, sector, cluster, value);
  }
  fsinfo_dirty_ = true;
  return Status::kOk;
}

Status Volume::NextCluster(uint32_t cluster, uint32_t* next) {
  uint32_t value;
  if (Status s = FatEntry(cluster, &value); s != Status::kOk) {
    return s;
  }
  const uint32_t bad = EndOfChain() - 8;
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

Status Volume::Seek(uint32_t first, uint32_t index, uint32_t* cluster) {
  if (!ValidCluster(first)) {
    return Status::kBadCluster;
  }
  if (index >= cluster_count_) {
    return Status::kChainLoop;
  }
  // From the chain's remembered extent if it starts at or before `index`;
  // inside it, no FAT lookup at all.
  uint32_t base_index = 0, base = first, contig = 0;
  for (const ChainMemo& m : memos_) {
    if (m.first == first && m.index <= index) {
      base_index = m.index;
      base = m.cluster;
      contig = m.contig;
    }
  }
  if (index - base_index <= contig) {
    *cluster = base + (index - base_index);
    return Status::kOk;
  }
  // Walk on, extending the extent while the clusters are consecutive.
  uint32_t at = base_index + contig, c = base + contig;
  while (at < index) {
    uint32_t next;
    Status s = NextCluster(c, &next);
    if (s != Status::kOk) {
      return s == Status::kNotFound ? Status::kChainTooShort : s;
    }
    ++at;
    if (next == c + 1) {
      ++contig;
    } else {
      base_index = at;
      base = next;
      contig = 0;
    }
    c = next;
  }
  Remember(first, base_index, base, contig);
  *cluster = c;
  return Status::kOk;
}

void Volume::Remember(uint32_t first, uint32_t index, uint32_t cluster, uint32_t contig) {
  for (ChainMemo& m : memos_) {
    if (m.first != first) {
      continue;
    }
    if (index >= m.index && index - m.index <= m.contig + 1 &&
        cluster == m.cluster + (index - m.index)) {  // within or right after: one extent
      const uint32_t end = index + contig;
      if (end - m.index > m.contig) {
        m.contig = end - m.index;
      }
    } else {
      m = ChainMemo{first, index, cluster, contig};
    }
    return;
  }
  memos_[next_memo_] = ChainMemo{first, index, cluster, contig};
  next_memo_ = (next_memo_ + 1) % kChainMemos;
}

void Volume::ForgetChains() {
  for (ChainMemo& m : memos_) {
    m = ChainMemo{};
  }
}

Status Volume::ChainLength(uint32_t first, uint32_t* length) {
  if (!mounted_) {
    return Status::kNotMounted;
  }
  if (!ValidCluster(first)) {
    return Status::kBadCluster;
  }
  uint32_t cluster = first;
  uint32_t contig = 0;  // consecutive clusters from the start, remembered for reads
  bool consecutive = true;
  for (uint32_t n = 1; n <= cluster_count_; ++n) {
    uint32_t next;
    Status s = NextCluster(cluster, &next);
    if (s == Status::kNotFound) {
      Remember(first, 0, first, contig);
      *length = n;
      return Status::kOk;
    }
    if (s != Status::kOk) {
      return s;
    }
    consecutive = consecutive && next == cluster + 1;
    contig += consecutive ? 1 : 0;
    cluster = next;
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

Status Volume::Allocate(uint32_t previous, uint32_t* cluster) {
  // Growing a chain that a pending truncation cut: that truncation reaches
  // the disk first (its old link must stay on the disk until its directory
  // entry is written, the new one must not wait that long).
  for (size_t p = 0; p < pending_count_ && previous != 0; ++p) {
    if (pending_[p].keep == previous) {
      if (Status s = SyncSteps(); s != Status::kOk) {
        return s;
      }
      break;
    }
  }
  if (free_known_ && free_count_ == 0) {
    return Status::kNoSpace;
  }
  const uint32_t start = ValidCluster(next_free_) ? next_free_ : 2;
  for (uint32_t i = 0; i < cluster_count_; ++i) {
    uint32_t c = start + i;
    if (c - 2 >= cluster_count_) {
      c -= cluster_count_;
    }
    uint32_t value;
    if (Status s = FatEntry(c, &value); s != Status::kOk) {
      return s;
    }
    if (value != 0) {
      continue;
    }
    if (Status s = SetFatEntry(c, EndOfChain()); s != Status::kOk) {
      return s;
    }
    if (previous != 0) {
      if (Status s = SetFatEntry(previous, c); s != Status::kOk) {
        return s;
      }
    }
    next_free_ = ValidCluster(c + 1) ? c + 1 : 2;
    if (free_known_) {
      --free_count_;
    }
    *cluster = c;
    return Status::kOk;
  }
  free_known_ = true;
  free_count_ = 0;
  return Status::kNoSpace;
}

Status Volume::FreeChain(uint32_t first) {
  ForgetChains();
  const uint32_t bad = EndOfChain() - 8;
  uint32_t c = first;
  for (uint32_t n = 0; n < cluster_count_ && ValidCluster(c); ++n) {
    uint32_t value;
    if (Status s = FatEntry(c, &value); s != Status::kOk) {
      return s;
    }
    if (value == 0 || value == bad) {
      break;  // already free (a loop closed), or not ours to free
    }
    if (Status s = SetFatEntry(c, 0); s != Status::kOk) {
      return s;
    }
    if (free_known_) {
      ++free_count_;
    }
    c = value;  // past the end of the chain when value is the end mark
  }
  return Status::kOk;
}

Status Volume::FreeClusters(uint32_t* count) {
  if (!mounted_) {
    return Status::kNotMounted;
  }
  if (!free_known_) {
    uint32_t n = 0;
    if (type_ == FatType::kFat12) {  // at most 6 KiB of FAT; entries straddle sectors
      for (uint32_t c = 2; c - 2 < cluster_count_; ++c) {
        uint32_t value;
        if (Status s = FatEntry(c, &value); s != Status::kOk) {
          return s;
        }
        n += value == 0 ? 1 : 0;
      }
    } else {
      // Large reads into sector_ (file data's buffer: forgotten), not one
      // cached sector at a time: a 64 MiB FAT32 volume's FAT is 1008
      // sectors, each a block request of its own through the cache.
      const uint32_t width = type_ == FatType::kFat16 ? 2 : 4;
      const uint64_t end = (uint64_t{cluster_count_} + 2) * width;  // Mount checked it fits
      const uint64_t sectors = (end + bytes_per_sector_ - 1) / bytes_per_sector_;
      const uint64_t per_read = sizeof(sector_) / bytes_per_sector_;
      cached_sector_ = ~uint64_t{0};
      for (uint64_t first = 0; first < sectors; first += per_read) {
        const uint64_t count = sectors - first < per_read ? sectors - first : per_read;
        if (device_.read(device_.context, offset_ + (fat_start_ + first) * bytes_per_sector_,
                         sector_, count * bytes_per_sector_) != Status::kOk) {
          return Status::kIoError;
        }
        for (uint64_t k = 0; k < count; ++k) {
          const uint64_t sector = first + k;
          const uint8_t* data = sector_ + k * bytes_per_sector_;
          if (const size_t slot = CachePeek(fat_start_ + sector); slot < slot_count_) {
            data = slot_data_ + slot * bytes_per_sector_;  // newer than the disk if dirty
          }
          const uint64_t base = sector * bytes_per_sector_;
          for (uint64_t at = base; at < base + bytes_per_sector_ && at < end; at += width) {
            if (at < 2 * width) {
              continue;  // entries 0 and 1 are not clusters
            }
            const uint8_t* e = data + (at - base);
            n += (width == 2 ? Le16(e) : Le32(e) & 0x0FFFFFFF) == 0 ? 1 : 0;
          }
        }
      }
    }
    free_count_ = n;
    free_known_ = true;
  }
  *count = free_count_;
  return Status::kOk;
}

// --- Directories ---

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

uint32_t Volume::DirKey(const Entry& dir) const {
  return dir.is_root && type_ != FatType::kFat32 ? 0 : dir.first_cluster;
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
  uint8_t* data;
  if (Status s = v.Meta(sector, &data); s != Status::kOk) {
    return s;
  }
  *slot = data + byte % v.bytes_per_sector_;
  return Status::kOk;
}

Status DirIterator::Next(Entry* entry) {
  if (volume_ == nullptr) {
    return Status::kNotMounted;
  }
  LongName long_name;
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
    const uint32_t index = index_++;
    uint8_t slot[kSlotSize];
    CopyBytes(slot, where, kSlotSize);
    if (slot[0] == 0x00) {
      done_ = true;
      break;
    }
    if (slot[0] == kDeleted) {
      long_name.expect = 0;
      continue;
    }
    if (long_name.Feed(slot, index)) {
      continue;
    }
    const size_t units = long_name.Take(slot);
    if ((slot[11] & kAttrVolumeId) != 0 || IsDotEntry(slot)) {
      continue;  // a volume label, "." or ".."
    }
    const Volume& v = *volume_;
    return MakeEntry(slot, long_name.units, units, long_name.first_slot,
                     fixed_root_ ? 0 : first_cluster_, index, v.type_ == FatType::kFat32,
                     v.cluster_count_, v.bytes_per_cluster_, entry);
  }
  return Status::kNotFound;
}

Status Volume::SlotSector(uint32_t dir_cluster, uint32_t index, uint64_t* sector,
                          uint32_t* offset) {
  const uint64_t byte = uint64_t{index} * kSlotSize;
  if (dir_cluster == 0 && type_ != FatType::kFat32) {
    if (index >= root_entries_) {
      return Status::kNotFound;
    }
    *sector = root_start_ + byte / bytes_per_sector_;
  } else {
    uint32_t cluster;
    Status s = Seek(dir_cluster, static_cast<uint32_t>(byte / bytes_per_cluster_), &cluster);
    if (s != Status::kOk) {
      return s == Status::kChainTooShort ? Status::kNotFound : s;
    }
    *sector = ClusterSector(cluster) + (byte % bytes_per_cluster_) / bytes_per_sector_;
  }
  *offset = static_cast<uint32_t>(byte % bytes_per_sector_);
  return Status::kOk;
}

Status Volume::ReadSlot(uint32_t dir_cluster, uint32_t index, uint8_t* slot) {
  uint64_t sector;
  uint32_t offset;
  uint8_t* data;
  if (Status s = SlotSector(dir_cluster, index, &sector, &offset); s != Status::kOk) {
    return s;
  }
  if (Status s = Meta(sector, &data); s != Status::kOk) {
    return s;
  }
  CopyBytes(slot, data + offset, kSlotSize);
  return Status::kOk;
}

Status Volume::WriteSlotBytes(uint32_t dir_cluster, uint32_t index, const uint8_t* slot,
                              bool removal) {
  uint64_t sector;
  uint32_t offset;
  uint8_t* data;
  if (Status s = SlotSector(dir_cluster, index, &sector, &offset); s != Status::kOk) {
    return s;
  }
  if (Status s = MetaWrite(sector, &data); s != Status::kOk) {
    return s;
  }
  CopyBytes(data + offset, slot, kSlotSize);
  if (removal) {
    slots_[last_slot_].removes = 1;  // MetaWrite's slot
  }
  return Status::kOk;
}

Status Volume::EntryAt(uint32_t dir_cluster, uint32_t first_slot, uint32_t index, Entry* entry) {
  LongName long_name;
  uint8_t slot[kSlotSize];
  if (index - first_slot > 20) {
    first_slot = index;
  }
  for (uint32_t i = first_slot; i < index; ++i) {
    if (Status s = ReadSlot(dir_cluster, i, slot); s != Status::kOk) {
      return s;
    }
    long_name.Feed(slot, i);
  }
  if (Status s = ReadSlot(dir_cluster, index, slot); s != Status::kOk) {
    return s;
  }
  const size_t units = long_name.Take(slot);
  return MakeEntry(slot, long_name.units, units, long_name.first_slot, dir_cluster, index,
                   type_ == FatType::kFat32, cluster_count_, bytes_per_cluster_, entry);
}

Status Volume::CheckSlot(const Entry& entry, uint8_t* slot) {
  if (entry.is_root) {
    return Status::kInvalid;
  }
  if (Status s = ReadSlot(entry.dir_cluster, entry.slot, slot); s != Status::kOk) {
    return s;
  }
  const uint32_t cluster = static_cast<uint32_t>(Le16(slot + 26)) |
                           (type_ == FatType::kFat32 ? uint32_t{Le16(slot + 20)} << 16 : 0);
  if (slot[0] == 0 || slot[0] == kDeleted || (slot[11] & (kAttrVolumeId | 0x40)) != 0 ||
      cluster != entry.first_cluster || ((slot[11] ^ entry.attributes) & kAttrDirectory) != 0) {
    return Status::kNotFound;  // the entry is no longer there
  }
  return Status::kOk;
}

Status Volume::ScanDir(const Entry& dir, Scan* scan) {
  DirIterator it;
  if (Status s = OpenDir(dir, &it); s != Status::kOk) {
    return s;
  }
  if (scan->basis != nullptr) {
    FillBytes(tails_, 0, sizeof(tails_));
  }
  scan->has_short = ShortForm(scan->name, scan->length, scan->short_form);
  LongName long_name;
  uint32_t run = 0;  // free slots in a row
  // A sector at a time: nothing else touches the cache inside this loop.
  const uint32_t in_sector = bytes_per_sector_ / kSlotSize - 1;
  const uint8_t* sector = nullptr;
  for (uint32_t index = 0;; ++index) {
    const uint8_t* where;
    if ((index & in_sector) == 0) {
      Status s = it.Slot(index, &where);
      if (s == Status::kNotFound) {
        scan->end = index;
        return Status::kOk;
      }
      if (s != Status::kOk) {
        return s;
      }
      sector = where;
    } else {
      where = sector + (index & in_sector) * kSlotSize;
    }
    if (index >= kMaxDirSlots) {
      return Status::kChainLoop;  // larger than any directory may be
    }
    uint8_t slot[kSlotSize];
    CopyBytes(slot, where, kSlotSize);
    if (slot[0] == 0x00) {
      scan->end = index;
      return Status::kOk;
    }
    if (slot[0] == kDeleted) {
      long_name.expect = 0;
      ++run;
      if (scan->need != 0 && !scan->free_found && run >= scan->need) {
        scan->free_found = true;
        scan->free_first = index + 1 - scan->need;
      }
      continue;
    }
    run = 0;
    if (long_name.Feed(slot, index)) {
      continue;
    }
    const size_t units = long_name.Take(slot);
    if ((slot[11] & kAttrVolumeId) != 0 || IsDotEntry(slot)) {
      continue;
    }
    if (index != scan->ignore_slot && !scan->found &&
        ((units != 0 && LongNameEqual(long_name.units, units, scan->name, scan->length)) ||
         ShortMatches(slot, *scan))) {
      scan->found = true;
      scan->found_slot = index;
      scan->found_first = units != 0 ? long_name.first_slot : index;
      if (scan->need == 0) {
        return Status::kOk;
      }
    }
    if (scan->basis != nullptr) {
      MarkTail(slot, scan->basis, scan->basis_length, tails_, kAliasTails);
    }
  }
}

Status Volume::LookupIn(const Entry& dir, const char* name, size_t length, Entry* entry) {
  if (!mounted_) {
    return Status::kNotMounted;
  }
  if (!dir.is_directory()) {
    return Status::kNotADirectory;
  }
  if (length == 1 && name[0] == '.') {
    *entry = dir;
    return Status::kOk;
  }
  if (length == 0 || length > kMaxNameBytes || (length == 2 && name[0] == '.' && name[1] == '.')) {
    return Status::kBadPath;
  }
  NewName parsed;
  if (ParseName(name, length, &parsed) != Status::kOk) {
    return Status::kNotFound;  // no entry can have such a name
  }
  Scan scan;
  scan.name = parsed.units;
  scan.length = parsed.length;
  if (Status s = ScanDir(dir, &scan); s != Status::kOk) {
    return s;
  }
  if (!scan.found) {
    return Status::kNotFound;
  }
  Status s = EntryAt(DirKey(dir), scan.found_first, scan.found_slot, entry);
  return s == Status::kBadDirEntry ? Status::kNotFound : s;  // never followed
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
    if (Status s = LookupIn(current, name, length, &current); s != Status::kOk) {
      return s;
    }
  }
  *entry = current;
  return Status::kOk;
}

// --- File data ---

// The run of consecutive clusters from `cluster` covering `span` bytes (as
// far as the chain is contiguous): *run clusters, then *next (0 if the run
// covers the span).
Status Volume::Run(uint32_t first, uint32_t index, uint32_t cluster, uint64_t span, uint32_t* run,
                   uint32_t* next) {
  *run = 1;
  *next = 0;
  // What the chain's remembered extent already says is consecutive.
  for (const ChainMemo& m : memos_) {
    if (m.first == first && index >= m.index && index - m.index <= m.contig &&
        cluster == m.cluster + (index - m.index)) {
      const uint64_t known = uint64_t{m.contig} - (index - m.index) + 1;
      const uint64_t wanted = (span + bytes_per_cluster_ - 1) / bytes_per_cluster_;
      *run = static_cast<uint32_t>(known < wanted ? known : wanted);
    }
  }
  while (uint64_t{*run} * bytes_per_cluster_ < span) {
    uint32_t n;
    Status s = NextCluster(cluster + *run - 1, &n);
    if (s != Status::kOk) {
      return s == Status::kNotFound ? Status::kChainTooShort : s;
    }
    if (n != cluster + *run) {
      *next = n;
      return Status::kOk;
    }
    ++*run;
  }
  return Status::kOk;
}

Status Volume::ReadData(uint64_t at, uint8_t* out, size_t length) {
  while (length != 0) {
    const uint64_t sector = at / bytes_per_sector_;
    const uint32_t in = static_cast<uint32_t>(at % bytes_per_sector_);
    size_t n;
    if (in == 0 && length >= bytes_per_sector_) {
      n = length - length % bytes_per_sector_;  // whole sectors: straight into the caller's buffer
      if (device_.read(device_.context, offset_ + at, out, n) != Status::kOk) {
        return Status::kIoError;
      }
    } else {
      if (Status s = LoadSector(sector); s != Status::kOk) {
        return s;
      }
      n = bytes_per_sector_ - in < length ? bytes_per_sector_ - in : length;
      CopyBytes(out, sector_ + in, n);
    }
    at += n;
    out += n;
    length -= n;
  }
  return Status::kOk;
}

Status Volume::WriteData(uint64_t at, const uint8_t* data, size_t length) {
  data_unflushed_ = true;
  while (length != 0) {
    const uint64_t sector = at / bytes_per_sector_;
    const uint32_t in = static_cast<uint32_t>(at % bytes_per_sector_);
    size_t n;
    if (in == 0 && length >= bytes_per_sector_) {
      n = length - length % bytes_per_sector_;
      const uint8_t* from = data;
      if (data == nullptr) {  // zeros, a buffer at a time
        if (n > sizeof(sector_)) {
          n = sizeof(sector_);
        }
        FillBytes(sector_, 0, n);
        cached_sector_ = ~uint64_t{0};
        from = sector_;
      }
      if (Status s = DevWrite(sector, from, n); s != Status::kOk) {
        return s;
      }
      if (cached_sector_ - sector < n / bytes_per_sector_) {
        cached_sector_ = ~uint64_t{0};
      }
      DropCached(sector, n / bytes_per_sector_);
    } else {  // part of a sector: read, change, write
      if (Status s = LoadSector(sector); s != Status::kOk) {
        return s;
      }
      n = bytes_per_sector_ - in < length ? bytes_per_sector_ - in : length;
      if (data != nullptr) {
        CopyBytes(sector_ + in, data, n);
      } else {
        FillBytes(sector_ + in, 0, n);
      }
      if (Status s = DevWrite(sector, sector_, bytes_per_sector_); s != Status::kOk) {
        cached_sector_ = ~uint64_t{0};
        return s;
      }
      DropCached(sector, 1);
    }
    at += n;
    if (data != nullptr) {
      data += n;
    }
    length -= n;
  }
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
  uint64_t index = offset / bytes_per_cluster_;
  if (index >= cluster_count_) {
    return Status::kChainLoop;
  }
  uint32_t cluster;
  if (Status s = Seek(file.first_cluster, static_cast<uint32_t>(index), &cluster);
      s != Status::kOk) {
    return s;
  }
  uint8_t* out = static_cast<uint8_t*>(buffer);
  while (*done < length) {
    const uint32_t in = static_cast<uint32_t>((offset + *done) % bytes_per_cluster_);
    const size_t want = length - *done;
    uint32_t run, next;
    if (Status s = Run(file.first_cluster, static_cast<uint32_t>(index), cluster,
                       in + uint64_t{want}, &run, &next);
        s != Status::kOk) {
      return s;
    }
    const uint64_t room = uint64_t{run} * bytes_per_cluster_ - in;
    const size_t n = room < want ? static_cast<size_t>(room) : want;
    if (Status s = ReadData(ClusterSector(cluster) * bytes_per_sector_ + in, out + *done, n);
        s != Status::kOk) {
      return s;
    }
    *done += n;
    Remember(file.first_cluster, static_cast<uint32_t>(index), cluster, run - 1);
    index += run;
    cluster = next;
  }
  return Status::kOk;
}

// --- Writing ---

void Volume::SetTime(uint64_t unix_seconds) {
  int64_t year;
  uint32_t month, day;
  CivilFromDays(static_cast<int64_t>(unix_seconds / 86400), &year, &month, &day);
  uint32_t seconds = static_cast<uint32_t>(unix_seconds % 86400);
  if (year < 1980) {
    date_ = (1 << 5) | 1;  // 1980-01-01 00:00:00
    time_ = 0;
    return;
  }
  if (year > 2107) {
    year = 2107, month = 12, day = 31, seconds = 86399;
  }
  date_ = static_cast<uint16_t>(((year - 1980) << 9) | (month << 5) | day);
  time_ = static_cast<uint16_t>(((seconds / 3600) << 11) | (((seconds / 60) % 60) << 5) |
                                ((seconds % 60) / 2));
}

void Volume::StampDate(uint8_t* slot, bool create) const {
  if (create) {
    slot[13] = 0;  // hundredths
    Put16(slot + 14, time_);
    Put16(slot + 16, date_);
  }
  Put16(slot + 18, date_);  // accessed
  Put16(slot + 22, time_);  // written
  Put16(slot + 24, date_);
}

Status Volume::WriteChain(uint32_t first, uint64_t offset, const uint8_t* data, size_t length) {
  if (length == 0) {
    return Status::kOk;
  }
  uint32_t index = static_cast<uint32_t>(offset / bytes_per_cluster_);
  uint32_t cluster;
  if (Status s = Seek(first, index, &cluster); s != Status::kOk) {
    return s;
  }
  size_t done = 0;
  while (done < length) {
    const uint32_t in = static_cast<uint32_t>((offset + done) % bytes_per_cluster_);
    const size_t want = length - done;
    uint32_t run, next;
    if (Status s =
            Run(first, static_cast<uint32_t>(index), cluster, in + uint64_t{want}, &run, &next);
        s != Status::kOk) {
      return s;
    }
    const uint64_t room = uint64_t{run} * bytes_per_cluster_ - in;
    const size_t n = room < want ? static_cast<size_t>(room) : want;
    if (Status s = WriteData(ClusterSector(cluster) * bytes_per_sector_ + in,
                             data != nullptr ? data + done : nullptr, n);
        s != Status::kOk) {
      return s;
    }
    done += n;
    Remember(first, index, cluster, run - 1);
    index += run;
    cluster = next;
  }
  return Status::kOk;
}

Status Volume::ZeroCluster(uint32_t cluster) {
  return WriteData(ClusterSector(cluster) * bytes_per_sector_, nullptr, bytes_per_cluster_);
}

Status Volume::UpdateEntry(const Entry& file, uint32_t old_first) {
  uint64_t sector;
  uint32_t offset;
  uint8_t* data;
  if (Status s = SlotSector(file.dir_cluster, file.slot, &sector, &offset); s != Status::kOk) {
    return s;
  }
  if (Status s = MetaWrite(sector, &data); s != Status::kOk) {
    return s;
  }
  uint8_t* slot = data + offset;
  const uint32_t cluster = static_cast<uint32_t>(Le16(slot + 26)) |
                           (type_ == FatType::kFat32 ? uint32_t{Le16(slot + 20)} << 16 : 0);
  if (slot[0] == 0 || slot[0] == kDeleted || cluster != old_first) {
    return Status::kNotFound;
  }
  Put32(slot + 28, file.size);
  Put16(slot + 26, file.first_cluster);
  if (type_ == FatType::kFat32) {
    Put16(slot + 20, file.first_cluster >> 16);
  }
  StampDate(slot, false);
  slot[11] |= kAttrArchive;
  return Status::kOk;
}

Status Volume::Writable() const {
  return !mounted_ ? Status::kNotMounted : !writable_ ? Status::kReadOnly : Status::kOk;
}

Status Volume::BeginChange(const Entry& entry, uint8_t* slot) {
  if (Status s = CheckSlot(entry, slot); s != Status::kOk) {
    return s;
  }
  return Prepare();
}

Status Volume::Prepare() {
  return slot_count_ - dirty_count_ >= kOpSectors ? Status::kOk : SyncSteps();
}

Status Volume::ReservePending() {
  return pending_count_ < kMaxPendingFrees ? Status::kOk : SyncSteps();
}

// Where `need` slots go in `dir`: a run of deleted slots, the never-used
// slots at its end, or new zeroed clusters (not in the FAT12/16 root).
Status Volume::Place(const Entry& dir, uint32_t need, const Scan& scan, uint32_t* first) {
  if (scan.free_found) {
    *first = scan.free_first;
    return Status::kOk;
  }
  const uint32_t key = DirKey(dir);
  const uint32_t per_cluster = bytes_per_cluster_ / kSlotSize;
  uint64_t capacity = root_entries_;
  uint32_t clusters = 0;
  if (key != 0) {
    if (Status s = ChainLength(key, &clusters); s != Status::kOk) {
      return s;
    }
    capacity = uint64_t{clusters} * per_cluster;
  }
  const uint64_t end = uint64_t{scan.end} + need;
  if (end <= capacity) {
    if (end < capacity) {  // the slot after the new ones keeps the end mark
      uint8_t slot[kSlotSize];
      if (Status s = ReadSlot(key, static_cast<uint32_t>(end), slot); s != Status::kOk) {
        return s;
      }
      if (slot[0] != 0) {
        slot[0] = 0;
        if (Status s = WriteSlotBytes(key, static_cast<uint32_t>(end), slot); s != Status::kOk) {
          return s;
        }
      }
    }
    *first = scan.end;
    return Status::kOk;
  }
  if (key == 0 || end > kMaxDirSlots) {
    return Status::kNoSpace;
  }
  // Grow: each new cluster is zeroed on the disk before the FAT links it.
  uint32_t last;
  if (Status s = Seek(key, clusters - 1, &last); s != Status::kOk) {
    return s;
  }
  for (uint64_t have = capacity; have < end; have += per_cluster) {
    uint32_t cluster;
    if (Status s = Allocate(0, &cluster); s != Status::kOk) {
      return s;
    }
    if (Status s = ZeroCluster(cluster); s != Status::kOk) {
      FreeChain(cluster);
      return s;
    }
    if (Status s = SetFatEntry(last, cluster); s != Status::kOk) {
      return s;
    }
    last = cluster;
  }
  *first = scan.end;
  return Status::kOk;
}

// Adds `name` to `dir` with the 32-byte short entry `short_slot` (its name
// and case bytes are filled in here): checks the name is not taken (but for
// the entry at `ignore_slot`), picks the alias, places and writes the slots.
Status Volume::AddSlots(const Entry& dir, const NewName& name, uint8_t* short_slot,
                        uint32_t ignore_slot, Entry* entry) {
  const uint32_t long_slots = name.needs_long ? static_cast<uint32_t>((name.length + 12) / 13) : 0;
  Scan scan;
  scan.name = name.units;
  scan.length = name.length;
  scan.ignore_slot = ignore_slot;
  scan.need = long_slots + 1;
  if (name.needs_tail) {
    scan.basis = name.short_name;
    scan.basis_length = name.basis_length;
  }
  if (Status s = ScanDir(dir, &scan); s != Status::kOk) {
    return s;
  }
  if (scan.found) {
    return Status::kExists;
  }
  CopyBytes(short_slot, name.short_name, 11);
  short_slot[12] = name.case_flags;
  if (name.needs_tail) {
    uint32_t number = 1;
    while (number < kAliasTails && (tails_[number / 8] & (1u << (number % 8))) != 0) {
      ++number;
    }
    if (number == kAliasTails) {
      return Status::kNoSpace;  // every alias of this basis is taken
    }
    char digits[8];
    size_t count = 0;
    for (uint32_t n = number; n != 0; n /= 10) {
      digits[count++] = static_cast<char>('0' + n % 10);
    }
    size_t at = name.basis_length < 7 - count ? name.basis_length : 7 - count;
    short_slot[at++] = '~';
    while (count != 0) {
      short_slot[at++] = static_cast<uint8_t>(digits[--count]);
    }
    while (at < 8) {
      short_slot[at++] = ' ';
    }
  }
  uint32_t first;
  if (Status s = Place(dir, scan.need, scan, &first); s != Status::kOk) {
    return s;
  }
  const uint32_t key = DirKey(dir);
  const uint8_t checksum = ShortNameChecksum(short_slot);
  for (uint32_t part = long_slots; part >= 1; --part) {
    uint8_t slot[kSlotSize] = {};
    slot[0] = static_cast<uint8_t>(part | (part == long_slots ? 0x40 : 0));
    slot[11] = kAttrLongName;
    slot[13] = checksum;
    for (size_t i = 0; i < 13; ++i) {
      const size_t at = (part - 1) * 13 + i;
      const uint32_t unit = at < name.length ? name.units[at] : at == name.length ? 0 : 0xFFFF;
      Put16(slot + kLongNameOffsets[i], unit);
    }
    if (Status s = WriteSlotBytes(key, first + (long_slots - part), slot); s != Status::kOk) {
      return s;
    }
  }
  if (Status s = WriteSlotBytes(key, first + long_slots, short_slot); s != Status::kOk) {
    return s;
  }
  return EntryAt(key, first, first + long_slots, entry);
}

Status Volume::Create(const Entry& dir, const char* name, size_t length, bool directory,
                      Entry* entry) {
  if (Status s = Writable(); s != Status::kOk) {
    return s;
  }
  if (!dir.is_directory()) {
    return Status::kNotADirectory;
  }
  NewName parsed;
  if (Status s = ParseName(name, length, &parsed); s != Status::kOk) {
    return s;
  }
  if (Status s = Prepare(); s != Status::kOk) {
    return s;
  }
  uint8_t slot[kSlotSize] = {};
  slot[11] = directory ? kAttrDirectory : kAttrArchive;
  StampDate(slot, true);
  uint32_t cluster = 0;
  if (directory) {
    // The new directory's cluster ("." and "..", the rest zero) goes to the
    // disk now, like file data, before anything links it.
    if (Status s = Allocate(0, &cluster); s != Status::kOk) {
      return s;
    }
    const uint32_t parent = dir.is_root ? 0 : dir.first_cluster;
    FillBytes(scratch_, 0, bytes_per_sector_);
    for (uint32_t i = 0; i < 2; ++i) {
      uint8_t* dot = scratch_ + i * kSlotSize;
      FillBytes(dot, ' ', 11);
      dot[0] = '.';
      dot[1] = i == 1 ? '.' : ' ';
      dot[11] = kAttrDirectory;
      StampDate(dot, true);
      const uint32_t c = i == 0 ? cluster : parent;
      Put16(dot + 26, c);
      if (type_ == FatType::kFat32) {
        Put16(dot + 20, c >> 16);
      }
    }
    const uint64_t at = ClusterSector(cluster) * bytes_per_sector_;
    Status s = WriteData(at, scratch_, bytes_per_sector_);
    if (s == Status::kOk) {
      s = WriteData(at + bytes_per_sector_, nullptr, bytes_per_cluster_ - bytes_per_sector_);
    }
    if (s != Status::kOk) {
      FreeChain(cluster);
      return s;
    }
    Put16(slot + 26, cluster);
    if (type_ == FatType::kFat32) {
      Put16(slot + 20, cluster >> 16);
    }
  }
  Status s = AddSlots(dir, parsed, slot, ~uint32_t{0}, entry);
  if (s != Status::kOk && cluster != 0) {
    FreeChain(cluster);  // nothing refers to it
  }
  return s;
}

Status Volume::WriteFile(Entry* file, uint64_t offset, const uint8_t* data, size_t length,
                         size_t* done) {
  const uint64_t end = offset + length;  // at most kMaxFileSize
  const uint32_t old_first = file->first_cluster;
  const uint32_t old_size = file->size;
  const uint64_t have = (uint64_t{old_size} + bytes_per_cluster_ - 1) / bytes_per_cluster_;
  const uint64_t want = (end + bytes_per_cluster_ - 1) / bytes_per_cluster_;
  uint32_t first = old_first;
  uint32_t cut = 0, added = 0;  // the old last cluster and the first new one
  uint64_t count = have;
  Status space = Status::kOk;
  if (want > have) {
    uint32_t last = 0;
    count = 0;
    if (first != 0) {
      count = have == 0 ? 1 : have;
      if (Status s = Seek(first, static_cast<uint32_t>(count - 1), &last); s != Status::kOk) {
        return s;
      }
    } else if (have != 0) {
      return Status::kChainTooShort;
    }
    while (count < want) {
      uint32_t next;
      if (last != 0) {  // a chain longer than the size: its clusters first
        Status s = NextCluster(last, &next);
        if (s == Status::kOk) {
          last = next;
          ++count;
          continue;
        }
        if (s != Status::kNotFound) {
          return s;
        }
      }
      Status s = Allocate(last, &next);
      if (s == Status::kNoSpace) {
        space = s;
        break;
      }
      if (s != Status::kOk) {
        return s;
      }
      if (added == 0) {
        added = next;
        cut = last;
      }
      if (first == 0) {
        first = next;
      }
      last = next;
      ++count;
    }
  }
  // Gives back what this call allocated (nothing refers to it yet).
  auto undo = [&](Status status) {
    if (added != 0) {
      if (cut != 0) {
        SetFatEntry(cut, EndOfChain());
      }
      FreeChain(added);
    }
    return status;
  };
  const uint64_t capacity = count * bytes_per_cluster_;
  if (capacity < end && (length == 0 || capacity <= offset)) {
    return undo(Status::kNoSpace);
  }
  const size_t n = capacity >= end ? length : static_cast<size_t>(capacity - offset);
  if (offset > old_size) {  // the gap reads as zeros
    if (Status s = WriteChain(first, old_size, nullptr, static_cast<size_t>(offset - old_size));
        s != Status::kOk) {
      return undo(s);
    }
  }
  if (Status s = WriteChain(first, offset, data, n); s != Status::kOk) {
    return undo(s);
  }
  file->first_cluster = first;
  if (offset + n > old_size) {
    file->size = static_cast<uint32_t>(offset + n);
  }
  file->modify_time = FatToUnix(date_, time_);
  if (Status s = UpdateEntry(*file, old_first); s != Status::kOk) {
    file->first_cluster = old_first;
    file->size = old_size;
    return undo(s);
  }
  *done = n;
  return space;
}

Status Volume::Write(Entry* file, uint64_t offset, const void* data, size_t length, size_t* done) {
  *done = 0;
  if (Status s = Writable(); s != Status::kOk) {
    return s;
  }
  if (file->is_directory()) {
    return Status::kIsADirectory;
  }
  if (length == 0) {
    return Status::kOk;
  }
  if (offset >= kMaxFileSize) {
    return Status::kFileTooLarge;
  }
  Status limit = Status::kOk;
  if (length > kMaxFileSize - offset) {
    length = static_cast<size_t>(kMaxFileSize - offset);
    limit = Status::kFileTooLarge;
  }
  uint8_t slot[kSlotSize];
  if (Status s = BeginChange(*file, slot); s != Status::kOk) {
    return s;
  }
  Status s = WriteFile(file, offset, static_cast<const uint8_t*>(data), length, done);
  return s != Status::kOk ? s : limit;
}

Status Volume::Truncate(Entry* file, uint64_t size) {
  if (Status s = Writable(); s != Status::kOk) {
    return s;
  }
  if (file->is_directory()) {
    return Status::kIsADirectory;
  }
  if (size > kMaxFileSize) {
    return Status::kFileTooLarge;
  }
  uint8_t slot[kSlotSize];
  if (Status s = BeginChange(*file, slot); s != Status::kOk) {
    return s;
  }
  if (size == file->size) {
    return Status::kOk;
  }
  if (size > file->size) {
    size_t done;
    return WriteFile(file, size, nullptr, 0, &done);
  }
  // Shrinking: the tail is checked first (a corrupt chain is refused, not
  // freed), cut from the file now and freed at the next Sync.
  const uint32_t old_first = file->first_cluster;
  const uint32_t keep = static_cast<uint32_t>((size + bytes_per_cluster_ - 1) / bytes_per_cluster_);
  uint32_t last = 0, tail = 0;
  if (old_first != 0) {
    if (keep == 0) {
      tail = old_first;
    } else {
      if (Status s = Seek(old_first, keep - 1, &last); s != Status::kOk) {
        return s;
      }
      Status s = NextCluster(last, &tail);
      if (s == Status::kNotFound) {
        tail = 0;
      } else if (s != Status::kOk) {
        return s;
      }
    }
  }
  if (tail != 0) {
    uint32_t length;
    if (Status s = ChainLength(tail, &length); s != Status::kOk) {
      return s;
    }
    if (Status s = ReservePending(); s != Status::kOk) {
      return s;
    }
  }
  const uint32_t old_size = file->size;
  file->size = static_cast<uint32_t>(size);
  if (keep == 0) {
    file->first_cluster = 0;
  }
  file->modify_time = FatToUnix(date_, time_);
  if (Status s = UpdateEntry(*file, old_first); s != Status::kOk) {
    file->size = old_size;
    file->first_cluster = old_first;
    return s;
  }
  ForgetChains();
  if (tail != 0) {
    if (last != 0) {
      if (Status s = SetFatEntry(last, EndOfChain()); s != Status::kOk) {
        return s;
      }
    }
    pending_[pending_count_++] = PendingFree{last, tail};
  }
  return Status::kOk;
}

Status Volume::DeleteSlots(const Entry& entry) {
  const uint32_t first = entry.slot - entry.first_slot <= 20 ? entry.first_slot : entry.slot;
  for (uint32_t i = first; i <= entry.slot; ++i) {
    uint8_t slot[kSlotSize];
    if (Status s = ReadSlot(entry.dir_cluster, i, slot); s != Status::kOk) {
      return s;
    }
    if (i != entry.slot && ((slot[11] & 0x3F) != kAttrLongName || slot[0] == kDeleted)) {
      continue;
    }
    slot[0] = kDeleted;
    if (Status s = WriteSlotBytes(entry.dir_cluster, i, slot, /*removal=*/true); s != Status::kOk) {
      return s;
    }
  }
  return Status::kOk;
}

Status Volume::Remove(const Entry& entry) {
  if (Status s = Writable(); s != Status::kOk) {
    return s;
  }
  uint8_t slot[kSlotSize];
  if (Status s = BeginChange(entry, slot); s != Status::kOk) {
    return s;
  }
  if (entry.is_directory()) {
    DirIterator it;
    if (Status s = OpenDir(entry, &it); s != Status::kOk) {
      return s;
    }
    Entry child;
    Status s = it.Next(&child);
    if (s == Status::kOk || s == Status::kBadDirEntry) {
      return Status::kNotEmpty;
    }
    if (s != Status::kNotFound) {
      return s;
    }
  }
  if (entry.first_cluster != 0) {
    uint32_t length;  // a corrupt chain is refused, not freed
    if (Status s = ChainLength(entry.first_cluster, &length); s != Status::kOk) {
      return s;
    }
    if (Status s = ReservePending(); s != Status::kOk) {
      return s;
    }
  }
  if (Status s = DeleteSlots(entry); s != Status::kOk) {
    return s;
  }
  ForgetChains();
  if (entry.first_cluster != 0) {
    pending_[pending_count_++] = PendingFree{0, entry.first_cluster};
  }
  return Status::kOk;
}

Status Volume::Rename(const Entry& entry, const Entry& to_dir, const char* name, size_t length,
                      Entry* moved) {
  if (Status s = Writable(); s != Status::kOk) {
    return s;
  }
  if (!to_dir.is_directory()) {
    return Status::kNotADirectory;
  }
  NewName parsed;
  if (Status s = ParseName(name, length, &parsed); s != Status::kOk) {
    return s;
  }
  uint8_t slot[kSlotSize];
  if (Status s = BeginChange(entry, slot); s != Status::kOk) {
    return s;
  }
  const uint32_t to_key = DirKey(to_dir);
  const bool moves = entry.is_directory() && to_key != entry.dir_cluster;
  uint8_t dotdot[kSlotSize];
  if (moves) {
    // Not into itself or below: walk up from the target by "..".
    uint32_t at = to_dir.is_root ? 0 : to_dir.first_cluster;
    for (uint32_t depth = 0; at != 0 && at != root_cluster_; ++depth) {
      if (at == entry.first_cluster) {
        return Status::kInvalid;
      }
      if (depth >= cluster_count_) {
        return Status::kChainLoop;
      }
      if (Status s = ReadSlot(at, 1, dotdot); s != Status::kOk) {
        return s;
      }
      if (dotdot[0] != '.' || dotdot[1] != '.' || dotdot[2] != ' ') {
        return Status::kBadDirEntry;
      }
      at = static_cast<uint32_t>(Le16(dotdot + 26)) |
           (type_ == FatType::kFat32 ? uint32_t{Le16(dotdot + 20)} << 16 : 0);
    }
    if (Status s = ReadSlot(entry.first_cluster, 1, dotdot); s != Status::kOk) {
      return s;
    }
    if (dotdot[0] != '.' || dotdot[1] != '.' || dotdot[2] != ' ') {
      return Status::kBadDirEntry;
    }
  }
  // The new slots first, then the old ones deleted: both in the cache until
  // Sync writes them.
  const uint32_t ignore = to_key == entry.dir_cluster ? entry.slot : ~uint32_t{0};
  if (Status s = AddSlots(to_dir, parsed, slot, ignore, moved); s != Status::kOk) {
    return s;
  }
  if (moves) {
    const uint32_t parent = to_dir.is_root ? 0 : to_dir.first_cluster;
    Put16(dotdot + 26, parent);
    if (type_ == FatType::kFat32) {
      Put16(dotdot + 20, parent >> 16);
    }
    if (Status s = WriteSlotBytes(entry.first_cluster, 1, dotdot); s != Status::kOk) {
      return s;
    }
  }
  return DeleteSlots(entry);
}

Status Volume::Sync() {
  if (!mounted_) {
    return Status::kNotMounted;
  }
  return writable_ ? SyncSteps() : Status::kOk;
}

// The write order (docs/storage.md, "Crash safety"):
//   1. file data (already written) is flushed;
//   2. the FAT sectors, every copy, with the links that pending truncations
//      cut still as they were; flush;
//   3. the directory sectors; flush;
//   4. the pending frees (and the truncations' new chain ends) and the
//      FSInfo sector; flush.
Status Volume::SyncSteps() {
  if (syncing_) {
    return Status::kOk;
  }
  syncing_ = true;
  auto steps = [&]() -> Status {
    if (data_unflushed_) {
      if (Status s = Flush(); s != Status::kOk) {
        return s;
      }
      data_unflushed_ = false;
    }
    // 0: the FAT; 1: directory sectors that delete entries; 2: the others
    // (a rename cut between its two sectors shows neither name, never both).
    for (int pass = 0; pass < 3; ++pass) {
      bool wrote = false;
      for (size_t i = 0; i < slot_count_; ++i) {
        const int kind = IsFatSector(slots_[i].sector) ? 0 : slots_[i].removes != 0 ? 1 : 2;
        if (slots_[i].state == 2 && kind == pass) {
          if (Status s = WriteSlot(i, true); s != Status::kOk) {
            return s;
          }
          slots_[i].state = 1;
          slots_[i].removes = 0;
          --dirty_count_;
          wrote = true;
        }
      }
      if (wrote) {
        if (Status s = Flush(); s != Status::kOk) {
          return s;
        }
      }
    }
    if (pending_count_ == 0 && !fsinfo_dirty_) {
      return Status::kOk;
    }
    freeing_ = true;
    for (size_t i = 0; i < pending_count_; ++i) {
      const PendingFree p = pending_[i];
      uint32_t value;
      if (p.keep != 0) {
        if (Status s = FatEntry(p.keep, &value); s != Status::kOk) {
          return s;
        }
        if (value > EndOfChain() - 8) {  // still the end: written unpatched now
          if (Status s = SetFatEntry(p.keep, EndOfChain()); s != Status::kOk) {
            return s;
          }
        }
      }
      if (Status s = FreeChain(p.first); s != Status::kOk) {
        return s;
      }
    }
    pending_count_ = 0;
    bool wrote = false;
    for (size_t i = 0; i < slot_count_; ++i) {
      if (slots_[i].state == 2) {
        if (Status s = WriteSlot(i, false); s != Status::kOk) {
          return s;
        }
        slots_[i].state = 1;
        --dirty_count_;
        wrote = true;
      }
    }
    if (Status s = WriteFsInfo(); s != Status::kOk) {
      return s;
    }
    return wrote || fsinfo_sector_ != 0 ? Flush() : Status::kOk;
  };
  const Status status = steps();
  syncing_ = false;
  freeing_ = false;
  return status;
}

Status Volume::WriteFsInfo() {
  if (fsinfo_sector_ == 0 || !fsinfo_dirty_) {
    fsinfo_dirty_ = false;
    return Status::kOk;
  }
  uint32_t free;
  if (Status s = FreeClusters(&free); s != Status::kOk) {
    return s;
  }
  if (device_.read(device_.context, offset_ + uint64_t{fsinfo_sector_} * bytes_per_sector_,
                   scratch_, bytes_per_sector_) != Status::kOk) {
    return Status::kIoError;
  }
  if (Le32(scratch_) != 0x41615252 || Le32(scratch_ + 484) != 0x61417272 ||
      Le32(scratch_ + 508) != 0xAA550000) {
    fsinfo_sector_ = 0;  // no longer an FSInfo sector: left alone
    return Status::kOk;
  }
  Put32(scratch_ + 488, free);
  Put32(scratch_ + 492, next_free_);
  if (Status s = DevWrite(fsinfo_sector_, scratch_, bytes_per_sector_); s != Status::kOk) {
    return s;
  }
  fsinfo_dirty_ = false;
  return Status::kOk;
}

}  // namespace fat
